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
    clk_mem(c, t ? t : y);
    clk_uint(c, t ? off_t : 0);
    clk_int(c, t != NULL);
    clk_mem(c, labels ? labels : y);
    clk_uint(c, labels ? off_labels : 0);
}

/* Finishes a one-work-group metric launch begun by the caller: appends the
 * metrics buffer and the group's local array, and launches. */
static int run_into_metric(clk_call *c, clmlp_buf *metrics)
{
    clk_mem(c, metrics);
    clk_local(c, c->wg * sizeof(cl_float));
    return clk_run_one_group(c);
}

/* Row losses summed into metrics[LOSS] (and the NaN/Inf flag) in one
 * launch, then the gradient scaled by `scale` into grad unless grad is NULL. */
int clmlp_cl_loss_grad(void *vctx, clmlp_loss loss, int fused, size_t rows, size_t cols,
                       const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                       const clmlp_buf *labels, size_t off_labels, float scale,
                       clmlp_buf *grad, size_t off_grad, clmlp_buf *metrics)
{
    clmlp_cl_ctx *ctx = vctx;
    if (rows == 0) return CLMLP_OK;

    clk_call c;
    clk_begin(&c, ctx, CLK_LOSS_INTO_METRIC);
    clk_int(&c, (int)loss);
    clk_uint(&c, rows);
    clk_uint(&c, cols);
    clk_mem(&c, y);
    clk_uint(&c, off_y);
    target_args(&c, y, t, off_t, labels, off_labels);
    CLMLP_TRY(run_into_metric(&c, metrics));
    if (!grad) return CLMLP_OK;

    clk_begin(&c, ctx, CLK_LOSS_GRAD);
    clk_int(&c, (int)loss);
    clk_int(&c, fused != 0);
    clk_uint(&c, rows);
    clk_uint(&c, cols);
    clk_mem(&c, y);
    clk_uint(&c, off_y);
    target_args(&c, y, t, off_t, labels, off_labels);
    clk_float(&c, scale);
    clk_mem(&c, grad);
    clk_uint(&c, off_grad);
    return clk_run_2d(&c, cols, rows);
}

/* Rows classified right, added to metrics[CORRECT] in one launch. */
int clmlp_cl_count_correct(void *vctx, size_t rows, size_t cols, const clmlp_buf *y,
                           size_t off_y, const clmlp_buf *t, size_t off_t,
                           const clmlp_buf *labels, size_t off_labels, clmlp_buf *metrics)
{
    clmlp_cl_ctx *ctx = vctx;
    if (rows == 0) return CLMLP_OK;

    clk_call c;
    clk_begin(&c, ctx, CLK_CORRECT_INTO_METRIC);
    clk_uint(&c, rows);
    clk_uint(&c, cols);
    clk_mem(&c, y);
    clk_uint(&c, off_y);
    target_args(&c, y, t, off_t, labels, off_labels);
    return run_into_metric(&c, metrics);
}

/* Sets metrics[NONFINITE] if any of x[off..off+n) is NaN or Inf. */
int clmlp_cl_nonfinite_check(void *vctx, const clmlp_buf *x, size_t off, size_t n,
                             clmlp_buf *metrics)
{
    clmlp_cl_ctx *ctx = vctx;
    clk_call c;
    clk_begin(&c, ctx, CLK_NONFINITE_CHECK);
    clk_uint(&c, n);
    clk_mem(&c, x);
    clk_uint(&c, off);
    clk_mem(&c, metrics);
    return clk_run(&c, n);
}
