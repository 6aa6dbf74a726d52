/* The reference backend: plain C, double precision, every argument checked.
 * This file holds its lifetime, memory, the shared argument checks, gemm and
 * the table; the layer, loss, data and optimizer ops live in ref_ops.c.  It
 * is slow on purpose only where speed would hide the maths: gemm keeps a
 * cache-friendly loop order because it runs on MNIST-sized problems. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/ref_backend_impl.h"
#include "util/error.h"

/* ---- argument checks ---------------------------------------------------- */

/* Short name of a buffer type, for messages. */
static const char *type_name(clmlp_buf_type t)
{
    return t == CLMLP_BUF_F32 ? "F32" : t == CLMLP_BUF_I32 ? "I32" : "unknown";
}

/* a * b with an overflow check (ref_backend_impl.h has the contract). */
int ref_mul(const char *op, size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return clmlp_set_error(CLMLP_E_INVALID, "ref %s: size %zu x %zu overflows", op, a,
                               b);
    *out = a * b;
    return CLMLP_OK;
}

/* Checks that b exists and holds count elements from off (any type). */
static int check_range(const char *op, const char *what, const clmlp_buf *b, size_t off,
                       size_t count)
{
    if (!b) return clmlp_set_error(CLMLP_E_INVALID, "ref %s: buffer %s is NULL", op, what);
    /* Written as two comparisons so off + count cannot overflow. */
    if (off > b->n || count > b->n - off)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "ref %s: %s needs %zu elements at offset %zu but its "
                               "buffer holds %zu",
                               op, what, count, off, b->n);
    return CLMLP_OK;
}

/* Range plus type check of one operand. */
int ref_check(const char *op, const char *what, const clmlp_buf *b, clmlp_buf_type type,
              size_t off, size_t count)
{
    CLMLP_TRY(check_range(op, what, b, off, count));
    if (b->type != type)
        return clmlp_set_error(CLMLP_E_INVALID, "ref %s: %s must be an %s buffer, not %s",
                               op, what, type_name(type), type_name(b->type));
    return CLMLP_OK;
}

/* Range check of a strided matrix: the last element is what must fit. */
int ref_check_mat(const char *op, const char *what, const clmlp_buf *b, size_t off,
                  size_t rows, size_t cols, size_t ld, size_t *span)
{
    size_t s = 0;
    if (ld < cols)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "ref %s: %s is %zu x %zu but its leading dimension is %zu",
                               op, what, rows, cols, ld);
    if (rows > 0 && cols > 0) {
        /* The last element is at (rows-1)*ld + cols-1 from off. */
        CLMLP_TRY(ref_mul(op, rows - 1, ld, &s));
        if (s > SIZE_MAX - cols)
            return clmlp_set_error(CLMLP_E_INVALID, "ref %s: %s of %zu x %zu (ld %zu) overflows",
                                   op, what, rows, cols, ld);
        s += cols;
    }
    CLMLP_TRY(ref_check(op, what, b, CLMLP_BUF_F32, off, s));
    if (span) *span = s;
    return CLMLP_OK;
}

/* Interval intersection, for operands that share one buffer. */
int ref_overlap(const clmlp_buf *a, size_t off_a, size_t n_a, const clmlp_buf *b,
                size_t off_b, size_t n_b)
{
    if (a != b || n_a == 0 || n_b == 0) return 0;
    /* Both ranges were checked to lie inside the buffer, so no overflow. */
    return off_a < off_b + n_b && off_b < off_a + n_a;
}

/* The message for operands that may not overlap. */
int ref_overlap_error(const char *op, const char *what_a, const char *what_b)
{
    return clmlp_set_error(CLMLP_E_INVALID, "ref %s: %s and %s overlap in one buffer", op,
                           what_a, what_b);
}

/* metrics must be an F32 buffer with room for every CLMLP_METRIC_*. */
int ref_check_metrics(const char *op, const clmlp_buf *metrics)
{
    return ref_check(op, "metrics", metrics, CLMLP_BUF_F32, 0, CLMLP_METRIC_COUNT);
}

/* ---- lifetime ----------------------------------------------------------- */

/* Frees the context (the table itself is static). */
static void ref_free(void *ctx) { free(ctx); }

/* ---- memory ------------------------------------------------------------- */

