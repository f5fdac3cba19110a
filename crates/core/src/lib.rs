//! The Rust core of lmdb-napi: LMDB environments, a writer thread with group
//! commit, pooled read transactions, and the wire format the binding speaks.
//! It knows nothing of napi; `crates/node` turns JavaScript calls into these.
//!
//! # Threads, handles and the registry
//!
//! - One `MDB_env` per path per process, kept in a process-wide registry
//!   (`env/registry.rs`) shared by Node's worker threads, since they load one copy
//!   of the addon. Each JavaScript `Environment` holds an [`Env`] handle; the
//!   environment closes when its last handle is closed or dropped.
//! - One writer thread per environment (`writer/`) owns every write
//!   transaction, as LMDB requires, and commits queued batches together.
//! - Reads run on any thread in pooled MDB_NOTLS read transactions (`pool.rs`).
//! - A read/write *gate* per environment guards the memory map: operations
//!   hold it shared; growing the map and closing hold it exclusively. After
//!   close every call fails with [`Error::Closed`]; none can reach freed memory.
//!
//! LMDB is built from source by `lmdb-master-sys` (heed's LMDB crate); see
//! the README for why the core speaks to it directly rather than through heed.
#![warn(missing_docs)]

mod batch;
mod compression;
mod cursor;
mod dbi;
mod env;
mod error;
mod ops;
mod options;
mod panic;
mod pool;
mod range;
mod read;
mod snapshot;
mod spare;
mod txn;
mod writer;

pub use batch::{
    compress_values, needs_compression, op, parse as parse_batch, Builder as BatchBuilder, DbRef, Expect, Op,
};
pub use compression::{algorithm, compress, decompress};
pub use cursor::moves;
pub use env::{Busy, Env, Info, Stat};
pub use error::{code_name, Error, Result};
pub use ops::Outcome;
pub use options::{put_flags, DbFlags, EnvFlags, EnvOptions};
pub use panic::guard;
pub use range::{Chunk, Range, RangeOptions, Walk};
pub use read::{ReadOutput, FAILED, NOT_FOUND};
pub use snapshot::Snapshot;
pub use spare::{copy_of, give_back};
pub use writer::{BatchResult, Done, Ended, Exclusive, Nest, Ticket, WriteTxn};
