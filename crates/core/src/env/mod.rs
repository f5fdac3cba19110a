//! Environments: the shared native environment and the handles onto it.
//!
//! `Shared` owns one `MDB_env`. Its *gate* is a read/write lock that every
//! use of the memory map holds for reading; growing the map and closing take
//! it for writing, so LMDB's rule that `mdb_env_set_mapsize` runs with no
//! transaction active in the process holds without stopping the world for
//! long: a reader holds the gate for one operation, not between operations.
//!
//! `Env` is one handle (one JavaScript `Environment`). Closing it waits for the
//! work it started, then gives its share back to the registry.

use std::ffi::{CStr, CString};
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;

use lmdb_master_sys as ffi;
use parking_lot::{Condvar, Mutex, RwLock, RwLockReadGuard};

use crate::dbi::Dbis;
use crate::error::{Error, Result};
use crate::options::{EnvFlags, EnvOptions};
use crate::pool::Pool;
use crate::registry;
use crate::snapshot::Held;
use crate::transaction::TxnLink;
use crate::txn::RawTxn;
use crate::writer::{Msg, Writer};

pub(crate) struct RawEnv(NonNull<ffi::MDB_env>);

// SAFETY: LMDB environments are thread-safe; MDB_NOTLS lets read
// transactions move between threads, and write transactions stay on the
// writer thread.
unsafe impl Send for RawEnv {}
unsafe impl Sync for RawEnv {}

