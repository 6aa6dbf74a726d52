/* What plot images, probs and confusion share (see plot_classify.h):
 * loading a labelled image set, its shape and class names, and running a
 * model over it in chunks. */
#include "plot/plot_classify.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_model.h"

/* Fashion-MNIST's classes, in label order. */
static const char *const FASHION_NAMES[] = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                            "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                            "Bag",         "Ankle boot"};

void plot_cls_defaults(plot_cls_args *a)
{
    memset(a, 0, sizeof *a);
    cli_data_defaults(&a->data);
    /* Pictures of classes: the labels are read as classes, however many. */
    a->data.task = CLMLP_TASK_CLASSIFICATION;
}

/* Parses "WxH", each side 1 to 65535. */
static int parse_shape(const char *cmd, const char *s, int *w, int *h)
{
    char *end;
    long a = strtol(s, &end, 10);
    if (end != s && (*end == 'x' || *end == 'X') && s[0] >= '0' && s[0] <= '9') {
        const char *t = end + 1;
        long b = strtol(t, &end, 10);
        if (end != t && *end == '\0' && t[0] >= '0' && t[0] <= '9' && a >= 1 && a <= 65535 &&
            b >= 1 && b <= 65535) {
            *w = (int)a;
            *h = (int)b;
            return CLI_OK;
        }
    }
    return cli_usage_error(cmd, "--image-shape must be WxH (e.g. 28x28), got '%s'", s);
}

int plot_cls_option(const char *cmd, plot_cls_args *a, int opt, const char *arg)
{
    switch (opt) {
    case OPT_DATASET:
        if (strcmp(arg, "mnist") != 0 && strcmp(arg, "fashion") != 0)
            return cli_usage_error(cmd,
                                   "--dataset must be mnist or fashion (sets of images), "
                                   "got '%s'",
                                   arg);
        return cli_data_option(cmd, &a->data, opt, arg);
    case OPT_CLS_SET:
        if (strcmp(arg, "train") != 0 && strcmp(arg, "test") != 0)
            return cli_usage_error(cmd, "--set must be train or test, got '%s'", arg);
        a->train_set = strcmp(arg, "train") == 0;
        return CLI_OK;
    case OPT_CLS_IMAGES: a->images = arg; return CLI_OK;
    case OPT_CLS_LABELS: a->labels = arg; return CLI_OK;
    case OPT_CLS_SHAPE: return parse_shape(cmd, arg, &a->shape_w, &a->shape_h);
    default: return cli_data_is_option(opt) ? cli_data_option(cmd, &a->data, opt, arg) : -1;
    }
}

void plot_cls_cmd_defaults(plot_cls_cmd *a, int width, int height, size_t count)
{
    memset(a, 0, sizeof *a);
    plot_out_defaults(&a->out, width, height);
    plot_model_defaults(&a->model);
    plot_cls_defaults(&a->data);
    a->count = count;
    a->columns = 5;
}

/* Handles the choices (--count, ...); CLI_OK, CLI_USAGE, or -1 when opt is
 * none of them. */
static int choice_option(const char *cmd, plot_cls_cmd *a, int opt, const char *arg)
{
    switch (opt) {
    case OPT_CLS_COUNT: return cli_parse_count(cmd, "--count", arg, 1, &a->count);
    case OPT_CLS_START: return cli_parse_count(cmd, "--start", arg, 0, &a->start);
    case OPT_CLS_COLUMNS: return cli_parse_count(cmd, "--columns", arg, 1, &a->columns);
    case OPT_CLS_MISCLASSIFIED: a->misclassified = 1; return CLI_OK;
    case OPT_CLS_NORMALIZE: a->normalize = 1; return CLI_OK;
    default: return -1;
    }
}

int plot_cls_parse(const char *cmd, int argc, char **argv, const struct option *longopts,
                   void (*usage)(void), int need_model, plot_cls_cmd *a)
{
    int c, rc = CLI_OK;
    while (rc == CLI_OK && (c = cli_getopt(cmd, argc, argv, "ho:", longopts)) != -1) {
        switch (c) {
        case 'h': usage(); return -1;
        case '?': return CLI_USAGE;
        case 'o':
        case OPT_PLOT_SIZE:
        case OPT_PLOT_TITLE: rc = plot_out_option(cmd, &a->out, c, optarg); break;
        default:
            rc = choice_option(cmd, a, c, optarg);
            if (rc == -1) rc = plot_model_option(cmd, &a->model, c, optarg);
            if (rc == -1) rc = plot_cls_option(cmd, &a->data, c, optarg);
            if (rc == -1) rc = cli_usage_error(cmd, "internal: unhandled option %d", c);
            break;
        }
    }
    if (rc || (rc = cli_no_operands(cmd, argc, argv))) return rc;
    return need_model ? plot_model_require(cmd, &a->model) : CLI_OK;
}

