/* The backend registry: one table with a row per backend, the only place
 * that knows which backends there are.  Opening a backend by kind, the
 * default kind's rule, --backend's names and `clmlp devices` all read it,
 * so adding a backend is its folder, one row here and (if it needs a
 * library) one CMake option.
 *
 * Rows run from the plainest backend to the most capable, the order users
 * see them in (--backend's names, `clmlp devices`).  The default kind is
 * the most capable backend that takes it: its rule tries the rows from the
 * last one up and opens the first whose takes_default says yes. */
#include <stdio.h>
#include <string.h>

#include "backend/backend.h"
#include "util/error.h"

typedef struct {
    clmlp_backend_info info;      /* what the public API shows of it (has_list: list is set) */
    const clmlp_backend_i *iface; /* its table, which tells an open backend's kind */
    int (*open)(clmlp_backend_t *be, const clmlp_backend_opts *opts);
    /* Whether the default kind opens this backend with opts; NULL: never. */
    int (*takes_default)(const clmlp_backend_opts *opts);
    /* When takes_default says no: why, for the verbose line of the default
     * rule ("no GPU through OpenCL") and as a clause ("OpenCL offers no GPU"). */
    const char *declines, *declines_clause;
    /* Writes what the backend offers on this machine to f; NULL: nothing. */
    int (*list)(FILE *f);
} backend_row;

/* The reference backend takes no options. */
static int open_ref(clmlp_backend_t *be, const clmlp_backend_opts *opts)
{
    (void)opts;
    return clmlp_ref_backend_open(be);
}

/* For the backend that is always there: it takes the default no other took. */
static int always(const clmlp_backend_opts *opts)
{
    (void)opts;
    return 1;
}

/* A device the caller named is opened as named (PoCL too); otherwise OpenCL
 * takes the default only for a GPU, as the cpu backend beats an OpenCL
 * driver for the CPU. */
static int opencl_takes_default(const clmlp_backend_opts *o)
{
    int named = o && ((o->platform && *o->platform) || (o->device && *o->device));
    return named || clmlp_opencl_has_gpu();
}

/* Plainest first; the default rule reads it from the end (see the top). */
static const backend_row rows[] = {
    {.info = {.kind = CLMLP_BACKEND_REF,
              .name = "ref",
              .title = "ref backend",
              .summary = "plain C in double precision: the truth the others are checked against"},
     .iface = &clmlp_ref_iface,
     .open = open_ref},
    {.info = {.kind = CLMLP_BACKEND_CPU,
              .name = "cpu",
              .title = "cpu backend",
              .summary = "float32 in host memory, GEMMs through a BLAS, the rest in threaded loops",
              .has_list = 1},
     .iface = &clmlp_cpu_iface,
     .open = clmlp_cpu_backend_open,
     .takes_default = always,
     .list = clmlp_cpu_backend_list},
    {.info = {.kind = CLMLP_BACKEND_OPENCL,
              .name = "opencl",
              .title = "OpenCL",
              .summary = "any OpenCL device (a CPU too, through PoCL): CLBlast and our kernels",
              .has_devices = 1,
              .has_list = 1},
     .iface = &clmlp_opencl_iface,
     .open = clmlp_opencl_backend_open,
     .takes_default = opencl_takes_default,
     .declines = "no GPU through OpenCL",
     .declines_clause = "OpenCL offers no GPU",
     .list = clmlp_opencl_list_devices},
};

#define N_ROWS (sizeof rows / sizeof rows[0])

/* The row of kind, or NULL (CLMLP_BACKEND_DEFAULT has none). */
static const backend_row *row_of(clmlp_backend_kind kind)
{
    for (size_t i = 0; i < N_ROWS; i++)
        if (rows[i].info.kind == kind) return &rows[i];
    return NULL;
}

/* The row the default kind opens with opts, and in *passed the first row
 * it tried that said no (NULL when the first it tried took it). */
static const backend_row *default_row(const clmlp_backend_opts *opts, const backend_row **passed)
{
    *passed = NULL;
    for (size_t i = N_ROWS; i-- > 0;) {
        if (!rows[i].takes_default) continue;
        if (rows[i].takes_default(opts)) return &rows[i];
        if (!*passed) *passed = &rows[i];
    }
    return NULL;
}

size_t clmlp_backend_count(void) { return N_ROWS; }

const clmlp_backend_info *clmlp_backend_info_at(size_t i)
{
    return i < N_ROWS ? &rows[i].info : NULL;
}

const char *clmlp_backend_kind_name(clmlp_backend_kind kind)
{
    if (kind == CLMLP_BACKEND_DEFAULT) return "default";
    const backend_row *r = row_of(kind);
    return r ? r->info.name : "unknown";
}

int clmlp_backend_kind_parse(const char *name, clmlp_backend_kind *out)
{
    if (!out) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_backend_kind_parse: out is NULL");
    if (name && strcmp(name, "default") == 0) {
        *out = CLMLP_BACKEND_DEFAULT;
        return CLMLP_OK;
    }
    for (size_t i = 0; name && i < N_ROWS; i++)
        if (strcmp(name, rows[i].info.name) == 0) {
            *out = rows[i].info.kind;
            return CLMLP_OK;
        }
    char names[256];
    size_t len = 0;
    names[0] = '\0';
    for (size_t i = 0; i < N_ROWS && len < sizeof names; i++) {
        int w = snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "", rows[i].info.name);
        if (w < 0) break;
        len += (size_t)w;
    }
    return clmlp_set_error(CLMLP_E_INVALID, "unknown backend '%s' (%s or default)",
                           name ? name : "", names);
}

clmlp_backend_kind clmlp_backend_default_kind(const clmlp_backend_opts *opts, const char **why)
{
    const backend_row *passed = NULL;
    const backend_row *r = default_row(opts, &passed);
    if (why) *why = passed ? passed->declines_clause : NULL;
    return r ? r->info.kind : CLMLP_BACKEND_DEFAULT;
}

int clmlp_backend_list(clmlp_backend_kind kind, FILE *f)
{
    if (!f) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_backend_list: f is NULL");
    const backend_row *r = row_of(kind);
    if (!r) return clmlp_set_error(CLMLP_E_INVALID, "unknown backend kind %d", (int)kind);
    return r->list ? r->list(f) : CLMLP_OK;
}

int clmlp_registry_open(clmlp_backend_t *be, const clmlp_backend_opts *opts)
{
    const backend_row *r;
    if (opts->kind == CLMLP_BACKEND_DEFAULT) {
        const backend_row *passed = NULL;
        r = default_row(opts, &passed);
        if (!r) return clmlp_set_error(CLMLP_E_NOT_FOUND, "no backend takes the default");
        if (passed && opts->verbose)
            fprintf(stderr, "clmlp: %s; using the %s backend\n", passed->declines, r->info.name);
    } else {
        r = row_of(opts->kind);
        if (!r) return clmlp_set_error(CLMLP_E_INVALID, "unknown backend kind %d", (int)opts->kind);
    }
    return r->open(be, opts);
}

clmlp_backend_kind clmlp_registry_kind_of(const clmlp_backend_i *iface)
{
    for (size_t i = 0; i < N_ROWS; i++)
        if (rows[i].iface == iface) return rows[i].info.kind;
    return CLMLP_BACKEND_DEFAULT;
}
