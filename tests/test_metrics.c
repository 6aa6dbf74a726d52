/* Metrics from predictions (clmlp_class_report_init, clmlp_roc_auc,
 * clmlp_regression_report_init) on fixed predictions whose answers are
 * worked by hand below, as fractions.  They agree with scikit-learn's
 * classification_report(labels=range(k), zero_division=0),
 * roc_auc_score, mean_absolute_error, root_mean_squared_error and
 * r2_score on the same arrays (checked once, to 1e-6 as issue 21 asks; the
 * test needs no Python).
 *
 * Tolerance: each answer is a few double operations on small exact values,
 * so the library and the fractions here differ by a few roundings of
 * about 1e-16; 1e-12 leaves room and is far below the 1e-6 asked for. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "support/testing.h"

#define TOL 1e-12

/* Whether the library's message holds needle (printing both if not). */
static int error_has(const char *needle) { return test_output_has(clmlp_last_error(), needle); }

static void assert_scores(const clmlp_class_scores *s, double p, double r, double f1,
                          size_t support)
{
    CU_ASSERT_DOUBLE_EQUAL(s->precision, p, TOL);
    CU_ASSERT_DOUBLE_EQUAL(s->recall, r, TOL);
    CU_ASSERT_DOUBLE_EQUAL(s->f1, f1, TOL);
    CU_ASSERT_EQUAL(s->support, support);
}

/* ---- classification report --------------------------------------------- */

/* Three classes: class 1 occurs (3 rows) but is never predicted, class 2
 * is predicted (2 rows) but never occurs.
 *
 *   row    0 1 2 3 4 5 6 7
 *   true   0 0 0 1 1 0 1 0
 *   pred   0 0 2 0 2 0 0 0
 *
 * class 0: tp 4 (rows 0 1 5 7), predicted 6, support 5
 *          -> p 4/6, r 4/5, f1 2*4/(2*4 + 2 + 1) = 8/11
 * class 1: tp 0, predicted 0, support 3 -> p 0/0 = 0 (zero_division=0),
 *          r 0/3 = 0, f1 0/(0 + 0 + 3) = 0
 * class 2: tp 0, predicted 2, support 0 -> p 0/2 = 0, r 0/0 = 0, f1 0
 * accuracy 4/8
 * macro:    p (4/6)/3 = 2/9, r (4/5)/3 = 4/15, f1 (8/11)/3 = 8/33
 * weighted: p 5*(4/6)/8 = 5/12, r 5*(4/5)/8 = 1/2, f1 5*(8/11)/8 = 5/11
 * scikit-learn prints: 0.67 0.80 0.73 5 / 0.00 0.00 0.00 3 / 0.00 0.00
 * 0.00 0 / accuracy 0.50 8 / macro 0.22 0.27 0.24 / weighted 0.42 0.50
 * 0.45. */
