/* The NumPy reader (src/data/npy_reader.c): .npy files written byte by byte
 * here -- every dtype in both byte orders, C and Fortran order, 1-D to 4-D
 * shapes, format versions 1.0, 2.0 and 3.0 -- each lie a file can tell,
 * refused with a message that says what and where, .npz archives made
 * here with libzip (stored and deflated), and files NumPy itself wrote
 * (tests/data/npy/, made by make.py there). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "support/testing.h"

/* Whether the library's message holds needle (printing both if not). */
static int error_has(const char *needle) { return test_output_has(clmlp_last_error(), needle); }

/* ---- writing .npy bytes ------------------------------------------------------ */

/* A .npy file in memory. */
typedef struct {
    unsigned char *bytes;
    size_t len;
} npy_buf;

static void npy_free(npy_buf *b)
{
    free(b->bytes);
    b->bytes = NULL;
    b->len = 0;
}

/* The bytes of a .npy file of format version major.0: the magic, the
 * version, the header length, the dict text as given, padded with blanks
 * and ended with '\n' so that the data starts at a multiple of 64 as
 * NumPy writes it, then len bytes of data. */
static npy_buf npy_make(int major, const char *dict, const void *data, size_t len)
{
    size_t pre = major == 1 ? 10 : 12, dl = strlen(dict);
    size_t total_header = (pre + dl + 1 + 63) / 64 * 64;
    size_t hlen = total_header - pre;
    npy_buf b = {malloc(total_header + len + 1), total_header + len};
    CU_ASSERT_PTR_NOT_NULL_FATAL(b.bytes);
    memcpy(b.bytes, "\x93NUMPY", 6);
    b.bytes[6] = (unsigned char)major;
    b.bytes[7] = 0;
    for (size_t k = 0; k < pre - 8; k++) b.bytes[8 + k] = (unsigned char)(hlen >> (8 * k));
    memcpy(b.bytes + pre, dict, dl);
    memset(b.bytes + pre + dl, ' ', hlen - dl - 1);
    b.bytes[total_header - 1] = '\n';
    if (len) memcpy(b.bytes + total_header, data, len);
    return b;
}

/* The dict NumPy writes. */
static const char *npy_dict(const char *descr, int fortran, const char *shape)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr,
             fortran ? "True" : "False", shape);
    return buf;
}

/* Writes a .npy file of version 1.0 into the scratch directory. */
static const char *write_npy(const char *name, const char *descr, int fortran, const char *shape,
                             const void *data, size_t len)
{
    npy_buf b = npy_make(1, npy_dict(descr, fortran, shape), data, len);
    const char *p = test_write_temp(name, b.bytes, b.len);
    npy_free(&b);
    return p;
}

/* The bits of a whole number or float v as a value of kind and size bytes,
 * stored in the given byte order at p.  Whole numbers are given as their
 * two's complement bits (bits), floats as v. */
static void put_value(unsigned char *p, char kind, unsigned size, int big, uint64_t bits, double v)
{
    uint64_t b = bits;
    if (kind == 'f' && size == 4) {
        float f = (float)v;
        uint32_t w;
        memcpy(&w, &f, sizeof w);
        b = w;
    } else if (kind == 'f' && size == 8) {
        memcpy(&b, &v, sizeof b);
    }
    for (unsigned k = 0; k < size; k++) p[big ? size - 1 - k : k] = (unsigned char)(b >> (8 * k));
}

/* 32-bit little-endian floats. */
static void put_f32(unsigned char *p, const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++) put_value(p + 4 * i, 'f', 4, 0, 0, v[i]);
}

/* Asserts ds holds n rows of nf features equal to want (exactly: every
 * value here is exact in float32) and no labels or targets unless asked. */
static void expect_x(const clmlp_dataset_t *ds, size_t n, size_t nf, const float *want)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds);
    CU_ASSERT_EQUAL(ds->n, n);
    CU_ASSERT_EQUAL_FATAL(ds->n_features, nf);
    TEST_ASSERT_CLOSE(ds->x, want, n * nf, 0.0);
}

/* ---- dtypes, orders, shapes, versions ------------------------------------------ */

/* Every integer dtype, both byte orders, with its extremes: each becomes
 * the float nearest to it. */
static void test_integer_dtypes(void)
{
    static const struct {
        char kind;
        unsigned size;
        int64_t v[6]; /* as signed; unsigned values are these bits */
    } cases[] = {
        {'i', 1, {-128, -1, 0, 1, 2, 127}},
        {'u', 1, {0, 1, 2, 128, 200, 255}},
        {'i', 2, {-32768, -300, 0, 1, 300, 32767}},
        {'u', 2, {0, 1, 300, 32768, 40000, 65535}},
        {'i', 4, {INT32_MIN, -70000, -1, 0, 70000, INT32_MAX}},
        {'u', 4, {0, 1, 70000, 2147483648LL, 3000000000LL, 4294967295LL}},
        {'i', 8, {INT64_MIN, -((int64_t)1 << 40), -1, 0, (int64_t)1 << 40, INT64_MAX}},
        {'u', 8, {0, 1, (int64_t)1 << 40, INT64_MAX, INT64_MIN, -1}}, /* 2^63, 2^64-1 */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int big = 0; big < 2; big++) {
            unsigned char data[48];
            float want[6];
            for (size_t i = 0; i < 6; i++) {
                put_value(data + i * cases[c].size, cases[c].kind, cases[c].size, big,
                          (uint64_t)cases[c].v[i], 0);
                want[i] =
                    cases[c].kind == 'i' ? (float)cases[c].v[i] : (float)(uint64_t)cases[c].v[i];
            }
            char descr[8];
            snprintf(descr, sizeof descr, "%c%c%u",
                     cases[c].size == 1 ? '|'
                     : big              ? '>'
                                        : '<',
                     cases[c].kind, cases[c].size);
            const char *p = write_npy("int.npy", descr, 0, "(2, 3)", data, 6 * cases[c].size);
            clmlp_dataset_t *ds = NULL;
            TEST_OK(clmlp_dataset_read_npy(&ds, p, NULL));
            expect_x(ds, 2, 3, want);
            CU_ASSERT_PTR_NULL(ds->labels);
            CU_ASSERT_PTR_NULL(ds->targets);
            clmlp_dataset_free(ds);
            if (cases[c].size == 1) break; /* one byte has no order */
        }
}

/* float32 and float64 in both orders, float16 (its normal, subnormal and
 * largest values), bool, and a one-byte type written with '<'. */
