/* Data-parallel training under MPI: `mpirun -np 2 clmlp train` trains the
 * model one process trains (bit for bit on the reference backend, to
 * float32 reassociation on cpu and opencl), every rank holds the same
 * parameters after every epoch, over shared memory and over TCP on
 * loopback; ranks with other data are refused before training, a batch
 * smaller than the ranks too; a rank killed mid-run ends the job within
 * seconds and the checkpoint loads; a checkpoint of two ranks resumes on
 * one.
 *
 * Every mpirun runs under `timeout -k` and `mpirun --timeout`, with its
 * output in a file (a piped mpirun has hung here), with
 * --oversubscribe (2 ranks on 2 cores, next to ctest's other jobs) and as
 * root where the tests run as root.  In a sanitizer build LeakSanitizer is
 * off inside the MPI runs: Open MPI's own allocations at exit are not
 * ours. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/testing.h"

static char g_log[1 << 16];
static const char *g_train, *g_other;

#define MPIRUN                                                                                     \
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "                                   \
    "OMPI_MCA_btl_vader_single_copy_mechanism=none ASAN_OPTIONS=detect_leaks=0 "                   \
    "timeout -k 10 170 mpirun --timeout 160 --oversubscribe -x ASAN_OPTIONS"

/* Runs a shell command line with its output into a file (read back into
 * g_log); returns its exit status. */
