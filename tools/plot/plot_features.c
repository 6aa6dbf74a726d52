/* clmlp plot features: what a layer makes of the data, one point per row
 * coloured by its class.  A layer of two units is drawn as it is (unit 1
 * against unit 2: for XOR the hidden layer makes the classes separable by
 * a line); a wider one through its first two principal components. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_data.h"
#include "cli_model.h"
#include "plot/boundary_layout.h"
#include "plot/pca.h"
#include "plot/plot.h"

#define CMD "plot features"
#define MAX_LEGEND 24

enum { OPT_LAYER = OPT_PLOT_LOCAL };

static const struct option long_options[] = {
    PLOT_OUT_LONGOPTS,
    PLOT_MODEL_LONGOPTS,
    {"layer", required_argument, NULL, OPT_LAYER},
    {"data", required_argument, NULL, OPT_DATA},
    CLI_CSV_LONGOPTS,
    CLI_NUMPY_LONGOPTS,
    CLI_DATASET_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp plot features (--model FILE | --weights FILE) --layer N\n"
           "         (--dataset NAME | --data CSV) -o FILE [options]\n"
           "Draws layer N's activations for every row, coloured by the row's class:\n"
           "unit 1 against unit 2 for a layer of 2 units, the first two principal\n"
           "components (with the share of the variance each explains) for a wider one.\n"
           "A named data set's test set is drawn, as predict draws on it.\n\n" PLOT_OUT_HELP
           "                        (default: 760x620)\n" PLOT_MODEL_HELP
           "  --layer N             the layer, 0-based as in predict --dump-layer (the\n"
           "                        last layer is the output) (required)\n"
           "  --data CSV            the rows, with a class label each\n" CLI_CSV_HELP CLI_NUMPY_HELP
               CLI_NUMPY_LABELS_HELP CLI_DATASET_HELP "  -h, --help            this help\n");
}

/* The smallest and largest of n values at v[0], v[stride], ... */
static void extent(const double *v, size_t n, size_t stride, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double x = v[i * stride];
        if (!isfinite(x)) continue;
        if (x < *lo) *lo = x;
        if (x > *hi) *hi = x;
    }
    if (*lo > *hi) *lo = *hi = 0;
}

/* Layer `layer`'s activations for ds's rows, chunk by chunk: out holds
 * ds->n x units floats.  CLI_OK or CLI_RUNTIME after the message. */
static int layer_outputs(clmlp_model_t *m, size_t layer, size_t units, const clmlp_dataset_t *ds,
                         float *out)
{
    for (size_t start = 0; start < ds->n; start += CLI_PREDICT_CHUNK) {
        size_t rows = ds->n - start < CLI_PREDICT_CHUNK ? ds->n - start : CLI_PREDICT_CHUNK;
        if (clmlp_model_layer_output(m, layer, ds->x + start * ds->n_features, rows,
                                     out + start * units) < 0)
            return cli_runtime_error();
    }
    return CLI_OK;
}

/* CLI_OK when every activation is finite, else CLI_RUNTIME after saying
 * how many rows are not (a point at infinity has no place in the picture,
 * and one would leave the principal components undefined). */
static int check_finite(const float *act, size_t n, size_t units, size_t layer, const char *path)
{
    size_t bad = 0, first = 0;
    for (size_t i = 0; i < n; i++) {
        int ok = 1;
        for (size_t j = 0; j < units; j++) ok &= isfinite(act[i * units + j]) != 0;
        if (!ok && bad++ == 0) first = i;
    }
    if (bad == 0) return CLI_OK;
    fprintf(stderr,
            "clmlp %s: layer %zu of the model in %s gives activations that are not "
            "finite for %zu of %zu rows (the first: row %zu); nothing drawn\n",
            CMD, layer, path, bad, n, first);
    return CLI_RUNTIME;
}

/* The points to draw (xy: n pairs): the two units as they are, or the
 * rows projected on their first two principal components, whose shares
 * of the variance go into the axis labels.  CLI_OK or CLI_RUNTIME. */
static int coordinates(const float *act, size_t n, size_t units, double *xy, char *xlabel,
                       char *ylabel, size_t cap)
{
    if (units == 2) {
        for (size_t i = 0; i < 2 * n; i++) xy[i] = act[i];
        snprintf(xlabel, cap, "unit 1");
        snprintf(ylabel, cap, "unit 2");
        return CLI_OK;
    }
    plot_pca pca;
    if (plot_pca_fit(&pca, act, n, units) < 0) return cli_runtime_error();
    for (size_t i = 0; i < n; i++) plot_pca_project(&pca, act + i * units, xy + 2 * i);
    snprintf(xlabel, cap, "principal component 1 (%.0f%% of variance)", 100 * pca.fraction[0]);
    snprintf(ylabel, cap, "principal component 2 (%.0f%% of variance)", 100 * pca.fraction[1]);
    plot_pca_free(&pca);
    return CLI_OK;
}

/* Draws the scatter into c: each class's points in its colour, the legend
 * right of the frame.  xs, ys hold n doubles of scratch. */
