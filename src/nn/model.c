/* The model's lifetime, its plain accessors and its class names. */
#include "nn/model.h"

#include <stdlib.h>

#include "data/class_names.h"
#include "util/error.h"

/* Largest width a model's input may have. */
#define MAX_UNITS ((size_t)1 << 24)

int clmlp_model_init(clmlp_model_t **out, size_t n_inputs)
{
    if (!out) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_model_init: out is NULL");
    *out = NULL;
    if (n_inputs == 0 || n_inputs > MAX_UNITS)
        return clmlp_set_error(CLMLP_E_INVALID, "a model needs 1 to %zu inputs, got %zu", MAX_UNITS,
                               n_inputs);
    clmlp_model_t *m = calloc(1, sizeof *m);
    if (!m) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory creating a model");
    m->n_inputs = n_inputs;
    m->opt.kind = CLMLP_OPT_SGD;
    m->opt.lr = 0.01;
    *out = m;
    return CLMLP_OK;
}

void clmlp_model_free(clmlp_model_t *m)
{
    if (!m) return;
    clmlp_model_release_buffers(m);
    for (size_t i = 0; i < m->n_layers; i++) free(m->layers[i].config);
    free(m->layers);
    free(m->host_params);
    clmlp_class_names_free(m->class_names, m->n_class_names);
    free(m);
}

size_t clmlp_model_n_layers(const clmlp_model_t *m) { return m ? m->n_layers : 0; }
size_t clmlp_model_n_inputs(const clmlp_model_t *m) { return m ? m->n_inputs : 0; }
size_t clmlp_model_n_params(const clmlp_model_t *m) { return m ? m->n_params : 0; }
size_t clmlp_model_n_outputs(const clmlp_model_t *m)
{
    return m && m->n_layers ? m->layers[m->n_layers - 1].out : 0;
}
clmlp_loss clmlp_model_loss(const clmlp_model_t *m) { return m->loss; }
clmlp_optimizer clmlp_model_optimizer(const clmlp_model_t *m) { return m->opt; }
size_t clmlp_model_epochs_done(const clmlp_model_t *m) { return m ? m->c.epochs_done : 0; }

size_t clmlp_model_n_classes(const clmlp_model_t *m)
{
    size_t out = clmlp_model_n_outputs(m);
    return out == 1 ? 2 : out;
}

const char *const *clmlp_model_class_names(const clmlp_model_t *m, size_t *n)
{
    if (n) *n = m && m->class_names ? m->n_class_names : 0;
    return m ? (const char *const *)m->class_names : NULL;
}

int clmlp_model_set_class_names(clmlp_model_t *m, const char *const *names, size_t n)
{
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "set_class_names: no model");
    if (n > clmlp_model_n_classes(m))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%zu class names for a model whose %zu output%s tell%s %zu "
                               "classes apart",
                               n, clmlp_model_n_outputs(m),
                               clmlp_model_n_outputs(m) == 1 ? "" : "s",
                               clmlp_model_n_outputs(m) == 1 ? "s" : "", clmlp_model_n_classes(m));
    CLMLP_TRY(clmlp_class_names_check(names, n, "the model's class names"));
    char **copy = NULL;
    CLMLP_TRY(clmlp_class_names_copy(&copy, names, n));
    clmlp_class_names_free(m->class_names, m->n_class_names);
    m->class_names = copy;
    m->n_class_names = n;
    return CLMLP_OK;
}
