/* One output policy (issue 19): every file the library and the tool write
 * goes through util/atomic_file, which resolves the path first -- through a
 * symbolic link it replaces the link's target (atomically, beside it) and
 * the link stays a link; an existing device or FIFO is written in place as
 * a stream (/dev/null stays a device); "-" is standard output -- and every
 * command compares its outputs with its inputs and with each other by
 * device and inode before any work (a clash is exit 2, nothing touched). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/testing.h"
#include "util/atomic_file.h"

/* The whole text of a file (NUL-terminated), or NULL; the caller frees. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static void write_via(const char *path, const char *text)
{
    clmlp_atomic_file af;
    TEST_OK(clmlp_atomic_open(&af, path));
    if (af.f) fputs(text, af.f);
    TEST_OK(clmlp_atomic_commit(&af));
}

/* No PATH.tmp.* left in the folder of path. */
static int temps_left(const char *dir)
{
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -c '\\.tmp\\.' > /dev/null", dir);
    return system(cmd) == 0;
}

/* Writing through a link writes its target and keeps the link: an
 * absolute link, a relative one into another folder, a chain, and a
 * dangling one (its target is made). */
static void test_links_write_their_targets(void)
{
    const char *dir = test_temp_dir("outputs");
    char sub[4200], target[4300], link[4300], chain[4300], dangling[4300], made[4300];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0755), 0);
    snprintf(target, sizeof target, "%s/real.txt", sub);
    snprintf(link, sizeof link, "%s/link.txt", dir);
    snprintf(chain, sizeof chain, "%s/chain.txt", dir);
    snprintf(dangling, sizeof dangling, "%s/dangling.txt", dir);
    snprintf(made, sizeof made, "%s/new.txt", sub);
    FILE *f = fopen(target, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("old\n", f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(symlink("sub/real.txt", link), 0); /* relative */
    CU_ASSERT_EQUAL_FATAL(symlink(link, chain), 0);          /* absolute, to a link */
    CU_ASSERT_EQUAL_FATAL(symlink("sub/new.txt", dangling), 0);

    write_via(link, "through the link\n");
    struct stat st;
    CU_ASSERT(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
    char *t = slurp(target);
    CU_ASSERT(t && !strcmp(t, "through the link\n"));
    free(t);
    write_via(chain, "through the chain\n");
    CU_ASSERT(lstat(chain, &st) == 0 && S_ISLNK(st.st_mode));
    t = slurp(target);
    CU_ASSERT(t && !strcmp(t, "through the chain\n"));
    free(t);
    write_via(dangling, "made\n");
    CU_ASSERT(lstat(dangling, &st) == 0 && S_ISLNK(st.st_mode));
    t = slurp(made);
    CU_ASSERT(t && !strcmp(t, "made\n"));
    free(t);
    CU_ASSERT(!temps_left(dir) && !temps_left(sub));
    /* A loop of links is an error naming the path, not a hang. */
    char loop_a[4300], loop_b[4300];
    snprintf(loop_a, sizeof loop_a, "%s/loop_a", dir);
    snprintf(loop_b, sizeof loop_b, "%s/loop_b", dir);
    CU_ASSERT_EQUAL_FATAL(symlink(loop_b, loop_a), 0);
    CU_ASSERT_EQUAL_FATAL(symlink(loop_a, loop_b), 0);
    clmlp_atomic_file af;
    CU_ASSERT_EQUAL(clmlp_atomic_open(&af, loop_a), CLMLP_E_IO);
    CU_ASSERT(strstr(clmlp_last_error(), "symbolic links") != NULL);
}

/* /dev/null stays a device; a FIFO is written as a stream (its reader
 * gets the bytes) and stays a FIFO; checking it does not block. */
static void test_devices_and_fifos_are_streams(void)
{
    write_via("/dev/null", "nothing\n");
    struct stat st;
    CU_ASSERT(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    CU_ASSERT_EQUAL(clmlp_atomic_check_writable("/dev/null"), CLMLP_OK);

    const char *fifo = test_temp_path("pipe");
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
    double t0 = test_now();
    CU_ASSERT_EQUAL(clmlp_atomic_check_writable(fifo), CLMLP_OK);
    CU_ASSERT(test_now() - t0 < 5.0);
    int fds[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
    pid_t reader = fork();
    CU_ASSERT_FATAL(reader >= 0);
    if (reader == 0) {
        /* Reads the FIFO and hands what it got back through the pipe; a
         * writer that never opens the FIFO fails the test, not hangs it. */
        alarm(10);
        char buf[64] = "";
        int fd = open(fifo, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        if (n > 0 && write(fds[1], buf, (size_t)n) != n) _exit(2);
        _exit(n > 0 ? 0 : 1);
    }
    close(fds[1]);
    write_via(fifo, "streamed\n");
    char got[64] = "";
    ssize_t n = read(fds[0], got, sizeof got - 1);
    close(fds[0]);
    int status = 0;
    waitpid(reader, &status, 0);
    CU_ASSERT(n > 0 && !strncmp(got, "streamed\n", 9));
    CU_ASSERT(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
}

/* A small trained model and a CSV to run the tool on. */
static const char *g_csv, *g_model;

static void make_model(void)
{
    if (g_model) return;
    g_csv = test_write_temp_text("t.csv", "a,b,label\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n");
    g_model = test_temp_path("m.model");
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --layers 2,4:tanh,1:sigmoid --epochs 3 --backend ref "
                    "--save '%s' -q",
                    g_csv, g_model);
}

/* The tool's outputs: "-" is standard output (no file named "-"), a
 * symlinked --save stays a link, -o /dev/null leaves /dev/null alone. */
static void test_tool_outputs(void)
{
    make_model();
    char cwd[4096];
    CU_ASSERT_FATAL(getcwd(cwd, sizeof cwd) != NULL);
    CU_ASSERT_EQUAL_FATAL(chdir(test_temp_dir("outputs")), 0);
    TEST_EXPECT_RUN(0, "index,class", "predict --model '%s' --data '%s' --backend ref -o -",
                    g_model, g_csv);
    CU_ASSERT(access("-", F_OK) != 0);
    TEST_EXPECT_RUN(0, NULL, "predict --model '%s' --data '%s' --backend ref -o /dev/null", g_model,
                    g_csv);
    struct stat st;
    CU_ASSERT(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
    const char *target = test_temp_path("target.model"), *link = test_temp_path("saved.model");
    CU_ASSERT_EQUAL_FATAL(symlink(target, link), 0);
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --layers 2,4:tanh,1:sigmoid --epochs 2 --backend ref "
                    "--save '%s' -q",
                    g_csv, link);
    CU_ASSERT(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
    TEST_EXPECT_RUN(0, "Total params: 17", "summary --model '%s'", target);
    CU_ASSERT_EQUAL(chdir(cwd), 0);
}

/* An output in a folder where no file can be created (/sys, read-only
 * even for root) is said as that, naming the folder and why the folder
 * matters, before training (not "cannot write FILE", which reads as if the
 * file were the trouble). */
static void test_unwritable_folder_named(void)
{
    TEST_EXPECT_RUN(1, "cannot create a file in its folder /sys",
                    "train --train '%s' --layers 2,4:tanh,1:sigmoid --epochs 1 --backend ref "
                    "--save /sys/clmlp-test.model -q",
                    g_csv);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(test_out, "the folder must be writable (checked before training)"));
    CU_ASSERT_PTR_NULL(strstr(test_out, "epoch 1/1"));
}

/* An output that is an input or another output is exit 2 before any
 * work, whatever the spelling (./x, a link), and nothing is touched;
 * --resume m --save m continues a model in place. */
static void test_clashes_refused_first(void)
{
    make_model();
    struct stat before, after;
    CU_ASSERT_EQUAL_FATAL(stat(g_csv, &before), 0);
    TEST_EXPECT_RUN(2, "--train and --save name the same file",
                    "train --train '%s' --epochs 1 --backend ref --save '%s'", g_csv, g_csv);
    CU_ASSERT(strstr(test_out, "epoch 1") == NULL);
    char dotted[4300];
    snprintf(dotted, sizeof dotted, "%s/./m.model", test_temp_dir("outputs"));
    TEST_EXPECT_RUN(2, "--model and -o name the same file",
                    "predict --model '%s' --data '%s' --backend ref -o '%s'", g_model, g_csv,
                    dotted);
    const char *alias = test_temp_path("alias.csv");
    CU_ASSERT_EQUAL_FATAL(symlink(g_csv, alias), 0);
    TEST_EXPECT_RUN(2, "--data and -o name the same file",
                    "predict --model '%s' --data '%s' --backend ref -o '%s'", g_model, g_csv,
                    alias);
    const char *a = test_temp_path("a.out");
    TEST_EXPECT_RUN(2, "--save and --history name the same file",
                    "train --train '%s' --epochs 1 --backend ref --save '%s' --history '%s'", g_csv,
                    a, a);
    CU_ASSERT(access(a, F_OK) != 0);
    TEST_EXPECT_RUN(2, "--save and --plot-history name the same file",
                    "train --train '%s' --epochs 1 --backend ref --save '%s' --plot-history '%s'",
                    g_csv, test_temp_path("c.png"), test_temp_path("c.png"));
    CU_ASSERT_EQUAL(stat(g_csv, &after), 0);
    CU_ASSERT(after.st_size == before.st_size && after.st_mtime == before.st_mtime);
    /* Two outputs to /dev/null are no clash. */
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --layers 2,4:tanh,1:sigmoid --epochs 1 --backend ref "
                    "--save /dev/null --history /dev/null -q",
                    g_csv);
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --resume '%s' --epochs 5 --backend ref --save '%s' -q",
                    g_csv, g_model, g_model);
}

/* --history is a journal: a run SIGKILLed mid-way leaves the epochs it
 * finished (written after the first epoch, then at most once a second);
 * --resume goes on in the same file, keeping the earlier epochs; a file
 * that is not this run's is refused (exit 2), not rewritten. */
static void test_history_journal(void)
{
    make_model();
    const char *hist = test_temp_path("journal.csv");
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) _exit(127);
        char *args[] = {
            "clmlp",    "train",    "--train",   (char *)g_csv, "--layers",  "2,4:tanh,1:sigmoid",
            "--epochs", "10000000", "--backend", "ref",         "--history", (char *)hist,
            "-q",       NULL};
        execv(CLMLP_TOOL, args);
        _exit(127);
    }
    /* Wait for evidence, not for a time: the file with an epoch in it. */
    clmlp_history_t *h = NULL;
    double t0 = test_now();
    while (test_now() - t0 < 30.0) {
        if (access(hist, F_OK) == 0 && clmlp_history_read(&h, hist) == CLMLP_OK && h->n >= 1) break;
        clmlp_history_free(h);
        h = NULL;
        test_sleep_us(10000);
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    CU_ASSERT(WIFSIGNALED(status)); /* killed mid-run, not finished */
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT(h->n >= 1 && h->epochs[0].epoch == 1);
    clmlp_history_free(h);

    const char *ck = test_temp_path("journal-ck.model"), *h2 = test_temp_path("run.csv");
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --layers 2,4:tanh,1:sigmoid --epochs 3 --backend ref "
                    "--checkpoint '%s' --history '%s' -q",
                    g_csv, ck, h2);
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --resume '%s' --epochs 5 --backend ref "
                    "--save '%s' --history '%s' -q",
                    g_csv, ck, ck, h2);
    h = NULL;
    TEST_OK(clmlp_history_read(&h, h2));
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_EQUAL(h->n, 5);
    for (size_t i = 0; i < h->n; i++) CU_ASSERT_EQUAL(h->epochs[i].epoch, i + 1);
    clmlp_history_free(h);
    /* Another run's history (2 epochs) for a model of 5: refused, kept. */
    const char *other = test_write_temp_text("other.csv", "epoch,loss\n1,0.7\n2,0.6\n");
    TEST_EXPECT_RUN(2, "not epochs 1 to 5",
                    "train --train '%s' --resume '%s' --epochs 7 --backend ref --history '%s'",
                    g_csv, ck, other);
    char *kept = slurp(other);
    CU_ASSERT(kept && !strcmp(kept, "epoch,loss\n1,0.7\n2,0.6\n"));
    free(kept);
}

