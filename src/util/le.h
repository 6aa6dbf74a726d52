/* Little-endian encoding of whole numbers and doubles into bytes, as model
 * files and layer configurations store them, whatever the host's order. */
#ifndef CLMLP_LE_H
#define CLMLP_LE_H

#include <stdint.h>
#include <string.h>

/* Writes v into p[0..4). */
static inline void clmlp_le_put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Writes v into p[0..8). */
static inline void clmlp_le_put_u64(unsigned char *p, uint64_t v)
{
    clmlp_le_put_u32(p, (uint32_t)v);
    clmlp_le_put_u32(p + 4, (uint32_t)(v >> 32));
}

/* Reads p[0..4). */
static inline uint32_t clmlp_le_get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Reads p[0..8). */
static inline uint64_t clmlp_le_get_u64(const unsigned char *p)
{
    return (uint64_t)clmlp_le_get_u32(p) | (uint64_t)clmlp_le_get_u32(p + 4) << 32;
}

/* An IEEE double's bits into p[0..8), and back. */
static inline void clmlp_le_put_f64(unsigned char *p, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    clmlp_le_put_u64(p, v);
}
static inline double clmlp_le_get_f64(const unsigned char *p)
{
    uint64_t v = clmlp_le_get_u64(p);
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

#endif
