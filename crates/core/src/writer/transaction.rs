//! Explicit write transactions: `env.transaction(fn)` and `transactionSync`,
//! the handles JavaScript drives them through.
//!
//! An explicit transaction takes a turn in the order of writes. When its
//! turn comes, the writer thread begins it and serves its messages (batches
//! of operations, reads included, nested transactions, the end; `handle`)
//! until it commits or aborts; later turns wait. JavaScript drives it between
//! messages, so the gate is held per message, not across them: LMDB itself
//! refuses to resize the map while a write transaction is open.
//!
//! `Exclusive` (for `transactionSync`) takes a turn that makes the writer
//! step aside, and runs the transaction on the calling thread instead.
//!
//! What an open transaction is, and how it is replayed, is in `open.rs`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;

use parking_lot::Mutex;

use super::msg::{BatchResult, Begin, Msg, Nest, Turn, TxnMsg};
use super::open::Open;
use crate::env::{Busy, Env, Lease};
use crate::error::{Error, Result};
use crate::panic::guard;
use crate::range::{Chunk, Walk};

/// What a handle knows of its open transactions, to abort them on close.
struct TxnLink {
    id: u64,
    tx: Sender<Msg>,
    ended: AtomicBool,
}

impl TxnLink {
    /// Aborts the transaction unless it has ended (close of its handle).
    fn abort(&self) {
        if !self.ended.swap(true, Ordering::AcqRel) {
            let _ = self.tx.send(Msg::Txn(self.id, TxnMsg::End { commit: false, done: Box::new(|_| {}) }));
        }
    }
}

impl Lease for TxnLink {
    fn end_on_close(&self) {
        self.abort();
    }
}

/// An explicit write transaction, run by the writer thread.
pub struct WriteTxn {
    env: Env,
    link: Arc<TxnLink>,
}

impl Env {
    /// Begins an explicit write transaction in the next place in the order
    /// of writes. It starts when the turns ahead of it are done; messages
    /// sent meanwhile wait for it.
    pub fn begin_write(&self) -> Result<WriteTxn> {
        let ticket = self.ticket()?;
        let id = ticket.sender_seq();
        let link = Arc::new(TxnLink { id, tx: ticket.sender().clone(), ended: AtomicBool::new(false) });
        // The turn holds no `Busy`: a transaction left hanging must not keep
        // `close` waiting (close aborts it instead).
        ticket.take(|_busy| Turn::Begin(Begin { id }))?;
        self.track(Arc::downgrade(&link) as std::sync::Weak<dyn Lease>);
        Ok(WriteTxn { env: self.clone(), link })
    }
}

impl WriteTxn {
    /// The handle the transaction belongs to.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Runs a batch (see `batch.rs`; reads too) in the innermost open
    /// transaction. `busy` is an operation of the transaction's handle, taken
    /// when the call was made.
    pub fn exec(&self, busy: Busy, bytes: Vec<u8>, done: impl FnOnce(BatchResult) + Send + 'static) {
        self.exec_as(busy, bytes, false, done);
    }

    /// `exec`, where a unit that fails fails the whole transaction, which
    /// then aborts at its end whatever it is told: the parts of one unit too
    /// large to be packed before the writer starts on it (a large `putMany`),
    /// sent with the transaction's end right behind them.
    pub fn exec_whole(&self, busy: Busy, bytes: Vec<u8>, done: impl FnOnce(BatchResult) + Send + 'static) {
        self.exec_as(busy, bytes, true, done);
    }

    fn exec_as(&self, busy: Busy, bytes: Vec<u8>, whole: bool, done: impl FnOnce(BatchResult) + Send + 'static) {
        if self.link.ended.load(Ordering::Acquire) {
            return done(Err(Error::Closed("transaction")));
        }
        self.send(TxnMsg::Exec { bytes, whole, done: Box::new(done), busy });
    }

    /// Reads the next chunk (at most `max` entries) of `walk` in the
    /// innermost open transaction: it sees the transaction's writes.
    pub fn range(
        &self,
        busy: Busy,
        walk: Arc<Mutex<Walk>>,
        max: usize,
        done: impl FnOnce(Result<Chunk>) + Send + 'static,
    ) {
        if self.link.ended.load(Ordering::Acquire) {
            return done(Err(Error::Closed("transaction")));
        }
        self.send(TxnMsg::Range { walk, max, done: Box::new(done), busy });
    }

