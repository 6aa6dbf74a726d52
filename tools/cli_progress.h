/* The live progress line of `clmlp train`: batches done, loss and accuracy
 * so far and samples per second, redrawn in place on stderr (a terminal) at
 * most a few times a second, because reading the running metrics waits for
 * the device. */
#ifndef CLMLP_CLI_PROGRESS_H
#define CLMLP_CLI_PROGRESS_H

#include <stddef.h>

#include "clmlp.h"

typedef struct {
    clmlp_model_t *model; /* not owned */
    int enabled;          /* draw at all (stderr is a terminal, not --quiet) */
    size_t n_samples, batch_size;
    size_t epoch;      /* the epoch being drawn (0: none yet) */
    size_t first_done; /* batches done when its clock started */
    double epoch_start, last_draw;
    size_t width; /* characters on the line now (0: nothing drawn) */
} cli_progress;

/* Prepares the line for training m on n_samples rows in batches of
 * batch_size; draws only when enabled. */
void cli_progress_init(cli_progress *p, clmlp_model_t *m, size_t n_samples, size_t batch_size,
                       int enabled);

/* From the batch callback: redraws the line if the last draw is more than a
 * quarter of a second old. */
void cli_progress_batch(cli_progress *p, size_t epoch, size_t done, size_t n_batches);

/* Erases the line (before the epoch's summary line); the next batch starts
 * the next epoch's clock. */
void cli_progress_clear(cli_progress *p);

#endif
