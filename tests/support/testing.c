/* Implementation of the shared test helpers. */
#include "support/testing.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "util/rng.h"

char test_out[1 << 17];

int test_find_bin(const char *dir, char *out, size_t cap)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "ls '%s'/*.bin 2>/dev/null", dir);
    FILE *p = popen(cmd, "r");
    if (!p) return 0;
    int n = 0;
    char line[4096];
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(out, cap, "%s", line);
        n++;
    }
    pclose(p);
    return n == 1;
}

static int g_saved_stderr = -1;

void test_capture_stderr_begin(const char *name)
{
    fflush(stderr);
    g_saved_stderr = dup(2);
    int fd = open(test_temp_path(name), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(fd >= 0 && g_saved_stderr >= 0);
    dup2(fd, 2);
    close(fd);
}

void test_capture_stderr_end(const char *name, char *out, size_t cap)
{
    fflush(stderr);
    dup2(g_saved_stderr, 2);
    close(g_saved_stderr);
    g_saved_stderr = -1;
    out[0] = '\0';
    FILE *f = fopen(test_temp_path(name), "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

void test_sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

double test_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int test_backend_arg(int argc, char **argv, clmlp_backend_kind *kind)
{
    if (argc != 2 || (strcmp(argv[1], "cpu") != 0 && strcmp(argv[1], "opencl") != 0)) {
        fprintf(stderr, "usage: %s cpu|opencl\n", argc > 0 ? argv[0] : "test");
        return -1;
    }
    *kind = strcmp(argv[1], "cpu") == 0 ? CLMLP_BACKEND_CPU : CLMLP_BACKEND_OPENCL;
    return 0;
}

int test_small(void)
{
    const char *small = getenv("CLMLP_TEST_SMALL");
    return small && strcmp(small, "1") == 0;
}

int test_run(const char *fmt, ...)
{
    char args[3000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    return test_run_tool_checked(args, test_out, sizeof test_out);
}

void test_set_crc32(unsigned char *bytes, size_t len)
{
    uint32_t crc = (uint32_t)crc32(0L, bytes, (uInt)(len - 4));
    for (int k = 0; k < 4; k++) bytes[len - 4 + k] = (unsigned char)(crc >> (8 * k));
}

int test_add_suite(const char *suite, const test_case *cases)
{
    if (CU_get_registry() == NULL && CU_initialize_registry() != CUE_SUCCESS) return -1;
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    if (!s) return -1;
    for (const test_case *c = cases; c->name; c++)
        if (!CU_add_test(s, c->name, c->fn)) return -1;
    return 0;
}

int test_run_all(void)
{
    if (CU_get_registry() == NULL) return 1;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned ran = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (ran == 0) {
        fprintf(stderr, "no test ran\n");
        return 1;
    }
    return failed ? 1 : 0;
}

static double elem_error(double got, double want)
{
    if (isnan(want) || isinf(want)) {
        if (isnan(want) && isnan(got)) return 0.0;
        if (isinf(want) && got == want) return 0.0;
        return INFINITY;
    }
    if (!isfinite(got)) return INFINITY;
    return fabs(got - want) / fmax(1.0, fabs(want));
}

double test_max_error(const float *got, const float *want, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, elem_error(got[i], want[i]));
    return worst;
}

double test_max_error_d(const double *got, const double *want, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) worst = fmax(worst, elem_error(got[i], want[i]));
    return worst;
}

void test_assert_close_impl(const float *got, const float *want, size_t n, double tol,
                            const char *what, const char *file, unsigned line)
{
    double worst = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double e = elem_error(got[i], want[i]);
        if (!(e <= worst)) {
            worst = e;
            at = i;
        }
    }
    char msg[256];
    snprintf(msg, sizeof msg, "%s: error %.3g > %.3g at [%zu] (got %.9g, want %.9g)", what, worst,
             tol, at, n ? got[at] : 0.0, n ? want[at] : 0.0);
    if (!(worst <= tol)) fprintf(stderr, "%s:%u: %s\n", file, line, msg);
    CU_assertImplementation(worst <= tol, line, msg, file, "", CU_FALSE);
}

void test_fill_uniform(float *v, size_t n, float lo, float hi, unsigned long long seed)
{
    clmlp_rng r;
    clmlp_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * (float)clmlp_rng_uniform(&r);
}

clmlp_backend_t *test_open_backend(clmlp_backend_kind kind)
{
    clmlp_backend_opts o = {0};
    o.kind = kind;
    clmlp_backend_t *be = NULL;
    if (clmlp_backend_init(&be, &o) < 0) {
        static const char *const names[] = {"default", "reference", "OpenCL", "cpu"};
        fprintf(stderr, "cannot open the %s backend: %s\n",
                (unsigned)kind < 4 ? names[kind] : "unknown", clmlp_last_error());
        return NULL;
    }
    return be;
}

int test_run_tool(const char *args, char *out, size_t cap)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", CLMLP_TOOL, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    size_t len = fread(out, 1, cap ? cap - 1 : 0, p);
    if (cap) out[len] = '\0';
    /* Drain the rest so the child never blocks on a full pipe. */
    char sink[4096];
    while (fread(sink, 1, sizeof sink, p) > 0) {
    }
    int st = pclose(p);
    if (st == -1 || !WIFEXITED(st)) return -1;
    return WEXITSTATUS(st);
}

