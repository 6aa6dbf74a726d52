/* Per-op device timings from OpenCL profiling events ($CLMLP_PROFILE=1).
 *
 * When profiling is on, the queue is created with CL_QUEUE_PROFILING_ENABLE
 * and every command the backend enqueues (kernel launches, CLBlast GEMMs,
 * uploads and downloads) hands its event here.  Events wait in a pending
 * list and are read when the queue has run past them anyway (synchronize,
 * download, close); when the list fills up, the oldest half is waited for,
 * which is the only waiting profiling adds.  A CLBlast GEMM may run several
 * kernels (padding, transposing, the GEMM, unpadding) and its event covers
 * only the last, so a marker enqueued just before the GEMM marks its start:
 * a GEMM's time is END(gemm event) - END(marker).
 *
 * At close, a table of op, calls, total ms, mean us and share of the total
 * goes to stderr.  Without $CLMLP_PROFILE none of this exists: ctx->prof is
 * NULL and the backend passes no events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"
#include "util/grow.h"

/* Events waiting to be read; half of them are read when the list is full. */
#define PENDING_CAP 512

/* One op's accumulated time. */
typedef struct {
    char name[80];
    unsigned long long calls;
    cl_ulong total_ns;
} prof_op;

/* An enqueued command not read yet: its event, the marker before it (or
 * NULL) and the op it counts for. */
typedef struct {
    cl_event since;
    cl_event ev;
    size_t op;
} prof_pending;

struct clmlp_cl_profile {
    prof_op *ops;
    size_t n_ops, cap_ops;
    prof_pending pending[PENDING_CAP];
    size_t n_pending;
    cl_ulong first_start, last_end; /* device clock span of everything read */
    int any;                        /* whether first_start/last_end are set */
    unsigned long long unreadable;  /* events whose times could not be read */
};

/* Allocates ctx->prof when ctx->profile asks for it. */
int clmlp_cl_profile_open(clmlp_cl_ctx *ctx)
{
    ctx->prof = NULL;
    if (!ctx->profile) return CLMLP_OK;
    ctx->prof = calloc(1, sizeof *ctx->prof);
    if (!ctx->prof) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for profiling");
    return CLMLP_OK;
}

/* The index of op `name` in p's table, added if new; SIZE_MAX when out of
 * memory. */
static size_t find_op(clmlp_cl_profile *p, const char *name)
{
    for (size_t i = 0; i < p->n_ops; i++)
        if (strcmp(p->ops[i].name, name) == 0) return i;
    if (CLMLP_GROW(p->ops, p->cap_ops, p->n_ops + 1, 32) != 0) return SIZE_MAX;
    prof_op *op = &p->ops[p->n_ops];
    memset(op, 0, sizeof *op);
    snprintf(op->name, sizeof op->name, "%s", name);
    return p->n_ops++;
}

/* One profiling counter of a finished event; 0 when it cannot be read. */
static int event_time(cl_event ev, cl_profiling_info what, cl_ulong *out)
{
    *out = 0;
    return clGetEventProfilingInfo(ev, what, sizeof *out, out, NULL) == CL_SUCCESS;
}

/* Adds the finished pending entry e to its op and releases its events. */
static void read_entry(clmlp_cl_profile *p, prof_pending *e)
{
    cl_ulong start = 0, end = 0, mark = 0;
    int ok = event_time(e->ev, CL_PROFILING_COMMAND_START, &start) &&
             event_time(e->ev, CL_PROFILING_COMMAND_END, &end);
    /* The marker's end is when everything before the GEMM was done, so the
     * span from it covers CLBlast's helper kernels too. */
    if (ok && e->since && event_time(e->since, CL_PROFILING_COMMAND_END, &mark) && mark &&
        mark < start)
        start = mark;
    if (ok && end >= start) {
        prof_op *op = &p->ops[e->op];
        op->calls++;
        op->total_ns += end - start;
        if (!p->any || start < p->first_start) p->first_start = start;
        if (!p->any || end > p->last_end) p->last_end = end;
        p->any = 1;
    } else {
        p->unreadable++;
    }
    if (e->since) clReleaseEvent(e->since);
    clReleaseEvent(e->ev);
}

/* Reads and drops the oldest n pending entries (all finished). */
static void read_oldest(clmlp_cl_profile *p, size_t n)
{
    for (size_t i = 0; i < n; i++) read_entry(p, &p->pending[i]);
    memmove(p->pending, p->pending + n, (p->n_pending - n) * sizeof p->pending[0]);
    p->n_pending -= n;
}

