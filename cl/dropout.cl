/* Dropout: the mask is a function of (seed, index) alone, computed the same
 * way as be_dropout_uniform in src/backend/backend.h, so every backend drops
 * the same values bit for bit and backward is the same kernel on the
 * gradient. */

/* The 24-bit uniform of value i: splitmix64's finaliser of
 * seed + i * 0x9E3779B97F4A7C15, top 24 bits (ulong arithmetic wraps
 * modulo 2^64, as C's uint64_t does). */
uint dropout_uniform(ulong seed, ulong i)
{
    ulong z = seed + i * 0x9E3779B97F4A7C15UL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
    z ^= z >> 31;
    return (uint)(z >> 40);
}

/* One work-item per value: out = in * scale where the value's uniform
 * reaches threshold (in [0, 2^24]), else 0.  out may be in itself, element
 * for element (each work-item reads its value before writing it). */
__kernel void dropout(uint n, __global const float *in, uint off_in, __global float *out,
                      uint off_out, uint threshold, float scale, ulong seed)
{
    size_t i = get_global_id(0);
    if (i >= n) return;
    out[off_out + i] = dropout_uniform(seed, (ulong)i) >= threshold ? in[off_in + i] * scale : 0.0f;
}
