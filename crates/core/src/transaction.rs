//! Explicit write transactions: `env.transaction(fn)` and `transactionSync`.
//!
//! An explicit transaction takes a turn in the order of writes. When its
//! turn comes, the writer thread begins it and serves its messages (batches
//! of operations, reads included, nested transactions, the end) until it
//! commits or aborts; later turns wait. JavaScript drives it between
//! messages, so the gate is held per message, not across them: LMDB itself
//! refuses to resize the map while a write transaction is open.
//!
//! `Exclusive` (for `transactionSync`) takes a turn that makes the writer
//! step aside, and runs the transaction on the calling thread instead.
//!
//! A database created inside a transaction that then aborts is closed by
//! LMDB; its handle is retired here so that no one uses a dead handle.
//!
//! The callback cannot be run again, but what it sent can: with `auto_grow`,
//! a transaction that fills the map is aborted, the map grown, and its
//! batches (reads too) and nested steps applied again (`regrow`). The
//! callback saw nothing but what those steps gave; if each gives the same
//! again, the replay is what the callback would have done in the grown map,
//! even if another process committed in between (as it may: aborting lets
//! its writers in). If one gives something else, the transaction fails.
//! Transactions that create or delete databases (their handles would
//! change) or that sent and were sent more than `REPLAY_MAX_BYTES` are not
//! replayed.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;

use parking_lot::Mutex;

use lmdb_master_sys as ffi;

use crate::batch::{self, DbRef};
use crate::env::{Busy, Env, Shared};
use crate::error::{Error, Result};
use crate::group::{grow, grow_ahead};
use crate::ops::{apply_unit, Outcome, Puts};
use crate::options::put_flags;
use crate::panic::guard;
use crate::range::{Chunk, Walk};
use crate::read::ReadOutput;
use crate::txn::RawTxn;
use crate::writer::{create, BatchResult, Done, Inbox, Msg, Turn};

/// Called once when a nested transaction or a transaction ends.
pub type Ended = Box<dyn FnOnce(Result<()>) + Send>;

/// The turn of an explicit transaction.
pub(crate) struct Begin {
    id: u64,
}

/// A message to an explicit transaction.
pub(crate) enum TxnMsg {
    /// A batch of operations (reads and writes) in the transaction.
    Exec { bytes: Vec<u8>, done: Done, busy: Busy },
    /// The next chunk of a range read in the innermost open transaction.
    Range { walk: Arc<Mutex<Walk>>, max: usize, done: Box<dyn FnOnce(Result<Chunk>) + Send>, busy: Busy },
    /// Begin, commit or abort a nested transaction.
    Nested { action: Nest, done: Ended },
    /// Commit or abort the transaction.
    End { commit: bool, done: Ended },
}

/// What to do with a nested transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nest {
    /// Begin one inside the innermost open transaction.
    Begin,
    /// Merge the innermost one into its parent.
    Commit,
    /// Throw the innermost one away.
    Abort,
}

impl TxnMsg {
    /// Settles the message without running it.
    fn refuse(self, e: Error) {
        match self {
            TxnMsg::Exec { done, .. } => done(Err(e)),
            TxnMsg::Range { done, .. } => done(Err(e)),
            TxnMsg::Nested { done, .. } | TxnMsg::End { done, .. } => done(Err(e)),
        }
    }
}

/// What a handle knows of its open transactions, to abort them on close.
pub(crate) struct TxnLink {
    id: u64,
    tx: Sender<Msg>,
    ended: AtomicBool,
}

impl TxnLink {
    /// Aborts the transaction unless it has ended (close of its handle).
    pub(crate) fn abort(&self) {
        if !self.ended.swap(true, Ordering::AcqRel) {
            let _ = self.tx.send(Msg::Txn(self.id, TxnMsg::End { commit: false, done: Box::new(|_| {}) }));
        }
    }
}

/// An explicit write transaction, run by the writer thread.
pub struct WriteTxn {
    env: Env,
    link: Arc<TxnLink>,
}