    /// Begins, commits or aborts a nested transaction.
    pub fn nested(&self, action: Nest, done: impl FnOnce(Result<()>) + Send + 'static) {
        // after the end the writer no longer serves it: the message would wait for ever
        if self.link.ended.load(Ordering::Acquire) {
            return done(Err(Error::Closed("transaction")));
        }
        self.send(TxnMsg::Nested { action, done: Box::new(done) });
    }

    /// Commits or aborts the transaction. Later messages fail with `Closed`.
    pub fn end(&self, commit: bool, done: impl FnOnce(Result<()>) + Send + 'static) {
        if self.link.ended.swap(true, Ordering::AcqRel) {
            return done(Err(Error::Closed("transaction")));
        }
        self.send(TxnMsg::End { commit, done: Box::new(done) });
    }

    fn send(&self, msg: TxnMsg) {
        if let Err(mpsc::SendError(Msg::Txn(_, msg))) = self.link.tx.send(Msg::Txn(self.link.id, msg)) {
            msg.refuse(Error::Closed("environment"));
        }
    }
}

impl Drop for WriteTxn {
    /// A transaction dropped unended aborts.
    fn drop(&mut self) {
        self.link.abort();
    }
}

/// Serves a message of the open transaction; true when it ended it.
pub(super) fn handle(shared: &crate::env::Shared, msg: TxnMsg, open: &mut Option<Open>) -> bool {
    match msg {
        TxnMsg::Exec { bytes, whole, done, busy } => {
            let result = open.as_mut().expect("open").guarded(|open| match whole {
                true => open.exec_whole(shared, &bytes),
                false => open.exec(shared, &bytes),
            });
            drop(busy);
            done(result);
            false
        }
        TxnMsg::Range { walk, max, done, busy } => {
            let result = open.as_mut().expect("open").guarded(|open| open.range(shared, &mut walk.lock(), max));
            drop(busy);
            done(result);
            false
        }
        TxnMsg::Nested { action, done } => {
            done(open.as_mut().expect("open").guarded(|open| open.nested(shared, action)));
            false
        }
        TxnMsg::End { commit, done } => {
            // a panic while ending drops what is open: it aborts
            let open = open.take().expect("open");
            done(guard(|| open.end(shared, commit)));
            true
        }
    }
}

/// A write transaction run on the calling thread while the writer steps
/// aside (`transactionSync`). Dropped unended, it aborts.
pub struct Exclusive {
    pub(super) open: Option<Open>,
    env: Env,
    busy: Option<Busy>,
    /// Dropped once the transaction has ended: the writer goes on.
    resume: Option<Sender<()>>,
}

impl Env {
    /// Waits (blocking) for the writer to reach this turn, then begins a
    /// write transaction on the calling thread. Never call it from a thread
    /// that an open explicit transaction of this environment waits on.
    pub fn exclusive(&self) -> Result<Exclusive> {
        let ticket = self.ticket()?;
        let (ready, is_ready) = mpsc::channel();
        let (resume, resumed) = mpsc::channel();
        ticket.take(|_busy| Turn::Pause { ready, resume: resumed })?;
        is_ready.recv().map_err(|_| Error::Closed("environment"))?;
        let busy = self.busy()?;
        let open = Open::begin(busy.shared())?;
        Ok(Exclusive { open: Some(open), env: self.clone(), busy: Some(busy), resume: Some(resume) })
    }
}

impl Exclusive {
    /// Runs a batch (reads too) in the innermost open transaction.
    pub fn exec(&mut self, bytes: &[u8]) -> BatchResult {
        let shared = self.env.shared_ref();
        self.open.as_mut().ok_or(Error::Closed("transaction"))?.guarded(|open| open.exec(shared, bytes))
    }

    /// Begins, commits or aborts a nested transaction.
    pub fn nested(&mut self, action: Nest) -> Result<()> {
        let shared = self.env.shared_ref();
        self.open.as_mut().ok_or(Error::Closed("transaction"))?.guarded(|open| open.nested(shared, action))
    }

    /// Commits or aborts; then the writer goes on.
    pub fn end(&mut self, commit: bool) -> Result<()> {
        let shared = self.env.shared_ref();
        let open = self.open.take().ok_or(Error::Closed("transaction"))?;
        let result = guard(|| open.end(shared, commit));
        self.resume.take();
        self.busy.take();
        result
    }
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        if self.open.is_some() {
            let _ = self.end(false);
        }
    }
}
