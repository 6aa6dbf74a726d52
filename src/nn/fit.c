/* Training, evaluation and prediction.  Inside an epoch nothing waits for
 * the device: the data is uploaded once, batches are gathered on the device
 * by an index buffer, and loss and accuracy accumulate there; the host reads
 * them back once per epoch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/class_names.h"
#include "nn/model.h"
#include "nn/schedule.h"
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

/* Makes the index buffer hold at least n entries. */
static int reserve_idx(clmlp_model_t *m, size_t n)
{
    if (m->idx_n >= n) return CLMLP_OK;
    clmlp_be_buf_free(m->be, m->idx);
    m->idx = NULL;
    m->idx_n = 0;
    CLMLP_TRY(clmlp_be_buf_alloc(m->be, CLMLP_BUF_I32, n, &m->idx));
    m->idx_n = n;
    return CLMLP_OK;
}

/* Whether the caller asked training to stop (opts->stop). */
static int stop_asked(const clmlp_fit_opts *o)
{
    return o->stop && *o->stop != 0;
}

/* Trains one epoch over dd in the order `order` (uploaded when shuffling).
 * *stopped is set when opts->stop cut it short (after a whole step). */
static int train_epoch(clmlp_model_t *m, const clmlp_dev_data *dd, size_t batch, int gather,
                       const clmlp_fit_opts *o, size_t epoch, int *stopped)
{
    size_t n_batches = (dd->n + batch - 1) / batch;
    *stopped = 0;
    CLMLP_TRY(clmlp_model_metrics_reset(m));
    for (size_t bi = 0; bi < n_batches; bi++) {
        if (stop_asked(o)) {
            *stopped = 1;
            return CLMLP_OK;
        }
        size_t start = bi * batch;
        size_t rows = dd->n - start < batch ? dd->n - start : batch;
        clmlp_batch b;
        if (gather)
            CLMLP_TRY(clmlp_model_gather_batch(m, dd, start, rows, &b));
        else
            clmlp_model_slice_batch(m, dd, start, rows, &b);
        CLMLP_TRY(clmlp_model_forward(m, &b, MODEL_TRAIN));
        CLMLP_TRY(clmlp_model_loss_backward(m, &b, 1));
        CLMLP_TRY(clmlp_model_optimizer_step(m));
        if (o->on_batch) o->on_batch(epoch, bi + 1, n_batches, o->user);
    }
    return CLMLP_OK;
}

/* ---- the divergence guard ----
 * A copy of the parameters and the optimizer state, taken on the device at
 * the start of every epoch, with what else an epoch changes, so an epoch
 * that diverged (or was stopped) can be undone without the host reading
 * anything back per step. */
typedef struct {
    clmlp_buf *copy;    /* n_params x (1 + optimizer state arrays) */
    float *host;        /* the same on the host, where the device has no
                           room for copy: one download an epoch */
    uint64_t opt_step, train_steps, shuffle_epochs;
} epoch_start;

/* The state arrays beside the parameters: opt_m, opt_v as in use. */
static clmlp_buf *state_buf(clmlp_model_t *m, size_t k)
{
    return k == 0 ? m->params : k == 1 ? m->opt_m : m->opt_v;
}

static int epoch_start_take(clmlp_model_t *m, epoch_start *es)
{
    size_t n = m->n_params, arrays = 1 + clmlp_model_opt_state_count(m);
    es->opt_step = m->opt_step;
    es->train_steps = m->train_steps;
    es->shuffle_epochs = m->shuffle_epochs;
    for (size_t k = 0; k < arrays && n; k++) {
        if (es->host)
            CLMLP_TRY(clmlp_be_download(m->be, state_buf(m, k), 0, es->host + k * n, n));
        else
            CLMLP_TRY(clmlp_be_copy(m->be, state_buf(m, k), 0, es->copy, k * n, n));
    }
    return CLMLP_OK;
}

static int epoch_start_restore(clmlp_model_t *m, const epoch_start *es)
{
    size_t n = m->n_params, arrays = 1 + clmlp_model_opt_state_count(m);
    m->opt_step = es->opt_step;
    m->train_steps = es->train_steps;
    m->shuffle_epochs = es->shuffle_epochs;
    for (size_t k = 0; k < arrays && n; k++) {
        if (es->host)
            CLMLP_TRY(clmlp_be_upload(m->be, state_buf(m, k), 0, es->host + k * n, n));
        else
            CLMLP_TRY(clmlp_be_copy(m->be, es->copy, k * n, state_buf(m, k), 0, n));
    }
    return CLMLP_OK;
}

