//! Group commit: batches applied in one transaction.
//!
//! The writer applies a batch as soon as it has it and takes in those that
//! arrive meanwhile before it commits (`stream_group`), so a tick's writes
//! sent in pieces are applied while JavaScript still packs the rest, and
//! commit (and sync) once. Anything out of the ordinary goes to
//! `commit_group`, which starts over with the batches taken so far: a unit
//! that fails alone after writing (a bad value in a `putMany`) is left out
//! and the rest replayed, so it rejects alone and the others commit; on
//! MDB_MAP_FULL with `auto_grow` the map is doubled and the whole
//! transaction retried; a group too big for the map as a whole is run unit
//! by unit, so only what cannot fit fails.
//!
//! With `auto_grow` the map also grows *ahead* before each write
//! transaction (`begin.rs`, `Shared::grow_ahead`), which makes retries rare.

use lmdb_master_sys as ffi;

use super::begin::{begin, transact};
use super::msg::Batch;
use crate::batch::{self, op, Op};
use crate::dbi::needs_dbis;
use crate::env::Shared;
use crate::error::{Error, Result};
use crate::ops::{apply_unit, Outcome, Puts};
use crate::options::put_flags;

/// Applies `first` and each batch `more` hands over after it (`more` sees
/// the last one taken in, and returns `None` when it is time to commit), in
/// one transaction, then settles them all. Whatever would need a replay, a
/// retry or a lock of its own makes the batches taken so far start over in
/// `commit_group`.
pub(crate) fn stream_group(shared: &Shared, first: Batch, mut more: impl FnMut(&Batch) -> Option<Batch>) {
    let mut group = vec![first];
    let mut applied = || -> Option<Vec<Vec<Result<Outcome>>>> {
        let (gate, txn) = begin(shared).ok()?;
        let mut puts = Puts::ordered(&txn);
        let mut results = Vec::new();
        loop {
            let last = group.last().expect("a group has a batch");
            results.push(apply_batch(shared, &mut puts, last.bytes())?);
            match more(last) {
                Some(batch) => group.push(batch),
                None => break,
            }
        }
        drop(puts);
        txn.commit().ok()?;
        drop(gate);
        Some(results)
    };
    match applied() {
        Some(results) => group.into_iter().zip(results).for_each(|(batch, outcomes)| batch.finish(Ok(outcomes))),
        None => commit_group(shared, group),
    }
}

/// Applies one batch in the open transaction, each unit in key order and the
/// units too when each is a single keyed operation; `None` when a unit needs
/// more than this path does (see `stream_group`).
fn apply_batch(shared: &Shared, puts: &mut Puts<'_>, bytes: &[u8]) -> Option<Vec<Result<Outcome>>> {
    let mut ops = batch::parse(bytes).ok()?;
    sort_within_units(&mut ops);
    let units: Vec<&[Op<'_>]> = ops.chunk_by(|a, b| a.unit == b.unit).collect();
    if units.iter().any(|unit| needs_dbis_alone(unit)) {
        return None;
    }
    let mut outcomes: Vec<Option<Result<Outcome>>> = units.iter().map(|_| None).collect();
    for i in unit_order(&units) {
        outcomes[i] = Some(match apply_unit(shared, puts, units[i]) {
            Ok(outcome) => Ok(outcome),
            Err((e, false)) if e.is_local() => Err(e),
            Err(_) => return None,
        });
    }
    Some(outcomes.into_iter().map(|o| o.expect("every unit applied")).collect())
}

/// One unit: consecutive operations of one batch sharing a unit number.
struct Unit<'a> {
    batch: usize,
    ops: &'a [Op<'a>],
}

/// A unit that is a drop needing the handle table (`dbi::needs_dbis`): it
/// runs in a transaction of its own, with the table locked before the gate
/// is entered (the order every other path takes them in).
fn needs_dbis_alone(ops: &[Op<'_>]) -> bool {
    matches!(ops, [op] if needs_dbis(op))
}

impl Unit<'_> {
    fn deletes_db(&self) -> bool {
        matches!(self.ops, [op] if op.kind == op::DROP && op.flags & put_flags::DELETE_DB != 0)
    }
}