static void draw(plot_canvas *c, const char *title, const double *xy, const clmlp_dataset_t *ds,
                 const char *xlabel, const char *ylabel, double *xs, double *ys)
{
    int w = plot_canvas_width(c), h = plot_canvas_height(c);
    double lo, hi, lim[4];
    extent(xy, ds->n, 2, &lo, &hi);
    plot_boundary_limits(lo, hi, &lim[0], &lim[1]);
    extent(xy + 1, ds->n, 2, &lo, &hi);
    plot_boundary_limits(lo, hi, &lim[2], &lim[3]);
    plot_axes a;
    plot_axes_init(&a, c, plot_boundary_panel(w, h), PLOT_BOUNDARY_ROOM, lim[0], lim[1], lim[2],
                   lim[3]);
    plot_axes_grid(&a);
    double radius = ds->n <= 20 ? 7.0 : ds->n <= 200 ? 5.0 : ds->n <= 600 ? 4.0 : 3.0;
    plot_legend_entry e[MAX_LEGEND];
    char labels[MAX_LEGEND][32];
    size_t n_legend = 0;
    for (size_t k = 0; k < ds->n_classes; k++) {
        size_t m = 0;
        for (size_t i = 0; i < ds->n; i++)
            if ((size_t)ds->labels[i] == k) {
                xs[m] = xy[2 * i];
                ys[m] = xy[2 * i + 1];
                m++;
            }
        if (m == 0) continue;
        plot_rgb col = plot_palette(k), edge = plot_darker(col, 0.35);
        plot_markers(&a, xs, ys, m, PLOT_CIRCLE, radius, col, edge);
        if (n_legend < MAX_LEGEND) {
            snprintf(labels[n_legend], sizeof labels[n_legend], "class %zu", k);
            e[n_legend] = (plot_legend_entry){
                .label = labels[n_legend], .col = col, .marker = PLOT_CIRCLE, .edge = edge};
            n_legend++;
        }
    }
    plot_axes_draw(&a, title, xlabel, ylabel);
    plot_legend(&a, e, n_legend, PLOT_LEGEND_RIGHT);
}

/* Runs `clmlp plot features`; returns the exit status. */
int plot_kind_features(int argc, char **argv)
{
    plot_out_args out;
    plot_model_args model;
    cli_data_args data;
    plot_out_defaults(&out, 760, 620);
    plot_model_defaults(&model);
    cli_data_defaults(&data);
    data.task = CLMLP_TASK_CLASSIFICATION; /* points coloured by class */
    size_t layer = 0;
    int layer_set = 0, c, rc = CLI_OK;
    while (rc == CLI_OK && (c = cli_getopt(CMD, argc, argv, "ho:", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return CLI_OK;
        case '?': return CLI_USAGE;
        case OPT_LAYER:
            layer_set = 1;
            rc = cli_parse_count(CMD, "--layer", optarg, 0, &layer);
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
    if (!layer_set) return cli_usage_error(CMD, "--layer N is required (0 is the first layer)");
    const cli_file inputs[] = {{"--model", model.model, 0},
                               {"--weights", model.weights, 0},
                               {"--data", data.data, 0},
                               {"--labels", data.labels_file, 0}};
    if ((rc = plot_out_check(CMD, &out, inputs, sizeof inputs / sizeof inputs[0]))) return rc;

    clmlp_backend_t *be = NULL;
    clmlp_model_t *m = NULL;
    clmlp_dataset_t *ds = NULL;
    float *act = NULL;
    double *xy = NULL, *xs = NULL, *ys = NULL;
    plot_canvas *canvas = NULL;
    size_t units = 0;
    const char *path = model.model ? model.model : model.weights;
    char xlabel[96], ylabel[96], title[512];
    rc = plot_model_open(CMD, &model, &be, &m);
    if (!rc && layer >= clmlp_model_n_layers(m))
        rc = cli_usage_error(CMD, "--layer %zu: the model in %s has layers 0 to %zu", layer, path,
                             clmlp_model_n_layers(m) - 1);
    if (!rc) {
        clmlp_act a;
        int bias;
        if (clmlp_model_layer(m, layer, &units, &a, &bias) < 0) rc = cli_runtime_error();
    }
    if (!rc && units < 2)
        rc = cli_usage_error(CMD,
                             "layer %zu of the model in %s has 1 unit; a picture of "
                             "features needs a layer of 2 or more units",
                             layer, path);
    if (!rc) rc = cli_data_load_eval(CMD, &data, 0, &ds);
    if (!rc) {
        char name[4200];
        rc = cli_model_check_data(CMD, m, path, ds, cli_data_name(&data, 2, name, sizeof name), 0);
        if (!rc && !ds->labels) rc = cli_usage_error(CMD, "%s has no class labels", name);
    }
    if (!rc) {
        act = malloc(ds->n * units * sizeof *act);
        xy = malloc(ds->n * 2 * sizeof *xy);
        xs = malloc(ds->n * sizeof *xs);
        ys = malloc(ds->n * sizeof *ys);
        rc = act && xy && xs && ys ? layer_outputs(m, layer, units, ds, act) : cli_out_of_memory();
    }
    if (!rc) rc = check_finite(act, ds->n, units, layer, path);
    if (!rc) rc = coordinates(act, ds->n, units, xy, xlabel, ylabel, sizeof xlabel);
    if (!rc) rc = plot_out_open(&out, &canvas);
    if (!rc) {
        if (units == 2)
            snprintf(title, sizeof title, "Layer %zu activations of %s", layer,
                     plot_model_name(&model));
        else
            snprintf(title, sizeof title, "Layer %zu activations of %s (PCA of %zu units)", layer,
                     plot_model_name(&model), units);
        draw(canvas, plot_out_title(&out, title), xy, ds, xlabel, ylabel, xs, ys);
        rc = plot_out_save(&out, canvas);
    }
    free(act);
    free(xy);
    free(xs);
    free(ys);
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
    clmlp_backend_free(be);
    return rc;
}
