/* Model files: a versioned little-endian binary format with a CRC32 (zlib)
 * over everything before it, written atomically.  Layout (version 2):
 *
 *   8  magic "CLMLPMF1"          4  version (2)        4  flags (0)
 *   8  n_inputs                  4  n_layers
 *   n_layers x { 4 kind length, the kind's name ("dense", "dropout", a
 *                registered kind's name), 4 config length, the layer's
 *                configuration bytes, 8 its parameter count }
 *   4  loss                      4  optimizer kind     4  nesterov
 *   6 x 8  lr, momentum, l2, beta1, beta2, eps (IEEE double)
 *   8  epochs done               8  optimizer step (Adam's t)
 *   8  seed                      8  training steps (dropout masks)
 *   8  shuffle seed              8  shuffled epochs so far (the next fit
 *                                   replays them: the row order continues)
 *   8  1 when the two are set, 0 when the next fit takes its own seed
 *   8  n_params                  n_params x 4  parameters (IEEE float)
 *   4  n_state (0..2)            n_state x n_params x 4  optimizer state
 *   (version 3, 4) 4  n_names, then n_names x { 4 length, the class
 *      name's bytes (1 to 256, UTF-8 as read, no control characters) }
 *   (version 4) 4  task (0 classification, 1 regression)
 *      4  n_target_names (0 or n_outputs), names as above
 *      4  input scaling (0 or 1), then n_inputs x { 8 mean, 8 scale }
 *      4  target scaling (0 or 1), then n_outputs x { 8 mean, 8 scale }
 *   (version 5) 4  monitor (a clmlp_monitor), 8  its best value (finite),
 *      8  the epoch it was reached (1 .. epochs)
 *   4  CRC32 of all bytes before it
 *
 * Version 3 is version 2 with the class names (at least one); version 4 is
 * version 3 (names maybe none) with the task, target names, input and
 * target scaling; version 5 is version 4 with the best value of the metric
 * training monitors (save_best).  A model is written as the oldest version
 * that holds it (a
 * classifier without names as version 2), so older readers still take it.
 *
 * Version 1 (still read) had Dense layers only, each as { 8 units,
 * 4 activation, 4 use_bias } (Dense's configuration bytes today), and no
 * seed, step count or shuffle state.
 *
 * Every parameter and optimizer state value is finite: save refuses
 * others, and load reports them naming the file. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "data/class_names.h"
#include "nn/model.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/grow.h"
#include "util/le.h"

#define MODEL_MAGIC "CLMLPMF1"
#define MODEL_VERSION 5u
#define MAX_KIND_NAME 63u
#define MAX_CONFIG ((uint32_t)CLMLP_LAYER_MAX_CONFIG)
#define MAX_LAYERS ((uint32_t)CLMLP_MODEL_MAX_LAYERS)
/* The largest model file read (as before: 4 GiB). */
#define MAX_FILE ((size_t)1 << 32)

/* A growable byte buffer for writing. */
typedef struct {
    unsigned char *p;
    size_t len, cap;
    int oom;
} wbuf;

static void w_bytes(wbuf *w, const void *src, size_t n)
{
    if (w->oom) return;
    if (CLMLP_GROW(w->p, w->cap, w->len + n, 1024) != 0) {
        w->oom = 1;
        return;
    }
    memcpy(w->p + w->len, src, n);
    w->len += n;
}

static void w_u32(wbuf *w, uint32_t v)
{
    unsigned char b[4];
    clmlp_le_put_u32(b, v);
    w_bytes(w, b, 4);
}

static void w_u64(wbuf *w, uint64_t v)
{
    w_u32(w, (uint32_t)v);
    w_u32(w, (uint32_t)(v >> 32));
}

static void w_f64(wbuf *w, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    w_u64(w, v);
}

static void w_f32s(wbuf *w, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, &x[i], 4);
        w_u32(w, v);
    }
}

/* A count, then each name as { 4 length, its bytes }. */
static void w_names(wbuf *w, char *const *names, size_t n)
{
    w_u32(w, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        w_u32(w, (uint32_t)strlen(names[i]));
        w_bytes(w, names[i], strlen(names[i]));
    }
}

