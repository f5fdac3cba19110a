//! Conversions between the JavaScript shapes and the core's types.

use lmdb_napi_core::{give_back, DbFlags, DbRef, EnvFlags, EnvOptions, Info, Outcome, ReadOutput, Stat};
use napi::bindgen_prelude::*;

use crate::error::Failure;
use crate::handover::{hand_over, owned, View};
use crate::task::ToJs;
use crate::types::*;

impl From<EnvOptionsJs> for EnvOptions {
    fn from(js: EnvOptionsJs) -> Self {
        let d = EnvOptions::default();
        EnvOptions {
            map_size: js.map_size.map_or(d.map_size, |n| n as usize),
            auto_grow: js.auto_grow.unwrap_or(d.auto_grow),
            max_map_size: js.max_map_size.map(|n| n as usize),
            subdir: js.subdir.unwrap_or(d.subdir),
            readonly: js.readonly.unwrap_or(d.readonly),
            metasync: js.metasync.unwrap_or(d.metasync),
            sync: js.sync.unwrap_or(d.sync),
            map_async: js.map_async.unwrap_or(d.map_async),
            mode: js.mode.unwrap_or(d.mode),
            create: js.create.unwrap_or(d.create),
            readahead: js.readahead.unwrap_or(d.readahead),
            writemap: js.writemap.unwrap_or(d.writemap),
            meminit: js.meminit.unwrap_or(d.meminit),
            max_readers: js.max_readers.unwrap_or(d.max_readers),
            max_dbs: js.max_dbs.unwrap_or(d.max_dbs),
            lock: js.lock.unwrap_or(d.lock),
        }
    }
}

impl From<DbFlagsJs> for DbFlags {
    fn from(js: DbFlagsJs) -> Self {
        DbFlags {
            reverse_key: js.reverse_key.unwrap_or(false),
            dup_sort: js.dup_sort.unwrap_or(false),
            integer_key: js.integer_key.unwrap_or(false),
            dup_fixed: js.dup_fixed.unwrap_or(false),
            integer_dup: js.integer_dup.unwrap_or(false),
            reverse_dup: js.reverse_dup.unwrap_or(false),
        }
    }
}

impl From<DbFlags> for DbFlagsJs {
    fn from(f: DbFlags) -> Self {
        DbFlagsJs {
            reverse_key: Some(f.reverse_key),
            dup_sort: Some(f.dup_sort),
            integer_key: Some(f.integer_key),
            dup_fixed: Some(f.dup_fixed),
            integer_dup: Some(f.integer_dup),
            reverse_dup: Some(f.reverse_dup),
        }
    }
}

impl From<DbRef> for DbRefJs {
    fn from(db: DbRef) -> Self {
        DbRefJs { dbi: db.dbi, gen: db.gen }
    }
}

impl From<Stat> for StatJs {
    fn from(s: Stat) -> Self {
        StatJs {
            psize: s.psize,
            depth: s.depth,
            branch_pages: s.branch_pages as f64,
            leaf_pages: s.leaf_pages as f64,
            overflow_pages: s.overflow_pages as f64,
            entries: s.entries as f64,
        }
    }
}

impl ToJs for Stat {
    type Js = StatJs;
    fn to_js(self) -> Result<StatJs> {
        Ok(self.into())
    }
}

impl From<Info> for InfoJs {
    fn from(i: Info) -> Self {
        InfoJs {
            map_addr: i.map_addr as f64,
            map_size: i.map_size as f64,
            last_pgno: i.last_pgno as f64,
            last_txnid: i.last_txnid as f64,
            max_readers: i.max_readers,
            num_readers: i.num_readers,
        }
    }
}

impl From<EnvFlags> for EnvFlagsJs {
    fn from(f: EnvFlags) -> Self {
        EnvFlagsJs {
            subdir: f.subdir,
            readonly: f.readonly,
            metasync: f.metasync,
            sync: f.sync,
            map_async: f.map_async,
            readahead: f.readahead,
            writemap: f.writemap,
            meminit: f.meminit,
            lock: f.lock,
        }
    }
}

/// Below this many bytes, what goes to JavaScript is copied into memory it
/// owns rather than handed over: memory handed over costs a finalizer call
/// on the JS thread once it is collected (~1 µs each, which after 100,000
/// lone gets is ~0.1 s of work landing later), more than a copy this small.
const COPIED_BELOW: usize = 16 << 10;

impl ToNapiValue for Bytes {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        if val.0.len() >= COPIED_BELOW {
            return hand_over(env, View::Uint8Array, val.0, give_back);
        }
        owned(env, sys::TypedarrayType::uint8_array, val.0.len(), 1, |out| out.copy_from_slice(&val.0))
    }
}

impl ToNapiValue for Lengths {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        const F64: usize = std::mem::size_of::<f64>();
        if val.0.len() * F64 >= COPIED_BELOW {
            let numbers = val.0.into_iter().map(|n| n as f64).collect();
            return hand_over(env, View::Float64Array, numbers, drop);
        }
        owned(env, sys::TypedarrayType::float64_array, val.0.len(), F64, |out| {
            for (dest, n) in out.chunks_exact_mut(F64).zip(&val.0) {
                dest.copy_from_slice(&(*n as f64).to_ne_bytes());
            }
        })
    }
}

impl ToNapiValue for NodeBuffer {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        hand_over(env, View::Buffer, val.0, drop)
    }
}

impl ToJs for ReadOutput {
    type Js = ReadResultJs;
    fn to_js(self) -> Result<ReadResultJs> {
        Ok(ReadResultJs {
            data: Bytes(self.data),
            lens: Lengths(self.lens),
            errors: self.errors.into_iter().map(|(i, e)| ReadErrorJs { index: i as u32, error: Failure(e) }).collect(),
        })
    }
}

/// One unit's result of a write batch.
pub fn unit_result(result: lmdb_napi_core::Result<Outcome>) -> UnitResultJs {
    match result {
        Ok(Outcome::Done(done)) => Either5::A(done),
        Ok(Outcome::Count(n)) => Either5::B(n),
        Ok(Outcome::Value(Some(bytes))) => Either5::C(NodeBuffer(bytes)),
        Ok(Outcome::Value(None)) => Either5::D(Null),
        Err(e) => Either5::E(Failure(e)),
    }
}
