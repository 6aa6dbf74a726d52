/* User-defined layers on the OpenCL backend: a kind's cl_source (after the
 * generated prelude of shared codes) is built once per backend, the first
 * time the kind runs, through the program binary cache, and kept with its
 * three kernels in a short list in the context until the backend closes.
 * With each kind's entry go read-only device copies of the configurations
 * its layers have run with, one per distinct content, made on first use
 * and kept as long as the entry (a model's layers keep their configuration
 * bytes unchanged, so a training run copies each once).
 * Launches follow the argument lists of include/clmlp_layer.h, with exactly
 * as many work-items as there are rows (or tensor values): the contract
 * does not ask the kind's kernels to check their range. */
#include <stdlib.h>
#include <string.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* The kernels of a kind, in this order. */
enum { CUSTOM_FORWARD, CUSTOM_BACKWARD_INPUT, CUSTOM_BACKWARD_PARAMS, CUSTOM_KERNELS };

/* A configuration's bytes on the device, with the host copy that keys it. */
typedef struct custom_config {
    size_t size;         /* the kind's config_size (0: mem is one zero byte) */
    unsigned char *host; /* size bytes (NULL for 0) */
    cl_mem mem;          /* read-only, max(size, 1) bytes */
    struct custom_config *next;
} custom_config;

struct clmlp_cl_custom {
    const clmlp_layer_kind *kind;
    const char *source; /* the kind's cl_source it was built from */
    cl_program program;
    cl_kernel kernels[CUSTOM_KERNELS];
    custom_config *configs; /* the configurations it has run with */
    clmlp_cl_custom *next;
};

/* The name of the kind's kernel k. */
static const char *kernel_name(const clmlp_layer_kind *kind, int k)
{
    return k == CUSTOM_FORWARD          ? kind->cl_forward
           : k == CUSTOM_BACKWARD_INPUT ? kind->cl_backward_input
                                        : kind->cl_backward_params;
}

/* Releases one entry's kernels, program and configurations, and the entry.
 * Kernels already queued keep what they use alive until they have run. */
static void entry_free(clmlp_cl_custom *e)
{
    while (e->configs) {
        custom_config *next = e->configs->next;
        clReleaseMemObject(e->configs->mem);
        free(e->configs->host);
        free(e->configs);
        e->configs = next;
    }
    for (int k = 0; k < CUSTOM_KERNELS; k++)
        if (e->kernels[k]) clReleaseKernel(e->kernels[k]);
    if (e->program) clReleaseProgram(e->program);
    free(e);
}

void clmlp_cl_custom_release(clmlp_cl_ctx *ctx)
{
    while (ctx->customs) {
        clmlp_cl_custom *next = ctx->customs->next;
        entry_free(ctx->customs);
        ctx->customs = next;
    }
}

size_t clmlp_cl_custom_count(const clmlp_cl_ctx *ctx)
{
    size_t n = 0;
    for (const clmlp_cl_custom *e = ctx->customs; e; e = e->next) n++;
    return n;
}

size_t clmlp_cl_custom_config_count(const clmlp_cl_ctx *ctx)
{
    size_t n = 0;
    for (const clmlp_cl_custom *e = ctx->customs; e; e = e->next)
        for (const custom_config *g = e->configs; g; g = g->next) n++;
    return n;
}

/* Whether name is a registrable kind name ([a-z0-9_]+), safe to quote in a
 * #line directive. */
static int plain_name(const char *name)
{
    if (!*name) return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return 0;
    return 1;
}

/* Builds kind's program and creates its kernels into a new entry *out. */
static int entry_build(clmlp_cl_ctx *ctx, const clmlp_layer_kind *kind, clmlp_cl_custom **out)
{
    char origin[128], line[96];
    snprintf(origin, sizeof origin, "custom layer kind '%.64s'", kind->name);
    snprintf(line, sizeof line, "\n#line 1 \"%.64s.cl\"\n",
             plain_name(kind->name) ? kind->name : "custom_layer");
    const char *parts[4] = {"#line 1 \"clmlp_codes.h\"\n", clmlp_cl_prelude, line, kind->cl_source};
    clmlp_cl_custom *e = calloc(1, sizeof *e);
    if (!e) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory building %s", origin);
    e->kind = kind;
    e->source = kind->cl_source;
    int rc = clmlp_cl_program_from_parts(ctx, parts, 4, origin, CLMLP_CL_CACHE_ON, &e->program);
    for (int k = 0; rc == CLMLP_OK && k < CUSTOM_KERNELS; k++) {
        cl_int err = CL_SUCCESS;
        e->kernels[k] = clCreateKernel(e->program, kernel_name(kind, k), &err);
        if (err != CL_SUCCESS) {
            e->kernels[k] = NULL;
            rc = clmlp_set_error(CLMLP_E_DEVICE,
                                 "%s: no kernel '%s' in its OpenCL source "
                                 "(clCreateKernel: %s (%d))",
                                 origin, kernel_name(kind, k), clmlp_cl_status_name(err), (int)err);
        }
    }
    if (rc < 0) {
        entry_free(e);
        return rc;
    }
    *out = e;
    return CLMLP_OK;
}