/* Writes a scaling as version 4 keeps it: a flag, then a mean and a scale
 * for each of the n values when there is one. */
static void w_scaling(wbuf *w, const double *mean, const double *scale, size_t n)
{
    w_u32(w, mean != NULL);
    for (size_t j = 0; mean && j < n; j++) {
        w_f64(w, mean[j]);
        w_f64(w, scale[j]);
    }
}

/* A bounds-checked cursor for reading. */
typedef struct {
    const unsigned char *p;
    size_t len, pos;
    int short_read;
} rbuf;

static int r_need(rbuf *r, size_t n)
{
    if (r->short_read || r->len - r->pos < n) {
        r->short_read = 1;
        return 0;
    }
    return 1;
}

static uint32_t r_u32(rbuf *r)
{
    if (!r_need(r, 4)) return 0;
    uint32_t v = clmlp_le_get_u32(r->p + r->pos);
    r->pos += 4;
    return v;
}

static uint64_t r_u64(rbuf *r)
{
    uint64_t lo = r_u32(r);
    return lo | (uint64_t)r_u32(r) << 32;
}

static double r_f64(rbuf *r)
{
    uint64_t v = r_u64(r);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

static void r_f32s(rbuf *r, float *x, size_t n)
{
    if (!r_need(r, n * 4)) return;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = r_u32(r);
        memcpy(&x[i], &v, 4);
    }
}

int clmlp_model_save(const clmlp_model_t *m, const char *path)
{
    if (!m || !m->be) return clmlp_set_error(CLMLP_E_INVALID, "save: the model is not compiled");
    /* The whole state, on the host; reading it changes nothing. */
    clmlp_model_t *mm = (clmlp_model_t *)m;
    clmlp_snapshot st;
    int rc = clmlp_snapshot_init(mm, CLMLP_STATE_ALL, CLMLP_SNAPSHOT_HOST, &st);
    if (rc == CLMLP_E_NOMEM) rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory saving %s", path);
    if (rc == CLMLP_OK) rc = clmlp_snapshot_take(mm, &st);
    if (rc != CLMLP_OK) {
        clmlp_snapshot_free(mm, &st);
        return rc;
    }
    size_t n = st.n, n_state = st.arrays - 1;
    const float *vals = st.host;
    /* A file that cannot be loaded must not replace one that can. */
    for (size_t i = 0; i < n * (1 + n_state); i++)
        if (!isfinite(vals[i])) {
            char name[160];
            clmlp_model_param_name(m, i % (n ? n : 1), name, sizeof name);
            clmlp_snapshot_free(mm, &st);
            return clmlp_set_error(CLMLP_E_NUMERIC,
                                   "not saving %s: %s%s is not finite (training diverged?); "
                                   "the file was left as it was",
                                   path, i < n ? "" : "the optimizer state of ", name);
        }
    wbuf w = {0};
    w_bytes(&w, MODEL_MAGIC, 8);
    /* The oldest version that holds the model, so older readers take it. */
    int v5 = st.c.best_set;
    int v4 =
        v5 || m->task != CLMLP_TASK_CLASSIFICATION || m->target_names || m->in_mean || m->out_mean;
    w_u32(&w, v5 ? 5u : v4 ? 4u : m->class_names ? 3u : 2u);
    w_u32(&w, 0);
    w_u64(&w, m->n_inputs);
    w_u32(&w, (uint32_t)m->n_layers);
    for (size_t i = 0; i < m->n_layers; i++) {
        const clmlp_layer *l = &m->layers[i];
        const char *kind = clmlp_layer_name(l);
        size_t np = clmlp_layer_params(l);
        w_u32(&w, (uint32_t)strlen(kind));
        w_bytes(&w, kind, strlen(kind));
        w_u32(&w, (uint32_t)l->config_size);
        w_bytes(&w, l->config, l->config_size);
        w_u64(&w, np);
    }
    w_u32(&w, (uint32_t)m->loss);
    w_u32(&w, (uint32_t)m->opt.kind);
    w_u32(&w, (uint32_t)(m->opt.nesterov != 0));
    w_f64(&w, m->opt.lr);
    w_f64(&w, m->opt.momentum);
    w_f64(&w, m->opt.l2);
    w_f64(&w, m->opt.beta1);
    w_f64(&w, m->opt.beta2);
    w_f64(&w, m->opt.eps);
    const clmlp_model_counters c_kept = st.c, *c = &c_kept;
    w_u64(&w, c->epochs_done);
    w_u64(&w, c->opt_step);
    w_u64(&w, c->seed);
    w_u64(&w, c->train_steps);
    w_u64(&w, c->shuffle_set ? c->shuffle_seed : 0);
    w_u64(&w, c->shuffle_set ? c->shuffle_epochs : 0);
    w_u64(&w, c->shuffle_set != 0);
    w_u64(&w, n);
    w_f32s(&w, vals, n);
    w_u32(&w, (uint32_t)n_state);
    w_f32s(&w, vals + n, n * n_state);
    clmlp_snapshot_free(mm, &st);
    if (m->class_names || v4) w_names(&w, m->class_names, m->n_class_names);
    if (v4) {
        w_u32(&w, (uint32_t)m->task);
        w_names(&w, m->target_names, m->n_target_names);
        w_scaling(&w, m->in_mean, m->in_scale, m->n_inputs);
        w_scaling(&w, m->out_mean, m->out_scale, clmlp_model_n_outputs(m));
    }
    if (v5) {
        w_u32(&w, c->best_monitor);
        w_f64(&w, c->best_value);
        w_u64(&w, c->best_epoch);
    }
    if (!w.oom) w_u32(&w, (uint32_t)crc32(0L, w.p, (uInt)w.len));
    if (w.oom) {
        free(w.p);
        return clmlp_set_error(CLMLP_E_NOMEM, "out of memory saving %s", path);
    }
    clmlp_atomic_file af;
    rc = clmlp_atomic_open(&af, path);
    if (rc == CLMLP_OK) {
        fwrite(w.p, 1, w.len, af.f);
        rc = clmlp_atomic_commit(&af);
    }
    free(w.p);
    return rc;
}

