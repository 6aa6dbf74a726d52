/* Datasets in host memory: allocation, class names, the XOR teaching set
 * and a synthetic set for timing.  The readers (csv_reader.c, idx_reader.c)
 * and the splits (split.c) build the same struct, so everything here frees
 * with plain free(). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "clmlp.h"
#include "data/class_names.h"
#include "util/error.h"
#include "util/rng.h"

/* a * b into *out; returns 0 when the product does not fit a size_t. */
static int mul_fits(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

/* calloc of count elements of size bytes, with the product checked. */
static void *calloc_checked(size_t count, size_t size)
{
    size_t bytes;
    if (!mul_fits(count, size, &bytes)) return NULL;
    return calloc(count, size);
}

/* Public (clmlp.h): a zero-filled dataset; the caller owns *out. */
int clmlp_dataset_init(clmlp_dataset_t **out, size_t n, size_t n_features, size_t n_classes,
                       size_t n_targets)
{
    if (!out) return clmlp_set_error(CLMLP_E_INVALID, "dataset_init: out is NULL");
    *out = NULL;
    if (n == 0 || n_features == 0)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "dataset_init: %zu rows of %zu features: both must be > 0", n,
                               n_features);
    /* Labels are int32, so every class index must fit one. */
    if (n_classes > (size_t)INT32_MAX)
        return clmlp_set_error(CLMLP_E_INVALID, "dataset_init: %zu classes is too many", n_classes);
    size_t nx, nt, bytes;
    if (!mul_fits(n, n_features, &nx) || !mul_fits(nx, sizeof(float), &bytes) ||
        !mul_fits(n, n_targets, &nt) || !mul_fits(nt, sizeof(float), &bytes))
        return clmlp_set_error(CLMLP_E_NOMEM,
                               "dataset_init: %zu rows x %zu features (%zu targets) overflows", n,
                               n_features, n_targets);

    clmlp_dataset_t *ds = calloc(1, sizeof *ds);
    if (!ds) return clmlp_set_error(CLMLP_E_NOMEM, "dataset_init: out of memory");
    ds->n = n;
    ds->n_features = n_features;
    ds->n_classes = n_classes;
    ds->n_targets = n_targets;
    ds->x = calloc_checked(nx, sizeof(float));
    if (n_classes > 0) ds->labels = calloc_checked(n, sizeof(int32_t));
    if (n_targets > 0) ds->targets = calloc_checked(nt, sizeof(float));
    if (!ds->x || (n_classes > 0 && !ds->labels) || (n_targets > 0 && !ds->targets)) {
        clmlp_dataset_free(ds);
        return clmlp_set_error(CLMLP_E_NOMEM,
                               "dataset_init: out of memory for %zu rows x %zu features", n,
                               n_features);
    }
    *out = ds;
    return CLMLP_OK;
}

/* Public (clmlp.h): frees ds and its arrays; NULL does nothing. */
void clmlp_dataset_free(clmlp_dataset_t *ds)
{
    if (!ds) return;
    free(ds->x);
    free(ds->labels);
    free(ds->targets);
    clmlp_class_names_free(ds->class_names, ds->n_classes);
    clmlp_class_names_free(ds->target_names, ds->n_targets);
    free(ds);
}

/* Public (clmlp.h): copies n names into ds, replacing its own. */
int clmlp_dataset_set_class_names(clmlp_dataset_t *ds, const char *const *names, size_t n)
{
    if (!ds) return clmlp_set_error(CLMLP_E_INVALID, "dataset_set_class_names: no dataset");
    if (n != 0 && n != ds->n_classes)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "dataset_set_class_names: %zu names for %zu classes", n,
                               ds->n_classes);
    CLMLP_TRY(clmlp_class_names_check(names, n, "dataset_set_class_names"));
    char **copy = NULL;
    CLMLP_TRY(clmlp_class_names_copy(&copy, names, n));
    clmlp_class_names_free(ds->class_names, ds->n_classes);
    ds->class_names = copy;
    return CLMLP_OK;
}

