/* Device memory: what the device holds, buffers, copies, fills, batch
 * gathers, and the scratch buffer.  Host transfers are in cl_transfer.c.
 * Nothing here waits for the device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"
#include "util/host_memory.h"

/* Both element types are 4 bytes wide. */
#define ELEM 4u

/* "float32" or "int32", for messages. */
static const char *type_name(clmlp_buf_type t) { return t == CLMLP_BUF_I32 ? "int32" : "float32"; }

/* Creates a plain read-write buffer of `bytes` bytes. */
static int create_mem(clmlp_cl_ctx *ctx, size_t bytes, cl_mem *out)
{
    cl_int err = CL_SUCCESS;
    *out = clCreateBuffer(ctx->context, CL_MEM_READ_WRITE, bytes, NULL, &err);
    if (err != CL_SUCCESS) {
        *out = NULL;
        char what[192];
        snprintf(what, sizeof what, "%zu bytes on %s", bytes, ctx->device_name);
        return clmlp_cl_fail("clCreateBuffer", what, err);
    }
    return CLMLP_OK;
}

/* Grows the scratch buffer to at least `bytes` bytes.  Releasing the old one
 * is safe while queued kernels still use it: OpenCL frees it after them. */
int clmlp_cl_grow(clmlp_cl_ctx *ctx, cl_mem *mem, size_t *have, size_t bytes)
{
    if (bytes <= *have) return CLMLP_OK;
    size_t want = bytes < 4096 ? 4096 : bytes;
    cl_mem m = NULL;
    CLMLP_TRY(create_mem(ctx, want, &m));
    if (*mem) clReleaseMemObject(*mem);
    *mem = m;
    *have = want;
    return CLMLP_OK;
}

int clmlp_cl_scratch(clmlp_cl_ctx *ctx, size_t bytes)
{
    return clmlp_cl_grow(ctx, &ctx->scratch, &ctx->scratch_bytes, bytes);
}

/* Enqueues the fill kernel for `type` over [off, off+n) of mem. */
static int enqueue_fill(clmlp_cl_ctx *ctx, cl_mem mem, clmlp_buf_type type, size_t off, size_t n,
                        float fv, int iv)
{
    clk_call c;
    clmlp_clk_begin(&c, ctx, type == CLMLP_BUF_I32 ? CLK_FILL_I32 : CLK_FILL_F32);
    clmlp_clk_uint(&c, n);
    clmlp_clk_cl_mem(&c, mem);
    clmlp_clk_uint(&c, off);
    if (type == CLMLP_BUF_I32)
        clmlp_clk_int(&c, iv);
    else
        clmlp_clk_float(&c, fv);
    return clmlp_clk_run(&c, n);
}

/* Global memory (clmlp_be_mem_info takes off what the backend holds); on a
 * device whose memory is the host's (PoCL), no more than the host has
 * available now, since such a device takes its pages lazily and an
 * overdraft ends in the OOM killer. */
int clmlp_cl_mem_info(void *vctx, clmlp_mem_info *out)
{
    clmlp_cl_ctx *ctx = vctx;
    out->f32_bytes = ELEM;
    out->i32_bytes = ELEM;
    out->capacity = ctx->global_mem;
    out->limit = ctx->host_memory ? clmlp_host_memory_available() : UINT64_MAX;
    out->max_alloc = ctx->max_alloc;
    out->host_memory = ctx->host_memory;
    return CLMLP_OK;
}

/* Allocates a zero-filled buffer of n elements (the zeros make new buffers
 * match the reference backend's).  Requests beyond the device's largest
 * allocation fail with sizes and device named. */
int clmlp_cl_buf_alloc(void *vctx, clmlp_buf_type type, size_t n, clmlp_buf **out)
{
    clmlp_cl_ctx *ctx = vctx;
    if (n > SIZE_MAX / ELEM)
        return clmlp_set_error(CLMLP_E_NOMEM, "buf_alloc: %zu elements overflow a size", n);
    size_t bytes = n * ELEM;
    if ((cl_ulong)bytes > ctx->max_alloc)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "cannot allocate %zu %s values (%.1f MiB) on %s: its largest "
                               "single allocation (CL_DEVICE_MAX_MEM_ALLOC_SIZE) is %.1f MiB",
                               n, type_name(type), (double)bytes / 1048576.0, ctx->device_name,
                               (double)ctx->max_alloc / 1048576.0);
    if (n > CLMLP_CL_MAX_ELEMS)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "cannot allocate %zu values on %s: the OpenCL backend's "
                               "buffers hold at most %zu elements",
                               n, ctx->device_name, CLMLP_CL_MAX_ELEMS);
    clmlp_cl_buf *b = calloc(1, sizeof *b);
    if (!b) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory allocating a buffer");
    int rc = create_mem(ctx, bytes ? bytes : ELEM, &b->mem);
    if (rc == CLMLP_OK) rc = enqueue_fill(ctx, b->mem, type, 0, n, 0.0f, 0);
    if (rc < 0) {
        clmlp_cl_buf_free(ctx, &b->hdr);
        return rc;
    }
    *out = &b->hdr;
    return CLMLP_OK;
}