/* Reads the whole file at path into memory (at most 4 GiB). */
static int slurp(const char *path, unsigned char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return clmlp_set_error(CLMLP_E_IO, "cannot open model file %s: %s", path, strerror(errno));
    unsigned char *p = NULL;
    size_t n = 0, cap = 0;
    int rc = CLMLP_OK;
    for (;;) {
        if (n == cap && n >= MAX_FILE) {
            rc = clmlp_set_error(CLMLP_E_FORMAT, "model file %s is too large", path);
            break;
        }
        if (clmlp_grow(&p, &cap, n + 1, 1, 65536, MAX_FILE) != 0) {
            rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory reading %s", path);
            break;
        }
        size_t got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (rc == CLMLP_OK && ferror(f)) rc = clmlp_set_error(CLMLP_E_IO, "error reading %s", path);
    fclose(f);
    if (rc != CLMLP_OK) {
        free(p);
        return rc;
    }
    *out = p;
    *len = n;
    return CLMLP_OK;
}

/* Reads version 1's layer i (a Dense layer: 8 units, 4 activation, 4
 * use_bias) into m. */
static int read_layer_v1(rbuf *r, const char *path, uint32_t i, clmlp_model_t *m)
{
    if (!r_need(r, 16))
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: layer %u is truncated", path, i + 1);
    uint64_t units = r_u64(r);
    uint32_t act = r_u32(r), bias = r_u32(r);
    int rc = bias > 1 ? clmlp_set_error(CLMLP_E_INVALID, "a dense layer's bias flag is %u", bias)
             : units > SIZE_MAX
                 ? clmlp_set_error(CLMLP_E_INVALID, "a Dense layer of %llu units is too wide",
                                   (unsigned long long)units)
                 : clmlp_model_add_dense(m, (size_t)units, (clmlp_act)act, (int)bias);
    if (rc < 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", clmlp_last_error());
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: layer %u is malformed: %s", path, i + 1, why);
    }
    return CLMLP_OK;
}

/* Reads version 2's layer i (kind, configuration, parameter count) into m. */
static int read_layer_v2(rbuf *r, const char *path, uint32_t i, clmlp_model_t *m)
{
    char kind[MAX_KIND_NAME + 1];
    uint32_t klen = r_u32(r);
    if (r->short_read || klen == 0 || klen > MAX_KIND_NAME || !r_need(r, klen) ||
        !clmlp_layer_kind_name_valid((const char *)r->p + r->pos, klen))
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: layer %u's kind is malformed", path, i + 1);
    memcpy(kind, r->p + r->pos, klen);
    kind[klen] = '\0';
    r->pos += klen;
    uint32_t clen = r_u32(r);
    if (r->short_read || clen > MAX_CONFIG || !r_need(r, clen))
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: layer %u (%s): its configuration is malformed",
                               path, i + 1, kind);
    const unsigned char *cfg = r->p + r->pos;
    r->pos += clen;
    uint64_t np = r_u64(r);
    if (r->short_read)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: layer %u (%s) is truncated", path, i + 1, kind);
    const clmlp_layer_kind *custom;
    const clmlp_layer_vt *vt = clmlp_layer_vt_find(kind, &custom);
    if (!vt)
        return clmlp_set_error(CLMLP_E_NOT_FOUND,
                               "%s: layer %u is of kind '%s', which this program does not know: "
                               "load the plugin that provides it (clmlp: --plugin FILE.so; C: "
                               "clmlp_plugin_load) or register it with clmlp_layer_register "
                               "before the model is loaded",
                               path, i + 1, kind);
    if (clmlp_model_add(m, vt, custom, cfg, clen) < 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", clmlp_last_error());
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: layer %u (%s): %s", path, i + 1, kind, why);
    }
    uint64_t need = clmlp_layer_params(&m->layers[m->n_layers - 1]);
    if (np != need)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: layer %u (%s) holds %llu parameters but its configuration "
                               "needs %llu",
                               path, i + 1, kind, (unsigned long long)np, (unsigned long long)need);
    return CLMLP_OK;
}

