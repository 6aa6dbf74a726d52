/* The Dense layer: y = act(x W + b), W in x units (row-major), b units.
 * In a spec: UNITS[:ACTIVATION][:nobias].  Its configuration bytes, as
 * model files store them: units (u64), activation (u32), use_bias (u32),
 * little-endian. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/model.h"
#include "nn/spec.h"
#include "util/error.h"
#include "util/le.h"

/* Largest width a layer may have; keeps every size product far from overflow. */
#define MAX_UNITS ((size_t)1 << 24)
#define DENSE_CONFIG_SIZE 16

/* What build decodes. */
typedef struct {
    clmlp_act act;
    int use_bias;
} dense_priv;
CLMLP_LAYER_PRIV_FITS(dense_priv);

static const dense_priv *dense_of(const clmlp_layer *l)
{
    return CLMLP_LAYER_PRIV(const dense_priv, l);
}

/* Dense's configuration bytes. */
static void dense_encode(unsigned char out[DENSE_CONFIG_SIZE], size_t units, clmlp_act act,
                         int use_bias)
{
    clmlp_le_put_u64(out, units);
    clmlp_le_put_u32(out + 8, (uint32_t)act);
    clmlp_le_put_u32(out + 12, use_bias != 0);
}

extern const clmlp_layer_vt clmlp_layer_dense;

int clmlp_model_add_dense(clmlp_model_t *m, size_t units, clmlp_act act, int use_bias)
{
    if ((unsigned)act >= CLMLP_ACT_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "unknown activation %d", (int)act);
    unsigned char cfg[DENSE_CONFIG_SIZE];
    dense_encode(cfg, units, act, use_bias);
    return clmlp_model_add(m, &clmlp_layer_dense, NULL, cfg, sizeof cfg);
}

/* Every activation's name, comma-separated, into buf. */
static const char *known_activations(char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int a = 0; a < CLMLP_ACT_COUNT && k < size; a++)
        k += (size_t)snprintf(buf + k, size - k, "%s%s", a ? ", " : "",
                              clmlp_act_name((clmlp_act)a));
    return buf;
}

/* An item whose first field is a number of units is Dense's. */
static int dense_spec(const clmlp_spec_item *it, unsigned char *config, size_t *config_size,
                      const clmlp_layer_kind **custom)
{
    (void)custom;
    size_t units;
    char **f = it->fields;
    if (clmlp_spec_count(f[0], &units) != 0) return CLMLP_SPEC_NOT_MINE;
    if (it->n_fields > 3)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "layer spec '%s': item %zu has too many ':' fields (at most "
                               "UNITS:ACTIVATION:nobias)",
                               it->spec, it->item);
    if (units == 0)
        return clmlp_set_error(CLMLP_E_INVALID, "layer spec '%s': item %zu needs at least 1 unit",
                               it->spec, it->item);
    clmlp_act act = CLMLP_ACT_LINEAR;
    int use_bias = 1, have_act = 0;
    char known[256];
    for (size_t k = 1; k < it->n_fields; k++) {
        if (strcmp(f[k], "nobias") == 0 && use_bias) {
            use_bias = 0;
        } else if (!have_act && clmlp_act_parse(f[k], &act) == CLMLP_OK) {
            have_act = 1;
        } else if (clmlp_act_parse(f[k], &act) == CLMLP_OK || strcmp(f[k], "nobias") == 0) {
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "layer spec '%s': item %zu gives '%s' twice or more than one "
                                   "activation",
                                   it->spec, it->item, f[k]);
        } else {
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "layer spec '%s': unknown activation '%s' in item %zu (known: "
                                   "%s; or nobias)",
                                   it->spec, f[k], it->item,
                                   known_activations(known, sizeof known));
        }
    }
    dense_encode(config, units, act, use_bias);
    *config_size = DENSE_CONFIG_SIZE;
    return CLMLP_OK;
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
    dense_priv *d = CLMLP_LAYER_PRIV(dense_priv, l);
    d->act = (clmlp_act)act;
    d->use_bias = (int)bias;
    l->out = (size_t)units;
    l->scratch = l->out; /* z */
    l->n_tensors = 1 + (size_t)d->use_bias;
    l->tensors[0] = (clmlp_tensor){"kernel", in * l->out, 1, 0};
    if (d->use_bias) l->tensors[1] = (clmlp_tensor){"bias", l->out, 0, 0};
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
    const dense_priv *d = dense_of(l);
    /* z = x W: (rows x in) (in x units) */
    CLMLP_TRY(clmlp_be_gemm(m->be, 0, 0, io->rows, l->out, l->in, 1.0f, io->x, io->x_off, l->in,
                            m->params, l->tensors[0].off, l->out, 0.0f, m->z, l->sc_off, l->out));
    return clmlp_be_bias_act_forward(m->be, d->act, io->rows, l->out, m->z, l->sc_off,
                                     d->use_bias ? m->params : NULL,
                                     d->use_bias ? l->tensors[1].off : 0, m->y, l->ws_off);
}

static int dense_backward(clmlp_model_t *m, const clmlp_layer *l, const clmlp_layer_io *io)
{
    const dense_priv *d = dense_of(l);
    size_t rows = io->rows;
    clmlp_buf *dz = io->dy;
    /* dz = dy act'(z), in place, unless the loss already gave dz. */
    if (!io->dy_is_dz)
        CLMLP_TRY(clmlp_be_act_backward(m->be, d->act, rows, l->out, m->z, l->sc_off, m->y,
                                        l->ws_off, dz, 0, dz, 0));
    /* dW = x^T dz: (in x rows) (rows x units) */
    CLMLP_TRY(clmlp_be_gemm(m->be, 1, 0, l->in, l->out, rows, 1.0f, io->x, io->x_off, l->in, dz, 0,
                            l->out, 0.0f, m->grads, l->tensors[0].off, l->out));
    if (d->use_bias)
        CLMLP_TRY(clmlp_be_bias_grad(m->be, rows, l->out, dz, 0, m->grads, l->tensors[1].off));
    if (!io->dx) return CLMLP_OK;
    /* dx = dz W^T: (rows x units) (units x in) */
    return clmlp_be_gemm(m->be, 0, 1, rows, l->in, l->out, 1.0f, dz, 0, l->out, m->params,
                         l->tensors[0].off, l->out, 0.0f, io->dx, 0, l->in);
}

static void dense_describe(const clmlp_layer *l, char *buf, size_t size)
{
    const dense_priv *d = dense_of(l);
    snprintf(buf, size, "Dense, %s%s", clmlp_act_name(d->act), d->use_bias ? "" : ", no bias");
}

static void dense_info(const clmlp_layer *l, clmlp_layer_info *out)
{
    out->form = CLMLP_LAYER_AFFINE;
    out->act = dense_of(l)->act;
    out->use_bias = dense_of(l)->use_bias;
}

static const char *dense_untrainable(const clmlp_layer *l)
{
    return dense_of(l)->act == CLMLP_ACT_STEP
               ? "its step activation has a zero gradient, so backpropagation cannot change "
                 "the weights before it (use sigmoid to train, then step to run)"
               : NULL;
}

const clmlp_layer_vt clmlp_layer_dense = {
    .kind = "dense",
    .spec_syntax = "UNITS[:ACTIVATION][:nobias]",
    .spec = dense_spec,
    .build = dense_build,
    .init = dense_init,
    .forward = dense_forward,
    .backward = dense_backward,
    .describe = dense_describe,
    .info = dense_info,
    .untrainable = dense_untrainable,
    .scratch_what = "z = x W + b (gemm, bias add)",
};
