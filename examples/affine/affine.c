/* The course's Affine layer, written the student's way: y = x W + b with W
 * (in x units) drawn from a normal distribution and b zero, as Keras's
 * add_weight(initializer="random_normal") and "zeros" make them.
 *
 * It is the least a clmlp layer needs -- a forward and a backward in C, in
 * float -- plus what this layer has that the least does not: a width of
 * its own (parse, "affine:3" in a layer spec) and parameters (build).  It
 * gives no init (the library's default is Keras's random_normal for
 * weights and zeros for biases), no double-precision code (the reference
 * backend runs the float code) and no OpenCL code (the opencl backend
 * refuses the model, saying so).  Built as a plugin:
 *
 *     cc -shared -fPIC -I include -o libaffine.so examples/affine/affine.c
 *     clmlp train --plugin ./libaffine.so --dataset circle \
 *                 --layers 2,affine:16,16:tanh,1:sigmoid --backend cpu */
#include <stdio.h>
#include <stdlib.h>

#include "affine.h"

/* The configuration: the number of units. */
typedef struct {
    unsigned units;
} affine_config;

/* "affine:UNITS": the width after the ':'. */
static int affine_parse(const char *args, void *config)
{
    char *end = NULL;
    unsigned long units = strtoul(args, &end, 10);
    if (!*args || *end || units == 0 || units > 1u << 24)
        return clmlp_layer_error(CLMLP_E_INVALID, "affine takes a number of units, as affine:3");
    ((affine_config *)config)->units = (unsigned)units;
    return CLMLP_OK;
}

/* The kernel (in x units, weight decay applies) and the bias (units). */
static int affine_build(const void *config, size_t in, size_t *out, clmlp_param_spec *params,
                        size_t *n_params)
{
    size_t units = ((const affine_config *)config)->units;
    if (units == 0) return clmlp_layer_error(CLMLP_E_INVALID, "affine needs units, as affine:3");
    *out = units;
    params[0] = (clmlp_param_spec){"kernel", in * units, 1};
    params[1] = (clmlp_param_spec){"bias", units, 0};
    *n_params = 2;
    return CLMLP_OK;
}

/* y = x W + b, row by row. */
static int affine_forward(const clmlp_layer_args_f32 *a)
{
    const float *w = a->p[0], *b = a->p[1];
    for (size_t r = 0; r < a->rows; r++) {
        const float *x = a->x + r * a->in;
        float *y = a->y + r * a->out;
        for (size_t j = 0; j < a->out; j++) y[j] = b[j];
        for (size_t i = 0; i < a->in; i++)
            for (size_t j = 0; j < a->out; j++) y[j] += x[i] * w[i * a->out + j];
    }
    return CLMLP_OK;
}

/* dW = x^T dy, db = the column sums of dy, dx = dy W^T. */
static int affine_backward(const clmlp_layer_args_f32 *a)
{
    const float *w = a->p[0];
    float *dw = a->dp[0], *db = a->dp[1];
    for (size_t k = 0; k < a->in * a->out; k++) dw[k] = 0.0f;
    for (size_t j = 0; j < a->out; j++) db[j] = 0.0f;
    for (size_t r = 0; r < a->rows; r++) {
        const float *x = a->x + r * a->in, *dy = a->dy + r * a->out;
        for (size_t i = 0; i < a->in; i++)
            for (size_t j = 0; j < a->out; j++) dw[i * a->out + j] += x[i] * dy[j];
        for (size_t j = 0; j < a->out; j++) db[j] += dy[j];
        if (!a->dx) continue;
        for (size_t i = 0; i < a->in; i++) {
            float s = 0.0f;
            for (size_t j = 0; j < a->out; j++) s += dy[j] * w[i * a->out + j];
            a->dx[r * a->in + i] = s;
        }
    }
    return CLMLP_OK;
}

/* "Affine, 3 units" in summaries. */
static void affine_describe(const void *config, char *buf, size_t size)
{
    snprintf(buf, size, "Affine, %u units", ((const affine_config *)config)->units);
}

const clmlp_layer_kind affine_layer = {
    .name = "affine",
    .config_size = sizeof(affine_config),
    .parse = affine_parse,
    .build = affine_build,
    .forward_f32 = affine_forward,
    .backward_f32 = affine_backward,
    .describe = affine_describe,
};

CLMLP_PLUGIN(&affine_layer)
