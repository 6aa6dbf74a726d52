/* clmlp plot history: learning curves -- loss and accuracy per epoch (a
 * regression's mean absolute error in accuracy's place), the training
 * figures as solid lines and the validation ones dashed, one colour per
 * run -- from history files as train --history writes them or as Keras
 * users have them (clmlp_history_read takes both).  train --plot-history
 * draws through plot_history_draw, so both pictures agree.
 *
 * Where things are, for tests that recompute it: panel p of np (loss
 * first, then accuracy or mae) is plot_panel_rect(w, h, 1, np, 0, p, 1) and its
 * frame plot_axes_frame(panel, 0); x runs over plot_nice_limits(first,
 * last) of the epochs of all runs; y over plot_nice_limits(lo, hi) where lo
 * and hi are the least and greatest finite values drawn in that panel
 * (train and validation of every run). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

#define CMD "plot history"
/* Runs in one picture: tab10 has 10 colours, and a legend of more is a
 * wall of text. */
#define MAX_RUNS 10
/* Markers on the points up to this many epochs in a run; past it they
 * would merge into a thick line. */
#define MARKERS_UP_TO 30
#define LINE_WIDTH 2.0
#define MARKER_RADIUS 3.5

enum { OPT_METRIC = OPT_PLOT_LOCAL, OPT_LABEL };

/* What --metric asks for: the second panel is the score, accuracy or mae. */
typedef enum { METRIC_BOTH, METRIC_LOSS, METRIC_ACCURACY, METRIC_MAE } metric_choice;

static const struct option long_options[] = {
    PLOT_OUT_LONGOPTS,
    {"metric", required_argument, NULL, OPT_METRIC},
    {"label", required_argument, NULL, OPT_LABEL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp plot history H.csv [H2.json ...] -o FILE [options]\n"
           "Draws learning curves: loss (left) and accuracy (right) per epoch, training\n"
           "solid and validation dashed, one colour per history file; a regression's\n"
           "mean absolute error (mae) takes accuracy's place when no file has\n"
           "accuracy.  A file is what\n"
           "train --history writes (CSV, or JSON), a Keras CSVLogger file or Keras's\n"
           "json.dump(history.history); up to %d files.\n\n" PLOT_OUT_HELP
           "                        (default: 1000x420, or 620x420 for one panel)\n"
           "  --metric loss|accuracy|mae|both  the panels drawn (default: both; only\n"
           "                        loss when no file has accuracy or mae)\n"
           "  --label NAME          the name of a run in the legend, once per file in\n"
           "                        order (default: the file name without folder and\n"
           "                        extension)\n"
           "  -h, --help            this help\n",
           MAX_RUNS);
}

/* Whether the score panel shows the mean absolute error: set by
 * draw_histories when no run has accuracy and one has mae. */
static int g_score_mae;

/* The values of one series of history h: loss (which 0), the score (1:
 * accuracy, or mae), val_loss (2) or the validation score (3). */
static double series_value(const clmlp_epoch_stats *s, int which)
{
    switch (which) {
    case 0: return s->loss;
    case 1: return g_score_mae ? s->mae : s->accuracy;
    case 2: return s->val_loss;
    default: return g_score_mae ? s->val_mae : s->val_accuracy;
    }
}

/* Whether series `which` of h has a finite value to draw. */
static int series_present(const clmlp_history_t *h, int which)
{
    for (size_t i = 0; i < h->n; i++)
        if (isfinite(series_value(&h->epochs[i], which))) return 1;
    return 0;
}

/* Whether any of n histories has a finite accuracy (mae 0) or mae (1). */
static int any_score(const clmlp_history_t *const *h, size_t n, int mae)
{
    int was = g_score_mae, any = 0;
    g_score_mae = mae;
    for (size_t r = 0; r < n; r++) any |= series_present(h[r], 1) | series_present(h[r], 3);
    g_score_mae = was;
    return any;
}

/* Draws one panel: metric 0 (loss) or 1 (accuracy), train series `metric`
 * and validation series `metric + 2` of every run, sharing x limits x0..x1. */
