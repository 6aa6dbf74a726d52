/* Training controls in the C API, on the reference backend: each schedule
 * formula against values worked by hand, the watch and reduce-on-plateau
 * step by step, and fit runs on a crafted one-weight model whose every
 * epoch can be worked out on the host -- early stopping stops where it
 * should and restores that epoch's weights, save_best writes them, the
 * history's lr is the scheduled one (and the optimizer steps with it), and
 * plateau lowers the lr. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testing.h"
#include "train/schedule.h"
#include "train/train.h"

/* Hand values below are written to 13 significant digits or exactly, and
 * the functions compute in double (pow and cos within an ulp or two), so
 * 1e-12 relative is set by the digits written down, not by the code. */
#define HAND_TOL 1e-12

static clmlp_backend_t *ref;

/* Whether got equals want to HAND_TOL relative (absolute near 0). */
static int near(double got, double want)
{
    double scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
    if (fabs(got - want) <= HAND_TOL * scale) return 1;
    fprintf(stderr, "\n  got %.17g, want %.17g\n", got, want);
    return 0;
}

/* ---- the formulas ----------------------------------------------------- */

static void test_step(void)
{
    /* lr0 * factor^floor(e / every): 0.1, 0.5, every 3. */
    static const double want[] = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025};
    for (size_t e = 0; e < sizeof want / sizeof want[0]; e++)
        CU_ASSERT(near(clmlp_schedule_lr_step(0.1, 0.5, 3, e), want[e]));
    /* every = 1 is a cut each epoch: 0.1 * 0.5^4. */
    CU_ASSERT(near(clmlp_schedule_lr_step(0.1, 0.5, 1, 4), 0.00625));
}

static void test_exp(void)
{
    /* lr0 * factor^e: 0.2 * 0.9^e = 0.2, 0.18, 0.162, 0.1458, 0.13122. */
    static const double want[] = {0.2, 0.18, 0.162, 0.1458, 0.13122};
    for (size_t e = 0; e < sizeof want / sizeof want[0]; e++)
        CU_ASSERT(near(clmlp_schedule_lr_exp(0.2, 0.9, e), want[e]));
}

static void test_cosine(void)
{
    /* lr0 (1 + cos(pi e / 4)) / 2 with lr0 = 0.1; cos(pi/4) = 0.7071067811865. */
    static const double want[] = {0.1, 0.08535533905933, 0.05, 0.01464466094067, 0.0};
    for (size_t e = 0; e < sizeof want / sizeof want[0]; e++)
        CU_ASSERT(near(clmlp_schedule_lr_cosine(0.1, e, 4), want[e]));
    /* Past E it stays at the bottom instead of rising again. */
    CU_ASSERT(near(clmlp_schedule_lr_cosine(0.1, 6, 4), 0.0));
}

static void test_floor_and_dispatch(void)
{
    /* clmlp_schedule_lr_at picks the formula and applies the floor to each. */
    schedule_params p = {.kind = CLMLP_LR_COSINE, .lr0 = 0.1, .total = 4, .min_lr = 0.02};
    CU_ASSERT(near(clmlp_schedule_lr_at(&p, 0), 0.1));
    CU_ASSERT(near(clmlp_schedule_lr_at(&p, 1), 0.08535533905933));
    CU_ASSERT(near(clmlp_schedule_lr_at(&p, 3), 0.02)); /* 0.0146 is under the floor */
    p = (schedule_params){
        .kind = CLMLP_LR_STEP, .lr0 = 1, .factor = 0.5, .every = 2, .min_lr = 0.3};
    CU_ASSERT(near(clmlp_schedule_lr_at(&p, 2), 0.5));
    CU_ASSERT(near(clmlp_schedule_lr_at(&p, 4), 0.3)); /* 0.25 floored */
    p = (schedule_params){.kind = CLMLP_LR_EXP, .lr0 = 0.2, .factor = 0.9};
    CU_ASSERT(near(clmlp_schedule_lr_at(&p, 2), 0.162));
    p = (schedule_params){.kind = CLMLP_LR_NONE, .lr0 = 0.7};
    CU_ASSERT(near(clmlp_schedule_lr_at(&p, 9), 0.7));
}

static void test_watch(void)
{
    /* Lower is better with min_delta 0.1: 1.0 (first, improves), 0.95 (by
     * 0.05: not enough), 0.85 (0.15 below the best 1.0: improves), NaN
     * (never), 0.8 (0.05: not enough). */
    schedule_watch w;
    clmlp_schedule_watch_init(&w, 0, 0.1);
    CU_ASSERT_EQUAL(clmlp_schedule_watch_update(&w, 1.0, 1), 1);
    CU_ASSERT_EQUAL(clmlp_schedule_watch_update(&w, 0.95, 2), 0);
    CU_ASSERT_EQUAL(w.wait, 1);
    CU_ASSERT_EQUAL(clmlp_schedule_watch_update(&w, 0.85, 3), 1);
    CU_ASSERT_EQUAL(w.best_epoch, 3);
    CU_ASSERT_EQUAL(w.wait, 0);
    CU_ASSERT_EQUAL(clmlp_schedule_watch_update(&w, NAN, 4), 0);
    CU_ASSERT_EQUAL(clmlp_schedule_watch_update(&w, 0.8, 5), 0);
    CU_ASSERT_EQUAL(w.wait, 2);
    CU_ASSERT_EQUAL(w.best, 0.85);
    /* Higher is better: an equal value is no improvement. */
    clmlp_schedule_watch_init(&w, 1, 0.0);
    CU_ASSERT_EQUAL(clmlp_schedule_watch_update(&w, 0.5, 1), 1);
    CU_ASSERT_EQUAL(clmlp_schedule_watch_update(&w, 0.5, 2), 0);
    CU_ASSERT_EQUAL(clmlp_schedule_watch_update(&w, 0.75, 3), 1);
    CU_ASSERT_EQUAL(w.best_epoch, 3);
}

