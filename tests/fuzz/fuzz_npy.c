/* clmlp_dataset_read_npy on any bytes.  It reads two files, so an input is
 *   4 bytes  little-endian: the x file's length (bit 31: no y file, the
 *            features alone); more than is left means all of it
 *   the x file, then the y file (the rest).
 * Every dataset it hands out is checked against what the reader promises:
 * rows and features, finite values, labels within the classes or finite
 * targets, never both. */
#include "fuzz_file.h"

#include <math.h>

#include "clmlp.h"

/* What the reader promises of a dataset it hands out. */
static void check(const clmlp_dataset_t *ds, int with_y)
{
    if (!ds || ds->n == 0 || ds->n_features == 0 || !ds->x) abort();
    for (size_t i = 0; i < ds->n * ds->n_features; i++)
        if (!isfinite(ds->x[i])) abort();
    if (!with_y) {
        if (ds->labels || ds->targets) abort();
        return;
    }
    if ((ds->labels != NULL) == (ds->targets != NULL)) abort();
    if (ds->labels) {
        if (ds->n_classes < 2 || ds->n_targets) abort();
        for (size_t i = 0; i < ds->n; i++)
            if (ds->labels[i] < 0 || (size_t)ds->labels[i] >= ds->n_classes) abort();
    } else {
        if (ds->n_targets == 0 || ds->n_classes) abort();
        for (size_t i = 0; i < ds->n * ds->n_targets; i++)
            if (!isfinite(ds->targets[i])) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file fx, fy;
    if (size < 4) return 0;
    uint32_t head = fuzz_le32(data);
    int with_y = (head >> 31) == 0;
    size_t n_x = head & 0x7fffffffu;
    data += 4;
    size -= 4;
    if (n_x > size) n_x = size;
    const char *px = fuzz_file_set(&fx, "clmlp-npy-x", data, n_x);
    const char *py = fuzz_file_set(&fy, "clmlp-npy-y", data + n_x, size - n_x);
    clmlp_dataset_t *ds = NULL;
    if (clmlp_dataset_read_npy(&ds, px, with_y ? py : NULL) == CLMLP_OK) check(ds, with_y);
    clmlp_dataset_free(ds);
    return 0;
}