/* Whether kind gives its OpenCL code: the source and its three kernels. */
static int has_cl(const clmlp_layer_kind *kind)
{
    return kind->cl_source && kind->cl_forward && kind->cl_backward_input &&
           kind->cl_backward_params;
}

int clmlp_cl_custom_prepare(void *ctx, const clmlp_layer_kind *kind)
{
    (void)ctx;
    if (has_cl(kind)) return CLMLP_OK;
    return clmlp_set_error(CLMLP_E_UNSUPPORTED,
                           "layer kind '%s' has no OpenCL code, so the opencl backend cannot "
                           "run it: give its clmlp_layer_kind cl_source and the names of its "
                           "three kernels (cl_forward, cl_backward_input, cl_backward_params; "
                           "include/clmlp_layer.h), or use the cpu or ref backend",
                           kind->name);
}

/* The entry of c's kind, built on first use (again if its source changed). */
static int entry_for(clmlp_cl_ctx *ctx, const clmlp_layer_kind *kind, clmlp_cl_custom **out)
{
    clmlp_cl_custom **link = &ctx->customs;
    for (; *link; link = &(*link)->next)
        if ((*link)->kind == kind) break;
    if (*link && (*link)->source == kind->cl_source) {
        *out = *link;
        return CLMLP_OK;
    }
    if (!has_cl(kind)) return clmlp_cl_custom_prepare(ctx, kind);
    clmlp_cl_custom *e = NULL;
    CLMLP_TRY(entry_build(ctx, kind, &e));
    if (*link) { /* the kind's source changed: the old program goes */
        clmlp_cl_custom *old = *link;
        *link = old->next;
        entry_free(old);
    }
    e->next = ctx->customs;
    ctx->customs = e;
    *out = e;
    return CLMLP_OK;
}

/* The device buffer holding the call's configuration bytes: the entry's
 * copy of the same content, made (and kept) on first use. */
static int config_for(clmlp_cl_ctx *ctx, clmlp_cl_custom *e, const clmlp_custom_call *c,
                      cl_mem *out)
{
    size_t size = c->config ? c->kind->config_size : 0;
    for (custom_config *g = e->configs; g; g = g->next)
        if (g->size == size && (size == 0 || memcmp(g->host, c->config, size) == 0)) {
            *out = g->mem;
            return CLMLP_OK;
        }
    custom_config *g = calloc(1, sizeof *g);
    if (g && size) g->host = malloc(size);
    if (!g || (size && !g->host)) {
        free(g);
        return clmlp_set_error(CLMLP_E_NOMEM,
                               "out of memory copying the configuration of "
                               "custom layer '%s'",
                               c->kind->name);
    }
    g->size = size;
    if (size) memcpy(g->host, c->config, size);
    unsigned char zero = 0;
    cl_int err = CL_SUCCESS;
    g->mem = clCreateBuffer(ctx->context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, size ? size : 1,
                            size ? (void *)g->host : (void *)&zero, &err);
    if (err != CL_SUCCESS) {
        free(g->host);
        free(g);
        char what[160];
        snprintf(what, sizeof what, "%zu configuration bytes of custom layer '%.64s'", size,
                 c->kind->name);
        return clmlp_cl_fail("clCreateBuffer", what, err);
    }
    g->next = e->configs;
    e->configs = g;
    *out = g->mem;
    return CLMLP_OK;
}

/* The shapes fit the kernels' uint arguments (the buffers' offsets and
 * counts already do: no buffer holds more than CLMLP_CL_MAX_ELEMS). */
static int shapes_fit(const clmlp_custom_call *c)
{
    if (c->rows <= CLMLP_CL_MAX_ELEMS && c->in <= CLMLP_CL_MAX_ELEMS &&
        c->out <= CLMLP_CL_MAX_ELEMS)
        return CLMLP_OK;
    return clmlp_set_error(CLMLP_E_INVALID,
                           "custom layer '%s': %zu rows of %zu -> %zu values do not fit the "
                           "OpenCL kernels' 32-bit arguments",
                           c->kind->name, c->rows, c->in, c->out);
}

