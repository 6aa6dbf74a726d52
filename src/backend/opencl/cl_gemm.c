/* GEMM through CLBlast (row-major, offsets into the buffers); the shapes
 * and leading dimensions arrive checked against the buffers. */
#include <clblast_c.h>
#include <stdio.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"
#include "util/timer.h"

/* Files a GEMM's events with the profile: under its shape, or, when the
 * call spent milliseconds on the host (it compiled CLBlast's kernels first,
 * which the device-side span then includes), on a row of its own so the
 * shape's row shows the steady state.  t0: host time before the call. */
static int profile_gemm(clmlp_cl_ctx *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                        double t0, cl_event since, cl_event ev)
{
    if (clmlp_now() - t0 > CLMLP_CL_PROFILE_BUILD_S)
        return clmlp_cl_profile_add(ctx, "gemm incl. CLBlast kernel build", since, ev);
    char op[80];
    snprintf(op, sizeof op, "gemm %c%c %zux%zux%zu", trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n,
             k);
    return clmlp_cl_profile_add(ctx, op, since, ev);
}

/* C = alpha op(A) op(B) + beta C; k == 0 leaves beta C, which CLBlast
 * refuses, so a small kernel does it. */
int clmlp_cl_gemm(void *vctx, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                  const clmlp_buf *a, size_t off_a, size_t lda, const clmlp_buf *b, size_t off_b,
                  size_t ldb, float beta, clmlp_buf *c, size_t off_c, size_t ldc)
{
    clmlp_cl_ctx *ctx = vctx;
    if (m == 0 || n == 0) return CLMLP_OK;
    if (k == 0) {
        clk_call call;
        clmlp_clk_begin(&call, ctx, CLK_SCALE_MATRIX);
        clmlp_clk_uint(&call, m);
        clmlp_clk_uint(&call, n);
        clmlp_clk_mem(&call, c);
        clmlp_clk_uint(&call, off_c);
        clmlp_clk_uint(&call, ldc);
        clmlp_clk_float(&call, beta);
        return clmlp_clk_run_2d(&call, n, m);
    }
    /* Profiling: a marker before the call and CLBlast's event after it. */
    cl_event since = NULL, ev = NULL;
    CLMLP_TRY(clmlp_cl_profile_marker(ctx, &since));
    double t0 = ctx->prof ? clmlp_now() : 0.0;
    /* CLBlast's tiled path pads A, B and C into a temporary buffer.  Left to
     * itself it allocates one per call, and since nothing waits inside an
     * epoch every queued call would hold its own until it ran (6 GB for one
     * W3 epoch); one buffer shared by all calls on the in-order queue is safe. */
    CLBlastLayout row = CLBlastLayoutRowMajor;
    CLBlastTranspose ta = trans_a ? CLBlastTransposeYes : CLBlastTransposeNo;
    CLBlastTranspose tb = trans_b ? CLBlastTransposeYes : CLBlastTransposeNo;
    size_t temp_bytes = 0;
    CLBlastStatusCode st = CLBlastSGemmTempBufferSize(row, ta, tb, m, n, k, off_a, lda, off_b, ldb,
                                                      off_c, ldc, &ctx->queue, &temp_bytes);
    int rc =
        st == CLBlastSuccess ? CLMLP_OK : clmlp_clblast_fail("CLBlastSGemmTempBufferSize", (int)st);
    if (rc == CLMLP_OK && temp_bytes)
        rc = clmlp_cl_grow(ctx, &ctx->gemm_temp, &ctx->gemm_temp_bytes, temp_bytes);
    if (rc == CLMLP_OK) {
        cl_event *evp = ctx->prof ? &ev : NULL;
        cl_mem ma = clmlp_cl_mem(a), mb = clmlp_cl_mem(b), mc = clmlp_cl_mem(c);
        st = temp_bytes ? CLBlastSgemmWithTempBuffer(row, ta, tb, m, n, k, alpha, ma, off_a, lda,
                                                     mb, off_b, ldb, beta, mc, off_c, ldc,
                                                     &ctx->queue, evp, ctx->gemm_temp)
                        : CLBlastSgemm(row, ta, tb, m, n, k, alpha, ma, off_a, lda, mb, off_b, ldb,
                                       beta, mc, off_c, ldc, &ctx->queue, evp);
        if (st != CLBlastSuccess) rc = clmlp_clblast_fail("CLBlastSgemm", (int)st);
        ctx->launches += st == CLBlastSuccess;
    }
    if (rc != CLMLP_OK) {
        if (since) clReleaseEvent(since);
        return rc;
    }
    if (ctx->prof) CLMLP_TRY(profile_gemm(ctx, trans_a, trans_b, m, n, k, t0, since, ev));
    return clmlp_cl_queue_window_step(ctx);
}
