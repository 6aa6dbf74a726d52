/* The one table of layer kinds.  A built-in kind is its own file
 * (nn/layer_*.c) and one line here; kinds registered at run time
 * (clmlp_layer_register, plugins) go through the adapter listed last. */
#include <stdio.h>
#include <string.h>

#include "nn/layer.h"

extern const clmlp_layer_vt clmlp_layer_dense;
extern const clmlp_layer_vt clmlp_layer_dropout;

/* In the order spec items are offered to them; the adapter claims only
 * items that name a registered kind, so it may come last. */
const clmlp_layer_vt *const clmlp_layer_kinds[] = {
    &clmlp_layer_dense,
    &clmlp_layer_dropout,
    &clmlp_layer_custom,
};
const size_t clmlp_layer_kind_count = sizeof clmlp_layer_kinds / sizeof clmlp_layer_kinds[0];

int clmlp_layer_builtin(const char *name)
{
    for (size_t i = 0; name && i < clmlp_layer_kind_count; i++)
        if (clmlp_layer_kinds[i]->kind && strcmp(clmlp_layer_kinds[i]->kind, name) == 0) return 1;
    return 0;
}

const clmlp_layer_vt *clmlp_layer_vt_find(const char *kind, const clmlp_layer_kind **custom)
{
    if (custom) *custom = NULL;
    if (!kind) return NULL;
    for (size_t i = 0; i < clmlp_layer_kind_count; i++)
        if (clmlp_layer_kinds[i]->kind && strcmp(clmlp_layer_kinds[i]->kind, kind) == 0)
            return clmlp_layer_kinds[i];
    const clmlp_layer_kind *k = clmlp_layer_find(kind);
    if (!k) return NULL;
    if (custom) *custom = k;
    return &clmlp_layer_custom;
}

/* Appends s to buf (at *used of size), with ", " before all but the first. */
static void list_add(char *buf, size_t size, size_t *used, const char *s)
{
    if (*used >= size) return;
    int k = snprintf(buf + *used, size - *used, "%s%s", *used ? ", " : "", s);
    if (k > 0) *used += (size_t)k;
}

const char *clmlp_layer_kind_list(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < clmlp_layer_kind_count; i++)
        if (clmlp_layer_kinds[i]->kind) list_add(buf, size, &used, clmlp_layer_kinds[i]->kind);
    for (size_t i = 0; clmlp_layer_registered(i); i++)
        list_add(buf, size, &used, clmlp_layer_registered(i)->name);
    return buf;
}

const char *clmlp_layer_spec_syntaxes(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < clmlp_layer_kind_count; i++)
        if (clmlp_layer_kinds[i]->kind)
            list_add(buf, size, &used, clmlp_layer_kinds[i]->spec_syntax);
    for (size_t i = 0; clmlp_layer_registered(i); i++) {
        const clmlp_layer_kind *k = clmlp_layer_registered(i);
        char one[96];
        snprintf(one, sizeof one, "%s%s", k->name, k->parse ? ":..." : "");
        list_add(buf, size, &used, one);
    }
    return buf;
}

const char *clmlp_layer_name(const clmlp_layer *l)
{
    return l->custom ? l->custom->name : l->vt->kind;
}

size_t clmlp_layer_params(const clmlp_layer *l)
{
    size_t n = 0;
    for (size_t t = 0; t < l->n_tensors; t++) n += l->tensors[t].count;
    return n;
}

void clmlp_layer_info_of(const clmlp_layer *l, clmlp_layer_info *out)
{
    memset(out, 0, sizeof *out);
    out->form = CLMLP_LAYER_OTHER;
    out->act = CLMLP_ACT_LINEAR;
    l->vt->info(l, out);
    out->kind = clmlp_layer_name(l);
    out->in = l->in;
    out->out = l->out;
    out->n_params = clmlp_layer_params(l);
}
