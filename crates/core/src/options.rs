//! Environment and database options, and their translation to LMDB flags.

use lmdb_master_sys as ffi;

use crate::error::{Error, Result};

/// The largest map: the 128 TiB user address space of 64-bit systems.
pub const MAX_MAP_SIZE: u64 = 1 << 47;
/// The most reader slots: LMDB makes the lock file 64 bytes a slot.
pub const MAX_READERS: u32 = 1 << 20;
/// The most named databases: LMDB keeps per-database state for every slot
/// in every write transaction (and adds its own two to the count).
pub const MAX_DBS: u32 = 1 << 16;

/// How to open an environment. Defaults follow py-lmdb, with `auto_grow` on.
#[derive(Debug, Clone)]
pub struct EnvOptions {
    /// Initial size of the memory map, in bytes.
    pub map_size: usize,
    /// Grow the map ahead of the writes, and when a write transaction hits
    /// MDB_MAP_FULL all the same, grow it and run the transaction again
    /// (`writer/group.rs`, `writer/open.rs`).
    pub auto_grow: bool,
    /// Upper bound for `auto_grow`; `None` means no bound.
    pub max_map_size: Option<usize>,
    /// The path is a directory holding `data.mdb` and `lock.mdb` (else the data file itself).
    pub subdir: bool,
    /// Open read-only: every write fails with EACCES.
    pub readonly: bool,
    /// Flush the meta page on commit (MDB_NOMETASYNC when false).
    pub metasync: bool,
    /// Flush to disk on commit (MDB_NOSYNC when false).
    pub sync: bool,
    /// With `writemap`, flush asynchronously (MDB_MAPASYNC).
    pub map_async: bool,
    /// File mode for newly created files.
    pub mode: u32,
    /// Create the directory (or file) when it is missing.
    pub create: bool,
    /// OS readahead on the map (MDB_NORDAHEAD when false).
    pub readahead: bool,
    /// Writes go through a writable map (MDB_WRITEMAP).
    pub writemap: bool,
    /// Zero unused parts of pages before writing them (MDB_NOMEMINIT when false).
    pub meminit: bool,
    /// Size of the reader lock table.
    pub max_readers: u32,
    /// Number of named databases the environment may hold open.
    pub max_dbs: u32,
    /// Use LMDB's locking (MDB_NOLOCK when false: the caller keeps writers apart).
    pub lock: bool,
}

impl Default for EnvOptions {
    fn default() -> Self {
        EnvOptions {
            map_size: 1 << 30,
            auto_grow: true,
            max_map_size: None,
            subdir: true,
            readonly: false,
            metasync: true,
            sync: true,
            map_async: false,
            mode: 0o644,
            create: true,
            readahead: true,
            writemap: false,
            meminit: true,
            max_readers: 126,
            max_dbs: 128,
            lock: true,
        }
    }
}

impl EnvOptions {
    /// Refuses numbers LMDB would misuse (an overflowing database count
    /// corrupts its heap; a huge reader count makes a huge lock file).
    pub(crate) fn check(&self) -> Result<()> {
        let sizes = [Some(self.map_size), self.max_map_size];
        if sizes.into_iter().flatten().any(|size| size == 0 || size as u64 > MAX_MAP_SIZE) {
            return Err(Error::Invalid(format!("a map size is from 1 byte to {MAX_MAP_SIZE}")));
        }
        if self.max_readers == 0 || self.max_readers > MAX_READERS {
            return Err(Error::Invalid(format!("maxReaders is from 1 to {MAX_READERS}")));
        }
        if self.max_dbs > MAX_DBS {
            return Err(Error::Invalid(format!("maxDbs is at most {MAX_DBS}")));
        }
        if self.mode > 0o7777 {
            return Err(Error::Invalid(format!("mode {:o} is not a file mode", self.mode)));
        }
        Ok(())
    }

    /// LMDB flags for `mdb_env_open`. MDB_NOTLS is always set: read
    /// transactions move between pool threads, so they cannot live in TLS.
    pub(crate) fn env_flags(&self) -> u32 {
        let mut flags = ffi::MDB_NOTLS;
        let mut set = |on: bool, flag: u32| {
            if on {
                flags |= flag
            }
        };
        set(!self.subdir, ffi::MDB_NOSUBDIR);
        set(self.readonly, ffi::MDB_RDONLY);
        set(!self.metasync, ffi::MDB_NOMETASYNC);
        set(!self.sync, ffi::MDB_NOSYNC);
        set(self.map_async, ffi::MDB_MAPASYNC);
        set(!self.readahead, ffi::MDB_NORDAHEAD);
        set(self.writemap, ffi::MDB_WRITEMAP);
        set(!self.meminit, ffi::MDB_NOMEMINIT);
        set(!self.lock, ffi::MDB_NOLOCK);
        flags
    }
}

