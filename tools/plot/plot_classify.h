/* What the picture kinds about classified images share (plot images,
 * probs, confusion): their data options and loading the labelled image set
 * (--dataset mnist|fashion with --set, --images/--labels idx files, or a
 * labelled --data CSV), the images' shape, the class names, and predicting
 * a set with a model in chunks. */
#ifndef CLMLP_PLOT_CLASSIFY_H
#define CLMLP_PLOT_CLASSIFY_H

#include <stddef.h>

#include "cli_data.h"
#include "plot/plot.h"

/* Option values of the shared options. */
enum {
    OPT_CLS_SET = OPT_PLOT_LOCAL,
    OPT_CLS_IMAGES,
    OPT_CLS_LABELS,
    OPT_CLS_SHAPE,
    /* Choices some of the kinds take: each lists only its own in its long
     * options, and plot_cls_parse handles them all. */
    OPT_CLS_COUNT,
    OPT_CLS_START,
    OPT_CLS_COLUMNS,
    OPT_CLS_MISCLASSIFIED,
    OPT_CLS_NORMALIZE
};

/* clang-format off */
#define PLOT_CLS_LONGOPTS                                                         \
    {"data", required_argument, NULL, OPT_DATA}, CLI_CSV_LONGOPTS,                \
    {"arrays", required_argument, NULL, OPT_ARRAYS},                              \
    CLI_DATASET_LONGOPTS,                                                         \
    {"set", required_argument, NULL, OPT_CLS_SET},                                \
    {"images", required_argument, NULL, OPT_CLS_IMAGES},                          \
    {"labels", required_argument, NULL, OPT_CLS_LABELS},                          \
    {"image-shape", required_argument, NULL, OPT_CLS_SHAPE}
/* clang-format on */
/* The data options' help is cli_data.h's, as every command prints it; the
 * heading says which named sets these kinds take. */
#define PLOT_CLS_HELP                                                                              \
    "the images, one of (a named set: mnist or fashion, the sets of images):\n" CLI_DATASET_HELP   \
    "  --set train|test      which half of the data set (default: test)\n"                         \
    "  --images FILE --labels FILE  idx image and label files (raw or gzip), or\n"                 \
    "                        NumPy's .npy files of images (any shape a row) and\n"                 \
    "                        labels\n"                                                             \
    "  --data FILE           a labelled CSV, one image a row\n" CLI_CSV_HELP                       \
    "  --data FILE.npz       NumPy arrays x_test and y_test (Keras's mnist.npz),\n"                \
    "                        else x and y\n"                                                       \
    "  --arrays X,Y          the .npz arrays to read instead (e.g. x_train,y_train)\n"             \
    "  --image-shape WxH     the images' width and height (default: square, the\n"                 \
    "                        square root of the number of features)\n"

/* The data options as given. */
typedef struct {
    cli_data_args data; /* --dataset, --data-dir, --scale, --data, --label-col,
                           --label, --delimiter */
    int train_set;      /* --set train */
    const char *images, *labels;
    int shape_w, shape_h; /* --image-shape, 0 when not given */
    int images_optional;  /* the kind draws no images (confusion):
                             rows need not make square images */
} plot_cls_args;

/* A loaded image set. */
typedef struct {
    clmlp_dataset_t *ds;      /* labelled */
    int w, h;                 /* image width and height: w * h features */
    double lo, hi;            /* pixel values drawn white and black */
    const char *const *names; /* class names, n_names of them */
    size_t n_names;
    char what[512];   /* "MNIST test images" or "images from FILE" */
    char where[512];  /* for messages: "the mnist test set", a path */
    char **own_names; /* names made here (digits), freed with the set */
} plot_cls_set;

void plot_cls_defaults(plot_cls_args *a);

/* A kind's whole command line. */
typedef struct {
    plot_out_args out;
    plot_model_args model;
    plot_cls_args data;
    size_t count, start, columns; /* --count, --start, --columns */
    int misclassified, normalize; /* --misclassified, --normalize */
} plot_cls_cmd;

/* The defaults: a picture of width x height (0x0: the kind sizes it from
 * what it draws), count images, 5 columns, from row 0, cpu backend. */
void plot_cls_cmd_defaults(plot_cls_cmd *a, int width, int height, size_t count);
/* Parses argv with longopts (the shared options and those of the choices
 * above the kind takes), printing usage() for -h; then checks that no
 * words are left and, when need_model, that a model was named.  CLI_OK,
 * CLI_USAGE after the message, or -1 after printing the help.  The caller
 * checks its own limits, then the output with plot_cls_out_check. */
