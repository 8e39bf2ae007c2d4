//! SORT and SORT_RO over lists and sets, with BY, GET, LIMIT, ASC/DESC, ALPHA and STORE.
//!
//! Redis's `sortCommandGeneric`: numeric scores are `strtod` of the whole element (or of the BY
//! key), equal scores fall back to comparing the elements bytewise so the order is determined;
//! ALPHA compares bytes (the model has no locale, Redis's `strcoll` in the C locale is the same).
//!
//! What it must never do: block, or read keys other than those its patterns name.

use crate::model::frame::Frame;
use crate::model::keyspace::Value;
use crate::model::parse::{self, is_keyword, ERR_SYNTAX};
use crate::model::server::{Call, Reply, Server};
use bytes::Bytes;
use std::cmp::Ordering;
use std::collections::VecDeque;

/// ```text
/// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]]
///     [ASC | DESC] [ALPHA] [STORE destination]
/// ```
pub fn sort(server: &mut Server, call: Call<'_>) -> Reply {
    match sort_generic(server, call, false) {
        Ok(frame) | Err(frame) => frame.into(),
    }
}

/// ```text
/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC | DESC] [ALPHA]
/// ```
pub fn sort_ro(server: &mut Server, call: Call<'_>) -> Reply {
    match sort_generic(server, call, true) {
        Ok(frame) | Err(frame) => frame.into(),
    }
}

fn sort_generic(server: &mut Server, call: Call<'_>, read_only: bool) -> Result<Frame, Frame> {
    let args = call.args;
    let mut desc = false;
    let mut alpha = false;
    let mut limit: Option<(i64, i64)> = None;
    let mut store: Option<&Bytes> = None;
    let mut by: Option<&Bytes> = None;
    let mut gets: Vec<&Bytes> = Vec::new();
    let mut i = 2;
    while i < args.len() {
        let left = args.len() - i - 1;
        let arg = &args[i];
        if is_keyword(arg, "ASC") {
            desc = false;
        } else if is_keyword(arg, "DESC") {
            desc = true;
        } else if is_keyword(arg, "ALPHA") {
            alpha = true;
        } else if is_keyword(arg, "LIMIT") && left >= 2 {
            let offset = parse::int_arg(&args[i + 1])?;
            let count = parse::int_arg(&args[i + 2])?;
            limit = Some((offset, count));
            i += 2;
        } else if is_keyword(arg, "STORE") && left >= 1 && !read_only {
            store = Some(&args[i + 1]);
            i += 1;
        } else if is_keyword(arg, "BY") && left >= 1 {
            by = Some(&args[i + 1]);
            i += 1;
        } else if is_keyword(arg, "GET") && left >= 1 {
            gets.push(&args[i + 1]);
            i += 1;
        } else {
            return Err(Frame::error(ERR_SYNTAX));
        }
        i += 1;
    }
    let now = call.now_ms;
    let ks = &mut server.keyspace;
    let mut elements: Vec<Bytes> = match ks.get(&args[1], now).map(|e| &e.value) {
        None => Vec::new(),
        Some(Value::List(list)) => list.iter().cloned().collect(),
        Some(Value::Set(set)) => set.iter().cloned().collect(),
        Some(Value::ZSet(zset)) => zset.iter().map(|(m, _)| m.clone()).collect(),
        Some(_) => return Err(Frame::error(crate::model::keyspace::WRONGTYPE)),
    };
    // BY without `*` means "do not sort" (a constant key is the same for every element).
    let dont_sort = by.is_some_and(|p| !p.contains(&b'*'));
    if !dont_sort {
        let mut keyed = Vec::with_capacity(elements.len());
        for element in elements {
            let by_value = match by {
                Some(pattern) => lookup_by_pattern(server, pattern, &element, now),
                None => Some(element.clone()),
            };
            let key = if alpha {
                SortKey::Text(by_value)
            } else {
                let score = match by_value {
                    Some(text) => crate::model::cmd::string::parse_float(&text)
                        .filter(|f| !f.is_nan())
                        .ok_or_else(|| {
                            Frame::error("ERR One or more scores can't be converted into double")
                        })?,
                    None => 0.0,
                };
                SortKey::Score(score)
            };
            keyed.push((key, element));
        }
        keyed.sort_by(|(ka, ea), (kb, eb)| {
            let ord = match (ka, kb) {
                (SortKey::Score(a), SortKey::Score(b)) => a
                    .partial_cmp(b)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| ea.cmp(eb)),
                (SortKey::Text(a), SortKey::Text(b)) => a.cmp(b),
                _ => Ordering::Equal,
            };
            if desc {
                ord.reverse()
            } else {
                ord
            }
        });
        elements = keyed.into_iter().map(|(_, e)| e).collect();
    } else if desc {
        elements.reverse();
    }
    let (start, count) = match limit {
        None => (0, elements.len()),
        Some((offset, count)) => {
            let len = elements.len() as i64;
            let start = offset.clamp(0, len);
            let count = if count < 0 { len } else { count };
            (start as usize, count.min(len - start) as usize)
        }
    };
    let picked = &elements[start..start + count];
    let mut out: Vec<Option<Bytes>> = Vec::new();
    for element in picked {
        if gets.is_empty() {
            out.push(Some(element.clone()));
        }
        for pattern in &gets {
            out.push(lookup_by_pattern(server, pattern, element, now));
        }
    }
    match store {
        None => Ok(Frame::Array(
            out.into_iter()
                .map(|v| v.map_or(Frame::Null, Frame::Bulk))
                .collect(),
        )),
        Some(dest) => {
            let n = out.len();
            let ks = &mut server.keyspace;
            if n == 0 {
                ks.remove(dest, now);
                ks.touch(dest);
            } else {
                let list: VecDeque<Bytes> =
                    out.into_iter().map(|v| v.unwrap_or_default()).collect();
                ks.set(dest.clone(), Value::List(list));
            }
            Ok(Frame::Integer(n as i64))
        }
    }
}

enum SortKey {
    Score(f64),
    /// `None` (the BY key is missing) sorts first.
    Text(Option<Bytes>),
}

/// Redis's `lookupKeyByPattern`: `#` is the element itself; the first `*` is replaced by the
/// element; `key->field` reads a hash field; anything but a string (or the field) is nil.
fn lookup_by_pattern(
    server: &mut Server,
    pattern: &[u8],
    element: &Bytes,
    now: u64,
) -> Option<Bytes> {
    if pattern == b"#" {
        return Some(element.clone());
    }
    let star = pattern.iter().position(|b| *b == b'*')?;
    let after = &pattern[star + 1..];
    let (postfix, field) = match after.windows(2).position(|w| w == b"->") {
        Some(at) if at + 2 < after.len() => (&after[..at], Some(&after[at + 2..])),
        _ => (after, None),
    };
    let mut key = Vec::with_capacity(pattern.len() + element.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(element);
    key.extend_from_slice(postfix);
    match (&server.keyspace.get(&key, now)?.value, field) {
        (Value::String(s), None) => Some(s.clone()),
        (Value::Hash(h), Some(field)) => h.get(field).cloned(),
        _ => None,
    }
}
