//! Panics turned into errors. A bug in Rust code must fail the call that hit
//! it with an error naming the panic, not abort the process (a panic that
//! crosses into C, LMDB's callers or libuv's, aborts) nor end the writer
//! thread, and with it every later write of the environment.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Result};

/// Runs `work`, turning a panic into [`Error::Panic`] with its message.
/// Whatever `work` held is dropped as it unwinds: open transactions abort
/// and locks are released.
pub fn guard<T>(work: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| Err(Error::Panic(message(&*payload))))
}

/// The text a panic was raised with (`panic!("…")`), when it has one.
fn message(payload: &(dyn Any + Send)) -> String {
    match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(text), _) => (*text).to_owned(),
        (_, Some(text)) => text.clone(),
        _ => "no message".to_owned(),
    }
}

/// A key that makes the write applying it panic, so tests can check that
/// every path of the writer survives a panic. Compiled into tests only.
#[cfg(test)]
pub(crate) const TRIGGER: &[u8] = b"\xfftest: panic while writing this key";

/// Panics on the test trigger key.
#[cfg(test)]
pub(crate) fn injected(key: &[u8]) {
    if key == TRIGGER {
        panic!("injected by a test");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::TRIGGER;
    use crate::*;

    fn put(db: DbRef, key: &[u8], value: &[u8]) -> Vec<u8> {
        let mut b = BatchBuilder::new();
        b.push(op::PUT, 0, 0, db, key, Some(value));
        b.finish()
    }

    fn settled<T>(send: impl FnOnce(mpsc::Sender<T>)) -> T {
        let (tx, rx) = mpsc::channel();
        send(tx);
        rx.recv_timeout(Duration::from_secs(60)).expect("settled")
    }

    fn is_panic<T: std::fmt::Debug>(result: &Result<T>) -> bool {
        matches!(result, Err(e @ Error::Panic(_)) if e.code() == "PANIC" && e.to_string().contains("panic"))
    }

    /// The writer still serves (a batch, a transaction, a new database) and
    /// what it writes is there.
    fn writer_still_serves(env: &Env, db: DbRef, key: &[u8]) {
        let r = settled(|tx| env.write(put(db, key, b"v"), move |r| tx.send(r).unwrap()));
        assert!(r.unwrap()[0].is_ok());
        let txn = env.begin_write().unwrap();
        let r = settled(|tx| txn.exec(env.busy().unwrap(), put(db, b"in txn", b"v"), move |r| tx.send(r).unwrap()));
        assert!(r.unwrap()[0].is_ok());
        settled(|tx| txn.end(true, move |r| tx.send(r).unwrap())).unwrap();
        env.open_db(Some(&format!("after {}", key.len())), DbFlags::default(), true).unwrap();
        let mut b = BatchBuilder::new();
        b.push(op::GET, 0, 0, db, key, None);
        b.push(op::GET, 1, 0, db, b"in txn", None);
        let out = env.busy().unwrap().read_batch(&b.finish()).unwrap();
        assert_eq!((out.lens.len(), out.errors.len()), (2, 0));
        assert!(out.lens.iter().all(|&len| len == 1));
    }

    fn fresh() -> (tempfile::TempDir, Env, DbRef) {
        let dir = tempfile::tempdir().unwrap();
        let options = EnvOptions { max_dbs: 8, ..EnvOptions::default() };
        let env = Env::open(dir.path(), &options).unwrap();
        let db = env.open_db(None, DbFlags::default(), true).unwrap();
        (dir, env, db)
    }

    #[test]
    fn a_panic_in_a_batch_rejects_it_and_the_writer_goes_on() {
        let (_dir, env, db) = fresh();
        let r = settled(|tx| env.write(put(db, TRIGGER, b"x"), move |r| tx.send(r).unwrap()));
        assert!(is_panic(&r), "{r:?}");
        writer_still_serves(&env, db, b"after a batch");
    }

    #[test]
    fn a_panic_in_an_explicit_transaction_fails_it_and_the_writer_goes_on() {
        let (_dir, env, db) = fresh();
        let txn = env.begin_write().unwrap();
        let exec = |bytes| settled(|tx| txn.exec(env.busy().unwrap(), bytes, move |r| tx.send(r).unwrap()));
        assert!(exec(put(db, b"before", b"x")).unwrap()[0].is_ok());
        assert!(is_panic(&exec(put(db, TRIGGER, b"x"))));
        // poisoned: it can only abort, and nothing of it lands
        assert!(is_panic(&exec(put(db, b"later", b"x"))));
        assert!(is_panic(&settled(|tx| txn.end(true, move |r| tx.send(r).unwrap()))));
        writer_still_serves(&env, db, b"after a transaction");
        let mut b = BatchBuilder::new();
        b.push(op::GET, 0, 0, db, b"before", None);
        assert_eq!(env.busy().unwrap().read_batch(&b.finish()).unwrap().lens, vec![NOT_FOUND]);
    }

    #[test]
    fn a_panic_in_a_transaction_on_the_calling_thread_fails_it_and_the_writer_goes_on() {
        let (_dir, env, db) = fresh();
        let mut ex = env.exclusive().unwrap();
        assert!(is_panic(&ex.exec(&put(db, TRIGGER, b"x"))));
        assert!(is_panic(&ex.nested(Nest::Begin)));
        assert!(is_panic(&ex.end(true)));
        drop(ex);
        writer_still_serves(&env, db, b"after transactionSync");
    }
}
