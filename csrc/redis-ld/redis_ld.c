/* Redis 7.0.15's long double arithmetic for INCRBYFLOAT and HINCRBYFLOAT, and its
 * human-friendly long double formatting (GEOPOS, GEOSEARCH WITHCOORD).
 *
 * Redis computes these in C `long double` (strtold, +, snprintf "%.17Lf"); doing the same here,
 * on the same platform, gives the same digits. The rules below are util.c's string2ld and
 * ld2string (LD_STR_HUMAN mode). Nothing here allocates or keeps state. */

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* server.h: MAX_LONG_DOUBLE_CHARS. */
#define OC_MAX_LONG_DOUBLE_CHARS (5 * 1024)

/* util.c string2ld: 1 when the whole string is a long double (no spaces, no NaN, no overflow
 * or underflow to zero), 0 otherwise. */
static int oc_string2ld(const char *s, size_t slen, long double *dp) {
    char buf[OC_MAX_LONG_DOUBLE_CHARS];
    long double value;
    char *eptr;

    if (slen == 0 || slen >= sizeof(buf)) return 0;
    memcpy(buf, s, slen);
    buf[slen] = '\0';

    errno = 0;
    value = strtold(buf, &eptr);
    if (isspace((unsigned char)buf[0]) || eptr[0] != '\0' || (size_t)(eptr - buf) != slen ||
        (errno == ERANGE &&
         (value == HUGE_VALL || value == -HUGE_VALL || fpclassify(value) == FP_ZERO)) ||
        errno == EINVAL || isnan(value))
        return 0;

    if (dp) *dp = value;
    return 1;
}

/* util.c ld2string, LD_STR_HUMAN mode: the length written (0: no room). */
static size_t oc_ld2string_human(char *buf, size_t len, long double value) {
    size_t l = 0;

    if (isinf(value)) {
        if (len < 5) return 0;
        if (value > 0) {
            memcpy(buf, "inf", 3);
            l = 3;
        } else {
            memcpy(buf, "-inf", 4);
            l = 4;
        }
    } else {
        int n = snprintf(buf, len, "%.17Lf", value);
        if (n < 0) return 0;
        l = (size_t)n;
        if (l + 1 > len) return 0;
        if (strchr(buf, '.') != NULL) {
            char *p = buf + l - 1;
            while (*p == '0') {
                p--;
                l--;
            }
            if (*p == '.') l--;
        }
        if (l == 2 && buf[0] == '-' && buf[1] == '0') {
            buf[0] = '0';
            l = 1;
        }
    }
    buf[l] = '\0';
    return l;
}

/* What `s` is as Redis's string2ld reads it: -1 not a float, 0 a finite number, 1 an infinity. */
int oc_redis_ld_classify(const char *s, size_t slen) {
    long double v;
    if (!oc_string2ld(s, slen, &v)) return -1;
    return isinf(v) ? 1 : 0;
}

/* `current + incr` in long double, formatted as Redis stores it. `current` NULL is 0 (a missing
 * key or field). Returns 0 with the text in `out` (`*out_len` bytes), or:
 * 1 `incr` is not a float, 2 `current` is not a float, 3 the sum is NaN or infinite,
 * 4 `out` has no room. */
int oc_redis_ld_incr(const char *current, size_t current_len, const char *incr, size_t incr_len,
                     char *out, size_t out_cap, size_t *out_len) {
    long double value = 0, by;
    if (current != NULL && !oc_string2ld(current, current_len, &value)) return 2;
    if (!oc_string2ld(incr, incr_len, &by)) return 1;
    value += by;
    if (isnan(value) || isinf(value)) return 3;
    size_t l = oc_ld2string_human(out, out_cap, value);
    if (l == 0) return 4;
    *out_len = l;
    return 0;
}

/* networking.c addReplyHumanLongDouble of a double: its text in `out`, the length (0: no room). */
size_t oc_redis_ld_human(double value, char *out, size_t out_cap) {
    return oc_ld2string_human(out, out_cap, (long double)value);
}
