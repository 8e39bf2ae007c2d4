//! GEO commands: GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH, GEOSEARCHSTORE, GEORADIUS,
//! GEORADIUSBYMEMBER and their `_RO` forms, over sorted sets as Redis 7.0.15's `geo.c`.
//!
//! A position is stored as a sorted-set member whose score is its 52-bit geohash; GEOADD is
//! ZADD with those scores. The arithmetic (scores, search boxes, distances) is Redis's own C
//! ([`crate::model::geohash`]); this file parses the arguments, walks the sorted set's score
//! ranges, sorts and answers with Redis's texts and number formats. It must never store a
//! position outside Redis's ranges or answer a float in another format than Redis's.

use crate::model::frame::Frame;
use crate::model::geohash::{self, Shape, ShapeKind, LAT_RANGE, LONG_RANGE};
use crate::model::keyspace::Value;
use crate::model::parse::{self, is_keyword, ERR_SYNTAX};
use crate::model::server::{Call, Reply, Server};
use crate::model::zset::ZSet;
use bytes::Bytes;

const ERR_NOT_FLOAT: &str = "ERR value is not a valid float";
const ERR_BAD_MEMBER: &str = "ERR could not decode requested zset member";

fn pick_zset(value: &mut Value) -> Option<&mut ZSet> {
    match value {
        Value::ZSet(z) => Some(z),
        _ => None,
    }
}

/// `getDoubleFromObjectOrReply`: `strtod` on the whole string (no spaces, no NaN); `why` is the
/// error text Redis gives for this argument.
fn double_arg(arg: &[u8], why: &str) -> Result<f64, Frame> {
    let lower = String::from_utf8_lossy(arg).to_ascii_lowercase();
    let parsed = match lower.as_str() {
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => crate::model::cmd::string::parse_float(arg),
    };
    parsed
        .filter(|v| !v.is_nan())
        .ok_or_else(|| Frame::error(why))
}

/// `extractLongLatOrReply`: a longitude and a latitude within Redis's ranges.
fn lon_lat(args: &[Bytes]) -> Result<(f64, f64), Frame> {
    let lon = double_arg(&args[0], ERR_NOT_FLOAT)?;
    let lat = double_arg(&args[1], ERR_NOT_FLOAT)?;
    if lon < LONG_RANGE.0 || lon > LONG_RANGE.1 || lat < LAT_RANGE.0 || lat > LAT_RANGE.1 {
        return Err(Frame::error(format!(
            "ERR invalid longitude,latitude pair {lon:.6},{lat:.6}"
        )));
    }
    Ok((lon, lat))
}

/// `extractUnitOrReply`: meters per unit.
fn unit_arg(arg: &[u8]) -> Result<f64, Frame> {
    match () {
        _ if is_keyword(arg, "m") => Ok(1.0),
        _ if is_keyword(arg, "km") => Ok(1000.0),
        _ if is_keyword(arg, "ft") => Ok(0.3048),
        _ if is_keyword(arg, "mi") => Ok(1609.34),
        _ => Err(Frame::error(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        )),
    }
}

/// `extractDistanceOrReply`: `radius unit`.
fn radius_args(args: &[Bytes]) -> Result<(f64, f64), Frame> {
    let radius = double_arg(&args[0], "ERR need numeric radius")?;
    if radius < 0.0 {
        return Err(Frame::error("ERR radius cannot be negative"));
    }
    Ok((radius, unit_arg(&args[1])?))
}

/// `extractBoxOrReply`: `width height unit`.
fn box_args(args: &[Bytes]) -> Result<(f64, f64, f64), Frame> {
    let width = double_arg(&args[0], "ERR need numeric width")?;
    let height = double_arg(&args[1], "ERR need numeric height")?;
    if height < 0.0 || width < 0.0 {
        return Err(Frame::error("ERR height or width cannot be negative"));
    }
    Ok((width, height, unit_arg(&args[2])?))
}

/// `addReplyDoubleDistance`: `fixedpoint_d2string` with 4 decimals (rounded half to even, as
/// `llrint`).
fn distance_reply(d: f64) -> Frame {
    if d == 0.0 {
        return Frame::bulk("0.0000");
    }
    let scaled = (d * 10000.0).round_ties_even();
    let sign = if scaled < 0.0 { "-" } else { "" };
    let v = scaled.abs() as u64;
    Frame::bulk(format!("{sign}{}.{:04}", v / 10000, v % 10000))
}