static void test_float_and_bool_dtypes(void)
{
    static const float v[6] = {-2.5f, 0.0f, 1e-30f, 3.25f, 1e30f, -FLT_MAX};
    for (int size = 4; size <= 8; size += 4)
        for (int big = 0; big < 2; big++) {
            unsigned char data[48];
            for (size_t i = 0; i < 6; i++) put_value(data + i * size, 'f', size, big, 0, v[i]);
            char descr[8];
            snprintf(descr, sizeof descr, "%cf%d", big ? '>' : '<', size);
            clmlp_dataset_t *ds = NULL;
            TEST_OK(clmlp_dataset_read_npy(
                &ds, write_npy("f.npy", descr, 0, "(3, 2)", data, 6 * size), NULL));
            expect_x(ds, 3, 2, v);
            clmlp_dataset_free(ds);
        }

    /* float16: 1, -2, 0.5, 65504 (the largest), 2^-24 (the smallest
     * subnormal), -0. */
    static const uint16_t half[6] = {0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x8000};
    static const float half_want[6] = {1.0f, -2.0f, 0.5f, 65504.0f, 5.9604644775390625e-8f, -0.0f};
    for (int big = 0; big < 2; big++) {
        unsigned char data[12];
        for (size_t i = 0; i < 6; i++) put_value(data + 2 * i, 'u', 2, big, half[i], 0);
        clmlp_dataset_t *ds = NULL;
        TEST_OK(clmlp_dataset_read_npy(
            &ds, write_npy("f2.npy", big ? ">f2" : "<f2", 0, "(6,)", data, sizeof data), NULL));
        expect_x(ds, 6, 1, half_want);
        clmlp_dataset_free(ds);
    }

    static const unsigned char b[4] = {1, 0, 0, 1};
    static const float b_want[4] = {1, 0, 0, 1};
    clmlp_dataset_t *ds = NULL;
    TEST_OK(clmlp_dataset_read_npy(&ds, write_npy("b.npy", "|b1", 0, "(2, 2)", b, 4), NULL));
    expect_x(ds, 2, 2, b_want);
    clmlp_dataset_free(ds);
    TEST_OK(clmlp_dataset_read_npy(&ds, write_npy("u1.npy", "<u1", 0, "(4,)", b, 4), NULL));
    expect_x(ds, 4, 1, b_want);
    clmlp_dataset_free(ds);
}

/* C order, row-major places for a Fortran-order file: element e of the
 * file, its first index fastest, is the value whose C-order flat index is
 * computed here from the same multi-index. */
static size_t c_index_of_f(const size_t *shape, size_t ndim, size_t e)
{
    size_t c = 0;
    size_t idx[8];
    for (size_t d = 0; d < ndim; d++) {
        idx[d] = e % shape[d];
        e /= shape[d];
    }
    for (size_t d = 0; d < ndim; d++) c = c * shape[d] + idx[d];
    return c;
}

/* 1-D, 2-D and 4-D arrays in C and Fortran order come out the same rows:
 * the first dimension is the rows, the rest flattened row-major. */
static void test_orders_and_shapes(void)
{
    static const struct {
        size_t ndim, shape[4];
        const char *text;
        size_t rows, cols;
    } cases[] = {
        {1, {5}, "(5,)", 5, 1},
        {2, {4, 3}, "(4, 3)", 4, 3},
        {2, {1, 7}, "(1, 7)", 1, 7},
        {4, {2, 2, 3, 2}, "(2, 2, 3, 2)", 2, 12},
        {4, {3, 1, 2, 2}, "(3, 1, 2, 2)", 3, 4},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n = cases[c].rows * cases[c].cols;
        float want[32], f_order[32];
        for (size_t i = 0; i < n; i++) want[i] = (float)i * 0.25f - 1.0f;
        for (size_t e = 0; e < n; e++)
            f_order[e] = want[c_index_of_f(cases[c].shape, cases[c].ndim, e)];
        for (int fortran = 0; fortran < 2; fortran++) {
            unsigned char data[128];
            put_f32(data, fortran ? f_order : want, n);
            clmlp_dataset_t *ds = NULL;
            TEST_OK(clmlp_dataset_read_npy(
                &ds, write_npy("o.npy", "<f4", fortran, cases[c].text, data, 4 * n), NULL));
            expect_x(ds, cases[c].rows, cases[c].cols, want);
            clmlp_dataset_free(ds);
        }
    }
}

/* Versions 1.0, 2.0 and 3.0 (a 4-byte header length), and the dict as
 * other writers spell it: keys in another order, double quotes, no
 * trailing comma, Python 2's 3L, no padding to 64. */
static void test_versions_and_dict_spellings(void)
{
    static const float v[6] = {1, 2, 3, 4, 5, 6};
    unsigned char data[24];
    put_f32(data, v, 6);
    const char *dicts[] = {
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
        "{\"shape\": (2,3), \"descr\": \"<f4\", \"fortran_order\": False}",
        "{'fortran_order':False,'shape':(2L, 3L),'descr':'<f4'}",
        " { 'descr' : '<f4' ,\t'fortran_order' : False , 'shape' : ( 2 , 3 , ) , } ",
    };
    for (int major = 1; major <= 3; major++)
        for (size_t d = 0; d < sizeof dicts / sizeof dicts[0]; d++) {
            npy_buf b = npy_make(major, dicts[d], data, sizeof data);
            clmlp_dataset_t *ds = NULL;
            TEST_OK(clmlp_dataset_read_npy(&ds, test_write_temp("v.npy", b.bytes, b.len), NULL));
            expect_x(ds, 2, 3, v);
            clmlp_dataset_free(ds);
            npy_free(&b);
        }
    /* Unpadded: the header ends right after its newline (cnpy, old NumPy). */
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n";
    size_t dl = strlen(dict);
    unsigned char raw[200];
    memcpy(raw, "\x93NUMPY\x01\x00", 8);
    raw[8] = (unsigned char)dl;
    raw[9] = 0;
    memcpy(raw + 10, dict, dl);
    memcpy(raw + 10 + dl, data, sizeof data);
    clmlp_dataset_t *ds = NULL;
    TEST_OK(clmlp_dataset_read_npy(&ds, test_write_temp("unpadded.npy", raw, 10 + dl + 24), NULL));
    expect_x(ds, 2, 3, v);
    clmlp_dataset_free(ds);
}

/* ---- labels and targets ------------------------------------------------------ */

