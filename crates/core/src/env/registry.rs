//! The process-wide registry of open environments.
//!
//! LMDB must not open one file twice in a process: its POSIX locks belong to
//! the process, and closing one copy would drop the other's. Every `Env`
//! handle for a path, from any thread or Node worker, shares one `Shared`; the
//! last handle to go closes it, under the registry lock, so a new open of the
//! same path waits for the close to finish. When the last handle goes on the
//! environment's writer thread, the writer closes it once it ends
//! (`Shared::shutdown`): the path is *closing* until then, and an open of it
//! waits. Entries are keyed by the canonical path (`prepare_path`).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use parking_lot::{Condvar, Mutex};

use super::Shared;
use crate::error::{Error, Result};
use crate::options::EnvOptions;

struct Entry {
    shared: Arc<Shared>,
    handles: usize,
}

static OPEN: LazyLock<Mutex<HashMap<PathBuf, Entry>>> = LazyLock::new(Default::default);
/// Paths whose environment its writer closes once it ends; guarded by `OPEN`'s lock.
static CLOSING: LazyLock<Mutex<HashSet<PathBuf>>> = LazyLock::new(Default::default);
/// Signalled, under `OPEN`'s lock, when a closing environment has closed.
static CLOSED: Condvar = Condvar::new();

/// The shared environment at `key` (a canonical path), opened with `options`
/// unless it is open already, in which case the first opener's options apply.
pub(crate) fn acquire(key: PathBuf, options: &EnvOptions) -> Result<Arc<Shared>> {
    let mut open = OPEN.lock();
    while CLOSING.lock().contains(&key) {
        CLOSED.wait(&mut open);
    }
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
        if !entry.shared.shutdown() {
            CLOSING.lock().insert(shared.key().to_owned());
        }
    }
}

/// Closes a closing environment (see the module doc): opens of its path go on.
pub(crate) fn close_closing(shared: &Shared) {
    let _open = OPEN.lock();
    shared.close();
    CLOSING.lock().remove(shared.key());
    CLOSED.notify_all();
}

/// Creates what `create` allows and returns the canonical path used as the
/// registry key (for a file without `subdir`, its canonical directory joined
/// with its name, since the file may not exist yet).
pub(super) fn prepare_path(path: &Path, options: &EnvOptions) -> Result<PathBuf> {
    let missing = |what: &str| {
        Error::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{what} {} does not exist", path.display()),
        ))
    };
    if options.subdir {
        if !path.exists() {
            if !options.create || options.readonly {
                return Err(missing("directory"));
            }
            std::fs::create_dir_all(path)?;
        }
        Ok(path.canonicalize()?)
    } else {
        if !path.exists() && (!options.create || options.readonly) {
            return Err(missing("file"));
        }
        let name = path.file_name().ok_or_else(|| Error::Invalid(format!("{} names no file", path.display())))?;
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.canonicalize()?,
            _ => std::env::current_dir()?,
        };
        Ok(parent.join(name))
    }
}

#[cfg(test)]
mod tests {
    use super::OPEN;
    use crate::{Env, EnvOptions};

    /// How many handles share the environment at `key`.
    fn handles(key: &std::path::Path) -> usize {
        OPEN.lock().get(key).map_or(0, |e| e.handles)
    }

    #[test]
    fn opening_a_path_twice_shares_one_environment() {
        let dir = tempfile::tempdir().unwrap();
        let a = Env::open(dir.path(), &EnvOptions::default()).unwrap();
        let b = Env::open(dir.path(), &EnvOptions::default()).unwrap();
        assert_eq!(handles(a.path()), 2);
        a.close();
        assert_eq!(handles(b.path()), 1);
        assert!(b.stat().is_ok());
        drop(b);
        assert_eq!(handles(dir.path().canonicalize().unwrap().as_path()), 0);
    }
}
