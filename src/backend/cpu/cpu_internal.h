/* Private to the cpu backend: its buffers, its context, the BLAS it runs
 * on, the loops it fuses (cpu_kernels.c) and the slots each file fills.
 *
 * Buffers are float32 or int32 arrays in host memory, 64-byte aligned.
 * GEMMs go to the BLAS (cblas_sgemm); everything else is a C loop over
 * contiguous rows, written so the compiler vectorises it (cpu_math.h) and
 * compiled for AVX-512, AVX2 and plain x86-64, picked at load time.  GEMMs
 * and loops big enough to pay for it are cut into parts fixed by their
 * size and the backend's thread count, run on OpenMP threads (the BLAS on
 * one thread inside each part) and combined in a fixed order, so a run is
 * reproducible for a given thread count, and the same whether the load
 * lets all those threads run or fewer (cpu_threads.c).  Arguments reach the slots checked
 * (backend_check.c); labels and row indices are checked here, on the host. */
#ifndef CLMLP_CPU_INTERNAL_H
#define CLMLP_CPU_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"

/* A cpu buffer: the common header, then its values. */
typedef struct {
    clmlp_buf hdr;
    void *data;    /* n floats or int32 values (at least one), 64-byte aligned,
                      or the caller's array (lent: hdr.readonly) */
    size_t mapped; /* bytes mapped with mmap (large buffers), else 0 */
} cpu_buf;

static inline float *cpu_f(const clmlp_buf *b) { return (float *)((const cpu_buf *)b)->data; }
static inline int32_t *cpu_i(const clmlp_buf *b) { return (int32_t *)((const cpu_buf *)b)->data; }

/* ---- the BLAS (cpu_blas.c; clmlp_blas_describe is public) ---- */
/* The CBLAS interface, declared here (cpu_gemm.c, cpu_blas_room.c call it) rather than taken from a
 * vendor's header: FindBLAS finds libraries, not headers, and every CBLAS (OpenBLAS, BLIS, MKL,
 * netlib) shares this ABI, with 32-bit integers (the LP64 builds that Debian's packages and
 * FindBLAS's defaults are). */
enum { CBLAS_ROW_MAJOR = 101, CBLAS_NO_TRANS = 111, CBLAS_TRANS = 112 };
void cblas_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                 const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);

/* Asks the BLAS to use n threads (n >= 1). */
void clmlp_cpu_blas_set_threads(int n);
/* The threads, at most `threads`, whose BLAS work buffers the process's
 * address-space limit (ulimit -v) leaves room for; each of them has taken
 * its buffer when it returns (cpu_blas_room.c).  Without a limit,
 * `threads`. */
int clmlp_cpu_blas_threads_that_fit(int threads);
/* Whether the BLAS computes products of at most 100^3 multiply-adds with
 * kernels that read the operands where they lie instead of packing them
 * (OpenBLAS 0.3.16 on, with its AVX-512 kernels: "small matrix" and, for
 * products without transposes, "direct" sgemm). */
int clmlp_cpu_blas_reads_small_in_place(const clmlp_blas_info *b);

/* ---- the threads, following the load (cpu_threads.c) ---- */
/* CPUs whose load is followed (ids beyond are ignored). */
#define CPU_LOAD_MAX_CPUS 1024

/* What the backend knows of the machine's load. */
typedef struct {
    int most;                                 /* the threads it was opened with */
    int active;                               /* the threads that share the work now */
    int cpus;                                 /* CPUs this process may run on */
    uint64_t allowed[CPU_LOAD_MAX_CPUS / 64]; /* which ones, a bit each */
    char *stat;                               /* a buffer for /proc/stat; NULL: not followed */
    size_t stat_cap;
    double tick_s;           /* seconds of one /proc/stat tick */
    unsigned long long busy; /* busy ticks of those CPUs at the last look */
    double wall, own;        /* wall and this process's CPU seconds then */
    double next;             /* wall time of the next look */
} cpu_load;

/* Starts following the load for a backend of `most` threads when follow
 * is set (the caller left the count to the backend); 0, or -1 when out of
 * memory.  l->active is then a first guess from the threads runnable now. */
int clmlp_cpu_load_open(cpu_load *l, int most, int follow);
void clmlp_cpu_load_close(cpu_load *l);
/* The threads to run on now (1..most): every 0.2 s of wall time it looks
 * again at how busy the other processes keep the CPUs. */
int clmlp_cpu_load_threads(cpu_load *l);
/* Stops following the load and runs on n threads (1..most) from now on:
 * for tests, which check that the count changes no result. */
void clmlp_cpu_load_fix(cpu_load *l, int n);
/* This process's threads runnable now (state R in /proc/self/task: running
 * or waiting for a CPU), at least 1 (the caller). */
