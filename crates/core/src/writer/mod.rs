//! The writer thread: one per environment, owner of every write transaction.
//!
//! Work that writes takes a *turn*: a place in the order of writes, given
//! on the calling thread by a `Ticket`. The writer serves turns in ticket
//! order, whatever order they arrive in (a batch compressed on the libuv pool
//! first still keeps its place). A turn is one of:
//!
//! - a batch: the writer applies it, takes in the batches that come behind it
//!   meanwhile, and commits them together (group commit, `group.rs`);
//! - an explicit transaction (`transaction.rs`): the writer holds it open and
//!   serves its operations until it commits or aborts, while later turns wait;
//! - a pause: the writer steps aside while another thread runs a write
//!   transaction itself (`transactionSync`).

use std::collections::{BTreeMap, HashMap};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::batch::DbRef;
use crate::env::{Busy, Env, Shared};
use crate::error::{Error, Result};
use crate::group::{stream_group, transact};
use crate::ops::Outcome;
use crate::options::DbFlags;
use crate::panic::guard;
use crate::spare;
use crate::transaction::{self, Begin, Cancelled, TxnMsg};

/// A group stops draining the queue past this many bytes of operations.
const GROUP_MAX_BYTES: usize = 64 << 20;

/// How long the writer holds a group open for the rest of a batch sent in
/// parts (`Ticket::submit_as`). JavaScript packs a part in a few
/// milliseconds; past this the parts so far commit on their own.
const PART_WAIT: Duration = Duration::from_millis(50);

/// The results of a batch, one per unit, in unit order.
pub type BatchResult = Result<Vec<Result<Outcome>>>;

/// Called once with a batch's results, on the writer thread.
pub type Done = Box<dyn FnOnce(BatchResult) + Send>;

pub(crate) enum Msg {
    /// Work in its place in the order of writes.
    Turn(u64, Turn),
    /// A message to the explicit transaction with this id.
    Txn(u64, TxnMsg),
    CreateDb {
        name: Option<String>,
        flags: DbFlags,
        reply: Sender<Result<DbRef>>,
    },
    Stop,
}

pub(crate) enum Turn {
    Batch(Batch),
    Begin(Begin),
    /// The writer waits, with no transaction open, until `resume` is dropped.
    Pause {
        ready: Sender<()>,
        resume: Receiver<()>,
    },
    /// A ticket given up: its place is empty.
    Skip,
}

pub(crate) struct Batch {
    bytes: Vec<u8>,
    /// More of the same tick's writes follow (see `Ticket::submit_as`).
    part: bool,
    done: Option<Done>,
    _busy: Busy,
}

impl Batch {
    pub(crate) fn new(bytes: Vec<u8>, part: bool, done: Done, busy: Busy) -> Batch {
        Batch { bytes, part, done: Some(done), _busy: busy }
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub(crate) fn finish(mut self, result: BatchResult) {
        if let Some(done) = self.done.take() {
            done(result);
        }
    }
}

impl Drop for Batch {
    /// A batch that never ran (its queue went away, or the writer panicked
    /// while applying it) still settles. Its bytes go back to the pool they
    /// were likely taken from.
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            done(Err(if std::thread::panicking() {
                Error::Panic("the writer thread panicked while applying this batch".into())
            } else {
                Error::Closed("environment")
            }));
        }
        spare::give_back(std::mem::take(&mut self.bytes));
    }
}

pub(crate) struct Writer {
    tx: Sender<Msg>,
    thread: JoinHandle<()>,
}

