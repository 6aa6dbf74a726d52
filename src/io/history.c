/* A training history in memory (history.h). */
#include "io/history.h"

#include <stdlib.h>

#include "util/error.h"
#include "util/grow.h"

int clmlp_history_add(clmlp_history_t *h, size_t *cap, const clmlp_epoch_stats *s)
{
    if (CLMLP_GROW(h->epochs, *cap, h->n + 1, 64) != 0)
        return clmlp_set_error(CLMLP_E_NOMEM, "out of memory recording the history");
    h->epochs[h->n++] = *s;
    return CLMLP_OK;
}

void clmlp_history_free(clmlp_history_t *h)
{
    if (!h) return;
    free(h->epochs);
    free(h);
}
