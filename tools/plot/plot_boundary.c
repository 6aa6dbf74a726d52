/* clmlp plot boundary: a 2-input classifier's decision regions, the line
 * where its decision changes, and the training and test points over
 * them, as the course draws the circle and XOR models.  The model is run
 * on a grid of points covering the frame (one predict call per chunk),
 * each cell coloured by the class it predicts. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_data.h"
#include "cli_model.h"
#include "plot/boundary_layout.h"
#include "plot/plot.h"

#define CMD "plot boundary"
#define DEFAULT_GRID 200
#define MAX_GRID 2000
/* Rows per predict call: bounds the device buffers whatever --grid is. */
#define GRID_CHUNK 16384
#define MAX_LEGEND 64

enum { OPT_GRID = OPT_PLOT_LOCAL };

static const struct option long_options[] = {
    PLOT_OUT_LONGOPTS,
    PLOT_MODEL_LONGOPTS,
    {"train", required_argument, NULL, OPT_TRAIN},
    {"test", required_argument, NULL, OPT_TEST},
    {"data", required_argument, NULL, OPT_DATA},
    CLI_CSV_LONGOPTS,
    CLI_NUMPY_LONGOPTS,
    CLI_NUMPY_TEST_LONGOPT,
    CLI_DATASET_LONGOPTS,
    {"grid", required_argument, NULL, OPT_GRID},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp plot boundary (--model FILE | --weights FILE)\n"
           "         (--dataset xor|circle | --data CSV [--test CSV] | --train CSV [--test CSV])\n"
           "         -o FILE [options]\n"
           "Draws the decision regions of a model with 2 inputs in its classes' colours,\n"
           "the line where the decision changes (p = 0.5 for one sigmoid output or two\n"
           "softmax outputs; the borders between classes for more), and the points:\n"
           "training points as circles, test points darker as triangles.  The frame\n"
           "covers the points with a tenth of their extent to spare on each side.\n\n" PLOT_OUT_HELP
           "                        (default: 760x620)\n" PLOT_MODEL_HELP
           "  --grid N              cells per side of the region image (default: %d)\n"
           "the points: CSV files, or a named set (xor or circle, those of 2 features):\n"
           "  --train CSV           the training points (2 features and a label a row)\n"
           "  --data CSV            the same as --train\n"
           "  --test CSV            test points drawn beside them (default: none)\n" CLI_CSV_HELP
               CLI_NUMPY_HELP CLI_NUMPY_LABELS_HELP CLI_NUMPY_TEST_HELP CLI_DATASET_HELP
           "  -h, --help            this help\n",
           DEFAULT_GRID);
}

/* Widens [lo[k],hi[k]] (k = 0 for x, 1 for y) to take in ds's points. */
static void take_extent(const clmlp_dataset_t *ds, double lo[2], double hi[2])
{
    for (size_t i = 0; ds && i < ds->n; i++)
        for (int k = 0; k < 2; k++) {
            double v = ds->x[i * 2 + (size_t)k];
            if (v < lo[k]) lo[k] = v;
            if (v > hi[k]) hi[k] = v;
        }
}

/* Whether b holds exactly a's rows and labels (xor's test set is its
 * training set: drawn twice, the test markers would hide the others). */
static int same_rows(const clmlp_dataset_t *a, const clmlp_dataset_t *b)
{
    if (a->n != b->n || a->n_features != b->n_features || !a->labels != !b->labels) return 0;
    if (memcmp(a->x, b->x, a->n * a->n_features * sizeof *a->x) != 0) return 0;
    return !a->labels || memcmp(a->labels, b->labels, a->n * sizeof *a->labels) == 0;
}

/* The model's outputs at the centres of an n x n grid of cells over the
 * limits (cell (i,j) at column i from the left, row j from the bottom;
 * out[(j*n + i)*k] its k outputs), a chunk of rows per predict call.
 * CLI_OK or CLI_RUNTIME after the message. */
