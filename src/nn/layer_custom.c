/* Registered (user-defined) layer kinds: the registry, and the adapter that
 * runs a clmlp_layer_kind (clmlp_layer.h) as a layer unit through the
 * backends' custom-layer calls. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"

#define MAX_KINDS 64

/* Registered kinds, in order.  Registration is meant for program start
 * (not thread-safe against concurrent registration). */
static const clmlp_layer_kind *registry[MAX_KINDS];
static size_t n_registered;

double clmlp_layer_uniform(clmlp_layer_rng *rng) { return clmlp_rng_uniform(&rng->r); }
double clmlp_layer_normal(clmlp_layer_rng *rng) { return clmlp_rng_normal(&rng->r); }

int clmlp_layer_error(int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return clmlp_set_error(status < 0 ? status : CLMLP_E_INVALID, "%s", msg);
}

const clmlp_layer_kind *clmlp_layer_find(const char *name)
{
    for (size_t i = 0; name && i < n_registered; i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}

int clmlp_layer_kind_name_valid(const char *name, size_t n)
{
    int letters = 0;
    if (!name || n == 0 || n > 63) return 0;
    for (size_t i = 0; i < n; i++) {
        if (islower((unsigned char)name[i]))
            letters++;
        else if (!(isdigit((unsigned char)name[i]) || name[i] == '_'))
            return 0;
    }
    return letters > 0; /* all digits would read as a Dense width in specs */
}

int clmlp_layer_register(const clmlp_layer_kind *k)
{
    if (!k) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_layer_register: no kind given");
    if (!clmlp_layer_kind_name_valid(k->name, k->name ? strlen(k->name) : 0))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "a layer kind's name must be 1 to 63 of [a-z0-9_] with a letter, "
                               "got '%s'",
                               k->name ? k->name : "(null)");
    if (k->config_size > CLMLP_LAYER_MAX_CONFIG)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "layer kind '%s' takes %zu configuration bytes; at most %d",
                               k->name, k->config_size, CLMLP_LAYER_MAX_CONFIG);
    if (clmlp_model_layer_vt(k->name, NULL))
        return clmlp_set_error(CLMLP_E_INVALID, "a layer kind named '%s' is already registered",
                               k->name);
    const char *missing = !k->build           ? "build"
                          : !k->init          ? "init"
                          : !k->forward_f64   ? "forward_f64"
                          : !k->backward_f64  ? "backward_f64"
                          : !k->forward_f32   ? "forward_f32"
                          : !k->backward_f32  ? "backward_f32"
                          : !k->cl_source     ? "cl_source"
                          : !k->cl_forward    ? "cl_forward"
                          : !k->cl_backward_input ? "cl_backward_input"
                          : !k->cl_backward_params ? "cl_backward_params"
                                                   : NULL;
    if (missing)
        return clmlp_set_error(CLMLP_E_INVALID, "layer kind '%s' has no %s", k->name, missing);
    if (n_registered == MAX_KINDS)
        return clmlp_set_error(CLMLP_E_INVALID, "too many layer kinds registered (%d)", MAX_KINDS);
    registry[n_registered++] = k;
    return CLMLP_OK;
}

const char *clmlp_model_registered_kinds(char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n_registered && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, ", %s", registry[i]->name);
    return buf;
}

const clmlp_layer_vt *clmlp_model_layer_vt(const char *kind, const clmlp_layer_kind **custom)
{
    if (custom) *custom = NULL;
    if (!kind) return NULL;
    if (strcmp(kind, clmlp_layer_dense.kind) == 0) return &clmlp_layer_dense;
    if (strcmp(kind, clmlp_layer_dropout.kind) == 0) return &clmlp_layer_dropout;
    const clmlp_layer_kind *k = clmlp_layer_find(kind);
    if (!k) return NULL;
    if (custom) *custom = k;
    return &clmlp_layer_custom;
}

static int custom_build(clmlp_layer *l, size_t in)
{
    const clmlp_layer_kind *k = l->custom;
    if (l->config_size != k->config_size)
        return clmlp_set_error(CLMLP_E_FORMAT, "a %s layer's configuration is %zu bytes, got %zu",
                               k->name, k->config_size, l->config_size);
    clmlp_param_spec specs[CLMLP_LAYER_MAX_TENSORS];
    memset(specs, 0, sizeof specs);
    size_t out = 0, n = 0;
    clmlp_clear_error();
    int rc = k->build(l->config, in, &out, specs, &n);
    if (rc < 0) {
        if (!clmlp_last_error()[0])
            clmlp_set_error(rc, "layer kind '%s' refused an input width of %zu", k->name, in);
        return rc;
    }
    if (out == 0 || out > ((size_t)1 << 24) || n > CLMLP_LAYER_MAX_TENSORS)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "layer kind '%s' built %zu outputs and %zu tensors (1 to 2^24 "
                               "outputs, at most %d tensors)",
                               k->name, out, n, CLMLP_LAYER_MAX_TENSORS);
    l->out = out;
    l->scratch = 0;
    l->n_tensors = n;
    for (size_t t = 0; t < n; t++) {
        if (specs[t].count == 0 || specs[t].count > ((size_t)1 << 30))
            return clmlp_set_error(CLMLP_E_INVALID, "layer kind '%s': tensor %zu has %zu values",
                                   k->name, t, specs[t].count);
        l->tensors[t] = (clmlp_tensor){specs[t].name ? specs[t].name : "p", specs[t].count,
                                       specs[t].decay != 0, 0};
    }
    return CLMLP_OK;
}

static void custom_init(const clmlp_layer *l, float *p, clmlp_rng *r)
{
    clmlp_layer_rng lr = {*r};
    for (size_t t = 0; t < l->n_tensors; t++)
        l->custom->init(l->config, l->in, t, p + l->tensors[t].off, l->tensors[t].count, &lr);
    *r = lr.r;
}

/* The backend call for l on this batch. */
static void custom_call(const clmlp_model_t *m, const clmlp_layer *l, const clmlp_layer_io *io,
                        clmlp_custom_call *c)
{
    memset(c, 0, sizeof *c);
    c->kind = l->custom;
    c->config = l->config;
    c->rows = io->rows;
    c->in = l->in;
    c->out = l->out;
    c->x = io->x;
    c->x_off = io->x_off;
    c->y = m->y;
    c->y_off = l->ws_off;
    c->params = m->params;
    c->grads = m->grads;
    c->n_tensors = l->n_tensors;
    for (size_t t = 0; t < l->n_tensors; t++) {
        c->p_off[t] = l->tensors[t].off;
        c->p_count[t] = l->tensors[t].count;
    }
}

static int custom_forward(clmlp_model_t *m, const clmlp_layer *l, const clmlp_layer_io *io)
{
    clmlp_custom_call c;
    custom_call(m, l, io, &c);
    return clmlp_be_custom_forward(m->be, &c);
}

static int custom_backward(clmlp_model_t *m, const clmlp_layer *l, const clmlp_layer_io *io)
{
    clmlp_custom_call c;
    custom_call(m, l, io, &c);
    c.y = NULL;
    c.y_off = 0;
    c.dy = io->dy;
    c.dx = io->dx;
    return clmlp_be_custom_backward(m->be, &c);
}

static void custom_describe(const clmlp_layer *l, char *buf, size_t size)
{
    if (l->custom->describe)
        l->custom->describe(l->config, buf, size);
    else
        snprintf(buf, size, "%s", l->custom->name);
}

const clmlp_layer_vt clmlp_layer_custom = {
    "custom", custom_build, custom_init, custom_forward, custom_backward, custom_describe, NULL,
    NULL};
