//! The writer thread: one per environment, owner of every write transaction.
//!
//! Work that writes takes a *turn*: a place in the order of writes, given
//! on the calling thread by a `Ticket`. The writer serves turns in ticket
//! order, whatever order they arrive in (a batch compressed on the libuv pool
//! first still keeps its place). A turn is one of:
//!
//! - a batch: the writer applies it, takes in the batches that come behind it
//!   meanwhile, and commits them together (group commit, `group.rs`);
//! - an explicit transaction (`transaction.rs`): the writer holds it open and
//!   serves its operations until it commits or aborts, while later turns wait;
//! - a pause: the writer steps aside while another thread runs a write
//!   transaction itself (`transactionSync`).
//!
//! This file holds the thread and its run loop. Turns are taken with a
//! `Ticket` (`ticket.rs`); what the writer is sent is in `msg.rs`, its queue
//! in `inbox.rs` (no one else touches it), and every root write transaction
//! begins in `begin.rs`. An explicit transaction's handles are in
//! `transaction.rs`, its state while open in `open.rs` and `replay.rs`.
//! Creating a database is `dbi.rs`'s work: the writer only runs it in the
//! right transaction.

use std::ops::ControlFlow;
use std::sync::mpsc;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::env::Shared;
use crate::error::Result;
use crate::panic::guard;

mod begin;
mod group;
mod inbox;
pub(crate) mod msg;
mod open;
mod replay;
mod ticket;
mod transaction;

use begin::transact;
use group::stream_group;
use inbox::{Inbox, Next};
use msg::{Batch, Begin, Msg, Turn};
pub use msg::{BatchResult, Done, Ended, Nest};
use open::Open;
pub use ticket::Ticket;
pub use transaction::{Exclusive, WriteTxn};

/// A group stops draining the queue past this many bytes of operations.
const GROUP_MAX_BYTES: usize = 64 << 20;

/// How long the writer holds a group open for the rest of a batch sent in
/// parts (`Ticket::submit_as`). JavaScript packs a part in a few
/// milliseconds; past this the parts so far commit on their own.
const PART_WAIT: Duration = Duration::from_millis(50);

pub(crate) struct Writer {
    tx: Sender<Msg>,
    thread: JoinHandle<()>,
}

impl Writer {
    pub(crate) fn spawn(shared: Arc<Shared>) -> Result<Writer> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new().name("lmdb-napi-writer".into()).spawn(move || {
            run(&shared, Inbox::new(rx));
            shared.writer_ended();
        })?;
        Ok(Writer { tx, thread })
    }

    pub(crate) fn sender(&self) -> Sender<Msg> {
        self.tx.clone()
    }

    /// Ends the thread after the messages already queued, and says whether
    /// it has ended. When the last handle is released on the writer thread
    /// itself, it cannot join itself: it ends on its own once it reaches the
    /// stop, and `false` says so.
    pub(crate) fn stop(self) -> bool {
        let _ = self.tx.send(Msg::Stop);
        if self.thread.thread().id() == std::thread::current().id() {
            return false;
        }
        let _ = self.thread.join();
        true
    }
}

fn run(shared: &Shared, mut inbox: Inbox) {
    let mut pending = None;
    loop {
        let Some(next) = pending.take().or_else(|| inbox.next(true)) else { return };
        match next {
            Next::Other(Msg::Stop) => return,
            Next::Other(Msg::CreateDb { name, flags, reply }) => {
                let created = guard(|| {
                    shared.find_or_create_db(name.as_deref(), flags, |create| {
                        transact(shared, |txn| create(txn).map(Some))
                    })
                });
                let _ = reply.send(created);
            }
            Next::Other(Msg::Txn(id, msg)) => inbox.early_txn(id, msg),
            Next::Other(Msg::Turn(..)) => unreachable!("turns are kept in the inbox"),
            Next::Turn(Turn::Skip) => {}
            Next::Turn(Turn::Pause { ready, resume }) => {
                // The other thread begins its own write transaction once told.
                if ready.send(()).is_ok() {
                    let _ = resume.recv();
                }
            }
            Next::Turn(Turn::Begin(begin)) => {
                if serve_txn(shared, &mut inbox, begin).is_break() {
                    return;
                }
            }
            Next::Turn(Turn::Batch(first)) => {
                let mut size = first.bytes().len();
                // The next batch to take into the group, if one is ready (or
                // comes soon, behind a part); another turn ends the group.
                let more = |last: &Batch| {
                    if size >= GROUP_MAX_BYTES {
                        return None;
                    }
                    let next = if last.part() { inbox.next_within(PART_WAIT) } else { inbox.next(false) };
                    match next? {
                        Next::Turn(Turn::Batch(batch)) => {
                            size += batch.bytes().len();
                            Some(batch)
                        }
                        other => {
                            pending = Some(other);
                            None
                        }
                    }
                };
                // A panic must not take the writer (and every later write)
                // down: the group's batches settle as failed when dropped.
                let _ = guard(|| {
                    stream_group(shared, first, more);
                    Ok(())
                });
            }
        }
    }
}

/// Runs an explicit transaction whose turn has come, until it ends; the
/// other messages that come meanwhile are served in it or kept.
fn serve_txn(shared: &Shared, inbox: &mut Inbox, begin: Begin) -> ControlFlow<()> {
    let id = begin.id;
    let Some(waiting) = inbox.begin_txn(id) else { return ControlFlow::Continue(()) };
    let mut open = match Open::begin(shared) {
        Ok(open) => Some(open),
        Err(e) => {
            // fails every message of the transaction (later ones: see `Inbox::early_txn`)
            for msg in waiting {
                msg.refuse(e.clone());
            }
            return ControlFlow::Continue(());
        }
    };
    for msg in waiting {
        if transaction::handle(shared, msg, &mut open) {
            return ControlFlow::Continue(());
        }
    }
    loop {
        match inbox.other(true) {
            None | Some(Some(Msg::Stop)) => {
                if let Some(open) = open.take() {
                    let _ = open.end(shared, false);
                }
                return ControlFlow::Break(());
            }
            Some(None) => {} // a turn: it waits
            Some(Some(Msg::Txn(tid, msg))) if tid == id => {
                if transaction::handle(shared, msg, &mut open) {
                    return ControlFlow::Continue(());
                }
            }
            Some(Some(Msg::Txn(tid, msg))) => inbox.early_txn(tid, msg),
            Some(Some(Msg::CreateDb { name, flags, reply })) => {
                let created =
                    open.as_mut().expect("open").guarded(|open| open.create_db(shared, name.as_deref(), flags));
                let _ = reply.send(created);
            }
            Some(Some(Msg::Turn(..))) => unreachable!("turns are kept in the inbox"),
        }
    }
}
