//! Tests of the core through its public API, without Node.

use std::sync::mpsc;
use std::time::Duration;

use crate::*;

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// A fresh environment with default options, and its main database.
fn main_db() -> (tempfile::TempDir, Env, DbRef) {
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let db = env.open_db(None, DbFlags::default(), true).unwrap();
    (dir, env, db)
}

/// Queues a batch and waits for its results.
fn write(env: &Env, bytes: Vec<u8>) -> BatchResult {
    let (tx, rx) = mpsc::channel();
    env.write(bytes, move |r| tx.send(r).unwrap());
    rx.recv_timeout(Duration::from_secs(60)).expect("batch settled")
}

fn put(db: DbRef, key: &[u8], value: &[u8]) -> Vec<u8> {
    let mut b = BatchBuilder::new();
    b.push(op::PUT, 0, 0, db, key, Some(value));
    b.finish()
}

fn get(env: &Env, db: DbRef, key: &[u8]) -> Option<Vec<u8>> {
    let mut b = BatchBuilder::new();
    b.push(op::GET, 0, 0, db, key, None);
    let out = env.busy().unwrap().read_batch(&b.finish()).unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    (out.lens[0] >= 0).then_some(out.data)
}

#[test]
fn a_put_is_read_back_and_survives_reopening() {
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let db = env.open_db(Some("things"), DbFlags::default(), true).unwrap();
    let results = write(&env, put(db, b"k", b"v")).unwrap();
    assert_eq!(results[0].as_ref().unwrap(), &Outcome::Done(true));
    assert_eq!(get(&env, db, b"k").as_deref(), Some(&b"v"[..]));
    assert_eq!(get(&env, db, b"missing"), None);
    env.close();
    assert!(matches!(env.stat(), Err(Error::Closed(_))));

    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let db = env.open_db(Some("things"), DbFlags::default(), false).unwrap();
    assert_eq!(get(&env, db, b"k").as_deref(), Some(&b"v"[..]));
    assert_eq!(env.busy().unwrap().databases().unwrap(), vec!["things".to_string()]);
}

#[test]
fn opening_a_path_twice_shares_one_environment() {
    let dir = temp();
    let a = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let b = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    assert_eq!(registry::handles(a.path()), 2);
    a.close();
    assert_eq!(registry::handles(b.path()), 1);
    assert!(b.stat().is_ok());
    drop(b);
    assert_eq!(registry::handles(dir.path().canonicalize().unwrap().as_path()), 0);
}

#[test]
fn batches_queued_together_commit_in_one_transaction() {
    let (_dir, env, db) = main_db();
    let before = env.info().unwrap().last_txnid;
    let (tx, rx) = mpsc::channel();
    for i in 0..500u32 {
        let tx = tx.clone();
        env.write(put(db, &i.to_be_bytes(), b"x"), move |r| tx.send(r.map(|v| v.len())).unwrap());
    }
    for _ in 0..500 {
        assert_eq!(rx.recv().unwrap().unwrap(), 1);
    }
    let txns = env.info().unwrap().last_txnid - before;
    assert!(txns < 500, "{txns} transactions for 500 batches");
    assert_eq!(env.busy().unwrap().db_stat(db).unwrap().entries, 500);
}

#[test]
fn parts_of_a_batch_commit_together_once_the_last_is_in() {
    let (_dir, env, db) = main_db();
    let before = env.info().unwrap().last_txnid;
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    env.ticket().unwrap().submit_as(put(db, b"a", b"1"), true, move |r| tx.send(("a", r.is_ok())).unwrap());
    // The writer has applied the part by now, and holds it for the rest.
    std::thread::sleep(Duration::from_millis(5));
    assert!(rx.try_recv().is_err(), "a part waits for the rest of its batch");
    assert_eq!(get(&env, db, b"a"), None, "nothing committed yet");
    env.ticket().unwrap().submit_as(put(db, b"b", b"2"), false, move |r| tx2.send(("b", r.is_ok())).unwrap());
    assert_eq!(rx.recv().unwrap(), ("a", true));
    assert_eq!(rx.recv().unwrap(), ("b", true));
    assert_eq!(env.info().unwrap().last_txnid - before, 1, "one commit for both parts");
    assert_eq!(get(&env, db, b"b").as_deref(), Some(&b"2"[..]));
}

#[test]
fn a_part_whose_rest_never_comes_commits_on_its_own() {
    let (_dir, env, db) = main_db();
    let (tx, rx) = mpsc::channel();
    env.ticket().unwrap().submit_as(put(db, b"a", b"1"), true, move |r| tx.send(r.is_ok()).unwrap());
    assert!(rx.recv_timeout(Duration::from_secs(10)).unwrap());
    assert_eq!(get(&env, db, b"a").as_deref(), Some(&b"1"[..]));
    // The writer is free again: a batch behind it commits as usual.
    assert!(write(&env, put(db, b"b", b"2")).is_ok());
}

#[test]
fn a_unit_failing_after_writing_in_a_part_rejects_alone_and_the_parts_commit() {
    let (_dir, env, db) = main_db();
    // Sorted after "b", so the unit has written when it fails.
    let too_long = vec![0xff; env.max_key_size() + 1];
    let mut b = BatchBuilder::new();
    b.push(op::PUT, 0, 0, db, b"a", Some(b"1"));
    b.push(op::PUT, 0, 1, db, b"b", Some(b"2"));
    b.push(op::PUT, 0, 1, db, &too_long, Some(b"3"));
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    env.ticket().unwrap().submit_as(b.finish(), true, move |r| tx.send(r).unwrap());
    env.ticket().unwrap().submit_as(put(db, b"c", b"4"), false, move |r| tx2.send(r).unwrap());
    let first = rx.recv().unwrap().unwrap();
    assert_eq!(first[0].as_ref().unwrap(), &Outcome::Done(true));
    assert_eq!(first[1].as_ref().unwrap_err().code(), "MDB_BAD_VALSIZE");
    assert_eq!(rx.recv().unwrap().unwrap()[0].as_ref().unwrap(), &Outcome::Done(true));
    assert_eq!(get(&env, db, b"a").as_deref(), Some(&b"1"[..]));
    assert_eq!(get(&env, db, b"b"), None, "the failed unit's first put is undone");
    assert_eq!(get(&env, db, b"c").as_deref(), Some(&b"4"[..]));
}

