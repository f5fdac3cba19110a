//! `NativeEnv`: one JavaScript `Environment`'s handle on the core.
//!
//! Reads and maintenance calls run on the addon's pool (`task::spawn`,
//! `threads.rs`), never libuv's, each holding the `Busy` mark taken when it
//! was called; writes are
//! queued to the environment's writer thread and settle a promise when their
//! group commits, so no pool thread waits for a commit.

use lmdb_napi_core::{compress_values, needs_compression, Busy, DbRef, Env as CoreEnv};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::OrThrow;
use crate::promise::{on_own_thread, write_promise};
use crate::read_views::{NativeRange, NativeSnapshot};
use crate::sync_reads::SyncReads;
use crate::task::{spawn, spawn_plain};
use crate::transaction::{NativeExclusive, NativeTxn};
use crate::types::*;

/// A handle on a shared native environment.
#[napi]
pub struct NativeEnv {
    pub(crate) env: CoreEnv,
    pub(crate) sync: SyncReads,
}

#[napi]
impl NativeEnv {
    /// Opens the environment at `path`, or joins it when this process
    /// (any thread or worker) has it open already.
    #[napi(catch_unwind, factory)]
    pub fn open(env: &Env, path: String, options: Option<EnvOptionsJs>) -> Result<Self> {
        let options = options.unwrap_or_default().into();
        let env = CoreEnv::open(path, &options).or_throw(env)?;
        Ok(NativeEnv { sync: SyncReads::new(env.clone()), env })
    }

    /// Opens a database (`null`: the main one); creation runs on the writer thread.
    #[napi(catch_unwind)]
    pub fn open_db(&self, env: &Env, name: Option<String>, flags: Option<DbFlagsJs>, create: bool) -> Result<DbRefJs> {
        let flags = flags.unwrap_or_default().into();
        self.env.open_db(name.as_deref(), flags, create).map(Into::into).or_throw(env)
    }

