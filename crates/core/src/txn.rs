//! Transactions and the raw LMDB calls made inside them.
//!
//! `WriteTxn` aborts on drop unless committed. Read transactions are pooled
//! by `Shared::read`: a reset transaction keeps its reader slot, and renewing
//! it is far cheaper than `mdb_txn_begin`, which takes the reader-table lock.

use std::ptr::{self, NonNull};

use lmdb_master_sys as ffi;

use crate::error::{Error, Result};

/// LMDB's handle of the main (unnamed) database.
pub(crate) const MAIN_DBI: u32 = 1;

/// A transaction pointer that may move between threads. LMDB allows that for
/// read transactions under MDB_NOTLS, and for write transactions only when the
/// caller keeps them on one thread (the writer thread).
#[derive(Debug)]
pub(crate) struct RawTxn(pub(crate) NonNull<ffi::MDB_txn>);

// SAFETY: the environment is opened with MDB_NOTLS; see the type's doc.
unsafe impl Send for RawTxn {}

impl RawTxn {
    /// Begins a transaction.
    ///
    /// # Safety
    /// `env` must be an open environment that outlives the transaction, and
    /// the caller must hold the environment's gate (see `env/shared.rs`).
    pub(crate) unsafe fn begin(env: *mut ffi::MDB_env, parent: Option<&RawTxn>, flags: u32) -> Result<RawTxn> {
        let mut txn = ptr::null_mut();
        let parent = parent.map_or(ptr::null_mut(), |p| p.0.as_ptr());
        Error::check(ffi::mdb_txn_begin(env, parent, flags, &mut txn))?;
        Ok(RawTxn(NonNull::new(txn).expect("mdb_txn_begin returned success and no transaction")))
    }

    pub(crate) fn ptr(&self) -> *mut ffi::MDB_txn {
        self.0.as_ptr()
    }

    /// Commits, consuming the transaction whatever the result (LMDB frees it).
    pub(crate) fn commit(self) -> Result<()> {
        let txn = self.ptr();
        std::mem::forget(self);
        // SAFETY: the transaction is live and is not used again.
        Error::check(unsafe { ffi::mdb_txn_commit(txn) })
    }

    /// The id of the commit the transaction sees (LMDB's `mdb_txn_id`).
    pub(crate) fn id(&self) -> u64 {
        // SAFETY: the transaction is live.
        unsafe { ffi::mdb_txn_id(self.ptr()) as u64 }
    }

    /// Releases a read transaction's snapshot but keeps its reader slot.
    pub(crate) fn reset(&self) {
        // SAFETY: only read transactions are reset, and this one is live.
        unsafe { ffi::mdb_txn_reset(self.ptr()) }
    }

    /// Takes a fresh snapshot in a reset read transaction.
    pub(crate) fn renew(&self) -> Result<()> {
        // SAFETY: the transaction is a live, reset read transaction.
        Error::check(unsafe { ffi::mdb_txn_renew(self.ptr()) })
    }
}

impl Drop for RawTxn {
    fn drop(&mut self) {
        // SAFETY: a RawTxn is live until commit (which forgets it) or drop.
        unsafe { ffi::mdb_txn_abort(self.ptr()) }
    }
}

fn to_val(bytes: &[u8]) -> ffi::MDB_val {
    ffi::MDB_val { mv_size: bytes.len(), mv_data: bytes.as_ptr() as *mut _ }
}

/// # Safety
/// The value must point into a live transaction's pages or caller memory.
unsafe fn from_val<'t>(val: &ffi::MDB_val) -> &'t [u8] {
    if val.mv_size == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(val.mv_data as *const u8, val.mv_size)
    }
}

