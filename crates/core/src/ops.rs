//! One write operation of a batch, applied inside the writer's transaction.

use std::collections::HashSet;

use lmdb_master_sys as ffi;

use crate::batch::{op, Expect, Op};
use crate::compression::decompress;
use crate::env::Shared;
use crate::error::{Error, Result};
use crate::options::put_flags;
use crate::txn::{self, Cursor, RawTxn, MAIN_DBI};

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

/// Where a write transaction's puts go. For a group applied in key order the
/// writer keeps one cursor per database: LMDB looks at a cursor's current
/// page before searching from the root, so each next key of the run is found
/// where the last one was put; and a key past the database's last one is
/// appended (MDB_APPEND), which fills pages where a put splits them in half.
pub(crate) struct Puts<'t> {
    txn: &'t RawTxn,
    cursors: Option<Vec<PutCursor<'t>>>,
}

struct PutCursor<'t> {
    dbi: u32,
    cursor: Cursor<'t>,
    /// The database's last key as far as this cursor knows: from MDB_LAST
    /// when opened, then each key it appended. Only ever stale when another
    /// path wrote past it (then MDB_APPEND fails and it is read again) or
    /// deleted it (then keys between are put, not appended).
    last: Option<Vec<u8>>,
}

impl<'t> Puts<'t> {
    /// Each put on its own (`mdb_put`): writes that come one at a time.
    pub(crate) fn direct(txn: &'t RawTxn) -> Self {
        Puts { txn, cursors: None }
    }

    /// Puts through kept cursors: a run of writes in key order.
    pub(crate) fn ordered(txn: &'t RawTxn) -> Self {
        Puts { txn, cursors: Some(Vec::new()) }
    }

    /// # Safety
    /// The transaction is the live write transaction these puts were made for.
    unsafe fn put(&mut self, dbi: u32, key: &[u8], value: &[u8], flags: u32) -> Result<bool> {
        let Some(cursors) = &mut self.cursors else {
            return txn::put(self.txn, dbi, key, value, flags);
        };
        let at = match cursors.iter().position(|c| c.dbi == dbi) {
            Some(at) => at,
            None => {
                let mut cursor = Cursor::open(self.txn, dbi)?;
                let last = cursor.step(ffi::MDB_LAST)?.map(|(k, _)| k.to_vec());
                cursors.push(PutCursor { dbi, cursor, last });
                cursors.len() - 1
            }
        };
        let c = &mut cursors[at];
        if flags == 0 && c.last.as_deref().is_none_or(|last| txn::cmp(self.txn, dbi, key, last) > 0) {
            match c.cursor.put(key, value, ffi::MDB_APPEND) {
                Ok(wrote) => {
                    let last = c.last.get_or_insert_with(Vec::new);
                    last.clear();
                    last.extend_from_slice(key);
                    return Ok(wrote);
                }
                // something else wrote past the known last key: learn it again
                Err(Error::Lmdb(ffi::MDB_KEYEXIST)) => {
                    c.last = c.cursor.step(ffi::MDB_LAST)?.map(|(k, _)| k.to_vec());
                }
                Err(e) => return Err(e),
            }
        }
        c.cursor.put(key, value, flags)
    }

    /// Closes the cursor on `dbi` before the database is emptied or deleted.
    fn forget(&mut self, dbi: u32) {
        if let Some(cursors) = &mut self.cursors {
            cursors.retain(|c| c.dbi != dbi);
        }
    }
}

/// Applies a unit's operations in order. On failure, says whether an earlier
/// operation of the unit had already written (then the transaction must be
/// thrown away to undo it). Its `ENSURE`s are preconditions, applied before
/// the rest wherever they stand (a unit packed as it is encoded learns what
/// it must ensure last); the unit's result is that of the rest. What an
/// `ENSURE` stored stays even if the rest fails: it only ever adds a
/// structure that no other can take the place of, and one that no value
/// names is harmless. So a unit of one write and its `ENSURE`s needs no
/// nested transaction (`needs_nesting`).
pub(crate) fn apply_unit(shared: &Shared, puts: &mut Puts<'_>, ops: &[Op<'_>]) -> Result<Outcome, (Error, bool)> {
    #[cfg(test)]
    ops.iter().for_each(|op| crate::panic::injected(op.key));
    for op in ops.iter().filter(|op| op.kind == op::ENSURE) {
        apply(shared, puts, op).map_err(|e| (e, false))?;
    }
    let rest = ops.iter().filter(|op| op.kind != op::ENSURE);
    let mut first_two = rest.clone();
    if let (Some(single), None) = (first_two.next(), first_two.next()) {
        return apply(shared, puts, single).map_err(|e| (e, false));
    }
    let mut count = 0;
    for (i, op) in rest.enumerate() {
        match apply(shared, puts, op) {
            Ok(outcome) => count += outcome.wrote() as u32,
            Err(e) => return Err((e, i > 0)),
        }
    }
    Ok(Outcome::Count(count))
}

