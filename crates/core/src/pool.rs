//! The read-transaction pool: reset read transactions kept for reuse, so a
//! read does not pay for `mdb_txn_begin`. Each one keeps a reader slot, and
//! slots are shared by every process on the environment, so the pool must
//! never starve other processes: it keeps at most `cap(maxReaders)` slots,
//! and a slot idle longer than `IDLE` is given back, by the next read that
//! returns a transaction or else by the reaper, one thread per process that
//! looks four times per `IDLE` while anything is pooled and sleeps otherwise
//! (a read costs it one atomic load).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::env::registry;
use crate::txn::RawTxn;

/// How long a pooled transaction may sit unused before its slot is given back.
pub(crate) const IDLE: Duration = Duration::from_secs(1);

/// How many reset read transactions a process keeps: an eighth of
/// `maxReaders`, at least 1 and at most 16 (15 for the default 126 readers,
/// 2 for 16), so that several idle processes still leave most slots free.
pub(crate) fn cap(max_readers: u32) -> usize {
    (max_readers as usize / 8).clamp(1, 16)
}

pub(crate) struct Pool {
    cap: usize,
    /// Oldest first: a transaction is pushed when it comes back and taken from the end.
    idle: Vec<(RawTxn, Instant)>,
}

impl Pool {
    pub(crate) fn new(max_readers: u32) -> Pool {
        Pool { cap: cap(max_readers), idle: Vec::new() }
    }

    /// The most recently used transaction, if any. The caller holds the gate.
    pub(crate) fn take(&mut self) -> Option<RawTxn> {
        self.idle.pop().map(|(txn, _)| txn)
    }

    /// Keeps a reset transaction, or ends it when the pool is full; ends the
    /// ones idle longer than `IDLE`. The caller holds the gate.
    pub(crate) fn give(&mut self, txn: RawTxn) {
        let now = Instant::now();
        self.expire(now);
        if self.idle.len() < self.cap {
            self.idle.push((txn, now));
            wake_reaper();
        }
    }

    /// Ends the transactions idle longer than `IDLE`; whether any are left.
    /// The caller holds the gate.
    pub(crate) fn expire(&mut self, now: Instant) -> bool {
        let stale = self.idle.partition_point(|(_, since)| now.duration_since(*since) > IDLE);
        self.idle.drain(..stale);
        !self.idle.is_empty()
    }

    /// Ends every pooled transaction, giving their slots back; how many.
    /// The caller holds the gate.
    pub(crate) fn clear(&mut self) -> usize {
        let n = self.idle.len();
        self.idle.clear();
        n
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.idle.len()
    }
}

/// `true` while the reaper sleeps until woken (nothing was pooled), and
/// before it is first started.
static ASLEEP: AtomicBool = AtomicBool::new(true);
static SLEEP: Mutex<()> = Mutex::new(());
static WAKE: Condvar = Condvar::new();
static START: Once = Once::new();

fn wake_reaper() {
    if ASLEEP.load(Ordering::Relaxed) && ASLEEP.swap(false, Ordering::SeqCst) {
        START.call_once(|| {
            // without the reaper, idle slots still go at the next read
            let _ = std::thread::Builder::new().name("lmdb-pool-reaper".into()).spawn(reap);
        });
        let _sleep = SLEEP.lock();
        WAKE.notify_one();
    }
}

/// Gives back idle slots in every open environment of the process; whether
/// any pool still holds some.
fn expire_all() -> bool {
    let now = Instant::now();
    let mut left = false;
    for shared in registry::all() {
        left |= shared.expire_idle(now);
    }
    left
}

fn reap() {
    loop {
        if expire_all() {
            std::thread::sleep(IDLE / 4);
            continue;
        }
        ASLEEP.store(true, Ordering::SeqCst);
        // a give between the look above and the store saw the reaper awake
        if expire_all() {
            ASLEEP.store(false, Ordering::SeqCst);
            continue;
        }
        let mut sleep = SLEEP.lock();
        while ASLEEP.load(Ordering::SeqCst) {
            WAKE.wait(&mut sleep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{cap, IDLE};
    use crate::{Env, EnvOptions};

    #[test]
    fn closed_snapshots_leave_at_most_the_cap_pooled_and_idle_ones_go() {
        let dir = tempfile::tempdir().expect("temp dir");
        let env = Env::open(dir.path(), &EnvOptions { max_readers: 16, ..EnvOptions::default() }).unwrap();
        let pooled = || env.busy().unwrap().shared().pooled();
        let snapshots: Vec<_> = (0..16).map(|_| env.snapshot().unwrap()).collect();
        assert!(env.snapshot().is_err(), "all 16 slots are taken");
        drop(snapshots);
        assert_eq!(pooled(), 2);
        std::thread::sleep(IDLE + std::time::Duration::from_millis(100));
        drop(env.snapshot().unwrap());
        assert_eq!(pooled(), 1, "the slot idle for over a second was given back");
        // with no read at all, the reaper gives the last one back
        std::thread::sleep(IDLE * 2);
        assert_eq!(pooled(), 0);
    }

    #[test]
    fn the_pool_keeps_an_eighth_of_the_reader_slots_between_1_and_16() {
        assert_eq!(cap(1), 1);
        assert_eq!(cap(8), 1);
        assert_eq!(cap(16), 2);
        assert_eq!(cap(126), 15);
        assert_eq!(cap(127), 15);
        assert_eq!(cap(128), 16);
        assert_eq!(cap(100_000), 16);
    }
}
