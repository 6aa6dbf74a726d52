/* The idx reader: MNIST's image and label files, raw or gzip (zlib's
 * inflate).  Headers are checked before anything is allocated, and the
 * pixel and label buffers grow only as data actually arrives, so a header
 * that lies about its size costs an error message, not a huge allocation. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "clmlp.h"
#include "util/error.h"
#include "util/grow.h"
#include "util/host_memory.h"

#define IDX_MAGIC_IMAGES 0x00000803u /* unsigned bytes, 3 dimensions */
#define IDX_MAGIC_LABELS 0x00000801u /* unsigned bytes, 1 dimension */
#define IDX_MAX_PIXELS (1u << 20)    /* rows * cols of one image */
#define IDX_MAX_ITEMS (1u << 28)     /* images or labels in a file */
#define IDX_CHUNK (1u << 20)         /* bytes inflated per round */

/* An open idx file and its name for messages: raw, or gzip read through
 * inflate here (not gzread, which ends quietly at bytes after the last
 * gzip member that are not another one: here they are an error). */
typedef struct {
    const char *path;
    FILE *f;
    long long size; /* bytes in the file when it is a regular one, else -1 */
    int gz;         /* the file starts with gzip's magic */
    int z_live;     /* z was initialised */
    int z_done;     /* the last member ended, and nothing follows it */
    z_stream z;
    unsigned char *in; /* IDX_IN bytes */
} idx_file;

#define IDX_IN (1u << 17) /* bytes read from the file at a time */

/* Refills the input buffer when it is empty; *eof at the file's end. */
static int idx_fill(idx_file *f, int *eof)
{
    *eof = 0;
    if (f->z.avail_in) return CLMLP_OK;
    size_t n = fread(f->in, 1, IDX_IN, f->f);
    if (ferror(f->f))
        return clmlp_set_error(CLMLP_E_IO, "%s: read error: %s", f->path, strerror(errno));
    f->z.next_in = f->in;
    f->z.avail_in = (uInt)n;
    *eof = n == 0;
    return CLMLP_OK;
}

/* Opens path for reading, raw or gzip (told by its first two bytes). */
static int idx_open(idx_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    f->path = path;
    struct stat st;
    f->size = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
    errno = 0;
    f->f = fopen(path, "rb");
    if (!f->f)
        return clmlp_set_error(CLMLP_E_IO, "%s: cannot open: %s", path,
                               errno ? strerror(errno) : "out of memory");
    f->in = malloc(IDX_IN);
    if (!f->in) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", path);
    int eof;
    CLMLP_TRY(idx_fill(f, &eof));
    f->gz = f->z.avail_in >= 2 && f->in[0] == 0x1f && f->in[1] == 0x8b;
    if (f->gz) {
        if (inflateInit2(&f->z, 15 + 16) != Z_OK)
            return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory in zlib", path);
        f->z_live = 1;
    }
    return CLMLP_OK;
}

/* Closes the file (one never opened is fine). */
static void idx_close(idx_file *f)
{
    if (f->z_live) inflateEnd(&f->z);
    if (f->f) fclose(f->f);
    free(f->in);
    f->f = NULL;
    f->in = NULL;
    f->z_live = 0;
}

/* After a gzip member's end: another member goes on, the end of the file
 * ends the data, anything else is an error. */
static int idx_member_end(idx_file *f)
{
    int eof;
    CLMLP_TRY(idx_fill(f, &eof));
    if (eof) {
        f->z_done = 1;
        return CLMLP_OK;
    }
    unsigned char b0 = f->z.next_in[0];
    unsigned char b1 = 0;
    if (f->z.avail_in >= 2) {
        b1 = f->z.next_in[1];
    } else {
        /* The second byte is in the next read. */
        int c = fgetc(f->f);
        b1 = c == EOF ? 0 : (unsigned char)c;
        if (c != EOF) ungetc(c, f->f);
    }
    if (b0 != 0x1f || b1 != 0x8b) {
        long long rest = f->size >= 0 ? f->size - (long long)ftell(f->f) + f->z.avail_in : -1;
        return rest > 0 ? clmlp_set_error(CLMLP_E_FORMAT,
                                          "%s: %lld bytes of something else after the gzip data",
                                          f->path, rest)
                        : clmlp_set_error(CLMLP_E_FORMAT, "%s: something else after the gzip data",
                                          f->path);
    }
    /* inflateReset fails only on a stream inflateInit2 did not set up. */
    (void)inflateReset(&f->z);
    return CLMLP_OK;
}

