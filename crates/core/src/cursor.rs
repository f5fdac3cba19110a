//! Cursor moves, one call at a time.
//!
//! A JavaScript `Cursor` remembers where it stands (the raw key and value of
//! its entry), and each move is one operation (`op::CURSOR`, the move in the
//! flags byte) run in the snapshot's or the write transaction's `txn`: open
//! an LMDB cursor, stand it where the JavaScript one stood, move, hand back
//! the entry, close it. No LMDB cursor outlives a call, so the map may grow
//! between moves and a write transaction may change pages under them.
//!
//! The operation's key field holds the position (empty: not positioned), its
//! value field the move's argument; both, and the answer, are packed as
//! `[key length: u32 LE][key][value]`. `COUNT` answers a u64 LE. A step
//! that found nothing leaves the position where it was, as LMDB leaves its
//! cursor: the next step in either direction goes from that entry (`prev`
//! after a failed `next` lands on the entry before the last).

use lmdb_master_sys as ffi;

use crate::batch::Op;
use crate::error::{Error, Result};
use crate::txn::{self, Cursor, RawTxn};

/// The moves, as the operation's flags byte names them.
#[allow(missing_docs)]
pub mod moves {
    pub const FIRST: u8 = 0;
    pub const LAST: u8 = 1;
    pub const NEXT: u8 = 2;
    pub const PREV: u8 = 3;
    pub const SEEK: u8 = 4;
    pub const SEEK_RANGE: u8 = 5;
    pub const FIRST_DUP: u8 = 6;
    pub const LAST_DUP: u8 = 7;
    pub const NEXT_DUP: u8 = 8;
    pub const PREV_DUP: u8 = 9;
    pub const NEXT_NODUP: u8 = 10;
    pub const PREV_NODUP: u8 = 11;
    pub const SEEK_DUP: u8 = 12;
    pub const SEEK_RANGE_DUP: u8 = 13;
    /// Duplicates of the current key (or of the argument's key).
    pub const COUNT: u8 = 14;
    /// The entry at the position, or the first after it when it is gone.
    pub const CURRENT: u8 = 15;
    /// The argument's exact pair on a dupSort database, else its key.
    pub const SEEK_DUP_OR_KEY: u8 = 16;
}

fn unpack(packed: &[u8]) -> Result<(&[u8], &[u8])> {
    let (len, rest) = packed.split_first_chunk::<4>().ok_or_else(bad)?;
    let len = u32::from_le_bytes(*len) as usize;
    (len <= rest.len()).then(|| rest.split_at(len)).ok_or_else(bad)
}

fn bad() -> Error {
    Error::Invalid("malformed cursor position".into())
}

fn pack((key, value): (&[u8], &[u8])) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + key.len() + value.len());
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(value);
    out
}

type Entry<'t> = Option<(&'t [u8], &'t [u8])>;

