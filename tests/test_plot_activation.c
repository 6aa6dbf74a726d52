/* `clmlp plot` as a command, and its activation kind, run as a separate
 * process: the kinds are listed, unknown kinds and options exit 2 with the
 * usage, pictures are PNG, SVG or PDF by their name, an output that cannot
 * be written leaves nothing behind (and an older file untouched), and the
 * activation picture has each curve where the function puts it. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "picture/picture.h"
#include "support/testing.h"

/* Line width 2 with antialiasing: the centre pixel of a stroke is the
 * colour to within a few units, but the point computed in doubles may fall
 * a pixel off the stroke's centre; so we look within 2 px and accept a
 * distance of 60 (of 441 between black and white), which no other colour
 * of the palette nor a blend with white that faint comes close to. */
#define NEAR_PX 2
#define COLOUR_TOL 60.0

static double sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* Limits and axes of panel p of the activation picture (w x h, one row of
 * two panels under a title), for values lo..hi as the kind computes them. */
static plot_axes panel_axes(int w, int h, int p, double xlo, double xhi, double ylo, double yhi)
{
    double y0, y1;
    plot_nice_limits(ylo, yhi, &y0, &y1);
    plot_axes a;
    plot_axes_init(&a, NULL, plot_panel_rect(w, h, 1, 2, 0, p, 1), 0, xlo, xhi, y0, y1);
    return a;
}

static void test_kinds_listed(void)
{
    static const char *const kinds[] = {"history", "boundary",  "features",  "images",
                                        "probs",   "confusion", "activation"};
    TEST_EXPECT_RUN(0, NULL, "plot --help");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        CU_ASSERT(test_output_has(test_out, kinds[i]));
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char args[64];
        snprintf(args, sizeof args, "plot %s --help", kinds[i]);
        TEST_EXPECT_RUN(0, "-o, --output FILE", "%s", args);
    }
    TEST_EXPECT_RUN(0, "plot", "--help");
}

static void test_bad_commands(void)
{
    TEST_EXPECT_RUN(2, "unknown kind 'scatter'", "plot scatter -o '%s'", test_temp_path("s.png"));
    CU_ASSERT(test_output_has(test_out, "usage: clmlp plot KIND"));
    TEST_EXPECT_RUN(2, "usage: clmlp plot KIND", "plot");
    TEST_EXPECT_RUN(2, "unknown option '--colour'", "plot activation sigmoid --colour red -o '%s'",
                    test_temp_path("a.png"));
    CU_ASSERT(test_output_has(test_out, "Try 'clmlp plot activation --help'"));
    TEST_EXPECT_RUN(2, "-o FILE.png", "plot activation sigmoid");
    TEST_EXPECT_RUN(2, "must end in .png, .svg or .pdf", "plot activation sigmoid -o '%s'",
                    test_temp_path("a.jpg"));
    TEST_EXPECT_RUN(2, "--size must be WxH", "plot activation sigmoid --size 800 -o '%s'",
                    test_temp_path("a.png"));
    TEST_EXPECT_RUN(2, "unknown activation 'sigmod'", "plot activation sigmod -o '%s'",
                    test_temp_path("a.png"));
    TEST_EXPECT_RUN(2, "softmax depends on a whole row", "plot activation softmax -o '%s'",
                    test_temp_path("a.png"));
    TEST_EXPECT_RUN(2, "--range must be LO,HI", "plot activation tanh --range 3,1 -o '%s'",
                    test_temp_path("a.png"));
    /* The backends compute in float32: ends beyond its range are refused. */
    TEST_EXPECT_RUN(2, "--range must be LO,HI",
                    "plot activation tanh --range -1e308,1e308 "
                    "-o '%s'",
                    test_temp_path("a.png"));
    struct stat st;
    CU_ASSERT(stat(test_temp_path("a.png"), &st) != 0);
}

/* Names in dir that contain part (0 when the directory cannot be read). */
static int count_names(const char *dir, const char *part)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) n += strstr(e->d_name, part) != NULL;
    closedir(d);
    return n;
}

static void test_unwritable_output(void)
{
    /* A folder that does not exist: a clear error, exit 1, nothing made. */
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/no-such-folder/a.png", test_temp_dir("plot"));
    TEST_EXPECT_RUN(1, "no-such-folder/a.png", "plot activation sigmoid -o '%s'", missing);
    /* A folder we may not write (as root every folder is writable, so use
     * an output name that is a folder): the older picture stays as it was,
     * and no temporary file is left beside it. */
    const char *dir = test_temp_path("taken.png");
    CU_ASSERT_EQUAL_FATAL(mkdir(dir, 0755), 0);
    TEST_EXPECT_RUN(1, "taken.png", "plot activation sigmoid -o '%s'", dir);
    CU_ASSERT_EQUAL(count_names(test_temp_dir("plot"), ".tmp."), 0);
    /* An existing picture is replaced whole, never partly. */
    const char *old = test_write_temp_text("old.png", "not a picture yet");
    TEST_EXPECT_RUN(0, NULL, "plot activation sigmoid -o '%s'", old);
    int w = 0, h = 0;
    CU_ASSERT_EQUAL(test_png_size(old, &w, &h), 0);
    CU_ASSERT_EQUAL(count_names(test_temp_dir("plot"), ".tmp."), 0);
}

