/* `clmlp train`'s training controls, run as a separate process on the
 * reference backend: every flag in --help, every bad value and impossible
 * combination exits 2 naming the flag, the history's lr column follows the
 * schedule, plateau lowers the lr and says so, and early stopping ends the
 * run, says which epoch it restored, and --save-best holds that epoch. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testing.h"

static const char *tmp(const char *name) { return test_temp_path(name); }

/* The lr column (the last) of a history CSV: up to cap values into lr;
 * returns how many, or -1 when the header is not the expected one. */
static int read_lr_column(const char *path, double *lr, int cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    int n = -1;
    if (fgets(line, sizeof line, f) &&
        strcmp(line, "epoch,loss,accuracy,val_loss,val_accuracy,seconds,lr\n") == 0) {
        n = 0;
        while (n < cap && fgets(line, sizeof line, f)) {
            const char *last = strrchr(line, ',');
            lr[n++] = last ? strtod(last + 1, NULL) : -1.0;
        }
    }
    fclose(f);
    return n;
}

/* The crafted data (as in test_fit_controls): training is x = 1 with label
 * 1, so a one-weight sigmoid unit's p only rises; the "test" set, used as
 * validation, is x = 1 with labels 1, 1, 1, 0, whose loss is least at
 * p = 0.75 and rises for ever once training has passed it.  So val_loss
 * stops improving within a few epochs whatever the initial weight, and
 * plateau and early stopping must act. */
static const char *g_train_csv, *g_val_csv;

/* Writes the crafted CSV files on the first call (inside a test, where
 * CUnit can report a failure). */
static void crafted_files(void)
{
    if (g_train_csv) return;
    g_train_csv = test_write_temp_text("train1.csv", "x,label\n1,1\n");
    g_val_csv = test_write_temp_text("val4.csv", "x,label\n1,1\n1,1\n1,1\n1,0\n");
}
#define CRAFTED                                                                                    \
    "train --train '%s' --test '%s' --validate-on-test --backend ref "                             \
    "--layers 1,1:sigmoid:nobias --lr 1 "

static void test_help_lists_flags(void)
{
    static const char *const flags[] = {"--lr-schedule",
                                        "--lr-factor",
                                        "--lr-step-every",
                                        "--lr-min",
                                        "--lr-patience",
                                        "--lr-min-delta",
                                        "--lr-cooldown",
                                        "--early-stop-patience",
                                        "--early-stop-min-delta",
                                        "--monitor",
                                        "--no-restore-best",
                                        "--save-best",
                                        "none",
                                        "step",
                                        "exp",
                                        "cosine",
                                        "plateau",
                                        "--monitor NAME",
                                        "val_mae",
                                        NULL};
    TEST_EXPECT_RUN(0, "usage: clmlp train", "train --help");
    for (const char *const *f = flags; *f; f++) CU_ASSERT(test_output_has(test_out, *f));
}

