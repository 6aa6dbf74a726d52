/* The cpu backend's memory: buffers in host memory (64-byte aligned, so
 * rows start on cache lines and vector loads are aligned), transfers,
 * copies, fills and the batch gather.  Nothing here allocates after the
 * buffers exist, so a training step allocates nothing. */
/* madvise and MADV_HUGEPAGE are Linux's, beyond POSIX. */
#define _DEFAULT_SOURCE
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "backend/backend_check.h"
#include "backend/cpu/cpu_internal.h"
#include "util/error.h"
#include "util/host_memory.h"

#define ALIGN 64
/* Buffers this large (data sets, big layers) come from mmap and are offered
 * to the kernel for transparent huge pages: a batch gathers rows from all
 * over the data set, and with 4 KiB pages nearly every row costs a TLB
 * miss. */
#define HUGE_PAGE ((size_t)2 << 20)

/* Bytes one element of either type takes. */
#define ELEM 4u

int clmlp_cpu_mem_info(void *ctx, clmlp_mem_info *out)
{
    (void)ctx;
    out->f32_bytes = ELEM;
    out->i32_bytes = ELEM;
    out->capacity = UINT64_MAX;
    out->limit = clmlp_host_memory_available(); /* already less what we hold */
    out->max_alloc = out->limit;
    out->host_memory = 1;
    return CLMLP_OK;
}

/* Memory for a large buffer straight from the kernel: its pages are zero
 * already and taken only when first written (so an upload touches them
 * once, not twice), 4 KiB-aligned, and offered for huge pages; NULL when
 * that is not to be had. */
static void *map_zeroed(size_t bytes)
{
#if defined(__linux__) && defined(MAP_ANONYMOUS)
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, bytes, MADV_HUGEPAGE); /* a hint: failing is harmless */
#endif
    return p;
#else
    (void)bytes;
    return NULL;
#endif
}

/* A zero-filled buffer of n elements (one at least, so data is never NULL). */
int clmlp_cpu_buf_alloc(void *ctx, clmlp_buf_type type, size_t n, clmlp_buf **out)
{
    (void)ctx;
    size_t count = n ? n : 1;
    if (count > (SIZE_MAX - ALIGN) / ELEM)
        return clmlp_set_error(CLMLP_E_NOMEM, "cpu buf_alloc: %zu elements overflow a size", n);
    size_t bytes = (count * ELEM + ALIGN - 1) / ALIGN * ALIGN; /* aligned_alloc's rule */
    /* Large buffers' pages are touched as they are written, so a request the
     * host cannot hold would end in the OOM killer rather than in a NULL:
     * refuse it here. */
    uint64_t avail = clmlp_host_memory_available();
    if ((uint64_t)bytes > avail)
        return clmlp_set_error(CLMLP_E_NOMEM,
                               "cannot allocate %zu %s values (%.2f GB) in host memory: only "
                               "%.2f GB is available",
                               n, type == CLMLP_BUF_I32 ? "int32" : "float32", bytes / 1e9,
                               avail / 1e9);
    cpu_buf *b = calloc(1, sizeof *b);
    if (!b) return clmlp_set_error(CLMLP_E_NOMEM, "cpu buf_alloc: out of memory");
    if (bytes >= HUGE_PAGE && (b->data = map_zeroed(bytes)) != NULL) {
        b->mapped = bytes;
    } else if ((b->data = aligned_alloc(ALIGN, bytes)) != NULL) {
        memset(b->data, 0, bytes);
    } else {
        free(b);
        return clmlp_set_error(CLMLP_E_NOMEM,
                               "cpu buf_alloc: out of memory for %zu %s values (%zu bytes)", n,
                               type == CLMLP_BUF_I32 ? "int32" : "float32", bytes);
    }
    *out = &b->hdr;
    return CLMLP_OK;
}

/* The caller's array as a buffer: host memory is this device's, so the data
 * set a training run gathers from need not be copied (MNIST: 188 MB less,
 * and the start of training no longer waits for the copy's page faults).
 * The ops only read it (the contract refuses it as an output). */
int clmlp_cpu_buf_wrap(void *ctx, clmlp_buf_type type, size_t n, const void *host, clmlp_buf **out)
{
    (void)ctx;
    (void)type;
    (void)n;
    cpu_buf *b = calloc(1, sizeof *b);
    if (!b) return clmlp_set_error(CLMLP_E_NOMEM, "cpu buf_wrap: out of memory");
    b->data = (void *)host; /* never written through: see above */
    *out = &b->hdr;
    return CLMLP_OK;
}