static void test_plateau(void)
{
    /* lr 1, factor 0.5, patience 2, cooldown 1, floor 0.2.  val_loss 1.0,
     * 0.9, then 0.95 for ever: epochs 3-4 do not improve -> cut to 0.5
     * after epoch 4; epoch 5 is the cooldown; 6-7 -> 0.25 after 7; 8
     * cooldown; 9-10 -> max(0.125, 0.2) = 0.2 after 10; 11 cooldown; 12-13:
     * already at the floor, no cut. */
    schedule_plateau p;
    clmlp_schedule_plateau_init(&p, 1.0, 0.5, 2, 1, 0.0, 0.2);
    static const double loss[] = {1.0,  0.9,  0.95, 0.95, 0.95, 0.95, 0.95,
                                  0.95, 0.95, 0.95, 0.95, 0.95, 0.95};
    static const double lr_after[] = {1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2};
    for (size_t e = 0; e < sizeof loss / sizeof loss[0]; e++) {
        int cut = clmlp_schedule_plateau_update(&p, loss[e], e + 1);
        int want_cut = e + 1 == 4 || e + 1 == 7 || e + 1 == 10;
        if (cut != want_cut) fprintf(stderr, "\n  epoch %zu: cut %d\n", e + 1, cut);
        CU_ASSERT_EQUAL(cut, want_cut);
        CU_ASSERT(near(p.lr, lr_after[e]));
    }
    /* min_delta: a fall of 0.005 under 0.01 is no improvement, so patience
     * 1 cuts at once. */
    clmlp_schedule_plateau_init(&p, 0.1, 0.1, 1, 0, 0.01, 0.0);
    CU_ASSERT_EQUAL(clmlp_schedule_plateau_update(&p, 1.0, 1), 0);
    CU_ASSERT_EQUAL(clmlp_schedule_plateau_update(&p, 0.995, 2), 1);
    CU_ASSERT(near(p.lr, 0.01));
}

static void test_names(void)
{
    clmlp_lr_schedule s;
    clmlp_monitor mon;
    CU_ASSERT(clmlp_lr_schedule_parse("cosine", &s) == CLMLP_OK && s == CLMLP_LR_COSINE);
    CU_ASSERT(clmlp_lr_schedule_parse("linear", &s) < 0);
    CU_ASSERT_STRING_EQUAL(clmlp_lr_schedule_name(CLMLP_LR_PLATEAU), "plateau");
    CU_ASSERT(clmlp_monitor_parse("val_accuracy", &mon) == CLMLP_OK &&
              mon == CLMLP_MONITOR_VAL_ACCURACY);
    CU_ASSERT(clmlp_monitor_parse("loss", &mon) == CLMLP_OK && mon == CLMLP_MONITOR_LOSS);
    CU_ASSERT(clmlp_monitor_parse("val_mae", &mon) == CLMLP_OK && mon == CLMLP_MONITOR_VAL_MAE);
    CU_ASSERT(clmlp_monitor_parse("accuracy", &mon) < 0);
    CU_ASSERT_STRING_EQUAL(clmlp_monitor_name(CLMLP_MONITOR_VAL_LOSS), "val_loss");
    CU_ASSERT_STRING_EQUAL(clmlp_monitor_name(CLMLP_MONITOR_LOSS), "loss");
}

/* ---- fit runs on a crafted model ---------------------------------------
 *
 * One sigmoid unit, one weight w, no bias, binary cross-entropy.  Training
 * is the single row x = 1, label 1; full-batch SGD moves w by lr (1 - p)
 * with p = sigmoid(w), so p only rises.  Validation is x = 1 four times,
 * labels 1, 1, 1, 0: val_loss = -(0.75 ln p + 0.25 ln(1 - p)) falls while
 * p < 0.75 and rises after.  From w = 0 with lr 1 (worked on the host, as
 * host_w below does):
 *   epoch       1       2       3       4       5       6
 *   w        0.5000  0.8775  1.1712  1.4079  1.6044  1.7718
 *   val_loss 0.5991  0.5671  0.5628  0.5708  0.5843  0.6000
 * so epoch 3 is the best (0.004 below epoch 2, 0.008 below epoch 4: far
 * above double rounding), and every p > 0.5 predicts 1: val_accuracy is
 * 0.75 at every epoch. */

static clmlp_dataset_t *g_train, *g_val;

/* The crafted model, weight 0, compiled on ref with SGD at lr. */
static clmlp_model_t *crafted_model(double lr)
{
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "1,1:sigmoid:nobias"));
    float w = 0.0f;
    TEST_OK(clmlp_model_set_weights(m, 0, &w, NULL));
    clmlp_optimizer opt = {.kind = CLMLP_OPT_SGD, .lr = lr};
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_BCE, &opt, ref, 1));
    return m;
}

/* w after each epoch on the host, in double: w[e] after epoch e+1, each
 * epoch stepping with lr[e]. */
static void host_w(const double *lr, size_t epochs, double *w)
{
    double v = 0.0;
    for (size_t e = 0; e < epochs; e++) {
        v += lr[e] * (1.0 - 1.0 / (1.0 + exp(-v)));
        w[e] = v;
    }
}

