//! Compressed values: a one-byte header names how the rest is stored, so a
//! reader never guesses. Values too short to gain, or that do not shrink,
//! are stored raw behind the header.
//!
//! | first byte | the rest |
//! |---|---|
//! | 0 | the value as is |
//! | 1 | a zlib stream |
//! | 2 | a zstd frame |
//! | 3 | the value's length (u32, little-endian), then an LZ4 block |

use std::borrow::Cow;
use std::io::{Read, Write};

use crate::error::{Error, Result};

/// Compression algorithms, numbered as the header and the wire format name them.
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

/// Values shorter than this are stored raw: compression would not pay.
const MIN_SIZE: usize = 64;

/// Compresses `value` with `algorithm` at `level` (0: the algorithm's default).
pub fn compress(value: &[u8], algo: u8, level: i32) -> Result<Vec<u8>> {
    let raw = || {
        let mut out = Vec::with_capacity(value.len() + 1);
        out.push(algorithm::NONE);
        out.extend_from_slice(value);
        out
    };
    if value.len() < MIN_SIZE {
        return Ok(raw());
    }
    let mut out = vec![algo];
    match algo {
        algorithm::ZLIB => {
            let level = if level == 0 {
                flate2::Compression::default()
            } else {
                flate2::Compression::new(level.clamp(0, 9) as u32)
            };
            let mut encoder = flate2::write::ZlibEncoder::new(out, level);
            encoder.write_all(value)?;
            out = encoder.finish()?;
        }
        algorithm::ZSTD => {
            let level = if level == 0 { zstd::DEFAULT_COMPRESSION_LEVEL } else { level };
            out.extend_from_slice(&zstd::bulk::compress(value, level)?);
        }
        algorithm::LZ4 => {
            let len = u32::try_from(value.len()).map_err(|_| coder("a value over 4 GiB cannot be LZ4-compressed"))?;
            out.extend_from_slice(&len.to_le_bytes());
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
            let mut out = Vec::new();
            flate2::read::ZlibDecoder::new(body).read_to_end(&mut out).map_err(|e| coder(&format!("zlib: {e}")))?;
            Ok(Cow::Owned(out))
        }
        algorithm::ZSTD => {
            let mut out = Vec::new();
            zstd::stream::copy_decode(body, &mut out).map_err(|e| coder(&format!("zstd: {e}")))?;
            Ok(Cow::Owned(out))
        }
        algorithm::LZ4 => {
            let (len, block) = body.split_first_chunk::<4>().ok_or_else(|| coder("lz4: truncated header"))?;
            let len = u32::from_le_bytes(*len) as usize;
            // LZ4 cannot expand a block more than 255 times: a larger stated
            // length is damage, and must not size an allocation.
            if len > block.len().saturating_mul(255) + 16 {
                return Err(coder("lz4: the stated length does not fit the block"));
            }
            let mut out = vec![0; len];
            match lz4_flex::block::decompress_into(block, &mut out) {
                Ok(n) if n == len => Ok(Cow::Owned(out)),
                Ok(_) => Err(coder("lz4: the block is shorter than its stated length")),
                Err(e) => Err(coder(&format!("lz4: {e}"))),
            }
        }
        other => Err(coder(&format!("unknown compression header {other}"))),
    }
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
            assert_eq!(stored[0], algo);
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
}
