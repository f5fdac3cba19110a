//! Compressed values: a one-byte header names how the rest is stored, so a
//! reader never guesses. Values too short to gain, that do not shrink, or
//! over [`MAX_EXPANDED`] are stored raw behind the header.
//!
//! | first byte | the rest |
//! |---|---|
//! | 0 | the value as is |
//! | 1 | a zlib stream with no length (as 0.1.0 wrote it) |
//! | 2 | a zstd frame, recording the value's length |
//! | 3 | the value's length (u32, little-endian), then an LZ4 block |
//! | 4 | the value's length (u32, little-endian), then a zlib stream |
//!
//! Reading never trusts the stored bytes: a value expands to exactly the
//! length its header or frame records, never beyond [`MAX_EXPANDED`] (values
//! that record none, old zlib ones, are cut off there), and a length that
//! the compressed bytes could not produce is refused before any allocation.
//! Anything else is a CoderError, so a small damaged or hostile value cannot
//! make a read allocate without bound (a decompression bomb).

use std::borrow::Cow;
use std::io::{Read, Write};

use crate::error::{Error, Result};

/// Compression algorithms, numbered as the coder options and the wire format
/// name them (and as the header does, but for zlib, now written as 4).
pub mod algorithm {
    /// Stored as is (the header of a raw value; "no compression" on the wire).
    pub const NONE: u8 = 0;
    /// zlib (deflate), levels 0–9.
    pub const ZLIB: u8 = 1;
    /// Zstandard, levels 1–22 (and negative fast levels).
    pub const ZSTD: u8 = 2;
    /// LZ4 block format (no levels).
    pub const LZ4: u8 = 3;
}

/// The header of a zlib stream that follows the value's length.
const ZLIB_SIZED: u8 = 4;

/// Values shorter than this are stored raw: compression would not pay.
const MIN_SIZE: usize = 64;

/// The most a stored value may expand to (64 MiB). Larger values are stored
/// raw, so everything written reads back; a stored value claiming or
/// producing more is damaged or hostile.
pub const MAX_EXPANDED: usize = 64 << 20;

/// The most each format can expand its input, per byte (deflate's 1032:1;
/// zstd's densest block, RLE, turns 4 bytes into 128 KiB; LZ4's 255:1): a
/// recorded length beyond it is damage.
const ZLIB_RATIO: usize = 1032;
const ZSTD_RATIO: usize = 32 * 1024;
const LZ4_RATIO: usize = 255;

/// Compresses `value` with `algorithm` at `level` (0: the algorithm's default).
pub fn compress(value: &[u8], algo: u8, level: i32) -> Result<Vec<u8>> {
    let raw = || {
        let mut out = Vec::with_capacity(value.len() + 1);
        out.push(algorithm::NONE);
        out.extend_from_slice(value);
        out
    };
    if value.len() < MIN_SIZE || value.len() > MAX_EXPANDED {
        return Ok(raw());
    }
    // MAX_EXPANDED fits in a u32
    let len = (value.len() as u32).to_le_bytes();
    let mut out;
    match algo {
        algorithm::ZLIB => {
            let level = if level == 0 {
                flate2::Compression::default()
            } else {
                flate2::Compression::new(level.clamp(0, 9) as u32)
            };
            let mut encoder = flate2::write::ZlibEncoder::new([&[ZLIB_SIZED][..], &len].concat(), level);
            encoder.write_all(value)?;
            out = encoder.finish()?;
        }
        algorithm::ZSTD => {
            let level = if level == 0 { zstd::DEFAULT_COMPRESSION_LEVEL } else { level };
            // the frame records the value's length (zstd's default)
            out = vec![algo];
            out.extend_from_slice(&zstd::bulk::compress(value, level)?);
        }
        algorithm::LZ4 => {
            out = [&[algo][..], &len].concat();
            out.extend_from_slice(&lz4_flex::block::compress(value));
        }
        algorithm::NONE => return Ok(raw()),
        other => return Err(coder(&format!("unknown compression algorithm {other}"))),
    }
    Ok(if out.len() < value.len() + 1 { out } else { raw() })
}

