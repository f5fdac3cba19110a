//! Ranges: ordered iteration over one snapshot, handed over in chunks.
//!
//! Each chunk opens a cursor, finds its place again after the last entry
//! handed out, and closes it: no cursor (with its page pointers) outlives a
//! call, so the map may grow between chunks. Keys and values of a chunk lie
//! end to end in one buffer, so one thread hop serves many entries.

use std::borrow::Cow;
use std::ops::Bound;
use std::sync::Arc;

use lmdb_master_sys as ffi;

use crate::batch::DbRef;
use crate::compression::decompress;
use crate::env::{Busy, Env};
use crate::error::Result;
use crate::read::{ReadOutput, NOT_FOUND};
use crate::snapshot::{Held, Snapshot};
use crate::spare;
use crate::txn::{self, Cursor, RawTxn};

/// A chunk ends once its bytes pass this, whatever count was asked for: a
/// run of large values must not become one huge copy.
pub(crate) const CHUNK_BYTES: usize = 4 << 20;

/// What a range covers and hands out.
#[derive(Debug, Clone)]
pub struct RangeOptions {
    /// Lower bound, in the database's key order (whatever the direction).
    pub start: Bound<Vec<u8>>,
    /// Upper bound, in the database's key order.
    pub end: Bound<Vec<u8>>,
    /// Only keys whose bytes start with these.
    pub prefix: Option<Vec<u8>>,
    /// From the upper end down.
    pub reverse: bool,
    /// Entries to skip first.
    pub offset: u64,
    /// At most this many entries.
    pub limit: Option<u64>,
    /// Hand out keys (else only their lengths are skipped).
    pub keys: bool,
    /// Hand out values.
    pub values: bool,
    /// The compression values are stored with (decompressed when handed out).
    pub codec: u8,
}

impl Default for RangeOptions {
    fn default() -> Self {
        RangeOptions {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
            prefix: None,
            reverse: false,
            offset: 0,
            limit: None,
            keys: true,
            values: true,
            codec: 0,
        }
    }
}

/// An iteration over a snapshot of its own or a snapshot's.
pub struct Range {
    env: Env,
    held: Arc<Held>,
    /// Whether the range owns its transaction (else a snapshot does).
    owned: bool,
    walk: Walk,
}

/// Where an iteration stands: its bounds, the last entry handed out and how
/// many were skipped and handed. It reads through whatever transaction it
/// is given (a snapshot's, or a write transaction's, seeing its writes),
/// finding its place again after the last entry each time.
#[derive(Debug, Clone)]
pub struct Walk {
    db: DbRef,
    opts: RangeOptions,
    /// The last entry handed out, to continue after.
    last: Option<(Vec<u8>, Vec<u8>)>,
    skipped: u64,
    handed: u64,
    done: bool,
    /// Bytes per entry of the last chunk: the next one's room is taken at
    /// once, not grown by doubling (each step a copy into fresh pages).
    entry_bytes: usize,
}

/// Where a walk stands in one transaction (see `Walk::place`).
struct Place<'t> {
    cursor: Cursor<'t>,
    entry: Option<(&'t [u8], &'t [u8])>,
    dupsort: bool,
    /// The keys keep LMDB's default order (see `Walk::within`).
    bytewise: bool,
}

/// One chunk: keys and values end to end in `data`; `lens` holds, per
/// entry, the key's length then the value's (-1 for what was not asked for).
#[derive(Debug, Default)]
pub struct Chunk {
    /// The entries' bytes.
    pub out: ReadOutput,
    /// No entries follow.
    pub done: bool,
}

impl Env {
    /// A range over `db` in a snapshot of its own, taken now.
    pub fn range(&self, db: DbRef, opts: RangeOptions) -> Result<Range> {
        let busy = self.busy()?;
        busy.shared().dbis.check(db)?;
        let held = busy.hold("range")?;
        Ok(Range::new(self.clone(), held, true, db, opts))
    }
}

impl Busy {
    /// How many entries a range over `db` would hand out (bounds, offset
    /// and limit honoured), counted in one snapshot without copying any.
    pub fn count_range(&self, db: DbRef, opts: RangeOptions) -> Result<u64> {
        let shared = self.shared();
        shared.dbis.check(db)?;
        shared.read(|t| Walk::new(db, opts).count(t))
    }
}

