/* clmlp train's command line: the options, their defaults (scikit-learn's
 * for CSV data without --layers), the usage text, and the checks that need
 * no data.  cmd_train.c runs what they ask for. */
#ifndef CLMLP_TRAIN_OPTIONS_H
#define CLMLP_TRAIN_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "cli_common.h"
#include "cli_data.h"
#include "clmlp.h"

/* What the command line asks for, with the defaults applied. */
typedef struct {
    cli_data_args data;
    cli_backend_args backend;
    const char *layers;
    clmlp_loss loss;
    int loss_set;
    clmlp_optimizer opt;
    int lr_set, momentum_set, l2_set, opt_set;
    size_t epochs, batch_size;
    int epochs_set, batch_set;
    /* Data files without --layers or --resume: scikit-learn's defaults (see
     * AUTO_* in train_options.c and cmd_train.c); auto_holdout: hold out a
     * tenth of the training rows for what watches validation data (no
     * validation option was given); keep_last: early stopping on the
     * training loss keeps the last epoch's weights, as scikit-learn does */
    int auto_defaults, auto_holdout, keep_last;
    int standardize, scale_targets; /* --standardize, --scale-targets */
    int metrics;                    /* --metrics */
    uint64_t seed;
    int seed_set;
    int no_shuffle;
    double val_split;
    int validate_on_test;
    const char *save, *history, *checkpoint, *resume, *plot_history;
    int quiet;
    /* training controls; the _set flags say which were given */
    clmlp_lr_schedule lr_schedule;
    double lr_factor, lr_min, lr_min_delta;
    size_t lr_step_every, lr_patience, lr_cooldown;
    size_t divergence_retries;
    int lr_factor_set, lr_min_set, lr_min_delta_set, lr_step_every_set, lr_patience_set,
        lr_cooldown_set;
    size_t es_patience;
    int es_patience_set;
    double es_min_delta;
    int es_min_delta_set;
    clmlp_monitor monitor;
    int monitor_set, no_restore_best;
    const char *save_best;
} train_args;

/* Parses train's argv into a (all of it: a is cleared first), applies the
 * defaults, and refuses combinations that cannot work before any data is
 * read.  CLI_OK, CLI_USAGE after the message, or -1 after printing the
 * help.  a borrows its strings from argv. */
int train_parse_args(int argc, char **argv, train_args *a);

#endif
