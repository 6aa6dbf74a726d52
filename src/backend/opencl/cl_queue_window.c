/* A bounded queue: the host never gets more than two windows of commands
 * ahead of the device.
 *
 * Nothing inside an epoch waits for a result, so without a bound the host
 * enqueues a whole epoch (tens of thousands of commands) long before the
 * device has run it.  On PoCL's CPU device that deep queue costs time: a W2
 * epoch took 1.31 s where it takes 0.96 s with the queue kept short (the
 * likely cause, not proven: the driver's handling of a long queue competes
 * with the kernels for the same cores).  So after every window of commands
 * (CLMLP_OPENCL_QUEUE_DEFAULT, 64, unless clmlp_opencl_opts says) a marker
 * goes on the queue and the host waits for the marker before it, which
 * leaves at least one window of work queued while it waits: the device is
 * never starved, and no result is read back. */
#include <stdlib.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* Starts counting; ctx->window (0: unbounded) came from the options. */
void clmlp_cl_queue_window_open(clmlp_cl_ctx *ctx)
{
    ctx->window_queued = 0;
    ctx->window_mark = NULL;
}

/* Counts one enqueued command; at the end of a window, marks it and waits
 * for the previous window's mark. */
int clmlp_cl_queue_window_step(clmlp_cl_ctx *ctx)
{
    if (ctx->window == 0 || ++ctx->window_queued < ctx->window) return CLMLP_OK;
    ctx->window_queued = 0;
    cl_event mark = NULL;
    cl_int err = clEnqueueMarkerWithWaitList(ctx->queue, 0, NULL, &mark);
    if (err != CL_SUCCESS) return clmlp_cl_fail("clEnqueueMarkerWithWaitList", "queue window", err);
    err = clFlush(ctx->queue);
    cl_event before = ctx->window_mark;
    ctx->window_mark = mark;
    if (err != CL_SUCCESS) {
        if (before) clReleaseEvent(before);
        return clmlp_cl_fail("clFlush", "queue window", err);
    }
    if (!before) return CLMLP_OK;
    err = clWaitForEvents(1, &before);
    clReleaseEvent(before);
    ctx->queue_waits++;
    if (err != CL_SUCCESS) return clmlp_cl_fail("clWaitForEvents", "queue window", err);
    return CLMLP_OK;
}

/* The counts of clmlp_backend_traffic this backend keeps. */
void clmlp_cl_traffic(void *vctx, uint64_t *kernel_launches, uint64_t *queue_waits)
{
    const clmlp_cl_ctx *ctx = vctx;
    *kernel_launches = ctx->launches;
    *queue_waits = ctx->queue_waits;
}

/* Releases the last mark (the queue may still be running). */
void clmlp_cl_queue_window_close(clmlp_cl_ctx *ctx)
{
    if (ctx->window_mark) clReleaseEvent(ctx->window_mark);
    ctx->window_mark = NULL;
    ctx->window_queued = 0;
}