/// The value stored in `stored` (borrowed when it was stored raw).
pub fn decompress(stored: &[u8]) -> Result<Cow<'_, [u8]>> {
    let (&tag, body) = stored.split_first().ok_or_else(|| coder("an empty value has no compression header"))?;
    match tag {
        algorithm::NONE => Ok(Cow::Borrowed(body)),
        algorithm::ZLIB => {
            // no recorded length: cut off one byte past what these bytes may
            // give, into room reserved once (untouched room costs no memory)
            let most = body.len().saturating_mul(ZLIB_RATIO).min(MAX_EXPANDED);
            let mut out = Vec::with_capacity(most + 1);
            let decoder = flate2::read::ZlibDecoder::new(body);
            decoder.take(most as u64 + 1).read_to_end(&mut out).map_err(|e| coder(&format!("zlib: {e}")))?;
            if out.len() > most {
                return Err(coder("zlib: the value expands beyond 64 MiB"));
            }
            Ok(Cow::Owned(out))
        }
        ZLIB_SIZED => {
            let (len, stream) = recorded_length(body, "zlib", ZLIB_RATIO)?;
            let mut out = vec![0; len];
            let mut decoder = flate2::read::ZlibDecoder::new(stream);
            decoder.read_exact(&mut out).map_err(|e| coder(&format!("zlib: {e} (recorded length {len})")))?;
            // the stream must end here, checksum included
            match decoder.read(&mut [0]) {
                Ok(0) => Ok(Cow::Owned(out)),
                Ok(_) => Err(coder("zlib: the stream is longer than its recorded length")),
                Err(e) => Err(coder(&format!("zlib: {e}"))),
            }
        }
        algorithm::ZSTD => {
            let recorded = match zstd::zstd_safe::get_frame_content_size(body) {
                Ok(recorded) => recorded.map(|len| usize::try_from(len).unwrap_or(usize::MAX)),
                Err(_) => return Err(coder("zstd: not a zstd frame")),
            };
            let most = body.len().saturating_mul(ZSTD_RATIO).min(MAX_EXPANDED);
            match recorded {
                Some(len) if len > MAX_EXPANDED => {
                    return Err(coder(&format!("zstd: the recorded length {len} is beyond the 64 MiB limit")))
                }
                Some(len) if len > most => return Err(coder("zstd: the recorded length does not fit the frame")),
                _ => {}
            }
            // decompressing into at most this many bytes fails on more output
            let out =
                zstd::bulk::decompress(body, recorded.unwrap_or(most)).map_err(|e| coder(&format!("zstd: {e}")))?;
            if recorded.is_some_and(|len| len != out.len()) {
                return Err(coder("zstd: the frame is shorter than its recorded length"));
            }
            Ok(Cow::Owned(out))
        }
        algorithm::LZ4 => {
            let (len, block) = recorded_length(body, "lz4", LZ4_RATIO)?;
            let mut out = vec![0; len];
            match lz4_flex::block::decompress_into(block, &mut out) {
                Ok(n) if n == len => Ok(Cow::Owned(out)),
                Ok(_) => Err(coder("lz4: the block is shorter than its recorded length")),
                Err(e) => Err(coder(&format!("lz4: {e}"))),
            }
        }
        other => Err(coder(&format!("unknown compression header {other}"))),
    }
}

/// The length recorded before `body`'s compressed bytes, and those bytes;
/// refused when beyond the limit or more than the bytes could expand to.
fn recorded_length<'a>(body: &'a [u8], format: &str, ratio: usize) -> Result<(usize, &'a [u8])> {
    let (len, rest) = body.split_first_chunk::<4>().ok_or_else(|| coder(&format!("{format}: truncated header")))?;
    let len = u32::from_le_bytes(*len) as usize;
    if len > MAX_EXPANDED {
        return Err(coder(&format!("{format}: the recorded length {len} is beyond the 64 MiB limit")));
    }
    if len > rest.len().saturating_mul(ratio) + 16 {
        return Err(coder(&format!("{format}: the recorded length does not fit the compressed bytes")));
    }
    Ok((len, rest))
}

