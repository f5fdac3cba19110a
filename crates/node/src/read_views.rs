//! `NativeSnapshot` and `NativeRange`: read transactions that live across
//! calls. Each call takes its `Busy` mark on the JS thread, like `NativeEnv`'s.

use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use lmdb_napi_core::{Chunk, DbRef, Error, Range, RangeOptions, Snapshot};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use parking_lot::Mutex;

use crate::error::{thrown, OrThrow};
use crate::task::{spawn, ToJs};
use crate::types::{Bytes, Lengths};
use crate::types::{ChunkJs, RangeOptionsJs, ReadResultJs};

/// What a held read transaction weighs for V8's collector. Reader slots are
/// few (126 by default), so snapshots and ranges dropped unclosed must bring
/// the collector round soon: their finalizers give the slots back.
const SLOT_WEIGHT: i64 = 2 << 20;

/// A consistent read view (`env.snapshot()`). Reads in flight hold the
/// snapshot too: closing it lets them finish, and the last one out ends it.
#[napi(custom_finalize)]
pub struct NativeSnapshot {
    snapshot: Mutex<Option<Arc<Snapshot>>>,
}

impl ObjectFinalize for NativeSnapshot {
    fn finalize(self, env: Env) -> Result<()> {
        env.adjust_external_memory(-SLOT_WEIGHT)?;
        Ok(())
    }
}

impl NativeSnapshot {
    pub(crate) fn new(env: &Env, snapshot: Snapshot) -> Result<Self> {
        env.adjust_external_memory(SLOT_WEIGHT)?;
        Ok(NativeSnapshot { snapshot: Mutex::new(Some(Arc::new(snapshot))) })
    }

    fn get(&self, env: &Env) -> Result<Arc<Snapshot>> {
        self.snapshot.lock().clone().ok_or_else(|| thrown(env, Error::Closed("snapshot")))
    }
}

#[napi]
impl NativeSnapshot {
    /// Runs a read batch in the snapshot. Off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<ReadResultJs>")]
    pub fn read<'env>(&self, env: &'env Env, batch: &[u8]) -> Result<Object<'env>> {
        let snapshot = self.get(env)?;
        let busy = snapshot.env().busy().or_throw(env)?;
        let batch = batch.to_vec();
        spawn(env, move || snapshot.read_batch(&busy, &batch))
    }

    /// Runs a read batch in the snapshot on the JS thread.
    #[napi(catch_unwind)]
    pub fn read_sync(&self, env: &Env, batch: &[u8]) -> Result<ReadResultJs> {
        let snapshot = self.get(env)?;
        let busy = snapshot.env().busy().or_throw(env)?;
        snapshot.read_batch(&busy, batch).or_throw(env)?.to_js()
    }

    /// Another snapshot that sees just what this one does, whose reads may
    /// run at the same time as this one's; `null` when a commit has landed
    /// since this one was taken.
    #[napi(catch_unwind)]
    pub fn twin(&self, env: &Env) -> Result<Option<NativeSnapshot>> {
        match self.get(env)?.twin().or_throw(env)? {
            Some(twin) => NativeSnapshot::new(env, twin).map(Some),
            None => Ok(None),
        }
    }

    /// A range over one database in this snapshot.
    #[napi(catch_unwind)]
    pub fn range(&self, env: &Env, dbi: u32, gen: u32, options: RangeOptionsJs) -> Result<NativeRange> {
        let range = self.get(env)?.range(DbRef { dbi, gen }, options.into()).or_throw(env)?;
        NativeRange::new(env, range)
    }

    /// Ends the snapshot once the reads in flight are done. Idempotent.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        self.snapshot.lock().take();
    }
}

/// An ordered iteration handed over in chunks.
#[napi(custom_finalize)]
pub struct NativeRange {
    range: Arc<Mutex<Range>>,
    /// The claim of the chunk asked for last, while no thread has taken it:
    /// the task on the addon's pool, or `steal` on the JS thread, whichever
    /// sets it first reads that chunk.
    pending: Mutex<Option<Arc<AtomicBool>>>,
}

