/* The parts of Redis 7.0.15's geo.c that compute (not the command parsing or the replies, which
 * the model does in Rust), over Redis's own geohash.c and geohash_helper.c (copied unchanged
 * beside this file but for two includes), so scores, search boxes and distances are Redis's to
 * the bit. Plain types only cross to Rust; nothing here allocates or keeps state. */

#include <math.h>
#include <stdint.h>
#include "geohash.h"
#include "geohash_helper.h"

/* geoaddCommand: the 52-bit score of a position. 0 when outside the supported area. */
int oc_geo_encode(double lon, double lat, uint64_t *score) {
    GeoHashBits hash;
    if (!geohashEncodeWGS84(lon, lat, GEO_STEP_MAX, &hash)) return 0;
    *score = geohashAlign52Bits(hash);
    return 1;
}

/* geo.c decodeGeohash: the position (longitude, latitude) of a score. */
int oc_geo_decode(double score, double *xy) {
    GeoHashBits hash = {.bits = (uint64_t)score, .step = GEO_STEP_MAX};
    return geohashDecodeToLongLatWGS84(hash, xy);
}

/* geohashCommand: the 11-character standard geohash of a score (0 when it cannot decode). */
int oc_geo_hash_string(double score, char *out /* 11 bytes */) {
    static const char *geoalphabet = "0123456789bcdefghjkmnpqrstuvwxyz";
    double xy[2];
    if (!oc_geo_decode(score, xy)) return 0;
    GeoHashRange r[2];
    GeoHashBits hash;
    r[0].min = -180;
    r[0].max = 180;
    r[1].min = -90;
    r[1].max = 90;
    geohashEncode(&r[0], &r[1], xy[0], xy[1], 26, &hash);
    for (int i = 0; i < 11; i++) {
        int idx = (i == 10) ? 0 : (int)((hash.bits >> (52 - ((i + 1) * 5))) & 0x1f);
        out[i] = geoalphabet[idx];
    }
    return 1;
}

/* geohashGetDistance: meters between two positions (haversine). */
double oc_geo_distance(double lon1, double lat1, double lon2, double lat2) {
    return geohashGetDistance(lon1, lat1, lon2, lat2);
}

/* A search area as georadiusGeneric builds it. `kind` is CIRCULAR_TYPE (a = radius) or
 * RECTANGLE_TYPE (a = width, b = height), in the unit whose meters are `conversion`. */
static GeoShape oc_shape(int kind, double lon, double lat, double a, double b, double conversion) {
    GeoShape shape = {0};
    shape.type = kind;
    shape.xy[0] = lon;
    shape.xy[1] = lat;
    shape.conversion = conversion;
    if (kind == CIRCULAR_TYPE) {
        shape.t.radius = a;
    } else {
        shape.t.r.width = a;
        shape.t.r.height = b;
    }
    return shape;
}

/* membersOfAllNeighbors' score ranges: [ranges[2i], ranges[2i+1]) for each box it queries, in
 * its order, with its rule for skipping a box equal to the one processed before. Returns how
 * many (at most 9). */
int oc_geo_search_ranges(int kind, double lon, double lat, double a, double b, double conversion,
                         double *ranges /* 18 */) {
    GeoShape shape = oc_shape(kind, lon, lat, a, b, conversion);
    GeoHashRadius n = geohashCalculateAreasByShapeWGS84(&shape);
    GeoHashBits neighbors[9];
    neighbors[0] = n.hash;
    neighbors[1] = n.neighbors.north;
    neighbors[2] = n.neighbors.south;
    neighbors[3] = n.neighbors.east;
    neighbors[4] = n.neighbors.west;
    neighbors[5] = n.neighbors.north_east;
    neighbors[6] = n.neighbors.north_west;
    neighbors[7] = n.neighbors.south_east;
    neighbors[8] = n.neighbors.south_west;
    unsigned int last_processed = 0;
    int count = 0;
    for (unsigned int i = 0; i < 9; i++) {
        if (HASHISZERO(neighbors[i])) continue;
        if (last_processed && neighbors[i].bits == neighbors[last_processed].bits &&
            neighbors[i].step == neighbors[last_processed].step)
            continue;
        /* scoresOfGeoHashBox */
        GeoHashBits hash = neighbors[i];
        GeoHashFix52Bits min = geohashAlign52Bits(hash);
        hash.bits++;
        GeoHashFix52Bits max = geohashAlign52Bits(hash);
        ranges[2 * count] = (double)min;
        ranges[2 * count + 1] = (double)max;
        count++;
        last_processed = i;
    }
    return count;
}

/* geoWithinShape: 1 when the point at `score` is in the area, with its position in `xy` and its
 * distance (meters) from the center in `*distance`. */
int oc_geo_within(int kind, double lon, double lat, double a, double b, double conversion,
                  double score, double *xy, double *distance) {
    GeoShape shape = oc_shape(kind, lon, lat, a, b, conversion);
    if (!oc_geo_decode(score, xy)) return 0;
    if (shape.type == CIRCULAR_TYPE) {
        return geohashGetDistanceIfInRadiusWGS84(shape.xy[0], shape.xy[1], xy[0], xy[1],
                                                 shape.t.radius * shape.conversion, distance);
    }
    return geohashGetDistanceIfInRectangle(shape.t.r.width * shape.conversion,
                                           shape.t.r.height * shape.conversion, shape.xy[0],
                                           shape.xy[1], xy[0], xy[1], distance);
}
