/* Data options: parsing them, loading CSV files or a named data set, and
 * checking a model against the data before any training starts. */
#include "cli_data.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli_features.h"
#include "data/class_names.h"
#include "util/error.h"

void cli_data_defaults(cli_data_args *a)
{
    memset(a, 0, sizeof *a);
    a->label_col = -1;
    a->data_dir = NULL; /* searched for: see named_dir */
    a->task = CLMLP_TASK_AUTO;
}

/* Splits text (copied into a->list_buf) at commas into *list of at most
 * CLI_MAX_TARGETS non-empty items; CLI_OK or a usage error naming opt. */
static int split_list(const char *cmd, cli_data_args *a, const char *opt, const char *text,
                      const char **list, size_t *n)
{
    if (strlen(text) >= sizeof a->list_buf)
        return cli_usage_error(cmd, "%s: the list is too long", opt);
    snprintf(a->list_buf, sizeof a->list_buf, "%s", text);
    *n = 0;
    for (char *p = a->list_buf;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        if (!*p) return cli_usage_error(cmd, "%s: an empty item in '%s'", opt, text);
        if (*n == CLI_MAX_TARGETS)
            return cli_usage_error(cmd, "%s: at most %d targets", opt, CLI_MAX_TARGETS);
        list[(*n)++] = p;
        if (!comma) break;
        p = comma + 1;
    }
    return CLI_OK;
}

/* --label-col N,M,...: several target columns. */
static int col_list(const char *cmd, cli_data_args *a, const char *arg)
{
    const char *items[CLI_MAX_TARGETS];
    size_t n = 0;
    int rc = split_list(cmd, a, "--label-col", arg, items, &n);
    for (size_t k = 0; !rc && k < n; k++) {
        long v = 0;
        rc = cli_parse_long(cmd, "--label-col", items[k], -(long)INT_MAX, INT_MAX, &v);
        a->col_list[k] = (int)v;
    }
    a->n_col_list = rc ? 0 : n;
    return rc;
}

/* --arrays X,Y: the .npz arrays. */
static int arrays_option(const char *cmd, cli_data_args *a, const char *arg)
{
    const char *comma = strchr(arg, ',');
    size_t nx = comma ? (size_t)(comma - arg) : strlen(arg);
    if (!comma || nx == 0 || !comma[1] || strchr(comma + 1, ',') || nx >= sizeof a->x_array ||
        strlen(comma + 1) >= sizeof a->y_array)
        return cli_usage_error(cmd, "--arrays takes the names of two arrays as X,Y, got '%s'", arg);
    memcpy(a->x_array, arg, nx);
    a->x_array[nx] = '\0';
    snprintf(a->y_array, sizeof a->y_array, "%s", comma + 1);
    return CLI_OK;
}

/* Whether name is a data set we know. */
static int known_dataset(const char *name)
{
    return strcmp(name, "mnist") == 0 || strcmp(name, "fashion") == 0 ||
           strcmp(name, "circle") == 0 || strcmp(name, "xor") == 0;
}

/* Whether the named data set is read from idx files. */
static int is_idx(const char *name)
{
    return strcmp(name, "mnist") == 0 || strcmp(name, "fashion") == 0;
}

int cli_data_is_option(int opt)
{
    switch (opt) {
    case OPT_TRAIN:
    case OPT_TEST:
    case OPT_DATA:
    case OPT_NO_LABELS:
    case OPT_DATA_DIR:
    case OPT_LABEL_COL:
    case OPT_CSV_LABEL:
    case OPT_LABELS_FILE:
    case OPT_TEST_LABELS_FILE:
    case OPT_ARRAYS:
    case OPT_CSV_DELIMITER:
    case OPT_DATASET:
    case OPT_SCALE: return 1;
    default: return 0;
    }
}