static void test_formats_by_name(void)
{
    const char *png = test_temp_path("f.png"), *svg = test_temp_path("f.svg"),
               *pdf = test_temp_path("f.PDF");
    TEST_EXPECT_RUN(0, NULL, "plot activation relu --size 640x300 -o '%s'", png);
    TEST_EXPECT_RUN(0, NULL, "plot activation relu -o '%s'", svg);
    TEST_EXPECT_RUN(0, NULL, "plot activation relu -o '%s'", pdf);
    int w = 0, h = 0;
    CU_ASSERT_EQUAL(test_png_size(png, &w, &h), 0);
    CU_ASSERT(w == 640 && h == 300);
    CU_ASSERT(test_is_svg(svg));
    CU_ASSERT(test_is_pdf(pdf));
    CU_ASSERT(!test_is_svg(png) && !test_is_pdf(svg));
}

/* Sigmoid (colour 0) and relu (colour 1) over [-5,5]: each curve passes
 * through the pixel of (x, f(x)) on the left and (x, f'(x)) on the right,
 * and the functions' colours are absent where no curve goes. */
static void test_curves_where_the_functions_are(void)
{
    const char *png = test_temp_path("act.png");
    const int w = 1000, h = 420;
    TEST_EXPECT_RUN(0, NULL, "plot activation sigmoid,relu --size %dx%d -o '%s'", w, h, png);
    test_picture pic;
    CU_ASSERT_EQUAL_FATAL(test_picture_load(png, &pic), 0);
    CU_ASSERT(pic.w == w && pic.h == h);
    /* The kind's y limits come from every curve in the panel: f spans
     * sigmoid's (0,1) and relu's [0,5]; f' spans [0,1]. */
    double smin = sigmoid(-5), smax = 5.0;
    plot_axes f = panel_axes(w, h, 0, -5, 5, fmin(0.0, smin), smax);
    plot_axes d = panel_axes(w, h, 1, -5, 5, 0.0, 1.0);
    plot_rgb c0 = plot_palette(0), c1 = plot_palette(1);
    int misses = 0;
#define MISS(cond, what, x)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            misses++;                                                                              \
            printf("\n  no %s at x = %g", what, x);                                                \
        }                                                                                          \
    } while (0)
    /* Points away from the legend (upper left of the left panel). */
    for (double x = -1.0; x <= 4.5; x += 0.25) {
        double s = sigmoid(x);
        MISS(test_colour_near(&pic, plot_px(&f, x), plot_py(&f, s), NEAR_PX, c0, COLOUR_TOL),
             "sigmoid", x);
        MISS(test_colour_near(&pic, plot_px(&d, x), plot_py(&d, s * (1 - s)), NEAR_PX, c0,
                              COLOUR_TOL),
             "sigmoid'", x);
        if (x > 0.1) {
            MISS(test_colour_near(&pic, plot_px(&f, x), plot_py(&f, x), NEAR_PX, c1, COLOUR_TOL),
                 "relu", x);
            MISS(test_colour_near(&pic, plot_px(&d, x), plot_py(&d, 1.0), NEAR_PX, c1, COLOUR_TOL),
                 "relu'", x);
        }
    }
#undef MISS
    CU_ASSERT_EQUAL(misses, 0);
    /* Where no curve goes: above sigmoid and below relu in the left panel
     * (x in [3,4.5], y in [1.5,2.5]); the right panel between the curves
     * for x < -1 (f' in [0.3,0.9]). */
    plot_rect empty_f = {plot_px(&f, 3.0), plot_py(&f, 2.5), plot_px(&f, 4.5) - plot_px(&f, 3.0),
                         plot_py(&f, 1.5) - plot_py(&f, 2.5)};
    plot_rect empty_d = {plot_px(&d, -4.5), plot_py(&d, 0.9), plot_px(&d, -1.5) - plot_px(&d, -4.5),
                         plot_py(&d, 0.3) - plot_py(&d, 0.9)};
    CU_ASSERT(test_colour_fraction(&pic, empty_f, c0, COLOUR_TOL) == 0.0);
    CU_ASSERT(test_colour_fraction(&pic, empty_f, c1, COLOUR_TOL) == 0.0);
    CU_ASSERT(test_colour_fraction(&pic, empty_d, c0, COLOUR_TOL) == 0.0);
    CU_ASSERT(test_colour_fraction(&pic, empty_d, c1, COLOUR_TOL) == 0.0);
    test_picture_free(&pic);
}

int main(void)
{
    if (!test_temp_dir("plot")) return 1;
    static const test_case cases[] = {
        {"plot --help lists the kinds, each has --help", test_kinds_listed},
        {"unknown kinds, options and values exit 2", test_bad_commands},
        {"an output that cannot be written leaves nothing", test_unwritable_output},
        {"PNG, SVG or PDF by the output's name", test_formats_by_name},
        {"activation curves lie where the functions are", test_curves_where_the_functions_are},
        {NULL, NULL},
    };
    int rc = test_add_suite("clmlp plot activation", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
