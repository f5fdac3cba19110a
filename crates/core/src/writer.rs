//! The writer thread: one per environment, owner of every write transaction.
//!
//! Batches queued while it is busy are committed together (group commit):
//! it takes one, drains whatever else is waiting, applies all of it in one
//! transaction and commits once; every batch's completion then receives its
//! results. A unit that fails alone (a bad value size, a deleted database)
//! is left out and the rest is replayed, so it rejects alone and the others
//! commit. On MDB_MAP_FULL with `auto_grow` the map is doubled and the whole
//! transaction retried.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use lmdb_master_sys as ffi;

use crate::batch::{self, op, DbRef, Op};
use crate::dbi::MAIN_DBI;
use crate::env::{Busy, Env, Shared};
use crate::error::{Error, Result};
use crate::ops::{apply_unit, Outcome};
use crate::options::{put_flags, DbFlags};
use crate::txn::RawTxn;

/// A group stops draining the queue past this many bytes of operations.
const GROUP_MAX_BYTES: usize = 64 << 20;

/// The results of a batch, one per unit, in unit order.
pub type BatchResult = Result<Vec<Result<Outcome>>>;

/// Called once with a batch's results, on the writer thread.
pub type Done = Box<dyn FnOnce(BatchResult) + Send>;

pub(crate) enum Msg {
    Batch(Batch),
    /// A ticket given up: its place in the order is empty.
    Skip(u64),
    CreateDb {
        name: Option<String>,
        flags: DbFlags,
        reply: Sender<Result<DbRef>>,
    },
    Stop,
}

pub(crate) struct Batch {
    seq: u64,
    bytes: Vec<u8>,
    done: Option<Done>,
    _busy: Busy,
}

impl Batch {
    fn finish(mut self, result: BatchResult) {
        if let Some(done) = self.done.take() {
            done(result);
        }
    }
}

impl Drop for Batch {
    /// A batch that never ran (its queue went away) still settles.
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            done(Err(Error::Closed("environment")));
        }
    }
}

pub(crate) struct Writer {
    tx: Sender<Msg>,
    thread: JoinHandle<()>,
}

impl Writer {
    pub(crate) fn spawn(shared: Arc<Shared>) -> Result<Writer> {
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("lmdb-napi-writer".into())
            .spawn(move || run(&shared, Inbox { rx, expected: 0, early: BTreeMap::new() }))?;
        Ok(Writer { tx, thread })
    }

    pub(crate) fn sender(&self) -> Sender<Msg> {
        self.tx.clone()
    }

    /// Ends the thread after the messages already queued. When the last
    /// handle is released on the writer thread itself, it cannot join itself:
    /// it then finds the queue closed and ends on its own.
    pub(crate) fn stop(self) {
        let _ = self.tx.send(Msg::Stop);
        if self.thread.thread().id() != std::thread::current().id() {
            let _ = self.thread.join();
        }
    }
}

/// A place in the order of writes, taken on the calling thread. A batch that
/// must be prepared elsewhere first (compressed on the libuv pool) keeps the
/// place it was issued in: the writer takes batches in ticket order.
pub struct Ticket {
    seq: u64,
    tx: Sender<Msg>,
    busy: Option<Busy>,
}

impl Ticket {
    /// Queues the batch (see `batch.rs`) in the ticket's place. `done` is
    /// called exactly once, with one result per unit after the commit, or
    /// with the error that kept the batch from running.
    pub fn submit(mut self, bytes: Vec<u8>, done: impl FnOnce(BatchResult) + Send + 'static) {
        let busy = self.busy.take().expect("a ticket is submitted once");
        // A failed send drops the batch, whose Drop settles it as closed.
        let _ = self.tx.send(Msg::Batch(Batch { seq: self.seq, bytes, done: Some(Box::new(done)), _busy: busy }));
    }
}

impl Drop for Ticket {
    /// An unused ticket frees its place, so the batches behind it go on.
    fn drop(&mut self) {
        if self.busy.is_some() {
            let _ = self.tx.send(Msg::Skip(self.seq));
        }
    }
}

impl Env {
    /// Takes the next place in the order of writes; fails when the handle is
    /// closed or the environment read-only (EACCES).
    pub fn ticket(&self) -> Result<Ticket> {
        let busy = self.busy()?;
        let tx = busy.shared().writer_sender()?;
        let seq = busy.shared().next_seq();
        Ok(Ticket { seq, tx, busy: Some(busy) })
    }