static int evaluate_grid(clmlp_model_t *m, int n, const double lim[4], float *out)
{
    size_t cells = (size_t)n * (size_t)n, k = clmlp_model_n_outputs(m);
    size_t chunk = cells < GRID_CHUNK ? cells : GRID_CHUNK;
    float *x = malloc(chunk * 2 * sizeof *x);
    if (!x) return cli_out_of_memory();
    double dx = (lim[1] - lim[0]) / n, dy = (lim[3] - lim[2]) / n;
    int rc = CLI_OK;
    for (size_t start = 0; start < cells && !rc; start += chunk) {
        size_t rows = cells - start < chunk ? cells - start : chunk;
        for (size_t r = 0; r < rows; r++) {
            size_t c = start + r, i = c % (size_t)n, j = c / (size_t)n;
            x[r * 2] = (float)(lim[0] + ((double)i + 0.5) * dx);
            x[r * 2 + 1] = (float)(lim[2] + ((double)j + 0.5) * dy);
        }
        if (clmlp_model_predict(m, x, rows, out + start * k) < 0) rc = cli_runtime_error();
    }
    free(x);
    return rc;
}

/* The class a row of k outputs predicts: p >= 0.5 for one output (as
 * evaluate counts accuracy), else the largest (the first of equals). */
static size_t predicted_class(const float *p, size_t k)
{
    if (k == 1) return p[0] >= 0.5f ? 1 : 0;
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
        if (p[c] > p[best]) best = c;
    return best;
}

/* The region image: n x n cells, top row first, each the lightened colour
 * of the class predicted there.  Returns NULL when out of memory. */
static uint8_t *region_image(const float *p, int n, size_t k)
{
    uint8_t *rgb = malloc((size_t)n * (size_t)n * 3);
    if (!rgb) return NULL;
    for (int r = 0; r < n; r++)
        for (int i = 0; i < n; i++) {
            size_t cell = (size_t)(n - 1 - r) * (size_t)n + (size_t)i;
            plot_rgb col =
                plot_lighter(plot_palette(predicted_class(p + cell * k, k)), PLOT_BOUNDARY_FADE);
            plot_rgb_bytes(col, rgb + ((size_t)r * (size_t)n + (size_t)i) * 3);
        }
    return rgb;
}

/* Draws the decision boundary in black over the n x n cell centres.  One
 * output: the contour of p at 0.5.  Two or more: for each class c the
 * zero contour of its margin p_c - max over the others of p_j, which is
 * the border of c's argmax region, interpolated between cell centres
 * rather than stepped like the contour of an indicator would be.  With
 * two outputs the margin of class 1 is p1 - p0, which for softmax
 * outputs is 2 p1 - 1: its zero is p1 = 0.5, so one contour suffices;
 * with more classes each border is the zero of both its classes' margins
 * and is drawn twice on the same pixels.  v holds n*n doubles. */
static void draw_boundary(plot_axes *a, const float *p, int n, size_t k, const double lim[4],
                          double *v)
{
    size_t cells = (size_t)n * (size_t)n;
    double hx = (lim[1] - lim[0]) / n / 2, hy = (lim[3] - lim[2]) / n / 2;
    const plot_rgb black = {0, 0, 0};
    size_t first = k == 1 ? 0 : k == 2 ? 1 : 0, last = k == 1 ? 0 : k - 1;
    for (size_t c = first; c <= last; c++) {
        for (size_t i = 0; i < cells; i++) {
            const float *row = p + i * k;
            if (k == 1) {
                v[i] = row[0];
                continue;
            }
            double other = -INFINITY;
            for (size_t j = 0; j < k; j++)
                if (j != c && row[j] > other) other = row[j];
            v[i] = row[c] - other;
        }
        plot_contour(a, v, n, n, lim[0] + hx, lim[1] - hx, lim[2] + hy, lim[3] - hy,
                     k == 1 ? 0.5 : 0.0, black, 2.0, PLOT_SOLID);
    }
}

