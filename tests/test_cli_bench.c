/* clmlp bench, run as a separate process on the reference backend with a
 * tiny data set: the table and the CSV have their columns and numbers, and
 * bad options exit 2.  No timing is asserted: speed is measured, never
 * tested. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/testing.h"

static char g_out[1 << 16]; /* the last run's stdout+stderr */
static char g_csv[512];     /* scratch CSV path */

/* Runs `clmlp ARGS`; returns the exit status, output in g_out. */
static int run(const char *args)
{
    int rc = test_run_tool(args, g_out, sizeof g_out);
    if (rc < 0) fprintf(stderr, "\ncould not run clmlp %s\n", args);
    int sanitizer = strstr(g_out, "Sanitizer") != NULL || strstr(g_out, "runtime error:") != NULL;
    if (sanitizer) fprintf(stderr, "\nclmlp %s:\n%s\n", args, g_out);
    CU_ASSERT(!sanitizer);
    return rc;
}

/* Whether the last output contains needle; prints the output when not. */
static int out_has(const char *needle)
{
    if (strstr(g_out, needle)) return 1;
    fprintf(stderr, "\n--- wanted '%s' in the output:\n%s\n---\n", needle, g_out);
    return 0;
}

/* Parses n numbers separated by blanks (or commas when csv) from s; returns
 * how many parsed, each finite and >= 0. */
static int parse_numbers(const char *s, int n, int csv, double *out)
{
    int got = 0;
    while (got < n) {
        while (*s == ' ' || (csv && *s == ',')) s++;
        char *end = NULL;
        double v = strtod(s, &end);
        if (end == s || !(v >= 0) || v > 1e300) break;
        out[got++] = v;
        s = end;
    }
    return got;
}

/* --help names every option. */
static void test_help(void)
{
    CU_ASSERT_EQUAL(run("bench --help"), 0);
    CU_ASSERT(out_has("usage: clmlp bench"));
    static const char *const opts[] = {
        "--workload", "--epochs",  "--rows", "--csv", "--sgemm", "--backend", "--platform",
        "--device",   "--threads", "W1",     "W2",    "W3",      NULL};
    for (const char *const *o = opts; *o; o++) CU_ASSERT(out_has(*o));
    CU_ASSERT_EQUAL(run("help bench"), 0);
    CU_ASSERT(out_has("--workload"));
    CU_ASSERT_EQUAL(run("--help"), 0);
    CU_ASSERT(out_has("bench"));
}

/* A tiny W1 run with a small SGEMM: the table row, the SGEMM line and the
 * CSV row carry parseable numbers. */
