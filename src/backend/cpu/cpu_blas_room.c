/* Room for the BLAS's buffers under an address-space limit (ulimit -v).
 *
 * OpenBLAS gives every thread that calls it a work buffer of its own,
 * mapped on the thread's first product large enough to pack (0.3.21:
 * 128 MB of address space, plus 8 MB for the OpenMP thread's stack,
 * measured from VmSize), and when the mapping is refused it
 * retries for ever: a training run under ulimit -v spun at 100% in
 * cblas_sgemm instead of failing.  So when the process has such a limit,
 * the cpu backend makes each of its threads take that buffer as it opens,
 * after checking that the limit leaves room for it, and runs on fewer
 * threads when it does not; the memory guard then sees what is left. */
#include <pthread.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "backend/cpu/cpu_internal.h"
#include "util/host_memory.h"

/* Address space one BLAS thread takes beyond the first: its buffer, and
 * 16 MB for its stack (8 MB) with a little to spare. */
#define BLAS_THREAD_BYTES (CLMLP_OPENBLAS_BUFFER_BYTES + ((uint64_t)16 << 20))
/* Kept free beyond them, for the warm-up's matrices and what opening the
 * backend still maps. */
#define KEEP_FREE_BYTES ((uint64_t)32 << 20)
/* The warm-up's product: A transposed and more than 100^3 multiply-adds,
 * so that OpenBLAS packs it (its small and direct kernels map nothing). */
#define WARM_SIDE 160

/* The threads whose buffers are mapped (they stay until the process
 * ends): an earlier backend's threads need no room again. */
static pthread_mutex_t warm_lock = PTHREAD_MUTEX_INITIALIZER;
static int warmed = 1;

/* Maps the buffers of threads 0..n-1 with one packed product each. */
static int warm_up(int n)
{
    /* A and B shared, a C for each thread. */
    size_t side = WARM_SIDE, sq = side * side;
    float *m = calloc((2 + (size_t)n) * sq, sizeof *m);
    if (!m) return -1;
#pragma omp parallel num_threads(n)
    {
        size_t t = 0;
#ifdef _OPENMP
        t = (size_t)omp_get_thread_num();
#endif
        cblas_sgemm(CBLAS_ROW_MAJOR, CBLAS_TRANS, CBLAS_NO_TRANS, (int)side, (int)side, (int)side,
                    1.0f, m, (int)side, m + sq, (int)side, 0.0f, m + (2 + t) * sq, (int)side);
    }
    free(m);
    return 0;
}

int clmlp_cpu_blas_threads_that_fit(int threads)
{
    uint64_t room = clmlp_host_address_space_room();
    if (threads < 2 || room == UINT64_MAX) return threads;
    pthread_mutex_lock(&warm_lock);
    int n = threads;
    if (threads > warmed) {
        room = room > KEEP_FREE_BYTES ? room - KEEP_FREE_BYTES : 0;
        uint64_t fit = (uint64_t)warmed + room / BLAS_THREAD_BYTES;
        n = fit < (uint64_t)threads ? (int)fit : threads;
        if (n > warmed) {
            if (warm_up(n) == 0)
                warmed = n;
            else
                n = warmed;
        }
    }
    pthread_mutex_unlock(&warm_lock);
    return n;
}
