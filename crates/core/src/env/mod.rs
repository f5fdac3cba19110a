//! Environments: the shared native environment and the handles onto it.
//!
//! - `shared.rs`: `Shared`, one open `MDB_env` with its gate (see there),
//!   its pool of read transactions and its writer; `map.rs`, its map size.
//! - `registry.rs`: one `Shared` per path in the process.
//! - `handle.rs`: `Env`, one handle (one JavaScript `Environment`), with
//!   `Busy`, an operation in progress on it, and `close`, which waits for the
//!   work it started, ends its leases, then gives its share back.
//! - `maintenance.rs`: statistics, the reader table, copies, syncs.

mod handle;
mod maintenance;
mod map;
pub(crate) mod registry;
mod shared;

pub(crate) use handle::Lease;
pub use handle::{Busy, Env};
pub use maintenance::{Info, Stat};
pub(crate) use shared::Shared;