/* Reads up to len bytes into buf; *got is less than len only at the end of
 * the data.  Returns a negative status on a read or decompression error. */
static int idx_read(idx_file *f, unsigned char *buf, size_t len, size_t *got)
{
    *got = 0;
    if (!f->gz) {
        /* Raw: first what the opening read took, then the file. */
        size_t k = f->z.avail_in < len ? f->z.avail_in : len;
        memcpy(buf, f->z.next_in, k);
        f->z.next_in += k;
        f->z.avail_in -= (uInt)k;
        *got = k + (k < len ? fread(buf + k, 1, len - k, f->f) : 0);
        if (ferror(f->f))
            return clmlp_set_error(CLMLP_E_IO, "%s: read error: %s", f->path, strerror(errno));
        return CLMLP_OK;
    }
    while (*got < len && !f->z_done) {
        int eof;
        CLMLP_TRY(idx_fill(f, &eof));
        size_t want = len - *got;
        if (want > IDX_CHUNK) want = IDX_CHUNK;
        f->z.next_out = buf + *got;
        f->z.avail_out = (uInt)want;
        int r = inflate(&f->z, Z_NO_FLUSH);
        *got += want - f->z.avail_out;
        if (r == Z_STREAM_END) {
            CLMLP_TRY(idx_member_end(f));
        } else if (r == Z_MEM_ERROR) {
            return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory in zlib", f->path);
        } else if (r == Z_BUF_ERROR && eof) {
            /* No input left and none came out (inflate says Z_OK only when
             * it moved bytes): the stream stops before its end. */
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s: corrupt gzip data: the file ends inside the compressed "
                                   "data (cut short?)",
                                   f->path);
        } else if (r != Z_OK && r != Z_BUF_ERROR) {
            return clmlp_set_error(CLMLP_E_FORMAT, "%s: corrupt gzip data: %s", f->path,
                                   f->z.msg ? f->z.msg : "unknown zlib error");
        }
    }
    return CLMLP_OK;
}

/* A big-endian 32-bit value, as idx stores its header. */
static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Reads and checks a header of 1 + n_dims big-endian words: the magic, then
 * the dimensions, each of which must be non-zero. */
static int idx_header(idx_file *f, uint32_t magic, const char *kind, const char *file_kind,
                      uint32_t *dims, size_t n_dims)
{
    unsigned char h[16];
    size_t len = 4 * (1 + n_dims), got;
    CLMLP_TRY(idx_read(f, h, len, &got));
    if (got == 0) return clmlp_set_error(CLMLP_E_FORMAT, "%s: the file is empty", f->path);
    /* The magic first, as it tells the likelier mistake (a swapped file). */
    uint32_t m = got >= 4 ? be32(h) : 0;
    if (got >= 4 && m != magic) {
        const char *hint = "";
        if (m == IDX_MAGIC_LABELS) hint = " (this is an idx label file)";
        if (m == IDX_MAGIC_IMAGES) hint = " (this is an idx image file)";
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: bad magic number 0x%08x%s; an idx %s file starts with "
                               "0x%08x",
                               f->path, (unsigned)m, hint, file_kind, (unsigned)magic);
    }
    if (got < len)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: truncated header: expected %zu bytes, got %zu",
                               f->path, len, got);
    for (size_t i = 0; i < n_dims; i++) {
        dims[i] = be32(h + 4 * (i + 1));
        if (dims[i] == 0)
            return clmlp_set_error(CLMLP_E_FORMAT, "%s: dimension %zu of the header is 0", f->path,
                                   i + 1);
    }
    if (dims[0] > IDX_MAX_ITEMS)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: the header declares %u %s, over the limit "
                               "of %u",
                               f->path, (unsigned)dims[0], kind, IDX_MAX_ITEMS);
    return CLMLP_OK;
}

/* Grows *buf (elements of size bytes) to hold at least need of them,
 * doubling from about IDX_CHUNK bytes, never past limit (>= need). */