int test_run_tool_checked(const char *args, char *out, size_t cap)
{
    int rc = test_run_tool(args, out, cap);
    if (rc < 0) fprintf(stderr, "\ncould not run clmlp %s\n", args);
    int sanitizer =
        cap && (strstr(out, "Sanitizer") != NULL || strstr(out, "runtime error:") != NULL);
    if (sanitizer) fprintf(stderr, "\nclmlp %s:\n%s\n", args, out);
    CU_ASSERT(!sanitizer);
    return rc;
}

int test_output_has(const char *text, const char *needle)
{
    if (strstr(text, needle)) return 1;
    fprintf(stderr, "\n--- wanted '%s' in the output:\n%s\n---\n", needle, text);
    return 0;
}

const char *test_source_path(const char *rel)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", CLMLP_SOURCE_DIR, rel);
    return buf;
}

/* ---- the scratch directory ------------------------------------------------ */

static char g_temp_dir[4096]; /* empty until made */
static char **g_temp_paths;   /* every path test_temp_path handed out */
static size_t g_n_temp_paths;

const char *test_temp_dir(const char *tag)
{
    if (g_temp_dir[0]) return g_temp_dir;
    const char *base = getenv("TMPDIR");
    snprintf(g_temp_dir, sizeof g_temp_dir, "%s/clmlp-%s-XXXXXX", base && *base ? base : "/tmp",
             tag);
    if (!mkdtemp(g_temp_dir)) {
        perror(g_temp_dir);
        g_temp_dir[0] = '\0';
        return NULL;
    }
    return g_temp_dir;
}

const char *test_temp_path(const char *name)
{
    /* Without a directory the path names none, so that the test fails on
     * opening it rather than writing somewhere unexpected. */
    const char *dir = test_temp_dir("test");
    if (!dir) dir = "/nonexistent/clmlp-test";
    for (size_t i = 0; i < g_n_temp_paths; i++) {
        const char *slash = strrchr(g_temp_paths[i], '/');
        if (strcmp(slash + 1, name) == 0) return g_temp_paths[i];
    }
    size_t len = strlen(dir) + 1 + strlen(name) + 1;
    char *p = malloc(len);
    char **grown = realloc(g_temp_paths, (g_n_temp_paths + 1) * sizeof *grown);
    if (!p || !grown) {
        free(p);
        if (grown) g_temp_paths = grown;
        fprintf(stderr, "test_temp_path: out of memory\n");
        abort();
    }
    snprintf(p, len, "%s/%s", dir, name);
    g_temp_paths = grown;
    g_temp_paths[g_n_temp_paths++] = p;
    return p;
}

