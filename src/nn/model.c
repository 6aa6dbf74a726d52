/* Building a model: a stack of layer units (nn/layer_*.c), the packed
 * parameter layout, the layer spec parser, compiling onto a backend with
 * seeded initialisation, and weight access. */
#include "nn/model.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/class_names.h"
#include "util/error.h"
#include "util/rng.h"

/* Largest width a model's input may have. */
#define MAX_UNITS ((size_t)1 << 24)

void clmlp_le_put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
void clmlp_le_put_u64(unsigned char *p, uint64_t v)
{
    clmlp_le_put_u32(p, (uint32_t)v);
    clmlp_le_put_u32(p + 4, (uint32_t)(v >> 32));
}
uint32_t clmlp_le_get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
uint64_t clmlp_le_get_u64(const unsigned char *p)
{
    return (uint64_t)clmlp_le_get_u32(p) | (uint64_t)clmlp_le_get_u32(p + 4) << 32;
}

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
        clmlp_be_buf_free(m->be, *bufs[i]);
        *bufs[i] = NULL;
    }
    m->ws_rows = 0;
    m->idx_n = 0;
}

void clmlp_model_free(clmlp_model_t *m)
{
    if (!m) return;
    model_release_buffers(m);
    for (size_t i = 0; i < m->n_layers; i++) free(m->layers[i].config);
    free(m->layers);
    free(m->host_params);
    clmlp_class_names_free(m->class_names, m->n_class_names);
    free(m);
}

size_t clmlp_model_n_classes(const clmlp_model_t *m)
{
    size_t out = clmlp_model_n_outputs(m);
    return out == 1 ? 2 : out;
}

const char *const *clmlp_model_class_names(const clmlp_model_t *m, size_t *n)
{
    if (n) *n = m && m->class_names ? m->n_class_names : 0;
    return m ? (const char *const *)m->class_names : NULL;
}

int clmlp_model_set_class_names(clmlp_model_t *m, const char *const *names, size_t n)
{
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "set_class_names: no model");
    if (n > clmlp_model_n_classes(m))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%zu class names for a model whose %zu output%s tell%s %zu "
                               "classes apart",
                               n, clmlp_model_n_outputs(m),
                               clmlp_model_n_outputs(m) == 1 ? "" : "s",
                               clmlp_model_n_outputs(m) == 1 ? "s" : "",
                               clmlp_model_n_classes(m));
    CLMLP_TRY(clmlp_class_names_check(names, n, "the model's class names"));
    char **copy = NULL;
    CLMLP_TRY(clmlp_class_names_copy(&copy, names, n));
    clmlp_class_names_free(m->class_names, m->n_class_names);
    m->class_names = copy;
    m->n_class_names = n;
    return CLMLP_OK;
}

/* Places every tensor in the packed buffer: the decayed ones first, in
 * layer order, then the rest. */
void clmlp_model_layout(clmlp_model_t *m)
{
    size_t off = 0;
    for (int decay = 1; decay >= 0; decay--) {
        for (size_t i = 0; i < m->n_layers; i++) {
            clmlp_layer *l = &m->layers[i];
            for (size_t t = 0; t < l->n_tensors; t++) {
                if (l->tensors[t].decay != decay) continue;
                l->tensors[t].off = off;
                off += l->tensors[t].count;
            }
        }
        if (decay) m->n_weights = off;
    }
    m->n_params = off;
}

/* Parameters of layer l. */
static size_t layer_params(const clmlp_layer *l)
{
    size_t n = 0;
    for (size_t t = 0; t < l->n_tensors; t++) n += l->tensors[t].count;
    return n;
}

