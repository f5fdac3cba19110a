//! Snapshots: read transactions held across calls.
//!
//! A `Held` transaction belongs to a handle, which ends it when it closes (so
//! it never outlives the environment); `Snapshot` is the public face, used
//! from any thread but by one call at a time (LMDB's rule for MDB_NOTLS read
//! transactions). Between calls a held transaction keeps no page pointers,
//! so growing the map under it is safe.

use std::sync::Arc;

use parking_lot::Mutex;

use crate::batch::{self, DbRef};
use crate::env::{Busy, Env, Lease};
use crate::error::{Error, Result};
use crate::read::{get_in, read_ops, ReadOutput};
use crate::txn::RawTxn;

/// A read transaction that lives until ended (by its owner or by the handle's close).
pub(crate) struct Held {
    txn: Mutex<Option<RawTxn>>,
    what: &'static str,
}

impl Held {
    /// Runs `f` on the transaction; `Closed` once it has ended.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&RawTxn) -> Result<R>) -> Result<R> {
        match &*self.txn.lock() {
            Some(txn) => f(txn),
            None => Err(Error::Closed(self.what)),
        }
    }

    /// Ends the transaction (its slot goes back to the pool). The caller
    /// holds the gate or otherwise knows the environment is open.
    pub(crate) fn end(&self, busy: &Busy) {
        if let Some(txn) = self.txn.lock().take() {
            busy.shared().recycle(txn);
        }
    }
}

impl Lease for Held {
    /// Ends it while the handle closes (its slot is not pooled again).
    fn end_on_close(&self) {
        self.txn.lock().take();
    }
}

impl Busy {
    /// Begins a read transaction that lives across calls, ended by `Held::end`
    /// or by the handle's close.
    pub(crate) fn hold(&self, what: &'static str) -> Result<Arc<Held>> {
        let mut gate = self.shared().enter()?;
        let txn = self.shared().begin_read(&mut gate)?;
        let held = Arc::new(Held { txn: Mutex::new(Some(txn)), what });
        self.lease(Arc::downgrade(&held) as std::sync::Weak<dyn Lease>);
        Ok(held)
    }
}

/// A consistent read view: every read through it sees the environment as it
/// was when it was taken.
pub struct Snapshot {
    env: Env,
    held: Arc<Held>,
}

impl Env {
    /// Takes a snapshot now.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let held = self.busy()?.hold("snapshot")?;
        Ok(Snapshot { env: self.clone(), held })
    }
}

impl Snapshot {
    /// Runs a batch of reads (see `read.rs`) in the snapshot. `busy` is an
    /// operation of the snapshot's handle (`snapshot.env().busy()`).
    pub fn read_batch(&self, busy: &Busy, bytes: &[u8]) -> Result<ReadOutput> {
        let ops = batch::parse(bytes)?;
        let _gate = busy.shared().enter()?;
        self.held.with(|txn| read_ops(busy.shared(), txn, &ops))
    }

    /// One get in the snapshot, with no batch: `f` sees the value
    /// (decompressed when `codec` says it is stored compressed) while the
    /// transaction is held, so the caller copies it once, straight to where
    /// it goes.
    pub fn get_with<R>(
        &self,
        busy: &Busy,
        db: DbRef,
        key: &[u8],
        codec: u8,
        f: impl FnOnce(Option<&[u8]>) -> R,
    ) -> Result<R> {
        let _gate = busy.shared().enter()?;
        self.held.with(|txn| get_in(busy.shared(), txn, db, key, codec, f))
    }

    /// Another snapshot that sees just what this one does, with a read
    /// transaction of its own, so that reads through the two can run at
    /// once; `None` when a commit has landed since this one was taken.
    pub fn twin(&self) -> Result<Option<Snapshot>> {
        let twin = self.env.snapshot()?;
        let id = |s: &Snapshot| s.held.with(|txn| Ok(txn.id()));
        if id(self)? == id(&twin)? {
            Ok(Some(twin))
        } else {
            twin.close();
            Ok(None)
        }
    }

    /// Ends the snapshot; later reads fail with `Closed`. Idempotent.
    pub fn close(&self) {
        // A closed handle has ended every snapshot already.
        if let Ok(busy) = self.env.busy() {
            if let Ok(_gate) = busy.shared().enter() {
                self.held.end(&busy);
            }
        }
    }

    /// Whether the snapshot can still be read.
    pub fn is_open(&self) -> bool {
        self.held.with(|_| Ok(())).is_ok()
    }

    pub(crate) fn held(&self) -> &Arc<Held> {
        &self.held
    }

    /// The environment handle the snapshot reads through.
    pub fn env(&self) -> &Env {
        &self.env
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        self.close();
    }
}
