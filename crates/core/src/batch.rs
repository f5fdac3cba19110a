//! The wire format of read and write batches.
//!
//! JavaScript packs the operations of one tick into a single buffer, so a
//! batch crosses into native code with one copy and is read here in place,
//! with no allocation per operation. Each operation is a 24-byte
//! little-endian header followed by its key and value bytes:
//!
//! | bytes | field |
//! |---|---|
//! | 0 | kind (`op::*`) |
//! | 1 | flags (`put_flags::*`) |
//! | 2..4 | reserved |
//! | 4..8 | unit: consecutive operations with one unit number commit or fail together |
//! | 8..12 | dbi |
//! | 12..16 | generation of the dbi slot (see `dbi.rs`) |
//! | 16..20 | key length |
//! | 20..24 | value length, or `u32::MAX` for no value |

use crate::error::{Error, Result};

/// Operation kinds.
pub mod op {
    /// Read a value.
    pub const GET: u8 = 1;
    /// Test a key's presence.
    pub const HAS: u8 = 2;
    /// Store a value.
    pub const PUT: u8 = 3;
    /// Delete a key (or one key/value pair when a value is given).
    pub const DELETE: u8 = 4;
    /// Store a value and return the previous one.
    pub const REPLACE: u8 = 5;
    /// Delete a key and return its value.
    pub const POP: u8 = 6;
    /// Empty the database (and delete it with `DELETE_DB`).
    pub const DROP: u8 = 7;
}

const HEADER: usize = 24;
const NO_VALUE: u32 = u32::MAX;

/// A database as the wire names it: LMDB's handle plus the slot generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbRef {
    /// LMDB's database handle.
    pub dbi: u32,
    /// Generation of the handle's slot when the database was opened.
    pub gen: u32,
}

/// One operation, borrowing its bytes from the batch.
#[derive(Debug, Clone, Copy)]
pub struct Op<'a> {
    /// One of `op::*`.
    pub kind: u8,
    /// `put_flags::*`.
    pub flags: u8,
    /// Operations sharing a unit number commit or fail together.
    pub unit: u32,
    /// The database.
    pub db: DbRef,
    /// The key (empty for `DROP`).
    pub key: &'a [u8],
    /// The value, when the operation carries one.
    pub value: Option<&'a [u8]>,
}

/// Reads the operations of a batch in order; stops with an error at the first
/// malformed header, so a truncated batch is never half-applied.
pub fn parse(buf: &[u8]) -> Result<Vec<Op<'_>>> {
    let mut ops = Vec::new();
    let mut at = 0;
    let word = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    while at < buf.len() {
        let h = buf.get(at..at + HEADER).ok_or_else(malformed)?;
        let klen = word(h, 16) as usize;
        let vlen = word(h, 20);
        let key_end = at + HEADER + klen;
        let key = buf.get(at + HEADER..key_end).ok_or_else(malformed)?;
        let (value, end) = if vlen == NO_VALUE {
            (None, key_end)
        } else {
            let end = key_end + vlen as usize;
            (Some(buf.get(key_end..end).ok_or_else(malformed)?), end)
        };
        ops.push(Op {
            kind: h[0],
            flags: h[1],
            unit: word(h, 4),
            db: DbRef { dbi: word(h, 8), gen: word(h, 12) },
            key,
            value,
        });
        at = end;
    }
    Ok(ops)
}

fn malformed() -> Error {
    Error::Invalid("malformed operation batch".into())
}

/// Builds a batch; the TypeScript layer writes the same bytes itself.
#[derive(Debug, Default)]
pub struct Builder {
    buf: Vec<u8>,
}

impl Builder {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one operation.
    pub fn push(&mut self, kind: u8, flags: u8, unit: u32, db: DbRef, key: &[u8], value: Option<&[u8]>) -> &mut Self {
        self.buf.extend_from_slice(&[kind, flags, 0, 0]);
        for word in [unit, db.dbi, db.gen, key.len() as u32, value.map_or(NO_VALUE, |v| v.len() as u32)] {
            self.buf.extend_from_slice(&word.to_le_bytes());
        }
        self.buf.extend_from_slice(key);
        self.buf.extend_from_slice(value.unwrap_or_default());
        self
    }

    /// The finished bytes.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DB: DbRef = DbRef { dbi: 3, gen: 7 };

    #[test]
    fn a_built_batch_parses_back_in_order() {
        let mut b = Builder::new();
        b.push(op::PUT, 1, 0, DB, b"k1", Some(b"v1")).push(op::DELETE, 0, 1, DB, b"k2", None);
        let bytes = b.finish();
        let ops = parse(&bytes).unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!((ops[0].kind, ops[0].flags, ops[0].key, ops[0].value), (op::PUT, 1, &b"k1"[..], Some(&b"v1"[..])));
        assert_eq!((ops[1].unit, ops[1].db, ops[1].value), (1, DB, None));
    }

    #[test]
    fn a_truncated_batch_is_rejected_whole() {
        let mut b = Builder::new();
        b.push(op::PUT, 0, 0, DB, b"key", Some(b"value"));
        let bytes = b.finish();
        for cut in [1, HEADER, bytes.len() - 1] {
            assert!(matches!(parse(&bytes[..cut]), Err(Error::Invalid(_))), "cut at {cut}");
        }
    }
}
