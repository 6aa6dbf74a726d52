/* A data set on the device: its inputs, and its targets in the form the
 * loss wants (integer labels, or float targets -- one-hot rows made from
 * labels where needed), uploaded once per fit, evaluation or comparison.
 * Where the device's memory is the host's, the data set's own arrays are
 * lent instead of copied. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"

int clmlp_model_loss_uses_labels(const clmlp_model_t *m)
{
    return m->loss == CLMLP_LOSS_SPARSE_CCE;
}

int clmlp_model_targets_as_given(const clmlp_model_t *m, const clmlp_dataset_t *ds)
{
    return ds->targets && ds->n_targets == clmlp_model_n_outputs(m);
}

/* Builds float targets (n x out) for ds as the loss wants them, or returns
 * ds->targets itself when they already fit.  *owned is what to free. */
static int host_targets(const clmlp_model_t *m, const clmlp_dataset_t *ds, const float **t,
                        float **owned)
{
    size_t out = clmlp_model_n_outputs(m);
    *owned = NULL;
    *t = NULL;
    if (clmlp_model_targets_as_given(m, ds)) {
        *t = ds->targets;
        return CLMLP_OK;
    }
    if (!ds->labels)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "the data has %zu target columns but the model has %zu outputs",
                               ds->n_targets, out);
    if (out == 1) {
        if (ds->n_classes > 2)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "the data has %zu classes but the model has one output; "
                                   "use %zu softmax outputs",
                                   ds->n_classes, ds->n_classes);
    } else if (ds->n_classes > out) {
        return clmlp_set_error(CLMLP_E_INVALID,
                               "the data has %zu classes but the model has only %zu outputs",
                               ds->n_classes, out);
    }
    float *buf = calloc(ds->n * out, sizeof *buf);
    if (!buf) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for %zu targets", ds->n * out);
    for (size_t i = 0; i < ds->n; i++) {
        if (out == 1)
            buf[i] = (float)ds->labels[i];
        else
            buf[i * out + (size_t)ds->labels[i]] = 1.0f;
    }
    *t = buf;
    *owned = buf;
    return CLMLP_OK;
}

/* The array `host` of n elements on the device: lent as it is where the
 * device's memory is the host's and the array outlives the buffer
 * (`lasting`: the data set's own), else copied into a new buffer. */
static int data_buffer(clmlp_model_t *m, clmlp_buf_type type, const void *host, size_t n,
                       int lasting, clmlp_buf **out)
{
    if (lasting && clmlp_be_can_wrap(m->be)) return clmlp_be_buf_wrap(m->be, type, n, host, out);
    CLMLP_TRY(clmlp_be_buf_alloc(m->be, type, n, out));
    return clmlp_be_upload(m->be, *out, 0, host, n);
}

int clmlp_dev_data_upload(clmlp_model_t *m, const clmlp_dataset_t *ds, clmlp_dev_data *dd)
{
    memset(dd, 0, sizeof *dd);
    if (!ds || ds->n == 0) return clmlp_set_error(CLMLP_E_INVALID, "the data set is empty");
    if (ds->n_features != m->n_inputs)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "the data has %zu features but the model takes %zu inputs",
                               ds->n_features, m->n_inputs);
    if (ds->n > 2147483647u / (ds->n_features ? ds->n_features : 1))
        return clmlp_set_error(CLMLP_E_INVALID, "the data set is too large (%zu x %zu)", ds->n,
                               ds->n_features);
    size_t out = clmlp_model_n_outputs(m);
    /* A regression model learns and is scored on values only: class labels
     * made into targets would pass for them silently. */
    if (m->task == CLMLP_TASK_REGRESSION && !clmlp_model_targets_as_given(m, ds)) {
        if (ds->targets)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "the data has %zu target columns, and the regression model %zu "
                                   "outputs (one per target)",
                                   ds->n_targets, out);
        return clmlp_set_error(CLMLP_E_INVALID,
                               "the model is a regression model, and the data holds class labels, "
                               "not values");
    }
    dd->n = ds->n;
    /* Inputs the model standardizes are a copy, scaled once here. */
    float *scaled = NULL;
    const float *x = ds->x;
    if (m->in_mean) {
        scaled = malloc(ds->n * ds->n_features * sizeof *scaled);
        if (!scaled)
            return clmlp_set_error(CLMLP_E_NOMEM, "out of memory standardizing %zu rows", ds->n);
        x = clmlp_model_scale_inputs(m, ds->x, ds->n, scaled);
    }
    int rc = data_buffer(m, CLMLP_BUF_F32, x, ds->n * ds->n_features, !scaled, &dd->x);
    free(scaled);
    if (rc == CLMLP_OK && clmlp_model_loss_uses_labels(m)) {
        if (!ds->labels)
            rc = clmlp_set_error(CLMLP_E_INVALID,
                                 "sparse_categorical_crossentropy needs integer class labels");
        for (size_t i = 0; rc == CLMLP_OK && i < ds->n; i++)
            if (ds->labels[i] < 0 || (size_t)ds->labels[i] >= out)
                rc = clmlp_set_error(CLMLP_E_INVALID,
                                     "row %zu has label %d but the model has %zu outputs "
                                     "(classes 0..%zu)",
                                     i + 1, (int)ds->labels[i], out, out - 1);
    }
    if (rc == CLMLP_OK && ds->labels)
        rc = data_buffer(m, CLMLP_BUF_I32, ds->labels, ds->n, 1, &dd->labels);
    if (rc == CLMLP_OK && !clmlp_model_loss_uses_labels(m)) {
        const float *t;
        float *owned;
        rc = host_targets(m, ds, &t, &owned);
        /* Targets the model standardizes are a copy, scaled once here. */
        if (rc == CLMLP_OK && m->out_mean && !owned) {
            if (!(owned = malloc(ds->n * out * sizeof *owned)))
                rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory standardizing %zu targets",
                                     ds->n);
            else
                t = clmlp_model_scale_targets(m, t, ds->n, owned);
        }
        /* Targets made here (one-hot rows, scaled ones) die with this call:
         * copied. */
        if (rc == CLMLP_OK) rc = data_buffer(m, CLMLP_BUF_F32, t, ds->n * out, !owned, &dd->t);
        free(owned);
    }
    if (rc != CLMLP_OK) clmlp_dev_data_free(m, dd);
    return rc;
}

void clmlp_dev_data_free(clmlp_model_t *m, clmlp_dev_data *dd)
{
    clmlp_be_buf_free(m->be, dd->x);
    clmlp_be_buf_free(m->be, dd->t);
    clmlp_be_buf_free(m->be, dd->labels);
    memset(dd, 0, sizeof *dd);
}
