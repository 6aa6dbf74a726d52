/* The first two principal components (tools/plot/pca.c) on sets whose
 * answer is known, and `clmlp plot features` run as a separate process: a
 * hand-built XOR network's hidden layer puts the four points where its
 * weights send them, in their class colours, directly for 2 units and
 * through PCA for 3; a layer of 1 unit, a layer that does not exist and
 * bad options exit 2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "picture/picture.h"
#include "plot/boundary_layout.h"
#include "plot/pca.h"
#include "support/testing.h"

/* Markers are filled circles of radius 7 px with a 0.8 px edge: within 2 px
 * of the computed centre the fill colour is exact; 10 (of 441) allows for
 * the activations being computed in float by the tool and in double here
 * (far below a pixel) and for rounding. */
#define NEAR_PX 2
#define MARKER_TOL 10.0
#define W 760
#define H 620

/* The steep 2-2-1 XOR (OR and not AND) of tests/data/xor-steep.txt. */
#define XOR_WEIGHTS test_xor_steep_weights()

/* The same with a third hidden unit, sigmoid(3 x1 + x2 - 1), which the
 * output ignores.  Its activations' principal variances are apart (about
 * 69%, 28% and 3% of the whole), so the two axes are well defined: with
 * equal variances (as sigmoid(10 (x1 - x2)) gives) the second axis could
 * turn anywhere in their plane at a rounding difference. */
static const char XOR3_WEIGHTS[] = "input 2\n"
                                   "dense 3 sigmoid\n"
                                   "20 20 3\n"
                                   "20 20 1\n"
                                   "bias -10 -30 -1\n"
                                   "dense 1 sigmoid\n"
                                   "20\n"
                                   "-20\n"
                                   "0\n"
                                   "bias -10\n";

/* XOR's rows and labels as clmlp_dataset_xor has them. */
static const double XOR_X[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
static const int XOR_Y[4] = {0, 1, 1, 0};

static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

/* The hidden units of XOR3_WEIGHTS (the first two are XOR_WEIGHTS's). */
static void hidden(const double x[2], double h[3])
{
    h[0] = sigmoid(20 * x[0] + 20 * x[1] - 10);
    h[1] = sigmoid(20 * x[0] + 20 * x[1] - 30);
    h[2] = sigmoid(3 * x[0] + x[1] - 1);
}

/* Axes as the kind sets them up for the n points xy (pairs): each
 * coordinate's extent, padded. */
static plot_axes axes_for(const double *xy, size_t n)
{
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY}, lim[4];
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            lo[k] = fmin(lo[k], xy[2 * i + k]);
            hi[k] = fmax(hi[k], xy[2 * i + k]);
        }
    plot_boundary_limits(lo[0], hi[0], &lim[0], &lim[1]);
    plot_boundary_limits(lo[1], hi[1], &lim[2], &lim[3]);
    plot_axes a;
    plot_axes_init(&a, NULL, plot_boundary_panel(W, H), PLOT_BOUNDARY_ROOM, lim[0], lim[1], lim[2],
                   lim[3]);
    return a;
}

/* Whether each of the 4 XOR points has a marker of its class colour at
 * its place; prints the ones that do not. */
static int markers_at(const test_picture *pic, const double *xy)
{
    plot_axes a = axes_for(xy, 4);
    int ok = 1;
    for (int i = 0; i < 4; i++) {
        double px = plot_px(&a, xy[2 * i]), py = plot_py(&a, xy[2 * i + 1]);
        if (!test_colour_near(pic, px, py, NEAR_PX, plot_palette((size_t)XOR_Y[i]), MARKER_TOL)) {
            printf("\n  no class-%d marker at (%.1f,%.1f) for row %d", XOR_Y[i], px, py, i);
            ok = 0;
        }
    }
    return ok;
}

/* Points along (1,2,0) with a little noise: the first axis is (1,2,0)/sqrt5
 * and holds nearly all the variance. */
