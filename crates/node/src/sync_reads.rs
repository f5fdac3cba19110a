//! Reads on the JS thread (`getSync`, `getManySync`, `hasSync`).
//!
//! The sync reads of one stretch of synchronous JavaScript share one
//! snapshot, taken by the first of them and ended by JavaScript when its
//! microtasks next run, or when a `transactionSync` commits (`end_tick`). A
//! read then costs no renew and reset of a read transaction, and the reads
//! of a stretch agree with each other. No commit of this thread can settle
//! inside a stretch, so none is missed.
//!
//! `sync_get` takes its key from, and leaves its value in, a slab that
//! JavaScript allocated: no new `Buffer` per read, and no second copy
//! (JavaScript hands out a view of the slab). It is a plain function that
//! takes numbers only and finds its handle's state in a table of this
//! thread: napi-rs's bookkeeping for a method's receiver costs ~200 ns a
//! call, as much as a cached LMDB lookup.

use std::cell::RefCell;
use std::ptr;
use std::rc::{Rc, Weak};

use lmdb_napi_core::{DbRef, Env as CoreEnv, Error as CoreError, Snapshot};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::env::NativeEnv;
use crate::error::{thrown, unpanic, OrThrow};
use crate::task::ToJs;
use crate::types::ReadResultJs;

/// The per-handle state of sync reads. Only the JS thread touches it, one
/// call at a time.
struct State {
    env: CoreEnv,
    /// The snapshot of the current stretch of synchronous JavaScript.
    tick: Option<Snapshot>,
    /// Keys in, values out (see `sync_get`): JavaScript's current slab.
    scratch: Option<Buffer>,
}

thread_local! {
    /// The sync reads of the handles of this thread, by id. Weak: a handle's
    /// state lives and dies with its `NativeEnv`, on this thread.
    static READERS: RefCell<Vec<Weak<RefCell<State>>>> = const { RefCell::new(Vec::new()) };
}

/// A handle's sync reads, and their id in this thread's table.
pub(crate) struct SyncReads {
    id: u32,
    state: Rc<RefCell<State>>,
}

impl SyncReads {
    pub(crate) fn new(env: CoreEnv) -> Self {
        let state = Rc::new(RefCell::new(State { env, tick: None, scratch: None }));
        let id = READERS.with(|readers| {
            let readers = &mut *readers.borrow_mut();
            // A dead entry's id is free: only its handle's JavaScript knew it.
            let free = readers.iter().position(|r| r.strong_count() == 0).unwrap_or(readers.len());
            let weak = Rc::downgrade(&state);
            match readers.get_mut(free) {
                Some(slot) => *slot = weak,
                None => readers.push(weak),
            }
            free as u32
        });
        SyncReads { id, state }
    }
}

#[napi]
impl NativeEnv {
    /// This handle's id for `sync_get`.
    #[napi(catch_unwind)]
    pub fn sync_reader(&self) -> u32 {
        self.sync.id
    }

    /// The slab `sync_get` works in from now on. JavaScript keeps a
    /// reference too, and views of the values already in it.
    #[napi(catch_unwind)]
    pub fn use_scratch(&self, buffer: Buffer) {
        self.sync.state.borrow_mut().scratch = Some(buffer);
    }

    /// One get, the value copied into a new Buffer (or `null`).
    #[napi(catch_unwind, ts_return_type = "Buffer | null")]
    pub fn get_sync<'env>(
        &self,
        env: &'env Env,
        dbi: u32,
        gen: u32,
        key: &[u8],
        codec: u8,
    ) -> Result<Option<BufferSlice<'env>>> {
        let busy = self.busy(env)?;
        let copied = tick(env, &mut self.sync.state.borrow_mut().tick, &self.env)?.get_with(
            &busy,
            DbRef { dbi, gen },
            key,
            codec,
            |value| value.map(|v| BufferSlice::copy_from(env, v)),
        );
        copied.or_throw(env)?.transpose()
    }

    /// Runs a read batch on the calling thread.
    #[napi(catch_unwind)]
    pub fn read_sync(&self, env: &Env, batch: &[u8]) -> Result<ReadResultJs> {
        let busy = self.busy(env)?;
        let output = tick(env, &mut self.sync.state.borrow_mut().tick, &self.env)?.read_batch(&busy, batch);
        output.or_throw(env)?.to_js()
    }

    /// Ends the snapshot of the sync reads (the stretch is over). Idempotent.
    #[napi(catch_unwind)]
    pub fn end_tick(&self) {
        self.sync.state.borrow_mut().tick = None;
    }
}

/// The stretch's snapshot, taken now if this is its first read.
fn tick<'a>(env: &Env, slot: &'a mut Option<Snapshot>, core: &CoreEnv) -> Result<&'a Snapshot> {
    Ok(match slot {
        Some(tick) => tick,
        empty => empty.insert(core.snapshot().or_throw(env)?),
    })
}

