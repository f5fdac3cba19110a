//! Reads on the JS thread (`getSync`, `getManySync`, `hasSync`).
//!
//! The sync reads of one stretch of synchronous JavaScript share one
//! snapshot, taken by the first of them and ended by JavaScript when its
//! microtasks next run, or when a `transactionSync` commits (`end_tick`). A
//! read then costs no renew and reset of a read transaction, and the reads
//! of a stretch agree with each other. No commit of this thread can settle
//! inside a stretch, so none is missed.
//!
//! `get_scratch` takes its key from, and leaves its value in, one buffer
//! that JavaScript allocated once: no argument to unwrap but numbers, and no
//! new `Buffer` to allocate natively per read.

use lmdb_napi_core::{DbRef, Env as CoreEnv, Snapshot};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::env::NativeEnv;
use crate::error::OrThrow;
use crate::task::ToJs;
use crate::types::ReadResultJs;

/// The per-handle state of sync reads. In a `RefCell` because napi-rs lets
/// no `&mut self` method run while an async task of the object is pending;
/// only the JS thread touches it, one call at a time.
#[derive(Default)]
pub(crate) struct SyncReads {
    /// The snapshot of the current stretch of synchronous JavaScript.
    tick: Option<Snapshot>,
    /// Keys in, values out (see `get_scratch`).
    scratch: Option<Buffer>,
}

#[napi]
impl NativeEnv {
    /// The buffer `get_scratch` works in. JavaScript keeps a reference too.
    #[napi]
    pub fn use_scratch(&self, buffer: Buffer) {
        self.sync.borrow_mut().scratch = Some(buffer);
    }

    /// One get: the key is the scratch buffer's first `key_len` bytes, and
    /// the value's bytes are left right after it. Returns the value's length,
    /// or -1 when absent; a length that does not fit was not copied (the
    /// caller asks `get_sync` for it instead).
    #[napi]
    pub fn get_scratch(&self, dbi: u32, gen: u32, key_len: u32, codec: u8) -> Result<i64> {
        let busy = self.busy()?;
        let sync = &mut *self.sync.borrow_mut();
        let Some(scratch) = sync.scratch.as_mut() else {
            return Err(Error::from_reason("no scratch buffer"));
        };
        let Some((key, out)) = scratch.split_at_mut_checked(key_len as usize) else {
            return Err(Error::from_reason("key longer than the scratch buffer"));
        };
        let found =
            tick(&mut sync.tick, &self.env)?.get_with(&busy, DbRef { dbi, gen }, key, codec, |value| match value {
                None => -1,
                Some(v) => {
                    if let Some(dest) = out.get_mut(..v.len()) {
                        dest.copy_from_slice(v);
                    }
                    v.len() as i64
                }
            });
        found.or_throw()
    }

    /// One get, the value copied into a new Buffer (or `null`).
    #[napi(ts_return_type = "Buffer | null")]
    pub fn get_sync<'env>(
        &self,
        env: &'env Env,
        dbi: u32,
        gen: u32,
        key: &[u8],
        codec: u8,
    ) -> Result<Option<BufferSlice<'env>>> {
        let busy = self.busy()?;
        let copied = tick(&mut self.sync.borrow_mut().tick, &self.env)?.get_with(
            &busy,
            DbRef { dbi, gen },
            key,
            codec,
            |value| value.map(|v| BufferSlice::copy_from(env, v)),
        );
        copied.or_throw()?.transpose()
    }

    /// Runs a read batch on the calling thread.
    #[napi]
    pub fn read_sync(&self, batch: &[u8]) -> Result<ReadResultJs> {
        let busy = self.busy()?;
        let output = tick(&mut self.sync.borrow_mut().tick, &self.env)?.read_batch(&busy, batch);
        output.or_throw()?.to_js()
    }

    /// Ends the snapshot of the sync reads (the stretch is over). Idempotent.
    #[napi]
    pub fn end_tick(&self) {
        self.sync.borrow_mut().tick = None;
    }
}

/// The stretch's snapshot, taken now if this is its first read.
fn tick<'a>(slot: &'a mut Option<Snapshot>, env: &CoreEnv) -> Result<&'a Snapshot> {
    Ok(match slot {
        Some(tick) => tick,
        empty => empty.insert(env.snapshot().or_throw()?),
    })
}
