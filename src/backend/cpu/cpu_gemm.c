/* The cpu backend's GEMM: one cblas_sgemm call, row-major, on the BLAS that
 * CMake's FindBLAS linked (cpu_blas.c says which). */
#include <limits.h>

#include "backend/cpu/cpu_internal.h"
#include "util/error.h"

/* The CBLAS interface, declared here rather than taken from a vendor's
 * header: FindBLAS finds libraries, not headers, and every CBLAS (OpenBLAS,
 * BLIS, MKL, netlib) shares this ABI, with 32-bit integers (the LP64
 * builds that Debian's packages and FindBLAS's defaults are). */
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };
void cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                 const float *a, int lda, const float *b, int ldb, float beta, float *c,
                 int ldc);

/* C = alpha op(A) op(B) + beta C.  k == 0 (C = beta C) is done here, since
 * BLASes differ on a zero inner size; beta == 0 overwrites C, NaN included. */
int cpu_gemm(void *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
             const clmlp_buf *a, size_t off_a, size_t lda, const clmlp_buf *b, size_t off_b,
             size_t ldb, float beta, clmlp_buf *c, size_t off_c, size_t ldc)
{
    (void)ctx;
    if (m == 0 || n == 0) return CLMLP_OK;
    float *C = cpu_f(c) + off_c;
    if (k == 0) {
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++) C[i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[i * ldc + j];
        return CLMLP_OK;
    }
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX || lda > INT_MAX || ldb > INT_MAX ||
        ldc > INT_MAX)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "gemm: %zu x %zu x %zu (lds %zu, %zu, %zu) exceeds the BLAS's "
                               "32-bit sizes",
                               m, n, k, lda, ldb, ldc);
    cblas_sgemm(CBLAS_ROW_MAJOR, trans_a ? CBLAS_TRANS : CBLAS_NO_TRANS,
                trans_b ? CBLAS_TRANS : CBLAS_NO_TRANS, (int)m, (int)n, (int)k, alpha,
                cpu_f(a) + off_a, (int)lda, cpu_f(b) + off_b, (int)ldb, beta, C, (int)ldc);
    return CLMLP_OK;
}
