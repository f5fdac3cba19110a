//! One task type for every async call: a closure run on the libuv pool,
//! whose plain-Rust result becomes a JavaScript value back on the JS thread.

use napi::bindgen_prelude::*;

use crate::error::{thrown, unpanic};

/// A result that can become a JavaScript value (on the JS thread).
pub trait ToJs: Send + 'static {
    /// The JavaScript-facing type.
    type Js: ToNapiValue + TypeName;
    /// Converts on the JS thread.
    fn to_js(self) -> Result<Self::Js>;
}

/// Work for the libuv pool: it owns its inputs, so nothing borrowed from
/// JavaScript crosses threads.
pub struct Job<T: ToJs> {
    work: Option<Box<dyn FnOnce() -> lmdb_napi_core::Result<T> + Send>>,
    /// Why `compute` failed: made into a JavaScript error by `reject`, back
    /// on the JS thread.
    failure: Option<lmdb_napi_core::Error>,
}

impl<T: ToJs> Job<T> {
    /// Wraps `work` for `AsyncTask` (a method that returns a promise).
    pub fn new(work: impl FnOnce() -> lmdb_napi_core::Result<T> + Send + 'static) -> AsyncTask<Self> {
        AsyncTask::new(Self::new_task(work))
    }

    /// Wraps `work` for `Env::spawn` (work whose promise nobody awaits).
    pub fn new_task(work: impl FnOnce() -> lmdb_napi_core::Result<T> + Send + 'static) -> Self {
        Job { work: Some(Box::new(work)), failure: None }
    }
}

impl<T: ToJs> Task for Job<T> {
    type Output = T;
    type JsValue = T::Js;

    /// Runs on a libuv thread, where a panic would abort the process: it
    /// rejects the promise instead.
    fn compute(&mut self) -> Result<T> {
        let work = self.work.take();
        lmdb_napi_core::guard(|| work.map_or(Err(lmdb_napi_core::Error::Closed("task")), |work| work())).map_err(|e| {
            self.failure = Some(e);
            Error::from_status(Status::GenericFailure)
        })
    }

    fn resolve(&mut self, env: Env, output: T) -> Result<T::Js> {
        unpanic(&env, || output.to_js())
    }

    fn reject(&mut self, env: Env, err: Error) -> Result<T::Js> {
        Err(self.failure.take().map_or(err, |e| thrown(&env, e)))
    }
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