impl Writer {
    pub(crate) fn spawn(shared: Arc<Shared>) -> Result<Writer> {
        let (tx, rx) = mpsc::channel();
        let thread =
            std::thread::Builder::new().name("lmdb-napi-writer".into()).spawn(move || run(&shared, Inbox::new(rx)))?;
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

/// A place in the order of writes, taken on the calling thread.
pub struct Ticket {
    seq: u64,
    tx: Sender<Msg>,
    busy: Option<Busy>,
}

impl Ticket {
    /// Queues the batch (see `batch.rs`) in the ticket's place. `done` is
    /// called exactly once, with one result per unit after the commit, or
    /// with the error that kept the batch from running.
    pub fn submit(self, bytes: Vec<u8>, done: impl FnOnce(BatchResult) + Send + 'static) {
        self.submit_as(bytes, false, done);
    }

    /// `submit`, saying whether the batch is a `part` of the writes of one
    /// tick with more to follow: the writer applies a part at once but waits
    /// a little for the rest before it commits, so the parts commit, and
    /// sync, once.
    pub fn submit_as(mut self, bytes: Vec<u8>, part: bool, done: impl FnOnce(BatchResult) + Send + 'static) {
        let busy = self.busy.take().expect("a ticket is used once");
        // A failed send drops the batch, whose Drop settles it as closed.
        self.send(Turn::Batch(Batch::new(bytes, part, Box::new(done), busy)));
    }

    /// Uses the ticket for another kind of turn.
    pub(crate) fn take(mut self, turn: impl FnOnce(Busy) -> Turn) -> Result<()> {
        let busy = self.busy.take().expect("a ticket is used once");
        let turn = turn(busy);
        self.send(turn);
        Ok(())
    }

    pub(crate) fn sender(&self) -> &Sender<Msg> {
        &self.tx
    }

    /// The ticket's place, unique in its environment.
    pub(crate) fn sender_seq(&self) -> u64 {
        self.seq
    }

    fn send(&self, turn: Turn) {
        let _ = self.tx.send(Msg::Turn(self.seq, turn));
    }
}

impl Drop for Ticket {
    /// An unused ticket frees its place, so the turns behind it go on.
    fn drop(&mut self) {
        if self.busy.is_some() {
            self.send(Turn::Skip);
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

/// Asks the writer to create a database and waits for it. Inside an open
/// explicit transaction the database is created in it (see `transaction.rs`).
pub(crate) fn create_db(tx: &Sender<Msg>, name: Option<String>, flags: DbFlags) -> Result<DbRef> {
    let (reply, answer) = mpsc::channel();
    tx.send(Msg::CreateDb { name, flags, reply }).map_err(|_| Error::Closed("environment"))?;
    answer.recv().map_err(|_| Error::Closed("environment"))?
}

/// The writer's queue. Turns are served in ticket order: one that arrives
/// before those ahead of it waits in `early`. Messages to an explicit
/// transaction that has not begun yet wait in `stash`.
pub(crate) struct Inbox {
    rx: Receiver<Msg>,
    expected: u64,
    early: BTreeMap<u64, Turn>,
    pub(crate) stash: HashMap<u64, Vec<TxnMsg>>,
    pub(crate) cancelled: Cancelled,
}

impl Inbox {
    fn new(rx: Receiver<Msg>) -> Inbox {
        Inbox { rx, expected: 0, early: BTreeMap::new(), stash: HashMap::new(), cancelled: Cancelled::new() }
    }

    /// The next turn if it is ready, else the next other message (waiting
    /// for one if `wait`). `None` when nothing is ready or the queue closed.
    fn next(&mut self, wait: bool) -> Option<Next> {
        self.next_by(if wait { Wait::Forever } else { Wait::No })
    }

    /// Whether the turn `seq` has been served already.
    pub(crate) fn passed(&self, seq: u64) -> bool {
        seq < self.expected
    }

    /// Like `next`, waiting until `limit` has passed at most.
    fn next_within(&mut self, limit: Duration) -> Option<Next> {
        self.next_by(Wait::Until(Instant::now() + limit))
    }

    fn next_by(&mut self, wait: Wait) -> Option<Next> {
        loop {
            if let Some(turn) = self.early.remove(&self.expected) {
                self.expected += 1;
                match turn {
                    Turn::Skip => continue,
                    turn => return Some(Next::Turn(turn)),
                }
            }
            match self.receive(wait)? {
                Some(msg) => return Some(Next::Other(msg)),
                None => continue, // a turn arrived: it may be the expected one
            }
        }
    }

    /// Receives one message, keeping turns aside: `Some(None)` when what
    /// arrived was a turn, `None` when nothing is ready or the queue closed.
    pub(crate) fn other(&mut self, wait: bool) -> Option<Option<Msg>> {
        self.receive(if wait { Wait::Forever } else { Wait::No })
    }

    fn receive(&mut self, wait: Wait) -> Option<Option<Msg>> {
        let msg = match wait {
            Wait::No => self.rx.try_recv().ok()?,
            Wait::Forever => self.rx.recv().ok()?,
            Wait::Until(at) => self.rx.recv_timeout(at.saturating_duration_since(Instant::now())).ok()?,
        };
        match msg {
            Msg::Turn(seq, turn) => {
                self.early.insert(seq, turn);
                Some(None)
            }
            other => Some(Some(other)),
        }
    }
}

enum Next {
    Turn(Turn),
    Other(Msg),
}

/// How long the inbox waits for a message.
#[derive(Clone, Copy)]
enum Wait {
    No,
    Forever,
    Until(Instant),
}

fn run(shared: &Shared, mut inbox: Inbox) {
    let mut pending = None;
    loop {
        let Some(next) = pending.take().or_else(|| inbox.next(true)) else { return };
        match next {
            Next::Other(Msg::Stop) => return,
            Next::Other(msg) => {
                if transaction::serve_outside(shared, &mut inbox, msg).is_break() {
                    return;
                }
            }
            Next::Turn(Turn::Skip) => {}
            Next::Turn(Turn::Pause { ready, resume }) => {
                // The other thread begins its own write transaction once told.
                if ready.send(()).is_ok() {
                    let _ = resume.recv();
                }
            }
            Next::Turn(Turn::Begin(begin)) => {
                if transaction::serve(shared, &mut inbox, begin).is_break() {
                    return;
                }
            }
            Next::Turn(Turn::Batch(first)) => {
                let mut size = first.bytes.len();
                // The next batch to take into the group, if one is ready (or
                // comes soon, behind a part); another turn ends the group.
                let more = |last: &Batch| {
                    if size >= GROUP_MAX_BYTES {
                        return None;
                    }
                    let next = if last.part { inbox.next_within(PART_WAIT) } else { inbox.next(false) };
                    match next? {
                        Next::Turn(Turn::Batch(batch)) => {
                            size += batch.bytes.len();
                            Some(batch)
                        }
                        other => {
                            pending = Some(other);
                            None
                        }
                    }
                };
                // A panic must not take the writer (and every later write)
                // down: the group's batches settle as failed when dropped.
                let _ = guard(|| {
                    stream_group(shared, first, more);
                    Ok(())
                });
            }
        }
    }
}

/// Creates a database in its own transaction (no explicit one is open).
pub(crate) fn create(shared: &Shared, name: Option<&str>, flags: DbFlags) -> Result<DbRef> {
    let mut names = shared.dbis.lock();
    if let Some(&dbi) = names.get(&name.map(str::to_owned)) {
        return Ok(shared.remember_db(&mut names, name, dbi));
    }
    let dbi = transact(shared, |txn| shared.create_db(txn, name, flags).map(Some))?;
    Ok(shared.remember_db(&mut names, name, dbi))
}
