/* Activations evaluated point by point on the reference backend: its
 * bias-and-activation op with no bias for f, and its activation backward
 * op with an incoming gradient of 1 for f' -- the functions every backend
 * is checked against, not a second copy of the formulas. */
#include <stdlib.h>

#include "backend/backend.h"
#include "clmlp.h"
#include "util/error.h"

int clmlp_act_eval(clmlp_act act, const double *x, size_t n, double *f, double *df)
{
    if ((unsigned)act >= CLMLP_ACT_COUNT || act == CLMLP_ACT_SOFTMAX)
        return clmlp_set_error(CLMLP_E_INVALID, "clmlp_act_eval: %s is not elementwise",
                               act == CLMLP_ACT_SOFTMAX ? "softmax" : "that activation");
    if (n == 0) return CLMLP_OK;
    if (!x || !f || !df) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_act_eval: no arrays");
    clmlp_backend_t *be = NULL;
    clmlp_backend_opts bo = {.kind = CLMLP_BACKEND_REF};
    CLMLP_TRY(clmlp_backend_init(&be, &bo));
    clmlp_buf *z = NULL, *y = NULL, *dy = NULL, *dz = NULL;
    double *ones = malloc(n * sizeof *ones);
    int rc = ones ? CLMLP_OK : clmlp_set_error(CLMLP_E_NOMEM, "clmlp_act_eval: out of memory");
    for (size_t i = 0; ones && i < n; i++) ones[i] = 1.0;
    if (!rc) rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, n, &z);
    if (!rc) rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, n, &y);
    if (!rc) rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, n, &dy);
    if (!rc) rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, n, &dz);
    if (!rc) rc = clmlp_be_upload_f64(be, z, 0, x, n);
    if (!rc) rc = clmlp_be_upload_f64(be, dy, 0, ones, n);
    /* n rows of one value: elementwise activations act on each alone. */
    if (!rc) rc = clmlp_be_bias_act_forward(be, act, n, 1, z, 0, NULL, 0, y, 0);
    if (!rc) rc = clmlp_be_act_backward(be, act, n, 1, z, 0, y, 0, dy, 0, dz, 0);
    if (!rc) rc = clmlp_be_download_f64(be, y, 0, f, n);
    if (!rc) rc = clmlp_be_download_f64(be, dz, 0, df, n);
    clmlp_be_buf_free(be, z);
    clmlp_be_buf_free(be, y);
    clmlp_be_buf_free(be, dy);
    clmlp_be_buf_free(be, dz);
    clmlp_backend_free(be);
    free(ones);
    return rc;
}
