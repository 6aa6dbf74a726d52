/* The layer unit: what every layer kind implements (one file per kind,
 * nn/layer_*.c) and the one table that lists the built-in kinds
 * (nn/layer_kinds.c).  A kind owns everything about itself: how a spec item
 * names it and becomes its configuration bytes, what it builds from them,
 * how it initialises, runs forward and backward, describes itself, and what
 * it is at inference.  Nothing outside a kind's own file compares its name;
 * the model, the fit loop, files and the CLI see only this interface. */
#ifndef CLMLP_NN_LAYER_H
#define CLMLP_NN_LAYER_H

#include "backend/backend.h"
#include "clmlp.h"
#include "clmlp_layer.h"
#include "util/rng.h"

typedef struct clmlp_layer clmlp_layer;

/* One parameter tensor of a layer, placed in the packed buffer. */
typedef struct {
    const char *name;
    size_t count;
    int decay;  /* weight decay applies (placed among the first n_weights) */
    size_t off; /* in the packed buffer */
} clmlp_tensor;

/* What a layer's forward and backward work on, for one batch. */
typedef struct {
    size_t rows;
    int training;
    const clmlp_buf *x; /* input, rows x in */
    size_t x_off;
    /* backward only */
    clmlp_buf *dy; /* d loss / d output, rows x out; the layer may
                      overwrite it */
    clmlp_buf *dx; /* d loss / d input to write, rows x in; NULL for
                      the first layer */
    int dy_is_dz;  /* the loss gave d loss / d z of a fused output
                      activation, or the perceptron rule's error: no
                      activation backward (only for a layer whose info
                      says CLMLP_LAYER_AFFINE) */
} clmlp_layer_io;

/* One item of a layer spec ("100:relu", "dropout:0.2", "affine:3"), split
 * at ':' into fields; spec and item (1-based) are for messages. */
typedef struct {
    const char *spec;
    size_t item;
    char **fields;
    size_t n_fields;
    const char *text; /* the item as written: text_len bytes of spec */
    size_t text_len;
} clmlp_spec_item;

/* What a kind's spec function returns for an item that names another kind. */
#define CLMLP_SPEC_NOT_MINE 1

/* Bytes a kind may keep in a layer for what it decodes from its
 * configuration (an activation, a rate), so no kind needs fields of its
 * own in struct clmlp_layer. */
#define CLMLP_LAYER_PRIV_BYTES 32

struct clmlp_model;

/* A layer kind's functions.  Output goes to m->y at l->ws_off, scratch to
 * m->z at l->sc_off (nn/model.h). */
typedef struct clmlp_layer_vt {
    const char *kind;        /* as in specs and model files: "dense"; NULL
                                for the adapter of registered kinds, which
                                takes each kind's own name */
    const char *spec_syntax; /* for messages: "UNITS[:ACTIVATION][:nobias]" */
    /* Whether the spec item is this kind's: CLMLP_SPEC_NOT_MINE if not;
     * else CLMLP_OK with the configuration bytes in config (room for
     * CLMLP_LAYER_MAX_CONFIG), their count in *config_size and, for the
     * registered kinds' adapter, the kind in *custom; or a negative status
     * naming the spec and item. */
    int (*spec)(const clmlp_spec_item *it, unsigned char *config, size_t *config_size,
                const clmlp_layer_kind **custom);
    /* Decodes l->config for input width in and sets l->out, l->scratch,
     * l->n_tensors, each tensor's name, count and decay, and l->priv.  An
     * AFFINE layer keeps its kernel in tensor 0 and its bias in tensor 1. */
    int (*build)(clmlp_layer *l, size_t in);
    /* Draws the layer's initial parameters into the packed host array p. */
    void (*init)(const clmlp_layer *l, float *p, clmlp_rng *r);
    /* Optional: refuses (naming the kind and what it lacks) a backend that
     * cannot run the layer; called when the model is compiled. */
    int (*prepare)(clmlp_backend_t *be, const clmlp_layer *l);
    int (*forward)(struct clmlp_model *m, const clmlp_layer *l, const clmlp_layer_io *io);
    int (*backward)(struct clmlp_model *m, const clmlp_layer *l, const clmlp_layer_io *io);
    /* "Dense, relu" for summaries; into buf. */
    void (*describe)(const clmlp_layer *l, char *buf, size_t size);
    /* What the layer is at inference (its form, activation, bias), for
     * export, weight access and loss fusion; kind, in, out and n_params
     * are filled in by the caller. */
    void (*info)(const clmlp_layer *l, clmlp_layer_info *out);
    /* Optional: why the layer cannot be trained (NULL: it can). */
    const char *(*untrainable)(const clmlp_layer *l);
    /* What the scratch block holds, for backend comparisons ("z = x W + b
     * (gemm, bias add)"); NULL: "scratch". */
    const char *scratch_what;
} clmlp_layer_vt;

