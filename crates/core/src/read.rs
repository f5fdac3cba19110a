//! Read batches: many gets in one read transaction, answered in one buffer.
//!
//! The values found are laid end to end in `data`; `lens` says, per
//! operation, how many bytes of it are that operation's value, or why there
//! is none. One buffer crosses back to JavaScript however many keys were read.

use std::borrow::Cow;

use crate::batch::{self, op, DbRef, Op};
use crate::compression::decompress;
use crate::cursor;
use crate::env::{Busy, Shared};
use crate::error::{Error, Result};
use crate::spare;
use crate::txn;
use crate::txn::RawTxn;

/// `lens` entry of a key that is absent.
pub const NOT_FOUND: i64 = -1;
/// `lens` entry of an operation that failed; its error is in `errors`.
pub const FAILED: i64 = -2;

/// The answers to a read batch, in operation order.
#[derive(Debug, Default)]
pub struct ReadOutput {
    /// The values found, end to end (nothing for `HAS`).
    pub data: Vec<u8>,
    /// Per operation: the value's length in `data` (0 for a `HAS` that found
    /// the key), `NOT_FOUND` or `FAILED`.
    pub lens: Vec<i64>,
    /// The failures, by operation index.
    pub errors: Vec<(usize, Error)>,
}

impl Busy {
    /// Runs a batch of `GET`/`HAS` operations (see `batch.rs`) in one
    /// snapshot, decompressing values whose operation says they are stored
    /// compressed. Errors of single operations are reported per operation.
    pub fn read_batch(&self, bytes: &[u8]) -> Result<ReadOutput> {
        let shared = self.shared();
        let ops = batch::parse(bytes)?;
        shared.read(|t| read_ops(shared, t, &ops))
    }
}

/// One get in `t`, the value shown to `f` while `t` is open; the caller holds the gate.
pub(crate) fn get_in<R>(
    shared: &Shared,
    t: &RawTxn,
    db: DbRef,
    key: &[u8],
    codec: u8,
    f: impl FnOnce(Option<&[u8]>) -> R,
) -> Result<R> {
    shared.dbis.check(db)?;
    // SAFETY: `t` is live and the gate held while `f` runs.
    match unsafe { txn::get(t, db.dbi, key) }? {
        Some(stored) if codec != 0 => Ok(f(Some(&decompress(stored)?))),
        found => Ok(f(found)),
    }
}

/// The least room a read's value is given in a batch's buffer, ahead: a
/// guess, which makes batches of a few thousand reads take a spare buffer.
const BYTES_PER_READ: usize = 32;

/// The reads of `ops` in `t`; the caller holds the gate.
pub(crate) fn read_ops(shared: &Shared, t: &RawTxn, ops: &[Op<'_>]) -> Result<ReadOutput> {
    let mut out = ReadOutput {
        lens: Vec::with_capacity(ops.len()),
        data: spare::take(ops.len() * BYTES_PER_READ),
        errors: Vec::new(),
    };
    for (i, op) in ops.iter().enumerate() {
        let found = shared.dbis.check(op.db).and_then(|_| match op.kind {
            // SAFETY: `t` is live and the gate held; values are copied before it ends.
            op::GET | op::HAS => match unsafe { txn::get(t, op.db.dbi, op.key) }? {
                Some(stored) if op.kind == op::GET && op.codec != 0 => decompress(stored).map(Some),
                other => Ok(other.map(Cow::Borrowed)),
            },
            // SAFETY: as for a get.
            op::CURSOR => unsafe { cursor::run(t, op) }.map(|entry| entry.map(Cow::Owned)),
            kind => Err(Error::Invalid(format!("unknown read operation {kind}"))),
        });
        let len = match found {
            Ok(Some(value)) if op.kind != op::HAS => {
                out.data.extend_from_slice(&value);
                value.len() as i64
            }
            Ok(Some(_)) => 0,
            Ok(None) => NOT_FOUND,
            Err(e) => {
                out.errors.push((i, e));
                FAILED
            }
        };
        out.lens.push(len);
    }
    Ok(out)
}