int cli_data_option(const char *cmd, cli_data_args *a, int opt, const char *arg)
{
    switch (opt) {
    case OPT_TRAIN: a->train = arg; return CLI_OK;
    case OPT_TEST: a->test = arg; return CLI_OK;
    case OPT_DATA: a->data = arg; return CLI_OK;
    case OPT_NO_LABELS: a->no_labels = 1; return CLI_OK;
    case OPT_DATA_DIR: a->data_dir = arg; return CLI_OK;
    case OPT_LABEL_COL:
        /* The last --label-col given is the one that counts. */
        a->label_col_set = 1;
        a->n_col_list = 0;
        if (strchr(arg, ',')) return col_list(cmd, a, arg);
        return cli_parse_long(cmd, "--label-col", arg, -(long)INT_MAX, INT_MAX, &a->label_col);
    case OPT_CSV_LABEL:
        if (!arg[0]) return cli_usage_error(cmd, "--label needs a column name");
        a->label_name = arg;
        a->n_label_list = 0;
        if (strchr(arg, ','))
            return split_list(cmd, a, "--label", arg, a->label_list, &a->n_label_list);
        return CLI_OK;
    case OPT_LABELS_FILE: a->labels_file = arg; return CLI_OK;
    case OPT_TEST_LABELS_FILE: a->test_labels_file = arg; return CLI_OK;
    case OPT_ARRAYS: return arrays_option(cmd, a, arg);
    case OPT_CSV_DELIMITER:
        if (strcmp(arg, ",") == 0 || strcmp(arg, "comma") == 0)
            a->delimiter = ',';
        else if (strcmp(arg, ";") == 0 || strcmp(arg, "semicolon") == 0)
            a->delimiter = ';';
        else if (strcmp(arg, "\t") == 0 || strcmp(arg, "\\t") == 0 || strcmp(arg, "tab") == 0)
            a->delimiter = '\t';
        else
            return cli_usage_error(cmd, "--delimiter must be ',', ';', tab or '\\t', got '%s'",
                                   arg);
        return CLI_OK;
    case OPT_DATASET:
        if (!known_dataset(arg))
            return cli_usage_error(cmd,
                                   "--dataset must be mnist, fashion, circle or xor, "
                                   "got '%s'",
                                   arg);
        a->dataset = arg;
        return CLI_OK;
    case OPT_SCALE:
        a->scale_set = 1;
        if (strcmp(arg, "01") == 0)
            a->scale_pm1 = 0;
        else if (strcmp(arg, "pm1") == 0)
            a->scale_pm1 = 1;
        else
            return cli_usage_error(cmd, "--scale must be 01 or pm1, got '%s'", arg);
        return CLI_OK;
    default: return cli_usage_error(cmd, "internal: option %d is not a data option", opt);
    }
}

/* Whether path ends in ext (".npy"), in any case. */
static int has_ext(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n > e && strcasecmp(path + n - e, ext) == 0;
}

int cli_data_is_numpy(const char *path)
{
    return path && (has_ext(path, ".npy") || has_ext(path, ".npz"));
}

/* Rejects options that do not go with a named data set or with each other. */
static int check_combination(const char *cmd, const cli_data_args *a)
{
    if (a->dataset && (a->train || a->test || a->data))
        return cli_usage_error(cmd, "give either --dataset or CSV files, not both");
    if (a->dataset && (a->label_col_set || a->label_name || a->delimiter))
        return cli_usage_error(cmd, "--%s applies to CSV files, not --dataset",
                               a->label_col_set ? "label-col"
                               : a->label_name  ? "label"
                                                : "delimiter");
    if (a->dataset && a->task_given)
        return cli_usage_error(cmd,
                               "--task applies to data files; --dataset %s is a set of "
                               "classes",
                               a->dataset);
    if (a->dataset && (a->labels_file || a->test_labels_file || a->x_array[0]))
        return cli_usage_error(cmd, "--%s applies to NumPy files, not --dataset",
                               a->labels_file        ? "labels"
                               : a->test_labels_file ? "test-labels"
                                                     : "arrays");
    if (a->label_name && a->label_col_set)
        return cli_usage_error(cmd, "give the label column by --label NAME or --label-col N, "
                                    "not both");
    if (a->dataset && a->no_labels)
        return cli_usage_error(cmd, "--no-labels applies to a CSV file, not --dataset");
    if (a->scale_set && !(a->dataset && is_idx(a->dataset)))
        return cli_usage_error(cmd, "--scale applies to --dataset mnist or fashion");
    if (a->no_labels && (a->label_col_set || a->label_name))
        return cli_usage_error(cmd, "--no-labels and --%s contradict each other",
                               a->label_name ? "label" : "label-col");
    if (a->no_labels && a->delimiter)
        return cli_usage_error(cmd, "--delimiter: a --no-labels file is read with commas");
    const char *own = a->train ? a->train : a->data;
    if (a->no_labels && (cli_data_is_numpy(own) || cli_data_is_numpy(a->test)))
        return cli_usage_error(cmd, "--no-labels applies to CSV files: a NumPy file is read for "
                                    "its labels only when --labels (or an .npz's y) names them");
    if (a->labels_file && !(own && has_ext(own, ".npy")))
        return cli_usage_error(cmd, "--labels FILE gives the labels of an .npy file of features "
                                    "(--train or --data FILE.npy)");
    if (a->test_labels_file && !(a->test && has_ext(a->test, ".npy")))
        return cli_usage_error(cmd, "--test-labels FILE gives the labels of --test FILE.npy");
    int npz = (own && has_ext(own, ".npz")) || (a->test && has_ext(a->test, ".npz"));
    if (a->x_array[0] && !npz)
        return cli_usage_error(cmd, "--arrays names the arrays of an .npz file");
    if ((a->n_label_list > 1 || a->n_col_list > 1) && a->task == CLMLP_TASK_CLASSIFICATION)
        return cli_usage_error(cmd, "several label columns are a regression's targets; a "
                                    "classifier has one");
    return CLI_OK;
}