int plot_cls_out_check(const char *cmd, const plot_cls_cmd *a)
{
    const cli_file inputs[] = {{"--model", a->model.model, 0},
                               {"--weights", a->model.weights, 0},
                               {"--data", a->data.data.data, 0},
                               {"--images", a->data.images, 0},
                               {"--labels", a->data.labels, 0}};
    return plot_out_check(cmd, &a->out, inputs, sizeof inputs / sizeof inputs[0]);
}

/* The last part of a path. */
static const char *base_name(const char *p)
{
    const char *slash = strrchr(p, '/');
    return slash ? slash + 1 : p;
}

/* Reads the set from the one source given; fills s->ds, what and where. */
static int read_set(const char *cmd, const plot_cls_args *a, plot_cls_set *s)
{
    const cli_data_args *d = &a->data;
    int sources = (d->dataset != NULL) + (a->images || a->labels) + (d->data != NULL);
    if (sources != 1)
        return cli_usage_error(cmd, "give the images as one of --dataset NAME, --images FILE "
                                    "--labels FILE, or --data FILE.csv");
    if (!d->dataset && (a->train_set || d->scale_set))
        return cli_usage_error(cmd, "--set and --scale apply to --dataset mnist or fashion");
    if ((d->label_col_set || d->label_name || d->delimiter) && !d->data)
        return cli_usage_error(cmd, "--label-col, --label and --delimiter apply to --data "
                                    "FILE.csv");
    if (d->dataset) {
        const char *pretty = strcmp(d->dataset, "fashion") == 0 ? "Fashion-MNIST" : "MNIST";
        snprintf(s->what, sizeof s->what, "%s %s images", pretty,
                 a->train_set ? "training" : "test");
        snprintf(s->where, sizeof s->where, "the %s %s set", d->dataset,
                 a->train_set ? "training" : "test");
        return a->train_set ? cli_data_load_named(d, 0, &s->ds)
                            : cli_data_load_eval(cmd, d, 0, &s->ds);
    }
    if (d->data) {
        snprintf(s->what, sizeof s->what, "images from %s", base_name(d->data));
        snprintf(s->where, sizeof s->where, "%s", d->data);
        return cli_data_load_eval(cmd, d, 0, &s->ds);
    }
    if (!a->images || !a->labels)
        return cli_usage_error(cmd, "--images and --labels go together: name both idx files");
    snprintf(s->what, sizeof s->what, "images from %s", base_name(a->images));
    snprintf(s->where, sizeof s->where, "%s", a->images);
    /* The library's message names the file that is missing or broken. */
    if (cli_data_is_numpy(a->images)
            ? clmlp_dataset_read_npy(&s->ds, a->images, a->labels) < 0
            : clmlp_dataset_read_idx(&s->ds, a->images, a->labels, d->scale_pm1) < 0)
        return cli_runtime_error();
    if (!s->ds->labels) {
        /* An .npy of values (a regression's): there are no classes. */
        clmlp_dataset_free(s->ds);
        s->ds = NULL;
        return cli_usage_error(cmd, "%s: the labels are values, not classes", a->labels);
    }
    return CLI_OK;
}

/* The image shape: --image-shape, else the square root of the features. */
static int find_shape(const char *cmd, const plot_cls_args *a, plot_cls_set *s)
{
    size_t n = s->ds->n_features;
    if (a->shape_w) {
        if ((size_t)a->shape_w * (size_t)a->shape_h != n)
            return cli_usage_error(cmd,
                                   "--image-shape %dx%d has %zu pixels, but %s has %zu "
                                   "features per row",
                                   a->shape_w, a->shape_h, (size_t)a->shape_w * (size_t)a->shape_h,
                                   s->where, n);
        s->w = a->shape_w;
        s->h = a->shape_h;
        return CLI_OK;
    }
    size_t side = (size_t)llround(sqrt((double)n));
    if ((side * side != n || side == 0) && a->images_optional) {
        /* No images drawn (confusion): any row is fine. */
        s->w = (int)(n < INT_MAX ? n : INT_MAX);
        s->h = 1;
        return CLI_OK;
    }
    if (side * side != n || side == 0)
        return cli_usage_error(cmd,
                               "%s has %zu features per row, which is not a square "
                               "image; give its shape with --image-shape WxH",
                               s->where, n);
    s->w = s->h = (int)side;
    return CLI_OK;
}

/* The pixel values drawn white and black: [0,1] or [-1,1] when the set
 * lies within, else its own range. */