/* Reads a count and that many names (each 1 to CLMLP_CLASS_NAME_MAX bytes,
 * no control characters) into a new array *out of *n, the caller's
 * (clmlp_class_names_free).  what ("class", "target") is for messages; the
 * count is at most max, and 0 only when zero_ok. */
static int read_names(rbuf *r, const char *path, const char *what, uint32_t max, int zero_ok,
                      char ***out, uint32_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    uint32_t n = r_u32(r);
    if (r->short_read || (n == 0 && !zero_ok) || n > max)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: the %s name count is malformed (%u, for a model that "
                               "takes at most %u)",
                               path, what, n, max);
    if (n == 0) return CLMLP_OK;
    char **names = calloc(n, sizeof *names);
    if (!names) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory reading %s", path);
    int rc = CLMLP_OK;
    for (uint32_t i = 0; rc == CLMLP_OK && i < n; i++) {
        uint32_t len = r_u32(r);
        const char *why = NULL;
        if (r->short_read || len > CLMLP_CLASS_NAME_MAX || !r_need(r, len) ||
            (why = clmlp_class_name_problem((const char *)r->p + r->pos, len)) != NULL) {
            rc = clmlp_set_error(CLMLP_E_FORMAT, "%s: %s name %u is malformed%s%s", path, what, i,
                                 why ? ": it " : "", why ? why : "");
            break;
        }
        names[i] = malloc((size_t)len + 1);
        if (!names[i]) {
            rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory reading %s", path);
            break;
        }
        memcpy(names[i], r->p + r->pos, len);
        names[i][len] = '\0';
        r->pos += len;
    }
    if (rc != CLMLP_OK) {
        clmlp_class_names_free(names, n);
        return rc;
    }
    *out = names;
    *n_out = n;
    return CLMLP_OK;
}

/* Re-reports a setter's refusal as the file's fault. */
static int file_fault(int rc, const char *path)
{
    if (rc >= 0) return rc;
    char why[512];
    snprintf(why, sizeof why, "%s", clmlp_last_error());
    return clmlp_set_error(CLMLP_E_FORMAT, "%s: %s", path, why);
}

