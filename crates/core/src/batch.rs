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
//! | 2 | value compression (`compression::algorithm::*`): values of this operation are stored compressed |
//! | 3 | compression level (signed; 0: the algorithm's default) |
//! | 4..8 | unit: consecutive operations with one unit number commit or fail together |
//! | 8..12 | dbi |
//! | 12..16 | generation of the dbi slot (see `dbi.rs`) |
//! | 16..20 | key length |
//! | 20..24 | value length, or `u32::MAX` for no value |
//!
//! A conditional put or delete (`put_flags::IF_VALUE`) carries what it
//! expects after its value: a 4-byte length (`u32::MAX`: the key must be
//! absent) and the bytes the key's value must equal.

use std::collections::HashMap;

use crate::compression::compress;
use crate::error::{Error, Result};
use crate::options::put_flags;

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
    /// A cursor move (see `cursor.rs`; the move is in the flags byte).
    pub const CURSOR: u8 = 8;
    /// A precondition of its unit: the key must hold exactly this value. An
    /// absent key is given it; another value fails the unit (`MDB_KEYEXIST`).
    /// Applied before the unit's other operations, wherever it stands; the
    /// unit's result is that of the others.
    pub const ENSURE: u8 = 9;
    /// The `ENSURE`s of another unit of the same batch, whose number is the
    /// key (4 bytes, little-endian), as preconditions of this one: the
    /// many writes of a tick that use the same new shared structures carry
    /// them once, and each is still applied as if it carried them itself.
    /// Read by `parse` as those `ENSURE`s.
    pub const ENSURE_AS: u8 = 10;
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

/// What a conditional write expects of its key's stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect<'a> {
    /// The key is absent.
    Absent,
    /// The key's value is these bytes (as stored before compression).
    Value(&'a [u8]),
}

/// One operation, borrowing its bytes from the batch.
#[derive(Debug, Clone, Copy)]
pub struct Op<'a> {
    /// One of `op::*`.
    pub kind: u8,
    /// `put_flags::*`.
    pub flags: u8,
    /// The compression its values are stored with (`compression::algorithm`).
    pub codec: u8,
    /// The compression level for writes.
    pub level: i8,
    /// Operations sharing a unit number commit or fail together.
    pub unit: u32,
    /// The database.
    pub db: DbRef,
    /// The key (empty for `DROP`).
    pub key: &'a [u8],
    /// The value, when the operation carries one.
    pub value: Option<&'a [u8]>,
    /// A conditional write's expectation (see `ops.rs`).
    pub expect: Option<Expect<'a>>,
}

/// Whether an operation of `kind` with `flags` carries an expectation; only
/// puts and deletes do (a cursor move's flags byte is the move).
fn conditional(kind: u8, flags: u8) -> bool {
    matches!(kind, op::PUT | op::DELETE) && flags & put_flags::IF_VALUE != 0
}

/// Reads the operations of a batch in order; stops with an error at the first
/// malformed header, so a truncated batch is never half-applied.
pub fn parse(buf: &[u8]) -> Result<Vec<Op<'_>>> {
    let ops = Ops { buf, at: 0 }.collect::<Result<Vec<_>>>()?;
    if ops.iter().any(|op| op.kind == op::ENSURE_AS) {
        return ensures_in_place(ops);
    }
    Ok(ops)
}

/// The operations of a batch one by one, as written (an `ENSURE_AS` as
/// itself), read in place; ends after the first malformed one.
struct Ops<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Ops<'a> {
    type Item = Result<Op<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.buf.len() {
            return None;
        }
        let op = read_op(self.buf, self.at);
        // nothing after a malformed operation is read
        self.at = op.as_ref().map_or(self.buf.len(), |&(_, end)| end);
        Some(op.map(|(op, _)| op))
    }
}

/// The operation whose header is at `at`, and where it ends.
fn read_op(buf: &[u8], at: usize) -> Result<(Op<'_>, usize)> {
    let word = |b: &[u8], i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let h = buf.get(at..at + HEADER).ok_or_else(malformed)?;
    let klen = word(h, 16) as usize;
    let key_end = at + HEADER + klen;
    let key = buf.get(at + HEADER..key_end).ok_or_else(malformed)?;
    let (value, mut end) = sized(buf, key_end, word(h, 20))?;
    let mut expect = None;
    if conditional(h[0], h[1]) {
        let len = buf.get(end..end + 4).ok_or_else(malformed)?;
        let (bytes, after) = sized(buf, end + 4, word(len, 0))?;
        expect = Some(bytes.map_or(Expect::Absent, Expect::Value));
        end = after;
    }
    let op = Op {
        kind: h[0],
        flags: h[1],
        codec: h[2],
        level: h[3] as i8,
        unit: word(h, 4),
        db: DbRef { dbi: word(h, 8), gen: word(h, 12) },
        key,
        value,
        expect,
    };
    Ok((op, end))
}