static void test_report_missing_classes(void)
{
    static const int32_t truth[] = {0, 0, 0, 1, 1, 0, 1, 0};
    static const int32_t pred[] = {0, 0, 2, 0, 2, 0, 0, 0};
    clmlp_class_report_t *r = NULL;
    TEST_OK(clmlp_class_report_init(&r, truth, pred, 8, 3));
    CU_ASSERT_EQUAL(r->n, 8);
    CU_ASSERT_EQUAL(r->n_classes, 3);
    assert_scores(&r->classes[0], 4.0 / 6.0, 4.0 / 5.0, 8.0 / 11.0, 5);
    assert_scores(&r->classes[1], 0.0, 0.0, 0.0, 3);
    assert_scores(&r->classes[2], 0.0, 0.0, 0.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(r->accuracy, 0.5, TOL);
    assert_scores(&r->macro_avg, 2.0 / 9.0, 4.0 / 15.0, 8.0 / 33.0, 8);
    assert_scores(&r->weighted_avg, 5.0 / 12.0, 0.5, 5.0 / 11.0, 8);
    clmlp_class_report_free(r);
}

/* scikit-learn's own example in classification_report's documentation:
 * true 0 1 2 2 2, predicted 0 0 2 2 1.
 * class 0: tp 1, predicted 2, support 1 -> p 1/2, r 1, f1 2/(2+1+0) = 2/3
 * class 1: tp 0, predicted 1, support 1 -> 0, 0, 0
 * class 2: tp 2, predicted 2, support 3 -> p 1, r 2/3, f1 4/(4+0+1) = 4/5
 * accuracy 3/5
 * macro:    p (1/2 + 1)/3 = 1/2, r (1 + 2/3)/3 = 5/9, f1 (2/3 + 4/5)/3 = 22/45
 * weighted: p (1/2 + 3)/5 = 7/10, r (1 + 2)/5 = 3/5, f1 (2/3 + 12/5)/5 = 46/75
 * (its page shows 0.50 1.00 0.67 / 0.00 0.00 0.00 / 1.00 0.67 0.80 /
 * 0.60 / 0.50 0.56 0.49 / 0.70 0.60 0.61). */
static void test_report_sklearn_example(void)
{
    static const int32_t truth[] = {0, 1, 2, 2, 2};
    static const int32_t pred[] = {0, 0, 2, 2, 1};
    clmlp_class_report_t *r = NULL;
    TEST_OK(clmlp_class_report_init(&r, truth, pred, 5, 3));
    assert_scores(&r->classes[0], 0.5, 1.0, 2.0 / 3.0, 1);
    assert_scores(&r->classes[1], 0.0, 0.0, 0.0, 1);
    assert_scores(&r->classes[2], 1.0, 2.0 / 3.0, 0.8, 3);
    CU_ASSERT_DOUBLE_EQUAL(r->accuracy, 0.6, TOL);
    assert_scores(&r->macro_avg, 0.5, 5.0 / 9.0, 22.0 / 45.0, 5);
    assert_scores(&r->weighted_avg, 0.7, 0.6, 46.0 / 75.0, 5);
    clmlp_class_report_free(r);
}

/* Bad arguments are refused with a message, and *out left NULL. */
static void test_report_refusals(void)
{
    static const int32_t truth[] = {0, 1, 2};
    static const int32_t pred[] = {0, 1, 1};
    static const int32_t wild[] = {0, 1, 3};
    static const int32_t negative[] = {0, -1, 1};
    clmlp_class_report_t *r = (clmlp_class_report_t *)&r;
    CU_ASSERT_EQUAL(clmlp_class_report_init(&r, NULL, pred, 3, 3), CLMLP_E_INVALID);
    CU_ASSERT_PTR_NULL(r);
    CU_ASSERT(error_has("must not be NULL"));
    CU_ASSERT_EQUAL(clmlp_class_report_init(NULL, truth, pred, 3, 3), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_class_report_init(&r, truth, pred, 0, 3), CLMLP_E_INVALID);
    CU_ASSERT(error_has("no rows"));
    CU_ASSERT_EQUAL(clmlp_class_report_init(&r, truth, pred, 3, 0), CLMLP_E_INVALID);
    CU_ASSERT(error_has("no classes"));
    CU_ASSERT_EQUAL(clmlp_class_report_init(&r, truth, pred, 3, 2), CLMLP_E_INVALID);
    CU_ASSERT(error_has("row 2: true label 2 is outside [0, 2)"));
    CU_ASSERT_EQUAL(clmlp_class_report_init(&r, truth, wild, 3, 3), CLMLP_E_INVALID);
    CU_ASSERT(error_has("row 2: predicted label 3 is outside [0, 3)"));
    CU_ASSERT_EQUAL(clmlp_class_report_init(&r, negative, pred, 3, 3), CLMLP_E_INVALID);
    CU_ASSERT(error_has("row 1: true label -1"));
    CU_ASSERT_PTR_NULL(r);
    clmlp_class_report_free(NULL);
}

/* ---- ROC AUC ----------------------------------------------------------- */

/* Ties within a class and across classes:
 *
 *   score  0.1 0.4 0.4 0.35 0.8 0.8 0.8 0.2
 *   label   0   0   1   1    1   0   1   0
 *
 * 4 positives, 4 negatives, 16 pairs.  Each positive counts the negatives
 * scored below it (0.1 0.2 0.4 0.8) and one half of those scored the same:
 * 0.4 -> 2 + 1/2, 0.35 -> 2, 0.8 -> 3 + 1/2, 0.8 -> 3 + 1/2; 11.5 / 16.
 * The trapezoids of the ROC curve over the thresholds 0.8, 0.4, 0.35, 0.2,
 * 0.1 -- points (0,0) (1/4,2/4) (2/4,3/4) (2/4,4/4) (3/4,4/4) (1,1) -- give
 * the same: 1/16 + 5/32 + 0 + 1/4 + 1/4 = 23/32 = 0.71875. */
static void test_auc_ties(void)
{
    static const float scores[] = {0.1f, 0.4f, 0.4f, 0.35f, 0.8f, 0.8f, 0.8f, 0.2f};
    static const int32_t labels[] = {0, 0, 1, 1, 1, 0, 1, 0};
    double auc = -1.0;
    TEST_OK(clmlp_roc_auc(labels, scores, 8, &auc));
    CU_ASSERT_DOUBLE_EQUAL(auc, 23.0 / 32.0, TOL);
    /* Every positive above every negative: 1; the reverse: 0; all scores
     * the same: 1/2. */
    static const float ordered[] = {0.9f, -3.0f, 0.7f, 0.2f};
    static const int32_t ordered_labels[] = {1, 0, 1, 0}, reversed[] = {0, 1, 0, 1};
    TEST_OK(clmlp_roc_auc(ordered_labels, ordered, 4, &auc));
    CU_ASSERT_DOUBLE_EQUAL(auc, 1.0, TOL);
    TEST_OK(clmlp_roc_auc(reversed, ordered, 4, &auc));
    CU_ASSERT_DOUBLE_EQUAL(auc, 0.0, TOL);
    static const float flat[] = {0.5f, 0.5f, 0.5f, 0.5f};
    TEST_OK(clmlp_roc_auc(ordered_labels, flat, 4, &auc));
    CU_ASSERT_DOUBLE_EQUAL(auc, 0.5, TOL);
}

/* One class only (scikit-learn: "Only one class present in y_true"), labels
 * other than 0/1, NaN or Inf scores, NULLs and no rows are refused. */
static void test_auc_refusals(void)
{
    static const float scores[] = {0.1f, 0.4f, 0.7f};
    static const int32_t ones[] = {1, 1, 1}, three[] = {0, 1, 2}, labels[] = {0, 1, 1};
    double auc = -1.0;
    CU_ASSERT_EQUAL(clmlp_roc_auc(ones, scores, 3, &auc), CLMLP_E_INVALID);
    CU_ASSERT(error_has("only one class is present (all 3 labels are 1)"));
    CU_ASSERT_EQUAL(clmlp_roc_auc(three, scores, 3, &auc), CLMLP_E_INVALID);
    CU_ASSERT(error_has("row 2: label 2 is not 0 or 1"));
    const float nan_scores[] = {0.1f, NAN, 0.7f}, inf_scores[] = {0.1f, 0.2f, INFINITY};
    CU_ASSERT_EQUAL(clmlp_roc_auc(labels, nan_scores, 3, &auc), CLMLP_E_INVALID);
    CU_ASSERT(error_has("row 1: the score is NaN"));
    CU_ASSERT_EQUAL(clmlp_roc_auc(labels, inf_scores, 3, &auc), CLMLP_E_INVALID);
    CU_ASSERT(error_has("row 2: the score is infinite"));
    CU_ASSERT_EQUAL(clmlp_roc_auc(labels, NULL, 3, &auc), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_roc_auc(labels, scores, 3, NULL), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_roc_auc(labels, scores, 0, &auc), CLMLP_E_INVALID);
    CU_ASSERT(error_has("no rows"));
    CU_ASSERT_EQUAL(auc, -1.0);
}

/* ---- regression -------------------------------------------------------- */

/* Four rows of two targets; the second target is constant.
 *
 *   target 0: true 1 2 3 4,  predicted 1.5 2 2 5
 *     errors -0.5 0 1 -1: MAE 2.5/4 = 0.625, MSE 2.25/4 = 0.5625, RMSE 0.75;
 *     mean 2.5, SS_tot 2.25+0.25+0.25+2.25 = 5, R2 1 - 2.25/5 = 0.55
 *   target 1: true 3 3 3 3,  predicted 3 2.5 3 4
 *     errors 0 0.5 0 -1: MAE 1.5/4 = 0.375, MSE 1.25/4 = 0.3125,
 *     RMSE sqrt(0.3125) = sqrt(5)/4; SS_tot 0 and SS_res 1.25 > 0: R2 0
 *     (scikit-learn's force_finite=True; without it, -inf)
 *   overall (uniform average): MAE 0.5, RMSE (0.75 + sqrt(5)/4)/2,
 *     R2 0.275. */
static void test_regression_two_targets(void)
{
    static const float truth[] = {1, 3, 2, 3, 3, 3, 4, 3};
    static const float pred[] = {1.5f, 3, 2, 2.5f, 2, 3, 5, 4};
    clmlp_regression_report_t *r = NULL;
    TEST_OK(clmlp_regression_report_init(&r, truth, pred, 4, 2));
    CU_ASSERT_EQUAL(r->n, 4);
    CU_ASSERT_EQUAL(r->n_targets, 2);
    CU_ASSERT_DOUBLE_EQUAL(r->targets[0].mae, 0.625, TOL);
    CU_ASSERT_DOUBLE_EQUAL(r->targets[0].rmse, 0.75, TOL);
    CU_ASSERT_DOUBLE_EQUAL(r->targets[0].r2, 0.55, TOL);
    CU_ASSERT_DOUBLE_EQUAL(r->targets[1].mae, 0.375, TOL);
    CU_ASSERT_DOUBLE_EQUAL(r->targets[1].rmse, sqrt(5.0) / 4.0, TOL);
    CU_ASSERT_DOUBLE_EQUAL(r->targets[1].r2, 0.0, TOL);
    CU_ASSERT_DOUBLE_EQUAL(r->overall.mae, 0.5, TOL);
    CU_ASSERT_DOUBLE_EQUAL(r->overall.rmse, (0.75 + sqrt(5.0) / 4.0) / 2.0, TOL);
    CU_ASSERT_DOUBLE_EQUAL(r->overall.r2, 0.275, TOL);
    clmlp_regression_report_free(r);
}

/* A constant target predicted exactly has R2 1 (force_finite=True; 0/0
 * otherwise), and its errors are 0.  One row: R2 is NaN, as scikit-learn's
 * r2_score returns for fewer than two samples; MAE and RMSE still stand. */
static void test_regression_constant_exact(void)
{
    static const float truth[] = {-2.5f, -2.5f, -2.5f};
    clmlp_regression_report_t *r = NULL;
    TEST_OK(clmlp_regression_report_init(&r, truth, truth, 3, 1));
    CU_ASSERT_EQUAL(r->targets[0].r2, 1.0);
    CU_ASSERT_EQUAL(r->targets[0].mae, 0.0);
    CU_ASSERT_EQUAL(r->targets[0].rmse, 0.0);
    CU_ASSERT_EQUAL(r->overall.r2, 1.0);
    clmlp_regression_report_free(r);
    static const float one_pred[] = {-1.0f};
    TEST_OK(clmlp_regression_report_init(&r, truth, one_pred, 1, 1));
    CU_ASSERT(isnan(r->targets[0].r2) && isnan(r->overall.r2));
    CU_ASSERT_DOUBLE_EQUAL(r->targets[0].mae, 1.5, TOL);
    CU_ASSERT_DOUBLE_EQUAL(r->targets[0].rmse, 1.5, TOL);
    clmlp_regression_report_free(r);
}

/* NaN and Inf are refused naming the row and the target; NULLs and empty
 * shapes too. */
static void test_regression_refusals(void)
{
    const float truth[] = {1, 2, 3, NAN};
    const float pred[] = {1, 2, INFINITY, 4};
    const float fine[] = {1, 2, 3, 4};
    clmlp_regression_report_t *r = (clmlp_regression_report_t *)&r;
    CU_ASSERT_EQUAL(clmlp_regression_report_init(&r, truth, fine, 2, 2), CLMLP_E_INVALID);
    CU_ASSERT(error_has("row 1, target 1: the true value is NaN"));
    CU_ASSERT_PTR_NULL(r);
    CU_ASSERT_EQUAL(clmlp_regression_report_init(&r, fine, pred, 4, 1), CLMLP_E_INVALID);
    CU_ASSERT(error_has("row 2, target 0: the prediction is infinite"));
    CU_ASSERT_EQUAL(clmlp_regression_report_init(&r, NULL, fine, 4, 1), CLMLP_E_INVALID);
    CU_ASSERT(error_has("must not be NULL"));
    CU_ASSERT_EQUAL(clmlp_regression_report_init(&r, fine, fine, 0, 1), CLMLP_E_INVALID);
    CU_ASSERT(error_has("no rows"));
    CU_ASSERT_EQUAL(clmlp_regression_report_init(&r, fine, fine, 4, 0), CLMLP_E_INVALID);
    CU_ASSERT(error_has("no targets"));
    CU_ASSERT_EQUAL(clmlp_regression_report_init(&r, fine, fine, SIZE_MAX, 2), CLMLP_E_INVALID);
    CU_ASSERT(error_has("overflow"));
    CU_ASSERT_PTR_NULL(r);
    clmlp_regression_report_free(NULL);
}

int main(void)
{
    static const test_case cases[] = {
        {"report: a class never predicted, a class with no support", test_report_missing_classes},
        {"report: scikit-learn's documented example", test_report_sklearn_example},
        {"report: bad arguments", test_report_refusals},
        {"ROC AUC with ties", test_auc_ties},
        {"ROC AUC: bad arguments and one class", test_auc_refusals},
        {"regression: two targets, one constant", test_regression_two_targets},
        {"regression: exact constant target, one row", test_regression_constant_exact},
        {"regression: bad arguments", test_regression_refusals},
        {NULL, NULL}};
    if (test_add_suite("metrics from predictions", cases) < 0) return 1;
    return test_run_all();
}
