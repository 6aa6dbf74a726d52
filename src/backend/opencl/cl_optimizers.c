/* Optimizer steps: one kernel launch over the whole packed parameter
 * buffer (kernels in cl/optimizers.cl). */
#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* Checks n_decay <= n and that each of the count buffers is float32 with n
 * elements and distinct from the others (all start at 0). */
static int check_params(const char *op, size_t n, size_t n_decay, const clmlp_buf **bufs,
                        const char **names, int count)
{
    if (n_decay > n)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: n_decay %zu exceeds n %zu", op, n_decay, n);
    for (int i = 0; i < count; i++) {
        CLMLP_TRY(clmlp_cl_check_range(bufs[i], CLMLP_BUF_F32, 0, n, op, names[i]));
        for (int j = 0; j < i; j++)
            if (clmlp_cl_overlap(bufs[i], 0, n, bufs[j], 0, n))
                return clmlp_cl_overlap_error(op, names[j], names[i]);
    }
    return CLMLP_OK;
}

/* SGD, momentum or Nesterov with L2 on the first n_decay values. */
int clmlp_cl_sgd_update(void *vctx, size_t n, size_t n_decay, clmlp_buf *w,
                        const clmlp_buf *grad, clmlp_buf *vel, float lr, float momentum,
                        int nesterov, float l2)
{
    clmlp_cl_ctx *ctx = vctx;
    const char *op = "sgd_update";
    const clmlp_buf *bufs[] = {w, grad, vel};
    const char *names[] = {"w", "grad", "vel"};
    CLMLP_TRY(check_params(op, n, n_decay, bufs, names, momentum != 0.0f ? 3 : 2));
    clk_call c;
    clk_begin(&c, ctx, CLK_SGD_UPDATE);
    clk_uint(&c, n);
    clk_uint(&c, n_decay);
    clk_mem(&c, w);
    clk_mem(&c, grad);
    clk_mem(&c, momentum != 0.0f ? vel : w); /* unread without momentum */
    clk_float(&c, lr);
    clk_float(&c, momentum);
    clk_int(&c, nesterov != 0);
    clk_float(&c, l2);
    return clk_run(&c, n);
}

/* Adam with L2 on the first n_decay values; lr_t is already bias-corrected. */
int clmlp_cl_adam_update(void *vctx, size_t n, size_t n_decay, clmlp_buf *w,
                         const clmlp_buf *grad, clmlp_buf *m, clmlp_buf *v, float lr_t,
                         float beta1, float beta2, float eps, float l2)
{
    clmlp_cl_ctx *ctx = vctx;
    const char *op = "adam_update";
    const clmlp_buf *bufs[] = {w, grad, m, v};
    const char *names[] = {"w", "grad", "m", "v"};
    CLMLP_TRY(check_params(op, n, n_decay, bufs, names, 4));
    clk_call c;
    clk_begin(&c, ctx, CLK_ADAM_UPDATE);
    clk_uint(&c, n);
    clk_uint(&c, n_decay);
    clk_mem(&c, w);
    clk_mem(&c, grad);
    clk_mem(&c, m);
    clk_mem(&c, v);
    clk_float(&c, lr_t);
    clk_float(&c, beta1);
    clk_float(&c, beta2);
    clk_float(&c, eps);
    clk_float(&c, l2);
    return clk_run(&c, n);
}
