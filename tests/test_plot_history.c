/* `clmlp plot history` and `train --plot-history`, run as separate
 * processes, with their pictures read back: the size asked for, each
 * run's training curve where the layout says it must be (its points and
 * the line between them) and nowhere else, several runs in their own
 * colours, SVG and PDF by the name, and the errors -- a malformed history
 * (exit 1, FILE:LINE), a bad option (exit 2), an output that cannot be
 * written (exit 1, nothing left behind, an old file untouched).
 *
 * Where the data lies is recomputed as plot_history.c documents it: panel
 * p of np is plot_panel_rect(w, h, 1, np, 0, p, 1), its frame
 * plot_axes_frame(panel, 0), x exactly first..last epoch, y over
 * plot_nice_limits of the finite values drawn in the panel. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "picture/picture.h"
#include "support/testing.h"

/* Where a pixel of the curve may be from where the maths puts it: the
 * line is 2 px wide and antialiased, and the layout rounds only the frame
 * (to whole pixels), so the fully coloured pixels of a line or marker lie
 * within 2 px of the exact point. */
#define NEAR_PX 2
/* How far (8-bit RGB distance) a pixel may be from the series colour and
 * still count as it: a pixel wholly inside the 2-px line or a marker has
 * the colour exactly, and 40 allows cairo's rounding of blended edges. */
#define COLOUR_TOL 40.0
/* For "the colour is absent": a looser tolerance, so even a faint,
 * half-blended pixel of the line would be found. */
#define ABSENT_TOL 100.0

/* The geometry of one panel as the kind lays it out. */
typedef struct {
    plot_rect frame;
    double x0, x1, y0, y1;
} panel_geom;

/* Panel p of np over a w x h figure with limits the nice ones around the
 * epochs x0..x1 and the values lo..hi. */
static panel_geom geom(int w, int h, int np, int p, double x0, double x1, double lo, double hi)
{
    panel_geom g;
    g.frame = plot_axes_frame(plot_panel_rect(w, h, 1, np, 0, p, 1), 0);
    plot_nice_limits(x0, x1, &g.x0, &g.x1);
    plot_nice_limits(lo, hi, &g.y0, &g.y1);
    return g;
}

/* Pixel coordinates of data point (x, y) in g, as plot_px / plot_py. */
static double gx(const panel_geom *g, double x)
{
    return g->frame.x + (x - g->x0) / (g->x1 - g->x0) * g->frame.w;
}
static double gy(const panel_geom *g, double y)
{
    return g->frame.y + (1 - (y - g->y0) / (g->y1 - g->y0)) * g->frame.h;
}

/* The least and greatest of n values. */
static void extent(const double *v, size_t n, double *lo, double *hi)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i] < *lo) *lo = v[i];
        if (v[i] > *hi) *hi = v[i];
    }
}

/* Asserts that colour col lies near each point (epochs e[i], values v[i])
 * and near the midpoint of each segment between consecutive points, so
 * the line is drawn and not only the markers. */
static void assert_curve(const test_picture *p, const panel_geom *g, const double *e,
                         const double *v, size_t n, plot_rgb col, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        double x = gx(g, e[i]), y = gy(g, v[i]);
        int ok = test_colour_near(p, x, y, NEAR_PX, col, COLOUR_TOL);
        if (!ok) fprintf(stderr, "\n%s: point %zu (%.1f, %.1f) not drawn\n", what, i, x, y);
        CU_ASSERT(ok);
        if (i + 1 == n) continue;
        double mx = (x + gx(g, e[i + 1])) / 2, my = (y + gy(g, v[i + 1])) / 2;
        ok = test_colour_near(p, mx, my, NEAR_PX, col, COLOUR_TOL);
        if (!ok) fprintf(stderr, "\n%s: midpoint %zu (%.1f, %.1f) not drawn\n", what, i, mx, my);
        CU_ASSERT(ok);
    }
}

/* Loads path, asserting it is a w x h PNG. */
static int load_png(const char *path, int w, int h, test_picture *p)
{
    int pw = 0, ph = 0;
    CU_ASSERT_EQUAL_FATAL(test_png_size(path, &pw, &ph), 0);
    CU_ASSERT_EQUAL(pw, w);
    CU_ASSERT_EQUAL(ph, h);
    CU_ASSERT_EQUAL_FATAL(test_picture_load(path, p), 0);
    return 0;
}