int clmlp_model_add(clmlp_model_t *m, const clmlp_layer_vt *vt, const clmlp_layer_kind *custom,
              const void *config, size_t config_size)
{
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "adding a layer: no model");
    if (m->be) return clmlp_set_error(CLMLP_E_INVALID, "cannot add a layer to a compiled model");
    if (config_size && !config)
        return clmlp_set_error(CLMLP_E_INVALID, "adding a layer: %zu configuration bytes at NULL",
                               config_size);
    if (m->n_layers >= CLMLP_MODEL_MAX_LAYERS)
        return clmlp_set_error(CLMLP_E_INVALID, "a model has at most %d layers",
                               CLMLP_MODEL_MAX_LAYERS);
    if (m->n_layers == m->cap_layers) {
        size_t cap = m->cap_layers ? 2 * m->cap_layers : 4;
        clmlp_layer *nl = realloc(m->layers, cap * sizeof *nl);
        if (!nl) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory adding a layer");
        m->layers = nl;
        m->cap_layers = cap;
    }
    clmlp_layer l;
    memset(&l, 0, sizeof l);
    l.vt = vt;
    l.custom = custom;
    l.in = m->n_layers ? m->layers[m->n_layers - 1].out : m->n_inputs;
    l.config_size = config_size;
    l.config = malloc(config_size ? config_size : 1);
    if (!l.config) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory adding a layer");
    if (config_size) memcpy(l.config, config, config_size);
    int rc = vt->build(&l, l.in);
    /* The parameter count must stay far below SIZE_MAX and 2^31 elements,
     * the most one OpenCL buffer index comfortably covers. */
    if (rc == CLMLP_OK &&
        (double)layer_params(&l) + (double)m->n_params + (double)l.out > 2147483647.0)
        rc = clmlp_set_error(CLMLP_E_INVALID,
                             "a %zu x %zu layer makes the model too large (over 2^31 "
                             "parameters)",
                             l.in, l.out);
    if (rc != CLMLP_OK) {
        free(l.config);
        return rc;
    }
    m->layers[m->n_layers++] = l;
    clmlp_model_layout(m);
    free(m->host_params); /* the layout changed: earlier weights no longer fit */
    m->host_params = NULL;
    /* So do class names: the output they named is no longer the last. */
    clmlp_class_names_free(m->class_names, m->n_class_names);
    m->class_names = NULL;
    m->n_class_names = 0;
    return CLMLP_OK;
}

int clmlp_model_add_dense(clmlp_model_t *m, size_t units, clmlp_act act, int use_bias)
{
    if ((unsigned)act >= CLMLP_ACT_COUNT)
        return clmlp_set_error(CLMLP_E_INVALID, "unknown activation %d", (int)act);
    unsigned char cfg[DENSE_CONFIG_SIZE];
    clmlp_dense_config_encode(cfg, units, act, use_bias);
    return clmlp_model_add(m, &clmlp_layer_dense, NULL, cfg, sizeof cfg);
}

int clmlp_model_add_dropout(clmlp_model_t *m, double rate)
{
    unsigned char cfg[DROPOUT_CONFIG_SIZE];
    clmlp_dropout_config_encode(cfg, rate);
    return clmlp_model_add(m, &clmlp_layer_dropout, NULL, cfg, sizeof cfg);
}

int clmlp_model_add_layer(clmlp_model_t *m, const char *kind, const void *config,
                          size_t config_size)
{
    const clmlp_layer_kind *custom;
    const clmlp_layer_vt *vt = clmlp_model_layer_vt(kind, &custom);
    if (!vt)
        return clmlp_set_error(CLMLP_E_NOT_FOUND,
                               "unknown layer kind '%s' (built in: dense, dropout; others must "
                               "be registered with clmlp_layer_register)",
                               kind ? kind : "(null)");
    return clmlp_model_add(m, vt, custom, config, config_size);
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

/* Every activation's name, comma-separated, into buf. */
static const char *known_activations(char *buf, size_t size)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int a = 0; a < CLMLP_ACT_COUNT && k < size; a++)
        k += (size_t)snprintf(buf + k, size - k, "%s%s", a ? ", " : "",
                              clmlp_act_name((clmlp_act)a));
    return buf;
}

