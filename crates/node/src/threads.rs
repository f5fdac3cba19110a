//! The addon's own pool of threads, where every piece of blocking work of
//! the library runs (batched reads, range chunks, statistics, compression
//! before a write, `sync`, `close`…), never libuv's pool.
//!
//! libuv's pool has four threads by default, shared with Node's `fs`,
//! `dns.lookup`, `crypto` and `zlib`: reads queued there made a
//! `crypto.pbkdf2` wait behind them (0.9 ms idle, 28 ms under eight
//! `getMany` calls in flight), and four blocking `fs` calls stopped every
//! read. This pool is tokio's blocking pool, of a runtime that only ever
//! runs blocking work (no scheduler is ever driven). It is one per process,
//! shared by every environment and worker thread, started on first use with
//! a size fixed then: `setThreadPoolSize(n)` if it was called before, else
//! the environment variable `LMDB_NAPI_THREADS`, else the number of cores
//! (at least 2).
//!
//! The runtime is never dropped, so a process exits without waiting for its
//! threads (the promises they would settle keep the event loop alive
//! instead), and a result for a worker that was terminated is dropped by
//! napi-rs's deferred.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::runtime::Runtime;

struct Pool {
    size: usize,
    /// The runtime, or why it could not start (kept to report it each time).
    runtime: std::io::Result<Runtime>,
}

static POOL: OnceLock<Pool> = OnceLock::new();
/// The size asked for by `setThreadPoolSize`, before the pool started.
static REQUESTED: Mutex<Option<usize>> = Mutex::new(None);

/// The most threads the size may ask for.
pub const MAX_THREADS: usize = 1024;

/// How long an idle thread lives. tokio's default (10 s) would let the pool
/// shrink and regrow under bursty load, paying a thread start each time;
/// a fixed pool is what the size promises.
const KEEP_ALIVE: Duration = Duration::from_secs(365 * 24 * 3600);

/// The size the pool has, or will have when it starts.
pub fn size() -> usize {
    match POOL.get() {
        Some(pool) => pool.size,
        None => planned_size(),
    }
}

/// Whether the pool has started (its size can no longer change).
pub fn started() -> bool {
    POOL.get().is_some()
}

fn planned_size() -> usize {
    if let Some(n) = *REQUESTED.lock() {
        return n;
    }
    if let Some(n) = std::env::var("LMDB_NAPI_THREADS").ok().and_then(|v| v.trim().parse::<usize>().ok()) {
        if (1..=MAX_THREADS).contains(&n) {
            return n;
        }
    }
    std::thread::available_parallelism().map_or(2, |n| n.get()).max(2)
}

/// Asks for `n` threads. Before the pool starts, the last request wins;
/// after, a request for the size it has is accepted and any other refused
/// (`Err` with the size it has).
pub fn request(n: usize) -> Result<(), usize> {
    let mut requested = REQUESTED.lock();
    match POOL.get() {
        Some(pool) if pool.size != n => Err(pool.size),
        Some(_) => Ok(()),
        None => {
            *requested = Some(n);
            Ok(())
        }
    }
}

fn pool() -> &'static Pool {
    POOL.get_or_init(|| {
        // Holding REQUESTED while starting, so a request cannot slip in
        // between reading the size and the pool being there.
        let requested = REQUESTED.lock();
        let size = match *requested {
            Some(n) => n,
            None => {
                drop(requested);
                planned_size()
            }
        };
        Pool { size, runtime: start(size) }
    })
}

/// Builds the runtime and starts all its `size` threads at once: tokio
/// starts blocking threads only as work queues, and a pool that is all
/// there from the first call answers its first burst without thread starts.
fn start(size: usize) -> std::io::Result<Runtime> {
    let next = AtomicUsize::new(0);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(size)
        .thread_keep_alive(KEEP_ALIVE)
        .thread_name_fn(move || format!("lmdb-napi-{}", next.fetch_add(1, Ordering::Relaxed)))
        .build()?;
    // Each task waits until all are running, so each holds a thread of its own.
    let all_up = Arc::new(Barrier::new(size));
    for _ in 0..size {
        let all_up = Arc::clone(&all_up);
        runtime.spawn_blocking(move || {
            all_up.wait();
        });
    }
    Ok(runtime)
}

/// Runs `work` on a thread of the pool (starting the pool on first use).
/// `work` must not panic: callers wrap it in `lmdb_napi_core::guard`.
pub fn run(work: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    match &pool().runtime {
        Ok(runtime) => {
            // Detached: the work settles its own promise; no one awaits the handle.
            drop(runtime.spawn_blocking(work));
            Ok(())
        }
        Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
    }
}

/// Asks for `n` threads in the pool (1 to 1024, also checked by the caller);
/// returns the size in effect: `n` when accepted (before the pool started,
/// or after when it has `n` threads), the pool's size when refused.
#[napi_derive::napi]
pub fn request_thread_pool_size(n: u32) -> u32 {
    if n == 0 || n as usize > MAX_THREADS {
        return size() as u32; // refused: a pool of no threads would never answer
    }
    match request(n as usize) {
        Ok(()) => n,
        Err(size) => size as u32,
    }
}

/// The size of the pool (the size it will start with, if it has not yet),
/// and whether it has started.
#[napi_derive::napi(object)]
pub struct ThreadPoolJs {
    pub size: u32,
    pub started: bool,
}

/// The pool's size and whether it has started.
#[napi_derive::napi]
pub fn thread_pool() -> ThreadPoolJs {
    ThreadPoolJs { size: size() as u32, started: started() }
}
