/* The maths of the training controls, apart from any model: learning-rate
 * schedules by epoch, and the watch over a validation metric that
 * reduce-on-plateau and early stopping share.  Epochs are counted from 0
 * here (e = initial_epoch for the first epoch of a fit call), so a resumed
 * run continues the same curve. */
#ifndef CLMLP_SCHEDULE_H
#define CLMLP_SCHEDULE_H

#include <stddef.h>

#include "clmlp.h"

/* Step decay: lr0 * factor^floor(e / every) (every >= 1). */
double clmlp_schedule_lr_step(double lr0, double factor, size_t every, size_t e);
/* Exponential decay: lr0 * factor^e. */
double clmlp_schedule_lr_exp(double lr0, double factor, size_t e);
/* Cosine annealing over total epochs: lr0 * (1 + cos(pi * e / total)) / 2,
 * with e held at total once past it (the curve would rise again). */
double clmlp_schedule_lr_cosine(double lr0, size_t e, size_t total);

/* The settings of one fit call's schedule, defaults filled in. */
typedef struct {
    clmlp_lr_schedule kind;
    double lr0; /* the model's base learning rate */
    double factor;
    size_t every;  /* step */
    size_t total;  /* cosine: E */
    double min_lr; /* floor under every schedule */
} schedule_params;

/* The learning rate of epoch e under a schedule that depends on e alone
 * (none, step, exp, cosine), at least min_lr.  Plateau's lr is kept by
 * schedule_plateau; here it is lr0. */
double clmlp_schedule_lr_at(const schedule_params *p, size_t e);

/* Watches one metric for improvement: lower is better, or higher when
 * higher_better.  An epoch improves when it beats the best so far by more
 * than min_delta; the first finite value always does. */
typedef struct {
    int higher_better;
    double min_delta;
    double best;       /* the best value so far (+-Inf before any) */
    size_t best_epoch; /* its epoch (1-based as in the history; 0: none) */
    size_t wait;       /* epochs since the last improvement */
} schedule_watch;

void clmlp_schedule_watch_init(schedule_watch *w, int higher_better, double min_delta);
/* Feeds epoch's value; returns 1 when it improved (best, best_epoch set,
 * wait 0), else 0 (wait counts up; NaN never improves). */
int clmlp_schedule_watch_update(schedule_watch *w, double value, size_t epoch);

/* Reduce-on-plateau: lr *= factor (never below min_lr) when val_loss has not
 * improved by more than min_delta for patience epochs; after a cut it waits
 * cooldown epochs before counting again. */
typedef struct {
    double lr;
    double factor, min_lr;
    size_t patience, cooldown;
    size_t cooldown_left;
    schedule_watch watch;
} schedule_plateau;

void clmlp_schedule_plateau_init(schedule_plateau *p, double lr0, double factor, size_t patience,
                                 size_t cooldown, double min_delta, double min_lr);
/* Feeds one epoch's val_loss; returns 1 when it lowered p->lr, else 0. */
int clmlp_schedule_plateau_update(schedule_plateau *p, double val_loss, size_t epoch);

#endif