/// Whether a unit must run in a nested transaction to commit or fail as a
/// whole: it has more than one operation besides its `ENSURE`s.
pub(crate) fn needs_nesting(ops: &[Op<'_>]) -> bool {
    ops.iter().filter(|op| op.kind != op::ENSURE).nth(1).is_some()
}

fn apply(shared: &Shared, puts: &mut Puts<'_>, op: &Op<'_>) -> Result<Outcome> {
    shared.dbis.check(op.db)?;
    let txn = puts.txn;
    let dbi = op.db.dbi;
    let value = || op.value.ok_or_else(|| Error::Invalid("a put needs a value".into()));
    // SAFETY: for every call below, `txn` is the writer's live write
    // transaction, and borrowed values are copied before the next write.
    unsafe {
        if let Some(expect) = op.expect {
            if !holds(txn, op, expect)? {
                return Ok(Outcome::Done(false));
            }
        }
        match op.kind {
            op::GET => previous(txn, op).map(Outcome::Value),
            op::CURSOR => crate::cursor::run(txn, op).map(Outcome::Value),
            op::HAS => txn::get(txn, dbi, op.key).map(|v| Outcome::Done(v.is_some())),
            op::PUT => {
                let dupsort = op.flags & put_flags::APPEND != 0 && txn::dbi_flags(txn, dbi)? & ffi::MDB_DUPSORT != 0;
                puts.put(dbi, op.key, value()?, lmdb_put_flags(op.flags, dupsort)).map(Outcome::Done)
            }
            op::DELETE => txn::del(txn, dbi, op.key, op.value).map(Outcome::Done),
            op::REPLACE => {
                let old = previous(txn, op)?;
                if old.is_some() && txn::dbi_flags(txn, dbi)? & ffi::MDB_DUPSORT != 0 {
                    txn::del(txn, dbi, op.key, None)?;
                }
                txn::put(txn, dbi, op.key, value()?, 0)?;
                Ok(Outcome::Value(old))
            }
            op::POP => pop(txn, op).map(Outcome::Value),
            op::ENSURE => ensure(txn, op.db.dbi, op.key, value()?),
            op::DROP => {
                puts.forget(dbi);
                drop_db(shared, txn, dbi, op.flags & put_flags::DELETE_DB != 0).map(|_| Outcome::Done(true))
            }
            kind => Err(Error::Invalid(format!("unknown write operation {kind}"))),
        }
    }
}

/// `ENSURE`: a value another writer may have put first (such as a shared
/// structure of records) is either the one this unit expects, or the unit
/// fails before it writes what depends on it.
///
/// # Safety
/// `txn` is a live write transaction.
unsafe fn ensure(txn: &RawTxn, dbi: u32, key: &[u8], want: &[u8]) -> Result<Outcome> {
    match txn::get(txn, dbi, key)? {
        Some(stored) if stored == want => Ok(Outcome::Done(false)),
        Some(_) => Err(Error::Lmdb(ffi::MDB_KEYEXIST)),
        None => txn::put(txn, dbi, key, want, 0).map(Outcome::Done),
    }
}

/// Whether a conditional write's key has the value it expects. It is read
/// in the transaction the write then goes into, on the writer's thread: no
/// other write can come between the check and the write.
///
/// # Safety
/// `txn` is live.
unsafe fn holds(txn: &RawTxn, op: &Op<'_>, expect: Expect<'_>) -> Result<bool> {
    // a dupSort key has many values: which one would be expected is unclear
    if txn::dbi_flags(txn, op.db.dbi)? & ffi::MDB_DUPSORT != 0 {
        return Err(Error::Invalid("ifValue is not supported on a dupSort database".into()));
    }
    let stored = txn::get(txn, op.db.dbi, op.key)?;
    Ok(match (expect, stored) {
        (Expect::Absent, stored) => stored.is_none(),
        (Expect::Value(_), None) => false,
        (Expect::Value(want), Some(stored)) if op.codec != 0 => *decompress(stored)? == *want,
        (Expect::Value(want), Some(stored)) => stored == want,
    })
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

/// `pop`: deletes the key's value and returns it (decompressed if its
/// operation stores values so). Of a dupSort database only one value goes:
/// the pair given as the operation's value (a cursor's entry), else the
/// key's first, as LMDB's `mdb_cursor_del` and py-lmdb's `pop` do.
///
/// # Safety
/// `txn` is a live write transaction.
unsafe fn pop(txn: &RawTxn, op: &Op<'_>) -> Result<Option<Vec<u8>>> {
    let dupsort = txn::dbi_flags(txn, op.db.dbi)? & ffi::MDB_DUPSORT != 0;
    let mut c = Cursor::open(txn, op.db.dbi)?;
    let found = match op.value {
        Some(value) if dupsort => c.seek(ffi::MDB_GET_BOTH, op.key, Some(value))?,
        _ => c.seek(ffi::MDB_SET_KEY, op.key, None)?,
    };
    let Some((_, stored)) = found else { return Ok(None) };
    // copied (and decompressed) before the delete frees its page
    let old = if op.codec != 0 { decompress(stored)?.into_owned() } else { stored.to_vec() };
    c.delete_current()?;
    Ok(Some(old))
}

/// LMDB's flags for a put. `append` on a dupSort database appends the value
/// after its key's last one (`MDB_APPENDDUP`, as py-lmdb does): `MDB_APPEND`
/// there would refuse every value of a key already present.
fn lmdb_put_flags(flags: u8, dupsort: bool) -> u32 {
    let mut bits = 0;
    if flags & put_flags::NO_OVERWRITE != 0 {
        bits |= ffi::MDB_NOOVERWRITE;
    }
    if flags & put_flags::APPEND != 0 {
        bits |= if dupsort { ffi::MDB_APPENDDUP } else { ffi::MDB_APPEND };
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
/// main database, `Dbis::lock` (see `writer/group.rs`).
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
