/* Picture tests of `clmlp plot images` and `clmlp plot probs` on a small
 * set made here: 12 raw idx images of 8x8 pixels, image i of class i % 4
 * showing a bright 4x4 square in quadrant i % 4 (0 top left, 1 top right,
 * 2 bottom left, 3 bottom right) at grey level 100 + 12 i, and a weight
 * file whose softmax model predicts exactly that quadrant.  Rows 3 and 7
 * carry other labels (0 and 1), so the model gets exactly them wrong. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "picture/picture.h"
#include "picture/quadrants.h"
#include "plot/plot_classify_layout.h"
#include "support/testing.h"

#define N_IMG QUAD_N
#define SIDE QUAD_SIDE
#define K QUAD_K

static const char *g_images, *g_labels, *g_weights, *g_single, *g_narrow;

/* Writes, once and from inside a test (the helpers assert), the quadrant
 * set and the weight files into the scratch folder. */
static void make_data(void)
{
    if (g_images) return;
    const quad_files *f = quad_files_get();
    g_images = f->images;
    g_labels = f->labels;
    g_weights = f->weights;
    static char w[8192];
    size_t at;
    /* A single sigmoid output, and a model for 16 inputs. */
    at = (size_t)snprintf(w, sizeof w, "input 64\ndense 1 sigmoid\n");
    for (int p = 0; p < 64; p++) at += (size_t)snprintf(w + at, sizeof w - at, "0.01\n");
    snprintf(w + at, sizeof w - at, "bias 0\n");
    g_single = test_write_temp_text("single.txt", w);
    at = (size_t)snprintf(w, sizeof w, "input 16\ndense 4 softmax\n");
    for (int p = 0; p < 16; p++) at += (size_t)snprintf(w + at, sizeof w - at, "0 0 0 0\n");
    snprintf(w + at, sizeof w - at, "bias 0 0 0 0\n");
    g_narrow = test_write_temp_text("narrow.txt", w);
}

/* The model's probabilities for image i, as the softmax of z = 4 v at the
 * lit quadrant. */
static void probs_of(int i, double p[K])
{
    double z = 4.0 * quad_level(i) / 255.0, sum = exp(z) + (K - 1);
    for (int j = 0; j < K; j++) p[j] = (j == quad_pattern(i) ? exp(z) : 1.0) / sum;
}

/* Loads a picture the tool wrote, checking its size. */
static int load(const char *path, int w, int h, test_picture *pic)
{
    if (test_picture_load(path, pic) != 0) {
        CU_FAIL("picture not readable");
        return -1;
    }
    CU_ASSERT_EQUAL(pic->w, w);
    CU_ASSERT_EQUAL(pic->h, h);
    if (pic->w != w || pic->h != h) {
        fprintf(stderr, "size %dx%d, wanted %dx%d\n", pic->w, pic->h, w, h);
        test_picture_free(pic);
        return -1;
    }
    return 0;
}

/* The grey gray_r draws byte v in: black ink on white paper. */
static plot_rgb ink(int v)
{
    double g = 1.0 - v / 255.0;
    return (plot_rgb){g, g, g};
}

/* Asserts that r shows image i: the centre of each quadrant's square in
 * its expected grey (within 3 of 255: the rounding of one byte). */
static void expect_image(const test_picture *pic, plot_rect r, int i)
{
    for (int c = 0; c < K; c++) {
        double x = r.x + r.w * (0.25 + 0.5 * (c % 2)), y = r.y + r.h * (0.25 + 0.5 * (c / 2));
        plot_rgb want = c == quad_pattern(i) ? ink(quad_level(i)) : ink(0);
        double d = test_colour_distance(test_pixel(pic, (int)x, (int)y), want);
        if (d > 3) fprintf(stderr, "image %d quadrant %d: distance %.1f\n", i, c, d);
        CU_ASSERT(d <= 3);
    }
}

