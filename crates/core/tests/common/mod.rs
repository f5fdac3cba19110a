//! Helpers shared by the core's integration tests.
#![allow(dead_code)]

use std::sync::mpsc;
use std::time::Duration;

use lmdb_napi_core::*;

pub fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// An environment of `opts` in a fresh folder, and its main database.
pub fn env_with(opts: &EnvOptions) -> (tempfile::TempDir, Env, DbRef) {
    let dir = temp();
    let env = Env::open(dir.path(), opts).unwrap();
    let db = env.open_db(None, DbFlags::default(), true).unwrap();
    (dir, env, db)
}

/// A fresh environment with default options, and its main database.
pub fn main_db() -> (tempfile::TempDir, Env, DbRef) {
    env_with(&EnvOptions::default())
}

/// Queues a batch and waits for its results.
pub fn write(env: &Env, bytes: Vec<u8>) -> BatchResult {
    let (tx, rx) = mpsc::channel();
    env.write(bytes, move |r| tx.send(r).unwrap());
    rx.recv_timeout(Duration::from_secs(60)).expect("batch settled")
}

pub fn put(db: DbRef, key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut b = BatchBuilder::new();
    b.push(op::PUT, 0, 0, db, key, Some(value));
    b.finish()
}

pub fn get(env: &Env, db: DbRef, key: &[u8]) -> Option<Vec<u8>> {
    let mut b = BatchBuilder::new();
    b.push(op::GET, 0, 0, db, key, None);
    let out = env.busy().unwrap().read_batch(&b.finish()).unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    (out.lens[0] >= 0).then_some(out.data)
}

pub fn collect(env: &Env, mut range: Range, max: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    loop {
        let busy = env.busy().unwrap();
        let chunk = range.next_chunk(&busy, max).unwrap();
        let mut data = &chunk.out.data[..];
        for pair in chunk.out.lens.chunks(2) {
            let (k, rest) = data.split_at(pair[0].max(0) as usize);
            let (v, rest) = rest.split_at(pair[1].max(0) as usize);
            out.push((k.to_vec(), v.to_vec()));
            data = rest;
        }
        if chunk.done {
            return out;
        }
    }
}