static void test_pca_line(void)
{
    enum { N = 201 };
    float x[N * 3];
    /* Noise of amplitude 1e-6, a fixed pattern that does not follow t. */
    for (int i = 0; i < N; i++) {
        double t = -1.0 + 2.0 * i / (N - 1);
        x[i * 3 + 0] = (float)(t + 1e-6 * sin(1.7 * i));
        x[i * 3 + 1] = (float)(2 * t + 1e-6 * cos(2.3 * i));
        x[i * 3 + 2] = (float)(1e-6 * sin(0.9 * i + 1));
    }
    plot_pca p;
    CU_ASSERT_EQUAL_FATAL(plot_pca_fit(&p, x, N, 3), CLMLP_OK);
    /* The axis tilts from the line by about the noise over the spread of
     * the points (1e-6 over a standard deviation of 1.3 along the line),
     * and the float inputs add rounding of 1.2e-7 relative (6e-8 absolute
     * at |t| <= 1, 2.4e-7 at 2t); 1e-6 bounds both with room. */
    const double s5 = sqrt(5.0);
    CU_ASSERT(fabs(p.axis[0][0] - 1 / s5) < 1e-6);
    CU_ASSERT(fabs(p.axis[0][1] - 2 / s5) < 1e-6);
    CU_ASSERT(fabs(p.axis[0][2]) < 1e-6);
    /* The variance off the line is the noise's, about 1e-12 of the whole. */
    CU_ASSERT(p.fraction[0] > 1 - 1e-9);
    CU_ASSERT(p.fraction[1] < 1e-9 && p.fraction[1] >= 0);
    /* The second axis is a unit vector orthogonal to the first. */
    double dot = 0, len = 0;
    for (int i = 0; i < 3; i++) {
        dot += p.axis[0][i] * p.axis[1][i];
        len += p.axis[1][i] * p.axis[1][i];
    }
    CU_ASSERT(fabs(dot) < 1e-9);
    CU_ASSERT(fabs(len - 1) < 1e-9);
    /* Projecting: the middle row (t = 0) sits at the mean, 0 on axis 1;
     * the last (t = 1) at sqrt5 along it. */
    double xy[2];
    plot_pca_project(&p, x + 3 * (N / 2), xy);
    CU_ASSERT(fabs(xy[0]) < 1e-5);
    plot_pca_project(&p, x + 3 * (N - 1), xy);
    CU_ASSERT(fabs(xy[0] - s5) < 1e-5);
    plot_pca_free(&p);
}

/* The 8 corners of a box of half-sides 3, 2, 1 around (1,1,1): axes x and
 * y in that order, variances 8*9/7 and 8*4/7 (sample covariance), shares
 * 9/14 and 4/14 of the total 8*14/7. */
static void test_pca_axis_aligned(void)
{
    float x[8 * 3];
    for (int i = 0; i < 8; i++) {
        x[i * 3 + 0] = (float)(1 + ((i & 1) ? 3 : -3));
        x[i * 3 + 1] = (float)(1 + ((i & 2) ? -2 : 2));
        x[i * 3 + 2] = (float)(1 + ((i & 4) ? 1 : -1));
    }
    plot_pca p;
    CU_ASSERT_EQUAL_FATAL(plot_pca_fit(&p, x, 8, 3), CLMLP_OK);
    /* Power iteration converges by 4/9 a step to a change below 1e-12:
     * the axes are right to about 1e-12, the variances (Rayleigh quotients,
     * quadratic in the error) to double rounding; 1e-9 is a wide margin. */
    const double want0[3] = {1, 0, 0}, want1[3] = {0, 1, 0};
    for (int i = 0; i < 3; i++) {
        CU_ASSERT(fabs(p.axis[0][i] - want0[i]) < 1e-9);
        CU_ASSERT(fabs(p.axis[1][i] - want1[i]) < 1e-9);
        CU_ASSERT(fabs(p.mean[i] - 1) < 1e-12);
    }
    CU_ASSERT(fabs(p.variance[0] - 72.0 / 7) < 1e-9);
    CU_ASSERT(fabs(p.variance[1] - 32.0 / 7) < 1e-9);
    CU_ASSERT(fabs(p.fraction[0] - 9.0 / 14) < 1e-9);
    CU_ASSERT(fabs(p.fraction[1] - 4.0 / 14) < 1e-9);
    double xy[2];
    plot_pca_project(&p, x, xy); /* row 0: (-3, 2, -1) from the mean */
    CU_ASSERT(fabs(xy[0] + 3) < 1e-9 && fabs(xy[1] - 2) < 1e-9);
    plot_pca_free(&p);
}

/* Degenerate sets: identical rows have no variance (shares 0, axes still
 * unit vectors), a single row likewise; too few values a row is refused. */
