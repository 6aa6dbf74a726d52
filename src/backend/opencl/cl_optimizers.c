/* Optimizer steps: one kernel launch over the whole packed parameter
 * buffer (kernels in cl/optimizers.cl); arguments arrive checked. */
#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* SGD, momentum or Nesterov with L2 on the first n_decay values. */
int clmlp_cl_sgd_update(void *vctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                        clmlp_buf *vel, float lr, float momentum, int nesterov, float l2)
{
    clmlp_cl_ctx *ctx = vctx;
    clk_call c;
    clmlp_clk_begin(&c, ctx, CLK_SGD_UPDATE);
    clmlp_clk_uint(&c, n);
    clmlp_clk_uint(&c, n_decay);
    clmlp_clk_mem(&c, w);
    clmlp_clk_mem(&c, grad);
    clmlp_clk_mem(&c, momentum != 0.0f ? vel : w); /* unread without momentum */
    clmlp_clk_float(&c, lr);
    clmlp_clk_float(&c, momentum);
    clmlp_clk_int(&c, nesterov != 0);
    clmlp_clk_float(&c, l2);
    return clmlp_clk_run(&c, n);
}

/* Adam with L2 on the first n_decay values; lr_t is already bias-corrected. */
int clmlp_cl_adam_update(void *vctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                         clmlp_buf *m, clmlp_buf *v, float lr_t, float beta1, float beta2,
                         float eps, float l2)
{
    clmlp_cl_ctx *ctx = vctx;
    clk_call c;
    clmlp_clk_begin(&c, ctx, CLK_ADAM_UPDATE);
    clmlp_clk_uint(&c, n);
    clmlp_clk_uint(&c, n_decay);
    clmlp_clk_mem(&c, w);
    clmlp_clk_mem(&c, grad);
    clmlp_clk_mem(&c, m);
    clmlp_clk_mem(&c, v);
    clmlp_clk_float(&c, lr_t);
    clmlp_clk_float(&c, beta1);
    clmlp_clk_float(&c, beta2);
    clmlp_clk_float(&c, eps);
    clmlp_clk_float(&c, l2);
    return clmlp_clk_run(&c, n);
}
