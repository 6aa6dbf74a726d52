/* Names of activations, losses and optimizers, as the CLI and files use them. */
#include <string.h>
#include <strings.h>

#include "clmlp.h"
#include "util/error.h"
#include "util/name_table.h"

static const char *const act_names[] = {"linear", "sigmoid",  "tanh",  "relu",    "elu",
                                        "selu",   "softplus", "swish", "softmax", "step"};
_Static_assert(sizeof act_names / sizeof act_names[0] == CLMLP_ACT_COUNT,
               "one name per activation, in clmlp_act order");

/* Long Keras names first, then short aliases. */
static const struct {
    const char *name;
    clmlp_loss loss;
} loss_names[] = {
    {"mean_squared_error", CLMLP_LOSS_MSE},
    {"binary_crossentropy", CLMLP_LOSS_BCE},
    {"categorical_crossentropy", CLMLP_LOSS_CCE},
    {"sparse_categorical_crossentropy", CLMLP_LOSS_SPARSE_CCE},
    {"mean_absolute_error", CLMLP_LOSS_MAE},
    {"huber", CLMLP_LOSS_HUBER},
    {"mse", CLMLP_LOSS_MSE},
    {"bce", CLMLP_LOSS_BCE},
    {"cce", CLMLP_LOSS_CCE},
    {"sparse_cce", CLMLP_LOSS_SPARSE_CCE},
    {"mae", CLMLP_LOSS_MAE},
    {"huber_loss", CLMLP_LOSS_HUBER},
};

static const char *const opt_names[CLMLP_OPT_COUNT] = {"sgd", "adam", "perceptron"};

const char *clmlp_act_name(clmlp_act a)
{
    return (unsigned)a < CLMLP_ACT_COUNT ? act_names[a] : "?";
}

int clmlp_act_parse(const char *name, clmlp_act *out)
{
    for (int i = 0; name && i < CLMLP_ACT_COUNT; i++)
        if (strcasecmp(name, act_names[i]) == 0 ||
            (i == CLMLP_ACT_SIGMOID && strcasecmp(name, "logistic") == 0)) {
            *out = (clmlp_act)i;
            return CLMLP_OK;
        }
    return clmlp_set_error(CLMLP_E_INVALID,
                           "unknown activation '%s' (linear, sigmoid, tanh, relu, elu, selu, "
                           "softplus, swish, softmax, step)",
                           name ? name : "");
}

const char *clmlp_loss_name(clmlp_loss l)
{
    for (size_t i = 0; i < sizeof loss_names / sizeof loss_names[0]; i++)
        if (loss_names[i].loss == l) return loss_names[i].name;
    return "?";
}

int clmlp_loss_parse(const char *name, clmlp_loss *out)
{
    for (size_t i = 0; name && i < sizeof loss_names / sizeof loss_names[0]; i++)
        if (strcasecmp(name, loss_names[i].name) == 0) {
            *out = loss_names[i].loss;
            return CLMLP_OK;
        }
    return clmlp_set_error(CLMLP_E_INVALID,
                           "unknown loss '%s' (mean_squared_error, binary_crossentropy, "
                           "categorical_crossentropy, sparse_categorical_crossentropy, "
                           "mean_absolute_error, huber)",
                           name ? name : "");
}

const char *clmlp_opt_name(clmlp_opt_kind k)
{
    return (unsigned)k < CLMLP_OPT_COUNT ? opt_names[k] : "?";
}

int clmlp_opt_parse(const char *name, clmlp_opt_kind *out)
{
    int i = clmlp_name_index(opt_names, CLMLP_OPT_COUNT, name, 1);
    if (i >= 0) {
        *out = (clmlp_opt_kind)i;
        return CLMLP_OK;
    }
    return clmlp_set_error(CLMLP_E_INVALID, "unknown optimizer '%s' (sgd, adam)", name ? name : "");
}

static const char *const task_names[CLMLP_TASK_COUNT] = {"classification", "regression"};

const char *clmlp_task_name(clmlp_task t)
{
    if (t == CLMLP_TASK_AUTO) return "auto";
    return (unsigned)t < CLMLP_TASK_COUNT ? task_names[t] : "?";
}

int clmlp_task_parse(const char *name, clmlp_task *out)
{
    if (name && strcmp(name, "auto") == 0) {
        *out = CLMLP_TASK_AUTO;
        return CLMLP_OK;
    }
    int i = clmlp_name_index(task_names, CLMLP_TASK_COUNT, name, 0);
    if (i >= 0) {
        *out = (clmlp_task)i;
        return CLMLP_OK;
    }
    return clmlp_set_error(CLMLP_E_INVALID, "unknown task '%s' (auto, classification, regression)",
                           name ? name : "");
}
