/* The layer spec language (spec.h): items split at ',', fields at ':',
 * each item offered to the kinds of the table in order until one claims
 * it. */
#include "nn/spec.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"

/* The most ':' fields an item is split into (more are one kind's to refuse). */
#define MAX_FIELDS 8
/* The longest item. */
#define MAX_ITEM 127

int clmlp_spec_count(const char *s, size_t *v)
{
    size_t len = strlen(s), x = 0;
    if (len == 0 || len > 9) return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        x = x * 10 + (size_t)(s[i] - '0');
    }
    *v = x;
    return 0;
}

/* Adds the layer item `it` names to m, through the first kind that claims it. */
static int spec_layer(clmlp_model_t *m, const clmlp_spec_item *it)
{
    unsigned char config[CLMLP_LAYER_MAX_CONFIG];
    for (size_t k = 0; k < clmlp_layer_kind_count; k++) {
        const clmlp_layer_vt *vt = clmlp_layer_kinds[k];
        const clmlp_layer_kind *custom = NULL;
        size_t size = 0;
        int rc = vt->spec(it, config, &size, &custom);
        if (rc == CLMLP_SPEC_NOT_MINE) continue;
        if (rc != CLMLP_OK) return rc;
        return clmlp_model_add(m, vt, custom, config, size);
    }
    /* A number too long for clmlp_spec_count is still a number. */
    const char *f0 = it->fields[0];
    size_t digits = strspn(f0, "0123456789");
    if (digits > 0 && f0[digits] == '\0')
        return clmlp_set_error(CLMLP_E_INVALID,
                               "layer spec '%s': item %zu asks for %s units, more than the "
                               "999999999 a layer may have",
                               it->spec, it->item, f0);
    char known[512];
    return clmlp_set_error(CLMLP_E_INVALID,
                           "layer spec '%s': item %zu ('%s') is neither a number of units nor "
                           "a layer kind (known: %s)",
                           it->spec, it->item, it->fields[0],
                           clmlp_layer_spec_syntaxes(known, sizeof known));
}

int clmlp_model_from_spec(clmlp_model_t **out, const char *spec)
{
    if (!out) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_model_from_spec: out is NULL");
    *out = NULL;
    if (!spec || !*spec)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "empty layer spec (expected e.g. 784,100:sigmoid,10:softmax)");
    clmlp_model_t *m = NULL;
    int rc = CLMLP_OK;
    const char *p = spec;
    for (size_t item = 0; rc == CLMLP_OK; item++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char buf[MAX_ITEM + 1];
        if (len > MAX_ITEM) {
            rc = clmlp_set_error(CLMLP_E_INVALID, "layer spec item %zu is too long", item + 1);
            break;
        }
        memcpy(buf, p, len);
        buf[len] = '\0';
        char *fields[MAX_FIELDS];
        size_t nf = 0;
        for (char *tok = buf;;) {
            fields[nf++] = tok;
            char *c = strchr(tok, ':');
            if (!c || nf == MAX_FIELDS) break;
            *c = '\0';
            tok = c + 1;
        }
        if (item == 0) {
            size_t units;
            if (nf > 1 || clmlp_spec_count(fields[0], &units) != 0 || units == 0) {
                rc = clmlp_set_error(CLMLP_E_INVALID,
                                     "layer spec '%s': the first item is the input width, a "
                                     "whole number >= 1, got '%s'",
                                     spec, fields[0]);
                break;
            }
            rc = clmlp_model_init(&m, units);
        } else {
            clmlp_spec_item it = {spec, item + 1, fields, nf, p, len};
            rc = spec_layer(m, &it);
        }
        if (!end) break;
        p = end + 1;
    }
    if (rc == CLMLP_OK && m && m->n_layers == 0)
        rc = clmlp_set_error(CLMLP_E_INVALID, "layer spec '%s' has an input width but no layers",
                             spec);
    if (rc != CLMLP_OK) {
        clmlp_model_free(m);
        return rc;
    }
    *out = m;
    return CLMLP_OK;
}