/// One open LMDB environment, shared by every handle on its path.
pub(crate) struct Shared {
    key: PathBuf,
    raw: RawEnv,
    pub(crate) options: EnvOptions,
    /// `true` while the environment is open; see the module doc.
    gate: RwLock<bool>,
    /// Set when LMDB failed to map a new size: it unmaps the old map first,
    /// so nothing may touch the map again (every use fails with MDB_PANIC).
    unmapped: AtomicBool,
    /// Reset read transactions kept for reuse (`pool.rs`).
    pool: Mutex<Pool>,
    pub(crate) dbis: Dbis,
    writer: Mutex<Option<Writer>>,
    /// The next ticket in the order of writes (see `writer.rs`).
    seq: AtomicU64,
    max_key_size: usize,
    page_size: usize,
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
            pool: Mutex::new(Pool::new(options.max_readers)),
            dbis: Dbis::new(options.max_dbs),
            writer: Mutex::new(None),
            seq: AtomicU64::new(0),
            max_key_size,
            page_size,
        };
        // LMDB maps no less than the data, but no more either when `map_size`
        // is smaller: room ahead before the first write (`group::grow_ahead`).
        crate::group::grow_ahead(&shared);
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

    /// Another process grew the map: take its size (`mdb_env_set_mapsize(0)`).
    pub(crate) fn adopt_map_size(&self) -> Result<()> {
        self.resize(0)
    }

    /// Sets the map size with every other use of the map shut out.
    ///
    /// LMDB unmaps the old map before it maps the new size, and has no way
    /// back when that fails; so a size that cannot be mapped is refused
    /// first (ENOMEM, or the file's growth error with `writemap`), and should
    /// LMDB fail all the same, the environment is marked unusable.
    pub(crate) fn resize(&self, bytes: usize) -> Result<()> {
        let gate = self.gate.write();
        if !*gate {
            return Err(Error::Closed("environment"));
        }
        if self.unmapped.load(Ordering::Acquire) {
            return Err(Error::Lmdb(ffi::MDB_PANIC));
        }
        if bytes > 0 {
            self.check_mappable(bytes)?;
        }
        // SAFETY: the gate is held for writing, so no transaction of this
        // process is using the map (pooled ones are reset, holding no pages).
        let rc = unsafe { ffi::mdb_env_set_mapsize(self.raw(), bytes) };
        // EINVAL (a write transaction is open) comes before the old map goes
        if rc != ffi::MDB_SUCCESS && rc != libc::EINVAL {
            self.unmapped.store(true, Ordering::Release);
        }
        Error::check(rc)
    }

    /// Whether a map of `bytes` can be made now: address space for it and,
    /// with `writemap` (where LMDB grows the file to the map's size), a file
    /// that can grow so far. Sizes below the data's LMDB rounds up, and the
    /// data is mapped already.
    #[cfg(unix)]
    fn check_mappable(&self, bytes: usize) -> Result<()> {
        // SAFETY: an anonymous, inaccessible, unreserved mapping, unmapped at once.
        unsafe {
            let probe = libc::mmap(
                ptr::null_mut(),
                bytes,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            if probe == libc::MAP_FAILED {
                return Err(Error::Io(std::io::Error::last_os_error()));
            }
            libc::munmap(probe, bytes);
        }
        if self.options.writemap {
            let mut fd = 0;
            // SAFETY: the environment is open; `fd` is its data file.
            Error::check(unsafe { ffi::mdb_env_get_fd(self.raw(), &mut fd) })?;
            // SAFETY: fstat fills `stat`; growing the file is what LMDB would do next.
            unsafe {
                let mut stat: libc::stat = std::mem::zeroed();
                if libc::fstat(fd, &mut stat) != 0 {
                    return Err(Error::Io(std::io::Error::last_os_error()));
                }
                let wanted = libc::off_t::try_from(bytes).map_err(|_| Error::Lmdb(libc::EFBIG))?;
                if wanted > stat.st_size && libc::ftruncate(fd, wanted) != 0 {
                    return Err(Error::Io(std::io::Error::last_os_error()));
                }
            }
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn check_mappable(&self, _bytes: usize) -> Result<()> {
        Ok(())
    }

    pub(crate) fn map_size(&self) -> Result<usize> {
        Ok(self.info()?.me_mapsize)
    }

    /// The bytes the data spans (every page up to the last one in use,
    /// free ones between included) and the map's size.
    pub(crate) fn used_and_map_size(&self) -> Result<(usize, usize)> {
        let info = self.info()?;
        Ok(((info.me_last_pgno + 1).saturating_mul(self.page_size), info.me_mapsize))
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

    /// Ends the writer, the pooled transactions and the environment. Called
    /// once, by the registry, when the last handle is gone.
    pub(crate) fn shutdown(&self) {
        if let Some(writer) = self.writer.lock().take() {
            writer.stop();
        }
        let mut gate = self.gate.write();
        self.pool.lock().clear();
        *gate = false;
        // SAFETY: the gate is closed, so nothing uses the environment again.
        unsafe { ffi::mdb_env_close(self.raw()) };
    }
}

/// What a handle must end when it closes, kept weakly: the owners drop
/// them as they finish.
struct WeakList<T>(Mutex<Vec<std::sync::Weak<T>>>);

impl<T> Default for WeakList<T> {
    fn default() -> Self {
        WeakList(Mutex::new(Vec::new()))
    }
}

impl<T> WeakList<T> {
    fn add(&self, item: std::sync::Weak<T>) {
        let mut items = self.0.lock();
        items.retain(|i| i.strong_count() > 0);
        items.push(item);
    }

    /// Empties the list; the items still alive.
    fn take_live(&self) -> Vec<Arc<T>> {
        self.0.lock().drain(..).filter_map(|i| i.upgrade()).collect()
    }
}

struct Handle {
    shared: Arc<Shared>,
    /// Read transactions held across calls (snapshots, ranges), ended on close.
    leases: WeakList<Held>,
    /// Explicit write transactions, aborted on close.
    txns: WeakList<TxnLink>,
    /// Operations in progress, with `CLOSED` set once the handle is closed:
    /// one atomic add per operation, on every hot path.
    state: AtomicUsize,
    /// `close` waits here for the count to reach zero.
    waiting: Mutex<()>,
    idle: Condvar,
    released: AtomicBool,
}

const CLOSED: usize = 1 << (usize::BITS - 1);

impl Handle {
    fn end_op(&self) {
        if self.state.fetch_sub(1, Ordering::AcqRel) == CLOSED | 1 {
            // the last operation a close waits for: wake it (under its lock,
            // so the wake cannot fall between its check and its wait)
            let _waiting = self.waiting.lock();
            self.idle.notify_all();
        }
    }

    fn release(&self) {
        if !self.released.swap(true, Ordering::AcqRel) {
            registry::release(&self.shared);
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.release();
    }
}

/// One operation in progress on a handle: `close` waits until it is dropped.
/// Taken on the calling thread (see `Env::busy`), it is what work handed to
/// another thread carries, so a `close` issued after the call cannot overtake
/// it. The operations that may run off the calling thread are its methods.
pub struct Busy(Arc<Handle>);

impl Busy {
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.0.shared
    }

    /// Registers a held transaction to end when the handle closes.
    pub(crate) fn lease(&self, held: std::sync::Weak<Held>) {
        self.0.leases.add(held);
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.end_op();
    }
}

/// Statistics of the environment's main database or of one database (`mdb_stat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Stat {
    pub psize: u32,
    pub depth: u32,
    pub branch_pages: usize,
    pub leaf_pages: usize,
    pub overflow_pages: usize,
    pub entries: usize,
}

impl From<ffi::MDB_stat> for Stat {
    fn from(s: ffi::MDB_stat) -> Self {
        Stat {
            psize: s.ms_psize,
            depth: s.ms_depth,
            branch_pages: s.ms_branch_pages,
            leaf_pages: s.ms_leaf_pages,
            overflow_pages: s.ms_overflow_pages,
            entries: s.ms_entries,
        }
    }
}

/// `mdb_env_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Info {
    pub map_addr: usize,
    pub map_size: usize,
    pub last_pgno: usize,
    pub last_txnid: usize,
    pub max_readers: u32,
    pub num_readers: u32,
}

/// A handle on an open environment. Cloning it shares the handle: it is
/// released when `close` is called or when the last clone is dropped.
#[derive(Clone)]
pub struct Env(Arc<Handle>);

impl Env {
    /// Opens (or joins, if this process has it open) the environment at `path`.
    pub fn open(path: impl AsRef<Path>, options: &EnvOptions) -> Result<Env> {
        options.check()?;
        let key = prepare_path(path.as_ref(), options)?;
        let shared = registry::acquire(key, options)?;
        Ok(Env(Arc::new(Handle {
            shared,
            leases: WeakList::default(),
            txns: WeakList::default(),
            state: AtomicUsize::new(0),
            waiting: Mutex::new(()),
            idle: Condvar::new(),
            released: AtomicBool::new(false),
        })))
    }

    /// Starts an operation; fails once the handle is closed.
    pub fn busy(&self) -> Result<Busy> {
        if self.0.state.fetch_add(1, Ordering::AcqRel) & CLOSED != 0 {
            self.0.end_op();
            return Err(Error::Closed("environment"));
        }
        Ok(Busy(self.0.clone()))
    }

    /// Closes this handle: new calls fail with `Closed`, calls in progress
    /// finish first. The environment closes with its last handle. Idempotent.
    pub fn close(&self) {
        self.0.state.fetch_or(CLOSED, Ordering::AcqRel);
        // A transaction left hanging would otherwise keep the work behind it
        // (and so this close) waiting for ever.
        self.0.txns.take_live().iter().for_each(|link| link.abort());
        let mut waiting = self.0.waiting.lock();
        while self.0.state.load(Ordering::Acquire) & !CLOSED > 0 {
            self.0.idle.wait(&mut waiting);
        }
        drop(waiting);
        if let Ok(_gate) = self.0.shared.enter() {
            self.0.leases.take_live().iter().for_each(|held| held.abort());
        }
        self.0.release();
    }

    pub(crate) fn track(&self, link: std::sync::Weak<TxnLink>) {
        self.0.txns.add(link);
    }

    pub(crate) fn shared_ref(&self) -> &Shared {
        &self.0.shared
    }

    /// Whether `close` was called on this handle.
    pub fn is_closed(&self) -> bool {
        self.0.state.load(Ordering::Acquire) & CLOSED != 0
    }

    /// The path as canonicalised when the environment was opened.
    pub fn path(&self) -> &Path {
        self.0.shared.key()
    }

    /// The largest key (and dupSort value) LMDB accepts, in bytes.
    pub fn max_key_size(&self) -> usize {
        self.0.shared.max_key_size()
    }

    /// `mdb_env_stat`: statistics of the main database.
    pub fn stat(&self) -> Result<Stat> {
        let busy = self.busy()?;
        let _gate = busy.shared().enter()?;
        // SAFETY: the environment is open; `stat` is plain data.
        unsafe {
            let mut stat = std::mem::zeroed();
            Error::check(ffi::mdb_env_stat(busy.shared().raw(), &mut stat))?;
            Ok(Stat::from(stat))
        }
    }

    /// `mdb_env_info`.
    pub fn info(&self) -> Result<Info> {
        let busy = self.busy()?;
        let i = busy.shared().info()?;
        Ok(Info {
            map_addr: i.me_mapaddr as usize,
            map_size: i.me_mapsize,
            last_pgno: i.me_last_pgno,
            last_txnid: i.me_last_txnid,
            max_readers: i.me_maxreaders,
            num_readers: i.me_numreaders,
        })
    }

    /// The environment's flags.
    pub fn flags(&self) -> Result<EnvFlags> {
        let busy = self.busy()?;
        let _gate = busy.shared().enter()?;
        let mut bits = 0;
        // SAFETY: the environment is open.
        Error::check(unsafe { ffi::mdb_env_get_flags(busy.shared().raw(), &mut bits) })?;
        Ok(EnvFlags::from_bits(bits))
    }

    /// Size of the reader lock table.
    pub fn max_readers(&self) -> Result<u32> {
        let busy = self.busy()?;
        let _gate = busy.shared().enter()?;
        let mut n = 0;
        // SAFETY: the environment is open.
        Error::check(unsafe { ffi::mdb_env_get_maxreaders(busy.shared().raw(), &mut n) })?;
        Ok(n)
    }

    /// `mdb_reader_list`: the reader lock table as text.
    pub fn readers(&self) -> Result<String> {
        unsafe extern "C" fn collect(msg: *const libc::c_char, ctx: *mut libc::c_void) -> libc::c_int {
            // SAFETY: `ctx` is the String below and `msg` a C string, for this call.
            let out = &mut *(ctx as *mut String);
            out.push_str(&CStr::from_ptr(msg).to_string_lossy());
            0
        }
        let busy = self.busy()?;
        let _gate = busy.shared().enter()?;
        let mut out = String::new();
        // SAFETY: the callback only appends to `out`, which outlives the call.
        let rc = unsafe { ffi::mdb_reader_list(busy.shared().raw(), Some(collect), &mut out as *mut String as *mut _) };
        if rc < 0 {
            return Err(Error::Lmdb(rc));
        }
        Ok(out)
    }

    /// `mdb_reader_check`: clears reader slots of dead processes; how many.
    pub fn reader_check(&self) -> Result<u32> {
        let busy = self.busy()?;
        let _gate = busy.shared().enter()?;
        let mut dead = 0;
        // SAFETY: the environment is open.
        Error::check(unsafe { ffi::mdb_reader_check(busy.shared().raw(), &mut dead) })?;
        Ok(dead as u32)
    }
}

impl Busy {
    /// Sets the map size (LMDB rounds it up to what the data needs), at
    /// most `max_map_size`.
    pub fn set_map_size(&self, bytes: usize) -> Result<()> {
        if let Some(max) = self.shared().options.max_map_size.filter(|&max| bytes > max) {
            return Err(Error::Invalid(format!("{bytes} bytes is above maxMapSize ({max})")));
        }
        self.shared().resize(bytes)
    }

    /// `mdb_env_copy2`: a consistent copy into the existing directory (or
    /// file, without `subdir`) at `dest`, compacted if asked.
    pub fn copy(&self, dest: impl AsRef<Path>, compact: bool) -> Result<()> {
        let dest = CString::new(dest.as_ref().as_os_str().as_encoded_bytes())
            .map_err(|_| Error::Invalid("path contains a NUL byte".into()))?;
        let _gate = self.shared().enter()?;
        let flags = if compact { ffi::MDB_CP_COMPACT } else { 0 };
        // SAFETY: the environment is open; LMDB takes its own read transaction.
        Error::check(unsafe { ffi::mdb_env_copy2(self.shared().raw(), dest.as_ptr(), flags) })
    }

    /// `mdb_env_copyfd2`: a consistent copy of the data file to `fd`.
    pub fn copy_to_fd(&self, fd: i32, compact: bool) -> Result<()> {
        let _gate = self.shared().enter()?;
        let flags = if compact { ffi::MDB_CP_COMPACT } else { 0 };
        // SAFETY: the environment is open; a bad fd makes LMDB fail with EBADF.
        Error::check(unsafe { ffi::mdb_env_copyfd2(self.shared().raw(), fd as ffi::mdb_filehandle_t, flags) })
    }

    /// `mdb_env_sync`: flush buffers to disk (`force` even with `sync: false`).
    pub fn sync(&self, force: bool) -> Result<()> {
        let _gate = self.shared().enter()?;
        // SAFETY: the environment is open.
        Error::check(unsafe { ffi::mdb_env_sync(self.shared().raw(), force as i32) })
    }
}

/// Creates what `create` allows and returns the canonical path used as the
/// registry key (for a file without `subdir`, its canonical directory joined
/// with its name, since the file may not exist yet).
fn prepare_path(path: &Path, options: &EnvOptions) -> Result<PathBuf> {
    let missing = |what: &str| {
        Error::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{what} {} does not exist", path.display()),
        ))
    };
    if options.subdir {
        if !path.exists() {
            if !options.create || options.readonly {
                return Err(missing("directory"));
            }
            std::fs::create_dir_all(path)?;
        }
        Ok(path.canonicalize()?)
    } else {
        if !path.exists() && (!options.create || options.readonly) {
            return Err(missing("file"));
        }
        let name = path.file_name().ok_or_else(|| Error::Invalid(format!("{} names no file", path.display())))?;
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.canonicalize()?,
            _ => std::env::current_dir()?,
        };
        Ok(parent.join(name))
    }
}
