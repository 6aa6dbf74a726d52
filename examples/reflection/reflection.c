/* The Reflection layer (see reflection.h): one kind, written three times --
 * in double for the reference backend, in float for the cpu backend (both
 * from one macro, so they cannot drift apart), and in OpenCL C for the
 * opencl backend -- so it runs everywhere and gradient checks on ref see
 * no float rounding.  (Only the float pair is required; examples/affine/
 * is a layer written that way.)  It builds as a plugin (CLMLP_PLUGIN, at
 * the end) or links into a program (reflection_register).
 *
 * With a = x.n, q = n.n and c = 2 / q, per row:
 *   y      = x - c a n
 *   dL/dx  = dy - c (dy.n) n                 (the reflection is symmetric)
 *   dL/dn  = -c (g x + a dy) + c^2 a g n     where g = dy.n,
 * summed over the rows for the parameter. */
#include "reflection.h"

#include <math.h>
#include <string.h>

static int reflection_build(const void *config, size_t in, size_t *out, clmlp_param_spec *params,
                            size_t *n_params)
{
    (void)config;
    if (in < 1) return clmlp_layer_error(CLMLP_E_INVALID, "reflection needs an input");
    *out = in; /* a reflection keeps the width */
    params[0] = (clmlp_param_spec){"n", in, 0};
    *n_params = 1;
    return CLMLP_OK;
}

/* n from a standard normal: any nonzero vector defines a hyperplane. */
static void reflection_init(const void *config, size_t in, size_t k, float *values, size_t count,
                            clmlp_layer_rng *rng)
{
    (void)config, (void)in, (void)k;
    for (size_t i = 0; i < count; i++) values[i] = (float)clmlp_layer_normal(rng);
}

/* Dot product of two rows of width d in type T. */
#define REFLECTION_HOST(T, SUFFIX)                                                                 \
    static T dot_##SUFFIX(const T *a, const T *b, size_t d)                                        \
    {                                                                                              \
        T s = 0;                                                                                   \
        for (size_t i = 0; i < d; i++) s += a[i] * b[i];                                           \
        return s;                                                                                  \
    }                                                                                              \
    static int forward_##SUFFIX(const clmlp_layer_args_##SUFFIX *a)                                \
    {                                                                                              \
        size_t d = a->in;                                                                          \
        const T *n = a->p[0];                                                                      \
        T c = 2 / dot_##SUFFIX(n, n, d);                                                           \
        for (size_t r = 0; r < a->rows; r++) {                                                     \
            const T *x = a->x + r * d;                                                             \
            T *y = a->y + r * d;                                                                   \
            T s = c * dot_##SUFFIX(x, n, d);                                                       \
            for (size_t i = 0; i < d; i++) y[i] = x[i] - s * n[i];                                 \
        }                                                                                          \
        return CLMLP_OK;                                                                           \
    }                                                                                              \
    static int backward_##SUFFIX(const clmlp_layer_args_##SUFFIX *a)                               \
    {                                                                                              \
        size_t d = a->in;                                                                          \
        const T *n = a->p[0];                                                                      \
        T *dn = a->dp[0];                                                                          \
        T c = 2 / dot_##SUFFIX(n, n, d);                                                           \
        for (size_t i = 0; i < d; i++) dn[i] = 0;                                                  \
        for (size_t r = 0; r < a->rows; r++) {                                                     \
            const T *x = a->x + r * d, *dy = a->dy + r * d;                                        \
            T ax = dot_##SUFFIX(x, n, d), g = dot_##SUFFIX(dy, n, d);                              \
            if (a->dx)                                                                             \
                for (size_t i = 0; i < d; i++) a->dx[r * d + i] = dy[i] - c * g * n[i];            \
            for (size_t i = 0; i < d; i++)                                                         \
                dn[i] += -c * (g * x[i] + ax * dy[i]) + c * c * ax * g * n[i];                     \
        }                                                                                          \
        return CLMLP_OK;                                                                           \
    }

REFLECTION_HOST(double, f64)
REFLECTION_HOST(float, f32)

/* The same maths in OpenCL C: one work-item per row for the forward and
 * input-gradient kernels, one per value of n for its gradient. */