/* The buffer's floats: they are host memory already. */
float *clmlp_cpu_host_f32(void *ctx, clmlp_buf *b)
{
    (void)ctx;
    return cpu_f(b);
}

void clmlp_cpu_buf_free(void *ctx, clmlp_buf *buf)
{
    (void)ctx;
    if (!buf) return;
    cpu_buf *b = (cpu_buf *)buf;
#if defined(__linux__) && defined(MAP_ANONYMOUS)
    if (b->mapped) munmap(b->data, b->mapped);
#endif
    if (!b->mapped && !buf->readonly) free(b->data); /* a lent array is the caller's */
    free(b);
}

int clmlp_cpu_upload(void *ctx, clmlp_buf *dst, size_t off, const void *src, size_t n)
{
    (void)ctx;
    if (n) memcpy(cpu_f(dst) + off, src, n * ELEM);
    return CLMLP_OK;
}

int clmlp_cpu_download(void *ctx, const clmlp_buf *src, size_t off, void *dst, size_t n)
{
    (void)ctx;
    if (n) memcpy(dst, cpu_f(src) + off, n * ELEM);
    return CLMLP_OK;
}

/* Doubles in and out of an F32 buffer, each rounded to float on the way in
 * (the wrappers would do the same through a temporary array). */
int clmlp_cpu_upload_f64(void *ctx, clmlp_buf *dst, size_t off, const double *src, size_t n)
{
    (void)ctx;
    float *d = cpu_f(dst) + off;
    for (size_t i = 0; i < n; i++) d[i] = (float)src[i];
    return CLMLP_OK;
}

int clmlp_cpu_download_f64(void *ctx, const clmlp_buf *src, size_t off, double *dst, size_t n)
{
    (void)ctx;
    const float *s = cpu_f(src) + off;
    for (size_t i = 0; i < n; i++) dst[i] = s[i];
    return CLMLP_OK;
}

/* Overlapping ranges of one buffer move like memmove. */
int clmlp_cpu_copy(void *ctx, const clmlp_buf *src, size_t src_off, clmlp_buf *dst, size_t dst_off,
                   size_t n)
{
    (void)ctx;
    if (n) memmove(cpu_f(dst) + dst_off, cpu_f(src) + src_off, n * ELEM);
    return CLMLP_OK;
}

/* For int32 buffers the contract made sure value is a whole int32. */
int clmlp_cpu_fill(void *ctx, clmlp_buf *b, size_t off, size_t n, float value)
{
    (void)ctx;
    if (b->type == CLMLP_BUF_F32) {
        float *d = cpu_f(b) + off;
        for (size_t i = 0; i < n; i++) d[i] = value;
    } else {
        int32_t *d = cpu_i(b) + off, v = (int32_t)value;
        for (size_t i = 0; i < n; i++) d[i] = v;
    }
    return CLMLP_OK;
}

/* dst rows = src rows picked by idx, after every index is checked; one
 * memcpy a row (a batch of MNIST rows is 100 copies of 3 KB). */
int clmlp_cpu_gather_rows(void *vctx, size_t rows, size_t cols, const clmlp_buf *src,
                          const clmlp_buf *idx, size_t idx_off, clmlp_buf *dst, size_t off_dst)
{
    cpu_ctx *ctx = vctx;
    if (rows == 0 || cols == 0) return CLMLP_OK;
    const int32_t *ix = cpu_i(idx) + idx_off;
    CLMLP_TRY(clmlp_check_rows_in_range("gather_rows", ix, rows, src->n / cols, cols));
    const char *from = (const char *)cpu_f(src);
    char *to = (char *)(cpu_f(dst) + off_dst);
    size_t row_bytes = cols * ELEM;
    /* Random rows are bound by memory latency, which two threads halve. */
    cpu_split s = cpu_split_loop(ctx, rows * cols, rows);
#pragma omp parallel for num_threads(s.team) if (s.team > 1) schedule(static)
    for (int t = 0; t < s.parts; t++) {
        size_t a, b;
        cpu_part(rows, t, s.parts, &a, &b);
        for (size_t r = a; r < b; r++)
            memcpy(to + r * row_bytes, from + (size_t)ix[r] * row_bytes, row_bytes);
    }
    return CLMLP_OK;
}
