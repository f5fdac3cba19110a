//! The napi-rs binding of lmdb-napi: it converts and schedules, the core
//! (`lmdb-napi-core`) does the work. Tested from JavaScript only.
//!
//! - `types.rs`: the JavaScript-facing shapes (they make `index.d.ts`);
//! - `convert.rs`: conversions to and from the core's types;
//! - `handover.rs`: memory handed to JavaScript, or copied where it must be
//!   (Electron, `LMDB_NAPI_COPY_BUFFERS=1`);
//! - `error.rs`: core errors as JavaScript errors, keeping LMDB's code;
//! - `task.rs`: async calls' blocking work, on the pool of `threads.rs`;
//! - `threads.rs`: the addon's own thread pool (not libuv's), and its size;
//! - `env.rs`: the `NativeEnv` class;
//! - `sync_reads.rs`: reads on the JS thread, one snapshot per stretch;
//! - `read_views.rs`: `NativeSnapshot` and `NativeRange`;
//! - `transaction.rs`: `NativeTxn` (with `NativeWalk`, its ranges) and `NativeExclusive`;
//! - `promise.rs`: promises settled from other threads (the writer, the pool);
//! - `codecs.rs`: compression on the calling thread, for coders used directly;
//! - `wire.rs`: the wire format's numbers, for a test to hold TypeScript's copies to.

mod codecs;
mod convert;
mod env;
mod error;
mod handover;
mod promise;
mod read_views;
mod sync_reads;
mod task;
mod threads;
mod transaction;
mod types;
mod wire;

pub use codecs::{compress, decompress};
pub use env::NativeEnv;
pub use read_views::{NativeRange, NativeSnapshot};
pub use sync_reads::register_sync_get;
pub use threads::{request_thread_pool_size, thread_pool, ThreadPoolJs};
pub use transaction::{NativeExclusive, NativeTxn, NativeWalk};
pub use wire::wire_constants;