/* The falling loss of the known run (epochs 1..5), as CSV without accuracy. */
static const double k_epochs[5] = {1, 2, 3, 4, 5};
static const double k_loss[5] = {1.0, 0.5, 0.3, 0.2, 0.15};
#define K_CSV                                                                                      \
    "epoch,loss,accuracy,val_loss,val_accuracy,seconds,lr\n"                                       \
    "1,1.0,,,,0.1,0.01\n2,0.5,,,,0.1,0.01\n3,0.3,,,,0.1,0.01\n"                                    \
    "4,0.2,,,,0.1,0.01\n5,0.15,,,,0.1,0.01\n"

/* One run, loss only: one panel of the size asked for, the curve through
 * its points, and nothing of its colour in the frame's lower left, which
 * the falling curve never reaches. */
static void test_one_run_loss(void)
{
    const char *csv = test_write_temp_text("known.csv", K_CSV);
    const char *png = test_temp_path("known.png");
    TEST_EXPECT_RUN(0, NULL, "plot history '%s' -o '%s' --size 700x380", csv, png);
    test_picture p;
    load_png(png, 700, 380, &p);
    double lo = INFINITY, hi = -INFINITY;
    extent(k_loss, 5, &lo, &hi);
    panel_geom g = geom(700, 380, 1, 0, 1, 5, lo, hi);
    assert_curve(&p, &g, k_epochs, k_loss, 5, plot_palette(0), "loss");
    /* Lower left: epochs 1 to 2.2 (where the loss is still above 0.45) and
     * the bottom quarter of the frame (values below y0 + 0.25 (y1 - y0),
     * under 0.35 here), 10 px in from the frame's edges. */
    plot_rect empty = {g.frame.x + 10, g.frame.y + 0.75 * g.frame.h, gx(&g, 2.2) - g.frame.x - 10,
                       0.25 * g.frame.h - 10};
    CU_ASSERT(gy(&g, 0.45) < empty.y - 10); /* the region is clear of the curve */
    CU_ASSERT_EQUAL(test_colour_fraction(&p, empty, plot_palette(0), ABSENT_TOL), 0.0);
    /* Something is drawn: the frame holds the curve, not a blank. */
    CU_ASSERT(test_drawn_fraction(&p, g.frame) > 0.005);
    test_picture_free(&p);
}

/* Loss and accuracy with validation, default size: two panels, the
 * training curves in both, the default 1000x420. */
static void test_two_panels(void)
{
    static const double acc[5] = {0.5, 0.7, 0.8, 0.85, 0.9};
    static const double vloss[5] = {1.1, 0.6, 0.45, 0.4, 0.42};
    static const double vacc[5] = {0.45, 0.65, 0.75, 0.8, 0.82};
    char text[1024];
    size_t n = (size_t)snprintf(text, sizeof text, "epoch,loss,accuracy,val_loss,val_accuracy\n");
    for (int i = 0; i < 5; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%d,%g,%g,%g,%g\n", i + 1, k_loss[i],
                              acc[i], vloss[i], vacc[i]);
    const char *csv = test_write_temp_text("full.csv", text);
    const char *png = test_temp_path("full.png");
    TEST_EXPECT_RUN(0, NULL, "plot history '%s' -o '%s'", csv, png);
    test_picture p;
    load_png(png, 1000, 420, &p);
    double lo = INFINITY, hi = -INFINITY;
    extent(k_loss, 5, &lo, &hi);
    extent(vloss, 5, &lo, &hi);
    panel_geom g = geom(1000, 420, 2, 0, 1, 5, lo, hi);
    assert_curve(&p, &g, k_epochs, k_loss, 5, plot_palette(0), "loss panel");
    lo = INFINITY, hi = -INFINITY;
    extent(acc, 5, &lo, &hi);
    extent(vacc, 5, &lo, &hi);
    g = geom(1000, 420, 2, 1, 1, 5, lo, hi);
    assert_curve(&p, &g, k_epochs, acc, 5, plot_palette(0), "accuracy panel");
    test_picture_free(&p);

    /* --metric loss: one panel, its default 620x420. */
    TEST_EXPECT_RUN(0, NULL, "plot history '%s' -o '%s' --metric loss", csv, png);
    CU_ASSERT_EQUAL_FATAL(test_picture_load(png, &p), 0);
    CU_ASSERT_EQUAL(p.w, 620);
    CU_ASSERT_EQUAL(p.h, 420);
    test_picture_free(&p);
}

/* A regression's history (mae, no accuracy): the second panel draws the
 * mae where accuracy would be, and --metric accuracy finds none. */
