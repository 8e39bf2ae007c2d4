//! The encodings older RDB versions wrote and Redis 7.0.15 still loads: ziplists (`ziplist.c`,
//! lists, hashes and sorted sets before 7.0), zipmaps (`zipmap.c`, hashes before 2.6) and the
//! intset (`intset.c`, integer sets; still written by 7.0).
//!
//! Every parser validates the whole blob as Redis's deep integrity check does and returns the
//! elements as byte strings (integers as decimal text); none reads past its input.

use bytes::Bytes;

fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// A ziplist's elements (`ziplistValidateIntegrity`, deep): header size and tail offset, every
/// entry's prevlen and encoding, the count, the terminator.
pub fn parse_ziplist(zl: &[u8]) -> Option<Vec<Bytes>> {
    const HEADER: usize = 10;
    let size = zl.len();
    if size < HEADER + 1 || le(&zl[..4]) as usize != size || zl[size - 1] != 0xff {
        return None;
    }
    let tail = le(&zl[4..8]) as usize;
    let header_count = le(&zl[8..10]) as usize;
    if tail > size - 1 {
        return None;
    }
    let last = size - 1; // the terminator
    let mut p = HEADER;
    let mut prev: Option<usize> = None;
    let mut prev_raw = 0usize;
    let mut out = Vec::new();
    while zl[p] != 0xff {
        // prevlen
        let (prevlen, prevlen_size) = if zl[p] < 254 {
            (usize::from(zl[p]), 1)
        } else {
            let b = zl.get(p + 1..p + 5)?;
            (le(b) as usize, 5)
        };
        if prevlen != prev_raw {
            return None;
        }
        let e = p + prevlen_size;
        if e >= last {
            return None;
        }
        let enc = zl[e];
        let (header, value): (usize, Element) = match enc >> 6 {
            0 => (1, Element::Str(usize::from(enc & 0x3f))),
            1 => {
                let b = *zl.get(e + 1)?;
                (
                    2,
                    Element::Str((usize::from(enc & 0x3f) << 8) | usize::from(b)),
                )
            }
            2 if enc == 0x80 => {
                let b = zl.get(e + 1..e + 5)?;
                let len = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                (5, Element::Str(len))
            }
            2 => return None,
            _ => match enc {
                0xc0 => (1, Element::Int(2)),
                0xd0 => (1, Element::Int(4)),
                0xe0 => (1, Element::Int(8)),
                0xf0 => (1, Element::Int(3)),
                0xfe => (1, Element::Int(1)),
                0xf1..=0xfd => (1, Element::Imm(i64::from(enc & 0x0f) - 1)),
                _ => return None,
            },
        };
        let data = e + header;
        let len = match value {
            Element::Str(n) => n,
            Element::Int(n) => n,
            Element::Imm(_) => 0,
        };
        let end = data.checked_add(len)?;
        if end > last || e + header > last {
            return None;
        }
        let bytes = &zl[data..end];
        out.push(match value {
            Element::Str(_) => Bytes::copy_from_slice(bytes),
            Element::Imm(v) => Bytes::from(v.to_string()),
            Element::Int(n) => {
                let u = le(bytes);
                let shift = 64 - 8 * n as u32;
                let v = ((u << shift) as i64) >> shift;
                Bytes::from(v.to_string())
            }
        });
        prev_raw = end - p;
        prev = Some(p);
        p = end;
    }
    if p != last {
        return None;
    }
    if prev.is_some_and(|start| start != tail) {
        return None;
    }
    if header_count != 0xffff && header_count != out.len() {
        return None;
    }
    Some(out)
}

enum Element {
    /// A string of this many bytes.
    Str(usize),
    /// An integer of this many bytes.
    Int(usize),
    /// A 4-bit immediate.
    Imm(i64),
}

/// A zipmap's field-value pairs (`zipmapValidateIntegrity`, deep).
pub fn parse_zipmap(zm: &[u8]) -> Option<Vec<(Bytes, Bytes)>> {
    const BIGLEN: u8 = 254;
    let size = zm.len();
    if size < 2 || zm[size - 1] != 0xff {
        return None;
    }
    let in_range = |p: usize| p >= 2 && p < size;
    let read_len = |p: usize| -> Option<(usize, usize)> {
        let first = *zm.get(p)?;
        if first < BIGLEN {
            Some((usize::from(first), 1))
        } else {
            let b = zm.get(p + 1..p + 5)?;
            let len = le(b) as usize;
            if len < usize::from(BIGLEN) {
                return None;
            }
            Some((len, 5))
        }
    };
    let mut pairs = Vec::new();
    let mut p = 1;
    while *zm.get(p)? != 0xff {
        let (klen, s) = read_len(p)?;
        if !in_range(p + s) {
            return None;
        }
        let key_at = p + s;
        p = key_at.checked_add(klen)?;
        if !in_range(p) {
            return None;
        }
        let (vlen, s) = read_len(p)?;
        if !in_range(p + s) {
            return None;
        }
        p += s;
        let free = usize::from(zm[p]);
        p += 1;
        let value_at = p;
        p = p.checked_add(vlen)?.checked_add(free)?;
        if !in_range(p) {
            return None;
        }
        pairs.push((
            Bytes::copy_from_slice(&zm[key_at..key_at + klen]),
            Bytes::copy_from_slice(&zm[value_at..value_at + vlen]),
        ));
    }
    if pairs.is_empty() || (zm[0] != BIGLEN && usize::from(zm[0]) != pairs.len()) {
        return None;
    }
    Some(pairs)
}

