/* The reference backend: plain C, double precision.  This file holds its
 * lifetime, memory, gemm and the table; the layer, loss, data and optimizer
 * ops live in ref_ops.c.  Arguments arrive checked (backend_check.c).  It
 * is slow on purpose only where speed would hide the maths: gemm keeps a
 * cache-friendly loop order because it runs on MNIST-sized problems. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/ref/ref_internal.h"
#include "util/error.h"
#include "util/host_memory.h"

/* ---- lifetime ----------------------------------------------------------- */

/* Frees the context (the table itself is static). */
static void ref_free(void *ctx) { free(ctx); }

/* ---- memory ------------------------------------------------------------- */

/* Host memory: doubles for F32 values, and the host's available memory. */
static int ref_mem_info(void *ctx, clmlp_mem_info *out)
{
    (void)ctx;
    out->f32_bytes = sizeof(double);
    out->i32_bytes = sizeof(int32_t);
    out->capacity = UINT64_MAX;
    out->limit = clmlp_host_memory_available(); /* already less what we hold */
    out->max_alloc = out->limit;
    out->host_memory = 1;
    return CLMLP_OK;
}

/* Allocates a zero-filled buffer of n elements; n == 0 is allowed. */
static int ref_buf_alloc(void *ctx, clmlp_buf_type type, size_t n, clmlp_buf **out)
{
    ref_ctx *c = ctx;
    size_t elem = type == CLMLP_BUF_F32 ? sizeof(double) : sizeof(int32_t);
    if (n > SIZE_MAX / elem)
        return clmlp_set_error(CLMLP_E_NOMEM, "ref buf_alloc: %zu elements of %zu bytes overflow",
                               n, elem);
    ref_buf *b = calloc(1, sizeof *b);
    /* One element at least, so a zero-sized buffer still has a valid pointer. */
    void *data = calloc(n ? n : 1, elem);
    if (!b || !data) {
        free(b);
        free(data);
        return clmlp_set_error(CLMLP_E_NOMEM, "ref buf_alloc: out of memory for %zu %s values", n,
                               type == CLMLP_BUF_F32 ? "F32" : "I32");
    }
    if (type == CLMLP_BUF_F32)
        b->d = data;
    else
        b->i = data;
    c->live_bufs++;
    *out = &b->hdr;
    return CLMLP_OK;
}

/* Frees a buffer; NULL does nothing. */
static void ref_buf_free(void *ctx, clmlp_buf *buf)
{
    ref_ctx *c = ctx;
    if (!buf) return;
    ref_buf *b = (ref_buf *)buf;
    free(b->d);
    free(b->i);
    free(b);
    c->live_bufs--;
}

/* Copies n host values (float for F32, int32_t for I32) into dst at off. */
static int ref_upload(void *ctx, clmlp_buf *dst, size_t off, const void *src, size_t n)
{
    (void)ctx;
    if (n == 0) return CLMLP_OK;
    if (dst->type == CLMLP_BUF_F32) {
        const float *s = src;
        double *d = ref_d(dst) + off;
        for (size_t i = 0; i < n; i++) d[i] = s[i];
    } else {
        memcpy(ref_i(dst) + off, src, n * sizeof(int32_t));
    }
    return CLMLP_OK;
}

/* Copies n values from src at off to the host (F32 values rounded to float). */
static int ref_download(void *ctx, const clmlp_buf *src, size_t off, void *dst, size_t n)
{
    (void)ctx;
    if (n == 0) return CLMLP_OK;
    if (src->type == CLMLP_BUF_F32) {
        float *d = dst;
        const double *s = ref_d(src) + off;
        for (size_t i = 0; i < n; i++) d[i] = (float)s[i];
    } else {
        memcpy(dst, ref_i(src) + off, n * sizeof(int32_t));
    }
    return CLMLP_OK;
}

/* Copies n doubles into the F32 buffer dst at off, exactly: this backend
 * keeps doubles, so gradient checks can move values without float rounding. */
