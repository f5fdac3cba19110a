//! Conditional writes (`put_flags::IF_VALUE`): the check reads the key in
//! the write transaction itself, in the order of the operations, under
//! group commit, in explicit transactions and in their replay.

use std::sync::mpsc;
use std::time::Duration;

use lmdb_napi_core::*;

mod common;
use common::*;

/// A put of `value` (or a delete, without one) that expects `expect`.
fn cond<'a>(db: DbRef, unit: u32, key: &'a [u8], value: Option<&'a [u8]>, expect: Expect<'a>) -> Op<'a> {
    let kind = if value.is_some() { op::PUT } else { op::DELETE };
    Op { kind, flags: 0, codec: 0, level: 0, unit, db, key, value, expect: Some(expect) }
}

fn batch(ops: &[Op<'_>]) -> Vec<u8> {
    let mut b = BatchBuilder::new();
    ops.iter().for_each(|op| {
        b.push_op(op);
    });
    b.finish()
}

fn outcomes(result: BatchResult) -> Vec<Outcome> {
    result.unwrap().into_iter().map(|r| r.unwrap()).collect()
}

#[test]
fn a_conditional_write_happens_only_when_the_stored_value_is_the_expected_one() {
    let (_dir, env, db) = main_db();
    write(&env, put(db, b"k", b"v1")).unwrap();
    let ops = [
        cond(db, 0, b"k", Some(b"v2"), Expect::Value(b"v1")),
        // sees the write before it: the value is v2 now
        cond(db, 1, b"k", Some(b"v3"), Expect::Value(b"v1")),
        cond(db, 2, b"k", Some(b"v3"), Expect::Absent),
        cond(db, 3, b"new", Some(b"n"), Expect::Absent),
        cond(db, 4, b"new", Some(b"again"), Expect::Absent),
        cond(db, 5, b"gone", Some(b"x"), Expect::Value(b"")),
        // a prefix of the value is not the value
        cond(db, 6, b"k", None, Expect::Value(b"v")),
    ];
    let done = |b: bool| Outcome::Done(b);
    assert_eq!(outcomes(write(&env, batch(&ops))), [true, false, false, true, false, false, false].map(done));
    assert_eq!(get(&env, db, b"k").as_deref(), Some(&b"v2"[..]));
    assert_eq!(get(&env, db, b"new").as_deref(), Some(&b"n"[..]));
    let delete = [cond(db, 0, b"k", None, Expect::Value(b"v2")), cond(db, 1, b"k", None, Expect::Value(b"v2"))];
    assert_eq!(outcomes(write(&env, batch(&delete))), [done(true), done(false)]);
    assert_eq!(get(&env, db, b"k"), None);
    // an empty value is a value, not an absence
    write(&env, put(db, b"empty", b"")).unwrap();
    let empty =
        [cond(db, 0, b"empty", Some(b"e"), Expect::Absent), cond(db, 1, b"empty", Some(b"e"), Expect::Value(b""))];
    assert_eq!(outcomes(write(&env, batch(&empty))), [done(false), done(true)]);
}

#[test]
fn a_unit_of_conditional_writes_counts_those_that_wrote() {
    let (_dir, env, db) = main_db();
    write(&env, put(db, b"a", b"1")).unwrap();
    // in key order within the unit, but b's two operations as issued
    let ops = [
        cond(db, 0, b"b", Some(b"1"), Expect::Absent),
        cond(db, 0, b"a", Some(b"2"), Expect::Value(b"1")),
        cond(db, 0, b"b", Some(b"2"), Expect::Value(b"1")),
        cond(db, 0, b"c", Some(b"2"), Expect::Value(b"1")),
    ];
    assert_eq!(outcomes(write(&env, batch(&ops))), [Outcome::Count(3)]);
    assert_eq!(get(&env, db, b"a").as_deref(), Some(&b"2"[..]));
    assert_eq!(get(&env, db, b"b").as_deref(), Some(&b"2"[..]));
    assert_eq!(get(&env, db, b"c"), None);
}

#[test]
fn compare_and_swap_from_many_threads_under_group_commit_loses_no_increment() {
    let (_dir, env, db) = main_db();
    write(&env, put(db, b"n", &0u32.to_be_bytes())).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let env = env.clone();
            std::thread::spawn(move || {
                let mut retries = 0;
                for _ in 0..200 {
                    loop {
                        let seen = get(&env, db, b"n").unwrap();
                        let next = (u32::from_be_bytes(seen[..].try_into().unwrap()) + 1).to_be_bytes();
                        let swap = batch(&[cond(db, 0, b"n", Some(&next), Expect::Value(&seen))]);
                        if outcomes(write(&env, swap)) == [Outcome::Done(true)] {
                            break;
                        }
                        retries += 1;
                    }
                }
                retries
            })
        })
        .collect();
    let retries: u32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(get(&env, db, b"n").as_deref(), Some(&800u32.to_be_bytes()[..]), "after {retries} retries");
}

