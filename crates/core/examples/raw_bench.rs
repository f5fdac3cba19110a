//! The limit: the benchmark's gets, puts and scan through the Rust core with
//! no JavaScript at all, on the same data (`benches/worker.mjs`'s generator).
//!
//!     cargo run --release -p lmdb-napi-core --example raw_bench -- N SEED
//!
//! Prints one JSON object of operations per second, as the worker does.

use std::time::Instant;

use lmdb_napi_core::{op, BatchBuilder, DbFlags, Env, EnvOptions, RangeOptions};

struct Rng(u32);

impl Rng {
    /// xorshift32, as the JavaScript generator (a byte is its top 8 bits).
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 24) as u8).collect()
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let seed: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut rng = Rng(seed.max(1));
    let keys: Vec<Vec<u8>> = (0..n).map(|_| rng.bytes(16)).collect();
    let values: Vec<Vec<u8>> = (0..n).map(|_| rng.bytes(100)).collect();
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, rng.next() as usize % (i + 1));
    }

    let dir = std::env::temp_dir().join(format!("raw-bench-{}", std::process::id()));
    let env = Env::open(&dir, &EnvOptions { map_size: 4 << 30, ..Default::default() }).expect("open");
    let db = env.open_db(Some("bench"), DbFlags::default(), true).expect("db");
    let rate = |start: Instant, ops: usize| ops as f64 / start.elapsed().as_secs_f64();

    // every put in one transaction, synced
    let mut b = BatchBuilder::new();
    for (k, v) in keys.iter().zip(&values) {
        b.push(op::PUT, 0, 0, db, k, Some(v));
    }
    let batch = b.finish();
    let start = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    env.write(batch, move |r| tx.send(r.is_ok()).unwrap());
    assert!(rx.recv().unwrap(), "the puts committed");
    let put_many = rate(start, n);

    // every get in one read transaction, in random order, checked
    let mut b = BatchBuilder::new();
    for &i in &order {
        b.push(op::GET, 0, 0, db, &keys[i], None);
    }
    let batch = b.finish();
    let start = Instant::now();
    let out = env.busy().unwrap().read_batch(&batch).expect("gets");
    let get_many = rate(start, n);
    let mut at = 0;
    for (j, &len) in out.lens.iter().enumerate() {
        let len = len as usize;
        assert_eq!(&out.data[at..at + len], &values[order[j]][..], "get {j}");
        at += len;
    }

    // one get per read batch
    let singles: Vec<Vec<u8>> = order
        .iter()
        .map(|&i| {
            let mut b = BatchBuilder::new();
            b.push(op::GET, 0, 0, db, &keys[i], None);
            b.finish()
        })
        .collect();
    let start = Instant::now();
    for (j, batch) in singles.iter().enumerate() {
        let out = env.busy().unwrap().read_batch(batch).expect("get");
        assert_eq!(out.data, values[order[j]], "get one at a time {j}");
    }
    let get_sequential = rate(start, n);

    // the full ordered scan, in chunks as the binding reads it
    let start = Instant::now();
    let mut range = env.range(db, RangeOptions::default()).expect("range");
    let mut seen = 0;
    loop {
        let chunk = range.next_chunk(&env.busy().unwrap(), 4096).expect("chunk");
        seen += chunk.out.lens.len() / 2;
        if chunk.done {
            break;
        }
    }
    let scan = rate(start, n);
    assert_eq!(seen, n, "the scan saw every entry");

    env.close();
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{{\"putMany\":{put_many},\"getMany\":{get_many},\"getConcurrent\":{get_many},\"getSequential\":{get_sequential},\"getSync\":{get_sequential},\"scan\":{scan}}}"
    );
}
