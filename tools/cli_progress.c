/* The throttled, self-erasing progress line on stderr. */
#include "cli_progress.h"
#include "util/timer.h"

#include <stdio.h>
#include <string.h>

#include "cli_common.h"

/* Seconds between redraws: about four a second. */
#define REDRAW_INTERVAL 0.25

void cli_progress_init(cli_progress *p, clmlp_model_t *m, size_t n_samples, size_t batch_size,
                       int enabled)
{
    memset(p, 0, sizeof *p);
    p->model = m;
    p->enabled = enabled;
    p->n_samples = n_samples;
    p->batch_size = batch_size ? batch_size : n_samples;
}

void cli_progress_batch(cli_progress *p, size_t epoch, size_t done, size_t n_batches)
{
    if (!p->enabled) return;
    double now = clmlp_now();
    if (epoch != p->epoch || done <= p->first_done) {
        /* The clock starts after an epoch's first batch, so the rate
         * leaves out the set-up before it (uploading the data). */
        p->epoch = epoch;
        p->first_done = done;
        p->epoch_start = p->last_draw = now;
        return;
    }
    if (now - p->last_draw < REDRAW_INTERVAL) return;
    p->last_draw = now;
    double loss = 0.0, acc = 0.0;
    if (clmlp_model_running_metrics(p->model, &loss, &acc) < 0) return;
    double seen = (double)(done - p->first_done) * (double)p->batch_size;
    double dt = now - p->epoch_start;
    char line[160];
    int len =
        snprintf(line, sizeof line, "  batch %zu/%zu  loss %.4f  accuracy %.4f  %.0f samples/s",
                 done, n_batches, loss, acc, dt > 0 ? seen / dt : 0.0);
    if (len < 0) return;
    size_t w = (size_t)len < sizeof line ? (size_t)len : sizeof line - 1;
    /* Pad with spaces over whatever a longer earlier line left. */
    fprintf(stderr, "\r%s%*s", line, p->width > w ? (int)(p->width - w) : 0, "");
    fflush(stderr);
    p->width = w;
}

void cli_progress_clear(cli_progress *p)
{
    if (p->enabled && p->width) {
        fprintf(stderr, "\r%*s\r", (int)p->width, "");
        fflush(stderr);
    }
    p->width = 0;
    p->epoch = 0; /* the next batch starts the next epoch's clock */
}