int clmlp_cpu_own_runnable(void);
/* Threads for `most` when other processes keep `others` of the `cpus`
 * CPUs busy: the free ones, rounded, at least one. */
int clmlp_cpu_threads_for_load(int most, int cpus, double others);

/* ---- the context ---- */
typedef struct {
    int threads;    /* threads the work is cut for (the most it runs on) */
    int small_gemm; /* clmlp_cpu_blas_reads_small_in_place */
    cpu_load load;  /* how many of them run now */
    clmlp_blas_info blas;
} cpu_ctx;

/* Threads one loop splits into at most (the per-thread partial sums live
 * on the stack, so that the training step allocates nothing). */
#define CPU_MAX_THREADS 256

/* A loop over fewer elements than this runs on one thread: a parallel
 * region costs a few microseconds, which only larger loops win back. */
#define CPU_PAR_MIN_WORK 32768

/* How a loop runs: cut into `parts` pieces, shared by `team` threads. */
typedef struct {
    int parts, team;
} cpu_split;

/* The threads that run `parts` parts now: those the load leaves, at most
 * one a part. */
static inline int cpu_team(cpu_ctx *c, int parts)
{
    int now = clmlp_cpu_load_threads(&c->load);
    return now < parts ? now : parts;
}

/* The split of a loop over `work` elements that can be cut into at most
 * `pieces` (rows, say).  The parts depend on the size and the backend's
 * thread count alone, never on the load, so that partial sums are added
 * the same way whatever the team; the team is the threads running now. */
static inline cpu_split cpu_split_loop(cpu_ctx *c, size_t work, size_t pieces)
{
    cpu_split s = {1, 1};
    if (work < CPU_PAR_MIN_WORK || c->threads < 2) return s;
    s.parts = pieces < (size_t)c->threads ? (int)(pieces ? pieces : 1) : c->threads;
    s.team = cpu_team(c, s.parts);
    return s;
}

/* The range [*from, *to) that part t of nt equal parts of [0, n) covers. */
static inline void cpu_part(size_t n, int t, int nt, size_t *from, size_t *to)
{
    *from = n / (size_t)nt * (size_t)t + (n % (size_t)nt < (size_t)t ? n % (size_t)nt : (size_t)t);
    *to = *from + n / (size_t)nt + ((size_t)t < n % (size_t)nt ? 1 : 0);
}

/* ---- fused loops (cpu_kernels.c): plain arrays, no threads ---- */
/* z[r][:] += bias (if not NULL) and y[r][:] = act(z[r][:]) for rows rows of
 * cols values (softmax: row by row). */
void clmlp_cpu_bias_act_rows(clmlp_act act, size_t rows, size_t cols, float *z, const float *bias,
                             float *y);
/* dz = dy * act'(z) from z and y over rows rows (softmax: the row's
 * Jacobian times dy); dz may be dy. */
void clmlp_cpu_act_backward_rows(clmlp_act act, size_t rows, size_t cols, const float *z,
                                 const float *y, const float *dy, float *dz);
/* out[i] = in[i] * scale where value i's dropout uniform (backend.h)
 * reaches threshold, else 0, for i in [from, to); out may be in. */
void clmlp_cpu_dropout_range(size_t from, size_t to, const float *in, float *out,
                             uint32_t threshold, float scale, uint64_t seed);
/* db[j] += sum over rows of dz[r][j] for the cols columns [0, cols) of a
 * matrix whose rows are ld apart. */
void clmlp_cpu_bias_grad_cols(size_t rows, size_t cols, size_t ld, const float *dz, double *db);
/* Each row's loss summed (in double) and, when g is not NULL, the gradient
 * times scale (see backend.h, loss_grad); t or lab is NULL.  Returns the
 * sum. */
double clmlp_cpu_loss_rows(clmlp_loss loss, int fused, size_t rows, size_t cols, const float *y,
                           const float *t, const int32_t *lab, float scale, float *g);
/* The sum over rows of each row's mean |y - t| (see backend.h, abs_error). */
double clmlp_cpu_abs_error_rows(size_t rows, size_t cols, const float *y, const float *t);
/* Rows predicted right (see backend.h, count_correct). */
size_t clmlp_cpu_correct_rows(size_t rows, size_t cols, const float *y, const float *t,
                              const int32_t *lab);
/* Whether any of x[0..n) is NaN or Inf. */
int clmlp_cpu_any_nonfinite(const float *x, size_t n);
/* The optimizer steps over [0, n) of the packed buffer, with L2 below
 * n_decay (see backend.h). */
