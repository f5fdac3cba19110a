//! Core errors as JavaScript errors: an `Error` whose `code` is the core's
//! name for the failure (`MDB_MAP_FULL`, `ENOENT`, `CLOSED`, …) and whose
//! `errno` is LMDB's number, fields that `ts/native-error.ts` reads to pick
//! the public class. Made on the JS thread, thrown or handed over as values
//! (a failed unit of a batch).

use std::ffi::CStr;

use lmdb_napi_core::Error as CoreError;
use napi::bindgen_prelude::*;
use napi::sys;

/// A core error on its way to JavaScript.
pub struct Failure(pub CoreError);

impl ToNapiValue for Failure {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        let code = String::to_napi_value(env, val.0.code().to_owned())?;
        let message = String::to_napi_value(env, val.0.to_string())?;
        let errno = i32::to_napi_value(env, val.0.errno())?;
        let mut error = std::ptr::null_mut();
        // SAFETY: `env` is the current environment (this runs on the JS thread)
        // and the three values were just made in it.
        unsafe {
            check_status!(sys::napi_create_error(env, code, message, &mut error))?;
            check_status!(sys::napi_set_named_property(env, error, ERRNO.as_ptr(), errno))?;
        }
        Ok(error)
    }
}

const ERRNO: &CStr = c"errno";

impl TypeName for Failure {
    fn type_name() -> &'static str {
        "Error"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

/// `e` as the napi error that a call on the JS thread fails with: napi
/// throws (or rejects with) the very object made here.
pub fn thrown(env: &Env, e: CoreError) -> Error {
    // SAFETY: `env` is the current environment, on its own thread.
    match unsafe { Failure::to_napi_value(env.raw(), Failure(e)) } {
        // SAFETY: `value` was just made in `env`.
        Ok(value) => Error::from(unsafe { Unknown::from_raw_unchecked(env.raw(), value) }),
        Err(failed) => failed,
    }
}

/// Shorthand for core results in the binding's calls.
pub trait OrThrow<T> {
    /// Converts the error side to the error the call fails with.
    fn or_throw(self, env: &Env) -> Result<T>;
}

impl<T> OrThrow<T> for lmdb_napi_core::Result<T> {
    fn or_throw(self, env: &Env) -> Result<T> {
        self.map_err(|e| thrown(env, e))
    }
}

/// Runs `work` on the JS thread where napi does not catch panics (a task's
/// or a promise's result made into a JavaScript value): a panic becomes the
/// core's PANIC error instead of aborting the process.
pub fn unpanic<T>(env: &Env, work: impl FnOnce() -> Result<T>) -> Result<T> {
    lmdb_napi_core::guard(|| Ok(work())).or_throw(env)?
}
