//! What the writer thread is sent: turns in the order of writes, messages to
//! an explicit transaction, and requests to create a database. A leaf of the
//! writer, so that whoever sends it something needs nothing else of it.

use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::batch::DbRef;
use crate::env::Busy;
use crate::error::{Error, Result};
use crate::ops::Outcome;
use crate::options::DbFlags;
use crate::range::{Chunk, Walk};
use crate::spare;

/// The results of a batch, one per unit, in unit order.
pub type BatchResult = Result<Vec<Result<Outcome>>>;

/// Called once with a batch's results, on the writer thread.
pub type Done = Box<dyn FnOnce(BatchResult) + Send>;

/// Called once when a nested transaction or a transaction ends.
pub type Ended = Box<dyn FnOnce(Result<()>) + Send>;

pub(crate) enum Msg {
    /// Work in its place in the order of writes.
    Turn(u64, Turn),
    /// A message to the explicit transaction with this id.
    Txn(u64, TxnMsg),
    /// Create a database (in the explicit transaction open, if one is; see `dbi.rs`).
    CreateDb {
        name: Option<String>,
        flags: DbFlags,
        reply: Sender<Result<DbRef>>,
    },
    Stop,
}

pub(crate) enum Turn {
    Batch(Batch),
    Begin(Begin),
    /// The writer waits, with no transaction open, until `resume` is dropped.
    Pause {
        ready: Sender<()>,
        resume: Receiver<()>,
    },
    /// A ticket given up: its place is empty.
    Skip,
}

pub(crate) struct Batch {
    bytes: Vec<u8>,
    /// More of the same tick's writes follow (see `Ticket::submit_as`).
    part: bool,
    done: Option<Done>,
    _busy: Busy,
}

impl Batch {
    pub(crate) fn new(bytes: Vec<u8>, part: bool, done: Done, busy: Busy) -> Batch {
        Batch { bytes, part, done: Some(done), _busy: busy }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub(crate) fn part(&self) -> bool {
        self.part
    }

    pub(crate) fn finish(mut self, result: BatchResult) {
        if let Some(done) = self.done.take() {
            done(result);
        }
    }
}

impl Drop for Batch {
    /// A batch that never ran (its queue went away, or the writer panicked
    /// while applying it) still settles. Its bytes go back to the pool they
    /// were likely taken from.
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            done(Err(if std::thread::panicking() {
                Error::Panic("the writer thread panicked while applying this batch".into())
            } else {
                Error::Closed("environment")
            }));
        }
        spare::give_back(std::mem::take(&mut self.bytes));
    }
}

/// The turn of an explicit transaction.
pub(crate) struct Begin {
    pub(crate) id: u64,
}

/// A message to an explicit transaction.
pub(crate) enum TxnMsg {
    /// A batch of operations (reads and writes) in the transaction;
    /// `whole`: a unit that fails fails the transaction (`WriteTxn::exec_whole`).
    Exec { bytes: Vec<u8>, whole: bool, done: Done, busy: Busy },
    /// The next chunk of a range read in the innermost open transaction.
    Range { walk: Arc<Mutex<Walk>>, max: usize, done: Box<dyn FnOnce(Result<Chunk>) + Send>, busy: Busy },
    /// Begin, commit or abort a nested transaction.
    Nested { action: Nest, done: Ended },
    /// Commit or abort the transaction.
    End { commit: bool, done: Ended },
}

/// What to do with a nested transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nest {
    /// Begin one inside the innermost open transaction.
    Begin,
    /// Merge the innermost one into its parent.
    Commit,
    /// Throw the innermost one away.
    Abort,
}

impl TxnMsg {
    /// Settles the message without running it.
    pub(crate) fn refuse(self, e: Error) {
        match self {
            TxnMsg::Exec { done, .. } => done(Err(e)),
            TxnMsg::Range { done, .. } => done(Err(e)),
            TxnMsg::Nested { done, .. } | TxnMsg::End { done, .. } => done(Err(e)),
        }
    }
}
