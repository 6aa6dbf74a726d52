/* Device memory: buffers (cl_mem with type and size), their range checks,
 * copies, fills, batch gathers, and the scratch buffer.  Host transfers are
 * in cl_transfer.c.  Nothing here waits for the device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* Both element types are 4 bytes wide. */
#define ELEM 4u

/* "float32" or "int32", for messages. */
static const char *type_name(clmlp_buf_type t)
{
    return t == CLMLP_BUF_I32 ? "int32" : "float32";
}

/* Checks a buffer argument's presence, type and the range [off, off+n). */
int clmlp_cl_check_range(const clmlp_buf *b, clmlp_buf_type type, size_t off, size_t n,
                         const char *op, const char *what)
{
    if (!b) return clmlp_set_error(CLMLP_E_INVALID, "%s: %s is NULL", op, what);
    if (b->type != type)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: %s holds %s values, not %s", op, what,
                               type_name(b->type), type_name(type));
    if (off > b->n || n > b->n - off)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%s: %s elements [%zu, %zu+%zu) lie outside its %zu elements",
                               op, what, off, off, n, b->n);
    return CLMLP_OK;
}

/* Whether two element ranges of one buffer overlap. */
int clmlp_cl_overlap(const clmlp_buf *a, size_t off_a, size_t n_a, const clmlp_buf *b,
                     size_t off_b, size_t n_b)
{
    if (!a || !b || a->mem != b->mem || n_a == 0 || n_b == 0) return 0;
    return off_a < off_b + n_b && off_b < off_a + n_a;
}

/* The message for two operands that may not overlap but do. */
int clmlp_cl_overlap_error(const char *op, const char *a, const char *b)
{
    return clmlp_set_error(CLMLP_E_INVALID, "%s: %s and %s overlap in one buffer", op, a, b);
}

/* Checks the metrics buffer: float32, CLMLP_METRIC_COUNT elements at least. */
int clmlp_cl_check_metrics(const clmlp_buf *m, const char *op)
{
    return clmlp_cl_check_range(m, CLMLP_BUF_F32, 0, CLMLP_METRIC_COUNT, op, "metrics");
}

/* rows * cols, refusing overflow and counts beyond the kernels' 32 bits. */
int clmlp_cl_elems(size_t rows, size_t cols, const char *op, size_t *out)
{
    if (cols && rows > CLMLP_CL_MAX_ELEMS / cols)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: %zu x %zu elements are too many", op,
                               rows, cols);
    *out = rows * cols;
    return CLMLP_OK;
}

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

/* Enqueues the fill kernel of b's type over [off, off+n). */
static int enqueue_fill(clmlp_cl_ctx *ctx, clmlp_buf *b, size_t off, size_t n, float fv,
                        int iv)
{
    clk_call c;
    if (b->type == CLMLP_BUF_I32) {
        clk_begin(&c, ctx, CLK_FILL_I32);
        clk_uint(&c, n);
        clk_mem(&c, b);
        clk_uint(&c, off);
        clk_int(&c, iv);
    } else {
        clk_begin(&c, ctx, CLK_FILL_F32);
        clk_uint(&c, n);
        clk_mem(&c, b);
        clk_uint(&c, off);
        clk_float(&c, fv);
    }
    return clk_run(&c, n);
}

/* Allocates a zero-filled buffer of n elements (the zeros make new buffers
 * match the reference backend's).  Requests beyond the device's largest
 * allocation fail with sizes and device named. */
int clmlp_cl_buf_alloc(void *vctx, clmlp_buf_type type, size_t n, clmlp_buf **out)
{
    clmlp_cl_ctx *ctx = vctx;
    if (!out) return clmlp_set_error(CLMLP_E_INVALID, "buf_alloc: out is NULL");
    *out = NULL;
    if (type != CLMLP_BUF_F32 && type != CLMLP_BUF_I32)
        return clmlp_set_error(CLMLP_E_INVALID, "buf_alloc: unknown buffer type %d", (int)type);
    if (n > SIZE_MAX / ELEM)
        return clmlp_set_error(CLMLP_E_NOMEM, "buf_alloc: %zu elements overflow a size", n);
    size_t bytes = n * ELEM;
    if ((cl_ulong)bytes > ctx->max_alloc)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "cannot allocate %zu %s values (%.1f MiB) on %s: its largest "
                               "single allocation (CL_DEVICE_MAX_MEM_ALLOC_SIZE) is %.1f MiB",
                               n, type_name(type), (double)bytes / 1048576.0,
                               ctx->device_name, (double)ctx->max_alloc / 1048576.0);
    if (n > CLMLP_CL_MAX_ELEMS)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "cannot allocate %zu values on %s: the OpenCL backend's "
                               "buffers hold at most %zu elements",
                               n, ctx->device_name, CLMLP_CL_MAX_ELEMS);
    clmlp_buf *b = calloc(1, sizeof *b);
    if (!b) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory allocating a buffer");
    b->type = type;
    b->n = n;
    int rc = create_mem(ctx, bytes ? bytes : ELEM, &b->mem);
    if (rc == CLMLP_OK) rc = enqueue_fill(ctx, b, 0, n, 0.0f, 0);
    if (rc < 0) {
        clmlp_cl_buf_free(ctx, b);
        return rc;
    }
    *out = b;
    return CLMLP_OK;
}