/* Reads the class names of version 3 (at least one) or 4 (maybe none). */
static int read_class_names(rbuf *r, const char *path, uint32_t version, clmlp_model_t *m)
{
    char **names = NULL;
    uint32_t n = 0;
    uint32_t max = (uint32_t)clmlp_model_n_classes(m);
    CLMLP_TRY(read_names(r, path, "class", max, version >= 4, &names, &n));
    /* Files written before a model needed one name per class (or none) may
     * hold fewer: the classes after them are named by their numbers, as
     * clmlp showed them then. */
    if (n > 0 && n < max) {
        char **all = realloc(names, max * sizeof *all);
        if (!all) {
            clmlp_class_names_free(names, n);
            return clmlp_set_error(CLMLP_E_NOMEM, "out of memory reading %s", path);
        }
        names = all;
        for (; n < max; n++) {
            char number[16];
            snprintf(number, sizeof number, "%u", n);
            if (!(names[n] = strdup(number))) {
                clmlp_class_names_free(names, n);
                return clmlp_set_error(CLMLP_E_NOMEM, "out of memory reading %s", path);
            }
        }
    }
    int rc = n ? file_fault(clmlp_model_set_class_names(m, (const char *const *)names, n), path)
               : CLMLP_OK;
    clmlp_class_names_free(names, n);
    return rc;
}

/* Reads version 4's input scaling (targets 0) or target scaling (1): a
 * flag, then a mean and a scale per input or output. */
static int read_scaling(rbuf *r, const char *path, clmlp_model_t *m, int targets)
{
    const char *what = targets ? "target" : "input";
    size_t n = targets ? clmlp_model_n_outputs(m) : m->n_inputs;
    uint32_t scaling = r_u32(r);
    if (r->short_read || scaling > 1)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: the %s scaling field is malformed", path, what);
    if (!scaling) return CLMLP_OK;
    if (!r_need(r, n * 16))
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: the %s scaling is truncated", path, what);
    double *v = malloc(n * 2 * sizeof *v);
    if (!v) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory reading %s", path);
    for (size_t j = 0; j < n; j++) {
        v[j] = r_f64(r);
        v[n + j] = r_f64(r);
    }
    int rc = targets ? clmlp_model_set_target_scaling(m, v, v + n)
                     : clmlp_model_set_input_scaling(m, v, v + n);
    free(v);
    return file_fault(rc, path);
}

/* Reads what version 4 adds: the task, the target names, the input and
 * the target scaling. */
static int read_v4(rbuf *r, const char *path, clmlp_model_t *m)
{
    uint32_t task = r_u32(r);
    if (r->short_read || task >= CLMLP_TASK_COUNT)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: the task field is malformed (%u)", path, task);
    /* Class names (read before) and a regression do not go together. */
    if (task == CLMLP_TASK_REGRESSION && m->class_names)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: a regression model with class names", path);
    CLMLP_TRY(file_fault(clmlp_model_set_task(m, (clmlp_task)task), path));
    char **names = NULL;
    uint32_t n = 0;
    CLMLP_TRY(read_names(r, path, "target", (uint32_t)clmlp_model_n_outputs(m), 1, &names, &n));
    int rc = n ? file_fault(clmlp_model_set_target_names(m, (const char *const *)names, n), path)
               : CLMLP_OK;
    clmlp_class_names_free(names, n);
    if (rc != CLMLP_OK) return rc;
    CLMLP_TRY(read_scaling(r, path, m, 0));
    return read_scaling(r, path, m, 1);
}

