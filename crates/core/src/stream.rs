//! Write streams: one tick's writes handed to the writer in pieces while
//! JavaScript is still issuing them.
//!
//! A stream takes one turn in the order of writes. When the turn comes, the
//! writer applies each piece as it arrives, in one transaction, and commits
//! when the stream ends; so applying overlaps issuing, and the tick's
//! writes still commit together (one sync). The gate is held per piece, not
//! across the waits between them, as for explicit transactions.
//!
//! That is the fast path. Should any unit fail, or the map need to grow,
//! the transaction is aborted, the rest of the stream received, and the
//! whole of it run as one ordinary batch (`group.rs`), whose replay makes
//! the failing units reject alone. Nothing was committed before, so running
//! it again from the start is exact.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::time::Duration;

use crate::batch::{self, Op};
use crate::env::{Busy, Env, Shared};
use crate::error::{Error, Result};
use crate::group::{commit_group, sort_within_units, unit_order};
use crate::ops::{apply_unit, Outcome};
use crate::txn::RawTxn;
use crate::writer::{Batch, BatchResult, Done, Turn};

pub(crate) enum Piece {
    /// Whole units of the batch format; unit numbers run on across pieces.
    Ops(Vec<u8>),
    /// The stream is complete: settle with one result per unit.
    End(Settle),
}

/// A stream's completion. Dropped unsettled (its queue went away, or a
/// panic), it settles as closed, as a batch does.
pub(crate) struct Settle(Option<Done>);

impl Settle {
    fn finish(mut self, result: BatchResult) {
        if let Some(done) = self.0.take() {
            done(result);
        }
    }
}

impl Drop for Settle {
    fn drop(&mut self) {
        if let Some(done) = self.0.take() {
            done(Err(Error::Closed("environment")));
        }
    }
}

/// The writer's side of a stream.
pub(crate) struct StreamTurn {
    rx: Receiver<Piece>,
    busy: Busy,
}

/// The sending side, used on the issuing thread. Dropped without `end`
/// (its thread was terminated), the stream ends with what it was sent.
pub struct WriteStream {
    tx: Option<Sender<Piece>>,
}

impl Env {
    /// Takes the next place in the order of writes for a stream of pieces.
    pub fn write_stream(&self) -> Result<WriteStream> {
        let (tx, rx) = mpsc::channel();
        self.ticket()?.take(|busy| Turn::Stream(StreamTurn { rx, busy }))?;
        Ok(WriteStream { tx: Some(tx) })
    }
}

impl WriteStream {
    /// Sends whole units; the writer applies them as soon as its turn has come.
    pub fn push(&self, bytes: Vec<u8>) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Piece::Ops(bytes));
        }
    }

    /// Sends the last units and ends the stream; `done` is called once with
    /// one result per unit of the whole stream, after the commit.
    pub fn end(mut self, bytes: Vec<u8>, done: impl FnOnce(BatchResult) + Send + 'static) {
        let settle = Settle(Some(Box::new(done)));
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Piece::Ops(bytes));
            let _ = tx.send(Piece::End(settle)); // if the writer is gone, dropping it settles it
        }
    }
}

/// The next piece; `None` once the stream has ended: its sender is gone, or
/// its handle is closing (a stream left hanging must not hold `close` up).
fn next_piece(rx: &Receiver<Piece>, busy: &Busy) -> Option<Piece> {
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(piece) => return Some(piece),
            Err(RecvTimeoutError::Timeout) if !busy.closing() => continue,
            Err(_) => return None,
        }
    }
}

