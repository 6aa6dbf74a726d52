/* The layer stack: appending layers (by table or by kind name), the packed
 * parameter layout, what each layer is, and the rules the whole stack
 * must meet to be trained. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/class_names.h"
#include "nn/model.h"
#include "util/error.h"
#include "util/grow.h"

/* Places every tensor in the packed buffer: the decayed ones first, in
 * layer order, then the rest. */
static void model_layout(clmlp_model_t *m)
{
    size_t off = 0;
    for (int decay = 1; decay >= 0; decay--) {
        for (size_t i = 0; i < m->n_layers; i++) {
            clmlp_layer *l = &m->layers[i];
            for (size_t t = 0; t < l->n_tensors; t++) {
                if (l->tensors[t].decay != decay) continue;
                l->tensors[t].off = off;
                off += l->tensors[t].count;
            }
        }
        if (decay) m->n_weights = off;
    }
    m->n_params = off;
}

int clmlp_model_add(clmlp_model_t *m, const clmlp_layer_vt *vt, const clmlp_layer_kind *custom,
                    const void *config, size_t config_size)
{
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "adding a layer: no model");
    if (m->be) return clmlp_set_error(CLMLP_E_INVALID, "cannot add a layer to a compiled model");
    if (config_size && !config)
        return clmlp_set_error(CLMLP_E_INVALID, "adding a layer: %zu configuration bytes at NULL",
                               config_size);
    if (m->n_layers >= CLMLP_MODEL_MAX_LAYERS)
        return clmlp_set_error(CLMLP_E_INVALID, "a model has at most %d layers",
                               CLMLP_MODEL_MAX_LAYERS);
    if (CLMLP_GROW(m->layers, m->cap_layers, m->n_layers + 1, 4) != 0)
        return clmlp_set_error(CLMLP_E_NOMEM, "out of memory adding a layer");
    clmlp_layer l;
    memset(&l, 0, sizeof l);
    l.vt = vt;
    l.custom = custom;
    l.in = m->n_layers ? m->layers[m->n_layers - 1].out : m->n_inputs;
    l.config_size = config_size;
    l.config = malloc(config_size ? config_size : 1);
    if (!l.config) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory adding a layer");
    if (config_size) memcpy(l.config, config, config_size);
    int rc = vt->build(&l, l.in);
    /* The parameter count must stay far below SIZE_MAX and 2^31 elements,
     * the most one OpenCL buffer index comfortably covers. */
    if (rc == CLMLP_OK &&
        (double)clmlp_layer_params(&l) + (double)m->n_params + (double)l.out > 2147483647.0)
        rc = clmlp_set_error(CLMLP_E_INVALID,
                             "a %zu x %zu layer makes the model too large (over 2^31 "
                             "parameters)",
                             l.in, l.out);
    if (rc != CLMLP_OK) {
        free(l.config);
        return rc;
    }
    m->layers[m->n_layers++] = l;
    model_layout(m);
    free(m->host_params); /* the layout changed: earlier weights no longer fit */
    m->host_params = NULL;
    /* So do class and target names: the output they named is no longer
     * the last. */
    clmlp_class_names_free(m->class_names, m->n_class_names);
    m->class_names = NULL;
    m->n_class_names = 0;
    clmlp_class_names_free(m->target_names, m->n_target_names);
    m->target_names = NULL;
    m->n_target_names = 0;
    clmlp_model_set_target_scaling(m, NULL, NULL);
    return CLMLP_OK;
}

int clmlp_model_add_layer(clmlp_model_t *m, const char *kind, const void *config,
                          size_t config_size)
{
    const clmlp_layer_kind *custom;
    const clmlp_layer_vt *vt = clmlp_layer_vt_find(kind, &custom);
    if (!vt) {
        char known[512];
        return clmlp_set_error(CLMLP_E_NOT_FOUND,
                               "unknown layer kind '%s' (known: %s; others must be registered "
                               "with clmlp_layer_register or loaded with clmlp_plugin_load)",
                               kind ? kind : "(null)", clmlp_layer_kind_list(known, sizeof known));
    }
    return clmlp_model_add(m, vt, custom, config, config_size);
}

