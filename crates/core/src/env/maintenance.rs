//! Maintenance and inspection of an environment: statistics, flags, the
//! reader table, the map size on request, copies and syncs. Each call is
//! one operation of its handle, run with the gate held.

use std::ffi::{CStr, CString};
use std::path::Path;

use lmdb_master_sys as ffi;

use super::{Busy, Env};
use crate::error::{Error, Result};
use crate::options::EnvFlags;

/// Statistics of the environment's main database or of one database (`mdb_stat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Stat {
    pub psize: u32,
    pub depth: u32,
    pub branch_pages: usize,
    pub leaf_pages: usize,
    pub overflow_pages: usize,
    pub entries: usize,
}

impl From<ffi::MDB_stat> for Stat {
    fn from(s: ffi::MDB_stat) -> Self {
        Stat {
            psize: s.ms_psize,
            depth: s.ms_depth,
            branch_pages: s.ms_branch_pages,
            leaf_pages: s.ms_leaf_pages,
            overflow_pages: s.ms_overflow_pages,
            entries: s.ms_entries,
        }
    }
}

/// `mdb_env_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Info {
    pub map_addr: usize,
    pub map_size: usize,
    pub last_pgno: usize,
    pub last_txnid: usize,
    pub max_readers: u32,
    pub num_readers: u32,
}

impl Env {
    /// `mdb_env_stat`: statistics of the main database.
    pub fn stat(&self) -> Result<Stat> {
        let busy = self.busy()?;
        let _gate = busy.shared().enter()?;
        // SAFETY: the environment is open; `stat` is plain data.
        unsafe {
            let mut stat = std::mem::zeroed();
            Error::check(ffi::mdb_env_stat(busy.shared().raw(), &mut stat))?;
            Ok(Stat::from(stat))
        }
    }

    /// `mdb_env_info`.
    pub fn info(&self) -> Result<Info> {
        let busy = self.busy()?;
        let i = busy.shared().info()?;
        Ok(Info {
            map_addr: i.me_mapaddr as usize,
            map_size: i.me_mapsize,
            last_pgno: i.me_last_pgno,
            last_txnid: i.me_last_txnid,
            max_readers: i.me_maxreaders,
            num_readers: i.me_numreaders,
        })
    }

    /// The environment's flags.
    pub fn flags(&self) -> Result<EnvFlags> {
        let busy = self.busy()?;
        let _gate = busy.shared().enter()?;
        let mut bits = 0;
        // SAFETY: the environment is open.
        Error::check(unsafe { ffi::mdb_env_get_flags(busy.shared().raw(), &mut bits) })?;
        Ok(EnvFlags::from_bits(bits))
    }

    /// Size of the reader lock table.
    pub fn max_readers(&self) -> Result<u32> {
        let busy = self.busy()?;
        let _gate = busy.shared().enter()?;
        let mut n = 0;
        // SAFETY: the environment is open.
        Error::check(unsafe { ffi::mdb_env_get_maxreaders(busy.shared().raw(), &mut n) })?;
        Ok(n)
    }

    /// `mdb_reader_list`: the reader lock table as text.
    pub fn readers(&self) -> Result<String> {
        unsafe extern "C" fn collect(msg: *const libc::c_char, ctx: *mut libc::c_void) -> libc::c_int {
            // SAFETY: `ctx` is the String below and `msg` a C string, for this call.
            let out = &mut *(ctx as *mut String);
            out.push_str(&CStr::from_ptr(msg).to_string_lossy());
            0
        }
        let busy = self.busy()?;
        let _gate = busy.shared().enter()?;
        let mut out = String::new();
        // SAFETY: the callback only appends to `out`, which outlives the call.
        let rc = unsafe { ffi::mdb_reader_list(busy.shared().raw(), Some(collect), &mut out as *mut String as *mut _) };
        if rc < 0 {
            return Err(Error::Lmdb(rc));
        }
        Ok(out)
    }

    /// `mdb_reader_check`: clears reader slots of dead processes; how many.
    pub fn reader_check(&self) -> Result<u32> {
        let busy = self.busy()?;
        let _gate = busy.shared().enter()?;
        let mut dead = 0;
        // SAFETY: the environment is open.
        Error::check(unsafe { ffi::mdb_reader_check(busy.shared().raw(), &mut dead) })?;
        Ok(dead as u32)
    }
}

impl Busy {
    /// Sets the map size (LMDB rounds it up to what the data needs), at
    /// most `max_map_size`.
    pub fn set_map_size(&self, bytes: usize) -> Result<()> {
        if let Some(max) = self.shared().options.max_map_size.filter(|&max| bytes > max) {
            return Err(Error::Invalid(format!("{bytes} bytes is above maxMapSize ({max})")));
        }
        self.shared().resize(bytes)
    }

    /// `mdb_env_copy2`: a consistent copy into the existing directory (or
    /// file, without `subdir`) at `dest`, compacted if asked.
    pub fn copy(&self, dest: impl AsRef<Path>, compact: bool) -> Result<()> {
        let dest = CString::new(dest.as_ref().as_os_str().as_encoded_bytes())
            .map_err(|_| Error::Invalid("path contains a NUL byte".into()))?;
        let _gate = self.shared().enter()?;
        let flags = if compact { ffi::MDB_CP_COMPACT } else { 0 };
        // SAFETY: the environment is open; LMDB takes its own read transaction.
        Error::check(unsafe { ffi::mdb_env_copy2(self.shared().raw(), dest.as_ptr(), flags) })
    }

    /// `mdb_env_copyfd2`: a consistent copy of the data file to `fd`.
    pub fn copy_to_fd(&self, fd: i32, compact: bool) -> Result<()> {
        let _gate = self.shared().enter()?;
        let flags = if compact { ffi::MDB_CP_COMPACT } else { 0 };
        // SAFETY: the environment is open; a bad fd makes LMDB fail with EBADF.
        Error::check(unsafe { ffi::mdb_env_copyfd2(self.shared().raw(), fd as ffi::mdb_filehandle_t, flags) })
    }

    /// `mdb_env_sync`: flush buffers to disk (`force` even with `sync: false`).
    pub fn sync(&self, force: bool) -> Result<()> {
        let _gate = self.shared().enter()?;
        // SAFETY: the environment is open.
        Error::check(unsafe { ffi::mdb_env_sync(self.shared().raw(), force as i32) })
    }
}