/* Reads every pending event: the caller has waited for the queue. */
void clmlp_cl_profile_harvest(clmlp_cl_ctx *ctx)
{
    clmlp_cl_profile *p = ctx->prof;
    if (!p || !p->n_pending) return;
    /* The queue is in order and has been waited for; waiting on the last
     * event costs nothing and makes sure its status is complete. */
    clWaitForEvents(1, &p->pending[p->n_pending - 1].ev);
    read_oldest(p, p->n_pending);
}

/* Enqueues a marker whose event marks where the next command may start. */
int clmlp_cl_profile_marker(clmlp_cl_ctx *ctx, cl_event *out)
{
    *out = NULL;
    if (!ctx->prof) return CLMLP_OK;
    cl_int err = clEnqueueMarkerWithWaitList(ctx->queue, 0, NULL, out);
    if (err != CL_SUCCESS) {
        *out = NULL;
        return clmlp_cl_fail("clEnqueueMarkerWithWaitList", "profiling", err);
    }
    return CLMLP_OK;
}

/* Files ev (and the marker since, which may be NULL) under op; takes both
 * events.  A full list waits for its older half, which is then read. */
int clmlp_cl_profile_add(clmlp_cl_ctx *ctx, const char *op, cl_event since, cl_event ev)
{
    clmlp_cl_profile *p = ctx->prof;
    if (!p || !ev) {
        if (since) clReleaseEvent(since);
        if (ev) clReleaseEvent(ev);
        return CLMLP_OK;
    }
    size_t idx = find_op(p, op);
    if (idx == SIZE_MAX) {
        if (since) clReleaseEvent(since);
        clReleaseEvent(ev);
        return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for profiling");
    }
    if (p->n_pending == PENDING_CAP) {
        size_t half = PENDING_CAP / 2;
        cl_int err = clWaitForEvents(1, &p->pending[half - 1].ev);
        if (err != CL_SUCCESS) {
            if (since) clReleaseEvent(since);
            clReleaseEvent(ev);
            return clmlp_cl_fail("clWaitForEvents", "profiling", err);
        }
        read_oldest(p, half);
    }
    p->pending[p->n_pending++] = (prof_pending){since, ev, idx};
    return CLMLP_OK;
}

/* Orders ops by total time, largest first. */
static int by_total_desc(const void *a, const void *b)
{
    const prof_op *x = a, *y = b;
    if (x->total_ns != y->total_ns) return x->total_ns < y->total_ns ? 1 : -1;
    return strcmp(x->name, y->name);
}

/* Writes the table of ops, largest total first, to f.  Sorting reorders
 * p->ops, which pending events index, so it runs at close only. */
static void profile_print(clmlp_cl_profile *p, const char *device, FILE *f)
{
    if (!p) return;
    qsort(p->ops, p->n_ops, sizeof *p->ops, by_total_desc);
    cl_ulong sum = 0;
    unsigned long long calls = 0;
    for (size_t i = 0; i < p->n_ops; i++) {
        sum += p->ops[i].total_ns;
        calls += p->ops[i].calls;
    }
    fprintf(f,
            "clmlp: OpenCL profile on %s (device time per op, from profiling events;\n"
            "       a gemm row spans all of CLBlast's kernels for that call)\n",
            device);
    fprintf(f, "%-34s %10s %12s %12s %8s\n", "op", "calls", "total ms", "mean us", "% total");
    for (size_t i = 0; i < p->n_ops; i++) {
        const prof_op *op = &p->ops[i];
        if (!op->calls) continue;
        fprintf(f, "%-34s %10llu %12.3f %12.2f %8.2f\n", op->name, op->calls,
                (double)op->total_ns * 1e-6, (double)op->total_ns * 1e-3 / (double)op->calls,
                sum ? 100.0 * (double)op->total_ns / (double)sum : 0.0);
    }
    fprintf(f, "%-34s %10llu %12.3f\n", "total", calls, (double)sum * 1e-6);
    if (p->any && p->last_end > p->first_start) {
        double span = (double)(p->last_end - p->first_start);
        fprintf(f,
                "device busy %.3f ms of the %.3f ms from the first command's start to the "
                "last one's end (%.1f%%)\n",
                (double)sum * 1e-6, span * 1e-6, 100.0 * (double)sum / span);
    }
    if (p->unreadable)
        fprintf(f, "(%llu events gave no profiling times and are left out)\n", p->unreadable);
}

/* Reads what is pending (the queue has finished), prints the table to
 * stderr (when anything was enqueued) and frees the profile. */
void clmlp_cl_profile_close(clmlp_cl_ctx *ctx)
{
    clmlp_cl_profile *p = ctx->prof;
    if (!p) return;
    clmlp_cl_profile_harvest(ctx);
    if (p->n_ops) profile_print(p, ctx->device_name, stderr);
    free(p->ops);
    free(p);
    ctx->prof = NULL;
}
