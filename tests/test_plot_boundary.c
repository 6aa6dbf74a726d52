/* `clmlp plot boundary`, run as a separate process: a circle model trained
 * by the tool has its class-1 region in the middle of the frame, class 0
 * in the corners and the p = 0.5 line between; hand-built XOR and
 * three-class networks colour the regions around their points as their
 * weights say and draw the borders where the weights put them; models
 * and data without exactly 2 inputs, and bad options, exit 2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "picture/picture.h"
#include "plot/boundary_layout.h"
#include "support/testing.h"

/* The region image is scaled with nearest-neighbour sampling, so a
 * region's pixels are its colour exactly; 20 (of 441 between black and
 * white) only allows for rounding, and no other colour drawn comes that
 * close (the nearest, a class's marker colour, is over 100 away). */
#define REGION_TOL 20.0
/* The boundary is a black line of width 2 with antialiasing: its centre
 * pixels are black to within a few units.  60 admits them, and nothing
 * else drawn inside the frame is that dark (a darkened test marker, the
 * darkest, is 120 from black). */
#define LINE_TOL 60.0
/* The default size of the picture. */
#define W 760
#define H 620

/* The steep 2-2-1 XOR (OR and not AND) of tests/data/xor-steep.txt. */
#define XOR_WEIGHTS test_xor_steep_weights()

/* Three classes by softmax of (10 x1, 10 x2, 5): class 2 where both
 * inputs are below 0.5, else class 0 below the diagonal, class 1 above. */
static const char THREE_WEIGHTS[] = "input 2\n"
                                    "dense 3 softmax\n"
                                    "10 0 0\n"
                                    "0 10 0\n"
                                    "bias 0 0 5\n";
static const char THREE_POINTS[] = "x1,x2,label\n1,0,0\n0,1,1\n0,0,2\n";

static const char THREE_INPUTS[] = "input 3\n"
                                   "dense 1 sigmoid\n"
                                   "1\n1\n1\n"
                                   "bias 0\n";

/* The circle model, trained once by the first test that needs it. */
static const char *g_circle_model;

/* A path in the source tree, copied into buf: test_source_path returns
 * one static buffer, so two of its results in one command line would be
 * the same path. */
static const char *source(const char *rel, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", test_source_path(rel));
    return buf;
}

/* The frame of a W x H picture of this kind. */
static plot_rect frame_of(int w, int h)
{
    return plot_axes_frame(plot_boundary_panel(w, h), PLOT_BOUNDARY_ROOM);
}

/* Axes as the kind sets them up for points whose extent is [0,1] in both
 * inputs (XOR and the three-class points). */
static plot_axes unit_axes(int w, int h)
{
    double a, b;
    plot_boundary_limits(0.0, 1.0, &a, &b);
    plot_axes ax;
    plot_axes_init(&ax, NULL, plot_boundary_panel(w, h), PLOT_BOUNDARY_ROOM, a, b, a, b);
    return ax;
}

/* The square of half-side r pixels around (x,y). */
static plot_rect patch(double x, double y, double r)
{
    return (plot_rect){x - r, y - r, 2 * r, 2 * r};
}

/* The region colour of class k. */
static plot_rgb region(size_t k) { return plot_lighter(plot_palette(k), PLOT_BOUNDARY_FADE); }

/* Trains the circle model with the tool (once) and checks it learned the
 * circle; returns its path. */
static const char *circle_model(void)
{
    if (g_circle_model) return g_circle_model;
    const char *model = test_temp_path("circle.model");
    char train[4096], test[4096];
    /* Adam at 0.03 for 200 epochs learns the circle to about 98% test
     * accuracy in a fraction of a second; seed 1 makes it the same every
     * run. */
    int rc = test_run("train --train '%s' --test '%s' --layers 2,16:tanh,1:sigmoid "
                      "--loss binary_crossentropy --optimizer adam --lr 0.03 --epochs 200 "
                      "--batch-size 32 --seed 1 --backend cpu --save '%s'",
                      source("data/circle-train.csv", train, sizeof train),
                      source("data/circle-test.csv", test, sizeof test), model);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    const char *acc = strstr(test_out, "test accuracy");
    CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
    double a = strtod(acc + strlen("test accuracy"), NULL);
    if (!(a > 0.95)) printf("\n  circle model: test accuracy %g\n", a);
    CU_ASSERT(a > 0.95);
    g_circle_model = model;
    return model;
}

