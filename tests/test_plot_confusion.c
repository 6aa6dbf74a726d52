/* Picture tests of `clmlp plot confusion` on a small set made here: 12 raw
 * idx images of 8x8 pixels, image i showing a bright square in quadrant
 * i % 4, and a weight file whose softmax model predicts that quadrant.
 * Rows 3 and 7 carry other labels (0 and 1), so the matrix is known:
 * row 0 {3,0,0,1}, row 1 {0,3,0,1}, row 2 {0,0,3,0}, row 3 {0,0,0,1}. */
#include <stdio.h>
#include <string.h>

#include "picture/picture.h"
#include "plot/plot_classify_layout.h"
#include "support/testing.h"

#define N_IMG 12
#define SIDE 8
#define K 4

static const char *g_images, *g_labels, *g_weights;

/* Image i's pattern class, and the label it carries. */
static int pattern(int i)
{
    return i % K;
}
static int label(int i)
{
    return i == 3 ? 0 : i == 7 ? 1 : pattern(i);
}

/* Writes, once and from inside a test (the helpers assert), the idx
 * files and the weight file into the scratch folder. */
static void make_data(void)
{
    if (g_images) return;
    static unsigned char img[16 + N_IMG * SIDE * SIDE], lab[8 + N_IMG];
    const unsigned char ih[16] = {0, 0, 8, 3, 0, 0, 0, N_IMG, 0, 0, 0, SIDE, 0, 0, 0, SIDE};
    const unsigned char lh[8] = {0, 0, 8, 1, 0, 0, 0, N_IMG};
    memcpy(img, ih, 16);
    memcpy(lab, lh, 8);
    for (int i = 0; i < N_IMG; i++) {
        int c = pattern(i);
        for (int r = 0; r < SIDE; r++)
            for (int q = 0; q < SIDE; q++) {
                int in = r / 4 == c / 2 && q / 4 == c % 2;
                img[16 + i * SIDE * SIDE + r * SIDE + q] = (unsigned char)(in ? 100 + 12 * i : 0);
            }
        lab[8 + i] = (unsigned char)label(i);
    }
    g_images = test_write_temp("img.idx", img, sizeof img);
    g_labels = test_write_temp("lab.idx", lab, sizeof lab);
    static char w[8192];
    size_t at = (size_t)snprintf(w, sizeof w, "input 64\ndense 4 softmax\n");
    for (int r = 0; r < SIDE; r++)
        for (int q = 0; q < SIDE; q++) {
            int c = (r / 4) * 2 + q / 4;
            for (int j = 0; j < K; j++)
                at += (size_t)snprintf(w + at, sizeof w - at, "%s%s", j == c ? "0.25" : "0",
                                       j == K - 1 ? "\n" : " ");
        }
    snprintf(w + at, sizeof w - at, "bias 0 0 0 0\n");
    g_weights = test_write_temp_text("w4.txt", w);
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
    for (int i = 0; i < N_IMG; i++) cm[label(i)][pattern(i)] += 1;
}

/* Counts: the colour of count n is blues(n / 3), the largest count 3. */
static void test_counts(void)
{
    make_data();
    const char *out = test_temp_path("counts.png");
    TEST_EXPECT_RUN(0, NULL, "plot confusion --images %s --labels %s --weights %s -o %s",
                    g_images, g_labels, g_weights, out);
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
    TEST_EXPECT_RUN(0, NULL, "plot confusion --images %s --labels %s --weights %s --normalize "
                    "-o %s", g_images, g_labels, g_weights, out);
    double cm[K][K];
    known_matrix(cm);
    for (int i = 0; i < K; i++) {
        double row = 0;
        for (int j = 0; j < K; j++) row += cm[i][j];
        for (int j = 0; j < K; j++) cm[i][j] /= row;
    }
    expect_matrix(out, cm, 1);
}

/* Errors: no model, an unknown option, a missing label file. */
static void test_errors(void)
{
    make_data();
    const char *out = test_temp_path("err.png");
    TEST_EXPECT_RUN(2, "--model", "plot confusion --images %s --labels %s -o %s", g_images,
                    g_labels, out);
    TEST_EXPECT_RUN(2, "--bogus", "plot confusion --images %s --labels %s --weights %s --bogus "
                    "-o %s", g_images, g_labels, g_weights, out);
    TEST_EXPECT_RUN(2, "--dataset", "plot confusion --dataset circle --weights %s -o %s",
                    g_weights, out);
    const char *missing = test_temp_path("no-such-labels.idx");
    TEST_EXPECT_RUN(1, "no-such-labels.idx", "plot confusion --images %s --labels %s --weights %s "
                    "-o %s", g_images, missing, g_weights, out);
}

int main(void)
{
    if (!test_temp_dir("plot-confusion")) return 1;
    static const test_case cases[] = {
        {"confusion: cell colours follow the counts", test_counts},
        {"confusion: --normalize colours by row fractions", test_normalized},
        {"confusion: errors and their exit statuses", test_errors},
        {NULL, NULL},
    };
    int rc = test_add_suite("plot_confusion", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
