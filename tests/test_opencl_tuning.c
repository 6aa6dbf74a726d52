/* The OpenCL backend's start-up and speed machinery, checked for being
 * right (never for being fast: no test here asserts a time):
 *  - CLBlast tuning files: reading and writing, every kind of malformed file
 *    (named by line), a file applied at open whose overrides still compute
 *    what the reference backend computes (direct and tiled GEMM), and a bad
 *    file ignored with a warning;
 *  - `clmlp tune` end to end on a small model with a tiny budget;
 *  - the compiled-program cache: written, loaded, and a damaged file
 *    replaced;
 *  - CLMLP_PROFILE=1: the per-op table, from the tool and in process past
 *    the pending list's capacity. */
#include <fcntl.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/backend.h"
#include "backend/opencl/cl_tune.h"
#include "clmlp_opencl.h"
#include "support/testing.h"
#include "util/rng.h"

/* The OpenCL settings the tests open with: set field by field, never
 * through the environment (which the library does not read). */
static clmlp_opencl_opts g_cl;

/* Opens the OpenCL backend with g_cl (verbose: it says what caches and
 * tuning did). */
static clmlp_backend_t *open_opencl(int verbose)
{
    clmlp_backend_opts o = {.kind = CLMLP_BACKEND_OPENCL, .verbose = verbose, .opencl = &g_cl};
    clmlp_backend_t *be = NULL;
    int rc = clmlp_backend_init(&be, &o);
    if (rc < 0) fprintf(stderr, "opening OpenCL failed: %s\n", clmlp_last_error());
    CU_ASSERT_EQUAL_FATAL(rc, CLMLP_OK);
    return be;
}

/* ---- tuning files ---------------------------------------------------------- */

/* Points the tuning folder at the test's temp folder (with tuning enabled)
 * and opens the backend; path receives its tuning file's name there.  The
 * tool runs see the same folder through $CLMLP_TUNING_DIR. */
static clmlp_backend_t *open_with_temp_tuning(char *path, size_t cap)
{
    g_cl.tuning_dir = test_temp_dir("tune");
    g_cl.no_tuning = 0;
    setenv("CLMLP_TUNING_DIR", test_temp_dir("tune"), 1);
    unsetenv("CLMLP_NO_TUNING");
    clmlp_backend_t *cl = open_opencl(0);
    TEST_OK(clmlp_tune_path(cl, 1, path, cap));
    return cl;
}

/* A direct set small enough for any device: 8x8 work-items on 16x16 tiles. */
static void small_direct(clmlp_tuning *t)
{
    static const struct {
        const char *name;
        size_t value;
    } p[] = {{"WGD", 16}, {"MDIMCD", 8}, {"NDIMCD", 8}, {"MDIMAD", 8}, {"NDIMBD", 8},
             {"VWMD", 2}, {"VWND", 1},   {"KWID", 2},   {"PADA", 1},   {"PADB", 0}};
    const int k = CLMLP_TUNE_XGEMM_DIRECT;
    t->has[k] = 1;
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        t->v[k][clmlp_tune_param_index(k, p[i].name)] = p[i].value;
}

/* A tiled set small enough for any device: 8x8 work-items on 32x32 tiles. */
static void small_xgemm(clmlp_tuning *t)
{
    static const struct {
        const char *name;
        size_t value;
    } p[] = {{"GEMMK", 0}, {"KREG", 1},  {"KWG", 16},  {"KWI", 2},  {"MDIMA", 8}, {"MDIMC", 8},
             {"MWG", 32},  {"NDIMB", 8}, {"NDIMC", 8}, {"NWG", 32}, {"SA", 1},    {"SB", 0},
             {"STRM", 0},  {"STRN", 0},  {"VWM", 2},   {"VWN", 4}};
    const int k = CLMLP_TUNE_XGEMM;
    t->has[k] = 1;
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        t->v[k][clmlp_tune_param_index(k, p[i].name)] = p[i].value;
}

