/* The SGEMM ceiling of a backend, for benchmarks (clmlp.h). */
#include <stdlib.h>

#include "backend/backend.h"
#include "util/error.h"
#include "util/rng.h"
#include "util/timer.h"

int clmlp_backend_sgemm_gflops(clmlp_backend_t *be, size_t n, int repeats, double *gflops)
{
    if (!be || !gflops || n == 0 || repeats < 1)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "sgemm_gflops: needs a backend, n > 0 and a repeat");
    size_t nn = n * n;
    float *host = malloc(nn * sizeof *host);
    if (!host) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for a %zu x %zu matrix", n, n);
    clmlp_rng r;
    clmlp_rng_seed(&r, 2);
    for (size_t i = 0; i < nn; i++) host[i] = (float)clmlp_rng_uniform(&r);
    clmlp_buf *a = NULL, *b = NULL, *c = NULL;
    int rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, nn, &a);
    if (rc == CLMLP_OK) rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, nn, &b);
    if (rc == CLMLP_OK) rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, nn, &c);
    if (rc == CLMLP_OK) rc = clmlp_be_upload(be, a, 0, host, nn);
    if (rc == CLMLP_OK) rc = clmlp_be_upload(be, b, 0, host, nn);
    double best = 0.0;
    for (int i = 0; rc == CLMLP_OK && i <= repeats; i++) {
        rc = clmlp_be_synchronize(be);
        double t0 = clmlp_now();
        if (rc == CLMLP_OK)
            rc = clmlp_be_gemm(be, 0, 0, n, n, n, 1.0f, a, 0, n, b, 0, n, 0.0f, c, 0, n);
        if (rc == CLMLP_OK) rc = clmlp_be_synchronize(be);
        double t = clmlp_now() - t0;
        /* The first is a warm-up (kernels compiled, pages touched). */
        if (rc == CLMLP_OK && i > 0 && (best == 0.0 || t < best)) best = t;
    }
    clmlp_be_buf_free(be, a);
    clmlp_be_buf_free(be, b);
    clmlp_be_buf_free(be, c);
    free(host);
    if (rc == CLMLP_OK)
        *gflops = best > 0 ? 2.0 * (double)n * (double)n * (double)n / best / 1e9 : 0;
    return rc;
}
