//! RESP2 frames: the bytes on the wire ↔ [`Frame`] values.
//!
//! Requests are parsed in two steps, as in mini-redis: [`check_request`] finds out, without
//! allocating, whether a whole request is buffered, then [`parse_request`] builds it. "Incomplete"
//! is a normal outcome, not an error. Replies are only ever encoded ([`Frame::encode`]); a
//! protocol error carries Redis's own text, because clients show it to people.

use bytes::Bytes;
use std::fmt;

/// Longest inline request Redis accepts before a newline (`PROTO_INLINE_MAX_SIZE`).
pub const INLINE_MAX_BYTES: usize = 64 * 1024;
/// Largest bulk string Redis accepts by default (`proto-max-bulk-len`, 512 MB).
pub const BULK_MAX_BYTES: i64 = 512 * 1024 * 1024;
/// Largest multibulk length Redis accepts (`1024*1024*1024` elements).
pub const MULTIBULK_MAX_LEN: i64 = 1024 * 1024 * 1024;

/// A RESP2 reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// `+OK`
    Simple(String),
    /// `-ERR ...`: the text includes the code (`ERR`, `WRONGTYPE`, `NOSCRIPT`, ...).
    Error(String),
    Integer(i64),
    Bulk(Bytes),
    /// `$-1`, the nil bulk string.
    Null,
    /// `*-1`, the nil array (EXEC after WATCH abort, blocking read timeout).
    NullArray,
    Array(Vec<Frame>),
    /// A map, as its keys and values in turn: RESP3's `%`, which RESP2 sends as an array.
    Map(Vec<Frame>),
}

impl Frame {
    pub fn ok() -> Frame {
        Frame::Simple("OK".to_string())
    }

    /// An error reply; `text` starts with its code, e.g. `ERR syntax error`.
    pub fn error(text: impl Into<String>) -> Frame {
        Frame::Error(text.into())
    }

    pub fn bulk(data: impl Into<Bytes>) -> Frame {
        Frame::Bulk(data.into())
    }

    /// Appends the RESP2 encoding of this frame to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Frame::Simple(s) => line(out, b'+', s.as_bytes()),
            Frame::Error(s) => line(out, b'-', s.as_bytes()),
            Frame::Integer(n) => number_line(out, b':', *n),
            Frame::Bulk(b) => {
                number_line(out, b'$', b.len() as i64);
                out.extend_from_slice(b);
                out.extend_from_slice(b"\r\n");
            }
            Frame::Null => out.extend_from_slice(b"$-1\r\n"),
            Frame::NullArray => out.extend_from_slice(b"*-1\r\n"),
            Frame::Array(items) | Frame::Map(items) => {
                number_line(out, b'*', items.len() as i64);
                for item in items {
                    item.encode(out);
                }
            }
        }
    }

    /// Appends the RESP3 encoding (for a client that said `HELLO 3`): nulls are `_`, maps `%`;
    /// everything else is as in RESP2.
    pub fn encode_resp3(&self, out: &mut Vec<u8>) {
        match self {
            Frame::Null | Frame::NullArray => out.extend_from_slice(b"_\r\n"),
            Frame::Array(items) => {
                number_line(out, b'*', items.len() as i64);
                for item in items {
                    item.encode_resp3(out);
                }
            }
            Frame::Map(items) => {
                number_line(out, b'%', (items.len() / 2) as i64);
                for item in items {
                    item.encode_resp3(out);
                }
            }
            other => other.encode(out),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

/// `<prefix><n>\r\n`, formatted straight into `out`: every reply has one per value, so the
/// digits are written by hand rather than through `fmt`.
fn number_line(out: &mut Vec<u8>, prefix: u8, n: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.push(prefix);
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[at..]);
    out.extend_from_slice(b"\r\n");
}

fn line(out: &mut Vec<u8>, prefix: u8, body: &[u8]) {
    out.push(prefix);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

impl fmt::Display for Frame {
    /// redis-cli's rendering, for logs and test failure messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Frame::Simple(s) => write!(f, "{s}"),
            Frame::Error(s) => write!(f, "(error) {s}"),
            Frame::Integer(n) => write!(f, "(integer) {n}"),
            Frame::Bulk(b) => write!(f, "{:?}", String::from_utf8_lossy(b)),
            Frame::Null | Frame::NullArray => write!(f, "(nil)"),
            Frame::Array(items) | Frame::Map(items) => {
                write!(f, "[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{item}")?;
                }
                write!(f, "]")
            }
        }
    }
}

