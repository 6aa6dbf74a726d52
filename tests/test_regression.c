/* Regression in the C API: a model whose task is regression trains on float
 * targets with mean squared error, MAE or Huber, reports the mean absolute
 * error where a classifier reports accuracy (epoch stats, evaluate,
 * history files, early stopping on val_mae), refuses class labels, keeps
 * its task, target names, input and target standardization in model
 * files (version 4; a classifier is written as before), standardizes its
 * inputs and targets itself exactly as a caller would, and is not taken
 * for a diverged classifier when its loss is large. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testing.h"

static clmlp_backend_t *g_cpu, *g_ref;

/* n rows of 3 features in [-1, 1) and k targets of a fixed linear teacher
 * t_j = sum_i w[i][j] x_i + b_j (so a linear model can fit them exactly). */
static clmlp_dataset_t *linear_set(size_t n, size_t k, unsigned seed)
{
    static const double w[3][2] = {{0.5, -1.0}, {-0.3, 0.25}, {0.2, 2.0}}, b[2] = {0.1, -0.5};
    clmlp_dataset_t *ds = NULL;
    TEST_OK(clmlp_dataset_init(&ds, n, 3, 0, k));
    test_fill_uniform(ds->x, n * 3, -1.0f, 1.0f, seed);
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < k; j++) {
            double t = b[j];
            for (size_t i = 0; i < 3; i++) t += w[i][j] * ds->x[r * 3 + i];
            ds->targets[r * k + j] = (float)t;
        }
    return ds;
}

/* spec compiled on be as a regression model with loss and SGD at lr. */
static clmlp_model_t *regression_model(clmlp_backend_t *be, const char *spec, clmlp_loss loss,
                                       double lr)
{
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, spec));
    TEST_OK(clmlp_model_set_task(m, CLMLP_TASK_REGRESSION));
    clmlp_optimizer opt = {.kind = CLMLP_OPT_SGD, .lr = lr, .momentum = 0.9};
    TEST_OK(clmlp_model_compile(m, loss, &opt, be, 1));
    return m;
}

/* The mean absolute error of m's predictions on ds, on the host in double. */
static double host_mae(clmlp_model_t *m, const clmlp_dataset_t *ds)
{
    size_t k = ds->n_targets;
    float *y = malloc(ds->n * k * sizeof *y);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    TEST_OK(clmlp_model_predict(m, ds->x, ds->n, y));
    double s = 0.0;
    for (size_t i = 0; i < ds->n * k; i++) s += fabs((double)y[i] - ds->targets[i]);
    free(y);
    return s / (double)(ds->n * k);
}

/* Every loss trains a linear model of two targets down to a small MAE; the
 * epochs carry mae (NaN accuracy), and evaluate's score is the MAE of the
 * predictions.  The teacher is linear, so an exact fit exists: measured,
 * MSE and Huber end near 1e-7 and MAE (whose steps do not shrink with the
 * error) at 0.017, from about 0.9; below 0.05 and a tenth of the first
 * epoch's is what learning shows, with room for MAE's jitter.  evaluate sums |y - t| in float on
 * the device and predict's values are the same floats, so the two agree to float rounding of the
 * sums: 1e-5 relative on 64 rows. */
static void test_trains_each_loss(void)
{
    clmlp_dataset_t *ds = linear_set(64, 2, 7);
    const clmlp_loss losses[] = {CLMLP_LOSS_MSE, CLMLP_LOSS_MAE, CLMLP_LOSS_HUBER};
    for (size_t i = 0; i < 3; i++) {
        clmlp_model_t *m = regression_model(g_cpu, "3,2:linear", losses[i], 0.05);
        clmlp_fit_opts fo = {.epochs = 150, .batch_size = 16, .shuffle = 1, .seed = 3};
        clmlp_history_t *h = NULL;
        TEST_OK(clmlp_model_fit(m, ds, &fo, &h));
        const clmlp_epoch_stats *first = &h->epochs[0], *last = &h->epochs[h->n - 1];
        printf("[%s: mae %.3g -> %.3g] ", clmlp_loss_name(losses[i]), first->mae, last->mae);
        CU_ASSERT(isnan(first->accuracy) && isnan(last->val_accuracy) && isnan(last->val_mae));
        CU_ASSERT(last->mae < 0.05 && last->mae < 0.1 * first->mae);
        double loss = NAN, mae = NAN;
        TEST_OK(clmlp_model_evaluate(m, ds, 0, &loss, &mae));
        CU_ASSERT(fabs(mae - host_mae(m, ds)) <= 1e-5 * fmax(mae, 1e-3));
        clmlp_history_free(h);
        clmlp_model_free(m);
    }
    clmlp_dataset_free(ds);
}