/* Writes a CSV of n rows x in [-1, 1], labelled x > 0 (or the reverse). */
static const char *line_csv(const char *name, int n, int flipped)
{
    static char text[1 << 14];
    size_t at = (size_t)snprintf(text, sizeof text, "x,label\n");
    for (int i = 0; i < n; i++) {
        double x = -1.0 + 2.0 * (i + 0.5) / n;
        at += (size_t)snprintf(text + at, sizeof text - at, "%.4f,%d\n", x, (x > 0) != flipped);
    }
    return test_write_temp_text(name, text);
}

/* --save-best remembers its best in the model files: a resumed run whose
 * epochs are all worse (it trains on the labels flipped) leaves the best
 * model as it was, byte for byte; one that beats it replaces it. */
static void test_save_best_survives_resume(void)
{
    const char *good = line_csv("line.csv", 40, 0), *bad = line_csv("flipped.csv", 40, 1);
    const char *ck = test_temp_path("best-ck.model"), *best = test_temp_path("best.model");
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --test '%s' --validate-on-test --layers 1,4:tanh,1:sigmoid "
                    "--epochs 30 --lr 0.5 --backend ref --checkpoint '%s' --save-best '%s' -q",
                    good, good, ck, best);
    struct stat before, after;
    CU_ASSERT_EQUAL_FATAL(stat(best, &before), 0);
    FILE *f = fopen(best, "rb");
    static char a[1 << 14], b[1 << 14];
    size_t na = f ? fread(a, 1, sizeof a, f) : 0;
    if (f) fclose(f);
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --test '%s' --validate-on-test --resume '%s' --epochs 40 "
                    "--backend ref --save-best '%s' -q",
                    bad, good, ck, best);
    f = fopen(best, "rb");
    size_t nb = f ? fread(b, 1, sizeof b, f) : 0;
    if (f) fclose(f);
    CU_ASSERT(na > 0 && na == nb && memcmp(a, b, na) == 0);
    /* Training on the right labels again beats it: the file changes. */
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --test '%s' --validate-on-test --resume '%s' --epochs 80 "
                    "--backend ref --save-best '%s' -q",
                    good, good, best, best);
    CU_ASSERT_EQUAL(stat(best, &after), 0);
    f = fopen(best, "rb");
    nb = f ? fread(b, 1, sizeof b, f) : 0;
    if (f) fclose(f);
    CU_ASSERT(nb > 0 && (na != nb || memcmp(a, b, na) != 0));
}

int main(void)
{
    if (!test_temp_dir("outputs")) return 1;
    static const test_case cases[] = {
        {"a link is written through: its target changes, the link stays",
         test_links_write_their_targets},
        {"devices and FIFOs are written as streams", test_devices_and_fifos_are_streams},
        {"the tool: - is stdout, /dev/null and links stay", test_tool_outputs},
        {"outputs over inputs or each other: exit 2 first", test_clashes_refused_first},
        {"a folder where no file can be made is named", test_unwritable_folder_named},
        {"the history is a journal that --resume continues", test_history_journal},
        {"--save-best keeps its best across --resume", test_save_best_survives_resume},
        {NULL, NULL},
    };
    int rc = test_add_suite("outputs", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