/* The two small sets and a threshold of 64 (m*n*k below 64^3 runs direct). */
static void small_tuning(clmlp_tuning *t)
{
    memset(t, 0, sizeof *t);
    small_direct(t);
    small_xgemm(t);
    t->has[CLMLP_TUNE_GEMM_ROUTINE] = 1;
    t->v[CLMLP_TUNE_GEMM_ROUTINE][0] = 64;
}

/* Writing a tuning and reading it back gives the same sets; comments and
 * blank lines are skipped. */
static void test_file_round_trip(void)
{
    clmlp_tuning t, back;
    small_tuning(&t);
    char why[160];
    CU_ASSERT(clmlp_tune_valid(CLMLP_TUNE_XGEMM_DIRECT, t.v[0], NULL, why, sizeof why));
    CU_ASSERT(clmlp_tune_valid(CLMLP_TUNE_XGEMM, t.v[1], NULL, why, sizeof why));
    const char *path = test_temp_path("round.txt");
    TEST_OK(clmlp_tune_write(path, &t, "a comment\nand a second line"));
    TEST_OK(clmlp_tune_read(path, &back));
    CU_ASSERT_EQUAL(memcmp(&t, &back, sizeof t), 0);

    const char *text = "# only the threshold\n\n   \nGemmRoutine XGEMM_MIN_INDIRECT_SIZE=0\n";
    TEST_OK(clmlp_tune_read(test_write_temp_text("only.txt", text), &back));
    CU_ASSERT_EQUAL(back.has[CLMLP_TUNE_GEMM_ROUTINE], 1);
    CU_ASSERT_EQUAL(back.has[CLMLP_TUNE_XGEMM_DIRECT], 0);
    CU_ASSERT_EQUAL(back.v[CLMLP_TUNE_GEMM_ROUTINE][0], 0);

    CU_ASSERT_EQUAL(clmlp_tune_read(test_temp_path("absent.txt"), &back), CLMLP_E_NOT_FOUND);
}

