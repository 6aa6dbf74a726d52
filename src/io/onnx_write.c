/* clmlp_model_write_onnx: a model as an ONNX graph (protobuf-c).
 *
 * The graph reads "input" [N, F] and writes "output" [N, C], float32:
 *   [Sub(mean), Div(scale)]           the model's input standardization
 *   per Dense layer: Gemm(x, W^T, b) (transB 1) then its activation --
 *     Sigmoid, Tanh, Relu, Elu (alpha 1), Selu (clmlp's constants),
 *     Softplus, Softmax (axis 1), swish as Mul(z, Sigmoid(z)), step as
 *     Cast(GreaterOrEqual(z, 0)) (1 at z = 0, as clmlp's), linear nothing
 *   [Mul(scale), Add(mean)]           the model's target standardization
 * Dropout writes no node.  Every name and array the messages point to is
 * kept in one list and freed at the end. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmlp.h"
#include "io/onnx_internal.h"
#include "util/error.h"

int clmlp_onnx_available(void) { return CLMLP_HAVE_ONNX; }

#if !CLMLP_HAVE_ONNX
int clmlp_model_write_onnx(const clmlp_model_t *m, const char *path, const clmlp_onnx_opts *opts)
{
    (void)m;
    (void)opts;
    return clmlp_set_error(CLMLP_E_UNSUPPORTED, "%s: %s", path ? path : "(null)", ONNX_MISSING);
}
#else
#include "onnx_subset.pb-c.h"
#include "util/atomic_file.h"
#include "util/grow.h"
#include "util/le.h"

/* The graph being built. */
typedef struct {
    void **kept; /* everything allocated, freed by wb_free */
    size_t n_kept, cap_kept;
    ClmlpOnnx__NodeProto **nodes;
    size_t n_nodes, cap_nodes;
    ClmlpOnnx__TensorProto **inits;
    size_t n_inits, cap_inits;
    const char *cur; /* the tensor the next node reads */
    int nomem;
} wb;

/* Keeps p for wb_free; NULL (and nomem set) when p is NULL or the list
 * cannot grow. */
static void *keep(wb *b, void *p)
{
    if (p && CLMLP_GROW(b->kept, b->cap_kept, b->n_kept + 1, 64) == 0) {
        b->kept[b->n_kept++] = p;
        return p;
    }
    free(p);
    b->nomem = 1;
    return NULL;
}

static void *wb_calloc(wb *b, size_t n, size_t size) { return keep(b, calloc(n ? n : 1, size)); }

/* A kept, formatted string. */
static char *wb_printf(wb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = len >= 0 ? wb_calloc(b, (size_t)len + 1, 1) : NULL;
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return s;
}

static void wb_free(wb *b)
{
    for (size_t i = 0; i < b->n_kept; i++) free(b->kept[i]);
    free(b->kept);
    free(b->nodes);
    free(b->inits);
}

/* Appends a node op(cur, in1, in2) (in1, in2 may be NULL) whose output,
 * a new name, becomes cur; returns it (NULL when out of memory). */
static ClmlpOnnx__NodeProto *add_node(wb *b, const char *op, const char *in1, const char *in2)
{
    ClmlpOnnx__NodeProto *n = wb_calloc(b, 1, sizeof *n);
    char **in = wb_calloc(b, 3, sizeof *in), **out = wb_calloc(b, 1, sizeof *out);
    char *name = wb_printf(b, "%s_%zu", op, b->n_nodes);
    char *y = wb_printf(b, "t%zu", b->n_nodes);
    if (!n || !in || !out || !name || !y ||
        CLMLP_GROW(b->nodes, b->cap_nodes, b->n_nodes + 1, 16) != 0) {
        b->nomem = 1;
        return NULL;
    }
    clmlp_onnx__node_proto__init(n);
    in[0] = (char *)b->cur;
    n->n_input = 1;
    if (in1) in[n->n_input++] = (char *)in1;
    if (in2) in[n->n_input++] = (char *)in2;
    n->input = in;
    out[0] = y;
    n->output = out;
    n->n_output = 1;
    n->name = name;
    n->op_type = (char *)op;
    b->nodes[b->n_nodes++] = n;
    b->cur = y;
    return n;
}

