/* The stall watch: signs of divergence that no NaN shows -- for
 * cross-entropy losses a loss stuck near its clipped maximum, or chance
 * accuracy with a loss far above a uniform guess; for every loss one that
 * does not fall below the first epoch's, or grows past 100 times it --
 * each counted in its own epochs in a row (clmlp_epoch_stats.stalled). */
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
/* Epochs in a row not below the first epoch's loss before it is said (so
 * from epoch 3: epoch 1 is the measure, not a sign). */
#define NOT_FALLING_EPOCHS 2
/* The flags the watch keeps a streak of, one bit each. */
#define STALL_FLAGS 4
_Static_assert(CLMLP_STALL_EXPLODED < (1u << STALL_FLAGS) &&
                   CLMLP_STALL_NOT_FALLING < (1u << STALL_FLAGS) &&
                   sizeof((clmlp_stall_watch *)0)->streak == STALL_FLAGS * sizeof(size_t),
               "a CLMLP_STALL_* flag without a streak in clmlp_stall_watch");

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
    /* Every loss: measured against the first epoch of this fit.  NOT_FALLING
     * is a loss not below the first epoch's (a flat loss, stuck, counts), as
     * documented; but a first loss of exactly 0 is a perfect fit with
     * nothing to fall from, so it is never the measure (and a loss of 0 is
     * never a sign). */
    if (isnan(w->first_loss)) {
        w->first_loss = s->loss;
    } else if (isfinite(w->first_loss)) {
        if (w->first_loss > 0.0 && s->loss >= w->first_loss) k |= CLMLP_STALL_NOT_FALLING;
        if (w->first_loss > 0.0 && s->loss > EXPLODED_FACTOR * w->first_loss)
            k |= CLMLP_STALL_EXPLODED;
    }
    /* Each sign has its own streak and its own rule: EXPLODED at once,
     * NOT_FALLING the NOT_FALLING_EPOCHS-th epoch in a row that showed it,
     * the others the CLMLP_STALL_EPOCHS-th -- an epoch showing one sign
     * does not count towards another's.  stalled_epochs is the longest
     * streak among the signs this epoch shows (0: none). */
    unsigned stalled = 0;
    size_t longest = 0;
    for (unsigned i = 0; i < STALL_FLAGS; i++) {
        unsigned flag = 1u << i;
        w->streak[i] = (k & flag) ? w->streak[i] + 1 : 0;
        size_t need = flag == CLMLP_STALL_EXPLODED      ? 1
                      : flag == CLMLP_STALL_NOT_FALLING ? NOT_FALLING_EPOCHS
                                                        : CLMLP_STALL_EPOCHS;
        if (w->streak[i] >= need) stalled |= flag;
        if (w->streak[i] > longest) longest = w->streak[i];
    }
    s->stalled = stalled;
    s->stalled_epochs = longest;
}