static void test_mae_panel(void)
{
    static const double mae[5] = {3.0, 2.2, 1.8, 1.6, 1.5};
    static const double vmae[5] = {3.1, 2.4, 2.0, 1.9, 1.95};
    char text[1024];
    size_t n = (size_t)snprintf(
        text, sizeof text, "epoch,loss,accuracy,val_loss,val_accuracy,seconds,lr,mae,val_mae\n");
    for (int i = 0; i < 5; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%d,%g,,%g,,0.1,0.001,%g,%g\n", i + 1,
                              k_loss[i], k_loss[i] + 0.1, mae[i], vmae[i]);
    const char *csv = test_write_temp_text("regression.csv", text);
    const char *png = test_temp_path("regression.png");
    TEST_EXPECT_RUN(0, NULL, "plot history '%s' -o '%s'", csv, png);
    test_picture p;
    load_png(png, 1000, 420, &p);
    double lo = INFINITY, hi = -INFINITY;
    extent(mae, 5, &lo, &hi);
    extent(vmae, 5, &lo, &hi);
    panel_geom g = geom(1000, 420, 2, 1, 1, 5, lo, hi);
    assert_curve(&p, &g, k_epochs, mae, 5, plot_palette(0), "mae panel");
    test_picture_free(&p);
    TEST_EXPECT_RUN(0, NULL, "plot history '%s' -o '%s' --metric mae", csv, png);
    TEST_EXPECT_RUN(1, "--metric accuracy: no file has an accuracy column",
                    "plot history '%s' -o '%s' --metric accuracy", csv, png);
    /* And a classifier's history has no mae. */
    const char *acc = test_write_temp_text("acc.csv", K_CSV);
    TEST_EXPECT_RUN(1, "--metric mae: no file has a mae column",
                    "plot history '%s' -o '%s' --metric mae", acc, png);
}

/* Two runs, one CSV and one Keras JSON of a different length: both colours
 * along their own paths, x over the longer run. */
static void test_overlay(void)
{
    static const double b_epochs[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const double b_loss[8] = {2.0, 1.6, 1.3, 1.1, 1.0, 0.95, 0.9, 0.88};
    const char *a = test_write_temp_text("run-a.csv", K_CSV);
    const char *b = test_write_temp_text("run-b.json",
                                         "{\"loss\": [2.0, 1.6, 1.3, 1.1, 1.0, 0.95, 0.9, 0.88]}");
    const char *png = test_temp_path("overlay.png");
    TEST_EXPECT_RUN(0, NULL, "plot history '%s' '%s' -o '%s' --size 800x450", a, b, png);
    test_picture p;
    load_png(png, 800, 450, &p);
    double lo = INFINITY, hi = -INFINITY;
    extent(k_loss, 5, &lo, &hi);
    extent(b_loss, 8, &lo, &hi);
    panel_geom g = geom(800, 450, 1, 0, 1, 8, lo, hi);
    assert_curve(&p, &g, k_epochs, k_loss, 5, plot_palette(0), "run a");
    assert_curve(&p, &g, b_epochs, b_loss, 8, plot_palette(1), "run b");
    test_picture_free(&p);

    /* --label names the runs; a count that does not match is a usage error. */
    TEST_EXPECT_RUN(0, NULL, "plot history '%s' '%s' -o '%s' --label A --label B", a, b, png);
    TEST_EXPECT_RUN(2, "give --label once per file", "plot history '%s' '%s' -o '%s' --label A", a,
                    b, png);
}

/* SVG and PDF by the output's name. */
static void test_formats(void)
{
    const char *csv = test_write_temp_text("fmt.csv", K_CSV);
    const char *svg = test_temp_path("curves.svg"), *pdf = test_temp_path("curves.pdf");
    TEST_EXPECT_RUN(0, NULL, "plot history '%s' -o '%s'", csv, svg);
    CU_ASSERT(test_is_svg(svg));
    TEST_EXPECT_RUN(0, NULL, "plot history '%s' -o '%s'", csv, pdf);
    CU_ASSERT(test_is_pdf(pdf));
}

/* The names in dir holding ".tmp" (an atomic write's leftovers). */
static int temp_files_in(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp")) {
            fprintf(stderr, "\nleft behind: %s/%s\n", dir, e->d_name);
            n++;
        }
    closedir(d);
    return n;
}

/* Whether path exists. */
static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Whether the file at path holds exactly text. */
static int file_holds(const char *path, const char *text)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return n == strlen(text) && memcmp(buf, text, n) == 0;
}

