/* One pass over a batch: gathering it on the device, forward through every
 * layer, the loss, backpropagation into the packed gradient buffer, and the
 * optimizer step.  Nothing here waits for the device. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"

/* Which targets the loss reads: labels (int) or float targets. */
static int loss_uses_labels(const clmlp_model_t *m) { return m->loss == CLMLP_LOSS_SPARSE_CCE; }

/* Whether ds's own float targets are the ones the loss wants. */
static int targets_as_given(const clmlp_model_t *m, const clmlp_dataset_t *ds)
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
    if (targets_as_given(m, ds)) {
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

size_t clmlp_model_data_parts(const clmlp_model_t *m, const clmlp_dataset_t *ds, const char *name,
                        clmlp_mem_part *out)
{
    size_t k = 0, n_out = clmlp_model_n_outputs(m);
    if (!ds) return 0;
    /* What clmlp_dev_data_upload allocates, in its order; arrays a host-memory
     * device borrows cost nothing more. */
    int lent = clmlp_be_can_wrap(m->be);
    if (!lent) {
        out[k++] = (clmlp_mem_part){name, ds->n * ds->n_features, CLMLP_BUF_F32, 1, 0};
        if (ds->labels) out[k++] = (clmlp_mem_part){"labels", ds->n, CLMLP_BUF_I32, 1, 0};
    }
    if (!loss_uses_labels(m) && (!lent || !targets_as_given(m, ds)))
        out[k++] = (clmlp_mem_part){"targets", ds->n * n_out, CLMLP_BUF_F32, 1, 0};
    return k;
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
    dd->n = ds->n;
    int rc = data_buffer(m, CLMLP_BUF_F32, ds->x, ds->n * ds->n_features, 1, &dd->x);
    if (rc == CLMLP_OK && loss_uses_labels(m)) {
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
    if (rc == CLMLP_OK && !loss_uses_labels(m)) {
        const float *t;
        float *owned;
        rc = host_targets(m, ds, &t, &owned);
        /* Targets made here (one-hot rows) die with this call: copied. */
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

int clmlp_model_gather_batch(clmlp_model_t *m, const clmlp_dev_data *dd, size_t start,
                       size_t rows, clmlp_batch *b)
{
    memset(b, 0, sizeof *b);
    b->rows = rows;
    CLMLP_TRY(clmlp_be_gather_rows(m->be, rows, m->n_inputs, dd->x, m->idx, start, m->xb, 0));
    b->x = m->xb;
    if (dd->t) {
        CLMLP_TRY(clmlp_be_gather_rows(m->be, rows, clmlp_model_n_outputs(m), dd->t, m->idx, start,
                                 m->tb, 0));
        b->t = m->tb;
    }
    if (dd->labels) {
        CLMLP_TRY(clmlp_be_gather_rows(m->be, rows, 1, dd->labels, m->idx, start, m->lb, 0));
        b->labels = m->lb;
    }
    return CLMLP_OK;
}

void clmlp_model_slice_batch(const clmlp_model_t *m, const clmlp_dev_data *dd, size_t start,
                       size_t rows, clmlp_batch *b)
{
    b->rows = rows;
    b->x = dd->x;
    b->x_off = start * m->n_inputs;
    b->t = dd->t;
    b->t_off = start * clmlp_model_n_outputs(m);
    b->labels = dd->labels;
    b->labels_off = start;
}

int clmlp_model_forward(clmlp_model_t *m, const clmlp_batch *b, int mode)
{
    clmlp_layer_io io = {.rows = b->rows, .training = mode != MODEL_INFER, .x = b->x,
                         .x_off = b->x_off};
    if (mode == MODEL_TRAIN) m->train_steps++;
    m->fwd_training = io.training;
    for (size_t i = 0; i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        CLMLP_TRY(l->vt->forward(m, l, &io));
        io.x = m->y;
        io.x_off = l->ws_off;
    }
    return CLMLP_OK;
}

int clmlp_model_loss_backward(clmlp_model_t *m, const clmlp_batch *b, int want_grads)
{
    const clmlp_layer *last = &m->layers[m->n_layers - 1];
    size_t rows = b->rows;
    int fused = clmlp_model_loss_fused(m);
    int by_labels = loss_uses_labels(m);
    /* The perceptron rule: mean squared error's gradient 2 (y - t) / cols
     * scaled to (y - t) for each row, summed over the batch, and passed
     * straight through the step (clmlp_model_check_trainable: one output layer). */
    int perceptron = m->opt.kind == CLMLP_OPT_PERCEPTRON;
    float scale = perceptron ? 0.5f * (float)last->out : 1.0f / (float)rows;
    clmlp_buf *d = m->d0, *dn = m->d1;
    CLMLP_TRY(clmlp_be_loss_grad(m->be, m->loss, fused, rows, last->out, m->y, last->ws_off,
                           by_labels ? NULL : b->t, b->t_off, by_labels ? b->labels : NULL,
                           b->labels_off, scale, want_grads ? d : NULL, 0, m->metrics));
    /* Accuracy by labels where the data has them, else by the targets. */
    CLMLP_TRY(clmlp_be_count_correct(m->be, rows, last->out, m->y, last->ws_off,
                               b->labels ? NULL : b->t, b->t_off, b->labels, b->labels_off,
                               m->metrics));
    m->metric_rows += rows;
    if (!want_grads) return CLMLP_OK;
    /* Each layer turns d loss / d output (d) into its parameters' gradients
     * and d loss / d input (dn), which the layer before it takes as its d --
     * while a layer below has parameters to learn (below = the first layer
     * with any; nothing under it needs a gradient). */
    size_t below = m->n_layers;
    for (size_t i = 0; i < m->n_layers && below == m->n_layers; i++)
        if (m->layers[i].n_tensors) below = i;
    for (size_t i = m->n_layers; i-- > 0;) {
        const clmlp_layer *l = &m->layers[i];
        clmlp_layer_io io = {.rows = rows,
                             .training = m->fwd_training,
                             .x = i ? m->y : b->x,
                             .x_off = i ? m->layers[i - 1].ws_off : b->x_off,
                             .dy = d,
                             .dx = i > below ? dn : NULL,
                             .dy_is_dz = i + 1 == m->n_layers && (fused || perceptron)};
        CLMLP_TRY(l->vt->backward(m, l, &io));
        if (!io.dx) break;
        clmlp_buf *tmp = d;
        d = dn;
        dn = tmp;
    }
    return CLMLP_OK;
}

int clmlp_model_optimizer_step(clmlp_model_t *m)
{
    const clmlp_optimizer *o = &m->opt;
    if (o->kind == CLMLP_OPT_ADAM) {
        m->opt_step++;
        double t = (double)m->opt_step;
        double lr_t = o->lr * sqrt(1.0 - pow(o->beta2, t)) / (1.0 - pow(o->beta1, t));
        return clmlp_be_adam_update(m->be, m->n_params, m->n_weights, m->params, m->grads, m->opt_m,
                              m->opt_v, (float)lr_t, (float)o->beta1, (float)o->beta2,
                              (float)o->eps, (float)o->l2);
    }
    /* SGD, and the perceptron rule: w -= lr * sum of (y - t) x. */
    return clmlp_be_sgd_update(m->be, m->n_params, m->n_weights, m->params, m->grads, m->opt_m,
                         (float)o->lr, (float)o->momentum, o->nesterov, (float)o->l2);
}

int clmlp_model_metrics_reset(clmlp_model_t *m)
{
    m->metric_rows = 0;
    return clmlp_be_fill(m->be, m->metrics, 0, CLMLP_METRIC_COUNT, 0.0f);
}

int clmlp_model_metrics_read(clmlp_model_t *m, double *loss, double *accuracy, int *nonfinite)
{
    double v[CLMLP_METRIC_COUNT];
    CLMLP_TRY(clmlp_be_download_f64(m->be, m->metrics, 0, v, CLMLP_METRIC_COUNT));
    double rows = m->metric_rows ? (double)m->metric_rows : 1.0;
    if (loss) *loss = v[CLMLP_METRIC_LOSS] / rows;
    if (accuracy) *accuracy = v[CLMLP_METRIC_CORRECT] / rows;
    if (nonfinite) *nonfinite = v[CLMLP_METRIC_NONFINITE] != 0.0 || !isfinite(v[CLMLP_METRIC_LOSS]);
    return CLMLP_OK;
}