/* The circle set's model: class 1 (inside the circle around (0.5,0.5))
 * fills the frame's centre, class 0 its four corners, and the black
 * p = 0.5 line crosses the way from the centre to the corners. */
static void test_circle_regions(void)
{
    const char *model = circle_model();
    const char *png = test_temp_path("circle.png");
    TEST_EXPECT_RUN(0, NULL, "plot boundary --model '%s' --dataset circle --data-dir '%s' -o '%s'",
                    model, test_source_path("data"), png);
    int w = 0, h = 0;
    CU_ASSERT_EQUAL(test_png_size(png, &w, &h), 0);
    CU_ASSERT(w == W && h == H);
    test_picture pic;
    CU_ASSERT_EQUAL_FATAL(test_picture_load(png, &pic), 0);
    plot_rect f = frame_of(W, H);
    double cx = f.x + f.w / 2, cy = f.y + f.h / 2;
    /* The centre: the 1500 points' markers cover about a quarter of the
     * pixels there (radius 3 px, about 9 points per 30 x 30 px), so the
     * region shows in a majority of them, not all; no class-0 region and
     * no boundary line may appear so deep inside the circle. */
    plot_rect centre = patch(cx, cy, 15);
    double c1 = test_colour_fraction(&pic, centre, region(1), REGION_TOL);
    if (!(c1 > 0.5)) printf("\n  centre: class-1 region in %.2f of the pixels\n", c1);
    CU_ASSERT(c1 > 0.5);
    CU_ASSERT(test_colour_fraction(&pic, centre, region(0), REGION_TOL) == 0.0);
    CU_ASSERT(test_colour_fraction(&pic, centre, (plot_rgb){0, 0, 0}, LINE_TOL) == 0.0);
    /* The corners: 15 px squares starting 4 px inside the frame's 1 px
     * line, in the padding where no point lies (the padding is a tenth of
     * the extent, about 40 px here), so the class-0 region fills nearly
     * all of each. */
    const double in = 4 + 15, far_x = f.x + f.w - in, far_y = f.y + f.h - in;
    const double corner[4][2] = {
        {f.x + in, f.y + in}, {far_x, f.y + in}, {f.x + in, far_y}, {far_x, far_y}};
    int lines = 0;
    for (int k = 0; k < 4; k++) {
        double c0 = test_colour_fraction(&pic, patch(corner[k][0], corner[k][1], 15), region(0),
                                         REGION_TOL);
        if (!(c0 > 0.9)) printf("\n  corner %d: class-0 region in %.2f of the pixels\n", k, c0);
        CU_ASSERT(c0 > 0.9);
        /* Along the way from the centre to this corner, a pixel at a time. */
        int found = 0;
        for (double t = 0.05; t <= 0.95 && !found; t += 0.5 / f.w)
            found =
                test_colour_near(&pic, cx + t * (corner[k][0] - cx), cy + t * (corner[k][1] - cy),
                                 1, (plot_rgb){0, 0, 0}, LINE_TOL);
        lines += found;
    }
    /* The line is drawn under the points, so where a marker sits on it
     * the crossing is hidden; one diagonal of the four may be. */
    if (lines < 3) printf("\n  the boundary crosses only %d of the 4 diagonals\n", lines);
    CU_ASSERT(lines >= 3);
    test_picture_free(&pic);
}

/* The hand-built XOR network: class 1 around (0,1) and (1,0), class 0
 * around (0,0) and (1,1), and its p = 0.5 lines through (0.25,0.25) and
 * (0.75,0.75). */