impl ObjectFinalize for NativeRange {
    fn finalize(self, env: Env) -> Result<()> {
        env.adjust_external_memory(-SLOT_WEIGHT)?;
        Ok(())
    }
}

impl NativeRange {
    pub(crate) fn new(env: &Env, range: Range) -> Result<Self> {
        env.adjust_external_memory(SLOT_WEIGHT)?;
        Ok(NativeRange { range: Arc::new(Mutex::new(range)), pending: Mutex::new(None) })
    }
}

#[napi]
impl NativeRange {
    /// Up to `max` more entries. Off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<ChunkJs>")]
    pub fn next<'env>(&self, env: &'env Env, max: u32) -> Result<Object<'env>> {
        let busy = self.range.lock().env().busy().or_throw(env)?;
        let range = self.range.clone();
        let claim = Arc::new(AtomicBool::new(false));
        *self.pending.lock() = Some(claim.clone());
        spawn(env, move || {
            if claim.swap(true, Ordering::AcqRel) {
                return Ok(Chunk::default()); // stolen: JavaScript no longer waits for this one
            }
            range.lock().next_chunk(&busy, max as usize)
        })
    }

    /// The chunk `next` last asked for, read on the JS thread if no pool
    /// thread has started on it; `null` if one has (its promise brings it).
    /// On a machine whose cores are all busy, a pool thread may wait many
    /// milliseconds to run while JavaScript, already running, waits for it.
    #[napi(catch_unwind)]
    pub fn steal(&self, env: &Env, max: u32) -> Result<Option<ChunkJs>> {
        let Some(claim) = self.pending.lock().take() else {
            return Ok(None);
        };
        if claim.swap(true, Ordering::AcqRel) {
            return Ok(None);
        }
        let mut range = self.range.lock();
        let busy = range.env().busy().or_throw(env)?;
        range.next_chunk(&busy, max as usize).or_throw(env)?.to_js().map(Some)
    }

    /// Up to `max` more entries, read on the JS thread (a sync range).
    #[napi(catch_unwind)]
    pub fn next_sync(&self, env: &Env, max: u32) -> Result<ChunkJs> {
        let mut range = self.range.lock();
        let busy = range.env().busy().or_throw(env)?;
        range.next_chunk(&busy, max as usize).or_throw(env)?.to_js()
    }

    /// Ends the iteration and its read transaction now. Idempotent.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        self.range.lock().close();
    }
}

impl From<RangeOptionsJs> for RangeOptions {
    fn from(js: RangeOptionsJs) -> Self {
        // With both forms of a bound given, the stricter one holds.
        let lower = match (js.gte, js.gt) {
            (Some(gte), Some(gt)) if gte.as_ref() > gt.as_ref() => Bound::Included(gte.to_vec()),
            (_, Some(gt)) => Bound::Excluded(gt.to_vec()),
            (Some(gte), None) => Bound::Included(gte.to_vec()),
            (None, None) => Bound::Unbounded,
        };
        let upper = match (js.lte, js.lt) {
            (Some(lte), Some(lt)) if lte.as_ref() < lt.as_ref() => Bound::Included(lte.to_vec()),
            (_, Some(lt)) => Bound::Excluded(lt.to_vec()),
            (Some(lte), None) => Bound::Included(lte.to_vec()),
            (None, None) => Bound::Unbounded,
        };
        RangeOptions {
            start: lower,
            end: upper,
            prefix: js.prefix.map(|p| p.to_vec()),
            reverse: js.reverse.unwrap_or(false),
            offset: js.offset.unwrap_or(0.0) as u64,
            limit: js.limit.map(|l| l as u64),
            keys: js.keys.unwrap_or(true),
            values: js.values.unwrap_or(true),
            codec: js.codec.unwrap_or(0),
        }
    }
}

impl ToJs for Chunk {
    type Js = ChunkJs;
    fn to_js(self) -> Result<ChunkJs> {
        Ok(ChunkJs { data: Bytes(self.out.data), lens: Lengths(self.out.lens), done: self.done })
    }
}