static int run_logged(const char *cmd)
{
    const char *log = test_temp_path("mpirun.log");
    char line[8192];
    snprintf(line, sizeof line, "%s >'%s' 2>&1 </dev/null", cmd, log);
    int st = system(line);
    g_log[0] = '\0';
    FILE *f = fopen(log, "rb");
    if (f) {
        size_t n = fread(g_log, 1, sizeof g_log - 1, f);
        g_log[n] = '\0';
        fclose(f);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* `mpirun -np np [mca] clmlp ARGS` with CLMLP_MPI_CHECK set. */
static int mpi_train(int np, const char *mca, const char *args)
{
    char cmd[6000];
    snprintf(cmd, sizeof cmd, "CLMLP_MPI_CHECK=1 " MPIRUN " -np %d %s -x CLMLP_MPI_CHECK '%s' %s",
             np, mca ? mca : "", CLMLP_TOOL, args);
    int rc = run_logged(cmd);
    if (rc != 0) fprintf(stderr, "\n%s\nexit %d:\n%s\n", cmd, rc, g_log);
    return rc;
}

/* Loads a model file's parameters (on the reference backend). */
static float *params_of(const char *path, size_t *n)
{
    clmlp_backend_opts bo = {.kind = CLMLP_BACKEND_REF};
    clmlp_backend_t *be = NULL;
    clmlp_model_t *m = NULL;
    float *p = NULL;
    if (clmlp_backend_init(&be, &bo) == CLMLP_OK && clmlp_model_load(&m, path, be) == CLMLP_OK) {
        *n = clmlp_model_n_params(m);
        p = malloc(*n * sizeof *p);
        if (p) clmlp_model_get_params(m, p);
    } else {
        fprintf(stderr, "\ncannot load %s: %s\n", path, clmlp_last_error());
    }
    clmlp_model_free(m);
    clmlp_backend_free(be);
    return p;
}

/* max |a - b| / max(1, max |b|) of two model files' parameters. */
static double model_distance(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    float *pa = params_of(a, &na), *pb = params_of(b, &nb);
    double d = INFINITY;
    if (pa && pb && na == nb) {
        double big = 1.0, err = 0.0;
        for (size_t i = 0; i < na; i++) {
            if (fabs(pb[i]) > big) big = fabs(pb[i]);
            if (fabs(pa[i] - pb[i]) > err) err = fabs(pa[i] - pb[i]);
        }
        d = err / big;
    }
    free(pa);
    free(pb);
    return d;
}

/* One process and two train the same model: tol is the bound on the
 * parameters' distance.  args: everything but --save. */
static void same_model(const char *backend, const char *args, double tol)
{
    char one[4096], two[4096];
    const char *m1 = test_temp_path("one.clmlp"), *m2 = test_temp_path("two.clmlp");
    remove(m1);
    remove(m2);
    snprintf(one, sizeof one, "train --train %s --backend %s %s --save %s", g_train, backend, args,
             m1);
    snprintf(two, sizeof two, "train --train '%s' --backend %s %s --save '%s'", g_train, backend,
             args, m2);
    char out[1 << 14];
    int rc1 = test_run_tool_checked(one, out, sizeof out);
    if (rc1) fprintf(stderr, "\n%s\n", out);
    CU_ASSERT_EQUAL_FATAL(rc1, 0);
    CU_ASSERT_EQUAL_FATAL(mpi_train(2, NULL, two), 0);
    CU_ASSERT(test_output_has(g_log, "the 2 ranks held the same parameters after every epoch"));
    double d = model_distance(m1, m2);
    if (!(d <= tol)) fprintf(stderr, "\n%s %s: distance %g > %g\n", backend, args, d, tol);
    CU_ASSERT(d <= tol);
}

/* The options of the comparisons: momentum and dropout, Adam with L2, and
 * early stopping on held-out rows; batch 33 divides neither the 1000 rows
 * nor between 2 ranks (16 + 17 rows; the last batch of 10 rows, 5 + 5). */
static const char *const CONFIGS[] = {
    "--layers 2,8:tanh,dropout:0.3,1:sigmoid --loss binary_crossentropy --lr 0.5 --momentum 0.9 "
    "--batch-size 33 --epochs 5 --seed 3",
    "--layers 2,6:relu,6:tanh,2:softmax --optimizer adam --lr 0.01 --l2 1e-3 --batch-size 33 "
    "--epochs 4 --seed 5",
    "--layers 2,8:sigmoid,1:sigmoid --loss binary_crossentropy --lr 2 --batch-size 33 --epochs 30 "
    "--validation-split 0.2 --early-stop-patience 2 --seed 7",
};

/* On the reference backend the sums are in double, and the two runs' only
 * difference is the order of adding two halves of each gradient sum:
 * about 1e-16 relative, which can flip the rounding of a weight to the
 * float32 of the model file by one unit in the last place: 2^-23 relative
 * (1.2e-7), the bound. */
static void test_ref_same_model(void)
{
    for (size_t i = 0; i < sizeof CONFIGS / sizeof CONFIGS[0]; i++)
        same_model("ref", CONFIGS[i], 1.2e-7);
}

/* In float32 each gradient sum is rounded differently (split in two and
 * added, against added in one run): about 2^-24 relative per step, which
 * training carries on -- momentum and a large lr grow it -- over the
 * 150-900 steps here.  Measured: 2e-5; the bound 1e-3 leaves room for
 * other BLAS blockings, and is still far below what a wrong split, a
 * missing scale or another dropout mask gives (0.01 to 1). */
static void test_cpu_same_model(void)
{
    for (size_t i = 0; i < sizeof CONFIGS / sizeof CONFIGS[0]; i++)
        same_model("cpu", CONFIGS[i], 1e-3);
}

static void test_opencl_same_model(void) { same_model("opencl", CONFIGS[0], 1e-3); }

/* The path a real network takes: TCP, here on loopback. */
static void test_tcp_loopback(void)
{
    char args[4096];
    snprintf(args, sizeof args, "train --train '%s' --backend ref %s --save '%s'", g_train,
             CONFIGS[0], test_temp_path("tcp.clmlp"));
    CU_ASSERT_EQUAL(mpi_train(2,
                              "--mca btl tcp,self --mca btl_tcp_if_include lo "
                              "--mca oob_tcp_if_include lo",
                              args),
                    0);
    CU_ASSERT(test_output_has(g_log, "the 2 ranks held the same parameters after every epoch"));
}

/* The circle set with the last row's label changed. */
static void write_other(void)
{
    FILE *in = fopen(g_train, "r");
    char *text = malloc(1 << 20);
    CU_ASSERT_FATAL(in && text);
    size_t len = fread(text, 1, (1 << 20) - 1, in);
    fclose(in);
    text[len] = '\0';
    char *last = strrchr(text, ',');
    CU_ASSERT_FATAL(last && (last[1] == '0' || last[1] == '1'));
    last[1] = last[1] == '0' ? '1' : '0';
    g_other = test_write_temp("other.csv", text, len);
    free(text);
}

/* Ranks with other data stop before training, naming what differs. */
static void test_other_data_is_refused(void)
{
    write_other();
    char cmd[6000];
    snprintf(cmd, sizeof cmd,
             MPIRUN " -np 1 '%s' train --train '%s' --layers 2,4:tanh,1:sigmoid --epochs 3 "
                    ": -np 1 '%s' train --train '%s' --layers 2,4:tanh,1:sigmoid --epochs 3",
             CLMLP_TOOL, g_train, CLMLP_TOOL, g_other);
    int rc = run_logged(cmd);
    CU_ASSERT(rc != 0);
    if (!test_output_has(g_log, "rank 1 has other training data than rank 0"))
        fprintf(stderr, "\n%s\n", g_log);
    CU_ASSERT(test_output_has(g_log, "rank 1 has other training data than rank 0"));
    CU_ASSERT(!test_output_has(g_log, "epoch 1/3"));
}

/* The milliseconds of the gradients' copies in bench's split of a step
 * ("device<->host copies X"), or -1 when the line is missing. */
static double bench_copy_ms(void)
{
    const char *p = strstr(g_log, "device<->host copies ");
    double ms = -1.0;
    if (!p || sscanf(p + strlen("device<->host copies "), "%lf", &ms) != 1) return -1.0;
    return ms;
}

/* `clmlp bench` under mpirun trains data-parallel and says how much of an
 * epoch the sums took, splits the step into compute, copies, waiting and
 * transfer, and with --scaling gives the efficiencies against one rank.
 * The cpu backend sums the gradients where they lie (no copies); OpenCL
 * copies them through the host. */
static void test_bench_reports_the_allreduce(void)
{
    CU_ASSERT_EQUAL(mpi_train(2, NULL,
                              "bench --backend cpu --workload W1 --epochs 2 --rows 3000 --sgemm 0 "
                              "--scaling"),
                    0);
    CU_ASSERT(test_output_has(g_log, "data-parallel over 2 ranks"));
    CU_ASSERT(test_output_has(g_log, "allreduce_s"));
    CU_ASSERT(test_output_has(g_log, "strong    weak"));
    CU_ASSERT(test_output_has(g_log, "W1   784-100-10"));
    CU_ASSERT(test_output_has(g_log, "waiting for the slowest rank"));
    CU_ASSERT_DOUBLE_EQUAL(bench_copy_ms(), 0.0, 1e-9);
    CU_ASSERT_EQUAL(mpi_train(2, NULL,
                              "bench --backend opencl --workload W1 --epochs 2 --rows 3000 "
                              "--sgemm 0"),
                    0);
    /* Two copies of 318 KB take microseconds at least: printed > 0.000. */
    CU_ASSERT(bench_copy_ms() > 0.0);
}

/* A rank that fails before training (its data file is missing) ends the
 * whole job, naming itself; the other rank does not wait for it. */
static void test_a_failing_rank_ends_the_job(void)
{
    char cmd[6000];
    snprintf(cmd, sizeof cmd,
             MPIRUN " -np 1 '%s' train --train '%s' --layers 2,4:tanh,1:sigmoid --epochs 3 "
                    ": -np 1 '%s' train --train '%s' --layers 2,4:tanh,1:sigmoid --epochs 3",
             CLMLP_TOOL, g_train, CLMLP_TOOL, test_temp_path("no-such-file.csv"));
    double t0 = test_now();
    int rc = run_logged(cmd);
    CU_ASSERT(rc != 0 && rc != 124 && rc != 137); /* not the timeout's */
    CU_ASSERT(test_now() - t0 < 60.0);
    if (!test_output_has(g_log, "rank 1 of 2 failed")) fprintf(stderr, "\n%s\n", g_log);
    CU_ASSERT(test_output_has(g_log, "rank 1 of 2 failed"));
    CU_ASSERT(test_output_has(g_log, "no-such-file.csv"));
}

static void test_batch_smaller_than_the_ranks(void)
{
    char args[2048];
    snprintf(args, sizeof args, "train --train '%s' --layers 2,4:tanh,1:sigmoid --batch-size 1",
             g_train);
    CU_ASSERT(mpi_train(2, NULL, args) != 0);
    CU_ASSERT(test_output_has(g_log, "a batch of 1 rows cannot be shared by 2 processes"));
}

/* A checkpoint of two ranks resumes on one, into the model one process
 * trains straight through (the reference backend's bound, above). */
static void test_resume_on_fewer_ranks(void)
{
    const char *ck = test_temp_path("two-ranks.ckpt"), *m1 = test_temp_path("straight.clmlp");
    const char *m2 = test_temp_path("resumed.clmlp");
    char args[4096];
    snprintf(args, sizeof args,
             "train --train '%s' --backend ref --layers 2,8:tanh,1:sigmoid --loss "
             "binary_crossentropy --lr 0.5 --momentum 0.9 --batch-size 33 --epochs 3 --seed 2 "
             "--checkpoint '%s'",
             g_train, ck);
    CU_ASSERT_EQUAL_FATAL(mpi_train(2, NULL, args), 0);
    TEST_EXPECT_RUN(
        0, NULL, "train --train %s --backend ref --resume %s --epochs 6 --batch-size 33 --save %s",
        g_train, ck, m2);
    TEST_EXPECT_RUN(0, NULL,
                    "train --train %s --backend ref --layers 2,8:tanh,1:sigmoid --loss "
                    "binary_crossentropy --lr 0.5 --momentum 0.9 --batch-size 33 --epochs 6 "
                    "--seed 2 --save %s",
                    g_train, m1);
    double d = model_distance(m1, m2);
    if (!(d <= 1.2e-7)) fprintf(stderr, "\nresumed on one rank: distance %g\n", d);
    CU_ASSERT(d <= 1.2e-7);
}

/* The pid of the process whose environment says it is rank `rank` of a
 * run whose command line holds marker, or 0. */
static pid_t find_rank(const char *marker, int rank)
{
    char cmd[512], line[64];
    snprintf(cmd, sizeof cmd,
             "for p in $(pgrep -f '%s'); do tr '\\0' '\\n' </proc/$p/environ 2>/dev/null | "
             "grep -qx OMPI_COMM_WORLD_RANK=%d && grep -q clmlp /proc/$p/comm && echo $p; done",
             marker, rank);
    FILE *f = popen(cmd, "r");
    pid_t pid = 0;
    if (f && fgets(line, sizeof line, f)) pid = (pid_t)atol(line);
    if (f) pclose(f);
    return pid;
}

/* Sends sig to rank 1 of a long run once its first checkpoint exists;
 * returns the job's exit status (or -1 when it did not end within 60 s)
 * with its output in g_log, and checks that the checkpoint (written by
 * rank 0 after each epoch) still loads. */
static int signal_rank_1(int sig)
{
    const char *ck = test_temp_path("killed.ckpt"), *log = test_temp_path("killed.log");
    char cmd[6000];
    remove(ck);
    snprintf(cmd, sizeof cmd,
             MPIRUN " -np 2 '%s' train --train '%s' --backend cpu --layers 2,64:tanh,1:sigmoid "
                    "--batch-size 2 --epochs 100000 --checkpoint '%s' >'%s' 2>&1 </dev/null",
             CLMLP_TOOL, g_train, ck, log);
    pid_t job = fork();
    if (job == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    CU_ASSERT_FATAL(job > 0);
    /* Wait for the first checkpoint, then kill rank 1. */
    pid_t victim = 0;
    for (int i = 0; i < 600 && !victim; i++) {
        test_sleep_us(100000);
        if (access(ck, R_OK) == 0) victim = find_rank(ck, 1);
    }
    CU_ASSERT_FATAL(victim > 0);
    kill(victim, sig);
    double t0 = test_now();
    int st = 0;
    pid_t done = 0;
    while ((done = waitpid(job, &st, WNOHANG)) == 0 && test_now() - t0 < 60) test_sleep_us(50000);
    double took = test_now() - t0;
    if (done == 0) {
        kill(job, SIGKILL);
        waitpid(job, &st, 0);
    }
    CU_ASSERT(took < 30.0); /* mpirun notices a dead rank at once; seconds, not a hang */
    FILE *f = fopen(log, "rb");
    size_t len = f ? fread(g_log, 1, sizeof g_log - 1, f) : 0;
    g_log[len] = '\0';
    if (f) fclose(f);
    size_t n = 0;
    float *p = params_of(ck, &n);
    CU_ASSERT(p != NULL && n == 2 * 64 + 64 + 64 + 1);
    free(p);
    if (done != job) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A rank killed mid-run ends the whole job, non-zero, within seconds. */
static void test_a_killed_rank_ends_the_job(void)
{
    int rc = signal_rank_1(SIGKILL);
    CU_ASSERT(rc != 0 && rc != -1);
}

/* A rank asked to stop (SIGTERM) stops every rank after the same step:
 * rank 0 rolls the epoch back, writes the checkpoint and says why. */
static void test_a_stopped_rank_stops_them_all(void)
{
    int rc = signal_rank_1(SIGTERM);
    CU_ASSERT_EQUAL(rc, 128 + SIGTERM);
    if (!test_output_has(g_log, "another rank of the job was stopped"))
        fprintf(stderr, "\n%s\n", g_log);
    CU_ASSERT(test_output_has(g_log, "another rank of the job was stopped"));
    CU_ASSERT(test_output_has(g_log, "--checkpoint: the model after epoch"));
}

int main(void)
{
    g_train = test_source_path("data/circle-train.csv");
    static const test_case cases[] = {
        {"2 ranks = 1 rank, reference backend", test_ref_same_model},
        {"2 ranks = 1 rank, cpu", test_cpu_same_model},
        {"2 ranks = 1 rank, opencl", test_opencl_same_model},
        {"over TCP on loopback", test_tcp_loopback},
        {"other data is refused", test_other_data_is_refused},
        {"a batch smaller than the ranks", test_batch_smaller_than_the_ranks},
        {"a failing rank ends the job", test_a_failing_rank_ends_the_job},
        {"bench under mpirun", test_bench_reports_the_allreduce},
        {"a checkpoint of 2 ranks resumes on 1", test_resume_on_fewer_ranks},
        {"a killed rank ends the job", test_a_killed_rank_ends_the_job},
        {"a stopped rank stops them all", test_a_stopped_rank_stops_them_all},
        {NULL, NULL}};
    if (test_add_suite("mpi", cases)) return 1;
    int rc = test_run_all();
    test_remove_temp_dir();
    return rc;
}
