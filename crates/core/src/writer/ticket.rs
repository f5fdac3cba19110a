//! Tickets: places in the order of writes, taken on the calling thread so
//! that the writer serves work in the order it was asked for, whatever
//! order it arrives in.

use std::sync::mpsc::Sender;

use super::msg::{Batch, BatchResult, Msg, Turn};
use crate::env::{Busy, Env};
use crate::error::Result;

/// A place in the order of writes, taken on the calling thread.
pub struct Ticket {
    seq: u64,
    tx: Sender<Msg>,
    busy: Option<Busy>,
}

impl Ticket {
    /// Queues the batch (see `batch.rs`) in the ticket's place. `done` is
    /// called exactly once, with one result per unit after the commit, or
    /// with the error that kept the batch from running.
    pub fn submit(self, bytes: Vec<u8>, done: impl FnOnce(BatchResult) + Send + 'static) {
        self.submit_as(bytes, false, done);
    }

    /// `submit`, saying whether the batch is a `part` of the writes of one
    /// tick with more to follow: the writer applies a part at once but waits
    /// a little for the rest before it commits, so the parts commit, and
    /// sync, once.
    pub fn submit_as(mut self, bytes: Vec<u8>, part: bool, done: impl FnOnce(BatchResult) + Send + 'static) {
        let busy = self.busy.take().expect("a ticket is used once");
        // A failed send drops the batch, whose Drop settles it as closed.
        self.send(Turn::Batch(Batch::new(bytes, part, Box::new(done), busy)));
    }

    /// Uses the ticket for another kind of turn.
    pub(crate) fn take(mut self, turn: impl FnOnce(Busy) -> Turn) -> Result<()> {
        let busy = self.busy.take().expect("a ticket is used once");
        let turn = turn(busy);
        self.send(turn);
        Ok(())
    }

    pub(crate) fn sender(&self) -> &Sender<Msg> {
        &self.tx
    }

    /// The ticket's place, unique in its environment.
    pub(crate) fn sender_seq(&self) -> u64 {
        self.seq
    }

    fn send(&self, turn: Turn) {
        let _ = self.tx.send(Msg::Turn(self.seq, turn));
    }
}

impl Drop for Ticket {
    /// An unused ticket frees its place, so the turns behind it go on.
    fn drop(&mut self) {
        if self.busy.is_some() {
            self.send(Turn::Skip);
        }
    }
}

impl Env {
    /// Takes the next place in the order of writes; fails when the handle is
    /// closed or the environment read-only (EACCES).
    pub fn ticket(&self) -> Result<Ticket> {
        let busy = self.busy()?;
        let tx = busy.shared().writer_sender()?;
        let seq = busy.shared().next_seq();
        Ok(Ticket { seq, tx, busy: Some(busy) })
    }

    /// Queues a batch in the next place: `ticket()` then `submit`, with
    /// `done` told of a failure to get the ticket.
    pub fn write(&self, bytes: Vec<u8>, done: impl FnOnce(BatchResult) + Send + 'static) {
        match self.ticket() {
            Ok(ticket) => ticket.submit(bytes, done),
            Err(e) => done(Err(e)),
        }
    }
}
