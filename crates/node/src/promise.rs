//! Promises settled from any thread (the writer's) with a core result, with
//! no libuv thread waiting for it. The result becomes a JavaScript value (or
//! error) back on the JS thread.

use lmdb_napi_core::{BatchResult, Outcome};
use napi::bindgen_prelude::*;

use crate::convert::unit_result;
use crate::error::{thrown, unpanic};
use crate::task::ToJs;
use crate::types::Bytes;

/// A promise of a batch's unit results, and the completion that settles it.
pub fn batch_promise(env: &Env) -> Result<(Object<'_>, impl FnOnce(BatchResult) + Send + 'static)> {
    let (deferred, promise) = env.create_deferred()?;
    let done = move |result: BatchResult| {
        deferred.resolve(move |env| match result {
            Ok(units) => unpanic(&env, || Ok(units.into_iter().map(unit_result).collect::<Vec<_>>())),
            Err(e) => Err(thrown(&env, e)),
        })
    };
    Ok((promise, done))
}

/// Like `batch_promise`, but when every unit answered `true`/`false` (all
/// puts and deletes: the common case) they come as one `Uint8Array` of 1/0
/// instead of an array of JS values.
pub fn write_promise(env: &Env) -> Result<(Object<'_>, impl FnOnce(BatchResult) + Send + 'static)> {
    let (deferred, promise) = env.create_deferred()?;
    let done = move |result: BatchResult| {
        deferred.resolve(move |env| match result {
            Ok(units) => unpanic(&env, || {
                let flags: Option<Vec<u8>> =
                    units.iter().map(|u| if let Ok(Outcome::Done(b)) = u { Some(*b as u8) } else { None }).collect();
                Ok(match flags {
                    Some(flags) => Either::A(Bytes(flags)),
                    None => Either::B(units.into_iter().map(unit_result).collect::<Vec<_>>()),
                })
            }),
            Err(e) => Err(thrown(&env, e)),
        })
    };
    Ok((promise, done))
}

/// A promise of nothing but success, and the completion that settles it.
pub fn void_promise(env: &Env) -> Result<(Object<'_>, impl FnOnce(lmdb_napi_core::Result<()>) + Send + 'static)> {
    let (deferred, promise) = env.create_deferred()?;
    let done =
        move |result: lmdb_napi_core::Result<()>| deferred.resolve(move |env| result.map_err(|e| thrown(&env, e)));
    Ok((promise, done))
}

/// A promise of a value made on the JS thread out of a core result.
pub fn value_promise<T: ToJs>(
    env: &Env,
) -> Result<(Object<'_>, impl FnOnce(lmdb_napi_core::Result<T>) + Send + 'static)> {
    let (deferred, promise) = env.create_deferred()?;
    let done = move |result: lmdb_napi_core::Result<T>| {
        deferred.resolve(move |env| match result {
            Ok(value) => unpanic(&env, || value.to_js()),
            Err(e) => Err(thrown(&env, e)),
        })
    };
    Ok((promise, done))
}

/// Runs `work` on a thread of its own, not the libuv pool, and settles the
/// promise with its result. For work that may wait long on a lock: a plain
/// copy waits for LMDB's writer lock while a write transaction is open, and
/// a pool thread stuck there would hold up every other task of the process
/// (four such copies stop all reads), and Node's exit, which waits for the
/// pool's threads.
pub fn on_own_thread<'env, T: ToJs>(
    env: &'env Env,
    name: &str,
    work: impl FnOnce() -> lmdb_napi_core::Result<T> + Send + 'static,
) -> Result<Object<'env>> {
    let (promise, done) = value_promise::<T>(env)?;
    let spawned = std::thread::Builder::new().name(name.to_owned()).spawn(move || done(lmdb_napi_core::guard(work)));
    spawned.map_err(|e| thrown(env, lmdb_napi_core::Error::Io(e)))?;
    Ok(promise)
}