#[test]
fn a_failing_unit_rejects_alone_and_writes_nothing() {
    let (_dir, env, db) = main_db();
    let too_long = vec![7u8; env.max_key_size() + 1];
    let mut b = BatchBuilder::new();
    b.push(op::PUT, 0, 0, db, b"a", Some(b"1"));
    // unit 1: a putMany whose second entry is bad
    b.push(op::PUT, 0, 1, db, b"b", Some(b"2"));
    b.push(op::PUT, 0, 1, db, &too_long, Some(b"3"));
    b.push(op::PUT, 0, 2, db, b"c", Some(b"4"));
    let results = write(&env, b.finish()).unwrap();
    assert_eq!(results[0].as_ref().unwrap(), &Outcome::Done(true));
    assert_eq!(results[1].as_ref().unwrap_err().code(), "MDB_BAD_VALSIZE");
    assert_eq!(results[2].as_ref().unwrap(), &Outcome::Done(true));
    assert_eq!(get(&env, db, b"b"), None, "the failed unit left nothing");
    assert!(get(&env, db, b"a").is_some() && get(&env, db, b"c").is_some());
}

#[test]
fn replace_pop_delete_and_no_overwrite_report_what_they_found() {
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let db = env.open_db(Some("d"), DbFlags::default(), true).unwrap();
    let mut b = BatchBuilder::new();
    b.push(op::PUT, 0, 0, db, b"k", Some(b"1"))
        .push(op::PUT, put_flags::NO_OVERWRITE, 1, db, b"k", Some(b"2"))
        .push(op::REPLACE, 0, 2, db, b"k", Some(b"3"))
        .push(op::POP, 0, 3, db, b"k", None)
        .push(op::DELETE, 0, 4, db, b"k", None);
    let r: Vec<Outcome> = write(&env, b.finish()).unwrap().into_iter().map(Result::unwrap).collect();
    assert_eq!(
        r,
        vec![
            Outcome::Done(true),
            Outcome::Done(false),
            Outcome::Value(Some(b"1".to_vec())),
            Outcome::Value(Some(b"3".to_vec())),
            Outcome::Done(false),
        ]
    );
}

#[test]
fn writes_applied_in_key_order_give_what_issue_order_gives() {
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let db = env.open_db(Some("d"), DbFlags::default(), true).unwrap();
    let other = env.open_db(Some("e"), DbFlags::default(), true).unwrap();
    let mut b = BatchBuilder::new();
    // single operations whose keys come in no order, some keys written twice
    b.push(op::PUT, 0, 0, db, b"m", Some(b"1"))
        .push(op::PUT, 0, 1, db, b"c", Some(b"1"))
        .push(op::PUT, put_flags::NO_OVERWRITE, 2, db, b"m", Some(b"2"))
        .push(op::REPLACE, 0, 3, db, b"c", Some(b"2"))
        .push(op::PUT, 0, 4, other, b"a", Some(b"e"))
        .push(op::DELETE, 0, 5, db, b"m", None)
        .push(op::PUT, 0, 6, db, b"m", Some(b"3"))
        .push(op::POP, 0, 7, db, b"c", None)
        .push(op::PUT, 0, 8, db, b"a", Some(b"1"));
    let r: Vec<Outcome> = write(&env, b.finish()).unwrap().into_iter().map(Result::unwrap).collect();
    assert_eq!(
        r,
        vec![
            Outcome::Done(true),
            Outcome::Done(true),
            Outcome::Done(false),
            Outcome::Value(Some(b"1".to_vec())),
            Outcome::Done(true),
            Outcome::Done(true),
            Outcome::Done(true),
            Outcome::Value(Some(b"2".to_vec())),
            Outcome::Done(true),
        ]
    );
    assert_eq!(get(&env, db, b"m").as_deref(), Some(&b"3"[..]));
    assert_eq!(get(&env, db, b"c"), None);
    assert_eq!(get(&env, db, b"a").as_deref(), Some(&b"1"[..]));
    assert_eq!(get(&env, other, b"a").as_deref(), Some(&b"e"[..]));

    // one unit of many operations: the last write of a key wins, as issued
    let mut b = BatchBuilder::new();
    b.push(op::PUT, 0, 0, db, b"z", Some(b"1"))
        .push(op::PUT, 0, 0, db, b"b", Some(b"1"))
        .push(op::DELETE, 0, 0, db, b"z", None)
        .push(op::PUT, 0, 0, db, b"z", Some(b"2"))
        .push(op::PUT, 0, 0, db, b"b", Some(b"2"));
    assert_eq!(write(&env, b.finish()).unwrap()[0].as_ref().unwrap(), &Outcome::Count(5));
    assert_eq!(get(&env, db, b"z").as_deref(), Some(&b"2"[..]));
    assert_eq!(get(&env, db, b"b").as_deref(), Some(&b"2"[..]));

    // appends keep their order: a key out of order still fails
    let mut b = BatchBuilder::new();
    b.push(op::PUT, put_flags::APPEND, 0, other, b"y", Some(b"1")).push(
        op::PUT,
        put_flags::APPEND,
        1,
        other,
        b"x",
        Some(b"1"),
    );
    let r = write(&env, b.finish()).unwrap();
    assert_eq!(r[0].as_ref().unwrap(), &Outcome::Done(true));
    assert!(r[1].is_err(), "an append below the last key fails");
}

