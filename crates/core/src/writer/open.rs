//! The state of an open explicit transaction, on the thread it runs on:
//! its stack of nested transactions, the databases created and deleted in
//! it, the failure that poisoned it, and what it keeps to be replayed in a
//! grown map (`replay.rs`).
//!
//! A database created inside a transaction that then aborts is closed by
//! LMDB; its handle is retired here so that no one uses a dead handle.

use lmdb_master_sys as ffi;

use super::begin::begin;
use super::group::sort_within_units;
use super::msg::{BatchResult, Nest};
use super::replay::{summary, Full, Replay, Step, REPLAY_MAX_BYTES};
use crate::batch::{self, DbRef};
use crate::dbi::needs_dbis;
use crate::env::Shared;
use crate::error::{Error, Result};
use crate::ops::{apply_unit, needs_nesting, Outcome, Puts};
use crate::options::{put_flags, DbFlags};
use crate::panic::guard;
use crate::range::{Chunk, Walk};
use crate::read::ReadOutput;
use crate::txn::RawTxn;

/// The state of an open transaction and its nested ones.
pub(super) struct Open {
    /// The root first, the innermost nested transaction last.
    stack: Vec<RawTxn>,
    /// Databases created in it, with the depth they were created at.
    created: Vec<(u32, usize)>,
    /// Named databases deleted in it (LMDB closed their handles at once),
    /// with the depth they were deleted at.
    deleted: Vec<(u32, String, usize)>,
    /// A failure that poisoned it: it can only abort now.
    failed: Option<Error>,
    /// Whether the map filled up (to grow it once the transaction is over).
    full: bool,
    /// `None` when it cannot be replayed (see the module doc).
    replay: Option<Replay>,
}

impl Open {
    pub(super) fn begin(shared: &Shared) -> Result<Open> {
        let (_, root) = begin(shared)?;
        let replay = shared.options.auto_grow.then(Replay::default);
        Ok(Open { stack: vec![root], created: Vec::new(), deleted: Vec::new(), failed: None, full: false, replay })
    }

    /// Keeps a step for a replay, or gives replaying up when it grows too big.
    fn record(&mut self, step: Step) {
        if let Some(replay) = &mut self.replay {
            replay.bytes += step.size();
            replay.steps.push(step);
            if replay.bytes > REPLAY_MAX_BYTES {
                self.replay = None;
            }
        }
    }

    /// The map filled up: aborts everything, grows the map and applies the
    /// steps again (growing more while they do not fit). False when it
    /// cannot (no replay, growing off or capped, a step gave something
    /// else): the transaction is then over.
    fn regrow(&mut self, shared: &Shared) -> bool {
        let Some(replay) = self.replay.take() else { return false };
        loop {
            self.unwind();
            if !matches!(shared.grow(), Ok(true)) {
                return false;
            }
            match begin(shared) {
                Ok((_, root)) => self.stack.push(root),
                Err(_) => return false,
            }
            match self.rerun(shared, &replay.steps) {
                Ok(true) => {
                    self.replay = Some(replay);
                    self.failed = None; // a step that filled the map again poisoned it
                    return true;
                }
                Ok(false) => continue,
                Err(Full) => return false,
            }
        }
    }

    /// Applies `steps` again: `Ok(false)` when the map filled up again,
    /// `Err` when a step went otherwise than the first time.
    fn rerun(&mut self, shared: &Shared, steps: &[Step]) -> std::result::Result<bool, Full> {
        for step in steps {
            match step {
                Step::Exec(bytes, gave) => {
                    let ops = batch::parse(bytes).map_err(|_| Full)?;
                    match self.apply(shared, &ops, true, false) {
                        Ok(Ok(results)) if summary(&results) == *gave => {}
                        Ok(Err(Full)) => return Ok(false),
                        _ => return Err(Full),
                    }
                }
                Step::Range(walk, max, read) => {
                    let mut again = (**walk).clone();
                    let _gate = shared.enter().map_err(|_| Full)?;
                    match again.fill(self.top(), *max) {
                        Ok(chunk) if chunk.out.data == read.data && chunk.out.lens == read.lens => {}
                        _ => return Err(Full),
                    }
                }
                Step::Nested(action) => match self.nest(shared, *action) {
                    Ok(()) => {}
                    Err(Error::Lmdb(ffi::MDB_MAP_FULL)) => return Ok(false),
                    Err(_) => return Err(Full),
                },
            }
        }
        Ok(true)
    }