/* Parses a verified file image into a compiled model on be. */
static int parse_model(rbuf *r, const char *path, clmlp_backend_t *be, clmlp_model_t **out)
{
    char magic[8];
    if (!r_need(r, 8)) return clmlp_set_error(CLMLP_E_FORMAT, "%s is truncated", path);
    memcpy(magic, r->p, 8);
    r->pos = 8;
    if (memcmp(magic, MODEL_MAGIC, 8) != 0)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s is not a clmlp model file (bad magic)", path);
    uint32_t version = r_u32(r);
    uint32_t flags = r_u32(r);
    if (version < 1 || version > MODEL_VERSION)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s is a version %u model file; this clmlp reads versions 1 to %u",
                               path, version, MODEL_VERSION);
    if (flags != 0)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: flags 0x%x, which this clmlp does not know (it writes 0)", path,
                               flags);
    uint64_t n_inputs = r_u64(r);
    uint32_t n_layers = r_u32(r);
    if (r->short_read || n_inputs == 0 || n_inputs > (1u << 24) || n_layers == 0 ||
        n_layers > MAX_LAYERS)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: impossible sizes (%llu inputs, %u layers)",
                               path, (unsigned long long)n_inputs, n_layers);
    clmlp_model_t *m = NULL;
    int rc = clmlp_model_init(&m, (size_t)n_inputs);
    for (uint32_t i = 0; rc == CLMLP_OK && i < n_layers; i++)
        rc = version == 1 ? read_layer_v1(r, path, i, m) : read_layer_v2(r, path, i, m);
    clmlp_optimizer o = {0};
    uint32_t loss = r_u32(r), kind = r_u32(r), nesterov = r_u32(r);
    o.lr = r_f64(r);
    o.momentum = r_f64(r);
    o.l2 = r_f64(r);
    o.beta1 = r_f64(r);
    o.beta2 = r_f64(r);
    o.eps = r_f64(r);
    o.kind = (clmlp_opt_kind)kind;
    o.nesterov = (int)nesterov;
    uint64_t epochs = r_u64(r), step = r_u64(r), seed = 0, train_steps = 0;
    uint64_t shuffle_seed = 0, shuffle_epochs = 0, shuffle_set = 0;
    if (version >= 2) {
        seed = r_u64(r);
        train_steps = r_u64(r);
        shuffle_seed = r_u64(r);
        shuffle_epochs = r_u64(r);
        shuffle_set = r_u64(r);
    }
    /* Resuming replays the shuffles: a million epochs bounds that work. */
    if (rc == CLMLP_OK && (shuffle_set > 1 || shuffle_epochs > epochs || shuffle_epochs > 1000000))
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s: the shuffle fields are malformed", path);
    uint64_t n_params = r_u64(r);
    if (rc == CLMLP_OK && (r->short_read || loss >= CLMLP_LOSS_COUNT || kind >= CLMLP_OPT_COUNT))
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s: the loss or optimizer field is malformed", path);
    /* The optimizer's numbers go through compile's own checks below; what
     * those read as "use the default" (Adam's zeros) cannot be in a file,
     * which keeps the values in use, nor can a Nesterov flag other than 0
     * or 1. */
    if (rc == CLMLP_OK && nesterov > 1)
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s: the Nesterov field is %u (0 or 1)", path,
                             nesterov);
    if (rc == CLMLP_OK && kind == CLMLP_OPT_ADAM &&
        (o.beta1 == 0.0 || o.beta2 == 0.0 || o.eps == 0.0))
        rc = clmlp_set_error(CLMLP_E_FORMAT,
                             "%s: Adam's beta1 %g, beta2 %g or eps %g is 0 (a file keeps the "
                             "values in use: 0 < beta1, beta2 < 1 and eps > 0)",
                             path, o.beta1, o.beta2, o.eps);
    if (rc == CLMLP_OK && n_params != m->n_params)
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s holds %llu parameters but its layers need %zu",
                             path, (unsigned long long)n_params, m->n_params);
    /* The parameters must be in the file before they are allocated for. */
    if (rc == CLMLP_OK && (r->len - r->pos) / 4 < m->n_params)
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s: the file's length does not match its header",
                             path);
    float *vals = NULL;
    uint32_t n_state = 0;
    if (rc == CLMLP_OK) {
        vals = malloc((m->n_params ? m->n_params : 1) * 3 * sizeof *vals);
        if (!vals) rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory reading %s", path);
    }
    if (rc == CLMLP_OK) {
        r_f32s(r, vals, m->n_params);
        n_state = r_u32(r);
        if (n_state > 2)
            rc = clmlp_set_error(CLMLP_E_FORMAT, "%s: bad optimizer state count %u", path, n_state);
        else
            r_f32s(r, vals + m->n_params, m->n_params * n_state);
    }
    if (rc == CLMLP_OK && version >= 3) rc = read_class_names(r, path, version, m);
    if (rc == CLMLP_OK && version >= 4) rc = read_v4(r, path, m);
    uint32_t best_monitor = 0;
    double best_value = 0.0;
    uint64_t best_epoch = 0;
    if (rc == CLMLP_OK && version >= 5) {
        best_monitor = r_u32(r);
        best_value = r_f64(r);
        best_epoch = r_u64(r);
        if (r->short_read || best_monitor >= CLMLP_MONITOR_COUNT || !isfinite(best_value) ||
            best_epoch == 0 || best_epoch > epochs)
            rc = clmlp_set_error(CLMLP_E_FORMAT,
                                 "%s: the best-metric fields are malformed (monitor %u, value %g, "
                                 "epoch %llu of %llu)",
                                 path, best_monitor, best_value, (unsigned long long)best_epoch,
                                 (unsigned long long)epochs);
    }
    if (rc == CLMLP_OK && (r->short_read || r->pos != r->len))
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s: the file's length does not match its header",
                             path);
    for (size_t i = 0; rc == CLMLP_OK && i < m->n_params * n_state; i++)
        if (!isfinite(vals[m->n_params + i])) {
            char name[160];
            rc =
                clmlp_set_error(CLMLP_E_FORMAT, "%s: the optimizer state of %s is not finite", path,
                                clmlp_model_param_name(m, i % m->n_params, name, sizeof name));
        }
    /* Messages from here on come from calls that do not know the file. */
    if (rc == CLMLP_OK) rc = clmlp_model_set_params(m, vals);
    if (rc == CLMLP_OK) rc = clmlp_model_compile(m, (clmlp_loss)loss, &o, be, seed);
    if (rc != CLMLP_OK && rc != CLMLP_E_FORMAT && rc != CLMLP_E_NOT_FOUND) {
        char why[512];
        snprintf(why, sizeof why, "%s", clmlp_last_error());
        rc = clmlp_set_error(rc == CLMLP_E_INVALID ? CLMLP_E_FORMAT : rc, "%s: %s", path, why);
    }
    if (rc == CLMLP_OK && n_state != clmlp_model_opt_state_count(m))
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s: %u optimizer state arrays for a %s optimizer",
                             path, n_state, clmlp_opt_name(m->opt.kind));
    /* The rest of the state -- optimizer arrays and counters -- goes in as
     * every saved state does (compiling placed the parameters). */
    clmlp_snapshot st = {0};
    if (rc == CLMLP_OK)
        rc = clmlp_snapshot_init(m, CLMLP_STATE_OPTIMIZER | CLMLP_STATE_COUNTERS,
                                 CLMLP_SNAPSHOT_HOST, &st);
    if (rc == CLMLP_OK) {
        memcpy(st.host, vals + m->n_params, m->n_params * n_state * sizeof *vals);
        st.c = (clmlp_model_counters){
            epochs,           step,         seed,         train_steps, shuffle_seed, shuffle_epochs,
            (int)shuffle_set, version >= 5, best_monitor, best_value,  best_epoch};
        rc = clmlp_snapshot_restore(m, &st);
    }
    clmlp_snapshot_free(m, &st);
    free(vals);
    if (rc != CLMLP_OK) {
        clmlp_model_free(m);
        return rc;
    }
    *out = m;
    return CLMLP_OK;
}