static void test_bad_values(void)
{
    /* Each bad value exits 2 with a message naming the flag and the value. */
    static const struct {
        const char *args, *needle;
    } bad[] = {
        {"--lr-schedule linear", "--lr-schedule must be one of none, step, exp, cosine, "
                                 "plateau, got 'linear'"},
        {"--lr-schedule step --lr-factor 0", "--lr-factor must be a number in (0, 1), got '0'"},
        {"--lr-schedule step --lr-factor 1", "--lr-factor must be a number in (0, 1), got '1'"},
        {"--lr-schedule step --lr-factor abc", "--lr-factor must be a number"},
        {"--lr-schedule step --lr-step-every 0", "--lr-step-every must be a whole number >= 1"},
        {"--lr-schedule step --lr-step-every 2.5", "--lr-step-every must be a whole number"},
        {"--lr-schedule exp --lr-min -1", "--lr-min must be a number >= 0, got '-1'"},
        {"--lr-schedule exp --lr-min nan", "--lr-min must be a number >= 0, got 'nan'"},
        {"--lr-schedule plateau --validate-on-test --lr-patience 0",
         "--lr-patience must be a whole number >= 1"},
        {"--lr-schedule plateau --validate-on-test --lr-min-delta -0.1",
         "--lr-min-delta must be a number >= 0"},
        {"--lr-schedule plateau --validate-on-test --lr-cooldown x",
         "--lr-cooldown must be a whole number >= 0"},
        {"--early-stop-patience -1", "--early-stop-patience must be a whole number >= 0, got '-1'"},
        {"--validate-on-test --early-stop-patience 2 --early-stop-min-delta inf",
         "--early-stop-min-delta must be a number >= 0, got 'inf'"},
        {"--validate-on-test --early-stop-patience 2 --monitor accuracy",
         "--monitor must be val_loss, val_accuracy, val_mae or loss, got 'accuracy'"},
        {"--validate-on-test --save-best ''", "--save-best needs a file name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        TEST_EXPECT_RUN(2, bad[i].needle, "train --dataset xor --backend ref %s", bad[i].args);
}

static void test_bad_combinations(void)
{
    /* Watching a val_ metric without validation data: refused before any
     * data is read or trained. */
    TEST_EXPECT_RUN(2, "--early-stop-patience monitors val_loss, which needs validation data",
                    "train --dataset xor --backend ref --early-stop-patience 3");
    TEST_EXPECT_RUN(2, "--early-stop-patience monitors val_accuracy",
                    "train --dataset xor --backend ref --early-stop-patience 3 "
                    "--monitor val_accuracy");
    TEST_EXPECT_RUN(2, "--lr-schedule plateau watches val_loss, which needs validation data",
                    "train --dataset xor --backend ref --lr-schedule plateau");
    TEST_EXPECT_RUN(2, "--save-best keeps the best epoch by val_loss, which needs validation",
                    "train --dataset xor --backend ref --save-best '%s'", tmp("never.model"));
    FILE *never = fopen(tmp("never.model"), "r");
    CU_ASSERT_PTR_NULL(never);
    if (never) fclose(never);
    /* Options of a schedule or control that is not on would do nothing. */
    TEST_EXPECT_RUN(2, "--lr-factor applies to --lr-schedule step, exp or plateau",
                    "train --dataset xor --backend ref --lr-factor 0.5");
    TEST_EXPECT_RUN(2, "--lr-factor applies",
                    "train --dataset xor --backend ref "
                    "--lr-schedule cosine --lr-factor 0.5");
    TEST_EXPECT_RUN(2, "--lr-step-every applies to --lr-schedule step",
                    "train --dataset xor --backend ref --lr-schedule exp --lr-step-every 3");
    TEST_EXPECT_RUN(2, "--lr-patience applies to --lr-schedule plateau",
                    "train --dataset xor --backend ref --lr-schedule step --lr-patience 3");
    TEST_EXPECT_RUN(2, "--lr-min is the floor", "train --dataset xor --backend ref --lr-min 0.1");
    TEST_EXPECT_RUN(2, "--no-restore-best applies with --early-stop-patience",
                    "train --dataset xor --backend ref --validate-on-test --no-restore-best");
    TEST_EXPECT_RUN(2, "--early-stop-min-delta applies with --early-stop-patience",
                    "train --dataset xor --backend ref --validate-on-test "
                    "--early-stop-min-delta 0.1");
    TEST_EXPECT_RUN(2, "--monitor chooses what",
                    "train --dataset xor --backend ref "
                    "--validate-on-test --monitor val_accuracy");
}

static void test_step_history(void)
{
    /* --lr 0.5, step 0.5 every 2, 5 epochs: 0.5, 0.5, 0.25, 0.25, 0.125
     * (powers of two, exact in the file); the epoch line shows the lr. */
    TEST_EXPECT_RUN(0, "epoch 3/5",
                    "train --dataset xor --backend ref --epochs 5 --lr 0.5 "
                    "--lr-schedule step --lr-factor 0.5 --lr-step-every 2 --history '%s'",
                    tmp("step.csv"));
    CU_ASSERT(test_output_has(test_out, "lr 0.25"));
    double lr[8] = {0};
    CU_ASSERT_EQUAL_FATAL(read_lr_column(tmp("step.csv"), lr, 8), 5);
    static const double want[] = {0.5, 0.5, 0.25, 0.25, 0.125};
    for (int e = 0; e < 5; e++) CU_ASSERT_EQUAL(lr[e], want[e]);
    /* Without a schedule the column is there too, the lr throughout. */
    TEST_EXPECT_RUN(0, NULL,
                    "train --dataset xor --backend ref --epochs 2 --lr 0.5 --quiet "
                    "--history '%s'",
                    tmp("plain.csv"));
    CU_ASSERT_EQUAL_FATAL(read_lr_column(tmp("plain.csv"), lr, 8), 2);
    CU_ASSERT(lr[0] == 0.5 && lr[1] == 0.5);
}

static void test_plateau_lowers_lr(void)
{
    crafted_files();
    TEST_EXPECT_RUN(0, "lr lowered from 1 to 0.5",
                    CRAFTED "--epochs 12 --lr-schedule plateau "
                            "--lr-factor 0.5 --lr-patience 1 --history '%s'",
                    g_train_csv, g_val_csv, tmp("plateau.csv"));
    double lr[16] = {0};
    int n = read_lr_column(tmp("plateau.csv"), lr, 16);
    CU_ASSERT_EQUAL_FATAL(n, 12);
    CU_ASSERT_EQUAL(lr[0], 1.0);
    /* Non-increasing, and it reached 0.5 or below. */
    for (int e = 1; e < n; e++) CU_ASSERT(lr[e] <= lr[e - 1]);
    CU_ASSERT(lr[n - 1] <= 0.5);
}

static void test_early_stop_and_save_best(void)
{
    crafted_files();
    TEST_EXPECT_RUN(0, "early stopping after epoch ",
                    CRAFTED "--epochs 40 --early-stop-patience 2 "
                            "--save-best '%s' --save '%s'",
                    g_train_csv, g_val_csv, tmp("best.model"), tmp("final.model"));
    size_t stopped = 0, best = 0;
    char value[32] = "";
    const char *p = strstr(test_out, "early stopping after epoch ");
    CU_ASSERT_FATAL(p != NULL);
    CU_ASSERT_FATAL(sscanf(p,
                           "early stopping after epoch %zu: val_loss has not improved for "
                           "2 epochs; restored epoch %zu (val_loss %31[0-9.])",
                           &stopped, &best, value) == 3);
    CU_ASSERT_EQUAL(stopped, best + 2);
    CU_ASSERT(stopped < 40);
    /* The best epoch's line shows the same val_loss. */
    char line[128];
    snprintf(line, sizeof line, "epoch %zu/40 ", best);
    const char *l = strstr(test_out, line);
    CU_ASSERT_FATAL(l != NULL);
    char want[64];
    snprintf(want, sizeof want, "val_loss %s ", value);
    CU_ASSERT(strstr(l, want) != NULL && strstr(l, want) < strchr(l, '\n'));
    /* Both the --save-best file and the final (restored) model score it:
     * the same weights on the same data and backend, printed to 4 places. */
    char loss[64];
    snprintf(loss, sizeof loss, "loss %s ", value);
    TEST_EXPECT_RUN(0, loss, "eval --model '%s' --data '%s' --backend ref", tmp("best.model"),
                    g_val_csv);
    TEST_EXPECT_RUN(0, loss, "eval --model '%s' --data '%s' --backend ref", tmp("final.model"),
                    g_val_csv);

    /* --no-restore-best: the same stop, the last epoch's weights kept. */
    TEST_EXPECT_RUN(0, "kept the last epoch's weights; the best was epoch",
                    CRAFTED "--epochs 40 "
                            "--early-stop-patience 2 --no-restore-best",
                    g_train_csv, g_val_csv);
    /* --quiet prints no control lines. */
    TEST_EXPECT_RUN(0, NULL, CRAFTED "--epochs 40 --early-stop-patience 2 --quiet", g_train_csv,
                    g_val_csv);
    CU_ASSERT(strstr(test_out, "early stopping") == NULL);
}

int main(void)
{
    if (!test_temp_dir("clictl")) return 1;
    static const test_case cases[] = {
        {"--help lists every control", test_help_lists_flags},
        {"bad values exit 2 naming the flag", test_bad_values},
        {"impossible or idle combinations exit 2", test_bad_combinations},
        {"step schedule: lr column and epoch line", test_step_history},
        {"plateau lowers the lr and says so", test_plateau_lowers_lr},
        {"early stopping, restore and --save-best", test_early_stop_and_save_best},
        {NULL, NULL},
    };
    int rc = test_add_suite("clmlp train controls", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
