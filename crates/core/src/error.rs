//! Errors: LMDB's return codes one to one, wrapped in the crate's `Error`.
//!
//! The binding only needs two things from an error: a stable code name
//! (`MDB_MAP_FULL`, `EACCES`, `CLOSED`, …) that the TypeScript layer maps to
//! its error classes, and the errno LMDB returned.

use std::ffi::CStr;
use std::fmt;

use lmdb_master_sys as ffi;

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the core.
#[derive(Debug)]
pub enum Error {
    /// LMDB (or the OS under it) returned this non-zero code.
    Lmdb(i32),
    /// The environment, database or handle was closed before or during the call.
    Closed(&'static str),
    /// A database handle whose database was deleted (`drop` with `delete`).
    BadDbi,
    /// The caller passed something LMDB would reject or misread; nothing was done.
    Invalid(String),
    /// A filesystem error outside LMDB (creating the directory, opening a file).
    Io(std::io::Error),
    /// A value its coder cannot encode or decode (a damaged compressed value).
    Coder(String),
    /// A bug: Rust code panicked with this message (see `panic.rs`). The
    /// call failed; its transaction, if any, was aborted.
    Panic(String),
}

impl Error {
    /// Turns an LMDB return code into `Ok(())` or an error.
    pub(crate) fn check(rc: i32) -> Result<()> {
        if rc == ffi::MDB_SUCCESS {
            Ok(())
        } else {
            Err(Error::Lmdb(rc))
        }
    }

    /// The name the TypeScript layer keys its error classes on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Lmdb(rc) => code_name(*rc),
            Error::Closed(_) => "CLOSED",
            Error::BadDbi => "MDB_BAD_DBI",
            Error::Invalid(_) => "EINVAL",
            Error::Io(e) => e.raw_os_error().map_or("EIO", code_name),
            Error::Coder(_) => "CODER",
            Error::Panic(_) => "PANIC",
        }
    }

    /// LMDB's own return code, or the OS errno; 0 where there is none.
    pub fn errno(&self) -> i32 {
        match self {
            Error::Lmdb(rc) => *rc,
            Error::Closed(_) => 0,
            Error::BadDbi => ffi::MDB_BAD_DBI,
            Error::Invalid(_) => libc::EINVAL,
            Error::Io(e) => e.raw_os_error().unwrap_or(libc::EIO),
            Error::Coder(_) | Error::Panic(_) => 0,
        }
    }

    /// True for the failures of one operation that leave its transaction usable.
    /// Anything else (a full map, a full transaction, corruption) poisons the
    /// whole transaction, which must then be aborted.
    pub(crate) fn is_local(&self) -> bool {
        match self {
            Error::Lmdb(rc) => matches!(
                *rc,
                ffi::MDB_KEYEXIST
                    | ffi::MDB_NOTFOUND
                    | ffi::MDB_BAD_VALSIZE
                    | ffi::MDB_INCOMPATIBLE
                    | ffi::MDB_BAD_DBI
                    | libc::EINVAL
            ),
            Error::BadDbi | Error::Invalid(_) | Error::Coder(_) => true,
            Error::Closed(_) | Error::Io(_) | Error::Panic(_) => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Lmdb(rc) => {
                // SAFETY: mdb_strerror returns a pointer to a static or
                // thread-local NUL-terminated string for any code.
                let text = unsafe { CStr::from_ptr(ffi::mdb_strerror(*rc)) };
                f.write_str(&text.to_string_lossy())
            }
            Error::Closed(what) => write!(f, "the {what} is closed"),
            Error::BadDbi => {
                f.write_str("the database is not open in this environment (deleted, or opened from another one)")
            }
            Error::Invalid(msg) | Error::Coder(msg) => f.write_str(msg),
            Error::Io(e) => e.fmt(f),
            Error::Panic(msg) => write!(f, "internal error, a panic in lmdb-napi's Rust code: {msg}"),
        }
    }
}

impl std::error::Error for Error {}

impl Clone for Error {
    /// One failure can settle many operations (a failed group commit).
    fn clone(&self) -> Self {
        match self {
            Error::Lmdb(rc) => Error::Lmdb(*rc),
            Error::Closed(what) => Error::Closed(what),
            Error::BadDbi => Error::BadDbi,
            Error::Invalid(msg) => Error::Invalid(msg.clone()),
            Error::Coder(msg) => Error::Coder(msg.clone()),
            Error::Panic(msg) => Error::Panic(msg.clone()),
            Error::Io(e) => Error::Io(match e.raw_os_error() {
                Some(code) => std::io::Error::from_raw_os_error(code),
                None => std::io::Error::new(e.kind(), e.to_string()),
            }),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// LMDB's name for a return code; errno values get their POSIX names.
pub fn code_name(rc: i32) -> &'static str {
    match rc {
        ffi::MDB_KEYEXIST => "MDB_KEYEXIST",
        ffi::MDB_NOTFOUND => "MDB_NOTFOUND",
        ffi::MDB_PAGE_NOTFOUND => "MDB_PAGE_NOTFOUND",
        ffi::MDB_CORRUPTED => "MDB_CORRUPTED",
        ffi::MDB_PANIC => "MDB_PANIC",
        ffi::MDB_VERSION_MISMATCH => "MDB_VERSION_MISMATCH",
        ffi::MDB_INVALID => "MDB_INVALID",
        ffi::MDB_MAP_FULL => "MDB_MAP_FULL",
        ffi::MDB_DBS_FULL => "MDB_DBS_FULL",
        ffi::MDB_READERS_FULL => "MDB_READERS_FULL",
        ffi::MDB_TLS_FULL => "MDB_TLS_FULL",
        ffi::MDB_TXN_FULL => "MDB_TXN_FULL",
        ffi::MDB_CURSOR_FULL => "MDB_CURSOR_FULL",
        ffi::MDB_PAGE_FULL => "MDB_PAGE_FULL",
        ffi::MDB_MAP_RESIZED => "MDB_MAP_RESIZED",
        ffi::MDB_INCOMPATIBLE => "MDB_INCOMPATIBLE",
        ffi::MDB_BAD_RSLOT => "MDB_BAD_RSLOT",
        ffi::MDB_BAD_TXN => "MDB_BAD_TXN",
        ffi::MDB_BAD_VALSIZE => "MDB_BAD_VALSIZE",
        ffi::MDB_BAD_DBI => "MDB_BAD_DBI",
        ffi::MDB_PROBLEM => "MDB_PROBLEM",
        libc::EACCES => "EACCES",
        libc::EINVAL => "EINVAL",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::ENOSPC => "ENOSPC",
        libc::EIO => "EIO",
        libc::ENOENT => "ENOENT",
        libc::EEXIST => "EEXIST",
        libc::EBUSY => "EBUSY",
        libc::EROFS => "EROFS",
        libc::ENOTDIR => "ENOTDIR",
        libc::EPERM => "EPERM",
        libc::EFBIG => "EFBIG",
        _ => "UNKNOWN",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_can_cross_threads() {
        fn is_send_sync<T: Send + Sync>() {}
        is_send_sync::<Error>();
    }

    #[test]
    fn lmdb_codes_keep_their_names_and_text() {
        let e = Error::Lmdb(ffi::MDB_MAP_FULL);
        assert_eq!(e.code(), "MDB_MAP_FULL");
        assert_eq!(e.errno(), -30792);
        assert!(e.to_string().contains("MDB_MAP_FULL"));
        assert!(!e.is_local());
        assert!(Error::Lmdb(ffi::MDB_KEYEXIST).is_local());
        assert_eq!(Error::Lmdb(libc::EACCES).code(), "EACCES");
    }
}
