/* The model's whole state in one place: its parameters, the optimizer's
 * state arrays and the counters beside them (clmlp_model_counters), copied
 * out into a snapshot and given back.  Model files, checkpoints, the epoch
 * rollback and save-best's best epoch all move state this way. */
#include <stdlib.h>
#include <string.h>

#include "nn/model.h"
#include "util/error.h"

clmlp_buf *clmlp_model_state_buf(clmlp_model_t *m, size_t k)
{
    return k == 0 ? m->params : k == 1 ? m->opt_m : m->opt_v;
}

/* The model's state array that array a of s holds. */
static size_t array_source(const clmlp_snapshot *s, size_t a)
{
    return (s->parts & CLMLP_STATE_PARAMS) ? a : a + 1;
}

int clmlp_snapshot_init(clmlp_model_t *m, int parts, clmlp_snapshot_where where, clmlp_snapshot *s)
{
    memset(s, 0, sizeof *s);
    if (!m || !m->be)
        return clmlp_set_error(CLMLP_E_INVALID, "snapshot: the model is not compiled");
    s->parts = parts;
    s->where = where;
    s->n = m->n_params;
    s->arrays = ((parts & CLMLP_STATE_PARAMS) ? 1 : 0) +
                ((parts & CLMLP_STATE_OPTIMIZER) ? clmlp_model_opt_state_count(m) : 0);
    size_t total = s->arrays * s->n;
    if (total == 0) total = 1;
    if (where == CLMLP_SNAPSHOT_DEVICE)
        return clmlp_be_buf_alloc(m->be, CLMLP_BUF_F32, total, &s->dev);
    s->host = malloc(total * sizeof *s->host);
    if (!s->host)
        return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for a copy of %zu parameters", total);
    return CLMLP_OK;
}

int clmlp_snapshot_take(clmlp_model_t *m, clmlp_snapshot *s)
{
    if (s->parts & CLMLP_STATE_COUNTERS) s->c = m->c;
    for (size_t a = 0; a < s->arrays && s->n; a++) {
        clmlp_buf *from = clmlp_model_state_buf(m, array_source(s, a));
        if (s->host)
            CLMLP_TRY(clmlp_be_download(m->be, from, 0, s->host + a * s->n, s->n));
        else
            CLMLP_TRY(clmlp_be_copy(m->be, from, 0, s->dev, a * s->n, s->n));
    }
    return CLMLP_OK;
}

int clmlp_snapshot_restore(clmlp_model_t *m, const clmlp_snapshot *s)
{
    if (s->n != m->n_params)
        return clmlp_set_error(CLMLP_E_INVALID, "snapshot of %zu parameters for a model of %zu",
                               s->n, m->n_params);
    size_t want = ((s->parts & CLMLP_STATE_PARAMS) ? 1 : 0) +
                  ((s->parts & CLMLP_STATE_OPTIMIZER) ? clmlp_model_opt_state_count(m) : 0);
    if (s->arrays != want)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "snapshot of %zu arrays for a model whose optimizer uses %zu",
                               s->arrays, want);
    if (s->parts & CLMLP_STATE_COUNTERS) m->c = s->c;
    for (size_t a = 0; a < s->arrays && s->n; a++) {
        clmlp_buf *to = clmlp_model_state_buf(m, array_source(s, a));
        if (s->host)
            CLMLP_TRY(clmlp_be_upload(m->be, to, 0, s->host + a * s->n, s->n));
        else
            CLMLP_TRY(clmlp_be_copy(m->be, s->dev, a * s->n, to, 0, s->n));
    }
    return CLMLP_OK;
}

void clmlp_snapshot_free(clmlp_model_t *m, clmlp_snapshot *s)
{
    if (!s) return;
    free(s->host);
    if (m) clmlp_be_buf_free(m->be, s->dev);
    s->host = NULL;
    s->dev = NULL;
}