/* Allocates a zero-filled buffer of n elements; n == 0 is allowed. */
static int ref_buf_alloc(void *ctx, clmlp_buf_type type, size_t n, clmlp_buf **out)
{
    ref_ctx *c = ctx;
    if (!out) return clmlp_set_error(CLMLP_E_INVALID, "ref buf_alloc: out is NULL");
    *out = NULL;
    if (type != CLMLP_BUF_F32 && type != CLMLP_BUF_I32)
        return clmlp_set_error(CLMLP_E_INVALID, "ref buf_alloc: unknown buffer type %d",
                               (int)type);
    size_t elem = type == CLMLP_BUF_F32 ? sizeof(double) : sizeof(int32_t);
    if (n > SIZE_MAX / elem)
        return clmlp_set_error(CLMLP_E_NOMEM,
                               "ref buf_alloc: %zu elements of %zu bytes overflow", n, elem);
    clmlp_buf *b = calloc(1, sizeof *b);
    /* One element at least, so a zero-sized buffer still has a valid pointer. */
    void *data = calloc(n ? n : 1, elem);
    if (!b || !data) {
        free(b);
        free(data);
        return clmlp_set_error(CLMLP_E_NOMEM, "ref buf_alloc: out of memory for %zu %s values",
                               n, type_name(type));
    }
    b->type = type;
    b->n = n;
    if (type == CLMLP_BUF_F32)
        b->d = data;
    else
        b->i = data;
    c->live_bufs++;
    *out = b;
    return CLMLP_OK;
}

/* Frees a buffer; NULL does nothing. */
static void ref_buf_free(void *ctx, clmlp_buf *b)
{
    ref_ctx *c = ctx;
    if (!b) return;
    free(b->d);
    free(b->i);
    free(b);
    c->live_bufs--;
}

/* Copies n host values (float for F32, int32_t for I32) into dst at off. */
static int ref_upload(void *ctx, clmlp_buf *dst, size_t off, const void *src, size_t n)
{
    (void)ctx;
    CLMLP_TRY(check_range("upload", "dst", dst, off, n));
    if (n == 0) return CLMLP_OK;
    if (!src) return clmlp_set_error(CLMLP_E_INVALID, "ref upload: src is NULL");
    if (dst->type == CLMLP_BUF_F32) {
        const float *s = src;
        for (size_t i = 0; i < n; i++) dst->d[off + i] = s[i];
    } else {
        memcpy(dst->i + off, src, n * sizeof(int32_t));
    }
    return CLMLP_OK;
}

/* Copies n values from src at off to the host (F32 values rounded to float). */
static int ref_download(void *ctx, const clmlp_buf *src, size_t off, void *dst, size_t n)
{
    (void)ctx;
    CLMLP_TRY(check_range("download", "src", src, off, n));
    if (n == 0) return CLMLP_OK;
    if (!dst) return clmlp_set_error(CLMLP_E_INVALID, "ref download: dst is NULL");
    if (src->type == CLMLP_BUF_F32) {
        float *d = dst;
        for (size_t i = 0; i < n; i++) d[i] = (float)src->d[off + i];
    } else {
        memcpy(dst, src->i + off, n * sizeof(int32_t));
    }
    return CLMLP_OK;
}

/* Copies n doubles into the F32 buffer dst at off, exactly: this backend
 * keeps doubles, so gradient checks can move values without float rounding. */
static int ref_upload_f64(void *ctx, clmlp_buf *dst, size_t off, const double *src,
                          size_t n)
{
    (void)ctx;
    CLMLP_TRY(ref_check("upload_f64", "dst", dst, CLMLP_BUF_F32, off, n));
    if (n == 0) return CLMLP_OK;
    if (!src) return clmlp_set_error(CLMLP_E_INVALID, "ref upload_f64: src is NULL");
    memcpy(dst->d + off, src, n * sizeof(double));
    return CLMLP_OK;
}

/* Copies n values of the F32 buffer src from off to the host, as doubles. */
static int ref_download_f64(void *ctx, const clmlp_buf *src, size_t off, double *dst,
                            size_t n)
{
    (void)ctx;
    CLMLP_TRY(ref_check("download_f64", "src", src, CLMLP_BUF_F32, off, n));
    if (n == 0) return CLMLP_OK;
    if (!dst) return clmlp_set_error(CLMLP_E_INVALID, "ref download_f64: dst is NULL");
    memcpy(dst, src->d + off, n * sizeof(double));
    return CLMLP_OK;
}

