/*
 * Per-key precomputed Ed25519 verification (see include/CEd25519.h).
 * Agora's own code on top of the libsodium 1.0.18 parts vendored in this folder.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h> /* crypto_hash_sha512_*, crypto_verify_32 */

#include "CEd25519.h"
#include "fe25519.h"
#include "ge25519.h"
#include "sc25519.h"

enum { ROWS = 32, MULTIPLES = 8, POINTS = ROWS * MULTIPLES };

struct agora_ed25519_key_table {
    /* rows[i][j] = (j+1)*256^i*(-A), the layout of libsodium's table for B. */
    ge25519_precomp rows[ROWS][MULTIPLES];
    unsigned char   pk[32];
    int             usable;
};

/* base[i][j] = (j+1)*256^i*B (libsodium's table). */
static const ge25519_precomp base[ROWS][MULTIPLES] = {
#include "base_table.h"
};

/* The key checks of libsodium 1.0.18's _crypto_sign_ed25519_verify_detached, in its
 * order; on success `minus_a` is -A. */
static int
decode_key(ge25519_p3 *minus_a, const unsigned char pk[32])
{
    if (ge25519_is_canonical(pk) == 0 || ge25519_has_small_order(pk) != 0) {
        return -1;
    }
    return ge25519_frombytes_negate_vartime(minus_a, pk);
}

/* out = 32 * p (five doublings). */
static void
times_32(ge25519_p3 *out, const ge25519_p3 *p)
{
    ge25519_p1p1 t;
    ge25519_p2   q;
    int          k;

    ge25519_p3_dbl(&t, p);
    for (k = 0; k < 4; k++) {
        ge25519_p1p1_to_p2(&q, &t);
        ge25519_p2_dbl(&t, &q);
    }
    ge25519_p1p1_to_p3(out, &t);
}

/* Fills pts[8i+j] = (j+1)*256^i*p in extended coordinates. */
static void
fill_multiples(ge25519_p3 pts[POINTS], const ge25519_p3 *p)
{
    ge25519_cached c;
    ge25519_p1p1   t;
    ge25519_p3     row = *p;
    int            i, j;

    for (i = 0; i < ROWS; i++) {
        ge25519_p3 *m = &pts[i * MULTIPLES];

        m[0] = row;
        ge25519_p3_to_cached(&c, &row);
        ge25519_p3_dbl(&t, &row);
        ge25519_p1p1_to_p3(&m[1], &t);
        for (j = 2; j < MULTIPLES; j++) {
            ge25519_add(&t, &m[j - 1], &c);
            ge25519_p1p1_to_p3(&m[j], &t);
        }
        if (i + 1 < ROWS) {
            times_32(&row, &m[MULTIPLES - 1]); /* 256 * row = 32 * (8 * row) */
        }
    }
}

/* Converts every point to (y+x, y-x, 2dxy) with one field inversion (Montgomery's
 * trick), computing each entry as libsodium's ge25519_p3_to_precomp does. */
static void
normalise(ge25519_precomp out[ROWS][MULTIPLES], const ge25519_p3 pts[POINTS],
          fe25519 prefix[POINTS])
{
    fe25519          inv, zinv, x, y, xy;
    ge25519_precomp *o;
    int              k;

    fe25519_copy(prefix[0], pts[0].Z);
    for (k = 1; k < POINTS; k++) {
        fe25519_mul(prefix[k], prefix[k - 1], pts[k].Z);
    }
    fe25519_invert(inv, prefix[POINTS - 1]);
    for (k = POINTS - 1; k >= 0; k--) {
        if (k > 0) {
            fe25519_mul(zinv, inv, prefix[k - 1]);
            fe25519_mul(inv, inv, pts[k].Z);
        } else {
            fe25519_copy(zinv, inv);
        }
        o = &out[k / MULTIPLES][k % MULTIPLES];
        fe25519_mul(x, pts[k].X, zinv);
        fe25519_mul(y, pts[k].Y, zinv);
        fe25519_add(o->yplusx, y, x);
        fe25519_sub(o->yminusx, y, x);
        fe25519_mul(xy, x, y);
        fe25519_mul(o->xy2d, xy, d2);
    }
}

