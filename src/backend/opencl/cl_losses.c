/* Losses and metrics: loss plus gradient, accuracy counts and the NaN/Inf
 * flag, each accumulated into the metrics buffer on the device (kernels in
 * cl/losses.cl and cl/metrics.cl), so training needs no read-back per batch. */
#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* Checks cols > 0, y, and exactly one of t (rows x cols floats) or labels
 * (rows ints); want: 0 needs t, 1 needs labels, -1 takes either.  Labels
 * themselves are checked on the device (a bad one makes the loss NaN), as
 * reading them here would wait for the queue. */
static int check_targets(const char *op, size_t rows, size_t cols, size_t total,
                         const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                         const clmlp_buf *labels, size_t off_labels, int want)
{
    if (cols == 0) return clmlp_set_error(CLMLP_E_INVALID, "%s: outputs have 0 columns", op);
    CLMLP_TRY(clmlp_cl_check_range(y, CLMLP_BUF_F32, off_y, total, op, "y"));
    if (!t == !labels)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%s: pass exactly one of targets t and labels (%s given)", op,
                               t ? "both" : "neither");
    if (want == 0 && !t)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: this loss needs targets t, not labels", op);
    if (want == 1 && !labels)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: this loss needs labels, not targets t", op);
    if (t) return clmlp_cl_check_range(t, CLMLP_BUF_F32, off_t, total, op, "t");
    return clmlp_cl_check_range(labels, CLMLP_BUF_I32, off_labels, rows, op, "labels");
}

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
    clk_local(c, c->ctx->kernel_wg[c->id] * sizeof(cl_float));
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
    const char *op = "loss_grad";
    size_t total = 0;
    if ((unsigned)loss >= CLMLP_LOSS_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: unknown loss %d", op, (int)loss);
    if (fused && loss == CLMLP_LOSS_MSE)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%s: mean squared error has no fused gradient (only "
                               "cross-entropy with softmax or sigmoid does)",
                               op);
    CLMLP_TRY(clmlp_cl_elems(rows, cols, op, &total));
    CLMLP_TRY(check_targets(op, rows, cols, total, y, off_y, t, off_t, labels, off_labels,
                            loss == CLMLP_LOSS_SPARSE_CCE));
    CLMLP_TRY(clmlp_cl_check_metrics(metrics, op));
    if (grad) {
        CLMLP_TRY(clmlp_cl_check_range(grad, CLMLP_BUF_F32, off_grad, total, op, "grad"));
        if (clmlp_cl_overlap(grad, off_grad, total, y, off_y, total))
            return clmlp_cl_overlap_error(op, "grad", "y");
        if (t && clmlp_cl_overlap(grad, off_grad, total, t, off_t, total))
            return clmlp_cl_overlap_error(op, "grad", "t");
        if (clmlp_cl_overlap(grad, off_grad, total, metrics, 0, CLMLP_METRIC_COUNT))
            return clmlp_cl_overlap_error(op, "grad", "metrics");
    }
    if (total == 0) return CLMLP_OK;

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
    const char *op = "count_correct";
    size_t total = 0;
    CLMLP_TRY(clmlp_cl_elems(rows, cols, op, &total));
    CLMLP_TRY(check_targets(op, rows, cols, total, y, off_y, t, off_t, labels, off_labels, -1));
    CLMLP_TRY(clmlp_cl_check_metrics(metrics, op));
    if (total == 0) return CLMLP_OK;

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
    const char *op = "nonfinite_check";
    CLMLP_TRY(clmlp_cl_check_range(x, CLMLP_BUF_F32, off, n, op, "x"));
    CLMLP_TRY(clmlp_cl_check_metrics(metrics, op));
    clk_call c;
    clk_begin(&c, ctx, CLK_NONFINITE_CHECK);
    clk_uint(&c, n);
    clk_mem(&c, x);
    clk_uint(&c, off);
    clk_mem(&c, metrics);
    return clk_run(&c, n);
}