/// Puts go through kept cursors and past-the-end keys are appended
/// (`ops.rs`); whatever mix of writes comes, every database must hold what
/// applying them one by one would give. Checked against a model, for plain,
/// reverse-key and dupSort databases, over batches in key order and batches
/// in issue order (a drop among them).
#[test]
fn puts_through_kept_cursors_and_appends_give_what_a_model_gives() {
    use std::collections::{BTreeMap, BTreeSet};
    let dir = temp();
    let opts = EnvOptions { sync: false, ..Default::default() };
    let env = Env::open(dir.path(), &opts).unwrap();
    let plain = env.open_db(Some("plain"), DbFlags::default(), true).unwrap();
    let reverse = env.open_db(Some("reverse"), DbFlags { reverse_key: true, ..Default::default() }, true).unwrap();
    let dups = env.open_db(Some("dups"), DbFlags { dup_sort: true, ..Default::default() }, true).unwrap();
    let mut x = 0x9e37_79b9u32;
    let mut next = move |n: u32| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x % n
    };
    let mut maps: [BTreeMap<Vec<u8>, Vec<u8>>; 2] = Default::default();
    let mut pairs: BTreeSet<(Vec<u8>, Vec<u8>)> = BTreeSet::new();
    let mut rising = 0u16;
    for round in 0..40 {
        let mut b = BatchBuilder::new();
        let mut want = Vec::new();
        let with_drop = round % 5 == 4;
        for unit in 0..300u32 {
            // keys that mostly rise past the end, and small ones that land anywhere
            let key = if next(2) == 0 {
                rising += 1 + next(3) as u16;
                let mut k = vec![b'z'];
                k.extend_from_slice(&rising.to_be_bytes());
                k
            } else {
                vec![b'a' + next(20) as u8; 1 + next(2) as usize]
            };
            let value = vec![b'0' + next(10) as u8; 1 + next(3) as usize];
            let which = next(3) as usize;
            let db = [plain, reverse, dups][which];
            let kind = if with_drop && unit == 150 {
                op::DROP
            } else {
                [op::PUT, op::PUT, op::PUT, op::DELETE, op::REPLACE][next(5) as usize]
            };
            let value_arg = matches!(kind, op::PUT | op::REPLACE).then_some(&value[..]);
            b.push(kind, 0, unit, db, &key, value_arg);
            want.push(if which < 2 {
                let map = &mut maps[which];
                match kind {
                    op::PUT => {
                        map.insert(key, value);
                        Outcome::Done(true)
                    }
                    op::DELETE => Outcome::Done(map.remove(&key).is_some()),
                    op::REPLACE => Outcome::Value(map.insert(key, value)),
                    _ => {
                        map.clear();
                        Outcome::Done(true)
                    }
                }
            } else {
                let of_key: Vec<_> =
                    pairs.range((key.clone(), vec![])..).take_while(|(k, _)| *k == key).cloned().collect();
                match kind {
                    op::PUT => {
                        pairs.insert((key, value));
                        Outcome::Done(true)
                    }
                    op::DELETE => {
                        of_key.iter().for_each(|p| {
                            pairs.remove(p);
                        });
                        Outcome::Done(!of_key.is_empty())
                    }
                    op::REPLACE => {
                        of_key.iter().for_each(|p| {
                            pairs.remove(p);
                        });
                        pairs.insert((key, value));
                        Outcome::Value(of_key.first().map(|(_, v)| v.clone()))
                    }
                    _ => {
                        pairs.clear();
                        Outcome::Done(true)
                    }
                }
            });
        }
        let got: Vec<Outcome> = write(&env, b.finish()).unwrap().into_iter().map(Result::unwrap).collect();
        assert_eq!(got, want, "round {round}");
        for (which, db) in [plain, reverse].into_iter().enumerate() {
            let mut stored = collect(&env, env.range(db, RangeOptions::default()).unwrap(), 1000);
            stored.sort();
            let model: Vec<_> = maps[which].clone().into_iter().collect();
            assert_eq!(stored, model, "round {round}, database {which}");
        }
        let stored: BTreeSet<_> =
            collect(&env, env.range(dups, RangeOptions::default()).unwrap(), 1000).into_iter().collect();
        assert_eq!(stored, pairs, "round {round}, dupSort database");
    }
}

#[test]
fn a_tiny_map_grows_to_take_the_writes() {
    let dir = temp();
    let opts = EnvOptions { map_size: 1 << 20, sync: false, ..Default::default() };
    let env = Env::open(dir.path(), &opts).unwrap();
    let db = env.open_db(None, DbFlags::default(), true).unwrap();
    let value = vec![1u8; 4000];
    let mut b = BatchBuilder::new();
    for i in 0..2000u32 {
        b.push(op::PUT, 0, 0, db, &i.to_be_bytes(), Some(&value));
    }
    let results = write(&env, b.finish()).unwrap();
    assert_eq!(results[0].as_ref().unwrap(), &Outcome::Count(2000));
    assert!(env.info().unwrap().map_size >= 8 << 20);
}