agora_ed25519_key_table *
agora_ed25519_key_table_new(const unsigned char pk[32])
{
    agora_ed25519_key_table *table;
    ge25519_p3              *pts;
    fe25519                 *prefix;
    ge25519_p3               minus_a;

    table = calloc(1, sizeof *table);
    if (table == NULL) {
        return NULL;
    }
    memcpy(table->pk, pk, 32);
    if (decode_key(&minus_a, pk) != 0) {
        return table; /* unusable: every check fails, as in libsodium */
    }
    pts = malloc(POINTS * sizeof *pts);
    prefix = malloc(POINTS * sizeof *prefix);
    if (pts == NULL || prefix == NULL) {
        free(pts);
        free(prefix);
        free(table);
        return NULL;
    }
    fill_multiples(pts, &minus_a);
    normalise(table->rows, pts, prefix);
    free(pts);
    free(prefix);
    table->usable = 1;
    return table;
}

void
agora_ed25519_key_table_free(agora_ed25519_key_table *table)
{
    free(table);
}

int
agora_ed25519_key_table_is_usable(const agora_ed25519_key_table *table)
{
    return table->usable;
}

/* Signed radix-16 digits e[0..63] in [-8, 8] with a = sum e[i]*16^i, as in libsodium's
 * ge25519_scalarmult_base. Needs a[31] <= 127 (true for any scalar below l). */
static void
radix16(signed char e[64], const unsigned char a[32])
{
    signed char carry;
    int         i;

    for (i = 0; i < 32; ++i) {
        e[2 * i + 0] = (a[i] >> 0) & 15;
        e[2 * i + 1] = (a[i] >> 4) & 15;
    }
    carry = 0;
    for (i = 0; i < 63; ++i) {
        e[i] += carry;
        carry = e[i] + 8;
        carry >>= 4;
        e[i] -= carry * ((signed char) 1 << 4);
    }
    e[63] += carry;
}

/* acc += digit * row[0] using row[|digit|-1]; public digits, so direct indexing. */
static inline void
add_digit(ge25519_p3 *acc, const ge25519_precomp row[MULTIPLES], signed char digit)
{
    ge25519_p1p1 t;

    if (digit > 0) {
        ge25519_madd(&t, acc, &row[digit - 1]);
    } else if (digit < 0) {
        ge25519_msub(&t, acc, &row[-digit - 1]);
    } else {
        return;
    }
    ge25519_p1p1_to_p3(acc, &t);
}

/* r = s*B + h*(-A) with one comb pass: odd digits, four doublings, even digits. */
static void
comb(ge25519_p2 *r, const agora_ed25519_key_table *table,
     const signed char es[64], const signed char eh[64])
{
    ge25519_p3   acc;
    ge25519_p1p1 t;
    ge25519_p2   q;
    int          i;

    ge25519_p3_0(&acc);
    for (i = 1; i < 64; i += 2) {
        add_digit(&acc, base[i / 2], es[i]);
        add_digit(&acc, table->rows[i / 2], eh[i]);
    }
    ge25519_p3_dbl(&t, &acc);
    ge25519_p1p1_to_p2(&q, &t);
    ge25519_p2_dbl(&t, &q);
    ge25519_p1p1_to_p2(&q, &t);
    ge25519_p2_dbl(&t, &q);
    ge25519_p1p1_to_p2(&q, &t);
    ge25519_p2_dbl(&t, &q);
    ge25519_p1p1_to_p3(&acc, &t);
    for (i = 0; i < 64; i += 2) {
        add_digit(&acc, base[i / 2], es[i]);
        add_digit(&acc, table->rows[i / 2], eh[i]);
    }
    ge25519_p3_to_p2(r, &acc);
}

int
agora_ed25519_key_table_verify(const agora_ed25519_key_table *table,
                               const unsigned char sig[64],
                               const unsigned char *m,
                               unsigned long long mlen)
{
    crypto_hash_sha512_state hs;
    unsigned char            h[64];
    unsigned char            rcheck[32];
    signed char              es[64];
    signed char              eh[64];
    ge25519_p2               R;

    if (table->usable == 0) {
        return -1;
    }
    /* libsodium 1.0.18 open.c, non-ED25519_COMPAT branch; the key checks ran at build. */
    if (sc25519_is_canonical(sig + 32) == 0 ||
        ge25519_has_small_order(sig) != 0) {
        return -1;
    }
    crypto_hash_sha512_init(&hs);
    crypto_hash_sha512_update(&hs, sig, 32);
    crypto_hash_sha512_update(&hs, table->pk, 32);
    crypto_hash_sha512_update(&hs, m, mlen);
    crypto_hash_sha512_final(&hs, h);
    sc25519_reduce(h);

    radix16(es, sig + 32);
    radix16(eh, h);
    comb(&R, table, es, eh);
    ge25519_tobytes(rcheck, &R);

    return crypto_verify_32(rcheck, sig);
}