/* The z-score parameters of the f columns of a (n rows, row-major): each
 * column's mean and population standard deviation; a constant column
 * gets mean 0 and scale 1. */
static void column_standardization(const float *a, size_t n, size_t f, double *mean, double *scale)
{
    for (size_t j = 0; j < f; j++) mean[j] = scale[j] = 0.0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < f; j++) mean[j] += a[i * f + j];
    for (size_t j = 0; j < f; j++) mean[j] /= (double)n;
    /* The squared deviations from the mean, summed in a second pass (no
     * cancellation of large values against each other). */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < f; j++) {
            double d = a[i * f + j] - mean[j];
            scale[j] += d * d;
        }
    for (size_t j = 0; j < f; j++) {
        scale[j] = sqrt(scale[j] / (double)n);
        /* Constant, or so close to it that dividing would amplify the
         * rounding of the mean: left as it is. */
        if (!(scale[j] > 1e-12 * (fabs(mean[j]) > 1.0 ? fabs(mean[j]) : 1.0))) {
            mean[j] = 0.0;
            scale[j] = 1.0;
        }
    }
}

int clmlp_dataset_standardization(const clmlp_dataset_t *ds, double *mean, double *scale)
{
    if (!ds || !mean || !scale)
        return clmlp_set_error(CLMLP_E_INVALID, "dataset_standardization: NULL argument");
    if (ds->n == 0)
        return clmlp_set_error(CLMLP_E_INVALID, "dataset_standardization: the set has no rows");
    column_standardization(ds->x, ds->n, ds->n_features, mean, scale);
    return CLMLP_OK;
}

int clmlp_dataset_target_standardization(const clmlp_dataset_t *ds, double *mean, double *scale)
{
    if (!ds || !mean || !scale)
        return clmlp_set_error(CLMLP_E_INVALID, "dataset_target_standardization: NULL argument");
    if (ds->n == 0 || !ds->targets)
        return clmlp_set_error(CLMLP_E_INVALID, "dataset_target_standardization: the set has %s",
                               ds->n ? "no float targets" : "no rows");
    column_standardization(ds->targets, ds->n, ds->n_targets, mean, scale);
    return CLMLP_OK;
}

/* Public (clmlp.h): the four XOR rows with labels and 0/1 targets. */
int clmlp_dataset_xor(clmlp_dataset_t **out)
{
    static const float x[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    static const int32_t y[4] = {0, 1, 1, 0};
    clmlp_dataset_t *ds = NULL;
    CLMLP_TRY(clmlp_dataset_init(&ds, 4, 2, 2, 1));
    for (size_t i = 0; i < 4; i++) {
        ds->x[2 * i] = x[i][0];
        ds->x[2 * i + 1] = x[i][1];
        ds->labels[i] = y[i];
        ds->targets[i] = (float)y[i];
    }
    *out = ds;
    return CLMLP_OK;
}

int clmlp_dataset_synthetic(size_t rows, size_t features, size_t classes, uint64_t seed,
                            clmlp_dataset_t **out)
{
    if (!out) return clmlp_set_error(CLMLP_E_INVALID, "dataset_synthetic: out is NULL");
    *out = NULL;
    if (classes < 2)
        return clmlp_set_error(CLMLP_E_INVALID, "dataset_synthetic: %zu classes (at least 2)",
                               classes);
    CLMLP_TRY(clmlp_dataset_init(out, rows, features, classes, 0));
    clmlp_rng rng;
    clmlp_rng_seed(&rng, seed);
    /* Eight bytes of one draw at a time: the benchmarks' set is 47 M values,
     * and start-up is measured on it. */
    float *x = (*out)->x;
    size_t n = rows * features;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t bits = clmlp_rng_next(&rng);
        for (size_t k = 0; k < 8 && i + k < n; k++, bits >>= 8)
            x[i + k] = (float)(bits & 0xffu) / 255.0f;
    }
    for (size_t i = 0; i < rows; i++) (*out)->labels[i] = (int32_t)clmlp_rng_below(&rng, classes);
    return CLMLP_OK;
}