    /// Names of the named databases. Off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<string[]>")]
    pub fn databases<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let busy = self.busy(env)?;
        spawn(env, move || busy.databases())
    }

    /// Runs a read batch in one snapshot. Off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<ReadResultJs>")]
    pub fn read<'env>(&self, env: &'env Env, batch: &[u8]) -> Result<Object<'env>> {
        let (busy, batch) = (self.busy(env)?, batch.to_vec());
        spawn(env, move || busy.read_batch(&batch))
    }

    /// Queues a write batch; resolves with one result per unit after the
    /// commit (as a `Uint8Array` of 1/0 when every unit answered a flag).
    /// `part`: more of this tick's writes follow, to commit with it.
    #[napi(catch_unwind, ts_return_type = "Promise<Uint8Array | Array<boolean | number | Buffer | null | Error>>")]
    pub fn write<'env>(&self, env: &'env Env, batch: &[u8], part: bool) -> Result<Object<'env>> {
        let (promise, done) = write_promise(env)?;
        let ticket = match self.env.ticket() {
            Ok(ticket) => ticket,
            Err(e) => {
                done(Err(e));
                return Ok(promise);
            }
        };
        let bytes = lmdb_napi_core::copy_of(batch);
        if needs_compression(&bytes) {
            // Compress on the pool; the ticket keeps the batch's place.
            spawn_plain(env, move || {
                let prepared = lmdb_napi_core::guard(|| compress_values(&bytes));
                lmdb_napi_core::give_back(bytes);
                match prepared {
                    Ok(prepared) => ticket.submit_as(prepared, part, done),
                    Err(e) => done(Err(e)),
                }
            })?;
        } else {
            ticket.submit_as(bytes, part, done);
        }
        Ok(promise)
    }

    /// Statistics of the main database.
    #[napi(catch_unwind)]
    pub fn stat(&self, env: &Env) -> Result<StatJs> {
        self.env.stat().map(Into::into).or_throw(env)
    }

    /// Statistics of one database. Off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<StatJs>")]
    pub fn db_stat<'env>(&self, env: &'env Env, dbi: u32, gen: u32) -> Result<Object<'env>> {
        let busy = self.busy(env)?;
        spawn(env, move || busy.db_stat(DbRef { dbi, gen }))
    }

    /// How many entries a range over one database holds, counted in one
    /// snapshot without reading them out. Off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<number>")]
    pub fn count_range<'env>(
        &self,
        env: &'env Env,
        dbi: u32,
        gen: u32,
        options: RangeOptionsJs,
    ) -> Result<Object<'env>> {
        let busy = self.busy(env)?;
        let options = options.into();
        spawn(env, move || busy.count_range(DbRef { dbi, gen }, options).map(|n| n as f64))
    }

    /// The flags a database was created with.
    #[napi(catch_unwind)]
    pub fn db_flags(&self, env: &Env, dbi: u32, gen: u32) -> Result<DbFlagsJs> {
        self.busy(env)?.db_flags(DbRef { dbi, gen }).map(Into::into).or_throw(env)
    }

    /// `mdb_env_info`.
    #[napi(catch_unwind)]
    pub fn info(&self, env: &Env) -> Result<InfoJs> {
        self.env.info().map(Into::into).or_throw(env)
    }

    /// The environment's flags.
    #[napi(catch_unwind)]
    pub fn flags(&self, env: &Env) -> Result<EnvFlagsJs> {
        self.env.flags().map(Into::into).or_throw(env)
    }

    /// The largest key LMDB accepts, in bytes.
    #[napi(catch_unwind)]
    pub fn max_key_size(&self) -> u32 {
        self.env.max_key_size() as u32
    }

    /// Size of the reader table.
    #[napi(catch_unwind)]
    pub fn max_readers(&self, env: &Env) -> Result<u32> {
        self.env.max_readers().or_throw(env)
    }

    /// The canonical path of the environment.
    #[napi(catch_unwind, getter)]
    pub fn path(&self) -> String {
        self.env.path().to_string_lossy().into_owned()
    }

    /// The reader table as text (`mdb_reader_list`).
    #[napi(catch_unwind)]
    pub fn readers(&self, env: &Env) -> Result<String> {
        self.env.readers().or_throw(env)
    }

    /// Clears stale reader slots; how many were cleared.
    #[napi(catch_unwind)]
    pub fn reader_check(&self, env: &Env) -> Result<u32> {
        self.env.reader_check().or_throw(env)
    }

    /// Resizes the map once no transaction uses it. Off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn set_map_size<'env>(&self, env: &'env Env, bytes: f64) -> Result<Object<'env>> {
        let busy = self.busy(env)?;
        // On a thread of its own: it waits for the transactions in use to end.
        on_own_thread(env, "lmdb-napi resize", move || busy.set_map_size(bytes as usize))
    }

    /// Hot backup into the existing directory `dest`, on a thread of its
    /// own: a plain copy waits for LMDB's writer lock (see `on_own_thread`).
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn copy<'env>(&self, env: &'env Env, dest: String, compact: bool) -> Result<Object<'env>> {
        let busy = self.busy(env)?;
        on_own_thread(env, "lmdb-napi copy", move || busy.copy(dest, compact))
    }

    /// Hot backup of the data file to an open file descriptor, on a thread of its own.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn copy_to_fd<'env>(&self, env: &'env Env, fd: i32, compact: bool) -> Result<Object<'env>> {
        let busy = self.busy(env)?;
        on_own_thread(env, "lmdb-napi copy", move || busy.copy_to_fd(fd, compact))
    }

    /// Flushes to disk. Off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn sync<'env>(&self, env: &'env Env, force: bool) -> Result<Object<'env>> {
        let busy = self.busy(env)?;
        spawn(env, move || busy.sync(force))
    }

    /// Begins an explicit write transaction in the next place in the order of
    /// writes (it starts once the writes before it are done).
    #[napi(catch_unwind)]
    pub fn begin_write(&self, env: &Env) -> Result<NativeTxn> {
        self.env.begin_write().map(NativeTxn::new).or_throw(env)
    }

    /// Waits, blocking the JS thread, for the writes before it, then begins a
    /// write transaction on the JS thread (`transactionSync`).
    #[napi(catch_unwind)]
    pub fn exclusive(&self, env: &Env) -> Result<NativeExclusive> {
        self.env.exclusive().map(NativeExclusive::new).or_throw(env)
    }

    /// A consistent read view, taken now.
    #[napi(catch_unwind)]
    pub fn snapshot(&self, env: &Env) -> Result<NativeSnapshot> {
        NativeSnapshot::new(env, self.env.snapshot().or_throw(env)?)
    }

    /// A range over one database in a snapshot of its own, taken now.
    #[napi(catch_unwind)]
    pub fn range(&self, env: &Env, dbi: u32, gen: u32, options: RangeOptionsJs) -> Result<NativeRange> {
        NativeRange::new(env, self.env.range(DbRef { dbi, gen }, options.into()).or_throw(env)?)
    }

    /// Marks a call as in progress, here on the JS thread, so that a `close`
    /// issued after it waits for it even if the close reaches the pool first.
    pub(crate) fn busy(&self, env: &Env) -> Result<Busy> {
        self.env.busy().or_throw(env)
    }

    /// Closes this handle after its work in progress. Off the JS thread.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> Result<Object<'env>> {
        let core = self.env.clone();
        // On a thread of its own: it waits for the calls in progress, whose
        // work may be queued on the pool behind it (with every pool thread
        // taken by such closes, none would run).
        on_own_thread(env, "lmdb-napi close", move || {
            core.close();
            Ok(())
        })
    }
}
