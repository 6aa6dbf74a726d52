/* Messages, option parsing, checked numbers and backend options shared by
 * the clmlp subcommands. */
#include "cli_common.h"

#include "clmlp_layer.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "clmlp %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'clmlp %s --help'.\n", cmd);
    return CLI_USAGE;
}

int cli_runtime_error(void)
{
    const char *msg = clmlp_last_error();
    fprintf(stderr, "clmlp: %s\n", msg && *msg ? msg : "unknown error");
    return CLI_RUNTIME;
}

int cli_out_of_memory(void)
{
    fprintf(stderr, "clmlp: out of memory\n");
    return CLI_RUNTIME;
}

/* The long option whose value is val, or NULL. */
static const struct option *find_long(const struct option *longopts, int val)
{
    for (const struct option *o = longopts; o->name; o++)
        if (o->val == val) return o;
    return NULL;
}

int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
    char spec[64];
    snprintf(spec, sizeof spec, ":%s", shortopts);
    opterr = 0;
    int prev = optind;
    int c = getopt_long(argc, argv, spec, longopts, NULL);
    if (c != '?' && c != ':') return c;
    /* The word getopt stopped at: argv[optind-1] for a long option (getopt
     * has stepped past it), else the short option itself. */
    const char *word = optind > prev && optind - 1 < argc ? argv[optind - 1] : NULL;
    int is_long = word && strncmp(word, "--", 2) == 0;
    char shortname[3] = {'-', (char)optopt, '\0'};
    const char *name = is_long ? word : shortname;
    if (c == ':') {
        const struct option *o = is_long ? NULL : find_long(longopts, optopt);
        if (!is_long && o) name = o->name;
        cli_usage_error(cmd, "option '%s%s' needs a value", is_long || !o ? "" : "--", name);
    } else if (optopt != 0 && (is_long || find_long(longopts, optopt))) {
        cli_usage_error(cmd, "option '%s' takes no value", name);
    } else if (optopt != 0) {
        cli_usage_error(cmd, "unknown option '-%c'", optopt);
    } else {
        cli_usage_error(cmd, "unknown option '%s'", word ? word : "?");
    }
    return '?';
}

int cli_no_operands(const char *cmd, int argc, char **argv)
{
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s' (every input is an option)",
                               argv[optind]);
    return CLI_OK;
}

