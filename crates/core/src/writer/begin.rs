//! Where every root write transaction begins: after growing the map ahead
//! (`Shared::grow_ahead`), adopting a map another process grew when LMDB
//! says MDB_MAP_RESIZED; and `transact`, one transaction run to its commit,
//! grown and run again when the map fills.

use lmdb_master_sys as ffi;
use parking_lot::RwLockReadGuard;

use crate::env::Shared;
use crate::error::{Error, Result};
use crate::txn::RawTxn;

/// Begins a root write transaction, with the gate held (the caller may let
/// it go between uses of the transaction: LMDB refuses to resize the map
/// while a write transaction is open). Runs on the thread the transaction
/// lives on (the writer's, or the caller's for `Exclusive`).
pub(crate) fn begin(shared: &Shared) -> Result<(RwLockReadGuard<'_, bool>, RawTxn)> {
    loop {
        shared.grow_ahead();
        let gate = shared.enter()?;
        // SAFETY: the gate is held, and the transaction stays on this thread.
        match unsafe { RawTxn::begin(shared.raw(), None, 0) } {
            Ok(txn) => return Ok((gate, txn)),
            Err(Error::Lmdb(ffi::MDB_MAP_RESIZED)) => {
                drop(gate);
                shared.adopt_map_size()?;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Runs `body` in a write transaction and commits; `body` returning
/// `Ok(None)` asks for the transaction to be aborted and run again. Grows a
/// full map when allowed.
pub(crate) fn transact<T>(shared: &Shared, mut body: impl FnMut(&RawTxn) -> Result<Option<T>>) -> Result<T> {
    loop {
        let (gate, txn) = begin(shared)?;
        let result = match body(&txn) {
            Ok(Some(value)) => txn.commit().map(|_| Some(value)),
            other => {
                drop(txn); // aborted while the gate is still held
                other
            }
        };
        drop(gate);
        match result {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => continue,
            Err(Error::Lmdb(ffi::MDB_MAP_FULL)) if shared.grow()? => continue,
            Err(e) => return Err(e),
        }
    }
}
