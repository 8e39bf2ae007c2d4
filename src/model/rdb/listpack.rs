//! Listpacks (`listpack.c`): the blob Redis 7.0 stores small hashes, sorted sets, list nodes and
//! stream nodes in.
//!
//! [`Writer`] appends elements as `lpAppend` does (a string that is a canonical 64-bit integer is
//! stored as an integer). [`parse`] validates a whole listpack as `lpValidateIntegrity` does in
//! its deep mode (header size, every entry's encoding and back-length, the element count, the
//! terminator) and returns its elements; integers come back as their decimal text, as `lpGet`
//! gives them. It never reads past the blob.

use bytes::Bytes;

const HEADER: usize = 6;
const EOF: u8 = 0xff;
/// `LP_HDR_NUMELE_UNKNOWN`: the header's count saturates here.
const NUMELE_UNKNOWN: usize = 65_535;

/// One element as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Element {
    Int(i64),
    Str(Bytes),
}

impl Element {
    /// The element as `lpGet` returns it: integers as decimal text.
    pub fn into_bytes(self) -> Bytes {
        match self {
            Element::Int(v) => Bytes::from(v.to_string()),
            Element::Str(s) => s,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Element::Int(v) => Some(*v),
            Element::Str(_) => None,
        }
    }
}

/// `lpStringToInt64`: only the canonical decimal form of an i64 (no sign on 0, no leading zeros,
/// at most 20 characters).
pub fn string_to_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        if v > 1u64 << 63 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Builds a listpack element by element.
pub struct Writer {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Writer {
    fn default() -> Writer {
        Writer::new()
    }
}

impl Writer {
    pub fn new() -> Writer {
        let mut buf = Vec::with_capacity(64);
        buf.extend_from_slice(&[0; HEADER]);
        Writer { buf, count: 0 }
    }

    /// `lpAppend`: a canonical integer string is stored as an integer.
    pub fn push(&mut self, s: &[u8]) {
        match string_to_i64(s) {
            Some(v) => self.push_int(v),
            None => self.push_str(s),
        }
    }

    /// `lpAppendInteger`.
    pub fn push_int(&mut self, v: i64) {
        let start = self.buf.len();
        if (0..=127).contains(&v) {
            self.buf.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = if v < 0 { (1i64 << 13) + v } else { v } as u64;
            self.buf.push(((u >> 8) as u8) | 0xc0);
            self.buf.push(u as u8);
        } else if (-32768..=32767).contains(&v) {
            self.buf.push(0xf1);
            self.buf.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-8_388_608..=8_388_607).contains(&v) {
            self.buf.push(0xf2);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if (-2_147_483_648..=2_147_483_647).contains(&v) {
            self.buf.push(0xf3);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            self.buf.push(0xf4);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
        self.finish_entry(start);
    }

    fn push_str(&mut self, s: &[u8]) {
        let start = self.buf.len();
        let len = s.len();
        if len < 64 {
            self.buf.push(0x80 | len as u8);
        } else if len < 4096 {
            self.buf.push(0xe0 | (len >> 8) as u8);
            self.buf.push(len as u8);
        } else {
            self.buf.push(0xf0);
            self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        }
        self.buf.extend_from_slice(s);
        self.finish_entry(start);
    }

    fn finish_entry(&mut self, start: usize) {
        let len = (self.buf.len() - start) as u64;
        let mut back = [0u8; 5];
        let n = encode_backlen(&mut back, len);
        self.buf.extend_from_slice(&back[..n]);
        self.count += 1;
    }

    /// The finished blob.
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&total.to_le_bytes());
        let numele = self.count.min(NUMELE_UNKNOWN) as u16;
        self.buf[4..6].copy_from_slice(&numele.to_le_bytes());
        self.buf
    }

