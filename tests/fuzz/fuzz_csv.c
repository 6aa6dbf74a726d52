/* clmlp_dataset_read_csv on any bytes: the input is the CSV file.  Each
 * input is read several ways: with the label in the last, the first and
 * the fourth column (the delimiter detected), so header detection and the
 * label checks meet every column layout the fuzzer makes; with a label
 * column named "label", each delimiter given; and with class names given,
 * as eval maps a test file through a model's. */
#include "fuzz_file.h"

#include "clmlp.h"

/* What the reader promises of a dataset it hands out. */
static void check(const clmlp_dataset_t *ds, const clmlp_csv_opts *o)
{
    if (!ds || ds->n == 0 || !ds->x || !ds->labels || ds->n_classes < 1) abort();
    if (!ds->class_names && ds->n_classes < 2) abort();
    for (size_t r = 0; r < ds->n; r++)
        if (ds->labels[r] < 0 || (size_t)ds->labels[r] >= ds->n_classes) abort();
    for (size_t c = 0; ds->class_names && c < ds->n_classes; c++) {
        if (!ds->class_names[c] || !ds->class_names[c][0]) abort();
        /* Byte order, unless the names were given. */
        if (!o->class_names && c > 0 && strcmp(ds->class_names[c - 1], ds->class_names[c]) >= 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file f;
    const char *path = fuzz_file_set(&f, "clmlp-csv", data, size);
    static const char *const given[3] = {"setosa", "versicolor", "virginica"};
    static const char delims[4] = {0, ',', '\t', ';'};
    clmlp_csv_opts opts[8];
    size_t n = 0;
    static const int label_cols[] = {-1, 0, 3};
    for (size_t i = 0; i < sizeof label_cols / sizeof label_cols[0]; i++) {
        opts[n] = clmlp_csv_opts_default();
        opts[n++].label_col = label_cols[i];
    }
    for (size_t i = 0; i < sizeof delims; i++) {
        opts[n] = clmlp_csv_opts_default();
        opts[n].label_name = "label";
        opts[n++].delimiter = delims[i];
    }
    opts[n] = clmlp_csv_opts_default();
    opts[n].class_names = given;
    opts[n++].n_class_names = 3;
    for (size_t i = 0; i < n; i++) {
        clmlp_dataset_t *ds = NULL;
        if (clmlp_dataset_read_csv_opts(&ds, path, &opts[i]) == CLMLP_OK) check(ds, &opts[i]);
        clmlp_dataset_free(ds);
    }
    return 0;
}
