//! The shapes JavaScript passes in and gets back. Their doc comments and
//! defaults end up in the generated `index.d.ts`.

use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Options of `NativeEnv.open`; see `EnvOptions` in the public API.
#[napi(object)]
#[derive(Default)]
pub struct EnvOptionsJs {
    /// @default 1073741824 (1 GiB)
    pub map_size: Option<f64>,
    /// Grow the map and retry on MDB_MAP_FULL. @default true
    pub auto_grow: Option<bool>,
    /// Upper bound for `autoGrow`, in bytes. @default no bound
    pub max_map_size: Option<f64>,
    /// @default true
    pub subdir: Option<bool>,
    /// @default false
    pub readonly: Option<bool>,
    /// @default true
    pub metasync: Option<bool>,
    /// @default true
    pub sync: Option<bool>,
    /// @default false
    pub map_async: Option<bool>,
    /// @default 0o644
    pub mode: Option<u32>,
    /// @default true
    pub create: Option<bool>,
    /// @default true
    pub readahead: Option<bool>,
    /// @default false
    pub writemap: Option<bool>,
    /// @default true
    pub meminit: Option<bool>,
    /// @default 126
    pub max_readers: Option<u32>,
    /// @default 128
    pub max_dbs: Option<u32>,
    /// @default true
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

/// `mdb_stat` of the environment or of one database.
#[napi(object)]
pub struct StatJs {
    pub psize: u32,
    pub depth: u32,
    pub branch_pages: f64,
    pub leaf_pages: f64,
    pub overflow_pages: f64,
    pub entries: f64,
}

/// `mdb_env_info`.
#[napi(object)]
pub struct InfoJs {
    pub map_addr: f64,
    pub map_size: f64,
    pub last_pgno: f64,
    pub last_txnid: f64,
    pub max_readers: u32,
    pub num_readers: u32,
}

/// The environment's flags, named as py-lmdb's `flags()` names them.
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
#[napi(object)]
pub struct ReadErrorJs {
    pub index: u32,
    /// `[CODE errno] text`, as thrown errors carry it.
    pub error: String,
}

/// The answers to a read batch: values end to end in `data`, and per
/// operation its length there, -1 when absent, -2 when it failed.
#[napi(object)]
pub struct ReadResultJs {
    pub data: Buffer,
    pub lens: Float64Array,
    pub errors: Vec<ReadErrorJs>,
}

/// One unit's result in a write batch (typed by hand on `NativeEnv.write`):
/// `true`/`false`, a count, the previous value (or `null`), or a string
/// `[CODE errno] text` when the unit failed.
pub type UnitResultJs = Either5<bool, u32, Buffer, Null, String>;