static void test_xor_regions(void)
{
    const char *weights = XOR_WEIGHTS;
    const char *png = test_temp_path("xor.png");
    TEST_EXPECT_RUN(0, NULL, "plot boundary --weights '%s' --dataset xor --grid 120 -o '%s'",
                    weights, png);
    test_picture pic;
    CU_ASSERT_EQUAL_FATAL(test_picture_load(png, &pic), 0);
    CU_ASSERT(pic.w == W && pic.h == H);
    plot_axes a = unit_axes(W, H);
    /* Squares of +-0.07 around each point (about 30 px; the region is the
     * same for 0.35 around each), the marker (radius 7 px) covering a few
     * per cent of them. */
    const double pts[4][3] = {{0, 0, 0}, {0, 1, 1}, {1, 0, 1}, {1, 1, 0}};
    double r = plot_px(&a, 0.07) - plot_px(&a, 0.0);
    for (int i = 0; i < 4; i++) {
        plot_rect p = patch(plot_px(&a, pts[i][0]), plot_py(&a, pts[i][1]), r);
        size_t k = (size_t)pts[i][2];
        double mine = test_colour_fraction(&pic, p, region(k), REGION_TOL);
        if (!(mine > 0.9)) printf("\n  (%g,%g): its region in %.2f\n", pts[i][0], pts[i][1], mine);
        CU_ASSERT(mine > 0.9);
        CU_ASSERT(test_colour_fraction(&pic, p, region(1 - k), REGION_TOL) == 0.0);
    }
    CU_ASSERT(test_colour_near(&pic, plot_px(&a, 0.25), plot_py(&a, 0.25), 2, (plot_rgb){0, 0, 0},
                               LINE_TOL));
    CU_ASSERT(test_colour_near(&pic, plot_px(&a, 0.75), plot_py(&a, 0.75), 2, (plot_rgb){0, 0, 0},
                               LINE_TOL));
    /* XOR's test set is its training set: the points are drawn once, as
     * training points, so no darkened marker appears. */
    CU_ASSERT(!test_colour_near(&pic, plot_px(&a, 0), plot_py(&a, 1), 8,
                                plot_darker(plot_palette(1), PLOT_BOUNDARY_DARKEN), 10.0));
    CU_ASSERT(test_colour_near(&pic, plot_px(&a, 0), plot_py(&a, 1), 2, plot_palette(1), 10.0));
    test_picture_free(&pic);
}

/* Three softmax classes: each point's region in its class's colour, and
 * the borders between argmax regions (class 0 | class 1 on the diagonal
 * above 0.5, class 0 | class 2 at x1 = 0.5 below) drawn in black. */
static void test_three_classes(void)
{
    const char *weights = test_write_temp_text("three.txt", THREE_WEIGHTS);
    const char *csv = test_write_temp_text("three.csv", THREE_POINTS);
    const char *png = test_temp_path("three.png");
    TEST_EXPECT_RUN(0, NULL, "plot boundary --weights '%s' --data '%s' -o '%s'", weights, csv, png);
    test_picture pic;
    CU_ASSERT_EQUAL_FATAL(test_picture_load(png, &pic), 0);
    plot_axes a = unit_axes(W, H);
    const double pts[3][3] = {{1, 0, 0}, {0, 1, 1}, {0, 0, 2}};
    double r = plot_px(&a, 0.07) - plot_px(&a, 0.0);
    for (int i = 0; i < 3; i++) {
        plot_rect p = patch(plot_px(&a, pts[i][0]), plot_py(&a, pts[i][1]), r);
        double mine = test_colour_fraction(&pic, p, region((size_t)pts[i][2]), REGION_TOL);
        if (!(mine > 0.9)) printf("\n  (%g,%g): its region in %.2f\n", pts[i][0], pts[i][1], mine);
        CU_ASSERT(mine > 0.9);
    }
    const plot_rgb black = {0, 0, 0};
    CU_ASSERT(test_colour_near(&pic, plot_px(&a, 0.8), plot_py(&a, 0.8), 2, black, LINE_TOL));
    CU_ASSERT(test_colour_near(&pic, plot_px(&a, 0.5), plot_py(&a, 0.2), 2, black, LINE_TOL));
    CU_ASSERT(test_colour_near(&pic, plot_px(&a, 0.2), plot_py(&a, 0.5), 2, black, LINE_TOL));
    /* Inside a region, away from every border: no line. */
    CU_ASSERT(!test_colour_near(&pic, plot_px(&a, 0.9), plot_py(&a, 0.3), 4, black, LINE_TOL));
    test_picture_free(&pic);
}