/// Runs the move of `op` in `t`: the packed entry it lands on, or `None`.
///
/// # Safety
/// `t` is live, and the caller holds the gate.
pub(crate) unsafe fn run<'t>(t: &'t RawTxn, op: &Op<'_>) -> Result<Option<Vec<u8>>> {
    let dbi = op.db.dbi;
    let dupsort = txn::dbi_flags(t, dbi)? & ffi::MDB_DUPSORT != 0;
    let mut c = Cursor::open(t, dbi)?;
    let arg = op.value.map(unpack).transpose()?;
    let at = if op.key.is_empty() { None } else { Some(unpack(op.key)?) };
    // Stand where the JavaScript cursor stood. `exact` is false when that
    // entry is gone and the cursor stands on the one after it instead.
    let mut exact = false;
    let mut placed: Entry<'t> = None;
    if let Some((k, v)) = at {
        placed = if dupsort { c.seek(ffi::MDB_GET_BOTH, k, Some(v))? } else { c.seek(ffi::MDB_SET_KEY, k, None)? };
        exact = placed.is_some();
        if !exact {
            placed = match if dupsort { c.seek(ffi::MDB_GET_BOTH_RANGE, k, Some(v))? } else { None } {
                Some(e) => Some(e),
                None => match c.seek(ffi::MDB_SET_RANGE, k, None)? {
                    Some((found, _)) if dupsort && txn::cmp(t, dbi, found, k) == 0 => c.step(ffi::MDB_NEXT_NODUP)?,
                    other => other,
                },
            };
        }
    }
    let step = |c: &mut Cursor<'t>, op| -> Result<Entry<'t>> {
        match (placed, exact) {
            // unpositioned: LMDB starts NEXT at the first entry and PREV at the last
            (None, _) if at.is_none() => c.step(op),
            (None, _) => Ok(None), // stood past the end
            (Some(_), true) => c.step(op),
            // the entry is gone and the cursor already stands after it
            (Some(e), false) if matches!(op, ffi::MDB_NEXT | ffi::MDB_NEXT_DUP | ffi::MDB_NEXT_NODUP) => Ok(Some(e)),
            (Some(_), false) => c.step(op),
        }
    };
    let moved = match op.flags {
        moves::FIRST => c.step(ffi::MDB_FIRST)?,
        moves::LAST => c.step(ffi::MDB_LAST)?,
        moves::NEXT => step(&mut c, ffi::MDB_NEXT)?,
        moves::PREV => step(&mut c, ffi::MDB_PREV)?,
        moves::NEXT_NODUP => step(&mut c, ffi::MDB_NEXT_NODUP)?,
        moves::PREV_NODUP => step(&mut c, ffi::MDB_PREV_NODUP)?,
        moves::NEXT_DUP | moves::PREV_DUP | moves::FIRST_DUP | moves::LAST_DUP if !dupsort => {
            return Err(Error::Lmdb(ffi::MDB_INCOMPATIBLE));
        }
        moves::NEXT_DUP => step(&mut c, ffi::MDB_NEXT_DUP)?,
        moves::PREV_DUP => step(&mut c, ffi::MDB_PREV_DUP)?,
        moves::FIRST_DUP | moves::LAST_DUP if placed.is_none() => None,
        moves::FIRST_DUP => c.step(ffi::MDB_FIRST_DUP).and_then(|_| c.step(ffi::MDB_GET_CURRENT))?,
        moves::LAST_DUP => c.step(ffi::MDB_LAST_DUP).and_then(|_| c.step(ffi::MDB_GET_CURRENT))?,
        moves::SEEK => c.seek(ffi::MDB_SET_KEY, arg.ok_or_else(bad)?.0, None)?,
        // LMDB refuses an empty key; every key is at or after it
        moves::SEEK_RANGE if arg.ok_or_else(bad)?.0.is_empty() => c.step(ffi::MDB_FIRST)?,
        moves::SEEK_RANGE => c.seek(ffi::MDB_SET_RANGE, arg.ok_or_else(bad)?.0, None)?,
        moves::SEEK_DUP_OR_KEY => {
            let (k, v) = arg.ok_or_else(bad)?;
            if dupsort {
                c.seek(ffi::MDB_GET_BOTH, k, Some(v))?
            } else {
                c.seek(ffi::MDB_SET_KEY, k, None)?
            }
        }
        moves::SEEK_DUP | moves::SEEK_RANGE_DUP if !dupsort => return Err(Error::Lmdb(ffi::MDB_INCOMPATIBLE)),
        moves::SEEK_DUP => {
            let (k, v) = arg.ok_or_else(bad)?;
            c.seek(ffi::MDB_GET_BOTH, k, Some(v))?
        }
        moves::SEEK_RANGE_DUP => {
            let (k, v) = arg.ok_or_else(bad)?;
            c.seek(ffi::MDB_GET_BOTH_RANGE, k, Some(v))?
        }
        moves::CURRENT => placed,
        moves::COUNT => {
            let here = match arg {
                Some((k, _)) => c.seek(ffi::MDB_SET_KEY, k, None)?,
                None if exact => placed,
                None => None,
            };
            let count = if here.is_none() {
                0
            } else if dupsort {
                c.count()?
            } else {
                1
            };
            return Ok(Some((count as u64).to_le_bytes().to_vec()));
        }
        other => return Err(Error::Invalid(format!("unknown cursor move {other}"))),
    };
    Ok(moved.map(pack))
}