/* Releases a buffer (NULL does nothing); the device frees it once queued
 * work using it is done. */
void clmlp_cl_buf_free(void *vctx, clmlp_buf *buf)
{
    (void)vctx;
    if (!buf) return;
    clmlp_cl_buf *b = (clmlp_cl_buf *)buf;
    if (b->mem) clReleaseMemObject(b->mem);
    free(b);
}

/* Enqueues copy_words: n 4-byte elements from src at src_off to dst. */
static int enqueue_copy(clmlp_cl_ctx *ctx, cl_mem src, size_t src_off, cl_mem dst, size_t dst_off,
                        size_t n)
{
    clk_call c;
    clmlp_clk_begin(&c, ctx, CLK_COPY_WORDS);
    clmlp_clk_uint(&c, n);
    clmlp_clk_cl_mem(&c, src);
    clmlp_clk_uint(&c, src_off);
    clmlp_clk_cl_mem(&c, dst);
    clmlp_clk_uint(&c, dst_off);
    return clmlp_clk_run(&c, n);
}

/* Device-side copy of n elements; overlapping ranges of one buffer go
 * through the scratch buffer, so the result is memmove's. */
int clmlp_cl_copy(void *vctx, const clmlp_buf *src, size_t src_off, clmlp_buf *dst, size_t dst_off,
                  size_t n)
{
    clmlp_cl_ctx *ctx = vctx;
    if (n == 0 || (src == dst && src_off == dst_off)) return CLMLP_OK;
    cl_mem s = clmlp_cl_mem(src), d = clmlp_cl_mem(dst);
    if (src == dst && src_off < dst_off + n && dst_off < src_off + n) {
        CLMLP_TRY(clmlp_cl_scratch(ctx, n * ELEM));
        CLMLP_TRY(enqueue_copy(ctx, s, src_off, ctx->scratch, 0, n));
        return enqueue_copy(ctx, ctx->scratch, 0, d, dst_off, n);
    }
    return enqueue_copy(ctx, s, src_off, d, dst_off, n);
}

/* Sets n elements to value (int32 buffers: a whole value, as checked). */
int clmlp_cl_fill(void *vctx, clmlp_buf *b, size_t off, size_t n, float value)
{
    int iv = b->type == CLMLP_BUF_I32 ? (int)value : 0;
    return enqueue_fill(vctx, clmlp_cl_mem(b), b->type, off, n, value, iv);
}

/* dst rows = src rows picked by idx (see backend.h).  The device cannot
 * report a bad index without a sync, so the kernel writes NaN (float) or -1
 * (int) for it instead of reading out of bounds. */
int clmlp_cl_gather_rows(void *vctx, size_t rows, size_t cols, const clmlp_buf *src,
                         const clmlp_buf *idx, size_t idx_off, clmlp_buf *dst, size_t off_dst)
{
    clmlp_cl_ctx *ctx = vctx;
    if (rows == 0 || cols == 0) return CLMLP_OK;
    clk_call c;
    clmlp_clk_begin(&c, ctx,
                    src->type == CLMLP_BUF_I32 ? CLK_GATHER_ROWS_I32 : CLK_GATHER_ROWS_F32);
    clmlp_clk_uint(&c, rows);
    clmlp_clk_uint(&c, cols);
    clmlp_clk_mem(&c, src);
    clmlp_clk_uint(&c, src->n / cols);
    clmlp_clk_mem(&c, idx);
    clmlp_clk_uint(&c, idx_off);
    clmlp_clk_mem(&c, dst);
    clmlp_clk_uint(&c, off_dst);
    return clmlp_clk_run_2d(&c, cols, rows);
}
