/* Training history files: CSV (one line per epoch) or JSON (when the name
 * ends in ".json"), written atomically.  A value that is NaN or infinite
 * (validation metrics without validation data) is an empty CSV cell and a
 * JSON null, so both stay readable by ordinary tools. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "clmlp.h"
#include "util/atomic_file.h"
#include "util/error.h"

/* Writes v with full double precision, or `missing` when it is not finite. */
static void put_value(FILE *f, double v, const char *missing)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs(missing, f);
}

/* The CSV form: a header line, then one line per epoch. */
static void write_csv(FILE *f, const clmlp_history_t *h)
{
    fputs("epoch,loss,accuracy,val_loss,val_accuracy,seconds\n", f);
    for (size_t i = 0; i < h->n; i++) {
        const clmlp_epoch_stats *s = &h->epochs[i];
        fprintf(f, "%zu,", s->epoch);
        put_value(f, s->loss, "");
        fputc(',', f);
        put_value(f, s->accuracy, "");
        fputc(',', f);
        put_value(f, s->val_loss, "");
        fputc(',', f);
        put_value(f, s->val_accuracy, "");
        fputc(',', f);
        put_value(f, s->seconds, "");
        fputc('\n', f);
    }
}

/* The JSON form: {"epochs": [{"epoch": 1, "loss": ..., ...}, ...]}. */
static void write_json(FILE *f, const clmlp_history_t *h)
{
    fputs("{\"epochs\": [", f);
    for (size_t i = 0; i < h->n; i++) {
        const clmlp_epoch_stats *s = &h->epochs[i];
        fprintf(f, "%s\n  {\"epoch\": %zu, \"loss\": ", i ? "," : "", s->epoch);
        put_value(f, s->loss, "null");
        fputs(", \"accuracy\": ", f);
        put_value(f, s->accuracy, "null");
        fputs(", \"val_loss\": ", f);
        put_value(f, s->val_loss, "null");
        fputs(", \"val_accuracy\": ", f);
        put_value(f, s->val_accuracy, "null");
        fputs(", \"seconds\": ", f);
        put_value(f, s->seconds, "null");
        fputc('}', f);
    }
    fputs(h->n ? "\n]}\n" : "]}\n", f);
}

/* Whether path ends in ".json" (any case). */
static int is_json_name(const char *path)
{
    size_t n = strlen(path);
    return n >= 5 && strcasecmp(path + n - 5, ".json") == 0;
}

int clmlp_history_write(const clmlp_history_t *h, const char *path)
{
    if (!h || !path || (h->n && !h->epochs))
        return clmlp_set_error(CLMLP_E_INVALID, "clmlp_history_write: no history or no path");
    clmlp_atomic_file af;
    CLMLP_TRY(clmlp_atomic_open(&af, path));
    if (is_json_name(path))
        write_json(af.f, h);
    else
        write_csv(af.f, h);
    return clmlp_atomic_commit(&af);
}