impl Snapshot {
    /// A range over `db` in this snapshot.
    pub fn range(&self, db: DbRef, opts: RangeOptions) -> Result<Range> {
        self.held().with(|_| Ok(()))?;
        Ok(Range::new(self.env().clone(), self.held().clone(), false, db, opts))
    }
}

impl Range {
    fn new(env: Env, held: Arc<Held>, owned: bool, db: DbRef, opts: RangeOptions) -> Range {
        Range { env, held, owned, walk: Walk::new(db, opts) }
    }

    /// The environment handle the range reads through.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Up to `max` more entries. `busy` is an operation of the range's handle.
    pub fn next_chunk(&mut self, busy: &Busy, max: usize) -> Result<Chunk> {
        if self.walk.done {
            return Ok(Chunk { done: true, ..Default::default() });
        }
        let shared = busy.shared();
        shared.dbis.check(self.walk.db)?;
        let chunk = {
            let _gate = shared.enter()?;
            let held = self.held.clone();
            held.with(|txn| self.walk.fill(txn, max))?
        };
        // Let go of the gate first: ending enters it again, and a second
        // read of the gate waits behind a resize that waits for the first.
        if chunk.done {
            self.close_with(busy);
        }
        Ok(chunk)
    }

    /// Ends the range now (its own transaction goes back to the pool). Idempotent.
    pub fn close(&mut self) {
        if let Ok(busy) = self.env.busy() {
            self.close_with(&busy);
        }
        self.walk.done = true;
    }

    fn close_with(&mut self, busy: &Busy) {
        self.walk.done = true;
        if self.owned {
            if let Ok(_gate) = busy.shared().enter() {
                self.held.end(busy);
            }
        }
    }
}

impl Walk {
    /// A walk over `db` from its start.
    pub fn new(db: DbRef, mut opts: RangeOptions) -> Walk {
        // A prefix is a pair of (bytewise) bounds: narrow the given ones to it.
        if let Some(p) = &opts.prefix {
            let below = |b: &Bound<Vec<u8>>| match b {
                Bound::Unbounded => true,
                Bound::Included(b) | Bound::Excluded(b) => b.as_slice() < p.as_slice(),
            };
            if below(&opts.start) {
                opts.start = Bound::Included(p.clone());
            }
            if let Some(end) = prefix_end(p) {
                let beyond = match &opts.end {
                    Bound::Unbounded => true,
                    Bound::Included(b) | Bound::Excluded(b) => *b >= end,
                };
                if beyond {
                    opts.end = Bound::Excluded(end);
                }
            }
        }
        Walk { db, opts, last: None, skipped: 0, handed: 0, done: false, entry_bytes: 0 }
    }

    /// The database it walks.
    pub fn db(&self) -> DbRef {
        self.db
    }

    /// Up to `max` more entries read through `t` (any live transaction
    /// that has the database open).
    pub(crate) fn fill(&mut self, t: &RawTxn, max: usize) -> Result<Chunk> {
        if self.done {
            return Ok(Chunk { done: true, ..Default::default() });
        }
        let Place { mut cursor, mut entry, dupsort, bytewise } = self.place(t)?;
        let mut chunk = Chunk::default();
        chunk.out.lens.reserve(2 * max);
        chunk.out.data = spare::take((self.entry_bytes * max).min(CHUNK_BYTES));
        let mut count = 0;
        // Where the next chunk resumes; copied out once, when this one ends.
        let mut last: Option<(&[u8], &[u8])> = None;
        loop {
            let Some((key, value)) = entry else {
                chunk.done = true;
                break;
            };
            if self.ended(t, key, bytewise) {
                chunk.done = true;
                break;
            }
            if count == max || chunk.out.data.len() >= CHUNK_BYTES {
                break;
            }
            if self.hands_out() {
                self.push(&mut chunk.out, key, value)?;
                count += 1;
            }
            last = Some((key, value));
            entry = cursor.step(self.step())?;
        }
        if let Some((key, value)) = last {
            self.last = Some((key.to_vec(), if dupsort { value.to_vec() } else { Vec::new() }));
        }
        if count > 0 {
            self.entry_bytes = chunk.out.data.len().div_ceil(count) * 9 / 8; // and a little room to spare
        }
        self.done = chunk.done;
        Ok(chunk)
    }

