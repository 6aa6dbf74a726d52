/* clmlp plot regression: a regression model's predictions of one target on
 * a labelled set, in two panels as scikit-learn's PredictionErrorDisplay
 * draws them: predicted against true with the line y = x (a perfect model's
 * points lie on it), and the residuals (true - predicted) against the
 * prediction with the line y = 0.  The title gives the target's R^2 and
 * MAE, as eval computes them.
 *
 * Where things are, for tests that recompute it: panel p of 2 is
 * plot_panel_rect(w, h, 1, 2, 0, p, 1), its frame plot_axes_frame(panel,
 * 0).  The left panel's x and y both run over plot_nice_limits(lo, hi),
 * lo and hi the least and greatest of the true and predicted values; the
 * right panel's x over plot_nice_limits of the predictions, its y over
 * plot_nice_limits(-r, r), r the largest |residual| (1 when all are 0).
 * Points are plot_palette(0) circles. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_data.h"
#include "cli_model.h"
#include "plot/plot.h"

#define CMD "plot regression"

enum { OPT_TARGET = OPT_PLOT_LOCAL };

static const struct option long_options[] = {
    PLOT_OUT_LONGOPTS,
    PLOT_MODEL_LONGOPTS,
    {"target", required_argument, NULL, OPT_TARGET},
    {"data", required_argument, NULL, OPT_DATA},
    CLI_CSV_LONGOPTS,
    CLI_NUMPY_LONGOPTS,
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp plot regression (--model FILE | --weights FILE) --data FILE\n"
           "         -o FILE [options]\n"
           "Draws a regression model's predictions of one target on labelled data:\n"
           "predicted against true with the line y = x (left), and the residuals\n"
           "(true - predicted) against the prediction with y = 0 (right); the title\n"
           "gives R^2 and the mean absolute error.\n\n" PLOT_OUT_HELP
           "                        (default: 1000x460)\n" PLOT_MODEL_HELP
           "                        (a --weights model's outputs are taken for values)\n"
           "  --data FILE           the rows with their targets, as eval reads them\n" CLI_CSV_HELP
               CLI_NUMPY_HELP CLI_NUMPY_LABELS_HELP
           "  --target NAME|N       the target drawn, by name or number from 0\n"
           "                        (default: 0, the first)\n"
           "  -h, --help            this help\n");
}

/* The least and greatest of n values at v[0], v[stride], ... */
static void extent(const double *v, size_t n, size_t stride, double *lo, double *hi)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i * stride] < *lo) *lo = v[i * stride];
        if (v[i * stride] > *hi) *hi = v[i * stride];
    }
}

/* Draws a grey line from (x0, y0) to (x1, y1) in data units. */
static void guide(plot_axes *a, double x0, double y0, double x1, double y1)
{
    const double x[2] = {x0, x1}, y[2] = {y0, y1};
    plot_line(a, x, y, 2, (plot_rgb){0.35, 0.35, 0.35}, 1.5, PLOT_DASHED);
}

/* Draws both panels: truth[i] and pred[i] for n rows, xs and ys n doubles
 * of scratch. */
static void draw(plot_canvas *c, const char *title, const char *target, const double *truth,
                 const double *pred, size_t n, double *xs)
{
    int w = plot_canvas_width(c), h = plot_canvas_height(c);
    plot_suptitle(c, title);
    double radius = n <= 20 ? 6.0 : n <= 200 ? 4.0 : n <= 2000 ? 3.0 : 2.0;
    plot_rgb col = plot_palette(0), edge = plot_darker(col, 0.35);
    /* Left: predicted against true, one scale on both axes. */
    double lo = INFINITY, hi = -INFINITY, a0, a1;
    extent(truth, n, 1, &lo, &hi);
    extent(pred, n, 1, &lo, &hi);
    plot_nice_limits(lo, hi, &a0, &a1);
    plot_axes a;
    plot_axes_init(&a, c, plot_panel_rect(w, h, 1, 2, 0, 0, 1), 0, a0, a1, a0, a1);
    plot_axes_grid(&a);
    guide(&a, a0, a0, a1, a1);
    plot_markers(&a, truth, pred, n, PLOT_CIRCLE, radius, col, edge);
    char xl[300], yl[300];
    snprintf(xl, sizeof xl, "true %s", target);
    snprintf(yl, sizeof yl, "predicted %s", target);
    plot_axes_draw(&a, "Predicted against true", xl, yl);
    /* Right: residuals against the prediction, centred on 0. */
    double r = 0, p0 = INFINITY, p1 = -INFINITY, x0, x1, y0, y1;
    for (size_t i = 0; i < n; i++) {
        xs[i] = truth[i] - pred[i];
        if (fabs(xs[i]) > r) r = fabs(xs[i]);
    }
    if (!(r > 0)) r = 1;
    extent(pred, n, 1, &p0, &p1);
    plot_nice_limits(p0, p1, &x0, &x1);
    plot_nice_limits(-r, r, &y0, &y1);
    plot_axes_init(&a, c, plot_panel_rect(w, h, 1, 2, 0, 1, 1), 0, x0, x1, y0, y1);
    plot_axes_grid(&a);
    guide(&a, x0, 0, x1, 0);
    plot_markers(&a, pred, xs, n, PLOT_CIRCLE, radius, col, edge);
    snprintf(yl, sizeof yl, "residual (true - predicted)");
    snprintf(xl, sizeof xl, "predicted %s", target);
    plot_axes_draw(&a, "Residuals", xl, yl);
}

/* Which target --target names (a name of the model's, or a number below
 * k); CLI_OK or a usage error. */
