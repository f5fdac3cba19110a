//! Rust JSON and MessagePack codecs fed by napi's conversion of JavaScript
//! values (`serde_json::Value` both ways). Built only with the `codec-bench`
//! feature, for `benches/codecs.mjs`, which measures them against the
//! JavaScript codecs the library ships; see benches/RESULTS.md.

use napi::bindgen_prelude::*;
use napi_derive::napi;

fn fail(e: impl std::fmt::Display) -> Error {
    Error::from_reason(e.to_string())
}

/// Only the conversion of a JavaScript value into Rust (what any Rust codec
/// must pay on the JavaScript thread); returns a token to keep it honest.
#[napi(catch_unwind)]
pub fn bench_convert_only(value: serde_json::Value) -> u32 {
    match value {
        serde_json::Value::Object(map) => map.len() as u32,
        _ => 0,
    }
}

/// Conversion, then serde_json to bytes.
#[napi(catch_unwind)]
pub fn bench_json_encode(value: serde_json::Value) -> Result<Buffer> {
    serde_json::to_vec(&value).map(Into::into).map_err(fail)
}

/// serde_json from bytes, then conversion to a JavaScript value.
#[napi(catch_unwind)]
pub fn bench_json_decode(bytes: &[u8]) -> Result<serde_json::Value> {
    serde_json::from_slice(bytes).map_err(fail)
}

/// Conversion, then rmp-serde to MessagePack.
#[napi(catch_unwind)]
pub fn bench_msgpack_encode(value: serde_json::Value) -> Result<Buffer> {
    rmp_serde::to_vec_named(&value).map(Into::into).map_err(fail)
}

/// rmp-serde from MessagePack, then conversion to a JavaScript value.
#[napi(catch_unwind)]
pub fn bench_msgpack_decode(bytes: &[u8]) -> Result<serde_json::Value> {
    rmp_serde::from_slice(bytes).map_err(fail)
}

/// A uint32 key the way a Rust coder would make it: napi reads the number,
/// Rust writes it big-endian.
#[napi(catch_unwind)]
pub fn bench_uint32_encode(value: u32) -> Buffer {
    value.to_be_bytes().to_vec().into()
}

/// A string key the way a Rust coder would make it: napi copies it out as UTF-8.
#[napi(catch_unwind)]
pub fn bench_string_encode(value: String) -> Buffer {
    value.into_bytes().into()
}