/* A model or data of other than 2 inputs: exit 2, saying what it has. */
static void test_not_two_inputs(void)
{
    const char *three = test_write_temp_text("three-inputs.txt", THREE_INPUTS);
    const char *png = test_temp_path("no.png");
    char want[4300];
    snprintf(want, sizeof want,
             "boundary needs a model with exactly 2 inputs; the model in %s has 3", three);
    TEST_EXPECT_RUN(2, want, "plot boundary --weights '%s' --dataset xor -o '%s'", three, png);
    const char * xor = XOR_WEIGHTS;
    const char *csv = test_write_temp_text("three-features.csv", "a,b,c,label\n0,0,0,0\n1,1,1,1\n");
    snprintf(want, sizeof want, "boundary needs data with exactly 2 features per row; %s has 3",
             csv);
    TEST_EXPECT_RUN(2, want, "plot boundary --weights '%s' --data '%s' -o '%s'", xor, csv, png);
    /* A 2-feature training set with a 3-feature test set. */
    TEST_EXPECT_RUN(2, want, "plot boundary --weights '%s' --train '%s' --test '%s' -o '%s'", xor,
                    test_write_temp_text("two.csv", "0,0,0\n1,1,1\n"), csv, png);
    FILE *f = fopen(png, "rb");
    CU_ASSERT_PTR_NULL(f);
    if (f) fclose(f);
}

/* An SVG by its name, from --train and --test CSV files. */
static void test_svg(void)
{
    const char *model = circle_model();
    const char *svg = test_temp_path("circle.svg");
    char train[4096], test[4096];
    TEST_EXPECT_RUN(0, NULL,
                    "plot boundary --model '%s' --train '%s' --test '%s' --grid 50 "
                    "--title 'The circle' -o '%s'",
                    model, source("data/circle-train.csv", train, sizeof train),
                    source("data/circle-test.csv", test, sizeof test), svg);
    CU_ASSERT(test_is_svg(svg));
}

/* Bad options and missing inputs: exit 2 with what is wrong. */
static void test_usage_errors(void)
{
    const char * xor = XOR_WEIGHTS;
    const char *png = test_temp_path("bad.png");
    TEST_EXPECT_RUN(0, "--grid N", "plot boundary --help");
    TEST_EXPECT_RUN(2, "unknown option '--nosuch'",
                    "plot boundary --weights '%s' --dataset xor --nosuch -o '%s'", xor, png);
    TEST_EXPECT_RUN(2, "--grid must be",
                    "plot boundary --weights '%s' --dataset xor --grid 1 "
                    "-o '%s'",
                    xor, png);
    TEST_EXPECT_RUN(2, "--grid must be",
                    "plot boundary --weights '%s' --dataset xor --grid x "
                    "-o '%s'",
                    xor, png);
    TEST_EXPECT_RUN(2, "--model FILE or --weights FILE", "plot boundary --dataset xor -o '%s'",
                    png);
    TEST_EXPECT_RUN(2, "no data", "plot boundary --weights '%s' -o '%s'", xor, png);
    TEST_EXPECT_RUN(2, "-o FILE", "plot boundary --weights '%s' --dataset xor", xor);
    TEST_EXPECT_RUN(2, "not both",
                    "plot boundary --weights '%s' --dataset xor --data '%s' "
                    "-o '%s'",
                    xor, xor, png);
    TEST_EXPECT_RUN(2, "unexpected argument 'extra'",
                    "plot boundary --weights '%s' --dataset xor extra -o '%s'", xor, png);
    /* A label the single sigmoid output cannot give. */
    const char *labels3 = test_write_temp_text("labels3.csv", "0,0,0\n1,1,2\n");
    TEST_EXPECT_RUN(2, "single output unit", "plot boundary --weights '%s' --data '%s' -o '%s'",
                    xor, labels3, png);
}

int main(void)
{
    if (!test_temp_dir("plot-boundary")) return 1;
    static const test_case cases[] = {
        {"circle model: class 1 in the centre, class 0 in the corners", test_circle_regions},
        {"XOR weights: regions around the four points, lines between", test_xor_regions},
        {"three softmax classes: regions and the borders between", test_three_classes},
        {"models and data without 2 inputs exit 2", test_not_two_inputs},
        {"SVG by name, from --train and --test", test_svg},
        {"bad options exit 2", test_usage_errors},
        {NULL, NULL},
    };
    int rc = test_add_suite("clmlp plot boundary", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
