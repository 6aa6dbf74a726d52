/* Host <-> device transfers and waiting.  Only download and synchronize
 * wait for the device.  upload copies the caller's array into a staging
 * block and enqueues a non-blocking write from it, so the caller may reuse
 * its array at once; staging blocks are freed at the next download,
 * synchronize or close (when the in-order queue has run past their writes),
 * or, past CLMLP_CL_STAGING_CAP bytes outstanding, by waiting right away. */
#include <stdlib.h>
#include <string.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"

#define ELEM 4u

/* The most staging memory left outstanding before upload waits for it. */
#define CLMLP_CL_STAGING_CAP ((size_t)64 << 20)

/* A staging block: a list link followed by the bytes being written. */
struct clmlp_cl_staging {
    struct clmlp_cl_staging *next;
    size_t bytes;
};

/* Frees every staging block; only call once the queue has finished them. */
void clmlp_cl_staging_release(clmlp_cl_ctx *ctx)
{
    while (ctx->staging) {
        struct clmlp_cl_staging *next = ctx->staging->next;
        free(ctx->staging);
        ctx->staging = next;
    }
    ctx->staging_bytes = 0;
}

/* Waits for the queue and then frees the staging blocks. */
static int finish(clmlp_cl_ctx *ctx)
{
    cl_int err = clFinish(ctx->queue);
    if (err != CL_SUCCESS) return clmlp_cl_fail("clFinish", NULL, err);
    clmlp_cl_staging_release(ctx);
    clmlp_cl_profile_harvest(ctx);
    return CLMLP_OK;
}

/* Writes n host elements into dst at off without waiting (see above). */
int clmlp_cl_upload(void *vctx, clmlp_buf *dst, size_t off, const void *src, size_t n)
{
    clmlp_cl_ctx *ctx = vctx;
    if (n == 0) return CLMLP_OK;
    size_t bytes = n * ELEM;
    struct clmlp_cl_staging *st = malloc(sizeof *st + bytes);
    if (!st)
        return clmlp_set_error(CLMLP_E_NOMEM, "upload: out of memory staging %zu bytes", bytes);
    st->bytes = bytes;
    memcpy(st + 1, src, bytes);
    cl_event ev = NULL;
    cl_int err = clEnqueueWriteBuffer(ctx->queue, clmlp_cl_mem(dst), CL_FALSE, off * ELEM, bytes,
                                      st + 1, 0, NULL, ctx->prof ? &ev : NULL);
    if (err != CL_SUCCESS) {
        free(st);
        return clmlp_cl_fail("clEnqueueWriteBuffer", NULL, err);
    }
    st->next = ctx->staging;
    ctx->staging = st;
    ctx->staging_bytes += bytes;
    if (ev) CLMLP_TRY(clmlp_cl_profile_add(ctx, "upload", NULL, ev));
    if (ctx->staging_bytes > CLMLP_CL_STAGING_CAP) return finish(ctx);
    return CLMLP_OK;
}

/* Reads n elements of src at off into host memory, after all queued work. */
int clmlp_cl_download(void *vctx, const clmlp_buf *src, size_t off, void *dst, size_t n)
{
    clmlp_cl_ctx *ctx = vctx;
    if (n == 0) return CLMLP_OK;
    cl_event ev = NULL;
    cl_int err = clEnqueueReadBuffer(ctx->queue, clmlp_cl_mem(src), CL_TRUE, off * ELEM, n * ELEM,
                                     dst, 0, NULL, ctx->prof ? &ev : NULL);
    if (err != CL_SUCCESS) return clmlp_cl_fail("clEnqueueReadBuffer", NULL, err);
    /* A blocking read on the in-order queue returns after every earlier
     * command, the staged writes included. */
    clmlp_cl_staging_release(ctx);
    if (ev) {
        CLMLP_TRY(clmlp_cl_profile_add(ctx, "download", NULL, ev));
        clmlp_cl_profile_harvest(ctx);
    }
    return CLMLP_OK;
}

/* Waits for everything queued so far. */
int clmlp_cl_synchronize(void *vctx) { return finish(vctx); }