/* Every kind of malformed file is refused with its line and the problem. */
static void test_file_malformed(void)
{
    static const char direct_ok[] =
        "XgemmDirect KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=1 "
        "VWND=1 WGD=16\n";
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"", "no kernel parameters"},
        {"# nothing\n", "no kernel parameters"},
        {"Xgemmm KWID=2\n", ":1: unknown kernel 'Xgemmm'"},
        {"# c\nGemmRoutine XGEMM_MIN_INDIRECT_SIZE\n", ":2: 'XGEMM_MIN_INDIRECT_SIZE' is not"},
        {"GemmRoutine XGEMM_MIN_INDIRECT_SIZE=12x\n", "must be a whole number"},
        {"GemmRoutine XGEMM_MIN_INDIRECT_SIZE=-1\n", "must be a whole number"},
        {"GemmRoutine XGEMM_MIN_INDIRECT_SIZE=99999999999\n", "must be a whole number"},
        {"GemmRoutine XGEMM_MIN_INDIRECT_SIZE=1 XGEMM_MIN_INDIRECT_SIZE=2\n", "given twice"},
        {"GemmRoutine FOO=1\n", "GemmRoutine has no parameter FOO"},
        {"GemmRoutine\n", "GemmRoutine lacks XGEMM_MIN_INDIRECT_SIZE"},
        {"GemmRoutine XGEMM_MIN_INDIRECT_SIZE=1\nGemmRoutine XGEMM_MIN_INDIRECT_SIZE=1\n",
         ":2: GemmRoutine is listed twice"},
        {"XgemmDirect KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=1 "
         "VWND=1\n",
         "XgemmDirect lacks WGD"},
        /* WGD 24 is not a multiple of MDIMCD*VWMD = 16. */
        {"XgemmDirect KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=2 "
         "VWND=1 WGD=24\n",
         "invalid XgemmDirect parameters: WGD must be a multiple of MDIMCD*VWMD"},
        {"XgemmDirect KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=2 PADB=1 VWMD=1 "
         "VWND=1 WGD=16\n",
         "PADA and PADB must be 0 or 1"},
        {"XgemmDirect KWID=2 MDIMAD=8 MDIMCD=8 NDIMBD=8 NDIMCD=8 PADA=1 PADB=1 VWMD=3 "
         "VWND=1 WGD=24\n",
         "VWMD and VWND must be"},
        {"Xgemm GEMMK=1 KREG=1 KWG=16 KWI=2 MDIMA=8 MDIMC=8 MWG=32 NDIMB=8 NDIMC=8 NWG=32 "
         "SA=0 SB=0 STRM=0 STRN=0 VWM=1 VWN=1\n",
         "only GEMMK=0"},
        /* KWG 16 is not a multiple of MDIMC*NDIMC/MDIMA = 32. */
        {"Xgemm GEMMK=0 KREG=1 KWG=16 KWI=2 MDIMA=8 MDIMC=16 MWG=32 NDIMB=8 NDIMC=16 "
         "NWG=32 SA=0 SB=0 STRM=0 STRN=0 VWM=1 VWN=1\n",
         "KWG must be a multiple of MDIMC*NDIMC/MDIMA"},
    };
    clmlp_tuning t;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = test_write_temp_text("bad.txt", cases[i].text);
        int rc = clmlp_tune_read(path, &t);
        if (rc != CLMLP_E_FORMAT) fprintf(stderr, "case %zu: rc %d\n", i, rc);
        CU_ASSERT_EQUAL(rc, CLMLP_E_FORMAT);
        CU_ASSERT(test_output_has(clmlp_last_error(), cases[i].needle));
        CU_ASSERT(test_output_has(clmlp_last_error(), "bad.txt"));
        CU_ASSERT_EQUAL(t.has[0] + t.has[1] + t.has[2], 0);
    }
    /* A valid line followed by a broken one: the whole file is refused. */
    char text[512];
    snprintf(text, sizeof text, "%sGemmRoutine\n", direct_ok);
    CU_ASSERT_EQUAL(clmlp_tune_read(test_write_temp_text("bad.txt", text), &t), CLMLP_E_FORMAT);
    CU_ASSERT(test_output_has(clmlp_last_error(), ":2:"));
}

/* ---- a tuning applied at open computes the right GEMMs ----------------------- */

/* Runs C = alpha op(A) op(B) + beta C for one shape on the OpenCL backend
 * and the reference, from the same inputs, and compares. */
static void clmlp_check_gemm(clmlp_backend_t *cl, clmlp_backend_t *ref, int ta, int tb, size_t m,
                             size_t n, size_t k, uint64_t seed)
{
    size_t na = m * k, nb = k * n, nc = m * n;
    float *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b), *c = malloc(nc * sizeof *c),
          *got = malloc(nc * sizeof *got), *want = malloc(nc * sizeof *want);
    CU_ASSERT_FATAL(a && b && c && got && want);
    test_fill_uniform(a, na, -1.0f, 1.0f, seed);
    test_fill_uniform(b, nb, -1.0f, 1.0f, seed + 1);
    test_fill_uniform(c, nc, -1.0f, 1.0f, seed + 2);
    clmlp_backend_t *bes[2] = {cl, ref};
    float *outs[2] = {got, want};
    for (int side = 0; side < 2; side++) {
        clmlp_buf *ba = NULL, *bb = NULL, *bc = NULL;
        TEST_OK(clmlp_be_buf_alloc(bes[side], CLMLP_BUF_F32, na, &ba));
        TEST_OK(clmlp_be_buf_alloc(bes[side], CLMLP_BUF_F32, nb, &bb));
        TEST_OK(clmlp_be_buf_alloc(bes[side], CLMLP_BUF_F32, nc, &bc));
        TEST_OK(clmlp_be_upload(bes[side], ba, 0, a, na));
        TEST_OK(clmlp_be_upload(bes[side], bb, 0, b, nb));
        TEST_OK(clmlp_be_upload(bes[side], bc, 0, c, nc));
        TEST_OK(clmlp_be_gemm(bes[side], ta, tb, m, n, k, 0.75f, ba, 0, ta ? m : k, bb, 0,
                              tb ? k : n, 0.5f, bc, 0, n));
        TEST_OK(clmlp_be_download(bes[side], bc, 0, outs[side], nc));
        clmlp_be_buf_free(bes[side], ba);
        clmlp_be_buf_free(bes[side], bb);
        clmlp_be_buf_free(bes[side], bc);
    }
    /* The bound test_opencl_ops uses for CLBlast's defaults: a float32 dot
     * product of length k over inputs in [-1, 1] (plus the beta term) errs
     * by about k * eps; 4 * (k + 2) * eps leaves room for the tuned kernel's
     * blocked summation order and FMA.  A wrong tiling is off by O(1). */
    TEST_ASSERT_CLOSE(got, want, nc, 4.0 * (double)(k + 2) * FLT_EPSILON);
    free(a);
    free(b);
    free(c);
    free(got);
    free(want);
}

