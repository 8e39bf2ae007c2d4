//! Redis's geohash arithmetic: the 52-bit scores GEOADD stores, their decoding, the search
//! boxes of GEOSEARCH/GEORADIUS and the haversine distance (`EARTH_RADIUS_IN_METERS`
//! 6372797.560856).
//!
//! The work is done by Redis 7.0.15's own `geohash.c` and `geohash_helper.c` (in
//! `csrc/redis-geo`, with the computing parts of `geo.c` in `geo_glue.c`), so every score, box
//! edge and distance is Redis's to the bit. This module is the safe face of that C code; it
//! holds no state and must never hand C a buffer it does not own for the whole call.

use std::os::raw::{c_char, c_int};

extern "C" {
    fn oc_geo_encode(lon: f64, lat: f64, score: *mut u64) -> c_int;
    fn oc_geo_decode(score: f64, xy: *mut f64) -> c_int;
    fn oc_geo_hash_string(score: f64, out: *mut c_char) -> c_int;
    fn oc_geo_distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64;
    fn oc_geo_search_ranges(
        kind: c_int,
        lon: f64,
        lat: f64,
        a: f64,
        b: f64,
        conversion: f64,
        ranges: *mut f64,
    ) -> c_int;
    fn oc_geo_within(
        kind: c_int,
        lon: f64,
        lat: f64,
        a: f64,
        b: f64,
        conversion: f64,
        score: f64,
        xy: *mut f64,
        distance: *mut f64,
    ) -> c_int;
}

/// `GEO_LONG_MIN..=GEO_LONG_MAX`, `GEO_LAT_MIN..=GEO_LAT_MAX`: where a position can be stored.
pub const LONG_RANGE: (f64, f64) = (-180.0, 180.0);
pub const LAT_RANGE: (f64, f64) = (-85.05112878, 85.05112878);

/// The score GEOADD stores for a position already checked against the ranges.
pub fn encode(lon: f64, lat: f64) -> Option<u64> {
    let mut score = 0u64;
    // SAFETY: `score` outlives the call, which writes only it.
    (unsafe { oc_geo_encode(lon, lat, &mut score) } != 0).then_some(score)
}

/// The position (longitude, latitude) of a score (`decodeGeohash`).
pub fn decode(score: f64) -> Option<(f64, f64)> {
    let mut xy = [0f64; 2];
    // SAFETY: `xy` holds the two doubles the call writes.
    (unsafe { oc_geo_decode(score, xy.as_mut_ptr()) } != 0).then_some((xy[0], xy[1]))
}

/// GEOHASH's 11-character standard geohash of a score.
pub fn hash_string(score: f64) -> Option<[u8; 11]> {
    let mut out = [0u8; 11];
    // SAFETY: `out` holds the 11 bytes the call writes.
    (unsafe { oc_geo_hash_string(score, out.as_mut_ptr().cast()) } != 0).then_some(out)
}

/// Meters between two positions (`geohashGetDistance`).
pub fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    // SAFETY: plain values in and out.
    unsafe { oc_geo_distance(a.0, a.1, b.0, b.1) }
}

/// A search area (`GeoShape`): a circle or a box around a center, in a unit of `conversion`
/// meters.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub center: (f64, f64),
    pub kind: ShapeKind,
    /// Meters per unit (`m` 1, `km` 1000, `ft` 0.3048, `mi` 1609.34).
    pub conversion: f64,
}

#[derive(Clone, Copy, Debug)]
pub enum ShapeKind {
    Radius(f64),
    Box { width: f64, height: f64 },
}

impl Shape {
    /// The C side's view: `CIRCULAR_TYPE` 1 or `RECTANGLE_TYPE` 2, and the two sizes.
    fn parts(&self) -> (c_int, f64, f64) {
        match self.kind {
            ShapeKind::Radius(r) => (1, r, 0.0),
            ShapeKind::Box { width, height } => (2, width, height),
        }
    }

    /// The score ranges `[min, max)` that `membersOfAllNeighbors` queries, in its order (the
    /// center box and its eight neighbors, a repeat of the box before skipped).
    pub fn ranges(&self) -> Vec<(f64, f64)> {
        let (kind, a, b) = self.parts();
        let mut raw = [0f64; 18];
        // SAFETY: `raw` holds the 18 doubles (9 ranges) the call may write.
        let n = unsafe {
            oc_geo_search_ranges(
                kind,
                self.center.0,
                self.center.1,
                a,
                b,
                self.conversion,
                raw.as_mut_ptr(),
            )
        };
        (0..(n.clamp(0, 9) as usize))
            .map(|i| (raw[2 * i], raw[2 * i + 1]))
            .collect()
    }

    /// `geoWithinShape`: the position and distance (meters) from the center of the point at
    /// `score`, when it is inside.
    pub fn within(&self, score: f64) -> Option<((f64, f64), f64)> {
        let (kind, a, b) = self.parts();
        let mut xy = [0f64; 2];
        let mut dist = 0f64;
        // SAFETY: `xy` and `dist` outlive the call, which writes only them.
        let inside = unsafe {
            oc_geo_within(
                kind,
                self.center.0,
                self.center.1,
                a,
                b,
                self.conversion,
                score,
                xy.as_mut_ptr(),
                &mut dist,
            )
        };
        (inside != 0).then_some(((xy[0], xy[1]), dist))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Redis 7.0.15's answers for its documentation's example (GEOADD Sicily 13.361389
    /// 38.115556 Palermo 15.087269 37.502669 Catania).
    #[test]
    fn scores_hashes_and_distances_are_redis_s() {
        let palermo = encode(13.361389, 38.115556).unwrap();
        let catania = encode(15.087269, 37.502669).unwrap();
        assert_eq!(palermo, 3479099956230698);
        assert_eq!(catania, 3479447370796909);
        assert_eq!(&hash_string(palermo as f64).unwrap(), b"sqc8b49rny0");
        let p = decode(palermo as f64).unwrap();
        let c = decode(catania as f64).unwrap();
        assert_eq!(crate::model::longdouble::human(p.0), "13.36138933897018433");
        assert!((distance(p, c) / 1000.0 - 166.2742).abs() < 0.00005);
        let shape = Shape {
            center: (15.0, 37.0),
            kind: ShapeKind::Radius(200.0),
            conversion: 1000.0,
        };
        assert!(!shape.ranges().is_empty());
        let (_, d) = shape.within(palermo as f64).unwrap();
        assert!((d / 1000.0 - 190.4424).abs() < 0.00005);
    }
}