static void test_pca_degenerate(void)
{
    const float same[3 * 4] = {1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4};
    plot_pca p;
    CU_ASSERT_EQUAL_FATAL(plot_pca_fit(&p, same, 3, 4), CLMLP_OK);
    CU_ASSERT(p.fraction[0] == 0 && p.fraction[1] == 0);
    double len0 = 0, len1 = 0, dot = 0;
    for (int i = 0; i < 4; i++) {
        len0 += p.axis[0][i] * p.axis[0][i];
        len1 += p.axis[1][i] * p.axis[1][i];
        dot += p.axis[0][i] * p.axis[1][i];
    }
    CU_ASSERT(fabs(len0 - 1) < 1e-12 && fabs(len1 - 1) < 1e-12 && fabs(dot) < 1e-12);
    plot_pca_free(&p);
    CU_ASSERT_EQUAL_FATAL(plot_pca_fit(&p, same, 1, 4), CLMLP_OK);
    plot_pca_free(&p);
    /* Points on a line in the plane: the second axis has no variance. */
    const float line[4 * 2] = {0, 0, 1, 1, 2, 2, 3, 3};
    CU_ASSERT_EQUAL_FATAL(plot_pca_fit(&p, line, 4, 2), CLMLP_OK);
    CU_ASSERT(fabs(p.fraction[0] - 1) < 1e-12 && fabs(p.fraction[1]) < 1e-12);
    CU_ASSERT(fabs(p.axis[0][0] - sqrt(0.5)) < 1e-12 && fabs(p.axis[0][1] - sqrt(0.5)) < 1e-12);
    plot_pca_free(&p);
    CU_ASSERT(plot_pca_fit(&p, line, 4, 1) < 0);
}

/* Two hidden units: the four points at their activations, unit 1 against
 * unit 2 (the two class-1 rows share a place), in their class colours. */
static void test_two_units(void)
{
    const char *weights = XOR_WEIGHTS;
    const char *png = test_temp_path("xor-features.png");
    TEST_EXPECT_RUN(0, NULL, "plot features --weights '%s' --layer 0 --dataset xor -o '%s'",
                    weights, png);
    int w = 0, h = 0;
    CU_ASSERT_EQUAL(test_png_size(png, &w, &h), 0);
    CU_ASSERT(w == W && h == H);
    test_picture pic;
    CU_ASSERT_EQUAL_FATAL(test_picture_load(png, &pic), 0);
    double xy[8], h3[3];
    for (int i = 0; i < 4; i++) {
        hidden(XOR_X[i], h3);
        xy[2 * i] = h3[0];
        xy[2 * i + 1] = h3[1];
    }
    CU_ASSERT(markers_at(&pic, xy));
    /* The frame's centre, between the points, is empty. */
    plot_axes a = axes_for(xy, 4);
    plot_rect mid = {plot_px(&a, 0.4), plot_py(&a, 0.6), plot_px(&a, 0.6) - plot_px(&a, 0.4),
                     plot_py(&a, 0.4) - plot_py(&a, 0.6)};
    CU_ASSERT(test_colour_fraction(&pic, mid, plot_palette(0), 60) == 0.0);
    CU_ASSERT(test_colour_fraction(&pic, mid, plot_palette(1), 60) == 0.0);
    test_picture_free(&pic);
}

/* A data file of many classes is a data file of classes to a picture of
 * classes: 30 distinct whole-number labels (more than train's automatic
 * task takes without --task) draw, and are not refused. */