/// An intset's members in order (`intsetValidateIntegrity`, deep: a valid width, the exact size,
/// not empty, strictly ascending).
pub fn parse_intset(is: &[u8]) -> Option<Vec<i64>> {
    if is.len() < 8 {
        return None;
    }
    let width = le(&is[..4]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return None;
    }
    let count = le(&is[4..8]) as usize;
    if count == 0 || count.checked_mul(width)?.checked_add(8)? != is.len() {
        return None;
    }
    let shift = 64 - 8 * width as u32;
    let values: Vec<i64> = is[8..]
        .chunks_exact(width)
        .map(|c| ((le(c) << shift) as i64) >> shift)
        .collect();
    values.windows(2).all(|w| w[0] < w[1]).then_some(values)
}

/// An intset of `values` (sorted, distinct) in the smallest width that holds them all.
pub fn write_intset(values: &[i64]) -> Vec<u8> {
    let width: usize = if values.iter().all(|v| i16::try_from(*v).is_ok()) {
        2
    } else if values.iter().all(|v| i32::try_from(*v).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + width * values.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ziplist as Redis 6.2 writes it, built by hand from `ziplist.c`'s layout.
    fn ziplist(entries: &[&[u8]]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev_len = 0usize;
        let mut tail = 10;
        for e in entries {
            let start = body.len();
            tail = 10 + start;
            if prev_len < 254 {
                body.push(prev_len as u8);
            } else {
                body.push(254);
                body.extend_from_slice(&(prev_len as u32).to_le_bytes());
            }
            if let Ok(v) = std::str::from_utf8(e).unwrap_or("x").parse::<i64>() {
                match v {
                    0..=12 => body.push(0xf1 + v as u8),
                    -128..=127 => body.extend_from_slice(&[0xfe, v as u8]),
                    -32768..=32767 => {
                        body.push(0xc0);
                        body.extend_from_slice(&(v as i16).to_le_bytes());
                    }
                    _ => {
                        body.push(0xe0);
                        body.extend_from_slice(&v.to_le_bytes());
                    }
                }
            } else if e.len() < 64 {
                body.push(e.len() as u8);
                body.extend_from_slice(e);
            } else if e.len() < 16384 {
                body.push(0x40 | (e.len() >> 8) as u8);
                body.push(e.len() as u8);
                body.extend_from_slice(e);
            } else {
                body.push(0x80);
                body.extend_from_slice(&(e.len() as u32).to_be_bytes());
                body.extend_from_slice(e);
            }
            prev_len = body.len() - start;
        }
        let mut zl = Vec::new();
        zl.extend_from_slice(&((body.len() + 11) as u32).to_le_bytes());
        zl.extend_from_slice(&(tail as u32).to_le_bytes());
        zl.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(0xff);
        zl
    }

    #[test]
    fn ziplist_entries_of_every_encoding() {
        let big = vec![b'x'; 20_000];
        let mid = vec![b'y'; 300];
        let entries: Vec<&[u8]> = vec![
            b"a",
            b"7",
            b"-100",
            b"30000",
            b"9000000000",
            &mid,
            &big,
            b"end",
        ];
        let zl = ziplist(&entries);
        let got = parse_ziplist(&zl).unwrap();
        assert_eq!(
            got,
            entries
                .iter()
                .map(|e| Bytes::copy_from_slice(e))
                .collect::<Vec<_>>()
        );
        for cut in 0..zl.len() {
            assert!(parse_ziplist(&zl[..cut]).is_none());
        }
        let mut bad = zl.clone();
        bad[4] ^= 1; // tail offset
        assert!(parse_ziplist(&bad).is_none());
    }

    #[test]
    fn intsets_round_trip_and_must_ascend() {
        for values in [
            vec![1i64, 2, 3],
            vec![-70_000, 5],
            vec![i64::MIN, 0, i64::MAX],
        ] {
            assert_eq!(parse_intset(&write_intset(&values)).unwrap(), values);
        }
        assert!(parse_intset(&write_intset(&[3, 2])).is_none());
        assert!(parse_intset(&write_intset(&[])).is_none());
    }

    #[test]
    fn zipmaps() {
        // zipmap of {"f": "v", "g": "ww"} with one free byte after "ww".
        let zm = [2, 1, b'f', 1, 0, b'v', 1, b'g', 2, 1, b'w', b'w', 0, 0xff];
        assert_eq!(
            parse_zipmap(&zm).unwrap(),
            vec![
                (Bytes::from("f"), Bytes::from("v")),
                (Bytes::from("g"), Bytes::from("ww"))
            ]
        );
        assert!(parse_zipmap(&zm[..zm.len() - 2]).is_none());
    }
}