/* A regression model refuses a set of class labels, and a wrong number of
 * targets, naming both; val_accuracy is not its metric. */
static void test_refuses_classes(void)
{
    clmlp_dataset_t * xor = NULL, *two = linear_set(8, 2, 1);
    TEST_OK(clmlp_dataset_xor(&xor));
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "2,1:linear"));
    TEST_OK(clmlp_model_set_task(m, CLMLP_TASK_REGRESSION));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_MSE, NULL, g_cpu, 1));
    /* xor has labels and 0/1 targets: as targets it trains. */
    TEST_OK(clmlp_model_fit(m, xor, NULL, NULL));
    free(xor->targets);
    xor->targets = NULL;
    xor->n_targets = 0;
    CU_ASSERT_EQUAL(clmlp_model_fit(m, xor, NULL, NULL), CLMLP_E_INVALID);
    CU_ASSERT(test_output_has(clmlp_last_error(), "class labels, not values"));
    clmlp_model_free(m);
    m = regression_model(g_cpu, "3,1:linear", CLMLP_LOSS_MSE, 0.1);
    CU_ASSERT_EQUAL(clmlp_model_fit(m, two, NULL, NULL), CLMLP_E_INVALID);
    CU_ASSERT(test_output_has(clmlp_last_error(), "2 target columns"));
    clmlp_dataset_t *one = linear_set(8, 1, 2), *val = linear_set(8, 1, 3);
    clmlp_fit_opts fo = {.epochs = 2,
                         .validation = val,
                         .early_stop_patience = 1,
                         .monitor = CLMLP_MONITOR_VAL_ACCURACY};
    CU_ASSERT_EQUAL(clmlp_model_fit(m, one, &fo, NULL), CLMLP_E_INVALID);
    CU_ASSERT(test_output_has(clmlp_last_error(), "val_mae"));
    /* evaluate refuses class labels too, as fit does. */
    clmlp_model_free(m);
    m = regression_model(g_cpu, "2,1:linear", CLMLP_LOSS_MSE, 0.1);
    double loss, mae;
    CU_ASSERT_EQUAL(clmlp_model_evaluate(m, xor, 0, &loss, &mae), CLMLP_E_INVALID);
    CU_ASSERT(test_output_has(clmlp_last_error(), "holds class labels, not values"));
    clmlp_model_free(m);
    /* sparse_categorical_crossentropy reads labels: no regression model's
     * loss, at compile time or when the task is set after it. */
    TEST_OK(clmlp_model_from_spec(&m, "2,3:softmax"));
    TEST_OK(clmlp_model_set_task(m, CLMLP_TASK_REGRESSION));
    CU_ASSERT_EQUAL(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, NULL, g_cpu, 1), CLMLP_E_INVALID);
    TEST_OK(clmlp_model_set_task(m, CLMLP_TASK_CLASSIFICATION));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, NULL, g_cpu, 1));
    CU_ASSERT_EQUAL(clmlp_model_set_task(m, CLMLP_TASK_REGRESSION), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_model_task(m), CLMLP_TASK_CLASSIFICATION);
    clmlp_dataset_free(one);
    clmlp_dataset_free(val);
    clmlp_dataset_free(two);
    clmlp_dataset_free(xor);
    clmlp_model_free(m);
}

/* Early stopping on val_mae stops and restores the best epoch: the
 * validation rows are other draws than the training rows, and at this lr
 * val_mae is best at epoch 2 and rises after (measured: stopped after 5). */
