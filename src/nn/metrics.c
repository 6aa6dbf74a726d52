/* Metrics from predictions already made: a classification report, ROC AUC
 * and regression scores, computed on the host in double as scikit-learn
 * computes them (classification_report with zero_division=0, roc_auc_score,
 * mean_absolute_error, root_mean_squared_error and r2_score with
 * force_finite=True).  No model and no device: the caller hands in labels
 * and predictions, so the CLI, the Python package and a user's own program
 * score predictions the same way. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "clmlp.h"
#include "util/error.h"

/* ---- classification ---------------------------------------------------- */

/* Checks that every label of v (n of them) lies in [0, k). */
static int check_labels(const char *fn, const char *what, const int32_t *v, size_t n, size_t k)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] < 0 || (uint64_t)v[i] >= (uint64_t)k)
            return clmlp_set_error(CLMLP_E_INVALID, "%s: row %zu: %s label %ld is outside [0, %zu)",
                                   fn, i, what, (long)v[i], k);
    return CLMLP_OK;
}

/* a / b, or 0 when b is 0 (scikit-learn's zero_division=0). */
static double ratio(double a, double b) { return b > 0.0 ? a / b : 0.0; }

int clmlp_class_report_init(clmlp_class_report_t **out, const int32_t *truth, const int32_t *pred,
                            size_t n, size_t n_classes)
{
    static const char fn[] = "clmlp_class_report_init";
    if (out) *out = NULL;
    if (!out || !truth || !pred)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: out, truth and pred must not be NULL", fn);
    if (n == 0) return clmlp_set_error(CLMLP_E_INVALID, "%s: no rows to score", fn);
    if (n_classes == 0) return clmlp_set_error(CLMLP_E_INVALID, "%s: no classes", fn);
    CLMLP_TRY(check_labels(fn, "true", truth, n, n_classes));
    CLMLP_TRY(check_labels(fn, "predicted", pred, n, n_classes));
    /* One block: the report, its lines, then three counts per class
     * (true positives, predicted, support) used only here. */
    size_t line = sizeof(clmlp_class_scores), counts = 3 * sizeof(size_t);
    if (n_classes > (SIZE_MAX - sizeof(clmlp_class_report_t)) / (line + counts))
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: %zu classes overflow a size", fn, n_classes);
    clmlp_class_report_t *r = calloc(1, sizeof *r + n_classes * (line + counts));
    if (!r) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", fn);
    r->n = n;
    r->n_classes = n_classes;
    r->classes = (clmlp_class_scores *)(r + 1);
    size_t *tp = (size_t *)(r->classes + n_classes), *predicted = tp + n_classes,
           *support = predicted + n_classes;
    size_t right = 0;
    for (size_t i = 0; i < n; i++) {
        support[truth[i]]++;
        predicted[pred[i]]++;
        if (truth[i] == pred[i]) {
            tp[truth[i]]++;
            right++;
        }
    }
    double sum[3] = {0.0, 0.0, 0.0}, wsum[3] = {0.0, 0.0, 0.0};
    for (size_t c = 0; c < n_classes; c++) {
        clmlp_class_scores *s = &r->classes[c];
        double t = (double)tp[c], fp = (double)(predicted[c] - tp[c]),
               fn_ = (double)(support[c] - tp[c]);
        s->precision = ratio(t, t + fp);
        s->recall = ratio(t, t + fn_);
        /* The same as 2pr / (p + r) whenever both are defined, and 0 where
         * tp is 0, as scikit-learn's F-score is. */
        s->f1 = ratio(2.0 * t, 2.0 * t + fp + fn_);
        s->support = support[c];
        double v[3] = {s->precision, s->recall, s->f1};
        for (int j = 0; j < 3; j++) {
            sum[j] += v[j];
            wsum[j] += v[j] * (double)support[c];
        }
    }
    r->accuracy = (double)right / (double)n;
    r->macro_avg = (clmlp_class_scores){sum[0] / (double)n_classes, sum[1] / (double)n_classes,
                                        sum[2] / (double)n_classes, n};
    r->weighted_avg =
        (clmlp_class_scores){wsum[0] / (double)n, wsum[1] / (double)n, wsum[2] / (double)n, n};
    *out = r;
    return CLMLP_OK;
}

void clmlp_class_report_free(clmlp_class_report_t *r) { free(r); }

/* ---- ROC AUC ----------------------------------------------------------- */

typedef struct {
    float score;
    int32_t positive;
} scored_row;

static int by_score(const void *a, const void *b)
{
    float x = ((const scored_row *)a)->score, y = ((const scored_row *)b)->score;
    return (x > y) - (x < y);
}

