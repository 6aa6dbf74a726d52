/* Side-by-side training on two backends, op by op, to find the first op
 * whose results diverge (what `clmlp gradcheck --backend opencl` reports). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"

typedef struct {
    clmlp_model_t *a, *b;
    float *ha, *hb; /* host copies, sized for the largest tensor */
    double tol;
    clmlp_compare_result *res;
} comparer;

/* max|a - b| / max(1, max|b|): absolute for small tensors, relative for large. */
static double tensor_error(const float *a, const float *b, size_t n)
{
    double diff = 0, scale = 1;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= diff)) diff = d; /* NaN propagates as the worst */
        if (fabs(b[i]) > scale) scale = fabs(b[i]);
    }
    return diff / scale;
}

/* Records one op's error; the first above tol becomes first_op. */
static void record(comparer *c, const char *op, double err)
{
    clmlp_compare_result *r = c->res;
    if (!(err <= r->max_error)) {
        r->max_error = err;
        snprintf(r->worst_op, sizeof r->worst_op, "%.*s", (int)sizeof r->worst_op - 1, op);
    }
    if (!(err <= c->tol) && !r->first_op[0]) {
        snprintf(r->first_op, sizeof r->first_op, "%.*s", (int)sizeof r->first_op - 1, op);
        r->first_error = err;
    }
}

/* Downloads n values at off of each model's buffer (chosen by pick) and compares. */
static int compare_bufs(comparer *c, const char *op, clmlp_buf *(*pick)(clmlp_model_t *),
                        size_t off, size_t n, double *err_out)
{
    CLMLP_TRY(clmlp_be_download(c->a->be, pick(c->a), off, c->ha, n));
    CLMLP_TRY(clmlp_be_download(c->b->be, pick(c->b), off, c->hb, n));
    double err = tensor_error(c->ha, c->hb, n);
    record(c, op, err);
    if (err_out) *err_out = err;
    return CLMLP_OK;
}

static clmlp_buf *pick_z(clmlp_model_t *m) { return m->z; }
static clmlp_buf *pick_y(clmlp_model_t *m) { return m->y; }
static clmlp_buf *pick_grads(clmlp_model_t *m) { return m->grads; }
static clmlp_buf *pick_params(clmlp_model_t *m) { return m->params; }
static clmlp_buf *pick_metrics(clmlp_model_t *m) { return m->metrics; }

/* Checks that the two models can be compared step for step. */
static int same_shape(const clmlp_model_t *a, const clmlp_model_t *b)
{
    if (!a || !b || !a->be || !b->be)
        return clmlp_set_error(CLMLP_E_INVALID, "compare: both models must be compiled");
    if (a->n_inputs != b->n_inputs || a->n_layers != b->n_layers || a->loss != b->loss ||
        a->opt.kind != b->opt.kind)
        return clmlp_set_error(CLMLP_E_INVALID, "compare: the models differ in shape or loss");
    for (size_t i = 0; i < a->n_layers; i++) {
        const clmlp_layer *la = &a->layers[i], *lb = &b->layers[i];
        if (la->vt != lb->vt || la->custom != lb->custom || la->config_size != lb->config_size ||
            memcmp(la->config, lb->config, la->config_size) != 0)
            return clmlp_set_error(CLMLP_E_INVALID, "compare: layer %zu differs", i + 1);
    }
    return CLMLP_OK;
}

/* One step on both models with every op's output compared: each layer's
 * scratch (Dense: z = a W + b) and output, the loss, each tensor's
 * gradient, and the parameters after the update. */
