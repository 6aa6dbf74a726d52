/* Building a model: Dense layers, the packed parameter layout, compiling
 * onto a backend with seeded Glorot initialisation, and weight access. */
#include "nn/model.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"
#include "util/rng.h"

/* Largest width a layer may have; keeps every size product far from overflow. */
#define MAX_UNITS ((size_t)1 << 24)

int clmlp_model_init(clmlp_model_t **out, size_t n_inputs)
{
    if (!out) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_model_init: out is NULL");
    *out = NULL;
    if (n_inputs == 0 || n_inputs > MAX_UNITS)
        return clmlp_set_error(CLMLP_E_INVALID, "a model needs 1 to %zu inputs, got %zu",
                               MAX_UNITS, n_inputs);
    clmlp_model_t *m = calloc(1, sizeof *m);
    if (!m) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory creating a model");
    m->n_inputs = n_inputs;
    m->opt.kind = CLMLP_OPT_SGD;
    m->opt.lr = 0.01;
    *out = m;
    return CLMLP_OK;
}

/* Releases every backend buffer the model holds. */
static void model_release_buffers(clmlp_model_t *m)
{
    clmlp_buf **bufs[] = {&m->params, &m->grads, &m->opt_m, &m->opt_v, &m->z,  &m->y,
                          &m->d0,     &m->d1,    &m->xb,    &m->tb,    &m->lb, &m->idx,
                          &m->metrics};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        be_buf_free(m->be, *bufs[i]);
        *bufs[i] = NULL;
    }
    m->ws_rows = 0;
    m->idx_n = 0;
}

void clmlp_model_free(clmlp_model_t *m)
{
    if (!m) return;
    model_release_buffers(m);
    free(m->layers);
    free(m->host_params);
    free(m);
}

void model_layout(clmlp_model_t *m)
{
    size_t off = 0, in = m->n_inputs;
    for (size_t i = 0; i < m->n_layers; i++) {
        clmlp_layer *l = &m->layers[i];
        l->in = in;
        l->w_off = off;
        off += l->in * l->units;
        in = l->units;
    }
    m->n_weights = off;
    for (size_t i = 0; i < m->n_layers; i++) {
        clmlp_layer *l = &m->layers[i];
        l->b_off = off;
        if (l->use_bias) off += l->units;
    }
    m->n_params = off;
}

int clmlp_model_add_dense(clmlp_model_t *m, size_t units, clmlp_act act, int use_bias)
{
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_model_add_dense: no model");
    if (m->be)
        return clmlp_set_error(CLMLP_E_INVALID, "cannot add a layer to a compiled model");
    if (units == 0 || units > MAX_UNITS)
        return clmlp_set_error(CLMLP_E_INVALID, "a Dense layer needs 1 to %zu units, got %zu",
                               MAX_UNITS, units);
    if ((unsigned)act >= CLMLP_ACT_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "unknown activation %d", (int)act);
    size_t in = m->n_layers ? m->layers[m->n_layers - 1].units : m->n_inputs;
    /* The parameter count must stay far below SIZE_MAX and 2^31 elements,
     * the most one OpenCL buffer index comfortably covers. */
    if ((double)in * (double)units + (double)m->n_params + (double)units > 2147483647.0)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "a %zu x %zu layer makes the model too large (over 2^31 "
                               "parameters)",
                               in, units);
    if (m->n_layers == m->cap_layers) {
        size_t cap = m->cap_layers ? 2 * m->cap_layers : 4;
        clmlp_layer *nl = realloc(m->layers, cap * sizeof *nl);
        if (!nl) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory adding a layer");
        m->layers = nl;
        m->cap_layers = cap;
    }
    clmlp_layer *l = &m->layers[m->n_layers++];
    memset(l, 0, sizeof *l);
    l->units = units;
    l->act = act;
    l->use_bias = use_bias != 0;
    model_layout(m);
    free(m->host_params); /* the layout changed: earlier weights no longer fit */
    m->host_params = NULL;
    return CLMLP_OK;
}

/* Parses a whole positive number from [s, end) into *v. */
static int parse_count(const char *s, size_t len, size_t *v)
{
    if (len == 0 || len > 9) return -1;
    size_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        x = x * 10 + (size_t)(s[i] - '0');
    }
    *v = x;
    return 0;
}