static void find_range(plot_cls_set *s)
{
    const clmlp_dataset_t *ds = s->ds;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < ds->n * ds->n_features; i++) {
        if (ds->x[i] < lo) lo = ds->x[i];
        if (ds->x[i] > hi) hi = ds->x[i];
    }
    if (lo >= 0 && hi <= 1) {
        lo = 0;
        hi = 1;
    } else if (lo >= -1 && hi <= 1) {
        lo = -1;
        hi = 1;
    } else if (!(hi > lo)) {
        hi = lo + 1;
    }
    s->lo = lo;
    s->hi = hi;
}

int plot_cls_load(const char *cmd, const plot_cls_args *a, plot_cls_set *s)
{
    memset(s, 0, sizeof *s);
    int rc = read_set(cmd, a, s);
    if (rc) return rc;
    if (!s->ds->labels) return cli_usage_error(cmd, "%s has no class labels", s->where);
    if (s->ds->n == 0) return cli_usage_error(cmd, "%s has no rows", s->where);
    if ((rc = find_shape(cmd, a, s))) return rc;
    find_range(s);
    if (a->data.dataset && strcmp(a->data.dataset, "fashion") == 0) {
        s->names = FASHION_NAMES;
        s->n_names = sizeof FASHION_NAMES / sizeof FASHION_NAMES[0];
    } else if (s->ds->class_names) {
        s->names = (const char *const *)s->ds->class_names;
        s->n_names = s->ds->n_classes;
    }
    return plot_cls_names(s, s->ds->n_classes);
}

/* Frees the names plot_cls_names made, if any. */
static void free_own_names(plot_cls_set *s)
{
    if (!s->own_names) return;
    for (size_t i = 0; i < s->n_names; i++) free(s->own_names[i]);
    free(s->own_names);
    s->own_names = NULL;
}

int plot_cls_names(plot_cls_set *s, size_t k)
{
    if (k <= s->n_names) return CLI_OK;
    /* Past the fashion names (or without them) classes are their numbers. */
    char **names = calloc(k, sizeof *names);
    if (!names) return cli_out_of_memory();
    for (size_t c = 0; c < k; c++) {
        /* A name whole (up to CLMLP_CLASS_NAME_MAX bytes); a number fits. */
        char num[32];
        snprintf(num, sizeof num, "%zu", c);
        names[c] = strdup(c < s->n_names ? s->names[c] : num);
        if (!names[c]) {
            for (size_t i = 0; i < c; i++) free(names[i]);
            free(names);
            return cli_out_of_memory();
        }
    }
    free_own_names(s);
    s->own_names = names;
    s->names = (const char *const *)names;
    s->n_names = k;
    return CLI_OK;
}

void plot_cls_free(plot_cls_set *s)
{
    clmlp_dataset_free(s->ds);
    free_own_names(s);
    memset(s, 0, sizeof *s);
}

const char *plot_cls_name(const plot_cls_set *s, size_t c)
{
    return c < s->n_names ? s->names[c] : "?";
}

size_t plot_cls_classes(const clmlp_model_t *m)
{
    size_t n = clmlp_model_n_outputs(m);
    return n == 1 ? 2 : n;
}

int plot_cls_model(const char *cmd, const plot_model_args *ma, const plot_cls_args *a,
                   plot_cls_set *s, clmlp_backend_t **be, clmlp_model_t **m)
{
    int rc = plot_model_open(cmd, ma, be, m);
    if (rc) return rc;
    size_t n_model = 0;
    const char *const *model_names = clmlp_model_class_names(*m, &n_model);
    if (model_names) {
        /* A CSV of class names is read again through the model's names, so
         * class i means what it meant in training; the picture then names
         * classes as the model does. */
        if (s->ds->class_names) {
            clmlp_dataset_t *ds = NULL;
            if ((rc = cli_data_load_for_model(cmd, &a->data, 0, *m, &ds))) return rc;
            clmlp_dataset_free(s->ds);
            s->ds = ds;
        }
        free_own_names(s);
        s->names = model_names;
        s->n_names = n_model;
    }
    char what[600];
    snprintf(what, sizeof what, "the model in %s", ma->model ? ma->model : ma->weights);
    /* A model file without names was trained on numbers: the data's sorted
     * names would only seem to be its classes.  A weight text file has no
     * place for names, so there the names' byte order is the only mapping
     * (the one train gives them). */
    if (ma->model && (rc = cli_check_names(cmd, *m, what, s->ds, s->where))) return rc;
    return cli_check_data(cmd, *m, what, cli_default_loss(*m), s->ds, s->where, 1);
}

int plot_cls_predict(clmlp_model_t *m, const clmlp_dataset_t *ds, size_t start, size_t n,
                     float *out)
{
    size_t n_out = clmlp_model_n_outputs(m);
    for (size_t done = 0; done < n; done += CLI_PREDICT_CHUNK) {
        size_t rows = cli_chunk_rows(n, done);
        if (clmlp_model_predict(m, ds->x + (start + done) * ds->n_features, rows,
                                out + done * n_out) < 0)
            return cli_runtime_error();
    }
    return CLI_OK;
}

