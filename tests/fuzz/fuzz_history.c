/* clmlp_history_read on any bytes: the input is the history file (CSV or
 * JSON, ours or Keras's).  A history it accepts is checked for what the
 * reader promises -- at least one epoch, increasing epoch numbers, each
 * value finite or NaN -- which touches every epoch.  A failure must leave
 * *out NULL.  (Writing it back is left out: the atomic writer needs a real
 * folder for its temporary name, and the fuzz inputs touch no disk.) */
#include <math.h>

#include "fuzz_file.h"

#include "clmlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file f;
    const char *path = fuzz_file_set(&f, "clmlp-history", data, size);
    clmlp_history_t *h = NULL;
    if (clmlp_history_read(&h, path) == CLMLP_OK) {
        if (!h || h->n == 0 || !h->epochs) abort();
        for (size_t i = 0; i < h->n; i++) {
            const clmlp_epoch_stats *s = &h->epochs[i];
            if (i && s->epoch <= h->epochs[i - 1].epoch) abort();
            const double v[] = {s->loss,         s->accuracy, s->val_loss,
                                s->val_accuracy, s->seconds,  s->lr};
            for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
                if (isinf(v[k])) abort();
        }
    } else if (h) {
        abort();
    }
    clmlp_history_free(h);
    return 0;
}
