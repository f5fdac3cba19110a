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
use std::ffi::CStr;
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
/// `syncGetText(reader, dbi, gen, at, keyLen, codec)`: the same get for a
/// text coder, answering the string the value's UTF-8 spells (`undefined`
/// when absent), made straight from the map: no copy into the slab and no
/// second call to decode it, as a text coder would (invalid UTF-8 reads as
/// U+FFFD, as `Buffer.toString` reads it).
///
/// Plain napi callbacks, registered by hand: the wrapper napi-rs generates
/// for a function allocates a borrow scope on every call and converts each
/// argument through its traits, together ~100 ns, a third of the rest of
/// the call. Their types are declared in `ts/native.ts`.
#[napi(module_exports)]
pub fn register_sync_get(exports: Object, env: Env) -> Result<()> {
    register(&exports, &env, c"syncGet", sync_get_callback)?;
    register(&exports, &env, c"syncGetText", sync_get_text_callback)
}

/// Sets `exports[name]` to a bare napi function that runs `callback`.
fn register(exports: &Object, env: &Env, name: &CStr, callback: Callback) -> Result<()> {
    let mut function = ptr::null_mut();
    let len = name.to_bytes().len() as isize;
    // SAFETY: `env` is the environment loading the module, on its thread,
    // and `exports` its exports object; `name` is `len` bytes long.
    unsafe {
        check_status!(sys::napi_create_function(
            env.raw(),
            name.as_ptr(),
            len,
            Some(callback),
            ptr::null_mut(),
            &mut function
        ))?;
        check_status!(sys::napi_set_named_property(env.raw(), exports.raw(), name.as_ptr(), function))
    }
}

type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

/// The callback of `syncGet`: six numbers in, a number out, or a thrown error.
unsafe extern "C" fn sync_get_callback(raw: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    // SAFETY: napi calls this on the JS thread of `raw`, with `info` its call's.
    unsafe {
        answer(raw, info, |slab, value| {
            let mut out = ptr::null_mut();
            let length = match value {
                None => -1,
                Some(v) => {
                    if let Some(dest) = slab.get_mut(..v.len()) {
                        dest.copy_from_slice(v);
                    }
                    v.len() as i64
                }
            };
            check_status!(sys::napi_create_int64(raw, length, &mut out))?;
            Ok(out)
        })
    }
}

/// The callback of `syncGetText`: six numbers in, a string or `undefined` out, or a thrown error.
unsafe extern "C" fn sync_get_text_callback(raw: sys::napi_env, info: sys::napi_callback_info) -> sys::napi_value {
    // SAFETY: as `sync_get_callback`.
    unsafe {
        answer(raw, info, |_, value| {
            let mut out = ptr::null_mut();
            match value {
                None => check_status!(sys::napi_get_undefined(raw, &mut out))?,
                Some(v) => {
                    check_status!(sys::napi_create_string_utf8(raw, v.as_ptr().cast(), v.len() as isize, &mut out))?
                }
            }
            Ok(out)
        })
    }
}

/// One get of a call to `syncGet` or `syncGetText`: `make` turns the value
/// (while its snapshot holds it) into what the call returns, given the slab
/// after the key. An error, `make`'s included, is thrown.
///
/// # Safety
/// `raw` and `info` are the live ones of the current call, on its thread.
unsafe fn answer(
    raw: sys::napi_env,
    info: sys::napi_callback_info,
    make: impl FnOnce(&mut [u8], Option<&[u8]>) -> Result<sys::napi_value>,
) -> sys::napi_value {
    let env = Env::from_raw(raw);
    let made = unpanic(&env, || {
        // SAFETY: per this function's contract.
        let [reader, dbi, gen, at, key_len, codec] = unsafe { numbers(raw, info) }?;
        let codec = u8::try_from(codec).map_err(|_| Error::new(Status::InvalidArg, "codec is a byte"))?;
        sync_get(&env, reader, DbRef { dbi, gen }, at as usize, key_len as usize, codec, make)
    });
    made.unwrap_or_else(|error| {
        // SAFETY: as above; napi takes the null returned as `undefined`
        // while the exception is pending.
        unsafe { JsError::from(error).throw_into(raw) };
        ptr::null_mut()
    })
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
        return Err(Error::new(Status::InvalidArg, "a sync get takes six numbers".to_owned()));
    }
    let mut numbers = [0u32; 6];
    for (value, number) in argv.into_iter().zip(&mut numbers) {
        // SAFETY: `value` is an argument of this call.
        check_status!(unsafe { sys::napi_get_value_uint32(env, value, number) }, "a sync get takes six numbers")?;
    }
    Ok(numbers)
}

/// The get itself (see `register_sync_get`): the key is the slab's
/// `key_len` bytes from `at`; `make` is handed the rest of the slab and the value.
fn sync_get<R>(
    env: &Env,
    reader: u32,
    db: DbRef,
    at: usize,
    key_len: usize,
    codec: u8,
    make: impl FnOnce(&mut [u8], Option<&[u8]>) -> Result<R>,
) -> Result<R> {
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
    let found = tick(env, slot, core)?.get_with(&busy, db, key, codec, |value| make(out, value));
    found.or_throw(env)?
}