int clmlp_roc_auc(const int32_t *truth, const float *scores, size_t n, double *auc)
{
    static const char fn[] = "clmlp_roc_auc";
    if (!truth || !scores || !auc)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: truth, scores and auc must not be NULL", fn);
    if (n == 0) return clmlp_set_error(CLMLP_E_INVALID, "%s: no rows to score", fn);
    size_t positives = 0;
    for (size_t i = 0; i < n; i++) {
        if (truth[i] != 0 && truth[i] != 1)
            return clmlp_set_error(CLMLP_E_INVALID, "%s: row %zu: label %ld is not 0 or 1", fn, i,
                                   (long)truth[i]);
        if (!isfinite(scores[i]))
            return clmlp_set_error(CLMLP_E_INVALID, "%s: row %zu: the score is %s", fn, i,
                                   isnan(scores[i]) ? "NaN" : "infinite");
        positives += (size_t)truth[i];
    }
    if (positives == 0 || positives == n)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%s: ROC AUC is not defined when only one class is present "
                               "(all %zu labels are %d)",
                               fn, n, positives ? 1 : 0);
    if (n > SIZE_MAX / sizeof(scored_row))
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: %zu rows overflow a size", fn, n);
    scored_row *rows = malloc(n * sizeof *rows);
    if (!rows) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", fn);
    for (size_t i = 0; i < n; i++) rows[i] = (scored_row){scores[i], truth[i]};
    qsort(rows, n, sizeof *rows, by_score);
    /* The Mann-Whitney count: for each positive, the negatives scored
     * below it, and one half of those scored the same -- the trapezoids
     * under the ROC curve over its distinct thresholds, as scikit-learn's
     * roc_auc_score sums them.  Walked in groups of equal scores. */
    double pairs = 0.0;
    size_t negatives_below = 0;
    for (size_t i = 0; i < n;) {
        size_t p = 0, q = 0, j = i;
        for (; j < n && rows[j].score == rows[i].score; j++) {
            if (rows[j].positive)
                p++;
            else
                q++;
        }
        pairs += (double)p * ((double)negatives_below + 0.5 * (double)q);
        negatives_below += q;
        i = j;
    }
    free(rows);
    *auc = pairs / ((double)positives * (double)(n - positives));
    return CLMLP_OK;
}

/* ---- regression -------------------------------------------------------- */

/* Checks that every value of v (n rows of k) is finite. */
static int check_finite(const char *fn, const char *what, const float *v, size_t n, size_t k)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++)
            if (!isfinite(v[i * k + j]))
                return clmlp_set_error(CLMLP_E_INVALID, "%s: row %zu, target %zu: the %s is %s", fn,
                                       i, j, what, isnan(v[i * k + j]) ? "NaN" : "infinite");
    return CLMLP_OK;
}

int clmlp_regression_report_init(clmlp_regression_report_t **out, const float *truth,
                                 const float *pred, size_t n, size_t n_targets)
{
    static const char fn[] = "clmlp_regression_report_init";
    if (out) *out = NULL;
    if (!out || !truth || !pred)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: out, truth and pred must not be NULL", fn);
    if (n == 0) return clmlp_set_error(CLMLP_E_INVALID, "%s: no rows to score", fn);
    if (n_targets == 0) return clmlp_set_error(CLMLP_E_INVALID, "%s: no targets", fn);
    if (n > SIZE_MAX / n_targets)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: %zu rows of %zu targets overflow a size", fn,
                               n, n_targets);
    CLMLP_TRY(check_finite(fn, "true value", truth, n, n_targets));
    CLMLP_TRY(check_finite(fn, "prediction", pred, n, n_targets));
    size_t line = sizeof(clmlp_regression_scores);
    if (n_targets > (SIZE_MAX - sizeof(clmlp_regression_report_t)) / line)
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: %zu targets overflow a size", fn, n_targets);
    clmlp_regression_report_t *r = calloc(1, sizeof *r + n_targets * line);
    if (!r) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", fn);
    r->n = n;
    r->n_targets = n_targets;
    r->targets = (clmlp_regression_scores *)(r + 1);
    const size_t k = n_targets;
    for (size_t j = 0; j < k; j++) {
        /* Two passes: the mean, then the sums about it, so a target far
         * from 0 with a small spread keeps its digits. */
        double mean = 0.0;
        for (size_t i = 0; i < n; i++) mean += truth[i * k + j];
        mean /= (double)n;
        double abs_sum = 0.0, ss_res = 0.0, ss_tot = 0.0;
        for (size_t i = 0; i < n; i++) {
            double t = truth[i * k + j], e = t - (double)pred[i * k + j];
            abs_sum += fabs(e);
            ss_res += e * e;
            ss_tot += (t - mean) * (t - mean);
        }
        clmlp_regression_scores *s = &r->targets[j];
        s->mae = abs_sum / (double)n;
        s->rmse = sqrt(ss_res / (double)n);
        if (n < 2)
            s->r2 = NAN; /* scikit-learn: not well-defined with fewer than two rows */
        else if (ss_tot > 0.0)
            s->r2 = 1.0 - ss_res / ss_tot;
        else
            s->r2 = ss_res > 0.0 ? 0.0 : 1.0; /* force_finite=True */
        r->overall.mae += s->mae;
        r->overall.rmse += s->rmse;
        r->overall.r2 += s->r2;
    }
    r->overall.mae /= (double)k;
    r->overall.rmse /= (double)k;
    r->overall.r2 /= (double)k;
    *out = r;
    return CLMLP_OK;
}

void clmlp_regression_report_free(clmlp_regression_report_t *r) { free(r); }