static void test_early_stop_val_mae(void)
{
    clmlp_dataset_t *ds = linear_set(32, 1, 4), *val = linear_set(32, 1, 5);
    clmlp_model_t *m = regression_model(g_ref, "3,1:linear", CLMLP_LOSS_MSE, 0.9);
    clmlp_fit_opts fo = {.epochs = 40,
                         .validation = val,
                         .early_stop_patience = 3,
                         .monitor = CLMLP_MONITOR_VAL_MAE,
                         .restore_best = 1};
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, ds, &fo, &h));
    printf("[best %zu of %zu, stopped %zu] ", h->best_epoch, h->n, h->stopped_epoch);
    CU_ASSERT(h->stopped_epoch == h->n && h->best_epoch < h->n && h->restored_best);
    double best = INFINITY;
    for (size_t e = 0; e < h->n; e++) best = fmin(best, h->epochs[e].val_mae);
    CU_ASSERT_EQUAL(h->best_value, best);
    CU_ASSERT_EQUAL(h->epochs[h->best_epoch - 1].val_mae, best);
    /* The restored weights score the best epoch's val_mae (the same
     * weights on the same backend, stored as float: < 1e-6 apart). */
    double loss, mae;
    TEST_OK(clmlp_model_evaluate(m, val, 0, &loss, &mae));
    CU_ASSERT(fabs(mae - best) <= 1e-6 * fmax(1.0, best));
    clmlp_history_free(h);
    clmlp_dataset_free(ds);
    clmlp_dataset_free(val);
    clmlp_model_free(m);
}

/* The history of a regression has mae columns (CSV and JSON) that read
 * back; a classifier's has the columns it always had. */
static void test_history_columns(void)
{
    clmlp_dataset_t *ds = linear_set(16, 1, 6);
    clmlp_model_t *m = regression_model(g_cpu, "3,1:linear", CLMLP_LOSS_MAE, 0.05);
    clmlp_fit_opts fo = {.epochs = 3, .validation = ds};
    clmlp_history_t *h = NULL, *back = NULL;
    TEST_OK(clmlp_model_fit(m, ds, &fo, &h));
    const char *csv = test_temp_path("reg.csv"), *json = test_temp_path("reg.json");
    TEST_OK(clmlp_history_write(h, csv));
    TEST_OK(clmlp_history_write(h, json));
    char text[2048];
    FILE *f = fopen(csv, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    size_t len = fread(text, 1, sizeof text - 1, f);
    text[len] = '\0';
    fclose(f);
    CU_ASSERT(strncmp(text, "epoch,loss,accuracy,val_loss,val_accuracy,seconds,lr,mae,val_mae\n",
                      65) == 0);
    for (int k = 0; k < 2; k++) {
        TEST_OK(clmlp_history_read(&back, k ? json : csv));
        CU_ASSERT_EQUAL_FATAL(back->n, 3);
        for (size_t e = 0; e < 3; e++) {
            CU_ASSERT_EQUAL(back->epochs[e].mae, h->epochs[e].mae); /* %.17g: exact */
            CU_ASSERT_EQUAL(back->epochs[e].val_mae, h->epochs[e].val_mae);
            CU_ASSERT(isnan(back->epochs[e].accuracy));
        }
        clmlp_history_free(back);
    }
    clmlp_history_free(h);
    clmlp_model_free(m);
    clmlp_dataset_free(ds);

    /* A classifier on xor: no mae columns. */
    clmlp_dataset_t * xor = NULL;
    TEST_OK(clmlp_dataset_xor(&xor));
    TEST_OK(clmlp_model_from_spec(&m, "2,2:tanh,1:sigmoid"));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_BCE, NULL, g_cpu, 1));
    TEST_OK(clmlp_model_fit(m, xor, NULL, &h));
    TEST_OK(clmlp_history_write(h, csv));
    f = fopen(csv, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    len = fread(text, 1, sizeof text - 1, f);
    text[len] = '\0';
    fclose(f);
    CU_ASSERT(strncmp(text, "epoch,loss,accuracy,val_loss,val_accuracy,seconds,lr\n", 53) == 0);
    clmlp_history_free(h);
    clmlp_model_free(m);
    clmlp_dataset_free(xor);
}

/* The 4-byte version field of a model file. */
static unsigned file_version(const char *path)
{
    unsigned char b[12];
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL_FATAL(fread(b, 1, 12, f), 12);
    fclose(f);
    return b[8] | b[9] << 8 | b[10] << 16 | (unsigned)b[11] << 24;
}

/* Standardization: its parameters as StandardScaler fits them (worked by
 * hand: column 0 is 1, 2, 3, 4: mean 2.5, population sd sqrt(1.25);
 * column 1 constant: left as it is), and a model that standardizes its
 * inputs predicts exactly what it predicts on inputs standardized by the
 * caller (the same double arithmetic rounded to float once). */