/* The shapes checked: below and above 64^3 (direct and tiled with the
 * small tuning), every transpose case, sizes that are no multiple of the
 * tiles. */
static void check_shapes(clmlp_backend_t *cl, clmlp_backend_t *ref)
{
    clmlp_check_gemm(cl, ref, 0, 0, 33, 17, 65, 1);    /* 36465: direct */
    clmlp_check_gemm(cl, ref, 0, 1, 7, 5, 3, 2);       /* direct */
    clmlp_check_gemm(cl, ref, 1, 0, 200, 150, 130, 3); /* 3.9e6: tiled */
    clmlp_check_gemm(cl, ref, 0, 1, 100, 70, 90, 4);   /* 630000: tiled */
    clmlp_check_gemm(cl, ref, 0, 0, 97, 131, 67, 5);   /* 851329: tiled */
}

/* `clmlp bench` (a short W1) says which tuning file it runs with: `path`,
 * or none when path is NULL. */
static void bench_says_tuning(const char *path)
{
    char out[16384];
    int rc = test_run_tool_checked("bench --backend opencl --workload W1 --epochs 1 --rows 200",
                                   out, sizeof out);
    if (rc != 0) fprintf(stderr, "%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
    if (!path) {
        CU_ASSERT(test_output_has(out, "tuning: none, CLBlast's defaults"));
        return;
    }
    char want[4200];
    snprintf(want, sizeof want, "tuning: CLBlast GEMM parameters from %s\n", path);
    CU_ASSERT(test_output_has(out, want));
}

/* A valid tuning file in $CLMLP_TUNING_DIR is applied when the backend
 * opens, and the overridden kernels still compute what the reference does;
 * $CLMLP_NO_TUNING=1 skips the file. */
static void test_tuning_applied(void)
{
    char path[4096];
    clmlp_backend_t *cl = open_with_temp_tuning(path, sizeof path);
    CU_ASSERT(test_output_has(path, test_temp_dir("tune")));
    CU_ASSERT_EQUAL(clmlp_tune_loaded(cl), 0);
    bench_says_tuning(NULL);
    clmlp_tune_limits lim;
    TEST_OK(clmlp_tune_limits_of(cl, &lim));
    clmlp_backend_free(cl);

    clmlp_tuning t;
    small_tuning(&t);
    char why[160];
    for (int k = 0; k < 2; k++) {
        int valid = clmlp_tune_valid(k, t.v[k], &lim, why, sizeof why);
        if (!valid) fprintf(stderr, "the small set does not fit this device: %s\n", why);
        CU_ASSERT_FATAL(valid);
    }
    TEST_OK(clmlp_tune_write(path, &t, "written by test_opencl_tuning"));

    clmlp_backend_t *ref = test_open_backend(CLMLP_BACKEND_REF);
    test_capture_stderr_begin("open.log");
    cl = open_opencl(1);
    char log[4096];
    test_capture_stderr_end("open.log", log, sizeof log);
    CU_ASSERT(test_output_has(log, "CLBlast tuning loaded from"));
    CU_ASSERT_EQUAL(clmlp_tune_loaded(cl), 1);
    {
        char pub[4096];
        int loaded = 0;
        TEST_OK(clmlp_opencl_tuning_file(cl, pub, sizeof pub, &loaded));
        CU_ASSERT_STRING_EQUAL(pub, path);
        CU_ASSERT_EQUAL(loaded, 1);
    }
    check_shapes(cl, ref);
    clmlp_backend_free(cl);
    bench_says_tuning(path);

    g_cl.no_tuning = 1;
    cl = open_opencl(0);
    CU_ASSERT_EQUAL(clmlp_tune_loaded(cl), 0);
    int loaded = 1;
    char again[4096];
    TEST_OK(clmlp_opencl_tuning_file(cl, again, sizeof again, &loaded));
    CU_ASSERT_STRING_EQUAL(again, path);
    CU_ASSERT_EQUAL(loaded, 0);
    clmlp_backend_free(cl);
    g_cl.no_tuning = 0;
    clmlp_backend_free(ref);
    remove(path);
}

/* A malformed tuning file, or one the device cannot run, is ignored with a
 * warning naming the file and the problem; the backend still opens and
 * computes right. */
static void test_tuning_bad_file_ignored(void)
{
    char path[4096];
    clmlp_backend_free(open_with_temp_tuning(path, sizeof path));
    clmlp_backend_t *ref = test_open_backend(CLMLP_BACKEND_REF);

    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"XgemmDirect WGD=16\n", "XgemmDirect lacks KWID"},
        {"garbage\n", "unknown kernel 'garbage'"},
        /* Valid for CLBlast but 128x128 work-items: more than devices have. */
        {"XgemmDirect KWID=2 MDIMAD=128 MDIMCD=128 NDIMBD=128 NDIMCD=128 PADA=1 PADB=1 "
         "VWMD=1 VWND=1 WGD=128\n",
         "exceed the device's"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f = fopen(path, "w");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fputs(cases[i].text, f);
        fclose(f);
        test_capture_stderr_begin("bad.log");
        clmlp_backend_t *cl = open_opencl(0);
        char log[4096];
        test_capture_stderr_end("bad.log", log, sizeof log);
        CU_ASSERT(test_output_has(log, "warning: ignoring the CLBlast tuning file"));
        CU_ASSERT(test_output_has(log, path));
        CU_ASSERT(test_output_has(log, cases[i].needle));
        CU_ASSERT_EQUAL(clmlp_tune_loaded(cl), 0);
        clmlp_check_gemm(cl, ref, 0, 0, 33, 17, 65, 11);
        clmlp_backend_free(cl);
    }
    clmlp_backend_free(ref);
    remove(path);
}