/* Reads x (4 rows of 2) with y of the given dtype, shape and bytes. */
static int read_with_y(clmlp_dataset_t **ds, const char *descr, const char *shape, const void *y,
                       size_t len)
{
    static const float x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    unsigned char xb[32];
    put_f32(xb, x, 8);
    const char *px = write_npy("x.npy", "<f4", 0, "(4, 2)", xb, sizeof xb);
    const char *py = write_npy("y.npy", descr, 0, shape, y, len);
    return clmlp_dataset_read_npy(ds, px, py);
}

/* Integers, bools and whole floats are class labels (largest + 1 classes,
 * at least 2), one value per row, (n,) or (n, 1); other floats and (n, k)
 * arrays are targets. */
static void test_labels_and_targets(void)
{
    clmlp_dataset_t *ds = NULL;
    unsigned char y[64];
    static const int64_t ints[4] = {3, 0, 7, 3};
    for (size_t i = 0; i < 4; i++) put_value(y + 8 * i, 'i', 8, 0, (uint64_t)ints[i], 0);
    TEST_OK(read_with_y(&ds, "<i8", "(4,)", y, 32));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds->labels);
    CU_ASSERT_PTR_NULL(ds->targets);
    CU_ASSERT_EQUAL(ds->n_classes, 8);
    for (size_t i = 0; i < 4; i++) CU_ASSERT_EQUAL(ds->labels[i], ints[i]);
    clmlp_dataset_free(ds);

    /* (n, 1) of uint8, as Keras's CIFAR labels are; one class seen: 2. */
    static const unsigned char zeros[4] = {0, 0, 0, 0};
    TEST_OK(read_with_y(&ds, "|u1", "(4, 1)", zeros, 4));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds->labels);
    CU_ASSERT_EQUAL(ds->n_classes, 2);
    clmlp_dataset_free(ds);

    static const unsigned char bools[4] = {1, 0, 1, 1};
    TEST_OK(read_with_y(&ds, "|b1", "(4,)", bools, 4));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds->labels);
    CU_ASSERT_EQUAL(ds->n_classes, 2);
    CU_ASSERT_EQUAL(ds->labels[2], 1);
    clmlp_dataset_free(ds);

    /* Whole floats (big-endian float64): labels. */
    static const double whole[4] = {1, 0, 2, 4};
    for (size_t i = 0; i < 4; i++) put_value(y + 8 * i, 'f', 8, 1, 0, whole[i]);
    TEST_OK(read_with_y(&ds, ">f8", "(4,)", y, 32));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds->labels);
    CU_ASSERT_EQUAL(ds->n_classes, 5);
    CU_ASSERT_EQUAL(ds->labels[3], 4);
    clmlp_dataset_free(ds);

    /* One fractional value, or one negative whole float: targets. */
    static const float frac[4] = {1, 0.5f, 2, 4}, neg[4] = {1, -3, 2, 4};
    put_f32(y, frac, 4);
    TEST_OK(read_with_y(&ds, "<f4", "(4,)", y, 16));
    CU_ASSERT_PTR_NULL(ds->labels);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds->targets);
    CU_ASSERT_EQUAL(ds->n_targets, 1);
    TEST_ASSERT_CLOSE(ds->targets, frac, 4, 0.0);
    clmlp_dataset_free(ds);
    put_f32(y, neg, 4);
    TEST_OK(read_with_y(&ds, "<f4", "(4,)", y, 16));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds->targets);
    TEST_ASSERT_CLOSE(ds->targets, neg, 4, 0.0);
    clmlp_dataset_free(ds);

    /* (4, 3) of int16 (one-hot rows, say), and a Fortran-order (4, 2)
     * float: targets, row-major. */
    static const float onehot[12] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0};
    for (size_t i = 0; i < 12; i++) put_value(y + 2 * i, 'i', 2, 0, (uint64_t)onehot[i], 0);
    TEST_OK(read_with_y(&ds, "<i2", "(4, 3)", y, 24));
    CU_ASSERT_PTR_NULL(ds->labels);
    CU_ASSERT_EQUAL_FATAL(ds->n_targets, 3);
    TEST_ASSERT_CLOSE(ds->targets, onehot, 12, 0.0);
    clmlp_dataset_free(ds);
    static const float t_rows[8] = {0.5f, 1, 1.5f, 2, 2.5f, 3, 3.5f, 4};
    const size_t shape[2] = {4, 2};
    float t_file[8];
    for (size_t e = 0; e < 8; e++) t_file[e] = t_rows[c_index_of_f(shape, 2, e)];
    put_f32(y, t_file, 8);
    static const float x[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    unsigned char xb[32];
    put_f32(xb, x, 8);
    TEST_OK(clmlp_dataset_read_npy(&ds, write_npy("x.npy", "<f4", 0, "(4, 2)", xb, 32),
                                   write_npy("yf.npy", "<f4", 1, "(4, 2)", y, 32)));
    CU_ASSERT_EQUAL_FATAL(ds->n_targets, 2);
    TEST_ASSERT_CLOSE(ds->targets, t_rows, 8, 0.0);
    clmlp_dataset_free(ds);
}

/* Integers that cannot be classes are values, as fractions are: a
 * negative one, or one too large for a class, makes float targets; and
 * row counts that differ are refused. */
static void test_label_errors(void)
{
    clmlp_dataset_t *ds = NULL;
    unsigned char y[32];
    static const int32_t neg[4] = {0, 1, -1, 2};
    for (size_t i = 0; i < 4; i++) put_value(y + 4 * i, 'i', 4, 0, (uint64_t)(int64_t)neg[i], 0);
    TEST_OK(read_with_y(&ds, "<i4", "(4,)", y, 16));
    CU_ASSERT_FATAL(ds != NULL && ds->targets != NULL && ds->labels == NULL);
    CU_ASSERT_EQUAL(ds->n_targets, 1);
    static const float neg_f[4] = {0, 1, -1, 2};
    TEST_ASSERT_CLOSE(ds->targets, neg_f, 4, 0.0);
    clmlp_dataset_free(ds);
    ds = NULL;
    for (size_t i = 0; i < 4; i++) put_value(y + 8 * i, 'u', 8, 0, i == 1 ? 1ull << 40 : i, 0);
    TEST_OK(read_with_y(&ds, "<u8", "(4,)", y, 32));
    CU_ASSERT_FATAL(ds != NULL && ds->targets != NULL && ds->labels == NULL);
    /* 2^40 is exact in float32. */
    CU_ASSERT_EQUAL(ds->targets[1], 1099511627776.0f);
    clmlp_dataset_free(ds);
    ds = NULL;

    CU_ASSERT_EQUAL(read_with_y(&ds, "|u1", "(3,)", y, 3), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("x.npy has 4 rows (shape (4, 2)) but "));
    CU_ASSERT(error_has("y.npy has 3 (shape (3,))"));
    CU_ASSERT_EQUAL(read_with_y(&ds, "|u1", "(2, 2)", y, 4), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("y.npy has 2 (shape (2, 2))"));
    /* NaN in y is refused as in x. */
    static const float nan_y[4] = {0, 1, NAN, 1};
    put_f32(y, nan_y, 4);
    CU_ASSERT_EQUAL(read_with_y(&ds, "<f4", "(4,)", y, 16), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("y.npy: the value at flat index 2 (row 2, counting from 0) is NaN"));
}

