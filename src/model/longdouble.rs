//! Redis's `long double` arithmetic: INCRBYFLOAT and HINCRBYFLOAT add in C `long double`
//! (`strtold`, `+`, `"%.17Lf"` with trailing zeros cut), and GEOPOS answers doubles through the
//! same formatting (`addReplyHumanLongDouble`).
//!
//! A double cannot reproduce these digits (`1.23` stays `1.23` only with the extra precision),
//! so the work is done by `csrc/redis-ld/redis_ld.c`, Redis's own `string2ld`/`ld2string`
//! compiled on the same platform as the server it is compared with. This module is the safe
//! face of that C code; it must never hand C a buffer it does not own for the whole call.

use std::os::raw::{c_char, c_int};

extern "C" {
    fn oc_redis_ld_classify(s: *const c_char, len: usize) -> c_int;
    fn oc_redis_ld_incr(
        current: *const c_char,
        current_len: usize,
        incr: *const c_char,
        incr_len: usize,
        out: *mut c_char,
        out_cap: usize,
        out_len: *mut usize,
    ) -> c_int;
    fn oc_redis_ld_human(value: f64, out: *mut c_char, out_cap: usize) -> usize;
}

/// Redis's `MAX_LONG_DOUBLE_CHARS`: the room a formatted long double gets.
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

/// What a text is as Redis's `string2ld` reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    NotFloat,
    Finite,
    Infinite,
}

/// Classifies `text` as `string2ld` would (no spaces, no NaN, whole string, no range error).
pub fn classify(text: &[u8]) -> Class {
    // SAFETY: the pointer and length describe `text`, which the C code only reads.
    match unsafe { oc_redis_ld_classify(text.as_ptr().cast(), text.len()) } {
        0 => Class::Finite,
        1 => Class::Infinite,
        _ => Class::NotFloat,
    }
}

/// Why an addition has no result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IncrError {
    #[error("the increment is not a float")]
    IncrNotFloat,
    #[error("the current value is not a float")]
    CurrentNotFloat,
    #[error("the sum is NaN or infinite")]
    NotFinite,
}

/// `current + incr` in long double (`None`: 0, a missing key or field), as the text Redis
/// stores and answers.
pub fn incr(current: Option<&[u8]>, incr: &[u8]) -> Result<Vec<u8>, IncrError> {
    let mut out = [0u8; MAX_LONG_DOUBLE_CHARS];
    let mut len = 0usize;
    let (cur_ptr, cur_len) = match current {
        Some(c) => (c.as_ptr().cast(), c.len()),
        None => (std::ptr::null(), 0),
    };
    // SAFETY: the input pointers describe live slices (or null for none), the output buffer is
    // `out` with its capacity, and `len` outlives the call.
    let rc = unsafe {
        oc_redis_ld_incr(
            cur_ptr,
            cur_len,
            incr.as_ptr().cast(),
            incr.len(),
            out.as_mut_ptr().cast(),
            out.len(),
            &mut len,
        )
    };
    match rc {
        0 => Ok(out[..len.min(out.len())].to_vec()),
        1 => Err(IncrError::IncrNotFloat),
        2 => Err(IncrError::CurrentNotFloat),
        // 3, and 4 (no room, which a finite long double never needs).
        _ => Err(IncrError::NotFinite),
    }
}

/// `addReplyHumanLongDouble` of a double: fixed notation, 17 decimals, trailing zeros cut.
pub fn human(value: f64) -> String {
    let mut out = [0u8; MAX_LONG_DOUBLE_CHARS];
    // SAFETY: the output buffer is `out` with its capacity.
    let len = unsafe { oc_redis_ld_human(value, out.as_mut_ptr().cast(), out.len()) };
    String::from_utf8_lossy(&out[..len.min(out.len())]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sums a double gets wrong and Redis (long double) gets right, and Redis's refusals.
    #[test]
    fn long_double_sums_and_refusals() {
        assert_eq!(incr(None, b"1.23").as_deref(), Ok(&b"1.23"[..]));
        assert_eq!(incr(Some(b"10.5"), b"0.1").as_deref(), Ok(&b"10.6"[..]));
        assert_eq!(incr(Some(b"0.1"), b"0.2").as_deref(), Ok(&b"0.3"[..]));
        assert_eq!(incr(Some(b"5.0e3"), b"2.0e2").as_deref(), Ok(&b"5200"[..]));
        assert_eq!(incr(Some(b"1"), b"-1").as_deref(), Ok(&b"0"[..]));
        assert_eq!(incr(Some(b"0x10"), b"1").as_deref(), Ok(&b"17"[..]));
        assert_eq!(incr(None, b" 1"), Err(IncrError::IncrNotFloat));
        assert_eq!(incr(None, b"nan"), Err(IncrError::IncrNotFloat));
        assert_eq!(incr(Some(b"abc"), b"1"), Err(IncrError::CurrentNotFloat));
        assert_eq!(incr(None, b"inf"), Err(IncrError::NotFinite));
        assert_eq!(incr(None, b"1e-5000"), Err(IncrError::IncrNotFloat));
        assert_eq!(classify(b"-inf"), Class::Infinite);
        assert_eq!(classify(b"1.5"), Class::Finite);
        assert_eq!(classify(b""), Class::NotFloat);
        assert_eq!(human(-0.0), "0");
        assert_eq!(human(13.361389338970184), "13.36138933897018433");
    }
}