/* Adds the layer one spec item describes (fields split at ':'). */
static int spec_item(clmlp_model_t *m, const char *spec, size_t item, char **fields, size_t nf)
{
    size_t units;
    char known[256];
    if (strcmp(fields[0], "dropout") == 0) {
        char *end = NULL;
        double rate = nf == 2 ? strtod(fields[1], &end) : NAN;
        if (nf != 2 || end == fields[1] || *end || !(rate >= 0.0 && rate < 1.0))
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "layer spec '%s': item %zu: dropout takes one rate in [0, 1), "
                                   "as dropout:0.2",
                                   spec, item + 1);
        return clmlp_model_add_dropout(m, rate);
    }
    if (parse_count(fields[0], strlen(fields[0]), &units) != 0) {
        if (clmlp_layer_find(fields[0])) {
            if (nf > 1)
                return clmlp_set_error(CLMLP_E_INVALID,
                                       "layer spec '%s': item %zu: layer kind '%s' takes no "
                                       "fields in a spec",
                                       spec, item + 1, fields[0]);
            return clmlp_model_add_layer(m, fields[0], NULL, 0);
        }
        return clmlp_set_error(CLMLP_E_INVALID,
                               "layer spec '%s': item %zu ('%s') is neither a number of units "
                               "nor a layer kind (known: UNITS[:ACTIVATION][:nobias], "
                               "dropout:RATE%s)",
                               spec, item + 1, fields[0], clmlp_model_registered_kinds(known, sizeof known));
    }
    if (units == 0)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "layer spec '%s': item %zu needs at least 1 unit", spec, item + 1);
    clmlp_act act = CLMLP_ACT_LINEAR;
    int use_bias = 1, have_act = 0;
    for (size_t f = 1; f < nf; f++) {
        if (strcmp(fields[f], "nobias") == 0 && use_bias) {
            use_bias = 0;
        } else if (!have_act && clmlp_act_parse(fields[f], &act) == CLMLP_OK) {
            have_act = 1;
        } else if (clmlp_act_parse(fields[f], &act) == CLMLP_OK || strcmp(fields[f], "nobias") == 0) {
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "layer spec '%s': item %zu gives '%s' twice or more than one "
                                   "activation",
                                   spec, item + 1, fields[f]);
        } else {
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "layer spec '%s': unknown activation '%s' in item %zu (known: "
                                   "%s; or nobias)",
                                   spec, fields[f], item + 1, known_activations(known, sizeof known));
        }
    }
    return clmlp_model_add_dense(m, units, act, use_bias);
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
        char *fields[8] = {0};
        size_t nf = 0;
        for (char *tok = buf;;) {
            if (nf == sizeof fields / sizeof fields[0]) {
                nf++; /* too many */
                break;
            }
            fields[nf++] = tok;
            char *c = strchr(tok, ':');
            if (!c) break;
            *c = '\0';
            tok = c + 1;
        }
        if (nf > 3) {
            rc = clmlp_set_error(CLMLP_E_INVALID,
                                 "layer spec '%s': item %zu has too many ':' fields (at most "
                                 "UNITS:ACTIVATION:nobias)",
                                 spec, item + 1);
            break;
        }
        if (item == 0) {
            size_t units;
            if (nf > 1 || parse_count(fields[0], strlen(fields[0]), &units) != 0 || units == 0) {
                rc = clmlp_set_error(CLMLP_E_INVALID,
                                     "layer spec '%s': the first item is the input width, a "
                                     "whole number >= 1, got '%s'",
                                     spec, fields[0]);
                break;
            }
            rc = clmlp_model_init(&m, units);
        } else {
            rc = spec_item(m, spec, item, fields, nf);
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
    return m && m->n_layers ? m->layers[m->n_layers - 1].out : 0;
}
clmlp_loss clmlp_model_loss(const clmlp_model_t *m) { return m->loss; }
clmlp_optimizer clmlp_model_optimizer(const clmlp_model_t *m) { return m->opt; }
size_t clmlp_model_epochs_done(const clmlp_model_t *m) { return m ? m->epochs_done : 0; }

const char *clmlp_model_layer_kind_name(const clmlp_layer *l)
{
    return l->custom ? l->custom->name : l->vt->kind;
}

