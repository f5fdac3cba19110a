//! Core errors as JavaScript errors.
//!
//! The message starts with `[CODE errno]`; `ts/errors.ts` reads that prefix
//! to pick the error class, so the LMDB code survives the crossing.

use lmdb_napi_core::Error;

/// The `[CODE errno] text` form `ts/errors.ts` parses.
pub fn describe(e: &Error) -> String {
    format!("[{} {}] {}", e.code(), e.errno(), e)
}

/// A core error as a napi error (a JavaScript `Error` once thrown).
pub fn to_napi(e: Error) -> napi::Error {
    napi::Error::from_reason(describe(&e))
}

/// Shorthand for core results in the binding.
pub trait OrThrow<T> {
    /// Converts the error side to a napi error.
    fn or_throw(self) -> napi::Result<T>;
}

impl<T> OrThrow<T> for lmdb_napi_core::Result<T> {
    fn or_throw(self) -> napi::Result<T> {
        self.map_err(to_napi)
    }
}

/// Runs `work` on the JS thread where napi does not catch panics (a task's
/// or a promise's result made into a JavaScript value): a panic becomes the
/// core's PANIC error instead of aborting the process.
pub fn unpanic<T>(work: impl FnOnce() -> napi::Result<T>) -> napi::Result<T> {
    lmdb_napi_core::guard(|| Ok(work())).map_err(to_napi)?
}
