/* The NumPy reader: one array from a .npy file (format 1.0, 2.0 or 3.0),
 * or named members of an .npz archive (a zip of .npy files, opened with
 * libzip), as the features and the labels or targets of a dataset.
 *
 * Nothing in a file is trusted: the magic, the version, the header's
 * length against the file, the header itself (a strict parser of the
 * small Python dict NumPy writes, not a pattern match), the dtype, the
 * shape's product, the data's length against the shape, and every value
 * (NaN, Inf, a float64 beyond float32, a bool that is neither 0 nor 1).
 * The memory an array needs is computed from its header and checked
 * against what the host has before anything is allocated for it; a
 * member's declared size is checked against its compressed size first. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

#include "clmlp.h"
#include "util/error.h"
#include "util/host_memory.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_MAX_HEADER                                                                             \
    (1u << 20)               /* bytes of a header's dict: NumPy's own                              \
                                files need under 200 */
#define NPY_MAX_DIMS 64      /* NumPy 2's limit */
#define NPY_CHUNK (1u << 20) /* data bytes read and converted at a time */
#define NPY_WHERE_MAX 600    /* a file or member's name in messages */
#define NPY_STR_MAX 32       /* a key or a descr in the header */
/* Deflate's best ratio is about 1032:1 (a 258-byte match in 2 bits); a
 * member that declares more than this per compressed byte is lying. */
#define NPY_DEFLATE_RATIO 1032u

/* A dtype this reader converts. */
typedef struct {
    char kind;                   /* 'f' float, 'i' signed, 'u' unsigned, 'b' bool */
    unsigned size;               /* bytes: 1, 2, 4 or 8 */
    int big;                     /* stored big-endian */
    char descr[NPY_STR_MAX + 1]; /* as the header wrote it */
} npy_dtype;

/* What a header declares, and what follows from it. */
typedef struct {
    unsigned version; /* 1, 2 or 3 */
    npy_dtype t;
    int fortran;
    size_t ndim;
    uint64_t shape[NPY_MAX_DIMS];
    uint64_t count;        /* values: the product of the shape */
    uint64_t nbytes;       /* data bytes: count * t.size */
    uint64_t header_bytes; /* the magic through the header's last byte */
    uint64_t rows, cols;   /* shape[0], and the product of the rest */
} npy_array;

/* Where an array's bytes come from: a .npy file, or an archive's member. */
typedef struct {
    char where[NPY_WHERE_MAX]; /* "x.npy" or "data.npz: x.npy" */
    FILE *f;
    zip_file_t *zf;
    long long size; /* bytes of the .npy stream when known (a regular file;
                       a member's declared size), else -1 */
    uint64_t pos;   /* bytes read so far */
} npy_src;

/* ---- reading bytes --------------------------------------------------------- */

/* Reads up to len bytes; *got is less than len only at the end of the data. */
static int src_read(npy_src *s, unsigned char *buf, size_t len, size_t *got)
{
    *got = 0;
    while (*got < len) {
        if (s->zf) {
            zip_int64_t r = zip_fread(s->zf, buf + *got, len - *got);
            if (r < 0) {
                zip_error_t *e = zip_file_get_error(s->zf);
                int io = zip_error_code_zip(e) == ZIP_ER_READ;
                return clmlp_set_error(io ? CLMLP_E_IO : CLMLP_E_FORMAT, "%s: %s", s->where,
                                       zip_error_strerror(e));
            }
            if (r == 0) break;
            *got += (size_t)r;
        } else {
            size_t r = fread(buf + *got, 1, len - *got, s->f);
            if (r == 0) {
                if (ferror(s->f))
                    return clmlp_set_error(CLMLP_E_IO, "%s: read error: %s", s->where,
                                           strerror(errno));
                break;
            }
            *got += r;
        }
    }
    s->pos += *got;
    return CLMLP_OK;
}

/* ---- the header ---------------------------------------------------------- */

/* A little-endian word of n bytes. */
static uint32_t le_word(const unsigned char *p, unsigned n)
{
    uint32_t v = 0;
    while (n-- > 0) v = v << 8 | p[n];
    return v;
}

/* The header's dict as text, and a cursor in it. */
typedef struct {
    const char *where;
    const char *text;
    size_t len, pos;
} npy_parser;

/* A syntax error at the cursor: what was expected, and what is there. */
static int parse_error(const npy_parser *ps, const char *expected)
{
    char seen[16];
    if (ps->pos >= ps->len)
        snprintf(seen, sizeof seen, "the end");
    else if (ps->text[ps->pos] >= 0x20 && ps->text[ps->pos] < 0x7f)
        snprintf(seen, sizeof seen, "'%c'", ps->text[ps->pos]);
    else
        snprintf(seen, sizeof seen, "byte 0x%02x", (unsigned)(unsigned char)ps->text[ps->pos]);
    return clmlp_set_error(CLMLP_E_FORMAT,
                           "%s: malformed header: expected %s at byte %zu of the header's dict, "
                           "found %s",
                           ps->where, expected, ps->pos, seen);
}

static void skip_space(npy_parser *ps)
{
    while (ps->pos < ps->len && (ps->text[ps->pos] == ' ' || ps->text[ps->pos] == '\t' ||
                                 ps->text[ps->pos] == '\n' || ps->text[ps->pos] == '\r'))
        ps->pos++;
}