/* ---- clmlp tune ----------------------------------------------------------- */

/* `clmlp tune` on a small model with a one-second budget runs, prints the
 * before/after table and leaves either a readable tuning file or none (when
 * CLBlast's defaults won); its option errors are usage errors. */
static void test_tune_command(void)
{
    char out[16384];
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tune-cmd", test_temp_dir("tune"));
    mkdir(dir, 0700);
    setenv("CLMLP_TUNING_DIR", dir, 1);
    int rc = test_run_tool_checked("tune --layers 20,16:relu,4:softmax --batch-size 8 "
                                   "--budget 1 --steps 2",
                                   out, sizeof out);
    if (rc != 0) fprintf(stderr, "%s\n", out);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT(test_output_has(out, "GEMMs of one step"));
    /* Layer 2's input gradient (dX = dZ W^T: 8 x 16 from 8 x 4 and 16 x 4),
     * as recorded from a step. */
    CU_ASSERT(test_output_has(out, "NT 8x16x4"));
    CU_ASSERT(test_output_has(out, "training step (all ops)"));
    const char *written = strstr(out, "tuning written to ");
    if (written) {
        char path[4096];
        CU_ASSERT_EQUAL_FATAL(sscanf(written, "tuning written to %4095[^\n]", path), 1);
        clmlp_tuning t;
        TEST_OK(clmlp_tune_read(path, &t));
        CU_ASSERT(t.has[CLMLP_TUNE_GEMM_ROUTINE]);
        remove(path);
    } else {
        CU_ASSERT(test_output_has(out, "no set beat CLBlast's defaults"));
    }
    CU_ASSERT_EQUAL(test_run_tool_checked("tune --backend ref", out, sizeof out), 2);
    CU_ASSERT(test_output_has(out, "OpenCL"));
    CU_ASSERT_EQUAL(test_run_tool_checked("tune --fraction 0", out, sizeof out), 2);
    CU_ASSERT_EQUAL(test_run_tool_checked("tune --budget -1", out, sizeof out), 2);
    CU_ASSERT_EQUAL(test_run_tool_checked("tune --help", out, sizeof out), 0);
    CU_ASSERT(test_output_has(out, "--budget SECONDS"));
    rmdir(dir);
}

