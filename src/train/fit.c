/* The fit loop.  Inside an epoch nothing waits for the device: the data is
 * uploaded once, batches are gathered on the device by an index buffer, and
 * loss and accuracy accumulate there; the host reads them back once per
 * epoch.  Around each epoch: a snapshot of the model's state to roll back
 * to (the divergence guard, an interrupt), the scheduled lr, validation,
 * the controls (train/controls.c) and the history. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/class_names.h"
#include "io/history.h"
#include "train/train.h"
#include "util/error.h"
#include "util/rng.h"
#include "util/timer.h"

/* Whether the caller asked training to stop (opts->stop). */
static int stop_asked(const clmlp_fit_opts *o) { return o->stop && *o->stop != 0; }

/* One step's forward and backward pass over rows [start, start+rows) of
 * the epoch's order: with data-parallel training, over this process's part
 * of them (possibly none: then its gradients are zero). */
static int step_grads(clmlp_model_t *m, const clmlp_dev_data *dd, size_t start, size_t rows,
                      int gather, const clmlp_dist *d)
{
    size_t lo = start, n = rows;
    if (d) {
        lo = start + rows * (size_t)d->rank / (size_t)d->size;
        n = start + rows * (size_t)(d->rank + 1) / (size_t)d->size - lo;
        m->row_off = lo - start;
        if (n == 0) {
            m->c.train_steps++; /* the step every process counts (dropout masks) */
            return m->n_params ? clmlp_be_fill(m->be, m->grads, 0, m->n_params, 0.0f) : CLMLP_OK;
        }
    }
    clmlp_batch b;
    if (gather)
        CLMLP_TRY(clmlp_model_gather_batch(m, dd, lo, n, &b));
    else
        clmlp_model_slice_batch(m, dd, lo, n, &b);
    b.mean_rows = rows;
    CLMLP_TRY(clmlp_model_forward(m, &b, MODEL_TRAIN));
    return clmlp_model_loss_backward(m, &b, 1);
}

/* Trains one epoch over dd in the order `order` (uploaded when shuffling).
 * *stopped is set when opts->stop cut it short (after a whole step; with
 * data-parallel training, on every process after the step in which any
 * process saw it).  dbuf: the host buffer of the steps' sums (d only). */
static int train_epoch(clmlp_model_t *m, const clmlp_dev_data *dd, size_t batch, int gather,
                       const clmlp_fit_opts *o, size_t epoch, double *dbuf, int *stopped,
                       clmlp_epoch_stats *s)
{
    const clmlp_dist *d = clmlp_dist_of(o);
    size_t n_batches = (dd->n + batch - 1) / batch;
    *stopped = 0;
    CLMLP_TRY(clmlp_model_metrics_reset(m));
    for (size_t bi = 0; bi < n_batches; bi++) {
        if (!d && stop_asked(o)) {
            *stopped = 1;
            return CLMLP_OK;
        }
        size_t start = bi * batch;
        size_t rows = dd->n - start < batch ? dd->n - start : batch;
        int rc = step_grads(m, dd, start, rows, gather, d);
        m->row_off = 0;
        CLMLP_TRY(rc);
        int stop_all = 0;
        if (d) {
            /* The device finishes the step's backward pass first: the
             * sum's seconds are communication alone. */
            CLMLP_TRY(clmlp_be_synchronize(m->be));
            double t0 = clmlp_now();
            CLMLP_TRY(clmlp_dist_step(m, d, dbuf, stop_asked(o), &stop_all, &s->copy_seconds));
            s->comm_seconds += clmlp_now() - t0;
        }
        CLMLP_TRY(clmlp_model_optimizer_step(m));
        if (o->on_batch) o->on_batch(epoch, bi + 1, n_batches, o->user);
        if (stop_all) {
            *stopped = 1;
            return CLMLP_OK;
        }
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
        CLMLP_TRY(clmlp_be_nonfinite_check(m->be, clmlp_model_state_buf(m, k), 0, m->n_params,
                                           m->metrics));
    return CLMLP_OK;
}

/* Refuses a set whose class names are not the model's (which has some). */
static int names_agree(const clmlp_model_t *m, const clmlp_dataset_t *ds, const char *what)
{
    const char *const *dn = (const char *const *)ds->class_names;
    size_t n_ds = dn ? ds->n_classes : 0;
    if (!dn ||
        clmlp_class_names_equal((const char *const *)m->class_names, m->n_class_names, dn, n_ds))
        return CLMLP_OK;
    char a[400], b[400];
    if (!m->class_names)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "fit: the %s's classes are names (%s) but the model's are "
                               "numbers",
                               what, clmlp_class_names_list(dn, n_ds, a, sizeof a));
    return clmlp_set_error(
        CLMLP_E_INVALID, "fit: the %s's classes (%s) are not the model's (%s)", what,
        clmlp_class_names_list(dn, n_ds, a, sizeof a),
        clmlp_class_names_list((const char *const *)m->class_names, m->n_class_names, b, sizeof b));
}

