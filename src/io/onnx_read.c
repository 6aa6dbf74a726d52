/* clmlp_model_read_onnx: an ONNX graph of an MLP into a clmlp model.
 *
 * The graph is walked once, in its order, following the one tensor the
 * data flows through ("cur"), from the graph's input to its output:
 *   Identity, Dropout, Flatten (axis 1), Reshape to [-1|0|N, F]  pass
 *   Gemm(cur, W, b) (transA 0, transB 0 or 1, any alpha and beta)  a layer
 *   MatMul(cur, W [in, out]), then Add(cur, b) or Add(b, cur)     a layer
 *   Sigmoid Tanh Relu Elu(alpha 1) Selu(clmlp's) Softplus Softmax(last
 *   axis); Sigmoid then Mul(z, s) (swish); GreaterOrEqual(z, 0) then
 *   Cast(float) (step)                    the activation of the layer
 *   Sub(mean), Div(scale) before the first layer  input standardization
 *   Mul(scale), Add(mean) after the last linear layer  target
 *   standardization
 *   Constant                              a value for the nodes above
 * Weights come from initializers or earlier Constant nodes (so the order
 * is checked: nothing is read before it is made).  Anything else stops the
 * reading with a message naming the node, its op and why. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmlp.h"
#include "io/onnx_internal.h"
#include "util/error.h"

#if !CLMLP_HAVE_ONNX
int clmlp_model_read_onnx(clmlp_model_t **out, const char *path, int *converted)
{
    (void)converted;
    if (out) *out = NULL;
    return clmlp_set_error(CLMLP_E_UNSUPPORTED, "%s: %s", path ? path : "(null)", ONNX_MISSING);
}
#else
#include "io/onnx_tensor.h"
#include "util/grow.h"

/* The most a model file may be: protobuf's own limit. */
#define ONNX_MAX_FILE 0x7fffffffL
/* The opsets whose MLP operators clmlp reads (their meaning has not
 * changed for these operators between them). */
#define ONNX_READ_OPSET_MIN 7
#define ONNX_READ_OPSET_MAX 24
/* ONNX's Selu defaults, and clmlp's constants (float32 of the same). */
#define ONNX_SELU_ALPHA 1.6732632423543772848170429916717
#define ONNX_SELU_GAMMA 1.0507009873554804934193349852946

/* One dense layer as read. */
typedef struct {
    size_t in, out;
    clmlp_act act;
    int has_act; /* its activation (or a node that ends it) was seen */
    int use_bias;
    float *w; /* in x out, row-major (y = x W + b) */
    float *b; /* out */
} rd_layer;

/* What the walk has found so far. */
typedef struct {
    const char *path;
    char dir[4096];
    const ClmlpOnnx__GraphProto *g;
    int opset;
    rd_layer *layers;
    size_t n_layers, cap_layers;
    const char *cur; /* the tensor the data flows through */
    size_t width;    /* its columns (0: not known yet) */
    double *in_mean, *in_scale, *out_mean, *out_scale;
    const char *pending; /* a first node whose second must come next: "Sub",
                            "Sigmoid" (may be swish), "GreaterOrEqual", "Mul" */
    const char *sig_in;  /* the Sigmoid's input (swish) */
    int bias_open;       /* the last layer came from MatMul: an Add gives its bias */
    int converted;
    const ClmlpOnnx__NodeProto *node; /* the node being read, for messages */
    size_t node_index;
} rd;

/* A message naming the node being read. */
static int node_error(const rd *r, int code, const char *why)
{
    const ClmlpOnnx__NodeProto *n = r->node;
    return clmlp_set_error(code, "%s: node %zu%s%s%s (%s): %s", r->path, r->node_index,
                           n->name && *n->name ? " '" : "", n->name ? n->name : "",
                           n->name && *n->name ? "'" : "", n->op_type ? n->op_type : "no op", why);
}

static int streq(const char *a, const char *b) { return a && b && !strcmp(a, b); }

/* The initializer or earlier Constant node output called name, or NULL. */
static const ClmlpOnnx__TensorProto *find_constant(const rd *r, const char *name)
{
    if (!name || !*name) return NULL;
    for (size_t i = 0; i < r->g->n_initializer; i++)
        if (streq(r->g->initializer[i]->name, name)) return r->g->initializer[i];
    for (size_t i = 0; i < r->node_index; i++) {
        const ClmlpOnnx__NodeProto *n = r->g->node[i];
        if (!streq(n->op_type, "Constant") || n->n_output != 1 || !streq(n->output[0], name))
            continue;
        for (size_t k = 0; k < n->n_attribute; k++)
            if (streq(n->attribute[k]->name, "value") && n->attribute[k]->t)
                return n->attribute[k]->t;
    }
    return NULL;
}

