//! Compression for a `CompressedCoder` used directly (`serialize`,
//! `deserialize`), on the calling thread. Databases compress off the JS
//! thread instead, in the batch (`NativeEnv.write`, `NativeEnv.read`).

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::OrThrow;
use crate::types::NodeBuffer;

/// A value in its stored, compressed form (with the header).
#[napi(catch_unwind, ts_return_type = "Buffer")]
pub fn compress(env: &Env, algorithm: u8, level: i32, value: &[u8]) -> Result<NodeBuffer> {
    lmdb_napi_core::compress(value, algorithm, level).map(NodeBuffer).or_throw(env)
}

/// The value a stored, compressed form holds.
#[napi(catch_unwind, ts_return_type = "Buffer")]
pub fn decompress(env: &Env, stored: &[u8]) -> Result<NodeBuffer> {
    lmdb_napi_core::decompress(stored).map(|v| NodeBuffer(v.into_owned())).or_throw(env)
}