/* Builds DIR/SUB/FILE, or DIR/SUB/FILE.gz unless only the uncompressed
 * file exists. */
static void idx_path(char *buf, size_t cap, const char *dir, const char *sub, const char *file)
{
    snprintf(buf, cap, "%s/%s/%s", dir, sub, file);
    if (access(buf, R_OK) == 0) return;
    snprintf(buf, cap, "%s/%s/%s.gz", dir, sub, file);
}

/* Whether dir holds the named set (its training labels, or the circle
 * set's training file). */
static int holds_set(const char *dir, const char *set)
{
    char path[4096];
    if (strcmp(set, "circle") == 0)
        snprintf(path, sizeof path, "%s/circle-train.csv", dir);
    else
        idx_path(path, sizeof path, dir, set, "train-labels-idx1-ubyte");
    return access(path, R_OK) == 0;
}

/* Where the named set a->dataset lives: --data-dir when given; else the
 * first of ./data, the source tree's data/ and the installed data folder
 * that holds it, so the shipped sets are found from any working directory
 * and after install; else ./data (which the messages then name). */
static const char *named_dir(const cli_data_args *a)
{
    if (a->data_dir) return a->data_dir;
    static const char *const dirs[] = {
        "data",
#ifdef CLMLP_SOURCE_DATA_DIR
        CLMLP_SOURCE_DATA_DIR,
#endif
#ifdef CLMLP_INSTALL_DATA_DIR
        CLMLP_INSTALL_DATA_DIR,
#endif
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        if (holds_set(dirs[i], a->dataset)) return dirs[i];
    return "data";
}

int cli_data_load_named(const cli_data_args *a, int test, clmlp_dataset_t **out)
{
    int rc;
    const char *dir = strcmp(a->dataset, "xor") == 0 ? "" : named_dir(a);
    if (strcmp(a->dataset, "xor") == 0) {
        rc = clmlp_dataset_xor(out);
    } else if (strcmp(a->dataset, "circle") == 0) {
        char path[4096];
        snprintf(path, sizeof path, "%s/circle-%s.csv", dir, test ? "test" : "train");
        rc = clmlp_dataset_read_csv(out, path, -1);
    } else {
        char images[4096], labels[4096];
        idx_path(images, sizeof images, dir, a->dataset,
                 test ? "t10k-images-idx3-ubyte" : "train-images-idx3-ubyte");
        idx_path(labels, sizeof labels, dir, a->dataset,
                 test ? "t10k-labels-idx1-ubyte" : "train-labels-idx1-ubyte");
        rc = clmlp_dataset_read_idx(out, images, labels, a->scale_pm1);
        if (rc < 0 && (access(images, R_OK) != 0 || access(labels, R_OK) != 0)) {
            cli_runtime_error();
            fprintf(stderr, "clmlp: fetch the data set with: tools/get-data --only %s %s\n",
                    a->dataset, dir);
            return CLI_RUNTIME;
        }
    }
    if (rc < 0 && strcmp(a->dataset, "circle") == 0 && !holds_set(dir, "circle")) {
        cli_runtime_error();
        fprintf(stderr, "clmlp: make the circle set with: tools/make-circle --out %s\n", dir);
        return CLI_RUNTIME;
    }
    return rc < 0 ? cli_runtime_error() : CLI_OK;
}

/* Whether every row of ds's targets is one-hot (one 1, the rest 0): the
 * classes of Keras's to_categorical, not values. */
static int one_hot_targets(const clmlp_dataset_t *ds)
{
    if (!ds->targets || ds->n_targets < 2) return 0;
    for (size_t i = 0; i < ds->n; i++) {
        size_t ones = 0;
        for (size_t j = 0; j < ds->n_targets; j++) {
            float v = ds->targets[i * ds->n_targets + j];
            if (v != 0.0f && v != 1.0f) return 0;
            ones += v == 1.0f;
        }
        if (ones != 1) return 0;
    }
    return 1;
}

/* Turns ds's one-hot targets into class labels (the column of the 1). */
static int one_hot_to_labels(clmlp_dataset_t *ds)
{
    int32_t *labels = malloc(ds->n * sizeof *labels);
    if (!labels) return cli_out_of_memory();
    for (size_t i = 0; i < ds->n; i++)
        for (size_t j = 0; j < ds->n_targets; j++)
            if (ds->targets[i * ds->n_targets + j] == 1.0f) labels[i] = (int32_t)j;
    ds->n_classes = ds->n_targets;
    free(ds->targets);
    ds->targets = NULL;
    ds->n_targets = 0;
    ds->labels = labels;
    return CLI_OK;
}

/* The number of distinct labels in ds (labels >= 0). */
static size_t distinct_labels(const clmlp_dataset_t *ds)
{
    size_t top = 0, count = 0;
    for (size_t i = 0; i < ds->n; i++)
        if ((size_t)ds->labels[i] + 1 > top) top = (size_t)ds->labels[i] + 1;
    unsigned char *seen = calloc(top ? top : 1, 1);
    if (!seen) return 0; /* no memory to tell: the caller's rule passes */
    for (size_t i = 0; i < ds->n; i++)
        if (!seen[ds->labels[i]]) {
            seen[ds->labels[i]] = 1;
            count++;
        }
    free(seen);
    return count;
}

/* Makes ds what task asks of a NumPy set (whose reader tells classes from
 * values by the labels array alone): one-hot rows are classes (not under
 * --task regression); an automatic task takes at most
 * CLMLP_CSV_AUTO_CLASSES distinct whole numbers for classes, as for CSV
 * files, and refuses more; a regression's targets come from whole-number
 * labels, a classifier refuses values.  fallback: an automatic task keeps
 * many whole numbers as classes (cli_data_args.task_fallback).  CLI_OK, or
 * a usage error naming path. */
static int npy_as_task(const char *cmd, clmlp_dataset_t *ds, clmlp_task task, int fallback,
                       const char *path)
{
    if (task != CLMLP_TASK_REGRESSION && one_hot_targets(ds)) return one_hot_to_labels(ds);
    if (task == CLMLP_TASK_AUTO && !fallback && ds->labels && !ds->class_names) {
        size_t distinct = distinct_labels(ds);
        if (distinct > CLMLP_CSV_AUTO_CLASSES)
            return cli_usage_error(cmd,
                                   "%s: the labels hold %zu different whole numbers: too many "
                                   "to be taken for classes (more than %d), and none has a "
                                   "fraction to make them values; say which task it is, with "
                                   "--task regression or --task classification",
                                   path, distinct, CLMLP_CSV_AUTO_CLASSES);
    }
    if (task == CLMLP_TASK_REGRESSION && ds->labels && !ds->targets) {
        ds->targets = malloc(ds->n * sizeof *ds->targets);
        if (!ds->targets) return cli_out_of_memory();
        for (size_t i = 0; i < ds->n; i++) ds->targets[i] = (float)ds->labels[i];
        ds->n_targets = 1;
        free(ds->labels);
        ds->labels = NULL;
        ds->n_classes = 0;
    } else if (task == CLMLP_TASK_CLASSIFICATION && !ds->labels && ds->targets) {
        return cli_usage_error(cmd,
                               "%s: the labels are values (fractions, or several per row), "
                               "not classes: the task is regression",
                               path);
    }
    return CLI_OK;
}

/* Reads a NumPy file (.npy with labels_path, or .npz; test asks for an
 * archive's test arrays when it has them). */
static int load_numpy(const char *cmd, const cli_data_args *a, const char *path,
                      const char *labels_path, int test, clmlp_dataset_t **out)
{
    int rc;
    if (has_ext(path, ".npy")) {
        rc = clmlp_dataset_read_npy(out, path, labels_path);
    } else if (a->x_array[0]) {
        rc = clmlp_dataset_read_npz(out, path, a->x_array, a->y_array);
    } else {
        rc = test ? clmlp_dataset_read_npz(out, path, "x_test", "y_test") : CLMLP_E_NOT_FOUND;
        if (rc == CLMLP_E_NOT_FOUND) rc = clmlp_dataset_read_npz(out, path, NULL, NULL);
    }
    if (rc == CLMLP_E_NOT_FOUND && a->x_array[0])
        return cli_usage_error(cmd, "--arrays %s,%s: %s", a->x_array, a->y_array,
                               clmlp_last_error());
    if (rc < 0) return cli_runtime_error();
    rc = npy_as_task(cmd, *out, a->task, a->task_fallback, labels_path ? labels_path : path);
    if (rc) {
        clmlp_dataset_free(*out);
        *out = NULL;
    }
    return rc;
}

/* Reads a labelled data file -- CSV, or NumPy's -- mapping label names
 * through names (n of them) when not NULL.  CLI_OK, CLI_USAGE (no column
 * has the --label name: the message lists the headers; an automatic task
 * the labels cannot tell) or CLI_RUNTIME. */
static int load_file(const char *cmd, const cli_data_args *a, const char *path,
                     const char *labels_path, int test, const char *const *names, size_t n,
                     clmlp_dataset_t **out)
{
    if (has_ext(path, ".npy") || has_ext(path, ".npz"))
        return load_numpy(cmd, a, path, labels_path, test, out);
    clmlp_csv_opts o = clmlp_csv_opts_default();
    o.label_col = (int)a->label_col;
    o.label_name = a->n_label_list ? NULL : a->label_name;
    o.delimiter = a->delimiter;
    o.class_names = names;
    o.n_class_names = names ? n : 0;
    o.task = a->task;
    o.label_names = a->label_list;
    o.n_label_names = a->n_label_list;
    o.label_cols = a->col_list;
    o.n_label_cols = a->n_col_list;
    int rc = clmlp_dataset_read_csv_opts(out, path, &o);
    if (rc == CLMLP_E_NOT_FOUND && a->targets_by_model) {
        o.label_names = NULL;
        o.n_label_names = 0;
        rc = clmlp_dataset_read_csv_opts(out, path, &o);
    }
    if (rc == CLMLP_E_INVALID && a->task == CLMLP_TASK_AUTO && a->task_fallback) {
        o.task = CLMLP_TASK_CLASSIFICATION;
        rc = clmlp_dataset_read_csv_opts(out, path, &o);
    }
    if (rc == CLMLP_E_NOT_FOUND && a->label_name)
        return cli_usage_error(cmd, "--label %s: %s", a->label_name, clmlp_last_error());
    /* The one error of an automatic task that --task settles: too many
     * whole numbers to tell (the reader's message asks "say which task"). */
    if (rc == CLMLP_E_INVALID && a->task == CLMLP_TASK_AUTO &&
        strstr(clmlp_last_error(), "say which task"))
        return cli_usage_error(cmd, "%s, with --task regression or --task classification",
                               clmlp_last_error());
    return rc < 0 ? cli_runtime_error() : CLI_OK;
}

int cli_data_check_train(const char *cmd, const cli_data_args *a)
{
    int rc = check_combination(cmd, a);
    if (rc) return rc;
    if (a->data) return cli_usage_error(cmd, "train reads --train (and --test), not --data");
    if (a->no_labels) return cli_usage_error(cmd, "training needs labels (no --no-labels)");
    if (!a->dataset && !a->train)
        return cli_usage_error(cmd, "no data: give --train FILE [--test FILE] or --dataset NAME");
    return CLI_OK;
}

int cli_data_load_train(const char *cmd, const cli_data_args *a, clmlp_dataset_t **train,
                        clmlp_dataset_t **test)
{
    *train = *test = NULL;
    int rc = cli_data_check_train(cmd, a);
    if (rc) return rc;
    if (a->dataset) {
        rc = cli_data_load_named(a, 0, train);
        if (!rc) rc = cli_data_load_named(a, 1, test);
    } else {
        /* The test set's label names mean what the training set's do, or
         * both map through the names given (a resumed model's). */
        rc =
            load_file(cmd, a, a->train, a->labels_file, 0, a->class_names, a->n_class_names, train);
        /* The test set is read as the training set turned out: the same
         * task (an automatic one decided there), the same class names. */
        cli_data_args t = *a;
        if (!rc) t.task = (*train)->labels ? CLMLP_TASK_CLASSIFICATION : CLMLP_TASK_REGRESSION;
        if (!rc && a->test)
            rc = load_file(cmd, &t, a->test, a->test_labels_file, 1,
                           (const char *const *)(*train)->class_names,
                           (*train)->class_names ? (*train)->n_classes : 0, test);
    }
    if (rc) {
        clmlp_dataset_free(*train);
        clmlp_dataset_free(*test);
        *train = *test = NULL;
        return rc;
    }
    if (*test && (*test)->n_features != (*train)->n_features) {
        char n1[256], n2[256];
        fprintf(stderr, "clmlp: %s has %zu features per row but %s has %zu\n",
                cli_data_name(a, 0, n1, sizeof n1), (*train)->n_features,
                cli_data_name(a, 1, n2, sizeof n2), (*test)->n_features);
        clmlp_dataset_free(*train);
        clmlp_dataset_free(*test);
        *train = *test = NULL;
        return CLI_RUNTIME;
    }
    return CLI_OK;
}

int cli_data_check_eval(const char *cmd, const cli_data_args *a, int allow_no_labels)
{
    int rc = check_combination(cmd, a);
    if (rc) return rc;
    if (a->train || a->test)
        return cli_usage_error(cmd, "give the data as --data FILE (or --dataset NAME)");
    if (a->no_labels && !allow_no_labels)
        return cli_usage_error(cmd, "--no-labels: evaluating needs the labels");
    if (!a->dataset && !a->data)
        return cli_usage_error(cmd, "no data: give --data FILE or --dataset NAME");
    return CLI_OK;
}

int cli_data_load_eval(const char *cmd, const cli_data_args *a, int allow_no_labels,
                       clmlp_dataset_t **out)
{
    *out = NULL;
    int rc = cli_data_check_eval(cmd, a, allow_no_labels);
    if (rc) return rc;
    if (a->dataset) return cli_data_load_named(a, 1, out);
    if (a->no_labels) return cli_read_features_csv(out, a->data) < 0 ? cli_runtime_error() : CLI_OK;
    return load_file(cmd, a, a->data, a->labels_file, 1, a->class_names, a->n_class_names, out);
}

void cli_data_as_model(cli_data_args *d, const clmlp_model_t *m)
{
    d->class_names = clmlp_model_class_names(m, &d->n_class_names);
    d->task = clmlp_model_task(m);
    /* A regression model finds its targets by the names it was trained
     * with, in a file with a header that has them, unless told. */
    size_t n = 0;
    const char *const *names = clmlp_model_target_names(m, &n);
    if (names && n <= CLI_MAX_TARGETS && !d->label_name && !d->label_col_set && !d->no_labels) {
        for (size_t j = 0; j < n; j++) d->label_list[j] = names[j];
        d->n_label_list = n;
        d->targets_by_model = 1;
    }
}

int cli_data_load_for_model(const char *cmd, const cli_data_args *a, int allow_no_labels,
                            const clmlp_model_t *m, clmlp_dataset_t **out)
{
    cli_data_args d = *a;
    cli_data_as_model(&d, m);
    return cli_data_load_eval(cmd, &d, allow_no_labels, out);
}

const char *cli_class_name(const char *const *names, size_t n, size_t c, char *buf, size_t cap)
{
    if (names && c < n)
        snprintf(buf, cap, "%s", names[c]);
    else
        snprintf(buf, cap, "%zu", c);
    return buf;
}

const char *cli_data_name(const cli_data_args *a, int which, char *buf, size_t cap)
{
    if (!a->dataset) {
        const char *p = which == 0 ? a->train : which == 1 ? a->test : a->data;
        snprintf(buf, cap, "%s", p ? p : "the data");
    } else {
        snprintf(buf, cap, "the %s %s set", a->dataset, which == 0 ? "training" : "test");
    }
    return buf;
}

/* Finds the largest label in ds and the first row holding it. */
static int32_t max_label(const clmlp_dataset_t *ds, size_t *row)
{
    int32_t best = -1;
    *row = 0;
    for (size_t i = 0; i < ds->n; i++)
        if (ds->labels[i] > best) {
            best = ds->labels[i];
            *row = i;
        }
    return best;
}

/* Checks integer labels against the output width and the loss. */
static int check_labels_fit(const char *cmd, const char *model_what, clmlp_loss loss, size_t n_out,
                            const clmlp_dataset_t *ds, const char *what)
{
    size_t row = 0;
    int32_t top = max_label(ds, &row);
    int categorical = loss == CLMLP_LOSS_CCE || loss == CLMLP_LOSS_SPARSE_CCE;
    if (categorical && n_out < 2)
        return cli_usage_error(cmd,
                               "loss %s needs at least 2 output units (one per class), "
                               "but %s has 1; use 1:sigmoid with binary_crossentropy",
                               clmlp_loss_name(loss), model_what);
    /* Named classes: one output per name (a single output tells 2 apart),
     * or a prediction of an unnamed class would print as a number. */
    size_t classes = n_out == 1 ? 2 : n_out;
    if (ds->class_names && ds->n_classes != classes)
        return cli_usage_error(cmd,
                               "%s names %zu classes (\"%s\", ...), but %s has %zu output "
                               "unit%s, which tell%s %zu apart; give the output layer %s",
                               what, ds->n_classes, ds->class_names[0], model_what, n_out,
                               n_out == 1 ? "" : "s", n_out == 1 ? "s" : "", classes,
                               ds->n_classes == 2 ? "1 sigmoid unit or 2 softmax units"
                                                  : "one unit per class");
    char name[300] = "";
    if (ds->class_names && top >= 0 && (size_t)top < ds->n_classes)
        snprintf(name, sizeof name, " (class \"%s\" of %zu: %s names %zu classes)",
                 ds->class_names[top], ds->n_classes, what, ds->n_classes);
    if (n_out == 1 && top > 1)
        return cli_usage_error(cmd,
                               "%s has a single output unit, which fits labels 0 and 1, "
                               "but %s has label %d%s (row %zu); give the output layer "
                               "one unit per class",
                               model_what, what, (int)top, name, row + 1);
    if (n_out > 1 && top >= 0 && (size_t)top >= n_out)
        return cli_usage_error(cmd,
                               "label %d%s in %s (row %zu) is out of range for the %zu "
                               "output units of %s (labels must be < %zu)",
                               (int)top, name, what, row + 1, n_out, model_what, n_out);
    return CLI_OK;
}

int cli_check_data(const char *cmd, const clmlp_model_t *m, const char *model_what, clmlp_loss loss,
                   const clmlp_dataset_t *ds, const char *what, int check_labels)
{
    size_t n_in = clmlp_model_n_inputs(m), n_out = clmlp_model_n_outputs(m);
    if (ds->n_features != n_in)
        return cli_usage_error(cmd, "%s takes %zu inputs, but %s has %zu features per row",
                               model_what, n_in, what, ds->n_features);
    if (!check_labels) return CLI_OK;
    if (ds->labels) return check_labels_fit(cmd, model_what, loss, n_out, ds, what);
    if (ds->targets && ds->n_targets != n_out)
        return cli_usage_error(cmd, "%s has %zu outputs, but %s has %zu targets per row",
                               model_what, n_out, what, ds->n_targets);
    if (!ds->targets) {
        size_t n = strlen(what);
        int npz = n > 4 && strcasecmp(what + n - 4, ".npz") == 0;
        return cli_usage_error(cmd, "%s has no labels%s", what,
                               npz ? " (name the archive's labels with --arrays X,Y)"
                               : cli_data_is_numpy(what)
                                   ? " (an .npy file's come from --labels FILE.npy, or "
                                     "--test-labels for --test)"
                                   : "");
    }
    return CLI_OK;
}

int cli_check_names(const char *cmd, const clmlp_model_t *m, const char *model_what,
                    const clmlp_dataset_t *ds, const char *what)
{
    if (!ds->class_names || clmlp_model_class_names(m, NULL)) return CLI_OK;
    /* Sorted names would silently become class numbers the model never
     * meant: class 0 is whatever name sorts first. */
    char list[400];
    return cli_usage_error(cmd,
                           "%s holds class names (%s), but %s was trained on numbered "
                           "classes: give the data with the class numbers it was trained "
                           "on",
                           what,
                           clmlp_class_names_list((const char *const *)ds->class_names,
                                                  ds->n_classes, list, sizeof list),
                           model_what);
}
