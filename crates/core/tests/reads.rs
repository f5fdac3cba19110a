//! Reads outside the writer: ranges, snapshots and cursor moves.

use lmdb_napi_core::*;

mod common;
use common::*;

/// The most bytes of values a range chunk carries (`CHUNK_BYTES` in `range.rs`).
const CHUNK_BYTES: usize = 4 << 20;

fn keys_of(entries: &[(Vec<u8>, Vec<u8>)]) -> Vec<String> {
    entries.iter().map(|(k, _)| String::from_utf8(k.clone()).unwrap()).collect()
}

#[test]
fn a_count_of_a_range_is_how_many_entries_the_range_hands_out() {
    use std::ops::Bound::*;
    let (_dir, env, db) = main_db();
    let mut b = BatchBuilder::new();
    for i in 0..500u32 {
        let key = format!("k{i:04}");
        b.push(op::PUT, 0, 0, db, key.as_bytes(), Some(b"v"));
    }
    write(&env, b.finish()).unwrap();
    let o = RangeOptions::default;
    let cases = [
        o(),
        RangeOptions { reverse: true, ..o() },
        RangeOptions { start: Excluded(b"k0100".to_vec()), end: Included(b"k0300".to_vec()), ..o() },
        RangeOptions { start: Included(b"k0100".to_vec()), end: Excluded(b"k0300".to_vec()), reverse: true, ..o() },
        RangeOptions { prefix: Some(b"k02".to_vec()), ..o() },
        RangeOptions { offset: 10, limit: Some(25), ..o() },
        RangeOptions { offset: 490, limit: Some(25), reverse: true, ..o() },
        RangeOptions { start: Included(b"z".to_vec()), ..o() },
    ];
    for opts in cases {
        let handed = collect(&env, env.range(db, opts.clone()).unwrap(), 64).len() as u64;
        assert_eq!(env.busy().unwrap().count_range(db, opts.clone()).unwrap(), handed, "{opts:?}");
    }
    assert_eq!(env.busy().unwrap().count_range(db, o()).unwrap(), 500);
}

#[test]
fn ranges_honour_bounds_prefix_direction_offset_and_limit_across_chunks() {
    use std::ops::Bound::*;
    let (_dir, env, db) = main_db();
    let mut b = BatchBuilder::new();
    for k in ["a", "b1", "b2", "b3", "c", "d"] {
        b.push(op::PUT, 0, 0, db, k.as_bytes(), Some(k.as_bytes()));
    }
    write(&env, b.finish()).unwrap();
    let run = |opts: RangeOptions| keys_of(&collect(&env, env.range(db, opts).unwrap(), 2));
    let o = RangeOptions::default;
    assert_eq!(run(o()), ["a", "b1", "b2", "b3", "c", "d"]);
    assert_eq!(run(RangeOptions { reverse: true, ..o() }), ["d", "c", "b3", "b2", "b1", "a"]);
    assert_eq!(
        run(RangeOptions { start: Excluded(b"b1".to_vec()), end: Included(b"c".to_vec()), ..o() }),
        ["b2", "b3", "c"]
    );
    assert_eq!(
        run(RangeOptions { start: Excluded(b"b1".to_vec()), end: Included(b"c".to_vec()), reverse: true, ..o() }),
        ["c", "b3", "b2"]
    );
    assert_eq!(run(RangeOptions { end: Excluded(b"c".to_vec()), reverse: true, ..o() }), ["b3", "b2", "b1", "a"]);
    assert_eq!(run(RangeOptions { prefix: Some(b"b".to_vec()), ..o() }), ["b1", "b2", "b3"]);
    assert_eq!(run(RangeOptions { prefix: Some(b"b".to_vec()), reverse: true, ..o() }), ["b3", "b2", "b1"]);
    assert_eq!(run(RangeOptions { offset: 1, limit: Some(3), ..o() }), ["b1", "b2", "b3"]);
    assert_eq!(run(RangeOptions { offset: 4, limit: Some(9), reverse: true, ..o() }), ["b1", "a"]);
    assert!(run(RangeOptions { prefix: Some(b"z".to_vec()), ..o() }).is_empty());
}

#[test]
fn a_range_reads_one_snapshot_while_writes_go_on() {
    let (_dir, env, db) = main_db();
    write(&env, put(db, b"a", b"1")).unwrap();
    write(&env, put(db, b"c", b"1")).unwrap();
    let mut range = env.range(db, RangeOptions::default()).unwrap();
    let first = range.next_chunk(&env.busy().unwrap(), 1).unwrap();
    assert!(!first.done);
    write(&env, put(db, b"b", b"new")).unwrap();
    let rest = collect(&env, range, 10);
    assert_eq!(keys_of(&rest), ["c"], "the key written meanwhile is not seen");
}

