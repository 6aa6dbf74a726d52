/* Picture tests of `clmlp plot confusion` on a small set made here: 12 raw
 * idx images of 8x8 pixels, image i showing a bright square in quadrant
 * i % 4, and a weight file whose softmax model predicts that quadrant.
 * Rows 3 and 7 carry other labels (0 and 1), so the matrix is known:
 * row 0 {3,0,0,1}, row 1 {0,3,0,1}, row 2 {0,0,3,0}, row 3 {0,0,0,1}. */
#include <stdio.h>
#include <string.h>

#include "picture/picture.h"
#include "picture/quadrants.h"
#include "plot/plot_classify_layout.h"
#include "support/testing.h"

#define N_IMG QUAD_N
#define SIDE QUAD_SIDE
#define K QUAD_K

static const char *g_images, *g_labels, *g_weights;

/* Writes, once and from inside a test (the helpers assert), the quadrant
 * set and its weight file into the scratch folder. */
static void make_data(void)
{
    if (g_images) return;
    const quad_files *f = quad_files_get();
    g_images = f->images;
    g_labels = f->labels;
    g_weights = f->weights;
}

/* Asserts that each cell of the picture's matrix has colour
 * plot_cmap_blues(value / top), sampled a fifth of a cell in from its top
 * left corner, away from the number in its centre; 3 is the rounding of
 * one byte in each channel. */
static void expect_matrix(const char *path, const double v[K][K], double top)
{
    test_picture pic;
    if (test_picture_load(path, &pic) != 0) {
        CU_FAIL("picture not readable");
        return;
    }
    CU_ASSERT(pic.w == 760 && pic.h == 700);
    plot_rect f = plot_confusion_frame(pic.w, pic.h, 0, 0);
    CU_ASSERT(f.w == f.h);
    double cell = f.w / K;
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            double x = f.x + (j + 0.2) * cell, y = f.y + (i + 0.2) * cell;
            plot_rgb want = plot_cmap_blues(v[i][j] / top);
            double d = test_colour_distance(test_pixel(&pic, (int)x, (int)y), want);
            if (d > 3) fprintf(stderr, "cell (%d,%d): distance %.1f\n", i, j, d);
            CU_ASSERT(d <= 3);
        }
    test_picture_free(&pic);
}

/* The expected matrix from the known predictions. */
static void known_matrix(double cm[K][K])
{
    memset(cm, 0, sizeof(double) * K * K);
    for (int i = 0; i < N_IMG; i++) cm[quad_label(i)][quad_pattern(i)] += 1;
}

/* Counts: the colour of count n is blues(n / 3), the largest count 3. */
static void test_counts(void)
{
    make_data();
    const char *out = test_temp_path("counts.png");
    TEST_EXPECT_RUN(0, NULL, "plot confusion --images %s --labels %s --weights %s -o %s", g_images,
                    g_labels, g_weights, out);
    double cm[K][K];
    known_matrix(cm);
    CU_ASSERT(cm[0][0] == 3 && cm[0][3] == 1 && cm[1][3] == 1 && cm[3][3] == 1);
    expect_matrix(out, cm, 3);
}

/* --normalize: each row's fractions, so row 3's single right answer is as
 * dark as a full row. */
static void test_normalized(void)
{
    make_data();
    const char *out = test_temp_path("norm.png");
    TEST_EXPECT_RUN(0, NULL,
                    "plot confusion --images %s --labels %s --weights %s --normalize "
                    "-o %s",
                    g_images, g_labels, g_weights, out);
    double cm[K][K];
    known_matrix(cm);
    for (int i = 0; i < K; i++) {
        double row = 0;
        for (int j = 0; j < K; j++) row += cm[i][j];
        for (int j = 0; j < K; j++) cm[i][j] /= row;
    }
    expect_matrix(out, cm, 1);
}

/* A CSV whose rows are no images (3 features) and whose labels are names:
 * confusion needs no --image-shape, and classes follow the names' byte
 * order ("no" 0, "yes" 1).  The model says "yes" exactly when a > 0.5, so
 * the matrix is no: [2 0], yes: [1 2] (the third "yes" row has a = 0). */
static void test_names_without_images(void)
{
    const char *csv = test_write_temp_text("yesno.csv", "a,b,c,label\n0,1,1,no\n1,0,0,yes\n"
                                                        "0,0,1,no\n1,1,1,yes\n0,1,0,yes\n");
    const char *w = test_write_temp_text("yesno.txt", "input 3\ndense 2 softmax\n"
                                                      "-10 10\n0 0\n0 0\nbias 5 -5\n");
    const char *out = test_temp_path("yesno.png");
    TEST_EXPECT_RUN(0, NULL, "plot confusion --data %s --weights %s -o %s", csv, w, out);
    test_picture pic;
    CU_ASSERT_EQUAL_FATAL(test_picture_load(out, &pic), 0);
    plot_rect f = plot_confusion_frame(pic.w, pic.h, 0, 0);
    const double want[2][2] = {{2, 0}, {1, 2}};
    double cell = f.w / 2;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            double x = f.x + (j + 0.2) * cell, y = f.y + (i + 0.2) * cell;
            double d = test_colour_distance(test_pixel(&pic, (int)x, (int)y),
                                            plot_cmap_blues(want[i][j] / 2));
            CU_ASSERT(d <= 3);
        }
    test_picture_free(&pic);
}

/* Errors: no model, an unknown option, a missing label file. */
static void test_errors(void)
{
    make_data();
    const char *out = test_temp_path("err.png");
    TEST_EXPECT_RUN(2, "--model", "plot confusion --images %s --labels %s -o %s", g_images,
                    g_labels, out);
    TEST_EXPECT_RUN(2, "--bogus",
                    "plot confusion --images %s --labels %s --weights %s --bogus "
                    "-o %s",
                    g_images, g_labels, g_weights, out);
    TEST_EXPECT_RUN(2, "--dataset", "plot confusion --dataset circle --weights %s -o %s", g_weights,
                    out);
    const char *missing = test_temp_path("no-such-labels.idx");
    TEST_EXPECT_RUN(1, "no-such-labels.idx",
                    "plot confusion --images %s --labels %s --weights %s "
                    "-o %s",
                    g_images, missing, g_weights, out);
}

int main(void)
{
    if (!test_temp_dir("plot-confusion")) return 1;
    static const test_case cases[] = {
        {"confusion: cell colours follow the counts", test_counts},
        {"confusion: --normalize colours by row fractions", test_normalized},
        {"confusion: class names, rows that are not images", test_names_without_images},
        {"confusion: errors and their exit statuses", test_errors},
        {NULL, NULL},
    };
    int rc = test_add_suite("plot_confusion", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