static void test_standardization(void)
{
    clmlp_dataset_t *ds = NULL;
    TEST_OK(clmlp_dataset_init(&ds, 4, 2, 0, 1));
    const float x[8] = {1, 7, 2, 7, 3, 7, 4, 7};
    memcpy(ds->x, x, sizeof x);
    double mean[2], scale[2];
    TEST_OK(clmlp_dataset_standardization(ds, mean, scale));
    CU_ASSERT_EQUAL(mean[0], 2.5);
    CU_ASSERT(fabs(scale[0] - sqrt(1.25)) <= 4 * 2.2e-16 * sqrt(1.25));
    CU_ASSERT(mean[1] == 0.0 && scale[1] == 1.0);

    clmlp_dataset_t *big = linear_set(40, 1, 9);
    for (size_t i = 0; i < 40; i++) big->x[i * 3 + 1] = 1000.0f + 50.0f * big->x[i * 3 + 1];
    double mu[3], sd[3];
    TEST_OK(clmlp_dataset_standardization(big, mu, sd));
    clmlp_model_t *a = regression_model(g_cpu, "3,4:tanh,1:linear", CLMLP_LOSS_MSE, 0.1);
    TEST_OK(clmlp_model_set_input_scaling(a, mu, sd));
    float *p = malloc(clmlp_model_n_params(a) * sizeof *p), ya[40], yb[40], xs[120];
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    TEST_OK(clmlp_model_get_params(a, p));
    clmlp_model_t *b = regression_model(g_cpu, "3,4:tanh,1:linear", CLMLP_LOSS_MSE, 0.1);
    TEST_OK(clmlp_model_set_params(b, p));
    for (size_t i = 0; i < 40; i++)
        for (size_t j = 0; j < 3; j++) xs[i * 3 + j] = (float)((big->x[i * 3 + j] - mu[j]) / sd[j]);
    TEST_OK(clmlp_model_predict(a, big->x, 40, ya));
    TEST_OK(clmlp_model_predict(b, xs, 40, yb));
    CU_ASSERT(memcmp(ya, yb, sizeof ya) == 0);
    /* Training sees the same standardized rows: the same model after the
     * same epochs, bit for bit. */
    clmlp_dataset_t *pre = linear_set(40, 1, 9);
    memcpy(pre->x, xs, sizeof xs);
    memcpy(pre->targets, big->targets, 40 * sizeof(float));
    clmlp_fit_opts fo = {.epochs = 5, .batch_size = 8, .shuffle = 1, .seed = 2};
    TEST_OK(clmlp_model_fit(a, big, &fo, NULL));
    TEST_OK(clmlp_model_fit(b, pre, &fo, NULL));
    TEST_OK(clmlp_model_predict(a, big->x, 40, ya));
    TEST_OK(clmlp_model_predict(b, xs, 40, yb));
    CU_ASSERT(memcmp(ya, yb, sizeof ya) == 0);
    /* Bad scaling is refused. */
    double zero[3] = {0, 0, 0};
    CU_ASSERT_EQUAL(clmlp_model_set_input_scaling(a, mu, zero), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_model_set_input_scaling(a, mu, NULL), CLMLP_E_INVALID);
    free(p);
    clmlp_model_free(a);
    clmlp_model_free(b);
    clmlp_dataset_free(big);
    clmlp_dataset_free(pre);
    clmlp_dataset_free(ds);
}

/* Model files: a regression model with target names and input scaling is
 * written as version 4 and reads back the same (task, names, scaling,
 * predictions); a classifier without names is still version 2. */