static int ref_upload_f64(void *ctx, clmlp_buf *dst, size_t off, const double *src, size_t n)
{
    (void)ctx;
    if (n) memcpy(ref_d(dst) + off, src, n * sizeof(double));
    return CLMLP_OK;
}

/* Copies n values of the F32 buffer src from off to the host, as doubles. */
static int ref_download_f64(void *ctx, const clmlp_buf *src, size_t off, double *dst, size_t n)
{
    (void)ctx;
    if (n) memcpy(dst, ref_d(src) + off, n * sizeof(double));
    return CLMLP_OK;
}

/* Copies n elements between buffers of one type; overlapping ranges in one
 * buffer behave like memmove. */
static int ref_copy(void *ctx, const clmlp_buf *src, size_t src_off, clmlp_buf *dst, size_t dst_off,
                    size_t n)
{
    (void)ctx;
    if (n == 0) return CLMLP_OK;
    if (src->type == CLMLP_BUF_F32)
        memmove(ref_d(dst) + dst_off, ref_d(src) + src_off, n * sizeof(double));
    else
        memmove(ref_i(dst) + dst_off, ref_i(src) + src_off, n * sizeof(int32_t));
    return CLMLP_OK;
}

/* Sets n elements from off to value (for I32 the contract made sure it is
 * a whole int32 value). */
static int ref_fill(void *ctx, clmlp_buf *b, size_t off, size_t n, float value)
{
    (void)ctx;
    if (b->type == CLMLP_BUF_F32) {
        double *d = ref_d(b) + off;
        for (size_t i = 0; i < n; i++) d[i] = value;
    } else {
        int32_t *d = ref_i(b) + off;
        for (size_t i = 0; i < n; i++) d[i] = (int32_t)value;
    }
    return CLMLP_OK;
}

/* Every op finishes before it returns, so there is nothing to wait for. */
static int ref_synchronize(void *ctx)
{
    (void)ctx;
    return CLMLP_OK;
}

/* ---- gemm --------------------------------------------------------------- */

/* c[j] = beta * c[j]; beta == 0 overwrites, so NaN in the old c is dropped
 * as BLAS does. */
static void row_scale(double *c, size_t n, double beta)
{
    if (beta == 0.0)
        for (size_t j = 0; j < n; j++) c[j] = 0.0;
    else if (beta != 1.0)
        for (size_t j = 0; j < n; j++) c[j] *= beta;
}

/* c[j] += a * b[j]: the innermost loop when B is not transposed, contiguous
 * in c and b (restrict holds: gemm rejects C overlapping A or B). */
static void row_axpy(double *restrict c, const double *restrict b, size_t n, double a)
{
    for (size_t j = 0; j < n; j++) c[j] += a * b[j];
}

/* sum_p x[p * incx] * y[p]: a dot product with y contiguous.  Four partial
 * sums break the chain of dependent additions (a single accumulator runs at
 * one add per FPU latency); in double the changed order costs nothing. */
static double dot_strided(const double *x, size_t incx, const double *y, size_t k)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t p = 0;
    for (; p + 4 <= k; p += 4) {
        s0 += x[p * incx] * y[p];
        s1 += x[(p + 1) * incx] * y[p + 1];
        s2 += x[(p + 2) * incx] * y[p + 2];
        s3 += x[(p + 3) * incx] * y[p + 3];
    }
    for (; p < k; p++) s0 += x[p * incx] * y[p];
    return (s0 + s1) + (s2 + s3);
}

/* Rows of C per block in the transposed-B case: 32 rows of a 100-wide A
 * are 25 KiB, which stays in a first-level cache. */
#define GEMM_ROWS 32

/* C = alpha * op(A) op(B) + beta * C, row-major.  With B not transposed
 * the innermost loop walks a row of B into a row of C (axpy), in i-k-j
 * order, or k-i-j when A is transposed so that A is read along its rows
 * too; with B transposed its rows are op(B)'s columns, so each C element is
 * a dot product.  C does not overlap A or B (the contract). */
