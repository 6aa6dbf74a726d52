/* Crash safety: `clmlp train --checkpoint` killed with SIGKILL at seeded
 * random moments, some of them while the checkpoint's temporary file is
 * being written.  After each kill the checkpoint loads and holds at least
 * the epoch before the last one the run printed (at most one lost), and
 * each run resumes from it; at the end a resumed run finishes, and the
 * stale temporary files of the killed writers are gone. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/testing.h"
#include "util/rng.h"

#define KILLS 6
#define ROWS 20000

/* The largest K of "epoch K/" lines in the file (0: none). */
static size_t last_epoch(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t last = 0;
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        size_t k;
        if (sscanf(line, "epoch %zu/", &k) == 1 && k > last) last = k;
    }
    if (f) fclose(f);
    return last;
}

/* Files in the scratch directory whose names hold ".tmp.". */
static int count_temp_files(void)
{
    DIR *d = opendir(test_temp_dir("crash"));
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) n += strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return n;
}

static pid_t spawn(const char *out, char *const *args)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(out, "w", stdout) || dup2(1, 2) < 0) _exit(127);
        execv(CLMLP_TOOL, args);
        _exit(127);
    }
    return pid;
}

static void test_sigkill(void)
{
    /* 20000 circle rows: an epoch takes about 0.1 s, and each checkpoint
     * (270 KB, fsynced) a few ms. */
    size_t cap = (size_t)ROWS * 32 + 64, len = 0;
    char *text = malloc(cap);
    float *v = malloc(2 * ROWS * sizeof *v);
    CU_ASSERT_FATAL(text && v);
    test_fill_uniform(v, 2 * ROWS, -1.0f, 1.0f, 9);
    len += (size_t)snprintf(text, cap, "x,y,label\n");
    for (size_t i = 0; i < ROWS; i++)
        len += (size_t)snprintf(text + len, cap - len, "%.5f,%.5f,%d\n", v[2 * i], v[2 * i + 1],
                                v[2 * i] * v[2 * i] + v[2 * i + 1] * v[2 * i + 1] < 0.5f);
    const char *csv = test_write_temp("crash.csv", text, len);
    free(text);
    free(v);
    const char *ck = test_temp_path("ck.bin"), *out = test_temp_path("run.out");
    char tmp_prefix[4200];
    clmlp_backend_t *be = test_open_backend(CLMLP_BACKEND_REF);
    clmlp_rng rng;
    clmlp_rng_seed(&rng, 20240611);
    size_t done = 0; /* epochs in the checkpoint */
    int during_write = 0;
    for (int k = 0; k < KILLS; k++) {
        char *fresh[] = {"clmlp",        "train",     "--train",
                         (char *)csv,    "--layers",  "2,256:relu,256:relu,1:sigmoid",
                         "--epochs",     "1000",      "--backend",
                         "cpu",          "--threads", "1",
                         "--checkpoint", (char *)ck,  NULL};
        char *resume[] = {"clmlp",     "train",    "--train",      (char *)csv, "--resume",
                          (char *)ck,  "--epochs", "1000",         "--backend", "cpu",
                          "--threads", "1",        "--checkpoint", (char *)ck,  NULL};
        remove(out); /* no earlier run's lines */
        pid_t pid = spawn(out, done ? resume : fresh);
        CU_ASSERT_FATAL(pid > 0);
        snprintf(tmp_prefix, sizeof tmp_prefix, "%s.tmp.%ld", ck, (long)pid);
        double t0 = test_now();
        if (k % 2 == 1) {
            /* Kill while a checkpoint is being written: as soon as this
             * run's temporary file appears after its second epoch line (the
             * one made earlier only checks that the path is writable).  By
             * then epoch 1's checkpoint is whole, so however slow the
             * machine (a sanitizer build), the runs make progress. */
            while (last_epoch(out) < 2 && test_now() - t0 < 20.0) test_sleep_us(1000);
            while (access(tmp_prefix, F_OK) != 0 && test_now() - t0 < 10.0) test_sleep_us(100);
        } else {
            /* Anywhere: set-up, an epoch, a write. */
            test_sleep_us(50000 + (long)clmlp_rng_below(&rng, 600000));
        }
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        CU_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        during_write += access(tmp_prefix, F_OK) == 0;
        size_t printed = last_epoch(out);
        clmlp_model_t *m = NULL;
        if (access(ck, F_OK) == 0) {
            TEST_OK(clmlp_model_load(&m, ck, be));
            done = clmlp_model_epochs_done(m);
            clmlp_model_free(m);
        }
        /* The run printed epoch `printed` (its checkpoint may have been cut
         * short): the checkpoint holds that one or the one before. */
        printf("[kill %d at %.2fs: printed %zu, checkpoint %zu] ", k + 1, test_now() - t0, printed,
               done);
        if (printed) CU_ASSERT(done + 1 >= printed);
    }
    printf("[%d of %d kills left a temporary file] ", during_write, KILLS);
    CU_ASSERT(done >= 1);
    /* A last run resumes and finishes two more epochs, cleaning up. */
    char epochs[32];
    snprintf(epochs, sizeof epochs, "%zu", done + 2);
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --resume '%s' --epochs %s --backend cpu "
                    "--threads 1 --checkpoint '%s'",
                    csv, ck, epochs, ck);
    char first[64];
    snprintf(first, sizeof first, "epoch %zu/%zu", done + 1, done + 2);
    CU_ASSERT(test_output_has(test_out, first));
    CU_ASSERT_EQUAL(count_temp_files(), 0);
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_load(&m, ck, be));
    CU_ASSERT_EQUAL(clmlp_model_epochs_done(m), done + 2);
    clmlp_model_free(m);
    clmlp_backend_free(be);
}

int main(void)
{
    test_temp_dir("crash");
    static const test_case cases[] = {
        {"SIGKILL never costs the checkpoint or more than an epoch", test_sigkill}, {NULL, NULL}};
    if (test_add_suite("crash safety", cases)) return 1;
    int rc = test_run_all();
    test_remove_temp_dir();
    return rc;
}
