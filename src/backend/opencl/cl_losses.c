/* Losses and metrics: loss plus gradient, accuracy counts and the NaN/Inf
 * flag, each accumulated into the metrics buffer on the device (kernels in
 * cl/losses.cl and cl/metrics.cl), so training needs no read-back per batch.
 * Arguments arrive checked (backend_check.c); the labels themselves are
 * checked on the device (a bad one makes the loss NaN), as reading them
 * here would wait for the queue. */
#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* Appends the (t, off_t, has_t, labels, off_labels) kernel arguments; the
 * absent one is replaced by y's buffer, which the kernels never read then. */
static void target_args(clk_call *c, const clmlp_buf *y, const clmlp_buf *t, size_t off_t,
                        const clmlp_buf *labels, size_t off_labels)
{
    clmlp_clk_mem(c, t ? t : y);
    clmlp_clk_uint(c, t ? off_t : 0);
    clmlp_clk_int(c, t != NULL);
    clmlp_clk_mem(c, labels ? labels : y);
    clmlp_clk_uint(c, labels ? off_labels : 0);
}

/* Finishes a one-work-group metric launch begun by the caller: appends the
 * metrics buffer and the group's local array, and launches. */
static int run_into_metric(clk_call *c, clmlp_buf *metrics)
{
    clmlp_clk_mem(c, metrics);
    clmlp_clk_local(c, c->wg * sizeof(cl_float));
    return clmlp_clk_run_one_group(c);
}

/* Row losses summed into metrics[LOSS] (and the NaN/Inf flag) in one
 * launch, then the gradient scaled by `scale` into grad unless grad is NULL. */
int clmlp_cl_loss_grad(void *vctx, clmlp_loss loss, int fused, size_t rows, size_t cols,
                       const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                       const clmlp_buf *labels, size_t off_labels, float scale, clmlp_buf *grad,
                       size_t off_grad, clmlp_buf *metrics)
{
    clmlp_cl_ctx *ctx = vctx;
    if (rows == 0) return CLMLP_OK;

    clk_call c;
    clmlp_clk_begin(&c, ctx, CLK_LOSS_INTO_METRIC);
    clmlp_clk_int(&c, (int)loss);
    clmlp_clk_uint(&c, rows);
    clmlp_clk_uint(&c, cols);
    clmlp_clk_mem(&c, y);
    clmlp_clk_uint(&c, off_y);
    target_args(&c, y, t, off_t, labels, off_labels);
    CLMLP_TRY(run_into_metric(&c, metrics));
    if (!grad) return CLMLP_OK;

    clmlp_clk_begin(&c, ctx, CLK_LOSS_GRAD);
    clmlp_clk_int(&c, (int)loss);
    clmlp_clk_int(&c, fused != 0);
    clmlp_clk_uint(&c, rows);
    clmlp_clk_uint(&c, cols);
    clmlp_clk_mem(&c, y);
    clmlp_clk_uint(&c, off_y);
    target_args(&c, y, t, off_t, labels, off_labels);
    clmlp_clk_float(&c, scale);
    clmlp_clk_mem(&c, grad);
    clmlp_clk_uint(&c, off_grad);
    return clmlp_clk_run_2d(&c, cols, rows);
}

/* Rows classified right, added to metrics[CORRECT] in one launch. */
int clmlp_cl_count_correct(void *vctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                           const clmlp_buf *t, size_t off_t, const clmlp_buf *labels,
                           size_t off_labels, clmlp_buf *metrics)
{
    clmlp_cl_ctx *ctx = vctx;
    if (rows == 0) return CLMLP_OK;

    clk_call c;
    clmlp_clk_begin(&c, ctx, CLK_CORRECT_INTO_METRIC);
    clmlp_clk_uint(&c, rows);
    clmlp_clk_uint(&c, cols);
    clmlp_clk_mem(&c, y);
    clmlp_clk_uint(&c, off_y);
    target_args(&c, y, t, off_t, labels, off_labels);
    return run_into_metric(&c, metrics);
}

/* Each row's mean |y - t|, added to metrics[ABS_ERROR] in one launch. */
int clmlp_cl_abs_error(void *vctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                       const clmlp_buf *t, size_t off_t, clmlp_buf *metrics)
{
    clmlp_cl_ctx *ctx = vctx;
    if (rows == 0) return CLMLP_OK;
    clk_call c;
    clmlp_clk_begin(&c, ctx, CLK_ABS_ERROR_INTO_METRIC);
    clmlp_clk_uint(&c, rows);
    clmlp_clk_uint(&c, cols);
    clmlp_clk_mem(&c, y);
    clmlp_clk_uint(&c, off_y);
    clmlp_clk_mem(&c, t);
    clmlp_clk_uint(&c, off_t);
    return run_into_metric(&c, metrics);
}

/* Sets metrics[NONFINITE] if any of x[off..off+n) is NaN or Inf. */
int clmlp_cl_nonfinite_check(void *vctx, const clmlp_buf *x, size_t off, size_t n,
                             clmlp_buf *metrics)
{
    clmlp_cl_ctx *ctx = vctx;
    clk_call c;
    clmlp_clk_begin(&c, ctx, CLK_NONFINITE_CHECK);
    clmlp_clk_uint(&c, n);
    clmlp_clk_mem(&c, x);
    clmlp_clk_uint(&c, off);
    clmlp_clk_mem(&c, metrics);
    return clmlp_clk_run(&c, n);
}
