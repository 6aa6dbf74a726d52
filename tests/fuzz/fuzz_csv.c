/* clmlp_dataset_read_csv on any bytes: the input is the CSV file.  Each
 * input is read three ways, with the label in the last, the first and the
 * fourth column, so header detection and the label checks meet every
 * column layout the fuzzer makes. */
#include "fuzz_file.h"

#include "clmlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file f;
    const char *path = fuzz_file_set(&f, "clmlp-csv", data, size);
    static const int label_cols[] = {-1, 0, 3};
    for (size_t i = 0; i < sizeof label_cols / sizeof label_cols[0]; i++) {
        clmlp_dataset_t *ds = NULL;
        if (clmlp_dataset_read_csv(&ds, path, label_cols[i]) == CLMLP_OK) {
            /* What the reader promises of a dataset it hands out. */
            if (!ds || ds->n == 0 || !ds->x || !ds->labels || ds->n_classes < 2) abort();
            for (size_t r = 0; r < ds->n; r++)
                if (ds->labels[r] < 0 || (size_t)ds->labels[r] >= ds->n_classes) abort();
        }
        clmlp_dataset_free(ds);
    }
    return 0;
}