/* The model's one parameter. */
static float param(const clmlp_model_t *m)
{
    float w = NAN;
    TEST_OK(clmlp_model_get_params(m, &w));
    return w;
}

/* Fit options over the crafted data: full batch, no shuffle. */
static clmlp_fit_opts crafted_opts(size_t epochs)
{
    clmlp_fit_opts fo;
    memset(&fo, 0, sizeof fo);
    fo.epochs = epochs;
    fo.validation = g_val;
    return fo;
}

/* The parameter after each epoch, captured by the epoch callback. */
typedef struct {
    const clmlp_model_t *m;
    float w[32];
} snapshots;

static int snapshot(const clmlp_epoch_stats *s, void *user)
{
    snapshots *sn = user;
    if (s->epoch < 32) sn->w[s->epoch] = param(sn->m);
    return 0;
}

/* The reference backend keeps w in double and get_params rounds it to
 * float32 once: 2^-24 relative on |w| < 2 is 1.2e-7, so 1e-6 leaves room
 * and still tells one epoch from the next (they differ by > 0.1). */
#define HOST_TOL 1e-6

static void test_host_model_agrees(void)
{
    /* The crafted model trains as worked above, or nothing below holds. */
    clmlp_model_t *m = crafted_model(1.0);
    clmlp_fit_opts fo = crafted_opts(6);
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    double lr[6] = {1, 1, 1, 1, 1, 1}, w[6];
    host_w(lr, 6, w);
    CU_ASSERT(fabs(param(m) - w[5]) <= HOST_TOL);
    CU_ASSERT_FATAL(h && h->n == 6);
    static const double val[] = {0.5991, 0.5671, 0.5628, 0.5708, 0.5843, 0.6000};
    for (size_t e = 0; e < 6; e++) {
        /* The table gives 4 decimals: 5e-5 is its rounding. */
        CU_ASSERT(fabs(h->epochs[e].val_loss - val[e]) <= 5e-5);
        CU_ASSERT_EQUAL(h->epochs[e].val_accuracy, 0.75);
        CU_ASSERT_EQUAL(h->epochs[e].lr, 1.0); /* no schedule */
    }
    /* Without early stopping the best is still reported, nothing restored. */
    CU_ASSERT_EQUAL(h->best_epoch, 3);
    CU_ASSERT_EQUAL(h->best_value, h->epochs[2].val_loss);
    CU_ASSERT_EQUAL(h->stopped_epoch, 0);
    CU_ASSERT_EQUAL(h->restored_best, 0);
    clmlp_history_free(h);
    clmlp_model_free(m);
}

static void test_early_stop_val_loss(void)
{
    /* Patience 2: epochs 4 and 5 do not beat epoch 3, so the run ends after
     * epoch 5 of 20 with epoch 3's weights. */
    clmlp_model_t *m = crafted_model(1.0);
    snapshots sn = {.m = m};
    clmlp_fit_opts fo = crafted_opts(20);
    fo.early_stop_patience = 2;
    fo.restore_best = 1;
    fo.on_epoch = snapshot;
    fo.user = &sn;
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    CU_ASSERT_FATAL(h != NULL);
    CU_ASSERT_EQUAL(h->n, 5);
    CU_ASSERT_EQUAL(h->stopped_epoch, 5);
    CU_ASSERT_EQUAL(h->best_epoch, 3);
    CU_ASSERT_EQUAL(h->best_value, h->epochs[2].val_loss);
    CU_ASSERT_EQUAL(h->restored_best, 1);
    CU_ASSERT_EQUAL(clmlp_model_epochs_done(m), 5);
    /* Restored bit for bit: the copy taken at epoch 3 went back as it was. */
    float w = param(m);
    CU_ASSERT(memcmp(&w, &sn.w[3], sizeof w) == 0);
    CU_ASSERT(w != sn.w[5]);
    double lr[3] = {1, 1, 1}, hw[3];
    host_w(lr, 3, hw);
    CU_ASSERT(fabs(w - hw[2]) <= HOST_TOL);
    clmlp_history_free(h);
    clmlp_model_free(m);

    /* restore_best off: the same stop, the last epoch's weights kept. */
    m = crafted_model(1.0);
    sn.m = m;
    fo.restore_best = 0;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    CU_ASSERT_EQUAL(h->stopped_epoch, 5);
    CU_ASSERT_EQUAL(h->restored_best, 0);
    w = param(m);
    CU_ASSERT(memcmp(&w, &sn.w[5], sizeof w) == 0);
    clmlp_history_free(h);
    clmlp_model_free(m);
}

/* The metrics option: after each epoch the model's predictions are
 * scored.  The crafted model predicts class 1 for every row (p > 0.5 from
 * epoch 1 on), and clmlp_class_report_init averages over both classes:
 * training (one row of class 1): class 0 scores 0 (nothing predicted or
 * true), class 1 scores 1, so macro precision, recall and F1 are 0.5, and
 * the AUC is undefined (one class: NaN); validation (labels 1, 1, 1, 0):
 * class 1 has precision 3/4, recall 1, F1 6/7, class 0 all 0, so the
 * macro figures are 3/8, 1/2 and 3/7, and every row scoring the same p
 * makes the AUC one half (ties count half).  Exact fractions of small
 * counts: compared to 1e-12. */