/* ---- the program cache ---------------------------------------------------- */

/* The first open writes the program binary; the next loads it; a damaged
 * file is ignored and written again; no_program_cache skips it.  The
 * cache folder is the test's own, given as cache_home. */
static void test_program_cache(void)
{
    char xdg[1024], dir[1200], bin[4096], log[4096];
    snprintf(xdg, sizeof xdg, "%s/xdg", test_temp_dir("tune"));
    snprintf(dir, sizeof dir, "%s/clmlp/programs", xdg);
    g_cl.cache_home = xdg;
    g_cl.no_program_cache = 0;
    clmlp_backend_t *ref = test_open_backend(CLMLP_BACKEND_REF);

    test_capture_stderr_begin("cache1.log");
    clmlp_backend_t *cl = open_opencl(1);
    test_capture_stderr_end("cache1.log", log, sizeof log);
    CU_ASSERT(test_output_has(log, "kernel binary cached in"));
    clmlp_backend_free(cl);
    CU_ASSERT_FATAL(test_find_bin(dir, bin, sizeof bin));
    struct stat st;
    CU_ASSERT_FATAL(stat(bin, &st) == 0);
    off_t size = st.st_size;

    test_capture_stderr_begin("cache2.log");
    cl = open_opencl(1);
    test_capture_stderr_end("cache2.log", log, sizeof log);
    CU_ASSERT(test_output_has(log, "kernels loaded from"));
    clmlp_check_gemm(cl, ref, 0, 0, 9, 8, 7, 21);
    clmlp_backend_free(cl);

    /* Cut the file short: it is rebuilt from source and rewritten. */
    CU_ASSERT_FATAL(truncate(bin, size / 2) == 0);
    test_capture_stderr_begin("cache3.log");
    cl = open_opencl(1);
    test_capture_stderr_end("cache3.log", log, sizeof log);
    CU_ASSERT(!strstr(log, "kernels loaded from"));
    CU_ASSERT(test_output_has(log, "kernel binary cached in"));
    clmlp_check_gemm(cl, ref, 0, 0, 9, 8, 7, 22);
    clmlp_backend_free(cl);
    CU_ASSERT(stat(bin, &st) == 0 && st.st_size == size);

    g_cl.no_program_cache = 1;
    test_capture_stderr_begin("cache4.log");
    cl = open_opencl(1);
    test_capture_stderr_end("cache4.log", log, sizeof log);
    CU_ASSERT(!strstr(log, "kernels loaded from"));
    CU_ASSERT(!strstr(log, "cached in"));
    clmlp_backend_free(cl);
    g_cl.no_program_cache = 0;

    remove(bin);
    rmdir(dir);
    snprintf(dir, sizeof dir, "%s/clmlp", xdg);
    rmdir(dir);
    rmdir(xdg);
    g_cl.cache_home = NULL;
    clmlp_backend_free(ref);
}

/* ---- profiling -------------------------------------------------------------- */

/* CLMLP_PROFILE=1 makes the tool print the per-op table at exit, with the
 * GEMMs by shape and the transfers; without it there is no table. */
