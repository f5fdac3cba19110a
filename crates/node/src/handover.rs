//! How memory the addon filled reaches JavaScript, in one place.
//!
//! Normally it is handed over: JavaScript's buffer is a view of the addon's
//! own memory, released when JavaScript lets go of it, and nothing is
//! copied. Where native memory may not back a JavaScript buffer it is copied
//! into memory JavaScript owns and released at once: in Electron, whose V8
//! memory cage makes napi answer `napi_no_external_buffers_allowed`, and in
//! a process started with `LMDB_NAPI_COPY_BUFFERS=1`, which takes that very
//! branch so that it can be tested outside Electron.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};

use napi::bindgen_prelude::*;

/// What JavaScript gets over the memory.
#[derive(Clone, Copy)]
pub enum View {
    Uint8Array,
    Float64Array,
    /// A Node `Buffer`.
    Buffer,
}

impl View {
    /// The kind of typed array; `None` for a `Buffer`.
    fn typed_array(self) -> Option<sys::napi_typedarray_type> {
        match self {
            View::Uint8Array => Some(sys::TypedarrayType::uint8_array),
            View::Float64Array => Some(sys::TypedarrayType::float64_array),
            View::Buffer => None,
        }
    }
}

/// `LMDB_NAPI_COPY_BUFFERS=1`: act everywhere as inside Electron.
static COPY_FORCED: AtomicBool = AtomicBool::new(false);

/// Reads the switch once, as the addon loads.
#[napi_derive::module_init]
fn read_switch() {
    let forced = std::env::var_os("LMDB_NAPI_COPY_BUFFERS").is_some_and(|v| v == "1");
    COPY_FORCED.store(forced, Ordering::Relaxed);
}

/// `items` for JavaScript as `view`. `release` gets them back exactly once,
/// on the JS thread: when JavaScript lets go of its view, or right after the
/// copy when they had to be copied.
///
/// # Safety
/// `env` is the live environment of the calling JS thread.
pub unsafe fn hand_over<T: Copy, F: FnOnce(Vec<T>)>(
    env: sys::napi_env,
    view: View,
    mut items: Vec<T>,
    mut release: F,
) -> Result<sys::napi_value> {
    let (data, length) = (items.as_mut_ptr().cast::<c_void>(), items.len());
    let bytes = std::mem::size_of_val(items.as_slice());
    // Nothing is lent when empty: V8 wants a null pointer for no bytes.
    if bytes > 0 && !COPY_FORCED.load(Ordering::Relaxed) {
        let hint = Box::into_raw(Box::new((items, release)));
        let finalize = Some(released::<T, F> as unsafe extern "C" fn(_, _, _));
        let mut memory = ptr::null_mut();
        // SAFETY: `data` is the heap memory of the boxed `items`, which stays
        // put until `released` or the `Box::from_raw` below takes the box back.
        let status = unsafe {
            match view.typed_array() {
                None => sys::napi_create_external_buffer(env, bytes, data, finalize, hint.cast(), &mut memory),
                Some(_) => sys::napi_create_external_arraybuffer(env, data, bytes, finalize, hint.cast(), &mut memory),
            }
        };
        if status == sys::Status::napi_ok {
            // The memory is JavaScript's now: `released` gives it back,
            // whatever happens next.
            return match view.typed_array() {
                None => Ok(memory),
                // SAFETY: `memory` is the ArrayBuffer just made.
                Some(kind) => unsafe { typed_array(env, kind, length, memory) },
            };
        }
        if status != sys::Status::napi_no_external_buffers_allowed {
            // Node may have released the memory already (a length past its
            // limit) or may yet: it is left to napi, leaked at worst, never
            // released twice.
            return Err(Error::new(Status::from(status), "cannot hand memory over to JavaScript".to_owned()));
        }
        // SAFETY: refused before anything was made: napi took neither the
        // memory nor the box, and `released` will not run.
        (items, release) = *unsafe { Box::from_raw(hint) };
    }
    // SAFETY: `items`' memory holds `bytes` bytes of plain values.
    let raw = unsafe { std::slice::from_raw_parts(items.as_ptr().cast::<u8>(), bytes) };
    let copy = match view.typed_array() {
        None => {
            let mut value = ptr::null_mut();
            // SAFETY: `env` is live; napi copies `raw` before returning.
            let status =
                unsafe { sys::napi_create_buffer_copy(env, bytes, raw.as_ptr().cast(), ptr::null_mut(), &mut value) };
            check_status!(status).map(|()| value)
        }
        // SAFETY: `env` is live.
        Some(kind) => unsafe { owned(env, kind, length, std::mem::size_of::<T>(), |out| out.copy_from_slice(raw)) },
    };
    release(items);
    copy
}

/// The finalizer of memory lent: gives it to its `release`.
unsafe extern "C" fn released<T, F: FnOnce(Vec<T>)>(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the box `hand_over` made, which napi hands back once.
    let (items, release) = *unsafe { Box::from_raw(hint.cast::<(Vec<T>, F)>()) };
    release(items);
}

/// A typed array of `length` elements of `kind` over all of `buffer`.
unsafe fn typed_array(
    env: sys::napi_env,
    kind: sys::napi_typedarray_type,
    length: usize,
    buffer: sys::napi_value,
) -> Result<sys::napi_value> {
    let mut array = ptr::null_mut();
    // SAFETY: `env` is live and `buffer` an ArrayBuffer of it.
    check_status!(unsafe { sys::napi_create_typedarray(env, kind, length, buffer, 0, &mut array) })?;
    Ok(array)
}

/// A typed array of `length` elements of `size` bytes over a fresh
/// `ArrayBuffer` that JavaScript owns, its bytes written by `fill`.
///
/// # Safety
/// `env` is the live environment of the calling JS thread.
pub unsafe fn owned(
    env: sys::napi_env,
    kind: sys::napi_typedarray_type,
    length: usize,
    size: usize,
    fill: impl FnOnce(&mut [u8]),
) -> Result<sys::napi_value> {
    let (mut data, mut buffer) = (ptr::null_mut(), ptr::null_mut());
    // SAFETY: the buffer's `length * size` bytes at `data` are ours until it
    // is returned.
    unsafe {
        check_status!(sys::napi_create_arraybuffer(env, length * size, &mut data, &mut buffer))?;
        if length > 0 {
            fill(std::slice::from_raw_parts_mut(data.cast::<u8>(), length * size));
        }
        typed_array(env, kind, length, buffer)
    }
}