/* Whether the next character is c (after blanks); consumes it if so. */
static int accept(npy_parser *ps, char c)
{
    skip_space(ps);
    if (ps->pos < ps->len && ps->text[ps->pos] == c) {
        ps->pos++;
        return 1;
    }
    return 0;
}

/* A Python string literal in single or double quotes, of printable ASCII
 * without escapes (NumPy's keys and descrs need none), into out. */
static int parse_string(npy_parser *ps, char out[NPY_STR_MAX + 1], const char *what)
{
    skip_space(ps);
    if (ps->pos >= ps->len || (ps->text[ps->pos] != '\'' && ps->text[ps->pos] != '"'))
        return parse_error(ps, what);
    char q = ps->text[ps->pos++];
    size_t n = 0;
    for (;;) {
        if (ps->pos >= ps->len) return parse_error(ps, "the string's closing quote");
        char c = ps->text[ps->pos];
        if (c == q) break;
        if (c < 0x20 || c >= 0x7f || c == '\\')
            return parse_error(ps, "a printable character without escapes");
        if (n == NPY_STR_MAX)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s: malformed header: a string at byte %zu of the header's "
                                   "dict is longer than %d characters",
                                   ps->where, ps->pos - n - 1, NPY_STR_MAX);
        out[n++] = c;
        ps->pos++;
    }
    ps->pos++;
    out[n] = '\0';
    return CLMLP_OK;
}

/* True or False. */
static int parse_bool(npy_parser *ps, int *out)
{
    skip_space(ps);
    const char *p = ps->text + ps->pos;
    size_t left = ps->len - ps->pos;
    int value = left >= 4 && memcmp(p, "True", 4) == 0    ? 1
                : left >= 5 && memcmp(p, "False", 5) == 0 ? 0
                                                          : -1;
    size_t n = value == 1 ? 4 : 5;
    /* Not a longer name that starts the same (Truely). */
    if (value < 0 || (n < left && (p[n] == '_' || (p[n] >= 'a' && p[n] <= 'z') ||
                                   (p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= '0' && p[n] <= '9'))))
        return parse_error(ps, "True or False");
    *out = value;
    ps->pos += n;
    return CLMLP_OK;
}

/* A whole number >= 0 (Python 2's NumPy wrote a trailing L). */
static int parse_dim(npy_parser *ps, uint64_t *out)
{
    skip_space(ps);
    size_t start = ps->pos;
    uint64_t v = 0;
    while (ps->pos < ps->len && ps->text[ps->pos] >= '0' && ps->text[ps->pos] <= '9') {
        unsigned d = (unsigned)(ps->text[ps->pos] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s: malformed header: a dimension at byte %zu of the "
                                   "header's dict does not fit 64 bits",
                                   ps->where, start);
        v = v * 10 + d;
        ps->pos++;
    }
    if (ps->pos == start) return parse_error(ps, "a dimension (a whole number >= 0)");
    if (ps->pos < ps->len && (ps->text[ps->pos] == 'L' || ps->text[ps->pos] == 'l')) ps->pos++;
    *out = v;
    return CLMLP_OK;
}

/* A tuple of dimensions: (), (n,) or (n, m, ...) with an optional trailing
 * comma; as in Python, (n) is a number, not a tuple. */
static int parse_shape(npy_parser *ps, npy_array *a)
{
    if (!accept(ps, '(')) {
        skip_space(ps);
        return parse_error(ps, "the shape as a tuple '('");
    }
    a->ndim = 0;
    if (accept(ps, ')')) return CLMLP_OK;
    for (;;) {
        if (a->ndim == NPY_MAX_DIMS)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s: the shape has more than %d dimensions, NumPy's limit",
                                   ps->where, NPY_MAX_DIMS);
        CLMLP_TRY(parse_dim(ps, &a->shape[a->ndim]));
        a->ndim++;
        if (accept(ps, ',')) {
            if (accept(ps, ')')) return CLMLP_OK;
            continue;
        }
        if (!accept(ps, ')')) return parse_error(ps, "',' or ')' in the shape");
        if (a->ndim == 1)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s: malformed header: the shape (%llu) is a number, not a "
                                   "tuple: a 1-D shape is written (%llu,)",
                                   ps->where, (unsigned long long)a->shape[0],
                                   (unsigned long long)a->shape[0]);
        return CLMLP_OK;
    }
}

/* The dtype a descr names, into t; the unsupported ones are refused by
 * what they are. */