static int ref_gemm(void *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                    const clmlp_buf *a, size_t off_a, size_t lda, const clmlp_buf *b, size_t off_b,
                    size_t ldb, float beta, clmlp_buf *c, size_t off_c, size_t ldc)
{
    (void)ctx;
    if (m == 0 || n == 0) return CLMLP_OK;

    const double *A = ref_d(a) + off_a, *B = ref_d(b) + off_b;
    double *C = ref_d(c) + off_c;
    double al = alpha, be = beta;
    if (trans_b) {
        /* Blocks of GEMM_ROWS rows of C, so each row of B is fetched once
         * per block rather than once per row of C. */
        for (size_t i0 = 0; i0 < m; i0 += GEMM_ROWS) {
            size_t i1 = m - i0 < GEMM_ROWS ? m : i0 + GEMM_ROWS;
            for (size_t j = 0; j < n; j++)
                for (size_t i = i0; i < i1; i++) {
                    /* op(A)'s row i: a row of A, or its column i when transposed. */
                    const double *arow = trans_a ? A + i : A + i * lda;
                    double s = al * dot_strided(arow, trans_a ? lda : 1, B + j * ldb, k);
                    double *cij = C + i * ldc + j;
                    *cij = be == 0.0 ? s : s + be * *cij;
                }
        }
        return CLMLP_OK;
    }
    for (size_t i = 0; i < m; i++) row_scale(C + i * ldc, n, be);
    if (!trans_a) {
        for (size_t i = 0; i < m; i++)
            for (size_t p = 0; p < k; p++)
                row_axpy(C + i * ldc, B + p * ldb, n, al * A[i * lda + p]);
    } else {
        /* A is stored k x m: row p of A holds op(A)[0..m)[p]. */
        for (size_t p = 0; p < k; p++)
            for (size_t i = 0; i < m; i++)
                row_axpy(C + i * ldc, B + p * ldb, n, al * A[p * lda + i]);
    }
    return CLMLP_OK;
}

/* ---- the table ---------------------------------------------------------- */

const clmlp_backend_i clmlp_ref_iface = {
    .name = "ref",
    .free = ref_free,
    .mem_info = ref_mem_info,
    .buf_alloc = ref_buf_alloc,
    .buf_free = ref_buf_free,
    .upload = ref_upload,
    .download = ref_download,
    .copy = ref_copy,
    .upload_f64 = ref_upload_f64,
    .download_f64 = ref_download_f64,
    .fill = ref_fill,
    .synchronize = ref_synchronize,
    .gemm = ref_gemm,
    .bias_act_forward = clmlp_ref_bias_act_forward,
    .act_backward = clmlp_ref_act_backward,
    .bias_grad = clmlp_ref_bias_grad,
    .dropout = clmlp_ref_dropout,
    .custom_forward = clmlp_ref_custom_forward,
    .custom_backward = clmlp_ref_custom_backward,
    .loss_grad = clmlp_ref_loss_grad,
    .count_correct = clmlp_ref_count_correct,
    .abs_error = clmlp_ref_abs_error,
    .gather_rows = clmlp_ref_gather_rows,
    .nonfinite_check = clmlp_ref_nonfinite_check,
    .sgd_update = clmlp_ref_sgd_update,
    .adam_update = clmlp_ref_adam_update,
};

/* Fills be with the reference table and a fresh context (owned by be,
 * released through the table's free). */
int clmlp_ref_backend_open(clmlp_backend_t *be)
{
    if (!be) return clmlp_set_error(CLMLP_E_INVALID, "ref backend: no backend to fill");
    ref_ctx *c = calloc(1, sizeof *c);
    if (!c) return clmlp_set_error(CLMLP_E_NOMEM, "ref backend: out of memory");
    be->iface = &clmlp_ref_iface;
    be->ctx = c;
    snprintf(be->description, sizeof be->description, "%s",
             "reference backend (C, double precision)");
    snprintf(be->device, sizeof be->device, "the reference backend");
    return CLMLP_OK;
}
