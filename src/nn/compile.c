/* Compiling a model onto a backend: the optimizer's settings checked, each
 * layer asked whether the backend can run it, the parameters, gradients
 * and optimizer state allocated (after the memory plan says they fit) and
 * initialised from the seed; and the per-batch workspace, grown on demand. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"
#include "util/rng.h"

void clmlp_model_release_buffers(clmlp_model_t *m)
{
    clmlp_buf **bufs[] = {&m->params, &m->grads, &m->opt_m, &m->opt_v, &m->z,   &m->y,      &m->d0,
                          &m->d1,     &m->xb,    &m->tb,    &m->lb,    &m->idx, &m->metrics};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        clmlp_be_buf_free(m->be, *bufs[i]);
        *bufs[i] = NULL;
    }
    m->ws_rows = 0;
    m->idx_n = 0;
}

/* Checks an optimizer's fields and fills Adam's defaults. */
static int check_optimizer(clmlp_optimizer *o)
{
    if ((unsigned)o->kind >= CLMLP_OPT_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "unknown optimizer %d", (int)o->kind);
    if (!(o->lr > 0.0) || !isfinite(o->lr))
        return clmlp_set_error(CLMLP_E_INVALID, "the learning rate must be > 0, got %g", o->lr);
    if (!(o->momentum >= 0.0 && o->momentum < 1.0))
        return clmlp_set_error(CLMLP_E_INVALID, "momentum must be in [0, 1), got %g", o->momentum);
    if (!(o->l2 >= 0.0) || !isfinite(o->l2))
        return clmlp_set_error(CLMLP_E_INVALID, "l2 must be >= 0, got %g", o->l2);
    if (o->nesterov && o->momentum == 0.0 && o->kind == CLMLP_OPT_SGD)
        return clmlp_set_error(CLMLP_E_INVALID, "Nesterov's method needs momentum > 0");
    if (o->kind == CLMLP_OPT_PERCEPTRON && (o->momentum != 0.0 || o->nesterov || o->l2 != 0.0))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "the perceptron rule takes no momentum, Nesterov or l2");
    if (o->kind == CLMLP_OPT_ADAM) {
        if (o->beta1 == 0.0) o->beta1 = 0.9;
        if (o->beta2 == 0.0) o->beta2 = 0.999;
        if (o->eps == 0.0) o->eps = 1e-7;
        if (!(o->beta1 > 0 && o->beta1 < 1 && o->beta2 > 0 && o->beta2 < 1 && o->eps > 0 &&
              isfinite(o->eps)))
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "Adam needs 0 < beta1, beta2 < 1 and a finite eps > 0 (got %g, "
                                   "%g, %g)",
                                   o->beta1, o->beta2, o->eps);
    }
    return CLMLP_OK;
}

/* Every layer's initial parameters from seed, on the host (Glorot-uniform
 * Dense weights and zero biases; each kind draws its own in layer order). */
static void init_params(const clmlp_model_t *m, uint64_t seed, float *p)
{
    clmlp_rng r;
    clmlp_rng_seed(&r, seed);
    memset(p, 0, m->n_params * sizeof *p);
    for (size_t i = 0; i < m->n_layers; i++) m->layers[i].vt->init(&m->layers[i], p, &r);
}

/* Asks each layer whether be can run it. */
static int prepare_layers(const clmlp_model_t *m, clmlp_backend_t *be)
{
    for (size_t i = 0; i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        if (l->vt->prepare) CLMLP_TRY(l->vt->prepare(be, l));
    }
    return CLMLP_OK;
}