/* Adds an attribute to n: a float (type FLOAT) or an int (INT). */
static void add_attr(wb *b, ClmlpOnnx__NodeProto *n, const char *name, int is_float, double value)
{
    if (!n) return;
    ClmlpOnnx__AttributeProto *a = wb_calloc(b, 1, sizeof *a);
    ClmlpOnnx__AttributeProto **list = wb_calloc(b, n->n_attribute + 1, sizeof *list);
    if (!a || !list) return;
    clmlp_onnx__attribute_proto__init(a);
    a->name = (char *)name;
    a->has_type = 1;
    if (is_float) {
        a->type = CLMLP_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
        a->has_f = 1;
        a->f = (float)value;
    } else {
        a->type = CLMLP_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
        a->has_i = 1;
        a->i = (int64_t)value;
    }
    if (n->n_attribute) memcpy(list, n->attribute, n->n_attribute * sizeof *list);
    list[n->n_attribute++] = a;
    n->attribute = list;
}

/* A float32 initializer `name` of dims d0 (and d1 when nonzero) holding
 * v (as float, or as double when v is NULL and dv is not), stored as raw
 * little-endian bytes; returns its name. */
static const char *add_init(wb *b, const char *name, size_t d0, size_t d1, const float *v,
                            const double *dv)
{
    size_t count = d1 ? d0 * d1 : d0;
    ClmlpOnnx__TensorProto *t = wb_calloc(b, 1, sizeof *t);
    int64_t *dims = wb_calloc(b, 2, sizeof *dims);
    unsigned char *raw = wb_calloc(b, count, 4);
    if (!t || !dims || !raw || CLMLP_GROW(b->inits, b->cap_inits, b->n_inits + 1, 16) != 0) {
        b->nomem = 1;
        return NULL;
    }
    clmlp_onnx__tensor_proto__init(t);
    dims[0] = (int64_t)d0;
    dims[1] = (int64_t)d1;
    t->dims = dims;
    t->n_dims = d1 ? 2 : 1;
    t->has_data_type = 1;
    t->data_type = ONNX_FLOAT;
    t->name = (char *)name;
    for (size_t i = 0; i < count; i++) {
        float f = v ? v[i] : (float)dv[i];
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        clmlp_le_put_u32(raw + 4 * i, bits);
    }
    t->has_raw_data = 1;
    t->raw_data.data = raw;
    t->raw_data.len = 4 * count;
    b->inits[b->n_inits++] = t;
    return name;
}

/* Appends the nodes of activation act after a Gemm (cur is its z). */
static void add_activation(wb *b, clmlp_act act)
{
    static const char *const simple[CLMLP_ACT_COUNT] = {
        [CLMLP_ACT_SIGMOID] = "Sigmoid",
        [CLMLP_ACT_TANH] = "Tanh",
        [CLMLP_ACT_RELU] = "Relu",
        [CLMLP_ACT_SOFTPLUS] = "Softplus",
    };
    const char *z = b->cur;
    ClmlpOnnx__NodeProto *n = NULL;
    switch (act) {
    case CLMLP_ACT_ELU: add_attr(b, add_node(b, "Elu", NULL, NULL), "alpha", 1, 1.0); break;
    case CLMLP_ACT_SELU:
        n = add_node(b, "Selu", NULL, NULL);
        add_attr(b, n, "alpha", 1, 1.6732632423543772848170429916717);
        add_attr(b, n, "gamma", 1, 1.0507009873554804934193349852946);
        break;
    case CLMLP_ACT_SOFTMAX: add_attr(b, add_node(b, "Softmax", NULL, NULL), "axis", 0, 1); break;
    case CLMLP_ACT_SWISH:
        add_node(b, "Sigmoid", NULL, NULL);
        add_node(b, "Mul", z, NULL);
        break;
    case CLMLP_ACT_STEP: {
        float zero = 0.0f;
        const char *c = add_init(b, wb_printf(b, "zero_%zu", b->n_nodes), 1, 0, &zero, NULL);
        add_node(b, "GreaterOrEqual", c, NULL);
        add_attr(b, add_node(b, "Cast", NULL, NULL), "to", 0, ONNX_FLOAT);
        break;
    }
    default:
        if (act >= 0 && act < CLMLP_ACT_COUNT && simple[act]) add_node(b, simple[act], NULL, NULL);
        break; /* linear */
    }
}

