//! The writer's queue, private to the writer. Turns are served in ticket
//! order: one that arrives before those ahead of it waits in `early`.
//! Messages to an explicit transaction whose turn has not come wait in
//! `stash`, and an abort sent before that turn cancels it (`cancelled`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use super::msg::{Msg, Turn, TxnMsg};
use crate::error::Error;

pub(super) struct Inbox {
    rx: Receiver<Msg>,
    expected: u64,
    early: BTreeMap<u64, Turn>,
    stash: HashMap<u64, Vec<TxnMsg>>,
    /// Ids of transactions aborted before their turn (see `early_txn`).
    cancelled: HashSet<u64>,
}

pub(super) enum Next {
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

impl Inbox {
    pub(super) fn new(rx: Receiver<Msg>) -> Inbox {
        Inbox { rx, expected: 0, early: BTreeMap::new(), stash: HashMap::new(), cancelled: HashSet::new() }
    }

    /// The next turn if it is ready, else the next other message (waiting
    /// for one if `wait`). `None` when nothing is ready or the queue closed.
    pub(super) fn next(&mut self, wait: bool) -> Option<Next> {
        self.next_by(if wait { Wait::Forever } else { Wait::No })
    }

    /// Whether the turn `seq` has been served already.
    fn passed(&self, seq: u64) -> bool {
        seq < self.expected
    }

    /// Like `next`, waiting until `limit` has passed at most.
    pub(super) fn next_within(&mut self, limit: Duration) -> Option<Next> {
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
    pub(super) fn other(&mut self, wait: bool) -> Option<Option<Msg>> {
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

    /// The turn of transaction `id` has come: the messages that wait for
    /// it, or `None` when an abort cancelled it before it began.
    pub(super) fn begin_txn(&mut self, id: u64) -> Option<Vec<TxnMsg>> {
        let waiting = self.stash.remove(&id).unwrap_or_default();
        (!self.cancelled.remove(&id)).then_some(waiting)
    }

    /// A message to a transaction that is not running. If its turn has
    /// passed, it has ended: the message is late (sent as `close` aborted it,
    /// say) and is refused, not kept for ever. If its turn has not come, an
    /// abort cancels it (it will not begin), anything else waits for it.
    pub(super) fn early_txn(&mut self, id: u64, msg: TxnMsg) {
        match msg {
            msg if self.passed(id) => msg.refuse(Error::Closed("transaction")),
            TxnMsg::End { commit: false, done } => {
                self.cancelled.insert(id);
                for waiting in self.stash.remove(&id).unwrap_or_default() {
                    waiting.refuse(Error::Closed("transaction"));
                }
                done(Ok(()));
            }
            msg if self.cancelled.contains(&id) => msg.refuse(Error::Closed("transaction")),
            msg => self.stash.entry(id).or_default().push(msg),
        }
    }
}
