/* The Dropout layer (inverted dropout): in training each value is zeroed
 * with probability rate and the rest scaled by 1 / (1 - rate); otherwise
 * the input passes through.  The mask is a hash of the compile seed, the
 * training step and the layer's place, computed on the device by
 * clmlp_be_dropout, so backward applies the same mask to the gradient without
 * storing it, and every backend draws the same one.  Configuration bytes:
 * the rate as an IEEE double, little-endian. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"

void clmlp_dropout_config_encode(unsigned char out[DROPOUT_CONFIG_SIZE], double rate)
{
    uint64_t v;
    memcpy(&v, &rate, sizeof v);
    clmlp_le_put_u64(out, v);
}

static int dropout_build(clmlp_layer *l, size_t in)
{
    if (l->config_size != DROPOUT_CONFIG_SIZE)
        return clmlp_set_error(CLMLP_E_FORMAT, "a dropout layer's configuration is %d bytes, got %zu",
                               DROPOUT_CONFIG_SIZE, l->config_size);
    uint64_t v = clmlp_le_get_u64(l->config);
    double rate;
    memcpy(&rate, &v, sizeof rate);
    if (!(rate >= 0.0 && rate < 1.0))
        return clmlp_set_error(CLMLP_E_INVALID, "a dropout rate must be in [0, 1), got %g", rate);
    l->rate = rate;
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
    uint64_t parts[3] = {m->seed, m->train_steps, (uint64_t)(l - m->layers)};
    uint64_t z = 0;
    for (int i = 0; i < 3; i++) {
        z += parts[i] + 0x9E3779B97F4A7C15ull;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
    }
    return z;
}

static int dropout_forward(clmlp_model_t *m, const clmlp_layer *l, const clmlp_layer_io *io)
{
    size_t n = io->rows * l->out;
    if (!io->training || l->rate == 0.0)
        return clmlp_be_copy(m->be, io->x, io->x_off, m->y, l->ws_off, n);
    uint32_t threshold;
    float scale;
    clmlp_be_dropout_params(l->rate, &threshold, &scale);
    return clmlp_be_dropout(m->be, n, io->x, io->x_off, m->y, l->ws_off, threshold, scale,
                      mask_seed(m, l));
}

static int dropout_backward(clmlp_model_t *m, const clmlp_layer *l, const clmlp_layer_io *io)
{
    if (!io->dx) return CLMLP_OK;
    size_t n = io->rows * l->out;
    if (!io->training || l->rate == 0.0) return clmlp_be_copy(m->be, io->dy, 0, io->dx, 0, n);
    uint32_t threshold;
    float scale;
    clmlp_be_dropout_params(l->rate, &threshold, &scale);
    return clmlp_be_dropout(m->be, n, io->dy, 0, io->dx, 0, threshold, scale, mask_seed(m, l));
}

static void dropout_describe(const clmlp_layer *l, char *buf, size_t size)
{
    snprintf(buf, size, "Dropout, rate %g", l->rate);
}

const clmlp_layer_vt clmlp_layer_dropout = {
    "dropout", dropout_build, dropout_init, dropout_forward, dropout_backward, dropout_describe,
    NULL, NULL};