int clmlp_model_copy_layers(const clmlp_model_t *m, clmlp_model_t **out)
{
    *out = NULL;
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "no model given");
    clmlp_model_t *c = NULL;
    CLMLP_TRY(clmlp_model_init(&c, m->n_inputs));
    for (size_t i = 0; i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        int rc = clmlp_model_add(c, l->vt, l->custom, l->config, l->config_size);
        if (rc < 0) {
            clmlp_model_free(c);
            return rc;
        }
    }
    *out = c;
    return CLMLP_OK;
}

int clmlp_model_layer_info(const clmlp_model_t *m, size_t i, clmlp_layer_info *out)
{
    if (!m || !out) return clmlp_set_error(CLMLP_E_INVALID, "layer_info: no model or output");
    if (i >= m->n_layers)
        return clmlp_set_error(CLMLP_E_NOT_FOUND, "no layer %zu (the model has %zu)", i,
                               m->n_layers);
    clmlp_layer_info_of(&m->layers[i], out);
    return CLMLP_OK;
}

int clmlp_model_layer(const clmlp_model_t *m, size_t i, size_t *units, clmlp_act *act,
                      int *use_bias)
{
    clmlp_layer_info info;
    if (!m || i >= m->n_layers)
        return clmlp_set_error(CLMLP_E_NOT_FOUND, "no layer %zu (the model has %zu)", i,
                               m ? m->n_layers : 0);
    clmlp_layer_info_of(&m->layers[i], &info);
    if (units) *units = info.out;
    if (act) *act = info.act;
    if (use_bias) *use_bias = info.use_bias;
    return CLMLP_OK;
}

const char *clmlp_model_layer_kind(const clmlp_model_t *m, size_t i)
{
    return m && i < m->n_layers ? clmlp_layer_name(&m->layers[i]) : NULL;
}

char *clmlp_model_param_name(const clmlp_model_t *m, size_t index, char *buf, size_t size)
{
    if (!buf || size == 0) return buf;
    snprintf(buf, size, "parameter %zu", index);
    for (size_t i = 0; m && i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        for (size_t t = 0; t < l->n_tensors; t++) {
            const clmlp_tensor *tn = &l->tensors[t];
            if (index >= tn->off && index - tn->off < tn->count) {
                snprintf(buf, size, "layer %zu (%s) parameter %s[%zu]", i + 1, clmlp_layer_name(l),
                         tn->name, index - tn->off);
                return buf;
            }
        }
    }
    return buf;
}

int clmlp_model_loss_fused(const clmlp_model_t *m)
{
    clmlp_layer_info last;
    clmlp_layer_info_of(&m->layers[m->n_layers - 1], &last);
    if (last.form != CLMLP_LAYER_AFFINE) return 0;
    return ((m->loss == CLMLP_LOSS_CCE || m->loss == CLMLP_LOSS_SPARSE_CCE) &&
            last.act == CLMLP_ACT_SOFTMAX) ||
           (m->loss == CLMLP_LOSS_BCE && last.act == CLMLP_ACT_SIGMOID);
}

int clmlp_model_check_trainable(const clmlp_model_t *m)
{
    if (m->opt.kind == CLMLP_OPT_PERCEPTRON) {
        clmlp_layer_info first;
        clmlp_layer_info_of(&m->layers[0], &first);
        if (m->n_layers != 1 || first.form != CLMLP_LAYER_AFFINE || first.act != CLMLP_ACT_STEP)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "the perceptron rule trains one Dense layer of step units "
                                   "(e.g. --layers 2,1:step); this model is not one");
        if (m->loss != CLMLP_LOSS_MSE)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "the perceptron rule reports mean_squared_error (the error "
                                   "rate), not %s",
                                   clmlp_loss_name(m->loss));
        return CLMLP_OK;
    }
    for (size_t i = 0; i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        const char *why = l->vt->untrainable ? l->vt->untrainable(l) : NULL;
        if (why)
            return clmlp_set_error(CLMLP_E_INVALID, "cannot train layer %zu (%s): %s", i + 1,
                                   clmlp_layer_name(l), why);
    }
    return CLMLP_OK;
}

size_t clmlp_model_opt_state_count(const clmlp_model_t *m)
{
    if (m->opt.kind == CLMLP_OPT_ADAM) return 2;
    return m->opt.kind == CLMLP_OPT_SGD && m->opt.momentum != 0.0 ? 1 : 0;
}
