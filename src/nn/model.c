/* The model's lifetime, its plain accessors, its task, class and target
 * names, and the input standardization it applies itself. */
#include "nn/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    clmlp_class_names_free(m->target_names, m->n_target_names);
    free(m->in_mean);
    free(m->in_scale);
    free(m->out_mean);
    free(m->out_scale);
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

/* Replaces the n_have names at *have with checked copies of names (n of
 * them; what names them in messages). */
static int replace_names(char ***have, size_t *n_have, const char *const *names, size_t n,
                         const char *what)
{
    CLMLP_TRY(clmlp_class_names_check(names, n, what));
    char **copy = NULL;
    CLMLP_TRY(clmlp_class_names_copy(&copy, names, n));
    clmlp_class_names_free(*have, *n_have);
    *have = copy;
    *n_have = n;
    return CLMLP_OK;
}

int clmlp_model_set_class_names(clmlp_model_t *m, const char *const *names, size_t n)
{
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "set_class_names: no model");
    /* One name per class or none: with fewer, a prediction of an unnamed
     * class would print as a number among names. */
    if (n && n != clmlp_model_n_classes(m))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%zu class names for a model whose %zu output%s tell%s %zu "
                               "classes apart: give one name per class",
                               n, clmlp_model_n_outputs(m),
                               clmlp_model_n_outputs(m) == 1 ? "" : "s",
                               clmlp_model_n_outputs(m) == 1 ? "s" : "", clmlp_model_n_classes(m));
    return replace_names(&m->class_names, &m->n_class_names, names, n, "the model's class names");
}

int clmlp_model_set_task(clmlp_model_t *m, clmlp_task task)
{
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "set_task: no model");
    if ((unsigned)task >= CLMLP_TASK_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "unknown task %d", (int)task);
    if (task == CLMLP_TASK_REGRESSION && m->be && m->loss == CLMLP_LOSS_SPARSE_CCE)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "the model is compiled with sparse_categorical_crossentropy, "
                               "which reads class labels: it cannot be a regression model");
    m->task = task;
    if (task == CLMLP_TASK_REGRESSION) {
        clmlp_class_names_free(m->class_names, m->n_class_names);
        m->class_names = NULL;
        m->n_class_names = 0;
    } else {
        clmlp_model_set_target_scaling(m, NULL, NULL);
    }
    return CLMLP_OK;
}

clmlp_task clmlp_model_task(const clmlp_model_t *m)
{
    return m ? m->task : CLMLP_TASK_CLASSIFICATION;
}

const char *const *clmlp_model_target_names(const clmlp_model_t *m, size_t *n)
{
    if (n) *n = m && m->target_names ? m->n_target_names : 0;
    return m ? (const char *const *)m->target_names : NULL;
}

int clmlp_model_set_target_names(clmlp_model_t *m, const char *const *names, size_t n)
{
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "set_target_names: no model");
    if (n && n != clmlp_model_n_outputs(m))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%zu target names for a model of %zu outputs (one name each)", n,
                               clmlp_model_n_outputs(m));
    return replace_names(&m->target_names, &m->n_target_names, names, n,
                         "the model's target names");
}

/* Replaces the n means and scales at *have_mean and *have_scale with
 * copies of mean and scale (both NULL: none), after checking them; what
 * ("input", "target") and item ("feature", "target") name them in
 * messages. */
static int set_scaling(double **have_mean, double **have_scale, size_t n, const double *mean,
                       const double *scale, const char *what, const char *item)
{
    if (!mean != !scale)
        return clmlp_set_error(CLMLP_E_INVALID, "%s scaling: give both mean and scale, or neither",
                               what);
    double *nm = NULL, *ns = NULL;
    if (mean) {
        for (size_t j = 0; j < n; j++)
            if (!isfinite(mean[j]) || !(scale[j] > 0.0) || !isfinite(scale[j]))
                return clmlp_set_error(CLMLP_E_INVALID,
                                       "%s scaling of %s %zu: mean %g, scale %g (a finite mean "
                                       "and a finite scale > 0)",
                                       what, item, j, mean[j], scale[j]);
        nm = malloc(n * sizeof *nm);
        ns = malloc(n * sizeof *ns);
        if (!nm || !ns) {
            free(nm);
            free(ns);
            return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for %s scaling", what);
        }
        memcpy(nm, mean, n * sizeof *nm);
        memcpy(ns, scale, n * sizeof *ns);
    }
    free(*have_mean);
    free(*have_scale);
    *have_mean = nm;
    *have_scale = ns;
    return CLMLP_OK;
}

int clmlp_model_set_input_scaling(clmlp_model_t *m, const double *mean, const double *scale)
{
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "set_input_scaling: no model");
    return set_scaling(&m->in_mean, &m->in_scale, m->n_inputs, mean, scale, "input", "feature");
}

void clmlp_model_input_scaling(const clmlp_model_t *m, const double **mean, const double **scale)
{
    if (mean) *mean = m ? m->in_mean : NULL;
    if (scale) *scale = m ? m->in_scale : NULL;
}

int clmlp_model_set_target_scaling(clmlp_model_t *m, const double *mean, const double *scale)
{
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "set_target_scaling: no model");
    if (mean && m->task != CLMLP_TASK_REGRESSION)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "target scaling is a regression model's, and this one is a "
                               "classifier (clmlp_model_set_task)");
    return set_scaling(&m->out_mean, &m->out_scale, clmlp_model_n_outputs(m), mean, scale, "target",
                       "target");
}

void clmlp_model_target_scaling(const clmlp_model_t *m, const double **mean, const double **scale)
{
    if (mean) *mean = m ? m->out_mean : NULL;
    if (scale) *scale = m ? m->out_scale : NULL;
}

/* Standardizes rows of k values in to out ((v - mean) / scale per
 * column), or with `back` turns them back (v * scale + mean); in double,
 * in and out may be the same array. */
static void scale_rows(const double *mean, const double *scale, size_t k, const float *in,
                       size_t rows, float *out, int back)
{
    for (size_t i = 0; i < rows * k; i++) {
        size_t j = i % k;
        out[i] = (float)(back ? in[i] * scale[j] + mean[j] : (in[i] - mean[j]) / scale[j]);
    }
}

const float *clmlp_model_scale_inputs(const clmlp_model_t *m, const float *x, size_t rows,
                                      float *out)
{
    if (!m->in_mean) return x;
    scale_rows(m->in_mean, m->in_scale, m->n_inputs, x, rows, out, 0);
    return out;
}

const float *clmlp_model_scale_targets(const clmlp_model_t *m, const float *t, size_t rows,
                                       float *out)
{
    if (!m->out_mean) return t;
    scale_rows(m->out_mean, m->out_scale, clmlp_model_n_outputs(m), t, rows, out, 0);
    return out;
}

void clmlp_model_unscale_outputs(const clmlp_model_t *m, float *y, size_t rows)
{
    if (m->out_mean) scale_rows(m->out_mean, m->out_scale, clmlp_model_n_outputs(m), y, rows, y, 1);
}
