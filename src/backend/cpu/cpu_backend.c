/* The cpu backend's table, and opening and closing it: float32 in host
 * memory, GEMMs through the BLAS, the rest in fused loops, all cut into
 * parts on the backend's threads (cpu_internal.h has the design).  One backend is used by
 * one thread at a time. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "backend/cpu/cpu_internal.h"
#include "util/error.h"
#include "util/host_cpus.h"

/* The BLAS's thread count is the process's (and with OpenMP, OpenMP's
 * default too): the first cpu backend to open sets it, the last to close
 * gives back what it was. */
static pthread_mutex_t blas_lock = PTHREAD_MUTEX_INITIALIZER;
static int blas_users, blas_threads_before;

/* Sets the BLAS's threads to n for an opening backend, the first time. */
static void blas_take(int n, clmlp_blas_info *blas)
{
    pthread_mutex_lock(&blas_lock);
    if (blas_users++ == 0 && n != blas->threads) {
        blas_threads_before = blas->threads;
        clmlp_cpu_blas_set_threads(n);
        clmlp_blas_describe(blas);
    }
    pthread_mutex_unlock(&blas_lock);
}

/* Gives the BLAS its count back when the last backend closes. */
static void blas_give_back(void)
{
    pthread_mutex_lock(&blas_lock);
    if (--blas_users == 0 && blas_threads_before > 0) {
        clmlp_cpu_blas_set_threads(blas_threads_before);
        blas_threads_before = 0;
    }
    pthread_mutex_unlock(&blas_lock);
}

/* Stops following the load, gives the BLAS back, frees the context. */
static void cpu_free(void *vctx)
{
    cpu_ctx *c = vctx;
    if (!c) return;
    clmlp_cpu_load_close(&c->load);
    blas_give_back();
    free(c);
}

/* Every op has finished when it returns. */
static int cpu_synchronize(void *ctx)
{
    (void)ctx;
    return CLMLP_OK;
}

const clmlp_backend_i clmlp_cpu_iface = {
    .name = "cpu",
    .free = cpu_free,
    .mem_info = clmlp_cpu_mem_info,
    .buf_alloc = clmlp_cpu_buf_alloc,
    .buf_wrap = clmlp_cpu_buf_wrap,
    .host_f32 = clmlp_cpu_host_f32,
    .buf_free = clmlp_cpu_buf_free,
    .upload = clmlp_cpu_upload,
    .download = clmlp_cpu_download,
    .upload_f64 = clmlp_cpu_upload_f64,
    .download_f64 = clmlp_cpu_download_f64,
    .copy = clmlp_cpu_copy,
    .fill = clmlp_cpu_fill,
    .synchronize = cpu_synchronize,
    .gemm = clmlp_cpu_gemm,
    .bias_act_forward = clmlp_cpu_bias_act_forward,
    .act_backward = clmlp_cpu_act_backward,
    .bias_grad = clmlp_cpu_bias_grad,
    .dropout = clmlp_cpu_dropout,
    .custom_forward = clmlp_cpu_custom_forward,
    .custom_backward = clmlp_cpu_custom_backward,
    .loss_grad = clmlp_cpu_loss_grad,
    .count_correct = clmlp_cpu_count_correct,
    .abs_error = clmlp_cpu_abs_error,
    .gather_rows = clmlp_cpu_gather_rows,
    .nonfinite_check = clmlp_cpu_nonfinite_check,
    .sgd_update = clmlp_cpu_sgd_update,
    .adam_update = clmlp_cpu_adam_update,
};

/* The CPU's model name from /proc/cpuinfo, or "CPU". */
static void cpu_model_name(char *out, size_t cap)
{
    snprintf(out, cap, "CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        const char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon) continue;
        colon += 1 + strspn(colon + 1, " \t");
        snprintf(out, cap, "%.*s", (int)strcspn(colon, "\n"), colon);
        break;
    }
    fclose(f);
}

/* The threads when the options leave it open: every core OpenMP sees
 * ($OMP_NUM_THREADS, or the CPUs the process may run on; BLIS keeps to one
 * thread unless told), or without OpenMP the BLAS's own, and never more
 * than the cgroup's CPU quota.  Read once, by the first backend to open,
 * before it sets the BLAS to one thread (which sets OpenMP's default to
 * one too): every open calls it first. */
static int default_threads(const clmlp_blas_info *blas)
{
    static int cached;
    pthread_mutex_lock(&blas_lock);
    if (!cached) {
        int n = blas->threads;
#ifdef _OPENMP
        n = omp_get_max_threads();
#endif
        int quota = clmlp_host_cpu_quota();
        if (quota > 0 && quota < n) n = quota;
        cached = n < 1 ? 1 : n;
    }
    pthread_mutex_unlock(&blas_lock);
    return cached;
}

/* Opens the cpu backend; opts->threads (if > 0, else every core, fewer
 * while other processes keep cores busy) sets its threads.  With OpenMP
 * the backend threads its loops and GEMMs itself, the BLAS running on one
 * thread inside each part; without, the BLAS threads the GEMMs and the
 * loops run on one.  The context is owned by be. */
int clmlp_cpu_backend_open(clmlp_backend_t *be, const clmlp_backend_opts *opts)
{
    if (!be) return clmlp_set_error(CLMLP_E_INVALID, "cpu backend: no backend to fill");
    cpu_ctx *c = calloc(1, sizeof *c);
    if (!c) return clmlp_set_error(CLMLP_E_NOMEM, "cpu backend: out of memory");
    clmlp_blas_describe(&c->blas);
    int every_core = default_threads(&c->blas), given = opts && opts->threads > 0;
    int want = given ? opts->threads : every_core;
    if (want > CPU_MAX_THREADS) want = CPU_MAX_THREADS;
#ifdef _OPENMP
    blas_take(1, &c->blas);
    c->threads = clmlp_cpu_blas_threads_that_fit(want);
#else
    blas_take(want, &c->blas);
    c->threads = 1;
#endif
    /* Cutting a product into the BLAS's small ones pays only when the BLAS
     * runs each on one thread (not when it threads them itself). */
    c->small_gemm = c->blas.threads == 1 && clmlp_cpu_blas_reads_small_in_place(&c->blas);
    if (clmlp_cpu_load_open(&c->load, c->threads, !given) != 0) {
        cpu_free(c);
        return clmlp_set_error(CLMLP_E_NOMEM, "cpu backend: out of memory");
    }
    char model[128];
    cpu_model_name(model, sizeof model);
    const clmlp_blas_info *b = &c->blas;
#ifdef _OPENMP
    int shown = c->threads, short_of_room = c->threads < want;
#else
    int shown = b->threads, short_of_room = 0; /* the first backend open set it */
#endif
    int len =
        snprintf(be->description, sizeof be->description, "%s, %d thread%s%s%s, %s %s%s%s", model,
                 shown, shown == 1 ? "" : "s", c->load.stat ? " (fewer while cores are busy)" : "",
                 short_of_room ? " (the address-space limit leaves room for no more)" : "", b->name,
                 b->version, b->kernels[0] ? " " : "", b->kernels);
    if (b->best[0] && len > 0 && (size_t)len < sizeof be->description)
        snprintf(be->description + len, sizeof be->description - (size_t)len,
                 " (older than this CPU runs: %s)", b->best);
    snprintf(be->device, sizeof be->device, "the CPU");
    be->iface = &clmlp_cpu_iface;
    be->ctx = c;
    return CLMLP_OK;
}
