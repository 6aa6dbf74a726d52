/* Layer kinds from plugins, through the tool: `--plugin FILE.so` (or a
 * folder of them) makes the example layers (examples/, built into
 * plugins/) usable wherever a layer spec or a model file names them --
 * train on ref, cpu and opencl, then eval, predict, summary, plot and
 * gradcheck -- and a model file naming a kind no plugin provides says
 * which and how to load it.  A plugin that cannot be used stops the
 * command with exit 2, naming the file and the reason, before any data is
 * read. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "support/testing.h"

/* The plugins built beside the tool. */
#define REFLECTION CLMLP_PLUGIN_DIR "/libreflection.so"
#define AFFINE CLMLP_PLUGIN_DIR "/libaffine.so"
/* Plugins that must be refused (tests/plugins/bad_plugin.c). */
#define BAD(name) CLMLP_TEST_PLUGIN_DIR "/lib" name ".so"

/* The circle set, as every command below reads it. */
#define CIRCLE "--dataset circle --data-dir '%s'"

/* Trains the course's network with a reflection layer on backend for a few
 * epochs, saving the model to name in the scratch folder; returns its path. */
static const char *train_reflection(const char *backend, const char *name)
{
    const char *model = test_temp_path(name);
    TEST_EXPECT_RUN(0, "test accuracy",
                    "train --plugin '%s' " CIRCLE " --layers 2,16:tanh,reflection,1:sigmoid "
                    "--lr 0.5 --momentum 0.9 --epochs 3 --backend %s --save '%s' -q",
                    REFLECTION, test_source_path("data"), backend, model);
    return model;
}

static void test_trains_on_every_backend(void)
{
    train_reflection("ref", "ref.bin");
    train_reflection("cpu", "cpu.bin");
    train_reflection("opencl", "opencl.bin");
}

/* The saved model is used by every command that reads models, with the
 * plugin; without it, the message names the kind and --plugin. */
static void test_model_files_name_the_kind(void)
{
    const char *model = train_reflection("cpu", "use.bin");
    const char *data = test_source_path("data");
    TEST_EXPECT_RUN(0, "accuracy", "eval --plugin '%s' --model '%s' " CIRCLE, REFLECTION, model,
                    data);
    TEST_EXPECT_RUN(0, NULL, "predict --plugin '%s' --model '%s' " CIRCLE " -o '%s'", REFLECTION,
                    model, data, test_temp_path("pred.csv"));
    TEST_EXPECT_RUN(0, "reflection_2 (Reflection)", "summary --plugin '%s' --model '%s'",
                    REFLECTION, model);
    TEST_EXPECT_RUN(0, NULL, "plot boundary --plugin '%s' --model '%s' " CIRCLE " -o '%s'",
                    REFLECTION, model, data, test_temp_path("boundary.png"));
    TEST_EXPECT_RUN(1, "of kind 'reflection', which this program does not know",
                    "eval --model '%s' " CIRCLE, model, data);
    CU_ASSERT(test_output_has(test_out, "--plugin FILE.so"));
    TEST_EXPECT_RUN(0, "test accuracy",
                    "train --plugin '%s' --resume '%s' " CIRCLE " --epochs 4 -q", REFLECTION, model,
                    data);
}

/* A folder loads every plugin in it: both example kinds in one network.
 * The same library again -- a file of the folder, or the same file twice --
 * changes nothing. */
static void test_plugin_folder(void)
{
    TEST_EXPECT_RUN(0, "test accuracy",
                    "train --plugin '%s' --plugin '%s' --plugin '%s' " CIRCLE
                    " --layers 2,affine:8,reflection,8:tanh,1:sigmoid --epochs 2 --backend cpu -q",
                    CLMLP_PLUGIN_DIR, AFFINE, AFFINE, test_source_path("data"));
}

/* The student's affine (float code only): gradcheck through the float
 * code on ref (and says so), cpu trains it, opencl refuses it by name. */
static void test_float_only_kind(void)
{
    TEST_EXPECT_RUN(0, "has float code only",
                    "gradcheck --plugin '%s' --layers 3,affine:4,2:linear --loss mse", AFFINE);
    CU_ASSERT(test_output_has(test_out, "ok (bound 2e-03)"));
    TEST_EXPECT_RUN(0, "test accuracy",
                    "train --plugin '%s' " CIRCLE " --layers 2,affine:16,16:tanh,1:sigmoid "
                    "--epochs 2 --backend cpu -q",
                    AFFINE, test_source_path("data"));
    TEST_EXPECT_RUN(1, "layer kind 'affine' has no OpenCL code",
                    "train --plugin '%s' " CIRCLE " --layers 2,affine:16,1:sigmoid "
                    "--epochs 1 --backend opencl",
                    AFFINE, test_source_path("data"));
    CU_ASSERT(test_output_has(test_out, "cl_source"));
    TEST_EXPECT_RUN(0, "reflection", "gradcheck --plugin '%s' --layers 4,reflection,3:softmax",
                    REFLECTION);
    CU_ASSERT(test_output_has(test_out, "ok (bound 1e-06)"));
}

/* Each bad plugin: exit 2 with its file and reason named, before the data
 * (a missing training file, which would be exit 1 naming it) is read. */
static void refused(const char *plugin, const char *why)
{
    TEST_EXPECT_RUN(2, why, "train --plugin '%s' --train /nonexistent/train.csv --layers 2,1",
                    plugin);
    CU_ASSERT(test_output_has(test_out, plugin));
    CU_ASSERT(!strstr(test_out, "train.csv"));
}

static void test_bad_plugins(void)
{
    refused("/nonexistent/libnone.so", "No such file");
    refused(test_write_temp_text("not-a-library.so", "x,y\n1,2\n"), "cannot be loaded");
    refused(CLMLP_SHARED_LIBRARY, "no entry symbol clmlp_plugin_kinds");
    refused(BAD("clash"), "'dense' is built in");
    refused(BAD("twice"), "named 'copy' twice");
    refused(BAD("abi"), "rebuild it");
    refused(BAD("empty"), "lists no layer kinds");
    /* Another plugin's kind of the same name: taken, naming who took it. */
    TEST_EXPECT_RUN(2, "'affine' is already registered by plugin " AFFINE,
                    "train --plugin '%s' --plugin '%s' --train /nonexistent/train.csv", AFFINE,
                    BAD("affine"));
    /* A folder without plugins. */
    const char *empty = test_temp_path("empty");
    CU_ASSERT_EQUAL_FATAL(mkdir(empty, 0700), 0);
    refused(empty, "holds no *.so file");
    /* Every command that takes --plugin says so in its help. */
    const char *commands[] = {"train",     "eval",  "predict", "summary",      "forward",
                              "gradcheck", "bench", "tune",    "plot boundary"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        TEST_EXPECT_RUN(0, "--plugin PATH", "%s --help", commands[i]);
        CU_ASSERT(test_output_has(test_out, "code you choose to run"));
    }
}

int main(void)
{
    static const test_case cases[] = {
        {"trains with a plugin's layer on ref, cpu and opencl", test_trains_on_every_backend},
        {"model files name the kind; every command loads it", test_model_files_name_the_kind},
        {"a folder of plugins", test_plugin_folder},
        {"a kind with float code only", test_float_only_kind},
        {"bad plugins: exit 2, named, before the data", test_bad_plugins},
        {NULL, NULL}};
    if (test_add_suite("plugins through the tool", cases)) return 1;
    int rc = test_run_all();
    test_remove_temp_dir();
    return rc;
}