/// `mdb_get`: the value of `key`, borrowed from the transaction's pages.
///
/// # Safety
/// `txn` is live and the returned slice is not used after it ends or writes.
pub(crate) unsafe fn get<'t>(txn: &'t RawTxn, dbi: u32, key: &[u8]) -> Result<Option<&'t [u8]>> {
    let mut k = to_val(key);
    let mut v = ffi::MDB_val { mv_size: 0, mv_data: ptr::null_mut() };
    match ffi::mdb_get(txn.ptr(), dbi, &mut k, &mut v) {
        ffi::MDB_SUCCESS => Ok(Some(from_val(&v))),
        ffi::MDB_NOTFOUND => Ok(None),
        rc => Err(Error::Lmdb(rc)),
    }
}

/// `mdb_put`: `Ok(false)` when MDB_NOOVERWRITE or MDB_NODUPDATA found the
/// key (or pair) present; MDB_KEYEXIST from MDB_APPEND stays an error.
///
/// # Safety
/// `txn` is a live write transaction.
pub(crate) unsafe fn put(txn: &RawTxn, dbi: u32, key: &[u8], value: &[u8], flags: u32) -> Result<bool> {
    let mut k = to_val(key);
    let mut v = to_val(value);
    put_result(ffi::mdb_put(txn.ptr(), dbi, &mut k, &mut v, flags), flags)
}

/// A put's return code: `Ok(false)` when MDB_NOOVERWRITE or MDB_NODUPDATA
/// found the key (or pair) present.
fn put_result(rc: i32, flags: u32) -> Result<bool> {
    match rc {
        ffi::MDB_SUCCESS => Ok(true),
        ffi::MDB_KEYEXIST if flags & (ffi::MDB_NOOVERWRITE | ffi::MDB_NODUPDATA) != 0 => Ok(false),
        rc => Err(Error::Lmdb(rc)),
    }
}

/// `mdb_del`: deletes the key (all its values) or, with `value`, one pair;
/// `Ok(false)` when there was nothing to delete.
///
/// # Safety
/// `txn` is a live write transaction.
pub(crate) unsafe fn del(txn: &RawTxn, dbi: u32, key: &[u8], value: Option<&[u8]>) -> Result<bool> {
    let mut k = to_val(key);
    let mut v = value.map(to_val);
    let vp = v.as_mut().map_or(ptr::null_mut(), |v| v as *mut _);
    match ffi::mdb_del(txn.ptr(), dbi, &mut k, vp) {
        ffi::MDB_SUCCESS => Ok(true),
        ffi::MDB_NOTFOUND => Ok(false),
        rc => Err(Error::Lmdb(rc)),
    }
}

/// LMDB's order of two keys in `dbi` (which honours its key flags): <0, 0, >0.
///
/// # Safety
/// `txn` is live.
pub(crate) unsafe fn cmp(txn: &RawTxn, dbi: u32, a: &[u8], b: &[u8]) -> i32 {
    ffi::mdb_cmp(txn.ptr(), dbi, &to_val(a), &to_val(b))
}

/// LMDB's order of two values of one key in a dupSort `dbi`.
///
/// # Safety
/// `txn` is live.
pub(crate) unsafe fn dcmp(txn: &RawTxn, dbi: u32, a: &[u8], b: &[u8]) -> i32 {
    ffi::mdb_dcmp(txn.ptr(), dbi, &to_val(a), &to_val(b))
}

/// The database's flags (MDB_DUPSORT, …).
///
/// # Safety
/// `txn` is live.
pub(crate) unsafe fn dbi_flags(txn: &RawTxn, dbi: u32) -> Result<u32> {
    let mut flags = 0;
    Error::check(ffi::mdb_dbi_flags(txn.ptr(), dbi, &mut flags))?;
    Ok(flags)
}

/// `mdb_stat` of one database.
///
/// # Safety
/// `txn` is live.
pub(crate) unsafe fn dbi_stat(txn: &RawTxn, dbi: u32) -> Result<ffi::MDB_stat> {
    let mut stat = std::mem::zeroed();
    Error::check(ffi::mdb_stat(txn.ptr(), dbi, &mut stat))?;
    Ok(stat)
}