static int parse_descr(const char *where, const char *descr, npy_dtype *t)
{
    static const uint16_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    int host_big = first == 0;
    const char *p = descr;
    char order = 0;
    if (*p == '<' || *p == '>' || *p == '|' || *p == '=') order = *p++;
    char kind = *p ? *p++ : '\0';
    unsigned size = 0;
    int digits = 0;
    for (; *p >= '0' && *p <= '9' && size < 1000; p++, digits++)
        size = size * 10 + (unsigned)(*p - '0');
    const char *what = NULL;
    switch (kind) {
    case 'O': what = "Python objects (dtype object)"; break;
    case 'V': what = "records (a void or structured dtype)"; break;
    case 'U':
    case 'S':
    case 'a': what = "strings"; break;
    case 'c': what = "complex numbers"; break;
    case 'M':
    case 'm': what = "dates or time spans"; break;
    default: break;
    }
    if (what)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: the array holds %s ('%s'), not numbers: save it as float32, "
                               "float64, an integer type or bool",
                               where, what, descr);
    int ok = *p == '\0' && digits > 0;
    if (ok && kind == 'f')
        ok = size == 2 || size == 4 || size == 8;
    else if (ok && (kind == 'i' || kind == 'u'))
        ok = size == 1 || size == 2 || size == 4 || size == 8;
    else if (ok && kind == 'b')
        ok = size == 1;
    else
        ok = 0;
    if (!ok)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: unsupported dtype '%s' (read are float16/32/64 '<f4', signed "
                               "and unsigned integers of 1, 2, 4 or 8 bytes '<i8' '|u1', and bool "
                               "'|b1', in either byte order)",
                               where, descr);
    if (order == '|' && size > 1)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: dtype '%s' has no byte order ('|'), which only a one-byte type "
                               "may lack",
                               where, descr);
    t->kind = kind;
    t->size = size;
    t->big = order == '>' || ((order == '=' || order == 0) && host_big);
    snprintf(t->descr, sizeof t->descr, "%s", descr);
    return CLMLP_OK;
}

/* The header's dict: {'descr': ..., 'fortran_order': ..., 'shape': ...},
 * each key once, in any order, nothing else, blanks (the padding) after. */
static int parse_dict(npy_parser *ps, npy_array *a)
{
    int seen_descr = 0, seen_order = 0, seen_shape = 0;
    char descr[NPY_STR_MAX + 1] = "";
    if (!accept(ps, '{')) {
        skip_space(ps);
        return parse_error(ps, "the dict's '{'");
    }
    while (!accept(ps, '}')) {
        char key[NPY_STR_MAX + 1];
        size_t key_pos = ps->pos;
        CLMLP_TRY(parse_string(ps, key, "a key in quotes or '}'"));
        if (!accept(ps, ':')) return parse_error(ps, "':' after a key");
        int *seen = NULL;
        if (strcmp(key, "descr") == 0) {
            seen = &seen_descr;
            skip_space(ps);
            if (ps->pos < ps->len && ps->text[ps->pos] == '[')
                return clmlp_set_error(CLMLP_E_FORMAT,
                                       "%s: the array has a structured dtype (named fields), not "
                                       "numbers: save one plain array per field",
                                       ps->where);
            CLMLP_TRY(parse_string(ps, descr, "the dtype as a string ('<f4')"));
        } else if (strcmp(key, "fortran_order") == 0) {
            seen = &seen_order;
            CLMLP_TRY(parse_bool(ps, &a->fortran));
        } else if (strcmp(key, "shape") == 0) {
            seen = &seen_shape;
            CLMLP_TRY(parse_shape(ps, a));
        } else {
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s: malformed header: unexpected key '%s' (a .npy header "
                                   "holds 'descr', 'fortran_order' and 'shape')",
                                   ps->where, key);
        }
        if ((*seen)++)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s: malformed header: the key '%s' appears twice (the "
                                   "second at byte %zu of the header's dict)",
                                   ps->where, key, key_pos);
        if (accept(ps, ',')) continue;
        if (!accept(ps, '}')) return parse_error(ps, "',' or '}' after a value");
        break;
    }
    skip_space(ps);
    if (ps->pos != ps->len) return parse_error(ps, "only blanks after the dict");
    const char *missing = !seen_descr   ? "descr"
                          : !seen_order ? "fortran_order"
                          : !seen_shape ? "shape"
                                        : NULL;
    if (missing)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: malformed header: the key '%s' is missing",
                               ps->where, missing);
    return parse_descr(ps->where, descr, &a->t);
}

/* The shape as NumPy prints it, "(3,)" or "(60000, 28, 28)"; long ones
 * end in "...". */
static const char *shape_str(const npy_array *a, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "(");
    for (size_t i = 0; i < a->ndim && n < cap; i++) {
        if (n + 32 >= cap) {
            snprintf(buf + n, cap - n, "...)");
            return buf;
        }
        n += (size_t)snprintf(buf + n, cap - n, "%s%llu", i ? ", " : "",
                              (unsigned long long)a->shape[i]);
    }
    if (n < cap) snprintf(buf + n, cap - n, a->ndim == 1 ? ",)" : ")");
    return buf;
}

/* The dtype as NumPy names it ("uint8", "float64"). */
static const char *dtype_name(const npy_dtype *t, char *buf, size_t cap)
{
    if (t->kind == 'b')
        snprintf(buf, cap, "bool");
    else
        snprintf(buf, cap, "%s%u",
                 t->kind == 'f'   ? "float"
                 : t->kind == 'i' ? "int"
                                  : "uint",
                 8 * t->size);
    return buf;
}

/* Reads and checks the magic, the version and the header, and what the
 * shape implies: no scalar, no empty dimension, no overflow, and for a
 * stream of known size, exactly the data the shape needs. */
