/* Where the OpenCL backend keeps files between runs (compiled programs,
 * CLBlast tuning), and how a device is named in those files' names:
 *   $XDG_CACHE_HOME/clmlp/SUB, else $HOME/.cache/clmlp/SUB
 * (an explicit override such as $CLMLP_TUNING_DIR is used as given). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* Whether environment variable name is set to something other than "", "0". */
int clmlp_cl_env_flag(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
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

/* The folder for sub ("programs", "tuning") under the cache root: override
 * when non-empty, else $XDG_CACHE_HOME/clmlp/sub or $HOME/.cache/clmlp/sub.
 * With create set, the folder is made if missing. */
static int cache_dir(const char *override, const char *sub, int create, char *out,
                     size_t cap)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (override && *override)
        n = snprintf(out, cap, "%s", override);
    else if (xdg && *xdg)
        n = snprintf(out, cap, "%s/clmlp/%s", xdg, sub);
    else if (home && *home)
        n = snprintf(out, cap, "%s/.cache/clmlp/%s", home, sub);
    else
        return clmlp_set_error(CLMLP_E_NOT_FOUND,
                               "no cache folder for %s: neither $XDG_CACHE_HOME nor $HOME is set",
                               sub);
    if (n < 0 || (size_t)n >= cap)
        return clmlp_set_error(CLMLP_E_INVALID, "the cache folder name for %s is too long", sub);
    if (create && make_dirs(out) != 0)
        return clmlp_set_error(CLMLP_E_IO, "cannot create the folder %s: %s", out,
                               strerror(errno));
    return CLMLP_OK;
}

/* See cl_internal.h. */
int clmlp_cl_cache_file(const clmlp_cl_ctx *ctx, const char *override, const char *sub,
                        const char *suffix, int create, char *out, size_t cap)
{
    char dir[3072], key[200];
    CLMLP_TRY(cache_dir(override, sub, create, dir, sizeof dir));
    device_key(ctx, key, sizeof key);
    int n = snprintf(out, cap, "%s/%s%s", dir, key, suffix);
    if (n < 0 || (size_t)n >= cap)
        return clmlp_set_error(CLMLP_E_INVALID, "the %s file name is too long", sub);
    return CLMLP_OK;
}