/* The marker radius for a set of n points: large for a handful (XOR),
 * small for a thousand, so the regions stay visible under them. */
static double marker_radius(size_t n)
{
    return n <= 20 ? 7.0 : n <= 200 ? 5.0 : n <= 600 ? 4.0 : 3.0;
}

/* Draws ds's points of each class (train: circles in the class colour;
 * test: darker triangles) and adds their legend entries.  xs, ys hold
 * ds->n doubles of scratch. */
static void draw_points(plot_axes *a, const clmlp_dataset_t *ds, int test, size_t n_classes,
                        double radius, double *xs, double *ys)
{
    for (size_t c = 0; c < n_classes; c++) {
        size_t m = 0;
        for (size_t i = 0; i < ds->n; i++)
            if (ds->labels && (size_t)ds->labels[i] == c) {
                xs[m] = ds->x[i * 2];
                ys[m] = ds->x[i * 2 + 1];
                m++;
            }
        plot_rgb col = plot_palette(c);
        if (test)
            plot_markers(a, xs, ys, m, PLOT_TRIANGLE, radius * 1.15,
                         plot_darker(col, PLOT_BOUNDARY_DARKEN), plot_lighter(col, 0.7));
        else
            plot_markers(a, xs, ys, m, PLOT_CIRCLE, radius, col, plot_lighter(col, 0.7));
    }
}

/* Whether class c has a point in ds. */
static int has_class(const clmlp_dataset_t *ds, size_t c)
{
    for (size_t i = 0; ds && ds->labels && i < ds->n; i++)
        if ((size_t)ds->labels[i] == c) return 1;
    return 0;
}

/* Everything the picture needs, computed before drawing. */
typedef struct {
    const clmlp_dataset_t *train, *test;
    const float *p; /* grid outputs */
    size_t k;       /* outputs per cell */
    int grid;
    double lim[4]; /* x0, x1, y0, y1 */
    size_t n_classes;
    const char *line_label; /* the boundary's legend label */
} boundary_picture;

/* Draws the picture into c; CLI_OK or CLI_RUNTIME when out of memory. */
static int draw(plot_canvas *c, const plot_out_args *out, const char *title,
                const boundary_picture *b)
{
    int w = plot_canvas_width(c), h = plot_canvas_height(c);
    plot_axes a;
    plot_axes_init(&a, c, plot_boundary_panel(w, h), PLOT_BOUNDARY_ROOM, b->lim[0], b->lim[1],
                   b->lim[2], b->lim[3]);
    size_t cells = (size_t)b->grid * (size_t)b->grid;
    size_t n_test = b->test ? b->test->n : 0;
    size_t most = b->train->n > n_test ? b->train->n : n_test;
    uint8_t *rgb = region_image(b->p, b->grid, b->k);
    double *v = malloc(cells * sizeof *v);
    double *xs = malloc((most ? most : 1) * sizeof *xs);
    double *ys = malloc((most ? most : 1) * sizeof *ys);
    int rc = rgb && v && xs && ys ? CLI_OK : cli_out_of_memory();
    if (!rc) {
        plot_image_rgb(c, a.frame, rgb, b->grid, b->grid);
        draw_boundary(&a, b->p, b->grid, b->k, b->lim, v);
        size_t all = b->train->n + (b->test ? b->test->n : 0);
        double radius = marker_radius(all);
        draw_points(&a, b->train, 0, b->n_classes, radius, xs, ys);
        if (b->test) draw_points(&a, b->test, 1, b->n_classes, radius, xs, ys);
        plot_axes_draw(&a, plot_out_title(out, title), "x1", "x2");

        /* Legend rows that fit beside the frame (20 px a row). */
        plot_legend_entry e[MAX_LEGEND];
        size_t n = 0, fit = (size_t)(a.frame.h / 20.0);
        if (fit > MAX_LEGEND) fit = MAX_LEGEND;
        char labels[MAX_LEGEND][48];
        for (size_t cl = 0; cl < b->n_classes && n + 1 < fit; cl++) {
            plot_rgb col = plot_palette(cl);
            if (has_class(b->train, cl) && n + 1 < fit) {
                snprintf(labels[n], sizeof labels[n], "class %zu (train)", cl);
                e[n] = (plot_legend_entry){.label = labels[n],
                                           .col = col,
                                           .marker = PLOT_CIRCLE,
                                           .edge = plot_lighter(col, 0.7)};
                n++;
            }
            if (has_class(b->test, cl) && n + 1 < fit) {
                snprintf(labels[n], sizeof labels[n], "class %zu (test)", cl);
                e[n] = (plot_legend_entry){.label = labels[n],
                                           .col = plot_darker(col, PLOT_BOUNDARY_DARKEN),
                                           .marker = PLOT_TRIANGLE,
                                           .edge = plot_lighter(col, 0.7)};
                n++;
            }
        }
        e[n++] = (plot_legend_entry){
            .label = b->line_label, .col = {0, 0, 0}, .line = 1, .dash = PLOT_SOLID};
        plot_legend(&a, e, n, PLOT_LEGEND_RIGHT);
    }
    free(rgb);
    free(v);
    free(xs);
    free(ys);
    return rc;
}