static void test_errors(void)
{
    const char *good = test_write_temp_text("good.csv", K_CSV);
    const char *bad = test_write_temp_text("bad.csv", "epoch,loss\n1,0.5\n2,zz\n");
    const char *png = test_temp_path("err.png");
    char want[4200];

    /* A malformed history: exit 1, the library's FILE:LINE message. */
    snprintf(want, sizeof want, "%s:3:", bad);
    TEST_EXPECT_RUN(1, want, "plot history '%s' '%s' -o '%s'", good, bad, png);
    CU_ASSERT(!exists(png));
    /* A missing one: exit 1 naming it. */
    TEST_EXPECT_RUN(1, test_temp_path("absent.csv"), "plot history '%s' -o '%s'",
                    test_temp_path("absent.csv"), png);
    /* The picture over a history it draws, however -o is spelt (-oFILE,
     * --output=, getopt's abbreviation --out=, a second -o: the last one
     * counts, as getopt keeps it): exit 2 before drawing, the history
     * kept byte for byte. */
    const char *same = "a history and -o name the same file";
    TEST_EXPECT_RUN(2, same, "plot history '%s' -o '%s'", good, good);
    TEST_EXPECT_RUN(2, same, "plot history '%s' '-o%s'", good, good);
    TEST_EXPECT_RUN(2, same, "plot history '%s' --output='%s'", good, good);
    TEST_EXPECT_RUN(2, same, "plot history '%s' --out='%s'", good, good);
    TEST_EXPECT_RUN(2, same, "plot history '%s' -o '%s' -o '%s'", good, png, good);
    TEST_EXPECT_RUN(2, same, "plot history '%s' '%s' -o '%s'", bad, good, good);
    /* A picture's name that is a link to the history (the extension is
     * right, and the picture would be written through the link). */
    const char *link = test_temp_path("link.png");
    CU_ASSERT_EQUAL_FATAL(symlink(good, link), 0);
    TEST_EXPECT_RUN(2, same, "plot history '%s' -o '%s' -o '%s'", good, png, link);
    TEST_EXPECT_RUN(2, same, "plot history '%s' --out='%s'", good, link);
    remove(link);
    CU_ASSERT(file_holds(good, K_CSV));
    CU_ASSERT(!exists(png));
    /* The last -o is the picture: an earlier one naming the history is
     * replaced, and draws. */
    TEST_EXPECT_RUN(0, NULL, "plot history '%s' -o '%s' -o '%s'", good, good, png);
    CU_ASSERT(file_holds(good, K_CSV));
    CU_ASSERT(exists(png));
    /* Only the files the kind reads count: a --title spelling the
     * picture's name is no clash. */
    TEST_EXPECT_RUN(0, NULL, "plot history '%s' -o '%s' --title '%s'", good, png, png);
    remove(png);

    /* Values at the ends of the doubles (a run that blew up) still draw:
     * no margins fit around them, and no NaN reaches cairo. */
    const char *huge = test_write_temp_text("huge.csv", "epoch,loss\n1,-1e308\n2,1e308\n"
                                                        "3,1.75e308\n");
    const char *huge_png = test_temp_path("huge.png");
    TEST_EXPECT_RUN(0, NULL, "plot history '%s' --size 300x200 -o '%s'", huge, huge_png);
    int hw = 0, hh = 0;
    test_picture hp;
    CU_ASSERT_EQUAL_FATAL(test_picture_load(huge_png, &hp), 0);
    hw = hp.w;
    hh = hp.h;
    CU_ASSERT(hw == 300 && hh == 200);
    /* The curve is drawn: the run's colour is somewhere in the frame. */
    plot_rect hf = plot_axes_frame(plot_panel_rect(300, 200, 1, 1, 0, 0, 1), 0);
    CU_ASSERT(test_colour_fraction(&hp, hf, plot_palette(0), 60.0) > 0.0);
    test_picture_free(&hp);

    /* A history whose every loss is missing: nothing to draw, said so. */
    const char *empty = test_write_temp_text("empty.csv", "epoch,loss\n1,\n2,NA\n");
    TEST_EXPECT_RUN(1, "every value the picture would show is missing", "plot history '%s' -o '%s'",
                    empty, png);
    CU_ASSERT(!exists(png));

    /* Usage errors: exit 2 with the pointer to --help. */
    TEST_EXPECT_RUN(2, "--help", "plot history '%s' -o '%s' --bogus", good, png);
    TEST_EXPECT_RUN(2, "--metric must be loss, accuracy, mae or both",
                    "plot history '%s' -o '%s' "
                    "--metric lr",
                    good, png);
    TEST_EXPECT_RUN(2, "name at least one history file", "plot history -o '%s'", png);
    TEST_EXPECT_RUN(2, ".png, .svg or .pdf", "plot history '%s' -o '%s'", good,
                    test_temp_path("err.gif"));
    TEST_EXPECT_RUN(0, "usage: clmlp plot history", "plot history --help");

    /* An output folder that does not exist: exit 1 naming the path, and
     * nothing made. */
    const char *nodir = test_temp_path("no-such-dir/x.png");
    TEST_EXPECT_RUN(1, nodir, "plot history '%s' -o '%s'", good, nodir);
    CU_ASSERT(!exists(test_temp_path("no-such-dir")));
    /* A folder that cannot be written (root writes anyway: skip then). */
    if (geteuid() != 0) {
        const char *ro = test_temp_path("read-only");
        CU_ASSERT_EQUAL_FATAL(mkdir(ro, 0555), 0);
        const char *inro = test_temp_path("read-only/x.png");
        TEST_EXPECT_RUN(1, inro, "plot history '%s' -o '%s'", good, inro);
        CU_ASSERT_EQUAL(temp_files_in(ro), 0);
        CU_ASSERT(!exists(inro));
        chmod(ro, 0755);
    }

    /* An existing picture is untouched when the drawing fails. */
    const char *old = test_write_temp_text("old.png", "OLD PICTURE");
    TEST_EXPECT_RUN(1, want, "plot history '%s' -o '%s'", bad, old);
    FILE *f = fopen(old, "rb");
    char buf[64] = {0};
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT(fread(buf, 1, sizeof buf - 1, f) == 11);
    fclose(f);
    CU_ASSERT_STRING_EQUAL(buf, "OLD PICTURE");
    CU_ASSERT_EQUAL(temp_files_in(test_temp_dir("plothist")), 0);
}