int plot_cls_parse(const char *cmd, int argc, char **argv, const struct option *longopts,
                   void (*usage)(void), int need_model, plot_cls_cmd *a);
/* plot_out_check for a's picture against the files a reads (--model,
 * --weights, --data, --images, --labels). */
int plot_cls_out_check(const char *cmd, const plot_cls_cmd *a);
/* Handles one of the PLOT_CLS_LONGOPTS options; CLI_OK or CLI_USAGE, or -1
 * when opt is none of them. */
int plot_cls_option(const char *cmd, plot_cls_args *a, int opt, const char *arg);
/* Loads the image set: exactly one source, labels present, the shape
 * fitting the features.  k_min: at least this many class names (the
 * model's classes).  CLI_OK, CLI_USAGE or CLI_RUNTIME after the message;
 * s is to be freed with plot_cls_free either way. */
int plot_cls_load(const char *cmd, const plot_cls_args *a, plot_cls_set *s);
/* Names classes 0..k-1 (k may grow past the set's own classes, e.g. to a
 * model's outputs); CLI_OK or CLI_RUNTIME (out of memory). */
int plot_cls_names(plot_cls_set *s, size_t k);
void plot_cls_free(plot_cls_set *s);

/* Opens the model and checks that it takes the set's images and labels
 * (exit 2 naming both when not; also exit 2 for a CSV of class names and a
 * saved model trained on numbered classes).  A model with class names names the
 * classes (borrowed: *m must outlive the drawing), and a CSV of class
 * names (a's --data) is read again through them.  *be, *m are the
 * caller's to free. */
int plot_cls_model(const char *cmd, const plot_model_args *ma, const plot_cls_args *a,
                   plot_cls_set *s, clmlp_backend_t **be, clmlp_model_t **m);

/* Classes a model predicts among: its outputs, or 2 for a single one. */
size_t plot_cls_classes(const clmlp_model_t *m);

/* The model's outputs for rows [start, start+n) of ds, CLI_PREDICT_CHUNK
 * rows at a time, into out (n x outputs, the caller's).  CLI_OK or
 * CLI_RUNTIME after the message. */
int plot_cls_predict(clmlp_model_t *m, const clmlp_dataset_t *ds, size_t start, size_t n,
                     float *out);

/* Rows chosen for a picture. */
typedef struct {
    size_t *rows; /* indices into the set */
    size_t *pred; /* the predicted class of each (with a model) */
    float *out;   /* the model's outputs for each, n x n_out */
    size_t n, n_out;
    size_t wrong_total; /* --misclassified: wrong rows in the whole set */
} plot_cls_pick;

/* Picks up to count rows from start on: every row, or with misclassified
 * only those m gets wrong (m may be NULL without misclassified).  With a
 * model the whole set is predicted when misclassified (to count the
 * wrong rows), else only the rows picked.  CLI_OK, CLI_USAGE (start past
 * the end) or CLI_RUNTIME after the message; free with plot_cls_pick_free. */
int plot_cls_pick_rows(const char *cmd, clmlp_model_t *m, const plot_cls_set *s, size_t start,
                       size_t count, int misclassified, plot_cls_pick *p);
void plot_cls_pick_free(plot_cls_pick *p);

/* Class c's name, or "?" past the names. */
const char *plot_cls_name(const plot_cls_set *s, size_t c);

/* The colours shared by the kinds: right and wrong predictions' text. */
plot_rgb plot_cls_right_colour(void);
plot_rgb plot_cls_wrong_colour(void);

/* ---- class names under a bar chart or a matrix ---- */

/* The widest of the first k class names at the tick size. */
double plot_cls_names_width(plot_canvas *c, const plot_cls_set *s, size_t k);
/* Puts the first k class names on a's x axis (at x = 0..k-1): as the
 * axes' own category labels when they fit level, else leaves those blank
 * and returns 1, so plot_cls_rotated_names draws them slanted after
 * plot_axes_draw.  blanks: k empty strings' room, the caller's. */
int plot_cls_xnames(plot_axes *a, const plot_cls_set *s, size_t k, const char **blanks);
/* The first k class names slanted under a's ticks, as matplotlib's
 * rotation=30, ha="right". */
void plot_cls_rotated_names(plot_axes *a, const plot_cls_set *s, size_t k);
/* How far slanted names of width name_w reach below the frame. */
double plot_cls_rotated_depth(double name_w);

#endif
