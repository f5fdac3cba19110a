//! Byte buffers lent to JavaScript and given back when it lets go of them.
//!
//! A read batch or a range chunk crosses to JavaScript in one buffer, often
//! a few hundred KiB. A buffer that large is allocated afresh as new pages
//! from the kernel, each faulted in and zeroed on first touch, which on our
//! builders cost more than filling it with entries. The binding hands the
//! buffers over as external memory whose finalizer gives them back here,
//! and the next batch or chunk fills one of those instead. Write batches
//! come the other way as large, and are copied into these buffers too: the
//! copy is made on the JavaScript thread, and the writer gives it back.

use parking_lot::Mutex;

/// Smaller buffers come cheaply from the allocator's own free lists.
const SMALLEST: usize = 64 << 10;
/// Larger ones are not kept.
const LARGEST: usize = 1 << 20;
/// What is kept in all stays under this: room for the ~20 parts of 256 KiB
/// a large tick of writes holds until its commit, or for 8 large chunks.
const KEPT_BYTES: usize = 8 << 20;

/// Buffers given back, the last one on top.
struct Spares(Mutex<Vec<Vec<u8>>>);

static SPARES: Spares = Spares(Mutex::new(Vec::new()));

/// An empty buffer with room for `bytes`: for a large one, the one given
/// back last that is large enough, if any (its pages are likely still
/// in the cache). A small one is always new: whatever JavaScript keeps of it
/// keeps all of it alive.
pub fn take(bytes: usize) -> Vec<u8> {
    SPARES.take(bytes)
}

/// `bytes` copied into a buffer from the pool when they are many: a batch
/// JavaScript sends the writer is often as large as a chunk it reads.
pub fn copy_of(bytes: &[u8]) -> Vec<u8> {
    SPARES.copy_of(bytes)
}

/// Keeps `buf` for a later `take`, when it is a size worth keeping and
/// there is room under `KEPT_BYTES`.
pub fn give_back(buf: Vec<u8>) {
    SPARES.give_back(buf)
}

impl Spares {
    fn take(&self, bytes: usize) -> Vec<u8> {
        if bytes < SMALLEST {
            return Vec::with_capacity(bytes);
        }
        let mut spares = self.0.lock();
        match spares.iter().rposition(|buf| buf.capacity() >= bytes) {
            Some(at) => spares.remove(at),
            // the smaller ones stay for smaller needs
            None => Vec::with_capacity(bytes),
        }
    }

    fn copy_of(&self, bytes: &[u8]) -> Vec<u8> {
        let mut buf = self.take(bytes.len());
        buf.extend_from_slice(bytes);
        buf
    }

    fn give_back(&self, mut buf: Vec<u8>) {
        if !(SMALLEST..=LARGEST).contains(&buf.capacity()) {
            return;
        }
        buf.clear();
        let mut spares = self.0.lock();
        if spares.iter().map(Vec::capacity).sum::<usize>() + buf.capacity() <= KEPT_BYTES {
            spares.push(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spares() -> Spares {
        Spares(Mutex::new(Vec::new()))
    }

    #[test]
    fn a_large_buffer_given_back_is_taken_again_empty() {
        let spares = spares();
        let mut buf = spares.take(SMALLEST);
        buf.extend_from_slice(&[7; 1000]);
        let at = buf.as_ptr();
        spares.give_back(buf);
        let again = spares.take(SMALLEST);
        assert_eq!((again.as_ptr(), again.len()), (at, 0));
        assert!(again.capacity() >= SMALLEST);
    }

    #[test]
    fn a_large_copy_lands_in_a_buffer_given_back() {
        let spares = spares();
        let buf = spares.take(2 * SMALLEST);
        let at = buf.as_ptr();
        spares.give_back(buf);
        let bytes: Vec<u8> = (0..SMALLEST + 5).map(|i| i as u8).collect();
        let copy = spares.copy_of(&bytes);
        assert_eq!((copy.as_ptr(), &copy[..]), (at, &bytes[..]));
        assert_eq!(spares.copy_of(&bytes[..10]), &bytes[..10], "a small copy is a copy all the same");
    }

    #[test]
    fn small_requests_and_odd_sizes_stay_out_of_the_pool() {
        let spares = spares();
        spares.give_back(Vec::with_capacity(SMALLEST));
        assert!(spares.take(100).capacity() < SMALLEST, "a small read would pin a large buffer");
        spares.give_back(Vec::with_capacity(SMALLEST - 1));
        spares.give_back(Vec::with_capacity(LARGEST + 1));
        assert_eq!(spares.0.lock().len(), 1);
    }

    #[test]
    fn keeps_at_most_kept_bytes() {
        let spares = spares();
        for _ in 0..KEPT_BYTES / SMALLEST + 3 {
            spares.give_back(Vec::with_capacity(SMALLEST));
        }
        assert_eq!(spares.0.lock().len(), KEPT_BYTES / SMALLEST);
    }

    #[test]
    fn takes_the_last_buffer_large_enough() {
        let spares = spares();
        let large = Vec::with_capacity(4 * SMALLEST);
        let at = large.as_ptr();
        spares.give_back(large);
        spares.give_back(Vec::with_capacity(SMALLEST));
        let fit = spares.take(3 * SMALLEST);
        assert_eq!(fit.as_ptr(), at, "a buffer that fits is not passed over");
        assert!(spares.take(2 * SMALLEST).capacity() >= 2 * SMALLEST, "none fits: a new one");
        assert_eq!(spares.take(SMALLEST).capacity(), SMALLEST, "the small one was kept for this");
    }
}