/* Loads the points: --dataset's two sets, or --train/--data with an
 * optional --test, each checked to have 2 features and labels the model
 * can predict.  CLI_OK, CLI_USAGE or CLI_RUNTIME after the message. */
static int load_points(const cli_data_args *data, const clmlp_model_t *m, const char *path,
                       clmlp_dataset_t **train, clmlp_dataset_t **test)
{
    cli_data_args d = *data;
    if (d.data && d.train) return cli_usage_error(CMD, "give --data or --train, not both");
    if (!d.dataset && !d.data && !d.train)
        return cli_usage_error(CMD, "no data: give --dataset xor|circle, --data CSV or "
                                    "--train CSV [--test CSV]");
    if (d.data) {
        d.train = d.data;
        d.data = NULL;
    }
    /* CSV files one at a time, so a test set of other than 2 features is
     * refused below as a usage error, the training set's way. */
    int rc;
    if (d.dataset) {
        rc = cli_data_load_train(CMD, &d, train, test);
    } else {
        clmlp_dataset_t *none = NULL;
        cli_data_args t = d;
        d.test = NULL;
        rc = cli_data_load_train(CMD, &d, train, &none);
        d.test = t.test;
        if (!rc && t.test) {
            t.train = t.test;
            t.test = NULL;
            rc = cli_data_load_train(CMD, &t, test, &none);
        }
    }
    for (int which = 0; which < 2 && !rc; which++) {
        const clmlp_dataset_t *ds = which ? *test : *train;
        char name[4200];
        if (!ds) continue;
        cli_data_name(&d, which, name, sizeof name);
        if (ds->n_features != 2)
            return cli_usage_error(CMD,
                                   "boundary needs data with exactly 2 features per row; "
                                   "%s has %zu",
                                   name, ds->n_features);
        if (!ds->labels) return cli_usage_error(CMD, "%s has no class labels", name);
        rc = cli_model_check_data(CMD, m, path, ds, name, 1);
    }
    if (!rc && *test && same_rows(*train, *test)) {
        clmlp_dataset_free(*test);
        *test = NULL;
    }
    return rc;
}