/* Raises the metrics' non-finite flag, on the device, if the parameters or
 * the optimizer state hold NaN or Inf (on the reference backend, which
 * computes in double: values past float32's range too).  Once per epoch is
 * enough: a NaN or Inf in the weights never turns finite again under SGD
 * or Adam. */
static int check_params_finite(clmlp_model_t *m)
{
    size_t arrays = 1 + clmlp_model_opt_state_count(m);
    for (size_t k = 0; k < arrays && m->n_params; k++)
        CLMLP_TRY(clmlp_be_nonfinite_check(m->be, state_buf(m, k), 0, m->n_params, m->metrics));
    return CLMLP_OK;
}

/* The per-row loss where a cross-entropy's probabilities are clipped to
 * [1e-7, 1 - 1e-7] (backend.h's loss_grad): -ln 1e-7. */
#define LOSS_CLIP_MAX 16.11809565095832
/* How far above chance an accuracy still counts as chance: 0.01. */
#define CHANCE_MARGIN 0.01

/* What the stall watch needs: the loss of a uniform guess and the accuracy
 * of always predicting the commonest class (0 when it cannot tell). */
typedef struct {
    int cross_entropy;
    double uniform_loss, chance;
    size_t run;
} stall_watch;

static void stall_init(stall_watch *w, const clmlp_model_t *m, const clmlp_dataset_t *train)
{
    memset(w, 0, sizeof *w);
    size_t out = clmlp_model_n_outputs(m);
    w->cross_entropy = m->loss != CLMLP_LOSS_MSE;
    w->uniform_loss = m->loss == CLMLP_LOSS_BCE ? log(2.0) : log((double)(out > 1 ? out : 2));
    if (!train->labels || train->n_classes < 2 || train->n_classes > 65536) return;
    size_t *count = calloc(train->n_classes, sizeof *count), best = 0;
    if (!count) return; /* the watch is advice: without memory it stays quiet */
    for (size_t i = 0; i < train->n; i++) {
        size_t c = (size_t)train->labels[i];
        if (c < train->n_classes && ++count[c] > best) best = count[c];
    }
    free(count);
    w->chance = (double)best / (double)train->n;
}

/* Sets s->stalled and s->stalled_epochs from the epoch's figures. */
static void stall_update(stall_watch *w, clmlp_epoch_stats *s)
{
    unsigned k = 0;
    if (w->cross_entropy && s->loss >= 0.5 * LOSS_CLIP_MAX) k |= CLMLP_STALL_LOSS_AT_MAX;
    if (w->cross_entropy && w->chance > 0.0 && s->accuracy <= w->chance + CHANCE_MARGIN &&
        s->loss > 2.0 * w->uniform_loss)
        k |= CLMLP_STALL_CHANCE;
    w->run = k ? w->run + 1 : 0;
    s->stalled_epochs = w->run;
    s->stalled = w->run >= CLMLP_STALL_EPOCHS ? k : 0;
}

/* The training controls of one fit call: the schedule with its defaults
 * filled in, the watch over the monitored metric, and the host copy of the
 * best epoch's parameters. */
typedef struct {
    schedule_params sched;
    schedule_plateau plateau;
    schedule_watch watch;       /* fed only with validation data */
    float *best_params;         /* early stopping with restore_best */
} fit_controls;

/* Whether v is a finite number >= 0 (a delta or a floor). */
static int finite_nonneg(double v)
{
    return isfinite(v) && v >= 0.0;
}

/* Checks the controls in o and fills c; CLMLP_E_INVALID (naming the field)
 * before anything is trained. */