static void test_model_file(void)
{
    clmlp_dataset_t *ds = linear_set(20, 2, 12);
    double mu[3], sd[3];
    TEST_OK(clmlp_dataset_standardization(ds, mu, sd));
    clmlp_model_t *m = regression_model(g_cpu, "3,5:relu,2:linear", CLMLP_LOSS_HUBER, 0.05);
    TEST_OK(clmlp_model_set_input_scaling(m, mu, sd));
    const char *names[2] = {"price", "rent"};
    TEST_OK(clmlp_model_set_target_names(m, names, 2));
    clmlp_fit_opts fo = {.epochs = 3};
    TEST_OK(clmlp_model_fit(m, ds, &fo, NULL));
    const char *path = test_temp_path("reg.bin");
    TEST_OK(clmlp_model_save(m, path));
    CU_ASSERT_EQUAL(file_version(path), 4);
    clmlp_model_t *back = NULL;
    TEST_OK(clmlp_model_load(&back, path, g_cpu));
    CU_ASSERT_EQUAL(clmlp_model_task(back), CLMLP_TASK_REGRESSION);
    size_t n = 0;
    const char *const *got = clmlp_model_target_names(back, &n);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT(strcmp(got[0], "price") == 0 && strcmp(got[1], "rent") == 0);
    const double *bm, *bs;
    clmlp_model_input_scaling(back, &bm, &bs);
    CU_ASSERT_FATAL(bm && bs);
    CU_ASSERT(memcmp(bm, mu, sizeof mu) == 0 && memcmp(bs, sd, sizeof sd) == 0);
    float ya[40], yb[40];
    TEST_OK(clmlp_model_predict(m, ds->x, 20, ya));
    TEST_OK(clmlp_model_predict(back, ds->x, 20, yb));
    CU_ASSERT(memcmp(ya, yb, sizeof ya) == 0);
    /* Target names must be one per output. */
    CU_ASSERT_EQUAL(clmlp_model_set_target_names(m, names, 1), CLMLP_E_INVALID);
    clmlp_model_free(back);
    clmlp_model_free(m);
    clmlp_dataset_free(ds);

    TEST_OK(clmlp_model_from_spec(&m, "2,2:tanh,1:sigmoid"));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_BCE, NULL, g_cpu, 1));
    TEST_OK(clmlp_model_save(m, path));
    CU_ASSERT_EQUAL(file_version(path), 2);
    clmlp_model_free(m);
}

/* Target standardization, on ref (double, so the host's sums below agree
 * to float32 rounding of the inputs: 1e-6 relative): a linear model with
 * set weights predicts (x W + b) * scale + mean, evaluate's MAE is that of
 * the standardized targets, |x W + b - (t - mean) / scale|, model files
 * keep it, and a classifier neither takes nor keeps it. */
static void test_target_scaling(void)
{
    clmlp_dataset_t *ds = linear_set(16, 2, 21);
    double mu[2], sd[2];
    TEST_OK(clmlp_dataset_target_standardization(ds, mu, sd));
    /* StandardScaler's: the mean and the population standard deviation. */
    for (size_t j = 0; j < 2; j++) {
        double s = 0.0, q = 0.0;
        for (size_t i = 0; i < 16; i++) s += ds->targets[i * 2 + j];
        for (size_t i = 0; i < 16; i++)
            q += (ds->targets[i * 2 + j] - s / 16) * (ds->targets[i * 2 + j] - s / 16);
        CU_ASSERT(fabs(mu[j] - s / 16) <= 1e-12 && fabs(sd[j] - sqrt(q / 16)) <= 1e-12);
    }
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "3,2:linear"));
    const float w[6] = {0.5f, -1.0f, 0.25f, 0.75f, -0.5f, 2.0f}, b[2] = {0.125f, -0.25f};
    TEST_OK(clmlp_model_set_weights(m, 0, w, b));
    const double mean[2] = {10.0, -5.0}, scale[2] = {2.0, 0.5};
    /* A classifier has no targets to scale. */
    CU_ASSERT_EQUAL(clmlp_model_set_target_scaling(m, mean, scale), CLMLP_E_INVALID);
    TEST_OK(clmlp_model_set_task(m, CLMLP_TASK_REGRESSION));
    const double zero[2] = {0.0, 0.0};
    CU_ASSERT_EQUAL(clmlp_model_set_target_scaling(m, mean, zero), CLMLP_E_INVALID);
    TEST_OK(clmlp_model_set_target_scaling(m, mean, scale));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_MAE, NULL, g_ref, 1));
    float y[32];
    TEST_OK(clmlp_model_predict(m, ds->x, 16, y));
    double mae = 0.0;
    for (size_t i = 0; i < 16; i++)
        for (size_t j = 0; j < 2; j++) {
            double z = b[j];
            for (size_t k = 0; k < 3; k++) z += (double)ds->x[i * 3 + k] * w[k * 2 + j];
            CU_ASSERT(fabs(y[i * 2 + j] - (z * scale[j] + mean[j])) <= 1e-6 * 20);
            mae += fabs(z - (ds->targets[i * 2 + j] - mean[j]) / scale[j]);
        }
    mae /= 32;
    double loss = NAN, score = NAN;
    TEST_OK(clmlp_model_evaluate(m, ds, 0, &loss, &score));
    printf("[standardized mae %.6f, evaluate %.6f] ", mae, score);
    CU_ASSERT(fabs(score - mae) <= 1e-6 * mae);
    /* The MAE loss is that MAE. */
    CU_ASSERT(fabs(loss - mae) <= 1e-6 * mae);
    const char *path = test_temp_path("scaled.bin");
    TEST_OK(clmlp_model_save(m, path));
    clmlp_model_t *back = NULL;
    TEST_OK(clmlp_model_load(&back, path, g_ref));
    const double *bm, *bs;
    clmlp_model_target_scaling(back, &bm, &bs);
    CU_ASSERT_FATAL(bm && bs);
    CU_ASSERT(memcmp(bm, mean, sizeof mean) == 0 && memcmp(bs, scale, sizeof scale) == 0);
    float yb[32];
    TEST_OK(clmlp_model_predict(back, ds->x, 16, yb));
    CU_ASSERT(memcmp(y, yb, sizeof y) == 0);
    /* Made a classifier, the model drops it. */
    TEST_OK(clmlp_model_set_task(back, CLMLP_TASK_CLASSIFICATION));
    clmlp_model_target_scaling(back, &bm, &bs);
    CU_ASSERT(bm == NULL && bs == NULL);
    clmlp_model_free(back);
    clmlp_model_free(m);
    clmlp_dataset_free(ds);
}