/// Why a request could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum RequestError {
    /// Not all of the request is buffered yet: read more and try again.
    Incomplete,
    /// The bytes are not RESP. The text is Redis's (`Protocol error: ...`), sent to the client
    /// as `-ERR <text>` before the connection is closed.
    Protocol(String),
}

/// A complete request found in a buffer: its arguments and how many bytes it used.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub args: Vec<Bytes>,
    pub consumed: usize,
}

/// Parses one request (a multibulk array of bulk strings, or an inline command) from the start
/// of `buf`. An empty inline line yields a request with no arguments, which callers skip.
pub fn parse_request(buf: &[u8]) -> Result<Request, RequestError> {
    match buf.first() {
        None => Err(RequestError::Incomplete),
        Some(b'*') => parse_multibulk(buf),
        Some(_) => parse_inline(buf),
    }
}

/// Whether `buf` starts with a whole request, without allocating the arguments.
pub fn check_request(buf: &[u8]) -> Result<usize, RequestError> {
    match buf.first() {
        None => Err(RequestError::Incomplete),
        Some(b'*') => walk_multibulk(buf, |_| {}),
        Some(_) => find_line(buf, INLINE_MAX_BYTES, "too big inline request").map(|(_, next)| next),
    }
}

/// Room reserved for a request's arguments up front; a larger count grows as arguments come, so
/// a client's claimed count alone cannot make the server allocate.
const ARGS_RESERVED_MAX: usize = 64;

fn parse_multibulk(buf: &[u8]) -> Result<Request, RequestError> {
    let mut args = Vec::with_capacity(multibulk_count_hint(buf).min(ARGS_RESERVED_MAX));
    let consumed = walk_multibulk(buf, |arg| args.push(Bytes::copy_from_slice(arg)))?;
    Ok(Request { args, consumed })
}

/// Walks a multibulk request, handing each argument to `each`; returns the bytes it spans.
fn walk_multibulk(buf: &[u8], mut each: impl FnMut(&[u8])) -> Result<usize, RequestError> {
    let (count_line, mut pos) = find_line(buf, INLINE_MAX_BYTES, "too big mbulk count string")?;
    let count = parse_len(&count_line[1..])
        .filter(|n| *n <= MULTIBULK_MAX_LEN)
        .ok_or_else(|| protocol("invalid multibulk length"))?;
    for _ in 0..count.max(0) {
        let rest = &buf[pos..];
        match rest.first() {
            None => return Err(RequestError::Incomplete),
            Some(b'$') => {}
            Some(other) => {
                return Err(protocol(&format!("expected '$', got '{}'", *other as char)))
            }
        }
        let (len, body_at) = match plain_bulk_header(rest) {
            Some(header) => header,
            None => {
                let (len_line, body_at) =
                    find_line(rest, INLINE_MAX_BYTES, "too big bulk count string")?;
                let len = parse_len(&len_line[1..])
                    .filter(|n| (0..=BULK_MAX_BYTES).contains(n))
                    .ok_or_else(|| protocol("invalid bulk length"))?;
                (len as usize, body_at)
            }
        };
        let end = body_at + len;
        if rest.len() < end + 2 {
            return Err(RequestError::Incomplete);
        }
        each(&rest[body_at..end]);
        pos += end + 2;
    }
    Ok(pos)
}

fn parse_inline(buf: &[u8]) -> Result<Request, RequestError> {
    let (text, consumed) = find_line(buf, INLINE_MAX_BYTES, "too big inline request")?;
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    let args = split_inline(text)?;
    Ok(Request { args, consumed })
}