/* Runs `clmlp plot boundary`; returns the exit status. */
int plot_kind_boundary(int argc, char **argv)
{
    plot_out_args out;
    plot_model_args model;
    cli_data_args data;
    plot_out_defaults(&out, 760, 620);
    plot_model_defaults(&model);
    cli_data_defaults(&data);
    data.task = CLMLP_TASK_CLASSIFICATION; /* regions of classes */
    size_t grid = DEFAULT_GRID;
    int c, rc = CLI_OK;
    while (rc == CLI_OK && (c = cli_getopt(CMD, argc, argv, "ho:", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return CLI_OK;
        case '?': return CLI_USAGE;
        case OPT_GRID:
            rc = cli_parse_count(CMD, "--grid", optarg, 2, &grid);
            if (!rc && grid > MAX_GRID)
                rc = cli_usage_error(CMD, "--grid must be at most %d, got '%s'", MAX_GRID, optarg);
            break;
        default:
            rc = cli_data_is_option(c) ? cli_data_option(CMD, &data, c, optarg)
                                       : plot_model_out_option(CMD, &model, &out, c, optarg);
            break;
        }
    }
    if (rc) return rc;
    if ((rc = cli_no_operands(CMD, argc, argv))) return rc;
    if ((rc = plot_model_require(CMD, &model))) return rc;
    const cli_file inputs[] = {{"--model", model.model, 0},
                               {"--weights", model.weights, 0},
                               {"--train", data.train, 0},
                               {"--test", data.test, 0},
                               {"--data", data.data, 0},
                               {"--labels", data.labels_file, 0},
                               {"--test-labels", data.test_labels_file, 0}};
    if ((rc = plot_out_check(CMD, &out, inputs, sizeof inputs / sizeof inputs[0]))) return rc;

    clmlp_backend_t *be = NULL;
    clmlp_model_t *m = NULL;
    clmlp_dataset_t *train = NULL, *test = NULL;
    float *p = NULL;
    plot_canvas *canvas = NULL;
    const char *path = model.model ? model.model : model.weights;
    rc = plot_model_open(CMD, &model, &be, &m);
    if (!rc && clmlp_model_n_inputs(m) != 2)
        rc = cli_usage_error(CMD,
                             "boundary needs a model with exactly 2 inputs; the model in "
                             "%s has %zu",
                             path, clmlp_model_n_inputs(m));
    if (!rc) rc = load_points(&data, m, path, &train, &test);
    boundary_picture b = {.train = train, .test = test, .grid = (int)grid};
    if (!rc) {
        b.k = clmlp_model_n_outputs(m);
        double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
        take_extent(train, lo, hi);
        take_extent(test, lo, hi);
        plot_boundary_limits(lo[0], hi[0], &b.lim[0], &b.lim[1]);
        plot_boundary_limits(lo[1], hi[1], &b.lim[2], &b.lim[3]);
        /* Colours for every class the model predicts and the data holds. */
        b.n_classes = b.k == 1 ? 2 : b.k;
        if (train->n_classes > b.n_classes) b.n_classes = train->n_classes;
        if (test && test->n_classes > b.n_classes) b.n_classes = test->n_classes;
        size_t units;
        clmlp_act act = CLMLP_ACT_LINEAR;
        int bias;
        if (clmlp_model_layer(m, clmlp_model_n_layers(m) - 1, &units, &act, &bias) < 0)
            act = CLMLP_ACT_LINEAR;
        b.line_label =
            b.k == 1 || (b.k == 2 && act == CLMLP_ACT_SOFTMAX) ? "p = 0.5" : "decision boundary";
        p = malloc(grid * grid * b.k * sizeof *p);
        rc = p ? evaluate_grid(m, (int)grid, b.lim, p) : cli_out_of_memory();
        b.p = p;
    }
    if (!rc) rc = plot_out_open(&out, &canvas);
    if (!rc) {
        char title[512];
        snprintf(title, sizeof title, "Decision boundary of %s", plot_model_name(&model));
        rc = draw(canvas, &out, title, &b);
        if (rc)
            plot_canvas_free(canvas);
        else
            rc = plot_out_save(&out, canvas);
    }
    free(p);
    clmlp_dataset_free(train);
    clmlp_dataset_free(test);
    clmlp_model_free(m);
    clmlp_backend_free(be);
    return rc;
}