/// `syncGet(reader, dbi, gen, at, keyLen, codec)`: one get by the sync reads
/// of handle `reader`. The key is its slab's `keyLen` bytes from `at`, and
/// the value's bytes are left right after it. Returns the value's length, or
/// -1 when absent; a value that does not fit in the rest of the slab was not
/// copied (the caller asks `get_sync`).
///
/// A plain napi callback, registered by hand: the wrapper napi-rs generates
/// for a function allocates a borrow scope on every call and converts each
/// argument through its traits, together ~100 ns, a third of the rest of
/// the call. Its type is declared in `ts/native.ts`.
#[napi(module_exports)]
pub fn register_sync_get(exports: Object, env: Env) -> Result<()> {
    let mut function = ptr::null_mut();
    // SAFETY: `env` is the environment loading the module, on its thread,
    // and `exports` its exports object; the name is 7 bytes long.
    unsafe {
        check_status!(sys::napi_create_function(
            env.raw(),
            c"syncGet".as_ptr(),
            7,
            Some(sync_get_callback),
            ptr::null_mut(),
            &mut function,
        ))?;
        check_status!(sys::napi_set_named_property(env.raw(), exports.raw(), c"syncGet".as_ptr(), function))
    }
}

/// The callback of `syncGet`: six numbers in, a number out, or a thrown error.
unsafe extern "C" fn sync_get_callback(raw: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    let env = Env::from_raw(raw);
    let length = unpanic(&env, || {
        // SAFETY: napi calls this on the JS thread of `raw`, with `info` its call's.
        let [reader, dbi, gen, at, key_len, codec] = unsafe { numbers(raw, info) }?;
        let codec = u8::try_from(codec).map_err(|_| Error::new(Status::InvalidArg, "codec is a byte"))?;
        sync_get(&env, reader, dbi, gen, at as usize, key_len as usize, codec)
    });
    let mut out = ptr::null_mut();
    // SAFETY: `raw` is live, on its thread.
    let made = length.and_then(|length| check_status!(unsafe { sys::napi_create_int64(raw, length, &mut out) }));
    if let Err(error) = made {
        // SAFETY: as above; napi takes the null returned as `undefined`
        // while the exception is pending.
        unsafe { JsError::from(error).throw_into(raw) };
        return ptr::null_mut();
    }
    out
}

/// The call's six arguments, each a number that fits 32 bits unsigned.
///
/// # Safety
/// `env` and `info` are the live ones of the current call.
unsafe fn numbers(env: sys::napi_env, info: sys::napi_callback_info) -> Result<[u32; 6]> {
    let mut argv = [ptr::null_mut(); 6];
    let mut argc = argv.len();
    // SAFETY: `argv` has room for `argc` values.
    check_status!(unsafe {
        sys::napi_get_cb_info(env, info, &mut argc, argv.as_mut_ptr(), ptr::null_mut(), ptr::null_mut())
    })?;
    if argc != argv.len() {
        return Err(Error::new(Status::InvalidArg, "syncGet takes six numbers".to_owned()));
    }
    let mut numbers = [0u32; 6];
    for (value, number) in argv.into_iter().zip(&mut numbers) {
        // SAFETY: `value` is an argument of this call.
        check_status!(unsafe { sys::napi_get_value_uint32(env, value, number) }, "syncGet takes six numbers")?;
    }
    Ok(numbers)
}

/// The get itself (see `register_sync_get`).
fn sync_get(env: &Env, reader: u32, dbi: u32, gen: u32, at: usize, key_len: usize, codec: u8) -> Result<i64> {
    let state = READERS.with(|readers| readers.borrow().get(reader as usize).and_then(Weak::upgrade));
    let Some(state) = state else {
        return Err(thrown(env, CoreError::Invalid("no such sync reader".into())));
    };
    let State { env: core, tick: slot, scratch } = &mut *state.borrow_mut();
    let busy = core.busy().or_throw(env)?;
    let Some(scratch) = scratch.as_mut() else {
        return Err(thrown(env, CoreError::Invalid("no scratch buffer".into())));
    };
    let Some((key, out)) = scratch.get_mut(at..).and_then(|rest| rest.split_at_mut_checked(key_len)) else {
        return Err(thrown(env, CoreError::Invalid("key past the end of the scratch buffer".into())));
    };
    let found = tick(env, slot, core)?.get_with(&busy, DbRef { dbi, gen }, key, codec, |value| match value {
        None => -1,
        Some(v) => {
            if let Some(dest) = out.get_mut(..v.len()) {
                dest.copy_from_slice(v);
            }
            v.len() as i64
        }
    });
    found.or_throw(env)
}