/* The node's attribute called name, or NULL. */
static const ClmlpOnnx__AttributeProto *attr(const ClmlpOnnx__NodeProto *n, const char *name)
{
    for (size_t k = 0; k < n->n_attribute; k++)
        if (streq(n->attribute[k]->name, name)) return n->attribute[k];
    return NULL;
}

static long long attr_int(const ClmlpOnnx__NodeProto *n, const char *name, long long def)
{
    const ClmlpOnnx__AttributeProto *a = attr(n, name);
    return a && a->has_i ? (long long)a->i : def;
}

static double attr_float(const ClmlpOnnx__NodeProto *n, const char *name, double def)
{
    const ClmlpOnnx__AttributeProto *a = attr(n, name);
    return a && a->has_f ? (double)a->f : def;
}

/* Input k of the node as a constant's values in *v (finite); a node error
 * when it is missing or not a constant. */
static int constant_input(rd *r, size_t k, const char *what, clmlp_onnx_values *v)
{
    const ClmlpOnnx__NodeProto *n = r->node;
    const ClmlpOnnx__TensorProto *t = k < n->n_input ? find_constant(r, n->input[k]) : NULL;
    char why[600];
    if (!t) {
        snprintf(why, sizeof why, "its %s is not an initializer or an earlier Constant", what);
        return node_error(r, CLMLP_E_UNSUPPORTED, why);
    }
    snprintf(why, sizeof why, "node %zu's %s '%s'", r->node_index, what, n->input[k]);
    CLMLP_TRY(clmlp_onnx_tensor_values(t, r->path, r->dir, why, v));
    r->converted |= v->converted;
    for (size_t i = 0; i < v->count; i++)
        if (!isfinite(v->v[i])) {
            clmlp_onnx_values_free(v);
            snprintf(why, sizeof why, "its %s holds a value that is not finite", what);
            return node_error(r, CLMLP_E_FORMAT, why);
        }
    return CLMLP_OK;
}

/* The last layer, or NULL before the first. */
static rd_layer *last_layer(rd *r) { return r->n_layers ? &r->layers[r->n_layers - 1] : NULL; }

/* A node error unless the n floats at v (weights or biases as float32) are
 * finite: a float64 beyond float32's range, or one times alpha, is not. */
static int all_finite(const rd *r, const float *v, size_t n, const char *what)
{
    char why[200];
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) {
            snprintf(why, sizeof why, "a %s beyond float32's range (%zu)", what, i);
            return node_error(r, CLMLP_E_UNSUPPORTED, why);
        }
    return CLMLP_OK;
}

/* Appends a layer of in x out weights from W (transposed: [out, in]) times
 * alpha; no bias yet. */
static int add_layer(rd *r, const clmlp_onnx_values *W, int transposed, double alpha)
{
    if (W->n_dims != 2 || W->dims[0] == 0 || W->dims[1] == 0)
        return node_error(r, CLMLP_E_UNSUPPORTED, "its weights are not a non-empty matrix");
    size_t in = (size_t)W->dims[transposed ? 1 : 0], out = (size_t)W->dims[transposed ? 0 : 1];
    if (r->width && in != r->width) {
        char why[200];
        snprintf(why, sizeof why, "its weights take %zu inputs where the data has %zu columns", in,
                 r->width);
        return node_error(r, CLMLP_E_FORMAT, why);
    }
    if (CLMLP_GROW(r->layers, r->cap_layers, r->n_layers + 1, 4) != 0)
        return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", r->path);
    rd_layer *l = &r->layers[r->n_layers++];
    memset(l, 0, sizeof *l);
    l->in = in;
    l->out = out;
    l->w = malloc(in * out * sizeof *l->w);
    l->b = calloc(out, sizeof *l->b);
    if (!l->w || !l->b) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory", r->path);
    for (size_t i = 0; i < in; i++)
        for (size_t j = 0; j < out; j++)
            l->w[i * out + j] =
                (float)(alpha * (transposed ? W->v[j * in + i] : W->v[i * out + j]));
    r->width = out;
    return all_finite(r, l->w, in * out, "weight");
}

