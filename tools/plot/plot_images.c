/* clmlp plot images: a grid of images from a labelled set, each under its
 * label, or with a model under "true T, pred P" (wrong predictions in red);
 * --misclassified keeps only the rows the model gets wrong.  Images are
 * drawn sharp, black ink on white (matplotlib's gray_r). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot_classify.h"
#include "plot/plot_classify_layout.h"

#define CMD "plot images"

static const struct option long_options[] = {
    PLOT_OUT_LONGOPTS,
    PLOT_MODEL_LONGOPTS,
    PLOT_CLS_LONGOPTS,
    {"count", required_argument, NULL, OPT_CLS_COUNT},
    {"start", required_argument, NULL, OPT_CLS_START},
    {"columns", required_argument, NULL, OPT_CLS_COLUMNS},
    {"misclassified", no_argument, NULL, OPT_CLS_MISCLASSIFIED},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp plot images (--dataset mnist|fashion | --images FILE --labels FILE |\n"
           "                          --data FILE.csv) [--model FILE] -o FILE [options]\n"
           "Draws a grid of images, each under its label; with a model, under its true\n"
           "and predicted class (red where the model is wrong).  --misclassified draws\n"
           "only the rows the model gets wrong; when there are none it still writes the\n"
           "picture, saying so, and exits 0.\n\n" PLOT_OUT_HELP
           "                        (default: from the grid, about 130 px a cell)\n" PLOT_CLS_HELP
           "  --count N             images drawn, at most (default: 25)\n"
           "  --start K             the first row looked at, 0-based (default: 0)\n"
           "  --columns C           images a row (default: 5)\n"
           "  --misclassified       only rows the model gets wrong (needs a model)\n"
           "a model to predict with (optional):\n" PLOT_MODEL_HELP
           "  -h, --help            this help\n");
}

/* The text above cell k: the label, or true and predicted classes, on one
 * line when it fits the cell, else on two. */
static void cell_text(plot_canvas *c, plot_rect img, double cell_w, const plot_cls_set *s,
                      size_t truth, const size_t *pred)
{
    char line[256];
    double cx = img.x + img.w / 2;
    if (!pred) {
        snprintf(line, sizeof line, "label %s", plot_cls_name(s, truth));
        plot_text(c, cx, img.y - 6, line, PLOT_TICK_SIZE, 0.5, 1, 0, (plot_rgb){0, 0, 0}, 0);
        return;
    }
    plot_rgb col = *pred == truth ? plot_cls_right_colour() : plot_cls_wrong_colour();
    snprintf(line, sizeof line, "true %s, pred %s", plot_cls_name(s, truth),
             plot_cls_name(s, *pred));
    if (plot_text_width(c, line, PLOT_TICK_SIZE, 0) <= cell_w - 6) {
        plot_text(c, cx, img.y - 12, line, PLOT_TICK_SIZE, 0.5, 1, 0, col, 0);
        return;
    }
    char second[128];
    snprintf(line, sizeof line, "true %s", plot_cls_name(s, truth));
    snprintf(second, sizeof second, "pred %s", plot_cls_name(s, *pred));
    plot_text(c, cx, img.y - 21, line, PLOT_TICK_SIZE, 0.5, 1, 0, col, 0);
    plot_text(c, cx, img.y - 5, second, PLOT_TICK_SIZE, 0.5, 1, 0, col, 0);
}

