/* Loading saved models for the clmlp subcommands, and the --model options. */
#include "cli_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_model_load(const cli_backend_args *ba, int quiet, const char *path, clmlp_backend_t **be,
                   clmlp_model_t **m)
{
    int rc = cli_backend_open(ba, quiet, be);
    if (rc) return rc;
    return clmlp_model_load(m, path, *be) < 0 ? cli_runtime_error() : CLI_OK;
}

int cli_model_read(const char *model, const char *weights, clmlp_backend_t *be, clmlp_model_t **m)
{
    if (model) return clmlp_model_load(m, model, be) < 0 ? cli_runtime_error() : CLI_OK;
    if (clmlp_model_read_text(m, weights) < 0) return cli_runtime_error();
    clmlp_optimizer sgd;
    memset(&sgd, 0, sizeof sgd);
    sgd.kind = CLMLP_OPT_SGD;
    sgd.lr = 0.01;
    if (clmlp_model_compile(*m, CLMLP_LOSS_MSE, &sgd, be, 1) < 0) return cli_runtime_error();
    return CLI_OK;
}

int cli_model_check_data(const char *cmd, const clmlp_model_t *m, const char *path,
                         const clmlp_dataset_t *ds, const char *what, int check_labels)
{
    char model_what[4200];
    snprintf(model_what, sizeof model_what, "the model in %s", path);
    return cli_check_data(cmd, m, model_what, clmlp_model_loss(m), ds, what, check_labels);
}

void cli_model_args_defaults(cli_model_args *a)
{
    memset(a, 0, sizeof *a);
    cli_data_defaults(&a->data);
    a->backend.kind = CLMLP_BACKEND_DEFAULT;
}

int cli_model_args_option(const char *cmd, cli_model_args *a, int opt, const char *arg)
{
    switch (opt) {
    case OPT_MODEL: a->model = arg; return CLI_OK;
    case OPT_BACKEND:
    case OPT_PLATFORM:
    case OPT_DEVICE:
    case OPT_THREADS:
    case OPT_PLUGIN: return cli_backend_option(cmd, &a->backend, opt, arg);
    default: return cli_data_option(cmd, &a->data, opt, arg);
    }
}

int cli_model_args_check(const char *cmd, const cli_model_args *a, int argc, char **argv)
{
    int rc = cli_no_operands(cmd, argc, argv);
    if (rc) return rc;
    if (!a->model) return cli_usage_error(cmd, "--model FILE is required");
    return CLI_OK;
}

int cli_model_open(const char *cmd, const cli_model_args *a, int allow_no_labels, int check_labels,
                   cli_model_run *r)
{
    memset(r, 0, sizeof *r);
    /* The data is read first, so that its errors come before the model's;
     * labels that could be classes or values are read as classes here. */
    cli_data_args first = a->data;
    first.task_fallback = 1;
    int rc = cli_data_load_eval(cmd, &first, allow_no_labels, &r->ds);
    if (!rc) rc = cli_model_load(&a->backend, 0, a->model, &r->be, &r->m);
    /* Read the data again as the model sees it: with its class names
     * mapped through the model's, so class i means what it meant in
     * training (an unknown name is an error naming it and its line), or
     * with its label columns as the model's task reads them (a regression's
     * whole-number targets, a classifier's classes). */
    int labelled = !rc && (r->ds->labels || r->ds->targets);
    int regression = !rc && clmlp_model_task(r->m) == CLMLP_TASK_REGRESSION;
    char name[4200], model_what[4200];
    cli_data_name(&a->data, 2, name, sizeof name);
    snprintf(model_what, sizeof model_what, "the model in %s", a->model);
    /* Labels that can only be the other task's: values with fractions for
     * a classifier, class names for a regression model. */
    if (labelled && !regression && !r->ds->labels)
        rc = cli_usage_error(cmd,
                             "%s holds values (a regression's targets), but %s is a "
                             "classifier: give it the classes it was trained on",
                             name, model_what);
    else if (labelled && regression && r->ds->class_names)
        rc = cli_usage_error(cmd,
                             "%s holds classes (names), but %s is a regression model: give it "
                             "the values it was trained on",
                             name, model_what);
    else if (labelled && ((r->ds->labels && clmlp_model_class_names(r->m, NULL)) ||
                          regression != (r->ds->labels == NULL) ||
                          (regression && clmlp_model_target_names(r->m, NULL)))) {
        clmlp_dataset_free(r->ds);
        r->ds = NULL;
        rc = cli_data_load_for_model(cmd, &a->data, allow_no_labels, r->m, &r->ds);
    }
    /* Still classes after reading it as the model does: a named set's. */
    if (!rc && labelled && regression && r->ds->labels)
        rc = cli_usage_error(cmd,
                             "%s holds classes, but %s is a regression model: give it the "
                             "values it was trained on",
                             name, model_what);
    /* A model trained on numbers has no names to map the data's through. */
    if (!rc) rc = cli_check_names(cmd, r->m, model_what, r->ds, name);
    if (!rc) rc = cli_model_check_data(cmd, r->m, a->model, r->ds, name, check_labels);
    return rc;
}