int clmlp_model_layer(const clmlp_model_t *m, size_t i, size_t *units, clmlp_act *act,
                      int *use_bias)
{
    if (!m || i >= m->n_layers)
        return clmlp_set_error(CLMLP_E_NOT_FOUND, "no layer %zu (the model has %zu)", i,
                               m ? m->n_layers : 0);
    const clmlp_layer *l = &m->layers[i];
    int dense = l->vt == &clmlp_layer_dense;
    if (units) *units = l->out;
    if (act) *act = dense ? l->act : CLMLP_ACT_LINEAR;
    if (use_bias) *use_bias = dense ? l->use_bias : 0;
    return CLMLP_OK;
}

const char *clmlp_model_layer_kind(const clmlp_model_t *m, size_t i)
{
    return m && i < m->n_layers ? clmlp_model_layer_kind_name(&m->layers[i]) : NULL;
}

char *clmlp_model_param_name(const clmlp_model_t *m, size_t index, char *buf, size_t size)
{
    if (!buf || size == 0) return buf;
    snprintf(buf, size, "parameter %zu", index);
    for (size_t i = 0; m && i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        for (size_t t = 0; t < l->n_tensors; t++) {
            const clmlp_tensor *tn = &l->tensors[t];
            if (index >= tn->off && index - tn->off < tn->count) {
                snprintf(buf, size, "layer %zu (%s) parameter %s[%zu]", i + 1,
                         clmlp_model_layer_kind_name(l), tn->name, index - tn->off);
                return buf;
            }
        }
    }
    return buf;
}

void clmlp_model_summary(const clmlp_model_t *m, FILE *f)
{
    if (!m || !f) return;
    /* The name column is as wide as its widest entry (a Dense layer
     * without bias names itself at length), so the columns line up. */
    char (*names)[128] = calloc(m->n_layers + 1, sizeof *names);
    if (!names) return;
    int w = (int)strlen("Layer (type)");
    snprintf(names[0], sizeof names[0], "input (InputLayer)");
    for (size_t i = 0; i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        char desc[64];
        l->vt->describe(l, desc, sizeof desc);
        snprintf(names[i + 1], sizeof names[i + 1], "%s_%zu (%s)",
                 clmlp_model_layer_kind_name(l), i + 1, desc);
    }
    for (size_t i = 0; i <= m->n_layers; i++)
        if ((int)strlen(names[i]) > w) w = (int)strlen(names[i]);
    int width = 1 + w + 1 + 16 + 1 + 10;
    if (width < 65) width = 65, w = 65 - 29;
    char rule[200], rule2[200];
    memset(rule, '_', (size_t)width);
    rule[width] = '\0';
    memset(rule2, '=', (size_t)width);
    rule2[width] = '\0';
    fprintf(f, "Model: \"sequential\"\n%s\n", rule);
    fprintf(f, " %-*s %-16s %10s\n", w, "Layer (type)", "Output Shape", "Param #");
    fprintf(f, "%s\n", rule2);
    char shape[32];
    snprintf(shape, sizeof shape, "(None, %zu)", m->n_inputs);
    fprintf(f, " %-*s %-16s %10s\n", w, names[0], shape, "0");
    for (size_t i = 0; i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        snprintf(shape, sizeof shape, "(None, %zu)", l->out);
        fprintf(f, " %-*s %-16s %10zu\n", w, names[i + 1], shape, layer_params(l));
    }
    free(names);
    fprintf(f, "%s\n", rule2);
    fprintf(f, "Total params: %zu (%.2f KB)\n", m->n_params, m->n_params * 4.0 / 1024.0);
    fprintf(f, "Trainable params: %zu\nNon-trainable params: 0\n", m->n_params);
    if (m->class_names) {
        char list[1024];
        fprintf(f, "Classes: %s\n",
                clmlp_class_names_list((const char *const *)m->class_names, m->n_class_names,
                                       list, sizeof list));
    }
    fprintf(f, "%s\n", rule);
}

int clmlp_model_loss_fused(const clmlp_model_t *m)
{
    const clmlp_layer *last = &m->layers[m->n_layers - 1];
    if (last->vt != &clmlp_layer_dense) return 0;
    clmlp_act a = last->act;
    return ((m->loss == CLMLP_LOSS_CCE || m->loss == CLMLP_LOSS_SPARSE_CCE) &&
            a == CLMLP_ACT_SOFTMAX) ||
           (m->loss == CLMLP_LOSS_BCE && a == CLMLP_ACT_SIGMOID);
}