#[test]
fn a_compressed_value_is_compared_as_it_was_before_compression() {
    let (_dir, env, db) = main_db();
    let value = b"compressible ".repeat(500);
    let zstd = |op: Op<'_>| compress_values(&batch(&[Op { codec: algorithm::ZSTD, ..op }])).unwrap();
    let first =
        Op { kind: op::PUT, flags: 0, codec: 0, level: 0, unit: 0, db, key: b"k", value: Some(&value), expect: None };
    write(&env, zstd(first)).unwrap();
    assert_eq!(get(&env, db, b"k").unwrap()[0], algorithm::ZSTD, "stored compressed");
    let swap = zstd(cond(db, 0, b"k", Some(b"short"), Expect::Value(&value)));
    assert_eq!(outcomes(write(&env, swap.clone())), [Outcome::Done(true)]);
    assert_eq!(outcomes(write(&env, swap)), [Outcome::Done(false)]);
}

#[test]
fn a_conditional_write_on_a_dup_sort_database_is_refused() {
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions { max_dbs: 2, ..Default::default() }).unwrap();
    let dups = env.open_db(Some("dups"), DbFlags { dup_sort: true, ..Default::default() }, true).unwrap();
    let result = write(&env, batch(&[cond(dups, 0, b"k", Some(b"v"), Expect::Absent)])).unwrap();
    assert!(matches!(&result[0], Err(Error::Invalid(m)) if m.contains("dupSort")), "{result:?}");
    assert_eq!(get(&env, dups, b"k"), None);
}

#[test]
fn in_an_explicit_transaction_the_check_sees_its_writes_and_survives_a_replay() {
    let dir = temp();
    let opts = EnvOptions { map_size: 1 << 20, sync: false, ..Default::default() };
    let env = Env::open(dir.path(), &opts).unwrap();
    let db = env.open_db(None, DbFlags::default(), true).unwrap();
    let txn = env.begin_write().unwrap();
    let exec = |bytes: Vec<u8>| {
        let (tx, rx) = mpsc::channel();
        txn.exec(env.busy().unwrap(), bytes, move |r| tx.send(r).unwrap());
        outcomes(rx.recv_timeout(Duration::from_secs(60)).unwrap())
    };
    assert_eq!(exec(batch(&[cond(db, 0, b"k", Some(b"1"), Expect::Absent)])), [Outcome::Done(true)]);
    assert_eq!(exec(batch(&[cond(db, 0, b"k", Some(b"2"), Expect::Absent)])), [Outcome::Done(false)]);
    assert_eq!(exec(batch(&[cond(db, 0, b"k", Some(b"2"), Expect::Value(b"1"))])), [Outcome::Done(true)]);
    // 2.5 MiB into a 1 MiB map: replayed in grown ones, each check giving the same
    let value = vec![7u8; 64 << 10];
    for i in 0..40u32 {
        assert_eq!(exec(put(db, &i.to_be_bytes(), &value)), [Outcome::Done(true)], "put {i}");
    }
    let (tx, rx) = mpsc::channel();
    txn.end(true, move |r| tx.send(r).unwrap());
    rx.recv_timeout(Duration::from_secs(60)).unwrap().unwrap();
    assert!(env.info().unwrap().map_size >= 4 << 20);
    assert_eq!(get(&env, db, b"k").as_deref(), Some(&b"2"[..]));
}