static const char reflection_cl[] =
    "float refl_dot(__global const float *a, __global const float *b, uint d)\n"
    "{\n"
    "    float s = 0.0f;\n"
    "    for (uint i = 0; i < d; i++) s += a[i] * b[i];\n"
    "    return s;\n"
    "}\n"
    "/* y = x - 2 (x.n / n.n) n, one row per work-item */\n"
    "__kernel void reflection_forward(uint rows, uint in, uint out,\n"
    "    __global const float *x, uint x_off, __global const float *p, uint4 p_off,\n"
    "    __global float *y, uint y_off, __global const uchar *config)\n"
    "{\n"
    "    uint r = get_global_id(0);\n"
    "    if (r >= rows) return;\n"
    "    __global const float *n = p + p_off.s0, *xr = x + x_off + r * in;\n"
    "    __global float *yr = y + y_off + r * out;\n"
    "    float s = 2.0f / refl_dot(n, n, in) * refl_dot(xr, n, in);\n"
    "    for (uint i = 0; i < in; i++) yr[i] = xr[i] - s * n[i];\n"
    "}\n"
    "/* dx = dy - 2 (dy.n / n.n) n, one row per work-item */\n"
    "__kernel void reflection_backward_input(uint rows, uint in, uint out,\n"
    "    __global const float *x, uint x_off, __global const float *p, uint4 p_off,\n"
    "    __global const float *dy, uint dy_off, __global float *dx, uint dx_off,\n"
    "    __global const uchar *config)\n"
    "{\n"
    "    uint r = get_global_id(0);\n"
    "    if (r >= rows) return;\n"
    "    __global const float *n = p + p_off.s0, *dyr = dy + dy_off + r * out;\n"
    "    __global float *dxr = dx + dx_off + r * in;\n"
    "    float s = 2.0f / refl_dot(n, n, in) * refl_dot(dyr, n, in);\n"
    "    for (uint i = 0; i < in; i++) dxr[i] = dyr[i] - s * n[i];\n"
    "}\n"
    "/* dn[k] summed over the rows, one value of n per work-item */\n"
    "__kernel void reflection_backward_params(uint rows, uint in, uint out,\n"
    "    __global const float *x, uint x_off, __global const float *p, uint4 p_off,\n"
    "    __global const float *dy, uint dy_off, __global float *dp, uint4 dp_off,\n"
    "    uint tensor, __global const uchar *config)\n"
    "{\n"
    "    uint k = get_global_id(0);\n"
    "    if (k >= in || tensor != 0) return;\n"
    "    __global const float *n = p + p_off.s0;\n"
    "    float c = 2.0f / refl_dot(n, n, in), sum = 0.0f;\n"
    "    for (uint r = 0; r < rows; r++) {\n"
    "        __global const float *xr = x + x_off + r * in, *dyr = dy + dy_off + r * out;\n"
    "        float a = refl_dot(xr, n, in), g = refl_dot(dyr, n, in);\n"
    "        sum += -c * (g * xr[k] + a * dyr[k]) + c * c * a * g * n[k];\n"
    "    }\n"
    "    dp[dp_off.s0 + k] = sum;\n"
    "}\n";

static void reflection_describe(const void *config, char *buf, size_t size)
{
    (void)config;
    if (size) {
        strncpy(buf, "Reflection", size - 1);
        buf[size - 1] = '\0';
    }
}

const clmlp_layer_kind reflection_layer = {
    .name = "reflection",
    .config_size = 0,
    .build = reflection_build,
    .init = reflection_init,
    .forward_f64 = forward_f64,
    .backward_f64 = backward_f64,
    .forward_f32 = forward_f32,
    .backward_f32 = backward_f32,
    .cl_source = reflection_cl,
    .cl_forward = "reflection_forward",
    .cl_backward_input = "reflection_backward_input",
    .cl_backward_params = "reflection_backward_params",
    .describe = reflection_describe,
};

int reflection_register(void)
{
    if (clmlp_layer_find(reflection_layer.name) == &reflection_layer) return CLMLP_OK;
    return clmlp_layer_register(&reflection_layer);
}

/* As a plugin: clmlp train --plugin libreflection.so --layers 2,reflection,... */
CLMLP_PLUGIN(&reflection_layer)
