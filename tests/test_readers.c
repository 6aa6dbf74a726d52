/* Bounded line readers: the CSV reader, the weight text reader and the
 * features reader of the tool cap a line's length (util/line_reader.h) and
 * refuse NUL bytes, so a file with no line endings -- a huge blob, an
 * endless pipe, /dev/zero -- ends quickly in an error naming file:line,
 * with memory bounded by the cap, never by the file. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/testing.h"
#include "util/line_reader.h"

/* Whether the library's message holds needle (printing both if not). */
static int error_has(const char *needle) { return test_output_has(clmlp_last_error(), needle); }

/* The process's peak resident memory so far, in MiB. */
static double peak_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* Linux counts KiB */
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Writes the scratch file name: `head`, then `n` bytes of `unit` repeated
 * (no line ending), streamed so the test holds none of it in memory. */
static const char *write_long_file(const char *name, const char *head, const char *unit, size_t n)
{
    const char *path = test_temp_path(name);
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(head, f);
    char block[4096];
    size_t u = strlen(unit);
    for (size_t i = 0; i < sizeof block; i++) block[i] = unit[i % u];
    for (size_t done = 0; done < n;) {
        size_t k = n - done < sizeof block ? n - done : sizeof block;
        CU_ASSERT_EQUAL_FATAL(fwrite(block, 1, k, f), k);
        done += k;
    }
    CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
    return path;
}

/* ---- the line reader itself --------------------------------------------- */

/* Exactly the cap is a line; one byte more is an error naming file:line;
 * the last line needs no ending; '\r' stays for the caller; lines that
 * cross the reader's 64 KiB blocks come out whole. */