/* fit's metrics option on a regression: the last epoch's RMSE and R^2 are
 * those of the predictions fit leaves (no early stopping: the model is the
 * last epoch's), in the targets' units under target scaling; the same
 * computation, so equal to rounding of the sums (1e-12). */
static void test_fit_metrics(void)
{
    clmlp_dataset_t *ds = linear_set(40, 2, 31), *val = linear_set(12, 2, 32);
    for (size_t i = 0; i < 80; i++) ds->targets[i] = 50.0f + 10.0f * ds->targets[i];
    for (size_t i = 0; i < 24; i++) val->targets[i] = 50.0f + 10.0f * val->targets[i];
    double mu[2], sd[2];
    TEST_OK(clmlp_dataset_target_standardization(ds, mu, sd));
    clmlp_model_t *m = regression_model(g_ref, "3,2:linear", CLMLP_LOSS_MSE, 0.05);
    TEST_OK(clmlp_model_set_target_scaling(m, mu, sd));
    clmlp_fit_opts fo = {.epochs = 5, .batch_size = 8, .validation = val, .metrics = 1};
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_model_fit(m, ds, &fo, &h));
    const clmlp_epoch_stats *last = &h->epochs[h->n - 1];
    const clmlp_dataset_t *sets[2] = {ds, val};
    const double got_rmse[2] = {last->rmse, last->val_rmse}, got_r2[2] = {last->r2, last->val_r2};
    for (size_t k = 0; k < 2; k++) {
        float y[80];
        TEST_OK(clmlp_model_predict(m, sets[k]->x, sets[k]->n, y));
        clmlp_regression_report_t *r = NULL;
        TEST_OK(clmlp_regression_report_init(&r, sets[k]->targets, y, sets[k]->n, 2));
        printf("[%s rmse %.4f r2 %.4f] ", k ? "val" : "train", r->overall.rmse, r->overall.r2);
        CU_ASSERT(fabs(got_rmse[k] - r->overall.rmse) <= 1e-12 * r->overall.rmse);
        CU_ASSERT(fabs(got_r2[k] - r->overall.r2) <= 1e-12);
        clmlp_regression_report_free(r);
    }
    /* A regression has no classifier's scores. */
    CU_ASSERT(isnan(last->f1) && isnan(last->val_precision) && isnan(last->auc));
    clmlp_history_free(h);
    clmlp_model_free(m);
    clmlp_dataset_free(ds);
    clmlp_dataset_free(val);
}

/* Targets near 1000 trained with MAE: the loss stays far above the
 * cross-entropies' stall line (8.06) for many epochs, which is no sign of
 * divergence in a regression -- no stall is reported. */