/* Parses an optionally signed decimal integer with nothing around it. */
static int parse_whole(const char *s, int allow_sign, long long *out, int *overflow)
{
    *overflow = 0;
    const char *p = s;
    if (allow_sign && (*p == '-' || *p == '+')) p++;
    if (!isdigit((unsigned char)*p)) return -1;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (*end) return -1;
    if (errno == ERANGE) {
        *overflow = 1;
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_count(const char *cmd, const char *opt, const char *s, size_t min, size_t *out)
{
    long long v = 0;
    int overflow = 0;
    if (parse_whole(s, 0, &v, &overflow) < 0 || (unsigned long long)v > SIZE_MAX || (size_t)v < min)
        return cli_usage_error(cmd, "%s must be a whole number >= %zu%s, got '%s'", opt, min,
                               overflow ? " (and not that large)" : "", s);
    *out = (size_t)v;
    return CLI_OK;
}

int cli_parse_long(const char *cmd, const char *opt, const char *s, long lo, long hi, long *out)
{
    long long v = 0;
    int overflow = 0;
    if (parse_whole(s, 1, &v, &overflow) < 0 || v < lo || v > hi)
        return cli_usage_error(cmd, "%s must be a whole number from %ld to %ld, got '%s'", opt, lo,
                               hi, s);
    *out = (long)v;
    return CLI_OK;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out)
{
    errno = 0;
    char *end = NULL;
    unsigned long long v = isdigit((unsigned char)*s) ? strtoull(s, &end, 10) : 0;
    if (!isdigit((unsigned char)*s) || *end || errno == ERANGE)
        return cli_usage_error(cmd, "%s must be a whole number from 0 to %llu, got '%s'", opt,
                               (unsigned long long)UINT64_MAX, s);
    *out = (uint64_t)v;
    return CLI_OK;
}

/* Describes an interval for messages: "> 0", ">= 0", "in [0, 1)". */
static void describe_range(char *buf, size_t cap, double lo, int lo_open, double hi, int hi_open)
{
    if (isinf(hi))
        snprintf(buf, cap, "%s %g", lo_open ? ">" : ">=", lo);
    else
        snprintf(buf, cap, "in %c%g, %g%c", lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
}

int cli_parse_real(const char *cmd, const char *opt, const char *s, double lo, int lo_open,
                   double hi, int hi_open, double *out)
{
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    int ok =
        *s && !isspace((unsigned char)*s) && end != s && !*end && errno != ERANGE && isfinite(v);
    ok = ok && (lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi);
    if (!ok) {
        char range[64];
        describe_range(range, sizeof range, lo, lo_open, hi, hi_open);
        return cli_usage_error(cmd, "%s must be a number %s, got '%s'", opt, range, s);
    }
    *out = v;
    return CLI_OK;
}

/* --backend's value through the registry; the usage error lists the
 * registry's names. */
static int backend_kind(const char *cmd, const char *arg, clmlp_backend_kind *kind)
{
    if (clmlp_backend_kind_parse(arg, kind) == CLMLP_OK) return CLI_OK;
    char names[256];
    size_t len = 0;
    names[0] = '\0';
    for (size_t i = 0; i < clmlp_backend_count() && len < sizeof names; i++) {
        int w = snprintf(names + len, sizeof names - len, "%s%s", i ? ", " : "",
                         clmlp_backend_info_at(i)->name);
        if (w < 0) break;
        len += (size_t)w;
    }
    return cli_usage_error(cmd, "--backend must be %s or default, got '%s'", names, arg);
}

int cli_plugin_option(const char *cmd, const char *path)
{
    /* At once: the kinds must be known before a spec or a model file
     * names them, and a bad plugin stops the run before any data. */
    if (clmlp_plugin_load(path) < 0)
        return cli_usage_error(cmd, "--plugin: %s", clmlp_last_error());
    return CLI_OK;
}

int cli_backend_option(const char *cmd, cli_backend_args *a, int opt, const char *arg)
{
    switch (opt) {
    case OPT_BACKEND: return backend_kind(cmd, arg, &a->kind);
    case OPT_THREADS: return cli_parse_count(cmd, "--threads", arg, 1, &a->threads);
    case OPT_PLATFORM: a->platform = arg; return CLI_OK;
    case OPT_DEVICE: a->device = arg; return CLI_OK;
    case OPT_PLUGIN: return cli_plugin_option(cmd, arg);
    default: return cli_usage_error(cmd, "internal: option %d is not a backend option", opt);
    }
}

int cli_backend_opts(const cli_backend_args *a, clmlp_backend_opts *o, clmlp_opencl_opts *cl)
{
    memset(o, 0, sizeof *o);
    /* --platform and --device choose among OpenCL devices: with a backend
     * that has none they would be ignored without a word. */
    if ((a->kind == CLMLP_BACKEND_CPU || a->kind == CLMLP_BACKEND_REF) &&
        (a->platform || a->device)) {
        fprintf(stderr,
                "clmlp: --%s %s chooses an OpenCL %s, but --backend %s runs on the host and "
                "has none: drop --%s, or use --backend opencl\n",
                a->device ? "device" : "platform", a->device ? a->device : a->platform,
                a->device ? "device" : "platform", clmlp_backend_kind_name(a->kind),
                a->device ? "device" : "platform");
        return CLI_USAGE;
    }
    /* --threads sets the cpu backend's threads; ref computes on one. */
    if (a->threads && a->kind == CLMLP_BACKEND_REF) {
        fprintf(stderr,
                "clmlp: --threads %zu sets the cpu backend's threads, but --backend ref "
                "computes on one: drop --threads, or use --backend cpu\n",
                a->threads);
        return CLI_USAGE;
    }
    if (a->threads > CLI_MAX_THREADS) {
        fprintf(stderr, "clmlp: --threads %zu: at most %d\n", a->threads, CLI_MAX_THREADS);
        return CLI_USAGE;
    }
    o->kind = a->kind;
    o->platform = a->platform;
    o->device = a->device;
    o->threads = (int)a->threads;
    o->gpu_index = a->gpu_index;
    o->verbose = 0;
    /* The tool is where the environment counts (README, "Environment"):
     * the options given win over CLMLP_PLATFORM and CLMLP_DEVICE. */
    if (clmlp_opencl_opts_from_env(cl, o) < 0) {
        /* Only OpenCL reads these settings: a bad one (say CLMLP_QUEUE_WINDOW)
         * stops a run that may use OpenCL, and is ignored by ref and cpu. */
        if (a->kind == CLMLP_BACKEND_OPENCL || a->kind == CLMLP_BACKEND_DEFAULT)
            return cli_runtime_error();
        o->opencl = NULL;
    }
    return CLI_OK;
}

int cli_backend_open(const cli_backend_args *a, int quiet, clmlp_backend_t **out)
{
    clmlp_backend_opts o;
    clmlp_opencl_opts cl;
    int rc = cli_backend_opts(a, &o, &cl);
    if (rc) return rc;
    if (clmlp_backend_init(out, &o) < 0) return cli_runtime_error();
    if (!quiet) fprintf(stderr, "backend: %s\n", clmlp_backend_description(*out));
    return CLI_OK;
}

size_t cli_predicted_class(const float *row, size_t n_out)
{
    if (n_out == 1) return row[0] > 0.5f ? 1 : 0;
    size_t best = 0;
    for (size_t j = 1; j < n_out; j++)
        if (row[j] > row[best]) best = j;
    return best;
}