/// `addReplyHumanLongDouble` of a coordinate.
fn coordinate_reply(v: f64) -> Frame {
    Frame::bulk(crate::model::longdouble::human(v))
}

/// ```text
/// GEOADD key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]
/// ```
/// Redis turns it into the ZADD it runs (`geoaddCommand`): the options pass through, each
/// position becomes its score.
pub fn geoadd(server: &mut Server, call: Call<'_>) -> Reply {
    let args = call.args;
    let (mut nx, mut xx) = (false, false);
    let mut first = 2;
    while first < args.len() {
        let opt = &args[first];
        if is_keyword(opt, "NX") {
            nx = true;
        } else if is_keyword(opt, "XX") {
            xx = true;
        } else if !is_keyword(opt, "CH") {
            break;
        }
        first += 1;
    }
    if !(args.len() - first).is_multiple_of(3) || (xx && nx) {
        return Frame::error(ERR_SYNTAX).into();
    }
    let mut zadd_args: Vec<Bytes> = Vec::with_capacity(first + (args.len() - first) / 3 * 2);
    zadd_args.push(Bytes::from_static(b"zadd"));
    zadd_args.extend(args[1..first].iter().cloned());
    for triple in args[first..].chunks_exact(3) {
        let (lon, lat) = match lon_lat(&triple[..2]) {
            Ok(xy) => xy,
            Err(e) => return e.into(),
        };
        let Some(score) = geohash::encode(lon, lat) else {
            return Frame::error(format!(
                "ERR invalid longitude,latitude pair {lon:.6},{lat:.6}"
            ))
            .into();
        };
        zadd_args.push(Bytes::from(score.to_string()));
        zadd_args.push(triple[2].clone());
    }
    crate::model::cmd::zset::zadd(
        server,
        Call {
            args: &zadd_args,
            ..call
        },
    )
}

/// ```text
/// GEOPOS key [member [member ...]]
/// ```
pub fn geopos(server: &mut Server, call: Call<'_>) -> Reply {
    per_member(server, &call, |score| {
        match score.and_then(geohash::decode) {
            Some((lon, lat)) => Frame::Array(vec![coordinate_reply(lon), coordinate_reply(lat)]),
            None => Frame::NullArray,
        }
    })
}

/// GEOPOS's and GEOHASH's shape: one answer per member asked, from its score (`None` when the
/// member or the key is not there).
fn per_member(
    server: &mut Server,
    call: &Call<'_>,
    answer: impl Fn(Option<f64>) -> Frame,
) -> Reply {
    let zset = match server.keyspace.typed(&call.args[1], call.now_ms, pick_zset) {
        Ok(z) => z,
        Err(e) => return e.into(),
    };
    let out = call.args[2..]
        .iter()
        .map(|member| answer(zset.as_ref().and_then(|z| z.score(member))))
        .collect();
    Frame::Array(out).into()
}

/// ```text
/// GEODIST key member1 member2 [M | KM | FT | MI]
/// ```
pub fn geodist(server: &mut Server, call: Call<'_>) -> Reply {
    let to_meter = match call.args.len() {
        5 => match unit_arg(&call.args[4]) {
            Ok(u) => u,
            Err(e) => return e.into(),
        },
        n if n > 5 => return Frame::error(ERR_SYNTAX).into(),
        _ => 1.0,
    };
    let zset = match server.keyspace.typed(&call.args[1], call.now_ms, pick_zset) {
        Ok(Some(z)) => z,
        Ok(None) => return Frame::Null.into(),
        Err(e) => return e.into(),
    };
    let (Some(a), Some(b)) = (zset.score(&call.args[2]), zset.score(&call.args[3])) else {
        return Frame::Null.into();
    };
    match (geohash::decode(a), geohash::decode(b)) {
        (Some(a), Some(b)) => distance_reply(geohash::distance(a, b) / to_meter).into(),
        _ => Frame::Null.into(),
    }
}

/// ```text
/// GEOHASH key [member [member ...]]
/// ```
pub fn geohash_cmd(server: &mut Server, call: Call<'_>) -> Reply {
    per_member(server, &call, |score| {
        match score.and_then(geohash::hash_string) {
            Some(text) => Frame::Bulk(Bytes::copy_from_slice(&text)),
            None => Frame::Null,
        }
    })
}

