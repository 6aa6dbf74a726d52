/* The cpu backend's optimizer steps: one pass over the whole packed
 * parameter buffer, split into equal ranges over the threads. */
#include "backend/cpu/cpu_internal.h"
#include "util/error.h"

int clmlp_cpu_sgd_update(void *vctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                         clmlp_buf *vel, float lr, float momentum, int nesterov, float l2)
{
    cpu_ctx *ctx = vctx;
    float *W = cpu_f(w), *V = momentum != 0.0f ? cpu_f(vel) : NULL;
    const float *G = cpu_f(grad);
    cpu_split s = cpu_split_loop(ctx, n, n);
#pragma omp parallel for num_threads(s.team) if (s.team > 1) schedule(static)
    for (int k = 0; k < s.parts; k++) {
        size_t a, b;
        cpu_part(n, k, s.parts, &a, &b);
        clmlp_cpu_sgd_range(a, b, n_decay, W, G, V, lr, momentum, nesterov, l2);
    }
    return CLMLP_OK;
}

int clmlp_cpu_adam_update(void *vctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                          clmlp_buf *m, clmlp_buf *v, float lr_t, float beta1, float beta2,
                          float eps, float l2)
{
    cpu_ctx *ctx = vctx;
    float *W = cpu_f(w), *M = cpu_f(m), *V = cpu_f(v);
    const float *G = cpu_f(grad);
    cpu_split s = cpu_split_loop(ctx, n, n);
#pragma omp parallel for num_threads(s.team) if (s.team > 1) schedule(static)
    for (int k = 0; k < s.parts; k++) {
        size_t a, b;
        cpu_part(n, k, s.parts, &a, &b);
        clmlp_cpu_adam_range(a, b, n_decay, W, G, M, V, lr_t, beta1, beta2, eps, l2);
    }
    return CLMLP_OK;
}