static int read_header(npy_src *s, npy_array *a)
{
    memset(a, 0, sizeof *a);
    unsigned char pre[12];
    size_t got;
    CLMLP_TRY(src_read(s, pre, 8, &got));
    if (got == 0) return clmlp_set_error(CLMLP_E_FORMAT, "%s: the file is empty", s->where);
    if (got < NPY_MAGIC_LEN || memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        const char *hint = "";
        if (got >= 4 && memcmp(pre, "PK\x03\x04", 4) == 0)
            hint = " (it is a zip archive: an .npz holds several arrays by name)";
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: not a NumPy .npy file: it does not start with the magic "
                               "\"\\x93NUMPY\"%s",
                               s->where, hint);
    }
    if (got < 8)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: truncated: the file ends inside its preamble",
                               s->where);
    unsigned major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: unsupported .npy format version %u.%u (1.0, 2.0 and 3.0 are "
                               "read)",
                               s->where, major, minor);
    a->version = major;
    unsigned len_bytes = major == 1 ? 2 : 4;
    CLMLP_TRY(src_read(s, pre + 8, len_bytes, &got));
    if (got < len_bytes)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: truncated: the file ends inside its header's length", s->where);
    uint32_t hlen = le_word(pre + 8, len_bytes);
    a->header_bytes = 8 + len_bytes + (uint64_t)hlen;
    if (s->size >= 0 && a->header_bytes > (unsigned long long)s->size) {
        unsigned long long pre_len = 8 + len_bytes, size = (unsigned long long)s->size;
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: truncated: the header declares %u bytes, but the file holds "
                               "%llu after its %llu-byte preamble",
                               s->where, (unsigned)hlen, size > pre_len ? size - pre_len : 0,
                               pre_len);
    }
    if (hlen > NPY_MAX_HEADER)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: the header declares %u bytes, over the limit of %u (NumPy "
                               "writes under 200)",
                               s->where, (unsigned)hlen, NPY_MAX_HEADER);
    char *text = malloc(hlen + 1u);
    if (!text) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", s->where);
    int rc = src_read(s, (unsigned char *)text, hlen, &got);
    if (rc == CLMLP_OK && got < hlen)
        rc = clmlp_set_error(CLMLP_E_FORMAT,
                             "%s: truncated: the header declares %u bytes, the file holds %zu",
                             s->where, (unsigned)hlen, got);
    if (rc == CLMLP_OK) {
        npy_parser ps = {s->where, text, hlen, 0};
        rc = parse_dict(&ps, a);
    }
    free(text);
    CLMLP_TRY(rc);

    char sh[200], dn[16];
    if (a->ndim == 0)
        return clmlp_set_error(
            CLMLP_E_FORMAT, "%s: the array is a scalar (shape ()), not rows of values", s->where);
    uint64_t count = 1;
    for (size_t i = 0; i < a->ndim; i++) {
        if (a->shape[i] == 0)
            return clmlp_set_error(CLMLP_E_FORMAT, "%s: the array is empty (shape %s)", s->where,
                                   shape_str(a, sh, sizeof sh));
        if (count > UINT64_MAX / a->shape[i])
            return clmlp_set_error(CLMLP_E_FORMAT, "%s: the shape %s holds more than 2^64 values",
                                   s->where, shape_str(a, sh, sizeof sh));
        count *= a->shape[i];
    }
    if (count > UINT64_MAX / a->t.size)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: the shape %s of %s needs more than 2^64 bytes",
                               s->where, shape_str(a, sh, sizeof sh),
                               dtype_name(&a->t, dn, sizeof dn));
    a->count = count;
    a->nbytes = count * a->t.size;
    a->rows = a->shape[0];
    a->cols = count / a->rows;
    if (s->size >= 0) {
        uint64_t have = (uint64_t)s->size - a->header_bytes;
        if (have < a->nbytes)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s: truncated: the shape %s of %s needs %llu data bytes after "
                                   "the %llu-byte header, the file holds %llu",
                                   s->where, shape_str(a, sh, sizeof sh),
                                   dtype_name(&a->t, dn, sizeof dn), (unsigned long long)a->nbytes,
                                   (unsigned long long)a->header_bytes, (unsigned long long)have);
        if (have > a->nbytes)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s: %llu trailing bytes after the %llu data bytes of the "
                                   "shape %s of %s",
                                   s->where, (unsigned long long)(have - a->nbytes),
                                   (unsigned long long)a->nbytes, shape_str(a, sh, sizeof sh),
                                   dtype_name(&a->t, dn, sizeof dn));
    }
    return CLMLP_OK;
}

/* ---- the data -------------------------------------------------------------- */

/* An IEEE half's bits as a double. */
static double half_value(uint32_t h)
{
    unsigned e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    double v;
    if (e == 0)
        v = ldexp((double)m, -24);
    else if (e == 31)
        v = m ? (double)NAN : (double)INFINITY;
    else
        v = ldexp((double)(m + 1024u), (int)e - 25);
    return (h & 0x8000u) ? -v : v;
}

/* count values of dtype t at p as doubles (exact but for 64-bit integers
 * beyond 2^53, which become the nearest double). */
