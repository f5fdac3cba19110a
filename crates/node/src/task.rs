//! One way for every async call to do its blocking work: a closure run on
//! the addon's pool (`threads.rs`), whose plain-Rust result becomes a
//! JavaScript value back on the JS thread.

use napi::bindgen_prelude::*;

use crate::error::thrown;
use crate::promise::value_promise;
use crate::threads;

/// A result that can become a JavaScript value (on the JS thread).
pub trait ToJs: Send + 'static {
    /// The JavaScript-facing type.
    type Js: ToNapiValue + TypeName;
    /// Converts on the JS thread.
    fn to_js(self) -> Result<Self::Js>;
}

/// Runs `work` on the pool and returns the promise of its result. `work`
/// owns its inputs, so nothing borrowed from JavaScript crosses threads; a
/// panic in it rejects the promise.
pub fn spawn<'env, T: ToJs>(
    env: &'env Env,
    work: impl FnOnce() -> lmdb_napi_core::Result<T> + Send + 'static,
) -> Result<Object<'env>> {
    let (promise, done) = value_promise::<T>(env)?;
    threads::run(move || done(lmdb_napi_core::guard(work))).map_err(|e| thrown(env, lmdb_napi_core::Error::Io(e)))?;
    Ok(promise)
}

/// Runs `work` on the pool with nothing to settle (it settles its own
/// promise, as compression before a write does).
pub fn spawn_plain(env: &Env, work: impl FnOnce() + Send + 'static) -> Result<()> {
    threads::run(work).map_err(|e| thrown(env, lmdb_napi_core::Error::Io(e)))
}

macro_rules! plain_to_js {
    ($($t:ty),*) => {$(
        impl ToJs for $t {
            type Js = $t;
            fn to_js(self) -> Result<$t> { Ok(self) }
        }
    )*};
}

plain_to_js!((), u32, f64, bool, String, Vec<String>);
