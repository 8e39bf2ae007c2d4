//! Argument parsing helpers shared by the command handlers, with Redis's error texts.
//!
//! Handlers read their arguments through these so that "not an integer", "syntax error" and
//! friends are written once, byte-identical to Redis 7.0.

use crate::model::frame::Frame;
use bytes::Bytes;

pub const ERR_NOT_INTEGER: &str = "ERR value is not an integer or out of range";
pub const ERR_SYNTAX: &str = "ERR syntax error";

/// Parses a signed 64-bit integer the way Redis's `string2ll` does: no spaces, no `+`, no
/// leading zeros (except "0" itself), fits in i64.
pub fn parse_i64(arg: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(arg).ok()?;
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && text != "-0";
    if !canonical {
        return None;
    }
    text.parse().ok()
}

/// [`parse_i64`] with Redis's error reply.
pub fn int_arg(arg: &[u8]) -> Result<i64, Frame> {
    parse_i64(arg).ok_or_else(|| Frame::error(ERR_NOT_INTEGER))
}

/// Case-insensitive comparison of an argument with a keyword.
pub fn is_keyword(arg: &[u8], keyword: &str) -> bool {
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

/// A cursor over a request's arguments (after the command name).
pub struct Args<'a> {
    args: &'a [Bytes],
    pos: usize,
}

impl<'a> Args<'a> {
    /// Starts after the first `skip` arguments (1 for a command, 2 for a subcommand).
    pub fn new(args: &'a [Bytes], skip: usize) -> Args<'a> {
        Args { args, pos: skip }
    }

    /// The next argument; a missing one is a syntax error, as in most Redis commands.
    pub fn required(&mut self) -> Result<&'a Bytes, Frame> {
        self.next().ok_or_else(|| Frame::error(ERR_SYNTAX))
    }

    pub fn remaining(&self) -> &'a [Bytes] {
        &self.args[self.pos.min(self.args.len())..]
    }
}

impl<'a> Iterator for Args<'a> {
    type Item = &'a Bytes;

    fn next(&mut self) -> Option<&'a Bytes> {
        let arg = self.args.get(self.pos)?;
        self.pos += 1;
        Some(arg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_like_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            &b""[..],
            b"-",
            b"+1",
            b" 1",
            b"01",
            b"-0",
            b"1.0",
            b"9223372036854775808",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
