/*
 * CEd25519: Ed25519 signature verification with a per-key precomputed table.
 *
 * For a public key A the table holds (j+1)*256^i*(-A) for i = 0..31, j = 0..7 in
 * affine (y+x, y-x, 2dxy) form. A check then computes [s]B + [h](-A) with one radix-16
 * comb pass over this table and libsodium's table for B, instead of the ~253 doublings
 * of a sliding-window double-scalar multiplication.
 *
 * The accept/reject decision is the same as libsodium 1.0.18's
 * crypto_sign_verify_detached (non-ED25519_COMPAT build): the same canonical-s,
 * small-order-R, canonical-A, small-order-A and decoding checks (done on A once, when
 * the table is built), h = SHA-512(R || A || m) mod l, and a byte comparison of the
 * encoding of the computed R with the signature's R.
 *
 * Variable time: only for public inputs (keys, signatures, messages).
 */
#ifndef AGORA_CED25519_H
#define AGORA_CED25519_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A per-key verification table (about 30 KB), immutable once built. */
typedef struct agora_ed25519_key_table agora_ed25519_key_table;

/*
 * Builds the table for a 32-byte public key. Returns NULL only if memory runs out.
 * A key libsodium would reject (non-canonical, small order, not on the curve) still
 * gets a table, marked unusable: every check against it fails.
 */
agora_ed25519_key_table *agora_ed25519_key_table_new(const unsigned char pk[32]);

/* Frees a table from agora_ed25519_key_table_new (NULL is allowed). */
void agora_ed25519_key_table_free(agora_ed25519_key_table *table);

/* 1 if the key passed libsodium's key checks, 0 if every signature will be rejected. */
int agora_ed25519_key_table_is_usable(const agora_ed25519_key_table *table);

/*
 * Checks a 64-byte detached signature over m[0..mlen). Returns 0 if it is valid and
 * -1 otherwise, exactly when crypto_sign_verify_detached(sig, m, mlen, pk) would.
 * Safe to call from many threads at once on the same table.
 */
int agora_ed25519_key_table_verify(const agora_ed25519_key_table *table,
                                   const unsigned char sig[64],
                                   const unsigned char *m,
                                   unsigned long long mlen);

#ifdef __cplusplus
}
#endif

#endif