static void test_large_loss_no_stall(void)
{
    clmlp_dataset_t *ds = linear_set(32, 1, 5);
    for (size_t i = 0; i < 32; i++) ds->targets[i] += 1000.0f;
    const clmlp_loss losses[] = {CLMLP_LOSS_MAE, CLMLP_LOSS_HUBER, CLMLP_LOSS_MSE};
    for (size_t l = 0; l < 3; l++) {
        clmlp_model_t *m = regression_model(g_cpu, "3,1:linear", losses[l], 1e-4);
        clmlp_fit_opts fo = {.epochs = 2 * CLMLP_STALL_EPOCHS, .batch_size = 8};
        clmlp_history_t *h = NULL;
        TEST_OK(clmlp_model_fit(m, ds, &fo, &h));
        CU_ASSERT_FATAL(h && h->n == fo.epochs);
        CU_ASSERT(h->epochs[h->n - 1].loss > 100.0);
        for (size_t e = 0; e < h->n; e++) CU_ASSERT_EQUAL(h->epochs[e].stalled, 0);
        clmlp_history_free(h);
        clmlp_model_free(m);
    }
    clmlp_dataset_free(ds);
}

/* Reads text (written to the scratch file name) with opts; the status. */
static int read_text(const char *name, const char *text, const clmlp_csv_opts *o,
                     clmlp_dataset_t **ds)
{
    return clmlp_dataset_read_csv_opts(ds, test_write_temp_text(name, text), o);
}

/* CSV files for a regression: with CLMLP_TASK_AUTO a label with a fraction
 * (or below 0) makes values, names and a few whole numbers make classes,
 * many whole numbers are refused naming both tasks; the targets' headers
 * name them; several target columns by name or number; the errors. */
