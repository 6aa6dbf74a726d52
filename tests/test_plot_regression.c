/* `clmlp plot regression` on a model whose predictions are known: a weight
 * file computing y = 2 x + 1 (one linear unit), and rows whose targets
 * are off by known amounts.  The points must lie where the layout puts
 * them (plot_regression.c says where): (true, predicted) on the left,
 * (predicted, true - predicted) on the right. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "picture/picture.h"
#include "plot/canvas.h"
#include "support/testing.h"

/* How far (pixels) a marker's colour may be found from its centre, and how
 * far from plot_palette(0) it may be (8-bit RGB distance): the markers are
 * filled with it, so the centre is exact up to antialiasing. */
#define NEAR_PX 1
#define COLOUR_TOL 40.0

#define N 6
static const double k_x[N] = {0.0, 0.5, 1.0, 1.5, 2.0, 3.0};
/* Targets: the prediction 2x + 1 plus an error. */
static const double k_err[N] = {0.5, -0.25, 0.0, 1.0, -1.0, 0.25};

static const char *g_weights, *g_data;

/* Writes the weight file and the data on the first call. */
static void make_files(void)
{
    if (g_weights) return;
    g_weights = test_write_temp_text("line.txt", "input 1\ndense 1 linear\n2\nbias 1\n");
    char text[512];
    size_t n = (size_t)snprintf(text, sizeof text, "x,y\n");
    for (int i = 0; i < N; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%g,%g\n", k_x[i],
                              2 * k_x[i] + 1 + k_err[i]);
    g_data = test_write_temp_text("line.csv", text);
}

/* Panel p's axes over the limits the kind computes. */
static void panel(plot_axes *a, int w, int h, int p, double x0, double x1, double y0, double y1)
{
    double a0, a1, b0, b1;
    plot_nice_limits(x0, x1, &a0, &a1);
    plot_nice_limits(y0, y1, &b0, &b1);
    plot_axes_init(a, NULL, plot_panel_rect(w, h, 1, 2, 0, p, 1), 0, a0, a1, b0, b1);
}

static void test_points_where_the_layout_says(void)
{
    make_files();
    const char *png = test_temp_path("line.png");
    TEST_EXPECT_RUN(0, NULL, "plot regression --weights '%s' --data '%s' -o '%s'", g_weights,
                    g_data, png);
    test_picture p;
    CU_ASSERT_EQUAL_FATAL(test_picture_load(png, &p), 0);
    CU_ASSERT(p.w == 1000 && p.h == 460);
    double pred[N], truth[N], lo = INFINITY, hi = -INFINITY, p0 = INFINITY, p1 = -INFINITY;
    for (int i = 0; i < N; i++) {
        pred[i] = 2 * k_x[i] + 1;
        truth[i] = pred[i] + k_err[i];
        lo = fmin(lo, fmin(pred[i], truth[i]));
        hi = fmax(hi, fmax(pred[i], truth[i]));
        p0 = fmin(p0, pred[i]);
        p1 = fmax(p1, pred[i]);
    }
    plot_axes left, right;
    panel(&left, p.w, p.h, 0, lo, hi, lo, hi);
    panel(&right, p.w, p.h, 1, p0, p1, -1.0, 1.0); /* the largest |error| is 1 */
    for (int i = 0; i < N; i++) {
        int ok = test_colour_near(&p, plot_px(&left, truth[i]), plot_py(&left, pred[i]), NEAR_PX,
                                  plot_palette(0), COLOUR_TOL);
        if (!ok) fprintf(stderr, "\nrow %d: no point at (true, predicted)\n", i);
        CU_ASSERT(ok);
        ok = test_colour_near(&p, plot_px(&right, pred[i]), plot_py(&right, k_err[i]), NEAR_PX,
                              plot_palette(0), COLOUR_TOL);
        if (!ok) fprintf(stderr, "\nrow %d: no point at (predicted, residual)\n", i);
        CU_ASSERT(ok);
    }
    /* Away from the points the panels hold no point colour: the middle
     * of the left panel's upper left, far above the diagonal. */
    plot_rect empty = {plot_px(&left, lo) + 5, plot_py(&left, hi), 40, 40};
    CU_ASSERT_EQUAL(test_colour_fraction(&p, empty, plot_palette(0), COLOUR_TOL), 0.0);
    test_picture_free(&p);
}

/* What it refuses: a classifier, a target it lacks, no data, no model. */
static void test_errors(void)
{
    make_files();
    const char *png = test_temp_path("no.png");
    const char * xor = test_source_path("tests/data/model-v1-xor.bin");
    char model[4096];
    snprintf(model, sizeof model, "%s", xor);
    TEST_EXPECT_RUN(2, "is a classifier; plot regression draws a regression model's values",
                    "plot regression --model '%s' --data '%s' -o '%s'", model, g_data, png);
    TEST_EXPECT_RUN(2, "--target 1: ",
                    "plot regression --weights '%s' --data '%s' -o '%s' "
                    "--target 1",
                    g_weights, g_data, png);
    TEST_EXPECT_RUN(2, "--data FILE is required", "plot regression --weights '%s' -o '%s'",
                    g_weights, png);
    TEST_EXPECT_RUN(2, NULL, "plot regression --data '%s' -o '%s'", g_data, png);
    TEST_EXPECT_RUN(0, "regression", "plot --help");
}

int main(void)
{
    if (!test_temp_dir("plot-regression")) return 1;
    static const test_case cases[] = {
        {"points where the layout says", test_points_where_the_layout_says},
        {"errors", test_errors},
        {NULL, NULL},
    };
    int rc = test_add_suite("clmlp plot regression", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
