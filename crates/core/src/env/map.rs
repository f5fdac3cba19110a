//! The map's size: set on request, adopted from another process that grew
//! it, and grown by the writer when `auto_grow` is on, both when a write
//! transaction fills the map (`grow`) and *ahead*: before each write
//! transaction, if the data spans more than three quarters of the map
//! (`grow_ahead`). Retrying costs a group of batches its work and cannot be
//! done for a JavaScript callback; growing ahead makes either rare.

use std::ptr;
use std::sync::atomic::Ordering;

use lmdb_master_sys as ffi;

use super::Shared;
use crate::error::{Error, Result};

/// Map sizes are multiples of this.
const MAP_STEP: usize = 64 << 10;

impl Shared {
    /// Another process grew the map: take its size (`mdb_env_set_mapsize(0)`).
    pub(crate) fn adopt_map_size(&self) -> Result<()> {
        self.resize(0)
    }

    /// Runs `f` again after adopting the map's size for as long as it fails
    /// with MDB_MAP_RESIZED: a transaction begun after another process grew
    /// the map does. `f` must hold no lock when it returns (adopting shuts
    /// every other use of the map out).
    pub(crate) fn adopting_resizes<T>(&self, mut f: impl FnMut() -> Result<T>) -> Result<T> {
        loop {
            match f() {
                Err(Error::Lmdb(ffi::MDB_MAP_RESIZED)) => self.adopt_map_size()?,
                other => return other,
            }
        }
    }

    /// Sets the map size with every other use of the map shut out.
    ///
    /// LMDB unmaps the old map before it maps the new size, and has no way
    /// back when that fails; so a size that cannot be mapped is refused
    /// first (ENOMEM, or the file's growth error with `writemap`), and should
    /// LMDB fail all the same, the environment is marked unusable.
    pub(crate) fn resize(&self, bytes: usize) -> Result<()> {
        let gate = self.gate.write();
        if !*gate {
            return Err(Error::Closed("environment"));
        }
        if self.unmapped.load(Ordering::Acquire) {
            return Err(Error::Lmdb(ffi::MDB_PANIC));
        }
        if bytes > 0 {
            self.check_mappable(bytes)?;
        }
        // SAFETY: the gate is held for writing, so no transaction of this
        // process is using the map (pooled ones are reset, holding no pages).
        let rc = unsafe { ffi::mdb_env_set_mapsize(self.raw(), bytes) };
        // EINVAL (a write transaction is open) comes before the old map goes
        if rc != ffi::MDB_SUCCESS && rc != libc::EINVAL {
            self.unmapped.store(true, Ordering::Release);
        }
        Error::check(rc)
    }