/// Splits an inline command like `sdssplitargs`: spaces separate, quotes group.
fn split_inline(text: &[u8]) -> Result<Vec<Bytes>, RequestError> {
    let unbalanced = || protocol("unbalanced quotes in request");
    let mut args = Vec::new();
    let mut i = 0;
    while i < text.len() {
        while i < text.len() && text[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == text.len() {
            break;
        }
        let mut arg = Vec::new();
        let quote = match text[i] {
            q @ (b'"' | b'\'') => {
                i += 1;
                Some(q)
            }
            _ => None,
        };
        loop {
            let Some(&c) = text.get(i) else {
                if quote.is_some() {
                    return Err(unbalanced());
                }
                break;
            };
            i += 1;
            match quote {
                Some(q) if c == q => {
                    // A closing quote must be followed by a space or the end.
                    if text.get(i).is_some_and(|n| !n.is_ascii_whitespace()) {
                        return Err(unbalanced());
                    }
                    break;
                }
                Some(b'"') if c == b'\\' && i < text.len() => {
                    arg.push(unescape(text, &mut i));
                }
                None if c.is_ascii_whitespace() => break,
                _ => arg.push(c),
            }
        }
        args.push(Bytes::from(arg));
    }
    Ok(args)
}

fn unescape(text: &[u8], i: &mut usize) -> u8 {
    let c = text[*i];
    *i += 1;
    match c {
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'b' => 8,
        b'a' => 7,
        b'x' if *i + 2 <= text.len() => {
            let hex = std::str::from_utf8(&text[*i..*i + 2]).ok();
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    *i += 2;
                    b
                }
                None => b'x',
            }
        }
        other => other,
    }
}

/// The line at the start of `buf` (without `\n`, with a possible `\r`) and the offset after it.
fn find_line<'a>(
    buf: &'a [u8],
    max: usize,
    too_big: &str,
) -> Result<(&'a [u8], usize), RequestError> {
    match buf.iter().position(|b| *b == b'\n') {
        Some(nl) if nl > max => Err(protocol(too_big)),
        Some(nl) => Ok((buf[..nl].strip_suffix(b"\r").unwrap_or(&buf[..nl]), nl + 1)),
        None if buf.len() > max => Err(protocol(too_big)),
        None => Err(RequestError::Incomplete),
    }
}

/// `$<digits>\r\n` at the start of `buf` with a valid length: the length and the offset after
/// the line. Any other header (a sign, no `\r`, too long, incomplete) is `None`, left to the
/// general path, which reads it the same way or finds what is wrong with it.
fn plain_bulk_header(buf: &[u8]) -> Option<(usize, usize)> {
    const DIGITS_MAX: usize = 10; // BULK_MAX_BYTES has 9
    let mut len: usize = 0;
    let mut at = 1;
    while let Some(&d) = buf.get(at) {
        if !d.is_ascii_digit() || at > DIGITS_MAX {
            break;
        }
        len = len * 10 + usize::from(d - b'0');
        at += 1;
    }
    let plain = at > 1
        && at <= DIGITS_MAX
        && buf.get(at) == Some(&b'\r')
        && buf.get(at + 1) == Some(&b'\n')
        && len as i64 <= BULK_MAX_BYTES;
    plain.then_some((len, at + 2))
}

/// The count a multibulk header announces, 0 when it is not (yet) readable.
fn multibulk_count_hint(buf: &[u8]) -> usize {
    let header = &buf[1..buf.len().min(24)];
    match header.iter().position(|b| *b == b'\r') {
        Some(end) => parse_len(&header[..end]).map_or(0, |n| n.max(0) as usize),
        None => 0,
    }
}

/// A decimal length as `str::parse::<i64>` reads it (an optional sign, then digits), by hand:
/// every request has one per argument.
fn parse_len(digits: &[u8]) -> Option<i64> {
    let (negative, digits) = match digits.first() {
        Some(b'-') => (true, &digits[1..]),
        Some(b'+') => (false, &digits[1..]),
        _ => (false, digits),
    };
    if digits.is_empty() {
        return None;
    }
    let mut n: i64 = 0;
    for d in digits {
        let d = i64::from(d.wrapping_sub(b'0'));
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?;
        n = if negative {
            n.checked_sub(d)?
        } else {
            n.checked_add(d)?
        };
    }
    Some(n)
}

