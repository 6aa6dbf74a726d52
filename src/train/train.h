/* The training floor's own pieces, shared by its files: the stall watch
 * (stall.c), the controls of one fit call -- schedule, early stopping, the
 * best epoch, and the checkpoint policy -- (controls.c), used by the fit
 * loop (fit.c). */
#ifndef CLMLP_TRAIN_H
#define CLMLP_TRAIN_H

#include "nn/model.h"
#include "train/schedule.h"

/* ---- the stall watch (stall.c) ---- */
/* What the watch needs: the loss of a uniform guess and the accuracy of
 * always predicting the commonest class (0 when it cannot tell). */
typedef struct {
    int cross_entropy;
    double uniform_loss, chance;
    double first_loss; /* this fit's first epoch's loss (NaN before it) */
    /* Epochs in a row that showed each sign, by its CLMLP_STALL_* bit
     * (streak[i]: flag 1 << i), each counted on its own. */
    size_t streak[4];
} clmlp_stall_watch;

void clmlp_stall_init(clmlp_stall_watch *w, const clmlp_model_t *m, const clmlp_dataset_t *train);
/* Sets s->stalled and s->stalled_epochs from the epoch's figures. */
void clmlp_stall_update(clmlp_stall_watch *w, clmlp_epoch_stats *s);

/* ---- scores of predictions after an epoch (fit_metrics.c) ---- */
/* Predicts ds with m and sets the scores clmlp_fit_opts.metrics asks for
 * into s: the training ones, or (val) the validation ones; the other
 * task's stay NaN.  A status on failure. */
int clmlp_fit_metrics(clmlp_model_t *m, const clmlp_dataset_t *ds, int val, clmlp_epoch_stats *s);

/* ---- the controls of one fit call (controls.c) ---- */
/* The schedule with its defaults filled in, the watch over the monitored
 * metric, and the best epoch's parameters (restore_best). */
typedef struct {
    schedule_params sched;
    schedule_plateau plateau;
    schedule_watch watch; /* fed only with validation data */
    clmlp_snapshot best;  /* early stopping with restore_best: the
                             parameters of the best epoch, on the host */
    int keep_best;
} clmlp_fit_controls;

/* Checks the controls in o and fills c; CLMLP_E_INVALID (naming the field)
 * before anything is trained.  clmlp_controls_free releases c either way. */
int clmlp_controls_init(clmlp_fit_controls *c, clmlp_model_t *m, const clmlp_fit_opts *o,
                        size_t epochs);
void clmlp_controls_free(clmlp_fit_controls *c, clmlp_model_t *m);
/* The lr of 0-based schedule epoch e. */
double clmlp_controls_lr(const clmlp_fit_controls *c, size_t e);
/* Halves every lr the schedule gives (a divergence rolled back). */
void clmlp_controls_halve(clmlp_fit_controls *c);
/* After an epoch with validation data: feeds the watch and plateau, keeps
 * or saves the best epoch, and says whether early stopping ends the run. */
int clmlp_controls_after_epoch(clmlp_fit_controls *c, clmlp_model_t *m, const clmlp_fit_opts *o,
                               const clmlp_epoch_stats *s, int *stop);
/* At the end of a run without an error: gives the model the best epoch's
 * parameters when restore_best kept them and the last epoch was not the
 * best; *restored says whether it did. */
int clmlp_controls_restore_best(clmlp_fit_controls *c, clmlp_model_t *m, int *restored);

/* ---- the checkpoint policy (controls.c) ---- */
/* After a whole epoch: the checkpoint, if one is asked for. */
int clmlp_checkpoint_epoch(clmlp_model_t *m, const clmlp_fit_opts *o);
/* A run that ended early (interrupted, or diverged with status rc) leaves
 * the model of its last whole epoch in the checkpoint too; returns rc, or
 * the save's failure (for a diverged run the message then tells both), and
 * sets *failed when the save failed. */
int clmlp_checkpoint_early_end(clmlp_model_t *m, const clmlp_fit_opts *o, int rc, int *failed);

/* ---- data-parallel training (dist.c) ---- */
/* o's clmlp_dist when it names more than one process, else NULL. */
const clmlp_dist *clmlp_dist_of(const clmlp_fit_opts *o);
/* Before the first epoch, on every process: refuses (CLMLP_E_INVALID, on
 * every process) data or options that differ from rank 0's -- naming what
 * differs where it does -- and a batch smaller than the processes; then
 * gives every process rank 0's state. */
int clmlp_dist_start(clmlp_model_t *m, const clmlp_dist *d, const clmlp_dataset_t *train,
                     const clmlp_fit_opts *o, size_t batch);
/* The step's sum, once the device has finished the step (synchronize):
 * the gradients (through the host buffer buf, room for
 * n_params + 1 doubles: floats, or doubles on the reference backend) and
 * the stop flag `stop_here` over every process; *stop_all is set when any
 * process asked to stop.  Adds the seconds of the two copies between the
 * device and buf to *copy_seconds. */
int clmlp_dist_step(clmlp_model_t *m, const clmlp_dist *d, void *buf, int stop_here, int *stop_all,
                    double *copy_seconds);
/* Whether any process has flags[i] set, for each of n flags (in place). */
int clmlp_dist_any(const clmlp_dist *d, int *flags, size_t n);

#endif