    /// How many more entries the walk would hand out, counted in `t`
    /// without copying any; the walk is done after it.
    pub(crate) fn count(&mut self, t: &RawTxn) -> Result<u64> {
        if self.done {
            return Ok(0);
        }
        let Place { mut cursor, mut entry, bytewise, .. } = self.place(t)?;
        let mut counted = 0;
        while let Some((key, _)) = entry {
            if self.ended(t, key, bytewise) {
                break;
            }
            counted += self.hands_out() as u64;
            entry = cursor.step(self.step())?;
        }
        self.done = true;
        Ok(counted)
    }

    /// Where the walk goes on in `t`: a cursor on the next entry to consider.
    fn place<'t>(&self, t: &'t RawTxn) -> Result<Place<'t>> {
        let dbi = self.db.dbi;
        // SAFETY: `t` is live for the cursor's life (the caller's call).
        let mut cursor = unsafe { Cursor::open(t, dbi)? };
        // SAFETY: `t` is live.
        let flags = unsafe { txn::dbi_flags(t, dbi)? };
        let dupsort = flags & ffi::MDB_DUPSORT != 0;
        let entry = match &self.last {
            None => self.first(t, &mut cursor, dupsort)?,
            Some((k, v)) => self.resume(t, &mut cursor, k, v, dupsort)?,
        };
        let bytewise = flags & (ffi::MDB_REVERSEKEY | ffi::MDB_INTEGERKEY) == 0;
        Ok(Place { cursor, entry, dupsort, bytewise })
    }

    /// The cursor move to the next entry in the walk's direction.
    fn step(&self) -> u32 {
        if self.opts.reverse {
            ffi::MDB_PREV
        } else {
            ffi::MDB_NEXT
        }
    }

    /// Whether `key` is past the walk's far bound, or its limit is reached.
    fn ended(&self, t: &RawTxn, key: &[u8], bytewise: bool) -> bool {
        !self.within(t, key, bytewise) || self.opts.limit.is_some_and(|l| self.handed >= l)
    }

    /// Counts one entry in: skipped while the offset lasts, else handed out (true).
    fn hands_out(&mut self) -> bool {
        if self.skipped < self.opts.offset {
            self.skipped += 1;
            false
        } else {
            self.handed += 1;
            true
        }
    }

    fn push(&self, out: &mut ReadOutput, key: &[u8], value: &[u8]) -> Result<()> {
        if self.opts.keys {
            out.data.extend_from_slice(key);
            out.lens.push(key.len() as i64);
        } else {
            out.lens.push(NOT_FOUND);
        }
        if self.opts.values {
            let value = if self.opts.codec != 0 { decompress(value)? } else { Cow::Borrowed(value) };
            out.data.extend_from_slice(&value);
            out.lens.push(value.len() as i64);
        } else {
            out.lens.push(NOT_FOUND);
        }
        Ok(())
    }

    /// Whether `key` is inside the bound still ahead (prefixes are bounds by now).
    /// `bytewise`: the database keeps LMDB's default order (no `reverseKey`
    /// or `integerKey`), which is the order of byte slices: compared here,
    /// with no call into LMDB per entry.
    fn within(&self, t: &RawTxn, key: &[u8], bytewise: bool) -> bool {
        let cmp = |bound: &[u8]| {
            if bytewise {
                key.cmp(bound) as i32
            } else {
                // SAFETY: `t` is live.
                unsafe { txn::cmp(t, self.db.dbi, key, bound) }
            }
        };
        let bound = if self.opts.reverse { &self.opts.start } else { &self.opts.end };
        match (bound, self.opts.reverse) {
            (Bound::Unbounded, _) => true,
            (Bound::Included(b), false) => cmp(b) <= 0,
            (Bound::Excluded(b), false) => cmp(b) < 0,
            (Bound::Included(b), true) => cmp(b) >= 0,
            (Bound::Excluded(b), true) => cmp(b) > 0,
        }
    }

    /// The first entry: the lower bound going forward, the upper going back.
    fn first<'t>(&self, t: &RawTxn, c: &mut Cursor<'t>, dupsort: bool) -> Result<Option<(&'t [u8], &'t [u8])>> {
        // SAFETY: `t` is live.
        let cmp = |a: &[u8], b: &[u8]| unsafe { txn::cmp(t, self.db.dbi, a, b) };
        if !self.opts.reverse {
            return match &self.opts.start {
                Bound::Unbounded => c.step(ffi::MDB_FIRST),
                Bound::Included(k) => c.seek(ffi::MDB_SET_RANGE, k, None),
                Bound::Excluded(k) => match c.seek(ffi::MDB_SET_RANGE, k, None)? {
                    Some((found, _)) if cmp(found, k) == 0 => {
                        c.step(if dupsort { ffi::MDB_NEXT_NODUP } else { ffi::MDB_NEXT })
                    }
                    other => Ok(other),
                },
            };
        }
        match &self.opts.end {
            Bound::Unbounded => c.step(ffi::MDB_LAST),
            Bound::Included(k) | Bound::Excluded(k) => match c.seek(ffi::MDB_SET_RANGE, k, None)? {
                None => c.step(ffi::MDB_LAST),
                Some((found, _)) if cmp(found, k) > 0 || matches!(self.opts.end, Bound::Excluded(_)) => {
                    c.step(ffi::MDB_PREV)
                }
                // on the bound itself: start from its last value
                Some(_) if dupsort => c.step(ffi::MDB_LAST_DUP).and_then(|_| c.step(ffi::MDB_GET_CURRENT)),
                Some(entry) => Ok(Some(entry)),
            },
        }
    }

    /// The entry after (or, reversed, before) the last one handed out.
    fn resume<'t>(
        &self,
        t: &RawTxn,
        c: &mut Cursor<'t>,
        key: &[u8],
        value: &[u8],
        dupsort: bool,
    ) -> Result<Option<(&'t [u8], &'t [u8])>> {
        // SAFETY: `t` is live.
        let cmp = |a: &[u8], b: &[u8]| unsafe { txn::cmp(t, self.db.dbi, a, b) };
        // SAFETY: as above.
        let dcmp = |a: &[u8], b: &[u8]| unsafe { txn::dcmp(t, self.db.dbi, a, b) };
        if dupsort {
            if let Some((_, v)) = c.seek(ffi::MDB_GET_BOTH_RANGE, key, Some(value))? {
                let exact = dcmp(v, value) == 0;
                return match (self.opts.reverse, exact) {
                    (false, true) => c.step(ffi::MDB_NEXT),
                    (false, false) => c.step(ffi::MDB_GET_CURRENT),
                    (true, _) => c.step(ffi::MDB_PREV),
                };
            }
            // every value of `key` is below `value` (or `key` is gone)
            return match c.seek(ffi::MDB_SET_RANGE, key, None)? {
                Some((k, _)) if cmp(k, key) == 0 => {
                    if self.opts.reverse {
                        c.step(ffi::MDB_LAST_DUP).and_then(|_| c.step(ffi::MDB_GET_CURRENT))
                    } else {
                        c.step(ffi::MDB_NEXT_NODUP)
                    }
                }
                Some(_) if self.opts.reverse => c.step(ffi::MDB_PREV),
                Some(_) => c.step(ffi::MDB_GET_CURRENT),
                None if self.opts.reverse => c.step(ffi::MDB_LAST),
                None => Ok(None),
            };
        }
        match c.seek(ffi::MDB_SET_RANGE, key, None)? {
            Some((k, _)) if !self.opts.reverse && cmp(k, key) == 0 => c.step(ffi::MDB_NEXT),
            Some(_) if !self.opts.reverse => c.step(ffi::MDB_GET_CURRENT),
            Some(_) => c.step(ffi::MDB_PREV),
            None if self.opts.reverse => c.step(ffi::MDB_LAST),
            None => Ok(None),
        }
    }
}

impl Drop for Range {
    fn drop(&mut self) {
        if !self.walk.done {
            self.close();
        }
    }
}

/// The smallest byte string above every string starting with `prefix`
/// (`None` when there is none: the prefix is all 0xff).
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}