int clmlp_model_from_spec(clmlp_model_t **out, const char *spec)
{
    if (!out) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_model_from_spec: out is NULL");
    *out = NULL;
    if (!spec || !*spec)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "empty layer spec (expected e.g. 784,100:sigmoid,10:softmax)");
    clmlp_model_t *m = NULL;
    int rc = CLMLP_OK;
    const char *p = spec;
    for (size_t item = 0; rc == CLMLP_OK; item++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char buf[128];
        if (len >= sizeof buf) {
            rc = clmlp_set_error(CLMLP_E_INVALID, "layer spec item %zu is too long", item + 1);
            break;
        }
        memcpy(buf, p, len);
        buf[len] = '\0';
        char *fields[4] = {0};
        size_t nf = 0;
        for (char *tok = buf; nf < 4;) {
            fields[nf++] = tok;
            char *c = strchr(tok, ':');
            if (!c) break;
            *c = '\0';
            tok = c + 1;
        }
        size_t units;
        if (parse_count(fields[0], strlen(fields[0]), &units) != 0 || units == 0) {
            rc = clmlp_set_error(CLMLP_E_INVALID,
                                 "layer spec '%s': item %zu ('%s') must start with a whole "
                                 "number of units >= 1",
                                 spec, item + 1, fields[0]);
            break;
        }
        if (item == 0) {
            if (nf > 1) {
                rc = clmlp_set_error(CLMLP_E_INVALID,
                                     "layer spec '%s': the first item is the input width and "
                                     "takes no activation",
                                     spec);
                break;
            }
            rc = clmlp_model_init(&m, units);
        } else {
            clmlp_act act = CLMLP_ACT_LINEAR;
            int use_bias = 1;
            for (size_t f = 1; f < nf && rc == CLMLP_OK; f++) {
                if (strcmp(fields[f], "nobias") == 0)
                    use_bias = 0;
                else if (clmlp_act_parse(fields[f], &act) != CLMLP_OK)
                    rc = clmlp_set_error(CLMLP_E_INVALID,
                                         "layer spec '%s': unknown activation '%s' in item %zu",
                                         spec, fields[f], item + 1);
            }
            if (rc == CLMLP_OK) rc = clmlp_model_add_dense(m, units, act, use_bias);
        }
        if (!end) break;
        p = end + 1;
    }
    if (rc == CLMLP_OK && m && m->n_layers == 0)
        rc = clmlp_set_error(CLMLP_E_INVALID,
                             "layer spec '%s' has an input width but no layers", spec);
    if (rc != CLMLP_OK) {
        clmlp_model_free(m);
        return rc;
    }
    *out = m;
    return CLMLP_OK;
}

size_t clmlp_model_n_layers(const clmlp_model_t *m) { return m ? m->n_layers : 0; }
size_t clmlp_model_n_inputs(const clmlp_model_t *m) { return m ? m->n_inputs : 0; }
size_t clmlp_model_n_params(const clmlp_model_t *m) { return m ? m->n_params : 0; }
size_t clmlp_model_n_outputs(const clmlp_model_t *m)
{
    return m && m->n_layers ? m->layers[m->n_layers - 1].units : 0;
}
clmlp_loss clmlp_model_loss(const clmlp_model_t *m) { return m->loss; }
clmlp_optimizer clmlp_model_optimizer(const clmlp_model_t *m) { return m->opt; }
size_t clmlp_model_epochs_done(const clmlp_model_t *m) { return m ? m->epochs_done : 0; }

int clmlp_model_layer(const clmlp_model_t *m, size_t i, size_t *units, clmlp_act *act,
                      int *use_bias)
{
    if (!m || i >= m->n_layers)
        return clmlp_set_error(CLMLP_E_NOT_FOUND, "no layer %zu (the model has %zu)", i,
                               m ? m->n_layers : 0);
    if (units) *units = m->layers[i].units;
    if (act) *act = m->layers[i].act;
    if (use_bias) *use_bias = m->layers[i].use_bias;
    return CLMLP_OK;
}

void clmlp_model_summary(const clmlp_model_t *m, FILE *f)
{
    if (!m || !f) return;
    const char *rule = "_________________________________________________________________";
    fprintf(f, "Model: \"sequential\"\n%s\n", rule);
    fprintf(f, " %-28s %-24s %10s\n", "Layer (type)", "Output Shape", "Param #");
    fprintf(f, "=================================================================\n");
    fprintf(f, " %-28s %-24s %10s\n", "input (InputLayer)", "", "0");
    for (size_t i = 0; i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        char name[64], shape[32];
        snprintf(name, sizeof name, "dense_%zu (Dense, %s%s)", i + 1, clmlp_act_name(l->act),
                 l->use_bias ? "" : ", no bias");
        snprintf(shape, sizeof shape, "(None, %zu)", l->units);
        fprintf(f, " %-28s %-24s %10zu\n", name, shape,
                l->in * l->units + (l->use_bias ? l->units : 0));
        if (i == 0) fprintf(f, "   (input (None, %zu))\n", l->in);
    }
    fprintf(f, "=================================================================\n");
    fprintf(f, "Total params: %zu (%.2f KB)\n", m->n_params, m->n_params * 4.0 / 1024.0);
    fprintf(f, "Trainable params: %zu\nNon-trainable params: 0\n%s\n", m->n_params, rule);
}

