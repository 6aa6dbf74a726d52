/* Layer ops: bias add fused with the activation, the activation's backward
 * pass and the bias gradient (kernels in cl/layers.cl), and dropout
 * (cl/dropout.cl).  The arguments arrive checked (backend_check.c); counts
 * fit the kernels' 32 bits because every buffer does. */
#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* z += bias, y = act(z): elementwise, or softmax row by row. */
int clmlp_cl_bias_act_forward(void *vctx, clmlp_act act, size_t rows, size_t cols,
                              clmlp_buf *z, size_t off_z, const clmlp_buf *bias,
                              size_t off_bias, clmlp_buf *y, size_t off_y)
{
    clmlp_cl_ctx *ctx = vctx;
    size_t total = rows * cols;
    if (total == 0) return CLMLP_OK;
    clk_call c;
    /* One kernel per activation, softmax's among them (cl_internal.h). */
    clk_begin(&c, ctx, (clmlp_cl_kernel_id)(CLK_BIAS_ACT_FORWARD_LINEAR + act));
    clk_uint(&c, rows);
    clk_uint(&c, cols);
    clk_mem(&c, z);
    clk_uint(&c, off_z);
    clk_mem(&c, bias ? bias : z); /* unread without a bias */
    clk_uint(&c, bias ? off_bias : 0);
    clk_int(&c, bias != NULL);
    clk_mem(&c, y);
    clk_uint(&c, off_y);
    if (act == CLMLP_ACT_SOFTMAX) return clk_run(&c, rows);
    return clk_run_2d(&c, cols, rows);
}

/* dz = dy * act'(z), or the softmax row Jacobian times dy; dz may be dy. */
int clmlp_cl_act_backward(void *vctx, clmlp_act act, size_t rows, size_t cols,
                          const clmlp_buf *z, size_t off_z, const clmlp_buf *y,
                          size_t off_y, const clmlp_buf *dy, size_t off_dy, clmlp_buf *dz,
                          size_t off_dz)
{
    clmlp_cl_ctx *ctx = vctx;
    size_t total = rows * cols;
    if (total == 0) return CLMLP_OK;
    clk_call c;
    clk_begin(&c, ctx, (clmlp_cl_kernel_id)(CLK_ACT_BACKWARD_LINEAR + act));
    if (act == CLMLP_ACT_SOFTMAX) {
        clk_uint(&c, rows);
        clk_uint(&c, cols);
    } else {
        clk_uint(&c, total);
        clk_mem(&c, z);
        clk_uint(&c, off_z);
    }
    clk_mem(&c, y);
    clk_uint(&c, off_y);
    clk_mem(&c, dy);
    clk_uint(&c, off_dy);
    clk_mem(&c, dz);
    clk_uint(&c, off_dz);
    return clk_run(&c, act == CLMLP_ACT_SOFTMAX ? rows : total);
}

/* db[j] = sum over rows of dz[i][j], overwriting db. */
int clmlp_cl_bias_grad(void *vctx, size_t rows, size_t cols, const clmlp_buf *dz,
                       size_t off_dz, clmlp_buf *db, size_t off_db)
{
    clmlp_cl_ctx *ctx = vctx;
    if (cols == 0) return CLMLP_OK;
    clk_call c;
    clk_begin(&c, ctx, CLK_BIAS_GRAD);
    clk_uint(&c, rows);
    clk_uint(&c, cols);
    clk_mem(&c, dz);
    clk_uint(&c, off_dz);
    clk_mem(&c, db);
    clk_uint(&c, off_db);
    return clk_run(&c, cols);
}

/* Dropout over n values, one work-item each; out may be in (same range). */
int clmlp_cl_dropout(void *vctx, size_t n, const clmlp_buf *in, size_t off_in, clmlp_buf *out,
                     size_t off_out, uint32_t threshold, float scale, uint64_t seed)
{
    clmlp_cl_ctx *ctx = vctx;
    if (n == 0) return CLMLP_OK;
    clk_call c;
    clk_begin(&c, ctx, CLK_DROPOUT);
    clk_uint(&c, n);
    clk_mem(&c, in);
    clk_uint(&c, off_in);
    clk_mem(&c, out);
    clk_uint(&c, off_out);
    clk_uint(&c, threshold);
    clk_float(&c, scale);
    clk_ulong(&c, seed);
    return clk_run(&c, n);
}