static void test_many_classes(void)
{
    char text[2048];
    size_t n = (size_t)snprintf(text, sizeof text, "x1,x2,label\n");
    for (int i = 0; i < 30; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%d,%d,%d\n", i % 2, (i / 2) % 2, i);
    const char *csv = test_write_temp_text("many.csv", text);
    const char *png = test_temp_path("many.png");
    TEST_EXPECT_RUN(0, NULL, "plot features --weights '%s' --layer 0 --data '%s' -o '%s'",
                    XOR_WEIGHTS, csv, png);
    int w = 0, h = 0;
    CU_ASSERT_EQUAL(test_png_size(png, &w, &h), 0);
}

/* Three hidden units: the points where the first two principal components
 * of their activations put them (computed here with the same PCA). */
static void test_three_units_pca(void)
{
    const char *weights = test_write_temp_text("xor3.txt", XOR3_WEIGHTS);
    const char *png = test_temp_path("xor3-features.png");
    TEST_EXPECT_RUN(0, NULL, "plot features --weights '%s' --layer 0 --dataset xor -o '%s'",
                    weights, png);
    test_picture pic;
    CU_ASSERT_EQUAL_FATAL(test_picture_load(png, &pic), 0);
    plot_rect f = plot_axes_frame(plot_boundary_panel(W, H), PLOT_BOUNDARY_ROOM);
    CU_ASSERT(test_colour_fraction(&pic, f, plot_palette(0), MARKER_TOL) > 0);
    CU_ASSERT(test_colour_fraction(&pic, f, plot_palette(1), MARKER_TOL) > 0);
    float act[4 * 3];
    double h3[3], xy[8];
    for (int i = 0; i < 4; i++) {
        hidden(XOR_X[i], h3);
        for (int k = 0; k < 3; k++) act[i * 3 + k] = (float)h3[k];
    }
    plot_pca p;
    CU_ASSERT_EQUAL_FATAL(plot_pca_fit(&p, act, 4, 3), CLMLP_OK);
    for (int i = 0; i < 4; i++) plot_pca_project(&p, act + i * 3, xy + 2 * i);
    plot_pca_free(&p);
    CU_ASSERT(markers_at(&pic, xy));
    test_picture_free(&pic);
    /* An SVG of the same. */
    const char *svg = test_temp_path("xor3-features.svg");
    TEST_EXPECT_RUN(0, NULL, "plot features --weights '%s' --layer 0 --dataset xor -o '%s'",
                    weights, svg);
    CU_ASSERT(test_is_svg(svg));
}

/* A layer of 1 unit, one past the last, and bad options: exit 2. */
static void test_usage_errors(void)
{
    const char *weights = XOR_WEIGHTS;
    const char *png = test_temp_path("bad.png");
    TEST_EXPECT_RUN(0, "--layer N", "plot features --help");
    TEST_EXPECT_RUN(2, "needs a layer of 2 or more units",
                    "plot features --weights '%s' --layer 1 --dataset xor -o '%s'", weights, png);
    TEST_EXPECT_RUN(2, "has layers 0 to 1",
                    "plot features --weights '%s' --layer 2 --dataset xor -o '%s'", weights, png);
    TEST_EXPECT_RUN(2, "--layer N is required",
                    "plot features --weights '%s' --dataset xor -o '%s'", weights, png);
    TEST_EXPECT_RUN(2, "--layer must be",
                    "plot features --weights '%s' --layer -1 --dataset xor -o '%s'", weights, png);
    TEST_EXPECT_RUN(2, "unknown option '--grid'",
                    "plot features --weights '%s' --layer 0 --dataset xor --grid 3 -o '%s'",
                    weights, png);
    TEST_EXPECT_RUN(2, "no data", "plot features --weights '%s' --layer 0 -o '%s'", weights, png);
    const char *csv = test_write_temp_text("three.csv", "0,0,0,0\n1,1,1,1\n");
    TEST_EXPECT_RUN(2, "features per row",
                    "plot features --weights '%s' --layer 0 --data '%s' -o '%s'", weights, csv,
                    png);
    /* Activations that overflow float32 (1e30 x 1e10) have no place in a
     * picture: exit 1 naming how many rows, nothing written. */
    const char *huge = test_write_temp_text("huge.txt", "input 2\ndense 3 linear\n"
                                                        "1e30 1e30 1e30\n1e30 1e30 1e30\n"
                                                        "bias 0 0 0\n");
    const char *rows = test_write_temp_text("rows.csv", "1e10,1e10,0\n1,1,1\n0,1,0\n");
    TEST_EXPECT_RUN(1, "not finite for 1 of 3 rows (the first: row 0)",
                    "plot features --weights '%s' --layer 0 --data '%s' -o '%s'", huge, rows, png);
    FILE *f = fopen(png, "rb");
    CU_ASSERT_PTR_NULL(f);
    if (f) fclose(f);
}

int main(void)
{
    if (!test_temp_dir("plot-features")) return 1;
    static const test_case cases[] = {
        {"PCA: points along a line", test_pca_line},
        {"PCA: an axis-aligned box", test_pca_axis_aligned},
        {"PCA: no variance, rank one, too narrow", test_pca_degenerate},
        {"features: 2 units drawn as they are", test_two_units},
        {"features: 3 units through PCA", test_three_units_pca},
        {"features: a file of many classes", test_many_classes},
        {"features: 1-unit and missing layers, bad options exit 2", test_usage_errors},
        {NULL, NULL},
    };
    int rc = test_add_suite("clmlp plot features", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
