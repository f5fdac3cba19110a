//! `NativeWriteStream`: one tick's writes sent to the writer in pieces
//! while JavaScript is still issuing them (see the core's `stream.rs`).

use lmdb_napi_core::{compress_values, needs_compression, WriteStream};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use parking_lot::Mutex;

use crate::env::NativeEnv;
use crate::error::OrThrow;
use crate::promise::write_promise;

/// The sending side of a write stream. Dropped without `end` (its thread
/// was terminated), the stream ends with what it was sent.
#[napi]
pub struct NativeWriteStream {
    stream: Mutex<Option<WriteStream>>,
}

#[napi]
impl NativeEnv {
    /// Takes the next place in the order of writes for a stream of pieces.
    #[napi]
    pub fn write_stream(&self) -> Result<NativeWriteStream> {
        Ok(NativeWriteStream { stream: Mutex::new(Some(self.env.write_stream().or_throw()?)) })
    }
}

#[napi]
impl NativeWriteStream {
    /// Sends whole units (the batch format; unit numbers run on), with no
    /// compressed values: JavaScript streams no segment that has them.
    #[napi]
    pub fn push(&self, batch: &[u8]) {
        if let Some(stream) = &*self.stream.lock() {
            stream.push(batch.to_vec());
        }
    }

    /// Sends the last units; resolves as `write` does, for every unit of the stream.
    #[napi(ts_return_type = "Promise<Uint8Array | Array<boolean | number | Buffer | null | string>>")]
    pub fn end<'env>(&self, env: &'env Env, batch: &[u8]) -> Result<Object<'env>> {
        let (promise, done) = write_promise(env)?;
        match (self.stream.lock().take(), prepared(batch)) {
            (Some(stream), Ok(bytes)) => stream.end(bytes, done),
            (Some(stream), Err(e)) => {
                drop(stream); // what was sent still commits; this piece is lost
                return Err(e);
            }
            (None, _) => done(Err(lmdb_napi_core::Error::Closed("write stream"))),
        }
        Ok(promise)
    }
}

/// The last piece's bytes, their values compressed where their operations
/// say so: only a compressed write issued after its tick's stream began
/// (a `putMany` through a compressed coder) has any. Rare, so it runs here.
fn prepared(batch: &[u8]) -> Result<Vec<u8>> {
    if needs_compression(batch) {
        compress_values(batch).or_throw()
    } else {
        Ok(batch.to_vec())
    }
}
