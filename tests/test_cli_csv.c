/* The clmlp tool on CSV files as people have them: an iris-like set (made
 * here, not the real Iris) with species names as labels, trained with the
 * label last or first; eval and predict print the classes by name and map
 * a test file's names through the model's; an unknown class exits 1
 * naming it; --label picks the column by its header (a name no header
 * has exits 2 listing them); tab files are read as they are or with
 * --delimiter; a single sigmoid output's column is class 1's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testing.h"

/* Whether the last output contains needle; prints the output when not. */
static int out_has(const char *needle)
{
    return test_output_has(test_out, needle);
}

static const char *tmp(const char *name)
{
    return test_temp_path(name);
}

/* Three species around three centres, far apart, in a fixed order made by
 * a small generator: label last, comma-separated, with a header; and the
 * same rows label first and tab-separated (label_first). */
static void write_iris(const char *name, size_t rows, unsigned seed, int label_first)
{
    static const char *const species[3] = {"setosa", "versicolor", "virginica"};
    static const double centre[3][4] = {
        {5.0, 3.4, 1.5, 0.2}, {5.9, 2.8, 4.3, 1.3}, {6.6, 3.0, 5.6, 2.0}};
    char *text = malloc(rows * 96 + 128);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    size_t k = 0;
    const char *d = label_first ? "\t" : ",";
    if (label_first)
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
    TEST_EXPECT_RUN(0, NULL, "train --train '%s' %s --save '%s'", tmp("iris-train.csv"),
                    TRAIN_OPTS, tmp("iris.model"));
    TEST_EXPECT_RUN(0, "accuracy 1.0000",
                    "eval --model '%s' --data '%s' --label species --backend ref",
                    tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(0, "accuracy 1.0000",
                    "eval --model '%s' --data '%s' --label-col 0 --delimiter tab --backend ref",
                    tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(0, "p_virginica",
                    "predict --model '%s' --data '%s' --label species --delimiter '\\t' "
                    "--backend ref", tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(2, "no column is headed \"kind\"",
                    "eval --model '%s' --data '%s' --label kind --backend ref",
                    tmp("iris.model"), tmp("iris-first.tsv"));
    CU_ASSERT(out_has("0 \"species\", 1 \"sepal_length\""));
    TEST_EXPECT_RUN(2, "--label", "predict --model '%s' --data '%s' --label kind --backend ref",
                    tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(1, "try --label species (or --label-col 0)",
                    "eval --model '%s' --data '%s' --backend ref", tmp("iris.model"),
                    tmp("iris-first.tsv"));
    CU_ASSERT(out_has("column 0 (0-based"));
    /* Read with commas, the tab file is one column: the message says so. */
    TEST_EXPECT_RUN(1, "only one column", "eval --model '%s' --data '%s' --delimiter , "
                    "--label-col 0 --backend ref", tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(2, "--delimiter", "eval --model '%s' --data '%s' --delimiter '|' "
                    "--backend ref", tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(2, "not both", "eval --model '%s' --data '%s' --label species --label-col 0 "
                    "--backend ref", tmp("iris.model"), tmp("iris-first.tsv"));
    TEST_EXPECT_RUN(2, "--label", "eval --model '%s' --dataset xor --label species "
                    "--backend ref", tmp("iris.model"));
}

/* One sigmoid output: predict heads its column with class 1 -- by name
 * when the model has names. */
static void test_sigmoid_column(void)
{
    test_write_temp_text("yesno.csv", "a,b,answer\n0,0,no\n0,1,yes\n1,0,yes\n1,1,yes\n");
    TEST_EXPECT_RUN(0, NULL, "train --train '%s' --layers 2,1:sigmoid --epochs 2 --backend ref "
                    "-q --save '%s'", tmp("yesno.csv"), tmp("yesno.model"));
    TEST_EXPECT_RUN(0, "index,class,p_yes\n", "predict --model '%s' --data '%s' --backend ref",
                    tmp("yesno.model"), tmp("yesno.csv"));
    test_write_temp_text("num.csv", "0,0,0\n1,1,1\n");
    TEST_EXPECT_RUN(0, NULL, "train --train '%s' --layers 2,1:sigmoid --epochs 2 --backend ref "
                    "-q --save '%s'", tmp("num.csv"), tmp("num.model"));
    TEST_EXPECT_RUN(0, "index,class,p1\n", "predict --model '%s' --data '%s' --backend ref",
                    tmp("num.model"), tmp("num.csv"));
}

int main(void)
{
    if (!test_temp_dir("cli-csv")) return 1;
    static const test_case cases[] = {
        {"train, eval, predict with class names", test_train_eval_predict_names},
        {"--label, --delimiter, hints", test_label_option},
        {"a single sigmoid output is class 1's", test_sigmoid_column},
        {NULL, NULL},
    };
    int rc = test_add_suite("cli csv", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