#[test]
fn without_auto_grow_a_full_map_fails_and_the_env_keeps_working() {
    let dir = temp();
    let opts = EnvOptions { map_size: 1 << 20, auto_grow: false, ..Default::default() };
    let env = Env::open(dir.path(), &opts).unwrap();
    let db = env.open_db(None, DbFlags::default(), true).unwrap();
    let value = vec![1u8; 4000];
    let mut b = BatchBuilder::new();
    for i in 0..2000u32 {
        b.push(op::PUT, 0, 0, db, &i.to_be_bytes(), Some(&value));
    }
    let results = write(&env, b.finish()).unwrap();
    assert_eq!(results[0].as_ref().unwrap_err().code(), "MDB_MAP_FULL");
    assert_eq!(get(&env, db, &0u32.to_be_bytes()), None);
    write(&env, put(db, b"small", b"ok")).unwrap()[0].as_ref().unwrap();
    assert!(get(&env, db, b"small").is_some());
}

#[test]
fn dropping_the_default_db_keeps_the_named_ones() {
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let main = env.open_db(None, DbFlags::default(), true).unwrap();
    let named = env.open_db(Some("named"), DbFlags::default(), true).unwrap();
    let mut b = BatchBuilder::new();
    for i in 0..2000u32 {
        b.push(op::PUT, 0, 0, main, format!("key{i:05}").as_bytes(), Some(&[0u8; 100]));
    }
    b.push(op::PUT, 0, 1, main, b"zzz", Some(b"last"));
    write(&env, b.finish()).unwrap();
    write(&env, put(main, b"a", b"1")).unwrap();
    write(&env, put(named, b"b", b"2")).unwrap();
    let mut b = BatchBuilder::new();
    b.push(op::DROP, 0, 0, main, b"", None);
    write(&env, b.finish()).unwrap()[0].as_ref().unwrap();
    assert_eq!(get(&env, main, b"a"), None);
    assert_eq!(env.stat().unwrap().entries, 1, "only the named database's record is left");
    assert_eq!(get(&env, named, b"b").as_deref(), Some(&b"2"[..]));
    assert_eq!(env.busy().unwrap().databases().unwrap(), vec!["named".to_string()]);
}

#[test]
fn a_deleted_database_handle_fails_instead_of_reaching_another() {
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let old = env.open_db(Some("gone"), DbFlags::default(), true).unwrap();
    write(&env, put(old, b"k", b"v")).unwrap();
    let mut b = BatchBuilder::new();
    b.push(op::DROP, put_flags::DELETE_DB, 0, old, b"", None);
    write(&env, b.finish()).unwrap()[0].as_ref().unwrap();
    assert!(env.busy().unwrap().databases().unwrap().is_empty());
    let fresh = env.open_db(Some("other"), DbFlags::default(), true).unwrap();
    assert_eq!(fresh.dbi, old.dbi, "LMDB reuses the slot");
    let r = write(&env, put(old, b"k", b"v")).unwrap();
    assert!(matches!(r[0], Err(Error::BadDbi)));
    assert_eq!(env.busy().unwrap().db_stat(fresh).unwrap().entries, 0);
}

#[test]
fn a_readonly_environment_refuses_writes() {
    let dir = temp();
    Env::open(dir.path(), &EnvOptions::default()).unwrap().close();
    let env = Env::open(dir.path(), &EnvOptions { readonly: true, ..Default::default() }).unwrap();
    let db = env.open_db(None, DbFlags::default(), false).unwrap();
    assert_eq!(write(&env, put(db, b"k", b"v")).unwrap_err().code(), "EACCES");
    assert_eq!(env.open_db(Some("new"), DbFlags::default(), true).unwrap_err().code(), "EACCES");
}

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
fn a_full_map_fails_only_the_units_that_do_not_fit() {
    let dir = temp();
    let opts = EnvOptions { map_size: 1 << 20, auto_grow: false, ..Default::default() };
    let env = Env::open(dir.path(), &opts).unwrap();
    let db = env.open_db(None, DbFlags::default(), true).unwrap();
    let mut b = BatchBuilder::new();
    b.push(op::PUT, 0, 0, db, b"small", Some(b"fits"));
    for i in 0..2000u32 {
        b.push(op::PUT, 0, 1, db, &i.to_be_bytes(), Some(&[1u8; 4000]));
    }
    b.push(op::PUT, 0, 2, db, b"tiny", Some(b"fits too"));
    let results = write(&env, b.finish()).unwrap();
    assert_eq!(results[0].as_ref().unwrap(), &Outcome::Done(true));
    assert_eq!(results[1].as_ref().unwrap_err().code(), "MDB_MAP_FULL");
    assert_eq!(results[2].as_ref().unwrap(), &Outcome::Done(true));
    assert!(get(&env, db, b"small").is_some() && get(&env, db, b"tiny").is_some());
}

