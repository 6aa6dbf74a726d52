/* The clmlp tool on CSV files as people have them: an iris-like set (made
 * here, not the real Iris) with species names as labels, trained with the
 * label last or first; eval and predict print the classes by name and map
 * a test file's names through the model's; an unknown class exits 1
 * naming it; --label picks the column by its header (a name no header
 * has exits 2 listing them); tab files are read as they are or with
 * --delimiter; a single sigmoid output's column is class 1's.  A header of
 * numbered columns is no class, and --label never matches a number;
 * --resume reads files through the model's names; a model trained on
 * numbers refuses a file of names; the automatic hold-out keeps them; and
 * long names are drawn whole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/testing.h"

/* Whether the last output contains needle; prints the output when not. */
static int out_has(const char *needle) { return test_output_has(test_out, needle); }

static const char *tmp(const char *name) { return test_temp_path(name); }

/* Three species around three centres, far apart, in a fixed order made by
 * a small generator: label last, comma-separated, with a header (head, or
 * the column names when NULL); and the same rows label first and
 * tab-separated (label_first).  Rows of class skip (0-2; -1 none) are left
 * out. */
static void write_iris_as(const char *name, const char *head, size_t rows, unsigned seed,
                          int label_first, int skip)
{
    static const char *const species[3] = {"setosa", "versicolor", "virginica"};
    static const double centre[3][4] = {
        {5.0, 3.4, 1.5, 0.2}, {5.9, 2.8, 4.3, 1.3}, {6.6, 3.0, 5.6, 2.0}};
    char *text = malloc(rows * 96 + 128);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    size_t k = 0;
    const char *d = label_first ? "\t" : ",";
    if (head)
        k += (size_t)sprintf(text + k, "%s\n", head);
    else if (label_first)
        k += (size_t)sprintf(text + k, "species\tsepal_length\tsepal_width\tpetal_length\t"
                                       "petal_width\n");
    else
        k += (size_t)sprintf(text + k, "sepal_length,sepal_width,petal_length,petal_width,"
                                       "species\n");
    unsigned s = seed;
    for (size_t r = 0; r < rows; r++) {
        /* Rows in a shuffled class order, so files differ in row order. */
        s = s * 1103515245u + 12345u;
        int c = (int)((s >> 16) % 3);
        double v[4];
        for (int j = 0; j < 4; j++) {
            s = s * 1103515245u + 12345u;
            v[j] = centre[c][j] + ((double)((s >> 16) % 21) - 10.0) * 0.01;
        }
        if (c == skip) continue;
        if (label_first) k += (size_t)sprintf(text + k, "%s", species[c]);
        for (int j = 0; j < 4; j++)
            k += (size_t)sprintf(text + k, "%s%.2f", label_first || j ? d : "", v[j]);
        if (!label_first) k += (size_t)sprintf(text + k, ",%s", species[c]);
        text[k++] = '\n';
    }
    text[k] = '\0';
    test_write_temp_text(name, text);
    free(text);
}

static void write_iris(const char *name, size_t rows, unsigned seed, int label_first)
{
    write_iris_as(name, NULL, rows, seed, label_first, -1);
}

static const char *const TRAIN_OPTS =
    "--layers 4,16:relu,3:softmax --optimizer adam --lr 0.02 --epochs 150 --batch-size 16 "
    "--backend ref -q";

/* Train with names, then eval and predict by name; a test file of another
 * row order (and with one class missing) maps through the model's names. */
