/* A small seeded random generator (xoshiro256** seeded through splitmix64):
 * the same seed gives the same numbers on every platform and backend. */
#ifndef CLMLP_RNG_H
#define CLMLP_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} clmlp_rng;

/* Seeds the generator; any seed (0 too) is fine. */
void clmlp_rng_seed(clmlp_rng *r, uint64_t seed);
/* A uniform 64-bit value. */
uint64_t clmlp_rng_next(clmlp_rng *r);
/* A uniform double in [0, 1). */
double clmlp_rng_uniform(clmlp_rng *r);
/* A uniform integer in [0, n) without modulo bias; n > 0. */
uint64_t clmlp_rng_below(clmlp_rng *r, uint64_t n);
/* A standard normal value (Box-Muller). */
double clmlp_rng_normal(clmlp_rng *r);
/* Fisher-Yates shuffle of n int32 values. */
void clmlp_rng_shuffle_i32(clmlp_rng *r, int32_t *v, size_t n);

#endif