int model_loss_fused(const clmlp_model_t *m)
{
    clmlp_act a = m->layers[m->n_layers - 1].act;
    return ((m->loss == CLMLP_LOSS_CCE || m->loss == CLMLP_LOSS_SPARSE_CCE) &&
            a == CLMLP_ACT_SOFTMAX) ||
           (m->loss == CLMLP_LOSS_BCE && a == CLMLP_ACT_SIGMOID);
}

size_t model_opt_state_count(const clmlp_model_t *m)
{
    if (m->opt.kind == CLMLP_OPT_ADAM) return 2;
    return m->opt.momentum != 0.0 ? 1 : 0;
}

/* Checks an optimizer's fields and fills Adam's defaults. */
static int check_optimizer(clmlp_optimizer *o)
{
    if ((unsigned)o->kind >= CLMLP_OPT_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "unknown optimizer %d", (int)o->kind);
    if (!(o->lr > 0.0) || !isfinite(o->lr))
        return clmlp_set_error(CLMLP_E_INVALID, "the learning rate must be > 0, got %g", o->lr);
    if (!(o->momentum >= 0.0 && o->momentum < 1.0))
        return clmlp_set_error(CLMLP_E_INVALID, "momentum must be in [0, 1), got %g",
                               o->momentum);
    if (!(o->l2 >= 0.0) || !isfinite(o->l2))
        return clmlp_set_error(CLMLP_E_INVALID, "l2 must be >= 0, got %g", o->l2);
    if (o->nesterov && o->momentum == 0.0 && o->kind == CLMLP_OPT_SGD)
        return clmlp_set_error(CLMLP_E_INVALID, "Nesterov's method needs momentum > 0");
    if (o->kind == CLMLP_OPT_ADAM) {
        if (o->beta1 == 0.0) o->beta1 = 0.9;
        if (o->beta2 == 0.0) o->beta2 = 0.999;
        if (o->eps == 0.0) o->eps = 1e-7;
        if (!(o->beta1 > 0 && o->beta1 < 1 && o->beta2 > 0 && o->beta2 < 1 && o->eps > 0))
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "Adam needs 0 < beta1, beta2 < 1 and eps > 0");
    }
    return CLMLP_OK;
}

/* Glorot-uniform weights and zero biases from seed, on the host. */
static void init_params(const clmlp_model_t *m, uint64_t seed, float *p)
{
    clmlp_rng r;
    clmlp_rng_seed(&r, seed);
    memset(p, 0, m->n_params * sizeof *p);
    for (size_t i = 0; i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        double limit = sqrt(6.0 / (double)(l->in + l->units));
        for (size_t j = 0; j < l->in * l->units; j++)
            p[l->w_off + j] = (float)((2.0 * clmlp_rng_uniform(&r) - 1.0) * limit);
    }
}

