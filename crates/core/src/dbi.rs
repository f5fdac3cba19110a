//! Database handles: opening by name, listing, and retiring deleted ones.
//!
//! LMDB's `mdb_dbi_open` must not run in two transactions at once, so every
//! open (and the deletion of a named database, which closes its handle) holds
//! `Dbis::lock`. A database that exists is opened in a read transaction, off
//! the writer; only creation goes to the writer thread, which runs
//! `find_or_create_db` in the explicit transaction open, or else in one of
//! its own.
//!
//! A handle number can be reused after its database is deleted, so each slot
//! carries a generation: a `DbRef` from before the deletion no longer matches
//! and fails with `BadDbi` instead of reaching another database.

use std::collections::HashMap;
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::mpsc;

use lmdb_master_sys as ffi;
use parking_lot::{Mutex, MutexGuard};

use crate::batch::{op, DbRef, Op};
use crate::env::{Busy, Env, Shared};
use crate::error::{Error, Result};
use crate::options::{put_flags, DbFlags};
use crate::txn::{Cursor, RawTxn, MAIN_DBI};
use crate::writer::msg::Msg;

pub(crate) struct Dbis {
    /// Open handles by name (`None` is the main database).
    lock: Mutex<HashMap<Option<String>, u32>>,
    gens: Box<[AtomicU32]>,
    /// Whether this environment opened the slot. One it never opened has no
    /// comparator in LMDB: a handle naming it (say, one from another
    /// environment) must fail, not reach LMDB.
    opened: Box<[AtomicBool]>,
}

impl Dbis {
    pub(crate) fn new(max_dbs: u32) -> Self {
        // Slots 0 and 1 are LMDB's free-list and main databases.
        let slots = max_dbs as usize + 2;
        Dbis {
            lock: Mutex::new(HashMap::new()),
            gens: (0..slots).map(|_| AtomicU32::new(0)).collect(),
            opened: (0..slots).map(|_| AtomicBool::new(false)).collect(),
        }
    }

    /// Fails with `BadDbi` unless `db` still names the database it was opened as.
    pub(crate) fn check(&self, db: DbRef) -> Result<()> {
        let slot = db.dbi as usize;
        match (self.gens.get(slot), self.opened.get(slot)) {
            (Some(gen), Some(opened)) if opened.load(Ordering::Acquire) && gen.load(Ordering::Acquire) == db.gen => {
                Ok(())
            }
            _ => Err(Error::BadDbi),
        }
    }

