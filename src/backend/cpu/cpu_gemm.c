/* The cpu backend's GEMM: cblas_sgemm, row-major, on the BLAS that CMake's
 * FindBLAS linked (cpu_blas.c says which): one call, or for the shapes the
 * BLAS spreads badly over the threads, one call per thread on blocks of C. */
#include <limits.h>

#include "backend/cpu/cpu_internal.h"
#include "util/error.h"

/* The CBLAS interface, declared here rather than taken from a vendor's
 * header: FindBLAS finds libraries, not headers, and every CBLAS (OpenBLAS,
 * BLIS, MKL, netlib) shares this ABI, with 32-bit integers (the LP64
 * builds that Debian's packages and FindBLAS's defaults are). */
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };
void cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                 const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* How to spread one GEMM over the threads: leave it to the BLAS, or cut C
 * into row or column blocks, one per thread, each a single-threaded call
 * (an OpenMP BLAS runs one thread inside a parallel region). */
typedef enum { SPLIT_NONE, SPLIT_ROWS, SPLIT_COLS } gemm_split;

/* Below this many multiply-adds a GEMM is not worth two threads; up to the
 * second bound, OpenBLAS 0.3.21 (SkylakeX kernels, 2 cores) spreads the
 * shapes of a training step worse than blocks of C do: measured on W1's
 * 100x100x784 forward product 138 -> 116 us, W3's 256x1024x10 dX 108 -> 69
 * us; above it its own threading is as good or better (NT 128x512x512:
 * 438 us whole, 593 split).  The weight gradient (A transposed: in x batch
 * times batch x units) splits well at every size (784x100x100 161 -> 89
 * us, 1024x1024x256 2794 -> 2656 us), since the BLAS cuts its small inner
 * dimension instead. */
#define SPLIT_MIN_WORK ((size_t)1 << 20)
#define SPLIT_MAX_WORK ((size_t)1 << 24)
/* Each block keeps at least this many rows or columns for the kernels. */
#define SPLIT_MIN_SIDE 32

/* The split for an m x n x k GEMM on nt threads. */
static gemm_split choose_split(const cpu_ctx *ctx, int trans_a, size_t m, size_t n, size_t k)
{
    if (ctx->threads < 2 || !ctx->blas.openmp) return SPLIT_NONE;
    size_t work = m * n * k, side = SPLIT_MIN_SIDE * (size_t)ctx->threads;
    if (work < SPLIT_MIN_WORK) return SPLIT_NONE;
    if (trans_a && m >= side) return SPLIT_ROWS;
    if (work > SPLIT_MAX_WORK) return SPLIT_NONE;
    if (m >= side) return SPLIT_ROWS;
    return n >= side ? SPLIT_COLS : SPLIT_NONE;
}

/* One cblas_sgemm on blocks of the operands (sizes checked to fit int). */
static void sgemm(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                  const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                  size_t ldc)
{
    cblas_sgemm(CBLAS_ROW_MAJOR, trans_a ? CBLAS_TRANS : CBLAS_NO_TRANS,
                trans_b ? CBLAS_TRANS : CBLAS_NO_TRANS, (int)m, (int)n, (int)k, alpha, a, (int)lda,
                b, (int)ldb, beta, c, (int)ldc);
}

/* C = alpha op(A) op(B) + beta C.  k == 0 (C = beta C) is done here, since
 * BLASes differ on a zero inner size; beta == 0 overwrites C, NaN included. */
int clmlp_cpu_gemm(void *vctx, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                   const clmlp_buf *a, size_t off_a, size_t lda, const clmlp_buf *b, size_t off_b,
                   size_t ldb, float beta, clmlp_buf *c, size_t off_c, size_t ldc)
{
    const cpu_ctx *ctx = vctx;
    if (m == 0 || n == 0) return CLMLP_OK;
    float *C = cpu_f(c) + off_c;
    if (k == 0) {
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return CLMLP_OK;
    }
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX || ldb > INT_MAX ||
        ldc > INT_MAX)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "gemm: %zu x %zu x %zu (lds %zu, %zu, %zu) exceeds the BLAS's "
                               "32-bit sizes",
                               m, n, k, lda, ldb, ldc);
    const float *A = cpu_f(a) + off_a, *B = cpu_f(b) + off_b;
    gemm_split split = choose_split(ctx, trans_a, m, n, k);
    if (split == SPLIT_NONE) {
        sgemm(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
        return CLMLP_OK;
    }
    int nt = ctx->threads;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; t++) {
        size_t lo, hi;
        if (split == SPLIT_ROWS) {
            /* Rows lo..hi of C come from rows lo..hi of op(A): of A, or
             * its columns when transposed. */
            cpu_part(m, t, nt, &lo, &hi);
            const float *At = trans_a ? A + lo : A + lo * lda;
            sgemm(trans_a, trans_b, hi - lo, n, k, alpha, At, lda, B, ldb, beta, C + lo * ldc, ldc);
        } else {
            /* Columns lo..hi of C come from columns lo..hi of op(B). */
            cpu_part(n, t, nt, &lo, &hi);
            const float *Bt = trans_b ? B + lo * ldb : B + lo;
            sgemm(trans_a, trans_b, m, hi - lo, k, alpha, A, lda, Bt, ldb, beta, C + lo, ldc);
        }
    }
    return CLMLP_OK;
}