/* train --plot-history on XOR: the picture's loss curve is where the
 * history it wrote says; a bad name or folder is refused before training. */
static void test_train_plot_history(void)
{
    const char *data = test_write_temp_text("xor.csv", "x1,x2,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n");
    const char *hist = test_temp_path("train-hist.csv");
    const char *png = test_temp_path("train-curves.png");
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --backend ref --layers 2,4:tanh,1:sigmoid "
                    "--lr 0.5 --batch-size 4 --epochs 5 -q --history '%s' --plot-history '%s'",
                    data, hist, png);
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_history_read(&h, hist));
    CU_ASSERT_EQUAL_FATAL(h->n, 5);
    double e[5], loss[5], lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < 5; i++) {
        e[i] = (double)h->epochs[i].epoch;
        loss[i] = h->epochs[i].loss;
    }
    clmlp_history_free(h);
    extent(loss, 5, &lo, &hi);
    /* train always has accuracy: two panels at the default 1000x420. */
    test_picture p;
    load_png(png, 1000, 420, &p);
    panel_geom g = geom(1000, 420, 2, 0, 1, 5, lo, hi);
    assert_curve(&p, &g, e, loss, 5, plot_palette(0), "train loss");
    test_picture_free(&p);

    /* Checked before training: a bad name exits 2, a missing folder 1. */
    TEST_EXPECT_RUN(2, "--plot-history",
                    "train --train '%s' --backend ref --epochs 1 "
                    "--plot-history '%s'",
                    data, test_temp_path("x.gif"));
    TEST_EXPECT_RUN(1, "checked before training",
                    "train --train '%s' --backend ref --epochs 1 "
                    "--plot-history '%s'",
                    data, test_temp_path("nowhere/x.png"));
    CU_ASSERT(strstr(test_out, "epoch 1/1") == NULL);
    TEST_EXPECT_RUN(0, "--plot-history FILE", "train --help");
}

int main(void)
{
    if (!test_temp_dir("plothist")) return 1;
    static const test_case cases[] = {
        {"one run: size, curve where the layout says", test_one_run_loss},
        {"loss and accuracy panels", test_two_panels},
        {"a regression's mae panel", test_mae_panel},
        {"two runs overlaid in their colours", test_overlay},
        {"SVG and PDF", test_formats},
        {"errors: exit statuses, messages, no leftovers", test_errors},
        {"train --plot-history", test_train_plot_history},
        {NULL, NULL},
    };
    int rc = test_add_suite("clmlp plot history", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
