/* Training, evaluation and prediction.  Inside an epoch nothing waits for
 * the device: the data is uploaded once, batches are gathered on the device
 * by an index buffer, and loss and accuracy accumulate there; the host reads
 * them back once per epoch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"
#include "util/rng.h"
#include "util/timer.h"

void clmlp_history_free(clmlp_history_t *h)
{
    if (!h) return;
    free(h->epochs);
    free(h);
}

/* Appends one epoch's figures to the history. */
static int history_push(clmlp_history_t *h, const clmlp_epoch_stats *s)
{
    clmlp_epoch_stats *e = realloc(h->epochs, (h->n + 1) * sizeof *e);
    if (!e) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory recording the history");
    h->epochs = e;
    h->epochs[h->n++] = *s;
    return CLMLP_OK;
}

/* Runs forward + loss (no gradients) over dd in batches; mean loss/accuracy. */
static int evaluate_dev(clmlp_model_t *m, const clmlp_dev_data *dd, size_t batch,
                        double *loss, double *accuracy)
{
    CLMLP_TRY(model_metrics_reset(m));
    for (size_t start = 0; start < dd->n; start += batch) {
        clmlp_batch b;
        size_t rows = dd->n - start < batch ? dd->n - start : batch;
        model_slice_batch(m, dd, start, rows, &b);
        CLMLP_TRY(model_forward(m, &b, 0));
        CLMLP_TRY(model_loss_backward(m, &b, 0));
    }
    int nonfinite;
    return model_metrics_read(m, loss, accuracy, &nonfinite);
}

/* Makes the index buffer hold at least n entries. */
static int reserve_idx(clmlp_model_t *m, size_t n)
{
    if (m->idx_n >= n) return CLMLP_OK;
    be_buf_free(m->be, m->idx);
    m->idx = NULL;
    m->idx_n = 0;
    CLMLP_TRY(be_buf_alloc(m->be, CLMLP_BUF_I32, n, &m->idx));
    m->idx_n = n;
    return CLMLP_OK;
}

/* Trains one epoch over dd in the order `order` (uploaded when shuffling). */
static int train_epoch(clmlp_model_t *m, const clmlp_dev_data *dd, size_t batch, int gather,
                       const clmlp_fit_opts *o, size_t epoch)
{
    size_t n_batches = (dd->n + batch - 1) / batch;
    CLMLP_TRY(model_metrics_reset(m));
    for (size_t bi = 0; bi < n_batches; bi++) {
        size_t start = bi * batch;
        size_t rows = dd->n - start < batch ? dd->n - start : batch;
        clmlp_batch b;
        if (gather)
            CLMLP_TRY(model_gather_batch(m, dd, start, rows, &b));
        else
            model_slice_batch(m, dd, start, rows, &b);
        CLMLP_TRY(model_forward(m, &b, 1));
        CLMLP_TRY(model_loss_backward(m, &b, 1));
        CLMLP_TRY(model_optimizer_step(m));
        if (o->on_batch) o->on_batch(epoch, bi + 1, n_batches, o->user);
    }
    return CLMLP_OK;
}

int clmlp_model_fit(clmlp_model_t *m, const clmlp_dataset_t *train, const clmlp_fit_opts *opts,
                    clmlp_history_t **hist)
{
    if (hist) *hist = NULL;
    if (!m || !m->be) return clmlp_set_error(CLMLP_E_INVALID, "fit: the model is not compiled");
    if (!train || train->n == 0) return clmlp_set_error(CLMLP_E_INVALID, "fit: no training data");
    CLMLP_TRY(model_check_trainable(m));
    clmlp_fit_opts o = {0};
    if (opts) o = *opts;
    size_t epochs = o.epochs ? o.epochs : 1;
    size_t batch = o.batch_size && o.batch_size < train->n ? o.batch_size : train->n;

    clmlp_history_t *h = calloc(1, sizeof *h);
    int32_t *order = malloc(train->n * sizeof *order);
    clmlp_dev_data dd = {0}, vd = {0};
    int rc = (h && order) ? CLMLP_OK
                          : clmlp_set_error(CLMLP_E_NOMEM, "out of memory starting training");
    /* Everything training adds to the model on the device, checked at once. */
    clmlp_mem_part parts[2 * MODEL_DATA_PARTS + MODEL_WORKSPACE_PARTS + 1];
    size_t np = model_data_parts(m, train, "training data", parts);
    np += model_data_parts(m, o.validation, "validation data", parts + np);
    if (batch > m->ws_rows) np += model_workspace_parts(m, batch, parts + np);
    if (o.shuffle && m->idx_n < train->n)
        parts[np++] = (clmlp_mem_part){"row order", train->n, CLMLP_BUF_I32, 1, 0};
    if (rc == CLMLP_OK) rc = model_memory_guard(m->be, parts, np, "training");
    if (rc == CLMLP_OK) rc = dev_data_upload(m, train, &dd);
    if (rc == CLMLP_OK && o.validation) rc = dev_data_upload(m, o.validation, &vd);
    if (rc == CLMLP_OK) rc = model_reserve(m, batch);
    if (rc == CLMLP_OK && o.shuffle) rc = reserve_idx(m, train->n);

    clmlp_rng rng;
    clmlp_rng_seed(&rng, o.seed);
    for (size_t i = 0; rc == CLMLP_OK && i < train->n; i++) order[i] = (int32_t)i;
    for (size_t e = 0; rc == CLMLP_OK && e < epochs; e++) {
        clmlp_epoch_stats s = {0};
        s.epoch = o.initial_epoch + e + 1;
        double t0 = clmlp_now();
        if (o.shuffle) {
            clmlp_rng_shuffle_i32(&rng, order, train->n);
            rc = be_upload(m->be, m->idx, 0, order, train->n);
        }
        if (rc == CLMLP_OK) rc = train_epoch(m, &dd, batch, o.shuffle, &o, s.epoch);
        int nonfinite = 0;
        if (rc == CLMLP_OK) rc = model_metrics_read(m, &s.loss, &s.accuracy, &nonfinite);
        if (rc == CLMLP_OK && nonfinite)
            rc = clmlp_set_error(CLMLP_E_NUMERIC,
                                 "the loss became NaN or infinite in epoch %zu; try a smaller "
                                 "learning rate",
                                 s.epoch);
        s.val_loss = s.val_accuracy = NAN;
        if (rc == CLMLP_OK && o.validation)
            rc = evaluate_dev(m, &vd, batch, &s.val_loss, &s.val_accuracy);
        if (rc != CLMLP_OK) break;
        s.seconds = clmlp_now() - t0;
        m->epochs_done = s.epoch;
        rc = history_push(h, &s);
        if (rc == CLMLP_OK && o.on_epoch && o.on_epoch(&s, o.user)) break;
    }
    dev_data_free(m, &dd);
    dev_data_free(m, &vd);
    free(order);
    if (hist && h && (rc == CLMLP_OK || h->n > 0))
        *hist = h;
    else
        clmlp_history_free(h);
    return rc;
}

