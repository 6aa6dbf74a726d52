/* Registered (user-defined) layer kinds: the registry, and the adapter that
 * runs a clmlp_layer_kind (include/clmlp_layer.h) as a layer unit through
 * the backends' custom-layer calls, filling in what a kind may leave out
 * (build: the width kept, no parameters; init: Keras's random_normal and
 * zeros). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nn/layer_registry.h"
#include "nn/model.h"
#include "util/error.h"

#define MAX_KINDS 64
/* The standard deviation of the default init (Keras's RandomNormal). */
#define DEFAULT_INIT_STDDEV 0.05

/* Registered kinds, in order, with where each came from (a plugin's path,
 * or NULL for the program).  Registration is meant for program start (not
 * thread-safe against concurrent registration). */
static const clmlp_layer_kind *registry[MAX_KINDS];
static const char *origin[MAX_KINDS];
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

/* The registry's index of name, or -1. */
static long find_index(const char *name)
{
    for (size_t i = 0; name && i < n_registered; i++)
        if (strcmp(registry[i]->name, name) == 0) return (long)i;
    return -1;
}

const clmlp_layer_kind *clmlp_layer_find(const char *name)
{
    long i = find_index(name);
    return i < 0 ? NULL : registry[i];
}

const clmlp_layer_kind *clmlp_layer_registered(size_t i)
{
    return i < n_registered ? registry[i] : NULL;
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

int clmlp_layer_check(const clmlp_layer_kind *k)
{
    if (!k) return clmlp_set_error(CLMLP_E_INVALID, "no layer kind given");
    if (!clmlp_layer_kind_name_valid(k->name, k->name ? strlen(k->name) : 0))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "a layer kind's name must be 1 to 63 of [a-z0-9_] with a letter, "
                               "got '%s'",
                               k->name ? k->name : "(null)");
    if (k->config_size > CLMLP_LAYER_MAX_CONFIG)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "layer kind '%s' takes %zu configuration bytes; at most %d", k->name,
                               k->config_size, CLMLP_LAYER_MAX_CONFIG);
    if (clmlp_layer_builtin(k->name))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "a layer kind named '%s' is built in; choose another name", k->name);
    long at = find_index(k->name);
    if (at >= 0)
        return clmlp_set_error(CLMLP_E_INVALID, "a layer kind named '%s' is already registered%s%s",
                               k->name, origin[at] ? " by plugin " : "",
                               origin[at] ? origin[at] : "");
    const char *missing = !k->forward_f32    ? "forward_f32"
                          : !k->backward_f32 ? "backward_f32"
                                             : NULL;
    if (missing)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "layer kind '%s' has no %s (a kind gives at least forward_f32 and "
                               "backward_f32)",
                               k->name, missing);
    if (!k->forward_f64 != !k->backward_f64)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "layer kind '%s' gives %s but not %s: both or neither", k->name,
                               k->forward_f64 ? "forward_f64" : "backward_f64",
                               k->forward_f64 ? "backward_f64" : "forward_f64");
    int cl = !!k->cl_source + !!k->cl_forward + !!k->cl_backward_input + !!k->cl_backward_params;
    if (cl != 0 && cl != 4)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "layer kind '%s' gives part of its OpenCL code: cl_source, "
                               "cl_forward, cl_backward_input and cl_backward_params go together",
                               k->name);
    return CLMLP_OK;
}

size_t clmlp_layer_registry_room(void) { return MAX_KINDS - n_registered; }

int clmlp_layer_register_from(const clmlp_layer_kind *k, const char *from)
{
    CLMLP_TRY(clmlp_layer_check(k));
    if (n_registered == MAX_KINDS)
        return clmlp_set_error(CLMLP_E_INVALID, "too many layer kinds registered (%d)", MAX_KINDS);
    origin[n_registered] = from;
    registry[n_registered++] = k;
    return CLMLP_OK;
}

int clmlp_layer_register(const clmlp_layer_kind *k)
{
    if (!k) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_layer_register: no kind given");
    return clmlp_layer_register_from(k, NULL);
}

/* An item naming a registered kind: "name", or "name:ARGS" for a kind
 * with a parse function. */
static int custom_spec(const clmlp_spec_item *it, unsigned char *config, size_t *config_size,
                       const clmlp_layer_kind **custom)
{
    const clmlp_layer_kind *k = clmlp_layer_find(it->fields[0]);
    if (!k) return CLMLP_SPEC_NOT_MINE;
    *custom = k;
    *config_size = k->config_size;
    memset(config, 0, k->config_size);
    if (it->n_fields > 1 && !k->parse)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "layer spec '%s': item %zu: layer kind '%s' takes no fields in "
                               "a spec",
                               it->spec, it->item, k->name);
    if (!k->parse) return CLMLP_OK;
    /* ARGS: what follows the name and its ':' in the item as written. */
    char args[128];
    size_t skip = strlen(k->name) + (it->n_fields > 1);
    size_t len = it->text_len > skip ? it->text_len - skip : 0;
    if (len >= sizeof args) len = sizeof args - 1;
    memcpy(args, it->text + skip, len);
    args[len] = '\0';
    clmlp_clear_error();
    int rc = k->parse(args, config);
    if (rc >= 0) return CLMLP_OK;
    char why[512];
    snprintf(why, sizeof why, "%s", clmlp_last_error()[0] ? clmlp_last_error() : "refused");
    return clmlp_set_error(rc, "layer spec '%s': item %zu (%s): %s", it->spec, it->item, k->name,
                           why);
}

static int custom_build(clmlp_layer *l, size_t in)
{
    const clmlp_layer_kind *k = l->custom;
    if (l->config_size != k->config_size)
        return clmlp_set_error(CLMLP_E_FORMAT, "a %s layer's configuration is %zu bytes, got %zu",
                               k->name, k->config_size, l->config_size);
    clmlp_param_spec specs[CLMLP_LAYER_MAX_TENSORS];
    memset(specs, 0, sizeof specs);
    size_t out = in, n = 0;
    if (k->build) {
        out = 0;
        clmlp_clear_error();
        int rc = k->build(l->config, in, &out, specs, &n);
        if (rc < 0) {
            if (!clmlp_last_error()[0])
                clmlp_set_error(rc, "layer kind '%s' refused an input width of %zu", k->name, in);
            return rc;
        }
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
    for (size_t t = 0; t < l->n_tensors; t++) {
        float *v = p + l->tensors[t].off;
        size_t count = l->tensors[t].count;
        if (l->custom->init)
            l->custom->init(l->config, l->in, t, v, count, &lr);
        else
            for (size_t i = 0; i < count; i++)
                v[i] = l->tensors[t].decay ? (float)(DEFAULT_INIT_STDDEV * clmlp_rng_normal(&lr.r))
                                           : 0.0f;
    }
    *r = lr.r;
}

static int custom_prepare(clmlp_backend_t *be, const clmlp_layer *l)
{
    return clmlp_be_custom_prepare(be, l->custom);
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

static void custom_info(const clmlp_layer *l, clmlp_layer_info *out)
{
    out->form = CLMLP_LAYER_OTHER;
    out->ref_in_float = !l->custom->forward_f64;
}

const clmlp_layer_vt clmlp_layer_custom = {
    .kind = NULL,
    .spec_syntax = NULL,
    .spec = custom_spec,
    .build = custom_build,
    .init = custom_init,
    .prepare = custom_prepare,
    .forward = custom_forward,
    .backward = custom_backward,
    .describe = custom_describe,
    .info = custom_info,
};
