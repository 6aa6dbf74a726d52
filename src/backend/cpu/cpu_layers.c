/* The cpu backend's layer ops: bias + activation in one pass, the
 * activation's backward pass, the bias gradient and dropout, each split by
 * rows (or columns, or ranges) over the threads when the batch is large
 * enough; and user-defined layers, whose float code runs as one call. */
#include "backend/cpu/cpu_internal.h"
#include "util/error.h"

/* Columns of dz one bias-gradient block sums into a double array on the
 * stack (2 KB), so nothing is allocated. */
#define BIAS_BLOCK 256

int clmlp_cpu_bias_act_forward(void *vctx, clmlp_act act, size_t rows, size_t cols, clmlp_buf *z,
                               size_t off_z, const clmlp_buf *bias, size_t off_bias, clmlp_buf *y,
                               size_t off_y)
{
    cpu_ctx *ctx = vctx;
    float *Z = cpu_f(z) + off_z, *Y = cpu_f(y) + off_y;
    const float *B = bias ? cpu_f(bias) + off_bias : NULL;
    cpu_split s = cpu_split_loop(ctx, rows * cols, rows);
#pragma omp parallel for num_threads(s.team) if (s.team > 1) schedule(static)
    for (int t = 0; t < s.parts; t++) {
        size_t a, b;
        cpu_part(rows, t, s.parts, &a, &b);
        clmlp_cpu_bias_act_rows(act, b - a, cols, Z + a * cols, B, Y + a * cols);
    }
    return CLMLP_OK;
}

int clmlp_cpu_act_backward(void *vctx, clmlp_act act, size_t rows, size_t cols, const clmlp_buf *z,
                           size_t off_z, const clmlp_buf *y, size_t off_y, const clmlp_buf *dy,
                           size_t off_dy, clmlp_buf *dz, size_t off_dz)
{
    cpu_ctx *ctx = vctx;
    const float *Z = cpu_f(z) + off_z, *Y = cpu_f(y) + off_y, *DY = cpu_f(dy) + off_dy;
    float *DZ = cpu_f(dz) + off_dz;
    cpu_split s = cpu_split_loop(ctx, rows * cols, rows);
#pragma omp parallel for num_threads(s.team) if (s.team > 1) schedule(static)
    for (int t = 0; t < s.parts; t++) {
        size_t a, b;
        cpu_part(rows, t, s.parts, &a, &b);
        size_t o = a * cols;
        clmlp_cpu_act_backward_rows(act, b - a, cols, Z + o, Y + o, DY + o, DZ + o);
    }
    return CLMLP_OK;
}

/* db[j] = sum over rows of dz[r][j], summed in double like the reference,
 * a block of columns at a time (blocks split over the threads). */
int clmlp_cpu_bias_grad(void *vctx, size_t rows, size_t cols, const clmlp_buf *dz, size_t off_dz,
                        clmlp_buf *db, size_t off_db)
{
    cpu_ctx *ctx = vctx;
    const float *DZ = cpu_f(dz) + off_dz;
    float *DB = cpu_f(db) + off_db;
    size_t blocks = (cols + BIAS_BLOCK - 1) / BIAS_BLOCK;
    cpu_split s = cpu_split_loop(ctx, rows * cols, blocks);
#pragma omp parallel for num_threads(s.team) if (s.team > 1) schedule(static)
    for (size_t blk = 0; blk < blocks; blk++) {
        size_t j0 = blk * BIAS_BLOCK, w = cols - j0 < BIAS_BLOCK ? cols - j0 : BIAS_BLOCK;
        double acc[BIAS_BLOCK] = {0};
        clmlp_cpu_bias_grad_cols(rows, w, cols, DZ + j0, acc);
        for (size_t j = 0; j < w; j++) DB[j0 + j] = (float)acc[j];
    }
    return CLMLP_OK;
}

/* Dropout over n values, in equal ranges over the threads: each value's
 * mask depends on its index alone, so the split changes nothing. */
int clmlp_cpu_dropout(void *vctx, size_t n, const clmlp_buf *in, size_t off_in, clmlp_buf *out,
                      size_t off_out, uint32_t threshold, float scale, uint64_t seed)
{
    cpu_ctx *ctx = vctx;
    const float *X = cpu_f(in) + off_in;
    float *Y = cpu_f(out) + off_out;
    cpu_split s = cpu_split_loop(ctx, n, n);
#pragma omp parallel for num_threads(s.team) if (s.team > 1) schedule(static)
    for (int t = 0; t < s.parts; t++) {
        size_t a, b;
        cpu_part(n, t, s.parts, &a, &b);
        /* Index i of the op is X[i]: the ranges index from the op's start. */
        clmlp_cpu_dropout_range(a, b, X, Y, threshold, scale, seed);
    }
    return CLMLP_OK;
}

/* The kind's float arguments for call c, pointing straight into the
 * buffers (dy, dx and the gradients only when backward). */
static clmlp_layer_args_f32 custom_args(const clmlp_custom_call *c, int backward)
{
    clmlp_layer_args_f32 a = {.rows = c->rows,
                              .in = c->in,
                              .out = c->out,
                              .config = c->config,
                              .x = cpu_f(c->x) + c->x_off};
    if (!backward) a.y = cpu_f(c->y) + c->y_off;
    if (backward) a.dy = cpu_f(c->dy) + c->dy_off;
    if (backward && c->dx) a.dx = cpu_f(c->dx) + c->dx_off;
    for (size_t k = 0; k < c->n_tensors; k++) {
        a.p[k] = cpu_f(c->params) + c->p_off[k];
        if (backward) a.dp[k] = cpu_f(c->grads) + c->p_off[k];
    }
    return a;
}

/* The kind's forward_f32 on the call's operands. */
int clmlp_cpu_custom_forward(void *vctx, const clmlp_custom_call *c)
{
    (void)vctx;
    if (!c->kind->forward_f32)
        return clmlp_set_error(CLMLP_E_UNSUPPORTED, "custom layer '%s' has no forward_f32",
                               c->kind->name);
    clmlp_layer_args_f32 a = custom_args(c, 0);
    return c->kind->forward_f32(&a);
}

/* The kind's backward_f32: dx (if asked for) and every tensor's gradient. */
int clmlp_cpu_custom_backward(void *vctx, const clmlp_custom_call *c)
{
    (void)vctx;
    if (!c->kind->backward_f32)
        return clmlp_set_error(CLMLP_E_UNSUPPORTED, "custom layer '%s' has no backward_f32",
                               c->kind->name);
    clmlp_layer_args_f32 a = custom_args(c, 1);
    return c->kind->backward_f32(&a);
}