/* Sets the last layer's bias from b (out values, or one for all) times
 * beta. */
static int set_bias(rd *r, const clmlp_onnx_values *b, double beta)
{
    rd_layer *l = last_layer(r);
    int row = b->n_dims == 1 || (b->n_dims == 2 && b->dims[0] == 1);
    if (!(b->count == 1 || (row && b->count == l->out))) {
        char why[200];
        snprintf(why, sizeof why, "its bias has %zu values for %zu outputs", b->count, l->out);
        return node_error(r, CLMLP_E_UNSUPPORTED, why);
    }
    for (size_t j = 0; j < l->out; j++) l->b[j] = (float)(beta * b->v[b->count == 1 ? 0 : j]);
    l->use_bias = 1;
    return all_finite(r, l->b, l->out, "bias");
}

/* Gemm(cur, B, C): a layer. */
static int read_gemm(rd *r)
{
    const ClmlpOnnx__NodeProto *n = r->node;
    if (attr_int(n, "transA", 0) != 0)
        return node_error(r, CLMLP_E_UNSUPPORTED, "transA is set (the data must be A)");
    long long tb = attr_int(n, "transB", 0);
    clmlp_onnx_values W, C = {0};
    CLMLP_TRY(constant_input(r, 1, "weights (B)", &W));
    int rc = add_layer(r, &W, tb != 0, attr_float(n, "alpha", 1.0));
    clmlp_onnx_values_free(&W);
    CLMLP_TRY(rc);
    if (n->n_input > 2 && n->input[2] && *n->input[2]) {
        CLMLP_TRY(constant_input(r, 2, "bias (C)", &C));
        rc = set_bias(r, &C, attr_float(n, "beta", 1.0));
        clmlp_onnx_values_free(&C);
    }
    return rc;
}

/* The one-value constant input k's value in *v. */
static int scalar_input(rd *r, size_t k, const char *what, double *v)
{
    clmlp_onnx_values c;
    CLMLP_TRY(constant_input(r, k, what, &c));
    int one = c.count == 1;
    *v = one ? c.v[0] : 0.0;
    clmlp_onnx_values_free(&c);
    if (!one) {
        char why[200];
        snprintf(why, sizeof why, "its %s is not a single value", what);
        return node_error(r, CLMLP_E_UNSUPPORTED, why);
    }
    return CLMLP_OK;
}

/* n values per column from the other input of a two-input node whose
 * data input is at `at`, into a new array *out. */
static int column_values(rd *r, int at, size_t n, const char *what, double **out)
{
    clmlp_onnx_values c;
    CLMLP_TRY(constant_input(r, at == 0 ? 1 : 0, what, &c));
    if (c.count != n || n == 0) {
        clmlp_onnx_values_free(&c);
        char why[200];
        snprintf(why, sizeof why, "its %s has %zu values for %zu columns", what, c.count, n);
        return node_error(r, CLMLP_E_UNSUPPORTED, why);
    }
    *out = c.v; /* handed over */
    return CLMLP_OK;
}

/* Reshape(cur, shape): passes when the shape is [-1|0|N, F]. */
static int read_reshape(rd *r)
{
    clmlp_onnx_values s;
    CLMLP_TRY(constant_input(r, 1, "shape", &s));
    int ok = s.count == 2 && (s.v[0] == -1 || s.v[0] >= 0) &&
             (s.v[1] > 0 || (s.v[1] == -1 && r->width && s.v[0] != -1)) &&
             (!r->width || s.v[1] == -1 || (size_t)s.v[1] == r->width);
    if (ok && s.v[1] > 0) r->width = (size_t)s.v[1];
    clmlp_onnx_values_free(&s);
    return ok ? CLMLP_OK
              : node_error(r, CLMLP_E_UNSUPPORTED,
                           "it does not reshape to [-1, F] rows of the data's F columns");
}