/// Serves a stream's turn (on the writer thread).
pub(crate) fn commit_stream(shared: &Shared, turn: StreamTurn) {
    let mut pieces = Vec::new();
    let mut done = None;
    if let Some(outcomes) = apply_as_received(shared, &turn, &mut pieces, &mut done) {
        if let Some(done) = done {
            done.finish(Ok(outcomes.into_iter().map(Ok).collect()));
        }
        return;
    }
    while done.is_none() {
        match next_piece(&turn.rx, &turn.busy) {
            Some(Piece::Ops(bytes)) => pieces.push(bytes),
            Some(Piece::End(settle)) => done = Some(settle),
            None => break,
        }
    }
    let done: Done = match done {
        Some(settle) => Box::new(move |result| settle.finish(result)),
        None => Box::new(|_| {}), // its thread is gone: nobody to tell
    };
    commit_group(shared, vec![Batch::new(pieces.concat(), done, turn.busy)]);
}

/// The fast path: each piece applied as it arrives, then one commit. `None`
/// when anything failed (the transaction is then aborted); `pieces` holds
/// what was received either way. The gate is held while pieces are at hand
/// and given back while waiting for more; the end of the stream comes right
/// behind its last piece, so the commit follows that piece under the same
/// hold (a resize cannot slip in between and find the transaction open).
fn apply_as_received(
    shared: &Shared,
    turn: &StreamTurn,
    pieces: &mut Vec<Vec<u8>>,
    done: &mut Option<Settle>,
) -> Option<Vec<Outcome>> {
    let mut txn: Option<RawTxn> = None;
    let mut outcomes = Vec::new();
    let mut last_unit = None;
    loop {
        let mut next = next_piece(&turn.rx, &turn.busy);
        // Cannot fail: the turn's `busy` keeps the environment open.
        let _gate = shared.enter().ok()?;
        loop {
            match next {
                Some(Piece::Ops(bytes)) => {
                    let applied = apply_piece(shared, &mut txn, &bytes, &mut last_unit, &mut outcomes);
                    pieces.push(bytes);
                    if applied.is_err() {
                        txn.take(); // aborted while the gate is held
                        return None;
                    }
                }
                Some(Piece::End(settle)) => {
                    *done = Some(settle);
                    return commit(txn, outcomes);
                }
                None => return commit(txn, outcomes), // its thread is gone, or the handle closing
            }
            next = match turn.rx.try_recv() {
                Ok(piece) => Some(piece),
                Err(TryRecvError::Empty) => break, // wait without the gate
                Err(TryRecvError::Disconnected) => None,
            };
        }
    }
}

/// Commits the stream's transaction, if a piece began one. The caller holds the gate.
fn commit(txn: Option<RawTxn>, outcomes: Vec<Outcome>) -> Option<Vec<Outcome>> {
    match txn {
        Some(txn) => txn.commit().ok().map(|_| outcomes),
        None => Some(outcomes),
    }
}

/// Applies one piece in the stream's transaction, begun by the first piece.
/// The caller holds the gate.
fn apply_piece(
    shared: &Shared,
    txn: &mut Option<RawTxn>,
    bytes: &[u8],
    last_unit: &mut Option<u32>,
    outcomes: &mut Vec<Outcome>,
) -> Result<()> {
    let mut ops = batch::parse(bytes)?;
    if let (Some(first), Some(last)) = (ops.first(), *last_unit) {
        if first.unit == last {
            return Err(Error::Invalid("a unit split across pieces".into()));
        }
    }
    *last_unit = ops.last().map(|op| op.unit).or(*last_unit);
    sort_within_units(&mut ops);
    let units: Vec<&[Op<'_>]> = ops.chunk_by(|a, b| a.unit == b.unit).collect();
    let t = match txn {
        Some(t) => t,
        // SAFETY: the gate is held, and write transactions only live on the writer thread.
        empty => empty.insert(unsafe { RawTxn::begin(shared.raw(), None, 0)? }),
    };
    let mut applied: Vec<Option<Outcome>> = units.iter().map(|_| None).collect();
    for i in unit_order(&units) {
        applied[i] = Some(apply_unit(shared, t, units[i]).map_err(|(e, _)| e)?);
    }
    outcomes.extend(applied.into_iter().flatten());
    Ok(())
}