/* The text band above an image. */
static plot_rect band_above(plot_rect img) { return (plot_rect){img.x, img.y - 34, img.w, 32}; }

/* Without a model: every image in its cell, in order, with text above. */
static void test_images_grid(void)
{
    make_data();
    const char *out = test_temp_path("grid.png");
    TEST_EXPECT_RUN(0, NULL, "plot images --images %s --labels %s -o %s", g_images, g_labels, out);
    int w, h;
    plot_images_default_size(SIDE, SIDE, 3, 5, 0, &w, &h);
    test_picture pic;
    if (load(out, w, h, &pic)) return;
    for (int k = 0; k < N_IMG; k++) {
        plot_rect r = plot_images_cell(w, h, 3, 5, k, 0, SIDE, SIDE);
        expect_image(&pic, r, k);
        CU_ASSERT(test_drawn_fraction(&pic, (plot_rect){r.x, r.y - 20, r.w, 18}) > 0.01);
    }
    /* Cells 12 to 14 of the last row stay empty. */
    for (int k = N_IMG; k < 15; k++)
        CU_ASSERT(test_drawn_fraction(&pic, plot_images_cell(w, h, 3, 5, k, 0, SIDE, SIDE)) <
                  0.001);
    test_picture_free(&pic);
}

/* With the model: right rows' text in green, wrong rows' (3 and 7) in red. */
static void test_images_predicted(void)
{
    make_data();
    const char *out = test_temp_path("pred.png");
    TEST_EXPECT_RUN(0, NULL, "plot images --images %s --labels %s --weights %s --columns 4 -o %s",
                    g_images, g_labels, g_weights, out);
    int w, h;
    plot_images_default_size(SIDE, SIDE, 3, 4, 1, &w, &h);
    test_picture pic;
    if (load(out, w, h, &pic)) return;
    plot_rgb red = {0.84, 0.15, 0.16}, green = {0.0, 0.45, 0.0};
    for (int k = 0; k < N_IMG; k++) {
        plot_rect r = plot_images_cell(w, h, 3, 4, k, 1, SIDE, SIDE);
        expect_image(&pic, r, k);
        int wrong = quad_label(k) != quad_pattern(k);
        /* Antialiased glyphs: a few pixels of the full colour at least. */
        double fr = test_colour_fraction(&pic, band_above(r), red, 40);
        double fg = test_colour_fraction(&pic, band_above(r), green, 40);
        CU_ASSERT(wrong ? fr > 0.005 && fg == 0 : fg > 0.005 && fr == 0);
    }
    test_picture_free(&pic);
}

/* --misclassified: exactly the two wrong rows, in order, in a 1 x 2 grid. */
static void test_images_misclassified(void)
{
    make_data();
    const char *out = test_temp_path("mis.png");
    TEST_EXPECT_RUN(0, NULL,
                    "plot images --images %s --labels %s --weights %s --misclassified -o %s",
                    g_images, g_labels, g_weights, out);
    int w, h;
    plot_images_default_size(SIDE, SIDE, 1, 2, 1, &w, &h);
    test_picture pic;
    if (load(out, w, h, &pic)) return;
    expect_image(&pic, plot_images_cell(w, h, 1, 2, 0, 1, SIDE, SIDE), 3);
    expect_image(&pic, plot_images_cell(w, h, 1, 2, 1, 1, SIDE, SIDE), 7);
    test_picture_free(&pic);

    /* From row 8 on the model is always right: a picture that says so. */
    out = test_temp_path("none.png");
    TEST_EXPECT_RUN(0, "every row",
                    "plot images --images %s --labels %s --weights %s "
                    "--misclassified --start 8 -o %s",
                    g_images, g_labels, g_weights, out);
    int pw, ph;
    CU_ASSERT(test_png_size(out, &pw, &ph) == 0);

    /* --count stops after the first wrong row. */
    out = test_temp_path("one.png");
    TEST_EXPECT_RUN(0, NULL,
                    "plot images --images %s --labels %s --weights %s --misclassified "
                    "--count 1 -o %s",
                    g_images, g_labels, g_weights, out);
    plot_images_default_size(SIDE, SIDE, 1, 1, 1, &w, &h);
    if (load(out, w, h, &pic)) return;
    expect_image(&pic, plot_images_cell(w, h, 1, 1, 0, 1, SIDE, SIDE), 3);
    test_picture_free(&pic);
}

