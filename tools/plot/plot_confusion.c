/* clmlp plot confusion: a classifier's confusion matrix as a heatmap (rows:
 * the true class, columns: the predicted one), each cell with its count or,
 * with --normalize, its share of the true class, and a colour bar. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_model.h"
#include "plot/plot_classify.h"
#include "plot/plot_classify_layout.h"

#define CMD "plot confusion"

static const struct option long_options[] = {
    PLOT_OUT_LONGOPTS,
    PLOT_MODEL_LONGOPTS,
    PLOT_CLS_LONGOPTS,
    {"normalize", no_argument, NULL, OPT_CLS_NORMALIZE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Prints the usage with every option and its default. */
static void usage(void)
{
    printf("usage: clmlp plot confusion (--model FILE | --weights FILE)\n"
           "         (--dataset mnist|fashion | --images FILE --labels FILE | --data FILE.csv)\n"
           "         -o FILE [options]\n"
           "Draws the confusion matrix of a model on a labelled set: rows are the true\n"
           "class, columns the predicted one, each cell coloured and labelled by its\n"
           "count (or its share of the row with --normalize).\n\n" PLOT_OUT_HELP
           "                        (default: 760x700)\n" PLOT_MODEL_HELP PLOT_CLS_HELP
           "  --normalize           each row's fractions instead of counts\n"
           "  -h, --help            this help\n");
}

/* The room long names need: left of the frame for the row names beyond
 * what the frame's margin holds, and below it for slanted column names. */
static void extra_room(double name_w, int slant, double *left, double *bottom)
{
    *left = name_w > 44 ? name_w - 44 : 0;
    *bottom = slant ? plot_cls_rotated_depth(name_w) - 24 : 0;
}

/* The cell's text: the count, or the fraction with two decimals. */
static void cell_label(char *buf, size_t cap, size_t count, double frac, int normalize)
{
    if (normalize)
        snprintf(buf, cap, "%.2f", frac);
    else
        snprintf(buf, cap, "%zu", count);
}

/* Draws the matrix into c. */
static void draw(plot_canvas *c, const char *title, const plot_cls_set *s, const size_t *cm,
                 size_t k, int normalize, const char **blanks)
{
    int w = plot_canvas_width(c), h = plot_canvas_height(c);
    plot_suptitle(c, title);
    /* Whether the column names must slant decides the room for them. */
    double name_w = plot_cls_names_width(c, s, k);
    plot_rect f0 = plot_confusion_frame(w, h, 0, 0);
    int slant = name_w > f0.w / (double)k - 6;
    double el, eb;
    extra_room(name_w, slant, &el, &eb);
    plot_axes a;
    plot_axes_init(&a, c, plot_confusion_panel(w, h, el, eb), PLOT_ROOM_COLORBAR | PLOT_ROOM_SQUARE,
                   -0.5, (double)k - 0.5, -0.5, (double)k - 0.5);
    a.y_down = 1;
    plot_cls_xnames(&a, s, k, blanks);
    a.ycat = s->names;
    a.nycat = k;
    /* Colours over counts 0..max, or fractions 0..1. */
    double top = 0;
    for (size_t i = 0; i < k * k; i++)
        if ((double)cm[i] > top) top = (double)cm[i];
    if (normalize || top <= 0) top = 1;
    double size = fmin(14, fmax(7, a.frame.w / (double)k * 0.28));
    for (size_t i = 0; i < k; i++) {
        size_t row = 0;
        for (size_t j = 0; j < k; j++) row += cm[i * k + j];
        for (size_t j = 0; j < k; j++) {
            size_t n = cm[i * k + j];
            double frac = row ? (double)n / (double)row : 0;
            double v = normalize ? frac : (double)n;
            plot_rgb col = plot_cmap_blues(v / top);
            plot_fill_data(&a, (double)j - 0.5, (double)i - 0.5, (double)j + 0.5, (double)i + 0.5,
                           col);
            char buf[32];
            cell_label(buf, sizeof buf, n, frac, normalize);
            plot_text(c, plot_px(&a, (double)j), plot_py(&a, (double)i), buf, size, 0.5, 0.5, 0,
                      plot_text_on(col), 0);
        }
    }
    plot_axes_draw(&a, NULL, NULL, NULL);
    if (slant) plot_cls_rotated_names(&a, s, k);
    plot_colorbar(&a, plot_cmap_blues, 0, top, normalize ? "fraction of the true class" : "count");
    plot_text(c, a.frame.x + a.frame.w / 2, a.frame.y + a.frame.h + 28 + eb, "predicted label", 13,
              0.5, 0, 0, (plot_rgb){0, 0, 0}, 0);
    plot_text(c, a.frame.x - 66 - el, a.frame.y + a.frame.h / 2, "true label", 13, 0.5, 0, 90,
              (plot_rgb){0, 0, 0}, 0);
}

/* Parses argv into a; CLI_OK, CLI_USAGE, or -1 after printing the help. */
static int parse_args(int argc, char **argv, plot_cls_cmd *a)
{
    plot_cls_cmd_defaults(a, 760, 700, 0);
    a->data.images_optional = 1;
    int rc = plot_cls_parse(CMD, argc, argv, long_options, usage, 1, a);
    if (rc) return rc;
    return plot_cls_out_check(CMD, a);
}

/* Runs `clmlp plot confusion`; returns the exit status. */
int plot_kind_confusion(int argc, char **argv)
{
    plot_cls_cmd a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? CLI_OK : rc;
    plot_cls_set s;
    clmlp_backend_t *be = NULL;
    clmlp_model_t *m = NULL;
    size_t *cm = NULL, k = 0, right = 0;
    const char **blanks = NULL;
    rc = plot_cls_load(CMD, &a.data, &s);
    if (!rc) rc = plot_cls_model(CMD, &a.model, &a.data, &s, &be, &m);
    if (!rc) {
        k = plot_cls_classes(m);
        rc = plot_cls_names(&s, k);
    }
    if (!rc && (!(cm = calloc(k * k, sizeof *cm)) || !(blanks = calloc(k, sizeof *blanks))))
        rc = cli_out_of_memory();
    cli_tally t = {.k = k, .confusion = cm};
    if (!rc) rc = cli_tally_predictions(m, s.ds, &t);
    if (!rc) {
        right = s.ds->n - t.wrong;
        char title[200];
        snprintf(title, sizeof title, "Confusion matrix: %.1f%% correct",
                 100.0 * (double)right / (double)s.ds->n);
        plot_canvas *canvas = NULL;
        rc = plot_out_open(&a.out, &canvas);
        if (!rc) {
            draw(canvas, plot_out_title(&a.out, title), &s, cm, k, a.normalize, blanks);
            rc = plot_out_save(&a.out, canvas);
        }
    }
    free(blanks);
    free(cm);
    clmlp_model_free(m);
    clmlp_backend_free(be);
    plot_cls_free(&s);
    return rc;
}