static int grow(void **buf, size_t *cap, size_t need, size_t limit, size_t size)
{
    size_t first = IDX_CHUNK / size ? IDX_CHUNK / size : 1;
    return clmlp_grow(buf, cap, need, size, first, limit) == 0 ? CLMLP_OK : CLMLP_E_NOMEM;
}

/* Complains if anything follows the data the header declared. */
static int idx_expect_end(idx_file *f, size_t n, const char *kind)
{
    unsigned char extra;
    size_t got;
    CLMLP_TRY(idx_read(f, &extra, 1, &got));
    if (got)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: trailing bytes after the %zu %s the header declares", f->path,
                               n, kind);
    return CLMLP_OK;
}

/* For a raw (not gzip) regular file, whose size tells what it holds:
 * checks that it holds exactly the header's `header` bytes plus n items of
 * item bytes, before anything is allocated for them. */
static int idx_check_size(const idx_file *f, size_t n, uint64_t item, unsigned header,
                          const char *kind)
{
    if (f->size < 0 || f->gz) return CLMLP_OK;
    unsigned long long want = header + (unsigned long long)n * item;
    unsigned long long have = (unsigned long long)f->size;
    if (have < want)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: truncated: %zu %s need %llu bytes (with the header), got "
                               "%llu",
                               f->path, n, kind, want, have);
    if (have > want)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: trailing bytes after the %zu %s the header declares "
                               "(%llu bytes, the file has %llu)",
                               f->path, n, kind, want, have);
    return CLMLP_OK;
}

/* Reads n images of n_pix bytes each into *x (grown as data arrives),
 * mapping each byte through lut. */
static int read_pixels(idx_file *f, size_t n, size_t n_pix, const float lut[256], float **x)
{
    size_t per_chunk = IDX_CHUNK / n_pix ? IDX_CHUNK / n_pix : 1;
    unsigned char *buf = malloc(per_chunk * n_pix);
    if (!buf) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", f->path);
    size_t cap = 0, done = 0;
    int rc = CLMLP_OK;
    while (done < n) {
        size_t want = n - done < per_chunk ? n - done : per_chunk;
        /* cap counts images, at most n; n * n_pix floats was checked. */
        void *p = *x;
        if (grow(&p, &cap, done + want, n, n_pix * sizeof(float)) < 0) {
            rc = clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory for %zu images", f->path,
                                 done + want);
            break;
        }
        *x = p;
        size_t got;
        rc = idx_read(f, buf, want * n_pix, &got);
        if (rc < 0) break;
        if (got < want * n_pix) {
            unsigned long long expect = 16ull + (unsigned long long)n * n_pix;
            unsigned long long have = 16ull + (unsigned long long)done * n_pix + got;
            rc = clmlp_set_error(CLMLP_E_FORMAT,
                                 "%s: truncated: %zu images need %llu bytes (with the "
                                 "header), got %llu",
                                 f->path, n, expect, have);
            break;
        }
        float *dst = *x + done * n_pix;
        for (size_t i = 0; i < want * n_pix; i++) dst[i] = lut[buf[i]];
        done += want;
    }
    free(buf);
    return rc;
}

/* Reads n one-byte labels into *labels (grown as data arrives) and their
 * largest value into *max_label. */
static int read_labels(idx_file *f, size_t n, int32_t **labels, int *max_label)
{
    size_t per_chunk = IDX_CHUNK < n ? IDX_CHUNK : n;
    unsigned char *buf = malloc(per_chunk);
    if (!buf) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", f->path);
    size_t cap = 0, done = 0;
    int rc = CLMLP_OK;
    *max_label = 0;
    while (done < n) {
        size_t want = n - done < per_chunk ? n - done : per_chunk;
        void *p = *labels;
        if (grow(&p, &cap, done + want, n, sizeof(int32_t)) < 0) {
            rc = clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory for %zu labels", f->path,
                                 done + want);
            break;
        }
        *labels = p;
        size_t got;
        rc = idx_read(f, buf, want, &got);
        if (rc < 0) break;
        if (got < want) {
            rc = clmlp_set_error(CLMLP_E_FORMAT,
                                 "%s: truncated: %zu labels need %zu bytes (with the "
                                 "header), got %zu",
                                 f->path, n, n + 8, done + got + 8);
            break;
        }
        for (size_t i = 0; i < want; i++) {
            (*labels)[done + i] = buf[i];
            if (buf[i] > *max_label) *max_label = buf[i];
        }
        done += want;
    }
    free(buf);
    return rc;
}