/* Refuses a set a regression model cannot learn from: one without float
 * targets, one per output.  what names the set. */
static int regression_data(const clmlp_model_t *m, const clmlp_dataset_t *ds, const char *what)
{
    size_t out = clmlp_model_n_outputs(m);
    if (ds->targets && ds->n_targets == out) return CLMLP_OK;
    if (!ds->targets)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "fit: the model is a regression model, and the %s holds class "
                               "labels, not values: train a classifier on it, or give it "
                               "%zu target column%s of values",
                               what, out, out == 1 ? "" : "s");
    return clmlp_set_error(CLMLP_E_INVALID,
                           "fit: the %s has %zu target columns, and the regression model %zu "
                           "outputs (one per target)",
                           what, ds->n_targets, out);
}

/* The model takes the training set's class names when it has none; the
 * training and validation sets must then name the same classes.  A
 * regression model checks its sets' targets instead. */
static int fit_class_names(clmlp_model_t *m, const clmlp_dataset_t *train,
                           const clmlp_dataset_t *val)
{
    if (m->task == CLMLP_TASK_REGRESSION) {
        CLMLP_TRY(regression_data(m, train, "training set"));
        return val ? regression_data(m, val, "validation set") : CLMLP_OK;
    }
    if (train->class_names && !m->class_names &&
        clmlp_model_set_class_names(m, (const char *const *)train->class_names, train->n_classes) !=
            CLMLP_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", clmlp_last_error());
        return clmlp_set_error(CLMLP_E_INVALID, "fit: the training set's classes: %s", why);
    }
    CLMLP_TRY(names_agree(m, train, "training set"));
    return val ? names_agree(m, val, "validation set") : CLMLP_OK;
}

/* Checks what training adds on the device and makes the rollback's
 * snapshot there if it has room (a copy there costs no transfer), else on
 * the host (one download an epoch). */
static int rollback_init(clmlp_model_t *m, const clmlp_dataset_t *train, const clmlp_fit_opts *o,
                         size_t batch, clmlp_snapshot *start)
{
    clmlp_mem_part parts[CLMLP_PLAN_TRAINING_PARTS];
    size_t np = clmlp_plan_training(m, train, o->validation, batch, o->shuffle, parts);
    int on_device = clmlp_memory_guard(m->be, parts, np, "training");
    if (on_device == CLMLP_OK)
        return clmlp_snapshot_init(m, CLMLP_STATE_ALL, CLMLP_SNAPSHOT_DEVICE, start);
    if (on_device != CLMLP_E_NOMEM) return on_device; /* the device failed, not the room */
    CLMLP_TRY(clmlp_memory_guard(m->be, parts, np - 1, "training"));
    int rc = clmlp_snapshot_init(m, CLMLP_STATE_ALL, CLMLP_SNAPSHOT_HOST, start);
    if (rc == CLMLP_E_NOMEM)
        rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory for a copy of %zu parameters (rollback)",
                             (m->n_params ? m->n_params : 1) * start->arrays);
    return rc;
}

/* The row order where the model's shuffles left it: the identity,
 * shuffled once per shuffled epoch the model counts. */