/* An activation node: the last layer's activation. */
static int read_activation(rd *r, const char *op)
{
    const ClmlpOnnx__NodeProto *n = r->node;
    rd_layer *l = last_layer(r);
    if (!l) return node_error(r, CLMLP_E_UNSUPPORTED, "an activation before any dense layer");
    if (l->has_act)
        return node_error(r, CLMLP_E_UNSUPPORTED,
                          "it follows another activation (a clmlp layer has one)");
    static const struct {
        const char *op;
        clmlp_act act;
    } plain[] = {{"Sigmoid", CLMLP_ACT_SIGMOID}, {"Tanh", CLMLP_ACT_TANH},
                 {"Relu", CLMLP_ACT_RELU},       {"Elu", CLMLP_ACT_ELU},
                 {"Selu", CLMLP_ACT_SELU},       {"Softplus", CLMLP_ACT_SOFTPLUS},
                 {"Softmax", CLMLP_ACT_SOFTMAX}, {"GreaterOrEqual", CLMLP_ACT_STEP}};
    for (size_t k = 0; k < sizeof plain / sizeof plain[0]; k++)
        if (!strcmp(op, plain[k].op)) l->act = plain[k].act;
    char why[200];
    if (l->act == CLMLP_ACT_ELU && fabs(attr_float(n, "alpha", 1.0) - 1.0) > 1e-6) {
        snprintf(why, sizeof why, "alpha %g (clmlp's elu has alpha 1)", attr_float(n, "alpha", 1));
        return node_error(r, CLMLP_E_UNSUPPORTED, why);
    }
    if (l->act == CLMLP_ACT_SELU &&
        (fabs(attr_float(n, "alpha", ONNX_SELU_ALPHA) / ONNX_SELU_ALPHA - 1.0) > 1e-6 ||
         fabs(attr_float(n, "gamma", ONNX_SELU_GAMMA) / ONNX_SELU_GAMMA - 1.0) > 1e-6))
        return node_error(r, CLMLP_E_UNSUPPORTED,
                          "alpha or gamma differ from SELU's constants, which clmlp uses");
    if (l->act == CLMLP_ACT_SOFTMAX) {
        long long axis = attr_int(n, "axis", r->opset < 13 ? 1 : -1);
        if (axis != 1 && axis != -1)
            return node_error(r, CLMLP_E_UNSUPPORTED, "a softmax over another axis than the last");
    }
    if (l->act == CLMLP_ACT_STEP) {
        double zero;
        CLMLP_TRY(scalar_input(r, 1, "threshold", &zero));
        if (zero != 0.0)
            return node_error(r, CLMLP_E_UNSUPPORTED, "a step at another threshold than 0");
        r->pending = "GreaterOrEqual";
    }
    if (l->act == CLMLP_ACT_SIGMOID) {
        r->pending = "Sigmoid";
        r->sig_in = r->cur;
    }
    l->has_act = 1;
    return CLMLP_OK;
}

/* Mul: swish's second half, or the target scale after the last layer. */
static int read_mul(rd *r, int at)
{
    rd_layer *l = last_layer(r);
    const ClmlpOnnx__NodeProto *n = r->node;
    if (streq(r->pending, "Sigmoid") && n->n_input == 2 && streq(n->input[at ? 0 : 1], r->sig_in)) {
        l->act = CLMLP_ACT_SWISH;
        r->pending = NULL;
        return CLMLP_OK;
    }
    r->pending = NULL;
    if (!l || l->act != CLMLP_ACT_LINEAR || r->out_mean || r->out_scale)
        return node_error(r, CLMLP_E_UNSUPPORTED,
                          "a Mul that is neither swish nor a scale after the last linear layer");
    CLMLP_TRY(column_values(r, at, l->out, "scale", &r->out_scale));
    for (size_t j = 0; j < l->out; j++)
        if (!(r->out_scale[j] > 0))
            return node_error(r, CLMLP_E_UNSUPPORTED, "a scale that is not positive");
    l->has_act = 1;
    r->pending = "Mul";
    return CLMLP_OK;
}

/* Add: the bias after MatMul, or the target mean after Mul. */
static int read_add(rd *r, int at)
{
    rd_layer *l = last_layer(r);
    if (streq(r->pending, "Mul")) {
        r->pending = NULL;
        return column_values(r, at, l->out, "mean", &r->out_mean);
    }
    if (!r->bias_open)
        return node_error(r, CLMLP_E_UNSUPPORTED,
                          "an Add that is not the bias of a MatMul before it");
    r->bias_open = 0;
    clmlp_onnx_values b;
    CLMLP_TRY(constant_input(r, at == 0 ? 1 : 0, "bias", &b));
    int rc = set_bias(r, &b, 1.0);
    clmlp_onnx_values_free(&b);
    return rc;
}