/// A cursor, closed on drop (before its transaction ends).
pub(crate) struct Cursor<'t> {
    ptr: *mut ffi::MDB_cursor,
    _txn: std::marker::PhantomData<&'t RawTxn>,
}

impl<'t> Cursor<'t> {
    /// # Safety
    /// `txn` is live for `'t`.
    pub(crate) unsafe fn open(txn: &'t RawTxn, dbi: u32) -> Result<Self> {
        let mut ptr = ptr::null_mut();
        Error::check(ffi::mdb_cursor_open(txn.ptr(), dbi, &mut ptr))?;
        Ok(Cursor { ptr, _txn: std::marker::PhantomData })
    }

    /// Moves the cursor; the entry there, or `None` at the end.
    pub(crate) fn step(&mut self, op: ffi::MDB_cursor_op) -> Result<Option<(&'t [u8], &'t [u8])>> {
        let mut k = ffi::MDB_val { mv_size: 0, mv_data: ptr::null_mut() };
        let mut v = ffi::MDB_val { mv_size: 0, mv_data: ptr::null_mut() };
        // SAFETY: the cursor is live; the slices borrow the transaction's pages.
        match unsafe { ffi::mdb_cursor_get(self.ptr, &mut k, &mut v, op) } {
            // SAFETY: LMDB filled both vals, pointing into pages `'t` keeps mapped.
            ffi::MDB_SUCCESS => Ok(Some(unsafe { (from_val(&k), from_val(&v)) })),
            ffi::MDB_NOTFOUND => Ok(None),
            rc => Err(Error::Lmdb(rc)),
        }
    }

    /// Positions the cursor with an operation that takes a key (and, for
    /// MDB_GET_BOTH_RANGE, a value); the entry there, or `None`.
    pub(crate) fn seek(
        &mut self,
        op: ffi::MDB_cursor_op,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<Option<(&'t [u8], &'t [u8])>> {
        let mut k = to_val(key);
        let mut v = value.map_or(ffi::MDB_val { mv_size: 0, mv_data: ptr::null_mut() }, to_val);
        // SAFETY: the cursor is live; LMDB points the vals at its pages (or
        // leaves the key pointing at `key`, which the caller copies first).
        match unsafe { ffi::mdb_cursor_get(self.ptr, &mut k, &mut v, op) } {
            // SAFETY: LMDB filled both vals, as said above.
            ffi::MDB_SUCCESS => Ok(Some(unsafe { (from_val(&k), from_val(&v)) })),
            ffi::MDB_NOTFOUND => Ok(None),
            rc => Err(Error::Lmdb(rc)),
        }
    }

    /// How many values the current key has (dupSort databases).
    pub(crate) fn count(&self) -> Result<usize> {
        let mut n = 0;
        // SAFETY: the cursor is live and positioned.
        Error::check(unsafe { ffi::mdb_cursor_count(self.ptr, &mut n) })?;
        Ok(n)
    }

    /// `mdb_cursor_put`, with `put`'s results; the cursor is left on the
    /// entry written.
    pub(crate) fn put(&mut self, key: &[u8], value: &[u8], flags: u32) -> Result<bool> {
        let mut k = to_val(key);
        let mut v = to_val(value);
        // SAFETY: the cursor is live in a write transaction; LMDB copies both.
        put_result(unsafe { ffi::mdb_cursor_put(self.ptr, &mut k, &mut v, flags) }, flags)
    }

    /// Deletes the entry under the cursor.
    pub(crate) fn delete_current(&mut self) -> Result<()> {
        // SAFETY: the cursor is live and positioned.
        Error::check(unsafe { ffi::mdb_cursor_del(self.ptr, 0) })
    }
}

impl Drop for Cursor<'_> {
    fn drop(&mut self) {
        // SAFETY: opened by mdb_cursor_open; its transaction is still live.
        unsafe { ffi::mdb_cursor_close(self.ptr) }
    }
}