/// Which command `georadius_generic` serves (Redis's `RADIUS_*`/`GEOSEARCH*` flags).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// GEORADIUS / GEORADIUS_RO (`no_store`).
    Coords {
        no_store: bool,
    },
    /// GEORADIUSBYMEMBER / GEORADIUSBYMEMBER_RO.
    Member {
        no_store: bool,
    },
    Search,
    SearchStore,
}

impl Variant {
    fn is_search(self) -> bool {
        matches!(self, Variant::Search | Variant::SearchStore)
    }

    fn may_store(self) -> bool {
        matches!(
            self,
            Variant::Coords { no_store: false } | Variant::Member { no_store: false }
        )
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// One point found (`geoPoint`).
struct Point {
    member: Bytes,
    xy: (f64, f64),
    dist: f64,
    score: f64,
}

/// ```text
/// GEORADIUS key longitude latitude radius M|KM|FT|MI [WITHCOORD] [WITHDIST] [WITHHASH]
///   [COUNT count [ANY]] [ASC|DESC] [STORE key] [STOREDIST key]
/// ```
pub fn georadius(server: &mut Server, call: Call<'_>) -> Reply {
    georadius_generic(server, call, 1, Variant::Coords { no_store: false })
}

/// GEORADIUS_RO: GEORADIUS without STORE.
pub fn georadius_ro(server: &mut Server, call: Call<'_>) -> Reply {
    georadius_generic(server, call, 1, Variant::Coords { no_store: true })
}

/// ```text
/// GEORADIUSBYMEMBER key member radius M|KM|FT|MI [options as GEORADIUS]
/// ```
pub fn georadiusbymember(server: &mut Server, call: Call<'_>) -> Reply {
    georadius_generic(server, call, 1, Variant::Member { no_store: false })
}

/// GEORADIUSBYMEMBER_RO: GEORADIUSBYMEMBER without STORE.
pub fn georadiusbymember_ro(server: &mut Server, call: Call<'_>) -> Reply {
    georadius_generic(server, call, 1, Variant::Member { no_store: true })
}

/// ```text
/// GEOSEARCH key FROMMEMBER member|FROMLONLAT longitude latitude
///   BYRADIUS radius unit|BYBOX width height unit [ASC|DESC] [COUNT count [ANY]]
///   [WITHCOORD] [WITHDIST] [WITHHASH]
/// ```
pub fn geosearch(server: &mut Server, call: Call<'_>) -> Reply {
    georadius_generic(server, call, 1, Variant::Search)
}

/// ```text
/// GEOSEARCHSTORE destination source FROMMEMBER member|FROMLONLAT longitude latitude
///   BYRADIUS radius unit|BYBOX width height unit [ASC|DESC] [COUNT count [ANY]] [STOREDIST]
/// ```
pub fn geosearchstore(server: &mut Server, call: Call<'_>) -> Reply {
    georadius_generic(server, call, 2, Variant::SearchStore)
}

/// Redis's `georadiusGeneric`, in its order of checks and replies.
fn georadius_generic(server: &mut Server, call: Call<'_>, src: usize, variant: Variant) -> Reply {
    match search(server, &call, src, variant) {
        Ok(frame) | Err(frame) => frame.into(),
    }
}

fn search(
    server: &mut Server,
    call: &Call<'_>,
    src: usize,
    variant: Variant,
) -> Result<Frame, Frame> {
    let args = call.args;
    let now = call.now_ms;
    // A missing source is known before any argument is read; its zset is looked up again
    // below (the borrow cannot live across the store).
    let exists = server.keyspace.typed(&args[src], now, pick_zset)?.is_some();
    let member_xy = |server: &mut Server, member: &[u8]| -> Result<(f64, f64), Frame> {
        server
            .keyspace
            .typed(&args[src], now, pick_zset)?
            .and_then(|z| z.score(member))
            .and_then(geohash::decode)
            .ok_or_else(|| Frame::error(ERR_BAD_MEMBER))
    };
    let mut center = (0.0, 0.0);
    let mut kind = ShapeKind::Radius(0.0);
    let mut conversion = 1.0;
    let mut store: Option<Bytes> = None;
    let base = match variant {
        Variant::Coords { .. } => {
            center = lon_lat(&args[2..4])?;
            let (radius, unit) = radius_args(&args[4..6])?;
            (kind, conversion) = (ShapeKind::Radius(radius), unit);
            6
        }
        // Without a source the member and radius are not read: the reply is empty anyway.
        Variant::Member { .. } if !exists => 5,
        Variant::Member { .. } => {
            center = member_xy(server, &args[2])?;
            let (radius, unit) = radius_args(&args[3..5])?;
            (kind, conversion) = (ShapeKind::Radius(radius), unit);
            5
        }
        Variant::Search => 2,
        Variant::SearchStore => {
            store = Some(args[1].clone());
            3
        }
    };
    let (mut withdist, mut withhash, mut withcoord) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let mut storedist = false;
    let rest = &args[base.min(args.len())..];
    let remaining = rest.len();
    let mut i = 0;
    while i < remaining {
        let arg = &rest[i];
        if is_keyword(arg, "withdist") {
            withdist = true;
        } else if is_keyword(arg, "withhash") {
            withhash = true;
        } else if is_keyword(arg, "withcoord") {
            withcoord = true;
        } else if is_keyword(arg, "any") {
            any = true;
        } else if is_keyword(arg, "asc") {
            sort = Sort::Asc;
        } else if is_keyword(arg, "desc") {
            sort = Sort::Desc;
        } else if is_keyword(arg, "count") && i + 1 < remaining {
            count = parse::int_arg(&rest[i + 1])?;
            if count <= 0 {
                return Err(Frame::error("ERR COUNT must be > 0"));
            }
            i += 1;
        } else if (is_keyword(arg, "store") || is_keyword(arg, "storedist"))
            && i + 1 < remaining
            && variant.may_store()
        {
            store = Some(rest[i + 1].clone());
            storedist = is_keyword(arg, "storedist");
            i += 1;
        } else if is_keyword(arg, "storedist") && variant == Variant::SearchStore {
            storedist = true;
        } else if is_keyword(arg, "frommember")
            && i + 1 < remaining
            && variant.is_search()
            && !fromloc
        {
            if exists {
                center = member_xy(server, &rest[i + 1])?;
            }
            frommember = true;
            i += 1;
        } else if is_keyword(arg, "fromlonlat")
            && i + 2 < remaining
            && variant.is_search()
            && !frommember
        {
            center = lon_lat(&rest[i + 1..i + 3])?;
            fromloc = true;
            i += 2;
        } else if is_keyword(arg, "byradius") && i + 2 < remaining && variant.is_search() && !bybox
        {
            let (radius, unit) = radius_args(&rest[i + 1..i + 3])?;
            (kind, conversion) = (ShapeKind::Radius(radius), unit);
            byradius = true;
            i += 2;
        } else if is_keyword(arg, "bybox") && i + 3 < remaining && variant.is_search() && !byradius
        {
            let (width, height, unit) = box_args(&rest[i + 1..i + 4])?;
            (kind, conversion) = (ShapeKind::Box { width, height }, unit);
            bybox = true;
            i += 3;
        } else {
            return Err(Frame::error(ERR_SYNTAX));
        }
        i += 1;
    }
    if store.is_some() && (withdist || withhash || withcoord) {
        let what = if variant == Variant::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(Frame::error(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(&args[0]);
    if variant.is_search() && !(frommember || fromloc) {
        return Err(Frame::error(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if variant.is_search() && !(byradius || bybox) {
        return Err(Frame::error(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if any && count == 0 {
        return Err(Frame::error("ERR the ANY argument requires COUNT argument"));
    }
    let ks = &mut server.keyspace;
    let Some(zset) = ks.typed(&args[src], now, pick_zset)? else {
        return Ok(match store {
            Some(dest) => {
                if ks.remove(&dest, now).is_some() {
                    ks.touch(&dest);
                }
                Frame::Integer(0)
            }
            None => Frame::Array(vec![]),
        });
    };
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let shape = Shape {
        center,
        kind,
        conversion,
    };
    let limit = if any { count as usize } else { 0 };
    let mut points = members_in_shape(zset, &shape, limit);
    if points.is_empty() && store.is_none() {
        return Ok(Frame::Array(vec![]));
    }
    // Redis's `qsort` (glibc's merge sort: ties keep their order).
    match sort {
        Sort::Asc => points.sort_by(|a, b| a.dist.total_cmp(&b.dist)),
        Sort::Desc => points.sort_by(|a, b| b.dist.total_cmp(&a.dist)),
        Sort::None => {}
    }
    let returned = if count == 0 {
        points.len()
    } else {
        points.len().min(count as usize)
    };
    points.truncate(returned);
    for p in &mut points {
        p.dist /= conversion;
    }
    let Some(dest) = store else {
        let options = usize::from(withdist) + usize::from(withhash) + usize::from(withcoord);
        let out = points
            .into_iter()
            .map(|p| {
                if options == 0 {
                    return Frame::Bulk(p.member);
                }
                let mut item = Vec::with_capacity(options + 1);
                item.push(Frame::Bulk(p.member));
                if withdist {
                    item.push(distance_reply(p.dist));
                }
                if withhash {
                    item.push(Frame::Integer(p.score as i64));
                }
                if withcoord {
                    item.push(Frame::Array(vec![
                        coordinate_reply(p.xy.0),
                        coordinate_reply(p.xy.1),
                    ]));
                }
                Frame::Array(item)
            })
            .collect();
        return Ok(Frame::Array(out));
    };
    let n = points.len();
    if n == 0 {
        if ks.remove(&dest, now).is_some() {
            ks.touch(&dest);
        }
    } else {
        let mut stored = ZSet::default();
        for p in points {
            stored.insert(p.member, if storedist { p.dist } else { p.score });
        }
        ks.set(dest, Value::ZSet(Box::new(stored)));
    }
    Ok(Frame::Integer(n as i64))
}

/// `membersOfAllNeighbors`: the members inside `shape`, box by box in Redis's order, each box a
/// score range `[min, max)` walked up; with `limit` (ANY) it stops once that many are found.
fn members_in_shape(zset: &ZSet, shape: &Shape, limit: usize) -> Vec<Point> {
    let mut found = Vec::new();
    for (min, max) in shape.ranges() {
        if limit != 0 && found.len() >= limit {
            break;
        }
        for (member, score) in zset.scores_from(min) {
            if score >= max {
                break;
            }
            if let Some((xy, dist)) = shape.within(score) {
                found.push(Point {
                    member: member.clone(),
                    xy,
                    dist,
                    score,
                });
            }
            if limit != 0 && found.len() >= limit {
                break;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use crate::model::cmd::testing::run;
    use crate::model::frame::Frame;
    use crate::model::server::Server;

    /// Redis 7.0.15's replies for its documentation's Sicily example.
    #[test]
    fn sicily_as_redis_answers_it() {
        let mut server = Server::new();
        let c = server.connect();
        assert_eq!(
            run(
                &mut server,
                c,
                0,
                "geoadd Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"
            ),
            Frame::Integer(2)
        );
        assert_eq!(
            run(&mut server, c, 0, "geodist Sicily Palermo Catania km"),
            Frame::bulk("166.2742")
        );
        assert_eq!(
            run(&mut server, c, 0, "geohash Sicily Palermo nope"),
            Frame::Array(vec![Frame::bulk("sqc8b49rny0"), Frame::Null])
        );
        assert_eq!(
            run(&mut server, c, 0, "geopos Sicily Palermo"),
            Frame::Array(vec![Frame::Array(vec![
                Frame::bulk("13.36138933897018433"),
                Frame::bulk("38.11555639549629859")
            ])])
        );
        assert_eq!(
            run(
                &mut server,
                c,
                0,
                "geosearch Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHDIST"
            ),
            Frame::Array(vec![
                Frame::Array(vec![Frame::bulk("Catania"), Frame::bulk("56.4413")]),
                Frame::Array(vec![Frame::bulk("Palermo"), Frame::bulk("190.4424")]),
            ])
        );
        assert_eq!(
            run(&mut server, c, 0, "geoadd Sicily 200 100 x"),
            Frame::error("ERR invalid longitude,latitude pair 200.000000,100.000000")
        );
        run(&mut server, c, 0, "set s x");
        assert_eq!(
            run(&mut server, c, 0, "geoadd s 1 2 a"),
            Frame::error(crate::model::keyspace::WRONGTYPE)
        );
    }
}