#[test]
fn a_failed_delete_keeps_the_handle() {
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let main = env.open_db(None, DbFlags::default(), true).unwrap();
    let mut b = BatchBuilder::new();
    b.push(op::DROP, put_flags::DELETE_DB, 0, main, b"", None);
    assert_eq!(write(&env, b.finish()).unwrap()[0].as_ref().unwrap_err().code(), "EINVAL");
    write(&env, put(main, b"k", b"v")).unwrap()[0].as_ref().unwrap();
    assert!(get(&env, main, b"k").is_some());
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
fn batches_commit_in_ticket_order_whatever_order_they_arrive_in() {
    let (_dir, env, db) = main_db();
    let first = env.ticket().unwrap();
    let skipped = env.ticket().unwrap();
    let third = env.ticket().unwrap();
    let (tx, rx) = mpsc::channel();
    let tx2 = tx.clone();
    third.submit(put(db, b"k", b"third"), move |r| tx.send((3, r.is_ok())).unwrap());
    drop(skipped);
    std::thread::sleep(Duration::from_millis(20));
    assert!(rx.try_recv().is_err(), "the third waits for the first");
    first.submit(put(db, b"k", b"first"), move |r| tx2.send((1, r.is_ok())).unwrap());
    assert_eq!(rx.recv().unwrap(), (1, true));
    assert_eq!(rx.recv().unwrap(), (3, true));
    assert_eq!(get(&env, db, b"k").as_deref(), Some(&b"third"[..]));
}

#[test]
fn compressed_values_are_stored_smaller_and_read_back_whole() {
    let (_dir, env, db) = main_db();
    let value = b"compressible ".repeat(500);
    let op = |kind, value| Op { kind, flags: 0, codec: algorithm::ZSTD, level: 0, unit: 0, db, key: b"k", value };
    let mut b = BatchBuilder::new();
    b.push_op(&op(op::PUT, Some(&value)));
    write(&env, compress_values(&b.finish()).unwrap()).unwrap()[0].as_ref().unwrap();
    // read raw: the stored bytes carry the header and are small
    let stored = get(&env, db, b"k").unwrap();
    assert_eq!(stored[0], algorithm::ZSTD);
    assert!(stored.len() < value.len() / 10);
    // read through the codec: whole again
    let mut b = BatchBuilder::new();
    b.push_op(&op(op::GET, None));
    assert_eq!(env.busy().unwrap().read_batch(&b.finish()).unwrap().data, value);
    // pop decompresses the value it returns
    let mut b = BatchBuilder::new();
    b.push_op(&op(op::POP, None));
    assert_eq!(write(&env, b.finish()).unwrap()[0].as_ref().unwrap(), &Outcome::Value(Some(value.clone())));
}

fn collect(env: &Env, mut range: Range, max: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
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

fn keys_of(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<String> {
    entries.iter().map(|(k, _)| String::from_utf8(k.clone()).unwrap()).collect()
}

#[test]
fn ranges_honour_bounds_prefix_direction_offset_and_limit_across_chunks() {
    use std::ops::Bound::*;
    let (_dir, env, db) = main_db();
    let mut b = BatchBuilder::new();
    for k in ["a", "b1", "b2", "b3", "c", "d"] {
        b.push(op::PUT, 0, 0, db, k.as_bytes(), Some(k.as_bytes()));
    }
    write(&env, b.finish()).unwrap();
    let run = |opts: RangeOptions| keys_of(&collect(&env, env.range(db, opts).unwrap(), 2));
    let o = RangeOptions::default;
    assert_eq!(run(o()), ["a", "b1", "b2", "b3", "c", "d"]);
    assert_eq!(run(RangeOptions { reverse: true, ..o() }), ["d", "c", "b3", "b2", "b1", "a"]);
    assert_eq!(
        run(RangeOptions { start: Excluded(b"b1".to_vec()), end: Included(b"c".to_vec()), ..o() }),
        ["b2", "b3", "c"]
    );
    assert_eq!(
        run(RangeOptions { start: Excluded(b"b1".to_vec()), end: Included(b"c".to_vec()), reverse: true, ..o() }),
        ["c", "b3", "b2"]
    );
    assert_eq!(run(RangeOptions { end: Excluded(b"c".to_vec()), reverse: true, ..o() }), ["b3", "b2", "b1", "a"]);
    assert_eq!(run(RangeOptions { prefix: Some(b"b".to_vec()), ..o() }), ["b1", "b2", "b3"]);
    assert_eq!(run(RangeOptions { prefix: Some(b"b".to_vec()), reverse: true, ..o() }), ["b3", "b2", "b1"]);
    assert_eq!(run(RangeOptions { offset: 1, limit: Some(3), ..o() }), ["b1", "b2", "b3"]);
    assert_eq!(run(RangeOptions { offset: 4, limit: Some(9), reverse: true, ..o() }), ["b1", "a"]);
    assert!(run(RangeOptions { prefix: Some(b"z".to_vec()), ..o() }).is_empty());
}

#[test]
fn a_range_reads_one_snapshot_while_writes_go_on() {
    let (_dir, env, db) = main_db();
    write(&env, put(db, b"a", b"1")).unwrap();
    write(&env, put(db, b"c", b"1")).unwrap();
    let mut range = env.range(db, RangeOptions::default()).unwrap();
    let first = range.next_chunk(&env.busy().unwrap(), 1).unwrap();
    assert!(!first.done);
    write(&env, put(db, b"b", b"new")).unwrap();
    let rest = collect(&env, range, 10);
    assert_eq!(keys_of(&rest), ["c"], "the key written meanwhile is not seen");
}

#[test]
fn a_chunk_of_large_values_stops_at_its_byte_limit_and_the_next_resumes() {
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions { sync: false, ..Default::default() }).unwrap();
    let db = env.open_db(None, DbFlags::default(), true).unwrap();
    let value = vec![7u8; 1 << 20];
    let mut b = BatchBuilder::new();
    for i in 0..12u8 {
        b.push(op::PUT, 0, 0, db, &[b'k', i], Some(&value));
    }
    write(&env, b.finish()).unwrap();
    let mut range = env.range(db, RangeOptions::default()).unwrap();
    let busy = env.busy().unwrap();
    let first = range.next_chunk(&busy, 4096).unwrap();
    let per_chunk = range::CHUNK_BYTES.div_ceil(value.len() + 2);
    assert_eq!(first.out.lens.len() / 2, per_chunk, "the first chunk stops at the byte limit");
    assert!(!first.done);
    drop(busy);
    let rest = collect(&env, range, 4096);
    let keys: Vec<u8> = rest.iter().map(|(k, _)| k[1]).collect();
    assert_eq!(keys, (per_chunk as u8..12).collect::<Vec<_>>(), "the rest follows in order");
    assert!(rest.iter().all(|(_, v)| *v == value));
}

#[test]
fn dupsort_ranges_resume_between_values_of_one_key() {
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let db = env.open_db(Some("dups"), DbFlags { dup_sort: true, ..Default::default() }, true).unwrap();
    let mut b = BatchBuilder::new();
    for (k, v) in [("a", "1"), ("a", "2"), ("a", "3"), ("b", "1"), ("b", "2")] {
        b.push(op::PUT, 0, 0, db, k.as_bytes(), Some(v.as_bytes()));
    }
    write(&env, b.finish()).unwrap();
    let pairs = |reverse| {
        collect(&env, env.range(db, RangeOptions { reverse, ..Default::default() }).unwrap(), 1)
            .into_iter()
            .map(|(k, v)| format!("{}{}", String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
            .collect::<Vec<_>>()
    };
    assert_eq!(pairs(false), ["a1", "a2", "a3", "b1", "b2"]);
    assert_eq!(pairs(true), ["b2", "b1", "a3", "a2", "a1"]);
}

#[test]
fn closing_the_handle_ends_its_snapshots_and_ranges() {
    let (dir, env, db) = main_db();
    write(&env, put(db, b"k", b"v")).unwrap();
    let snapshot = env.snapshot().unwrap();
    let mut range = env.range(db, RangeOptions::default()).unwrap();
    assert!(env.info().unwrap().num_readers >= 2);
    env.close();
    assert!(!snapshot.is_open());
    assert!(matches!(env.busy(), Err(Error::Closed(_))));
    range.close();
    drop(snapshot);
    let again = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    assert_eq!(again.info().unwrap().num_readers, 0, "no reader slot left behind");
}

#[test]
fn a_twin_reads_what_its_snapshot_reads_and_none_comes_after_a_commit() {
    let (_dir, env, db) = main_db();
    write(&env, put(db, b"k", b"old")).unwrap();
    let snapshot = env.snapshot().unwrap();
    let twin = snapshot.twin().unwrap().expect("no commit came between");
    write(&env, put(db, b"k", b"new")).unwrap();
    let read = |s: &Snapshot| {
        let mut b = BatchBuilder::new();
        b.push(op::GET, 0, 0, db, b"k", None);
        s.read_batch(&env.busy().unwrap(), &b.finish()).unwrap().data
    };
    assert_eq!((read(&snapshot), read(&twin)), (b"old".to_vec(), b"old".to_vec()));
    assert!(snapshot.twin().unwrap().is_none(), "a commit landed since the snapshot was taken");
    twin.close();
    assert_eq!(read(&snapshot), b"old");
}

fn exec(txn: &WriteTxn, bytes: Vec<u8>) -> BatchResult {
    let (tx, rx) = mpsc::channel();
    txn.exec(txn.env().busy().unwrap(), bytes, move |r| tx.send(r).unwrap());
    rx.recv_timeout(Duration::from_secs(60)).expect("exec settled")
}

fn end(txn: &WriteTxn, commit: bool) -> Result<()> {
    let (tx, rx) = mpsc::channel();
    txn.end(commit, move |r| tx.send(r).unwrap());
    rx.recv_timeout(Duration::from_secs(60)).expect("end settled")
}

fn nest(txn: &WriteTxn, action: Nest) -> Result<()> {
    let (tx, rx) = mpsc::channel();
    txn.nested(action, move |r| tx.send(r).unwrap());
    rx.recv_timeout(Duration::from_secs(60)).expect("nested settled")
}

fn read_in_txn(txn: &WriteTxn, db: DbRef, key: &[u8]) -> Option<Vec<u8>> {
    let mut b = BatchBuilder::new();
    b.push(op::GET, 0, 0, db, key, None);
    match exec(txn, b.finish()).unwrap().remove(0).unwrap() {
        Outcome::Value(v) => v,
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_explicit_transaction_sees_its_writes_and_shows_them_only_on_commit() {
    let (_dir, env, db) = main_db();
    let txn = env.begin_write().unwrap();
    exec(&txn, put(db, b"k", b"in txn")).unwrap()[0].as_ref().unwrap();
    assert_eq!(read_in_txn(&txn, db, b"k").as_deref(), Some(&b"in txn"[..]));
    assert_eq!(get(&env, db, b"k"), None, "not visible before commit");
    // a batch issued meanwhile waits for the transaction
    let (tx, rx) = mpsc::channel();
    env.write(put(db, b"after", b"1"), move |r| tx.send(r.is_ok()).unwrap());
    std::thread::sleep(Duration::from_millis(20));
    assert!(rx.try_recv().is_err(), "later writes wait for the open transaction");
    end(&txn, true).unwrap();
    assert!(rx.recv().unwrap());
    assert_eq!(get(&env, db, b"k").as_deref(), Some(&b"in txn"[..]));
}

#[test]
fn an_aborted_transaction_leaves_nothing_and_a_nested_abort_undoes_only_itself() {
    let (_dir, env, db) = main_db();
    let txn = env.begin_write().unwrap();
    exec(&txn, put(db, b"outer", b"1")).unwrap();
    nest(&txn, Nest::Begin).unwrap();
    exec(&txn, put(db, b"inner", b"1")).unwrap();
    assert!(read_in_txn(&txn, db, b"inner").is_some());
    nest(&txn, Nest::Abort).unwrap();
    assert!(read_in_txn(&txn, db, b"inner").is_none());
    nest(&txn, Nest::Begin).unwrap();
    exec(&txn, put(db, b"kept", b"1")).unwrap();
    nest(&txn, Nest::Commit).unwrap();
    end(&txn, true).unwrap();
    assert!(get(&env, db, b"outer").is_some() && get(&env, db, b"kept").is_some());
    assert!(get(&env, db, b"inner").is_none());

    let txn = env.begin_write().unwrap();
    exec(&txn, put(db, b"gone", b"1")).unwrap();
    end(&txn, false).unwrap();
    assert!(get(&env, db, b"gone").is_none());
    assert_eq!(end(&txn, true).unwrap_err().code(), "CLOSED");
}

#[test]
fn closing_the_handle_aborts_a_hanging_transaction_instead_of_waiting_for_it() {
    let (dir, env, db) = main_db();
    let hanging = env.begin_write().unwrap();
    exec(&hanging, put(db, b"never", b"1")).unwrap();
    let behind = env.begin_write().unwrap(); // waits for the first
    let (tx, rx) = mpsc::channel();
    behind.exec(env.busy().unwrap(), put(db, b"also never", b"1"), move |r| tx.send(r.is_ok()).unwrap());
    env.close(); // must not wait for ever
    rx.recv().unwrap(); // the call issued before close settled (its transaction then aborted)
    drop((hanging, behind));
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let db = env.open_db(None, DbFlags::default(), false).unwrap();
    assert!(get(&env, db, b"never").is_none() && get(&env, db, b"also never").is_none());
}

#[test]
fn a_database_created_in_an_aborted_transaction_is_not_left_open() {
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let txn = env.begin_write().unwrap();
    exec(&txn, put(env.open_db(None, DbFlags::default(), true).unwrap(), b"k", b"v")).unwrap();
    let created = env.open_db(Some("fresh"), DbFlags::default(), true).unwrap();
    exec(&txn, put(created, b"k", b"v")).unwrap()[0].as_ref().unwrap();
    end(&txn, false).unwrap();
    assert!(env.busy().unwrap().databases().unwrap().is_empty());
    let r = write(&env, put(created, b"k", b"v")).unwrap();
    assert_eq!(r[0].as_ref().unwrap_err().code(), "MDB_BAD_DBI");
    let again = env.open_db(Some("fresh"), DbFlags::default(), true).unwrap();
    write(&env, put(again, b"k", b"v")).unwrap()[0].as_ref().unwrap();
}

#[test]
fn an_exclusive_transaction_runs_on_the_calling_thread_after_the_writes_before_it() {
    let (_dir, env, db) = main_db();
    let (tx, rx) = mpsc::channel();
    env.write(put(db, b"before", b"1"), move |r| tx.send(r.is_ok()).unwrap());
    let mut ex = env.exclusive().unwrap();
    assert!(rx.recv().unwrap(), "the write queued before it committed first");
    let mut b = BatchBuilder::new();
    b.push(op::GET, 0, 0, db, b"before", None).push(op::PUT, 0, 1, db, b"mine", Some(b"2"));
    let r = ex.exec(&b.finish()).unwrap();
    assert_eq!(r[0].as_ref().unwrap(), &Outcome::Value(Some(b"1".to_vec())));
    ex.end(true).unwrap();
    drop(ex);
    assert!(get(&env, db, b"mine").is_some());
    write(&env, put(db, b"later", b"3")).unwrap()[0].as_ref().unwrap();
}

fn packed(k: &str, v: &str) -> Vec<u8> {
    let mut out = (k.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(v.as_bytes());
    out
}

/// Runs one cursor move from `at` with `arg`; the entry as "kv", or None.
fn mv(env: &Env, db: DbRef, m: u8, at: Option<(&str, &str)>, arg: Option<(&str, &str)>) -> Option<String> {
    let at = at.map(|(k, v)| packed(k, v)).unwrap_or_default();
    let arg = arg.map(|(k, v)| packed(k, v));
    let mut b = BatchBuilder::new();
    b.push_op(&Op { kind: op::CURSOR, flags: m, codec: 0, level: 0, unit: 0, db, key: &at, value: arg.as_deref() });
    let out = env.busy().unwrap().read_batch(&b.finish()).unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    if out.lens[0] < 0 {
        return None;
    }
    if m == moves::COUNT {
        return Some(u64::from_le_bytes(out.data[..8].try_into().unwrap()).to_string());
    }
    // after the key's length come the key and the value: "kv"
    Some(std::str::from_utf8(&out.data[4..]).unwrap().to_owned())
}

#[test]
fn cursor_moves_follow_lmdb_from_a_remembered_position() {
    use moves::*;
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let db = env.open_db(Some("d"), DbFlags { dup_sort: true, ..Default::default() }, true).unwrap();
    let mut b = BatchBuilder::new();
    for (k, v) in [("a", "1"), ("a", "2"), ("a", "3"), ("b", "1")] {
        b.push(op::PUT, 0, 0, db, k.as_bytes(), Some(v.as_bytes()));
    }
    write(&env, b.finish()).unwrap();
    let m = |mv_: u8, at, arg| mv(&env, db, mv_, at, arg);
    assert_eq!(m(FIRST, None, None).as_deref(), Some("a1"));
    assert_eq!(m(LAST, None, None).as_deref(), Some("b1"));
    assert_eq!(m(NEXT, None, None).as_deref(), Some("a1"), "an unpositioned next starts at the first");
    assert_eq!(m(NEXT, Some(("a", "1")), None).as_deref(), Some("a2"));
    assert_eq!(m(NEXT_NODUP, Some(("a", "2")), None).as_deref(), Some("b1"));
    assert_eq!(m(PREV, Some(("b", "1")), None).as_deref(), Some("a3"));
    assert_eq!(m(NEXT_DUP, Some(("a", "3")), None), None);
    assert_eq!(m(LAST_DUP, Some(("a", "1")), None).as_deref(), Some("a3"));
    assert_eq!(m(FIRST_DUP, Some(("a", "3")), None).as_deref(), Some("a1"));
    assert_eq!(m(COUNT, Some(("a", "2")), None).as_deref(), Some("3"));
    assert_eq!(m(COUNT, None, Some(("b", ""))).as_deref(), Some("1"));
    assert_eq!(m(SEEK, None, Some(("b", ""))).as_deref(), Some("b1"));
    assert_eq!(m(SEEK, None, Some(("ab", ""))), None);
    assert_eq!(m(SEEK_RANGE, None, Some(("ab", ""))).as_deref(), Some("b1"));
    assert_eq!(m(SEEK_DUP, None, Some(("a", "2"))).as_deref(), Some("a2"));
    assert_eq!(m(SEEK_RANGE_DUP, None, Some(("a", "15"))).as_deref(), Some("a2"));
    // the remembered entry is gone: next lands on what followed it
    let mut b = BatchBuilder::new();
    b.push(op::DELETE, 0, 0, db, b"a", Some(b"2"));
    write(&env, b.finish()).unwrap();
    assert_eq!(m(NEXT, Some(("a", "2")), None).as_deref(), Some("a3"));
    assert_eq!(m(PREV, Some(("a", "2")), None).as_deref(), Some("a1"));
    assert_eq!(m(CURRENT, Some(("a", "2")), None).as_deref(), Some("a3"));
    assert_eq!(m(NEXT, Some(("b", "1")), None), None);
}

#[test]
fn cursor_many_hands_out_a_run_of_entries_from_the_position() {
    let (_dir, env, db) = main_db();
    let mut b = BatchBuilder::new();
    for k in ["a", "b", "c", "d"] {
        b.push(op::PUT, 0, 0, db, k.as_bytes(), Some(b"v"));
    }
    write(&env, b.finish()).unwrap();
    let run = |m: u8, at: Option<(&str, &str)>, count: u32| -> Vec<String> {
        let at = at.map(|(k, v)| packed(k, v)).unwrap_or_default();
        let mut b = BatchBuilder::new();
        let arg = count.to_le_bytes();
        b.push_op(&Op { kind: op::CURSOR, flags: m, codec: 0, level: 0, unit: 0, db, key: &at, value: Some(&arg) });
        let out = env.busy().unwrap().read_batch(&b.finish()).unwrap();
        let mut data = &out.data[..];
        let mut keys = Vec::new();
        while !data.is_empty() {
            let klen = u32::from_le_bytes(data[..4].try_into().unwrap()) as usize;
            let vlen = u32::from_le_bytes(data[4..8].try_into().unwrap()) as usize;
            keys.push(String::from_utf8(data[8..8 + klen].to_vec()).unwrap());
            data = &data[8 + klen + vlen..];
        }
        keys
    };
    assert_eq!(run(moves::NEXT_MANY, None, 3), ["a", "b", "c"]);
    assert_eq!(run(moves::NEXT_MANY, Some(("b", "v")), 10), ["c", "d"]);
    assert_eq!(run(moves::PREV_MANY, Some(("c", "v")), 10), ["b", "a"]);
    assert_eq!(run(moves::PREV_MANY, None, 2), ["d", "c"]);
    assert!(run(moves::NEXT_MANY, Some(("d", "v")), 5).is_empty());
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

#[test]
fn an_explicit_transaction_that_fills_the_map_is_replayed_in_a_grown_one() {
    let dir = temp();
    let opts = EnvOptions { map_size: 1 << 20, sync: false, ..Default::default() };
    let env = Env::open(dir.path(), &opts).unwrap();
    let db = env.open_db(None, DbFlags::default(), true).unwrap();
    write(&env, put(db, b"old", b"before")).unwrap();
    let value = vec![7u8; 64 << 10];
    let mut txn = env.exclusive().unwrap();
    // what the first run reported must hold after the replays
    let mut b = BatchBuilder::new();
    b.push(op::REPLACE, 0, 0, db, b"old", Some(b"after"));
    assert_eq!(txn.exec(&b.finish()).unwrap()[0].as_ref().unwrap(), &Outcome::Value(Some(b"before".to_vec())));
    // 2.5 MiB, one value at a time, into a 1 MiB map
    for i in 0..40u32 {
        let results = txn.exec(&put(db, &i.to_be_bytes(), &value)).unwrap();
        assert_eq!(results[0].as_ref().unwrap(), &Outcome::Done(true), "put {i}");
    }
    txn.nested(Nest::Begin).unwrap();
    txn.exec(&put(db, b"nested", b"n")).unwrap()[0].as_ref().unwrap();
    txn.end(true).unwrap();
    assert!(env.info().unwrap().map_size >= 4 << 20);
    assert_eq!(get(&env, db, b"old").as_deref(), Some(&b"after"[..]));
    assert_eq!(get(&env, db, b"nested").as_deref(), Some(&b"n"[..]));
    for i in 0..40u32 {
        assert_eq!(get(&env, db, &i.to_be_bytes()), Some(value.clone()), "value {i}");
    }
}

#[test]
fn without_auto_grow_an_explicit_transaction_that_fills_the_map_fails() {
    let dir = temp();
    let opts = EnvOptions { map_size: 1 << 20, auto_grow: false, sync: false, ..Default::default() };
    let env = Env::open(dir.path(), &opts).unwrap();
    let db = env.open_db(None, DbFlags::default(), true).unwrap();
    let value = vec![7u8; 64 << 10];
    let mut txn = env.exclusive().unwrap();
    let full = (0..40u32).find_map(|i| txn.exec(&put(db, &i.to_be_bytes(), &value)).unwrap().remove(0).err());
    assert_eq!(full.map(|e| e.code()), Some("MDB_MAP_FULL"));
    assert_eq!(txn.end(true).unwrap_err().code(), "MDB_MAP_FULL");
    assert_eq!(env.info().unwrap().map_size, 1 << 20);
    assert_eq!(get(&env, db, &0u32.to_be_bytes()), None);
}