/* Copies n elements between buffers of one type; overlapping ranges in one
 * buffer behave like memmove. */
static int ref_copy(void *ctx, const clmlp_buf *src, size_t src_off, clmlp_buf *dst,
                    size_t dst_off, size_t n)
{
    (void)ctx;
    CLMLP_TRY(check_range("copy", "src", src, src_off, n));
    CLMLP_TRY(ref_check("copy", "dst", dst, src->type, dst_off, n));
    if (n == 0) return CLMLP_OK;
    if (src->type == CLMLP_BUF_F32)
        memmove(dst->d + dst_off, src->d + src_off, n * sizeof(double));
    else
        memmove(dst->i + dst_off, src->i + src_off, n * sizeof(int32_t));
    return CLMLP_OK;
}

/* Sets n elements from off to value; an I32 buffer takes only whole values
 * that fit in int32, since anything else would be silently changed. */
static int ref_fill(void *ctx, clmlp_buf *b, size_t off, size_t n, float value)
{
    (void)ctx;
    CLMLP_TRY(check_range("fill", "buffer", b, off, n));
    if (b->type == CLMLP_BUF_F32) {
        for (size_t i = 0; i < n; i++) b->d[off + i] = value;
        return CLMLP_OK;
    }
    double v = value;
    if (!(v >= -2147483648.0 && v < 2147483648.0) || (double)(int32_t)v != v)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "ref fill: %g is not a whole int32 value for an I32 buffer", v);
    for (size_t i = 0; i < n; i++) b->i[off + i] = (int32_t)v;
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
 * a dot product.  C may not overlap A or B. */
static int ref_gemm(void *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                    float alpha, const clmlp_buf *a, size_t off_a, size_t lda,
                    const clmlp_buf *b, size_t off_b, size_t ldb, float beta, clmlp_buf *c,
                    size_t off_c, size_t ldc)
{
    (void)ctx;
    size_t span_a, span_b, span_c;
    /* Stored shapes: A is m x k (k x m transposed), B is k x n (n x k). */
    CLMLP_TRY(ref_check_mat("gemm", "A", a, off_a, trans_a ? k : m, trans_a ? m : k, lda,
                            &span_a));
    CLMLP_TRY(ref_check_mat("gemm", "B", b, off_b, trans_b ? n : k, trans_b ? k : n, ldb,
                            &span_b));
    CLMLP_TRY(ref_check_mat("gemm", "C", c, off_c, m, n, ldc, &span_c));
    if (ref_overlap(c, off_c, span_c, a, off_a, span_a))
        return ref_overlap_error("gemm", "C", "A");
    if (ref_overlap(c, off_c, span_c, b, off_b, span_b))
        return ref_overlap_error("gemm", "C", "B");
    if (m == 0 || n == 0) return CLMLP_OK;

    const double *A = a->d + off_a, *B = b->d + off_b;
    double *C = c->d + off_c;
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

static const clmlp_backend_i ref_iface = {
    .name = "ref",
    .free = ref_free,
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
    .bias_act_forward = ref_bias_act_forward,
    .act_backward = ref_act_backward,
    .bias_grad = ref_bias_grad,
    .loss_grad = ref_loss_grad,
    .count_correct = ref_count_correct,
    .gather_rows = ref_gather_rows,
    .nonfinite_check = ref_nonfinite_check,
    .sgd_update = ref_sgd_update,
    .adam_update = ref_adam_update,
};

/* Fills be with the reference table and a fresh context (owned by be,
 * released through the table's free). */
int clmlp_ref_backend_open(clmlp_backend_t *be)
{
    if (!be) return clmlp_set_error(CLMLP_E_INVALID, "ref backend: no backend to fill");
    ref_ctx *c = calloc(1, sizeof *c);
    if (!c) return clmlp_set_error(CLMLP_E_NOMEM, "ref backend: out of memory");
    be->iface = &ref_iface;
    be->ctx = c;
    snprintf(be->description, sizeof be->description, "%s",
             "reference backend (C, double precision)");
    return CLMLP_OK;
}
