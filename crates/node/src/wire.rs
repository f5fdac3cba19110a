//! The numbers of the wire format, as the core defines them: batch
//! operation kinds, put flags, cursor moves and compression algorithms.
//! TypeScript keeps its own copies (enums the compiler can check, in
//! `ts/batch.ts`, `ts/cursor.ts` and `ts/coder.ts`); a test compares them
//! with these, so the two sides cannot drift apart.

use std::collections::HashMap;

use lmdb_napi_core::{algorithm, moves, op, put_flags};
use napi_derive::napi;

/// Every wire constant by a dotted name: `op.PUT`, `put.APPEND`,
/// `move.SEEK_RANGE`, `algorithm.ZSTD`.
#[napi(catch_unwind)]
pub fn wire_constants() -> HashMap<String, u32> {
    let named: &[(&str, u8)] = &[
        ("op.GET", op::GET),
        ("op.HAS", op::HAS),
        ("op.PUT", op::PUT),
        ("op.DELETE", op::DELETE),
        ("op.REPLACE", op::REPLACE),
        ("op.POP", op::POP),
        ("op.DROP", op::DROP),
        ("op.CURSOR", op::CURSOR),
        ("op.ENSURE", op::ENSURE),
        ("op.ENSURE_AS", op::ENSURE_AS),
        ("put.NO_OVERWRITE", put_flags::NO_OVERWRITE),
        ("put.APPEND", put_flags::APPEND),
        ("put.NO_DUP_DATA", put_flags::NO_DUP_DATA),
        ("put.DELETE_DB", put_flags::DELETE_DB),
        ("put.IF_VALUE", put_flags::IF_VALUE),
        ("move.FIRST", moves::FIRST),
        ("move.LAST", moves::LAST),
        ("move.NEXT", moves::NEXT),
        ("move.PREV", moves::PREV),
        ("move.SEEK", moves::SEEK),
        ("move.SEEK_RANGE", moves::SEEK_RANGE),
        ("move.FIRST_DUP", moves::FIRST_DUP),
        ("move.LAST_DUP", moves::LAST_DUP),
        ("move.NEXT_DUP", moves::NEXT_DUP),
        ("move.PREV_DUP", moves::PREV_DUP),
        ("move.NEXT_NODUP", moves::NEXT_NODUP),
        ("move.PREV_NODUP", moves::PREV_NODUP),
        ("move.SEEK_DUP", moves::SEEK_DUP),
        ("move.SEEK_RANGE_DUP", moves::SEEK_RANGE_DUP),
        ("move.COUNT", moves::COUNT),
        ("move.CURRENT", moves::CURRENT),
        ("move.SEEK_DUP_OR_KEY", moves::SEEK_DUP_OR_KEY),
        ("algorithm.ZLIB", algorithm::ZLIB),
        ("algorithm.ZSTD", algorithm::ZSTD),
        ("algorithm.LZ4", algorithm::LZ4),
    ];
    named.iter().map(|&(name, value)| (name.to_owned(), u32::from(value))).collect()
}