    /// Queues a batch in the next place: `ticket()` then `submit`, with
    /// `done` told of a failure to get the ticket.
    pub fn write(&self, bytes: Vec<u8>, done: impl FnOnce(BatchResult) + Send + 'static) {
        match self.ticket() {
            Ok(ticket) => ticket.submit(bytes, done),
            Err(e) => done(Err(e)),
        }
    }
}

/// The writer's queue, read in ticket order: a batch that arrives before the
/// ones ahead of it waits in `early`.
struct Inbox {
    rx: Receiver<Msg>,
    expected: u64,
    early: BTreeMap<u64, Option<Batch>>,
}

impl Inbox {
    /// The next message: batches in ticket order, others as they come.
    /// `None` when nothing is ready (`wait` false) or the queue is closed.
    fn next(&mut self, wait: bool) -> Option<Msg> {
        loop {
            if let Some(entry) = self.early.remove(&self.expected) {
                self.expected += 1;
                match entry {
                    Some(batch) => return Some(Msg::Batch(batch)),
                    None => continue,
                }
            }
            let msg = if wait { self.rx.recv().ok()? } else { self.rx.try_recv().ok()? };
            match msg {
                Msg::Batch(batch) => {
                    self.early.insert(batch.seq, Some(batch));
                }
                Msg::Skip(seq) => {
                    self.early.insert(seq, None);
                }
                other => return Some(other),
            }
        }
    }
}

/// Asks the writer to create a database and waits for it.
pub(crate) fn create_db(tx: &Sender<Msg>, name: Option<String>, flags: DbFlags) -> Result<DbRef> {
    let (reply, answer) = mpsc::channel();
    tx.send(Msg::CreateDb { name, flags, reply }).map_err(|_| Error::Closed("environment"))?;
    answer.recv().map_err(|_| Error::Closed("environment"))?
}

fn run(shared: &Shared, mut inbox: Inbox) {
    let mut next = None;
    loop {
        let Some(msg) = next.take().or_else(|| inbox.next(true)) else { return };
        match msg {
            Msg::Stop => return,
            Msg::Skip(_) => unreachable!("the inbox consumes skips"),
            Msg::CreateDb { name, flags, reply } => {
                let _ = reply.send(create(shared, name.as_deref(), flags));
            }
            Msg::Batch(first) => {
                let mut size = first.bytes.len();
                let mut group = vec![first];
                while size < GROUP_MAX_BYTES {
                    match inbox.next(false) {
                        Some(Msg::Batch(b)) => {
                            size += b.bytes.len();
                            group.push(b);
                        }
                        Some(other) => {
                            next = Some(other);
                            break;
                        }
                        None => break,
                    }
                }
                // A panic must not take the writer (and every later write)
                // down: the group's batches settle as failed when dropped.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commit_group(shared, group)));
            }
        }
    }
}

fn create(shared: &Shared, name: Option<&str>, flags: DbFlags) -> Result<DbRef> {
    let mut names = shared.dbis.lock();
    if let Some(&dbi) = names.get(&name.map(str::to_owned)) {
        return Ok(shared.remember_db(&mut names, name, dbi));
    }
    let dbi = transact(shared, |txn| shared.create_db(txn, name, flags).map(Some))?;
    Ok(shared.remember_db(&mut names, name, dbi))
}

/// One unit: consecutive operations of one batch sharing a unit number.
struct Unit<'a> {
    batch: usize,
    ops: &'a [Op<'a>],
}

impl Unit<'_> {
    /// A drop that needs the handle table: deleting a named database closes
    /// its handle at once, even if the transaction is later aborted, and
    /// emptying the main database lists the named ones. Such a unit runs in a
    /// transaction of its own, with the table locked before the gate is
    /// entered (the order every other path takes them in).
    fn needs_dbis(&self) -> bool {
        matches!(self.ops, [op] if op.kind == op::DROP && (op.flags & put_flags::DELETE_DB != 0 || op.db.dbi == MAIN_DBI))
    }

    fn deletes_db(&self) -> bool {
        matches!(self.ops, [op] if op.kind == op::DROP && op.flags & put_flags::DELETE_DB != 0)
    }
}