/// `ops` with each `ENSURE_AS` replaced by the `ENSURE`s of the unit it
/// names, as operations of its own unit.
fn ensures_in_place(ops: Vec<Op<'_>>) -> Result<Vec<Op<'_>>> {
    let mut by_unit: HashMap<u32, Vec<Op<'_>>> = HashMap::new();
    for op in ops.iter().filter(|op| op.kind == op::ENSURE) {
        by_unit.entry(op.unit).or_default().push(*op);
    }
    let mut out = Vec::with_capacity(ops.len());
    for op in ops {
        if op.kind != op::ENSURE_AS {
            out.push(op);
            continue;
        }
        let named = <[u8; 4]>::try_from(op.key).map(u32::from_le_bytes).map_err(|_| malformed())?;
        let ensures = by_unit.get(&named).filter(|_| named != op.unit).ok_or_else(malformed)?;
        out.extend(ensures.iter().map(|e| Op { unit: op.unit, ..*e }));
    }
    Ok(out)
}

/// The `len` bytes at `at` (none for `NO_VALUE`), and where they end.
fn sized(buf: &[u8], at: usize, len: u32) -> Result<(Option<&[u8]>, usize)> {
    if len == NO_VALUE {
        return Ok((None, at));
    }
    let end = at + len as usize;
    Ok((Some(buf.get(at..end).ok_or_else(malformed)?), end))
}

fn malformed() -> Error {
    Error::Invalid("malformed operation batch".into())
}

/// Whether a write batch has values to compress before it goes to the writer.
///
/// Runs on the JavaScript thread for every batch, so it reads the headers in
/// place and allocates nothing (a malformed batch is the writer's to refuse).
pub fn needs_compression(buf: &[u8]) -> bool {
    Ops { buf, at: 0 }.map_while(Result::ok).any(|op| compresses(&op))
}

fn compresses(op: &Op<'_>) -> bool {
    op.codec != 0 && op.value.is_some() && matches!(op.kind, op::PUT | op::REPLACE | op::DELETE)
}

/// The batch with the values of its puts, replaces and (dupSort) deletes
/// compressed as their operations ask; compression is deterministic, so a
/// delete's value matches the stored one. Runs off the JavaScript thread and off the writer thread,
/// so neither the caller nor the commits of others wait for it.
pub fn compress_values(buf: &[u8]) -> Result<Vec<u8>> {
    let ops = parse(buf)?;
    let mut out = Builder { buf: Vec::with_capacity(buf.len()) };
    for op in &ops {
        if compresses(op) {
            let value = compress(op.value.unwrap_or_default(), op.codec, op.level as i32)?;
            out.push_op(&Op { value: Some(&value), ..*op });
        } else {
            out.push_op(op);
        }
    }
    Ok(out.finish())
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

    /// Appends one operation whose values are not compressed.
    pub fn push(&mut self, kind: u8, flags: u8, unit: u32, db: DbRef, key: &[u8], value: Option<&[u8]>) -> &mut Self {
        self.push_op(&Op { kind, flags, codec: 0, level: 0, unit, db, key, value, expect: None })
    }

    /// Appends one operation (its `IF_VALUE` flag follows `op.expect`).
    pub fn push_op(&mut self, op: &Op<'_>) -> &mut Self {
        let flags = match op.expect {
            Some(_) => op.flags | put_flags::IF_VALUE,
            None if conditional(op.kind, op.flags) => op.flags & !put_flags::IF_VALUE,
            None => op.flags,
        };
        self.buf.extend_from_slice(&[op.kind, flags, op.codec, op.level as u8]);
        let vlen = op.value.map_or(NO_VALUE, |v| v.len() as u32);
        for word in [op.unit, op.db.dbi, op.db.gen, op.key.len() as u32, vlen] {
            self.buf.extend_from_slice(&word.to_le_bytes());
        }
        self.buf.extend_from_slice(op.key);
        self.buf.extend_from_slice(op.value.unwrap_or_default());
        if let Some(expect) = op.expect {
            let expected = match expect {
                Expect::Absent => None,
                Expect::Value(bytes) => Some(bytes),
            };
            self.buf.extend_from_slice(&expected.map_or(NO_VALUE, |v| v.len() as u32).to_le_bytes());
            self.buf.extend_from_slice(expected.unwrap_or_default());
        }
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
    fn an_ensure_as_is_read_as_the_ensures_of_the_unit_it_names() {
        let other = DbRef { dbi: 4, gen: 1 };
        let mut b = Builder::new();
        b.push(op::PUT, 0, 0, DB, b"k", Some(b"v")).push(op::ENSURE, 0, 0, DB, b"s1", Some(b"A"));
        b.push(op::ENSURE, 0, 0, other, b"s2", Some(b"B"));
        b.push(op::ENSURE_AS, 0, 1, DB, &0u32.to_le_bytes(), None).push(op::PUT, 0, 1, DB, b"k2", Some(b"w"));
        let bytes = b.finish();
        let ops = parse(&bytes).unwrap();
        let unit1: Vec<_> = ops.iter().filter(|op| op.unit == 1).map(|op| (op.kind, op.db, op.key, op.value)).collect();
        assert_eq!(
            unit1,
            [
                (op::ENSURE, DB, &b"s1"[..], Some(&b"A"[..])),
                (op::ENSURE, other, &b"s2"[..], Some(&b"B"[..])),
                (op::PUT, DB, &b"k2"[..], Some(&b"w"[..]))
            ]
        );
        assert_eq!(ops.len(), 6);
    }

    #[test]
    fn an_ensure_as_naming_no_ensures_itself_or_no_unit_is_a_malformed_batch() {
        for (named, key) in [
            (0u32, 0u32.to_le_bytes().to_vec()),
            (1, 1u32.to_le_bytes().to_vec()),
            (7, 7u32.to_le_bytes().to_vec()),
            (0, vec![0, 0]),
        ] {
            let mut b = Builder::new();
            b.push(op::PUT, 0, 0, DB, b"k", Some(b"v")).push(op::ENSURE, 0, 1, DB, b"s", Some(b"A"));
            b.push(op::ENSURE_AS, 0, 1, DB, &key, None);
            let bytes = b.finish();
            assert!(matches!(parse(&bytes), Err(Error::Invalid(_))), "naming unit {named} by {key:?}");
        }
    }

    #[test]
    fn compressing_a_batch_rewrites_only_the_values_that_ask() {
        let long = vec![b'x'; 1000];
        let mut b = Builder::new();
        let expect = Some(Expect::Value(b"old"));
        b.push_op(&Op {
            kind: op::PUT,
            flags: 0,
            codec: 2,
            level: 3,
            unit: 0,
            db: DB,
            key: b"z",
            value: Some(&long),
            expect,
        });
        b.push(op::PUT, 0, 1, DB, b"plain", Some(&long));
        let bytes = b.finish();
        assert!(needs_compression(&bytes));
        let out = compress_values(&bytes).unwrap();
        let ops = parse(&out).unwrap();
        assert_eq!((ops[0].codec, ops[0].level, ops[0].expect), (2, 3, expect), "the expectation stays as it is");
        assert!(ops[0].value.unwrap().len() < 100);
        assert_eq!(crate::compression::decompress(ops[0].value.unwrap()).unwrap(), &long[..]);
        assert_eq!(ops[1].value, Some(&long[..]));
        assert!(!needs_compression(&out[..0]));
    }

    #[test]
    fn a_batch_needs_compression_when_any_operation_asks_for_it_wherever_it_stands() {
        let mut b = Builder::new();
        b.push(op::PUT, 0, 0, DB, b"k", Some(b"v")).push(op::ENSURE, 0, 0, DB, b"s", Some(b"A"));
        b.push(op::ENSURE_AS, 0, 1, DB, &0u32.to_le_bytes(), None).push(op::PUT, 0, 1, DB, b"k2", Some(b"w"));
        let plain = b.finish();
        assert!(!needs_compression(&plain));
        let mut b = Builder { buf: plain.clone() };
        let put = Op {
            kind: op::PUT,
            flags: 0,
            codec: 2,
            level: 0,
            unit: 2,
            db: DB,
            key: b"z",
            value: Some(b"x"),
            expect: None,
        };
        b.push_op(&put);
        assert!(needs_compression(&b.finish()));
        let delete = Op { kind: op::DELETE, value: None, ..put };
        let mut b = Builder { buf: plain };
        b.push_op(&delete);
        assert!(!needs_compression(&b.finish()), "a delete of the whole key has no value to compress");
    }

    #[test]
    fn a_conditional_write_carries_its_expectation_after_its_value() {
        let mut b = Builder::new();
        let put = Op {
            kind: op::PUT,
            flags: 0,
            codec: 0,
            level: 0,
            unit: 0,
            db: DB,
            key: b"k",
            value: Some(b"new"),
            expect: Some(Expect::Value(b"old")),
        };
        b.push_op(&put);
        b.push_op(&Op { kind: op::DELETE, value: None, expect: Some(Expect::Absent), ..put });
        // a cursor move whose number has the flag's bit carries nothing more
        b.push(op::CURSOR, put_flags::IF_VALUE, 1, DB, b"c", None);
        let bytes = b.finish();
        let ops = parse(&bytes).unwrap();
        assert_eq!(
            (ops[0].flags, ops[0].value, ops[0].expect),
            (put_flags::IF_VALUE, Some(&b"new"[..]), Some(Expect::Value(b"old")))
        );
        assert_eq!((ops[1].value, ops[1].expect), (None, Some(Expect::Absent)));
        assert_eq!((ops[2].kind, ops[2].key, ops[2].expect), (op::CURSOR, &b"c"[..], None));
        for cut in [HEADER + 4, HEADER + 6, HEADER + 8, HEADER + 10] {
            assert!(parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
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
