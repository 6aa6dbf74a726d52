/* Scores of a model's predictions after an epoch, for
 * clmlp_fit_opts.metrics: the set is predicted on the device in chunks,
 * its outputs copied to the host, and scored there as eval scores them (a
 * classifier's macro precision, recall and F1, and the ROC AUC of a single
 * output; a regression model's RMSE and R^2). */
#include <math.h>
#include <stdlib.h>

#include "train/train.h"
#include "util/error.h"

/* Rows predicted at a time: the outputs of a chunk sit on the host. */
#define CHUNK 4096

/* The class a row of k outputs predicts: the argmax, or 1 when a single
 * output is above 0.5 (as accuracy counts it). */
static int32_t predicted_class(const float *y, size_t k)
{
    if (k == 1) return y[0] > 0.5f;
    size_t best = 0;
    for (size_t j = 1; j < k; j++)
        if (y[j] > y[best]) best = j;
    return (int32_t)best;
}

/* The true class of row i: its label, or the largest of its one-hot
 * targets (or the single target above 0.5). */
static int32_t true_class(const clmlp_dataset_t *ds, size_t i)
{
    if (ds->labels) return ds->labels[i];
    return predicted_class(ds->targets + i * ds->n_targets, ds->n_targets);
}

/* Scores a classifier's outputs y (n x k) against ds into the six
 * doubles at out (precision, recall, f1, auc, rmse, r2). */
static int score_classes(const clmlp_model_t *m, const clmlp_dataset_t *ds, const float *y,
                         size_t k, double *out)
{
    size_t n = ds->n, classes = clmlp_model_n_classes(m);
    int32_t *truth = malloc(2 * n * sizeof *truth);
    if (!truth) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory scoring %zu rows", n);
    int32_t *pred = truth + n;
    for (size_t i = 0; i < n; i++) {
        truth[i] = true_class(ds, i);
        pred[i] = predicted_class(y + i * k, k);
    }
    clmlp_class_report_t *r = NULL;
    int rc = clmlp_class_report_init(&r, truth, pred, n, classes);
    /* A row the report cannot take leaves the scores undefined (NaN). */
    if (rc == CLMLP_E_INVALID) rc = CLMLP_OK;
    if (r) {
        out[0] = r->macro_avg.precision;
        out[1] = r->macro_avg.recall;
        out[2] = r->macro_avg.f1;
        /* Undefined with one class present: it stays NaN. */
        if (k == 1 && clmlp_roc_auc(truth, y, n, &out[3]) != CLMLP_OK) out[3] = NAN;
    }
    clmlp_class_report_free(r);
    free(truth);
    return rc;
}

int clmlp_fit_metrics(clmlp_model_t *m, const clmlp_dataset_t *ds, int val, clmlp_epoch_stats *s)
{
    size_t n = ds->n, k = clmlp_model_n_outputs(m);
    float *y = malloc(n * k * sizeof *y);
    if (!y) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for %zu predictions", n * k);
    int rc = CLMLP_OK;
    for (size_t start = 0; rc == CLMLP_OK && start < n; start += CHUNK) {
        size_t rows = n - start < CHUNK ? n - start : CHUNK;
        rc = clmlp_model_predict(m, ds->x + start * ds->n_features, rows, y + start * k);
    }
    double v[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
    if (rc == CLMLP_OK && m->task == CLMLP_TASK_REGRESSION) {
        clmlp_regression_report_t *r = NULL;
        rc = clmlp_regression_report_init(&r, ds->targets, y, n, k);
        /* Predictions that overflowed leave the scores undefined (NaN). */
        if (rc == CLMLP_E_INVALID) rc = CLMLP_OK;
        if (r) {
            v[4] = r->overall.rmse;
            v[5] = r->overall.r2;
        }
        clmlp_regression_report_free(r);
    } else if (rc == CLMLP_OK) {
        rc = score_classes(m, ds, y, k, v);
    }
    free(y);
    if (rc != CLMLP_OK) return rc;
    double *to[6] = {&s->precision, &s->recall, &s->f1, &s->auc, &s->rmse, &s->r2};
    double *to_val[6] = {&s->val_precision, &s->val_recall, &s->val_f1,
                         &s->val_auc,       &s->val_rmse,   &s->val_r2};
    for (size_t j = 0; j < 6; j++) *(val ? to_val[j] : to[j]) = v[j];
    return CLMLP_OK;
}