impl Env {
    /// Begins an explicit write transaction in the next place in the order
    /// of writes. It starts when the turns ahead of it are done; messages
    /// sent meanwhile wait for it.
    pub fn begin_write(&self) -> Result<WriteTxn> {
        let ticket = self.ticket()?;
        let id = ticket.sender_seq();
        let link = Arc::new(TxnLink { id, tx: ticket.sender().clone(), ended: AtomicBool::new(false) });
        // The turn holds no `Busy`: a transaction left hanging must not keep
        // `close` waiting (close aborts it instead).
        ticket.take(|_busy| Turn::Begin(Begin { id }))?;
        self.track(Arc::downgrade(&link));
        Ok(WriteTxn { env: self.clone(), link })
    }
}

impl WriteTxn {
    /// The handle the transaction belongs to.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// Runs a batch (see `batch.rs`; reads too) in the innermost open
    /// transaction. `busy` is an operation of the transaction's handle, taken
    /// when the call was made.
    pub fn exec(&self, busy: Busy, bytes: Vec<u8>, done: impl FnOnce(BatchResult) + Send + 'static) {
        if self.link.ended.load(Ordering::Acquire) {
            return done(Err(Error::Closed("transaction")));
        }
        self.send(TxnMsg::Exec { bytes, done: Box::new(done), busy });
    }

    /// Reads the next chunk (at most `max` entries) of `walk` in the
    /// innermost open transaction: it sees the transaction's writes.
    pub fn range(
        &self,
        busy: Busy,
        walk: Arc<Mutex<Walk>>,
        max: usize,
        done: impl FnOnce(Result<Chunk>) + Send + 'static,
    ) {
        if self.link.ended.load(Ordering::Acquire) {
            return done(Err(Error::Closed("transaction")));
        }
        self.send(TxnMsg::Range { walk, max, done: Box::new(done), busy });
    }

    /// Begins, commits or aborts a nested transaction.
    pub fn nested(&self, action: Nest, done: impl FnOnce(Result<()>) + Send + 'static) {
        // after the end the writer no longer serves it: the message would wait for ever
        if self.link.ended.load(Ordering::Acquire) {
            return done(Err(Error::Closed("transaction")));
        }
        self.send(TxnMsg::Nested { action, done: Box::new(done) });
    }

    /// Commits or aborts the transaction. Later messages fail with `Closed`.
    pub fn end(&self, commit: bool, done: impl FnOnce(Result<()>) + Send + 'static) {
        if self.link.ended.swap(true, Ordering::AcqRel) {
            return done(Err(Error::Closed("transaction")));
        }
        self.send(TxnMsg::End { commit, done: Box::new(done) });
    }

    fn send(&self, msg: TxnMsg) {
        if let Err(mpsc::SendError(Msg::Txn(_, msg))) = self.link.tx.send(Msg::Txn(self.link.id, msg)) {
            msg.refuse(Error::Closed("environment"));
        }
    }
}

impl Drop for WriteTxn {
    /// A transaction dropped unended aborts.
    fn drop(&mut self) {
        self.link.abort();
    }
}

fn needs_dbis(op: &batch::Op<'_>) -> bool {
    op.kind == batch::op::DROP && (op.flags & put_flags::DELETE_DB != 0 || op.db.dbi == crate::dbi::MAIN_DBI)
}

/// Most bytes of batches and their results a transaction keeps to replay.
const REPLAY_MAX_BYTES: usize = 64 << 20;

/// A transaction's steps so far, to apply again in a grown map.
#[derive(Default)]
struct Replay {
    steps: Vec<Step>,
    bytes: usize,
}

