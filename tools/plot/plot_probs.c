/* clmlp plot probs: what a classifier believes about single images.  Each
 * row shows an image and, beside it, the model's predicted distribution
 * over the classes as bars: the true class's bar in blue, the others in
 * grey, the predicted class outlined in black. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_model.h"
#include "plot/plot_classify.h"
#include "plot/plot_classify_layout.h"

#define CMD "plot probs"

static const struct option long_options[] = {
    PLOT_OUT_LONGOPTS,
    PLOT_MODEL_LONGOPTS,
    PLOT_CLS_LONGOPTS,
    {"count", required_argument, NULL, OPT_CLS_COUNT},
    {"start", required_argument, NULL, OPT_CLS_START},
    {"misclassified", no_argument, NULL, OPT_CLS_MISCLASSIFIED},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf(
        "usage: clmlp plot probs (--model FILE | --weights FILE)\n"
        "         (--dataset mnist|fashion | --images FILE --labels FILE | --data FILE.csv)\n"
        "         -o FILE [options]\n"
        "Draws images beside the class probabilities a model gives them: the true\n"
        "class's bar in blue, the others in grey, the predicted class outlined.  The\n"
        "model's last layer must be softmax (its outputs a distribution).  With\n"
        "--misclassified and no wrong rows the picture says so and the exit is 0.\n\n" PLOT_OUT_HELP
        "                        (default: 860 wide, 210 a row)\n" PLOT_MODEL_HELP PLOT_CLS_HELP
        "  --count N             rows drawn, at most (default: 6)\n"
        "  --start K             the first row looked at, 0-based (default: 0)\n"
        "  --misclassified       only rows the model gets wrong\n"
        "  -h, --help            this help\n");
}

/* The bars' colours. */
static plot_rgb true_colour(void) { return plot_palette(0); }
static plot_rgb other_colour(void) { return (plot_rgb){0.72, 0.72, 0.72}; }

/* Draws row r: the image, the bars, the title and (row 0) the legend. */
static void draw_row(plot_canvas *c, const plot_cls_set *s, const plot_cls_pick *p, size_t r,
                     const char **blanks)
{
    int w = plot_canvas_width(c), h = plot_canvas_height(c), n = (int)p->n;
    size_t row = p->rows[r], k = p->n_out, truth = (size_t)s->ds->labels[row];
    size_t pred = p->pred[r];
    const float *prob = p->out + r * k;
    plot_rect img = plot_probs_image_rect(w, h, n, (int)r, s->w, s->h);
    plot_image_grey(c, img, s->ds->x + row * s->ds->n_features, s->w, s->h, s->lo, s->hi, 1);
    cairo_t *cr = plot_cairo(c);
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0.8, 0.8, 0.8);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, img.x - 0.5, img.y - 0.5, img.w + 1, img.h + 1);
    cairo_stroke(cr);
    cairo_restore(cr);

    plot_axes a;
    plot_axes_init(&a, c, plot_probs_bar_panel(w, h, n, (int)r), PLOT_ROOM_LEGEND, -0.5,
                   (double)k - 0.5, 0, 1);
    int slant = plot_cls_xnames(&a, s, k, blanks);
    plot_axes_grid(&a);
    for (size_t j = 0; j < k; j++) {
        double v = prob[j] < 0 ? 0 : prob[j] > 1 ? 1 : prob[j];
        plot_fill_data(&a, (double)j - PLOT_PROBS_BAR_HALF, 0, (double)j + PLOT_PROBS_BAR_HALF, v,
                       j == truth ? true_colour() : other_colour());
    }
    /* The predicted bar's outline, inside its edges so the bar's height
     * stays what it shows. */
    double x0 = plot_px(&a, (double)pred - PLOT_PROBS_BAR_HALF);
    double x1 = plot_px(&a, (double)pred + PLOT_PROBS_BAR_HALF);
    double y0 = plot_py(&a, prob[pred] > 1 ? 1 : prob[pred]), y1 = plot_py(&a, 0);
    if (y1 - y0 > 3) {
        cairo_save(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_set_line_width(cr, 2);
        cairo_rectangle(cr, x0 + 1, y0 + 1, x1 - x0 - 2, y1 - y0 - 2);
        cairo_stroke(cr);
        cairo_restore(cr);
    }
    plot_axes_draw(&a, NULL, NULL, "probability");
    if (slant) plot_cls_rotated_names(&a, s, k);
    char title[300];
    snprintf(title, sizeof title, "true %s, predicted %s (p = %.2f)", plot_cls_name(s, truth),
             plot_cls_name(s, pred), prob[pred]);
    plot_text(c, a.frame.x + a.frame.w / 2, a.frame.y - 10, title, PLOT_TITLE_SIZE, 0.5, 1, 0,
              pred == truth ? (plot_rgb){0, 0, 0} : plot_cls_wrong_colour(), 0);
    if (r == 0) {
        plot_legend_entry e[3] = {
            {.label = "true class",
             .col = true_colour(),
             .marker = PLOT_SQUARE,
             .edge = true_colour()},
            {.label = "other classes",
             .col = other_colour(),
             .marker = PLOT_SQUARE,
             .edge = other_colour()},
            {.label = "predicted class",
             .col = (plot_rgb){1, 1, 1},
             .marker = PLOT_SQUARE,
             .edge = (plot_rgb){0, 0, 0}},
        };
        plot_legend(&a, e, 3, PLOT_LEGEND_RIGHT);
    }
}

