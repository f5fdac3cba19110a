//! The shared environment: one open `MDB_env` per path per process (see
//! `registry.rs`), its gate, its pool of read transactions and its writer.
//!
//! The *gate* is a read/write lock that every use of the memory map holds
//! for reading; growing the map and closing take it for writing, so LMDB's
//! rule that `mdb_env_set_mapsize` runs with no transaction active in the
//! process holds without stopping the world for long: a reader holds the
//! gate for one operation, not between operations.

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;

use lmdb_master_sys as ffi;
use parking_lot::{Mutex, RwLock, RwLockReadGuard};

use crate::dbi::Dbis;
use crate::error::{Error, Result};
use crate::options::EnvOptions;
use crate::pool::Pool;
use crate::txn::RawTxn;
use crate::writer::msg::Msg;
use crate::writer::Writer;

pub(crate) struct RawEnv(NonNull<ffi::MDB_env>);

// SAFETY: LMDB environments are thread-safe; MDB_NOTLS lets read
// transactions move between threads, and write transactions stay on the
// writer thread.
unsafe impl Send for RawEnv {}
// SAFETY: as for `Send`: LMDB serialises what must be, and the gate keeps
// the map still while it is used.
unsafe impl Sync for RawEnv {}

/// One open LMDB environment, shared by every handle on its path.
pub(crate) struct Shared {
    key: PathBuf,
    raw: RawEnv,
    pub(crate) options: EnvOptions,
    /// `true` while the environment is open; see the module doc.
    pub(super) gate: RwLock<bool>,
    /// Set when LMDB failed to map a new size: it unmaps the old map first,
    /// so nothing may touch the map again (every use fails with MDB_PANIC).
    pub(super) unmapped: AtomicBool,
    /// Reset read transactions kept for reuse (`pool.rs`).
    pool: Mutex<Pool>,
    pub(crate) dbis: Dbis,
    writer: Mutex<Option<Writer>>,
    /// Set when the last handle went on the writer thread itself: the
    /// writer closes the environment once its loop has ended.
    close_after_writer: AtomicBool,
    /// The next ticket in the order of writes (see `writer/ticket.rs`).
    seq: AtomicU64,
    max_key_size: usize,
    pub(super) page_size: usize,
}

impl Shared {
    /// Creates and opens the environment at the canonical path `key`.
    pub(crate) fn open(key: &Path, options: &EnvOptions) -> Result<Shared> {
        let mut env = ptr::null_mut();
        // SAFETY: mdb_env_create fills `env` on success.
        Error::check(unsafe { ffi::mdb_env_create(&mut env) })?;
        let raw = RawEnv(NonNull::new(env).expect("mdb_env_create returned no environment"));
        let close_on_error = |e: Error| {
            // SAFETY: the environment was created above and is not shared yet.
            unsafe { ffi::mdb_env_close(raw.0.as_ptr()) };
            e
        };
        let path = CString::new(key.as_os_str().as_encoded_bytes())
            .map_err(|_| close_on_error(Error::Invalid("path contains a NUL byte".into())))?;
        // a default map size above the cap takes the cap
        let map_size = options.map_size.min(options.max_map_size.unwrap_or(usize::MAX));
        // SAFETY: the environment is created and not yet open, as these setters require.
        unsafe {
            Error::check(ffi::mdb_env_set_mapsize(env, map_size))
                .and_then(|_| Error::check(ffi::mdb_env_set_maxreaders(env, options.max_readers)))
                .and_then(|_| Error::check(ffi::mdb_env_set_maxdbs(env, options.max_dbs)))
                .and_then(|_| {
                    Error::check(ffi::mdb_env_open(
                        env,
                        path.as_ptr(),
                        options.env_flags(),
                        options.mode as ffi::mdb_mode_t,
                    ))
                })
                .map_err(close_on_error)?;
        }
        // SAFETY: the environment is open; `stat` is plain data.
        let (max_key_size, page_size) = unsafe {
            let mut stat: ffi::MDB_stat = std::mem::zeroed();
            Error::check(ffi::mdb_env_stat(env, &mut stat)).map_err(close_on_error)?;
            (ffi::mdb_env_get_maxkeysize(env) as usize, stat.ms_psize as usize)
        };
        let shared = Shared {
            key: key.to_owned(),
            raw,
            options: options.clone(),
            gate: RwLock::new(true),
            unmapped: AtomicBool::new(false),
            close_after_writer: AtomicBool::new(false),
            pool: Mutex::new(Pool::new(options.max_readers)),
            dbis: Dbis::new(options.max_dbs),
            writer: Mutex::new(None),
            seq: AtomicU64::new(0),
            max_key_size,
            page_size,
        };
        // LMDB maps no less than the data, but no more either when `map_size`
        // is smaller: room ahead before the first write (`map.rs`).
        shared.grow_ahead();
        Ok(shared)
    }

    /// Starts the writer thread (not for read-only environments).
    pub(crate) fn start(self: &Arc<Self>) -> Result<()> {
        if !self.options.readonly {
            *self.writer.lock() = Some(Writer::spawn(self.clone())?);
        }
        Ok(())
    }