static int draw_panel(plot_canvas *c, int p, int np, int metric, const clmlp_history_t *const *h,
                      const char *const *names, size_t n, double x0, double x1)
{
    int w = plot_canvas_width(c), ht = plot_canvas_height(c);
    /* y limits: the nice limits around every finite value drawn here. */
    double lo = INFINITY, hi = -INFINITY;
    size_t n_series = 0, most = 0;
    for (size_t r = 0; r < n; r++) {
        for (int k = 0; k < 2; k++) {
            int which = metric + 2 * k;
            n_series += (size_t)series_present(h[r], which);
            for (size_t i = 0; i < h[r]->n; i++) {
                double v = series_value(&h[r]->epochs[i], which);
                if (!isfinite(v)) continue;
                if (v < lo) lo = v;
                if (v > hi) hi = v;
            }
        }
        if (h[r]->n > most) most = h[r]->n;
    }
    double y0, y1;
    plot_nice_limits(lo, hi, &y0, &y1);
    plot_axes a;
    plot_axes_init(&a, c, plot_panel_rect(w, ht, 1, np, 0, p, 1), 0, x0, x1, y0, y1);
    a.integer_x = 1;
    plot_axes_grid(&a);

    double *x = malloc(most * sizeof *x), *y = malloc(most * sizeof *y);
    plot_legend_entry *legend = calloc(2 * n, sizeof *legend);
    char(*labels)[160] = calloc(2 * n, sizeof *labels);
    if (!x || !y || !legend || !labels) {
        free(x);
        free(y);
        free(legend);
        free(labels);
        return cli_out_of_memory();
    }
    size_t nl = 0;
    for (size_t r = 0; r < n; r++) {
        const plot_rgb col = plot_palette(r);
        const int markers = h[r]->n <= MARKERS_UP_TO;
        /* Validation first, so the training line (the one a reader follows
         * first) lies on top where they cross. */
        for (int k = 1; k >= 0; k--) {
            int which = metric + 2 * k;
            if (!series_present(h[r], which)) continue;
            for (size_t i = 0; i < h[r]->n; i++) {
                x[i] = (double)h[r]->epochs[i].epoch;
                y[i] = series_value(&h[r]->epochs[i], which);
            }
            plot_dash dash = k ? PLOT_DASHED : PLOT_SOLID;
            /* Validation markers hollow-looking (a light fill), so the two
             * series stay apart where the lines meet. */
            plot_rgb fill = k ? plot_lighter(col, 0.75) : col;
            plot_line(&a, x, y, h[r]->n, col, LINE_WIDTH, dash);
            if (markers) plot_markers(&a, x, y, h[r]->n, PLOT_CIRCLE, MARKER_RADIUS, fill, col);
        }
        for (int k = 0; k < 2; k++) {
            if (!series_present(h[r], metric + 2 * k)) continue;
            const char *what = k ? "validation" : "train";
            if (n > 1)
                snprintf(labels[nl], sizeof labels[nl], "%s %s", names[r], what);
            else
                snprintf(labels[nl], sizeof labels[nl], "%s", what);
            /* A line sample alone: solid or dashed tells the series apart. */
            legend[nl] = (plot_legend_entry){
                .label = labels[nl], .col = col, .line = 1, .dash = k ? PLOT_DASHED : PLOT_SOLID};
            nl++;
        }
    }
    const char *title = !metric ? "Loss" : g_score_mae ? "Mean absolute error" : "Accuracy";
    plot_axes_draw(&a, title, "epoch", !metric ? "loss" : g_score_mae ? "mae" : "accuracy");
    /* Loss and mae mostly fall, so their upper right is free; accuracy
     * rises. */
    int rises = metric && !g_score_mae;
    if (n_series > 1)
        plot_legend(&a, legend, nl, rises ? PLOT_LEGEND_LOWER_RIGHT : PLOT_LEGEND_UPPER_RIGHT);
    free(x);
    free(y);
    free(legend);
    free(labels);
    return CLI_OK;
}

/* The panels drawn for histories h: 1 = loss, 2 = the score, 3 = both
 * (bits); both falls back to loss when no run has a score. */
static unsigned panels_for(const clmlp_history_t *const *h, size_t n, metric_choice m)
{
    if (m == METRIC_LOSS) return 1;
    if (m == METRIC_ACCURACY || m == METRIC_MAE) return 2;
    return any_score(h, n, 0) || any_score(h, n, 1) ? 3 : 1;
}

/* Draws with a choice of metric; see plot_history_draw. */
static int draw_histories(const clmlp_history_t *const *h, const char *const *names, size_t n,
                          const plot_out_args *a, metric_choice m)
{
    if (n == 0) {
        fprintf(stderr, "clmlp %s: no history to draw\n", CMD);
        return CLI_RUNTIME;
    }
    g_score_mae =
        m == METRIC_MAE || (m != METRIC_ACCURACY && !any_score(h, n, 0) && any_score(h, n, 1));
    unsigned panels = panels_for(h, n, m);
    int np = panels == 3 ? 2 : 1;
    int anything = 0;
    for (size_t r = 0; r < n; r++)
        for (int metric = 0; metric < 2; metric++)
            if (panels & (1u << metric))
                anything |= series_present(h[r], metric) | series_present(h[r], metric + 2);
    if (!anything) {
        fprintf(stderr,
                "clmlp %s: every value the picture would show is missing (empty, NA "
                "or null) in the history\n",
                CMD);
        return CLI_RUNTIME;
    }
    double x0 = INFINITY, x1 = -INFINITY;
    for (size_t r = 0; r < n; r++) {
        if (h[r]->n == 0) continue;
        if ((double)h[r]->epochs[0].epoch < x0) x0 = (double)h[r]->epochs[0].epoch;
        if ((double)h[r]->epochs[h[r]->n - 1].epoch > x1)
            x1 = (double)h[r]->epochs[h[r]->n - 1].epoch;
    }
    if (!(x0 <= x1)) {
        fprintf(stderr, "clmlp %s: the histories hold no epochs\n", CMD);
        return CLI_RUNTIME;
    }
    /* Padded like y, so the first and last markers are not cut by the frame. */
    plot_nice_limits(x0, x1, &x0, &x1);
    plot_out_args out = *a;
    /* A size of 0 picks the default for the panels drawn. */
    if (out.width <= 0 || out.height <= 0) {
        out.width = np == 2 ? 1000 : 620;
        out.height = 420;
    }
    plot_canvas *c = NULL;
    int rc = plot_out_open(&out, &c);
    if (rc) return rc;
    plot_suptitle(c, plot_out_title(&out, "Learning curves"));
    int p = 0;
    for (int metric = 0; metric < 2 && !rc; metric++)
        if (panels & (1u << metric)) rc = draw_panel(c, p++, np, metric, h, names, n, x0, x1);
    if (rc) {
        plot_canvas_free(c);
        return rc;
    }
    return plot_out_save(&out, c);
}