/* The reading behind clmlp_dataset_read_idx, on two opened files; on
 * success ds owns x and labels. */
static int read_idx(idx_file *fi, idx_file *fl, int scale_pm1, clmlp_dataset_t *ds)
{
    uint32_t di[3] = {0}, dl[1] = {0};
    CLMLP_TRY(idx_header(fi, IDX_MAGIC_IMAGES, "images", "image", di, 3));
    CLMLP_TRY(idx_header(fl, IDX_MAGIC_LABELS, "labels", "label", dl, 1));
    /* Each dimension is < 2^32, so the product fits 64 bits exactly. */
    uint64_t n_pix = (uint64_t)di[1] * di[2];
    if (n_pix > IDX_MAX_PIXELS)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: images of %u x %u pixels exceed the limit of %u pixels",
                               fi->path, (unsigned)di[1], (unsigned)di[2], IDX_MAX_PIXELS);
    if (di[0] != dl[0])
        return clmlp_set_error(CLMLP_E_FORMAT, "%s has %u images but %s has %u labels", fi->path,
                               (unsigned)di[0], fl->path, (unsigned)dl[0]);
    size_t n = di[0];
    /* n <= 2^28 and n_pix <= 2^20: the float count needs 2^50 bytes at most,
     * which a 32-bit size_t cannot hold, so check. */
    if ((uint64_t)n * n_pix > SIZE_MAX / sizeof(float))
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: %zu images of %llu pixels overflow memory",
                               fi->path, n, (unsigned long long)n_pix);

    /* A raw file's size must match its header; a gzip file's can only be
     * known by reading it, so what its header declares must at least fit
     * the memory available, else it could take all of it as data arrives. */
    CLMLP_TRY(idx_check_size(fi, n, n_pix, 16, "images"));
    CLMLP_TRY(idx_check_size(fl, n, 1, 8, "labels"));
    uint64_t need = (uint64_t)n * n_pix * sizeof(float) + (uint64_t)n * sizeof(int32_t);
    uint64_t avail = clmlp_host_memory_available();
    if (need > avail)
        return clmlp_set_error(CLMLP_E_NOMEM,
                               "%s: the header declares %zu images of %u x %u pixels, %.3g GB "
                               "as floats, more than the %.3g GB of memory available",
                               fi->path, n, (unsigned)di[1], (unsigned)di[2], need / 1e9,
                               avail / 1e9);

    float lut[256];
    for (int i = 0; i < 256; i++) lut[i] = scale_pm1 ? (float)i / 127.5f - 1.0f : (float)i / 255.0f;

    CLMLP_TRY(read_pixels(fi, n, (size_t)n_pix, lut, &ds->x));
    CLMLP_TRY(idx_expect_end(fi, n, "images"));
    int max_label = 0;
    CLMLP_TRY(read_labels(fl, n, &ds->labels, &max_label));
    CLMLP_TRY(idx_expect_end(fl, n, "labels"));
    ds->n = n;
    ds->n_features = (size_t)n_pix;
    ds->n_classes = max_label + 1 < 2 ? 2 : (size_t)max_label + 1;
    return CLMLP_OK;
}

/* Public (clmlp.h): reads an idx image and label pair into *out, owned by
 * the caller (targets stay NULL). */
int clmlp_dataset_read_idx(clmlp_dataset_t **out, const char *images_path, const char *labels_path,
                           int scale_pm1)
{
    if (out) *out = NULL;
    if (!out || !images_path || !labels_path)
        return clmlp_set_error(CLMLP_E_INVALID, "read_idx: NULL argument");
    clmlp_dataset_t *ds = calloc(1, sizeof *ds);
    if (!ds) return clmlp_set_error(CLMLP_E_NOMEM, "read_idx: out of memory");
    idx_file fi = {0}, fl = {0};
    int rc = idx_open(&fi, images_path);
    if (rc == CLMLP_OK) rc = idx_open(&fl, labels_path);
    if (rc == CLMLP_OK) rc = read_idx(&fi, &fl, scale_pm1, ds);
    idx_close(&fi);
    idx_close(&fl);
    if (rc < 0) {
        clmlp_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return CLMLP_OK;
}