static int pick_target(const clmlp_model_t *m, const char *arg, const char *path, size_t *out)
{
    size_t k = clmlp_model_n_outputs(m), n_names = 0;
    const char *const *names = clmlp_model_target_names(m, &n_names);
    *out = 0;
    if (!arg) return CLI_OK;
    for (size_t j = 0; j < n_names; j++)
        if (strcmp(names[j], arg) == 0) {
            *out = j;
            return CLI_OK;
        }
    char *end;
    unsigned long v = strtoul(arg, &end, 10);
    if (*arg && !*end && v < k) {
        *out = (size_t)v;
        return CLI_OK;
    }
    return cli_usage_error(CMD, "--target %s: the model in %s has %zu target%s (0 to %zu%s)", arg,
                           path, k, k == 1 ? "" : "s", k - 1, n_names ? ", or by name" : "");
}

/* Loads the data for m, predicts and scores it (*r, per target as eval
 * scores it), and copies target j's true and predicted values into truth
 * and pred (n doubles each, the caller frees them).  CLI_OK or an exit
 * status after the message. */
static int predict_target(clmlp_model_t *m, const cli_data_args *data, const char *path, size_t j,
                          clmlp_dataset_t **ds, clmlp_regression_report_t **r, double **truth,
                          double **pred)
{
    char name[4200];
    int rc = cli_data_load_for_model(CMD, data, 0, m, ds);
    if (!rc)
        rc = cli_model_check_data(CMD, m, path, *ds, cli_data_name(data, 2, name, sizeof name), 1);
    float *all = NULL;
    if (!rc) rc = cli_regression_scores(m, *ds, r, &all);
    if (rc) return rc;
    size_t k = clmlp_model_n_outputs(m), n = (*ds)->n;
    *truth = malloc(n * sizeof **truth);
    *pred = malloc(n * sizeof **pred);
    if (!*truth || !*pred) rc = cli_out_of_memory();
    for (size_t i = 0; !rc && i < n; i++) {
        (*pred)[i] = all[i * k + j];
        (*truth)[i] = (*ds)->targets[i * k + j];
    }
    free(all);
    return rc;
}

/* Runs `clmlp plot regression`; returns the exit status. */
int plot_kind_regression(int argc, char **argv)
{
    plot_out_args out;
    plot_model_args model;
    cli_data_args data;
    plot_out_defaults(&out, 1000, 460);
    plot_model_defaults(&model);
    cli_data_defaults(&data);
    const char *target_arg = NULL;
    int c, rc = CLI_OK;
    while (rc == CLI_OK && (c = cli_getopt(CMD, argc, argv, "ho:", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return CLI_OK;
        case '?': return CLI_USAGE;
        case OPT_TARGET: target_arg = optarg; break;
        default:
            rc = cli_data_is_option(c) ? cli_data_option(CMD, &data, c, optarg)
                                       : plot_model_out_option(CMD, &model, &out, c, optarg);
            break;
        }
    }
    if (rc) return rc;
    if ((rc = cli_no_operands(CMD, argc, argv))) return rc;
    if ((rc = plot_model_require(CMD, &model))) return rc;
    if (!data.data) return cli_usage_error(CMD, "--data FILE is required: the rows to predict");
    const cli_file inputs[] = {{"--model", model.model, 0},
                               {"--weights", model.weights, 0},
                               {"--data", data.data, 0},
                               {"--labels", data.labels_file, 0}};
    if ((rc = plot_out_check(CMD, &out, inputs, sizeof inputs / sizeof inputs[0]))) return rc;

    clmlp_backend_t *be = NULL;
    clmlp_model_t *m = NULL;
    clmlp_dataset_t *ds = NULL;
    double *truth = NULL, *pred = NULL, *xs = NULL;
    size_t j = 0;
    const char *path = model.model ? model.model : model.weights;
    rc = plot_model_open(CMD, &model, &be, &m);
    /* A weight text file holds no task: its outputs are taken for values. */
    if (!rc && model.weights && clmlp_model_set_task(m, CLMLP_TASK_REGRESSION) < 0)
        rc = cli_runtime_error();
    if (!rc && clmlp_model_task(m) != CLMLP_TASK_REGRESSION)
        rc = cli_usage_error(CMD,
                             "the model in %s is a classifier; plot regression draws a "
                             "regression model's values (plot confusion draws a classifier's "
                             "classes)",
                             path);
    if (!rc) rc = pick_target(m, target_arg, path, &j);
    clmlp_regression_report_t *r = NULL;
    if (!rc) rc = predict_target(m, &data, path, j, &ds, &r, &truth, &pred);
    if (!rc && !(xs = malloc(ds->n * sizeof *xs))) rc = cli_out_of_memory();
    if (!rc) {
        size_t n_names = 0;
        const char *const *names = clmlp_model_target_names(m, &n_names);
        char target[200], title[600];
        if (names)
            snprintf(target, sizeof target, "%s", names[j]);
        else
            snprintf(target, sizeof target, "t%zu", j);
        snprintf(title, sizeof title, "%s: %s (R\xc2\xb2 %.3f, MAE %.4g, %zu rows)",
                 plot_model_name(&model), target, r->targets[j].r2, r->targets[j].mae, ds->n);
        plot_canvas *canvas = NULL;
        rc = plot_out_open(&out, &canvas);
        if (!rc) {
            draw(canvas, plot_out_title(&out, title), target, truth, pred, ds->n, xs);
            rc = plot_out_save(&out, canvas);
        }
    }
    clmlp_regression_report_free(r);
    free(truth);
    free(pred);
    free(xs);
    clmlp_dataset_free(ds);
    clmlp_model_free(m);
    clmlp_backend_free(be);
    return rc;
}