static int compare_step(comparer *c, const clmlp_dev_data *da, const clmlp_dev_data *db,
                        size_t start, size_t rows, size_t step)
{
    clmlp_model_t *a = c->a, *b = c->b;
    clmlp_batch ba, bb;
    clmlp_model_slice_batch(a, da, start, rows, &ba);
    clmlp_model_slice_batch(b, db, start, rows, &bb);
    CLMLP_TRY(clmlp_model_metrics_reset(a));
    CLMLP_TRY(clmlp_model_metrics_reset(b));
    CLMLP_TRY(clmlp_model_forward(a, &ba, MODEL_TRAIN));
    CLMLP_TRY(clmlp_model_forward(b, &bb, MODEL_TRAIN));
    char op[256], desc[64];
    for (size_t i = 0; i < a->n_layers; i++) {
        const clmlp_layer *l = &a->layers[i];
        l->vt->describe(l, desc, sizeof desc);
        if (l->scratch) {
            snprintf(op, sizeof op, "step %zu, layer %zu forward (%s): %s", step, i + 1, desc,
                     l->vt->scratch_what ? l->vt->scratch_what : "scratch");
            CLMLP_TRY(compare_bufs(c, op, pick_z, l->sc_off, rows * l->scratch, NULL));
        }
        snprintf(op, sizeof op, "step %zu, layer %zu forward (%s): output", step, i + 1, desc);
        CLMLP_TRY(compare_bufs(c, op, pick_y, l->ws_off, rows * l->out, NULL));
    }
    CLMLP_TRY(clmlp_model_loss_backward(a, &ba, 1));
    CLMLP_TRY(clmlp_model_loss_backward(b, &bb, 1));
    snprintf(op, sizeof op, "step %zu, loss and correct count (%s)", step,
             clmlp_loss_name(a->loss));
    CLMLP_TRY(compare_bufs(c, op, pick_metrics, 0, 2, NULL));
    for (size_t i = a->n_layers; i-- > 0;) {
        const clmlp_layer *l = &a->layers[i];
        l->vt->describe(l, desc, sizeof desc);
        for (size_t t = 0; t < l->n_tensors; t++) {
            const clmlp_tensor *tn = &l->tensors[t];
            snprintf(op, sizeof op, "step %zu, layer %zu backward (%s): gradient of %s", step,
                     i + 1, desc, tn->name);
            CLMLP_TRY(compare_bufs(c, op, pick_grads, tn->off, tn->count, NULL));
        }
    }
    CLMLP_TRY(clmlp_model_optimizer_step(a));
    CLMLP_TRY(clmlp_model_optimizer_step(b));
    snprintf(op, sizeof op, "step %zu, optimizer update (%s)", step, clmlp_opt_name(a->opt.kind));
    return compare_bufs(c, op, pick_params, 0, a->n_params, &c->res->param_error);
}

int clmlp_compare_backends(clmlp_model_t *a, clmlp_model_t *b, const clmlp_dataset_t *ds,
                           size_t batch_size, size_t steps, double tol, clmlp_compare_result *res)
{
    if (!res) return clmlp_set_error(CLMLP_E_INVALID, "compare: no result given");
    memset(res, 0, sizeof *res);
    CLMLP_TRY(same_shape(a, b));
    if (!ds || ds->n == 0) return clmlp_set_error(CLMLP_E_INVALID, "compare: no data");
    size_t batch = batch_size && batch_size < ds->n ? batch_size : ds->n;
    size_t widest = a->n_params;
    for (size_t i = 0; i < a->n_layers; i++) {
        const clmlp_layer *l = &a->layers[i];
        size_t w = (l->out > l->scratch ? l->out : l->scratch) * batch;
        if (w > widest) widest = w;
    }
    /* The same dropout masks on both: b takes a's seed and step count (and
     * keeps them, as it keeps the weights it is given below). */
    b->c.seed = a->c.seed;
    b->c.train_steps = a->c.train_steps;
    comparer c = {a, b, malloc(widest * sizeof(float)), malloc(widest * sizeof(float)), tol, res};
    clmlp_dev_data da = {0}, db = {0};
    int rc = c.ha && c.hb ? CLMLP_OK : clmlp_set_error(CLMLP_E_NOMEM, "out of memory comparing");
    if (rc == CLMLP_OK) rc = clmlp_dev_data_upload(a, ds, &da);
    if (rc == CLMLP_OK) rc = clmlp_dev_data_upload(b, ds, &db);
    if (rc == CLMLP_OK) rc = clmlp_model_reserve(a, batch);
    if (rc == CLMLP_OK) rc = clmlp_model_reserve(b, batch);
    /* Start both from a's weights, whatever each was initialised with. */
    if (rc == CLMLP_OK && a->n_params <= widest)
        rc = clmlp_be_download(a->be, a->params, 0, c.ha, a->n_params);
    if (rc == CLMLP_OK) rc = clmlp_be_upload(b->be, b->params, 0, c.ha, a->n_params);
    size_t n_batches = (ds->n + batch - 1) / batch;
    for (size_t s = 0; rc == CLMLP_OK && s < steps; s++) {
        size_t start = (s % n_batches) * batch;
        size_t rows = ds->n - start < batch ? ds->n - start : batch;
        rc = compare_step(&c, &da, &db, start, rows, s + 1);
        if (rc == CLMLP_OK) res->steps = s + 1;
    }
    clmlp_dev_data_free(a, &da);
    clmlp_dev_data_free(b, &db);
    free(c.ha);
    free(c.hb);
    return rc;
}