static int controls_init(fit_controls *c, const clmlp_model_t *m, const clmlp_fit_opts *o,
                         size_t epochs)
{
    memset(c, 0, sizeof *c);
    if ((unsigned)o->lr_schedule >= CLMLP_LR_SCHEDULE_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "fit: lr_schedule %d is not a schedule",
                               (int)o->lr_schedule);
    if ((unsigned)o->monitor >= CLMLP_MONITOR_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "fit: monitor %d is not a metric",
                               (int)o->monitor);
    if (o->lr_factor != 0.0 && !(o->lr_factor > 0.0 && o->lr_factor < 1.0))
        return clmlp_set_error(CLMLP_E_INVALID, "fit: lr_factor must be in (0,1), got %g",
                               o->lr_factor);
    if (!finite_nonneg(o->lr_min))
        return clmlp_set_error(CLMLP_E_INVALID, "fit: lr_min must be a number >= 0, got %g",
                               o->lr_min);
    if (!finite_nonneg(o->lr_min_delta))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "fit: lr_min_delta must be a number >= 0, got %g",
                               o->lr_min_delta);
    if (!finite_nonneg(o->early_stop_min_delta))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "fit: early_stop_min_delta must be a number >= 0, got %g",
                               o->early_stop_min_delta);
    if (o->save_best && !*o->save_best)
        return clmlp_set_error(CLMLP_E_INVALID, "fit: save_best is an empty path");
    const char *metric = clmlp_monitor_name(o->monitor);
    if (!o->validation) {
        if (o->lr_schedule == CLMLP_LR_PLATEAU)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "fit: the plateau schedule watches val_loss, which needs "
                                   "validation data (clmlp_fit_opts.validation)");
        if (o->early_stop_patience)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "fit: early stopping monitors %s, which needs validation "
                                   "data (clmlp_fit_opts.validation)", metric);
        if (o->save_best)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "fit: save_best keeps the best epoch by %s, which needs "
                                   "validation data (clmlp_fit_opts.validation)", metric);
    }

    schedule_params *p = &c->sched;
    p->kind = o->lr_schedule;
    p->lr0 = m->opt.lr;
    p->factor = o->lr_factor != 0.0 ? o->lr_factor
                                    : (o->lr_schedule == CLMLP_LR_EXP ? 0.95 : 0.1);
    p->every = o->lr_step_every ? o->lr_step_every : 10;
    p->total = o->lr_cosine_epochs ? o->lr_cosine_epochs : o->initial_epoch + epochs;
    p->min_lr = o->lr_min;
    clmlp_schedule_plateau_init(&c->plateau, p->lr0, p->factor, o->lr_patience ? o->lr_patience : 5,
                          o->lr_cooldown, o->lr_min_delta, o->lr_min);
    clmlp_schedule_watch_init(&c->watch, o->monitor == CLMLP_MONITOR_VAL_ACCURACY,
                        o->early_stop_min_delta);
    if (o->early_stop_patience && o->restore_best) {
        size_t n = clmlp_model_n_params(m);
        c->best_params = malloc((n ? n : 1) * sizeof *c->best_params);
        if (!c->best_params)
            return clmlp_set_error(CLMLP_E_NOMEM,
                                   "out of memory for a copy of %zu parameters (restore_best)",
                                   n);
    }
    return CLMLP_OK;
}

/* The lr of 0-based schedule epoch e. */
static double controls_lr(const fit_controls *c, size_t e)
{
    return c->sched.kind == CLMLP_LR_PLATEAU ? c->plateau.lr : clmlp_schedule_lr_at(&c->sched, e);
}

/* After an epoch with validation data: feeds the watch and plateau, keeps
 * or saves the best epoch, and says whether early stopping ends the run. */
static int controls_after_epoch(fit_controls *c, clmlp_model_t *m, const clmlp_fit_opts *o,
                                const clmlp_epoch_stats *s, int *stop)
{
    double value = o->monitor == CLMLP_MONITOR_VAL_ACCURACY ? s->val_accuracy : s->val_loss;
    if (clmlp_schedule_watch_update(&c->watch, value, s->epoch)) {
        if (c->best_params) CLMLP_TRY(clmlp_model_get_params(m, c->best_params));
        if (o->save_best) CLMLP_TRY(clmlp_model_save(m, o->save_best));
    }
    if (c->sched.kind == CLMLP_LR_PLATEAU)
        clmlp_schedule_plateau_update(&c->plateau, s->val_loss, s->epoch);
    *stop = o->early_stop_patience && c->watch.wait >= o->early_stop_patience;
    return CLMLP_OK;
}

