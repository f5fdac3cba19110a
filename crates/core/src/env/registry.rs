//! The process-wide registry of open environments.
//!
//! LMDB must not open one file twice in a process: its POSIX locks belong to
//! the process, and closing one copy would drop the other's. Every `Env`
//! handle for a path, from any thread or Node worker, shares one `Shared`; the
//! last handle to go closes it, under the registry lock, so a new open of the
//! same path waits for the close to finish.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;

use crate::env::Shared;
use crate::error::Result;
use crate::options::EnvOptions;

struct Entry {
    shared: Arc<Shared>,
    handles: usize,
}

static OPEN: LazyLock<Mutex<HashMap<PathBuf, Entry>>> = LazyLock::new(Default::default);

/// The shared environment at `key` (a canonical path), opened with `options`
/// unless it is open already, in which case the first opener's options apply.
pub(crate) fn acquire(key: PathBuf, options: &EnvOptions) -> Result<Arc<Shared>> {
    let mut open = OPEN.lock();
    if let Some(entry) = open.get_mut(&key) {
        entry.handles += 1;
        return Ok(entry.shared.clone());
    }
    let shared = Arc::new(Shared::open(&key, options)?);
    shared.start()?;
    open.insert(key, Entry { shared: shared.clone(), handles: 1 });
    Ok(shared)
}

/// Every environment open now.
pub(crate) fn all() -> Vec<Arc<Shared>> {
    OPEN.lock().values().map(|entry| entry.shared.clone()).collect()
}

/// Gives back one handle's share; the last one closes the environment.
pub(crate) fn release(shared: &Arc<Shared>) {
    let mut open = OPEN.lock();
    let Some(entry) = open.get_mut(shared.key()) else { return };
    entry.handles -= 1;
    if entry.handles == 0 {
        let entry = open.remove(shared.key()).expect("entry present");
        entry.shared.shutdown();
    }
}

/// How many handles share the environment at `key` (for tests).
#[cfg(test)]
pub(crate) fn handles(key: &std::path::Path) -> usize {
    OPEN.lock().get(key).map_or(0, |e| e.handles)
}
