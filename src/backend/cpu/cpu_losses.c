/* The cpu backend's losses and metrics: each row's loss and its gradient
 * in one pass (softmax or sigmoid with cross-entropy fused into y - t),
 * the accuracy count and the NaN/Inf flag, added into the metrics buffer.
 * Rows are split over threads in static chunks whose partial sums are
 * added in chunk order, so the result does not depend on timing. */
#include <math.h>

#include "backend/backend_check.h"
#include "backend/cpu/cpu_internal.h"
#include "util/error.h"

int clmlp_cpu_loss_grad(void *vctx, clmlp_loss loss, int fused, size_t rows, size_t cols,
                        const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                        const clmlp_buf *labels, size_t off_labels, float scale, clmlp_buf *grad,
                        size_t off_grad, clmlp_buf *metrics)
{
    cpu_ctx *ctx = vctx;
    const int32_t *L = labels ? cpu_i(labels) + off_labels : NULL;
    if (loss == CLMLP_LOSS_SPARSE_CCE)
        CLMLP_TRY(clmlp_check_labels_in_range("loss_grad", L, rows, cols));
    const float *Y = cpu_f(y) + off_y, *T = t ? cpu_f(t) + off_t : NULL;
    float *G = grad ? cpu_f(grad) + off_grad : NULL;
    double part[CPU_MAX_THREADS];
    cpu_split s = cpu_split_loop(ctx, rows * cols, rows);
#pragma omp parallel for num_threads(s.team) if (s.team > 1) schedule(static)
    for (int k = 0; k < s.parts; k++) {
        size_t a, b;
        cpu_part(rows, k, s.parts, &a, &b);
        part[k] =
            clmlp_cpu_loss_rows(loss, fused, b - a, cols, Y + a * cols, T ? T + a * cols : NULL,
                                L ? L + a : NULL, scale, G ? G + a * cols : NULL);
    }
    double total = 0.0;
    for (int k = 0; k < s.parts; k++) total += part[k];
    float *M = cpu_f(metrics);
    M[CLMLP_METRIC_LOSS] += (float)total;
    if (!isfinite(total)) M[CLMLP_METRIC_NONFINITE] = 1.0f;
    return CLMLP_OK;
}

int clmlp_cpu_count_correct(void *vctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                            const clmlp_buf *t, size_t off_t, const clmlp_buf *labels,
                            size_t off_labels, clmlp_buf *metrics)
{
    cpu_ctx *ctx = vctx;
    const int32_t *L = labels ? cpu_i(labels) + off_labels : NULL;
    /* A single output is a binary classifier, whose labels are 0 and 1. */
    if (L) CLMLP_TRY(clmlp_check_labels_in_range("count_correct", L, rows, cols > 1 ? cols : 2));
    const float *Y = cpu_f(y) + off_y, *T = t ? cpu_f(t) + off_t : NULL;
    size_t part[CPU_MAX_THREADS];
    cpu_split s = cpu_split_loop(ctx, rows * cols, rows);
#pragma omp parallel for num_threads(s.team) if (s.team > 1) schedule(static)
    for (int k = 0; k < s.parts; k++) {
        size_t a, b;
        cpu_part(rows, k, s.parts, &a, &b);
        part[k] = clmlp_cpu_correct_rows(b - a, cols, Y + a * cols, T ? T + a * cols : NULL,
                                         L ? L + a : NULL);
    }
    size_t correct = 0;
    for (int k = 0; k < s.parts; k++) correct += part[k];
    cpu_f(metrics)[CLMLP_METRIC_CORRECT] += (float)correct;
    return CLMLP_OK;
}

int clmlp_cpu_abs_error(void *vctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                        const clmlp_buf *t, size_t off_t, clmlp_buf *metrics)
{
    cpu_ctx *ctx = vctx;
    const float *Y = cpu_f(y) + off_y, *T = cpu_f(t) + off_t;
    double part[CPU_MAX_THREADS];
    cpu_split s = cpu_split_loop(ctx, rows * cols, rows);
#pragma omp parallel for num_threads(s.team) if (s.team > 1) schedule(static)
    for (int k = 0; k < s.parts; k++) {
        size_t a, b;
        cpu_part(rows, k, s.parts, &a, &b);
        part[k] = clmlp_cpu_abs_error_rows(b - a, cols, Y + a * cols, T + a * cols);
    }
    double total = 0.0;
    for (int k = 0; k < s.parts; k++) total += part[k];
    cpu_f(metrics)[CLMLP_METRIC_ABS_ERROR] += (float)total;
    return CLMLP_OK;
}

int clmlp_cpu_nonfinite_check(void *vctx, const clmlp_buf *x, size_t off, size_t n,
                              clmlp_buf *metrics)
{
    cpu_ctx *ctx = vctx;
    const float *X = cpu_f(x) + off;
    int bad = 0;
    cpu_split s = cpu_split_loop(ctx, n, n);
#pragma omp parallel for num_threads(s.team) if (s.team > 1) schedule(static) reduction(| : bad)
    for (int k = 0; k < s.parts; k++) {
        size_t a, b;
        cpu_part(n, k, s.parts, &a, &b);
        bad |= clmlp_cpu_any_nonfinite(X + a, b - a);
    }
    if (bad) cpu_f(metrics)[CLMLP_METRIC_NONFINITE] = 1.0f;
    return CLMLP_OK;
}