/// Applies `group` from the start, as described in the module doc.
fn commit_group(shared: &Shared, group: Vec<Batch>) {
    let mut parsed: Vec<Result<Vec<Op<'_>>>> = group.iter().map(|b| batch::parse(b.bytes())).collect();
    parsed.iter_mut().flatten().for_each(|ops| sort_within_units(ops));
    let mut units = Vec::new();
    for (i, ops) in parsed.iter().enumerate() {
        if let Ok(ops) = ops {
            units.extend(ops.chunk_by(|a, b| a.unit == b.unit).map(|ops| Unit { batch: i, ops }));
        }
    }
    let mut results: Vec<Result<Outcome>> = Vec::with_capacity(units.len());
    for segment in units.chunk_by(|a, b| !needs_dbis_alone(a.ops) && !needs_dbis_alone(b.ops)) {
        if needs_dbis_alone(segment[0].ops) {
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

/// Whether `op` depends on nothing but the earlier operations on its own key
/// (no append, which needs its keys in order; no drop or cursor move).
fn keyed(op: &Op<'_>) -> bool {
    matches!(op.kind, op::PUT | op::DELETE | op::REPLACE | op::POP | op::GET | op::HAS)
        && op.flags & put_flags::APPEND == 0
}

/// The order to apply `ops` in: by database, then key bytes, and for one key
/// as issued, so the outcome is the same. The writes then walk the B-tree in
/// order, each page visited while it is hot: LMDB applies random keys up to
/// three times faster so. Most comparisons end at the keys' first 8 bytes,
/// compared as one integer.
fn key_order<'o, 'a: 'o>(ops: impl Iterator<Item = &'o Op<'a>>) -> Vec<usize> {
    let ops: Vec<&Op<'_>> = ops.collect();
    let mut order: Vec<(u32, u64, usize)> = ops
        .iter()
        .enumerate()
        .map(|(i, op)| {
            let mut head = [0u8; 8];
            let n = op.key.len().min(8);
            head[..n].copy_from_slice(&op.key[..n]);
            (op.db.dbi, u64::from_be_bytes(head), i)
        })
        .collect();
    order.sort_unstable_by(|a, b| {
        (a.0, a.1).cmp(&(b.0, b.1)).then_with(|| ops[a.2].key.cmp(ops[b.2].key)).then(a.2.cmp(&b.2))
    });
    order.into_iter().map(|(_, _, i)| i).collect()
}

/// Puts the keyed operations of each unit of `ops` in key order, behind its
/// `ENSURE`s (which `apply_unit` applies first wherever they stand: a unit
/// of puts that carries shared structures is sorted too).
pub(super) fn sort_within_units(ops: &mut [Op<'_>]) {
    for unit in ops.chunk_by_mut(|a, b| a.unit == b.unit) {
        let (ensures, rest): (Vec<Op<'_>>, Vec<Op<'_>>) = match unit {
            [_] => continue,
            _ => unit.iter().partition(|op| op.kind == op::ENSURE),
        };
        if rest.len() > 1 && rest.iter().all(keyed) {
            let sorted = key_order(rest.iter()).into_iter().map(|i| rest[i]);
            let ordered: Vec<Op<'_>> = ensures.into_iter().chain(sorted).collect();
            unit.copy_from_slice(&ordered);
        }
    }
}

/// The order to apply `units` in: by key when each is one keyed operation
/// (many `put`s issued at once), else as issued.
fn unit_order(units: &[&[Op<'_>]]) -> Vec<usize> {
    if units.len() > 1 && units.iter().all(|ops| matches!(ops, [op] if keyed(op))) {
        key_order(units.iter().map(|ops| &ops[0]))
    } else {
        (0..units.len()).collect()
    }
}

/// Runs units in one transaction; units that fail alone are left out.
fn run_segment(shared: &Shared, units: &[Unit<'_>]) -> Vec<Result<Outcome>> {
    let mut failed: Vec<Option<Error>> = units.iter().map(|_| None).collect();
    let order = unit_order(&units.iter().map(|u| u.ops).collect::<Vec<_>>());
    let applied = transact(shared, |txn| {
        let mut puts = Puts::ordered(txn);
        let mut outcomes: Vec<Option<Outcome>> = units.iter().map(|_| None).collect();
        for &i in &order {
            if failed[i].is_some() {
                continue;
            }
            match apply_unit(shared, &mut puts, units[i].ops) {
                Ok(outcome) => outcomes[i] = Some(outcome),
                Err((e, wrote)) if e.is_local() => {
                    failed[i] = Some(e);
                    if wrote {
                        return Ok(None); // undo its partial writes: replay without it
                    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{Builder, DbRef};

    #[test]
    fn a_unit_of_puts_is_sorted_by_key_behind_its_ensures() {
        let db = DbRef { dbi: 2, gen: 1 };
        let mut b = Builder::new();
        b.push(op::PUT, 0, 0, db, b"m", Some(b"1")).push(op::PUT, 0, 0, db, b"c", Some(b"1"));
        b.push(op::PUT, 0, 0, db, b"m", Some(b"2")).push(op::ENSURE, 0, 0, db, b"s", Some(b"A"));
        b.push(op::PUT, 0, 1, db, b"z", Some(b"1")).push(op::CURSOR, 0, 1, db, b"a", None);
        let bytes = b.finish();
        let mut ops = batch::parse(&bytes).unwrap();
        sort_within_units(&mut ops);
        let text = |bytes: Option<&[u8]>| bytes.map_or(String::new(), |b| String::from_utf8_lossy(b).into_owned());
        let seen: Vec<String> =
            ops.iter().map(|op| format!("{} {}={}", op.kind, text(Some(op.key)), text(op.value))).collect();
        let (ensure, put, cursor) = (op::ENSURE, op::PUT, op::CURSOR);
        let expected = [
            format!("{ensure} s=A"),
            format!("{put} c=1"),
            format!("{put} m=1"),
            format!("{put} m=2"),
            // a cursor move depends on the position: its unit keeps its order
            format!("{put} z=1"),
            format!("{cursor} a="),
        ];
        assert_eq!(seen, expected);
    }
}
