/* Backend dispatch: opening a backend through the registry (registry.c),
 * and the be_* wrappers that check the arguments (backend_check.c) and the
 * slot before calling it, so every backend sees only valid calls and one
 * lacking an op reports it. */
#include "backend/backend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend_check.h"
#include "util/error.h"

/* Checks that be is open and has the slot; sets an error and returns from
 * the caller otherwise. */
#define BE_NEED(be, slot)                                                                          \
    do {                                                                                           \
        if (!(be) || !(be)->iface) return clmlp_set_error(CLMLP_E_INVALID, "no backend given");    \
        if (!(be)->iface->slot)                                                                    \
            return clmlp_set_error(CLMLP_E_UNSUPPORTED, "the %s backend does not support %s",      \
                                   (be)->iface->name, #slot);                                      \
    } while (0)

/* The body of a wrapper: the slot exists, `check` (a contract check from
 * backend_check.h) passes, then the slot runs. */
#define BE_CALL(be, slot, check, ...)                                                              \
    do {                                                                                           \
        BE_NEED(be, slot);                                                                         \
        CLMLP_TRY(check);                                                                          \
        CLMLP_TRY(be_fault(be, #slot));                                                            \
        return (be)->iface->slot((be)->ctx, __VA_ARGS__);                                          \
    } while (0)

/* Counts a call about to reach slot, and fails it when it is the one
 * clmlp_be_inject_fault chose, or comes after a lost device, with the
 * status and the kind of message a failing OpenCL call leaves. */
static int be_fault(clmlp_backend_t *be, const char *slot)
{
    be->calls++;
    if (be->fault_kind == CLMLP_FAULT_NONE) return CLMLP_OK;
    if (be->fault_fired && be->fault_kind == CLMLP_FAULT_DEVICE_LOST)
        return clmlp_set_error(CLMLP_E_DEVICE,
                               "%s failed: device lost: CL_DEVICE_NOT_AVAILABLE (-2) "
                               "(fault injected at backend call %llu)",
                               slot, (unsigned long long)be->fault_at);
    if (be->calls != be->fault_at) return CLMLP_OK;
    be->fault_fired = 1;
    if (be->fault_kind == CLMLP_FAULT_DEVICE_LOST)
        return clmlp_set_error(CLMLP_E_DEVICE,
                               "%s failed: device lost: CL_DEVICE_NOT_AVAILABLE (-2) "
                               "(fault injected at backend call %llu)",
                               slot, (unsigned long long)be->fault_at);
    return clmlp_set_error(CLMLP_E_DEVICE,
                           "%s failed: CL_OUT_OF_RESOURCES (-5) (fault injected at backend "
                           "call %llu)" CLMLP_DEVICE_FULL_HINT,
                           slot, (unsigned long long)be->fault_at);
}

void clmlp_be_inject_fault(clmlp_backend_t *be, uint64_t call, clmlp_fault_kind kind)
{
    if (!be) return;
    if (call == 0) kind = CLMLP_FAULT_NONE;
    be->fault_kind = (int)kind;
    be->fault_at = kind == CLMLP_FAULT_NONE ? 0 : be->calls + call;
    be->fault_fired = 0;
}

uint64_t clmlp_be_call_count(const clmlp_backend_t *be) { return be ? be->calls : 0; }

int clmlp_be_fault_fired(const clmlp_backend_t *be) { return be && be->fault_fired; }

int clmlp_backend_init(clmlp_backend_t **out, const clmlp_backend_opts *opts)
{
    clmlp_backend_opts none = {0};
    if (!out) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_backend_init: out is NULL");
    *out = NULL;
    if (!opts) opts = &none;
    clmlp_backend_t *be = calloc(1, sizeof *be);
    if (!be) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory opening a backend");
    int rc = clmlp_registry_open(be, opts);
    if (rc < 0) {
        free(be);
        return rc;
    }
    be->memory_limit = opts->memory_limit;
    clmlp_mem_info mi = {.f32_bytes = 4, .i32_bytes = 4};
    if (be->iface->mem_info) be->iface->mem_info(be->ctx, &mi);
    be->elem_bytes[CLMLP_BUF_F32] = mi.f32_bytes;
    be->elem_bytes[CLMLP_BUF_I32] = mi.i32_bytes;
    if (opts->verbose) fprintf(stderr, "clmlp: backend %s: %s\n", be->iface->name, be->description);
    *out = be;
    return CLMLP_OK;
}

void clmlp_backend_free(clmlp_backend_t *be)
{
    if (!be) return;
    if (be->iface && be->iface->free) be->iface->free(be->ctx);
    free(be);
}

const char *clmlp_backend_name(const clmlp_backend_t *be)
{
    return be && be->iface ? be->iface->name : "";
}

const char *clmlp_backend_description(const clmlp_backend_t *be)
{
    return be ? be->description : "";
}

int clmlp_be_mem_info(clmlp_backend_t *be, clmlp_mem_info *out)
{
    BE_NEED(be, mem_info);
    if (!out) return clmlp_set_error(CLMLP_E_INVALID, "mem_info: out is NULL");
    *out = (clmlp_mem_info){0};
    CLMLP_TRY(be_fault(be, "mem_info"));
    CLMLP_TRY(be->iface->mem_info(be->ctx, out));
    uint64_t free_bytes = out->capacity > be->bytes_held ? out->capacity - be->bytes_held : 0;
    if (free_bytes < out->limit) out->limit = free_bytes;
    if (be->memory_limit) {
        uint64_t room = be->memory_limit > be->bytes_held ? be->memory_limit - be->bytes_held : 0;
        out->capped = room <= out->limit;
        if (room < out->limit) out->limit = room;
        if (be->memory_limit < out->max_alloc) out->max_alloc = be->memory_limit;
    }
    return CLMLP_OK;
}

int clmlp_backend_memory(clmlp_backend_t *be, clmlp_memory *out)
{
    if (!out) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_backend_memory: out is NULL");
    clmlp_mem_info mi;
    CLMLP_TRY(clmlp_be_mem_info(be, &mi));
    out->limit = mi.limit;
    out->max_alloc = mi.max_alloc;
    out->host_memory = mi.host_memory;
    return CLMLP_OK;
}

clmlp_backend_kind clmlp_backend_kind_of(const clmlp_backend_t *be)
{
    clmlp_backend_kind k = be ? clmlp_registry_kind_of(be->iface) : CLMLP_BACKEND_DEFAULT;
    return k == CLMLP_BACKEND_DEFAULT ? CLMLP_BACKEND_REF : k;
}

int clmlp_be_buf_alloc(clmlp_backend_t *be, clmlp_buf_type type, size_t n, clmlp_buf **out)
{
    BE_NEED(be, buf_alloc);
    CLMLP_TRY(clmlp_check_buf_alloc(be, type, out));
    CLMLP_TRY(be_fault(be, "buf_alloc"));
    clmlp_buf *b = NULL;
    CLMLP_TRY(be->iface->buf_alloc(be->ctx, type, n, &b));
    b->owner = be;
    b->type = type;
    b->n = n;
    be->bytes_held += (uint64_t)n * be->elem_bytes[type];
    be->buffers_live++;
    *out = b;
    return CLMLP_OK;
}

int clmlp_be_can_wrap(const clmlp_backend_t *be) { return be && be->iface && be->iface->buf_wrap; }

int clmlp_be_buf_wrap(clmlp_backend_t *be, clmlp_buf_type type, size_t n, const void *host,
                      clmlp_buf **out)
{
    BE_NEED(be, buf_wrap);
    CLMLP_TRY(clmlp_check_buf_alloc(be, type, out));
    if (!host) return clmlp_set_error(CLMLP_E_INVALID, "buf_wrap: the host array is NULL");
    CLMLP_TRY(be_fault(be, "buf_wrap"));
    clmlp_buf *b = NULL;
    CLMLP_TRY(be->iface->buf_wrap(be->ctx, type, n, host, &b));
    b->owner = be;
    b->type = type;
    b->n = n;
    b->readonly = 1; /* the caller's memory: not counted in bytes_held */
    be->buffers_live++;
    *out = b;
    return CLMLP_OK;
}

float *clmlp_be_host_f32(clmlp_backend_t *be, clmlp_buf *b)
{
    if (!be || !be->iface || !be->iface->host_f32 || !b || b->owner != be || b->readonly ||
        b->type != CLMLP_BUF_F32)
        return NULL;
    return be->iface->host_f32(be->ctx, b);
}

void clmlp_be_buf_free(clmlp_backend_t *be, clmlp_buf *b)
{
    if (!be || !be->iface || !be->iface->buf_free || !b) return;
    if (!b->readonly) be->bytes_held -= (uint64_t)b->n * be->elem_bytes[b->type];
    be->buffers_live--;
    be->iface->buf_free(be->ctx, b);
}

int clmlp_be_upload(clmlp_backend_t *be, clmlp_buf *dst, size_t off, const void *src, size_t n)
{
    BE_NEED(be, upload);
    CLMLP_TRY(clmlp_check_transfer(be, "upload", dst, off, src, n, 0, 1));
    CLMLP_TRY(be_fault(be, "upload"));
    be->bytes_to_device += (uint64_t)n * be->elem_bytes[dst->type];
    return be->iface->upload(be->ctx, dst, off, src, n);
}

int clmlp_be_download(clmlp_backend_t *be, const clmlp_buf *src, size_t off, void *dst, size_t n)
{
    BE_NEED(be, download);
    CLMLP_TRY(clmlp_check_transfer(be, "download", src, off, dst, n, 0, 0));
    CLMLP_TRY(be_fault(be, "download"));
    be->bytes_from_device += (uint64_t)n * be->elem_bytes[src->type];
    be->host_syncs++;
    return be->iface->download(be->ctx, src, off, dst, n);
}

int clmlp_be_upload_f64(clmlp_backend_t *be, clmlp_buf *dst, size_t off, const double *src,
                        size_t n)
{
    BE_NEED(be, upload);
    CLMLP_TRY(clmlp_check_transfer(be, "upload_f64", dst, off, src, n, 1, 1));
    CLMLP_TRY(be_fault(be, "upload_f64"));
    be->bytes_to_device += (uint64_t)n * be->elem_bytes[dst->type];
    if (be->iface->upload_f64) return be->iface->upload_f64(be->ctx, dst, off, src, n);
    float *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory converting %zu values", n);
    for (size_t i = 0; i < n; i++) tmp[i] = (float)src[i];
    int rc = be->iface->upload(be->ctx, dst, off, tmp, n);
    free(tmp);
    return rc;
}

int clmlp_be_download_f64(clmlp_backend_t *be, const clmlp_buf *src, size_t off, double *dst,
                          size_t n)
{
    BE_NEED(be, download);
    CLMLP_TRY(clmlp_check_transfer(be, "download_f64", src, off, dst, n, 1, 0));
    CLMLP_TRY(be_fault(be, "download_f64"));
    be->bytes_from_device += (uint64_t)n * be->elem_bytes[src->type];
    be->host_syncs++;
    if (be->iface->download_f64) return be->iface->download_f64(be->ctx, src, off, dst, n);
    float *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory converting %zu values", n);
    int rc = be->iface->download(be->ctx, src, off, tmp, n);
    for (size_t i = 0; rc == CLMLP_OK && i < n; i++) dst[i] = tmp[i];
    free(tmp);
    return rc;
}

int clmlp_be_copy(clmlp_backend_t *be, const clmlp_buf *src, size_t src_off, clmlp_buf *dst,
                  size_t dst_off, size_t n)
{
    BE_CALL(be, copy, clmlp_check_copy(be, src, src_off, dst, dst_off, n), src, src_off, dst,
            dst_off, n);
}

int clmlp_be_fill(clmlp_backend_t *be, clmlp_buf *b, size_t off, size_t n, float value)
{
    BE_CALL(be, fill, clmlp_check_fill(be, b, off, n, value), b, off, n, value);
}

int clmlp_be_synchronize(clmlp_backend_t *be)
{
    if (!be || !be->iface) return clmlp_set_error(CLMLP_E_INVALID, "no backend given");
    CLMLP_TRY(be_fault(be, "synchronize"));
    be->host_syncs++;
    return be->iface->synchronize ? be->iface->synchronize(be->ctx) : CLMLP_OK;
}

int clmlp_backend_traffic_read(const clmlp_backend_t *be, clmlp_backend_traffic *out)
{
    if (!be || !be->iface || !out)
        return clmlp_set_error(CLMLP_E_INVALID, "backend_traffic_read: NULL argument");
    memset(out, 0, sizeof *out);
    out->ops = be->calls;
    out->host_syncs = be->host_syncs;
    out->bytes_to_device = be->bytes_to_device;
    out->bytes_from_device = be->bytes_from_device;
    if (be->iface->traffic) be->iface->traffic(be->ctx, &out->kernel_launches, &out->queue_waits);
    return CLMLP_OK;
}

void clmlp_be_set_gemm_observer(clmlp_backend_t *be, clmlp_gemm_observer fn, void *user)
{
    if (!be) return;
    be->gemm_observer.fn = fn;
    be->gemm_observer.user = user;
}

int clmlp_be_gemm(clmlp_backend_t *be, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                  float alpha, const clmlp_buf *a, size_t off_a, size_t lda, const clmlp_buf *b,
                  size_t off_b, size_t ldb, float beta, clmlp_buf *c, size_t off_c, size_t ldc)
{
    BE_NEED(be, gemm);
    CLMLP_TRY(clmlp_check_gemm(be, trans_a, trans_b, m, n, k, a, off_a, lda, b, off_b, ldb, c,
                               off_c, ldc));
    if (be->gemm_observer.fn &&
        be->gemm_observer.fn(be->gemm_observer.user, trans_a, trans_b, m, n, k))
        return CLMLP_OK;
    CLMLP_TRY(be_fault(be, "gemm"));
    return be->iface->gemm(be->ctx, trans_a, trans_b, m, n, k, alpha, a, off_a, lda, b, off_b, ldb,
                           beta, c, off_c, ldc);
}

int clmlp_be_bias_act_forward(clmlp_backend_t *be, clmlp_act act, size_t rows, size_t cols,
                              clmlp_buf *z, size_t off_z, const clmlp_buf *bias, size_t off_bias,
                              clmlp_buf *y, size_t off_y)
{
    BE_CALL(be, bias_act_forward,
            clmlp_check_bias_act_forward(be, act, rows, cols, z, off_z, bias, off_bias, y, off_y),
            act, rows, cols, z, off_z, bias, off_bias, y, off_y);
}

int clmlp_be_act_backward(clmlp_backend_t *be, clmlp_act act, size_t rows, size_t cols,
                          const clmlp_buf *z, size_t off_z, const clmlp_buf *y, size_t off_y,
                          const clmlp_buf *dy, size_t off_dy, clmlp_buf *dz, size_t off_dz)
{
    BE_CALL(
        be, act_backward,
        clmlp_check_act_backward(be, act, rows, cols, z, off_z, y, off_y, dy, off_dy, dz, off_dz),
        act, rows, cols, z, off_z, y, off_y, dy, off_dy, dz, off_dz);
}

int clmlp_be_bias_grad(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *dz,
                       size_t off_dz, clmlp_buf *db, size_t off_db)
{
    BE_CALL(be, bias_grad, clmlp_check_bias_grad(be, rows, cols, dz, off_dz, db, off_db), rows,
            cols, dz, off_dz, db, off_db);
}

int clmlp_be_dropout(clmlp_backend_t *be, size_t n, const clmlp_buf *in, size_t off_in,
                     clmlp_buf *out, size_t off_out, uint32_t threshold, float scale, uint64_t seed)
{
    BE_CALL(be, dropout, clmlp_check_dropout(be, n, in, off_in, out, off_out, threshold), n, in,
            off_in, out, off_out, threshold, scale, seed);
}

void clmlp_be_dropout_params(double rate, uint32_t *threshold, float *scale)
{
    uint32_t t = 0;
    float s = 1.0f;
    if (rate >= 1.0) {
        t = CLMLP_DROPOUT_ONE; /* nothing is kept, so nothing is scaled */
    } else if (rate > 0.0) {
        t = (uint32_t)llround(rate * (double)CLMLP_DROPOUT_ONE);
        s = (float)(1.0 / (1.0 - rate));
    }
    if (threshold) *threshold = t;
    if (scale) *scale = s;
}

/* Runs a custom layer's slot, and makes sure a failure of the kind's own
 * code carries a message naming the kind and the pass. */
static int custom_call(clmlp_backend_t *be, int (*slot)(void *, const clmlp_custom_call *),
                       const clmlp_custom_call *c, const char *pass)
{
    clmlp_clear_error();
    int rc = slot(be->ctx, c);
    if (rc >= 0) return CLMLP_OK;
    if (clmlp_last_error()[0] == '\0')
        return clmlp_set_error(rc, "custom layer '%s': %s failed on the %s backend (status %d)",
                               c->kind->name, pass, be->iface->name, rc);
    return rc;
}

int clmlp_be_custom_forward(clmlp_backend_t *be, const clmlp_custom_call *c)
{
    BE_NEED(be, custom_forward);
    CLMLP_TRY(clmlp_check_custom(be, c, 0));
    CLMLP_TRY(be_fault(be, "custom_forward"));
    return custom_call(be, be->iface->custom_forward, c, "forward");
}

int clmlp_be_custom_prepare(clmlp_backend_t *be, const clmlp_layer_kind *kind)
{
    if (!be || !be->iface) return clmlp_set_error(CLMLP_E_INVALID, "no backend given");
    if (!kind || !kind->name)
        return clmlp_set_error(CLMLP_E_INVALID, "custom_prepare: no layer kind given");
    if (!be->iface->custom_prepare) return CLMLP_OK;
    return be->iface->custom_prepare(be->ctx, kind);
}

int clmlp_be_custom_backward(clmlp_backend_t *be, const clmlp_custom_call *c)
{
    BE_NEED(be, custom_backward);
    CLMLP_TRY(clmlp_check_custom(be, c, 1));
    CLMLP_TRY(be_fault(be, "custom_backward"));
    return custom_call(be, be->iface->custom_backward, c, "backward");
}

int clmlp_be_loss_grad(clmlp_backend_t *be, clmlp_loss loss, int fused, size_t rows, size_t cols,
                       const clmlp_buf *y, size_t off_y, const clmlp_buf *t, size_t off_t,
                       const clmlp_buf *labels, size_t off_labels, float scale, clmlp_buf *grad,
                       size_t off_grad, clmlp_buf *metrics)
{
    BE_CALL(be, loss_grad,
            clmlp_check_loss_grad(be, loss, fused, rows, cols, y, off_y, t, off_t, labels,
                                  off_labels, grad, off_grad, metrics),
            loss, fused, rows, cols, y, off_y, t, off_t, labels, off_labels, scale, grad, off_grad,
            metrics);
}

int clmlp_be_count_correct(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *y,
                           size_t off_y, const clmlp_buf *t, size_t off_t, const clmlp_buf *labels,
                           size_t off_labels, clmlp_buf *metrics)
{
    BE_CALL(
        be, count_correct,
        clmlp_check_count_correct(be, rows, cols, y, off_y, t, off_t, labels, off_labels, metrics),
        rows, cols, y, off_y, t, off_t, labels, off_labels, metrics);
}

int clmlp_be_abs_error(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *y,
                       size_t off_y, const clmlp_buf *t, size_t off_t, clmlp_buf *metrics)
{
    BE_CALL(be, abs_error, clmlp_check_abs_error(be, rows, cols, y, off_y, t, off_t, metrics), rows,
            cols, y, off_y, t, off_t, metrics);
}

int clmlp_be_gather_rows(clmlp_backend_t *be, size_t rows, size_t cols, const clmlp_buf *src,
                         const clmlp_buf *idx, size_t idx_off, clmlp_buf *dst, size_t off_dst)
{
    BE_CALL(be, gather_rows,
            clmlp_check_gather_rows(be, rows, cols, src, idx, idx_off, dst, off_dst), rows, cols,
            src, idx, idx_off, dst, off_dst);
}

int clmlp_be_nonfinite_check(clmlp_backend_t *be, const clmlp_buf *x, size_t off, size_t n,
                             clmlp_buf *metrics)
{
    BE_CALL(be, nonfinite_check, clmlp_check_nonfinite(be, x, off, n, metrics), x, off, n, metrics);
}

int clmlp_be_sgd_update(clmlp_backend_t *be, size_t n, size_t n_decay, clmlp_buf *w,
                        const clmlp_buf *grad, clmlp_buf *vel, float lr, float momentum,
                        int nesterov, float l2)
{
    /* The velocity is read only with momentum. */
    const clmlp_buf *bufs[] = {w, grad, vel};
    static const char *const names[] = {"w", "grad", "vel"};
    BE_CALL(be, sgd_update,
            clmlp_check_update(be, "sgd_update", n, n_decay, bufs, names, momentum != 0.0f ? 3 : 2),
            n, n_decay, w, grad, vel, lr, momentum, nesterov, l2);
}

int clmlp_be_adam_update(clmlp_backend_t *be, size_t n, size_t n_decay, clmlp_buf *w,
                         const clmlp_buf *grad, clmlp_buf *m, clmlp_buf *v, float lr_t, float beta1,
                         float beta2, float eps, float l2)
{
    const clmlp_buf *bufs[] = {w, grad, m, v};
    static const char *const names[] = {"w", "grad", "m", "v"};
    BE_CALL(be, adam_update, clmlp_check_update(be, "adam_update", n, n_decay, bufs, names, 4), n,
            n_decay, w, grad, m, v, lr_t, beta1, beta2, eps, l2);
}
