//! `NativeTxn` (an explicit write transaction run by the writer thread) and
//! `NativeExclusive` (one run on the JS thread, for `transactionSync`).

use std::sync::Arc;

use lmdb_napi_core::{Chunk, DbRef, Exclusive, Nest, Walk, WriteTxn};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use parking_lot::Mutex;

use crate::convert::unit_result;
use crate::error::{thrown, OrThrow};
use crate::promise::{batch_promise, value_promise, void_promise};
use crate::types::{RangeOptionsJs, UnitResultJs};

fn nest(env: &Env, action: String) -> Result<Nest> {
    match action.as_str() {
        "begin" => Ok(Nest::Begin),
        "commit" => Ok(Nest::Commit),
        "abort" => Ok(Nest::Abort),
        _ => Err(thrown(env, lmdb_napi_core::Error::Invalid(format!("unknown nested action {action}")))),
    }
}

/// An explicit write transaction. Every call is a message to the writer thread.
#[napi]
pub struct NativeTxn {
    txn: WriteTxn,
}

impl NativeTxn {
    pub(crate) fn new(txn: WriteTxn) -> Self {
        NativeTxn { txn }
    }
}

#[napi]
impl NativeTxn {
    /// Runs a batch (reads too) in the innermost open transaction. `whole`:
    /// a unit that fails fails the transaction, which then aborts at its end.
    #[napi(catch_unwind, ts_return_type = "Promise<Array<boolean | number | Buffer | null | Error>>")]
    pub fn exec<'env>(&self, env: &'env Env, batch: &[u8], whole: Option<bool>) -> Result<Object<'env>> {
        let (promise, done) = batch_promise(env)?;
        match self.txn.env().busy() {
            Ok(busy) if whole == Some(true) => self.txn.exec_whole(busy, batch.to_vec(), done),
            Ok(busy) => self.txn.exec(busy, batch.to_vec(), done),
            Err(e) => done(Err(e)),
        }
        Ok(promise)
    }

    /// A range over one database as this transaction sees it (its writes
    /// included), read a chunk at a time by `rangeNext`.
    #[napi(catch_unwind)]
    pub fn walk(&self, dbi: u32, gen: u32, options: RangeOptionsJs) -> NativeWalk {
        NativeWalk { walk: Arc::new(Mutex::new(Walk::new(DbRef { dbi, gen }, options.into()))) }
    }

    /// Up to `max` more entries of `walk`, read in the innermost open transaction.
    #[napi(catch_unwind, ts_return_type = "Promise<ChunkJs>")]
    pub fn range_next<'env>(&self, env: &'env Env, walk: &NativeWalk, max: u32) -> Result<Object<'env>> {
        let (promise, done) = value_promise::<Chunk>(env)?;
        match self.txn.env().busy() {
            Ok(busy) => self.txn.range(busy, walk.walk.clone(), max as usize, done),
            Err(e) => done(Err(e)),
        }
        Ok(promise)
    }

    /// Begins (`'begin'`), commits (`'commit'`) or aborts (`'abort'`) a nested transaction.
    #[napi(catch_unwind, ts_args_type = "action: 'begin' | 'commit' | 'abort'", ts_return_type = "Promise<void>")]
    pub fn nested<'env>(&self, env: &'env Env, action: String) -> Result<Object<'env>> {
        let (promise, done) = void_promise(env)?;
        self.txn.nested(nest(env, action)?, done);
        Ok(promise)
    }

    /// Commits or aborts the transaction.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn end<'env>(&self, env: &'env Env, commit: bool) -> Result<Object<'env>> {
        let (promise, done) = void_promise(env)?;
        self.txn.end(commit, done);
        Ok(promise)
    }
}

/// Where a range of an explicit transaction stands (see `NativeTxn.walk`).
#[napi]
pub struct NativeWalk {
    walk: Arc<Mutex<Walk>>,
}

/// A write transaction on the JS thread; the writer waits until it ends.
#[napi]
pub struct NativeExclusive {
    txn: Mutex<Exclusive>,
}

impl NativeExclusive {
    pub(crate) fn new(txn: Exclusive) -> Self {
        NativeExclusive { txn: Mutex::new(txn) }
    }
}

#[napi]
impl NativeExclusive {
    /// Runs a batch (reads too) in the innermost open transaction.
    #[napi(catch_unwind, ts_return_type = "Array<boolean | number | Buffer | null | Error>")]
    pub fn exec(&self, env: &Env, batch: &[u8]) -> Result<Vec<UnitResultJs>> {
        let units = self.txn.lock().exec(batch).or_throw(env)?;
        Ok(units.into_iter().map(unit_result).collect())
    }

    /// Begins, commits or aborts a nested transaction.
    #[napi(catch_unwind, ts_args_type = "action: 'begin' | 'commit' | 'abort'")]
    pub fn nested(&self, env: &Env, action: String) -> Result<()> {
        self.txn.lock().nested(nest(env, action)?).or_throw(env)
    }

    /// Commits or aborts; the writer goes on.
    #[napi(catch_unwind)]
    pub fn end(&self, env: &Env, commit: bool) -> Result<()> {
        self.txn.lock().end(commit).or_throw(env)
    }
}