/* Draws every row, or the note that there is none. */
static void draw(plot_canvas *c, const char *title, const plot_cls_set *s, const plot_cls_pick *p,
                 const char **blanks)
{
    plot_suptitle(c, title);
    for (size_t r = 0; r < p->n; r++) draw_row(c, s, p, r, blanks);
    if (p->n == 0) {
        int w = plot_canvas_width(c), h = plot_canvas_height(c);
        plot_text(c, w / 2.0, PLOT_SUPTITLE_H + (h - PLOT_SUPTITLE_H) / 2,
                  "no misclassified images", 14, 0.5, 0.5, 0, (plot_rgb){0.35, 0.35, 0.35}, 0);
    }
}

/* Exit 2 unless the model's outputs are a distribution over 2 or more
 * classes: a softmax last layer. */
static int check_distribution(const clmlp_model_t *m, const plot_model_args *ma)
{
    size_t units = 0, n_out = clmlp_model_n_outputs(m);
    clmlp_act act = CLMLP_ACT_LINEAR;
    clmlp_model_layer(m, clmlp_model_n_layers(m) - 1, &units, &act, NULL);
    const char *path = ma->model ? ma->model : ma->weights;
    if (n_out < 2)
        return cli_usage_error(CMD,
                               "the model in %s has a single output, not a distribution "
                               "over classes; plot probs needs one softmax output per "
                               "class",
                               path);
    if (act != CLMLP_ACT_SOFTMAX)
        return cli_usage_error(CMD,
                               "the model in %s ends in %s, so its %zu outputs are not "
                               "probabilities; plot probs needs a softmax last layer",
                               path, clmlp_act_name(act), n_out);
    return CLI_OK;
}

/* Parses argv into a; CLI_OK, CLI_USAGE, or -1 after printing the help. */
static int parse_args(int argc, char **argv, plot_cls_cmd *a)
{
    plot_cls_cmd_defaults(a, 0, 0, 6);
    int rc = plot_cls_parse(CMD, argc, argv, long_options, usage, 1, a);
    if (rc) return rc;
    if (a->count > 50) return cli_usage_error(CMD, "--count must be at most 50");
    return plot_cls_out_check(CMD, a);
}

/* Runs `clmlp plot probs`; returns the exit status. */
int plot_kind_probs(int argc, char **argv)
{
    plot_cls_cmd a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    plot_cls_set s;
    clmlp_backend_t *be = NULL;
    clmlp_model_t *m = NULL;
    plot_cls_pick p;
    memset(&p, 0, sizeof p);
    const char **blanks = NULL;
    rc = plot_cls_load(CMD, &a.data, &s);
    if (!rc) rc = plot_cls_model(CMD, &a.model, &a.data, &s, &be, &m);
    if (!rc) rc = check_distribution(m, &a.model);
    if (!rc) rc = plot_cls_names(&s, plot_cls_classes(m));
    if (!rc && !(blanks = calloc(plot_cls_classes(m), sizeof *blanks))) rc = cli_out_of_memory();
    if (!rc) rc = plot_cls_pick_rows(CMD, m, &s, a.start, a.count, a.misclassified, &p);
    if (!rc) {
        char title[1200];
        if (a.misclassified)
            snprintf(title, sizeof title,
                     "Predicted probabilities: misclassified %s "
                     "(%zu of %zu shown)",
                     s.what, p.n, p.wrong_total);
        else
            snprintf(title, sizeof title, "Predicted probabilities: %s", s.what);
        if (a.misclassified && p.n == 0)
            fprintf(stderr,
                    "clmlp %s: the model gets every row of %s from row %zu on right; "
                    "the picture says so\n",
                    CMD, s.where, a.start);
        if (a.out.width == 0) plot_probs_default_size((int)p.n, &a.out.width, &a.out.height);
        plot_canvas *canvas = NULL;
        rc = plot_out_open(&a.out, &canvas);
        if (!rc) {
            draw(canvas, plot_out_title(&a.out, title), &s, &p, blanks);
            rc = plot_out_save(&a.out, canvas);
        }
    }
    free(blanks);
    plot_cls_pick_free(&p);
    clmlp_model_free(m);
    clmlp_backend_free(be);
    plot_cls_free(&s);
    return rc;
}
