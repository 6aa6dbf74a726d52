/* clmlp eval's classification report and ROC AUC: the figures on a fixed
 * model's known predictions, worked by hand, in scikit-learn's layout; the
 * layout's width follows a long class name; a softmax model prints no AUC,
 * and data of one class says why it has none. */
#include <stdio.h>
#include <string.h>

#include "support/testing.h"

/* Whether the last output contains needle; prints the output when not. */
static int out_has(const char *needle) { return test_output_has(test_out, needle); }

static const char *tmp(const char *name) { return test_temp_path(name); }

/* tests/data/model-v1-xor.bin (2,3:tanh,1:sigmoid) scores the XOR corners
 * on the ref backend as (0,0) 0.0067, (0,1) 0.9917, (1,0) 0.9896,
 * (1,1) 0.0073.  Labelled against it:
 *
 *   row    x      true  score   predicted
 *   0      0,0    0     0.0067  0
 *   1      0,1    1     0.9917  1
 *   2      1,0    0     0.9896  1
 *   3      1,1    1     0.0073  0
 *   4      0,0    0     0.0067  0
 *
 * class 0: tp 2 (rows 0 4), predicted 3, support 3: p 2/3, r 2/3, f1 2/3
 * class 1: tp 1 (row 1), predicted 2, support 2: p 1/2, r 1/2, f1 1/2
 * accuracy 3/5; macro (2/3 + 1/2)/2 = 7/12 = 0.583; weighted
 * (3 * 2/3 + 2 * 1/2)/5 = 3/5.
 * AUC: the positive 0.9917 outscores all 3 negatives, 0.0073 outscores the
 * two 0.0067s: 5 of 6 pairs, 0.8333. */
static void test_report_and_auc(void)
{
    const char *model = test_source_path("tests/data/model-v1-xor.bin");
    const char *csv = test_write_temp_text("xor-mixed.csv", "x1,x2,label\n"
                                                            "0,0,0\n0,1,1\n1,0,0\n1,1,1\n0,0,0\n");
    TEST_EXPECT_RUN(0,
                    "\n"
                    "              precision    recall  f1-score   support\n"
                    "\n"
                    "           0       0.67      0.67      0.67         3\n"
                    "           1       0.50      0.50      0.50         2\n"
                    "\n"
                    "    accuracy                           0.60         5\n"
                    "   macro avg       0.58      0.58      0.58         5\n"
                    "weighted avg       0.60      0.60      0.60         5\n"
                    "\n"
                    "roc auc 0.8333\n"
                    "misclassified: 2 of 5\n",
                    "eval --model '%s' --data '%s' --backend ref", model, csv);
    /* The lines eval printed before the report are still there. */
    CU_ASSERT(out_has("loss "));
    CU_ASSERT(out_has("accuracy 0.6000  (5 rows)"));
    CU_ASSERT(out_has("confusion matrix (rows: true class, columns: predicted class)\n"
                      "     0  1\n"
                      "  0  2  1\n"
                      "  1  1  1\n"));
    CU_ASSERT(out_has("first 2 misclassified:"));
    /* One class only: no AUC, and the line says why. */
    csv = test_write_temp_text("xor-ones.csv", "x1,x2,label\n0,1,1\n1,0,1\n");
    TEST_EXPECT_RUN(0, "\nroc auc not defined: every row is of class 1\n",
                    "eval --model '%s' --data '%s' --backend ref", model, csv);
}

/* Class names head the lines, right-aligned to the longest (here longer
 * than "weighted avg", which sets the width otherwise); a softmax output
 * has no AUC line. */
static void test_named_classes(void)
{
    test_write_temp_text("named.csv", "a,b,kind\n"
                                      "0,0,ant\n0,1,bee\n1,0,cosmic-ray-burst\n"
                                      "1,1,ant\n0.5,0.5,bee\n0.2,0.9,cosmic-ray-burst\n");
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --layers 2,4:tanh,3:softmax --epochs 1 --backend ref -q "
                    "--save '%s'",
                    tmp("named.csv"), tmp("named.model"));
    TEST_EXPECT_RUN(0, "\n                  precision    recall  f1-score   support\n\n",
                    "eval --model '%s' --data '%s' --backend ref", tmp("named.model"),
                    tmp("named.csv"));
    CU_ASSERT(out_has("\n             ant  "));
    CU_ASSERT(out_has("\n             bee  "));
    CU_ASSERT(out_has("\ncosmic-ray-burst  "));
    CU_ASSERT(out_has("\n        accuracy "));
    CU_ASSERT(out_has("\n       macro avg  "));
    CU_ASSERT(out_has("\n    weighted avg  "));
    CU_ASSERT(out_has("         6\n\nmisclassified: "));
    CU_ASSERT_PTR_NULL(strstr(test_out, "roc auc"));
}

/* A model trained on class names is given numbered labels: refused
 * naming the names (eval, train --test, train --resume), as names for a
 * model of numbered classes are. */
static void test_named_model_numbered_labels(void)
{
    test_write_temp_text("pets.csv", "a,b,pet\n0,0,cat\n0,1,dog\n1,0,dog\n1,1,cat\n");
    test_write_temp_text("pets-num.csv", "a,b,pet\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n");
    TEST_EXPECT_RUN(0, NULL,
                    "train --train '%s' --layers 2,4:tanh,1:sigmoid --epochs 1 --backend ref -q "
                    "--save '%s'",
                    tmp("pets.csv"), tmp("pets.model"));
    static const char *const says =
        "\"0\" is a number, but the model's classes are names (cat, dog)";
    TEST_EXPECT_RUN(1, says, "eval --model '%s' --data '%s' --backend ref", tmp("pets.model"),
                    tmp("pets-num.csv"));
    TEST_EXPECT_RUN(1, says, "train --train '%s' --test '%s' --epochs 1 --backend ref -q",
                    tmp("pets.csv"), tmp("pets-num.csv"));
    TEST_EXPECT_RUN(1, says, "train --train '%s' --resume '%s' --epochs 2 --backend ref -q",
                    tmp("pets-num.csv"), tmp("pets.model"));
    /* Its own names still read. */
    TEST_EXPECT_RUN(0, "accuracy", "eval --model '%s' --data '%s' --backend ref", tmp("pets.model"),
                    tmp("pets.csv"));
}

int main(void)
{
    if (!test_temp_dir("cli-eval")) return 1;
    static const test_case cases[] = {
        {"the report and ROC AUC of known predictions", test_report_and_auc},
        {"class names and a softmax output", test_named_classes},
        {"a named model refuses numbered labels", test_named_model_numbered_labels},
        {NULL, NULL},
    };
    int rc = test_add_suite("cli eval", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
