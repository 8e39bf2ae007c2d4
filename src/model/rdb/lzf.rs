//! LZF, as Redis compresses RDB strings (`lzf_c.c` with `HLOG` 16 and `VERY_FAST`, `lzf_d.c`).
//!
//! The compressor follows Redis's choices step by step so that the model's DUMP of a long string
//! is Redis's byte for byte. One difference: Redis leaves its hash table uninitialised
//! (`INIT_HTAB` 0), so a stale slot from an earlier call can, rarely, offer a match Redis takes;
//! the model starts from an empty table. Both outputs decompress to the same bytes.
//! The decompressor never reads or writes out of bounds: a bad stream is an error.

const HLOG: u32 = 16;
const HSIZE: usize = 1 << HLOG;
const MAX_LIT: usize = 1 << 5;
const MAX_OFF: usize = 1 << 13;
const MAX_REF: usize = (1 << 8) + (1 << 3);

fn idx(h: u32) -> usize {
    ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1)
}

fn first(input: &[u8], ip: usize) -> u32 {
    (u32::from(input[ip]) << 8) | u32::from(input[ip + 1])
}

fn next(v: u32, input: &[u8], ip: usize) -> u32 {
    (v << 8) | u32::from(input[ip + 2])
}

/// `lzf_compress` into at most `out_len` bytes; `None` when the result would not fit (Redis then
/// stores the string uncompressed).
pub fn compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let in_len = input.len();
    if in_len == 0 || out_len == 0 {
        return None;
    }
    // Slots hold positions + 1, so 0 is "empty" (Redis's offset 0 can never match either:
    // a match needs `ref > in_data`).
    let mut htab = vec![0u32; HSIZE];
    // Room past `out_len` so that no index can fail; the checks below are Redis's, and a result
    // longer than `out_len` is refused at the end.
    let mut out = vec![0u8; out_len + 8];
    let mut op: usize = 1; // start run
    let mut lit: usize = 0;
    let mut ip: usize = 0;
    if in_len < 3 {
        // Redis compresses only strings longer than 20 bytes.
        return None;
    }
    let mut hval = first(input, ip);
    while ip + 2 < in_len {
        hval = next(hval, input, ip);
        let slot = idx(hval);
        let stored = htab[slot] as usize;
        htab[slot] = (ip + 1) as u32;
        let matched = stored > 1 && {
            let r = stored - 1;
            r < ip
                && ip - r - 1 < MAX_OFF
                && input[r + 2] == input[ip + 2]
                && input[r] == input[ip]
                && input[r + 1] == input[ip + 1]
        };
        if matched {
            let r = stored - 1;
            let off = ip - r - 1;
            let mut len: usize = 2;
            let maxlen = (in_len - ip - len).min(MAX_REF);
            if op + 3 + 1 >= out_len && op - usize::from(lit == 0) + 3 + 1 >= out_len {
                return None;
            }
            out[op - lit - 1] = (lit as u8).wrapping_sub(1);
            op -= usize::from(lit == 0);
            // Redis's loop: 16 unrolled steps when more than 16 bytes may match, then one by
            // one up to `maxlen` (the unrolled steps may pass it by two; the input allows it).
            let mut mismatch = false;
            if maxlen > 16 {
                for _ in 0..16 {
                    len += 1;
                    if input[r + len] != input[ip + len] {
                        mismatch = true;
                        break;
                    }
                }
            }
            if !mismatch {
                loop {
                    len += 1;
                    if !(len < maxlen && input[r + len] == input[ip + len]) {
                        break;
                    }
                }
            }
            len -= 2;
            ip += 1;
            if len < 7 {
                out[op] = ((off >> 8) + (len << 5)) as u8;
                op += 1;
            } else {
                out[op] = ((off >> 8) + (7 << 5)) as u8;
                out[op + 1] = (len - 7) as u8;
                op += 2;
            }
            out[op] = off as u8;
            op += 1;
            lit = 0;
            op += 1; // start run
            ip += len + 1;
            if ip + 2 >= in_len {
                break;
            }
            ip -= 2;
            hval = first(input, ip);
            hval = next(hval, input, ip);
            htab[idx(hval)] = (ip + 1) as u32;
            ip += 1;
            hval = next(hval, input, ip);
            htab[idx(hval)] = (ip + 1) as u32;
            ip += 1;
        } else {
            if op >= out_len {
                return None;
            }
            lit += 1;
            out[op] = input[ip];
            op += 1;
            ip += 1;
            if lit == MAX_LIT {
                out[op - lit - 1] = (lit - 1) as u8;
                lit = 0;
                op += 1;
            }
        }
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < in_len {
        lit += 1;
        out[op] = input[ip];
        op += 1;
        ip += 1;
        if lit == MAX_LIT {
            out[op - lit - 1] = (lit - 1) as u8;
            lit = 0;
            op += 1;
        }
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op -= usize::from(lit == 0);
    if op > out_len {
        return None;
    }
    out.truncate(op);
    Some(out)
}

/// `lzf_decompress` to exactly `out_len` bytes; `None` on a malformed stream or another length.
pub fn decompress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(out_len.min(input.len().saturating_mul(300)));
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = usize::from(input[ip]);
        ip += 1;
        if ctrl < (1 << 5) {
            let run = ctrl + 1;
            if out.len() + run > out_len || ip + run > input.len() {
                return None;
            }
            out.extend_from_slice(&input[ip..ip + run]);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            let back = (ctrl & 0x1f) << 8;
            if ip >= input.len() {
                return None;
            }
            if len == 7 {
                len += usize::from(input[ip]);
                ip += 1;
                if ip >= input.len() {
                    return None;
                }
            }
            let back = back + usize::from(input[ip]) + 1;
            ip += 1;
            if out.len() + len + 2 > out_len || back > out.len() {
                return None;
            }
            let start = out.len() - back;
            for i in 0..len + 2 {
                let b = out[start + i];
                out.push(b);
            }
        }
    }
    (out.len() == out_len).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let samples: Vec<Vec<u8>> = vec![
            b"x".repeat(65_535),
            b"hello hello hello hello hello world".to_vec(),
            (0..5000u32).flat_map(|i| (i % 251).to_le_bytes()).collect(),
        ];
        for s in samples {
            if let Some(c) = compress(&s, s.len() - 4) {
                assert_eq!(decompress(&c, s.len()).unwrap(), s);
            }
        }
        assert_eq!(
            decompress(&[0x20, 0x00], 10),
            None,
            "reference before start"
        );
        assert_eq!(decompress(&[0x05, b'a'], 6), None, "literal past the input");
    }
}
