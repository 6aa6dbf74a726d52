/* clmlp plot activation: activation functions beside their derivatives,
 * computed by the reference backend's own ops (clmlp_act_eval: the
 * functions every backend is checked against), not by a second copy of
 * the formulas. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

#define CMD "plot activation"
#define N_POINTS 601
#define MAX_ACTS 16

enum { OPT_RANGE = OPT_PLOT_LOCAL };

static const struct option long_options[] = {
    PLOT_OUT_LONGOPTS,
    {"range", required_argument, NULL, OPT_RANGE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp plot activation NAME[,NAME...] -o FILE [options]\n"
           "Draws activation functions (left) and their derivatives (right), as the\n"
           "backends compute them.  NAME: linear, sigmoid, tanh, relu, elu, selu,\n"
           "softplus, swish or step (softmax depends on a whole row, so it has no\n"
           "curve of one input).\n\n" PLOT_OUT_HELP "                        (default: 1000x420)\n"
           "  --range LO,HI         the inputs drawn (default: -5,5)\n"
           "  -h, --help            this help\n");
}

/* Parses "LO,HI" with LO < HI, both finite. */
static int parse_range(const char *s, double *lo, double *hi)
{
    char *end;
    *lo = strtod(s, &end);
    if (end == s || *end != ',') goto bad;
    const char *t = end + 1;
    *hi = strtod(t, &end);
    /* The backends compute in float32: both ends must be floats. */
    if (end == t || *end != '\0' || !(fabs(*lo) <= FLT_MAX) || !(fabs(*hi) <= FLT_MAX) ||
        !(*hi > *lo))
        goto bad;
    return CLI_OK;
bad:
    return cli_usage_error(CMD, "--range must be LO,HI with LO < HI, each within +-%g, got '%s'",
                           (double)FLT_MAX, s);
}

/* Adds the comma-separated names in s to acts; CLI_OK or CLI_USAGE. */
static int parse_names(const char *s, clmlp_act *acts, size_t *n)
{
    char buf[256];
    if (strlen(s) >= sizeof buf) return cli_usage_error(CMD, "activation list too long");
    strcpy(buf, s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        clmlp_act a;
        if (clmlp_act_parse(tok, &a) < 0)
            return cli_usage_error(CMD, "unknown activation '%s'", tok);
        if (a == CLMLP_ACT_SOFTMAX)
            return cli_usage_error(CMD, "softmax depends on a whole row of inputs, so it "
                                        "has no curve of one input");
        if (*n == MAX_ACTS) return cli_usage_error(CMD, "at most %d activations", MAX_ACTS);
        acts[(*n)++] = a;
    }
    return CLI_OK;
}

/* The smallest and largest finite values of v. */
static void extent(const double *v, size_t n, double *lo, double *hi)
{
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            if (v[i] < *lo) *lo = v[i];
            if (v[i] > *hi) *hi = v[i];
        }
}

/* Draws the two panels into c. */
static void draw(plot_canvas *c, const plot_out_args *out, const clmlp_act *acts, size_t n_acts,
                 const double *x, double lo, double hi, const double *f, const double *df)
{
    int w = plot_canvas_width(c), h = plot_canvas_height(c);
    plot_suptitle(c, plot_out_title(out, "Activation functions"));
    const double *ys[2] = {f, df};
    const char *titles[2] = {"f(x)", "f'(x)"};
    plot_legend_entry legend[MAX_ACTS];
    for (int p = 0; p < 2; p++) {
        double ylo = INFINITY, yhi = -INFINITY;
        extent(ys[p], n_acts * N_POINTS, &ylo, &yhi);
        double y0, y1;
        plot_nice_limits(ylo, yhi, &y0, &y1);
        plot_axes a;
        plot_axes_init(&a, c, plot_panel_rect(w, h, 1, 2, 0, p, 1), 0, lo, hi, y0, y1);
        plot_axes_grid(&a);
        for (size_t k = 0; k < n_acts; k++) {
            plot_line(&a, x, ys[p] + k * N_POINTS, N_POINTS, plot_palette(k), 2.0, PLOT_SOLID);
            legend[k] = (plot_legend_entry){
                .label = clmlp_act_name(acts[k]), .col = plot_palette(k), .line = 1};
        }
        plot_axes_draw(&a, titles[p], "x", p ? "f'(x)" : "f(x)");
        if (p == 0 && n_acts > 1) plot_legend(&a, legend, n_acts, PLOT_LEGEND_UPPER_LEFT);
    }
}

/* Runs `clmlp plot activation`; returns the exit status. */
int plot_kind_activation(int argc, char **argv)
{
    plot_out_args out;
    plot_out_defaults(&out, 1000, 420);
    double lo = -5, hi = 5;
    int c, rc = CLI_OK;
    while (rc == CLI_OK && (c = cli_getopt(CMD, argc, argv, "ho:", long_options)) != -1) {
        switch (c) {
        case 'h': usage(); return CLI_OK;
        case '?': return CLI_USAGE;
        case OPT_RANGE: rc = parse_range(optarg, &lo, &hi); break;
        default: rc = plot_out_option(CMD, &out, c, optarg); break;
        }
    }
    if (rc) return rc;
    clmlp_act acts[MAX_ACTS];
    size_t n_acts = 0;
    for (int i = optind; i < argc && !rc; i++) rc = parse_names(argv[i], acts, &n_acts);
    if (rc) return rc;
    if (n_acts == 0) return cli_usage_error(CMD, "name at least one activation, e.g. sigmoid,tanh");
    if ((rc = plot_out_check(CMD, &out, NULL, 0))) return rc;

    double *x = malloc(N_POINTS * sizeof *x);
    double *f = malloc(n_acts * N_POINTS * sizeof *f);
    double *df = malloc(n_acts * N_POINTS * sizeof *df);
    plot_canvas *canvas = NULL;
    if (!x || !f || !df) {
        rc = cli_out_of_memory();
    } else {
        for (size_t i = 0; i < N_POINTS; i++) x[i] = lo + (hi - lo) * (double)i / (N_POINTS - 1);
        for (size_t k = 0; k < n_acts && !rc; k++)
            if (clmlp_act_eval(acts[k], x, N_POINTS, f + k * N_POINTS, df + k * N_POINTS) < 0)
                rc = cli_runtime_error();
    }
    if (!rc) rc = plot_out_open(&out, &canvas);
    if (!rc) {
        draw(canvas, &out, acts, n_acts, x, lo, hi, f, df);
        rc = plot_out_save(&out, canvas);
    }
    free(x);
    free(f);
    free(df);
    return rc;
}
