/* clmlp_opencl_opts_from_env: the one place the library reads the
 * environment, and only when a program asks it to (the clmlp tool does, once,
 * as it opens a backend).  Everything else in the library takes its
 * settings from option structs. */
#include <stdlib.h>
#include <string.h>

#include "clmlp_opencl.h"
#include "util/error.h"

/* The variable's value, or NULL when it is unset or empty. */
static const char *env_value(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* A flag: set to something other than "" or "0". */
static int env_flag(const char *name)
{
    const char *v = env_value(name);
    return v && strcmp(v, "0") != 0;
}

/* $CLMLP_QUEUE_WINDOW: a whole number from 0 (unbounded) to
 * CLMLP_OPENCL_QUEUE_MAX; unset leaves the default. */
static int env_queue_window(unsigned *out)
{
    const char *v = env_value("CLMLP_QUEUE_WINDOW");
    if (!v) return CLMLP_OK;
    unsigned long n = 0;
    const char *p = v;
    for (; *p >= '0' && *p <= '9' && n <= CLMLP_OPENCL_QUEUE_MAX; p++)
        n = n * 10 + (unsigned long)(*p - '0');
    if (*p || n > CLMLP_OPENCL_QUEUE_MAX)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "$CLMLP_QUEUE_WINDOW must be a whole number from 0 (no bound) "
                               "to %u, got '%s'",
                               CLMLP_OPENCL_QUEUE_MAX, v);
    *out = n == 0 ? CLMLP_OPENCL_QUEUE_UNBOUNDED : (unsigned)n;
    return CLMLP_OK;
}

int clmlp_opencl_opts_from_env(clmlp_opencl_opts *o, clmlp_backend_opts *bo)
{
    if (!o) return clmlp_set_error(CLMLP_E_INVALID, "clmlp_opencl_opts_from_env: o is NULL");
    memset(o, 0, sizeof *o);
    o->cache_home = env_value("XDG_CACHE_HOME");
    o->home = env_value("HOME");
    o->no_program_cache = env_flag("CLMLP_NO_PROGRAM_CACHE");
    o->no_tuning = env_flag("CLMLP_NO_TUNING");
    o->tuning_dir = env_value("CLMLP_TUNING_DIR");
    o->kernel_dir = env_value("CLMLP_KERNEL_DIR");
    o->profile = env_flag("CLMLP_PROFILE");
    int rc = env_queue_window(&o->queue_window);
    if (bo) {
        if (!bo->platform) bo->platform = env_value("CLMLP_PLATFORM");
        if (!bo->device) bo->device = env_value("CLMLP_DEVICE");
        bo->opencl = o;
    }
    return rc;
}