#[test]
fn a_chunk_of_large_values_stops_at_its_byte_limit_and_the_next_resumes() {
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions { sync: false, ..Default::default() }).unwrap();
    let db = env.open_db(None, DbFlags::default(), true).unwrap();
    let value = vec![7u8; 1 << 20];
    let mut b = BatchBuilder::new();
    for i in 0..12u8 {
        b.push(op::PUT, 0, 0, db, &[b'k', i], Some(&value));
    }
    write(&env, b.finish()).unwrap();
    let mut range = env.range(db, RangeOptions::default()).unwrap();
    let busy = env.busy().unwrap();
    let first = range.next_chunk(&busy, 4096).unwrap();
    let per_chunk = CHUNK_BYTES.div_ceil(value.len() + 2);
    assert_eq!(first.out.lens.len() / 2, per_chunk, "the first chunk stops at the byte limit");
    assert!(!first.done);
    drop(busy);
    let rest = collect(&env, range, 4096);
    let keys: Vec<u8> = rest.iter().map(|(k, _)| k[1]).collect();
    assert_eq!(keys, (per_chunk as u8..12).collect::<Vec<_>>(), "the rest follows in order");
    assert!(rest.iter().all(|(_, v)| *v == value));
}

#[test]
fn dupsort_ranges_resume_between_values_of_one_key() {
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let db = env.open_db(Some("dups"), DbFlags { dup_sort: true, ..Default::default() }, true).unwrap();
    let mut b = BatchBuilder::new();
    for (k, v) in [("a", "1"), ("a", "2"), ("a", "3"), ("b", "1"), ("b", "2")] {
        b.push(op::PUT, 0, 0, db, k.as_bytes(), Some(v.as_bytes()));
    }
    write(&env, b.finish()).unwrap();
    let pairs = |reverse| {
        collect(&env, env.range(db, RangeOptions { reverse, ..Default::default() }).unwrap(), 1)
            .into_iter()
            .map(|(k, v)| format!("{}{}", String::from_utf8(k).unwrap(), String::from_utf8(v).unwrap()))
            .collect::<Vec<_>>()
    };
    assert_eq!(pairs(false), ["a1", "a2", "a3", "b1", "b2"]);
    assert_eq!(pairs(true), ["b2", "b1", "a3", "a2", "a1"]);
}

#[test]
fn closing_the_handle_ends_its_snapshots_and_ranges() {
    let (dir, env, db) = main_db();
    write(&env, put(db, b"k", b"v")).unwrap();
    let snapshot = env.snapshot().unwrap();
    let mut range = env.range(db, RangeOptions::default()).unwrap();
    assert!(env.info().unwrap().num_readers >= 2);
    env.close();
    assert!(!snapshot.is_open());
    assert!(matches!(env.busy(), Err(Error::Closed(_))));
    range.close();
    drop(snapshot);
    let again = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    assert_eq!(again.info().unwrap().num_readers, 0, "no reader slot left behind");
}

#[test]
fn a_twin_reads_what_its_snapshot_reads_and_none_comes_after_a_commit() {
    let (_dir, env, db) = main_db();
    write(&env, put(db, b"k", b"old")).unwrap();
    let snapshot = env.snapshot().unwrap();
    let twin = snapshot.twin().unwrap().expect("no commit came between");
    write(&env, put(db, b"k", b"new")).unwrap();
    let read = |s: &Snapshot| {
        let mut b = BatchBuilder::new();
        b.push(op::GET, 0, 0, db, b"k", None);
        s.read_batch(&env.busy().unwrap(), &b.finish()).unwrap().data
    };
    assert_eq!((read(&snapshot), read(&twin)), (b"old".to_vec(), b"old".to_vec()));
    assert!(snapshot.twin().unwrap().is_none(), "a commit landed since the snapshot was taken");
    twin.close();
    assert_eq!(read(&snapshot), b"old");
}

fn packed(k: &str, v: &str) -> Vec<u8> {
    let mut out = (k.len() as u32).to_le_bytes().to_vec();
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(v.as_bytes());
    out
}

/// Runs one cursor move from `at` with `arg`; the entry as "kv", or None.
fn mv(env: &Env, db: DbRef, m: u8, at: Option<(&str, &str)>, arg: Option<(&str, &str)>) -> Option<String> {
    let at = at.map(|(k, v)| packed(k, v)).unwrap_or_default();
    let arg = arg.map(|(k, v)| packed(k, v));
    let mut b = BatchBuilder::new();
    b.push_op(&Op {
        kind: op::CURSOR,
        flags: m,
        codec: 0,
        level: 0,
        unit: 0,
        db,
        key: &at,
        value: arg.as_deref(),
        expect: None,
    });
    let out = env.busy().unwrap().read_batch(&b.finish()).unwrap();
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    if out.lens[0] < 0 {
        return None;
    }
    if m == moves::COUNT {
        return Some(u64::from_le_bytes(out.data[..8].try_into().unwrap()).to_string());
    }
    // after the key's length come the key and the value: "kv"
    Some(std::str::from_utf8(&out.data[4..]).unwrap().to_owned())
}