fn protocol(what: &str) -> RequestError {
    RequestError::Protocol(format!("Protocol error: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(req: &Request) -> Vec<&[u8]> {
        req.args.iter().map(|a| a.as_ref()).collect()
    }

    #[test]
    fn multibulk_whole_and_partial() {
        let wire = b"*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n";
        let req = parse_request(wire).unwrap();
        assert_eq!(args(&req), vec![&b"PING"[..], b"hi"]);
        assert_eq!(req.consumed, wire.len());
        assert_eq!(check_request(wire), Ok(wire.len()));
        for cut in 0..wire.len() {
            assert_eq!(
                check_request(&wire[..cut]),
                Err(RequestError::Incomplete),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn inline_with_quotes() {
        let req = parse_request(b"set k \"a b\\n\" 'c d'\r\n").unwrap();
        assert_eq!(args(&req), vec![&b"set"[..], b"k", b"a b\n", b"c d"]);
        assert!(matches!(
            parse_request(b"set \"k\r\n"),
            Err(RequestError::Protocol(_))
        ));
    }

    #[test]
    fn bad_prefix_is_a_protocol_error() {
        assert_eq!(
            parse_request(b"*1\r\n+PING\r\n"),
            Err(RequestError::Protocol(
                "Protocol error: expected '$', got '+'".into()
            ))
        );
    }

    #[test]
    fn plain_bulk_headers_read_as_the_general_path_reads_them() {
        for header in [
            "$0\r\n",
            "$7\r\n",
            "$007\r\n",
            "$536870912\r\n",
            "$536870913\r\n",
            "$9999999999\r\n",
            "$99999999999\r\n",
            "$+7\r\n",
            "$-1\r\n",
            "$7\n",
            "$7\r",
            "$\r\n",
            "$7x\r\n",
        ] {
            let wire = format!("*1\r\n{header}abcdefg\r\n");
            let general = match find_line(header.as_bytes(), INLINE_MAX_BYTES, "big") {
                Ok((line, at)) => parse_len(&line[1..])
                    .filter(|n| (0..=BULK_MAX_BYTES).contains(n))
                    .map(|n| (n as usize, at)),
                Err(_) => None,
            };
            if let Some(plain) = plain_bulk_header(header.as_bytes()) {
                assert_eq!(Some(plain), general, "{header:?}");
            }
            if header == "$7\r\n" {
                assert_eq!(plain_bulk_header(header.as_bytes()), Some((7, 4)));
            }
            if matches!(general, Some((7, _))) {
                let req = parse_request(wire.as_bytes()).unwrap();
                assert_eq!(args(&req), vec![&b"abcdefg"[..]], "{header:?}");
            }
        }
    }

    #[test]
    fn lengths_parse_as_str_parse_does() {
        for text in [
            "0",
            "7",
            "-1",
            "+5",
            "-0",
            "",
            "-",
            "+",
            "1a",
            " 1",
            "00012",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999",
        ] {
            assert_eq!(
                parse_len(text.as_bytes()),
                text.parse::<i64>().ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn encodes_numbers_as_decimal_lines() {
        for n in [0, 7, -1, 10, 1234567890, i64::MAX, i64::MIN] {
            assert_eq!(
                Frame::Integer(n).to_bytes(),
                format!(":{n}\r\n").into_bytes()
            );
        }
    }

    #[test]
    fn encodes_nested_replies() {
        let f = Frame::Array(vec![
            Frame::Integer(1),
            Frame::Null,
            Frame::bulk("x"),
            Frame::error("ERR e"),
        ]);
        assert_eq!(f.to_bytes(), b"*4\r\n:1\r\n$-1\r\n$1\r\nx\r\n-ERR e\r\n");
    }
}