/* Appends Dense layer i (widths in -> out) as a Gemm with W transposed
 * (transB 1: [out, in]) and its activation. */
static int add_dense(wb *b, const clmlp_model_t *m, size_t i, const clmlp_layer_info *li)
{
    size_t in = li->in, out = li->out;
    float *w = malloc(in * out * sizeof *w), *wt = wb_calloc(b, in * out, sizeof *wt);
    float *bias = wb_calloc(b, out, sizeof *bias);
    if (!w || !wt || !bias) {
        free(w);
        return clmlp_set_error(CLMLP_E_NOMEM, "onnx: out of memory for layer %zu", i);
    }
    int rc = clmlp_model_get_weights(m, i, w, li->use_bias ? bias : NULL);
    for (size_t r = 0; rc == CLMLP_OK && r < in; r++)
        for (size_t c = 0; c < out; c++) wt[c * in + r] = w[r * out + c];
    free(w);
    CLMLP_TRY(rc);
    for (size_t k = 0; k < in * out; k++)
        if (!isfinite(wt[k]))
            return clmlp_set_error(CLMLP_E_NUMERIC, "onnx: layer %zu has a weight that is %g", i,
                                   (double)wt[k]);
    const char *wn = add_init(b, wb_printf(b, "layer%zu.weight", i), out, in, wt, NULL);
    const char *bn =
        li->use_bias ? add_init(b, wb_printf(b, "layer%zu.bias", i), out, 0, bias, NULL) : NULL;
    ClmlpOnnx__NodeProto *g = add_node(b, "Gemm", wn, bn);
    add_attr(b, g, "transB", 0, 1);
    add_attr(b, g, "alpha", 1, 1.0);
    add_attr(b, g, "beta", 1, 1.0);
    add_activation(b, li->act);
    return CLMLP_OK;
}

/* A JSON array of n strings (for the metadata); NULL when out of memory. */
static char *json_names(wb *b, const char *const *names, size_t n)
{
    size_t len = 3;
    for (size_t i = 0; i < n; i++) len += 6 * strlen(names[i]) + 3;
    char *s = wb_calloc(b, len, 1), *p = s;
    if (!s) return NULL;
    *p++ = '[';
    for (size_t i = 0; i < n; i++) {
        if (i) *p++ = ',';
        *p++ = '"';
        for (const unsigned char *c = (const unsigned char *)names[i]; *c; c++) {
            if (*c == '"' || *c == '\\') {
                *p++ = '\\';
                *p++ = (char)*c;
            } else if (*c < 0x20) {
                p += sprintf(p, "\\u%04x", *c);
            } else {
                *p++ = (char)*c;
            }
        }
        *p++ = '"';
    }
    *p++ = ']';
    *p = '\0';
    return s;
}

/* A graph input or output: float [batch, width], the batch "N" when
 * static_batch is 0. */