int clmlp_model_compile(clmlp_model_t *m, clmlp_loss loss, const clmlp_optimizer *opt,
                        clmlp_backend_t *be, uint64_t seed)
{
    if (!m || !be) return clmlp_set_error(CLMLP_E_INVALID, "compile needs a model and a backend");
    if (m->n_layers == 0) return clmlp_set_error(CLMLP_E_INVALID, "the model has no layers");
    if ((unsigned)loss >= CLMLP_LOSS_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "unknown loss %d", (int)loss);
    clmlp_optimizer o = {0};
    if (opt) o = *opt;
    else o.lr = 0.01;
    CLMLP_TRY(check_optimizer(&o));
    size_t out = clmlp_model_n_outputs(m);
    if (loss == CLMLP_LOSS_SPARSE_CCE || loss == CLMLP_LOSS_CCE) {
        if (out < 2)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "%s needs at least 2 output units, the model has %zu",
                                   clmlp_loss_name(loss), out);
    }

    if (m->be) model_release_buffers(m);
    m->be = be;
    m->loss = loss;
    m->opt = o;
    m->opt_step = 0;
    /* Nothing is allocated for a model the device cannot hold. */
    const clmlp_mem_part parts[] = {
        {"parameters", m->n_params, CLMLP_BUF_F32, 1, 0},
        {"gradients", m->n_params, CLMLP_BUF_F32, 1, 0},
        {"optimizer state", m->n_params, CLMLP_BUF_F32, model_opt_state_count(m), 0},
        {"metrics", CLMLP_METRIC_COUNT, CLMLP_BUF_F32, 1, 0}};
    int rc = model_memory_guard(be, parts, sizeof parts / sizeof parts[0], "the model");
    /* Device buffers first: a model too large for the device fails at once,
     * before the host spends seconds initialising parameters it cannot use. */
    if (rc == CLMLP_OK) rc = be_buf_alloc(be, CLMLP_BUF_F32, m->n_params, &m->params);
    if (rc == CLMLP_OK) rc = be_buf_alloc(be, CLMLP_BUF_F32, m->n_params, &m->grads);
    if (rc == CLMLP_OK) rc = be_buf_alloc(be, CLMLP_BUF_F32, CLMLP_METRIC_COUNT, &m->metrics);
    if (rc == CLMLP_OK && model_opt_state_count(m) >= 1)
        rc = be_buf_alloc(be, CLMLP_BUF_F32, m->n_params, &m->opt_m);
    if (rc == CLMLP_OK && model_opt_state_count(m) >= 2)
        rc = be_buf_alloc(be, CLMLP_BUF_F32, m->n_params, &m->opt_v);
    const float *p = m->host_params;
    float *fresh = NULL;
    if (rc == CLMLP_OK && !p) {
        fresh = malloc(m->n_params * sizeof *fresh);
        if (!fresh) {
            rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory for %zu parameters",
                                 m->n_params);
        } else {
            init_params(m, seed, fresh);
            p = fresh;
        }
    }
    if (rc == CLMLP_OK) rc = be_upload(be, m->params, 0, p, m->n_params);
    if (rc == CLMLP_OK && m->opt_m) rc = be_fill(be, m->opt_m, 0, m->n_params, 0.0f);
    if (rc == CLMLP_OK && m->opt_v) rc = be_fill(be, m->opt_v, 0, m->n_params, 0.0f);
    if (rc == CLMLP_OK) rc = be_fill(be, m->grads, 0, m->n_params, 0.0f);
    if (rc == CLMLP_OK) rc = model_metrics_reset(m);
    free(fresh);
    if (rc != CLMLP_OK) {
        model_release_buffers(m);
        m->be = NULL;
    }
    return rc;
}

size_t model_workspace_parts(const clmlp_model_t *m, size_t rows, clmlp_mem_part *out)
{
    size_t total = 0, widest = m->n_inputs;
    for (size_t i = 0; i < m->n_layers; i++) {
        total += m->layers[i].units;
        if (m->layers[i].units > widest) widest = m->layers[i].units;
    }
    /* In the order model_reserve fills its buffers. */
    out[0] = (clmlp_mem_part){"activations (z and y)", total * rows, CLMLP_BUF_F32, 2, 1};
    out[1] = (clmlp_mem_part){"backprop workspace", widest * rows, CLMLP_BUF_F32, 2, 1};
    out[2] = (clmlp_mem_part){"batch inputs", m->n_inputs * rows, CLMLP_BUF_F32, 1, 1};
    out[3] = (clmlp_mem_part){"batch targets", clmlp_model_n_outputs(m) * rows, CLMLP_BUF_F32,
                              1, 1};
    out[4] = (clmlp_mem_part){"batch labels", rows, CLMLP_BUF_I32, 1, 1};
    return MODEL_WORKSPACE_PARTS;
}

