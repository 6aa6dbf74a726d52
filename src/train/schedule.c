/* Learning-rate schedules and the watch over a validation metric: plain
 * functions of their arguments, so tests can check each formula by hand.
 * Also the names the command line uses for schedules and monitors. */
#include "train/schedule.h"

#include <math.h>
#include <string.h>

#include "util/error.h"
#include "util/name_table.h"

double clmlp_schedule_lr_step(double lr0, double factor, size_t every, size_t e)
{
    if (every == 0) every = 1;
    return lr0 * pow(factor, (double)(e / every));
}

double clmlp_schedule_lr_exp(double lr0, double factor, size_t e)
{
    return lr0 * pow(factor, (double)e);
}

double clmlp_schedule_lr_cosine(double lr0, size_t e, size_t total)
{
    if (total == 0 || e >= total) return 0.0;
    const double pi = 3.14159265358979323846;
    return lr0 * 0.5 * (1.0 + cos(pi * (double)e / (double)total));
}

double clmlp_schedule_lr_at(const schedule_params *p, size_t e)
{
    double lr = p->lr0;
    switch (p->kind) {
    case CLMLP_LR_STEP: lr = clmlp_schedule_lr_step(p->lr0, p->factor, p->every, e); break;
    case CLMLP_LR_EXP: lr = clmlp_schedule_lr_exp(p->lr0, p->factor, e); break;
    case CLMLP_LR_COSINE: lr = clmlp_schedule_lr_cosine(p->lr0, e, p->total); break;
    default: break;
    }
    return lr > p->min_lr ? lr : p->min_lr;
}

void clmlp_schedule_watch_init(schedule_watch *w, int higher_better, double min_delta)
{
    memset(w, 0, sizeof *w);
    w->higher_better = higher_better;
    w->min_delta = min_delta;
    w->best = higher_better ? -INFINITY : INFINITY;
}

int clmlp_schedule_watch_update(schedule_watch *w, double value, size_t epoch)
{
    /* NaN compares false either way, so it never improves. */
    int better = w->higher_better ? value > w->best + w->min_delta : value < w->best - w->min_delta;
    if (better && isfinite(value)) {
        w->best = value;
        w->best_epoch = epoch;
        w->wait = 0;
        return 1;
    }
    w->wait++;
    return 0;
}

void clmlp_schedule_plateau_init(schedule_plateau *p, double lr0, double factor, size_t patience,
                                 size_t cooldown, double min_delta, double min_lr)
{
    memset(p, 0, sizeof *p);
    p->lr = lr0 > min_lr ? lr0 : min_lr;
    p->factor = factor;
    p->min_lr = min_lr;
    p->patience = patience;
    p->cooldown = cooldown;
    clmlp_schedule_watch_init(&p->watch, 0, min_delta);
}

int clmlp_schedule_plateau_update(schedule_plateau *p, double val_loss, size_t epoch)
{
    int improved = clmlp_schedule_watch_update(&p->watch, val_loss, epoch);
    /* The epochs of a cooldown are not counted against the new lr. */
    int cooling = p->cooldown_left > 0;
    if (cooling) {
        p->cooldown_left--;
        p->watch.wait = 0;
    }
    if (improved || cooling || p->watch.wait < p->patience) return 0;
    p->watch.wait = 0;
    double lr = p->lr * p->factor;
    if (lr < p->min_lr) lr = p->min_lr;
    if (!(lr < p->lr)) return 0; /* already at the floor */
    p->lr = lr;
    p->cooldown_left = p->cooldown;
    return 1;
}

/* ---- names ---------------------------------------------------------------- */

static const char *const schedule_names[CLMLP_LR_SCHEDULE_COUNT] = {"none", "step", "exp", "cosine",
                                                                    "plateau"};
static const char *const monitor_names[CLMLP_MONITOR_COUNT] = {"val_loss", "val_accuracy",
                                                               "val_mae", "loss"};

const char *clmlp_lr_schedule_name(clmlp_lr_schedule s)
{
    return (unsigned)s < CLMLP_LR_SCHEDULE_COUNT ? schedule_names[s] : "?";
}

int clmlp_lr_schedule_parse(const char *name, clmlp_lr_schedule *out)
{
    int i = clmlp_name_index(schedule_names, CLMLP_LR_SCHEDULE_COUNT, name, 0);
    if (i >= 0) {
        *out = (clmlp_lr_schedule)i;
        return CLMLP_OK;
    }
    return clmlp_set_error(CLMLP_E_INVALID,
                           "unknown learning-rate schedule '%s' (none, step, exp, cosine, "
                           "plateau)",
                           name ? name : "(null)");
}

const char *clmlp_monitor_name(clmlp_monitor m)
{
    return (unsigned)m < CLMLP_MONITOR_COUNT ? monitor_names[m] : "?";
}

int clmlp_monitor_parse(const char *name, clmlp_monitor *out)
{
    int i = clmlp_name_index(monitor_names, CLMLP_MONITOR_COUNT, name, 0);
    if (i >= 0) {
        *out = (clmlp_monitor)i;
        return CLMLP_OK;
    }
    return clmlp_set_error(CLMLP_E_INVALID,
                           "unknown metric to monitor '%s' (val_loss, "
                           "val_accuracy, val_mae, loss)",
                           name ? name : "(null)");
}