/// The environment's flags as py-lmdb's `Environment.flags()` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct EnvFlags {
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

impl EnvFlags {
    pub(crate) fn from_bits(bits: u32) -> Self {
        let has = |flag: u32| bits & flag != 0;
        EnvFlags {
            subdir: !has(ffi::MDB_NOSUBDIR),
            readonly: has(ffi::MDB_RDONLY),
            metasync: !has(ffi::MDB_NOMETASYNC),
            sync: !has(ffi::MDB_NOSYNC),
            map_async: has(ffi::MDB_MAPASYNC),
            readahead: !has(ffi::MDB_NORDAHEAD),
            writemap: has(ffi::MDB_WRITEMAP),
            meminit: !has(ffi::MDB_NOMEMINIT),
            lock: !has(ffi::MDB_NOLOCK),
        }
    }
}

/// Per-database flags, fixed when the database is created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct DbFlags {
    pub reverse_key: bool,
    pub dup_sort: bool,
    pub integer_key: bool,
    pub dup_fixed: bool,
    pub integer_dup: bool,
    pub reverse_dup: bool,
}

impl DbFlags {
    pub(crate) fn from_bits(bits: u32) -> Self {
        let has = |flag: u32| bits & flag != 0;
        DbFlags {
            reverse_key: has(ffi::MDB_REVERSEKEY),
            dup_sort: has(ffi::MDB_DUPSORT),
            integer_key: has(ffi::MDB_INTEGERKEY),
            dup_fixed: has(ffi::MDB_DUPFIXED),
            integer_dup: has(ffi::MDB_INTEGERDUP),
            reverse_dup: has(ffi::MDB_REVERSEDUP),
        }
    }

    pub(crate) fn bits(&self) -> u32 {
        let mut bits = 0;
        for (on, flag) in [
            (self.reverse_key, ffi::MDB_REVERSEKEY),
            (self.dup_sort, ffi::MDB_DUPSORT),
            (self.integer_key, ffi::MDB_INTEGERKEY),
            (self.dup_fixed, ffi::MDB_DUPFIXED),
            (self.integer_dup, ffi::MDB_INTEGERDUP),
            (self.reverse_dup, ffi::MDB_REVERSEDUP),
        ] {
            if on {
                bits |= flag;
            }
        }
        bits
    }
}

/// Flags of one put, from the wire format's flag byte.
pub mod put_flags {
    /// Fail (resolve `false`) when the key exists.
    pub const NO_OVERWRITE: u8 = 1;
    /// Append at the end of the database (keys must come in order).
    pub const APPEND: u8 = 2;
    /// On dupSort databases: fail (resolve `false`) when the pair exists.
    pub const NO_DUP_DATA: u8 = 4;
    /// `drop`: also delete the named database itself.
    pub const DELETE_DB: u8 = 8;
    /// A put or delete that writes only if the key's value is as expected:
    /// the expectation follows the operation's value (see `batch.rs`).
    pub const IF_VALUE: u8 = 16;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_flags_only_disable_tls() {
        assert_eq!(EnvOptions::default().env_flags(), ffi::MDB_NOTLS);
        let flags = EnvFlags::from_bits(EnvOptions::default().env_flags());
        assert!(flags.subdir && flags.sync && flags.metasync && flags.lock && !flags.readonly);
    }

    #[test]
    fn numbers_lmdb_would_misuse_are_refused() {
        assert!(EnvOptions::default().check().is_ok());
        for bad in [
            EnvOptions { max_dbs: u32::MAX, ..Default::default() },
            EnvOptions { max_dbs: MAX_DBS + 1, ..Default::default() },
            EnvOptions { max_readers: 0, ..Default::default() },
            EnvOptions { max_readers: u32::MAX - 4, ..Default::default() },
            EnvOptions { map_size: 0, ..Default::default() },
            EnvOptions { max_map_size: Some(1 << 50), ..Default::default() },
            EnvOptions { mode: 0o10000, ..Default::default() },
        ] {
            assert!(matches!(bad.check(), Err(Error::Invalid(_))), "{bad:?}");
        }
    }

    #[test]
    fn options_round_trip_through_flags() {
        let opts = EnvOptions { subdir: false, sync: false, writemap: true, ..Default::default() };
        let flags = EnvFlags::from_bits(opts.env_flags());
        assert!(!flags.subdir && !flags.sync && flags.writemap && flags.metasync);
    }
}