/* ---- what a file can lie about ------------------------------------------------ */

/* Reads the bytes as x.npy; asserts the status and that the message holds
 * needle. */
static void expect_refused(const void *bytes, size_t len, int status, const char *needle)
{
    clmlp_dataset_t *ds = NULL;
    const char *p = test_write_temp("bad.npy", bytes, len);
    int rc = clmlp_dataset_read_npy(&ds, p, NULL);
    if (rc != status)
        fprintf(stderr, "\nstatus %d, wanted %d: %s\n", rc, status, clmlp_last_error());
    CU_ASSERT_EQUAL(rc, status);
    CU_ASSERT_PTR_NULL(ds);
    CU_ASSERT(error_has(needle));
    CU_ASSERT(error_has("bad.npy: "));
    clmlp_dataset_free(ds);
}

/* The same for a header dict (version 1.0) and data. */
static void expect_dict_refused(const char *dict, const void *data, size_t len, const char *needle)
{
    npy_buf b = npy_make(1, dict, data, len);
    expect_refused(b.bytes, b.len, CLMLP_E_FORMAT, needle);
    npy_free(&b);
}

/* The preamble: magic, version, header length. */
static void test_preamble_lies(void)
{
    expect_refused("", 0, CLMLP_E_FORMAT, "the file is empty");
    expect_refused("a,b\n1,2\n", 8, CLMLP_E_FORMAT,
                   "not a NumPy .npy file: it does not start with the magic");
    expect_refused("PK\x03\x04\x14\x00\x00\x00", 8, CLMLP_E_FORMAT, "it is a zip archive");
    expect_refused("\x93NUMP", 5, CLMLP_E_FORMAT, "not a NumPy .npy file");
    expect_refused("\x93NUMPY\x01", 7, CLMLP_E_FORMAT,
                   "truncated: the file ends inside its preamble");
    expect_refused("\x93NUMPY\x04\x00\x10\x00", 10, CLMLP_E_FORMAT,
                   "unsupported .npy format version 4.0 (1.0, 2.0 and 3.0 are read)");
    expect_refused("\x93NUMPY\x01\x01\x10\x00", 10, CLMLP_E_FORMAT, "format version 1.1");
    expect_refused("\x93NUMPY\x02\x00\x10\x00\x00", 11, CLMLP_E_FORMAT,
                   "truncated: the file ends inside its header's length");
    /* A header length past the file's end, and over the limit. */
    npy_buf b = npy_make(1, npy_dict("<f4", 0, "(1,)"), "\0\0\0\0", 4);
    b.bytes[8] = 0xff;
    b.bytes[9] = 0x7f;
    expect_refused(b.bytes, b.len, CLMLP_E_FORMAT,
                   "truncated: the header declares 32767 bytes, but the file holds 122 after its "
                   "10-byte preamble");
    npy_free(&b);
    unsigned char big[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0, 0, 0, 0x10};
    expect_refused(big, sizeof big, CLMLP_E_FORMAT, "truncated: the header declares 268435456");
}

/* The dict: each syntax error, key and value that NumPy would not write. */
static void test_header_lies(void)
{
    const char *d4 = "\0\0\0\0";
    expect_dict_refused("'descr': '<f4'", d4, 4,
                        "malformed header: expected the dict's '{' at byte 0 of the header's "
                        "dict, found '''");
    expect_dict_refused("{'descr' '<f4', 'fortran_order': False, 'shape': (1,)}", d4, 4,
                        "expected ':' after a key at byte 9");
    expect_dict_refused("{'descr': '<f4', 'fortran_order': false, 'shape': (1,)}", d4, 4,
                        "expected True or False");
    expect_dict_refused("{'descr': '<f4', 'fortran_order': Falsey, 'shape': (1,)}", d4, 4,
                        "expected True or False");
    expect_dict_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", d4, 4,
                        "unexpected key 'x'");
    expect_dict_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'descr': '<f4'}",
                        d4, 4, "the key 'descr' appears twice");
    expect_dict_refused("{'descr': '<f4', 'shape': (1,)}", d4, 4,
                        "the key 'fortran_order' is missing");
    expect_dict_refused("{'descr': '<f4', 'fortran_order': False}", d4, 4,
                        "the key 'shape' is missing");
    expect_dict_refused("{'fortran_order': False, 'shape': (1,)}", d4, 4,
                        "the key 'descr' is missing");
    expect_dict_refused(npy_dict("<f4", 0, "(1)"), d4, 4,
                        "the shape (1) is a number, not a tuple: a 1-D shape is written (1,)");
    expect_dict_refused(npy_dict("<f4", 0, "[1]"), d4, 4, "expected the shape as a tuple '('");
    expect_dict_refused(npy_dict("<f4", 0, "(1, -2)"), d4, 4,
                        "expected a dimension (a whole number >= 0)");
    expect_dict_refused(npy_dict("<f4", 0, "(1 2)"), d4, 4, "expected ',' or ')' in the shape");
    expect_dict_refused(npy_dict("<f4", 0, "(99999999999999999999,)"), d4, 4,
                        "does not fit 64 bits");
    expect_dict_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} x", d4, 4,
                        "expected only blanks after the dict");
    expect_dict_refused("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", d4, 4,
                        "expected ',' or '}' after a value at byte 118 of the header's dict, found "
                        "the end");
    expect_dict_refused("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (1,)}", d4, 4,
                        "expected a printable character without escapes");
    const char *long_descr = "{'descr': '<f4444444444444444444444444444444444', "
                             "'fortran_order': False, 'shape': (1,)}";
    expect_dict_refused(long_descr, d4, 4,
                        "a string at byte 10 of the header's dict is longer than 32");
    expect_dict_refused("{'descr': '\xe9"
                        "f4', 'fortran_order': False, 'shape': (1,)}",
                        d4, 4, "found byte 0xe9");
    /* 65 dimensions: over NumPy's limit. */
    char shape[300] = "(";
    for (int i = 0; i < 65; i++) strcat(shape, "1,");
    strcat(shape, ")");
    expect_dict_refused(npy_dict("<f4", 0, shape), d4, 4, "more than 64 dimensions");
}