static ClmlpOnnx__ValueInfoProto *value_info(wb *b, const char *name, size_t width, size_t batch)
{
    ClmlpOnnx__ValueInfoProto *v = wb_calloc(b, 1, sizeof *v);
    ClmlpOnnx__TypeProto *t = wb_calloc(b, 1, sizeof *t);
    ClmlpOnnx__TypeProto__Tensor *tt = wb_calloc(b, 1, sizeof *tt);
    ClmlpOnnx__TensorShapeProto *sh = wb_calloc(b, 1, sizeof *sh);
    ClmlpOnnx__TensorShapeProto__Dimension *d = wb_calloc(b, 2, sizeof *d);
    ClmlpOnnx__TensorShapeProto__Dimension **dp = wb_calloc(b, 2, sizeof *dp);
    if (!v || !t || !tt || !sh || !d || !dp) return NULL;
    clmlp_onnx__value_info_proto__init(v);
    clmlp_onnx__type_proto__init(t);
    clmlp_onnx__type_proto__tensor__init(tt);
    clmlp_onnx__tensor_shape_proto__init(sh);
    for (int k = 0; k < 2; k++) {
        clmlp_onnx__tensor_shape_proto__dimension__init(&d[k]);
        dp[k] = &d[k];
    }
    if (batch) {
        d[0].value_case = CLMLP_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d[0].dim_value = (int64_t)batch;
    } else {
        d[0].value_case = CLMLP_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        d[0].dim_param = "N";
    }
    d[1].value_case = CLMLP_ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    d[1].dim_value = (int64_t)width;
    sh->dim = dp;
    sh->n_dim = 2;
    tt->has_elem_type = 1;
    tt->elem_type = ONNX_FLOAT;
    tt->shape = sh;
    t->value_case = CLMLP_ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    t->tensor_type = tt;
    v->name = (char *)name;
    v->type = t;
    return v;
}

/* Builds the graph's nodes and initializers into b. */
static int build_graph(wb *b, const clmlp_model_t *m)
{
    size_t n_in = clmlp_model_n_inputs(m), n_out = clmlp_model_n_outputs(m);
    const double *mean, *scale;
    b->cur = "input";
    clmlp_model_input_scaling(m, &mean, &scale);
    if (mean) {
        add_node(b, "Sub", add_init(b, "input_mean", n_in, 0, NULL, mean), NULL);
        add_node(b, "Div", add_init(b, "input_scale", n_in, 0, NULL, scale), NULL);
    }
    for (size_t i = 0; i < clmlp_model_n_layers(m) && !b->nomem; i++) {
        clmlp_layer_info li;
        CLMLP_TRY(clmlp_model_layer_info(m, i, &li));
        if (li.form == CLMLP_LAYER_IDENTITY) continue;
        if (li.form != CLMLP_LAYER_AFFINE)
            return clmlp_set_error(CLMLP_E_UNSUPPORTED,
                                   "onnx: layer %zu is a '%s' layer, which has no ONNX form "
                                   "(clmlp writes dense layers; dropout is left out)",
                                   i, li.kind);
        CLMLP_TRY(add_dense(b, m, i, &li));
    }
    clmlp_model_target_scaling(m, &mean, &scale);
    if (mean) {
        add_node(b, "Mul", add_init(b, "target_scale", n_out, 0, NULL, scale), NULL);
        add_node(b, "Add", add_init(b, "target_mean", n_out, 0, NULL, mean), NULL);
    }
    /* The last node writes "output" (a model of dropout alone: Identity). */
    if (b->n_nodes == 0) add_node(b, "Identity", NULL, NULL);
    if (!b->nomem) b->nodes[b->n_nodes - 1]->output[0] = "output";
    return b->nomem ? clmlp_set_error(CLMLP_E_NOMEM, "onnx: out of memory building the graph")
                    : CLMLP_OK;
}