struct clmlp_layer {
    const clmlp_layer_vt *vt;
    const clmlp_layer_kind *custom; /* the user's kind (layer_custom.c), else NULL */
    unsigned char *config;          /* the configuration bytes model files hold */
    size_t config_size;
    size_t in, out, scratch; /* widths; scratch values per row in z */
    size_t n_tensors;
    clmlp_tensor tensors[CLMLP_LAYER_MAX_TENSORS];
    size_t ws_off, sc_off; /* blocks in y and z, for ws_rows rows */
    /* What build decoded, the kind's own (see CLMLP_LAYER_PRIV). */
    _Alignas(8) unsigned char priv[CLMLP_LAYER_PRIV_BYTES];
};

/* The kind's decoded state of layer l, as type T (which must fit). */
#define CLMLP_LAYER_PRIV(T, l) ((T *)(void *)(l)->priv)
#define CLMLP_LAYER_PRIV_FITS(T)                                                                   \
    _Static_assert(sizeof(T) <= CLMLP_LAYER_PRIV_BYTES, #T " fits in a layer's priv")

/* ---- the table of kinds (layer_kinds.c) ---- */
/* The built-in kinds, in the order spec items are offered to them, and the
 * adapter of registered kinds after them. */
extern const clmlp_layer_vt *const clmlp_layer_kinds[];
extern const size_t clmlp_layer_kind_count;
/* The adapter that runs a registered clmlp_layer_kind (layer_custom.c). */
extern const clmlp_layer_vt clmlp_layer_custom;

/* The vt for a kind name (built-in or registered; *custom set for the
 * latter, else NULL), or NULL. */
const clmlp_layer_vt *clmlp_layer_vt_find(const char *kind, const clmlp_layer_kind **custom);
/* Whether name is a built-in kind's. */
int clmlp_layer_builtin(const char *name);
/* "dense, dropout" and every registered kind, comma-separated, into buf. */
const char *clmlp_layer_kind_list(char *buf, size_t size);
/* Every kind's spec syntax ("UNITS[:ACTIVATION][:nobias], dropout:RATE,
 * reflection"), into buf. */
const char *clmlp_layer_spec_syntaxes(char *buf, size_t size);

/* A layer's kind as specs and files name it ("dense", a custom name). */
const char *clmlp_layer_name(const clmlp_layer *l);
/* Its form at inference and the rest of clmlp_layer_info. */
void clmlp_layer_info_of(const clmlp_layer *l, clmlp_layer_info *out);
/* The parameters layer l holds. */
size_t clmlp_layer_params(const clmlp_layer *l);

/* Whether the n bytes at name make a kind name: [a-z0-9_], a letter among
 * them, 1 to 63 of them. */
int clmlp_layer_kind_name_valid(const char *name, size_t n);

/* The state clmlp_layer_uniform draws from. */
struct clmlp_layer_rng {
    clmlp_rng r;
};

#endif