int clmlp_model_check_trainable(const clmlp_model_t *m)
{
    if (m->opt.kind == CLMLP_OPT_PERCEPTRON) {
        const clmlp_layer *l = &m->layers[0];
        if (m->n_layers != 1 || l->vt != &clmlp_layer_dense || l->act != CLMLP_ACT_STEP)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "the perceptron rule trains one Dense layer of step units "
                                   "(e.g. --layers 2,1:step); this model is not one");
        if (m->loss != CLMLP_LOSS_MSE)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "the perceptron rule reports mean_squared_error (the error "
                                   "rate), not %s",
                                   clmlp_loss_name(m->loss));
        return CLMLP_OK;
    }
    for (size_t i = 0; i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        const char *why = l->vt->untrainable ? l->vt->untrainable(l) : NULL;
        if (why)
            return clmlp_set_error(CLMLP_E_INVALID, "cannot train layer %zu (%s): %s", i + 1,
                                   clmlp_model_layer_kind_name(l), why);
    }
    return CLMLP_OK;
}

size_t clmlp_model_opt_state_count(const clmlp_model_t *m)
{
    if (m->opt.kind == CLMLP_OPT_ADAM) return 2;
    return m->opt.kind == CLMLP_OPT_SGD && m->opt.momentum != 0.0 ? 1 : 0;
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
    if (o->kind == CLMLP_OPT_PERCEPTRON && (o->momentum != 0.0 || o->nesterov || o->l2 != 0.0))
        return clmlp_set_error(CLMLP_E_INVALID,
                               "the perceptron rule takes no momentum, Nesterov or l2");
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

/* Every layer's initial parameters from seed, on the host (Glorot-uniform
 * Dense weights and zero biases; each kind draws its own in layer order). */
static void init_params(const clmlp_model_t *m, uint64_t seed, float *p)
{
    clmlp_rng r;
    clmlp_rng_seed(&r, seed);
    memset(p, 0, m->n_params * sizeof *p);
    for (size_t i = 0; i < m->n_layers; i++) m->layers[i].vt->init(&m->layers[i], p, &r);
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
    m->seed = seed;
    m->train_steps = 0;
    m->shuffle_set = 0; /* new weights: the next fit seeds the shuffle afresh */
    /* Nothing is allocated for a model the device cannot hold. */
    const clmlp_mem_part parts[] = {
        {"parameters", m->n_params, CLMLP_BUF_F32, 1, 0},
        {"gradients", m->n_params, CLMLP_BUF_F32, 1, 0},
        {"optimizer state", m->n_params, CLMLP_BUF_F32, clmlp_model_opt_state_count(m), 0},
        {"metrics", CLMLP_METRIC_COUNT, CLMLP_BUF_F32, 1, 0}};
    int rc = clmlp_model_memory_guard(be, parts, sizeof parts / sizeof parts[0], "the model");
    /* Device buffers first: a model too large for the device fails at once,
     * before the host spends seconds initialising parameters it cannot use. */
    if (rc == CLMLP_OK) rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, m->n_params, &m->params);
    if (rc == CLMLP_OK) rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, m->n_params, &m->grads);
    if (rc == CLMLP_OK) rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, CLMLP_METRIC_COUNT, &m->metrics);
    if (rc == CLMLP_OK && clmlp_model_opt_state_count(m) >= 1)
        rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, m->n_params, &m->opt_m);
    if (rc == CLMLP_OK && clmlp_model_opt_state_count(m) >= 2)
        rc = clmlp_be_buf_alloc(be, CLMLP_BUF_F32, m->n_params, &m->opt_v);
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
    if (rc == CLMLP_OK) rc = clmlp_be_upload(be, m->params, 0, p, m->n_params);
    if (rc == CLMLP_OK && m->opt_m) rc = clmlp_be_fill(be, m->opt_m, 0, m->n_params, 0.0f);
    if (rc == CLMLP_OK && m->opt_v) rc = clmlp_be_fill(be, m->opt_v, 0, m->n_params, 0.0f);
    if (rc == CLMLP_OK) rc = clmlp_be_fill(be, m->grads, 0, m->n_params, 0.0f);
    if (rc == CLMLP_OK) rc = clmlp_model_metrics_reset(m);
    free(fresh);
    if (rc != CLMLP_OK) {
        model_release_buffers(m);
        m->be = NULL;
    }
    return rc;
}