/* Refuses a set whose class names are not the model's (which has some). */
static int names_agree(const clmlp_model_t *m, const clmlp_dataset_t *ds, const char *what)
{
    const char *const *dn = (const char *const *)ds->class_names;
    size_t n_ds = dn ? ds->n_classes : 0;
    if (!dn || clmlp_class_names_equal((const char *const *)m->class_names, m->n_class_names,
                                       dn, n_ds))
        return CLMLP_OK;
    char a[400], b[400];
    if (!m->class_names)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "fit: the %s's classes are names (%s) but the model's are "
                               "numbers", what, clmlp_class_names_list(dn, n_ds, a, sizeof a));
    return clmlp_set_error(CLMLP_E_INVALID, "fit: the %s's classes (%s) are not the model's (%s)",
                           what, clmlp_class_names_list(dn, n_ds, a, sizeof a),
                           clmlp_class_names_list((const char *const *)m->class_names,
                                                  m->n_class_names, b, sizeof b));
}

/* The model takes the training set's class names when it has none; the
 * training and validation sets must then name the same classes. */
static int fit_class_names(clmlp_model_t *m, const clmlp_dataset_t *train,
                           const clmlp_dataset_t *val)
{
    if (train->class_names && !m->class_names &&
        clmlp_model_set_class_names(m, (const char *const *)train->class_names,
                                    train->n_classes) != CLMLP_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", clmlp_last_error());
        return clmlp_set_error(CLMLP_E_INVALID, "fit: the training set's classes: %s", why);
    }
    CLMLP_TRY(names_agree(m, train, "training set"));
    return val ? names_agree(m, val, "validation set") : CLMLP_OK;
}