static void decode(const npy_dtype *t, const unsigned char *p, size_t count, double *out)
{
    unsigned sz = t->size;
    unsigned shift = 64 - 8 * sz;
    for (size_t i = 0; i < count; i++, p += sz) {
        uint64_t b = 0;
        if (sz == 1)
            b = p[0];
        else if (t->big)
            for (unsigned k = 0; k < sz; k++) b = b << 8 | p[k];
        else
            for (unsigned k = sz; k-- > 0;) b = b << 8 | p[k];
        if (t->kind == 'f') {
            if (sz == 2) {
                out[i] = half_value((uint32_t)b);
            } else if (sz == 4) {
                uint32_t w = (uint32_t)b;
                float f;
                memcpy(&f, &w, sizeof f);
                out[i] = f;
            } else {
                double d;
                memcpy(&d, &b, sizeof d);
                out[i] = d;
            }
        } else if (t->kind == 'i' && (b >> (8 * sz - 1)) & 1u) {
            /* Negative: -(the two's complement's magnitude), without a
             * conversion of an out-of-range unsigned value. */
            uint64_t mag = ((~b) << shift >> shift) + 1u;
            out[i] = -(double)mag;
        } else {
            out[i] = (double)b;
        }
    }
}

/* A value's place: "flat index 13 (row 3, column 1, counting from 0)", the
 * flat index in C order as NumPy's a.flat counts, whatever the file's. */
static const char *place(const npy_array *a, uint64_t flat, char *buf, size_t cap)
{
    if (a->cols == 1)
        snprintf(buf, cap, "flat index %llu (row %llu, counting from 0)", (unsigned long long)flat,
                 (unsigned long long)flat);
    else
        snprintf(buf, cap, "flat index %llu (row %llu, column %llu, counting from 0)",
                 (unsigned long long)flat, (unsigned long long)(flat / a->cols),
                 (unsigned long long)(flat % a->cols));
    return buf;
}

/* Refuses a value no dataset may hold: NaN, Inf, a float beyond float32, a
 * bool that is neither 0 nor 1. */
static int check_value(const npy_src *s, const npy_array *a, uint64_t flat, double v)
{
    char pl[128];
    if (a->t.kind == 'f') {
        if (isnan(v))
            return clmlp_set_error(CLMLP_E_FORMAT, "%s: the value at %s is NaN", s->where,
                                   place(a, flat, pl, sizeof pl));
        if (isinf(v))
            return clmlp_set_error(CLMLP_E_FORMAT, "%s: the value at %s is %s", s->where,
                                   place(a, flat, pl, sizeof pl), v > 0 ? "Inf" : "-Inf");
        if (fabs(v) > FLT_MAX)
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s: the value %g at %s is out of float32's range", s->where, v,
                                   place(a, flat, pl, sizeof pl));
    } else if (a->t.kind == 'b' && v != 0.0 && v != 1.0) {
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: the bool at %s is the byte %.0f, not 0 or 1",
                               s->where, place(a, flat, pl, sizeof pl), v);
    }
    return CLMLP_OK;
}

/* Reads the whole data, checking every value, into C order: as floats into
 * xf, or as doubles into yd (one of them), each of a->count elements.  A
 * Fortran-order file is walked with its first index fastest, and each
 * value goes to its row-major place.  Ends by checking that nothing follows
 * the data. */
static int read_data(npy_src *s, const npy_array *a, float *xf, double *yd)
{
    size_t per = NPY_CHUNK / a->t.size;
    if ((uint64_t)per > a->count) per = (size_t)a->count;
    unsigned char *raw = malloc(per * a->t.size);
    double *vals = malloc(per * sizeof *vals);
    uint64_t idx[NPY_MAX_DIMS] = {0}, stride[NPY_MAX_DIMS];
    int rc = CLMLP_OK;
    if (!raw || !vals) rc = clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", s->where);
    /* Row-major strides, in values. */
    for (size_t d = a->ndim; d-- > 0;)
        stride[d] = d + 1 == a->ndim ? 1 : stride[d + 1] * a->shape[d + 1];
    uint64_t done = 0, dst = 0;
    while (rc == CLMLP_OK && done < a->count) {
        size_t want = a->count - done < per ? (size_t)(a->count - done) : per, got;
        rc = src_read(s, raw, want * a->t.size, &got);
        if (rc < 0) break;
        if (got < want * a->t.size) {
            char sh[200], dn[16];
            rc = clmlp_set_error(CLMLP_E_FORMAT,
                                 "%s: truncated: the shape %s of %s needs %llu data bytes, the "
                                 "data ends after %llu",
                                 s->where, shape_str(a, sh, sizeof sh),
                                 dtype_name(&a->t, dn, sizeof dn), (unsigned long long)a->nbytes,
                                 (unsigned long long)(done * a->t.size + got));
            break;
        }
        decode(&a->t, raw, want, vals);
        for (size_t i = 0; i < want; i++) {
            uint64_t at = a->fortran ? dst : done + i;
            rc = check_value(s, a, at, vals[i]);
            if (rc < 0) break;
            if (xf)
                xf[at] = (float)vals[i];
            else
                yd[at] = vals[i];
            if (a->fortran)
                for (size_t d = 0; d < a->ndim; d++) {
                    dst += stride[d];
                    if (++idx[d] < a->shape[d]) break;
                    dst -= stride[d] * a->shape[d];
                    idx[d] = 0;
                }
        }
        done += want;
    }
    if (rc == CLMLP_OK) {
        /* Also what makes libzip check a member's CRC and length. */
        unsigned char extra;
        size_t got;
        rc = src_read(s, &extra, 1, &got);
        if (rc == CLMLP_OK && got)
            rc = clmlp_set_error(CLMLP_E_FORMAT, "%s: trailing bytes after the %llu data bytes",
                                 s->where, (unsigned long long)a->nbytes);
    }
    free(raw);
    free(vals);
    return rc;
}

