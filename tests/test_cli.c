/* The clmlp command-line tool, run as a separate process: help texts, exit
 * statuses (0 done, 1 runtime error, 2 usage error), messages that name the
 * bad option or file, whole workflows on the reference backend (XOR, the
 * circle set, save -> eval/predict/summary, history, checkpoint and resume,
 * the worked forward pass), the device list, the BLAS kernel switch and
 * the cpu backend's options. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/testing.h"

static char g_data[4096]; /* the source tree's data/ */

/* Whether the last output contains needle; prints the output when not. */
static int out_has(const char *needle) { return test_output_has(test_out, needle); }

/* A path in the scratch directory (short, for the many command lines). */
static const char *tmp(const char *name) { return test_temp_path(name); }

/* The number after `key` in the last output, or -1. */
static double value_after(const char *key)
{
    const char *p = strstr(test_out, key);
    return p ? strtod(p + strlen(key), NULL) : -1.0;
}

/* Lines in a file, or -1 if it cannot be read. */
static long count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long n = 0;
    int c;
    while ((c = fgetc(f)) != EOF)
        if (c == '\n') n++;
    fclose(f);
    return n;
}

/* ---- help, commands and options ----------------------------------------- */

/* Every subcommand's --help exits 0 and names its options. */
static void test_help(void)
{
    TEST_EXPECT_RUN(0, "train", "--help");
    CU_ASSERT(out_has("predict") && out_has("forward") && out_has("devices"));
    TEST_EXPECT_RUN(0, "clmlp ", "--version");
    TEST_EXPECT_RUN(2, "usage", "%s", "");
    TEST_EXPECT_RUN(0, "--epochs", "help train");

    static const char *const train_opts[] = {"--train",
                                             "--test",
                                             "--label-col",
                                             "--dataset",
                                             "--data-dir",
                                             "--scale",
                                             "--layers",
                                             "--loss",
                                             "--optimizer",
                                             "--lr",
                                             "--momentum",
                                             "--nesterov",
                                             "--l2",
                                             "--epochs",
                                             "--batch-size",
                                             "--seed",
                                             "--no-shuffle",
                                             "--validation-split",
                                             "--validate-on-test",
                                             "--backend",
                                             "--platform",
                                             "--device",
                                             "--save",
                                             "--history",
                                             "--checkpoint",
                                             "--resume",
                                             "--quiet",
                                             NULL};
    TEST_EXPECT_RUN(0, "usage: clmlp train", "train --help");
    for (const char *const *o = train_opts; *o; o++) CU_ASSERT(out_has(*o));
    CU_ASSERT(out_has("default: 10") && out_has("default: 32") && out_has("default: sgd"));

    TEST_EXPECT_RUN(0, "usage: clmlp eval", "eval --help");
    CU_ASSERT(out_has("--model") && out_has("--data") && out_has("--misclassified") &&
              out_has("--batch-size") && out_has("--backend"));
    TEST_EXPECT_RUN(0, "usage: clmlp predict", "predict --help");
    CU_ASSERT(out_has("--model") && out_has("--data") && out_has("--no-labels") &&
              out_has("--output") && out_has("--dump-layer") && out_has("--label-col"));
    TEST_EXPECT_RUN(0, "usage: clmlp summary", "summary --help");
    CU_ASSERT(out_has("--layers") && out_has("--model") && out_has("--weights"));
    TEST_EXPECT_RUN(0, "usage: clmlp forward", "forward --help");
    CU_ASSERT(out_has("--weights") && out_has("--input") && out_has("--input-file"));
    TEST_EXPECT_RUN(0, "usage: clmlp devices", "devices --help");
    TEST_EXPECT_RUN(0, "usage: clmlp gradcheck", "gradcheck --help");
}

