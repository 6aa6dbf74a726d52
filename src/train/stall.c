/* The stall watch: signs of divergence that no NaN shows -- for
 * cross-entropy losses a loss stuck near its clipped maximum, or chance
 * accuracy with a loss far above a uniform guess; for every loss one that
 * does not fall below the first epoch's, or grows past 100 times it --
 * counted in epochs in a row (clmlp_epoch_stats.stalled). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/train.h"

/* The per-row loss where a cross-entropy's probabilities are clipped to
 * [1e-7, 1 - 1e-7] (backend.h's loss_grad): -ln 1e-7. */
#define LOSS_CLIP_MAX 16.11809565095832
/* How far above chance an accuracy still counts as chance: 0.01. */
#define CHANCE_MARGIN 0.01
/* A loss this many times the first epoch's has exploded. */
#define EXPLODED_FACTOR 100.0
/* Epochs in a row not below the first epoch's loss before it is said. */
#define NOT_FALLING_EPOCHS 2

void clmlp_stall_init(clmlp_stall_watch *w, const clmlp_model_t *m, const clmlp_dataset_t *train)
{
    memset(w, 0, sizeof *w);
    w->first_loss = NAN;
    size_t out = clmlp_model_n_outputs(m);
    /* Not mean squared or absolute error, nor huber: their losses have no
     * clipped maximum, and a regression's reach any size. */
    w->cross_entropy =
        m->loss == CLMLP_LOSS_BCE || m->loss == CLMLP_LOSS_CCE || m->loss == CLMLP_LOSS_SPARSE_CCE;
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

void clmlp_stall_update(clmlp_stall_watch *w, clmlp_epoch_stats *s)
{
    unsigned k = 0;
    if (w->cross_entropy && s->loss >= 0.5 * LOSS_CLIP_MAX) k |= CLMLP_STALL_LOSS_AT_MAX;
    if (w->cross_entropy && w->chance > 0.0 && s->accuracy <= w->chance + CHANCE_MARGIN &&
        s->loss > 2.0 * w->uniform_loss)
        k |= CLMLP_STALL_CHANCE;
    /* Every loss: measured against the first epoch of this fit. */
    if (isnan(w->first_loss)) {
        w->first_loss = s->loss;
    } else if (isfinite(w->first_loss)) {
        if (s->loss >= w->first_loss) k |= CLMLP_STALL_NOT_FALLING;
        if (w->first_loss > 0.0 && s->loss > EXPLODED_FACTOR * w->first_loss)
            k |= CLMLP_STALL_EXPLODED;
    }
    w->run = k ? w->run + 1 : 0;
    s->stalled_epochs = w->run;
    s->stalled = (w->run >= CLMLP_STALL_EPOCHS ? k : 0) |
                 (w->run >= NOT_FALLING_EPOCHS ? k & CLMLP_STALL_NOT_FALLING : 0) |
                 (k & CLMLP_STALL_EXPLODED);
}