    pub(crate) fn key(&self) -> &Path {
        &self.key
    }

    pub(crate) fn raw(&self) -> *mut ffi::MDB_env {
        self.raw.0.as_ptr()
    }

    /// The writer's queue; EACCES for a read-only environment.
    pub(crate) fn writer_sender(&self) -> Result<Sender<Msg>> {
        match &*self.writer.lock() {
            Some(writer) => Ok(writer.sender()),
            None if self.options.readonly => Err(Error::Lmdb(libc::EACCES)),
            None => Err(Error::Closed("environment")),
        }
    }

    pub(crate) fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// Holds the gate open for one use of the map.
    pub(crate) fn enter(&self) -> Result<RwLockReadGuard<'_, bool>> {
        let gate = self.gate.read();
        if !*gate {
            Err(Error::Closed("environment"))
        } else if self.unmapped.load(Ordering::Acquire) {
            Err(Error::Lmdb(ffi::MDB_PANIC))
        } else {
            Ok(gate)
        }
    }

    /// A read transaction with a fresh snapshot, from the pool when one is
    /// there. `gate` is this environment's gate, held by the caller; it is
    /// given back (released) only when another process grew the map, to adopt
    /// the new size, and taken again.
    ///
    /// When the reader table is full, this process's own pooled slots are
    /// given back and the transaction is tried once more before failing.
    pub(crate) fn begin_read<'s>(&'s self, gate: &mut RwLockReadGuard<'s, bool>) -> Result<RawTxn> {
        let mut retried = false;
        loop {
            let pooled = self.pool.lock().take();
            let txn = match pooled {
                Some(txn) => txn.renew().map(|_| txn),
                // SAFETY: the gate is held, so the environment is open.
                None => unsafe { RawTxn::begin(self.raw(), None, ffi::MDB_RDONLY) },
            };
            match txn {
                Err(Error::Lmdb(ffi::MDB_MAP_RESIZED)) => {
                    RwLockReadGuard::unlocked(gate, || self.adopt_map_size())?;
                    if !**gate {
                        return Err(Error::Closed("environment"));
                    }
                }
                Err(Error::Lmdb(ffi::MDB_READERS_FULL)) if !retried => {
                    retried = true;
                    self.pool.lock().clear();
                }
                other => return other,
            }
        }
    }

    /// Gives a read transaction back to the pool (reset: it keeps its reader
    /// slot but no snapshot), or ends it when the pool is full. The caller
    /// holds the gate (the environment is open).
    pub(crate) fn recycle(&self, txn: RawTxn) {
        txn.reset();
        self.pool.lock().give(txn);
    }

    /// Gives back pooled slots idle since before `now - IDLE` (for the
    /// reaper in `pool.rs`); whether any stay pooled.
    pub(crate) fn expire_idle(&self, now: std::time::Instant) -> bool {
        match self.enter() {
            Ok(_gate) => self.pool.lock().expire(now),
            Err(_) => false,
        }
    }

    #[cfg(test)]
    pub(crate) fn pooled(&self) -> usize {
        self.pool.lock().len()
    }

    /// Runs `f` in a read transaction from the pool, holding the gate.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&RawTxn) -> Result<R>) -> Result<R> {
        let mut gate = self.enter()?;
        let txn = self.begin_read(&mut gate)?;
        let result = f(&txn);
        self.recycle(txn);
        result
    }

    pub(crate) fn info(&self) -> Result<ffi::MDB_envinfo> {
        let _gate = self.enter()?;
        // SAFETY: the environment is open; `info` is plain data.
        unsafe {
            let mut info = std::mem::zeroed();
            Error::check(ffi::mdb_env_info(self.raw(), &mut info))?;
            Ok(info)
        }
    }

    pub(crate) fn max_key_size(&self) -> usize {
        self.max_key_size
    }

    /// Ends the writer, the pooled transactions and the environment, and
    /// says whether it is closed. Called once, by the registry, when the last
    /// handle is gone. When that happens on the writer thread (it let go of
    /// the last handle's last operation), the writer is amid a message and may
    /// hold an explicit write transaction: closing the environment under it
    /// would free that transaction while in use, so the writer closes it
    /// once it ends (`writer_ended`), and this answers `false`.
    pub(crate) fn shutdown(&self) -> bool {
        let writer = self.writer.lock().take();
        if let Some(writer) = writer {
            if !writer.stop() {
                self.close_after_writer.store(true, Ordering::Release);
                return false;
            }
        }
        self.close();
        true
    }

    /// The writer thread's last act: the close `shutdown` left to it.
    pub(crate) fn writer_ended(&self) {
        if self.close_after_writer.load(Ordering::Acquire) {
            super::registry::close_closing(self);
        }
    }

    pub(super) fn close(&self) {
        let mut gate = self.gate.write();
        self.pool.lock().clear();
        *gate = false;
        // SAFETY: the gate is closed, so nothing uses the environment again.
        unsafe { ffi::mdb_env_close(self.raw()) };
    }
}