/* Dtypes that are not numbers, or not ones this reader converts. */
static void test_dtype_lies(void)
{
    const char *d8 = "\0\0\0\0\0\0\0\0";
    expect_dict_refused(npy_dict("|O", 0, "(1,)"), d8, 8,
                        "the array holds Python objects (dtype object) ('|O'), not numbers");
    expect_dict_refused("{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, "
                        "'shape': (1,)}",
                        d8, 8, "the array has a structured dtype (named fields)");
    expect_dict_refused(npy_dict("|V8", 0, "(1,)"), d8, 8, "records (a void or structured dtype)");
    expect_dict_refused(npy_dict("<U2", 0, "(1,)"), d8, 8, "the array holds strings ('<U2')");
    expect_dict_refused(npy_dict("|S8", 0, "(1,)"), d8, 8, "holds strings");
    expect_dict_refused(npy_dict("<c8", 0, "(1,)"), d8, 8, "holds complex numbers");
    expect_dict_refused(npy_dict("<M8[s]", 0, "(1,)"), d8, 8, "holds dates or time spans");
    expect_dict_refused(npy_dict("<f16", 0, "(1,)"), d8, 8, "unsupported dtype '<f16' (read are");
    expect_dict_refused(npy_dict("<i3", 0, "(1,)"), d8, 8, "unsupported dtype '<i3'");
    expect_dict_refused(npy_dict("<b2", 0, "(1,)"), d8, 8, "unsupported dtype '<b2'");
    expect_dict_refused(npy_dict("<f4x", 0, "(1,)"), d8, 8, "unsupported dtype '<f4x'");
    expect_dict_refused(npy_dict("", 0, "(1,)"), d8, 8, "unsupported dtype ''");
    expect_dict_refused(npy_dict("|f8", 0, "(1,)"), d8, 8,
                        "dtype '|f8' has no byte order ('|'), which only a one-byte type may lack");
}

/* Shapes: a scalar, an empty dimension, a product past 64 bits; data
 * shorter or longer than the shape says. */
static void test_shape_and_length_lies(void)
{
    const char *d8 = "\0\0\0\0\0\0\0\0";
    expect_dict_refused(npy_dict("<f4", 0, "()"), d8, 4,
                        "the array is a scalar (shape ()), not rows of values");
    expect_dict_refused(npy_dict("<f4", 0, "(3, 0)"), d8, 0, "the array is empty (shape (3, 0))");
    expect_dict_refused(npy_dict("<f4", 0, "(0,)"), d8, 0, "the array is empty (shape (0,))");
    expect_dict_refused(npy_dict("<f4", 0, "(4294967296, 4294967296)"), d8, 8,
                        "the shape (4294967296, 4294967296) holds more than 2^64 values");
    expect_dict_refused(npy_dict("<f8", 0, "(4611686018427387904,)"), d8, 8,
                        "the shape (4611686018427387904,) of float64 needs more than 2^64 bytes");
    expect_dict_refused(npy_dict("<f4", 0, "(2, 3)"), d8, 8,
                        "truncated: the shape (2, 3) of float32 needs 24 data bytes after the "
                        "128-byte header, the file holds 8");
    expect_dict_refused(npy_dict("<u2", 0, "(2,)"), d8, 8,
                        "4 trailing bytes after the 4 data bytes of the shape (2,) of uint16");
    /* Huge, with a file that says it is small: refused before allocating. */
    expect_dict_refused(npy_dict("|u1", 0, "(1000000000000, 784)"), d8, 8,
                        "truncated: the shape (1000000000000, 784) of uint8 needs "
                        "784000000000000 data bytes");
}

/* Values no dataset may hold: NaN and Inf (C and Fortran order name the
 * same place, NumPy's flat index), float64 past float32, a bool byte of 2. */
static void test_value_lies(void)
{
    unsigned char data[128];
    float v[6] = {0, 1, 2, 3, 4, 5};
    v[4] = NAN;
    put_f32(data, v, 6);
    expect_dict_refused(npy_dict("<f4", 0, "(2, 3)"), data, 24,
                        "the value at flat index 4 (row 1, column 1, counting from 0) is NaN");
    /* Fortran order: the file's element 3 is (1, 1) of a (2, 3) array. */
    float f[6] = {0, 1, 2, 3, 4, 5};
    f[3] = -INFINITY;
    put_f32(data, f, 6);
    expect_dict_refused(npy_dict("<f4", 1, "(2, 3)"), data, 24,
                        "the value at flat index 4 (row 1, column 1, counting from 0) is -Inf");
    f[3] = INFINITY;
    put_f32(data, f, 6);
    expect_dict_refused(npy_dict("<f4", 0, "(6,)"), data, 24,
                        "the value at flat index 3 (row 3, counting from 0) is Inf");
    /* 4-D: flat index 13 of (2, 2, 2, 2) is row 1, column 5. */
    double d[16];
    for (int i = 0; i < 16; i++) d[i] = i;
    d[13] = 1e300;
    for (int i = 0; i < 16; i++) put_value(data + 8 * i, 'f', 8, 1, 0, d[i]);
    expect_dict_refused(npy_dict(">f8", 0, "(2, 2, 2, 2)"), data, 128,
                        "the value 1e+300 at flat index 13 (row 1, column 5, counting from 0) is "
                        "out of float32's range");
    static const uint16_t half_nan[2] = {0x3c00, 0x7e00};
    for (int i = 0; i < 2; i++) put_value(data + 2 * i, 'u', 2, 0, half_nan[i], 0);
    expect_dict_refused(npy_dict("<f2", 0, "(2,)"), data, 4,
                        "flat index 1 (row 1, counting from 0) is NaN");
    static const unsigned char b[4] = {0, 1, 2, 1};
    expect_dict_refused(npy_dict("|b1", 0, "(2, 2)"), b, 4,
                        "the bool at flat index 2 (row 1, column 0, counting from 0) is the byte "
                        "2, not 0 or 1");
}