/* Starts a launch of the entry's kernel k with the arguments every kernel
 * of a kind begins with: rows, in, out, x, x_off, p, p_off. */
static void begin(clk_call *k, clmlp_cl_ctx *ctx, const clmlp_cl_custom *e, int which,
                  const clmlp_custom_call *c, const size_t *p_off)
{
    /* Work-group size 0: these kernels run with clmlp_clk_run_exact. */
    clmlp_clk_begin_kernel(k, ctx, e->kernels[which], kernel_name(c->kind, which), 0);
    clmlp_clk_uint(k, c->rows);
    clmlp_clk_uint(k, c->in);
    clmlp_clk_uint(k, c->out);
    clmlp_clk_mem(k, c->x);
    clmlp_clk_uint(k, c->x_off);
    clmlp_clk_mem(k, c->params ? c->params : c->x); /* unread without tensors */
    clmlp_clk_uint4(k, p_off);
}

/* The tensors' offsets as the kernels take them, unused ones 0. */
static void tensor_offsets(const clmlp_custom_call *c, size_t p_off[4])
{
    _Static_assert(CLMLP_LAYER_MAX_TENSORS == 4, "p_off is passed as one uint4");
    for (size_t k = 0; k < 4; k++) p_off[k] = k < c->n_tensors ? c->p_off[k] : 0;
}

/* What every launch of call c needs: its shapes checked, the kind's
 * program, its configuration on the device and the tensor offsets. */
static int prepare(clmlp_cl_ctx *ctx, const clmlp_custom_call *c, clmlp_cl_custom **e,
                   cl_mem *config, size_t p_off[4])
{
    *e = NULL;
    *config = NULL;
    CLMLP_TRY(shapes_fit(c));
    CLMLP_TRY(entry_for(ctx, c->kind, e));
    CLMLP_TRY(config_for(ctx, *e, c, config));
    tensor_offsets(c, p_off);
    return CLMLP_OK;
}

/* cl_forward over the rows, one work-item a row. */
int clmlp_cl_custom_forward(void *vctx, const clmlp_custom_call *c)
{
    clmlp_cl_ctx *ctx = vctx;
    clmlp_cl_custom *e;
    cl_mem config;
    size_t p_off[4];
    CLMLP_TRY(prepare(ctx, c, &e, &config, p_off));
    clk_call k;
    begin(&k, ctx, e, CUSTOM_FORWARD, c, p_off);
    clmlp_clk_mem(&k, c->y);
    clmlp_clk_uint(&k, c->y_off);
    clmlp_clk_cl_mem(&k, config);
    return clmlp_clk_run_exact(&k, c->rows);
}

/* cl_backward_input over the rows (only when dx is wanted), then
 * cl_backward_params once per tensor, one work-item per value. */
int clmlp_cl_custom_backward(void *vctx, const clmlp_custom_call *c)
{
    clmlp_cl_ctx *ctx = vctx;
    clmlp_cl_custom *e;
    cl_mem config;
    size_t p_off[4];
    CLMLP_TRY(prepare(ctx, c, &e, &config, p_off));
    clk_call k;
    if (c->dx) {
        begin(&k, ctx, e, CUSTOM_BACKWARD_INPUT, c, p_off);
        clmlp_clk_mem(&k, c->dy);
        clmlp_clk_uint(&k, c->dy_off);
        clmlp_clk_mem(&k, c->dx);
        clmlp_clk_uint(&k, c->dx_off);
        clmlp_clk_cl_mem(&k, config);
        CLMLP_TRY(clmlp_clk_run_exact(&k, c->rows));
    }
    for (size_t t = 0; t < c->n_tensors; t++) {
        begin(&k, ctx, e, CUSTOM_BACKWARD_PARAMS, c, p_off);
        clmlp_clk_mem(&k, c->dy);
        clmlp_clk_uint(&k, c->dy_off);
        clmlp_clk_mem(&k, c->grads);
        clmlp_clk_uint4(&k, p_off); /* gradients sit where their parameters do */
        clmlp_clk_uint(&k, t);
        clmlp_clk_cl_mem(&k, config);
        CLMLP_TRY(clmlp_clk_run_exact(&k, c->p_count[t]));
    }
    return CLMLP_OK;
}