static void test_train_eval_predict_names(void)
{
    write_iris("iris-train.csv", 90, 1, 0);
    write_iris("iris-test.csv", 30, 7, 0);
    TEST_EXPECT_RUN(0, NULL, "train --train '%s' --test '%s' %s --save '%s'", tmp("iris-train.csv"),
                    tmp("iris-test.csv"), TRAIN_OPTS, tmp("iris.model"));
    TEST_EXPECT_RUN(0, "Classes: setosa, versicolor, virginica", "summary --model '%s'",
                    tmp("iris.model"));
    TEST_EXPECT_RUN(0, "accuracy 1.0000", "eval --model '%s' --data '%s' --backend ref",
                    tmp("iris.model"), tmp("iris-test.csv"));
    CU_ASSERT(out_has("setosa  versicolor   virginica"));
    CU_ASSERT(out_has("\n      setosa"));
    TEST_EXPECT_RUN(0, "index,class,p_setosa,p_versicolor,p_virginica\n",
                    "predict --model '%s' --data '%s' --backend ref", tmp("iris.model"),
                    tmp("iris-test.csv"));
    /* Only virginica rows: class 2 still means virginica. */
    test_write_temp_text("only-virginica.csv",
                         "a,b,c,d,species\n6.6,3.0,5.6,2.0,virginica\n6.5,3.0,5.5,2.1,virginica\n");
    TEST_EXPECT_RUN(0, "accuracy 1.0000", "eval --model '%s' --data '%s' --backend ref",
                    tmp("iris.model"), tmp("only-virginica.csv"));
    TEST_EXPECT_RUN(0, "\n0,virginica,", "predict --model '%s' --data '%s' --backend ref",
                    tmp("iris.model"), tmp("only-virginica.csv"));
    /* A misclassified row is listed by name: call a setosa virginica. */
    test_write_temp_text("wrong.csv", "a,b,c,d,species\n5.0,3.4,1.5,0.2,virginica\n");
    TEST_EXPECT_RUN(0, "misclassified: 1 of 1", "eval --model '%s' --data '%s' --backend ref",
                    tmp("iris.model"), tmp("wrong.csv"));
    CU_ASSERT(out_has("virginica     setosa"));
    /* An unknown class: exit 1, its name and line. */
    test_write_temp_text("unknown.csv",
                         "a,b,c,d,species\n5.0,3.4,1.5,0.2,setosa\n6.6,3.0,5.6,2.0,virginia\n");
    TEST_EXPECT_RUN(1, "unknown.csv:3:", "eval --model '%s' --data '%s' --backend ref",
                    tmp("iris.model"), tmp("unknown.csv"));
    CU_ASSERT(out_has("unknown class \"virginia\""));
    TEST_EXPECT_RUN(1, "virginia", "predict --model '%s' --data '%s' --backend ref",
                    tmp("iris.model"), tmp("unknown.csv"));
}

/* The label first in a tab file: read with --label by header name (or
 * --label-col 0), the tabs found on the first line or named; a name no
 * header has exits 2 listing the headers; the default column gives a hint. */