int clmlp_model_fit(clmlp_model_t *m, const clmlp_dataset_t *train, const clmlp_fit_opts *opts,
                    clmlp_history_t **hist)
{
    if (hist) *hist = NULL;
    if (!m || !m->be) return clmlp_set_error(CLMLP_E_INVALID, "fit: the model is not compiled");
    if (!train || train->n == 0) return clmlp_set_error(CLMLP_E_INVALID, "fit: no training data");
    CLMLP_TRY(clmlp_model_check_trainable(m));
    clmlp_fit_opts o = {0};
    if (opts) o = *opts;
    CLMLP_TRY(fit_class_names(m, train, o.validation));
    size_t epochs = o.epochs ? o.epochs : 1;
    size_t batch = o.batch_size && o.batch_size < train->n ? o.batch_size : train->n;
    fit_controls ctl;
    int rc = controls_init(&ctl, m, &o, epochs);
    if (rc != CLMLP_OK) {
        free(ctl.best_params);
        return rc;
    }
    double lr0 = m->opt.lr;
    unsigned halvings = 0;

    clmlp_history_t *h = calloc(1, sizeof *h);
    int32_t *order = malloc(train->n * sizeof *order);
    clmlp_dev_data dd = {0}, vd = {0};
    rc = (h && order) ? CLMLP_OK
                      : clmlp_set_error(CLMLP_E_NOMEM, "out of memory starting training");
    if (h) h->best_value = NAN;
    /* Everything training adds to the model on the device, checked at once. */
    clmlp_mem_part parts[2 * MODEL_DATA_PARTS + MODEL_WORKSPACE_PARTS + 2];
    size_t np = clmlp_model_data_parts(m, train, "training data", parts);
    np += clmlp_model_data_parts(m, o.validation, "validation data", parts + np);
    if (batch > m->ws_rows) np += clmlp_model_workspace_parts(m, batch, parts + np);
    if (o.shuffle && m->idx_n < train->n)
        parts[np++] = (clmlp_mem_part){"row order", train->n, CLMLP_BUF_I32, 1, 0};
    /* The copy an epoch rolls back to: on the device if it has room (a
     * copy there costs no transfer), else on the host. */
    size_t arrays = 1 + clmlp_model_opt_state_count(m), copy_n = (m->n_params ? m->n_params : 1);
    parts[np] = (clmlp_mem_part){"a copy of the weights and optimizer state (rollback)", copy_n,
                                 CLMLP_BUF_F32, arrays, 0};
    epoch_start start = {0};
    int on_device = rc == CLMLP_OK ? clmlp_model_memory_guard(m->be, parts, np + 1, "training")
                                   : rc;
    if (rc == CLMLP_OK && on_device == CLMLP_OK) {
        rc = clmlp_be_buf_alloc(m->be, CLMLP_BUF_F32, copy_n * arrays, &start.copy);
    } else if (rc == CLMLP_OK && on_device != CLMLP_E_NOMEM) {
        rc = on_device; /* the device failed, not the room */
    } else if (rc == CLMLP_OK) {
        rc = clmlp_model_memory_guard(m->be, parts, np, "training");
        if (rc == CLMLP_OK) {
            start.host = malloc(copy_n * arrays * sizeof *start.host);
            if (!start.host)
                rc = clmlp_set_error(CLMLP_E_NOMEM,
                                     "out of memory for a copy of %zu parameters (rollback)",
                                     copy_n * arrays);
        }
    }
    if (rc == CLMLP_OK) rc = clmlp_dev_data_upload(m, train, &dd);
    if (rc == CLMLP_OK && o.validation) rc = clmlp_dev_data_upload(m, o.validation, &vd);
    if (rc == CLMLP_OK) rc = clmlp_model_reserve(m, batch);
    if (rc == CLMLP_OK && o.shuffle) rc = reserve_idx(m, train->n);

    /* The row order where the model's shuffles left it (see model.h). */
    if (!m->shuffle_set) {
        m->shuffle_seed = o.seed;
        m->shuffle_epochs = 0;
        m->shuffle_set = 1;
    }
    clmlp_rng rng;
    clmlp_rng_seed(&rng, m->shuffle_seed);
    for (size_t i = 0; rc == CLMLP_OK && i < train->n; i++) order[i] = (int32_t)i;
    for (uint64_t k = 0; rc == CLMLP_OK && k < m->shuffle_epochs; k++)
        clmlp_rng_shuffle_i32(&rng, order, train->n);
    stall_watch stall;
    stall_init(&stall, m, train);
    for (size_t e = 0; rc == CLMLP_OK && e < epochs; e++) {
        if (stop_asked(&o)) {
            h->interrupted = 1;
            break;
        }
        clmlp_epoch_stats s = {0};
        s.epoch = o.initial_epoch + e + 1;
        s.lr_halvings = halvings;
        s.lr = controls_lr(&ctl, s.epoch - 1);
        double t0 = clmlp_now();
        rc = epoch_start_take(m, &start);
        if (rc == CLMLP_OK && o.shuffle) {
            clmlp_rng_shuffle_i32(&rng, order, train->n);
            m->shuffle_epochs++;
            rc = clmlp_be_upload(m->be, m->idx, 0, order, train->n);
        }
        /* Only the step sees the scheduled lr; the model keeps lr0. */
        m->opt.lr = s.lr;
        int stopped = 0;
        if (rc == CLMLP_OK) rc = train_epoch(m, &dd, batch, o.shuffle, &o, s.epoch, &stopped);
        m->opt.lr = lr0;
        if (rc == CLMLP_OK && stopped) {
            rc = epoch_start_restore(m, &start);
            h->interrupted = 1;
            break;
        }
        int nonfinite = 0;
        if (rc == CLMLP_OK) rc = check_params_finite(m);
        if (rc == CLMLP_OK) rc = clmlp_model_metrics_read(m, &s.loss, &s.accuracy, &nonfinite);
        if (rc == CLMLP_OK && nonfinite && halvings < o.divergence_retries) {
            /* Undo the epoch, halve every lr, and train it again on the
             * same order: replaying the shuffles the model has counted
             * gives the order the epoch started from. */
            rc = epoch_start_restore(m, &start);
            halvings++;
            lr0 *= 0.5;
            m->opt.lr = lr0;
            ctl.sched.lr0 *= 0.5;
            ctl.plateau.lr *= 0.5;
            clmlp_rng_seed(&rng, m->shuffle_seed);
            for (size_t i = 0; i < train->n; i++) order[i] = (int32_t)i;
            for (uint64_t k = 0; k < m->shuffle_epochs; k++)
                clmlp_rng_shuffle_i32(&rng, order, train->n);
            e--;
            continue;
        }
        if (rc == CLMLP_OK && nonfinite) {
            rc = epoch_start_restore(m, &start);
            char kept[64] = "its initial weights";
            if (s.epoch > 1) snprintf(kept, sizeof kept, "the weights after epoch %zu", s.epoch - 1);
            if (rc == CLMLP_OK)
                rc = clmlp_set_error(CLMLP_E_NUMERIC,
                                     "training diverged in epoch %zu: the loss, the weights or "
                                     "the optimizer state became NaN or infinite; the model "
                                     "keeps %s (the last finite ones); try a lower learning "
                                     "rate",
                                     s.epoch, kept);
            break;
        }
        if (rc == CLMLP_OK) stall_update(&stall, &s);
        s.val_loss = s.val_accuracy = NAN;
        if (rc == CLMLP_OK && o.validation)
            rc = evaluate_dev(m, &vd, batch, &s.val_loss, &s.val_accuracy);
        if (rc != CLMLP_OK) break;
        s.seconds = clmlp_now() - t0;
        m->epochs_done = s.epoch;
        int stop = 0, ctl_rc = CLMLP_OK;
        if (o.validation) ctl_rc = controls_after_epoch(&ctl, m, &o, &s, &stop);
        s.next_lr = controls_lr(&ctl, s.epoch);
        /* The epoch trained, so it is recorded even if save_best failed. */
        rc = history_push(h, &s);
        if (rc == CLMLP_OK) rc = ctl_rc;
        if (rc == CLMLP_OK && stop) h->stopped_epoch = s.epoch;
        if (rc == CLMLP_OK && o.on_epoch && o.on_epoch(&s, o.user)) break;
        if (stop) break;
    }
    if (h && ctl.watch.best_epoch) {
        h->best_epoch = ctl.watch.best_epoch;
        h->best_value = ctl.watch.best;
    }
    /* The last epoch's weights are the best's when it was the best. */
    if (rc == CLMLP_OK && ctl.best_params && ctl.watch.best_epoch &&
        ctl.watch.best_epoch != m->epochs_done) {
        rc = clmlp_model_set_params(m, ctl.best_params);
        if (rc == CLMLP_OK) h->restored_best = 1;
    }
    free(ctl.best_params);
    free(start.host);
    clmlp_be_buf_free(m->be, start.copy);
    clmlp_dev_data_free(m, &dd);
    clmlp_dev_data_free(m, &vd);
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
    return clmlp_model_metrics_read(m, loss, accuracy, NULL);
}

