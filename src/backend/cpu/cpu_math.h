/* The float32 functions the cpu backend's loops need, written without
 * branches or library calls so that a loop calling them vectorises (glibc's
 * expf, logf and tanhf are scalar calls, which would cost more than the
 * GEMMs on a small network).  Both sides of each choice are computed and
 * one is selected, which the compiler turns into a blend.
 *
 * Cephes's single-precision polynomials (Moshier), whose errors are within
 * 2 ulp over the ranges used here; NaN goes in, NaN comes out.  Only
 * cpu_kernels.c includes this file. */
#ifndef CLMLP_CPU_MATH_H
#define CLMLP_CPU_MATH_H

#include <stdint.h>
#include <string.h>

/* Inlined always: a helper left out of line is compiled for the baseline
 * x86-64 only, and a loop of the AVX-512 clone calling it runs at SSE2's
 * speed. */
#if defined(__GNUC__)
#define CPU_INLINE static inline __attribute__((always_inline))
#else
#define CPU_INLINE static inline
#endif

/* The bits of f, and the float with bits u (memcpy: no aliasing trouble,
 * and a single move once compiled). */
CPU_INLINE uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
CPU_INLINE float bitsf(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* e^x.  Above 88.72 (where e^x passes FLT_MAX) +Inf; below -87.33 (where it
 * leaves the normal range) 0: the denormals in between are dropped, an
 * absolute error below 1.2e-38.  x = n ln2 + r with |r| <= ln2/2, e^r by a
 * degree-6 polynomial, times 2^n built in the exponent bits. */
CPU_INLINE float cpu_expf(float x)
{
    const float hi = 88.7228394f, lo = -87.3365478515625f;
    float xc = x > hi ? hi : (x < lo ? lo : x); /* NaN passes through */
    /* Round x log2(e) to the nearest integer by adding 1.5 * 2^23: the sum's
     * low mantissa bits then hold n, with no float-to-int conversion. */
    const float magic = 12582912.0f;
    float t = xc * 1.44269504088896341f + magic;
    float n = t - magic;
    int32_t ni = (int32_t)(fbits(t) - fbits(magic)); /* in [-126, 128] */
    float r = xc - n * 0.693359375f - n * -2.12194440e-4f;
    float r2 = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r2 + r + 1.0f;
    /* 2^n as 2^(n-1) * 2 when n > 0, so 2^128 needs no exponent of 255. */
    int32_t e1 = ni > 0 ? ni - 1 : ni;
    float y = p * bitsf((uint32_t)(e1 + 127) << 23) * (ni > 0 ? 2.0f : 1.0f);
    y = x > hi ? bitsf(0x7f800000u) : y;
    return x < lo ? 0.0f : y;
}

/* log(x) for x > 0 (normal numbers: every caller passes a clipped
 * probability or a value in [1, 2]); NaN for NaN. */
CPU_INLINE float cpu_logf(float x)
{
    uint32_t u = fbits(x);
    /* x = m 2^e with m in [sqrt(1/2), sqrt(2)). */
    int32_t e = (int32_t)((u >> 23) & 0xffu) - 126;
    float m = bitsf((u & 0x007fffffu) | 0x3f000000u); /* in [0.5, 1) */
    int small = m < 0.707106781186547524f;
    e = small ? e - 1 : e;
    m = small ? m + m - 1.0f : m - 1.0f;
    float z = m * m;
    float p = 7.0376836292e-2f;
    p = p * m - 1.1514610310e-1f;
    p = p * m + 1.1676998740e-1f;
    p = p * m - 1.2420140846e-1f;
    p = p * m + 1.4249322787e-1f;
    p = p * m - 1.6668057665e-1f;
    p = p * m + 2.0000714765e-1f;
    p = p * m - 2.4999993993e-1f;
    p = p * m + 3.3333331174e-1f;
    float fe = (float)e;
    float y = p * m * z + fe * -2.12194440e-4f - 0.5f * z;
    y = m + y + fe * 0.693359375f;
    return x != x ? x : y;
}

/* log(1 + u) for u in [0, 1], with the rounding of 1 + u taken back. */
CPU_INLINE float cpu_log1pf(float u)
{
    float w = 1.0f + u;
    return cpu_logf(w) - ((w - 1.0f) - u) / w;
}

/* 1 / (1 + e^-z); e^-z overflows to Inf for very negative z, giving 0. */
CPU_INLINE float cpu_sigmoidf(float z) { return 1.0f / (1.0f + cpu_expf(-z)); }

/* tanh(z): an odd polynomial below 0.625, 1 - 2 / (e^2|z| + 1) above. */
CPU_INLINE float cpu_tanhf(float z)
{
    float a = z < 0.0f ? -z : z;
    float big = 1.0f - 2.0f / (cpu_expf(a + a) + 1.0f);
    big = z < 0.0f ? -big : big;
    float s = z * z;
    float p = -5.70498872745e-3f;
    p = p * s + 2.06390887954e-2f;
    p = p * s - 5.37397155531e-2f;
    p = p * s + 1.33314422036e-1f;
    p = p * s - 3.33332819422e-1f;
    float small = p * s * z + z;
    return a < 0.625f ? small : (z != z ? z : big);
}

/* log(1 + e^z) = max(z, 0) + log1p(e^-|z|), which neither overflows nor
 * loses digits. */
CPU_INLINE float cpu_softplusf(float z)
{
    float a = z < 0.0f ? -z : z;
    return (z > 0.0f ? z : 0.0f) + cpu_log1pf(cpu_expf(-a));
}

#endif