/* Unknown commands and options, missing values, stray words: exit 2. */
static void test_usage_errors(void)
{
    TEST_EXPECT_RUN(2, "unknown command 'nosuch'", "nosuch");
    TEST_EXPECT_RUN(2, "unknown option '--nosuch'", "train --dataset xor --nosuch");
    TEST_EXPECT_RUN(2, "unknown option '--frobnicate'", "eval --frobnicate");
    TEST_EXPECT_RUN(2, "'--epochs' needs a value", "train --dataset xor --epochs");
    TEST_EXPECT_RUN(2, "'--quiet=1' takes no value", "train --dataset xor --quiet=1");
    TEST_EXPECT_RUN(2, "unexpected argument 'extra'", "train --dataset xor extra");
    TEST_EXPECT_RUN(2, "--dataset must be", "train --dataset nosuch");
    TEST_EXPECT_RUN(2, "--backend must be", "train --dataset xor --backend cuda");
    TEST_EXPECT_RUN(2, "--optimizer must be", "train --dataset xor --optimizer rmsprop");
    TEST_EXPECT_RUN(2, "--loss must be", "train --dataset xor --loss hinge");
    TEST_EXPECT_RUN(2, "--scale must be", "train --dataset mnist --scale 255");
    TEST_EXPECT_RUN(2, "no data", "train --backend ref");
    TEST_EXPECT_RUN(2, "not both", "train --dataset xor --train x.csv");
    TEST_EXPECT_RUN(2, "exclude each other",
                    "train --dataset xor --validation-split 0.5 --validate-on-test");
    TEST_EXPECT_RUN(2, "--validate-on-test needs a test set",
                    "train --train x.csv --validate-on-test");
    TEST_EXPECT_RUN(2, "--momentum and --nesterov apply to --optimizer sgd",
                    "train --dataset xor --optimizer adam --momentum 0.9");
    TEST_EXPECT_RUN(2, "--nesterov needs --momentum", "train --dataset xor --nesterov");
    TEST_EXPECT_RUN(2, "--model FILE is required", "eval --dataset xor");
    TEST_EXPECT_RUN(2, "--model FILE is required", "predict --dataset xor");
    TEST_EXPECT_RUN(2, "exactly one of", "summary");
    TEST_EXPECT_RUN(2, "either --weights", "forward --input 1,2");
    TEST_EXPECT_RUN(2, "either --input", "forward --weights w.txt");
    /* Options that would be ignored without a word. */
    TEST_EXPECT_RUN(2, "--threads 1000: at most 256", "train --dataset xor --threads 1000");
    TEST_EXPECT_RUN(2, "asks for 99999999999999 units, more than the 999999999",
                    "train --dataset xor --layers 2,99999999999999:relu,1:sigmoid");
    TEST_EXPECT_RUN(2, "but --backend ref computes on one",
                    "train --dataset xor --backend ref --threads 2");
    TEST_EXPECT_RUN(1, "--seed is not used with --resume",
                    "train --dataset xor --resume no-such.model --seed 3");
}

