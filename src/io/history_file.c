/* Training history files: CSV (one line per epoch) or JSON (when the name
 * ends in ".json"), written atomically; each epoch has its figures and the
 * learning rate it trained with.  A value that is NaN or infinite
 * (validation metrics without validation data) is an empty CSV cell and a
 * JSON null, so both stay readable by ordinary tools. */
#include <math.h>
#include <stddef.h>
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

/* The per-epoch values, in file order (the epoch number comes first). */
static const struct {
    const char *name;
    size_t offset;
} fields[] = {
    {"loss", offsetof(clmlp_epoch_stats, loss)},
    {"accuracy", offsetof(clmlp_epoch_stats, accuracy)},
    {"val_loss", offsetof(clmlp_epoch_stats, val_loss)},
    {"val_accuracy", offsetof(clmlp_epoch_stats, val_accuracy)},
    {"seconds", offsetof(clmlp_epoch_stats, seconds)},
    /* Added later: last, so readers that take columns by position still
     * find the older ones where they were. */
    {"lr", offsetof(clmlp_epoch_stats, lr)},
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

/* Field k of epoch s. */
static double field(const clmlp_epoch_stats *s, size_t k)
{
    double v;
    memcpy(&v, (const char *)s + fields[k].offset, sizeof v);
    return v;
}

/* The CSV form: a header line, then one line per epoch. */
static void write_csv(FILE *f, const clmlp_history_t *h)
{
    fputs("epoch", f);
    for (size_t k = 0; k < N_FIELDS; k++) fprintf(f, ",%s", fields[k].name);
    fputc('\n', f);
    for (size_t i = 0; i < h->n; i++) {
        fprintf(f, "%zu", h->epochs[i].epoch);
        for (size_t k = 0; k < N_FIELDS; k++) {
            fputc(',', f);
            put_value(f, field(&h->epochs[i], k), "");
        }
        fputc('\n', f);
    }
}

/* The JSON form: {"epochs": [{"epoch": 1, "loss": ..., ...}, ...]}. */
static void write_json(FILE *f, const clmlp_history_t *h)
{
    fputs("{\"epochs\": [", f);
    for (size_t i = 0; i < h->n; i++) {
        fprintf(f, "%s\n  {\"epoch\": %zu", i ? "," : "", h->epochs[i].epoch);
        for (size_t k = 0; k < N_FIELDS; k++) {
            fprintf(f, ", \"%s\": ", fields[k].name);
            put_value(f, field(&h->epochs[i], k), "null");
        }
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