int model_reserve(clmlp_model_t *m, size_t rows)
{
    if (!m->be) return clmlp_set_error(CLMLP_E_INVALID, "the model is not compiled");
    if (rows == 0) return clmlp_set_error(CLMLP_E_INVALID, "a batch needs at least one row");
    if (rows <= m->ws_rows) return CLMLP_OK;
    size_t total = 0;
    for (size_t i = 0; i < m->n_layers; i++) {
        m->layers[i].ws_off = total * rows;
        total += m->layers[i].units;
    }
    if ((double)total * (double)rows > 2147483647.0)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "a batch of %zu rows through layers %zu wide in all is too "
                               "large; use a smaller batch",
                               rows, total);
    /* The buffers, in the order of model_workspace_parts. */
    clmlp_buf **bufs[] = {&m->z, &m->y, &m->d0, &m->d1, &m->xb, &m->tb, &m->lb};
    size_t n_bufs = sizeof bufs / sizeof bufs[0];
    for (size_t i = 0; i < n_bufs; i++) {
        be_buf_free(m->be, *bufs[i]);
        *bufs[i] = NULL;
    }
    m->ws_rows = 0;
    clmlp_mem_part parts[MODEL_WORKSPACE_PARTS];
    size_t n_parts = model_workspace_parts(m, rows, parts);
    int rc = model_memory_guard(m->be, parts, n_parts, "the batch workspace");
    for (size_t p = 0, k = 0; rc == CLMLP_OK && p < n_parts; p++)
        for (size_t c = 0; rc == CLMLP_OK && c < parts[p].count && k < n_bufs; c++)
            rc = be_buf_alloc(m->be, parts[p].type, parts[p].n, bufs[k++]);
    if (rc != CLMLP_OK) {
        for (size_t i = 0; i < n_bufs; i++) {
            be_buf_free(m->be, *bufs[i]);
            *bufs[i] = NULL;
        }
        return rc;
    }
    m->ws_rows = rows;
    return CLMLP_OK;
}

/* Checks a layer index for weight access. */
static int check_layer(const clmlp_model_t *m, size_t i)
{
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "no model given");
    if (i >= m->n_layers)
        return clmlp_set_error(CLMLP_E_NOT_FOUND, "no layer %zu (the model has %zu)", i,
                               m->n_layers);
    return CLMLP_OK;
}

int clmlp_model_get_weights(const clmlp_model_t *m, size_t i, float *w, float *b)
{
    CLMLP_TRY(check_layer(m, i));
    const clmlp_layer *l = &m->layers[i];
    if (!m->be) {
        if (!m->host_params)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "the model has no weights yet: compile it or set them");
        if (w) memcpy(w, m->host_params + l->w_off, l->in * l->units * sizeof *w);
        if (b && l->use_bias) memcpy(b, m->host_params + l->b_off, l->units * sizeof *b);
        return CLMLP_OK;
    }
    if (w) CLMLP_TRY(be_download(m->be, m->params, l->w_off, w, l->in * l->units));
    if (b && l->use_bias) CLMLP_TRY(be_download(m->be, m->params, l->b_off, b, l->units));
    return CLMLP_OK;
}

int clmlp_model_set_weights(clmlp_model_t *m, size_t i, const float *w, const float *b)
{
    CLMLP_TRY(check_layer(m, i));
    const clmlp_layer *l = &m->layers[i];
    if (!m->be) {
        if (!m->host_params) {
            m->host_params = calloc(m->n_params ? m->n_params : 1, sizeof *m->host_params);
            if (!m->host_params)
                return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for %zu parameters",
                                       m->n_params);
        }
        if (w) memcpy(m->host_params + l->w_off, w, l->in * l->units * sizeof *w);
        if (b && l->use_bias) memcpy(m->host_params + l->b_off, b, l->units * sizeof *b);
        return CLMLP_OK;
    }
    if (w) CLMLP_TRY(be_upload(m->be, m->params, l->w_off, w, l->in * l->units));
    if (b && l->use_bias) CLMLP_TRY(be_upload(m->be, m->params, l->b_off, b, l->units));
    return CLMLP_OK;
}

int clmlp_model_get_params(const clmlp_model_t *m, float *out)
{
    if (!m || !out) return clmlp_set_error(CLMLP_E_INVALID, "get_params: no model or buffer");
    if (m->be) return be_download(m->be, m->params, 0, out, m->n_params);
    if (!m->host_params)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "the model has no weights yet: compile it or set them");
    memcpy(out, m->host_params, m->n_params * sizeof *out);
    return CLMLP_OK;
}

int clmlp_model_set_params(clmlp_model_t *m, const float *in)
{
    if (!m || !in) return clmlp_set_error(CLMLP_E_INVALID, "set_params: no model or buffer");
    for (size_t i = 0; i < m->n_params; i++)
        if (!isfinite(in[i]))
            return clmlp_set_error(CLMLP_E_INVALID, "parameter %zu is not finite", i);
    if (m->be) return be_upload(m->be, m->params, 0, in, m->n_params);
    if (!m->host_params) {
        m->host_params = malloc((m->n_params ? m->n_params : 1) * sizeof *m->host_params);
        if (!m->host_params)
            return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for %zu parameters",
                                   m->n_params);
    }
    memcpy(m->host_params, in, m->n_params * sizeof *in);
    return CLMLP_OK;
}
