/* clmlp_dataset_read_npz on any bytes.  The first byte of an input says
 * what the rest is:
 *   bit 0 clear  an archive as it is (libzip's parsing, and what it lets
 *                through), read with the default names;
 *   bit 0 set    two .npy files -- 4 bytes little-endian, the first's
 *                length (more than is left means all of it), then both --
 *                made into an archive here with libzip, so the .npy
 *                parsing behind the zip meets every header and length the
 *                fuzzer makes; bit 1: deflated (else stored); bit 2: no
 *                second member (features alone); bit 3: Keras's names
 *                (x_train.npy, y_train.npy; else x.npy, y.npy).
 *   bits 4-5     which names to ask for: the defaults (0), "x" and "y"
 *                (1), "x_test" and the default (2), "x_train" and "y" (3). */
#include "fuzz_file.h"

#include <math.h>
#include <zip.h>

#include "clmlp.h"

/* Makes an archive of the members (names[i], bytes[i], lens[i]) in memory
 * into *out (the caller frees it); 0 when libzip cannot, which only running
 * out of memory explains. */
static size_t make_zip(size_t n, const char *const *names, const uint8_t *const *bytes,
                       const size_t *lens, int deflate, uint8_t **out)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    zip_t *za = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
    zip_error_fini(&ze);
    if (!za) abort();
    zip_source_keep(src);
    for (size_t i = 0; i < n; i++) {
        zip_source_t *m = zip_source_buffer(za, bytes[i], lens[i], 0);
        zip_int64_t at = m ? zip_file_add(za, names[i], m, 0) : -1;
        if (at < 0) abort();
        zip_set_file_compression(za, (zip_uint64_t)at, deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 1);
    }
    if (zip_close(za) != 0) abort();
    size_t len = 0;
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_source_stat(src, &st) == 0 && zip_source_open(src) == 0) {
        *out = malloc(st.size ? st.size : 1);
        if (!*out) abort();
        zip_int64_t r = zip_source_read(src, *out, st.size);
        if (r < 0 || (zip_uint64_t)r != st.size) abort();
        len = (size_t)st.size;
        zip_source_close(src);
    }
    zip_source_free(src);
    return len;
}

/* What the reader promises of a dataset it hands out. */
static void check(const clmlp_dataset_t *ds)
{
    if (!ds || ds->n == 0 || ds->n_features == 0 || !ds->x) abort();
    for (size_t i = 0; i < ds->n * ds->n_features; i++)
        if (!isfinite(ds->x[i])) abort();
    if (ds->labels && ds->targets) abort();
    if (ds->labels) {
        if (ds->n_classes < 2) abort();
        for (size_t i = 0; i < ds->n; i++)
            if (ds->labels[i] < 0 || (size_t)ds->labels[i] >= ds->n_classes) abort();
    }
    for (size_t i = 0; ds->targets && i < ds->n * ds->n_targets; i++)
        if (!isfinite(ds->targets[i])) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file f;
    if (size < 1) return 0;
    unsigned mode = data[0];
    data++;
    size--;
    uint8_t *made = NULL;
    const char *path;
    if (mode & 1u) {
        if (size < 4) return 0;
        size_t n_x = fuzz_le32(data);
        data += 4;
        size -= 4;
        if (n_x > size) n_x = size;
        const char *names[2] = {mode & 8u ? "x_train.npy" : "x.npy",
                                mode & 8u ? "y_train.npy" : "y.npy"};
        const uint8_t *bytes[2] = {data, data + n_x};
        size_t lens[2] = {n_x, size - n_x};
        size_t len = make_zip(mode & 4u ? 1 : 2, names, bytes, lens, (mode & 2u) != 0, &made);
        path = fuzz_file_set(&f, "clmlp-npz", made, len);
    } else {
        path = fuzz_file_set(&f, "clmlp-npz", data, size);
    }
    static const char *const x_names[4] = {NULL, "x", "x_test", "x_train"};
    static const char *const y_names[4] = {NULL, "y", NULL, "y"};
    unsigned which = (mode >> 4) & 3u;
    clmlp_dataset_t *ds = NULL;
    if (clmlp_dataset_read_npz(&ds, path, x_names[which], y_names[which]) == CLMLP_OK) check(ds);
    clmlp_dataset_free(ds);
    free(made);
    return 0;
}