/* Sub (the input mean) or Div (its scale), before the first layer. */
static int read_standardize(rd *r, int at, int div)
{
    if (r->n_layers || at != 0 || (div ? !streq(r->pending, "Sub") : r->in_mean != NULL))
        return node_error(r, CLMLP_E_UNSUPPORTED,
                          "only Sub then Div (standardization) may come before the first layer");
    if (!r->width)
        return node_error(r, CLMLP_E_UNSUPPORTED,
                          "standardization of an input whose columns are not known");
    r->pending = div ? NULL : "Sub";
    CLMLP_TRY(
        column_values(r, at, r->width, div ? "scale" : "mean", div ? &r->in_scale : &r->in_mean));
    for (size_t j = 0; div && j < r->width; j++)
        if (!(r->in_scale[j] > 0))
            return node_error(r, CLMLP_E_UNSUPPORTED, "a scale that is not positive");
    return CLMLP_OK;
}

/* Reads the node r->node (whose data input is at `at`). */
static int read_data_node(rd *r, const char *op, int at)
{
    const ClmlpOnnx__NodeProto *n = r->node;
    /* A Sigmoid without Mul after it was a plain sigmoid. */
    if (streq(r->pending, "Sigmoid") && strcmp(op, "Mul")) r->pending = NULL;
    if (r->pending && !streq(r->pending, "Sigmoid") &&
        !(streq(r->pending, "Sub") && !strcmp(op, "Div")) &&
        !(streq(r->pending, "GreaterOrEqual") && !strcmp(op, "Cast")) &&
        !(streq(r->pending, "Mul") && !strcmp(op, "Add"))) {
        char why[200];
        snprintf(why, sizeof why, "a %s must be followed by %s", r->pending,
                 streq(r->pending, "Sub")   ? "Div"
                 : streq(r->pending, "Mul") ? "Add"
                                            : "Cast");
        return node_error(r, CLMLP_E_UNSUPPORTED, why);
    }
    int bias_open = r->bias_open;
    r->bias_open = 0;
    if (!strcmp(op, "Add")) {
        r->bias_open = bias_open;
        return read_add(r, at);
    }
    if (!strcmp(op, "Mul")) return read_mul(r, at);
    if (!strcmp(op, "Sub") || !strcmp(op, "Div")) return read_standardize(r, at, op[0] == 'D');
    if (at != 0) return node_error(r, CLMLP_E_UNSUPPORTED, "the data is not its first input");
    if (!strcmp(op, "Identity") || !strcmp(op, "Dropout")) return CLMLP_OK;
    if (!strcmp(op, "Flatten")) {
        if (attr_int(n, "axis", 1) != 1)
            return node_error(r, CLMLP_E_UNSUPPORTED, "a Flatten at another axis than 1");
        return CLMLP_OK;
    }
    if (!strcmp(op, "Reshape")) return read_reshape(r);
    if (!strcmp(op, "Gemm")) return read_gemm(r);
    if (!strcmp(op, "MatMul")) {
        clmlp_onnx_values W;
        CLMLP_TRY(constant_input(r, 1, "weights", &W));
        int rc = add_layer(r, &W, 0, 1.0);
        clmlp_onnx_values_free(&W);
        r->bias_open = rc == CLMLP_OK;
        return rc;
    }
    if (!strcmp(op, "Cast")) {
        if (!streq(r->pending, "GreaterOrEqual") || attr_int(n, "to", 0) != ONNX_FLOAT)
            return node_error(r, CLMLP_E_UNSUPPORTED,
                              "a Cast that is not to float after GreaterOrEqual (step)");
        r->pending = NULL;
        return CLMLP_OK;
    }
    static const char *const acts[] = {"Sigmoid", "Tanh",     "Relu",    "Elu",
                                       "Selu",    "Softplus", "Softmax", "GreaterOrEqual"};
    for (size_t k = 0; k < sizeof acts / sizeof acts[0]; k++)
        if (!strcmp(op, acts[k])) return read_activation(r, op);
    return node_error(r, CLMLP_E_UNSUPPORTED,
                      "not an operator of an MLP that clmlp reads (Gemm, MatMul, Add, the "
                      "activations, Flatten, Reshape, Identity, Dropout, Constant)");
}