static void replay_order(const clmlp_model_t *m, clmlp_rng *rng, int32_t *order, size_t n)
{
    clmlp_rng_seed(rng, m->c.shuffle_seed);
    for (size_t i = 0; i < n; i++) order[i] = (int32_t)i;
    for (uint64_t k = 0; k < m->c.shuffle_epochs; k++) clmlp_rng_shuffle_i32(rng, order, n);
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
    const clmlp_dist *dist = clmlp_dist_of(&o);
    CLMLP_TRY(fit_class_names(m, train, o.validation));
    size_t epochs = o.epochs ? o.epochs : 1;
    size_t batch = o.batch_size && o.batch_size < train->n ? o.batch_size : train->n;
    clmlp_fit_controls ctl;
    int rc = clmlp_controls_init(&ctl, m, &o, epochs);
    /* Only rank 0 writes files (the controls checked them alike on all). */
    if (dist && dist->rank != 0) o.save_best = o.checkpoint = NULL;
    double lr0 = m->opt.lr;
    unsigned halvings = 0;

    clmlp_history_t *h = rc == CLMLP_OK ? calloc(1, sizeof *h) : NULL;
    size_t h_cap = 0;
    int32_t *order = rc == CLMLP_OK ? malloc(train->n * sizeof *order) : NULL;
    double *dbuf = rc == CLMLP_OK && dist ? malloc((m->n_params + 1) * sizeof *dbuf) : NULL;
    clmlp_dev_data dd = {0}, vd = {0};
    clmlp_snapshot start = {0};
    if (rc == CLMLP_OK && !(h && order && (dbuf || !dist)))
        rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory starting training");
    if (h) h->best_value = NAN;
    if (rc == CLMLP_OK) rc = rollback_init(m, train, &o, batch, &start);
    if (rc == CLMLP_OK) rc = clmlp_dev_data_upload(m, train, &dd);
    if (rc == CLMLP_OK && o.validation) rc = clmlp_dev_data_upload(m, o.validation, &vd);
    if (rc == CLMLP_OK) rc = clmlp_model_reserve(m, batch);
    if (rc == CLMLP_OK && o.shuffle) rc = clmlp_model_reserve_order(m, train->n);
    if (rc == CLMLP_OK && dist) rc = clmlp_dist_start(m, dist, train, &o, batch);

    if (rc == CLMLP_OK && !m->c.shuffle_set) {
        m->c.shuffle_seed = o.seed;
        m->c.shuffle_epochs = 0;
        m->c.shuffle_set = 1;
    }
    clmlp_rng rng;
    if (rc == CLMLP_OK) replay_order(m, &rng, order, train->n);
    clmlp_stall_watch stall;
    clmlp_stall_init(&stall, m, train);
    size_t epoch_now = 0; /* the epoch under way, for a device's error */
    for (size_t e = 0; rc == CLMLP_OK && e < epochs; e++) {
        if (!dist && stop_asked(&o)) {
            h->interrupted = 1;
            break;
        }
        clmlp_epoch_stats s = {0};
        s.mae = s.val_mae = NAN;
        s.precision = s.recall = s.f1 = s.auc = s.rmse = s.r2 = NAN;
        s.val_precision = s.val_recall = s.val_f1 = s.val_auc = s.val_rmse = s.val_r2 = NAN;
        s.epoch = o.initial_epoch + e + 1;
        epoch_now = s.epoch;
        s.lr_halvings = halvings;
        s.lr = clmlp_controls_lr(&ctl, s.epoch - 1);
        double t0 = clmlp_now();
        rc = clmlp_snapshot_take(m, &start);
        if (rc == CLMLP_OK && o.shuffle) {
            clmlp_rng_shuffle_i32(&rng, order, train->n);
            m->c.shuffle_epochs++;
            rc = clmlp_be_upload(m->be, m->idx, 0, order, train->n);
        }
        /* Only the step sees the scheduled lr; the model keeps lr0. */
        m->opt.lr = s.lr;
        int stopped = 0;
        if (rc == CLMLP_OK)
            rc = train_epoch(m, &dd, batch, o.shuffle, &o, s.epoch, dbuf, &stopped, &s);
        m->opt.lr = lr0;
        if (rc == CLMLP_OK && stopped) {
            /* Interrupted only once rolled back: a failed rollback is the
             * run's failure, and nothing is written of a half-restored
             * model. */
            rc = clmlp_snapshot_restore(m, &start);
            if (rc == CLMLP_OK) h->interrupted = 1;
            break;
        }
        int nonfinite = 0;
        if (rc == CLMLP_OK) rc = check_params_finite(m);
        int regression = m->task == CLMLP_TASK_REGRESSION;
        if (rc == CLMLP_OK)
            rc = clmlp_model_metrics_read_sum(m, dist, &s.loss, regression ? &s.mae : &s.accuracy,
                                              &nonfinite);
        if (regression) s.accuracy = NAN;
        if (rc == CLMLP_OK && nonfinite && halvings < o.divergence_retries) {
            /* Undo the epoch, halve every lr, and train it again on the
             * same order: replaying the shuffles the model has counted
             * gives the order the epoch started from. */
            rc = clmlp_snapshot_restore(m, &start);
            halvings++;
            lr0 *= 0.5;
            m->opt.lr = lr0;
            clmlp_controls_halve(&ctl);
            replay_order(m, &rng, order, train->n);
            e--;
            continue;
        }
        if (rc == CLMLP_OK && nonfinite) {
            rc = clmlp_snapshot_restore(m, &start);
            char kept[64] = "its initial weights";
            if (s.epoch > 1)
                snprintf(kept, sizeof kept, "the weights after epoch %zu", s.epoch - 1);
            /* With retries, say that they ran out. */
            char spent[128] = "";
            if (o.divergence_retries == 1)
                snprintf(spent, sizeof spent, " (its divergence retry used, halving the lr)");
            else if (o.divergence_retries)
                snprintf(spent, sizeof spent,
                         " (all %u divergence retries used, each halving the lr)",
                         o.divergence_retries);
            if (rc == CLMLP_OK)
                rc = clmlp_set_error(CLMLP_E_NUMERIC,
                                     "training diverged in epoch %zu%s: the loss, the weights or "
                                     "the optimizer state became NaN or infinite; the model "
                                     "keeps %s (the last finite ones); try a lower learning "
                                     "rate",
                                     s.epoch, spent, kept);
            break;
        }
        if (rc == CLMLP_OK) clmlp_stall_update(&stall, &s);
        s.val_loss = s.val_accuracy = NAN;
        if (rc == CLMLP_OK && o.validation)
            rc = clmlp_model_evaluate_dev(m, &vd, batch, &s.val_loss,
                                          regression ? &s.val_mae : &s.val_accuracy);
        if (rc == CLMLP_OK && o.metrics) rc = clmlp_fit_metrics(m, train, 0, &s);
        if (rc == CLMLP_OK && o.metrics && o.validation)
            rc = clmlp_fit_metrics(m, o.validation, 1, &s);
        if (rc != CLMLP_OK) break;
        s.seconds = clmlp_now() - t0;
        m->c.epochs_done = s.epoch;
        int stop = 0, ctl_rc = CLMLP_OK;
        if (o.validation || o.monitor == CLMLP_MONITOR_LOSS)
            ctl_rc = clmlp_controls_after_epoch(&ctl, m, &o, &s, &stop);
        s.next_lr = clmlp_controls_lr(&ctl, s.epoch);
        /* The epoch trained, so it is recorded even if save_best failed. */
        rc = clmlp_history_add(h, &h_cap, &s);
        if (rc == CLMLP_OK) rc = ctl_rc;
        if (rc == CLMLP_OK && stop) h->stopped_epoch = s.epoch;
        int user_stop = rc == CLMLP_OK && o.on_epoch && o.on_epoch(&s, o.user);
        if (rc == CLMLP_OK) rc = clmlp_checkpoint_epoch(m, &o);
        if (dist) {
            /* Every process stops where any asked to: after this epoch for
             * its callback, before the next one for *stop. */
            int flags[2] = {user_stop, stop_asked(&o)};
            int any_rc = clmlp_dist_any(dist, flags, 2);
            if (rc == CLMLP_OK) rc = any_rc;
            user_stop = flags[0];
            if (rc == CLMLP_OK && flags[1] && !user_stop && !stop && e + 1 < epochs) {
                h->interrupted = 1;
                break;
            }
        }
        if (user_stop || stop) break;
    }
    if (h && ctl.watch.best_epoch) {
        h->best_epoch = ctl.watch.best_epoch;
        h->best_value = ctl.watch.best;
    }
    /* The last epoch's weights are the best's when it was the best. */
    if (rc == CLMLP_OK && h) rc = clmlp_controls_restore_best(&ctl, m, &h->restored_best);
    /* Then the checkpoint of a run that ended early holds the model fit
     * leaves (the best epoch's weights where they were restored). */
    if (h && (h->interrupted || rc == CLMLP_E_NUMERIC))
        rc = clmlp_checkpoint_early_end(m, &o, rc, &h->checkpoint_failed);
    /* A device's failure says where: which device, and when. */
    if (rc == CLMLP_E_DEVICE) {
        if (epoch_now)
            clmlp_error_append(rc, "; training on %s, epoch %zu", clmlp_backend_description(m->be),
                               epoch_now);
        else
            clmlp_error_append(rc, "; starting training on %s", clmlp_backend_description(m->be));
    }
    clmlp_controls_free(&ctl, m);
    clmlp_snapshot_free(m, &start);
    clmlp_dev_data_free(m, &dd);
    clmlp_dev_data_free(m, &vd);
    free(order);
    free(dbuf);
    /* A failed run's history goes to the caller when it holds epochs, or
     * when the run diverged or was interrupted (checkpoint_failed may
     * matter then). */
    if (hist && h && (rc == CLMLP_OK || h->n > 0 || rc == CLMLP_E_NUMERIC || h->interrupted))
        *hist = h;
    else
        clmlp_history_free(h);
    return rc;
}