int clmlp_model_load(clmlp_model_t **out, const char *path, clmlp_backend_t *be)
{
    if (!out || !path || !be)
        return clmlp_set_error(CLMLP_E_INVALID, "load needs an output, a path and a backend");
    *out = NULL;
    unsigned char *p = NULL;
    size_t len = 0;
    CLMLP_TRY(slurp(path, &p, &len));
    int rc = CLMLP_OK;
    if (len < 8 + 4 + 4)
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s is truncated (%zu bytes)", path, len);
    if (rc == CLMLP_OK && memcmp(p, MODEL_MAGIC, 8) != 0)
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s is not a clmlp model file (bad magic)", path);
    if (rc == CLMLP_OK) {
        rbuf tail = {p, len, len - 4, 0};
        uint32_t want = r_u32(&tail);
        uint32_t got = (uint32_t)crc32(0L, p, (uInt)(len - 4));
        if (want != got)
            rc = clmlp_set_error(CLMLP_E_FORMAT,
                                 "%s is corrupted or truncated (CRC32 %08x, expected %08x)", path,
                                 got, want);
    }
    if (rc == CLMLP_OK) {
        rbuf r = {p, len - 4, 0, 0};
        rc = parse_model(&r, path, be, out);
    }
    free(p);
    return rc;
}