/* Reads node i. */
static int read_node(rd *r, size_t i)
{
    const ClmlpOnnx__NodeProto *n = r->g->node[i];
    r->node = n;
    r->node_index = i;
    const char *op = n->op_type ? n->op_type : "";
    if (n->domain && *n->domain && strcmp(n->domain, "ai.onnx"))
        return node_error(r, CLMLP_E_UNSUPPORTED, "an operator of another domain than ONNX's");
    if (n->n_output < 1 || !n->output[0] || !*n->output[0])
        return node_error(r, CLMLP_E_FORMAT, "it has no output");
    if (!strcmp(op, "Constant")) {
        const ClmlpOnnx__AttributeProto *v = attr(n, "value");
        return v && v->t && n->n_output == 1
                   ? CLMLP_OK
                   : node_error(r, CLMLP_E_UNSUPPORTED, "a Constant without a tensor 'value'");
    }
    int at = -1;
    for (size_t k = 0; k < n->n_input && at < 0; k++)
        if (streq(n->input[k], r->cur)) at = (int)k;
    if (at < 0)
        return node_error(r, CLMLP_E_UNSUPPORTED,
                          "it does not read the data flowing from the graph's input (clmlp "
                          "reads one chain of layers, in the graph's order)");
    for (size_t k = 0; k < n->n_input; k++)
        if ((int)k != at && streq(n->input[k], r->cur))
            return node_error(r, CLMLP_E_UNSUPPORTED, "it reads the data twice");
    CLMLP_TRY(read_data_node(r, op, at));
    r->cur = n->output[0];
    return CLMLP_OK;
}

/* Reads the graph's one data input: its name, element type and columns. */
static int read_input(rd *r)
{
    const ClmlpOnnx__ValueInfoProto *in = NULL;
    for (size_t i = 0; i < r->g->n_input; i++) {
        const ClmlpOnnx__ValueInfoProto *v = r->g->input[i];
        int is_init = 0;
        for (size_t k = 0; k < r->g->n_initializer && !is_init; k++)
            is_init = streq(r->g->initializer[k]->name, v->name);
        if (is_init) continue;
        if (in)
            return clmlp_set_error(CLMLP_E_UNSUPPORTED,
                                   "%s: the graph has inputs '%s' and '%s' "
                                   "(an MLP reads one)",
                                   r->path, in->name ? in->name : "", v->name ? v->name : "");
        in = v;
    }
    if (!in || !in->name || !*in->name)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: the graph has no named data input", r->path);
    r->cur = in->name;
    const ClmlpOnnx__TypeProto *t = in->type;
    if (t && t->value_case == CLMLP_ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
        t->tensor_type->has_elem_type) {
        int e = t->tensor_type->elem_type;
        if (e != ONNX_FLOAT && e != ONNX_DOUBLE && e != ONNX_FLOAT16)
            return clmlp_set_error(CLMLP_E_UNSUPPORTED,
                                   "%s: the input '%s' has element type %d (clmlp reads floats)",
                                   r->path, in->name, e);
        const ClmlpOnnx__TensorShapeProto *s = t->tensor_type->shape;
        size_t width = 1;
        for (size_t d = 1; s && d < s->n_dim && width; d++) {
            const ClmlpOnnx__TensorShapeProto__Dimension *dim = s->dim[d];
            if (dim->value_case != CLMLP_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE ||
                dim->dim_value <= 0 || (uint64_t)dim->dim_value > ONNX_MAX_VALUES / width)
                width = 0;
            else
                width *= (size_t)dim->dim_value;
        }
        if (s && s->n_dim >= 2) r->width = width;
    }
    return CLMLP_OK;
}

/* Parses a JSON array of strings as clmlp writes it (["a","b"]) into a
 * new array of n new strings. */
static int parse_names(const char *s, char ***out, size_t *n)
{
    size_t cap = 0, len = strlen(s);
    char **names = NULL, *buf = NULL;
    *n = 0;
    const char *p = s;
    int ok = *p++ == '[';
    while (ok && *p == '"') {
        buf = malloc(len + 1);
        if (!buf || CLMLP_GROW(names, cap, *n + 1, 8) != 0) break;
        size_t k = 0;
        for (p++; *p && *p != '"'; p++) {
            if (*p != '\\') {
                buf[k++] = *p;
                continue;
            }
            p++;
            if (*p == '"' || *p == '\\') {
                buf[k++] = *p;
            } else if (*p == 'u' && strlen(p) >= 5) {
                unsigned v = 0;
                if (sscanf(p + 1, "%4x", &v) != 1 || v >= 0x80 || v == 0) ok = 0;
                buf[k++] = (char)v;
                p += 4;
            } else {
                ok = 0;
                break;
            }
        }
        buf[k] = '\0';
        names[(*n)++] = buf;
        buf = NULL;
        if (*p != '"') ok = 0;
        if (ok) p++;
        if (ok && *p == ',') p++;
    }
    free(buf);
    ok = ok && *p == ']' && p[1] == '\0' && *n > 0;
    if (!ok) {
        for (size_t i = 0; i < *n; i++) free(names[i]);
        free(names);
        *n = 0;
        return clmlp_set_error(CLMLP_E_FORMAT, "not a JSON array of strings");
    }
    *out = names;
    return CLMLP_OK;
}

