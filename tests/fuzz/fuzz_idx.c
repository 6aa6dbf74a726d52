/* clmlp_dataset_read_idx on any bytes.  It reads two files, so an input is
 *   4 bytes  little-endian: the images part's length (bit 31: scale the
 *            pixels to [-1,1] instead of [0,1]); more than is left means
 *            all of it
 *   the images file, then the labels file (the rest).
 * Built twice: fuzz_idx_raw writes both parts as they are (raw idx, or
 * gzip bytes the fuzzer corrupts: zlib's error paths), and fuzz_idx_gzip
 * (FUZZ_IDX_GZIP) compresses each part with gzip first, so the idx parsing
 * behind its own inflate meets every header and length the fuzzer makes. */
#include "fuzz_file.h"

#include <zlib.h>

#include "clmlp.h"

#ifdef FUZZ_IDX_GZIP
/* Compresses data[0..size) as one gzip member into *out (grown as needed);
 * returns the compressed length. */
static size_t gzip_bytes(const uint8_t *data, size_t size, uint8_t **out, size_t *cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* 15 + 16: a gzip header and trailer around the deflate stream. */
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
    size_t need = deflateBound(&z, (uLong)size) + 32;
    if (need > *cap) {
        free(*out);
        *out = malloc(need);
        if (!*out) abort();
        *cap = need;
    }
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)size;
    z.next_out = *out;
    z.avail_out = (uInt)*cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    size_t len = z.total_out;
    deflateEnd(&z);
    return len;
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fuzz_file fi, fl;
    if (size < 4) return 0;
    uint32_t head = fuzz_le32(data);
    int scale_pm1 = (head >> 31) != 0;
    size_t n_images = head & 0x7fffffffu;
    data += 4;
    size -= 4;
    if (n_images > size) n_images = size;
    const uint8_t *images = data, *labels = data + n_images;
    size_t n_labels = size - n_images;
#ifdef FUZZ_IDX_GZIP
    static uint8_t *gz;
    static size_t gz_cap;
    size_t len = gzip_bytes(images, n_images, &gz, &gz_cap);
    const char *pi = fuzz_file_set(&fi, "clmlp-idx-images", gz, len);
    len = gzip_bytes(labels, n_labels, &gz, &gz_cap);
    const char *pl = fuzz_file_set(&fl, "clmlp-idx-labels", gz, len);
#else
    const char *pi = fuzz_file_set(&fi, "clmlp-idx-images", images, n_images);
    const char *pl = fuzz_file_set(&fl, "clmlp-idx-labels", labels, n_labels);
#endif
    clmlp_dataset_t *ds = NULL;
    if (clmlp_dataset_read_idx(&ds, pi, pl, scale_pm1) == CLMLP_OK) {
        if (!ds || ds->n == 0 || !ds->x || !ds->labels || ds->n_classes < 2) abort();
        for (size_t i = 0; i < ds->n; i++)
            if (ds->labels[i] < 0 || (size_t)ds->labels[i] >= ds->n_classes) abort();
        float lo = scale_pm1 ? -1.0f : 0.0f;
        for (size_t i = 0; i < ds->n * ds->n_features; i++)
            if (!(ds->x[i] >= lo && ds->x[i] <= 1.0f)) abort();
    }
    clmlp_dataset_free(ds);
    return 0;
}
