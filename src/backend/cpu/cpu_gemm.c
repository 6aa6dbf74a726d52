/* The cpu backend's GEMM: cblas_sgemm, row-major, on the BLAS that CMake's
 * FindBLAS linked (cpu_blas.c says which): one single-threaded call, or
 * for products worth more threads, one call per block of C, the blocks
 * shared by the threads. */
#include <limits.h>

#include "backend/cpu/cpu_internal.h"
#include "util/error.h"

/* How one GEMM runs: C cut into `parts` blocks of rows or of columns,
 * each a single-threaded BLAS call (the backend runs the BLAS on one thread
 * and does the threading itself), shared by the threads running now.  The
 * blocks depend on the shape and the backend's thread count alone: a BLAS
 * cutting a product its own way gives other bits for other thread counts
 * (OpenBLAS 0.3.21 for every K = 784 product of W1-W3), and the threads
 * running now follow the load (cpu_threads.c). */
typedef struct {
    int by_rows, parts;
} gemm_plan;

/* Below this many multiply-adds a GEMM is not worth two threads.  Above
 * it, blocks of C on 2 threads (OpenBLAS 0.3.21, Cooperlake kernels, 2
 * cores of an AMD EPYC) were as fast as OpenBLAS's own threading or faster: W1's
 * 100x100x784 forward product 124 -> 95 us, its weight gradient (A
 * transposed, 784x100x100) 137 -> 89, W3's 256x1024x784 2000 -> 2030,
 * 256x1024x1024 NT 2850 -> 2850, 1024x1024x256 TN 2910 -> 2790 (best of
 * 5 of each product alone, timed around cblas_sgemm). */
#define SPLIT_MIN_WORK ((size_t)1 << 20)
/* Each block keeps at least this many rows or columns for the kernels. */
#define SPLIT_MIN_SIDE 32

/* A BLAS that reads products of at most SMALL_WORK multiply-adds in place
 * (clmlp_cpu_blas_reads_small_in_place) computes them much faster than it
 * packs larger ones: a product a few times that size is cut into parts of
 * at most SMALL_WORK, while each keeps SMALL_MIN_SIDE rows or columns and
 * there are at most SMALL_PARTS_PER_THREAD a thread.  Measured (OpenBLAS
 * 0.3.21, Cooperlake kernels, best of 5, 2 threads / 1 thread, us): W2's
 * 64x64x784 37.9 -> 28.5 / 66 -> 55 (4 parts), its 784x64x64 weight
 * gradient 35 -> 29 / 66 -> 57 (4), W3's 1024x10x256 85 -> 30 / 160 -> 53
 * (4), 256x10x1024 57 -> 39 / 109 -> 77 (4), W1's 784x100x100 89 -> 72 /
 * 161 -> 142 (8); W1's 100x100x784 stays in 2 (parts of 12 rows: 95 ->
 * 107). */
#define SMALL_WORK ((size_t)1000000)
#define SMALL_MIN_SIDE 16
#define SMALL_PARTS_PER_THREAD 4

/* The plan for an m x n x k GEMM. */
static gemm_plan plan_gemm(const cpu_ctx *ctx, int trans_a, size_t m, size_t n, size_t k)
{
    gemm_plan p = {1, 1};
    size_t work = m * n * k;
    if (work < SPLIT_MIN_WORK) return p;
    /* Every row block packs all of op(B) (k x n), every column block all of
     * op(A) (m x k): cut the longer side of C, and the rows when k is too
     * small for packing to count (256x1024x10 NT: rows 60 us, columns 87)
     * or A is transposed (784x1024x256 TN: rows 1974 us, columns 2008). */
    p.by_rows = m >= n || k < SPLIT_MIN_SIDE || trans_a;
    size_t side = p.by_rows ? m : n, nt = (size_t)ctx->threads;
    if (ctx->small_gemm) {
        /* Parts of at most SMALL_WORK, a multiple of the threads (the
         * largest part, cpu_part's, has the rounded-up side). */
        size_t parts = (work + SMALL_WORK - 1) / SMALL_WORK, slice = work / side;
        parts = (parts + nt - 1) / nt * nt;
        while (parts <= SMALL_PARTS_PER_THREAD * nt &&
               (side + parts - 1) / parts * slice > SMALL_WORK)
            parts += nt;
        if (parts <= SMALL_PARTS_PER_THREAD * nt && side / parts >= SMALL_MIN_SIDE) {
            p.parts = (int)parts;
            return p;
        }
    }
    size_t most = side / SPLIT_MIN_SIDE;
    p.parts = most < nt ? (int)most : (int)nt;
    if (p.parts < 2) p.parts = 1;
    return p;
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
    cpu_ctx *ctx = vctx;
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
    gemm_plan plan = plan_gemm(ctx, trans_a, m, n, k);
    if (plan.parts == 1) {
        sgemm(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
        return CLMLP_OK;
    }
    int np = plan.parts, team = cpu_team(ctx, np);
#pragma omp parallel for num_threads(team) if (team > 1) schedule(static)
    for (int t = 0; t < np; t++) {
        size_t lo, hi;
        if (plan.by_rows) {
            /* Rows lo..hi of C come from rows lo..hi of op(A): of A, or
             * its columns when transposed. */
            cpu_part(m, t, np, &lo, &hi);
            const float *At = trans_a ? A + lo : A + lo * lda;
            sgemm(trans_a, trans_b, hi - lo, n, k, alpha, At, lda, B, ldb, beta, C + lo * ldc, ldc);
        } else {
            /* Columns lo..hi of C come from columns lo..hi of op(B). */
            cpu_part(n, t, np, &lo, &hi);
            const float *Bt = trans_b ? B + lo * ldb : B + lo;
            sgemm(trans_a, trans_b, m, hi - lo, k, alpha, A, lda, Bt, ldb, beta, C + lo, ldc);
        }
    }
    return CLMLP_OK;
}