static void test_w1_ref(void)
{
    char args[800];
    snprintf(args, sizeof args,
             "bench --rows 512 --epochs 1 --workload W1 --backend ref --sgemm 64 --csv '%s'",
             g_csv);
    int rc = run(args);
    if (rc != 0) fprintf(stderr, "\nexit %d:\n%s\n", rc, g_out);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    static const char *const cols[] = {
        "epoch1_s",  "s/epoch", "best_s",       "samples/s",          "GFLOP/s", "init_s",
        "startup_s", "first_s", "backend: ref", "SGEMM 64^3 float32", NULL};
    for (const char *const *c = cols; *c; c++) CU_ASSERT(out_has(*c));
    CU_ASSERT(strstr(g_out, "\nW2 ") == NULL && strstr(g_out, "\nW3 ") == NULL);
    /* "W1 784-100-10 sigmoid 100  e1 mean best samples gflops init startup first" */
    const char *row = strstr(g_out, "\nW1 ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(row);
    row = strstr(row, "sigmoid");
    CU_ASSERT_PTR_NOT_NULL_FATAL(row);
    double v[9];
    CU_ASSERT_EQUAL(parse_numbers(row + strlen("sigmoid"), 9, 0, v), 9);
    CU_ASSERT_EQUAL(v[0], 100);                  /* batch */
    CU_ASSERT(v[2] > 0 && v[4] > 0 && v[5] > 0); /* s/epoch, samples/s, GFLOP/s */
    /* The first step ends after start-up and before the process is a minute old. */
    CU_ASSERT(v[8] >= v[7] - 0.02 && v[8] < 60);

    FILE *f = fopen(g_csv, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[1024];
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
    CU_ASSERT_STRING_EQUAL(line, "workload,backend,device,epochs,sec_per_epoch,samples_per_s,"
                                 "gflops,startup_s,first_step_s,sgemm_gflops,core_rt_min_ns,"
                                 "core_rt_max_ns\n");
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
    CU_ASSERT(strncmp(line, "W1,ref,", 7) == 0);
    /* The device may be quoted and hold commas: the numbers follow the last
     * field that is not a number, so read the last nine fields. */
    const char *p = line + strlen(line);
    int commas = 0;
    while (p > line && !(p[-1] == ',' && ++commas == 9)) p--;
    CU_ASSERT_EQUAL(parse_numbers(p, 7, 1, v), 7);
    CU_ASSERT_EQUAL(v[0], 1); /* epochs */
    CU_ASSERT(v[1] > 0 && v[2] > 0 && v[3] > 0 && v[4] > 0 && v[5] > 0 && v[6] > 0);
    /* The CPUs' round trip: nan where it was not measured (one CPU, or the
     * other one busy with another process for 0.1 s), else the fewest and
     * most nanoseconds, which the table prints too. */
    /* The last two fields (strtod reads "nan" too). */
    const char *rt = line + strlen(line);
    for (commas = 0; rt > line && !(rt[-1] == ',' && ++commas == 2);) rt--;
    char *end = NULL;
    v[7] = strtod(rt, &end);
    CU_ASSERT_FATAL(end != rt && *end == ',');
    v[8] = strtod(end + 1, &end);
    CU_ASSERT(*end == '\n');
    if (isnan(v[7]) || isnan(v[8])) {
        CU_ASSERT(isnan(v[7]) && isnan(v[8]));
        CU_ASSERT(!out_has("cores: a cache line"));
    } else {
        CU_ASSERT(v[7] > 0 && v[7] <= v[8]);
        CU_ASSERT(out_has("cores: a cache line from CPU"));
    }
    CU_ASSERT_PTR_NULL(fgets(line, sizeof line, f));
    fclose(f);
    remove(g_csv);
}

/* Bad options exit 2 with a message naming the option. */
static void test_usage_errors(void)
{
    static const struct {
        const char *args, *needle;
    } cases[] = {
        {"bench --workload W4", "--workload must be"},
        {"bench --workload ''", "--workload must be"},
        {"bench --workload W1,", "--workload must be"},
        {"bench --epochs 0", "--epochs must be"},
        {"bench --rows x", "--rows must be"},
        {"bench --rows", "'--rows' needs a value"},
        {"bench --backend cuda", "--backend must be"},
        {"bench --nosuch", "unknown option '--nosuch'"},
        {"bench extra", "unexpected argument 'extra'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = run(cases[i].args);
        if (rc != 2) fprintf(stderr, "\n%s: exit %d, wanted 2:\n%s\n", cases[i].args, rc, g_out);
        CU_ASSERT_EQUAL(rc, 2);
        CU_ASSERT(out_has(cases[i].needle));
    }
}

int main(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(g_csv, sizeof g_csv, "%s/clmlp-bench-test-%ld.csv", t && *t ? t : "/tmp",
             (long)getpid());
    static const test_case cases[] = {
        {"bench --help", test_help},
        {"bench W1 on ref: table and CSV", test_w1_ref},
        {"bench usage errors exit 2", test_usage_errors},
        {NULL, NULL},
    };
    int rc = test_add_suite("cli_bench", cases) == 0 ? test_run_all() : 1;
    remove(g_csv);
    return rc;
}
