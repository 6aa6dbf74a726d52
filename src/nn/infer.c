/* Inference: evaluating a data set (loss and accuracy accumulated on the
 * device, read once), predicting, and any layer's outputs.  The training
 * floor (src/train) evaluates its validation data through the same pass. */
#include <stdlib.h>

#include "nn/model.h"
#include "util/error.h"

int clmlp_model_evaluate_dev(clmlp_model_t *m, const clmlp_dev_data *dd, size_t batch, double *loss,
                             double *accuracy)
{
    CLMLP_TRY(clmlp_model_metrics_reset(m));
    for (size_t start = 0; start < dd->n; start += batch) {
        clmlp_batch b;
        size_t rows = dd->n - start < batch ? dd->n - start : batch;
        clmlp_model_slice_batch(m, dd, start, rows, &b);
        CLMLP_TRY(clmlp_model_forward(m, &b, MODEL_INFER));
        CLMLP_TRY(clmlp_model_loss_backward(m, &b, 0));
    }
    int nonfinite;
    return clmlp_model_metrics_read(m, loss, accuracy, &nonfinite);
}

int clmlp_model_running_metrics(clmlp_model_t *m, double *loss, double *accuracy)
{
    if (!m || !m->be) return clmlp_set_error(CLMLP_E_INVALID, "the model is not compiled");
    return clmlp_model_metrics_read(m, loss, accuracy, NULL);
}

int clmlp_model_evaluate(clmlp_model_t *m, const clmlp_dataset_t *ds, size_t batch_size,
                         double *loss, double *accuracy)
{
    if (!m || !m->be)
        return clmlp_set_error(CLMLP_E_INVALID, "evaluate: the model is not compiled");
    if (!ds || ds->n == 0) return clmlp_set_error(CLMLP_E_INVALID, "evaluate: no data");
    size_t batch = batch_size && batch_size < ds->n ? batch_size : (ds->n < 1024 ? ds->n : 1024);
    clmlp_mem_part parts[CLMLP_PLAN_DATA_PARTS];
    CLMLP_TRY(
        clmlp_memory_guard(m->be, parts, clmlp_plan_data(m, ds, "the data", parts), "evaluation"));
    clmlp_dev_data dd;
    CLMLP_TRY(clmlp_dev_data_upload(m, ds, &dd));
    int rc = clmlp_model_reserve(m, batch);
    if (rc == CLMLP_OK) rc = clmlp_model_evaluate_dev(m, &dd, batch, loss, accuracy);
    clmlp_dev_data_free(m, &dd);
    return rc;
}

int clmlp_model_layer_output(clmlp_model_t *m, size_t layer, const float *x, size_t n, float *out)
{
    if (!m || !m->be) return clmlp_set_error(CLMLP_E_INVALID, "predict: the model is not compiled");
    if (layer >= m->n_layers)
        return clmlp_set_error(CLMLP_E_NOT_FOUND, "no layer %zu (the model has %zu, from 0)", layer,
                               m->n_layers);
    if (n == 0) return CLMLP_OK;
    if (!x || !out) return clmlp_set_error(CLMLP_E_INVALID, "predict: no input or output");
    size_t chunk = m->ws_rows > 256 ? m->ws_rows : 256;
    if (chunk > n) chunk = n;
    CLMLP_TRY(clmlp_model_reserve(m, chunk));
    chunk = m->ws_rows < n ? m->ws_rows : n;
    size_t width = m->layers[layer].out;
    /* Room for a chunk of standardized inputs, when the model scales them. */
    float *scaled = NULL;
    if (m->in_mean && !(scaled = malloc(chunk * m->n_inputs * sizeof *scaled)))
        return clmlp_set_error(CLMLP_E_NOMEM, "out of memory standardizing %zu rows", chunk);
    int rc = CLMLP_OK;
    for (size_t start = 0; rc == CLMLP_OK && start < n; start += chunk) {
        size_t rows = n - start < chunk ? n - start : chunk;
        clmlp_batch b = {.rows = rows, .x = m->xb};
        const float *xs = clmlp_model_scale_inputs(m, x + start * m->n_inputs, rows, scaled);
        rc = clmlp_be_upload(m->be, m->xb, 0, xs, rows * m->n_inputs);
        if (rc == CLMLP_OK) rc = clmlp_model_forward(m, &b, MODEL_INFER);
        if (rc == CLMLP_OK)
            rc = clmlp_be_download(m->be, m->y, m->layers[layer].ws_off, out + start * width,
                                   rows * width);
    }
    free(scaled);
    return rc;
}

int clmlp_model_predict(clmlp_model_t *m, const float *x, size_t n, float *out)
{
    if (!m || m->n_layers == 0) return clmlp_set_error(CLMLP_E_INVALID, "predict: no model");
    CLMLP_TRY(clmlp_model_layer_output(m, m->n_layers - 1, x, n, out));
    clmlp_model_unscale_outputs(m, out, n);
    return CLMLP_OK;
}