/* Draws the grid of the picked rows into c. */
static void draw(plot_canvas *c, const char *title, const plot_cls_set *s, const plot_cls_pick *p,
                 int rows, int cols, int with_model)
{
    int w = plot_canvas_width(c), h = plot_canvas_height(c);
    plot_suptitle(c, title);
    cairo_t *cr = plot_cairo(c);
    for (size_t k = 0; k < p->n; k++) {
        size_t row = p->rows[k];
        plot_rect r = plot_images_cell(w, h, rows, cols, (int)k, with_model, s->w, s->h);
        plot_image_grey(c, r, s->ds->x + row * s->ds->n_features, s->w, s->h, s->lo, s->hi, 1);
        /* A light frame just outside, so white ink on white paper keeps
         * its edges. */
        cairo_save(cr);
        cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
        cairo_set_line_width(cr, 1);
        cairo_rectangle(cr, r.x - 0.5, r.y - 0.5, r.w + 1, r.h + 1);
        cairo_stroke(cr);
        cairo_restore(cr);
        double cell_w = plot_panel_rect(w, h, rows, cols, 0, 0, 1).w;
        cell_text(c, r, cell_w, s, (size_t)s->ds->labels[row], with_model ? &p->pred[k] : NULL);
    }
    if (p->n == 0)
        plot_text(c, w / 2.0, PLOT_SUPTITLE_H + (h - PLOT_SUPTITLE_H) / 2,
                  "no misclassified images", 14, 0.5, 0.5, 0, (plot_rgb){0.35, 0.35, 0.35}, 0);
}

/* Parses argv into a; CLI_OK, CLI_USAGE, or -1 after printing the help. */
static int parse_args(int argc, char **argv, plot_cls_cmd *a)
{
    plot_cls_cmd_defaults(a, 0, 0, 25);
    int rc = plot_cls_parse(CMD, argc, argv, long_options, usage, 0, a);
    if (rc) return rc;
    if (a->count > 10000) return cli_usage_error(CMD, "--count must be at most 10000");
    if (a->columns > 100) return cli_usage_error(CMD, "--columns must be at most 100");
    if (a->misclassified && !plot_model_given(&a->model))
        return cli_usage_error(CMD, "--misclassified needs a model: give --model FILE or "
                                    "--weights FILE");
    return plot_cls_out_check(CMD, a);
}

/* Runs `clmlp plot images`; returns the exit status. */
int plot_kind_images(int argc, char **argv)
{
    plot_cls_cmd a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    plot_cls_set s;
    clmlp_backend_t *be = NULL;
    clmlp_model_t *m = NULL;
    plot_cls_pick p;
    memset(&p, 0, sizeof p);
    int with_model = plot_model_given(&a.model);
    rc = plot_cls_load(CMD, &a.data, &s);
    if (!rc && with_model) rc = plot_cls_model(CMD, &a.model, &a.data, &s, &be, &m);
    if (!rc && m) rc = plot_cls_names(&s, plot_cls_classes(m));
    if (!rc) rc = plot_cls_pick_rows(CMD, m, &s, a.start, a.count, a.misclassified, &p);
    if (!rc) {
        char title[1200];
        if (a.misclassified)
            snprintf(title, sizeof title, "Misclassified %s (%zu of %zu shown)", s.what, p.n,
                     p.wrong_total);
        else
            snprintf(title, sizeof title, "%c%s", s.what[0] == 'i' ? 'I' : s.what[0], s.what + 1);
        if (a.misclassified && p.n == 0)
            fprintf(stderr,
                    "clmlp %s: the model gets every row of %s from row %zu on right; "
                    "the picture says so\n",
                    CMD, s.where, a.start);
        int cols = p.n == 0 ? 1 : (int)(p.n < a.columns ? p.n : a.columns);
        int rows = p.n == 0 ? 1 : (int)((p.n + (size_t)cols - 1) / (size_t)cols);
        if (a.out.width == 0 && plot_images_default_size(s.w, s.h, rows, cols, with_model,
                                                         &a.out.width, &a.out.height) < 0)
            rc = cli_usage_error(CMD,
                                 "%d rows of %d images do not fit a picture (at most "
                                 "16384 pixels a side): give a smaller --count, other "
                                 "--columns, or --size",
                                 rows, cols);
        plot_canvas *canvas = NULL;
        if (!rc) rc = plot_out_open(&a.out, &canvas);
        if (!rc) {
            draw(canvas, plot_out_title(&a.out, title), &s, &p, rows, cols, with_model);
            rc = plot_out_save(&a.out, canvas);
        }
    }
    plot_cls_pick_free(&p);
    clmlp_model_free(m);
    clmlp_backend_free(be);
    plot_cls_free(&s);
    return rc;
}