int clmlp_model_evaluate(clmlp_model_t *m, const clmlp_dataset_t *ds, size_t batch_size,
                         double *loss, double *accuracy)
{
    if (!m || !m->be) return clmlp_set_error(CLMLP_E_INVALID, "evaluate: the model is not compiled");
    if (!ds || ds->n == 0) return clmlp_set_error(CLMLP_E_INVALID, "evaluate: no data");
    size_t batch = batch_size && batch_size < ds->n ? batch_size : (ds->n < 1024 ? ds->n : 1024);
    clmlp_mem_part parts[MODEL_DATA_PARTS];
    CLMLP_TRY(clmlp_model_memory_guard(m->be, parts, clmlp_model_data_parts(m, ds, "the data", parts),
                                 "evaluation"));
    clmlp_dev_data dd;
    CLMLP_TRY(clmlp_dev_data_upload(m, ds, &dd));
    int rc = clmlp_model_reserve(m, batch);
    if (rc == CLMLP_OK) rc = evaluate_dev(m, &dd, batch, loss, accuracy);
    clmlp_dev_data_free(m, &dd);
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
    CLMLP_TRY(clmlp_model_reserve(m, chunk));
    chunk = m->ws_rows < n ? m->ws_rows : n;
    size_t width = m->layers[layer].out;
    for (size_t start = 0; start < n; start += chunk) {
        size_t rows = n - start < chunk ? n - start : chunk;
        clmlp_batch b = {.rows = rows, .x = m->xb};
        CLMLP_TRY(clmlp_be_upload(m->be, m->xb, 0, x + start * m->n_inputs, rows * m->n_inputs));
        CLMLP_TRY(clmlp_model_forward(m, &b, MODEL_INFER));
        CLMLP_TRY(clmlp_be_download(m->be, m->y, m->layers[layer].ws_off, out + start * width,
                              rows * width));
    }
    return CLMLP_OK;
}

int clmlp_model_predict(clmlp_model_t *m, const float *x, size_t n, float *out)
{
    if (!m || m->n_layers == 0) return clmlp_set_error(CLMLP_E_INVALID, "predict: no model");
    return clmlp_model_layer_output(m, m->n_layers - 1, x, n, out);
}
