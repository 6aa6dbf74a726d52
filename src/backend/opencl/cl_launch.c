/* Kernel launches: arguments set in order with the first failure kept, then
 * one enqueue on the in-order queue.  Nothing here waits for the device
 * beyond the queue window (cl_queue_window.c). */
#include <stdio.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* Starts preparing a launch of kernel (named name, in groups of wg). */
void clmlp_clk_begin_kernel(clk_call *c, clmlp_cl_ctx *ctx, cl_kernel kernel, const char *name,
                            size_t wg)
{
    c->ctx = ctx;
    c->kernel = kernel;
    c->name = name;
    c->wg = wg;
    c->next = 0;
    c->err = CL_SUCCESS;
    c->bad_arg = 0;
}

/* Starts preparing a launch of the backend's kernel id. */
void clmlp_clk_begin(clk_call *c, clmlp_cl_ctx *ctx, clmlp_cl_kernel_id id)
{
    clmlp_clk_begin_kernel(c, ctx, ctx->kernels[id], clmlp_cl_kernel_names[id], ctx->kernel_wg[id]);
}

/* Sets the next argument from size bytes at value, remembering a failure. */
static void clk_arg(clk_call *c, size_t size, const void *value)
{
    cl_uint index = c->next++;
    if (c->err != CL_SUCCESS) return;
    cl_int err = clSetKernelArg(c->kernel, index, size, value);
    if (err != CL_SUCCESS) {
        c->err = err;
        c->bad_arg = index;
    }
}

/* Appends a buffer argument. */
void clmlp_clk_cl_mem(clk_call *c, cl_mem m) { clk_arg(c, sizeof m, &m); }

/* Appends the cl_mem of one of our buffers. */
void clmlp_clk_mem(clk_call *c, const clmlp_buf *b) { clmlp_clk_cl_mem(c, clmlp_cl_mem(b)); }

/* Appends a uint argument (callers have checked that v fits). */
void clmlp_clk_uint(clk_call *c, size_t v)
{
    cl_uint u = (cl_uint)v;
    clk_arg(c, sizeof u, &u);
}

/* Appends an int argument. */
void clmlp_clk_int(clk_call *c, int v)
{
    cl_int i = (cl_int)v;
    clk_arg(c, sizeof i, &i);
}

/* Appends a float argument. */
void clmlp_clk_float(clk_call *c, float v)
{
    cl_float f = v;
    clk_arg(c, sizeof f, &f);
}

/* Appends a ulong argument. */
void clmlp_clk_ulong(clk_call *c, uint64_t v)
{
    cl_ulong u = (cl_ulong)v;
    clk_arg(c, sizeof u, &u);
}

/* Appends a uint4 argument from four counts (callers have checked that
 * they fit). */
void clmlp_clk_uint4(clk_call *c, const size_t v[4])
{
    cl_uint4 u;
    for (int k = 0; k < 4; k++) u.s[k] = (cl_uint)v[k];
    clk_arg(c, sizeof u, &u);
}

/* Appends a __local array argument of `bytes` bytes. */
void clmlp_clk_local(clk_call *c, size_t bytes) { clk_arg(c, bytes, NULL); }

/* Reports a failed clSetKernelArg, or enqueues a dims-dimensional range of
 * global[] work-items in groups of local[]. */
static int clk_enqueue(clk_call *c, cl_uint dims, const size_t *global, const size_t *local)
{
    const char *name = c->name;
    if (c->err != CL_SUCCESS) {
        char what[96];
        snprintf(what, sizeof what, "%s, argument %u", name, (unsigned)c->bad_arg);
        return clmlp_cl_fail("clSetKernelArg", what, c->err);
    }
    cl_event ev = NULL;
    cl_int err = clEnqueueNDRangeKernel(c->ctx->queue, c->kernel, dims, NULL, global, local, 0,
                                        NULL, c->ctx->prof ? &ev : NULL);
    if (err != CL_SUCCESS) return clmlp_cl_fail("clEnqueueNDRangeKernel", name, err);
    c->ctx->launches++;
    if (ev) CLMLP_TRY(clmlp_cl_profile_add(c->ctx, name, NULL, ev));
    return clmlp_cl_queue_window_step(c->ctx);
}

/* Launches over `items` work-items, rounded up to whole work-groups. */
int clmlp_clk_run(clk_call *c, size_t items)
{
    if (items == 0 && c->err == CL_SUCCESS) return CLMLP_OK;
    size_t local = c->wg;
    size_t global = (items + local - 1) / local * local;
    if (global == 0) global = local;
    return clk_enqueue(c, 1, &global, &local);
}

/* Launches cols x rows: a group spans the columns (up to the next power of
 * two, so narrow rows do not leave most of it idle) and as many rows as
 * fill the kernel's work-group size. */
int clmlp_clk_run_2d(clk_call *c, size_t cols, size_t rows)
{
    if ((cols == 0 || rows == 0) && c->err == CL_SUCCESS) return CLMLP_OK;
    size_t wg = c->wg;
    size_t lx = 1;
    while (lx < cols && lx < wg) lx *= 2;
    if (lx > c->ctx->max_item[0]) lx = c->ctx->max_item[0];
    size_t ly = wg / lx;
    if (ly > c->ctx->max_item[1]) ly = c->ctx->max_item[1];
    if (ly == 0) ly = 1;
    size_t local[2] = {lx, ly};
    size_t global[2] = {(cols + lx - 1) / lx * lx, (rows + ly - 1) / ly * ly};
    if (global[0] == 0) global[0] = lx;
    if (global[1] == 0) global[1] = ly;
    return clk_enqueue(c, 2, global, local);
}

/* Launches a single work-group. */
int clmlp_clk_run_one_group(clk_call *c)
{
    size_t local = c->wg;
    return clk_enqueue(c, 1, &local, &local);
}

/* Launches exactly `items` work-items; the driver picks the groups. */
int clmlp_clk_run_exact(clk_call *c, size_t items)
{
    if (items == 0 && c->err == CL_SUCCESS) return CLMLP_OK;
    size_t global = items ? items : 1;
    return clk_enqueue(c, 1, &global, NULL);
}
