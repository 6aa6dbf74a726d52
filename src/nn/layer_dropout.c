/* The Dropout layer (inverted dropout): in training each value is zeroed
 * with probability rate and the rest scaled by 1 / (1 - rate); otherwise
 * the input passes through.  The mask is a hash of the compile seed, the
 * training step and the layer's place, computed on the device by
 * clmlp_be_dropout, so backward applies the same mask to the gradient without
 * storing it, and every backend draws the same one.  In a spec:
 * dropout:RATE.  Configuration bytes: the rate as an IEEE double,
 * little-endian. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"
#include "util/le.h"

#define DROPOUT_CONFIG_SIZE 8

/* What build decodes. */
typedef struct {
    double rate;
} dropout_priv;
CLMLP_LAYER_PRIV_FITS(dropout_priv);

static double rate_of(const clmlp_layer *l)
{
    return CLMLP_LAYER_PRIV(const dropout_priv, l)->rate;
}

extern const clmlp_layer_vt clmlp_layer_dropout;

int clmlp_model_add_dropout(clmlp_model_t *m, double rate)
{
    unsigned char cfg[DROPOUT_CONFIG_SIZE];
    clmlp_le_put_f64(cfg, rate);
    return clmlp_model_add(m, &clmlp_layer_dropout, NULL, cfg, sizeof cfg);
}

/* An item "dropout:RATE". */
static int dropout_spec(const clmlp_spec_item *it, unsigned char *config, size_t *config_size,
                        const clmlp_layer_kind **custom)
{
    (void)custom;
    if (strcmp(it->fields[0], "dropout") != 0) return CLMLP_SPEC_NOT_MINE;
    char *end = NULL;
    double rate = it->n_fields == 2 ? strtod(it->fields[1], &end) : NAN;
    if (it->n_fields != 2 || end == it->fields[1] || *end || !(rate >= 0.0 && rate < 1.0))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "layer spec '%s': item %zu: dropout takes one rate in [0, 1), "
                               "as dropout:0.2",
                               it->spec, it->item);
    clmlp_le_put_f64(config, rate);
    *config_size = DROPOUT_CONFIG_SIZE;
    return CLMLP_OK;
}

static int dropout_build(clmlp_layer *l, size_t in)
{
    if (l->config_size != DROPOUT_CONFIG_SIZE)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "a dropout layer's configuration is %d bytes, got %zu",
                               DROPOUT_CONFIG_SIZE, l->config_size);
    double rate = clmlp_le_get_f64(l->config);
    if (!(rate >= 0.0 && rate < 1.0))
        return clmlp_set_error(CLMLP_E_INVALID, "a dropout rate must be in [0, 1), got %g", rate);
    CLMLP_LAYER_PRIV(dropout_priv, l)->rate = rate;
    l->out = in;
    l->scratch = 0;
    l->n_tensors = 0;
    return CLMLP_OK;
}

static void dropout_init(const clmlp_layer *l, float *p, clmlp_rng *r)
{
    (void)l, (void)p, (void)r; /* no parameters */
}

/* The mask's seed for this training step and layer: splitmix64 steps over
 * (seed, step, layer), so masks differ between layers and steps. */
static uint64_t mask_seed(const clmlp_model_t *m, const clmlp_layer *l)
{
    uint64_t parts[3] = {m->c.seed, m->c.train_steps, (uint64_t)(l - m->layers)};
    uint64_t z = 0;
    for (int i = 0; i < 3; i++) {
        z += parts[i] + 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
    }
    return z;
}

/* Runs the mask (or the identity outside training) over n values. */
static int dropout_apply(clmlp_model_t *m, const clmlp_layer *l, int training, size_t n,
                         const clmlp_buf *in, size_t in_off, clmlp_buf *out, size_t out_off)
{
    double rate = rate_of(l);
    if (!training || rate == 0.0) return clmlp_be_copy(m->be, in, in_off, out, out_off, n);
    uint32_t threshold;
    float scale;
    clmlp_be_dropout_params(rate, &threshold, &scale);
    /* The mask of value i is a hash of (seed + i * phi) (be_dropout_uniform):
     * moving the seed by row_off rows gives this process's rows the masks
     * they have in the global batch of data-parallel training. */
    uint64_t seed = mask_seed(m, l) + (uint64_t)m->row_off * l->out * 0x9E3779B97F4A7C15ull;
    return clmlp_be_dropout(m->be, n, in, in_off, out, out_off, threshold, scale, seed);
}

static int dropout_forward(clmlp_model_t *m, const clmlp_layer *l, const clmlp_layer_io *io)
{
    return dropout_apply(m, l, io->training, io->rows * l->out, io->x, io->x_off, m->y, l->ws_off);
}

static int dropout_backward(clmlp_model_t *m, const clmlp_layer *l, const clmlp_layer_io *io)
{
    if (!io->dx) return CLMLP_OK;
    return dropout_apply(m, l, io->training, io->rows * l->out, io->dy, 0, io->dx, 0);
}

static void dropout_describe(const clmlp_layer *l, char *buf, size_t size)
{
    snprintf(buf, size, "Dropout, rate %g", rate_of(l));
}

static void dropout_info(const clmlp_layer *l, clmlp_layer_info *out)
{
    (void)l;
    out->form = CLMLP_LAYER_IDENTITY;
}

const clmlp_layer_vt clmlp_layer_dropout = {
    .kind = "dropout",
    .spec_syntax = "dropout:RATE",
    .spec = dropout_spec,
    .build = dropout_build,
    .init = dropout_init,
    .forward = dropout_forward,
    .backward = dropout_backward,
    .describe = dropout_describe,
    .info = dropout_info,
};