/* A file that cannot be opened, and a directory. */
static void test_io_errors(void)
{
    clmlp_dataset_t *ds = NULL;
    const char *missing = test_temp_path("missing.npy");
    CU_ASSERT_EQUAL(clmlp_dataset_read_npy(&ds, missing, NULL), CLMLP_E_IO);
    CU_ASSERT(error_has("missing.npy: cannot open: No such file or directory"));
    CU_ASSERT_EQUAL(clmlp_dataset_read_npy(&ds, test_temp_dir("npy"), NULL), CLMLP_E_IO);
    CU_ASSERT(error_has("it is a directory"));
    static const float v[2] = {1, 2};
    unsigned char data[8];
    put_f32(data, v, 2);
    const char *x = write_npy("x.npy", "<f4", 0, "(2,)", data, 8);
    CU_ASSERT_EQUAL(clmlp_dataset_read_npy(&ds, x, missing), CLMLP_E_IO);
    CU_ASSERT(error_has("missing.npy: cannot open"));
    CU_ASSERT_EQUAL(clmlp_dataset_read_npy(&ds, missing, x), CLMLP_E_IO);
    CU_ASSERT(error_has("missing.npy: cannot open"));
    CU_ASSERT_EQUAL(clmlp_dataset_read_npy(NULL, x, NULL), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_dataset_read_npy(&ds, NULL, NULL), CLMLP_E_INVALID);
    CU_ASSERT_PTR_NULL(ds);
}

/* ---- streams of unknown length (a pipe) ---------------------------------------- */

/* Reads bytes as a .npy through a pipe (whose size cannot be known in
 * advance), the bytes written by the test before reading (they fit the
 * pipe's buffer). */
static int read_through_pipe(const void *bytes, size_t len, clmlp_dataset_t **ds)
{
    int fd[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fd), 0);
    CU_ASSERT_EQUAL_FATAL(write(fd[1], bytes, len), (ssize_t)len);
    close(fd[1]);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd[0]);
    int rc = clmlp_dataset_read_npy(ds, path, NULL);
    close(fd[0]);
    return rc;
}

/* Through a pipe, the data is checked as it arrives; a shape too large for
 * memory is refused from the header alone, naming the need and the limit. */
