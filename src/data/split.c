/* Splitting a validation set off a dataset: the last rows
 * (clmlp_dataset_split, as Keras's validation_split takes them) or rows
 * drawn at random by a seeded generator (clmlp_dataset_holdout, as
 * scikit-learn's early stopping holds them out).  Either way the rows move:
 * the dataset keeps the rest, and the new set is the caller's. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clmlp.h"
#include "data/class_names.h"
#include "util/error.h"
#include "util/rng.h"

/* Shrinks *p to bytes; a failed shrink keeps the larger block, which is
 * still valid, so it is not an error. */
static void shrink(void **p, size_t bytes)
{
    if (!*p || bytes == 0) return;
    void *q = realloc(*p, bytes);
    if (q) *p = q;
}

/* A new dataset shaped as ds (its features, classes or targets, and a copy
 * of its class and target names) with room for n rows, into *out. */
static int init_like(const clmlp_dataset_t *ds, size_t n, clmlp_dataset_t **out)
{
    clmlp_dataset_t *v = NULL;
    CLMLP_TRY(clmlp_dataset_init(&v, n, ds->n_features, ds->labels ? ds->n_classes : 0,
                                 ds->targets ? ds->n_targets : 0));
    v->n_classes = ds->n_classes;
    v->n_targets = ds->n_targets;
    int rc = CLMLP_OK;
    if (ds->class_names)
        rc = clmlp_class_names_copy(&v->class_names, (const char *const *)ds->class_names,
                                    ds->n_classes);
    if (rc == CLMLP_OK && ds->target_names)
        rc = clmlp_class_names_copy(&v->target_names, (const char *const *)ds->target_names,
                                    ds->n_targets);
    if (rc != CLMLP_OK) {
        clmlp_dataset_free(v);
        return rc;
    }
    *out = v;
    return CLMLP_OK;
}

/* Shrinks ds's arrays to its first n_keep rows, which they now hold. */
static void keep_rows(clmlp_dataset_t *ds, size_t n_keep)
{
    shrink((void **)&ds->x, n_keep * ds->n_features * sizeof(float));
    if (ds->labels) shrink((void **)&ds->labels, n_keep * sizeof(int32_t));
    if (ds->targets) shrink((void **)&ds->targets, n_keep * ds->n_targets * sizeof(float));
    ds->n = n_keep;
}

/* Refuses a fraction outside (0,1), or n_val rows of n that leave a side
 * empty; who names the caller in the message. */
static int check_sides(const char *who, double fraction, size_t n, size_t n_val)
{
    if (!(fraction > 0.0 && fraction < 1.0))
        return clmlp_set_error(CLMLP_E_INVALID, "%s: fraction %g is not in (0, 1)", who, fraction);
    if (n_val < 1 || n_val >= n)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%s: %g of %zu rows leaves %zu for training and "
                               "%zu for validation; each side needs at least one row",
                               who, fraction, n, n - (n_val < n ? n_val : n), n_val);
    return CLMLP_OK;
}

/* Public (clmlp.h): moves the last rows of ds into *val (caller-owned);
 * on failure ds is unchanged and *val is NULL. */
int clmlp_dataset_split(clmlp_dataset_t *ds, double fraction, clmlp_dataset_t **val)
{
    if (val) *val = NULL;
    if (!ds || !val) return clmlp_set_error(CLMLP_E_INVALID, "dataset_split: NULL argument");
    /* Round to nearest; fraction < 1 and n fits a double exactly enough for
     * any row count a host can hold. */
    double want = fraction > 0.0 && fraction < 1.0 ? floor(fraction * (double)ds->n + 0.5) : 0;
    size_t n_val = want < 1.0 ? 0 : (size_t)want;
    CLMLP_TRY(check_sides("dataset_split", fraction, ds->n, n_val));
    size_t n_keep = ds->n - n_val;

    clmlp_dataset_t *v = NULL;
    CLMLP_TRY(init_like(ds, n_val, &v));
    /* init checked n_val * width for overflow; n_keep * width is smaller. */
    memcpy(v->x, ds->x + n_keep * ds->n_features, n_val * ds->n_features * sizeof(float));
    if (ds->labels) memcpy(v->labels, ds->labels + n_keep, n_val * sizeof(int32_t));
    if (ds->targets)
        memcpy(v->targets, ds->targets + n_keep * ds->n_targets,
               n_val * ds->n_targets * sizeof(float));
    keep_rows(ds, n_keep);
    *val = v;
    return CLMLP_OK;
}

/* ceil(fraction * n), the rows to hold out.  A decimal fraction is not
 * exact in binary, so the product can land a hair above a whole number
 * (0.07 * 100 gives 7.000000000000001) and a plain ceil would take one row
 * too many: a product within a few units in its last place of a whole
 * number is that number.  For 0.1 this is (n + 9) / 10, a tenth rounded
 * up, for every n (checked up to 2e8 and around 2^40). */
static size_t holdout_rows(double fraction, size_t n)
{
    double want = fraction * (double)n;
    double whole = floor(want + 0.5);
    if (fabs(want - whole) <= 4.0 * DBL_EPSILON * want) return (size_t)whole;
    double up = ceil(want);
    return up >= (double)n ? n : (size_t)up;
}

/* Public (clmlp.h): moves ceil(fraction * n) rows of ds, drawn by a
 * generator seeded with seed, into *val (caller-owned), both sides keeping
 * their order; on failure ds is unchanged and *val is NULL. */
int clmlp_dataset_holdout(clmlp_dataset_t *ds, double fraction, uint64_t seed,
                          clmlp_dataset_t **val)
{
    if (val) *val = NULL;
    if (!ds || !val) return clmlp_set_error(CLMLP_E_INVALID, "dataset_holdout: NULL argument");
    size_t n = ds->n, f = ds->n_features, nt = ds->n_targets;
    size_t n_val = fraction > 0.0 && fraction < 1.0 ? holdout_rows(fraction, n) : 0;
    CLMLP_TRY(check_sides("dataset_holdout", fraction, n, n_val));

    size_t *idx = calloc(n, sizeof *idx);
    unsigned char *held = calloc(n, 1);
    if (!idx || !held) {
        free(idx);
        free(held);
        return clmlp_set_error(CLMLP_E_NOMEM, "dataset_holdout: out of memory for %zu rows", n);
    }
    clmlp_rng r;
    clmlp_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) idx[i] = i;
    for (size_t i = 0; i < n_val; i++) { /* the first n_val of a Fisher-Yates shuffle */
        size_t j = i + (size_t)clmlp_rng_below(&r, n - i), tmp = idx[i];
        idx[i] = idx[j];
        idx[j] = tmp;
        held[idx[i]] = 1;
    }
    free(idx);
    clmlp_dataset_t *v = NULL;
    int rc = init_like(ds, n_val, &v);
    if (rc != CLMLP_OK) {
        free(held);
        return rc;
    }
    size_t kept = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t to = held[i] ? k++ : kept++;
        float *x = held[i] ? v->x : ds->x;
        int32_t *lab = held[i] ? v->labels : ds->labels;
        float *tg = held[i] ? v->targets : ds->targets;
        /* A kept row moves down (to <= i), so memmove. */
        memmove(x + to * f, ds->x + i * f, f * sizeof(float));
        if (ds->labels) lab[to] = ds->labels[i];
        if (ds->targets) memmove(tg + to * nt, ds->targets + i * nt, nt * sizeof(float));
    }
    free(held);
    keep_rows(ds, kept);
    *val = v;
    return CLMLP_OK;
}
