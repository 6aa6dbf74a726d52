/* Layer ops: bias add fused with the activation, the activation's backward
 * pass and the bias gradient (kernels in cl/layers.cl), and dropout
 * (cl/dropout.cl).  The arguments arrive checked (backend_check.c); counts
 * fit the kernels' 32 bits because every buffer does. */
#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* z += bias, y = act(z): elementwise, or softmax row by row. */
int clmlp_cl_bias_act_forward(void *vctx, clmlp_act act, size_t rows, size_t cols, clmlp_buf *z,
                              size_t off_z, const clmlp_buf *bias, size_t off_bias, clmlp_buf *y,
                              size_t off_y)
{
    clmlp_cl_ctx *ctx = vctx;
    size_t total = rows * cols;
    if (total == 0) return CLMLP_OK;
    clk_call c;
    /* One kernel per activation, softmax's among them (cl_internal.h). */
    clmlp_clk_begin(&c, ctx, (clmlp_cl_kernel_id)(CLK_BIAS_ACT_FORWARD_LINEAR + act));
    clmlp_clk_uint(&c, rows);
    clmlp_clk_uint(&c, cols);
    clmlp_clk_mem(&c, z);
    clmlp_clk_uint(&c, off_z);
    clmlp_clk_mem(&c, bias ? bias : z); /* unread without a bias */
    clmlp_clk_uint(&c, bias ? off_bias : 0);
    clmlp_clk_int(&c, bias != NULL);
    clmlp_clk_mem(&c, y);
    clmlp_clk_uint(&c, off_y);
    if (act == CLMLP_ACT_SOFTMAX) return clmlp_clk_run(&c, rows);
    return clmlp_clk_run_2d(&c, cols, rows);
}

/* dz = dy * act'(z), or the softmax row Jacobian times dy; dz may be dy. */
int clmlp_cl_act_backward(void *vctx, clmlp_act act, size_t rows, size_t cols, const clmlp_buf *z,
                          size_t off_z, const clmlp_buf *y, size_t off_y, const clmlp_buf *dy,
                          size_t off_dy, clmlp_buf *dz, size_t off_dz)
{
    clmlp_cl_ctx *ctx = vctx;
    size_t total = rows * cols;
    if (total == 0) return CLMLP_OK;
    clk_call c;
    clmlp_clk_begin(&c, ctx, (clmlp_cl_kernel_id)(CLK_ACT_BACKWARD_LINEAR + act));
    if (act == CLMLP_ACT_SOFTMAX) {
        clmlp_clk_uint(&c, rows);
        clmlp_clk_uint(&c, cols);
    } else {
        clmlp_clk_uint(&c, total);
        clmlp_clk_mem(&c, z);
        clmlp_clk_uint(&c, off_z);
    }
    clmlp_clk_mem(&c, y);
    clmlp_clk_uint(&c, off_y);
    clmlp_clk_mem(&c, dy);
    clmlp_clk_uint(&c, off_dy);
    clmlp_clk_mem(&c, dz);
    clmlp_clk_uint(&c, off_dz);
    return clmlp_clk_run(&c, act == CLMLP_ACT_SOFTMAX ? rows : total);
}

/* db[j] = sum over rows of dz[i][j], overwriting db. */
int clmlp_cl_bias_grad(void *vctx, size_t rows, size_t cols, const clmlp_buf *dz, size_t off_dz,
                       clmlp_buf *db, size_t off_db)
{
    clmlp_cl_ctx *ctx = vctx;
    if (cols == 0) return CLMLP_OK;
    clk_call c;
    clmlp_clk_begin(&c, ctx, CLK_BIAS_GRAD);
    clmlp_clk_uint(&c, rows);
    clmlp_clk_uint(&c, cols);
    clmlp_clk_mem(&c, dz);
    clmlp_clk_uint(&c, off_dz);
    clmlp_clk_mem(&c, db);
    clmlp_clk_uint(&c, off_db);
    return clmlp_clk_run(&c, cols);
}

/* Dropout over n values, one work-item each; out may be in (same range). */
int clmlp_cl_dropout(void *vctx, size_t n, const clmlp_buf *in, size_t off_in, clmlp_buf *out,
                     size_t off_out, uint32_t threshold, float scale, uint64_t seed)
{
    clmlp_cl_ctx *ctx = vctx;
    if (n == 0) return CLMLP_OK;
    clk_call c;
    clmlp_clk_begin(&c, ctx, CLK_DROPOUT);
    clmlp_clk_uint(&c, n);
    clmlp_clk_mem(&c, in);
    clmlp_clk_uint(&c, off_in);
    clmlp_clk_mem(&c, out);
    clmlp_clk_uint(&c, off_out);
    clmlp_clk_uint(&c, threshold);
    clmlp_clk_float(&c, scale);
    clmlp_clk_ulong(&c, seed);
    return clmlp_clk_run(&c, n);
}