/* ---- arrays into a dataset ------------------------------------------------- */

/* Labels or targets from y's values (a->count doubles, C order): one value
 * per row, every one a whole number in [0, INT32_MAX) -- of an integer,
 * bool or float dtype alike -- is class labels; anything else (a negative
 * or fractional value, one too large for a class, several per row) is
 * float targets, a->cols per row, as the CSV reader's automatic rule has
 * it. */
static int make_y(const npy_src *s, const npy_array *a, const double *v, clmlp_dataset_t *ds)
{
    int labels = a->cols == 1;
    for (uint64_t i = 0; i < a->count && labels; i++)
        labels = v[i] >= 0.0 && v[i] < (double)INT32_MAX && v[i] == floor(v[i]);
    if (!labels) {
        ds->targets = malloc((size_t)a->count * sizeof(float));
        if (!ds->targets) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", s->where);
        for (uint64_t i = 0; i < a->count; i++) ds->targets[i] = (float)v[i];
        ds->n_targets = (size_t)a->cols;
        return CLMLP_OK;
    }
    ds->labels = malloc((size_t)a->count * sizeof(int32_t));
    if (!ds->labels) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", s->where);
    int32_t max = 0;
    for (uint64_t i = 0; i < a->count; i++) {
        ds->labels[i] = (int32_t)v[i];
        if (ds->labels[i] > max) max = ds->labels[i];
    }
    ds->n_classes = (size_t)max + 1 < 2 ? 2 : (size_t)max + 1;
    return CLMLP_OK;
}

/* The dataset of x's array and y's (ys NULL: no labels), whose headers are
 * read here; on success *out is the caller's. */
static int read_dataset(npy_src *xs, npy_src *ys, clmlp_dataset_t **out)
{
    npy_array ax, ay;
    CLMLP_TRY(read_header(xs, &ax));
    if (ys) {
        CLMLP_TRY(read_header(ys, &ay));
        if (ay.rows != ax.rows) {
            char shx[200], shy[200];
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s has %llu rows (shape %s) but %s has %llu (shape %s): "
                                   "one label or target per row",
                                   xs->where, (unsigned long long)ax.rows,
                                   shape_str(&ax, shx, sizeof shx), ys->where,
                                   (unsigned long long)ay.rows, shape_str(&ay, shy, sizeof shy));
        }
    }
    /* What the reading will hold at once: x as floats, y as doubles and as
     * labels or targets, and the conversion buffers. */
    uint64_t need = 0, limit = SIZE_MAX / 2;
    int fits = ax.count <= limit / sizeof(float);
    if (fits) need = ax.count * sizeof(float) + 2ull * NPY_CHUNK * sizeof(double);
    if (fits && ys) {
        fits = ay.count <= limit / 16;
        if (fits) need += ay.count * (sizeof(double) + sizeof(float));
    }
    uint64_t avail = clmlp_host_memory_available();
    if (!fits || need > avail || need > limit) {
        char sh[200], dn[16];
        return clmlp_set_error(
            CLMLP_E_NOMEM,
            "%s: the shape %s of %s needs %.3g GB as float32%s, more than the "
            "%.3g GB of memory available",
            xs->where, shape_str(&ax, sh, sizeof sh), dtype_name(&ax.t, dn, sizeof dn),
            fits ? (double)need / 1e9 : (double)ax.count * 4.0 / 1e9,
            ys ? " (with the labels)" : "", (double)(avail < limit ? avail : limit) / 1e9);
    }

    clmlp_dataset_t *ds = calloc(1, sizeof *ds);
    if (!ds) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", xs->where);
    int rc = CLMLP_OK;
    if (ys) {
        double *yd = malloc((size_t)ay.count * sizeof *yd);
        rc = yd ? read_data(ys, &ay, NULL, yd)
                : clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", ys->where);
        if (rc == CLMLP_OK) rc = make_y(ys, &ay, yd, ds);
        free(yd);
    }
    if (rc == CLMLP_OK) {
        ds->x = malloc((size_t)ax.count * sizeof(float));
        rc = ds->x ? read_data(xs, &ax, ds->x, NULL)
                   : clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", xs->where);
    }
    if (rc < 0) {
        clmlp_dataset_free(ds);
        return rc;
    }
    ds->n = (size_t)ax.rows;
    ds->n_features = (size_t)ax.cols;
    *out = ds;
    return CLMLP_OK;
}

/* ---- .npy ------------------------------------------------------------------ */

