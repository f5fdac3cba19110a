//! Writes through the writer thread: group commit, parts, units that fail
//! alone, key order, full maps, dropped and deleted databases, ticket order,
//! compressed values.

use std::sync::mpsc;
use std::time::Duration;

use lmdb_napi_core::*;

mod common;
use common::*;

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
fn ensure_puts_an_absent_value_accepts_its_own_and_fails_the_unit_on_another_wherever_it_stands() {
    let (_dir, env, db) = main_db();
    let mut b = BatchBuilder::new();
    // unit 0 puts the structure and a value; unit 1 finds it in place
    b.push(op::ENSURE, 0, 0, db, b"s", Some(b"A")).push(op::PUT, 0, 0, db, b"k1", Some(b"1"));
    b.push(op::ENSURE, 0, 1, db, b"s", Some(b"A")).push(op::PUT, 0, 1, db, b"k2", Some(b"2"));
    // unit 2 expected another: nothing of it is written
    b.push(op::ENSURE, 0, 2, db, b"s", Some(b"B")).push(op::PUT, 0, 2, db, b"k3", Some(b"3"));
    // unit 3 stores a second one, then fails on the first: what it stored stays (a structure no value names)
    b.push(op::ENSURE, 0, 3, db, b"t", Some(b"T")).push(op::ENSURE, 0, 3, db, b"s", Some(b"C"));
    b.push(op::PUT, 0, 3, db, b"k4", Some(b"4"));
    // units 4 and 5 carry theirs at the tail: applied first all the same
    b.push(op::PUT, 0, 4, db, b"k5", Some(b"5")).push(op::PUT, 0, 4, db, b"k6", Some(b"6"));
    b.push(op::ENSURE, 0, 4, db, b"u", Some(b"U"));
    b.push(op::PUT, 0, 5, db, b"k7", Some(b"7")).push(op::ENSURE, 0, 5, db, b"s", Some(b"D"));
    let results = write(&env, b.finish()).unwrap();
    assert_eq!(results[0].as_ref().unwrap(), &Outcome::Done(true), "the result is the put's");
    assert_eq!(results[1].as_ref().unwrap(), &Outcome::Done(true));
    assert_eq!(results[2].as_ref().unwrap_err().code(), "MDB_KEYEXIST");
    assert_eq!(results[3].as_ref().unwrap_err().code(), "MDB_KEYEXIST");
    assert_eq!(results[4].as_ref().unwrap(), &Outcome::Count(2), "the count is the puts'");
    assert_eq!(results[5].as_ref().unwrap_err().code(), "MDB_KEYEXIST");
    assert_eq!(get(&env, db, b"u").as_deref(), Some(&b"U"[..]));
    assert!(get(&env, db, b"k5").is_some() && get(&env, db, b"k7").is_none());
    assert_eq!(get(&env, db, b"s").as_deref(), Some(&b"A"[..]));
    assert!(get(&env, db, b"k1").is_some() && get(&env, db, b"k2").is_some());
    assert_eq!((get(&env, db, b"k3"), get(&env, db, b"k4")), (None, None));
    assert_eq!(get(&env, db, b"t").as_deref(), Some(&b"T"[..]));
}

#[test]
fn ensure_as_carries_another_units_ensures_which_hold_even_when_that_unit_fails() {
    let (_dir, env, db) = main_db();
    let mut b = BatchBuilder::new();
    // unit 0 carries two structures, then fails (an append below the last key): none of it is written
    b.push(op::PUT, 0, 0, db, b"z", Some(b"last")).push(op::ENSURE, 0, 0, db, b"s", Some(b"A"));
    b.push(op::ENSURE, 0, 0, db, b"t", Some(b"T")).push(op::PUT, put_flags::APPEND, 0, db, b"a", Some(b"0"));
    // units 1 and 2 name unit 0's: each stores them as if it carried them
    b.push(op::ENSURE_AS, 0, 1, db, &0u32.to_le_bytes(), None).push(op::PUT, 0, 1, db, b"k1", Some(b"1"));
    b.push(op::PUT, 0, 2, db, b"k2", Some(b"2")).push(op::ENSURE_AS, 0, 2, db, &0u32.to_le_bytes(), None);
    let results = write(&env, b.finish()).unwrap();
    assert_eq!(results[0].as_ref().unwrap_err().code(), "MDB_KEYEXIST");
    assert_eq!(results[1].as_ref().unwrap(), &Outcome::Done(true), "the result is the put's");
    assert_eq!(results[2].as_ref().unwrap(), &Outcome::Done(true));
    assert_eq!((get(&env, db, b"s").as_deref(), get(&env, db, b"t").as_deref()), (Some(&b"A"[..]), Some(&b"T"[..])));
    assert!(get(&env, db, b"k1").is_some() && get(&env, db, b"k2").is_some() && get(&env, db, b"z").is_none());

    // another structure under one of the ids: every unit naming those ensures fails, as the carrier does
    let mut b = BatchBuilder::new();
    b.push(op::ENSURE, 0, 0, db, b"s", Some(b"B")).push(op::PUT, 0, 0, db, b"k3", Some(b"3"));
    b.push(op::ENSURE_AS, 0, 1, db, &0u32.to_le_bytes(), None).push(op::PUT, 0, 1, db, b"k4", Some(b"4"));
    b.push(op::PUT, 0, 2, db, b"k5", Some(b"5"));
    let results = write(&env, b.finish()).unwrap();
    assert_eq!(results[0].as_ref().unwrap_err().code(), "MDB_KEYEXIST");
    assert_eq!(results[1].as_ref().unwrap_err().code(), "MDB_KEYEXIST");
    assert_eq!(results[2].as_ref().unwrap(), &Outcome::Done(true));
    assert_eq!((get(&env, db, b"k3"), get(&env, db, b"k4")), (None, None));
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

/// A batch of 2,000 puts of 4,000 bytes: far more than a 1 MiB map holds.
fn eight_megabytes(db: DbRef) -> Vec<u8> {
    let value = vec![1u8; 4000];
    let mut b = BatchBuilder::new();
    for i in 0..2000u32 {
        b.push(op::PUT, 0, 0, db, &i.to_be_bytes(), Some(&value));
    }
    b.finish()
}

#[test]
fn a_tiny_map_grows_to_take_the_writes() {
    let (_dir, env, db) = env_with(&EnvOptions { map_size: 1 << 20, sync: false, ..Default::default() });
    let results = write(&env, eight_megabytes(db)).unwrap();
    assert_eq!(results[0].as_ref().unwrap(), &Outcome::Count(2000));
    assert!(env.info().unwrap().map_size >= 8 << 20);
}

#[test]
fn without_auto_grow_a_full_map_fails_and_the_env_keeps_working() {
    let (_dir, env, db) = env_with(&EnvOptions { map_size: 1 << 20, auto_grow: false, ..Default::default() });
    let results = write(&env, eight_megabytes(db)).unwrap();
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
fn a_full_map_fails_only_the_units_that_do_not_fit() {
    let (_dir, env, db) = env_with(&EnvOptions { map_size: 1 << 20, auto_grow: false, ..Default::default() });
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
    let op = |kind, value| Op {
        kind,
        flags: 0,
        codec: algorithm::ZSTD,
        level: 0,
        unit: 0,
        db,
        key: b"k",
        value,
        expect: None,
    };
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
