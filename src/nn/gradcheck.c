/* Gradient checking: backpropagation against central finite differences,
 * parameter by parameter and along one random direction over all of them
 * (kann's trick: cheap, and it catches wiring errors per-op checks miss).
 * Values move in double (clmlp_be_upload_f64/download_f64), so on the reference
 * backend the comparison is limited by the differences, not by float32. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"
#include "util/rng.h"

/* Gradients smaller than this are compared absolutely: |a - b| / FLOOR.
 * A central difference with h = 1e-5 in double carries roundoff of about
 * eps |L| / h ~ 2e-11 for losses of order 1 (truncation, h^2 |L'''| / 6, is
 * smaller), so a truly relative comparison of a gradient much below 1e-5
 * measures that noise, not a bug (seen: 2e-5 "relative" error on a 1e-7
 * gradient with a floor of 1e-9; with this floor the worst is 3.5e-7). */
#define GRADCHECK_FLOOR 1e-5

/* The batch's mean loss at the parameters now on the device, with the
 * dropout masks of the step whose gradient is checked. */
static int loss_now(clmlp_model_t *m, const clmlp_batch *b, double *loss)
{
    CLMLP_TRY(clmlp_model_metrics_reset(m));
    CLMLP_TRY(clmlp_model_forward(m, b, MODEL_TRAIN_AGAIN));
    CLMLP_TRY(clmlp_model_loss_backward(m, b, 0));
    return clmlp_model_metrics_read(m, loss, NULL, NULL);
}

/* |a - b| relative to the larger of the two, with the floor above. */
static double rel_error(double a, double b)
{
    double scale = fmax(fmax(fabs(a), fabs(b)), GRADCHECK_FLOOR);
    return fabs(a - b) / scale;
}

/* Sets one parameter (in double) on the device. */
static int set_param(clmlp_model_t *m, size_t j, double v)
{
    return clmlp_be_upload_f64(m->be, m->params, j, &v, 1);
}

int clmlp_gradcheck(clmlp_model_t *m, const clmlp_dataset_t *ds, double h, size_t max_params,
                    uint64_t seed, clmlp_gradcheck_result *res)
{
    if (!m || !m->be || !res)
        return clmlp_set_error(CLMLP_E_INVALID, "gradcheck needs a compiled model and a result");
    memset(res, 0, sizeof *res);
    if (h <= 0) h = 1e-5;
    size_t n = m->n_params;
    clmlp_dev_data dd;
    CLMLP_TRY(clmlp_dev_data_upload(m, ds, &dd));
    double *p0 = malloc(n * sizeof *p0), *g = malloc(n * sizeof *g), *u = malloc(n * sizeof *u);
    double *pu = malloc(n * sizeof *pu);
    int rc = (p0 && g && u && pu) ? CLMLP_OK
                                  : clmlp_set_error(CLMLP_E_NOMEM, "out of memory in gradcheck");
    clmlp_batch b;
    clmlp_model_slice_batch(m, &dd, 0, dd.n, &b);
    if (rc == CLMLP_OK) rc = clmlp_model_reserve(m, dd.n);
    if (rc == CLMLP_OK) rc = clmlp_be_download_f64(m->be, m->params, 0, p0, n);
    /* Backpropagated gradient of the mean loss over the whole set. */
    if (rc == CLMLP_OK) rc = clmlp_model_metrics_reset(m);
    if (rc == CLMLP_OK) rc = clmlp_model_forward(m, &b, MODEL_TRAIN);
    if (rc == CLMLP_OK) rc = clmlp_model_loss_backward(m, &b, 1);
    if (rc == CLMLP_OK) rc = clmlp_be_download_f64(m->be, m->grads, 0, g, n);

    clmlp_rng r;
    clmlp_rng_seed(&r, seed);
    size_t count = max_params && max_params < n ? max_params : n;
    for (size_t c = 0; rc == CLMLP_OK && c < count; c++) {
        size_t j = count == n ? c : (size_t)clmlp_rng_below(&r, n);
        double lp = 0, lm = 0;
        rc = set_param(m, j, p0[j] + h);
        if (rc == CLMLP_OK) rc = loss_now(m, &b, &lp);
        if (rc == CLMLP_OK) rc = set_param(m, j, p0[j] - h);
        if (rc == CLMLP_OK) rc = loss_now(m, &b, &lm);
        if (rc == CLMLP_OK) rc = set_param(m, j, p0[j]);
        if (rc != CLMLP_OK) break;
        double e = rel_error((lp - lm) / (2 * h), g[j]);
        if (!(e <= res->max_rel_error)) {
            res->max_rel_error = e;
            res->worst_index = j;
        }
        res->n_checked++;
    }

    /* One random direction over every parameter at once. */
    double dot = 0, lp = 0, lm = 0;
    for (size_t j = 0; rc == CLMLP_OK && j < n; j++) {
        u[j] = clmlp_rng_normal(&r);
        dot += g[j] * u[j];
    }
    for (int sgn = 1; rc == CLMLP_OK && sgn >= -1; sgn -= 2) {
        for (size_t j = 0; j < n; j++) pu[j] = p0[j] + sgn * h * u[j];
        rc = clmlp_be_upload_f64(m->be, m->params, 0, pu, n);
        if (rc == CLMLP_OK) rc = loss_now(m, &b, sgn > 0 ? &lp : &lm);
    }
    if (rc == CLMLP_OK) {
        res->directional_rel_error = rel_error((lp - lm) / (2 * h), dot);
        rc = clmlp_be_upload_f64(m->be, m->params, 0, p0, n);
    }
    clmlp_dev_data_free(m, &dd);
    free(p0);
    free(g);
    free(u);
    free(pu);
    return rc;
}