static void test_pipe(void)
{
    static const float v[6] = {1, 2, 3, 4, 5, 6};
    unsigned char data[28];
    put_f32(data, v, 6);
    clmlp_dataset_t *ds = NULL;
    npy_buf b = npy_make(1, npy_dict("<f4", 0, "(2, 3)"), data, 24);
    TEST_OK(read_through_pipe(b.bytes, b.len, &ds));
    expect_x(ds, 2, 3, v);
    clmlp_dataset_free(ds);
    ds = NULL;
    CU_ASSERT_EQUAL(read_through_pipe(b.bytes, b.len - 5, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("truncated: the shape (2, 3) of float32 needs 24 data bytes, the data "
                        "ends after 19"));
    npy_free(&b);
    b = npy_make(1, npy_dict("<f4", 0, "(2, 3)"), data, 28);
    CU_ASSERT_EQUAL(read_through_pipe(b.bytes, b.len, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("trailing bytes after the 24 data bytes"));
    npy_free(&b);
    /* A header length over the limit, which a file's size would not show. */
    static const unsigned char huge[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0, 0, 0, 0x10};
    CU_ASSERT_EQUAL(read_through_pipe(huge, sizeof huge, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("the header declares 268435456 bytes, over the limit of 1048576"));
    b = npy_make(1, npy_dict("<f4", 0, "(1000000000000, 1000000)"), NULL, 0);
    CU_ASSERT_EQUAL(read_through_pipe(b.bytes, b.len, &ds), CLMLP_E_NOMEM);
    CU_ASSERT(error_has("the shape (1000000000000, 1000000) of float32 needs 4e+09 GB as float32, "
                        "more than the "));
    CU_ASSERT(error_has("GB of memory available"));
    CU_ASSERT_PTR_NULL(ds);
    npy_free(&b);
}

/* ---- .npz archives ------------------------------------------------------------- */

/* Writes an archive of n members (names and .npy bytes) with libzip, each
 * stored or deflated. */
static const char *write_npz(const char *name, size_t n, const char *const *members,
                             const npy_buf *files, zip_int32_t method)
{
    const char *path = test_temp_path(name);
    int err = 0;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(za);
    for (size_t i = 0; i < n; i++) {
        zip_source_t *src = zip_source_buffer(za, files[i].bytes, files[i].len, 0);
        CU_ASSERT_PTR_NOT_NULL_FATAL(src);
        zip_int64_t at = zip_file_add(za, members[i], src, ZIP_FL_OVERWRITE);
        CU_ASSERT_FATAL(at >= 0);
        CU_ASSERT_EQUAL_FATAL(zip_set_file_compression(za, (zip_uint64_t)at, method, 0), 0);
    }
    if (zip_close(za) != 0) fprintf(stderr, "zip_close: %s\n", zip_strerror(za));
    return path;
}

/* Four rows of 2 float32 features, and their labels 0..3 as uint8. */
static const float npz_x[8] = {0, 0.5f, 1, 1.5f, 2, 2.5f, 3, 3.5f};
static npy_buf npz_x_file(float offset)
{
    float v[8];
    unsigned char data[32];
    for (int i = 0; i < 8; i++) v[i] = npz_x[i] + offset;
    put_f32(data, v, 8);
    return npy_make(1, npy_dict("<f4", 0, "(4, 2)"), data, 32);
}
static npy_buf npz_y_file(unsigned char first)
{
    unsigned char y[4] = {first, 1, 2, 3};
    return npy_make(1, npy_dict("|u1", 0, "(4,)"), y, 4);
}

/* x.npy and y.npy, stored and deflated; names given, defaulted, and with
 * or without ".npy". */
static void test_npz(void)
{
    const char *names[2] = {"x.npy", "y.npy"};
    npy_buf files[2] = {npz_x_file(0), npz_y_file(0)};
    for (int m = 0; m < 2; m++) {
        const char *p = write_npz(m ? "deflated.npz" : "stored.npz", 2, names, files,
                                  m ? ZIP_CM_DEFLATE : ZIP_CM_STORE);
        const char *xn[3] = {NULL, "x", "x.npy"}, *yn[3] = {NULL, "y", "y.npy"};
        for (int k = 0; k < 3; k++) {
            clmlp_dataset_t *ds = NULL;
            TEST_OK(clmlp_dataset_read_npz(&ds, p, xn[k], yn[k]));
            expect_x(ds, 4, 2, npz_x);
            CU_ASSERT_PTR_NOT_NULL_FATAL(ds->labels);
            CU_ASSERT_EQUAL(ds->n_classes, 4);
            CU_ASSERT_EQUAL(ds->labels[3], 3);
            clmlp_dataset_free(ds);
        }
        /* One array cannot be both. */
        clmlp_dataset_t *ds = NULL;
        CU_ASSERT_EQUAL(clmlp_dataset_read_npz(&ds, p, "x", "x"), CLMLP_E_INVALID);
        CU_ASSERT(error_has("the features and the labels are both 'x'"));
    }
    npy_free(&files[0]);
    npy_free(&files[1]);
}

/* Keras's layout: x_train/y_train by default, x_test with its partner
 * y_test by name; no partner, no labels; a name missing lists the arrays. */
static void test_npz_names(void)
{
    const char *names[5] = {"x_train.npy", "y_train.npy", "x_test.npy", "y_test.npy", "images"};
    npy_buf files[5] = {npz_x_file(0), npz_y_file(0), npz_x_file(10), npz_y_file(3),
                        npz_x_file(20)};
    const char *p = write_npz("keras.npz", 5, names, files, ZIP_CM_DEFLATE);
    clmlp_dataset_t *ds = NULL;
    TEST_OK(clmlp_dataset_read_npz(&ds, p, NULL, NULL));
    expect_x(ds, 4, 2, npz_x);
    CU_ASSERT_EQUAL(ds->labels[0], 0);
    clmlp_dataset_free(ds);
    TEST_OK(clmlp_dataset_read_npz(&ds, p, "x_test", NULL));
    CU_ASSERT_EQUAL(ds->x[0], 10.0f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ds->labels);
    CU_ASSERT_EQUAL(ds->labels[0], 3);
    clmlp_dataset_free(ds);
    /* A member without ".npy", by its whole name; it has no partner. */
    TEST_OK(clmlp_dataset_read_npz(&ds, p, "images", NULL));
    CU_ASSERT_EQUAL(ds->x[0], 20.0f);
    CU_ASSERT_PTR_NULL(ds->labels);
    CU_ASSERT_PTR_NULL(ds->targets);
    clmlp_dataset_free(ds);
    TEST_OK(clmlp_dataset_read_npz(&ds, p, "images", "y_test"));
    CU_ASSERT_EQUAL(ds->labels[0], 3);
    clmlp_dataset_free(ds);

    ds = NULL;
    CU_ASSERT_EQUAL(clmlp_dataset_read_npz(&ds, p, "x_val", NULL), CLMLP_E_NOT_FOUND);
    CU_ASSERT(error_has("keras.npz: no array 'x_val' (for the features); the archive holds "
                        "'x_train', 'y_train', 'x_test', 'y_test', 'images'"));
    CU_ASSERT_EQUAL(clmlp_dataset_read_npz(&ds, p, NULL, "labels"), CLMLP_E_NOT_FOUND);
    CU_ASSERT(error_has("no array 'labels' (for the labels)"));
    CU_ASSERT_PTR_NULL(ds);
    for (int i = 0; i < 5; i++) npy_free(&files[i]);

    /* No default name at all. */
    const char *other[1] = {"a.npy"};
    npy_buf one = npz_x_file(0);
    p = write_npz("other.npz", 1, other, &one, ZIP_CM_STORE);
    CU_ASSERT_EQUAL(clmlp_dataset_read_npz(&ds, p, NULL, NULL), CLMLP_E_NOT_FOUND);
    CU_ASSERT(error_has("other.npz: no array 'x', 'x_train', 'X' or 'X_train' for the features; "
                        "the archive holds 'a': name the array to read"));
    TEST_OK(clmlp_dataset_read_npz(&ds, p, "a", NULL));
    clmlp_dataset_free(ds);
    npy_free(&one);
}

/* Archives that are not, members that lie, and a bad member's message
 * naming the archive and the member. */
static void test_npz_errors(void)
{
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_EQUAL(clmlp_dataset_read_npz(&ds, test_temp_path("none.npz"), NULL, NULL),
                    CLMLP_E_IO);
    CU_ASSERT(error_has("none.npz: cannot open: "));
    const char *txt = test_write_temp_text("text.npz", "this is not a zip archive at all\n");
    CU_ASSERT_EQUAL(clmlp_dataset_read_npz(&ds, txt, NULL, NULL), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("text.npz: not a readable .npz (zip) archive: Not a zip archive"));
    npy_buf x = npz_x_file(0);
    const char *npy = test_write_temp("x-as.npz", x.bytes, x.len);
    CU_ASSERT_EQUAL(clmlp_dataset_read_npz(&ds, npy, NULL, NULL), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("(it is a single .npy array)"));

    /* A member whose .npy is bad, and one whose rows differ from x's. */
    const char *names[2] = {"x.npy", "y.npy"};
    npy_buf files[2] = {npz_x_file(0), npy_make(1, npy_dict("|u1", 0, "(3,)"), "\1\2\3", 3)};
    const char *p = write_npz("rows.npz", 2, names, files, ZIP_CM_DEFLATE);
    CU_ASSERT_EQUAL(clmlp_dataset_read_npz(&ds, p, NULL, NULL), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("rows.npz: x.npy has 4 rows (shape (4, 2)) but "));
    CU_ASSERT(error_has("rows.npz: y.npy has 3 (shape (3,))"));
    npy_free(&files[1]);
    files[1] = npy_make(1, npy_dict("|O", 0, "(4,)"), "\1\2\3\4", 4);
    p = write_npz("object.npz", 2, names, files, ZIP_CM_STORE);
    CU_ASSERT_EQUAL(clmlp_dataset_read_npz(&ds, p, NULL, NULL), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("object.npz: y.npy: the array holds Python objects"));
    /* A member shorter than its shape. */
    npy_free(&files[1]);
    files[1] = npy_make(1, npy_dict("|u1", 0, "(4,)"), "\1\2", 2);
    p = write_npz("short.npz", 2, names, files, ZIP_CM_DEFLATE);
    CU_ASSERT_EQUAL(clmlp_dataset_read_npz(&ds, p, NULL, NULL), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("short.npz: y.npy: truncated: the shape (4,) of uint8 needs 4 data bytes"));
    npy_free(&files[1]);

    /* A stored member's byte changed after the archive was written: only
     * the CRC can tell (the value is still a finite float). */
    files[1] = npz_y_file(0);
    p = write_npz("crc.npz", 2, names, files, ZIP_CM_STORE);
    FILE *f = fopen(p, "r+b");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    unsigned char buf[1024];
    size_t len = fread(buf, 1, sizeof buf, f);
    unsigned char *at = NULL; /* x.npy comes first */
    for (size_t i = 0; i + 6 <= len && !at; i++)
        if (memcmp(buf + i, "\x93NUMPY", 6) == 0) at = buf + i;
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    CU_ASSERT_FATAL(at + files[0].len <= buf + len);
    at[files[0].len - 32 + 4] ^= 0x01; /* the low byte of x[1], 0.5 */
    fseek(f, 0, SEEK_SET);
    CU_ASSERT_EQUAL(fwrite(buf, 1, len, f), len);
    fclose(f);
    CU_ASSERT_EQUAL(clmlp_dataset_read_npz(&ds, p, NULL, NULL), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("crc.npz: x.npy: CRC error"));
    CU_ASSERT_PTR_NULL(ds);

    /* Compression other than stored and deflated (bzip2, where libzip has
     * it) is refused before reading. */
    if (zip_compression_method_supported(ZIP_CM_BZIP2, 1)) {
        p = write_npz("bzip2.npz", 2, names, files, ZIP_CM_BZIP2);
        CU_ASSERT_EQUAL(clmlp_dataset_read_npz(&ds, p, NULL, NULL), CLMLP_E_FORMAT);
        CU_ASSERT(error_has("bzip2.npz: x.npy: compression method 12"));
    }
    npy_free(&x);
    npy_free(&files[0]);
    npy_free(&files[1]);
    CU_ASSERT_EQUAL(clmlp_dataset_read_npz(&ds, NULL, NULL, NULL), CLMLP_E_INVALID);
}

/* ---- files NumPy wrote ---------------------------------------------------------- */

/* tests/data/npy/make.py's arrays: (arange(12).reshape(4, 3) - 4) / 2 as
 * float32 C order, float64 Fortran order, big-endian float64 in format
 * 2.0, int16 (twice the values) in format 3.0; labels int64 and bool; an
 * .npz from savez_compressed (Keras's names, uint8 images) and one from
 * savez (stored, float targets). */
static void test_numpy_files(void)
{
    float x[12], x2[12];
    for (int i = 0; i < 12; i++) {
        x[i] = ((float)i - 4.0f) / 2.0f;
        x2[i] = 2.0f * x[i];
    }
    static const char *const same[] = {"tests/data/npy/x-f4.npy", "tests/data/npy/x-f8-fortran.npy",
                                       "tests/data/npy/x-be-f8-v2.npy"};
    char y_path[4096];
    snprintf(y_path, sizeof y_path, "%s", test_source_path("tests/data/npy/y-i8.npy"));
    for (size_t i = 0; i < 3; i++) {
        clmlp_dataset_t *ds = NULL;
        TEST_OK(clmlp_dataset_read_npy(&ds, test_source_path(same[i]), y_path));
        expect_x(ds, 4, 3, x);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ds->labels);
        CU_ASSERT_EQUAL(ds->n_classes, 3);
        CU_ASSERT(ds->labels[0] == 0 && ds->labels[1] == 2 && ds->labels[2] == 1 &&
                  ds->labels[3] == 2);
        clmlp_dataset_free(ds);
    }
    clmlp_dataset_t *ds = NULL;
    snprintf(y_path, sizeof y_path, "%s", test_source_path("tests/data/npy/y-bool.npy"));
    TEST_OK(clmlp_dataset_read_npy(&ds, test_source_path("tests/data/npy/x-i2-v3.npy"), y_path));
    expect_x(ds, 4, 3, x2);
    CU_ASSERT_EQUAL(ds->n_classes, 2);
    CU_ASSERT(ds->labels[0] == 1 && ds->labels[1] == 0 && ds->labels[3] == 1);
    clmlp_dataset_free(ds);

    /* uint8 images stay 0..255: 4 of 2 x 3, pixel k of image 0 is 10 k. */
    float img[24];
    for (int i = 0; i < 24; i++) img[i] = (float)(10 * i);
    const char *npz = test_source_path("tests/data/npy/mnist-like.npz");
    TEST_OK(clmlp_dataset_read_npz(&ds, npz, NULL, NULL));
    expect_x(ds, 4, 6, img);
    CU_ASSERT_EQUAL(ds->n_classes, 4);
    CU_ASSERT(ds->labels[0] == 3 && ds->labels[1] == 0 && ds->labels[3] == 3);
    clmlp_dataset_free(ds);
    TEST_OK(clmlp_dataset_read_npz(&ds, npz, "x_test", NULL));
    for (int i = 0; i < 12; i++) img[i] += 5.0f;
    expect_x(ds, 2, 6, img);
    CU_ASSERT(ds->labels[0] == 1 && ds->labels[1] == 2);
    clmlp_dataset_free(ds);

    TEST_OK(
        clmlp_dataset_read_npz(&ds, test_source_path("tests/data/npy/xy-stored.npz"), NULL, NULL));
    expect_x(ds, 4, 3, x);
    static const float t[4] = {0.5f, -1.25f, 2.0f, 3.75f};
    CU_ASSERT_PTR_NULL(ds->labels);
    CU_ASSERT_EQUAL_FATAL(ds->n_targets, 1);
    TEST_ASSERT_CLOSE(ds->targets, t, 4, 0.0);
    clmlp_dataset_free(ds);
}

int main(void)
{
    if (!test_temp_dir("npy")) return 1;
    static const test_case cases[] = {
        {"integer dtypes, both byte orders", test_integer_dtypes},
        {"float16/32/64 and bool", test_float_and_bool_dtypes},
        {"C and Fortran order, 1-D to 4-D", test_orders_and_shapes},
        {"versions 1.0, 2.0, 3.0 and the dict's spellings", test_versions_and_dict_spellings},
        {"labels and targets", test_labels_and_targets},
        {"integers that cannot be classes are values; rows that differ", test_label_errors},
        {"lies in the preamble", test_preamble_lies},
        {"lies in the header", test_header_lies},
        {"dtypes refused", test_dtype_lies},
        {"lies in the shape and length", test_shape_and_length_lies},
        {"NaN, Inf, range, bools", test_value_lies},
        {"files that cannot be read", test_io_errors},
        {"a pipe: unknown length, memory refused", test_pipe},
        {".npz stored and deflated", test_npz},
        {".npz names", test_npz_names},
        {".npz errors", test_npz_errors},
        {"files NumPy wrote", test_numpy_files},
        {NULL, NULL}};
    if (test_add_suite("NumPy reader", cases) < 0) return 1;
    int rc = test_run_all();
    test_remove_temp_dir();
    return rc;
}
