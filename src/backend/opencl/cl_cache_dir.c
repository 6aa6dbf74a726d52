/* The OpenCL backend's settings as it keeps them (from clmlp_opencl_opts,
 * never from the environment), where it keeps files between runs
 * (compiled programs, CLBlast tuning), and how a device is named in those
 * files' names. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend/opencl/cl_internal.h"
#include "clmlp_opencl.h"
#include "util/error.h"

/* A copy of s (NULL or "" stays NULL); CLMLP_E_NOMEM when out of memory. */
static int copy_str(const char *s, char **out)
{
    *out = NULL;
    if (!s || !*s) return CLMLP_OK;
    *out = strdup(s);
    return *out ? CLMLP_OK : clmlp_set_error(CLMLP_E_NOMEM, "out of memory opening OpenCL");
}

/* "dir/sub" into a new string, or NULL after setting an error. */
static char *join(const char *dir, const char *sub)
{
    size_t len = strlen(dir) + strlen(sub) + 2;
    char *s = malloc(len);
    if (!s) {
        clmlp_set_error(CLMLP_E_NOMEM, "out of memory opening OpenCL");
        return NULL;
    }
    snprintf(s, len, "%s/%s", dir, sub);
    return s;
}

/* The cache folder CACHE of clmlp_opencl_opts into a new string (*out
 * NULL when no folder can be found: no cache_home, no home, and no home
 * folder in the password database). */
static int cache_root(const clmlp_opencl_opts *o, char **out)
{
    *out = NULL;
    if (o->cache_home && *o->cache_home) {
        *out = join(o->cache_home, "clmlp");
        return *out ? CLMLP_OK : CLMLP_E_NOMEM;
    }
    const char *home = o->home && *o->home ? o->home : NULL;
    char buf[4096];
    struct passwd pw, *found = NULL;
    if (!home && getpwuid_r(getuid(), &pw, buf, sizeof buf, &found) == 0 && found &&
        found->pw_dir && *found->pw_dir)
        home = found->pw_dir;
    if (!home) return CLMLP_OK;
    *out = join(home, ".cache/clmlp");
    return *out ? CLMLP_OK : CLMLP_E_NOMEM;
}

/* See cl_internal.h. */
int clmlp_cl_settings_open(clmlp_cl_ctx *ctx, const clmlp_opencl_opts *opts)
{
    clmlp_opencl_opts none;
    memset(&none, 0, sizeof none);
    const clmlp_opencl_opts *o = opts ? opts : &none;
    if (o->queue_window > CLMLP_OPENCL_QUEUE_MAX && o->queue_window != CLMLP_OPENCL_QUEUE_UNBOUNDED)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "clmlp_opencl_opts.queue_window must be 0 (the default, %u), "
                               "1 to %u, or CLMLP_OPENCL_QUEUE_UNBOUNDED; got %u",
                               CLMLP_OPENCL_QUEUE_DEFAULT, CLMLP_OPENCL_QUEUE_MAX, o->queue_window);
    ctx->window = o->queue_window == 0                              ? CLMLP_OPENCL_QUEUE_DEFAULT
                  : o->queue_window == CLMLP_OPENCL_QUEUE_UNBOUNDED ? 0
                                                                    : o->queue_window;
    ctx->no_tuning = o->no_tuning != 0;
    ctx->no_program_cache = o->no_program_cache != 0;
    ctx->profile = o->profile != 0;
    CLMLP_TRY(copy_str(o->kernel_dir, &ctx->kernel_dir));
    CLMLP_TRY(copy_str(o->tuning_dir, &ctx->tuning_dir));
    CLMLP_TRY(copy_str(o->program_dir, &ctx->program_dir));
    if (ctx->tuning_dir && ctx->program_dir) return CLMLP_OK;
    char *root = NULL;
    CLMLP_TRY(cache_root(o, &root));
    if (root && !ctx->tuning_dir && !(ctx->tuning_dir = join(root, "tuning"))) {
        free(root);
        return CLMLP_E_NOMEM;
    }
    if (root && !ctx->program_dir && !(ctx->program_dir = join(root, "programs"))) {
        free(root);
        return CLMLP_E_NOMEM;
    }
    free(root);
    return CLMLP_OK;
}

/* See cl_internal.h. */
void clmlp_cl_settings_free(clmlp_cl_ctx *ctx)
{
    free(ctx->kernel_dir);
    free(ctx->tuning_dir);
    free(ctx->program_dir);
    ctx->kernel_dir = ctx->tuning_dir = ctx->program_dir = NULL;
}

/* "DEVICE-DRIVER" with every byte outside [A-Za-z0-9._] turned into '_' and
 * runs of '_' squeezed, so it is safe as a file name on any system. */
static void device_key(const clmlp_cl_ctx *ctx, char *out, size_t cap)
{
    char driver[64], raw[256];
    clmlp_cl_device_str(ctx->device, CL_DRIVER_VERSION, driver, sizeof driver);
    snprintf(raw, sizeof raw, "%s-%s", ctx->device_name, driver);
    size_t len = 0;
    for (const char *p = raw; *p && len + 1 < cap; p++) {
        char c = *p;
        int keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '-';
        if (!keep) c = '_';
        if (c == '_' && len && out[len - 1] == '_') continue;
        out[len++] = c;
    }
    if (cap) out[len < cap ? len : cap - 1] = '\0';
}

/* Creates dir and its missing parents (like mkdir -p). */
static int make_dirs(char *dir)
{
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        int bad = mkdir(dir, 0755) != 0 && errno != EEXIST;
        *p = '/';
        if (bad) return -1;
    }
    return mkdir(dir, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* See cl_internal.h. */
int clmlp_cl_cache_file(const clmlp_cl_ctx *ctx, const char *dir, const char *what,
                        const char *suffix, int create, char *out, size_t cap)
{
    if (!dir)
        return clmlp_set_error(CLMLP_E_NOT_FOUND,
                               "no folder for %s: no cache folder was given "
                               "(clmlp_opencl_opts) and the user has no home folder",
                               what);
    char key[200];
    device_key(ctx, key, sizeof key);
    int n = snprintf(out, cap, "%s/%s%s", dir, key, suffix);
    if (n < 0 || (size_t)n >= cap)
        return clmlp_set_error(CLMLP_E_INVALID, "the %s file name is too long", what);
    if (create) {
        char *d = strdup(dir);
        if (!d) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory");
        int bad = make_dirs(d) != 0;
        int err = errno;
        free(d);
        if (bad)
            return clmlp_set_error(CLMLP_E_IO, "cannot create the folder %s: %s", dir,
                                   strerror(err));
    }
    return CLMLP_OK;
}
