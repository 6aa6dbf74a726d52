/* The controls of one fit call: the learning-rate schedule with its
 * defaults, the watch over the monitored validation metric that early
 * stopping, reduce-on-plateau and the best epoch share -- and the
 * checkpoint policy: save_best when the metric improves, the checkpoint
 * after every epoch and when a run ends early. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "train/train.h"
#include "util/error.h"

/* Whether v is a finite number >= 0 (a delta or a floor). */
static int finite_nonneg(double v) { return isfinite(v) && v >= 0.0; }

/* Checks the fields of o that are not a schedule's. */
static int check_opts(const clmlp_fit_opts *o)
{
    if ((unsigned)o->lr_schedule >= CLMLP_LR_SCHEDULE_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "fit: lr_schedule %d is not a schedule",
                               (int)o->lr_schedule);
    if ((unsigned)o->monitor >= CLMLP_MONITOR_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "fit: monitor %d is not a metric", (int)o->monitor);
    if (o->lr_factor != 0.0 && !(o->lr_factor > 0.0 && o->lr_factor < 1.0))
        return clmlp_set_error(CLMLP_E_INVALID, "fit: lr_factor must be in (0,1), got %g",
                               o->lr_factor);
    if (!finite_nonneg(o->lr_min))
        return clmlp_set_error(CLMLP_E_INVALID, "fit: lr_min must be a number >= 0, got %g",
                               o->lr_min);
    if (!finite_nonneg(o->lr_min_delta))
        return clmlp_set_error(CLMLP_E_INVALID, "fit: lr_min_delta must be a number >= 0, got %g",
                               o->lr_min_delta);
    if (!finite_nonneg(o->early_stop_min_delta))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "fit: early_stop_min_delta must be a number >= 0, got %g",
                               o->early_stop_min_delta);
    if (o->save_best && !*o->save_best)
        return clmlp_set_error(CLMLP_E_INVALID, "fit: save_best is an empty path");
    if (o->checkpoint && !*o->checkpoint)
        return clmlp_set_error(CLMLP_E_INVALID, "fit: checkpoint is an empty path");
    if (o->validation) return CLMLP_OK;
    const char *metric = clmlp_monitor_name(o->monitor);
    if (o->lr_schedule == CLMLP_LR_PLATEAU)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "fit: the plateau schedule watches val_loss, which needs "
                               "validation data (clmlp_fit_opts.validation)");
    if (o->monitor == CLMLP_MONITOR_LOSS) return CLMLP_OK;
    if (o->early_stop_patience)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "fit: early stopping monitors %s, which needs validation "
                               "data (clmlp_fit_opts.validation)",
                               metric);
    if (o->save_best)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "fit: save_best keeps the best epoch by %s, which needs "
                               "validation data (clmlp_fit_opts.validation)",
                               metric);
    return CLMLP_OK;
}

int clmlp_controls_init(clmlp_fit_controls *c, clmlp_model_t *m, const clmlp_fit_opts *o,
                        size_t epochs)
{
    memset(c, 0, sizeof *c);
    CLMLP_TRY(check_opts(o));
    int regression = m->task == CLMLP_TASK_REGRESSION;
    if ((regression && o->monitor == CLMLP_MONITOR_VAL_ACCURACY) ||
        (!regression && o->monitor == CLMLP_MONITOR_VAL_MAE))
        return clmlp_set_error(CLMLP_E_INVALID, "fit: %s is not a metric of a %s model (%s is)",
                               clmlp_monitor_name(o->monitor), clmlp_task_name(m->task),
                               regression ? "val_mae" : "val_accuracy");
    schedule_params *p = &c->sched;
    p->kind = o->lr_schedule;
    p->lr0 = m->opt.lr;
    p->factor = o->lr_factor != 0.0 ? o->lr_factor : (o->lr_schedule == CLMLP_LR_EXP ? 0.95 : 0.1);
    p->every = o->lr_step_every ? o->lr_step_every : 10;
    p->total = o->lr_cosine_epochs ? o->lr_cosine_epochs : o->initial_epoch + epochs;
    p->min_lr = o->lr_min;
    clmlp_schedule_plateau_init(&c->plateau, p->lr0, p->factor, o->lr_patience ? o->lr_patience : 5,
                                o->lr_cooldown, o->lr_min_delta, o->lr_min);
    clmlp_schedule_watch_init(&c->watch, o->monitor == CLMLP_MONITOR_VAL_ACCURACY,
                              o->early_stop_min_delta);
    /* A resumed model's best of the same metric is the one to beat (its
     * weights are not at hand: best_epoch stays 0 for restore_best). */
    if (m->c.best_set && m->c.best_monitor == (uint32_t)o->monitor) c->watch.best = m->c.best_value;
    if (o->early_stop_patience && o->restore_best) {
        c->keep_best = 1;
        CLMLP_TRY(clmlp_snapshot_init(m, CLMLP_STATE_PARAMS, CLMLP_SNAPSHOT_HOST, &c->best));
    }
    return CLMLP_OK;
}

