//! The shapes JavaScript passes in and gets back. Their doc comments and
//! defaults end up in the generated `index.d.ts`.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::Failure;

/// Options of `open()` (the public `EnvOptions`); names follow py-lmdb in camelCase.
#[napi(object)]
#[derive(Default)]
pub struct EnvOptionsJs {
    /** Initial map size in bytes. @default 1 GiB */
    pub map_size: Option<f64>,
    /** On MDB_MAP_FULL, grow the map (doubling) and retry the write. @default true */
    pub auto_grow: Option<bool>,
    /** Upper bound for `autoGrow`, in bytes. @default none */
    pub max_map_size: Option<f64>,
    /** `path` is a directory holding `data.mdb` and `lock.mdb`; else it is the data file. @default true */
    pub subdir: Option<bool>,
    /** Open read-only: writes reject with `ReadonlyError`. @default false */
    pub readonly: Option<bool>,
    /** Flush the meta page on commit. @default true */
    pub metasync: Option<bool>,
    /** Flush data to disk on commit. @default true */
    pub sync: Option<bool>,
    /** With `writemap`, flush asynchronously. @default false */
    pub map_async: Option<bool>,
    /** File mode of created files. @default 0o644 */
    pub mode: Option<u32>,
    /** Create the directory (or file) when missing. @default true */
    pub create: Option<bool>,
    /** OS readahead on the map. @default true */
    pub readahead: Option<bool>,
    /** Write through a writable memory map. @default false */
    pub writemap: Option<bool>,
    /** Zero unused parts of pages before writing them. @default true */
    pub meminit: Option<bool>,
    /** Reader slots in the lock table. @default 126 */
    pub max_readers: Option<u32>,
    /** Named databases the environment may have open. @default 128 */
    pub max_dbs: Option<u32>,
    /** Use LMDB's locking (turn off only when you keep writers apart yourself). @default true */
    pub lock: Option<bool>,
}

/// Flags of a database, fixed at creation.
#[napi(object)]
#[derive(Default)]
pub struct DbFlagsJs {
    pub reverse_key: Option<bool>,
    pub dup_sort: Option<bool>,
    pub integer_key: Option<bool>,
    pub dup_fixed: Option<bool>,
    pub integer_dup: Option<bool>,
    pub reverse_dup: Option<bool>,
}

/// A database handle as the wire format names it.
#[napi(object)]
pub struct DbRefJs {
    pub dbi: u32,
    pub gen: u32,
}

/// `mdb_stat` of the environment's main database or of one database (the public `EnvStat`, `DbStat`).
#[napi(object)]
pub struct StatJs {
    pub psize: u32,
    pub depth: u32,
    pub branch_pages: f64,
    pub leaf_pages: f64,
    pub overflow_pages: f64,
    pub entries: f64,
}

/// `mdb_env_info` (the public `EnvInfo`).
#[napi(object)]
pub struct InfoJs {
    pub map_addr: f64,
    pub map_size: f64,
    pub last_pgno: f64,
    pub last_txnid: f64,
    pub max_readers: u32,
    pub num_readers: u32,
}

/// The environment's flags, named as py-lmdb's `flags()` names them (the public `EnvFlags`).
#[napi(object)]
pub struct EnvFlagsJs {
    pub subdir: bool,
    pub readonly: bool,
    pub metasync: bool,
    pub sync: bool,
    pub map_async: bool,
    pub readahead: bool,
    pub writemap: bool,
    pub meminit: bool,
    pub lock: bool,
}

/// One failed operation of a read batch.
#[napi(object, object_from_js = false)]
pub struct ReadErrorJs {
    pub index: u32,
    #[napi(ts_type = "Error")]
    pub error: Failure,
}

/// The answers to a read batch: values end to end in `data`, and per
/// operation its length there, -1 when absent, -2 when it failed.
#[napi(object, object_from_js = false)]
pub struct ReadResultJs {
    #[napi(ts_type = "Uint8Array")]
    pub data: Bytes,
    #[napi(ts_type = "Float64Array")]
    pub lens: Lengths,
    pub errors: Vec<ReadErrorJs>,
}

/// One unit's result in a write batch (typed by hand on `NativeEnv.write`):
/// `true`/`false`, a count, the previous value (or `null`), or the error
/// the unit failed with.
pub type UnitResultJs = Either5<bool, u32, NodeBuffer, Null, Failure>;

/// Bounds and shape of a range; bounds are encoded keys. With both forms of
/// a bound (`gt` and `gte`), the stricter one (bytewise) holds.
#[napi(object)]
#[derive(Default)]
pub struct RangeOptionsJs {
    pub gt: Option<Buffer>,
    pub gte: Option<Buffer>,
    pub lt: Option<Buffer>,
    pub lte: Option<Buffer>,
    pub prefix: Option<Buffer>,
    pub reverse: Option<bool>,
    pub offset: Option<f64>,
    pub limit: Option<f64>,
    /// Hand out keys. @default true
    pub keys: Option<bool>,
    /// Hand out values. @default true
    pub values: Option<bool>,
    /// The compression the values are stored with (decompressed natively).
    pub codec: Option<u8>,
}

/// One chunk of a range: keys and values end to end in `data`; `lens` holds
/// per entry the key's length then the value's (-1 for what was not asked).
#[napi(object, object_from_js = false)]
pub struct ChunkJs {
    #[napi(ts_type = "Uint8Array")]
    pub data: Bytes,
    #[napi(ts_type = "Float64Array")]
    pub lens: Lengths,
    pub done: bool,
}

/// Bytes (a `Uint8Array`) for JavaScript: lent when large, copied when small.
pub struct Bytes(pub Vec<u8>);

/// Lengths (`NOT_FOUND`, `FAILED` included) as JavaScript numbers, in a
/// `Float64Array`: handed over when large, written straight into memory
/// JavaScript owns when small.
pub struct Lengths(pub Vec<i64>);

/// Bytes as a Node `Buffer`, handed over (or copied: see `handover.rs`).
pub struct NodeBuffer(pub Vec<u8>);