static void test_metrics_after_epochs(void)
{
    clmlp_model_t *m = crafted_model(1.0);
    clmlp_fit_opts fo = crafted_opts(2);
    fo.metrics = 1;
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    CU_ASSERT_FATAL(h != NULL && h->n == 2);
    for (size_t e = 0; e < 2; e++) {
        const clmlp_epoch_stats *s = &h->epochs[e];
        CU_ASSERT(fabs(s->precision - 0.5) < 1e-12 && fabs(s->recall - 0.5) < 1e-12 &&
                  fabs(s->f1 - 0.5) < 1e-12);
        CU_ASSERT(isnan(s->auc));
        CU_ASSERT(fabs(s->val_precision - 0.375) < 1e-12 && fabs(s->val_recall - 0.5) < 1e-12 &&
                  fabs(s->val_f1 - 3.0 / 7.0) < 1e-12);
        CU_ASSERT(fabs(s->val_auc - 0.5) < 1e-12);
        /* A classifier has no regression scores. */
        CU_ASSERT(isnan(s->rmse) && isnan(s->r2) && isnan(s->val_rmse) && isnan(s->val_r2));
    }
    /* The history file carries them under their own names, and reads back. */
    const char *path = test_temp_path("metrics.csv");
    TEST_OK(clmlp_history_write(h, path));
    clmlp_history_t *back = NULL;
    TEST_OK(clmlp_history_read(&back, path));
    CU_ASSERT_FATAL(back->n == 2);
    CU_ASSERT(back->epochs[1].val_f1 == h->epochs[1].val_f1);
    CU_ASSERT(isnan(back->epochs[1].auc) && back->epochs[1].val_auc == 0.5);
    clmlp_history_free(back);
    FILE *f = fopen(path, "r");
    char header[512] = "";
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL(fgets(header, sizeof header, f));
    fclose(f);
    /* Only the columns some epoch has: no training AUC, no regression's. */
    CU_ASSERT_STRING_EQUAL(header, "epoch,loss,accuracy,val_loss,val_accuracy,seconds,lr,"
                                   "precision_macro,recall_macro,f1_macro,val_precision_macro,"
                                   "val_recall_macro,val_f1_macro,val_roc_auc\n");
    clmlp_history_free(h);
    clmlp_model_free(m);

    /* Without the option: NaN, and no such columns. */
    m = crafted_model(1.0);
    fo.metrics = 0;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    CU_ASSERT(isnan(h->epochs[0].f1) && isnan(h->epochs[0].val_f1));
    TEST_OK(clmlp_history_write(h, path));
    f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL(fgets(header, sizeof header, f));
    fclose(f);
    CU_ASSERT_STRING_EQUAL(header, "epoch,loss,accuracy,val_loss,val_accuracy,seconds,lr\n");
    clmlp_history_free(h);
    clmlp_model_free(m);
}

/* The training loss of epoch e is the loss before its step, -ln
 * sigmoid(w after epoch e-1): 0.6931, 0.4741, 0.3477, 0.2700, 0.2189,
 * 0.1832, 0.1570 for epochs 1 to 7 (host_w's w).  With min_delta 0.045,
 * epoch 5 improves on epoch 4 by 0.0511 and epoch 6 on epoch 5 by only
 * 0.0357 (both 0.006 or more from 0.045, far above rounding), so with
 * patience 1 the run ends after epoch 6 with epoch 5 the best -- and it
 * needs no validation data. */
static void test_early_stop_training_loss(void)
{
    clmlp_model_t *m = crafted_model(1.0);
    snapshots sn = {.m = m};
    clmlp_fit_opts fo = crafted_opts(20);
    fo.validation = NULL;
    fo.monitor = CLMLP_MONITOR_LOSS;
    fo.early_stop_patience = 1;
    fo.early_stop_min_delta = 0.045;
    fo.on_epoch = snapshot;
    fo.user = &sn;
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    CU_ASSERT_FATAL(h != NULL && h->n == 6);
    CU_ASSERT_EQUAL(h->stopped_epoch, 6);
    CU_ASSERT_EQUAL(h->best_epoch, 5);
    CU_ASSERT_EQUAL(h->best_value, h->epochs[4].loss);
    /* The losses are the worked ones (4 decimals: 5e-5 is their rounding). */
    static const double loss[] = {0.6931, 0.4741, 0.3477, 0.2700, 0.2189, 0.1832};
    for (size_t e = 0; e < 6; e++) CU_ASSERT(fabs(h->epochs[e].loss - loss[e]) <= 5e-5);
    /* Without restore_best the last epoch's weights stay, as scikit-learn
     * keeps them when it stops on the training loss. */
    CU_ASSERT_EQUAL(h->restored_best, 0);
    float w = param(m);
    CU_ASSERT(memcmp(&w, &sn.w[6], sizeof w) == 0);
    clmlp_history_free(h);
    clmlp_model_free(m);

    /* A validation metric without validation data is still refused. */
    m = crafted_model(1.0);
    fo.monitor = CLMLP_MONITOR_VAL_LOSS;
    CU_ASSERT_EQUAL(clmlp_model_fit(m, g_train, &fo, &h), CLMLP_E_INVALID);
    CU_ASSERT(strstr(clmlp_last_error(), "needs validation data") != NULL);
    clmlp_model_free(m);
}

