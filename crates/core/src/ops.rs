//! One write operation of a batch, applied inside the writer's transaction.

use std::collections::HashSet;

use lmdb_master_sys as ffi;

use crate::batch::{op, Op};
use crate::compression::decompress;
use crate::dbi::MAIN_DBI;
use crate::env::Shared;
use crate::error::{Error, Result};
use crate::options::put_flags;
use crate::txn::{self, Cursor, RawTxn};

/// What one operation (or one unit of operations) produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `put`, `delete`, `drop`: whether it wrote (or found) anything.
    Done(bool),
    /// A unit of several operations: how many of them wrote.
    Count(u32),
    /// `replace`, `pop`: the value before, if any.
    Value(Option<Vec<u8>>),
}

impl Outcome {
    fn wrote(&self) -> bool {
        matches!(self, Outcome::Done(true) | Outcome::Value(Some(_)))
    }
}

/// Applies a unit's operations in order. On failure, says whether an earlier
/// operation of the unit had already written (then the transaction must be
/// thrown away to undo it).
pub(crate) fn apply_unit(shared: &Shared, txn: &RawTxn, ops: &[Op<'_>]) -> Result<Outcome, (Error, bool)> {
    if let [single] = ops {
        return apply(shared, txn, single).map_err(|e| (e, false));
    }
    let mut count = 0;
    for (i, op) in ops.iter().enumerate() {
        match apply(shared, txn, op) {
            Ok(outcome) => count += outcome.wrote() as u32,
            Err(e) => return Err((e, i > 0)),
        }
    }
    Ok(Outcome::Count(count))
}

fn apply(shared: &Shared, txn: &RawTxn, op: &Op<'_>) -> Result<Outcome> {
    shared.dbis.check(op.db)?;
    let dbi = op.db.dbi;
    let value = || op.value.ok_or_else(|| Error::Invalid("a put needs a value".into()));
    // SAFETY (all calls below): `txn` is the writer's live write transaction,
    // and borrowed values are copied before the next write.
    unsafe {
        match op.kind {
            op::GET => previous(txn, op).map(Outcome::Value),
            op::CURSOR => crate::cursor::run(txn, op).map(Outcome::Value),
            op::HAS => txn::get(txn, dbi, op.key).map(|v| Outcome::Done(v.is_some())),
            op::PUT => txn::put(txn, dbi, op.key, value()?, lmdb_put_flags(op.flags)).map(Outcome::Done),
            op::DELETE => txn::del(txn, dbi, op.key, op.value).map(Outcome::Done),
            op::REPLACE => {
                let old = previous(txn, op)?;
                if old.is_some() && txn::dbi_flags(txn, dbi)? & ffi::MDB_DUPSORT != 0 {
                    txn::del(txn, dbi, op.key, None)?;
                }
                txn::put(txn, dbi, op.key, value()?, 0)?;
                Ok(Outcome::Value(old))
            }
            op::POP => {
                let old = previous(txn, op)?;
                if old.is_some() {
                    txn::del(txn, dbi, op.key, None)?;
                }
                Ok(Outcome::Value(old))
            }
            op::DROP => drop_db(shared, txn, dbi, op.flags & put_flags::DELETE_DB != 0).map(|_| Outcome::Done(true)),
            kind => Err(Error::Invalid(format!("unknown write operation {kind}"))),
        }
    }
}

/// The value `op`'s key had, decompressed if its operation stores values so.
///
/// # Safety
/// `txn` is live; the value is copied before the next write.
unsafe fn previous(txn: &RawTxn, op: &Op<'_>) -> Result<Option<Vec<u8>>> {
    match txn::get(txn, op.db.dbi, op.key)? {
        Some(stored) if op.codec != 0 => Ok(Some(decompress(stored)?.into_owned())),
        stored => Ok(stored.map(<[u8]>::to_vec)),
    }
}

fn lmdb_put_flags(flags: u8) -> u32 {
    let mut bits = 0;
    if flags & put_flags::NO_OVERWRITE != 0 {
        bits |= ffi::MDB_NOOVERWRITE;
    }
    if flags & put_flags::APPEND != 0 {
        bits |= ffi::MDB_APPEND;
    }
    if flags & put_flags::NO_DUP_DATA != 0 {
        bits |= ffi::MDB_NODUPDATA;
    }
    bits
}

/// Empties a database, or deletes a named one. The main database keeps the
/// records of the named databases: `mdb_drop` would take them too.
///
/// # Safety
/// `txn` is a live write transaction; the caller holds the gate and, for the
/// main database, `Dbis::lock` (see `writer.rs`).
unsafe fn drop_db(shared: &Shared, txn: &RawTxn, dbi: u32, delete: bool) -> Result<()> {
    if dbi != MAIN_DBI {
        return Error::check(ffi::mdb_drop(txn.ptr(), dbi, delete as i32));
    }
    if delete {
        return Err(Error::Invalid("the default database cannot be deleted".into()));
    }
    // Deleting a named database's record would fail and poison the
    // transaction, so they are listed first and stepped over.
    let named: HashSet<Vec<u8>> = shared.named_databases()?.into_iter().map(String::into_bytes).collect();
    let mut cursor = Cursor::open(txn, MAIN_DBI)?;
    let mut step = cursor.step(ffi::MDB_FIRST)?;
    while let Some((key, _)) = step {
        if named.contains(key) {
            step = cursor.step(ffi::MDB_NEXT)?;
        } else {
            cursor.delete_current()?;
            // After a delete, MDB_NEXT yields the record that followed.
            step = cursor.step(ffi::MDB_NEXT)?;
        }
    }
    Ok(())
}