/* Gives m the task and names clmlp wrote into the metadata; a model from
 * elsewhere is a classifier when it ends in softmax, or in one sigmoid. */
static int apply_metadata(rd *r, const ClmlpOnnx__ModelProto *mp, clmlp_model_t *m)
{
    const rd_layer *l = last_layer(r);
    clmlp_task task = (l->act == CLMLP_ACT_SOFTMAX || (l->act == CLMLP_ACT_SIGMOID && l->out == 1))
                          ? CLMLP_TASK_CLASSIFICATION
                          : CLMLP_TASK_REGRESSION;
    if (r->out_mean) task = CLMLP_TASK_REGRESSION;
    const char *keys[3] = {ONNX_META_TASK, ONNX_META_CLASSES, ONNX_META_TARGETS};
    const char *values[3] = {NULL, NULL, NULL};
    for (size_t i = 0; i < mp->n_metadata_props; i++)
        for (int k = 0; k < 3; k++)
            if (streq(mp->metadata_props[i]->key, keys[k]))
                values[k] = mp->metadata_props[i]->value;
    if (values[0] && clmlp_task_parse(values[0], &task) < 0)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: metadata %s: '%s'", r->path, keys[0],
                               values[0]);
    CLMLP_TRY(clmlp_model_set_task(m, task));
    for (int k = 1; k < 3; k++) {
        if (!values[k]) continue;
        char **names = NULL;
        size_t n = 0;
        if (parse_names(values[k], &names, &n) < 0)
            return clmlp_set_error(CLMLP_E_FORMAT, "%s: metadata %s: not a JSON array of strings",
                                   r->path, keys[k]);
        int rc = k == 1 ? clmlp_model_set_class_names(m, (const char *const *)names, n)
                        : clmlp_model_set_target_names(m, (const char *const *)names, n);
        for (size_t i = 0; i < n; i++) free(names[i]);
        free(names);
        if (rc < 0)
            return clmlp_set_error(rc, "%s: metadata %s: %s", r->path, keys[k], clmlp_last_error());
    }
    return CLMLP_OK;
}

/* Builds the model from what the walk found. */
static int build_model(rd *r, const ClmlpOnnx__ModelProto *mp, clmlp_model_t **out)
{
    clmlp_model_t *m = NULL;
    int rc = clmlp_model_init(&m, r->layers[0].in);
    for (size_t i = 0; rc == CLMLP_OK && i < r->n_layers; i++)
        rc = clmlp_model_add_dense(m, r->layers[i].out, r->layers[i].act, r->layers[i].use_bias);
    for (size_t i = 0; rc == CLMLP_OK && i < r->n_layers; i++)
        rc = clmlp_model_set_weights(m, i, r->layers[i].w,
                                     r->layers[i].use_bias ? r->layers[i].b : NULL);
    if (rc == CLMLP_OK) rc = apply_metadata(r, mp, m);
    if (rc == CLMLP_OK && r->in_mean)
        rc = clmlp_model_set_input_scaling(m, r->in_mean, r->in_scale);
    if (rc == CLMLP_OK && r->out_mean)
        rc = clmlp_model_set_target_scaling(m, r->out_mean, r->out_scale);
    if (rc != CLMLP_OK) {
        clmlp_model_free(m);
        return rc;
    }
    *out = m;
    return CLMLP_OK;
}