fn commit_group(shared: &Shared, group: Vec<Batch>) {
    let parsed: Vec<Result<Vec<Op<'_>>>> = group.iter().map(|b| batch::parse(&b.bytes)).collect();
    let mut units = Vec::new();
    for (i, ops) in parsed.iter().enumerate() {
        if let Ok(ops) = ops {
            units.extend(ops.chunk_by(|a, b| a.unit == b.unit).map(|ops| Unit { batch: i, ops }));
        }
    }
    let mut results: Vec<Result<Outcome>> = Vec::with_capacity(units.len());
    for segment in units.chunk_by(|a, b| !a.needs_dbis() && !b.needs_dbis()) {
        if segment[0].needs_dbis() {
            let db = segment[0].ops[0].db;
            let mut names = shared.dbis.lock();
            let checked = shared.dbis.check(db);
            let outcome = run_segment(shared, segment);
            if checked.is_ok() && segment[0].deletes_db() && outcome[0].is_ok() {
                shared.dbis.retire(&mut names, db.dbi);
            }
            results.extend(outcome);
        } else {
            results.extend(run_segment(shared, segment));
        }
    }
    let mut results = results.into_iter();
    let mut per_batch: Vec<Vec<Result<Outcome>>> = group.iter().map(|_| Vec::new()).collect();
    for unit in &units {
        per_batch[unit.batch].push(results.next().expect("one result per unit"));
    }
    drop(units);
    let parsed: Vec<Result<()>> = parsed.into_iter().map(|p| p.map(|_| ())).collect();
    for ((batch, parsed), outcomes) in group.into_iter().zip(parsed).zip(per_batch) {
        batch.finish(parsed.map(|_| outcomes));
    }
}

/// Runs units in one transaction; units that fail alone are left out.
fn run_segment(shared: &Shared, units: &[Unit<'_>]) -> Vec<Result<Outcome>> {
    let mut failed: Vec<Option<Error>> = units.iter().map(|_| None).collect();
    let applied = transact(shared, |txn| {
        let mut outcomes = Vec::with_capacity(units.len());
        for (i, unit) in units.iter().enumerate() {
            if failed[i].is_some() {
                outcomes.push(None);
                continue;
            }
            match apply_unit(shared, txn, unit.ops) {
                Ok(outcome) => outcomes.push(Some(outcome)),
                Err((e, wrote)) if e.is_local() => {
                    failed[i] = Some(e);
                    if wrote {
                        return Ok(None); // undo its partial writes: replay without it
                    }
                    outcomes.push(None);
                }
                Err((e, _)) => return Err(e),
            }
        }
        Ok(Some(outcomes))
    });
    match applied {
        Ok(outcomes) => outcomes
            .into_iter()
            .zip(failed)
            .map(|(outcome, failure)| match failure {
                Some(e) => Err(e),
                None => Ok(outcome.expect("a unit that did not fail has an outcome")),
            })
            .collect(),
        // A group too big for the map (or one transaction) as a whole: each
        // unit on its own, so only the ones that cannot fit fail.
        Err(Error::Lmdb(ffi::MDB_MAP_FULL | ffi::MDB_TXN_FULL)) if units.len() > 1 => units
            .iter()
            .zip(failed)
            .map(|(unit, failure)| match failure {
                Some(e) => Err(e),
                None => run_segment(shared, std::slice::from_ref(unit)).remove(0),
            })
            .collect(),
        Err(e) => failed.into_iter().map(|f| Err(f.unwrap_or_else(|| e.clone()))).collect(),
    }
}

/// Runs `body` in a write transaction and commits; `body` returning
/// `Ok(None)` asks for the transaction to be aborted and run again. Adopts a
/// map grown by another process, and grows a full map when allowed.
fn transact<T>(shared: &Shared, mut body: impl FnMut(&RawTxn) -> Result<Option<T>>) -> Result<T> {
    loop {
        let gate = shared.enter()?;
        // SAFETY: the gate is held, and write transactions only live on this thread.
        let txn = match unsafe { RawTxn::begin(shared.raw(), None, 0) } {
            Ok(txn) => txn,
            Err(Error::Lmdb(ffi::MDB_MAP_RESIZED)) => {
                drop(gate);
                shared.adopt_map_size()?;
                continue;
            }
            Err(e) => return Err(e),
        };
        let result = match body(&txn) {
            Ok(Some(value)) => txn.commit().map(|_| Some(value)),
            other => {
                drop(txn); // aborted while the gate is still held
                other
            }
        };
        drop(gate);
        match result {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => continue,
            Err(Error::Lmdb(ffi::MDB_MAP_FULL)) if grow(shared)? => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Doubles the map, up to `max_map_size`; false when growing is off or capped.
fn grow(shared: &Shared) -> Result<bool> {
    if !shared.options.auto_grow {
        return Ok(false);
    }
    let current = shared.map_size()?;
    let cap = shared.options.max_map_size.unwrap_or(usize::MAX);
    if current >= cap {
        return Ok(false);
    }
    let page = 1 << 16;
    let doubled = current.saturating_mul(2).div_ceil(page).saturating_mul(page);
    shared.resize(doubled.min(cap))?;
    Ok(true)
}