    fn top(&self) -> &RawTxn {
        self.stack.last().expect("an open transaction has a root")
    }

    /// Runs `work` on the transaction; a panic fails the call and poisons
    /// the transaction (its state is unknown: it can only abort now).
    pub(super) fn guarded<T>(&mut self, work: impl FnOnce(&mut Open) -> Result<T>) -> Result<T> {
        let result = guard(|| work(self));
        if let Err(e @ Error::Panic(_)) = &result {
            self.poison(e);
        }
        result
    }

    fn poison(&mut self, e: &Error) {
        self.full |= matches!(e, Error::Lmdb(ffi::MDB_MAP_FULL));
        self.failed.get_or_insert_with(|| e.clone());
    }

    /// `exec`, where a unit that fails fails the transaction: it aborts at
    /// its end, with that unit's error (a unit sent in parts, `exec_whole`).
    /// So no unit needs a nested transaction, and the puts of each go in
    /// key order through kept cursors, as a group's do (`group.rs`).
    pub(super) fn exec_whole(&mut self, shared: &Shared, bytes: &[u8]) -> BatchResult {
        let results = self.run(shared, bytes, true)?;
        if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
            self.poison(e);
        }
        Ok(results)
    }

    /// Runs a batch: each unit atomically (a unit of several writes in a
    /// nested transaction, unless the map is writable, where LMDB has none).
    pub(super) fn exec(&mut self, shared: &Shared, bytes: &[u8]) -> BatchResult {
        self.run(shared, bytes, false)
    }

    fn run(&mut self, shared: &Shared, bytes: &[u8], whole: bool) -> BatchResult {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        // compressed values are compressed here: the transaction holds the writer anyway
        let compressed;
        let bytes = if batch::needs_compression(bytes) {
            compressed = batch::compress_values(bytes)?;
            &compressed[..]
        } else {
            bytes
        };
        let mut ops = batch::parse(bytes)?;
        let dbis = ops.iter().any(needs_dbis);
        if dbis {
            self.replay = None;
        }
        let whole = whole && !dbis;
        if whole {
            sort_within_units(&mut ops);
        }
        loop {
            let replayable = self.replay.is_some();
            match self.apply(shared, &ops, replayable, whole)? {
                Ok(results) => {
                    if self.replay.is_some() {
                        self.record(Step::Exec(bytes.to_vec(), summary(&results)));
                    }
                    return Ok(results);
                }
                Err(Full) if self.regrow(shared) => {}
                Err(Full) => {
                    let full = Error::Lmdb(ffi::MDB_MAP_FULL);
                    self.poison(&full);
                    return Err(full);
                }
            }
        }
    }

    /// Applies `ops` in the innermost transaction. With `replayable`, a
    /// full map stops it at once (`Full`): the whole transaction is to be
    /// replayed in a bigger map. `whole`: see `exec_whole`.
    fn apply(
        &mut self,
        shared: &Shared,
        ops: &[batch::Op<'_>],
        replayable: bool,
        whole: bool,
    ) -> Result<std::result::Result<Vec<Result<Outcome>>, Full>> {
        if whole {
            return self.apply_whole(shared, ops, replayable);
        }
        // Drops that need the handle table take it before the gate, in the
        // order every path takes them (see `group.rs`).
        let mut names = ops.iter().any(needs_dbis).then(|| shared.dbis.lock());
        let _gate = shared.enter()?;
        let mut results = Vec::new();
        for unit in ops.chunk_by(|a, b| a.unit == b.unit) {
            let result = if needs_nesting(unit) && !shared.options.writemap {
                // SAFETY: the gate is held and the parent is live on this thread.
                unsafe { RawTxn::begin(shared.raw(), Some(self.top()), 0) }.and_then(|child| {
                    let applied = apply_unit(shared, &mut Puts::direct(&child), unit);
                    match applied {
                        Ok(outcome) => child.commit().map(|_| outcome),
                        Err((e, _)) => Err(e), // the child aborts on drop
                    }
                })
            } else {
                apply_unit(shared, &mut Puts::direct(self.top()), unit).map_err(|(e, wrote)| {
                    if wrote && !matches!(e, Error::Lmdb(ffi::MDB_MAP_FULL)) {
                        // partial writes that cannot be undone: the transaction is spoiled
                        Error::Lmdb(ffi::MDB_BAD_TXN)
                    } else {
                        e
                    }
                })
            };
            match (&result, unit) {
                (Err(Error::Lmdb(ffi::MDB_MAP_FULL)), _) if replayable => return Ok(Err(Full)),
                (Err(e), _) if !e.is_local() => self.poison(e),
                // LMDB closed the deleted database's handle: it is retired at
                // commit, or opened again if the deletion is undone
                (Ok(_), [op]) if op.kind == batch::op::DROP && op.flags & put_flags::DELETE_DB != 0 => {
                    if let Some(names) = names.as_mut() {
                        let name = names.iter().find(|(_, &d)| d == op.db.dbi).and_then(|(n, _)| n.clone());
                        if let Some(name) = name {
                            names.remove(&Some(name.clone()));
                            self.deleted.push((op.db.dbi, name, self.stack.len() - 1));
                        }
                    }
                }
                _ => {}
            }
            results.push(result);
        }
        Ok(Ok(results))
    }

    /// `apply` of a batch sent by `exec_whole` (no drops): up to the first
    /// unit that fails, which fails the transaction.
    fn apply_whole(
        &mut self,
        shared: &Shared,
        ops: &[batch::Op<'_>],
        replayable: bool,
    ) -> Result<std::result::Result<Vec<Result<Outcome>>, Full>> {
        let _gate = shared.enter()?;
        let mut results = Vec::new();
        let mut puts = Puts::ordered(self.top());
        for unit in ops.chunk_by(|a, b| a.unit == b.unit) {
            let result = apply_unit(shared, &mut puts, unit).map_err(|(e, _)| e);
            let failed = result.is_err();
            results.push(result);
            if failed {
                break;
            }
        }
        drop(puts);
        if replayable && matches!(results.last(), Some(Err(Error::Lmdb(ffi::MDB_MAP_FULL)))) {
            return Ok(Err(Full));
        }
        Ok(Ok(results))
    }

    /// The next chunk of `walk`, in the innermost transaction.
    pub(super) fn range(&mut self, shared: &Shared, walk: &mut Walk, max: usize) -> Result<Chunk> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        shared.dbis.check(walk.db())?;
        let before = self.replay.as_ref().map(|_| Box::new(walk.clone()));
        let chunk = {
            let _gate = shared.enter()?;
            walk.fill(self.top(), max)?
        };
        if let Some(before) = before {
            let read = ReadOutput { data: chunk.out.data.clone(), lens: chunk.out.lens.clone(), errors: Vec::new() };
            self.record(Step::Range(before, max, read));
        }
        Ok(chunk)
    }

    pub(super) fn nested(&mut self, shared: &Shared, action: Nest) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.nest(shared, action);
        if result.is_ok() {
            self.record(Step::Nested(action));
        }
        result
    }

    fn nest(&mut self, shared: &Shared, action: Nest) -> Result<()> {
        match action {
            Nest::Begin if shared.options.writemap => {
                Err(Error::Invalid("nested transactions need writemap: false (an LMDB limit)".into()))
            }
            Nest::Begin => {
                let _gate = shared.enter()?;
                // SAFETY: the gate is held and the parent is live on this thread.
                let child = unsafe { RawTxn::begin(shared.raw(), Some(self.top()), 0)? };
                self.stack.push(child);
                Ok(())
            }
            _ if self.stack.len() < 2 => Err(Error::Invalid("no nested transaction is open".into())),
            Nest::Commit => {
                let depth = self.stack.len() - 1;
                let result = {
                    let _gate = shared.enter()?;
                    self.stack.pop().expect("checked").commit()
                };
                match &result {
                    // what it created and deleted now belongs to the parent
                    Ok(()) => {
                        self.created.iter_mut().filter(|(_, d)| *d == depth).for_each(|(_, d)| *d -= 1);
                        self.deleted.iter_mut().filter(|(.., d)| *d == depth).for_each(|(.., d)| *d -= 1);
                    }
                    Err(e) => {
                        self.undo_handles(shared, depth);
                        self.poison(e);
                    }
                }
                result
            }
            Nest::Abort => {
                let depth = self.stack.len() - 1;
                drop(self.stack.pop());
                self.undo_handles(shared, depth);
                Ok(())
            }
        }
    }

    /// Commits (or aborts) the whole transaction.
    pub(super) fn end(mut self, shared: &Shared, commit: bool) -> Result<()> {
        let failed = self.failed.take();
        let result = match (commit, failed) {
            (true, None) => loop {
                // nested transactions left open join it, innermost first (as
                // LMDB's own commit of a parent would do)
                let mut nested = Ok(());
                while nested.is_ok() && self.stack.len() > 1 {
                    nested = self.nested(shared, Nest::Commit);
                }
                if let Err(e) = nested {
                    break Err(e);
                }
                let committed = {
                    let _gate = shared.enter();
                    self.stack.pop().expect("an open transaction has a root").commit()
                };
                match committed {
                    Err(Error::Lmdb(ffi::MDB_MAP_FULL)) if self.regrow(shared) => {}
                    Err(e) => {
                        self.full |= matches!(e, Error::Lmdb(ffi::MDB_MAP_FULL));
                        break Err(e);
                    }
                    Ok(()) => break Ok(()),
                }
            },
            (true, Some(e)) => Err(e),
            (false, _) => Ok(()),
        };
        self.unwind();
        if commit && result.is_ok() {
            let mut names = shared.dbis.lock();
            for (dbi, ..) in self.deleted.drain(..) {
                shared.dbis.retire(&mut names, dbi);
            }
        } else {
            self.undo_handles(shared, 0);
        }
        if self.full {
            // the next attempt finds room
            let _ = shared.grow();
        }
        result
    }

    /// Aborts what is still open, innermost first: aborting a parent frees
    /// its children inside LMDB, so a child aborted after it would be freed
    /// twice.
    fn unwind(&mut self) {
        while let Some(txn) = self.stack.pop() {
            drop(txn);
        }
    }

    /// The handle bookkeeping of undone work at `depth` or deeper: databases
    /// created there are closed by LMDB (retire their handles); databases
    /// deleted there exist again (open them again, keeping the handle number
    /// when LMDB gives the same one back).
    fn undo_handles(&mut self, shared: &Shared, depth: usize) {
        let mut names = shared.dbis.lock();
        self.created.retain(|&(dbi, d)| {
            if d >= depth {
                shared.dbis.retire(&mut names, dbi);
            }
            d < depth
        });
        let (undone, kept): (Vec<_>, Vec<_>) = self.deleted.drain(..).partition(|(.., d)| *d >= depth);
        self.deleted = kept;
        for (dbi, name, _) in undone {
            let again = shared.open_existing(&mut names, Some(&name), Default::default());
            if !matches!(again, Ok(Some(db)) if db.dbi == dbi) {
                shared.dbis.retire(&mut names, dbi);
            }
        }
    }

    /// Creates (or finds) a database inside the transaction (see `dbi.rs`).
    pub(super) fn create_db(&mut self, shared: &Shared, name: Option<&str>, flags: DbFlags) -> Result<DbRef> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        shared.find_or_create_db(name, flags, |create| {
            // a replay could not make the same handle again
            self.replay = None;
            let _gate = shared.enter()?;
            let dbi = create(self.top())?;
            self.created.push((dbi, self.stack.len() - 1));
            Ok(dbi)
        })
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.unwind();
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::Outcome;
    use crate::writer::replay::Step;
    use crate::*;

    /// A get of `key`, as the binding sends it.
    fn get(db: DbRef, key: &[u8]) -> Vec<u8> {
        let mut b = BatchBuilder::new();
        b.push(op::GET, 0, 0, db, key, None);
        b.finish()
    }

    /// Runs `test` on the open state of an explicit transaction in a fresh
    /// environment with a 1 MiB map, and its main database.
    fn in_open_txn(test: impl FnOnce(&crate::env::Shared, &mut super::Open, DbRef)) {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::open(dir.path(), &EnvOptions { map_size: 1 << 20, sync: false, ..Default::default() }).unwrap();
        let db = env.open_db(None, DbFlags::default(), true).unwrap();
        let mut txn = env.exclusive().unwrap();
        test(env.shared_ref(), txn.open.as_mut().unwrap(), db);
    }

    #[test]
    fn a_replay_goes_on_only_if_every_step_gives_what_it_gave() {
        in_open_txn(|shared, open, db| {
            assert_eq!(open.exec(shared, &get(db, b"k")).unwrap()[0].as_ref().unwrap(), &Outcome::Value(None));
            assert!(open.regrow(shared), "the same steps replay");
            // as if the callback had been told of a value the replay does not find
            open.replay.as_mut().unwrap().steps[0] =
                Step::Exec(get(db, b"k"), vec![Ok(Outcome::Value(Some(b"v".to_vec())))]);
            assert!(!open.regrow(shared), "a step that gives something else ends it");
        });
    }

    #[test]
    fn a_conditional_write_whose_check_goes_otherwise_in_a_replay_ends_it() {
        in_open_txn(|shared, open, db| {
            let put = |value: &[u8], expect: Option<Expect<'_>>| {
                let mut b = BatchBuilder::new();
                let op = Op {
                    kind: op::PUT,
                    flags: 0,
                    codec: 0,
                    level: 0,
                    unit: 0,
                    db,
                    key: b"k",
                    value: Some(value),
                    expect,
                };
                b.push_op(&op);
                b.finish()
            };
            open.exec(shared, &put(b"v1", None)).unwrap();
            let swapped = open.exec(shared, &put(b"v2", Some(Expect::Value(b"v1")))).unwrap();
            assert_eq!(swapped[0].as_ref().unwrap(), &Outcome::Done(true));
            assert!(open.regrow(shared), "the same steps replay");
            // as if another value had been there: the check fails in the replay
            open.replay.as_mut().unwrap().steps[0] = Step::Exec(put(b"other", None), vec![Ok(Outcome::Done(true))]);
            assert!(!open.regrow(shared), "a check that goes otherwise ends it");
        });
    }

    /// The keys of a chunk.
    fn keys(chunk: &Chunk) -> Vec<Vec<u8>> {
        let mut at = 0;
        let mut keys = Vec::new();
        for pair in chunk.out.lens.chunks(2) {
            let n = pair[0] as usize;
            keys.push(chunk.out.data[at..at + n].to_vec());
            at += n + pair[1].max(0) as usize;
        }
        keys
    }

    #[test]
    fn a_range_in_a_write_transaction_sees_its_writes_in_the_database_order() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::open(dir.path(), &EnvOptions { sync: false, max_dbs: 2, ..Default::default() }).unwrap();
        let flags = DbFlags { reverse_key: true, ..Default::default() };
        let db = env.open_db(Some("rev"), flags, true).unwrap();
        let shared = env.shared_ref();
        let mut txn = env.exclusive().unwrap();
        let open = txn.open.as_mut().unwrap();
        let mut b = BatchBuilder::new();
        for key in [b"ab", b"ba", b"ca"] {
            b.push(op::PUT, 0, 0, db, key, Some(b"v"));
        }
        open.exec(shared, &b.finish()).unwrap();
        // reverseKey compares from the last byte: ba < ca < ab
        let mut all = Walk::new(db, RangeOptions::default());
        let chunk = open.range(shared, &mut all, 10).unwrap();
        assert!(chunk.done);
        assert_eq!(keys(&chunk), [b"ba".to_vec(), b"ca".to_vec(), b"ab".to_vec()]);
        let from = RangeOptions { start: std::ops::Bound::Included(b"ca".to_vec()), ..Default::default() };
        let mut walk = Walk::new(db, from);
        assert_eq!(keys(&open.range(shared, &mut walk, 1).unwrap()), [b"ca".to_vec()]);
        // a write between chunks is seen by the next one
        let mut b = BatchBuilder::new();
        b.push(op::PUT, 0, 0, db, b"zb", Some(b"v"));
        open.exec(shared, &b.finish()).unwrap();
        assert_eq!(keys(&open.range(shared, &mut walk, 10).unwrap()), [b"ab".to_vec(), b"zb".to_vec()]);
        // and its chunks are replayed, checked like any other step
        assert!(open.regrow(shared), "the same steps replay");
        if let Some(Step::Range(_, _, read)) = open.replay.as_mut().unwrap().steps.last_mut() {
            read.data[0] ^= 1; // as if the callback had been told of other bytes
        }
        assert!(!open.regrow(shared), "a chunk that reads otherwise ends it");
    }
}