/* Every malformed number is refused with the option and value named. */
static void test_bad_numbers(void)
{
    static const struct {
        const char *args, *needle;
    } cases[] = {
        {"train --dataset xor --epochs 0", "--epochs must be a whole number >= 1, got '0'"},
        {"train --dataset xor --epochs abc", "--epochs must be a whole number >= 1, got 'abc'"},
        {"train --dataset xor --epochs ''", "--epochs must be a whole number >= 1, got ''"},
        {"train --dataset xor --epochs -3", "--epochs must be a whole number >= 1, got '-3'"},
        {"train --dataset xor --epochs 2.5", "--epochs must be a whole number >= 1, got '2.5'"},
        {"train --dataset xor --epochs ' 3'", "--epochs must be a whole number >= 1, got ' 3'"},
        {"train --dataset xor --epochs 99999999999999999999999", "--epochs must be"},
        {"train --dataset xor --batch-size 0", "--batch-size must be a whole number >= 1, got '0'"},
        {"train --dataset xor --batch-size 8x",
         "--batch-size must be a whole number >= 1, got '8x'"},
        {"train --dataset xor --lr 0", "--lr must be a number > 0, got '0'"},
        {"train --dataset xor --lr -3", "--lr must be a number > 0, got '-3'"},
        {"train --dataset xor --lr abc", "--lr must be a number > 0, got 'abc'"},
        {"train --dataset xor --lr ''", "--lr must be a number > 0, got ''"},
        {"train --dataset xor --lr nan", "--lr must be a number > 0, got 'nan'"},
        {"train --dataset xor --lr inf", "--lr must be a number > 0, got 'inf'"},
        {"train --dataset xor --lr 1e999", "--lr must be a number > 0, got '1e999'"},
        {"train --dataset xor --momentum 1", "--momentum must be a number in [0, 1), got '1'"},
        {"train --dataset xor --momentum -0.1",
         "--momentum must be a number in [0, 1), got '-0.1'"},
        {"train --dataset xor --l2 -1", "--l2 must be a number >= 0, got '-1'"},
        {"train --dataset xor --seed -1", "--seed must be a whole number"},
        {"train --dataset xor --seed x", "--seed must be a whole number"},
        {"train --dataset xor --validation-split 0",
         "--validation-split must be a number in (0, 1), got '0'"},
        {"train --dataset xor --validation-split 1",
         "--validation-split must be a number in (0, 1), got '1'"},
        {"train --train x.csv --label-col abc", "--label-col must be a whole number"},
        {"eval --model m --dataset xor --misclassified x",
         "--misclassified must be a whole number >= 0, got 'x'"},
        {"eval --model m --dataset xor --batch-size 0",
         "--batch-size must be a whole number >= 1, got '0'"},
        {"predict --model m --dataset xor --dump-layer -1",
         "--dump-layer must be a whole number >= 0, got '-1'"},
        {"forward --weights w.txt --input 1,x,3",
         "--input: item 2 of '1,x,3' ('x') is not a number"},
        {"forward --weights w.txt --input ''", "--input"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        TEST_EXPECT_RUN(2, cases[i].needle, "%s", cases[i].args);
}

/* Layer specs that cannot make a model, or not one for the data: exit 2. */
static void test_bad_layer_specs(void)
{
    static const char *const specs[] = {"''",
                                        "784",
                                        "784,0:relu",
                                        "784,10:nosuch",
                                        "784,-5",
                                        "2,3:relu,junk",
                                        "2,,1:sigmoid",
                                        "2:relu,1:sigmoid",
                                        "2,4:relu:sigmoid:tanh:anything,1:sigmoid",
                                        "2,dropout:1,1:sigmoid",
                                        "2,dropout:-0.5,1:sigmoid",
                                        "2,dropout,1:sigmoid",
                                        NULL};
    for (const char *const *s = specs; *s; s++) {
        TEST_EXPECT_RUN(2, "--layers", "train --dataset xor --backend ref --layers %s", *s);
        TEST_EXPECT_RUN(2, "--layers", "summary --layers %s", *s);
    }
    /* An unknown activation is named, with the known ones listed. */
    TEST_EXPECT_RUN(2, "unknown activation 'rleu'",
                    "train --dataset xor --backend ref --layers 2,2:rleu,1:sigmoid");
    CU_ASSERT(out_has("relu") && out_has("step") && out_has("softmax"));
    TEST_EXPECT_RUN(2, "[0, 1)",
                    "train --dataset xor --backend ref --layers 2,dropout:1.0,1:sigmoid");
    TEST_EXPECT_RUN(2, "takes 3 inputs, but the xor training set has 2 features",
                    "train --dataset xor --backend ref --layers 3,4:relu,1:sigmoid");
    test_write_temp_text("three-classes.csv", "1,2,0\n3,4,2\n5,6,1\n");
    TEST_EXPECT_RUN(2, "single output unit",
                    "train --train '%s' --backend ref --layers 2,1:sigmoid",
                    tmp("three-classes.csv"));
    TEST_EXPECT_RUN(2, "needs at least 2 output units",
                    "train --dataset xor --backend ref --layers 2,1:softmax");
}

/* Malformed CSV files: a message naming the file and the problem, exit 1
 * (the data is wrong) or 2 (labels the layer spec cannot hold), no crash. */
static void test_bad_csv(void)
{
    test_write_temp_text("ragged.csv", "1,2,0\n3,4\n");
    test_write_temp_text("text.csv", "1,2,0\n3,abc,1\n");
    test_write_temp_text("empty.csv", "");
    test_write_temp_text("labels.csv", "1,2,0\n3,4,4\n5,6,1\n");
    test_write_temp_text("fraction.csv", "1,2,0.5\n");
    test_write_temp_text("good.csv", "1,2,0\n3,4,1\n");
    test_write_temp_text("wide.csv", "1,2,3,0\n3,4,5,1\n");
    TEST_EXPECT_RUN(1, "ragged.csv:2", "train --train '%s' --backend ref", tmp("ragged.csv"));
    TEST_EXPECT_RUN(1, "text.csv:2", "train --train '%s' --backend ref", tmp("text.csv"));
    CU_ASSERT(out_has("abc"));
    TEST_EXPECT_RUN(1, "empty.csv", "train --train '%s' --backend ref", tmp("empty.csv"));
    /* Lines that end with CR alone (old Mac files): said so, not read as
     * one long line; CR LF reads. */
    test_write_temp_text("cr.csv", "a,b,label\r0,0,0\r0,1,1\r1,0,1\r1,1,0\r");
    TEST_EXPECT_RUN(1, "cr.csv:1: a carriage return", "train --train '%s' --backend ref",
                    tmp("cr.csv"));
    CU_ASSERT(out_has("end with CR alone"));
    test_write_temp_text("crlf.csv", "a,b,label\r\n0,0,0\r\n0,1,1\r\n1,0,1\r\n1,1,0\r\n");
    TEST_EXPECT_RUN(0, NULL, "train --train '%s' --backend ref --epochs 1 -q", tmp("crlf.csv"));
    /* A fraction is no class: refused when classes are asked for, and read
     * as a regression's value (saying so) when the task is left to the
     * data. */
    TEST_EXPECT_RUN(1, "fraction.csv:1", "train --train '%s' --backend ref --task classification",
                    tmp("fraction.csv"));
    TEST_EXPECT_RUN(0, "holds values, not classes: a regression of 1 target",
                    "train --train '%s' --backend ref --epochs 2", tmp("fraction.csv"));
    TEST_EXPECT_RUN(2, "label 4", "train --train '%s' --backend ref --layers 2,3:softmax",
                    tmp("labels.csv"));
    CU_ASSERT(out_has("labels.csv"));
    TEST_EXPECT_RUN(1, "no-such-file.csv", "train --train '%s' --backend ref",
                    tmp("no-such-file.csv"));
    TEST_EXPECT_RUN(1, "features per row", "train --train '%s' --test '%s' --backend ref",
                    tmp("good.csv"), tmp("wide.csv"));
    TEST_EXPECT_RUN(1, "ragged.csv:2",
                    "forward --weights '%s/forward-task.txt' --input-file '%s' "
                    "--backend ref",
                    g_data, tmp("ragged.csv"));
    TEST_EXPECT_RUN(1, "text.csv:2", "predict --model m --data '%s' --no-labels --backend ref",
                    tmp("text.csv"));
    /* forward counts a bad cell's column from 0, as the data reader does
     * (it said "column 2" for the second cell). */
    test_write_temp_text("cell.csv", "1,2,3,4\n5,x,7,8\n");
    TEST_EXPECT_RUN(1, "cell.csv:2: column 1 (0-based): 'x' is not a number",
                    "forward --weights '%s/forward-task.txt' --input-file '%s' --backend ref",
                    g_data, tmp("cell.csv"));
}

/* ---- workflows on the reference backend ---------------------------------- */

/* The worked forward pass: every layer, and the output 0.664001. */
static void test_forward(void)
{
    TEST_EXPECT_RUN(0, "output",
                    "forward --weights '%s/forward-task.txt' --input 1,-4,0,7 "
                    "--backend ref",
                    g_data);
    CU_ASSERT(out_has("0.664001"));
    CU_ASSERT(out_has("layer 0") && out_has("layer 1") && out_has("layer 2"));
    CU_ASSERT(out_has("0.975873") && out_has("0.570561"));
    test_write_temp_text("inputs.csv", "a,b,c,d\n1,-4,0,7\n0,0,0,0\n");
    TEST_EXPECT_RUN(0, "row 1",
                    "forward --weights '%s/forward-task.txt' --input-file '%s' "
                    "--backend ref",
                    g_data, tmp("inputs.csv"));
    CU_ASSERT(out_has("0.664001"));
    TEST_EXPECT_RUN(2, "takes 4 inputs",
                    "forward --weights '%s/forward-task.txt' --input 1,2 "
                    "--backend ref",
                    g_data);
    test_write_temp_text("bad-weights.txt", "input 2\ndense 2 relu\n1 2\n");
    TEST_EXPECT_RUN(1, "bad-weights.txt:3", "forward --weights '%s' --input 1,2 --backend ref",
                    tmp("bad-weights.txt"));
    TEST_EXPECT_RUN(0, "Total params: 28", "summary --weights '%s/forward-task.txt'", g_data);
}

/* The outputs `clmlp forward` printed, in order, as a string of 0s and 1s
 * (the step unit's outputs print as 0.000000 or 1.000000). */
static const char *step_outputs(char *buf, size_t size)
{
    size_t k = 0;
    for (const char *p = test_out; (p = strstr(p, "output")) && k + 1 < size; p += 6) {
        double v = strtod(p + 6, NULL);
        buf[k++] = v == 1.0 ? '1' : v == 0.0 ? '0' : '?';
    }
    buf[k] = '\0';
    return buf;
}

/* McCulloch-Pitts gates and the course's perceptron, written by hand with
 * step units (data/gates/), run by forward; training a step unit is
 * refused, saying why. */
static void test_step_units(void)
{
    static const struct {
        const char *file, *inputs, *want;
    } cases[] = {{"and", "inputs2", "0001"},
                 {"or", "inputs2", "0111"},
                 {"nor", "inputs2", "1000"},
                 {"perceptron", "perceptron-points", "10101"}};
    char got[16];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TEST_EXPECT_RUN(0, "output",
                        "forward --weights '%s/gates/%s.txt' --input-file '%s/gates/%s.csv' "
                        "--backend ref",
                        g_data, cases[i].file, g_data, cases[i].inputs);
        CU_ASSERT_STRING_EQUAL(step_outputs(got, sizeof got), cases[i].want);
        TEST_EXPECT_RUN(0, "output",
                        "forward --weights '%s/gates/%s.txt' --input-file '%s/gates/%s.csv' "
                        "--backend cpu",
                        g_data, cases[i].file, g_data, cases[i].inputs);
        CU_ASSERT_STRING_EQUAL(step_outputs(got, sizeof got), cases[i].want);
    }
    TEST_EXPECT_RUN(1, "zero gradient",
                    "train --dataset xor --backend ref --layers 2,2:step,1:sigmoid");
    CU_ASSERT(out_has("layer 1"));
    /* ... but Rosenblatt's rule trains one layer of them. */
    TEST_EXPECT_RUN(
        0, "test accuracy 1.0000",
        "train --train '%s/gates/perceptron-train.csv' --test '%s/gates/perceptron-train.csv' "
        "--layers 2,1:step --optimizer perceptron --epochs 30 --batch-size 1 "
        "--backend cpu",
        g_data, g_data);
    TEST_EXPECT_RUN(2, "--momentum",
                    "train --dataset xor --backend ref --layers 2,1:step "
                    "--optimizer perceptron --momentum 0.5");
}

/* XOR with the reference backend gets all four rows right, and the saved
 * model predicts them. */
static void test_xor(void)
{
    TEST_EXPECT_RUN(
        0, "test accuracy 1.0000",
        "train --dataset xor --backend ref --layers 2,8:tanh,1:sigmoid --optimizer adam "
        "--lr 0.05 --epochs 200 --batch-size 4 --save '%s'",
        tmp("xor.model"));
    CU_ASSERT(out_has("epoch 200/200"));
    CU_ASSERT(out_has("Total params"));
    TEST_EXPECT_RUN(0, NULL, "predict --model '%s' --dataset xor --backend ref --output '%s'",
                    tmp("xor.model"), tmp("xor-pred.csv"));
    FILE *f = fopen(tmp("xor-pred.csv"), "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[256];
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
    CU_ASSERT_STRING_EQUAL(line, "index,class,p1\n");
    const int want[4] = {0, 1, 1, 0}; /* XOR of (0,0), (0,1), (1,0), (1,1) */
    for (int i = 0; i < 4; i++) {
        int index = -1, cls = -1;
        CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
        CU_ASSERT_EQUAL(sscanf(line, "%d,%d", &index, &cls), 2);
        CU_ASSERT_EQUAL(index, i);
        CU_ASSERT_EQUAL(cls, want[i]);
    }
    fclose(f);
}

/* The circle set reaches at least 95% test accuracy. */
static void test_circle(void)
{
    TEST_EXPECT_RUN(0, "test accuracy",
                    "train --dataset circle --data-dir '%s' --backend ref "
                    "--optimizer adam --lr 0.01 --epochs 200 --quiet",
                    g_data);
    double acc = value_after("test accuracy ");
    if (!(acc >= 0.95)) fprintf(stderr, "\ncircle test accuracy %g < 0.95\n", acc);
    CU_ASSERT(acc >= 0.95);
}

/* Without --data-dir the shipped sets are found from any working
 * directory (here the scratch folder, which has no data/): the source
 * tree's data/ is searched after ./data.  A --data-dir that lacks the set
 * names the file and says how to make it. */
static void test_data_found_anywhere(void)
{
    char here[4096];
    CU_ASSERT_FATAL(getcwd(here, sizeof here) != NULL);
    CU_ASSERT_EQUAL_FATAL(chdir(test_temp_dir("cli")), 0);
    TEST_EXPECT_RUN(0, "test accuracy", "train --dataset circle --backend ref --epochs 1 -q");
    TEST_EXPECT_RUN(1, "tools/make-circle --out nowhere",
                    "train --dataset circle "
                    "--data-dir nowhere --backend ref --epochs 1 -q");
    CU_ASSERT(test_output_has(test_out, "nowhere/circle-train.csv"));
    CU_ASSERT_EQUAL(chdir(here), 0);
}

/* OpenCL settings from the environment matter only to a backend that may
 * be OpenCL: a bad CLMLP_QUEUE_WINDOW stops an opencl run, naming the
 * variable, and does not stop a ref run. */
static void test_opencl_env_scope(void)
{
    CU_ASSERT_EQUAL_FATAL(setenv("CLMLP_QUEUE_WINDOW", "abc", 1), 0);
    TEST_EXPECT_RUN(0, "test accuracy", "train --dataset xor --backend ref --epochs 1 -q");
    TEST_EXPECT_RUN(1, "CLMLP_QUEUE_WINDOW", "train --dataset xor --backend opencl --epochs 1 -q");
    CU_ASSERT_EQUAL(unsetenv("CLMLP_QUEUE_WINDOW"), 0);
}

/* A CSV model saved by train works with eval, predict (also --dump-layer
 * and --no-labels) and summary; --history has one line per epoch. */
static void test_save_and_reuse(void)
{
    const char *train = "train --train '%s/circle-train.csv' --test '%s/circle-test.csv' "
                        "--backend ref --layers 2,8:tanh,1:sigmoid --optimizer adam --lr 0.02 "
                        "--epochs 5 --validation-split 0.2 --save '%s' --history '%s'";
    TEST_EXPECT_RUN(0, "val_accuracy", train, g_data, g_data, tmp("c.model"), tmp("hist.csv"));
    CU_ASSERT(out_has("epoch 5/5") && out_has("test loss"));
    CU_ASSERT_EQUAL(count_lines(tmp("hist.csv")), 6); /* header + 5 epochs */
    TEST_EXPECT_RUN(0, NULL, "train --dataset xor --backend ref --epochs 3 --history '%s' --quiet",
                    tmp("hist.json"));
    FILE *j = fopen(tmp("hist.json"), "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    size_t n = fread(test_out, 1, sizeof test_out - 1, j);
    test_out[n] = '\0';
    fclose(j);
    CU_ASSERT(out_has("{\"epochs\": [") && out_has("\"epoch\": 3,") &&
              out_has("\"val_loss\": null"));

    TEST_EXPECT_RUN(0, "confusion matrix",
                    "eval --model '%s' --data '%s/circle-test.csv' "
                    "--backend ref --misclassified 3",
                    tmp("c.model"), g_data);
    CU_ASSERT(out_has("accuracy") && out_has("misclassified"));
    TEST_EXPECT_RUN(0, "Total params: 33", "summary --model '%s'", tmp("c.model"));
    TEST_EXPECT_RUN(0, "Total params: 33", "summary --layers 2,8:tanh,1:sigmoid");

    TEST_EXPECT_RUN(0, NULL,
                    "predict --model '%s' --data '%s/circle-test.csv' --backend ref "
                    "-o '%s'",
                    tmp("c.model"), g_data, tmp("pred.csv"));
    CU_ASSERT_EQUAL(count_lines(tmp("pred.csv")), 501); /* header + 500 rows */
    TEST_EXPECT_RUN(0, NULL,
                    "predict --model '%s' --data '%s/circle-test.csv' --backend ref "
                    "--dump-layer 0 --output '%s'",
                    tmp("c.model"), g_data, tmp("layer0.csv"));
    FILE *f = fopen(tmp("layer0.csv"), "r");
    char line[256] = "";
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL(fgets(line, sizeof line, f));
    fclose(f);
    CU_ASSERT_STRING_EQUAL(line, "index,a0,a1,a2,a3,a4,a5,a6,a7\n");
    TEST_EXPECT_RUN(2, "--dump-layer 2",
                    "predict --model '%s' --data '%s/circle-test.csv' "
                    "--backend ref --dump-layer 2",
                    tmp("c.model"), g_data);
    test_write_temp_text("features.csv", "0.5,0.5\n0.0,0.0\n");
    TEST_EXPECT_RUN(0, "index,class,p1",
                    "predict --model '%s' --data '%s' --no-labels --backend ref", tmp("c.model"),
                    tmp("features.csv"));
    test_write_temp_text("three.csv", "1,2,3,0\n3,4,5,1\n");
    TEST_EXPECT_RUN(2, "takes 2 inputs", "eval --model '%s' --data '%s' --backend ref",
                    tmp("c.model"), tmp("three.csv"));
    TEST_EXPECT_RUN(1, "missing.model", "eval --model '%s' --dataset xor --backend ref",
                    tmp("missing.model"));
}

/* --checkpoint saves every epoch; --resume continues the numbering up to
 * the total given by --epochs. */
static void test_checkpoint_resume(void)
{
    TEST_EXPECT_RUN(0, "epoch 3/3",
                    "train --dataset xor --backend ref --epochs 3 --checkpoint '%s'",
                    tmp("ck.model"));
    CU_ASSERT_EQUAL(access(tmp("ck.model"), R_OK), 0);
    TEST_EXPECT_RUN(0, "epoch 4/5",
                    "train --dataset xor --backend ref --epochs 5 --resume '%s' "
                    "--checkpoint '%s'",
                    tmp("ck.model"), tmp("ck.model"));
    CU_ASSERT(out_has("epoch 5/5"));
    CU_ASSERT(strstr(test_out, "epoch 1/5") == NULL);
    CU_ASSERT(strstr(test_out, "epoch 3/5") == NULL);
    TEST_EXPECT_RUN(0, "already", "train --dataset xor --backend ref --epochs 5 --resume '%s'",
                    tmp("ck.model"));
    TEST_EXPECT_RUN(2, "--resume continues",
                    "train --dataset xor --backend ref --resume '%s' "
                    "--layers 2,2:relu,1:sigmoid",
                    tmp("ck.model"));
}

/* devices lists the cpu backend with its BLAS (there is always one), then
 * OpenCL's devices or what to install for them; it never crashes. */
static void test_devices(void)
{
    TEST_EXPECT_RUN(0, "cpu backend (--backend cpu", "devices");
    CU_ASSERT(out_has("BLAS: ") && out_has(", kernels ") && out_has(" thread"));
    CU_ASSERT(out_has("OpenCL (--backend opencl):"));
    TEST_EXPECT_RUN(2, "unexpected argument", "devices extra");
}

/* The tool runs the newest BLAS kernels the CPU supports without being
 * told: when the BLAS by itself (CLMLP_NO_BLAS_FIX=1) picks older ones
 * than the CPU runs, the tool's own run says it switched, and never warns
 * of old kernels.  A user's own OPENBLAS_CORETYPE wins, so with it set in
 * this environment only the first half is checked (tests leave it alone). */
static void test_blas_kernels(void)
{
    TEST_EXPECT_RUN(0, "BLAS: ", "devices");
    char with_fix[sizeof test_out];
    snprintf(with_fix, sizeof with_fix, "%s", test_out);
    const char *user = getenv("OPENBLAS_CORETYPE");
    if (user && *user) {
        printf("\n  (OPENBLAS_CORETYPE=%s is set here: the user's choice is kept)\n", user);
        return;
    }
    CU_ASSERT_PTR_NULL(strstr(with_fix, "warning: these kernels are older"));
    CU_ASSERT_EQUAL_FATAL(setenv("CLMLP_NO_BLAS_FIX", "1", 1), 0);
    TEST_EXPECT_RUN(0, "BLAS: ", "devices");
    unsetenv("CLMLP_NO_BLAS_FIX");
    if (out_has("warning: these kernels are older")) {
        /* The BLAS alone chose badly: the tool must have switched. */
        CU_ASSERT_PTR_NOT_NULL(strstr(with_fix, "clmlp runs with OPENBLAS_CORETYPE="));
        const char *line = strstr(with_fix, "BLAS: ");
        printf("\n  (by itself: %.60s...; by the tool: %.60s...)\n", strstr(test_out, "BLAS: "),
               line ? line : "?");
    } else {
        printf("\n  (the BLAS chose this CPU's newest kernels by itself)\n");
        CU_ASSERT_PTR_NULL(strstr(with_fix, "clmlp runs with"));
    }
}

/* The cpu backend from the command line: --backend cpu, --threads, and
 * gradcheck comparing it op by op with the reference. */
static void test_cpu_backend(void)
{
    TEST_EXPECT_RUN(0, "test accuracy 1.0000",
                    "train --dataset xor --backend cpu --threads 1 --layers 2,8:tanh,1:sigmoid "
                    "--optimizer adam --lr 0.05 --epochs 300 --batch-size 4 --quiet");
    TEST_EXPECT_RUN(2, "--threads", "train --dataset xor --backend cpu --threads 0");
    TEST_EXPECT_RUN(2, "--backend must be ref, cpu, opencl or default",
                    "train --dataset xor --backend gpu");
    TEST_EXPECT_RUN(0, "no op differs", "gradcheck --backend cpu --layers 5,7:tanh,3:softmax");
}

int main(void)
{
    if (!test_temp_dir("cli")) return 1;
    snprintf(g_data, sizeof g_data, "%s", test_source_path("data"));
    static const test_case cases[] = {
        {"--help of every command", test_help},
        {"usage errors exit 2", test_usage_errors},
        {"bad numbers exit 2 naming the option", test_bad_numbers},
        {"impossible layer specs exit 2", test_bad_layer_specs},
        {"malformed CSV files are reported", test_bad_csv},
        {"forward on data/forward-task.txt", test_forward},
        {"step units: the gates and the perceptron", test_step_units},
        {"xor: all four right, predict agrees", test_xor},
        {"circle: test accuracy >= 0.95", test_circle},
        {"the shipped sets are found from any folder", test_data_found_anywhere},
        {"OpenCL's environment matters only to OpenCL", test_opencl_env_scope},
        {"save, eval, predict, summary, history", test_save_and_reuse},
        {"checkpoint and resume", test_checkpoint_resume},
        {"devices", test_devices},
        {"the BLAS runs this CPU's kernels", test_blas_kernels},
        {"the cpu backend", test_cpu_backend},
        {NULL, NULL},
    };
    int rc = test_add_suite("cli", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