const char *test_write_temp(const char *name, const void *data, size_t len)
{
    const char *path = test_temp_path(name);
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    if (len) CU_ASSERT_EQUAL(fwrite(data, 1, len, f), len);
    CU_ASSERT_EQUAL(fclose(f), 0);
    return path;
}

const char *test_write_temp_text(const char *name, const char *text)
{
    return test_write_temp(name, text, strlen(text));
}

/* Removes path: a file, or a folder with everything in it. */
static void remove_tree(const char *path)
{
    if (remove(path) == 0) return;
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    char sub[4096];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        remove_tree(sub);
    }
    closedir(d);
    remove(path);
}

void test_remove_temp_dir(void)
{
    for (size_t i = 0; i < g_n_temp_paths; i++) free(g_temp_paths[i]);
    free(g_temp_paths);
    g_temp_paths = NULL;
    g_n_temp_paths = 0;
    if (!g_temp_dir[0]) return;
    /* Every file and folder, not only those named through test_temp_path:
     * the tool under test writes some of its own (atomic saves go through a
     * temporary). */
    remove_tree(g_temp_dir);
    g_temp_dir[0] = '\0';
}

/* ---- the teaching tasks, on any backend ----------------------------------- */

int test_train_xor(clmlp_backend_t *be, uint64_t seed)
{
    clmlp_dataset_t *ds = NULL;
    clmlp_model_t *m = NULL;
    clmlp_optimizer opt = {.kind = CLMLP_OPT_SGD, .lr = 1.0};
    CU_ASSERT_FATAL(clmlp_dataset_xor(&ds) == CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_from_spec(&m, "2,2:sigmoid,1:sigmoid") == CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_compile(m, CLMLP_LOSS_BCE, &opt, be, seed) == CLMLP_OK);
    clmlp_fit_opts fo = {.epochs = 500, .batch_size = 4, .seed = seed};
    CU_ASSERT(clmlp_model_fit(m, ds, &fo, NULL) == CLMLP_OK);
    float y[4];
    CU_ASSERT(clmlp_model_predict(m, ds->x, 4, y) == CLMLP_OK);
    int right = 0;
    for (int i = 0; i < 4; i++) right += (y[i] > 0.5f) == (ds->labels[i] == 1);
    clmlp_model_free(m);
    clmlp_dataset_free(ds);
    return right;
}

double test_train_circle(clmlp_backend_t *be)
{
    clmlp_dataset_t *train = NULL, *test = NULL;
    CU_ASSERT_FATAL(clmlp_dataset_read_csv(&train, test_source_path("data/circle-train.csv"), -1) ==
                    CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_dataset_read_csv(&test, test_source_path("data/circle-test.csv"), -1) ==
                    CLMLP_OK);
    clmlp_model_t *m = NULL;
    clmlp_optimizer opt = {.kind = CLMLP_OPT_SGD, .lr = 0.5, .momentum = 0.9};
    CU_ASSERT_FATAL(clmlp_model_from_spec(&m, "2,16:sigmoid,1:sigmoid") == CLMLP_OK);
    CU_ASSERT_FATAL(clmlp_model_compile(m, CLMLP_LOSS_BCE, &opt, be, 1) == CLMLP_OK);
    clmlp_fit_opts fo = {.epochs = 150, .batch_size = 32, .shuffle = 1, .seed = 1};
    clmlp_history_t *h = NULL;
    CU_ASSERT(clmlp_model_fit(m, train, &fo, &h) == CLMLP_OK);
    CU_ASSERT_FATAL(h != NULL);
    CU_ASSERT_EQUAL(h->n, 150);
    CU_ASSERT(h->epochs[h->n - 1].loss < h->epochs[0].loss);
    double loss = NAN, acc = NAN;
    CU_ASSERT(clmlp_model_evaluate(m, test, 0, &loss, &acc) == CLMLP_OK);
    clmlp_history_free(h);
    clmlp_model_free(m);
    clmlp_dataset_free(train);
    clmlp_dataset_free(test);
    return acc;
}
