/* The Dense layer: y = act(x W + b), W in x units (row-major), b units.
 * Its configuration bytes, as model files store them: units (u64),
 * activation (u32), use_bias (u32), little-endian. */
#include <math.h>
#include <stdio.h>

#include "nn/model.h"
#include "util/error.h"

/* Largest width a layer may have; keeps every size product far from overflow. */
#define MAX_UNITS ((size_t)1 << 24)

void clmlp_dense_config_encode(unsigned char out[DENSE_CONFIG_SIZE], size_t units, clmlp_act act,
                         int use_bias)
{
    clmlp_le_put_u64(out, units);
    clmlp_le_put_u32(out + 8, (uint32_t)act);
    clmlp_le_put_u32(out + 12, use_bias != 0);
}

static int dense_build(clmlp_layer *l, size_t in)
{
    if (l->config_size != DENSE_CONFIG_SIZE)
        return clmlp_set_error(CLMLP_E_FORMAT, "a dense layer's configuration is %d bytes, got %zu",
                               DENSE_CONFIG_SIZE, l->config_size);
    uint64_t units = clmlp_le_get_u64(l->config);
    uint32_t act = clmlp_le_get_u32(l->config + 8), bias = clmlp_le_get_u32(l->config + 12);
    if (units == 0 || units > MAX_UNITS)
        return clmlp_set_error(CLMLP_E_INVALID, "a Dense layer needs 1 to %zu units, got %llu",
                               MAX_UNITS, (unsigned long long)units);
    if (act >= CLMLP_ACT_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "unknown activation %u", act);
    if (bias > 1) return clmlp_set_error(CLMLP_E_INVALID, "a dense layer's bias flag is %u", bias);
    l->out = (size_t)units;
    l->act = (clmlp_act)act;
    l->use_bias = (int)bias;
    l->scratch = l->out; /* z */
    l->n_tensors = 1 + (size_t)l->use_bias;
    l->tensors[0] = (clmlp_tensor){"kernel", in * l->out, 1, 0};
    if (l->use_bias) l->tensors[1] = (clmlp_tensor){"bias", l->out, 0, 0};
    return CLMLP_OK;
}

/* Glorot uniform weights; biases stay zero. */
static void dense_init(const clmlp_layer *l, float *p, clmlp_rng *r)
{
    double limit = sqrt(6.0 / (double)(l->in + l->out));
    const clmlp_tensor *w = &l->tensors[0];
    for (size_t j = 0; j < w->count; j++)
        p[w->off + j] = (float)((2.0 * clmlp_rng_uniform(r) - 1.0) * limit);
}

static int dense_forward(clmlp_model_t *m, const clmlp_layer *l, const clmlp_layer_io *io)
{
    /* z = x W: (rows x in) (in x units) */
    CLMLP_TRY(clmlp_be_gemm(m->be, 0, 0, io->rows, l->out, l->in, 1.0f, io->x, io->x_off, l->in,
                      m->params, l->tensors[0].off, l->out, 0.0f, m->z, l->sc_off, l->out));
    return clmlp_be_bias_act_forward(m->be, l->act, io->rows, l->out, m->z, l->sc_off,
                               l->use_bias ? m->params : NULL,
                               l->use_bias ? l->tensors[1].off : 0, m->y, l->ws_off);
}

static int dense_backward(clmlp_model_t *m, const clmlp_layer *l, const clmlp_layer_io *io)
{
    size_t rows = io->rows;
    clmlp_buf *d = io->dy;
    /* dz = dy act'(z), in place, unless the loss already gave dz. */
    if (!io->dy_is_dz)
        CLMLP_TRY(clmlp_be_act_backward(m->be, l->act, rows, l->out, m->z, l->sc_off, m->y, l->ws_off,
                                  d, 0, d, 0));
    /* dW = x^T dz: (in x rows) (rows x units) */
    CLMLP_TRY(clmlp_be_gemm(m->be, 1, 0, l->in, l->out, rows, 1.0f, io->x, io->x_off, l->in, d, 0,
                      l->out, 0.0f, m->grads, l->tensors[0].off, l->out));
    if (l->use_bias)
        CLMLP_TRY(clmlp_be_bias_grad(m->be, rows, l->out, d, 0, m->grads, l->tensors[1].off));
    if (!io->dx) return CLMLP_OK;
    /* dx = dz W^T: (rows x units) (units x in) */
    return clmlp_be_gemm(m->be, 0, 1, rows, l->in, l->out, 1.0f, d, 0, l->out, m->params,
                   l->tensors[0].off, l->out, 0.0f, io->dx, 0, l->in);
}

static void dense_describe(const clmlp_layer *l, char *buf, size_t size)
{
    snprintf(buf, size, "Dense, %s%s", clmlp_act_name(l->act), l->use_bias ? "" : ", no bias");
}

static const char *dense_untrainable(const clmlp_layer *l)
{
    return l->act == CLMLP_ACT_STEP
               ? "its step activation has a zero gradient, so backpropagation cannot change "
                 "the weights before it (use sigmoid to train, then step to run)"
               : NULL;
}

const clmlp_layer_vt clmlp_layer_dense = {
    "dense", dense_build, dense_init, dense_forward, dense_backward, dense_describe,
    dense_untrainable, "z = x W + b (gemm, bias add)"};