/* Draws the learning curves of n histories into a->output (a->width and
 * a->height of 0 pick the default size: 1000x420 for two panels, 620x420
 * for one); names label the runs when n > 1.  CLI_OK or CLI_RUNTIME after
 * the message. */
int plot_history_draw(const clmlp_history_t *const *h, const char *const *names, size_t n,
                      const plot_out_args *a)
{
    return draw_histories(h, names, n, a, METRIC_BOTH);
}

/* The run name of a file: its last part without the extension. */
static void run_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, cap, "%s", base);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) *dot = '\0';
}

/* Runs `clmlp plot history`; returns the exit status. */
int plot_kind_history(int argc, char **argv)
{
    plot_out_args out;
    plot_out_defaults(&out, 1000, 420);
    int size_given = 0;
    metric_choice metric = METRIC_BOTH;
    const char *labels[MAX_RUNS];
    size_t n_labels = 0;
    int c, rc = CLI_OK;
    while (rc == CLI_OK && (c = cli_getopt(CMD, argc, argv, "ho:", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return CLI_OK;
        case '?': return CLI_USAGE;
        case OPT_METRIC:
            if (strcmp(optarg, "loss") == 0)
                metric = METRIC_LOSS;
            else if (strcmp(optarg, "accuracy") == 0)
                metric = METRIC_ACCURACY;
            else if (strcmp(optarg, "mae") == 0)
                metric = METRIC_MAE;
            else if (strcmp(optarg, "both") == 0)
                metric = METRIC_BOTH;
            else
                rc = cli_usage_error(CMD, "--metric must be loss, accuracy, mae or both, got '%s'",
                                     optarg);
            break;
        case OPT_LABEL:
            if (n_labels == MAX_RUNS)
                rc = cli_usage_error(CMD, "at most %d --label, one per file", MAX_RUNS);
            else
                labels[n_labels++] = optarg;
            break;
        default:
            if (c == OPT_PLOT_SIZE) size_given = 1;
            rc = plot_out_option(CMD, &out, c, optarg);
            break;
        }
    }
    if (rc) return rc;
    size_t n = (size_t)(argc - optind);
    if (n == 0) return cli_usage_error(CMD, "name at least one history file, e.g. history.csv");
    if (n > MAX_RUNS) return cli_usage_error(CMD, "at most %d history files, got %zu", MAX_RUNS, n);
    if (n_labels && n_labels != n)
        return cli_usage_error(CMD, "give --label once per file: %zu label%s for %zu file%s",
                               n_labels, n_labels == 1 ? "" : "s", n, n == 1 ? "" : "s");
    cli_file inputs[MAX_RUNS];
    for (size_t i = 0; i < n; i++) inputs[i] = (cli_file){"a history", argv[optind + (int)i], 0};
    if ((rc = plot_out_check(CMD, &out, inputs, n))) return rc;

    clmlp_history_t *h[MAX_RUNS] = {0};
    char names[MAX_RUNS][128];
    const char *name_of[MAX_RUNS];
    for (size_t i = 0; i < n && !rc; i++) {
        if (clmlp_history_read(&h[i], argv[optind + (int)i]) < 0) rc = cli_runtime_error();
        run_name(argv[optind + (int)i], names[i], sizeof names[i]);
        name_of[i] = n_labels ? labels[i] : names[i];
    }
    int mae = metric == METRIC_MAE;
    if (!rc && (metric == METRIC_ACCURACY || mae) &&
        !any_score((const clmlp_history_t *const *)h, n, mae)) {
        fprintf(stderr, "clmlp %s: --metric %s: no file has %s column\n", CMD,
                mae ? "mae" : "accuracy", mae ? "a mae" : "an accuracy");
        rc = CLI_RUNTIME;
    }
    if (!rc) {
        if (!size_given) {
            out.width = 0;
            out.height = 0;
        }
        rc = draw_histories((const clmlp_history_t *const *)h, name_of, n, &out, metric);
    }
    for (size_t i = 0; i < n; i++) clmlp_history_free(h[i]);
    return rc;
}