static void test_early_stop_min_delta_and_accuracy(void)
{
    /* min_delta 0.01: epoch 2 beats epoch 1 by 0.032, epoch 3 beats epoch 2
     * by only 0.0043, so with patience 2 the best is epoch 2 and the run
     * ends after epoch 4. */
    clmlp_model_t *m = crafted_model(1.0);
    snapshots sn = {.m = m};
    clmlp_fit_opts fo = crafted_opts(20);
    fo.early_stop_patience = 2;
    fo.early_stop_min_delta = 0.01;
    fo.restore_best = 1;
    fo.on_epoch = snapshot;
    fo.user = &sn;
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    CU_ASSERT_EQUAL(h->stopped_epoch, 4);
    CU_ASSERT_EQUAL(h->best_epoch, 2);
    float w = param(m);
    CU_ASSERT(memcmp(&w, &sn.w[2], sizeof w) == 0);
    clmlp_history_free(h);
    clmlp_model_free(m);

    /* val_accuracy stays 0.75: only epoch 1 improves (on nothing), and
     * patience 3 ends the run after epoch 4 with epoch 1's weights. */
    m = crafted_model(1.0);
    sn.m = m;
    fo.early_stop_min_delta = 0.0;
    fo.early_stop_patience = 3;
    fo.monitor = CLMLP_MONITOR_VAL_ACCURACY;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    CU_ASSERT_EQUAL(h->stopped_epoch, 4);
    CU_ASSERT_EQUAL(h->best_epoch, 1);
    CU_ASSERT_EQUAL(h->best_value, 0.75);
    w = param(m);
    CU_ASSERT(memcmp(&w, &sn.w[1], sizeof w) == 0);
    clmlp_history_free(h);
    clmlp_model_free(m);
}

static void test_save_best(void)
{
    /* No early stopping: all 6 epochs run, and the file holds epoch 3. */
    const char *path = test_temp_path("best.model");
    clmlp_model_t *m = crafted_model(1.0);
    snapshots sn = {.m = m};
    clmlp_fit_opts fo = crafted_opts(6);
    fo.save_best = path;
    fo.on_epoch = snapshot;
    fo.user = &sn;
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    CU_ASSERT_EQUAL(h->n, 6);
    CU_ASSERT_EQUAL(h->best_epoch, 3);
    clmlp_model_t *best = NULL;
    TEST_OK(clmlp_model_load(&best, path, ref));
    float w = param(best);
    CU_ASSERT(memcmp(&w, &sn.w[3], sizeof w) == 0);
    CU_ASSERT(w != param(m)); /* the model itself went on to epoch 6 */
    CU_ASSERT_EQUAL(clmlp_model_epochs_done(best), 3);
    /* It scores what epoch 3 scored (the same weights on the same backend;
     * float32 storage of w moves p by < 1e-7, the loss by less). */
    double loss = 0, acc = 0;
    TEST_OK(clmlp_model_evaluate(best, g_val, 0, &loss, &acc));
    CU_ASSERT(fabs(loss - h->epochs[2].val_loss) <= 1e-6);
    clmlp_model_free(best);
    clmlp_history_free(h);
    clmlp_model_free(m);

    /* A file that cannot be written stops the run with its status, and the
     * epoch that trained is still in the history. */
    m = crafted_model(1.0);
    fo = crafted_opts(6);
    fo.save_best = test_temp_path("no-such-dir/best.model");
    int rc = clmlp_model_fit(m, g_train, &fo, &h);
    CU_ASSERT(rc < 0);
    CU_ASSERT(test_output_has(clmlp_last_error(), "no-such-dir"));
    CU_ASSERT_FATAL(h != NULL);
    CU_ASSERT_EQUAL(h->n, 1);
    clmlp_history_free(h);
    clmlp_model_free(m);
}

/* The checkpoint policy (clmlp_fit_opts.checkpoint): after every epoch the
 * file holds that epoch's model (read back in the epoch callback, which
 * runs before the save: so it holds the one before), and at the end the
 * last one; a run stopped by *stop leaves its last whole epoch in it; a
 * file that cannot be written stops the run with its status. */
typedef struct {
    const char *path;
    size_t seen[8]; /* epochs_done of the file, at each epoch's callback */
} ckpt_watch;

static int ckpt_epoch(const clmlp_epoch_stats *s, void *user)
{
    ckpt_watch *cw = user;
    clmlp_model_t *saved = NULL;
    if (s->epoch < 8 && clmlp_model_load(&saved, cw->path, ref) == CLMLP_OK)
        cw->seen[s->epoch] = clmlp_model_epochs_done(saved);
    clmlp_model_free(saved);
    return 0;
}

static void test_checkpoint(void)
{
    const char *path = test_temp_path("checkpoint.model");
    clmlp_model_t *m = crafted_model(1.0);
    ckpt_watch cw = {.path = path};
    clmlp_fit_opts fo = crafted_opts(4);
    fo.checkpoint = path;
    fo.on_epoch = ckpt_epoch;
    fo.user = &cw;
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    /* Epoch e's callback sees epoch e-1's file (none before epoch 2). */
    for (size_t e = 2; e <= 4; e++) CU_ASSERT_EQUAL(cw.seen[e], e - 1);
    clmlp_model_t *saved = NULL;
    TEST_OK(clmlp_model_load(&saved, path, ref));
    CU_ASSERT_EQUAL(clmlp_model_epochs_done(saved), 4);
    float w = param(saved);
    CU_ASSERT(memcmp(&w, &(float){param(m)}, sizeof w) == 0);
    clmlp_model_free(saved);
    clmlp_history_free(h);
    clmlp_model_free(m);

    /* Stopped before its first epoch (no epoch's save ran): the file is
     * still written, with the model as it was, so a checkpoint always
     * holds where the run stands. */
    remove(path);
    volatile sig_atomic_t stop = 1;
    m = crafted_model(1.0);
    fo.stop = &stop;
    fo.on_epoch = NULL;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    CU_ASSERT(h->interrupted);
    CU_ASSERT_EQUAL(h->n, 0);
    TEST_OK(clmlp_model_load(&saved, path, ref));
    CU_ASSERT_EQUAL(clmlp_model_epochs_done(saved), 0);
    CU_ASSERT_EQUAL(param(saved), 0.0f);
    clmlp_model_free(saved);
    clmlp_history_free(h);
    clmlp_model_free(m);

    /* Stopped so, with a checkpoint that cannot be written: the run is
     * still an interrupted one (the caller writes its other files), and
     * fails with the save's status, saying which. */
    m = crafted_model(1.0);
    fo.checkpoint = test_temp_path("no-such-dir/checkpoint.model");
    CU_ASSERT(clmlp_model_fit(m, g_train, &fo, &h) < 0);
    CU_ASSERT(test_output_has(clmlp_last_error(), "no-such-dir"));
    CU_ASSERT_FATAL(h != NULL);
    CU_ASSERT(h->interrupted);
    CU_ASSERT(h->checkpoint_failed);
    clmlp_history_free(h);
    clmlp_model_free(m);

    /* An unwritable checkpoint ends the run after its first epoch. */
    m = crafted_model(1.0);
    fo = crafted_opts(4);
    fo.checkpoint = test_temp_path("no-such-dir/checkpoint.model");
    CU_ASSERT(clmlp_model_fit(m, g_train, &fo, &h) < 0);
    CU_ASSERT(test_output_has(clmlp_last_error(), "no-such-dir"));
    CU_ASSERT_FATAL(h != NULL);
    CU_ASSERT_EQUAL(h->n, 1);
    clmlp_history_free(h);
    clmlp_model_free(m);
}

