/* The CLI's feature reader (tools/cli_features.c: `clmlp predict --data`),
 * a CSV of numbers without labels, on any bytes: the input is the file. */
#include "fuzz_file.h"

#include "cli_features.h"
#include "clmlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file f;
    const char *path = fuzz_file_set(&f, "clmlp-features", data, size);
    clmlp_dataset_t *ds = NULL;
    if (cli_read_features_csv(&ds, path) == CLMLP_OK && (!ds || ds->n == 0 || !ds->x)) abort();
    clmlp_dataset_free(ds);
    /* The same bytes as one command-line row (--features), up to a NUL. */
    char *row = malloc(size + 1);
    if (row) {
        memcpy(row, data, size);
        row[size] = '\0';
        ds = NULL;
        cli_parse_features(&ds, row);
        clmlp_dataset_free(ds);
        free(row);
    }
    return 0;
}
