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
        let mut value = ptr::null_mut();
        // SAFETY: `data` is the heap memory of the boxed `items`, which stays
        // put until `released` or the line below takes the box back.
        let status = unsafe { lend(env, view, data, bytes, length, hint, &mut value) };
        if status == sys::Status::napi_ok {
            return Ok(value);
        }
        // SAFETY: napi did not take the memory, nor will it call `released`.
        (items, release) = *unsafe { Box::from_raw(hint) };
        if status != sys::Status::napi_no_external_buffers_allowed {
            release(items);
            return Err(Error::new(Status::from(status), "cannot hand memory over to JavaScript".to_owned()));
        }
    }
    // SAFETY: `data` holds `bytes` bytes of plain values, `items`' own.
    let copy = unsafe { copied(env, view, std::slice::from_raw_parts(data.cast::<u8>(), bytes), length) };
    release(items);
    copy
}

/// napi's answer to lending `bytes` bytes at `data` as `view`, with `hint`
/// for `released`.
unsafe fn lend<T, F: FnOnce(Vec<T>)>(
    env: sys::napi_env,
    view: View,
    data: *mut c_void,
    bytes: usize,
    length: usize,
    hint: *mut (Vec<T>, F),
    value: &mut sys::napi_value,
) -> sys::napi_status {
    let finalize = Some(released::<T, F> as unsafe extern "C" fn(_, _, _));
    let kind = match view {
        View::Buffer => {
            return unsafe { sys::napi_create_external_buffer(env, bytes, data, finalize, hint.cast(), value) }
        }
        View::Uint8Array => sys::TypedarrayType::uint8_array,
        View::Float64Array => sys::TypedarrayType::float64_array,
    };
    let mut buffer = ptr::null_mut();
    // SAFETY: as `hand_over` promises; once the ArrayBuffer exists, the
    // memory is JavaScript's to release.
    unsafe {
        match sys::napi_create_external_arraybuffer(env, data, bytes, finalize, hint.cast(), &mut buffer) {
            sys::Status::napi_ok => sys::napi_create_typedarray(env, kind, length, buffer, 0, value),
            refused => refused,
        }
    }
}

/// The finalizer of memory lent: gives it to its `release`.
unsafe extern "C" fn released<T, F: FnOnce(Vec<T>)>(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the box `hand_over` made, which napi hands back once.
    let (items, release) = *unsafe { Box::from_raw(hint.cast::<(Vec<T>, F)>()) };
    release(items);
}

/// `bytes` (`length` elements) copied into a new `view` JavaScript owns.
unsafe fn copied(env: sys::napi_env, view: View, bytes: &[u8], length: usize) -> Result<sys::napi_value> {
    let (kind, size) = match view {
        View::Buffer => {
            let mut value = ptr::null_mut();
            // SAFETY: `env` is live; napi copies `bytes` before returning.
            let status = unsafe {
                sys::napi_create_buffer_copy(env, bytes.len(), bytes.as_ptr().cast(), ptr::null_mut(), &mut value)
            };
            return check_status!(status).map(|()| value);
        }
        View::Uint8Array => (sys::TypedarrayType::uint8_array, 1),
        View::Float64Array => (sys::TypedarrayType::float64_array, std::mem::size_of::<f64>()),
    };
    // SAFETY: `env` is live.
    unsafe { owned(env, kind, length, size, |out| out.copy_from_slice(bytes)) }
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
    let (mut data, mut buffer, mut array) = (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
    // SAFETY: the buffer's `length * size` bytes at `data` are ours until it
    // is returned.
    unsafe {
        check_status!(sys::napi_create_arraybuffer(env, length * size, &mut data, &mut buffer))?;
        if length > 0 {
            fill(std::slice::from_raw_parts_mut(data.cast::<u8>(), length * size));
        }
        check_status!(sys::napi_create_typedarray(env, kind, length, buffer, 0, &mut array))?;
    }
    Ok(array)
}