static void test_line_reader(void)
{
    const char *p = test_write_temp_text("lines.txt", "12345678\n\nab\r\n123456789\n");
    FILE *f = fopen(p, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    clmlp_line_reader r;
    clmlp_line_reader_init(&r, f, p, 8);
    CU_ASSERT_EQUAL(clmlp_line_next(&r), 1);
    CU_ASSERT_STRING_EQUAL(r.line, "12345678");
    CU_ASSERT_EQUAL(r.len, 8);
    CU_ASSERT_EQUAL(clmlp_line_next(&r), 1);
    CU_ASSERT_STRING_EQUAL(r.line, "");
    CU_ASSERT_EQUAL(clmlp_line_next(&r), 1);
    CU_ASSERT_STRING_EQUAL(r.line, "ab\r");
    CU_ASSERT_EQUAL(r.lineno, 3);
    CU_ASSERT_EQUAL(clmlp_line_next(&r), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("lines.txt:4: the line is longer than 8 bytes"));
    clmlp_line_reader_free(&r);
    fclose(f);

    /* 200 000 bytes, then a last line without its ending. */
    size_t big = 200000;
    char *text = malloc(big + 16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    memset(text, 'x', big);
    strcpy(text + big, "\nlast");
    p = test_write_temp_text("blocks.txt", text);
    free(text);
    f = fopen(p, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    clmlp_line_reader_init(&r, f, p, big);
    CU_ASSERT_EQUAL(clmlp_line_next(&r), 1);
    CU_ASSERT_EQUAL(r.len, big);
    CU_ASSERT(r.line[0] == 'x' && r.line[big - 1] == 'x' && r.line[big] == '\0');
    CU_ASSERT_EQUAL(clmlp_line_next(&r), 1);
    CU_ASSERT_STRING_EQUAL(r.line, "last");
    CU_ASSERT_EQUAL(clmlp_line_next(&r), 0);
    CU_ASSERT_EQUAL(clmlp_line_next(&r), 0);
    CU_ASSERT_EQUAL(r.lineno, 2);
    clmlp_line_reader_free(&r);
    fclose(f);

    /* A NUL byte is refused where it is read. */
    p = test_write_temp("nul.txt", "ok\nab\0cd\n", 9);
    f = fopen(p, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    clmlp_line_reader_init(&r, f, p, 100);
    CU_ASSERT_EQUAL(clmlp_line_next(&r), 1);
    CU_ASSERT_EQUAL(clmlp_line_next(&r), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("nul.txt:2: the line contains a NUL byte"));
    clmlp_line_reader_free(&r);
    fclose(f);
}

/* ---- the library's readers ------------------------------------------------ */

/* A CSV line one byte over the 16 MiB cap is refused, naming file:line. */
static void test_csv_over_long_line(void)
{
    const char *p = write_long_file("long.csv", "1,2\n", "3,", CLMLP_CSV_MAX_LINE + 1);
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_EQUAL(clmlp_dataset_read_csv(&ds, p, -1), CLMLP_E_FORMAT);
    CU_ASSERT_PTR_NULL(ds);
    CU_ASSERT(error_has("long.csv:2: the line is longer than 16 MiB"));
}

/* A very wide row under the cap still reads (300 000 features: 1.5 MB of
 * text), and costs memory for its rows only. */
static void test_csv_wide_rows(void)
{
    const size_t cols = 300000;
    const char *p = test_temp_path("wide.csv");
    FILE *f = fopen(p, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    for (int r = 0; r < 2; r++) {
        for (size_t c = 0; c < cols; c++) fprintf(f, "%d,", (int)(c % 10));
        fprintf(f, "%d\n", r);
    }
    CU_ASSERT_EQUAL_FATAL(fclose(f), 0);
    clmlp_dataset_t *ds = NULL;
    TEST_OK(clmlp_dataset_read_csv(&ds, p, -1));
    CU_ASSERT_EQUAL(ds->n, 2);
    CU_ASSERT_EQUAL(ds->n_features, cols);
    CU_ASSERT_EQUAL(ds->x[cols + 7], 7.0f);
    CU_ASSERT_EQUAL(ds->labels[1], 1);
    clmlp_dataset_free(ds);
}

/* A weight file line over 1 MiB is refused, naming file:line. */
static void test_weights_over_long_line(void)
{
    const char *p =
        write_long_file("long.txt", "input 2\ndense 3 linear\n", "0 ", CLMLP_WEIGHTS_MAX_LINE + 1);
    clmlp_model_t *m = NULL;
    CU_ASSERT_EQUAL(clmlp_model_read_text(&m, p), CLMLP_E_FORMAT);
    CU_ASSERT_PTR_NULL(m);
    CU_ASSERT(error_has("long.txt:3: the line is longer than 1 MiB"));
}

/* /dev/zero: an endless file of NUL bytes ends at its first byte. */
static void test_dev_zero(void)
{
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_EQUAL(clmlp_dataset_read_csv(&ds, "/dev/zero", -1), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("/dev/zero:1: the line contains a NUL byte"));
    clmlp_model_t *m = NULL;
    CU_ASSERT_EQUAL(clmlp_model_read_text(&m, "/dev/zero"), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("/dev/zero:1: the line contains a NUL byte"));
}

/* Bounds on reading an endless line of text from a pipe: the time an
 * unbounded reader would need for the 1 GiB the writer offers is far
 * above this, and reading the cap's 16 MiB takes milliseconds even under
 * the sanitizers on a loaded machine. */
#define ENDLESS_MAX_SECONDS 10.0
/* The peak memory it may add: the 16 MiB line and the 64 KiB block; under
 * AddressSanitizer also every smaller buffer the line's growth left in its
 * quarantine (together under 16 MiB) and the pages realloc copied into
 * (measured: 54 MiB in all).  Twice that leaves room; an unbounded reader
 * holds the whole 1 GiB. */
#define ENDLESS_MAX_MIB 128.0

/* Reads a FIFO fed by a child writing `unit` repeated (no line ending) for
 * up to 1 GiB, with read(): each reader must stop with a capped-line error
 * soon and within the memory bound. */
static void endless(const char *unit, int (*read)(const char *path), const char *needle)
{
    const char *fifo = test_temp_path("endless.fifo");
    unlink(fifo);
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
    pid_t child = fork();
    CU_ASSERT_FATAL(child >= 0);
    if (child == 0) {
        signal(SIGPIPE, SIG_DFL);
        FILE *f = fopen(fifo, "wb");
        if (!f) _exit(1);
        char block[1 << 16];
        size_t u = strlen(unit);
        for (size_t i = 0; i < sizeof block; i++) block[i] = unit[i % u];
        for (int i = 0; i < (1 << 14); i++) /* 1 GiB at most */
            if (fwrite(block, 1, sizeof block, f) != sizeof block) _exit(0);
        _exit(0);
    }
    double mib0 = peak_mib(), t0 = now_s();
    int rc = read(fifo);
    double secs = now_s() - t0, grew = peak_mib() - mib0;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", clmlp_last_error());
    kill(child, SIGTERM); /* the reader closed the pipe: it is dying anyway */
    waitpid(child, NULL, 0);
    unlink(fifo);
    printf("[%.2f s, +%.0f MiB] ", secs, grew);
    CU_ASSERT_EQUAL(rc, CLMLP_E_FORMAT);
    CU_ASSERT(test_output_has(msg, needle));
    CU_ASSERT(secs < ENDLESS_MAX_SECONDS);
    CU_ASSERT(grew < ENDLESS_MAX_MIB);
}

static int read_csv(const char *path)
{
    clmlp_dataset_t *ds = NULL;
    int rc = clmlp_dataset_read_csv(&ds, path, -1);
    clmlp_dataset_free(ds);
    return rc;
}

static int read_weights(const char *path)
{
    clmlp_model_t *m = NULL;
    int rc = clmlp_model_read_text(&m, path);
    clmlp_model_free(m);
    return rc;
}

static void test_endless_csv(void)
{
    endless("1,", read_csv, ":1: the line is longer than 16 MiB");
}

static void test_endless_weights(void)
{
    endless("0 ", read_weights, ":1: the line is longer than 1 MiB");
}

/* ---- the tool's features reader ---------------------------------------- */

static void test_features_reader(void)
{
    const char *w = test_source_path("data/forward-task.txt");
    TEST_EXPECT_RUN(1, "/dev/zero:1: the line contains a NUL byte",
                    "forward --weights '%s' --input-file /dev/zero", w);
    const char *p = write_long_file("long-features.csv", "1,2,3,4\n", "5,", CLMLP_CSV_MAX_LINE + 1);
    TEST_EXPECT_RUN(1, "long-features.csv:2: the line is longer than 16 MiB",
                    "forward --weights '%s' --input-file '%s'", w, p);
    TEST_EXPECT_RUN(1, "/dev/zero:1: the line contains a NUL byte",
                    "forward --weights /dev/zero --input 1,2,3,4");
    /* Under the cap, as before. */
    const char *ok = test_write_temp_text("features.csv", "a,b,c,d\n1,0,0,1\n0,1,1,0\n");
    TEST_EXPECT_RUN(0, NULL, "forward --weights '%s' --input-file '%s'", w, ok);
}

int main(void)
{
    if (!test_temp_dir("readers")) return 1;
    static const test_case cases[] = {
        {"the line reader's cap, endings and blocks", test_line_reader},
        {"CSV: a line over the cap", test_csv_over_long_line},
        {"CSV: very wide rows under the cap", test_csv_wide_rows},
        {"weight text: a line over the cap", test_weights_over_long_line},
        {"/dev/zero", test_dev_zero},
        {"CSV: an endless line from a pipe", test_endless_csv},
        {"weight text: an endless line from a pipe", test_endless_weights},
        {"the tool's features reader", test_features_reader},
        {NULL, NULL}};
    if (test_add_suite("bounded readers", cases) < 0) return 1;
    int rc = test_run_all();
    test_remove_temp_dir();
    return rc;
}