/* Opens a .npy file; its size is known when it is a regular file. */
static int npy_open(npy_src *s, const char *path)
{
    memset(s, 0, sizeof *s);
    snprintf(s->where, sizeof s->where, "%s", path);
    s->size = -1;
    errno = 0;
    s->f = fopen(path, "rb");
    if (!s->f)
        return clmlp_set_error(CLMLP_E_IO, "%s: cannot open: %s", path,
                               errno ? strerror(errno) : "out of memory");
    struct stat st;
    if (fstat(fileno(s->f), &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return clmlp_set_error(CLMLP_E_IO, "%s: cannot read: it is a directory", path);
        if (S_ISREG(st.st_mode)) s->size = (long long)st.st_size;
    }
    return CLMLP_OK;
}

/* Closes what s has open (nothing is fine). */
static void src_close(npy_src *s)
{
    if (s->f) fclose(s->f);
    if (s->zf) zip_fclose(s->zf);
    s->f = NULL;
    s->zf = NULL;
}

/* Public (clmlp.h): x_path's array as features, y_path's (if not NULL) as
 * labels or targets; *out is the caller's. */
int clmlp_dataset_read_npy(clmlp_dataset_t **out, const char *x_path, const char *y_path)
{
    if (out) *out = NULL;
    if (!out || !x_path) return clmlp_set_error(CLMLP_E_INVALID, "read_npy: NULL argument");
    npy_src xs, ys;
    memset(&ys, 0, sizeof ys);
    int rc = npy_open(&xs, x_path);
    if (rc == CLMLP_OK && y_path) rc = npy_open(&ys, y_path);
    if (rc == CLMLP_OK) rc = read_dataset(&xs, y_path ? &ys : NULL, out);
    src_close(&xs);
    src_close(&ys);
    return rc;
}

/* ---- .npz ------------------------------------------------------------------ */

/* An open archive and what messages call it. */
typedef struct {
    const char *path;
    zip_t *za;
    long long size; /* the archive's bytes (a regular file), else -1 */
} npz_archive;

/* The member holding array name: "NAME.npy" as numpy.savez names them, or
 * NAME itself; -1 if there is neither. */
static zip_int64_t npz_find(const npz_archive *z, const char *name)
{
    char member[NPY_WHERE_MAX];
    size_t len = strlen(name);
    if (len + 5 > sizeof member) return -1;
    memcpy(member, name, len);
    memcpy(member + len, ".npy", 5);
    zip_int64_t i = zip_name_locate(z->za, member, 0);
    return i >= 0 ? i : zip_name_locate(z->za, name, 0);
}

/* The arrays the archive holds, as "'a', 'b'" (names without ".npy"). */
static const char *npz_list(const npz_archive *z, char *buf, size_t cap)
{
    zip_int64_t n = zip_get_num_entries(z->za, 0);
    size_t used = 0;
    buf[0] = '\0';
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z->za, (zip_uint64_t)i, 0);
        if (!name) continue;
        size_t len = strlen(name);
        if (len > 4 && strcmp(name + len - 4, ".npy") == 0) len -= 4;
        if (used + len + 8 >= cap) {
            snprintf(buf + used, cap - used, "%s...", used ? ", " : "");
            break;
        }
        used +=
            (size_t)snprintf(buf + used, cap - used, "%s'%.*s'", used ? ", " : "", (int)len, name);
    }
    if (!buf[0]) snprintf(buf, cap, "nothing");
    return buf;
}

/* Opens member i as a source, after checking what its entry declares:
 * stored or deflated, not encrypted, a size its compressed bytes can
 * hold. */
static int npz_open_member(const npz_archive *z, zip_int64_t i, npy_src *s)
{
    memset(s, 0, sizeof *s);
    s->size = -1;
    const char *name = zip_get_name(z->za, (zip_uint64_t)i, 0);
    snprintf(s->where, sizeof s->where, "%s: %s", z->path, name ? name : "?");
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(z->za, (zip_uint64_t)i, 0, &st) != 0)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: %s", s->where, zip_strerror(z->za));
    const zip_uint64_t need = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
    if ((st.valid & need) != need)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: the archive's entry lacks its sizes", s->where);
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) && st.encryption_method != ZIP_EM_NONE)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: the member is encrypted", s->where);
    if (st.comp_method != ZIP_CM_STORE && st.comp_method != ZIP_CM_DEFLATE)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: compression method %d (numpy.savez stores members, "
                               "savez_compressed deflates them; only those are read)",
                               s->where, (int)st.comp_method);
    if (z->size >= 0 && st.comp_size > (unsigned long long)z->size)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: the entry declares %llu compressed bytes, more than the "
                               "archive's %llu",
                               s->where, (unsigned long long)st.comp_size,
                               (unsigned long long)z->size);
    if (st.comp_method == ZIP_CM_STORE && st.size != st.comp_size)
        return clmlp_set_error(
            CLMLP_E_FORMAT, "%s: a stored member of %llu bytes declares %llu compressed", s->where,
            (unsigned long long)st.size, (unsigned long long)st.comp_size);
    if (st.comp_method == ZIP_CM_DEFLATE &&
        st.size / NPY_DEFLATE_RATIO > st.comp_size + 1) /* + 1: rounding, tiny members */
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: the entry declares %llu bytes inflated from %llu, more than "
                               "deflate can give",
                               s->where, (unsigned long long)st.size,
                               (unsigned long long)st.comp_size);
    if (st.size > (zip_uint64_t)INT64_MAX)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: the entry declares %llu bytes", s->where,
                               (unsigned long long)st.size);
    s->size = (long long)st.size;
    s->zf = zip_fopen_index(z->za, (zip_uint64_t)i, 0);
    if (!s->zf) return clmlp_set_error(CLMLP_E_FORMAT, "%s: %s", s->where, zip_strerror(z->za));
    return CLMLP_OK;
}

