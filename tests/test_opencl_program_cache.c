/* The OpenCL program cache against damaged files: the payload of a cache
 * entry is checksummed (CRC-32), so a corrupt byte anywhere in it -- which
 * once crashed PoCL inside clBuildProgram -- never reaches the driver: the
 * program is built from source, computes what it should, and the entry is
 * written again (the next open loads it).  A damaged checksum line and a
 * file of the older format without one are rebuilt the same way. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "clmlp_opencl.h"
#include "support/testing.h"

/* The backend's settings: the cache in the test's own folder. */
static clmlp_opencl_opts g_cl;

/* Opens the OpenCL backend verbosely, returning what it said about the
 * cache in log. */
static clmlp_backend_t *open_logged(char *log, size_t cap)
{
    clmlp_backend_opts o = {.kind = CLMLP_BACKEND_OPENCL, .verbose = 1, .opencl = &g_cl};
    clmlp_backend_t *be = NULL;
    test_capture_stderr_begin("open.log");
    int rc = clmlp_backend_init(&be, &o);
    test_capture_stderr_end("open.log", log, cap);
    if (rc < 0) fprintf(stderr, "opening OpenCL failed: %s\n", clmlp_last_error());
    CU_ASSERT_EQUAL_FATAL(rc, CLMLP_OK);
    return be;
}

/* Runs one of our own kernels (bias + sigmoid) and checks its values
 * against the host: float32 sigmoid is within a few ulps, and 1e-6 is
 * about 8 ulps near the values' magnitude (<= 1). */
static void check_kernels(clmlp_backend_t *be)
{
    float z[6] = {-2, -0.5f, 0, 0.25f, 1, 3}, bias[3] = {0.5f, -1, 2}, y[6];
    clmlp_buf *bz = NULL, *bb = NULL, *by = NULL;
    TEST_OK(clmlp_be_buf_alloc(be, CLMLP_BUF_F32, 6, &bz));
    TEST_OK(clmlp_be_buf_alloc(be, CLMLP_BUF_F32, 3, &bb));
    TEST_OK(clmlp_be_buf_alloc(be, CLMLP_BUF_F32, 6, &by));
    TEST_OK(clmlp_be_upload(be, bz, 0, z, 6));
    TEST_OK(clmlp_be_upload(be, bb, 0, bias, 3));
    TEST_OK(clmlp_be_bias_act_forward(be, CLMLP_ACT_SIGMOID, 2, 3, bz, 0, bb, 0, by, 0));
    TEST_OK(clmlp_be_download(be, by, 0, y, 6));
    float want[6];
    for (int i = 0; i < 6; i++) want[i] = (float)(1.0 / (1.0 + exp(-(z[i] + bias[i % 3]))));
    TEST_ASSERT_CLOSE(y, want, 6, 1e-6);
    clmlp_be_buf_free(be, bz);
    clmlp_be_buf_free(be, bb);
    clmlp_be_buf_free(be, by);
}

/* The whole file at path in a new buffer (*len bytes). */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(b, 1, len, f), len);
    CU_ASSERT_EQUAL(fclose(f), 0);
}

/* Opens with the damaged entry in place: built from source (not loaded),
 * right, and the entry written again, which the next open loads. */
static void expect_rebuilt(const char *bin, const char *what)
{
    char log[8192];
    clmlp_backend_t *be = open_logged(log, sizeof log);
    if (strstr(log, "kernels loaded from") || !strstr(log, "kernel binary cached in"))
        fprintf(stderr, "\n%s: the open said:\n%s\n", what, log);
    CU_ASSERT_PTR_NULL(strstr(log, "kernels loaded from"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "kernel binary cached in"));
    check_kernels(be);
    clmlp_backend_free(be);
    be = open_logged(log, sizeof log);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "kernels loaded from"));
    check_kernels(be);
    clmlp_backend_free(be);
    (void)bin;
}

static void test_corrupt_entries(void)
{
    char xdg[1024], dir[1200], bin[4096], log[8192];
    snprintf(xdg, sizeof xdg, "%s/xdg", test_temp_dir("progcache"));
    snprintf(dir, sizeof dir, "%s/clmlp/programs", xdg);
    g_cl.cache_home = xdg;

    clmlp_backend_t *be = open_logged(log, sizeof log);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "kernel binary cached in"));
    clmlp_backend_free(be);
    CU_ASSERT_FATAL(test_find_bin(dir, bin, sizeof bin));
    size_t len = 0;
    unsigned char *good = slurp(bin, &len);
    /* The payload starts after the four header lines (magic, key, size,
     * crc32). */
    size_t start = 0;
    for (int nl = 0; nl < 4 && start < len; start++)
        if (good[start] == '\n') nl++;
    CU_ASSERT_FATAL(start + 16 < len);
    CU_ASSERT_FATAL(memcmp(good, "CLMLP-PROGRAM 2\n", 16) == 0);
    size_t payload = len - start;

    /* One flipped byte at the start, the end and spread through the
     * payload (ELF headers, code, string tables: where PoCL looks first). */
    size_t at[] = {0, 1, 17, 64, payload / 7, payload / 3, payload / 2, payload - 1};
    unsigned char *bad = malloc(len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        memcpy(bad, good, len);
        bad[start + at[i]] ^= 0x5a;
        spit(bin, bad, len);
        char what[64];
        snprintf(what, sizeof what, "payload byte %zu of %zu", at[i], payload);
        expect_rebuilt(bin, what);
    }
    /* Sixteen bytes inverted in the middle. */
    memcpy(bad, good, len);
    for (size_t k = 0; k < 16; k++) bad[start + payload / 2 + k] ^= 0xff;
    spit(bin, bad, len);
    expect_rebuilt(bin, "16 inverted bytes");

    /* A wrong checksum on an intact payload. */
    memcpy(bad, good, len);
    char *crc = strstr((char *)bad, "crc32 ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(crc);
    crc[6] = crc[6] == '0' ? '1' : '0';
    spit(bin, bad, len);
    expect_rebuilt(bin, "the checksum");

    /* The older format, without a checksum. */
    char *old = malloc(len + 64);
    CU_ASSERT_PTR_NOT_NULL_FATAL(old);
    char *crc_line = strstr((char *)good, "crc32 ");
    size_t head = (size_t)(crc_line - (char *)good);
    memcpy(old, good, head);
    memcpy(old, "CLMLP-PROGRAM 1\n", 16);
    memcpy(old + head, good + start, payload);
    spit(bin, (unsigned char *)old, head + payload);
    expect_rebuilt(bin, "a version 1 file");
    free(old);

    free(bad);
    free(good);
    remove(bin);
}

int main(void)
{
    if (!test_temp_dir("progcache")) return 1;
    static const test_case cases[] = {{"corrupt cache entries are rebuilt", test_corrupt_entries},
                                      {NULL, NULL}};
    if (test_add_suite("opencl program cache", cases) < 0) return 1;
    int rc = test_run_all();
    test_remove_temp_dir();
    return rc;
}