/* Allocates p's arrays for up to cap rows. */
static int pick_alloc(plot_cls_pick *p, size_t cap, size_t n_out)
{
    p->n_out = n_out;
    p->rows = calloc(cap ? cap : 1, sizeof *p->rows);
    p->pred = calloc(cap ? cap : 1, sizeof *p->pred);
    p->out = n_out ? calloc((cap ? cap : 1) * n_out, sizeof *p->out) : NULL;
    return !p->rows || !p->pred || (n_out && !p->out) ? cli_out_of_memory() : CLI_OK;
}

int plot_cls_pick_rows(const char *cmd, clmlp_model_t *m, const plot_cls_set *s, size_t start,
                       size_t count, int misclassified, plot_cls_pick *p)
{
    memset(p, 0, sizeof *p);
    const clmlp_dataset_t *ds = s->ds;
    if (start >= ds->n)
        return cli_usage_error(cmd, "--start %zu is past the last row of %s (%zu rows)", start,
                               s->where, ds->n);
    size_t n_out = m ? clmlp_model_n_outputs(m) : 0;
    if (!misclassified) {
        size_t n = ds->n - start < count ? ds->n - start : count;
        int rc = pick_alloc(p, n, n_out);
        if (!rc && m) rc = plot_cls_predict(m, ds, start, n, p->out);
        for (size_t i = 0; !rc && i < n; i++) {
            p->rows[i] = start + i;
            if (m) p->pred[i] = cli_predicted_class(p->out + i * n_out, n_out);
        }
        p->n = rc ? 0 : n;
        return rc;
    }
    /* The whole set, a chunk at a time: the title counts every wrong row. */
    int rc = pick_alloc(p, count, n_out);
    float *chunk = rc ? NULL : malloc(CLI_PREDICT_CHUNK * n_out * sizeof *chunk);
    if (!rc && !chunk) rc = cli_out_of_memory();
    for (size_t at = 0; !rc && at < ds->n; at += CLI_PREDICT_CHUNK) {
        size_t rows = cli_chunk_rows(ds->n, at);
        rc = plot_cls_predict(m, ds, at, rows, chunk);
        for (size_t i = 0; !rc && i < rows; i++) {
            const float *o = chunk + i * n_out;
            size_t pred = cli_predicted_class(o, n_out);
            if (pred == (size_t)ds->labels[at + i]) continue;
            p->wrong_total++;
            if (at + i < start || p->n == count) continue;
            p->rows[p->n] = at + i;
            p->pred[p->n] = pred;
            memcpy(p->out + p->n * n_out, o, n_out * sizeof *o);
            p->n++;
        }
    }
    free(chunk);
    return rc;
}

void plot_cls_pick_free(plot_cls_pick *p)
{
    free(p->rows);
    free(p->pred);
    free(p->out);
    memset(p, 0, sizeof *p);
}

plot_rgb plot_cls_right_colour(void) { return (plot_rgb){0.0, 0.45, 0.0}; }

plot_rgb plot_cls_wrong_colour(void) { return (plot_rgb){0.84, 0.15, 0.16}; }

double plot_cls_names_width(plot_canvas *c, const plot_cls_set *s, size_t k)
{
    double w = 0;
    for (size_t i = 0; i < k; i++) {
        double t = plot_text_width(c, plot_cls_name(s, i), PLOT_TICK_SIZE, 0);
        if (t > w) w = t;
    }
    return w;
}

int plot_cls_xnames(plot_axes *a, const plot_cls_set *s, size_t k, const char **blanks)
{
    double per = a->frame.w / (double)(k ? k : 1);
    int slant = plot_cls_names_width(a->c, s, k) > per - 6;
    for (size_t i = 0; i < k; i++) blanks[i] = slant ? "" : plot_cls_name(s, i);
    a->xcat = blanks;
    a->nxcat = k;
    return slant;
}

void plot_cls_rotated_names(plot_axes *a, const plot_cls_set *s, size_t k)
{
    double y = a->frame.y + a->frame.h + 7;
    for (size_t i = 0; i < k; i++)
        plot_text(a->c, round(plot_px(a, (double)i)) + 4, y, plot_cls_name(s, i), PLOT_TICK_SIZE, 1,
                  0, 30, (plot_rgb){0, 0, 0}, 0);
}

double plot_cls_rotated_depth(double name_w)
{
    /* sin and cos of 30 degrees: the slanted width and the cap height. */
    return 7 + name_w * 0.5 + PLOT_TICK_SIZE * 0.87;
}