void clmlp_cpu_sgd_range(size_t from, size_t to, size_t n_decay, float *w, const float *g, float *v,
                         float lr, float momentum, int nesterov, float l2);
void clmlp_cpu_adam_range(size_t from, size_t to, size_t n_decay, float *w, const float *g,
                          float *m, float *v, float lr_t, float beta1, float beta2, float eps,
                          float l2);

/* ---- the table's slots, by file ---- */
/* cpu_memory.c */
int clmlp_cpu_mem_info(void *ctx, clmlp_mem_info *out);
int clmlp_cpu_buf_alloc(void *ctx, clmlp_buf_type type, size_t n, clmlp_buf **out);
int clmlp_cpu_buf_wrap(void *ctx, clmlp_buf_type type, size_t n, const void *host, clmlp_buf **out);
float *clmlp_cpu_host_f32(void *ctx, clmlp_buf *b);
void clmlp_cpu_buf_free(void *ctx, clmlp_buf *b);
int clmlp_cpu_upload(void *ctx, clmlp_buf *dst, size_t off, const void *src, size_t n);
int clmlp_cpu_download(void *ctx, const clmlp_buf *src, size_t off, void *dst, size_t n);
int clmlp_cpu_upload_f64(void *ctx, clmlp_buf *dst, size_t off, const double *src, size_t n);
int clmlp_cpu_download_f64(void *ctx, const clmlp_buf *src, size_t off, double *dst, size_t n);
int clmlp_cpu_copy(void *ctx, const clmlp_buf *src, size_t src_off, clmlp_buf *dst, size_t dst_off,
                   size_t n);
int clmlp_cpu_fill(void *ctx, clmlp_buf *b, size_t off, size_t n, float value);
int clmlp_cpu_gather_rows(void *ctx, size_t rows, size_t cols, const clmlp_buf *src,
                          const clmlp_buf *idx, size_t idx_off, clmlp_buf *dst, size_t off_dst);
/* clmlp_cpu_gemm.c */
int clmlp_cpu_gemm(void *ctx, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                   const clmlp_buf *a, size_t off_a, size_t lda, const clmlp_buf *b, size_t off_b,
                   size_t ldb, float beta, clmlp_buf *c, size_t off_c, size_t ldc);
/* cpu_layers.c */
int clmlp_cpu_bias_act_forward(void *ctx, clmlp_act act, size_t rows, size_t cols, clmlp_buf *z,
                               size_t off_z, const clmlp_buf *bias, size_t off_bias, clmlp_buf *y,
                               size_t off_y);
int clmlp_cpu_act_backward(void *ctx, clmlp_act act, size_t rows, size_t cols, const clmlp_buf *z,
                           size_t off_z, const clmlp_buf *y, size_t off_y, const clmlp_buf *dy,
                           size_t off_dy, clmlp_buf *dz, size_t off_dz);
int clmlp_cpu_bias_grad(void *ctx, size_t rows, size_t cols, const clmlp_buf *dz, size_t off_dz,
                        clmlp_buf *db, size_t off_db);
int clmlp_cpu_dropout(void *ctx, size_t n, const clmlp_buf *in, size_t off_in, clmlp_buf *out,
                      size_t off_out, uint32_t threshold, float scale, uint64_t seed);
int clmlp_cpu_custom_forward(void *ctx, const clmlp_custom_call *c);
int clmlp_cpu_custom_backward(void *ctx, const clmlp_custom_call *c);
/* cpu_losses.c */
int clmlp_cpu_loss_grad(void *ctx, clmlp_loss loss, int fused, size_t rows, size_t cols,
                        const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                        const clmlp_buf *labels, size_t off_labels, float scale, clmlp_buf *grad,
                        size_t off_grad, clmlp_buf *metrics);
int clmlp_cpu_count_correct(void *ctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                            const clmlp_buf *t, size_t off_t, const clmlp_buf *labels,
                            size_t off_labels, clmlp_buf *metrics);
int clmlp_cpu_abs_error(void *ctx, size_t rows, size_t cols, const clmlp_buf *y, size_t off_y,
                        const clmlp_buf *t, size_t off_t, clmlp_buf *metrics);
int clmlp_cpu_nonfinite_check(void *ctx, const clmlp_buf *x, size_t off, size_t n,
                              clmlp_buf *metrics);
/* cpu_optimizers.c */
int clmlp_cpu_sgd_update(void *ctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                         clmlp_buf *vel, float lr, float momentum, int nesterov, float l2);
int clmlp_cpu_adam_update(void *ctx, size_t n, size_t n_decay, clmlp_buf *w, const clmlp_buf *grad,
                          clmlp_buf *m, clmlp_buf *v, float lr_t, float beta1, float beta2,
                          float eps, float l2);

#endif