/* Values per row of the y (outputs) and z (scratch) blocks, and the widest
 * gradient a layer passes back. */
static void workspace_widths(const clmlp_model_t *m, size_t *ys, size_t *zs, size_t *widest)
{
    *ys = *zs = 0;
    *widest = m->n_inputs;
    for (size_t i = 0; i < m->n_layers; i++) {
        *ys += m->layers[i].out;
        *zs += m->layers[i].scratch;
        if (m->layers[i].out > *widest) *widest = m->layers[i].out;
    }
}

size_t clmlp_model_workspace_parts(const clmlp_model_t *m, size_t rows, clmlp_mem_part *out)
{
    size_t ys, zs, widest;
    workspace_widths(m, &ys, &zs, &widest);
    /* In the order clmlp_model_reserve fills its buffers. */
    out[0] = (clmlp_mem_part){"layer scratch (z)", zs ? zs * rows : 1, CLMLP_BUF_F32, 1, 1};
    out[1] = (clmlp_mem_part){"layer outputs (y)", ys * rows, CLMLP_BUF_F32, 1, 1};
    out[2] = (clmlp_mem_part){"backprop workspace", widest * rows, CLMLP_BUF_F32, 2, 1};
    out[3] = (clmlp_mem_part){"batch inputs", m->n_inputs * rows, CLMLP_BUF_F32, 1, 1};
    out[4] = (clmlp_mem_part){"batch targets", clmlp_model_n_outputs(m) * rows, CLMLP_BUF_F32,
                              1, 1};
    out[5] = (clmlp_mem_part){"batch labels", rows, CLMLP_BUF_I32, 1, 1};
    return MODEL_WORKSPACE_PARTS;
}

int clmlp_model_reserve(clmlp_model_t *m, size_t rows)
{
    if (!m->be) return clmlp_set_error(CLMLP_E_INVALID, "the model is not compiled");
    if (rows == 0) return clmlp_set_error(CLMLP_E_INVALID, "a batch needs at least one row");
    if (rows <= m->ws_rows) return CLMLP_OK;
    size_t ys, zs, widest;
    workspace_widths(m, &ys, &zs, &widest);
    if ((double)(ys > zs ? ys : zs) * (double)rows > 2147483647.0)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "a batch of %zu rows through layers %zu wide in all is too "
                               "large; use a smaller batch",
                               rows, ys);
    for (size_t i = 0, yo = 0, zo = 0; i < m->n_layers; i++) {
        m->layers[i].ws_off = yo * rows;
        m->layers[i].sc_off = zo * rows;
        yo += m->layers[i].out;
        zo += m->layers[i].scratch;
    }
    /* The buffers, in the order of clmlp_model_workspace_parts. */
    clmlp_buf **bufs[] = {&m->z, &m->y, &m->d0, &m->d1, &m->xb, &m->tb, &m->lb};
    size_t n_bufs = sizeof bufs / sizeof bufs[0];
    for (size_t i = 0; i < n_bufs; i++) {
        clmlp_be_buf_free(m->be, *bufs[i]);
        *bufs[i] = NULL;
    }
    m->ws_rows = 0;
    clmlp_mem_part parts[MODEL_WORKSPACE_PARTS];
    size_t n_parts = clmlp_model_workspace_parts(m, rows, parts);
    int rc = clmlp_model_memory_guard(m->be, parts, n_parts, "the batch workspace");
    for (size_t p = 0, k = 0; rc == CLMLP_OK && p < n_parts; p++)
        for (size_t c = 0; rc == CLMLP_OK && c < parts[p].count && k < n_bufs; c++)
            rc = clmlp_be_buf_alloc(m->be, parts[p].type, parts[p].n, bufs[k++]);
    if (rc != CLMLP_OK) {
        for (size_t i = 0; i < n_bufs; i++) {
            clmlp_be_buf_free(m->be, *bufs[i]);
            *bufs[i] = NULL;
        }
        return rc;
    }
    m->ws_rows = rows;
    return CLMLP_OK;
}