/* The bar of class j in row r reaches p: the pixel 4 below its top (below
 * the predicted bar's 2-pixel outline) is the bar's, 3 above is not; 2 px
 * is the rounding of the frame's edges and the antialiased top. */
static void expect_bar(const test_picture *pic, plot_rect f, int j, double p, plot_rgb col)
{
    double x = f.x + (j + 0.5) / K * f.w, top = f.y + (1 - p) * f.h;
    double below = test_colour_distance(test_pixel(pic, (int)x, (int)(top + 4)), col);
    double above = test_colour_distance(test_pixel(pic, (int)x, (int)(top - 3)), col);
    if (below > 3 || above < 60)
        fprintf(stderr, "bar %d (p = %.3f, top y %.1f): below %.1f, above %.1f\n", j, p, top, below,
                above);
    CU_ASSERT(below <= 3);
    CU_ASSERT(above >= 60);
}

/* plot probs: each row's image and bars as high as the softmax outputs,
 * the true class's bar blue and the others grey. */
static void test_probs_bars(void)
{
    make_data();
    const char *out = test_temp_path("probs.png");
    TEST_EXPECT_RUN(0, NULL,
                    "plot probs --images %s --labels %s --weights %s --start 2 "
                    "--count 4 -o %s",
                    g_images, g_labels, g_weights, out);
    int w, h;
    plot_probs_default_size(4, &w, &h);
    test_picture pic;
    if (load(out, w, h, &pic)) return;
    plot_rgb blue = plot_palette(0), grey = {0.72, 0.72, 0.72};
    for (int r = 0; r < 4; r++) {
        int i = 2 + r;
        expect_image(&pic, plot_probs_image_rect(w, h, 4, r, SIDE, SIDE), i);
        double p[K];
        probs_of(i, p);
        plot_rect f = plot_probs_bar_frame(w, h, 4, r);
        for (int j = 0; j < K; j++) expect_bar(&pic, f, j, p[j], j == quad_label(i) ? blue : grey);
    }
    test_picture_free(&pic);

    /* --misclassified: rows 3 and 7, the blue bar low at the label. */
    out = test_temp_path("probs-mis.png");
    TEST_EXPECT_RUN(0, NULL,
                    "plot probs --images %s --labels %s --weights %s --misclassified "
                    "-o %s",
                    g_images, g_labels, g_weights, out);
    plot_probs_default_size(2, &w, &h);
    if (load(out, w, h, &pic)) return;
    const int rows[2] = {3, 7};
    for (int r = 0; r < 2; r++) {
        expect_image(&pic, plot_probs_image_rect(w, h, 2, r, SIDE, SIDE), rows[r]);
        double p[K];
        probs_of(rows[r], p);
        plot_rect f = plot_probs_bar_frame(w, h, 2, r);
        for (int j = 0; j < K; j++)
            expect_bar(&pic, f, j, p[j], j == quad_label(rows[r]) ? blue : grey);
    }
    test_picture_free(&pic);
}