    /// The bytes so far plus the terminator (`lpBytes`).
    pub fn len_bytes(&self) -> usize {
        self.buf.len() + 1
    }
}

/// `lpEncodeBacklen`.
fn encode_backlen(buf: &mut [u8; 5], l: u64) -> usize {
    if l <= 127 {
        buf[0] = l as u8;
        1
    } else if l < 16383 {
        buf[0] = (l >> 7) as u8;
        buf[1] = ((l & 127) | 128) as u8;
        2
    } else if l < 2_097_151 {
        buf[0] = (l >> 14) as u8;
        buf[1] = (((l >> 7) & 127) | 128) as u8;
        buf[2] = ((l & 127) | 128) as u8;
        3
    } else if l < 268_435_455 {
        buf[0] = (l >> 21) as u8;
        buf[1] = (((l >> 14) & 127) | 128) as u8;
        buf[2] = (((l >> 7) & 127) | 128) as u8;
        buf[3] = ((l & 127) | 128) as u8;
        4
    } else {
        buf[0] = (l >> 28) as u8;
        buf[1] = (((l >> 21) & 127) | 128) as u8;
        buf[2] = (((l >> 14) & 127) | 128) as u8;
        buf[3] = (((l >> 7) & 127) | 128) as u8;
        buf[4] = ((l & 127) | 128) as u8;
        5
    }
}

/// `lpDecodeBacklen` reading backwards from `end - 1`; `None` past 5 bytes or the start.
fn decode_backlen(lp: &[u8], end: usize) -> Option<u64> {
    let mut val: u64 = 0;
    let mut shift = 0;
    let mut p = end.checked_sub(1)?;
    loop {
        let b = *lp.get(p)?;
        val |= u64::from(b & 127) << shift;
        if b & 128 == 0 {
            return Some(val);
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
        p = p.checked_sub(1)?;
    }
}

fn le(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}

/// Sign-extends the low `bits` of `u`.
fn signed(u: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((u << shift) as i64) >> shift
}

/// Decodes the entry at `p`: the element and the offset of the next entry.
fn entry(lp: &[u8], p: usize, end: usize) -> Option<(Element, usize)> {
    let enc = *lp.get(p)?;
    let need = |n: usize| -> Option<&[u8]> {
        let to = p.checked_add(n)?;
        if to > end {
            return None;
        }
        lp.get(p..to)
    };
    let (element, size) = if enc & 0x80 == 0 {
        (Element::Int(i64::from(enc & 0x7f)), 1)
    } else if enc & 0xc0 == 0x80 {
        let len = usize::from(enc & 0x3f);
        let body = need(1 + len)?;
        (Element::Str(Bytes::copy_from_slice(&body[1..])), 1 + len)
    } else if enc & 0xe0 == 0xc0 {
        let b = need(2)?;
        let u = (u64::from(b[0] & 0x1f) << 8) | u64::from(b[1]);
        (Element::Int(signed(u, 13)), 2)
    } else if enc & 0xf0 == 0xe0 {
        let h = need(2)?;
        let len = (usize::from(h[0] & 0x0f) << 8) | usize::from(h[1]);
        let body = need(2 + len)?;
        (Element::Str(Bytes::copy_from_slice(&body[2..])), 2 + len)
    } else {
        match enc {
            0xf0 => {
                let h = need(5)?;
                let len = le(&h[1..5]) as usize;
                let body = need(5usize.checked_add(len)?)?;
                (Element::Str(Bytes::copy_from_slice(&body[5..])), 5 + len)
            }
            0xf1 => (Element::Int(signed(le(&need(3)?[1..]), 16)), 3),
            0xf2 => (Element::Int(signed(le(&need(4)?[1..]), 24)), 4),
            0xf3 => (Element::Int(signed(le(&need(5)?[1..]), 32)), 5),
            0xf4 => (Element::Int(le(&need(9)?[1..]) as i64), 9),
            _ => return None,
        }
    };
    let mut back = [0u8; 5];
    let backlen = encode_backlen(&mut back, size as u64);
    let next = p.checked_add(size + backlen)?;
    if next > end {
        return None;
    }
    if decode_backlen(lp, next)? != size as u64 {
        return None;
    }
    Some((element, next))
}

/// Validates a whole listpack and returns its elements (`lpValidateIntegrity`, deep).
pub fn parse(lp: &[u8]) -> Option<Vec<Element>> {
    if lp.len() < HEADER + 1 || le(&lp[..4]) as usize != lp.len() || lp[lp.len() - 1] != EOF {
        return None;
    }
    let numele = le(&lp[4..6]) as usize;
    let end = lp.len() - 1;
    let mut p = HEADER;
    let mut elements = Vec::new();
    while p < end {
        let (element, next) = entry(lp, p, end)?;
        elements.push(element);
        p = next;
    }
    if p != end || (numele != NUMELE_UNKNOWN && numele != elements.len()) {
        return None;
    }
    Some(elements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_strings_round_trip_through_every_encoding() {
        let values: Vec<Vec<u8>> = [
            "0",
            "127",
            "128",
            "-1",
            "-4096",
            "4095",
            "4096",
            "-32768",
            "32767",
            "8388607",
            "-8388608",
            "2147483647",
            "-2147483648",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "007",
            "-0",
            "",
            "abc",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .chain([
            vec![b'x'; 63],
            vec![b'y'; 64],
            vec![b'z'; 4095],
            vec![b'w'; 4096],
        ])
        .collect();
        let mut w = Writer::new();
        for v in &values {
            w.push(v);
        }
        let lp = w.finish();
        let back: Vec<Vec<u8>> = parse(&lp)
            .unwrap()
            .into_iter()
            .map(|e| e.into_bytes().to_vec())
            .collect();
        assert_eq!(back, values);
    }

    #[test]
    fn known_bytes_and_corruption() {
        // lpAppend of "a", 1, -1 as Redis lays them out.
        let mut w = Writer::new();
        w.push(b"a");
        w.push(b"1");
        w.push(b"-1");
        let lp = w.finish();
        assert_eq!(
            lp,
            [15, 0, 0, 0, 3, 0, 0x81, b'a', 2, 1, 1, 0xdf, 0xff, 2, 0xff]
        );
        for cut in 0..lp.len() {
            assert!(parse(&lp[..cut]).is_none());
        }
        let mut bad = lp.clone();
        bad[8] = 3; // a wrong back-length
        assert!(parse(&bad).is_none());
        let mut bad = lp;
        bad[4] = 4; // a wrong count
        assert!(parse(&bad).is_none());
    }
}