static void test_csv_targets(void)
{
    clmlp_csv_opts o = clmlp_csv_opts_default();
    o.task = CLMLP_TASK_AUTO;
    clmlp_dataset_t *ds = NULL;
    TEST_OK(read_text("frac.csv", "a,b,price\n1,2,0.5\n3,4,-2\n", &o, &ds));
    CU_ASSERT(ds->labels == NULL && ds->n_classes == 0 && ds->n_targets == 1);
    CU_ASSERT(ds->targets[0] == 0.5f && ds->targets[1] == -2.0f);
    CU_ASSERT_FATAL(ds->target_names != NULL);
    CU_ASSERT_STRING_EQUAL(ds->target_names[0], "price");
    clmlp_dataset_free(ds);
    /* A fraction after whole numbers still makes values (decided at the end). */
    TEST_OK(read_text("late.csv", "1,2,3\n3,4,7\n5,6,2.5\n", &o, &ds));
    CU_ASSERT(ds->labels == NULL && ds->targets[0] == 3.0f && ds->targets[2] == 2.5f);
    clmlp_dataset_free(ds);
    TEST_OK(read_text("few.csv", "1,2,3\n3,4,7\n", &o, &ds));
    CU_ASSERT(ds->labels != NULL && ds->n_classes == 8);
    clmlp_dataset_free(ds);
    TEST_OK(read_text("names.csv", "1,2,cat\n3,4,dog\n", &o, &ds));
    CU_ASSERT(ds->labels != NULL && ds->n_classes == 2);
    clmlp_dataset_free(ds);
    /* 21 different whole numbers: refused, naming both choices. */
    char many[512] = "x,y\n";
    for (int i = 0; i < 21; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%d,%d\n", i, 25 + i * 3);
    CU_ASSERT_EQUAL(read_text("many.csv", many, &o, &ds), CLMLP_E_INVALID);
    CU_ASSERT_PTR_NULL(ds);
    CU_ASSERT(test_output_has(clmlp_last_error(), "21 different whole numbers"));
    CU_ASSERT(test_output_has(clmlp_last_error(), "regression"));
    CU_ASSERT(test_output_has(clmlp_last_error(), "classification"));
    CU_ASSERT(test_output_has(clmlp_last_error(), "\"y\""));
    /* ... which the task, given, reads either way. */
    o.task = CLMLP_TASK_REGRESSION;
    TEST_OK(read_text("many.csv", many, &o, &ds));
    CU_ASSERT(ds->n == 21 && ds->targets[20] == 85.0f);
    clmlp_dataset_free(ds);
    o.task = CLMLP_TASK_CLASSIFICATION;
    TEST_OK(read_text("many.csv", many, &o, &ds));
    CU_ASSERT(ds->n_classes == 86);
    clmlp_dataset_free(ds);
    /* A regression's target must be a number. */
    o.task = CLMLP_TASK_REGRESSION;
    CU_ASSERT_EQUAL(read_text("text.csv", "1,2,3\n4,5,cat\n", &o, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(test_output_has(clmlp_last_error(), "text.csv:2: column 2 (0-based)"));
    CU_ASSERT(test_output_has(clmlp_last_error(), "regression's target is a value"));

    /* Several targets, by name (in the order asked) or by number. */
    const char *names[2] = {"rent", "price"};
    o = clmlp_csv_opts_default();
    o.task = CLMLP_TASK_AUTO;
    o.label_names = names;
    o.n_label_names = 2;
    TEST_OK(read_text("two.csv", "price,a,rent,b\n1.5,2,3,4\n5,6,7.25,8\n", &o, &ds));
    CU_ASSERT(ds->n_features == 2 && ds->n_targets == 2 && !ds->labels);
    CU_ASSERT(ds->x[0] == 2.0f && ds->x[1] == 4.0f && ds->x[2] == 6.0f && ds->x[3] == 8.0f);
    CU_ASSERT(ds->targets[0] == 3.0f && ds->targets[1] == 1.5f);
    CU_ASSERT(ds->targets[2] == 7.25f && ds->targets[3] == 5.0f);
    CU_ASSERT(strcmp(ds->target_names[0], "rent") == 0 &&
              strcmp(ds->target_names[1], "price") == 0);
    clmlp_dataset_free(ds);
    const int cols[2] = {0, -1};
    o = clmlp_csv_opts_default();
    o.task = CLMLP_TASK_AUTO;
    o.label_cols = cols;
    o.n_label_cols = 2;
    TEST_OK(read_text("cols.csv", "1,2,3\n4,5,6\n", &o, &ds));
    CU_ASSERT(ds->n_features == 1 && ds->x[0] == 2.0f && ds->targets[1] == 3.0f);
    CU_ASSERT_PTR_NULL(ds->target_names); /* no header */
    clmlp_dataset_free(ds);
    CU_ASSERT_EQUAL(read_text("words.csv", "1,2,3\nx,5,6\n", &o, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(test_output_has(clmlp_last_error(), "several target columns"));
    const int same[2] = {2, -1};
    o.label_cols = same;
    CU_ASSERT_EQUAL(read_text("same.csv", "1,2,3\n", &o, &ds), CLMLP_E_INVALID);
    CU_ASSERT(test_output_has(clmlp_last_error(), "given twice"));
    const int all[3] = {0, 1, 2};
    o.label_cols = all;
    o.n_label_cols = 3;
    CU_ASSERT_EQUAL(read_text("all.csv", "1,2,3\n", &o, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(test_output_has(clmlp_last_error(), "no column is left"));
    o.task = CLMLP_TASK_CLASSIFICATION;
    o.n_label_cols = 2;
    CU_ASSERT_EQUAL(read_text("cls.csv", "1,2,3\n", &o, &ds), CLMLP_E_INVALID);
    CU_ASSERT(test_output_has(clmlp_last_error(), "a classifier has one"));
}

int main(void)
{
    clmlp_backend_opts cpu = {.kind = CLMLP_BACKEND_CPU, .threads = 1};
    clmlp_backend_opts ref = {.kind = CLMLP_BACKEND_REF};
    if (clmlp_backend_init(&g_cpu, &cpu) < 0 || clmlp_backend_init(&g_ref, &ref) < 0) {
        fprintf(stderr, "cannot open the backends: %s\n", clmlp_last_error());
        return 1;
    }
    static const test_case cases[] = {
        {"MSE, MAE and Huber train; mae in epochs and evaluate", test_trains_each_loss},
        {"refuses class labels and wrong targets", test_refuses_classes},
        {"early stopping on val_mae", test_early_stop_val_mae},
        {"history files: mae columns only for regression", test_history_columns},
        {"standardization: fitted as StandardScaler, applied exactly", test_standardization},
        {"model files keep task, target names, scaling", test_model_file},
        {"CSV files: values, the automatic task, several targets", test_csv_targets},
        {"target standardization: loss scaled, predictions not", test_target_scaling},
        {"a large regression loss is no stall", test_large_loss_no_stall},
        {"fit's metrics: RMSE and R^2 of the predictions", test_fit_metrics},
        {NULL, NULL}};
    if (test_add_suite("regression", cases)) return 1;
    int rc = test_run_all();
    clmlp_backend_free(g_cpu);
    clmlp_backend_free(g_ref);
    test_remove_temp_dir();
    return rc;
}