/* Reads a whole small file into buf; returns its length or -1. */
static long slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return (long)n;
}

static void test_history_lr(void)
{
    /* Step schedule lr0 0.5, factor 0.5, every 2: epochs 1-5 use 0.5, 0.5,
     * 0.25, 0.25, 0.125 (powers of two: exact in float and in %.17g). */
    clmlp_model_t *m = crafted_model(0.5);
    clmlp_fit_opts fo = crafted_opts(5);
    fo.validation = NULL;
    fo.lr_schedule = CLMLP_LR_STEP;
    fo.lr_factor = 0.5;
    fo.lr_step_every = 2;
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    static const double want[] = {0.5, 0.5, 0.25, 0.25, 0.125};
    CU_ASSERT_FATAL(h && h->n == 5);
    for (size_t e = 0; e < 5; e++) CU_ASSERT_EQUAL(h->epochs[e].lr, want[e]);
    CU_ASSERT_EQUAL(h->epochs[4].next_lr, 0.125); /* e = 5: floor(5/2) = 2 */
    /* The optimizer stepped with them: w as the host gets it. */
    double w[5];
    host_w(want, 5, w);
    CU_ASSERT(fabs(param(m) - w[4]) <= HOST_TOL);
    /* The model keeps its base lr. */
    CU_ASSERT_EQUAL(clmlp_model_optimizer(m).lr, 0.5);

    /* The CSV: the old columns in order, lr last, one value per epoch. */
    char text[4096];
    TEST_OK(clmlp_history_write(h, test_temp_path("h.csv")));
    CU_ASSERT_FATAL(slurp(test_temp_path("h.csv"), text, sizeof text) > 0);
    const char *header = "epoch,loss,accuracy,val_loss,val_accuracy,seconds,lr\n";
    CU_ASSERT(strncmp(text, header, strlen(header)) == 0);
    const char *line = text;
    for (size_t e = 0; e < 5; e++) {
        line = strchr(line, '\n');
        CU_ASSERT_FATAL(line != NULL);
        line++;
        const char *end = strchr(line, '\n');
        const char *last = end;
        while (last > line && last[-1] != ',') last--;
        CU_ASSERT_EQUAL(strtod(last, NULL), want[e]);
    }
    TEST_OK(clmlp_history_write(h, test_temp_path("h.json")));
    CU_ASSERT_FATAL(slurp(test_temp_path("h.json"), text, sizeof text) > 0);
    CU_ASSERT(test_output_has(text, "\"seconds\": ") && test_output_has(text, "\"lr\": 0.125}"));
    clmlp_history_free(h);

    /* Resuming continues the schedule: epochs 6 and 7 are e = 5 and 6. */
    fo.initial_epoch = 5;
    fo.epochs = 2;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    CU_ASSERT_EQUAL(h->epochs[0].epoch, 6);
    CU_ASSERT_EQUAL(h->epochs[0].lr, 0.125);
    CU_ASSERT_EQUAL(h->epochs[1].lr, 0.0625);
    clmlp_history_free(h);
    clmlp_model_free(m);
}

static void test_exp_and_cosine_in_fit(void)
{
    /* exp 0.5 from lr 1: 1, 0.5, 0.25, 0.125; cosine over E = 4 from 1:
     * 1, 0.8535533905933, 0.5, 0.1464466094067.  w checks the step used
     * them (a constant lr 1 ends at w = 1.4079, far outside HOST_TOL). */
    static const double want_exp[] = {1, 0.5, 0.25, 0.125};
    static const double want_cos[] = {1, 0.8535533905933, 0.5, 0.1464466094067};
    for (int k = 0; k < 2; k++) {
        const double *want = k ? want_cos : want_exp;
        clmlp_model_t *m = crafted_model(1.0);
        clmlp_fit_opts fo = crafted_opts(4);
        fo.validation = NULL;
        fo.lr_schedule = k ? CLMLP_LR_COSINE : CLMLP_LR_EXP;
        fo.lr_factor = k ? 0.0 : 0.5;
        clmlp_history_t *h = NULL;
        TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
        for (size_t e = 0; e < 4; e++) CU_ASSERT(near(h->epochs[e].lr, want[e]));
        double w[4];
        /* The backend takes lr as float32: 2^-24 relative, inside HOST_TOL. */
        host_w(want, 4, w);
        CU_ASSERT(fabs(param(m) - w[3]) <= HOST_TOL);
        clmlp_history_free(h);
        clmlp_model_free(m);
    }
}