int clmlp_model_running_metrics(clmlp_model_t *m, double *loss, double *accuracy)
{
    if (!m || !m->be) return clmlp_set_error(CLMLP_E_INVALID, "the model is not compiled");
    return model_metrics_read(m, loss, accuracy, NULL);
}

int clmlp_model_evaluate(clmlp_model_t *m, const clmlp_dataset_t *ds, size_t batch_size,
                         double *loss, double *accuracy)
{
    if (!m || !m->be) return clmlp_set_error(CLMLP_E_INVALID, "evaluate: the model is not compiled");
    if (!ds || ds->n == 0) return clmlp_set_error(CLMLP_E_INVALID, "evaluate: no data");
    size_t batch = batch_size && batch_size < ds->n ? batch_size : (ds->n < 1024 ? ds->n : 1024);
    clmlp_mem_part parts[MODEL_DATA_PARTS];
    CLMLP_TRY(model_memory_guard(m->be, parts, model_data_parts(m, ds, "the data", parts),
                                 "evaluation"));
    clmlp_dev_data dd;
    CLMLP_TRY(dev_data_upload(m, ds, &dd));
    int rc = model_reserve(m, batch);
    if (rc == CLMLP_OK) rc = evaluate_dev(m, &dd, batch, loss, accuracy);
    dev_data_free(m, &dd);
    return rc;
}

int clmlp_model_layer_output(clmlp_model_t *m, size_t layer, const float *x, size_t n,
                             float *out)
{
    if (!m || !m->be) return clmlp_set_error(CLMLP_E_INVALID, "predict: the model is not compiled");
    if (layer >= m->n_layers)
        return clmlp_set_error(CLMLP_E_NOT_FOUND, "no layer %zu (the model has %zu, from 0)",
                               layer, m->n_layers);
    if (n == 0) return CLMLP_OK;
    if (!x || !out) return clmlp_set_error(CLMLP_E_INVALID, "predict: no input or output");
    size_t chunk = m->ws_rows > 256 ? m->ws_rows : 256;
    if (chunk > n) chunk = n;
    CLMLP_TRY(model_reserve(m, chunk));
    chunk = m->ws_rows < n ? m->ws_rows : n;
    size_t width = m->layers[layer].out;
    for (size_t start = 0; start < n; start += chunk) {
        size_t rows = n - start < chunk ? n - start : chunk;
        clmlp_batch b = {.rows = rows, .x = m->xb};
        CLMLP_TRY(be_upload(m->be, m->xb, 0, x + start * m->n_inputs, rows * m->n_inputs));
        CLMLP_TRY(model_forward(m, &b, 0));
        CLMLP_TRY(be_download(m->be, m->y, m->layers[layer].ws_off, out + start * width,
                              rows * width));
    }
    return CLMLP_OK;
}

int clmlp_model_predict(clmlp_model_t *m, const float *x, size_t n, float *out)
{
    if (!m || m->n_layers == 0) return clmlp_set_error(CLMLP_E_INVALID, "predict: no model");
    return clmlp_model_layer_output(m, m->n_layers - 1, x, n, out);
}
