//! Handles and the environment: close and the work it waits for, copies,
//! foreign handles, map sizes and option checks.

use std::sync::mpsc;
use std::time::Duration;

use lmdb_napi_core::*;

mod common;
use common::*;

#[test]
fn writes_queued_before_close_settle_and_later_ones_fail_closed() {
    let (dir, env, db) = main_db();
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    env.write(put(db, b"k", b"v"), move |r| tx.send(r.is_ok()).unwrap());
    env.close();
    env.write(put(db, b"k", b"v"), move |r| tx2.send(r.is_ok()).unwrap());
    assert!(rx.recv().unwrap());
    assert!(!rx.recv().unwrap());
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let db = env.open_db(None, DbFlags::default(), false).unwrap();
    assert!(get(&env, db, b"k").is_some());
}

#[test]
fn copy_and_compact_copy_hold_the_data() {
    let (_dir, env, db) = main_db();
    write(&env, put(db, b"k", b"v")).unwrap();
    for compact in [false, true] {
        let dest = temp();
        env.busy().unwrap().copy(dest.path(), compact).unwrap();
        let copy = Env::open(dest.path(), &EnvOptions::default()).unwrap();
        let cdb = copy.open_db(None, DbFlags::default(), false).unwrap();
        assert_eq!(get(&copy, cdb, b"k").as_deref(), Some(&b"v"[..]));
    }
    // Pooled read transactions are reset between reads and hold no snapshot.
    assert_eq!(env.readers().unwrap().trim(), "(no active readers)");
    assert_eq!(env.reader_check().unwrap(), 0);
}

#[test]
fn work_taken_before_close_finishes_and_close_waits_for_it() {
    let (_dir, env, db) = main_db();
    write(&env, put(db, b"k", b"v")).unwrap();
    let busy = env.busy().unwrap();
    let closer = {
        let env = env.clone();
        std::thread::spawn(move || env.close())
    };
    while !env.is_closed() {
        std::thread::yield_now();
    }
    assert!(matches!(env.busy(), Err(Error::Closed(_))));
    std::thread::sleep(Duration::from_millis(20));
    assert!(!closer.is_finished(), "close waits for the work in progress");
    let mut b = BatchBuilder::new();
    b.push(op::GET, 0, 0, db, b"k", None);
    assert_eq!(busy.read_batch(&b.finish()).unwrap().data, b"v");
    drop(busy);
    closer.join().unwrap();
}

#[test]
fn a_handle_from_another_environment_fails_instead_of_reaching_lmdb() {
    let (dir_a, dir_b) = (temp(), temp());
    let a = Env::open(dir_a.path(), &EnvOptions::default()).unwrap();
    let b = Env::open(dir_b.path(), &EnvOptions::default()).unwrap();
    let main_of_a = a.open_db(None, DbFlags::default(), true).unwrap();
    let named_of_a = a.open_db(Some("x"), DbFlags::default(), true).unwrap();
    // `b` never opened these slots: LMDB would use them with no comparator
    for db in [main_of_a, named_of_a] {
        let mut r = BatchBuilder::new();
        r.push(op::GET, 0, 0, db, b"k", None);
        let out = b.busy().unwrap().read_batch(&r.finish()).unwrap();
        assert!(matches!(out.errors[..], [(0, Error::BadDbi)]), "{:?}", out.errors);
        assert!(matches!(write(&b, put(db, b"k", b"v")).unwrap()[0], Err(Error::BadDbi)));
    }
}

#[test]
fn a_map_size_that_cannot_be_mapped_is_refused_and_the_old_map_stays() {
    let (_dir, env, db) = main_db();
    write(&env, put(db, b"k", b"v")).unwrap();
    let before = env.info().unwrap().map_size;
    // 1 PiB: more than any 64-bit address space
    let e = env.busy().unwrap().set_map_size(1 << 50).unwrap_err();
    assert_eq!(e.code(), "ENOMEM", "{e}");
    assert_eq!(env.info().unwrap().map_size, before);
    assert_eq!(get(&env, db, b"k").as_deref(), Some(&b"v"[..]));
    write(&env, put(db, b"k2", b"v2")).unwrap();
    env.busy().unwrap().set_map_size(before * 2).unwrap();
    assert_eq!(get(&env, db, b"k2").as_deref(), Some(&b"v2"[..]));
}

#[test]
fn numbers_lmdb_would_misuse_are_refused_before_anything_is_made() {
    let dir = temp();
    let path = dir.path().join("env");
    let bad = EnvOptions { max_dbs: u32::MAX, ..Default::default() };
    assert!(matches!(Env::open(&path, &bad), Err(Error::Invalid(_))));
    assert!(!path.exists());
}

#[test]
fn max_map_size_caps_the_default_map_and_set_map_size() {
    let dir = temp();
    let options = EnvOptions { max_map_size: Some(4 << 20), ..Default::default() };
    let env = Env::open(dir.path(), &options).unwrap();
    assert_eq!(env.info().unwrap().map_size, 4 << 20);
    let e = env.busy().unwrap().set_map_size(8 << 20).unwrap_err();
    assert!(matches!(e, Error::Invalid(_)), "{e}");
    env.busy().unwrap().set_map_size(2 << 20).unwrap();
    assert_eq!(env.info().unwrap().map_size, 2 << 20);
}