static void test_plateau_lowers_lr(void)
{
    /* Plateau, patience 1, factor 0.5: epochs 1-3 improve, epoch 4 does
     * not -> epoch 5 trains at 0.5; p keeps rising, so epoch 5 is worse
     * again -> epoch 6 at 0.25. */
    clmlp_model_t *m = crafted_model(1.0);
    clmlp_fit_opts fo = crafted_opts(6);
    fo.lr_schedule = CLMLP_LR_PLATEAU;
    fo.lr_factor = 0.5;
    fo.lr_patience = 1;
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, g_train, &fo, &h));
    static const double want[] = {1, 1, 1, 1, 0.5, 0.25};
    CU_ASSERT_FATAL(h && h->n == 6);
    for (size_t e = 0; e < 6; e++) CU_ASSERT_EQUAL(h->epochs[e].lr, want[e]);
    CU_ASSERT_EQUAL(h->epochs[3].next_lr, 0.5);
    double w[6];
    host_w(want, 6, w);
    CU_ASSERT(fabs(param(m) - w[5]) <= HOST_TOL);
    CU_ASSERT_EQUAL(clmlp_model_optimizer(m).lr, 1.0);
    clmlp_history_free(h);
    clmlp_model_free(m);
}

static void test_refused_before_training(void)
{
    /* Watching a val_ metric without validation data, and values out of
     * range: CLMLP_E_INVALID, and the model is untouched. */
    clmlp_model_t *m = crafted_model(1.0);
    struct {
        const char *needle;
        clmlp_fit_opts fo;
    } bad[] = {
        {"validation data", {.epochs = 3, .early_stop_patience = 2}},
        {"val_accuracy, which needs validation",
         {.epochs = 3, .early_stop_patience = 2, .monitor = CLMLP_MONITOR_VAL_ACCURACY}},
        {"plateau", {.epochs = 3, .lr_schedule = CLMLP_LR_PLATEAU}},
        {"save_best", {.epochs = 3, .save_best = "x.model"}},
        {"lr_factor", {.epochs = 3, .lr_schedule = CLMLP_LR_STEP, .lr_factor = 1.5}},
        {"lr_min", {.epochs = 3, .lr_schedule = CLMLP_LR_STEP, .lr_min = -1}},
        {"early_stop_min_delta",
         {.epochs = 3, .validation = g_val, .early_stop_patience = 1, .early_stop_min_delta = NAN}},
        {"lr_schedule", {.epochs = 3, .lr_schedule = (clmlp_lr_schedule)99}},
        {"monitor", {.epochs = 3, .validation = g_val, .monitor = (clmlp_monitor)7}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        static clmlp_history_t stale;
        clmlp_history_t *h = &stale; /* fit must set it to NULL */
        CU_ASSERT_EQUAL(clmlp_model_fit(m, g_train, &bad[i].fo, &h), CLMLP_E_INVALID);
        CU_ASSERT(test_output_has(clmlp_last_error(), bad[i].needle));
        CU_ASSERT_PTR_NULL(h);
    }
    CU_ASSERT_EQUAL(clmlp_model_epochs_done(m), 0);
    CU_ASSERT_EQUAL(param(m), 0.0f);
    clmlp_model_free(m);
}

/* ---- the stall watch, epoch by epoch ----------------------------------
 *
 * The crafted model's binary cross-entropy over g_val (labels 1, 1, 1, 0):
 * chance is 0.75, a uniform guess's loss ln 2, so CHANCE is an accuracy
 * <= 0.76 with a loss > 1.386, LOSS_AT_MAX a loss >= 8.059. */

typedef struct {
    double loss, accuracy;
    unsigned stalled;      /* the flags reported */
    size_t stalled_epochs; /* the longest streak of the signs shown */
} stall_step;

/* Feeds the steps to a fresh watch and checks each epoch's verdict. */
static void run_stall(const char *what, const stall_step *st, size_t n)
{
    clmlp_model_t *m = crafted_model(1.0);
    clmlp_stall_watch w;
    clmlp_stall_init(&w, m, g_val);
    CU_ASSERT(near(w.chance, 0.75));
    for (size_t e = 0; e < n; e++) {
        clmlp_epoch_stats s;
        memset(&s, 0, sizeof s);
        s.epoch = e + 1;
        s.loss = st[e].loss;
        s.accuracy = st[e].accuracy;
        clmlp_stall_update(&w, &s);
        if (s.stalled != st[e].stalled || s.stalled_epochs != st[e].stalled_epochs)
            fprintf(stderr, "\n  %s, epoch %zu: stalled %u/%zu, want %u/%zu\n", what, e + 1,
                    s.stalled, s.stalled_epochs, st[e].stalled, st[e].stalled_epochs);
        CU_ASSERT_EQUAL(s.stalled, st[e].stalled);
        CU_ASSERT_EQUAL(s.stalled_epochs, st[e].stalled_epochs);
    }
    clmlp_model_free(m);
}

#define RUN_STALL(what, ...)                                                                       \
    do {                                                                                           \
        static const stall_step steps_[] = {__VA_ARGS__};                                          \
        run_stall(what, steps_, sizeof steps_ / sizeof steps_[0]);                                 \
    } while (0)

static void test_stall_own_streaks(void)
{
    enum { AT_MAX = CLMLP_STALL_LOSS_AT_MAX, CHANCE = CLMLP_STALL_CHANCE };
    enum { NOT_FALLING = CLMLP_STALL_NOT_FALLING, EXPLODED = CLMLP_STALL_EXPLODED };
    /* A CHANCE epoch, then one that only does not fall: not yet said --
     * NOT_FALLING needs 2 epochs of its own; the next one says it. */
    RUN_STALL("chance then not falling", {3.0, 0.9, 0, 0}, {2.0, 0.5, 0, 1}, {3.0, 0.9, 0, 1},
              {3.0, 0.9, NOT_FALLING, 2});
    /* From epoch 1 on: a CHANCE first epoch is no NOT_FALLING one. */
    RUN_STALL("chance at epoch 1", {2.0, 0.5, 0, 1}, {2.0, 0.9, 0, 1}, {2.5, 0.9, NOT_FALLING, 2});
    /* LOSS_AT_MAX twice, then CHANCE: neither is said until it has 3
     * epochs of its own (the loss falls from epoch 3, ending NOT_FALLING). */
    RUN_STALL("at max then chance", {10.0, 0.9, 0, 1}, {10.0, 0.9, 0, 2}, {5.0, 0.5, 0, 1},
              {5.0, 0.5, 0, 2}, {5.0, 0.5, CHANCE, 3});
    RUN_STALL("at max, not falling", {10.0, 0.9, 0, 1}, {10.0, 0.9, 0, 2},
              {10.0, 0.9, AT_MAX | NOT_FALLING, 3});
    /* A flat loss has not fallen below the first: said from epoch 3; a
     * fall ends the streak, and it starts again. */
    RUN_STALL("flat then falling", {0.5, 0.9, 0, 0}, {0.5, 0.9, 0, 1}, {0.5, 0.9, NOT_FALLING, 2},
              {0.4, 0.9, 0, 0}, {0.6, 0.9, 0, 1}, {0.6, 0.9, NOT_FALLING, 2});
    /* EXPLODED at once, whatever else's streak. */
    RUN_STALL("exploded", {0.01, 1.0, 0, 0}, {2.0, 1.0, EXPLODED, 1},
              {2.0, 1.0, NOT_FALLING | EXPLODED, 2});
    /* A loss of 0 has nothing to fall from: never NOT_FALLING, nor a rise
     * from a first epoch's 0 measured against it. */
    RUN_STALL("zero loss", {0.0, 1.0, 0, 0}, {0.0, 1.0, 0, 0}, {0.0, 1.0, 0, 0}, {0.0, 1.0, 0, 0});
    RUN_STALL("from zero", {0.0, 1.0, 0, 0}, {0.1, 1.0, 0, 0}, {0.2, 1.0, 0, 0});
}

/* The crafted data sets (see above); 0, or -1 after printing why.  Runs
 * before any suite, so it reports without CUnit. */
static int make_sets(void)
{
    if (clmlp_dataset_init(&g_train, 1, 1, 2, 0) != CLMLP_OK ||
        clmlp_dataset_init(&g_val, 4, 1, 2, 0) != CLMLP_OK) {
        fprintf(stderr, "making the data sets: %s\n", clmlp_last_error());
        return -1;
    }
    g_train->x[0] = 1.0f;
    g_train->labels[0] = 1;
    for (size_t i = 0; i < 4; i++) {
        g_val->x[i] = 1.0f;
        g_val->labels[i] = i < 3 ? 1 : 0;
    }
    return 0;
}

int main(void)
{
    if (!test_temp_dir("fitctl")) return 1;
    ref = test_open_backend(CLMLP_BACKEND_REF);
    if (!ref) {
        test_remove_temp_dir();
        return 1;
    }
    static const test_case maths[] = {
        {"step decay by hand", test_step},
        {"exponential decay by hand", test_exp},
        {"cosine by hand, held past E", test_cosine},
        {"the floor under every schedule", test_floor_and_dispatch},
        {"the watch: min_delta, NaN, higher is better", test_watch},
        {"plateau: patience, cooldown, floor, min_delta", test_plateau},
        {"schedule and monitor names", test_names},
        {NULL, NULL}};
    static const test_case runs[] = {
        {"the crafted model trains as worked on the host", test_host_model_agrees},
        {"early stopping on val_loss stops and restores", test_early_stop_val_loss},
        {"early stopping: min_delta, val_accuracy", test_early_stop_min_delta_and_accuracy},
        {"early stopping on the training loss, no validation", test_early_stop_training_loss},
        {"metrics after each epoch", test_metrics_after_epochs},
        {"save_best holds the best epoch", test_save_best},
        {"the checkpoint: every epoch, an interrupt, a failure", test_checkpoint},
        {"history lr: step schedule, CSV, JSON, resume", test_history_lr},
        {"exp and cosine drive the optimizer's lr", test_exp_and_cosine_in_fit},
        {"plateau lowers the lr", test_plateau_lowers_lr},
        {"bad controls refused before training", test_refused_before_training},
        {"the stall watch: a streak per sign, no stall at 0", test_stall_own_streaks},
        {NULL, NULL}};
    int rc = 1;
    if (make_sets() == 0 && test_add_suite("schedule maths", maths) == 0 &&
        test_add_suite("fit with controls (reference backend)", runs) == 0)
        rc = test_run_all();
    clmlp_dataset_free(g_train);
    clmlp_dataset_free(g_val);
    clmlp_backend_free(ref);
    test_remove_temp_dir();
    return rc;
}