/* Adds the metadata: clmlp's version, the task, class and target names. */
static ClmlpOnnx__StringStringEntryProto **metadata(wb *b, const clmlp_model_t *m, size_t *n)
{
    ClmlpOnnx__StringStringEntryProto **list = wb_calloc(b, 4, sizeof *list);
    ClmlpOnnx__StringStringEntryProto *e = wb_calloc(b, 4, sizeof *e);
    if (!list || !e) return NULL;
    size_t k = 0, n_names = 0;
    const char *keys[4] = {ONNX_META_VERSION, ONNX_META_TASK, NULL, NULL};
    const char *values[4] = {clmlp_version(), clmlp_task_name(clmlp_model_task(m)), NULL, NULL};
    const char *const *names = clmlp_model_class_names(m, &n_names);
    if (names) {
        keys[2] = ONNX_META_CLASSES;
        values[2] = json_names(b, names, n_names);
    }
    names = clmlp_model_target_names(m, &n_names);
    if (names) {
        keys[3] = ONNX_META_TARGETS;
        values[3] = json_names(b, names, n_names);
    }
    for (int i = 0; i < 4; i++) {
        if (!keys[i] || !values[i]) continue;
        clmlp_onnx__string_string_entry_proto__init(&e[k]);
        e[k].key = (char *)keys[i];
        e[k].value = (char *)values[i];
        list[k] = &e[k];
        k++;
    }
    *n = k;
    return list;
}

int clmlp_model_write_onnx(const clmlp_model_t *m, const char *path, const clmlp_onnx_opts *opts)
{
    if (!m || !path) return clmlp_set_error(CLMLP_E_INVALID, "write_onnx: NULL model or path");
    clmlp_onnx_opts o = opts ? *opts : (clmlp_onnx_opts){0};
    if (o.opset == 0) o.opset = 13;
    if (o.opset < CLMLP_ONNX_OPSET_MIN || o.opset > CLMLP_ONNX_OPSET_MAX)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: opset %d: clmlp writes opsets %d to %d", path,
                               o.opset, CLMLP_ONNX_OPSET_MIN, CLMLP_ONNX_OPSET_MAX);
    if (o.static_batch > (size_t)INT64_MAX)
        return clmlp_set_error(CLMLP_E_INVALID, "%s: a batch of %zu rows", path, o.static_batch);
    wb b = {0};
    int rc = build_graph(&b, m);
    ClmlpOnnx__GraphProto g;
    ClmlpOnnx__ModelProto model;
    ClmlpOnnx__OperatorSetIdProto opset;
    ClmlpOnnx__OperatorSetIdProto *opsets[1] = {&opset};
    ClmlpOnnx__ValueInfoProto *in[1], *out[1];
    clmlp_onnx__graph_proto__init(&g);
    clmlp_onnx__model_proto__init(&model);
    clmlp_onnx__operator_set_id_proto__init(&opset);
    if (rc == CLMLP_OK) {
        in[0] = value_info(&b, "input", clmlp_model_n_inputs(m), o.static_batch);
        out[0] = value_info(&b, "output", clmlp_model_n_outputs(m), o.static_batch);
        g.name = "clmlp";
        g.node = b.nodes;
        g.n_node = b.n_nodes;
        g.initializer = b.inits;
        g.n_initializer = b.n_inits;
        g.input = in;
        g.n_input = 1;
        g.output = out;
        g.n_output = 1;
        opset.domain = "";
        opset.has_version = 1;
        opset.version = o.opset;
        model.has_ir_version = 1;
        model.ir_version = onnx_ir_version(o.opset);
        model.opset_import = opsets;
        model.n_opset_import = 1;
        model.producer_name = "clmlp";
        model.producer_version = (char *)clmlp_version();
        model.graph = &g;
        model.metadata_props = metadata(&b, m, &model.n_metadata_props);
        if (b.nomem || !in[0] || !out[0] || !model.metadata_props)
            rc = clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory building the ONNX graph", path);
    }
    uint8_t *buf = NULL;
    size_t len = rc == CLMLP_OK ? clmlp_onnx__model_proto__get_packed_size(&model) : 0;
    if (rc == CLMLP_OK && !(buf = malloc(len ? len : 1)))
        rc = clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory for %zu bytes", path, len);
    if (rc == CLMLP_OK) {
        clmlp_onnx__model_proto__pack(&model, buf);
        clmlp_atomic_file af;
        rc = clmlp_atomic_open(&af, path);
        if (rc == CLMLP_OK) {
            fwrite(buf, 1, len, af.f);
            rc = clmlp_atomic_commit(&af);
        }
    }
    free(buf);
    wb_free(&b);
    return rc;
}
#endif