void clmlp_controls_free(clmlp_fit_controls *c, clmlp_model_t *m)
{
    clmlp_snapshot_free(m, &c->best);
}

double clmlp_controls_lr(const clmlp_fit_controls *c, size_t e)
{
    return c->sched.kind == CLMLP_LR_PLATEAU ? c->plateau.lr : clmlp_schedule_lr_at(&c->sched, e);
}

void clmlp_controls_halve(clmlp_fit_controls *c)
{
    c->sched.lr0 *= 0.5;
    c->plateau.lr *= 0.5;
}

int clmlp_controls_after_epoch(clmlp_fit_controls *c, clmlp_model_t *m, const clmlp_fit_opts *o,
                               const clmlp_epoch_stats *s, int *stop)
{
    double value = o->monitor == CLMLP_MONITOR_VAL_ACCURACY ? s->val_accuracy
                   : o->monitor == CLMLP_MONITOR_VAL_MAE    ? s->val_mae
                   : o->monitor == CLMLP_MONITOR_LOSS       ? s->loss
                                                            : s->val_loss;
    if (clmlp_schedule_watch_update(&c->watch, value, s->epoch)) {
        /* The model (and so its files) remembers the best. */
        m->c.best_set = 1;
        m->c.best_monitor = (uint32_t)o->monitor;
        m->c.best_value = c->watch.best;
        m->c.best_epoch = s->epoch;
        if (c->keep_best) CLMLP_TRY(clmlp_snapshot_take(m, &c->best));
        if (o->save_best) CLMLP_TRY(clmlp_model_save(m, o->save_best));
    }
    if (c->sched.kind == CLMLP_LR_PLATEAU)
        clmlp_schedule_plateau_update(&c->plateau, s->val_loss, s->epoch);
    *stop = o->early_stop_patience && c->watch.wait >= o->early_stop_patience;
    return CLMLP_OK;
}

int clmlp_controls_restore_best(clmlp_fit_controls *c, clmlp_model_t *m, int *restored)
{
    *restored = 0;
    if (!c->keep_best || !c->watch.best_epoch || c->watch.best_epoch == m->c.epochs_done)
        return CLMLP_OK;
    CLMLP_TRY(clmlp_snapshot_restore(m, &c->best));
    *restored = 1;
    return CLMLP_OK;
}

int clmlp_checkpoint_epoch(clmlp_model_t *m, const clmlp_fit_opts *o)
{
    return o->checkpoint ? clmlp_model_save(m, o->checkpoint) : CLMLP_OK;
}

int clmlp_checkpoint_early_end(clmlp_model_t *m, const clmlp_fit_opts *o, int rc, int *failed)
{
    *failed = 0;
    if (!o->checkpoint) return rc;
    char why[512];
    snprintf(why, sizeof why, "%s", rc == CLMLP_OK ? "" : clmlp_last_error());
    int saved = clmlp_model_save(m, o->checkpoint);
    *failed = saved != CLMLP_OK;
    if (saved == CLMLP_OK) {
        if (rc != CLMLP_OK) clmlp_set_error(rc, "%s", why);
        return rc;
    }
    if (rc == CLMLP_OK) return saved;
    char how[512];
    snprintf(how, sizeof how, "%s", clmlp_last_error());
    return clmlp_set_error(rc, "%s; and the checkpoint was not written: %s", why, how);
}