    /// Whether a map of `bytes` can be made now: address space for it and,
    /// with `writemap` (where LMDB grows the file to the map's size), a file
    /// that can grow so far. Sizes below the data's LMDB rounds up, and the
    /// data is mapped already.
    #[cfg(unix)]
    fn check_mappable(&self, bytes: usize) -> Result<()> {
        // SAFETY: an anonymous, inaccessible, unreserved mapping, unmapped at once.
        unsafe {
            let probe = libc::mmap(
                ptr::null_mut(),
                bytes,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            if probe == libc::MAP_FAILED {
                return Err(Error::Io(std::io::Error::last_os_error()));
            }
            libc::munmap(probe, bytes);
        }
        if self.options.writemap {
            let mut fd = 0;
            // SAFETY: the environment is open; `fd` is its data file.
            Error::check(unsafe { ffi::mdb_env_get_fd(self.raw(), &mut fd) })?;
            // SAFETY: fstat fills `stat`; growing the file is what LMDB would do next.
            unsafe {
                let mut stat: libc::stat = std::mem::zeroed();
                if libc::fstat(fd, &mut stat) != 0 {
                    return Err(Error::Io(std::io::Error::last_os_error()));
                }
                let wanted = libc::off_t::try_from(bytes).map_err(|_| Error::Lmdb(libc::EFBIG))?;
                if wanted > stat.st_size && libc::ftruncate(fd, wanted) != 0 {
                    return Err(Error::Io(std::io::Error::last_os_error()));
                }
            }
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn check_mappable(&self, _bytes: usize) -> Result<()> {
        Ok(())
    }

    pub(crate) fn map_size(&self) -> Result<usize> {
        Ok(self.info()?.me_mapsize)
    }

    /// The bytes the data spans (every page up to the last one in use,
    /// free ones between included) and the map's size.
    pub(crate) fn used_and_map_size(&self) -> Result<(usize, usize)> {
        let info = self.info()?;
        Ok(((info.me_last_pgno + 1).saturating_mul(self.page_size), info.me_mapsize))
    }

    /// Doubles the map, up to `max_map_size`; false when growing is off or capped.
    pub(crate) fn grow(&self) -> Result<bool> {
        if !self.options.auto_grow {
            return Ok(false);
        }
        let current = self.map_size()?;
        let cap = self.options.max_map_size.unwrap_or(usize::MAX);
        if current >= cap {
            return Ok(false);
        }
        let doubled = current.saturating_mul(2).div_ceil(MAP_STEP).saturating_mul(MAP_STEP);
        self.resize(doubled.min(cap))?;
        Ok(true)
    }

    /// With `auto_grow`, grows the map when the data spans more than three
    /// quarters of it, so the next write transaction starts with a quarter free
    /// at least. Called with no write transaction open in this process, before
    /// one begins (and on open). Best effort: a map that cannot grow now leaves
    /// the transaction to the MDB_MAP_FULL paths.
    pub(crate) fn grow_ahead(&self) {
        if !self.options.auto_grow || self.options.readonly {
            return;
        }
        let cap = self.options.max_map_size.unwrap_or(usize::MAX);
        if let Ok((used, map)) = self.used_and_map_size() {
            if let Some(size) = ahead_size(used, map, cap) {
                let _ = self.resize(size);
            }
        }
    }
}

/// The map size to grow to when data spanning `used` bytes takes more than
/// three quarters of a `map`-byte map: double, or more so that the data
/// spans at most half, in steps of 64 KiB and at most `cap`. `None` when
/// there is room, or the map is at the cap.
fn ahead_size(used: usize, map: usize, cap: usize) -> Option<usize> {
    if used.saturating_mul(4) <= map.saturating_mul(3) || map >= cap {
        return None;
    }
    let size = map.max(used).saturating_mul(2).div_ceil(MAP_STEP).saturating_mul(MAP_STEP).min(cap);
    (size > map).then_some(size)
}

#[cfg(test)]
mod tests {
    use super::ahead_size;

    const MIB: usize = 1 << 20;
    const NO_CAP: usize = usize::MAX;

    #[test]
    fn grows_only_past_three_quarters() {
        assert_eq!(ahead_size(MIB / 4 * 3, MIB, NO_CAP), None);
        assert_eq!(ahead_size(MIB / 4 * 3 + 4096, MIB, NO_CAP), Some(2 * MIB));
    }

    #[test]
    fn leaves_the_data_half_the_map_at_most() {
        // data past the map (LMDB rounded the map up to it, or another process grew it)
        assert_eq!(ahead_size(5 * MIB, 4 * MIB, NO_CAP), Some(10 * MIB));
        // in steps of 64 KiB
        assert_eq!(ahead_size(MIB + 4096, MIB + 4096, NO_CAP), Some(2 * MIB + 64 * 1024));
    }

    #[test]
    fn stops_at_the_cap() {
        assert_eq!(ahead_size(MIB, MIB, 3 * MIB / 2), Some(3 * MIB / 2));
        assert_eq!(ahead_size(MIB, MIB, MIB), None);
        assert_eq!(ahead_size(2 * MIB, 2 * MIB, MIB), None);
    }
}