/* What must be refused, with the exit status and the words that say why. */
static void test_errors(void)
{
    make_data();
    const char *out = test_temp_path("err.png");
    TEST_EXPECT_RUN(2, "needs a model", "plot images --images %s --labels %s --misclassified -o %s",
                    g_images, g_labels, out);
    TEST_EXPECT_RUN(2, "16 inputs", "plot images --images %s --labels %s --weights %s -o %s",
                    g_images, g_labels, g_narrow, out);
    CU_ASSERT(test_output_has(test_out, "64 features"));
    TEST_EXPECT_RUN(2, "16 inputs", "plot confusion --images %s --labels %s --weights %s -o %s",
                    g_images, g_labels, g_narrow, out);
    TEST_EXPECT_RUN(2, "single output", "plot probs --images %s --labels %s --weights %s -o %s",
                    g_images, g_labels, g_single, out);
    /* A grid no default picture can hold: 9 images 2000 pixels wide side
     * by side need 9 x 2016 pixels even at one pixel an image pixel, more
     * than the 16384 a side may have.  Refused before drawing, naming the
     * ways out.  The smallest --size still draws every image. */
    static char wide[9 * 2001 * 2 + 64];
    size_t at = 0;
    for (int r = 0; r < 9; r++) {
        for (int q = 0; q < 2000; q++) wide[at++] = '0', wide[at++] = ',';
        wide[at++] = (char)('0' + r % 4);
        wide[at++] = '\n';
    }
    wide[at] = '\0';
    const char *wide_csv = test_write_temp_text("wide.csv", wide);
    TEST_EXPECT_RUN(2, "do not fit a picture",
                    "plot images --data %s --image-shape 2000x1 "
                    "--columns 9 -o %s",
                    wide_csv, out);
    CU_ASSERT(test_output_has(test_out, "--columns"));
    TEST_EXPECT_RUN(0, NULL, "plot images --images %s --labels %s --size 64x64 -o %s", g_images,
                    g_labels, out);
    TEST_EXPECT_RUN(2, "--bogus", "plot images --images %s --labels %s --bogus -o %s", g_images,
                    g_labels, out);
    const char *csv =
        test_write_temp_text("three.csv", "a,b,c,label\n0.1,0.2,0.3,0\n0.4,0.5,0.6,1\n");
    TEST_EXPECT_RUN(2, "not a square", "plot images --data %s -o %s", csv, out);
    TEST_EXPECT_RUN(0, NULL, "plot images --data %s --image-shape 3x1 -o %s", csv, out);
    TEST_EXPECT_RUN(2, "--image-shape",
                    "plot images --images %s --labels %s --image-shape 4x8x -o %s", g_images,
                    g_labels, out);
    TEST_EXPECT_RUN(2, "--image-shape",
                    "plot images --images %s --labels %s --image-shape 5x5 -o %s", g_images,
                    g_labels, out);
    TEST_EXPECT_RUN(2, "--labels", "plot images --images %s -o %s", g_images, out);
    TEST_EXPECT_RUN(2, "--start", "plot images --images %s --labels %s --start 12 -o %s", g_images,
                    g_labels, out);
    const char *missing = test_temp_path("no-such-images.idx");
    TEST_EXPECT_RUN(1, "no-such-images.idx", "plot images --images %s --labels %s -o %s", missing,
                    g_labels, out);
    TEST_EXPECT_RUN(1, "no-such-images.idx",
                    "plot probs --images %s --labels %s --weights %s -o %s", missing, g_labels,
                    g_weights, out);
    /* A shape given explicitly is used: 16x4 images of the same rows. */
    TEST_EXPECT_RUN(0, NULL, "plot images --images %s --labels %s --image-shape 16x4 -o %s",
                    g_images, g_labels, out);
}

int main(void)
{
    if (!test_temp_dir("plot-images")) return 1;
    static const test_case cases[] = {
        {"images: the grid shows each image in its cell", test_images_grid},
        {"images: predictions, wrong ones in red", test_images_predicted},
        {"images: --misclassified draws exactly the wrong rows", test_images_misclassified},
        {"probs: bars as high as the model's probabilities", test_probs_bars},
        {"images, probs: errors and their exit statuses", test_errors},
        {NULL, NULL},
    };
    int rc = test_add_suite("plot_images", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