/* Releases a buffer (NULL does nothing); the device frees it once queued
 * work using it is done. */
void clmlp_cl_buf_free(void *vctx, clmlp_buf *b)
{
    (void)vctx;
    if (!b) return;
    if (b->mem) clReleaseMemObject(b->mem);
    free(b);
}

/* Enqueues copy_words: n 4-byte elements from src at src_off to dst. */
static int enqueue_copy(clmlp_cl_ctx *ctx, cl_mem src, size_t src_off, cl_mem dst,
                        size_t dst_off, size_t n)
{
    clmlp_buf s = {src, CLMLP_BUF_F32, 0}, d = {dst, CLMLP_BUF_F32, 0};
    clk_call c;
    clk_begin(&c, ctx, CLK_COPY_WORDS);
    clk_uint(&c, n);
    clk_mem(&c, &s);
    clk_uint(&c, src_off);
    clk_mem(&c, &d);
    clk_uint(&c, dst_off);
    return clk_run(&c, n);
}

/* Device-side copy of n elements; overlapping ranges of one buffer go
 * through the scratch buffer, so the result is memmove's. */
int clmlp_cl_copy(void *vctx, const clmlp_buf *src, size_t src_off, clmlp_buf *dst,
                  size_t dst_off, size_t n)
{
    clmlp_cl_ctx *ctx = vctx;
    if (!src) return clmlp_set_error(CLMLP_E_INVALID, "copy: src is NULL");
    CLMLP_TRY(clmlp_cl_check_range(src, src->type, src_off, n, "copy", "src"));
    CLMLP_TRY(clmlp_cl_check_range(dst, src->type, dst_off, n, "copy", "dst"));
    if (n == 0 || (src->mem == dst->mem && src_off == dst_off)) return CLMLP_OK;
    if (clmlp_cl_overlap(src, src_off, n, dst, dst_off, n)) {
        CLMLP_TRY(clmlp_cl_scratch(ctx, n * ELEM));
        CLMLP_TRY(enqueue_copy(ctx, src->mem, src_off, ctx->scratch, 0, n));
        return enqueue_copy(ctx, ctx->scratch, 0, dst->mem, dst_off, n);
    }
    return enqueue_copy(ctx, src->mem, src_off, dst->mem, dst_off, n);
}

/* Sets n elements to value (int32 buffers: a whole value that fits only). */
int clmlp_cl_fill(void *vctx, clmlp_buf *b, size_t off, size_t n, float value)
{
    clmlp_cl_ctx *ctx = vctx;
    if (!b) return clmlp_set_error(CLMLP_E_INVALID, "fill: buffer is NULL");
    CLMLP_TRY(clmlp_cl_check_range(b, b->type, off, n, "fill", "buffer"));
    int iv = 0;
    if (b->type == CLMLP_BUF_I32) {
        double v = value;
        if (!(v >= -2147483648.0 && v < 2147483648.0) || (double)(int32_t)v != v)
            return clmlp_set_error(CLMLP_E_INVALID, "fill: %g is not a whole int32 value",
                                   v);
        iv = (int)v;
    }
    return enqueue_fill(ctx, b, off, n, value, iv);
}

/* dst rows = src rows picked by idx (see backend.h).  The device cannot
 * report a bad index without a sync, so the kernel writes NaN (float) or -1
 * (int) for it instead of reading out of bounds. */
int clmlp_cl_gather_rows(void *vctx, size_t rows, size_t cols, const clmlp_buf *src,
                         const clmlp_buf *idx, size_t idx_off, clmlp_buf *dst,
                         size_t off_dst)
{
    clmlp_cl_ctx *ctx = vctx;
    const char *op = "gather_rows";
    size_t total = 0;
    if (!src) return clmlp_set_error(CLMLP_E_INVALID, "%s: src is NULL", op);
    CLMLP_TRY(clmlp_cl_elems(rows, cols, op, &total));
    CLMLP_TRY(clmlp_cl_check_range(idx, CLMLP_BUF_I32, idx_off, rows, op, "idx"));
    CLMLP_TRY(clmlp_cl_check_range(dst, src->type, off_dst, total, op, "dst"));
    /* Any row of src may be read, so dst may not share its buffer. */
    if (dst->mem == src->mem) return clmlp_cl_overlap_error(op, "dst", "src");
    if (total == 0) return CLMLP_OK;
    clk_call c;
    clk_begin(&c, ctx, src->type == CLMLP_BUF_I32 ? CLK_GATHER_ROWS_I32 : CLK_GATHER_ROWS_F32);
    clk_uint(&c, rows);
    clk_uint(&c, cols);
    clk_mem(&c, src);
    clk_uint(&c, src->n / cols);
    clk_mem(&c, idx);
    clk_uint(&c, idx_off);
    clk_mem(&c, dst);
    clk_uint(&c, off_dst);
    return clk_run_2d(&c, cols, rows);
}