/* Opens the archive, with libzip's consistency checks on. */
static int npz_open(npz_archive *z, const char *path)
{
    z->path = path;
    z->za = NULL;
    struct stat st;
    z->size = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (long long)st.st_size : -1;
    int err = 0;
    z->za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (z->za) return CLMLP_OK;
    zip_error_t ze;
    zip_error_init_with_code(&ze, err);
    int code = CLMLP_E_FORMAT;
    const char *what = "not a readable .npz (zip) archive", *hint = "";
    if (err == ZIP_ER_NOENT || err == ZIP_ER_OPEN || err == ZIP_ER_READ || err == ZIP_ER_SEEK) {
        code = CLMLP_E_IO;
        what = "cannot open";
    } else if (err == ZIP_ER_MEMORY) {
        code = CLMLP_E_NOMEM;
        what = "out of memory";
    } else if (err == ZIP_ER_NOZIP) {
        FILE *f = fopen(path, "rb");
        unsigned char head[NPY_MAGIC_LEN];
        if (f && fread(head, 1, sizeof head, f) == sizeof head &&
            memcmp(head, NPY_MAGIC, NPY_MAGIC_LEN) == 0)
            hint = " (it is a single .npy array)";
        if (f) fclose(f);
    }
    int rc = clmlp_set_error(code, "%s: %s: %s%s", path, what, zip_error_strerror(&ze), hint);
    zip_error_fini(&ze);
    return rc;
}

/* The member of the array asked for: name if given (it must be there),
 * else the first of the defaults that is; *found says which name it was
 * (-1 and *found NULL when none of the defaults is there). */
static int npz_pick(const npz_archive *z, const char *name, const char *const *defaults,
                    size_t n_defaults, const char *what, zip_int64_t *index, const char **found)
{
    *index = -1;
    *found = NULL;
    if (name) {
        *index = npz_find(z, name);
        if (*index < 0) {
            char list[400];
            return clmlp_set_error(CLMLP_E_NOT_FOUND,
                                   "%s: no array '%s' (for the %s); the archive holds %s", z->path,
                                   name, what, npz_list(z, list, sizeof list));
        }
        *found = name;
        return CLMLP_OK;
    }
    for (size_t k = 0; k < n_defaults; k++) {
        *index = npz_find(z, defaults[k]);
        if (*index >= 0) {
            *found = defaults[k];
            return CLMLP_OK;
        }
    }
    return CLMLP_OK;
}

/* Public (clmlp.h): the arrays x_name and y_name of the archive at path as
 * features and labels or targets; *out is the caller's. */
int clmlp_dataset_read_npz(clmlp_dataset_t **out, const char *path, const char *x_name,
                           const char *y_name)
{
    if (out) *out = NULL;
    if (!out || !path) return clmlp_set_error(CLMLP_E_INVALID, "read_npz: NULL argument");
    npz_archive z;
    CLMLP_TRY(npz_open(&z, path));
    static const char *const x_defaults[] = {"x", "x_train", "X", "X_train"};
    zip_int64_t xi, yi = -1;
    const char *x_found, *y_found = NULL;
    char y_lower[NPY_WHERE_MAX], y_upper[NPY_WHERE_MAX];
    int rc = npz_pick(&z, x_name, x_defaults, 4, "features", &xi, &x_found);
    if (rc == CLMLP_OK && xi < 0) {
        char list[400];
        rc = clmlp_set_error(CLMLP_E_NOT_FOUND,
                             "%s: no array 'x', 'x_train', 'X' or 'X_train' for the features; "
                             "the archive holds %s: name the array to read",
                             path, npz_list(&z, list, sizeof list));
    }
    if (rc == CLMLP_OK) {
        /* x's partner: its name with the x made y ("x_test": "y_test"). */
        size_t n_def = 0;
        const char *y_defaults[2];
        if (!y_name && (x_found[0] == 'x' || x_found[0] == 'X') &&
            strlen(x_found) < sizeof y_lower) {
            snprintf(y_lower, sizeof y_lower, "y%s", x_found + 1);
            snprintf(y_upper, sizeof y_upper, "Y%s", x_found + 1);
            y_defaults[n_def++] = y_lower;
            y_defaults[n_def++] = y_upper;
        }
        rc = npz_pick(&z, y_name, y_defaults, n_def, "labels", &yi, &y_found);
    }
    if (rc == CLMLP_OK && yi == xi) {
        rc = clmlp_set_error(CLMLP_E_INVALID, "%s: the features and the labels are both '%s'", path,
                             x_found);
    }
    npy_src xs, ys;
    memset(&xs, 0, sizeof xs);
    memset(&ys, 0, sizeof ys);
    if (rc == CLMLP_OK) rc = npz_open_member(&z, xi, &xs);
    if (rc == CLMLP_OK && yi >= 0) rc = npz_open_member(&z, yi, &ys);
    if (rc == CLMLP_OK) rc = read_dataset(&xs, yi >= 0 ? &ys : NULL, out);
    src_close(&xs);
    src_close(&ys);
    zip_discard(z.za);
    return rc;
}