/* Checks a layer index for weight access: a Dense layer. */
static int check_layer(const clmlp_model_t *m, size_t i)
{
    if (!m) return clmlp_set_error(CLMLP_E_INVALID, "no model given");
    if (i >= m->n_layers)
        return clmlp_set_error(CLMLP_E_NOT_FOUND, "no layer %zu (the model has %zu)", i,
                               m->n_layers);
    if (m->layers[i].vt != &clmlp_layer_dense)
        return clmlp_set_error(CLMLP_E_INVALID, "layer %zu is a %s layer, not a dense one", i,
                               clmlp_model_layer_kind_name(&m->layers[i]));
    return CLMLP_OK;
}

/* Copies Dense layer i's kernel and bias between w, b and the packed
 * parameters (host copy or device), in the direction `set` says. */
static int move_weights(clmlp_model_t *m, size_t i, float *w, float *b, int set)
{
    const clmlp_layer *l = &m->layers[i];
    const clmlp_tensor *tw = &l->tensors[0], *tb = l->use_bias ? &l->tensors[1] : NULL;
    if (!m->be) {
        if (!m->host_params && !set)
            return clmlp_set_error(CLMLP_E_INVALID,
                                   "the model has no weights yet: compile it or set them");
        if (!m->host_params) {
            m->host_params = calloc(m->n_params ? m->n_params : 1, sizeof *m->host_params);
            if (!m->host_params)
                return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for %zu parameters",
                                       m->n_params);
        }
        float *hw = m->host_params + tw->off, *hb = tb ? m->host_params + tb->off : NULL;
        if (w) memcpy(set ? hw : w, set ? w : hw, tw->count * sizeof *w);
        if (b && tb) memcpy(set ? hb : b, set ? b : hb, tb->count * sizeof *b);
        return CLMLP_OK;
    }
    if (set) {
        if (w) CLMLP_TRY(clmlp_be_upload(m->be, m->params, tw->off, w, tw->count));
        if (b && tb) CLMLP_TRY(clmlp_be_upload(m->be, m->params, tb->off, b, tb->count));
    } else {
        if (w) CLMLP_TRY(clmlp_be_download(m->be, m->params, tw->off, w, tw->count));
        if (b && tb) CLMLP_TRY(clmlp_be_download(m->be, m->params, tb->off, b, tb->count));
    }
    return CLMLP_OK;
}

int clmlp_model_get_weights(const clmlp_model_t *m, size_t i, float *w, float *b)
{
    CLMLP_TRY(check_layer(m, i));
    /* Reading changes nothing; move_weights only writes when set. */
    return move_weights((clmlp_model_t *)m, i, w, b, 0);
}

int clmlp_model_set_weights(clmlp_model_t *m, size_t i, const float *w, const float *b)
{
    CLMLP_TRY(check_layer(m, i));
    return move_weights(m, i, (float *)w, (float *)b, 1);
}

int clmlp_model_get_params(const clmlp_model_t *m, float *out)
{
    if (!m || !out) return clmlp_set_error(CLMLP_E_INVALID, "get_params: no model or buffer");
    if (m->be) return clmlp_be_download(m->be, m->params, 0, out, m->n_params);
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
        if (!isfinite(in[i])) {
            char name[160];
            return clmlp_set_error(CLMLP_E_INVALID, "%s is not finite (%g)",
                                   clmlp_model_param_name(m, i, name, sizeof name),
                                   (double)in[i]);
        }
    if (m->be) return clmlp_be_upload(m->be, m->params, 0, in, m->n_params);
    if (!m->host_params) {
        m->host_params = malloc((m->n_params ? m->n_params : 1) * sizeof *m->host_params);
        if (!m->host_params)
            return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for %zu parameters",
                                   m->n_params);
    }
    memcpy(m->host_params, in, m->n_params * sizeof *in);
    return CLMLP_OK;
}