    /// The handle of slot `dbi`, just opened (or open already).
    fn current(&self, dbi: u32) -> DbRef {
        self.opened[dbi as usize].store(true, Ordering::Release);
        DbRef { dbi, gen: self.gens[dbi as usize].load(Ordering::Acquire) }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, HashMap<Option<String>, u32>> {
        self.lock.lock()
    }

    /// Forgets a handle that LMDB closed (its database was deleted).
    pub(crate) fn retire(&self, names: &mut HashMap<Option<String>, u32>, dbi: u32) {
        names.retain(|_, d| *d != dbi);
        self.opened[dbi as usize].store(false, Ordering::Release);
        self.gens[dbi as usize].fetch_add(1, Ordering::AcqRel);
    }
}

/// Whether `op` is a drop that needs the handle table: deleting a named
/// database closes its handle at once, even if the transaction is later
/// aborted, and emptying the main database lists the named ones.
pub(crate) fn needs_dbis(op: &Op<'_>) -> bool {
    op.kind == op::DROP && (op.flags & put_flags::DELETE_DB != 0 || op.db.dbi == MAIN_DBI)
}

fn c_name(name: Option<&str>) -> Result<Option<CString>> {
    name.map(|n| CString::new(n).map_err(|_| Error::Invalid("a database name cannot contain a NUL byte".into())))
        .transpose()
}

/// `mdb_dbi_open` in `txn`.
///
/// # Safety
/// `txn` is live and the caller holds `Dbis::lock`.
unsafe fn dbi_open(txn: &RawTxn, name: &Option<CString>, flags: u32) -> Result<u32> {
    let mut dbi = 0;
    let name_ptr = name.as_ref().map_or(std::ptr::null(), |n| n.as_ptr());
    Error::check(ffi::mdb_dbi_open(txn.ptr(), name_ptr, flags, &mut dbi))?;
    Ok(dbi)
}

impl Shared {
    /// Opens an existing database in a read transaction; `None` if it does not exist.
    pub(crate) fn open_existing(
        &self,
        names: &mut HashMap<Option<String>, u32>,
        name: Option<&str>,
        flags: DbFlags,
    ) -> Result<Option<DbRef>> {
        if let Some(&dbi) = names.get(&name.map(str::to_owned)) {
            return Ok(Some(self.dbis.current(dbi)));
        }
        let cname = c_name(name)?;
        let _gate = self.enter()?;
        // SAFETY: the gate is held and so is `Dbis::lock`.
        let txn = unsafe { RawTxn::begin(self.raw(), None, ffi::MDB_RDONLY)? };
        // SAFETY: `txn` is live, and `Dbis::lock` is held.
        match unsafe { dbi_open(&txn, &cname, flags.bits()) } {
            Ok(dbi) => {
                // Committing makes the handle visible to every later transaction.
                txn.commit()?;
                names.insert(name.map(str::to_owned), dbi);
                Ok(Some(self.dbis.current(dbi)))
            }
            Err(Error::Lmdb(ffi::MDB_NOTFOUND)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates (or opens) a database in the writer's transaction `txn`,
    /// which the caller commits. Runs on the writer thread.
    fn create_db(&self, txn: &RawTxn, name: Option<&str>, flags: DbFlags) -> Result<u32> {
        let cname = c_name(name)?;
        // SAFETY: `txn` is the writer's live transaction; the caller holds `Dbis::lock`.
        unsafe { dbi_open(txn, &cname, flags.bits() | ffi::MDB_CREATE) }
    }

    /// The main database's keys that open as a database. Handles opened only
    /// to check are closed again by aborting the transaction they were opened
    /// in. The caller holds the gate and `Dbis::lock`.
    pub(crate) fn named_databases(&self) -> Result<Vec<String>> {
        // SAFETY: the caller holds the gate and `Dbis::lock`.
        let txn = unsafe { RawTxn::begin(self.raw(), None, ffi::MDB_RDONLY)? };
        let mut keys = Vec::new();
        {
            // SAFETY: `txn` is live for the cursor's life.
            let mut cursor = unsafe { Cursor::open(&txn, MAIN_DBI)? };
            let mut op = ffi::MDB_FIRST;
            while let Some((key, _)) = cursor.step(op)? {
                op = ffi::MDB_NEXT;
                if let Ok(name) = std::str::from_utf8(key) {
                    keys.push(name.to_owned());
                }
            }
        }
        Ok(keys
            .into_iter()
            .filter(|key| {
                // SAFETY: as above; a plain key fails with MDB_INCOMPATIBLE.
                c_name(Some(key)).is_ok_and(|name| unsafe { dbi_open(&txn, &name, 0) }.is_ok())
            })
            .collect())
    }

    /// Finds the database `name` among the open handles, or else creates it
    /// (or opens it, if it exists): `in_txn` is given the creation and runs it
    /// in a write transaction of the writer's, which it commits or leaves
    /// open. Holds `Dbis::lock` throughout. Runs on the writer thread.
    pub(crate) fn find_or_create_db(
        &self,
        name: Option<&str>,
        flags: DbFlags,
        in_txn: impl FnOnce(&dyn Fn(&RawTxn) -> Result<u32>) -> Result<u32>,
    ) -> Result<DbRef> {
        let mut names = self.dbis.lock();
        if let Some(&dbi) = names.get(&name.map(str::to_owned)) {
            return Ok(self.remember_db(&mut names, name, dbi));
        }
        let dbi = in_txn(&|txn| self.create_db(txn, name, flags))?;
        Ok(self.remember_db(&mut names, name, dbi))
    }

    pub(crate) fn remember_db(&self, names: &mut HashMap<Option<String>, u32>, name: Option<&str>, dbi: u32) -> DbRef {
        names.insert(name.map(str::to_owned), dbi);
        self.dbis.current(dbi)
    }
}

impl Env {
    /// Opens the named database (`None`: the main one), creating it when
    /// `create` is set and the environment is writable. LMDB fixes `flags`
    /// when a database is created; for an existing one they are ignored.
    pub fn open_db(&self, name: Option<&str>, flags: DbFlags, create: bool) -> Result<DbRef> {
        let busy = self.busy()?;
        let shared = busy.shared();
        let existing = shared.adopting_resizes(|| shared.open_existing(&mut shared.dbis.lock(), name, flags))?;
        if let Some(db) = existing {
            return Ok(db);
        }
        if !create {
            return Err(Error::Lmdb(ffi::MDB_NOTFOUND));
        }
        // creation goes to the writer, which owns write transactions
        let (reply, answer) = mpsc::channel();
        let create = Msg::CreateDb { name: name.map(str::to_owned), flags, reply };
        shared.writer_sender()?.send(create).map_err(|_| Error::Closed("environment"))?;
        answer.recv().map_err(|_| Error::Closed("environment"))?
    }
}

impl Busy {
    /// The names of the named databases.
    pub fn databases(&self) -> Result<Vec<String>> {
        let shared = self.shared();
        shared.adopting_resizes(|| {
            let _names = shared.dbis.lock();
            let _gate = shared.enter()?;
            shared.named_databases()
        })
    }

    /// The flags the database was created with.
    pub fn db_flags(&self, db: DbRef) -> Result<DbFlags> {
        let shared = self.shared();
        shared.dbis.check(db)?;
        // SAFETY: the pooled transaction is live inside `read`.
        let bits = shared.read(|txn| unsafe { crate::txn::dbi_flags(txn, db.dbi) })?;
        Ok(DbFlags::from_bits(bits))
    }

    /// `mdb_stat` of one database.
    pub fn db_stat(&self, db: DbRef) -> Result<crate::env::Stat> {
        let shared = self.shared();
        shared.dbis.check(db)?;
        // SAFETY: the pooled transaction is live inside `read`.
        shared.read(|txn| unsafe { crate::txn::dbi_stat(txn, db.dbi) }.map(Into::into))
    }
}
