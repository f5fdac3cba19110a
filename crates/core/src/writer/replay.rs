//! What an explicit transaction keeps to be replayed in a grown map.
//!
//! The callback cannot be run again, but what it sent can: with `auto_grow`,
//! a transaction that fills the map is aborted, the map grown, and its
//! batches (reads too) and nested steps applied again (`Open::regrow`). The
//! callback saw nothing but what those steps gave; if each gives the same
//! again, the replay is what the callback would have done in the grown map,
//! even if another process committed in between (as it may: aborting lets
//! its writers in). If one gives something else, the transaction fails.
//! Transactions that create or delete databases (their handles would
//! change) or that sent and were sent more than `REPLAY_MAX_BYTES` are not
//! replayed.

use super::msg::Nest;
use crate::error::Result;
use crate::ops::Outcome;
use crate::range::Walk;
use crate::read::ReadOutput;

/// Most bytes of batches and their results a transaction keeps to replay.
pub(super) const REPLAY_MAX_BYTES: usize = 64 << 20;

/// A transaction's steps so far, to apply again in a grown map.
#[derive(Default)]
pub(super) struct Replay {
    pub(super) steps: Vec<Step>,
    pub(super) bytes: usize,
}

pub(super) enum Step {
    /// A batch, and what each of its units gave (errors by code).
    Exec(Vec<u8>, Vec<std::result::Result<Outcome, &'static str>>),
    /// A range's chunk: the walk as it stood, the count asked for, and what it read.
    Range(Box<Walk>, usize, ReadOutput),
    Nested(Nest),
}

impl Step {
    /// About the memory it keeps.
    pub(super) fn size(&self) -> usize {
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
pub(super) fn summary(results: &[Result<Outcome>]) -> Vec<std::result::Result<Outcome, &'static str>> {
    results.iter().map(|r| r.as_ref().map_err(|e| e.code()).cloned()).collect()
}

/// The map filled up in a transaction that can be replayed.
pub(super) struct Full;