enum Step {
    /// A batch, and what each of its units gave (errors by code).
    Exec(Vec<u8>, Vec<std::result::Result<Outcome, &'static str>>),
    /// A range's chunk: the walk as it stood, the count asked for, and what it read.
    Range(Box<Walk>, usize, ReadOutput),
    Nested(Nest),
}

impl Step {
    /// About the memory it keeps.
    fn size(&self) -> usize {
        match self {
            Step::Exec(bytes, gave) => {
                let values = gave.iter().map(|g| match g {
                    Ok(Outcome::Value(Some(v))) => v.len(),
                    _ => 0,
                });
                bytes.len() + values.sum::<usize>() + std::mem::size_of_val(&gave[..])
            }
            Step::Range(_, _, read) => read.data.len() + 8 * read.lens.len(),
            Step::Nested(_) => 0,
        }
    }
}

/// What a batch gave, comparable.
fn summary(results: &[Result<Outcome>]) -> Vec<std::result::Result<Outcome, &'static str>> {
    results.iter().map(|r| r.as_ref().map_err(|e| e.code()).cloned()).collect()
}

/// The map filled up in a transaction that can be replayed.
struct Full;

/// The state of an open transaction and its nested ones.
struct Open {
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
    fn begin(shared: &Shared) -> Result<Open> {
        grow_ahead(shared);
        let root = begin_root(shared)?;
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
            if !matches!(grow(shared), Ok(true)) {
                return false;
            }
            match begin_root(shared) {
                Ok(root) => self.stack.push(root),
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
                    match self.apply(shared, &ops, true) {
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
    fn guarded<T>(&mut self, work: impl FnOnce(&mut Open) -> Result<T>) -> Result<T> {
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

    /// Runs a batch: each unit atomically (a multi-operation unit in a
    /// nested transaction, unless the map is writable, where LMDB has none).
    fn exec(&mut self, shared: &Shared, bytes: &[u8]) -> BatchResult {
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
        let ops = batch::parse(bytes)?;
        if ops.iter().any(needs_dbis) {
            self.replay = None;
        }
        loop {
            let replayable = self.replay.is_some();
            match self.apply(shared, &ops, replayable)? {
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
    /// replayed in a bigger map.
    fn apply(
        &mut self,
        shared: &Shared,
        ops: &[batch::Op<'_>],
        replayable: bool,
    ) -> Result<std::result::Result<Vec<Result<Outcome>>, Full>> {
        // Drops that need the handle table take it before the gate, in the
        // order every path takes them (see `group.rs`).
        let mut names = ops.iter().any(needs_dbis).then(|| shared.dbis.lock());
        let _gate = shared.enter()?;
        let mut results = Vec::new();
        for unit in ops.chunk_by(|a, b| a.unit == b.unit) {
            let result = if unit.len() > 1 && !shared.options.writemap {
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

    /// The next chunk of `walk`, in the innermost transaction.
    fn range(&mut self, shared: &Shared, walk: &mut Walk, max: usize) -> Result<Chunk> {
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

    fn nested(&mut self, shared: &Shared, action: Nest) -> Result<()> {
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
    fn end(mut self, shared: &Shared, commit: bool) -> Result<()> {
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
            let _ = grow(shared);
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

    /// Creates (or finds) a database inside the transaction.
    fn create_db(&mut self, shared: &Shared, name: Option<&str>, flags: crate::options::DbFlags) -> Result<DbRef> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let mut names = shared.dbis.lock();
        if let Some(&dbi) = names.get(&name.map(str::to_owned)) {
            return Ok(shared.remember_db(&mut names, name, dbi));
        }
        // a replay could not make the same handle again
        self.replay = None;
        let _gate = shared.enter()?;
        let dbi = shared.create_db(self.top(), name, flags)?;
        self.created.push((dbi, self.stack.len() - 1));
        Ok(shared.remember_db(&mut names, name, dbi))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.unwind();
    }
}

/// Serves a message that came while no explicit transaction is open.
pub(crate) fn serve_outside(shared: &Shared, inbox: &mut Inbox, msg: Msg) -> ControlFlow<()> {
    match msg {
        Msg::Stop => return ControlFlow::Break(()),
        Msg::CreateDb { name, flags, reply } => {
            let _ = reply.send(guard(|| create(shared, name.as_deref(), flags)));
        }
        Msg::Txn(id, msg) => early(inbox, id, msg),
        Msg::Turn(..) => unreachable!("turns are kept in the inbox"),
    }
    ControlFlow::Continue(())
}

/// A message to a transaction that is not running. If its turn has passed,
/// it has ended: the message is late (sent as `close` aborted it, say) and is
/// refused, not kept for ever. If its turn has not come, an abort cancels it
/// (it will not begin), anything else waits for it.
fn early(inbox: &mut Inbox, id: u64, msg: TxnMsg) {
    match msg {
        msg if inbox.passed(id) => msg.refuse(Error::Closed("transaction")),
        TxnMsg::End { commit: false, done } => {
            inbox.cancelled.insert(id);
            for waiting in inbox.stash.remove(&id).unwrap_or_default() {
                waiting.refuse(Error::Closed("transaction"));
            }
            done(Ok(()));
        }
        msg if inbox.cancelled.contains(&id) => msg.refuse(Error::Closed("transaction")),
        msg => inbox.stash.entry(id).or_default().push(msg),
    }
}

/// Begins a root write transaction, adopting a map another process grew.
fn begin_root(shared: &Shared) -> Result<RawTxn> {
    loop {
        let gate = shared.enter()?;
        // SAFETY: the gate is held; the transaction stays on this thread.
        match unsafe { RawTxn::begin(shared.raw(), None, 0) } {
            Ok(txn) => return Ok(txn),
            Err(Error::Lmdb(ffi::MDB_MAP_RESIZED)) => {
                drop(gate);
                shared.adopt_map_size()?;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Runs an explicit transaction whose turn has come, until it ends.
pub(crate) fn serve(shared: &Shared, inbox: &mut Inbox, begin: Begin) -> ControlFlow<()> {
    let id = begin.id;
    let waiting = inbox.stash.remove(&id).unwrap_or_default();
    if inbox.cancelled.remove(&id) {
        return ControlFlow::Continue(());
    }
    let mut open = match Open::begin(shared) {
        Ok(open) => Some(open),
        Err(e) => {
            // fails every message of the transaction (later ones: see `early`)
            for msg in waiting {
                msg.refuse(e.clone());
            }
            return ControlFlow::Continue(());
        }
    };
    let handle = |msg: TxnMsg, open: &mut Option<Open>| match msg {
        TxnMsg::Exec { bytes, done, busy } => {
            let result = open.as_mut().expect("open").guarded(|open| open.exec(shared, &bytes));
            drop(busy);
            done(result);
            false
        }
        TxnMsg::Range { walk, max, done, busy } => {
            let result = open.as_mut().expect("open").guarded(|open| open.range(shared, &mut walk.lock(), max));
            drop(busy);
            done(result);
            false
        }
        TxnMsg::Nested { action, done } => {
            done(open.as_mut().expect("open").guarded(|open| open.nested(shared, action)));
            false
        }
        TxnMsg::End { commit, done } => {
            // a panic while ending drops what is open: it aborts
            let open = open.take().expect("open");
            done(guard(|| open.end(shared, commit)));
            true
        }
    };
    for msg in waiting {
        if handle(msg, &mut open) {
            return ControlFlow::Continue(());
        }
    }
    loop {
        match inbox.other(true) {
            None | Some(Some(Msg::Stop)) => {
                if let Some(open) = open.take() {
                    let _ = open.end(shared, false);
                }
                return ControlFlow::Break(());
            }
            Some(None) => {} // a turn: it waits
            Some(Some(Msg::Txn(tid, msg))) if tid == id => {
                if handle(msg, &mut open) {
                    return ControlFlow::Continue(());
                }
            }
            Some(Some(Msg::Txn(tid, msg))) => early(inbox, tid, msg),
            Some(Some(Msg::CreateDb { name, flags, reply })) => {
                let created =
                    open.as_mut().expect("open").guarded(|open| open.create_db(shared, name.as_deref(), flags));
                let _ = reply.send(created);
            }
            Some(Some(Msg::Turn(..))) => unreachable!("turns are kept in the inbox"),
        }
    }
}

/// A write transaction run on the calling thread while the writer steps
/// aside (`transactionSync`). Dropped unended, it aborts.
pub struct Exclusive {
    open: Option<Open>,
    env: Env,
    busy: Option<Busy>,
    /// Dropped once the transaction has ended: the writer goes on.
    resume: Option<Sender<()>>,
}

impl Env {
    /// Waits (blocking) for the writer to reach this turn, then begins a
    /// write transaction on the calling thread. Never call it from a thread
    /// that an open explicit transaction of this environment waits on.
    pub fn exclusive(&self) -> Result<Exclusive> {
        let ticket = self.ticket()?;
        let (ready, is_ready) = mpsc::channel();
        let (resume, resumed) = mpsc::channel();
        ticket.take(|_busy| Turn::Pause { ready, resume: resumed })?;
        is_ready.recv().map_err(|_| Error::Closed("environment"))?;
        let busy = self.busy()?;
        let open = Open::begin(busy.shared())?;
        Ok(Exclusive { open: Some(open), env: self.clone(), busy: Some(busy), resume: Some(resume) })
    }
}

impl Exclusive {
    /// Runs a batch (reads too) in the innermost open transaction.
    pub fn exec(&mut self, bytes: &[u8]) -> BatchResult {
        let shared = self.env.shared_ref();
        self.open.as_mut().ok_or(Error::Closed("transaction"))?.guarded(|open| open.exec(shared, bytes))
    }

    /// Begins, commits or aborts a nested transaction.
    pub fn nested(&mut self, action: Nest) -> Result<()> {
        let shared = self.env.shared_ref();
        self.open.as_mut().ok_or(Error::Closed("transaction"))?.guarded(|open| open.nested(shared, action))
    }

    /// Commits or aborts; then the writer goes on.
    pub fn end(&mut self, commit: bool) -> Result<()> {
        let shared = self.env.shared_ref();
        let open = self.open.take().ok_or(Error::Closed("transaction"))?;
        let result = guard(|| open.end(shared, commit));
        self.resume.take();
        self.busy.take();
        result
    }
}

impl Drop for Exclusive {
    fn drop(&mut self) {
        if self.open.is_some() {
            let _ = self.end(false);
        }
    }
}

/// Ids of transactions aborted before their turn (see `early`).
pub(crate) type Cancelled = HashSet<u64>;

#[cfg(test)]
mod tests {
    use super::{Outcome, Step};
    use crate::*;

    /// A get of `key`, as the binding sends it.
    fn get(db: DbRef, key: &[u8]) -> Vec<u8> {
        let mut b = BatchBuilder::new();
        b.push(op::GET, 0, 0, db, key, None);
        b.finish()
    }

    #[test]
    fn a_replay_goes_on_only_if_every_step_gives_what_it_gave() {
        let dir = tempfile::tempdir().unwrap();
        let env = Env::open(dir.path(), &EnvOptions { map_size: 1 << 20, sync: false, ..Default::default() }).unwrap();
        let db = env.open_db(None, DbFlags::default(), true).unwrap();
        let shared = env.shared_ref();
        let mut txn = env.exclusive().unwrap();
        let open = txn.open.as_mut().unwrap();
        assert_eq!(open.exec(shared, &get(db, b"k")).unwrap()[0].as_ref().unwrap(), &Outcome::Value(None));
        assert!(open.regrow(shared), "the same steps replay");
        // as if the callback had been told of a value the replay does not find
        open.replay.as_mut().unwrap().steps[0] =
            Step::Exec(get(db, b"k"), vec![Ok(Outcome::Value(Some(b"v".to_vec())))]);
        assert!(!open.regrow(shared), "a step that gives something else ends it");
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