static void test_label_option(void)
{
    write_iris("iris-train.csv", 90, 1, 0);
    write_iris("iris-first.tsv", 30, 7, 1);
    TEST_EXPECT_RUN(0, "--label NAME", "train --help");
    TEST_EXPECT_RUN(0, NULL, "train --train '%s' --label species %s --save '%s'",
                    tmp("iris-first.tsv"), TRAIN_OPTS, tmp("first.model"));
    TEST_EXPECT_RUN(0, "Classes: setosa, versicolor, virginica", "summary --model '%s'",
                    tmp("first.model"));
    TEST_EXPECT_RUN(0, NULL, "train --train '%s' %s --save '%s'", tmp("iris-train.csv"), TRAIN_OPTS,
                    tmp("iris.model"));
    TEST_EXPECT_RUN(0, "accuracy 1.0000",
                    "eval --model '%s' --data '%s' --label species --backend ref",
                    tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(0, "accuracy 1.0000",
                    "eval --model '%s' --data '%s' --label-col 0 --delimiter tab --backend ref",
                    tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(0, "p_virginica",
                    "predict --model '%s' --data '%s' --label species --delimiter '\\t' "
                    "--backend ref",
                    tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(2, "no column is headed \"kind\"",
                    "eval --model '%s' --data '%s' --label kind --backend ref", tmp("iris.model"),
                    tmp("iris-first.tsv"));
    CU_ASSERT(out_has("0 \"species\", 1 \"sepal_length\""));
    TEST_EXPECT_RUN(2, "--label", "predict --model '%s' --data '%s' --label kind --backend ref",
                    tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(1, "try --label species (or --label-col 0)",
                    "eval --model '%s' --data '%s' --backend ref", tmp("iris.model"),
                    tmp("iris-first.tsv"));
    CU_ASSERT(out_has("column 0 (0-based"));
    /* Read with commas, the tab file is one column: the message says so. */
    TEST_EXPECT_RUN(1, "only one column",
                    "eval --model '%s' --data '%s' --delimiter , "
                    "--label-col 0 --backend ref",
                    tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(2, "--delimiter",
                    "eval --model '%s' --data '%s' --delimiter '|' "
                    "--backend ref",
                    tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(2, "not both",
                    "eval --model '%s' --data '%s' --label species --label-col 0 "
                    "--backend ref",
                    tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(2, "--label",
                    "eval --model '%s' --dataset xor --label species "
                    "--backend ref",
                    tmp("iris.model"));
}

/* One sigmoid output: predict heads its column with class 1 -- by name
 * when the model has names. */
static void test_sigmoid_column(void)
{
    test_write_temp_text("yesno.csv", "a,b,answer\n0,0,no\n0,1,yes\n1,0,yes\n1,1,yes\n");
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --layers 2,1:sigmoid --epochs 2 --backend ref "
                    "-q --save '%s'",
                    tmp("yesno.csv"), tmp("yesno.model"));
    TEST_EXPECT_RUN(0, "index,class,p_yes\n", "predict --model '%s' --data '%s' --backend ref",
                    tmp("yesno.model"), tmp("yesno.csv"));
    test_write_temp_text("num.csv", "0,0,0\n1,1,1\n");
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --layers 2,1:sigmoid --epochs 2 --backend ref "
                    "-q --save '%s'",
                    tmp("num.csv"), tmp("num.model"));
    TEST_EXPECT_RUN(0, "index,class,p1\n", "predict --model '%s' --data '%s' --backend ref",
                    tmp("num.model"), tmp("num.csv"));
}

/* Headers of numbered columns ("400,500,...,species") before species
 * names: the header, not a class; --label NAME never takes a first line of
 * numbers for the header (a row of data it would drop): the tool exits 2
 * saying the file has none. */
static void test_numbered_header(void)
{
    write_iris_as("numhead.csv", "400,500,600,700,species", 60, 3, 0, -1);
    TEST_EXPECT_RUN(0, NULL, "train --train '%s' %s --epochs 2 --save '%s'", tmp("numhead.csv"),
                    TRAIN_OPTS, tmp("numhead.model"));
    TEST_EXPECT_RUN(0, "Classes: setosa, versicolor, virginica\n", "summary --model '%s'",
                    tmp("numhead.model"));
    test_write_temp_text("numbers.csv", "0.5,1,1\n0.2,0,0\n0.4,1,1\n0.9,0,0\n");
    TEST_EXPECT_RUN(2, "no label column named \"1\": the file has no header line",
                    "train --train '%s' --label 1 --layers 2,2:softmax --epochs 1 --backend ref -q",
                    tmp("numbers.csv"));
}

/* --resume with a named model: a training (and test) file holding only
 * some of the classes is read through the model's names and trains. */
static void test_resume_some_classes(void)
{
    write_iris("iris-train.csv", 90, 1, 0);
    write_iris_as("no-virginica.csv", NULL, 60, 5, 0, 2);
    write_iris_as("no-setosa.csv", NULL, 30, 9, 0, 0);
    TEST_EXPECT_RUN(0, NULL, "train --train '%s' %s --epochs 2 --save '%s'", tmp("iris-train.csv"),
                    TRAIN_OPTS, tmp("resume.model"));
    TEST_EXPECT_RUN(0, "test accuracy",
                    "train --resume '%s' --train '%s' --test '%s' --epochs 4 --backend ref -q "
                    "--save '%s'",
                    tmp("resume.model"), tmp("no-virginica.csv"), tmp("no-setosa.csv"),
                    tmp("resumed.model"));
    CU_ASSERT(!strstr(test_out, "are not the model's"));
    TEST_EXPECT_RUN(0, "Classes: setosa, versicolor, virginica\n", "summary --model '%s'",
                    tmp("resumed.model"));
}

/* Whether `clmlp plot` can draw here (built with cairo). */
static int can_plot(void)
{
    return test_run("plot images --help") == 0 && strstr(test_out, "usage:") != NULL;
}

/* A model trained on class numbers, given a CSV of class names: eval,
 * predict and the plots exit 2 naming the file (its sorted names would
 * only seem to be the model's classes). */
static void test_numbered_model_named_data(void)
{
    write_iris("iris-test.csv", 30, 7, 0);
    test_write_temp_text("numbered.csv", "a,b,c,d,label\n5.0,3.4,1.5,0.2,0\n5.9,2.8,4.3,1.3,1\n"
                                         "6.6,3.0,5.6,2.0,2\n");
    TEST_EXPECT_RUN(0, NULL, "train --train '%s' %s --epochs 2 --save '%s'", tmp("numbered.csv"),
                    TRAIN_OPTS, tmp("numbered.model"));
    const char *const cmds[] = {"eval", "predict", "plot confusion"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (i == 2 && !can_plot()) continue;
        TEST_EXPECT_RUN(2, "trained on numbered classes",
                        "%s --model '%s' --data '%s' --backend ref%s%s", cmds[i],
                        tmp("numbered.model"), tmp("iris-test.csv"), i == 2 ? " -o " : "",
                        i == 2 ? tmp("numbered.png") : "");
        CU_ASSERT(out_has("iris-test.csv holds class names (setosa, versicolor, virginica)"));
    }
    /* Nor does training it further on names: fit would otherwise give it
     * the file's names in byte order, renumbering its classes silently. */
    TEST_EXPECT_RUN(2, "trained on numbered classes",
                    "train --resume '%s' --train '%s' "
                    "--epochs 3 --backend ref",
                    tmp("numbered.model"), tmp("iris-test.csv"));
}

/* Named classes need one output each: a named set trained into more
 * outputs than it has names is refused before training (exit 2, nothing
 * written); before, the model saved 2 names for 3 outputs and predict
 * printed a third class as "2" among the names. */
static void test_outputs_match_names(void)
{
    write_iris_as("two-kinds.csv", NULL, 40, 3, 0, 2);
    const char *save = tmp("two-kinds.model");
    remove(save);
    TEST_EXPECT_RUN(
        2, "names 2 classes (\"setosa\", ...), but --layers '4,3:softmax' has 3 output units",
        "train --train '%s' --layers 4,3:softmax --epochs 1 --backend ref --save '%s'",
        tmp("two-kinds.csv"), save);
    CU_ASSERT(access(save, F_OK) != 0);
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --layers 4,2:softmax --epochs 1 --backend ref --save '%s'",
                    tmp("two-kinds.csv"), save);
    CU_ASSERT(access(save, F_OK) == 0);
}

/* Without --layers, a validation metric to watch holds a tenth of a named
 * training set out; it keeps the names (as --validation-split's rows do),
 * and the model is named. */
static void test_auto_holdout_names(void)
{
    write_iris("iris-train.csv", 90, 1, 0);
    TEST_EXPECT_RUN(0, "early stopping on val_loss of 10% held out (9 rows",
                    "train --train '%s' --epochs 2 --monitor val_loss --backend ref --save '%s'",
                    tmp("iris-train.csv"), tmp("auto.model"));
    TEST_EXPECT_RUN(0, "Classes: setosa, versicolor, virginica\n", "summary --model '%s'",
                    tmp("auto.model"));
}

/* Reads a whole scratch file (caller frees); NULL when it cannot. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *p = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = p ? (size_t)n : 0;
    return p;
}

/* Class names longer than 32 bytes are drawn whole: two sets whose names
 * differ only after byte 40 draw different pictures, and the same set
 * draws the same one twice. */
static void test_plot_long_names(void)
{
    if (!can_plot()) return;
    static const char *const suffix[2][3] = {{"alpha", "beta", "gamma"},
                                             {"apple", "berry", "cherry"}};
    const char *prefix = "a_class_name_longer_than_thirty_two_bytes_";
    char name[64], data[64], model[64], png[3][64], *text = malloc(4096);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    for (int v = 0; v < 3; v++) {
        const char *const *sfx = suffix[v == 2 ? 0 : v];
        size_t k = (size_t)sprintf(text, "a,b,c,d,kind\n");
        for (int r = 0; r < 9; r++)
            k += (size_t)sprintf(text + k, "%d,%d,%d,%d,%s%s\n", r & 1, 1 - (r & 1), r & 1,
                                 1 - (r & 1), prefix, sfx[r % 3]);
        snprintf(data, sizeof data, "long%d.csv", v);
        snprintf(model, sizeof model, "long%d.model", v);
        snprintf(png[v], sizeof png[v], "long%d.png", v);
        test_write_temp_text(data, text);
        TEST_EXPECT_RUN(0, NULL,
                        "train --train '%s' --layers 4,3:softmax --epochs 1 "
                        "--backend ref -q --save '%s'",
                        tmp(data), tmp(model));
        snprintf(name, sizeof name, "%s", png[v]);
        TEST_EXPECT_RUN(0, NULL,
                        "plot images --data '%s' --model '%s' -o '%s' --count 2 "
                        "--columns 1 --size 1400x500 --title names --backend ref",
                        tmp(data), tmp(model), tmp(name));
    }
    free(text);
    size_t n[3];
    char *bytes[3];
    for (int v = 0; v < 3; v++) bytes[v] = slurp(tmp(png[v]), &n[v]);
    CU_ASSERT_FATAL(bytes[0] && bytes[1] && bytes[2]);
    CU_ASSERT(n[0] == n[2] && memcmp(bytes[0], bytes[2], n[0]) == 0);
    CU_ASSERT(n[0] != n[1] || memcmp(bytes[0], bytes[1], n[0]) != 0);
    for (int v = 0; v < 3; v++) free(bytes[v]);
}

int main(void)
{
    if (!test_temp_dir("cli-csv")) return 1;
    static const test_case cases[] = {
        {"train, eval, predict with class names", test_train_eval_predict_names},
        {"--label, --delimiter, hints", test_label_option},
        {"a single sigmoid output is class 1's", test_sigmoid_column},
        {"a header of numbered columns; --label is a word", test_numbered_header},
        {"--resume on a file with some of the classes", test_resume_some_classes},
        {"a numbered model refuses named data", test_numbered_model_named_data},
        {"named classes need one output each", test_outputs_match_names},
        {"the automatic hold-out keeps the names", test_auto_holdout_names},
        {"long class names drawn whole", test_plot_long_names},
        {NULL, NULL},
    };
    int rc = test_add_suite("cli csv", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
