//! Handles: one `Env` per JavaScript `Environment`, onto the shared
//! environment of its path. A handle counts the operations in progress
//! (`Busy`); closing it refuses new ones, waits for those, ends what it
//! holds across calls (`Lease`), then gives its share back to the registry.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::{Condvar, Mutex};

use super::{registry, Shared};
use crate::error::{Error, Result};
use crate::options::EnvOptions;

/// Something a handle holds across calls and ends when it closes: a read
/// transaction (a snapshot's, a range's) or an explicit write transaction.
pub(crate) trait Lease: Send + Sync {
    /// Ends it because its handle is closing.
    fn end_on_close(&self);
}

/// What a handle must end when it closes, kept weakly: the owners drop
/// them as they finish.
struct WeakList<T: ?Sized>(Mutex<Vec<Weak<T>>>);

impl<T: ?Sized> Default for WeakList<T> {
    fn default() -> Self {
        WeakList(Mutex::new(Vec::new()))
    }
}

impl<T: ?Sized> WeakList<T> {
    fn add(&self, item: Weak<T>) {
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
    /// Read transactions held across calls (snapshots, ranges), ended on
    /// close once the handle's operations are done.
    leases: WeakList<dyn Lease>,
    /// Explicit write transactions, aborted on close before it waits.
    txns: WeakList<dyn Lease>,
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
    pub(crate) fn lease(&self, held: Weak<dyn Lease>) {
        self.0.leases.add(held);
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.end_op();
    }
}

/// A handle on an open environment. Cloning it shares the handle: it is
/// released when `close` is called or when the last clone is dropped.
#[derive(Clone)]
pub struct Env(Arc<Handle>);

impl Env {
    /// Opens (or joins, if this process has it open) the environment at `path`.
    pub fn open(path: impl AsRef<Path>, options: &EnvOptions) -> Result<Env> {
        options.check()?;
        let key = registry::prepare_path(path.as_ref(), options)?;
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
        self.0.txns.take_live().iter().for_each(|link| link.end_on_close());
        let mut waiting = self.0.waiting.lock();
        while self.0.state.load(Ordering::Acquire) & !CLOSED > 0 {
            self.0.idle.wait(&mut waiting);
        }
        drop(waiting);
        if let Ok(_gate) = self.0.shared.enter() {
            self.0.leases.take_live().iter().for_each(|held| held.end_on_close());
        }
        self.0.release();
    }

    /// Registers an explicit write transaction to abort when the handle closes.
    pub(crate) fn track(&self, link: Weak<dyn Lease>) {
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
}