#[test]
fn cursor_moves_follow_lmdb_from_a_remembered_position() {
    use moves::*;
    let dir = temp();
    let env = Env::open(dir.path(), &EnvOptions::default()).unwrap();
    let db = env.open_db(Some("d"), DbFlags { dup_sort: true, ..Default::default() }, true).unwrap();
    let mut b = BatchBuilder::new();
    for (k, v) in [("a", "1"), ("a", "2"), ("a", "3"), ("b", "1")] {
        b.push(op::PUT, 0, 0, db, k.as_bytes(), Some(v.as_bytes()));
    }
    write(&env, b.finish()).unwrap();
    let m = |mv_: u8, at, arg| mv(&env, db, mv_, at, arg);
    assert_eq!(m(FIRST, None, None).as_deref(), Some("a1"));
    assert_eq!(m(LAST, None, None).as_deref(), Some("b1"));
    assert_eq!(m(NEXT, None, None).as_deref(), Some("a1"), "an unpositioned next starts at the first");
    assert_eq!(m(NEXT, Some(("a", "1")), None).as_deref(), Some("a2"));
    assert_eq!(m(NEXT_NODUP, Some(("a", "2")), None).as_deref(), Some("b1"));
    assert_eq!(m(PREV, Some(("b", "1")), None).as_deref(), Some("a3"));
    assert_eq!(m(NEXT_DUP, Some(("a", "3")), None), None);
    assert_eq!(m(LAST_DUP, Some(("a", "1")), None).as_deref(), Some("a3"));
    assert_eq!(m(FIRST_DUP, Some(("a", "3")), None).as_deref(), Some("a1"));
    assert_eq!(m(COUNT, Some(("a", "2")), None).as_deref(), Some("3"));
    assert_eq!(m(COUNT, None, Some(("b", ""))).as_deref(), Some("1"));
    assert_eq!(m(SEEK, None, Some(("b", ""))).as_deref(), Some("b1"));
    assert_eq!(m(SEEK, None, Some(("ab", ""))), None);
    assert_eq!(m(SEEK_RANGE, None, Some(("ab", ""))).as_deref(), Some("b1"));
    assert_eq!(m(SEEK_DUP, None, Some(("a", "2"))).as_deref(), Some("a2"));
    assert_eq!(m(SEEK_RANGE_DUP, None, Some(("a", "15"))).as_deref(), Some("a2"));
    // the remembered entry is gone: next lands on what followed it
    let mut b = BatchBuilder::new();
    b.push(op::DELETE, 0, 0, db, b"a", Some(b"2"));
    write(&env, b.finish()).unwrap();
    assert_eq!(m(NEXT, Some(("a", "2")), None).as_deref(), Some("a3"));
    assert_eq!(m(PREV, Some(("a", "2")), None).as_deref(), Some("a1"));
    assert_eq!(m(CURRENT, Some(("a", "2")), None).as_deref(), Some("a3"));
    assert_eq!(m(NEXT, Some(("b", "1")), None), None);
}

#[test]
fn a_range_ending_while_the_map_is_being_resized_does_not_deadlock() {
    // The last chunk of a range ends its snapshot. It once entered the
    // environment's gate a second time for that while still holding it; a
    // resize waiting between the two (the gate lets no new reader past a
    // waiting writer) made each wait for the other for ever.
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let (_dir, env, db) = main_db();
    let mut b = BatchBuilder::new();
    for i in 0..2000u32 {
        b.push(op::PUT, 0, 0, db, format!("k{i:05}").as_bytes(), Some(&[7u8; 100]));
    }
    write(&env, b.finish()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let resizer = {
        let (env, stop) = (env.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut size = 64 << 20;
            while !stop.load(Ordering::Relaxed) {
                size = if size == 64 << 20 { 96 << 20 } else { 64 << 20 };
                env.busy().unwrap().set_map_size(size).unwrap();
            }
        })
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = {
        let env = env.clone();
        std::thread::spawn(move || {
            for _ in 0..300 {
                // one chunk: the whole range, so its fill ends it
                assert_eq!(collect(&env, env.range(db, RangeOptions::default()).unwrap(), 4096).len(), 2000);
            }
            tx.send(()).unwrap();
        })
    };
    let finished = rx.recv_timeout(std::time::Duration::from_secs(60));
    stop.store(true, Ordering::Relaxed);
    assert!(finished.is_ok(), "ranges and resizes deadlocked");
    reader.join().unwrap();
    resizer.join().unwrap();
}