/* Walks the parsed model's graph and builds *out. */
static int read_model(rd *r, const ClmlpOnnx__ModelProto *mp, clmlp_model_t **out)
{
    if (!mp->graph)
        return clmlp_set_error(CLMLP_E_FORMAT, "%s: an ONNX model without a graph", r->path);
    r->g = mp->graph;
    r->opset = -1;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const char *d = mp->opset_import[i]->domain;
        if ((!d || !*d || !strcmp(d, "ai.onnx")) && mp->opset_import[i]->has_version)
            r->opset =
                (int)(mp->opset_import[i]->version > 1000 ? 1000 : mp->opset_import[i]->version);
    }
    if (r->opset < ONNX_READ_OPSET_MIN || r->opset > ONNX_READ_OPSET_MAX)
        return clmlp_set_error(CLMLP_E_UNSUPPORTED,
                               "%s: ONNX opset %d (clmlp reads opsets %d to %d of the default "
                               "domain)",
                               r->path, r->opset, ONNX_READ_OPSET_MIN, ONNX_READ_OPSET_MAX);
    CLMLP_TRY(read_input(r));
    for (size_t i = 0; i < r->g->n_node; i++) CLMLP_TRY(read_node(r, i));
    if (r->pending && !streq(r->pending, "Sigmoid"))
        return clmlp_set_error(CLMLP_E_UNSUPPORTED, "%s: the graph ends after a %s", r->path,
                               r->pending);
    if (!r->n_layers)
        return clmlp_set_error(CLMLP_E_UNSUPPORTED, "%s: the graph has no dense layer", r->path);
    if (r->g->n_output != 1 || !streq(r->g->output[0]->name, r->cur))
        return clmlp_set_error(CLMLP_E_UNSUPPORTED,
                               "%s: the graph's output%s is not the end of its chain of layers "
                               "('%s')",
                               r->path, r->g->n_output == 1 ? "" : "s (not one)", r->cur);
    return build_model(r, mp, out);
}

/* Reads the whole file at path into a new buffer. */
static int read_file(const char *path, unsigned char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return clmlp_set_error(CLMLP_E_IO, "%s: %s", path, strerror(errno));
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    int rc = CLMLP_OK;
    if (size < 0) rc = clmlp_set_error(CLMLP_E_IO, "%s: cannot read its size", path);
    if (rc == CLMLP_OK && size > ONNX_MAX_FILE)
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s: %ld bytes, more than protobuf's 2 GiB", path,
                             size);
    if (rc == CLMLP_OK && size == 0) rc = clmlp_set_error(CLMLP_E_FORMAT, "%s: empty", path);
    *buf = rc == CLMLP_OK ? malloc((size_t)size) : NULL;
    if (rc == CLMLP_OK && !*buf)
        rc = clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory for %ld bytes", path, size);
    if (rc == CLMLP_OK &&
        (fseek(f, 0, SEEK_SET) != 0 || fread(*buf, 1, (size_t)size, f) != (size_t)size))
        rc = clmlp_set_error(CLMLP_E_IO, "%s: cannot read it", path);
    fclose(f);
    if (rc != CLMLP_OK) {
        free(*buf);
        *buf = NULL;
        return rc;
    }
    *len = (size_t)size;
    return CLMLP_OK;
}

int clmlp_model_read_onnx(clmlp_model_t **out, const char *path, int *converted)
{
    if (!out || !path) return clmlp_set_error(CLMLP_E_INVALID, "read_onnx: NULL argument");
    *out = NULL;
    if (converted) *converted = 0;
    rd r;
    memset(&r, 0, sizeof r);
    r.path = path;
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(r.dir, sizeof r.dir, ".");
    else if ((size_t)(slash - path) >= sizeof r.dir)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: path too long", path);
    else
        snprintf(r.dir, sizeof r.dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    unsigned char *buf = NULL;
    size_t len = 0;
    CLMLP_TRY(read_file(path, &buf, &len));
    ClmlpOnnx__ModelProto *mp = clmlp_onnx__model_proto__unpack(NULL, len, buf);
    free(buf);
    if (!mp)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s: not an ONNX model (its protobuf does not parse)", path);
    int rc = read_model(&r, mp, out);
    clmlp_onnx__model_proto__free_unpacked(mp, NULL);
    for (size_t i = 0; i < r.n_layers; i++) {
        free(r.layers[i].w);
        free(r.layers[i].b);
    }
    free(r.layers);
    free(r.in_mean);
    free(r.in_scale);
    free(r.out_mean);
    free(r.out_scale);
    if (rc == CLMLP_OK && converted) *converted = r.converted;
    return rc;
}
#endif
