/* Reading and setting weights: an affine layer's kernel and bias, or all
 * parameters packed, before compiling (kept on the host and used instead
 * of random ones) or after (on the device). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"

/* Checks a layer index for weight access: an affine layer. */
static int check_layer(const clmlp_model_t *m, size_t i)
{
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "no model given");
    if (i >= m->n_layers)
        return clmlp_set_error(CLMLP_E_NOT_FOUND, "no layer %zu (the model has %zu)", i,
                               m->n_layers);
    clmlp_layer_info info;
    clmlp_layer_info_of(&m->layers[i], &info);
    if (info.form != CLMLP_LAYER_AFFINE)
        return clmlp_set_error(CLMLP_E_INVALID, "layer %zu is a %s layer, not a dense one", i,
                               info.kind);
    return CLMLP_OK;
}

/* Makes the host copy of the parameters exist (zeros), for setting
 * weights before compiling. */
static int host_params(clmlp_model_t *m)
{
    if (m->host_params) return CLMLP_OK;
    m->host_params = calloc(m->n_params ? m->n_params : 1, sizeof *m->host_params);
    if (!m->host_params)
        return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for %zu parameters", m->n_params);
    return CLMLP_OK;
}

/* Copies affine layer i's kernel and bias between w, b and the packed
 * parameters (host copy or device), in the direction `set` says. */
static int move_weights(clmlp_model_t *m, size_t i, float *w, float *b, int set)
{
    const clmlp_layer *l = &m->layers[i];
    clmlp_layer_info info;
    clmlp_layer_info_of(l, &info);
    const clmlp_tensor *tw = &l->tensors[0], *tb = info.use_bias ? &l->tensors[1] : NULL;
    if (!m->be) {
        if (!m->host_params && !set)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "the model has no weights yet: compile it or set them");
        CLMLP_TRY(host_params(m));
        float *hw = m->host_params + tw->off, *hb = tb ? m->host_params + tb->off : NULL;
        if (w) memcpy(set ? hw : w, set ? w : hw, tw->count * sizeof *w);
        if (b && tb) memcpy(set ? hb : b, set ? b : hb, tb->count * sizeof *b);
        return CLMLP_OK;
    }
    if (set) {
        if (w) CLMLP_TRY(clmlp_be_upload(m->be, m->params, tw->off, w, tw->count));
        if (b && tb) CLMLP_TRY(clmlp_be_upload(m->be, m->params, tb->off, b, tb->count));
    } else {
        if (w) CLMLP_TRY(clmlp_be_download(m->be, m->params, tw->off, w, tw->count));
        if (b && tb) CLMLP_TRY(clmlp_be_download(m->be, m->params, tb->off, b, tb->count));
    }
    return CLMLP_OK;
}

int clmlp_model_get_weights(const clmlp_model_t *m, size_t i, float *w, float *b)
{
    CLMLP_TRY(check_layer(m, i));
    /* Reading changes nothing; move_weights only writes when set. */
    return move_weights((clmlp_model_t *)m, i, w, b, 0);
}

int clmlp_model_set_weights(clmlp_model_t *m, size_t i, const float *w, const float *b)
{
    CLMLP_TRY(check_layer(m, i));
    return move_weights(m, i, (float *)w, (float *)b, 1);
}

int clmlp_model_get_params(const clmlp_model_t *m, float *out)
{
    if (!m || !out) return clmlp_set_error(CLMLP_E_INVALID, "get_params: no model or buffer");
    if (m->be) return clmlp_be_download(m->be, m->params, 0, out, m->n_params);
    if (!m->host_params)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "the model has no weights yet: compile it or set them");
    memcpy(out, m->host_params, m->n_params * sizeof *out);
    return CLMLP_OK;
}

int clmlp_model_set_params(clmlp_model_t *m, const float *in)
{
    if (!m || !in) return clmlp_set_error(CLMLP_E_INVALID, "set_params: no model or buffer");
    for (size_t i = 0; i < m->n_params; i++)
        if (!isfinite(in[i])) {
            char name[160];
            return clmlp_set_error(CLMLP_E_INVALID, "%s is not finite (%g)",
                                   clmlp_model_param_name(m, i, name, sizeof name), (double)in[i]);
        }
    if (m->be) return clmlp_be_upload(m->be, m->params, 0, in, m->n_params);
    CLMLP_TRY(host_params(m));
    memcpy(m->host_params, in, m->n_params * sizeof *in);
    return CLMLP_OK;
}
