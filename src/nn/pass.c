/* One pass over a batch: gathering it on the device, forward through every
 * layer, the loss, backpropagation into the packed gradient buffer, and the
 * optimizer step.  Nothing here waits for the device. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"

int clmlp_model_gather_batch(clmlp_model_t *m, const clmlp_dev_data *dd, size_t start, size_t rows,
                             clmlp_batch *b)
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
    memset(b, 0, sizeof *b);
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
    clmlp_layer_io io = {
        .rows = b->rows, .training = mode != MODEL_INFER, .x = b->x, .x_off = b->x_off};
    if (mode == MODEL_TRAIN) m->c.train_steps++;
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
    int by_labels = clmlp_model_loss_uses_labels(m);
    /* The perceptron rule: mean squared error's gradient 2 (y - t) / cols
     * scaled to (y - t) for each row, summed over the batch, and passed
     * straight through the step (clmlp_model_check_trainable: one output layer). */
    int perceptron = m->opt.kind == CLMLP_OPT_PERCEPTRON;
    float scale =
        perceptron ? 0.5f * (float)last->out : 1.0f / (float)(b->mean_rows ? b->mean_rows : rows);
    clmlp_buf *d = m->d0, *dn = m->d1;
    CLMLP_TRY(clmlp_be_loss_grad(m->be, m->loss, fused, rows, last->out, m->y, last->ws_off,
                                 by_labels ? NULL : b->t, b->t_off, by_labels ? b->labels : NULL,
                                 b->labels_off, scale, want_grads ? d : NULL, 0, m->metrics));
    /* A regression's absolute error; a classifier's accuracy by labels
     * where the data has them, else by the targets. */
    if (m->task == CLMLP_TASK_REGRESSION)
        CLMLP_TRY(clmlp_be_abs_error(m->be, rows, last->out, m->y, last->ws_off, b->t, b->t_off,
                                     m->metrics));
    else
        CLMLP_TRY(clmlp_be_count_correct(m->be, rows, last->out, m->y, last->ws_off,
                                         b->labels ? NULL : b->t, b->t_off, b->labels,
                                         b->labels_off, m->metrics));
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
        m->c.opt_step++;
        double t = (double)m->c.opt_step;
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

int clmlp_model_metrics_read(clmlp_model_t *m, double *loss, double *score, int *nonfinite)
{
    return clmlp_model_metrics_read_sum(m, NULL, loss, score, nonfinite);
}

int clmlp_model_metrics_read_sum(clmlp_model_t *m, const clmlp_dist *dist, double *loss,
                                 double *score, int *nonfinite)
{
    /* The sums, then the rows they are over (summed alike). */
    double v[CLMLP_METRIC_COUNT + 1];
    CLMLP_TRY(clmlp_be_download_f64(m->be, m->metrics, 0, v, CLMLP_METRIC_COUNT));
    v[CLMLP_METRIC_COUNT] = (double)m->metric_rows;
    if (dist && dist->size > 1 && dist->sum_f64(v, CLMLP_METRIC_COUNT + 1, dist->user))
        return clmlp_set_error(CLMLP_E_DEVICE,
                               "the sum of the epoch's metrics over %d processes "
                               "failed",
                               dist->size);
    double rows = v[CLMLP_METRIC_COUNT] > 0 ? v[CLMLP_METRIC_COUNT] : 1.0;
    int regression = m->task == CLMLP_TASK_REGRESSION;
    if (loss) *loss = v[CLMLP_METRIC_LOSS] / rows;
    if (score) *score = v[regression ? CLMLP_METRIC_ABS_ERROR : CLMLP_METRIC_CORRECT] / rows;
    if (nonfinite) *nonfinite = v[CLMLP_METRIC_NONFINITE] != 0.0 || !isfinite(v[CLMLP_METRIC_LOSS]);
    return CLMLP_OK;
}