fn coder(msg: &str) -> Error {
    Error::Coder(msg.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_round_trips_and_shrinks_repetitive_values() {
        let value = b"the same words again and again, ".repeat(100);
        for algo in [algorithm::ZLIB, algorithm::ZSTD, algorithm::LZ4] {
            let stored = compress(&value, algo, 0).unwrap();
            assert_eq!(stored[0], if algo == algorithm::ZLIB { ZLIB_SIZED } else { algo });
            assert!(stored.len() < value.len() / 4, "algorithm {algo}: {} bytes", stored.len());
            assert_eq!(decompress(&stored).unwrap(), &value[..]);
        }
    }

    #[test]
    fn short_or_incompressible_values_are_stored_raw() {
        let short = b"short";
        assert_eq!(compress(short, algorithm::ZSTD, 3).unwrap(), [&[0u8][..], short].concat());
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let noise: Vec<u8> = (0..4096)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let stored = compress(&noise, algorithm::ZLIB, 9).unwrap();
        assert_eq!(stored[0], algorithm::NONE);
        assert_eq!(decompress(&stored).unwrap(), &noise[..]);
    }

    #[test]
    fn damaged_values_fail_instead_of_guessing() {
        let stored = compress(&[7u8; 1000], algorithm::LZ4, 0).unwrap();
        let short_block = [algorithm::LZ4, 0xe8, 3, 0, 0, 0x10, b'1'];
        let huge_length = [algorithm::LZ4, 0xff, 0xff, 0xff, 0xff, 0x10, b'1'];
        for bad in [&[][..], &[9, 1, 2][..], &stored[..6], &[algorithm::ZLIB, 1, 2, 3][..], &short_block, &huge_length]
        {
            assert!(matches!(decompress(bad), Err(Error::Coder(_))), "{bad:?}");
        }
    }

    fn zlib(value: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(value).unwrap();
        encoder.finish().unwrap()
    }

    fn with_header(header: &[u8], body: &[u8]) -> Vec<u8> {
        [header, body].concat()
    }

    fn refused(stored: &[u8]) -> String {
        match decompress(stored) {
            Err(Error::Coder(msg)) => msg,
            other => panic!("expected a CoderError, got {:?}", other.map(|v| v.len())),
        }
    }

    #[test]
    fn values_written_before_lengths_were_recorded_still_read() {
        let value = b"an old zlib value, ".repeat(50);
        assert_eq!(decompress(&with_header(&[algorithm::ZLIB], &zlib(&value))).unwrap(), &value[..]);
        // zlib is now written with its length
        let stored = compress(&value, algorithm::ZLIB, 0).unwrap();
        assert_eq!(stored[0], ZLIB_SIZED);
        assert_eq!(&stored[1..5], &(value.len() as u32).to_le_bytes());
    }

    #[test]
    fn values_over_the_limit_are_stored_raw_and_read_back() {
        let value = vec![0u8; MAX_EXPANDED + 1];
        for algo in [algorithm::ZLIB, algorithm::ZSTD, algorithm::LZ4] {
            let stored = compress(&value, algo, 0).unwrap();
            assert_eq!(stored[0], algorithm::NONE);
            assert_eq!(decompress(&stored).unwrap().len(), value.len());
        }
    }

    #[test]
    fn bombs_are_refused_without_expanding() {
        let zeros = vec![0u8; MAX_EXPANDED + (1 << 20)];
        let small = 1000u32.to_le_bytes();
        // zlib without a recorded length: cut off at the limit
        assert!(refused(&with_header(&[algorithm::ZLIB], &zlib(&zeros))).contains("beyond 64 MiB"));
        // zlib and lz4 expanding beyond the length they record
        let mib = &zeros[..1 << 20];
        refused(&with_header(&[&[ZLIB_SIZED][..], &small].concat(), &zlib(mib)));
        refused(&with_header(&[&[algorithm::LZ4][..], &small].concat(), &lz4_flex::block::compress(mib)));
        // a zstd frame recording a length over the limit, and one recording none
        let frame = zstd::bulk::compress(&zeros, 1).unwrap();
        assert!(frame.len() < 16 * 1024, "{} bytes", frame.len());
        assert!(refused(&with_header(&[algorithm::ZSTD], &frame)).contains("beyond the 64 MiB limit"));
        let mut encoder = zstd::stream::Encoder::new(Vec::new(), 1).unwrap();
        encoder.write_all(&zeros).unwrap();
        let unsized_frame = encoder.finish().unwrap();
        assert_eq!(zstd::zstd_safe::get_frame_content_size(&unsized_frame).unwrap(), None);
        refused(&with_header(&[algorithm::ZSTD], &unsized_frame));
        // a zstd frame followed by a second one beyond its recorded length
        let one = zstd::bulk::compress(mib, 1).unwrap();
        refused(&with_header(&[algorithm::ZSTD], &[&one[..], &one].concat()));
    }

    #[test]
    fn claimed_lengths_the_bytes_cannot_produce_are_refused_before_allocating() {
        for header in [ZLIB_SIZED, algorithm::LZ4] {
            for len in [u32::MAX, MAX_EXPANDED as u32, 1 << 20] {
                let stored = with_header(&[&[header][..], &len.to_le_bytes()].concat(), &[0x78, 0x01, 3, 0]);
                refused(&stored);
            }
        }
        // zlib shorter than it records, or with trailing garbage
        let value = b"twelve bytes".repeat(10);
        let len = (value.len() as u32).to_le_bytes();
        refused(&with_header(&[&[ZLIB_SIZED][..], &(value.len() as u32 + 1).to_le_bytes()].concat(), &zlib(&value)));
        let stream = zlib(&value);
        refused(&with_header(&[&[ZLIB_SIZED][..], &len].concat(), &stream[..stream.len() - 3]));
        // a zstd frame whose recorded length is beyond its bytes' reach
        let frame = zstd::bulk::compress(&value, 1).unwrap();
        refused(&with_header(&[algorithm::ZSTD], &frame[..frame.len() - 2]));
        refused(&[algorithm::ZSTD, 0x28, 0xb5, 0x2f, 0xfd, 0xff]);
    }
}