void cli_model_close(cli_model_run *r)
{
    clmlp_model_free(r->m);
    clmlp_backend_free(r->be);
    clmlp_dataset_free(r->ds);
    memset(r, 0, sizeof *r);
}

int cli_regression_scores(clmlp_model_t *m, const clmlp_dataset_t *ds,
                          clmlp_regression_report_t **r, float **kept)
{
    *r = NULL;
    if (kept) *kept = NULL;
    size_t k = clmlp_model_n_outputs(m);
    float *pred = malloc(ds->n * k * sizeof *pred);
    if (!pred) return cli_out_of_memory();
    int rc = CLI_OK;
    for (size_t start = 0; rc == CLI_OK && start < ds->n; start += CLI_PREDICT_CHUNK)
        if (clmlp_model_predict(m, ds->x + start * ds->n_features, cli_chunk_rows(ds->n, start),
                                pred + start * k) < 0)
            rc = cli_runtime_error();
    if (rc == CLI_OK && clmlp_regression_report_init(r, ds->targets, pred, ds->n, k) < 0)
        rc = cli_runtime_error();
    if (rc == CLI_OK && kept)
        *kept = pred;
    else
        free(pred);
    return rc;
}

clmlp_loss cli_default_loss(const clmlp_model_t *m)
{
    size_t units = 0;
    clmlp_act act = CLMLP_ACT_LINEAR;
    clmlp_model_layer(m, clmlp_model_n_layers(m) - 1, &units, &act, NULL);
    if (act == CLMLP_ACT_SOFTMAX) return CLMLP_LOSS_SPARSE_CCE;
    if (act == CLMLP_ACT_SIGMOID && units == 1) return CLMLP_LOSS_BCE;
    return CLMLP_LOSS_MSE;
}

int cli_tally_predictions(clmlp_model_t *m, const clmlp_dataset_t *ds, cli_tally *t)
{
    return cli_tally_predictions_kept(m, ds, t, NULL, NULL);
}

int cli_tally_predictions_kept(clmlp_model_t *m, const clmlp_dataset_t *ds, cli_tally *t,
                               int32_t *kept, float *scores)
{
    size_t n_out = clmlp_model_n_outputs(m);
    float *out = malloc(CLI_PREDICT_CHUNK * n_out * sizeof(float));
    if (!out) return cli_out_of_memory();
    for (size_t start = 0; start < ds->n; start += CLI_PREDICT_CHUNK) {
        size_t rows = cli_chunk_rows(ds->n, start);
        if (clmlp_model_predict(m, ds->x + start * ds->n_features, rows, out) < 0) {
            free(out);
            return cli_runtime_error();
        }
        for (size_t i = 0; i < rows; i++) {
            size_t truth = (size_t)ds->labels[start + i];
            size_t pred = cli_predicted_class(out + i * n_out, n_out);
            if (kept) kept[start + i] = (int32_t)pred;
            if (scores) scores[start + i] = out[i * n_out];
            t->confusion[truth * t->k + pred]++;
            if (truth == pred) continue;
            t->wrong++;
            if (t->n_mis < t->want) {
                size_t *e = t->mis + 3 * t->n_mis++;
                e[0] = start + i;
                e[1] = truth;
                e[2] = pred;
            }
        }
    }
    free(out);
    return CLI_OK;
}
