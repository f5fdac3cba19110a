//! Explicit write transactions: commit and abort, nested ones, close,
//! `transactionSync`'s exclusive turn, and replay in a grown map.

use std::sync::mpsc;
use std::time::Duration;

use lmdb_napi_core::*;

mod common;
use common::*;

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
fn a_unit_sent_whole_that_fails_fails_the_transaction_even_when_told_to_commit() {
    let (_dir, env, db) = main_db();
    let txn = env.begin_write().unwrap();
    let whole = |bytes: Vec<u8>| {
        let (tx, rx) = mpsc::channel();
        txn.exec_whole(txn.env().busy().unwrap(), bytes, move |r| tx.send(r).unwrap());
        rx.recv_timeout(Duration::from_secs(60)).expect("exec settled")
    };
    // the parts of one unit: the first is written, the second fails (an append below its key)
    whole(put(db, b"m", b"1")).unwrap()[0].as_ref().unwrap();
    let mut b = BatchBuilder::new();
    b.push(op::PUT, put_flags::APPEND, 0, db, b"a", Some(b"2"));
    assert!(whole(b.finish()).unwrap()[0].is_err());
    assert!(whole(put(db, b"z", b"3")).is_err(), "what comes after the failure fails too");
    assert!(end(&txn, true).is_err(), "told to commit, it aborts");
    assert_eq!(get(&env, db, b"m"), None);
    // a transaction whose parts all pass commits as any
    let txn = env.begin_write().unwrap();
    let (tx, rx) = mpsc::channel();
    txn.exec_whole(txn.env().busy().unwrap(), put(db, b"m", b"1"), move |r| tx.send(r).unwrap());
    rx.recv().unwrap().unwrap();
    end(&txn, true).unwrap();
    assert_eq!(get(&env, db, b"m").as_deref(), Some(&b"1"[..]));
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

#[test]
fn an_explicit_transaction_that_fills_the_map_is_replayed_in_a_grown_one() {
    let (_dir, env, db) = env_with(&EnvOptions { map_size: 1 << 20, sync: false, ..Default::default() });
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
    let (_dir, env, db) =
        env_with(&EnvOptions { map_size: 1 << 20, auto_grow: false, sync: false, ..Default::default() });
    let value = vec![7u8; 64 << 10];
    let mut txn = env.exclusive().unwrap();
    let full = (0..40u32).find_map(|i| txn.exec(&put(db, &i.to_be_bytes(), &value)).unwrap().remove(0).err());
    assert_eq!(full.map(|e| e.code()), Some("MDB_MAP_FULL"));
    assert_eq!(txn.end(true).unwrap_err().code(), "MDB_MAP_FULL");
    assert_eq!(env.info().unwrap().map_size, 1 << 20);
    assert_eq!(get(&env, db, &0u32.to_be_bytes()), None);
}

#[test]
fn the_last_handle_let_go_on_the_writer_thread_amid_a_transaction_closes_the_environment_after_it() {
    for _ in 0..20 {
        let (dir, env, db) = main_db();
        let txn = env.begin_write().unwrap();
        exec(&txn, put(db, b"never", b"1")).unwrap();
        let busy = env.busy().unwrap();
        let holder = std::sync::Arc::new(std::sync::Mutex::new(Some((env, txn))));
        let (tx, rx) = mpsc::channel();
        let held = holder.clone();
        // the callback runs on the writer thread, which lets go of the last
        // handle there while the transaction is still open
        let guard = holder.lock().unwrap();
        guard.as_ref().unwrap().1.exec(busy, put(db, b"also never", b"1"), move |_| {
            drop(held.lock().unwrap().take());
            tx.send(()).unwrap();
        });
        drop(guard);
        rx.recv_timeout(Duration::from_secs(60)).expect("exec settled");
        // the environment closes once the writer has ended the transaction;
        // an open of it meanwhile waits for that
        let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
        let db = env.open_db(None, DbFlags::default(), false).unwrap();
        assert!(get(&env, db, b"never").is_none() && get(&env, db, b"also never").is_none());
        write(&env, put(db, b"k", b"v")).unwrap()[0].as_ref().unwrap();
    }
}