int clmlp_model_compile(clmlp_model_t *m, clmlp_loss loss, const clmlp_optimizer *opt,
                        clmlp_backend_t *be, uint64_t seed)
{
    if (!m || !be) return clmlp_set_error(CLMLP_E_INVALID, "compile needs a model and a backend");
    if (m->n_layers == 0) return clmlp_set_error(CLMLP_E_INVALID, "the model has no layers");
    if ((unsigned)loss >= CLMLP_LOSS_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "unknown loss %d", (int)loss);
    clmlp_optimizer o = {0};
    if (opt)
        o = *opt;
    else
        o.lr = 0.01;
    CLMLP_TRY(check_optimizer(&o));
    size_t out = clmlp_model_n_outputs(m);
    if (m->task == CLMLP_TASK_REGRESSION && loss == CLMLP_LOSS_SPARSE_CCE)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "sparse_categorical_crossentropy reads class labels, and the model "
                               "is a regression model (mean_squared_error, mean_absolute_error "
                               "or huber fit it)");
    if (loss == CLMLP_LOSS_SPARSE_CCE || loss == CLMLP_LOSS_CCE) {
        if (out < 2)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "%s needs at least 2 output units, the model has %zu",
                                   clmlp_loss_name(loss), out);
    }
    CLMLP_TRY(prepare_layers(m, be));

    if (m->be) clmlp_model_release_buffers(m);
    m->be = be;
    m->loss = loss;
    m->opt = o;
    m->c.opt_step = 0;
    m->c.seed = seed;
    m->c.train_steps = 0;
    m->c.shuffle_set = 0; /* new weights: the next fit seeds the shuffle afresh */
    /* Nothing is allocated for a model the device cannot hold. */
    clmlp_mem_part parts[CLMLP_PLAN_MODEL_PARTS];
    int rc = clmlp_memory_guard(be, parts, clmlp_plan_model(m, parts), "the model");
    /* Device buffers first: a model too large for the device fails at once,
     * before the host spends seconds initialising parameters it cannot use. */
    if (rc == CLMLP_OK) rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, m->n_params, &m->params);
    /* One float more than the gradients: the data-parallel step's stop flag
     * rides with them in the one sum (clmlp_dist_step). */
    if (rc == CLMLP_OK) rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, m->n_params + 1, &m->grads);
    if (rc == CLMLP_OK) rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, CLMLP_METRIC_COUNT, &m->metrics);
    if (rc == CLMLP_OK && clmlp_model_opt_state_count(m) >= 1)
        rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, m->n_params, &m->opt_m);
    if (rc == CLMLP_OK && clmlp_model_opt_state_count(m) >= 2)
        rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, m->n_params, &m->opt_v);
    const float *p = m->host_params;
    float *fresh = NULL;
    if (rc == CLMLP_OK && !p) {
        fresh = malloc(m->n_params * sizeof *fresh);
        if (!fresh) {
            rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory for %zu parameters", m->n_params);
        } else {
            init_params(m, seed, fresh);
            p = fresh;
        }
    }
    if (rc == CLMLP_OK) rc = clmlp_be_upload(be, m->params, 0, p, m->n_params);
    if (rc == CLMLP_OK && m->opt_m) rc = clmlp_be_fill(be, m->opt_m, 0, m->n_params, 0.0f);
    if (rc == CLMLP_OK && m->opt_v) rc = clmlp_be_fill(be, m->opt_v, 0, m->n_params, 0.0f);
    if (rc == CLMLP_OK) rc = clmlp_be_fill(be, m->grads, 0, m->n_params, 0.0f);
    if (rc == CLMLP_OK) rc = clmlp_model_metrics_reset(m);
    free(fresh);
    if (rc != CLMLP_OK) {
        clmlp_model_release_buffers(m);
        m->be = NULL;
    }
    return rc;
}

/* Values per row of the y (outputs) and z (scratch) blocks. */
static void block_widths(const clmlp_model_t *m, size_t *ys, size_t *zs)
{
    *ys = *zs = 0;
    for (size_t i = 0; i < m->n_layers; i++) {
        *ys += m->layers[i].out;
        *zs += m->layers[i].scratch;
    }
}

int clmlp_model_reserve(clmlp_model_t *m, size_t rows)
{
    if (!m->be) return clmlp_set_error(CLMLP_E_INVALID, "the model is not compiled");
    if (rows == 0) return clmlp_set_error(CLMLP_E_INVALID, "a batch needs at least one row");
    if (rows <= m->ws_rows) return CLMLP_OK;
    size_t ys, zs;
    block_widths(m, &ys, &zs);
    if ((double)(ys > zs ? ys : zs) * (double)rows > 2147483647.0)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "a batch of %zu rows through layers %zu wide in all is too "
                               "large; use a smaller batch",
                               rows, ys);
    for (size_t i = 0, yo = 0, zo = 0; i < m->n_layers; i++) {
        m->layers[i].ws_off = yo * rows;
        m->layers[i].sc_off = zo * rows;
        yo += m->layers[i].out;
        zo += m->layers[i].scratch;
    }
    /* The buffers, in the order of clmlp_plan_workspace. */
    clmlp_buf **bufs[] = {&m->z, &m->y, &m->d0, &m->d1, &m->xb, &m->tb, &m->lb};
    size_t n_bufs = sizeof bufs / sizeof bufs[0];
    for (size_t i = 0; i < n_bufs; i++) {
        clmlp_be_buf_free(m->be, *bufs[i]);
        *bufs[i] = NULL;
    }
    m->ws_rows = 0;
    clmlp_mem_part parts[CLMLP_PLAN_WORKSPACE_PARTS];
    size_t n_parts = clmlp_plan_workspace(m, rows, parts);
    int rc = clmlp_memory_guard(m->be, parts, n_parts, "the batch workspace");
    for (size_t p = 0, k = 0; rc == CLMLP_OK && p < n_parts; p++)
        for (size_t c = 0; rc == CLMLP_OK && c < parts[p].count && k < n_bufs; c++)
            rc = clmlp_be_buf_alloc(m->be, parts[p].type, parts[p].n, bufs[k++]);
    if (rc != CLMLP_OK) {
        for (size_t i = 0; i < n_bufs; i++) {
            clmlp_be_buf_free(m->be, *bufs[i]);
            *bufs[i] = NULL;
        }
        return rc;
    }
    m->ws_rows = rows;
    return CLMLP_OK;
}

int clmlp_model_reserve_order(clmlp_model_t *m, size_t n)
{
    if (m->idx_n >= n) return CLMLP_OK;
    clmlp_be_buf_free(m->be, m->idx);
    m->idx = NULL;
    m->idx_n = 0;
    CLMLP_TRY(clmlp_be_buf_alloc(m->be, CLMLP_BUF_I32, n, &m->idx));
    m->idx_n = n;
    return CLMLP_OK;
}