static void test_profile_tool(void)
{
    char out[32768];
    setenv("CLMLP_PROFILE", "1", 1);
    int rc =
        test_run_tool_checked("train --dataset xor --layers 2,2:sigmoid,1:sigmoid --batch-size 4 "
                              "--epochs 3 --backend opencl",
                              out, sizeof out);
    unsetenv("CLMLP_PROFILE");
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT(test_output_has(out, "clmlp: OpenCL profile on"));
    CU_ASSERT(test_output_has(out, "calls"));
    CU_ASSERT(test_output_has(out, "total ms"));
    CU_ASSERT(test_output_has(out, "mean us"));
    CU_ASSERT(test_output_has(out, "% total"));
    CU_ASSERT(test_output_has(out, "gemm NN 4x2x2"));
    CU_ASSERT(test_output_has(out, "gemm TN 2x1x4"));
    CU_ASSERT(test_output_has(out, "upload"));
    CU_ASSERT(test_output_has(out, "download"));
    CU_ASSERT(test_output_has(out, "sgd_update"));
    CU_ASSERT(test_output_has(out, "device busy"));

    rc = test_run_tool_checked("train --dataset xor --epochs 1 --backend opencl", out, sizeof out);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_PTR_NULL(strstr(out, "OpenCL profile"));
}

/* In process: more commands than the pending list holds (so it waits for
 * its older half mid-way), then the table at close counts every one. */
static void test_profile_counts(void)
{
    g_cl.profile = 1;
    clmlp_backend_t *cl = open_opencl(0);
    g_cl.profile = 0;
    clmlp_buf *b = NULL;
    TEST_OK(clmlp_be_buf_alloc(cl, CLMLP_BUF_F32, 1000, &b)); /* one fill_f32 */
    for (int i = 0; i < 1299; i++) TEST_OK(clmlp_be_fill(cl, b, 0, 1000, (float)i));
    float x[3] = {1, 2, 3}, y[3];
    TEST_OK(clmlp_be_upload(cl, b, 0, x, 3));
    TEST_OK(clmlp_be_download(cl, b, 0, y, 3));
    CU_ASSERT_EQUAL(y[2], 3.0f);
    for (int i = 0; i < 7; i++) TEST_OK(clmlp_be_fill(cl, b, 3, 10, 0.0f));
    clmlp_be_buf_free(cl, b);
    char log[8192];
    test_capture_stderr_begin("profile.log");
    clmlp_backend_free(cl);
    test_capture_stderr_end("profile.log", log, sizeof log);
    const char *row = strstr(log, "\nfill_f32 ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(row);
    unsigned long long calls = 0;
    CU_ASSERT_EQUAL(sscanf(row, "\nfill_f32 %llu", &calls), 1);
    CU_ASSERT_EQUAL(calls, 1307);
    CU_ASSERT(test_output_has(log, "\nupload "));
    CU_ASSERT(test_output_has(log, "\ndownload "));
    CU_ASSERT_PTR_NULL(strstr(log, "gave no profiling times"));
}

int main(void)
{
    unsetenv("CLMLP_PROFILE");
    unsetenv("CLMLP_NO_TUNING");
    static const test_case cases[] = {{"tuning file round trip", test_file_round_trip},
                                      {"malformed tuning files", test_file_malformed},
                                      /* before any tuning is applied: CLBlast keeps
                                       * overrides for the whole process, and this
                                       * one checks GEMMs on CLBlast's defaults */
                                      {"bad tuning file ignored", test_tuning_bad_file_ignored},
                                      {"tuning applied at open", test_tuning_applied},
                                      {"clmlp tune", test_tune_command},
                                      {"program cache", test_program_cache},
                                      {"profile table from the tool", test_profile_tool},
                                      {"profile counts in process", test_profile_counts},
                                      {NULL, NULL}};
    if (test_add_suite("opencl tuning, caches, profiling", cases) < 0) return 1;
    int rc = test_run_all();
    test_remove_temp_dir();
    return rc;
}
