/* OpenCL device discovery and selection: which platforms and devices exist,
 * and which one the options ask for. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "backend/opencl/cl_internal.h"
#include "util/error.h"

/* Reads a string property of a device, NUL-terminated even when cut short. */
void clmlp_cl_device_str(cl_device_id d, cl_device_info what, char *out, size_t cap)
{
    if (!cap) return;
    if (clGetDeviceInfo(d, what, cap, out, NULL) != CL_SUCCESS) {
        /* Too long for out, or a failed query: fetch it whole, then cut. */
        size_t len = 0;
        char *tmp = NULL;
        if (clGetDeviceInfo(d, what, 0, NULL, &len) == CL_SUCCESS && len &&
            (tmp = malloc(len)) != NULL && clGetDeviceInfo(d, what, len, tmp, NULL) == CL_SUCCESS) {
            snprintf(out, cap, "%s", tmp);
        } else {
            snprintf(out, cap, "?");
        }
        free(tmp);
    }
    out[cap - 1] = '\0';
}

/* Reads a string property of a platform, like clmlp_cl_device_str. */
void clmlp_cl_platform_str(cl_platform_id p, cl_platform_info what, char *out, size_t cap)
{
    if (!cap) return;
    if (clGetPlatformInfo(p, what, cap, out, NULL) != CL_SUCCESS) {
        size_t len = 0;
        char *tmp = NULL;
        if (clGetPlatformInfo(p, what, 0, NULL, &len) == CL_SUCCESS && len &&
            (tmp = malloc(len)) != NULL &&
            clGetPlatformInfo(p, what, len, tmp, NULL) == CL_SUCCESS) {
            snprintf(out, cap, "%s", tmp);
        } else {
            snprintf(out, cap, "?");
        }
        free(tmp);
    }
    out[cap - 1] = '\0';
}

/* Releases what clmlp_cl_inventory_init allocated; safe to call twice. */
void clmlp_cl_inventory_free(clmlp_cl_inventory *inv)
{
    if (!inv) return;
    free(inv->platforms);
    free(inv->devices);
    free(inv->dev_platform);
    memset(inv, 0, sizeof *inv);
}

/* What to add to "no OpenCL device" when PoCL's cache folder is a file
 * (cl_internal.h). */
void clmlp_cl_no_device_hint(char *out, size_t cap)
{
    out[0] = '\0';
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char path[PATH_MAX];
    if (xdg && *xdg)
        snprintf(path, sizeof path, "%s", xdg);
    else if (home && *home)
        snprintf(path, sizeof path, "%s/.cache", home);
    else
        return;
    struct stat st;
    if (stat(path, &st) != 0 || S_ISDIR(st.st_mode)) return;
    snprintf(out, cap,
             " (PoCL keeps its kernel cache in %s%s, which is not a folder, and then offers no "
             "device: point XDG_CACHE_HOME at a folder%s)",
             xdg && *xdg ? "XDG_CACHE_HOME=" : "", path,
             xdg && *xdg ? " or unset it" : " or make ~/.cache one");
}

/* Lists the platforms, then every platform's devices. */
int clmlp_cl_inventory_init(clmlp_cl_inventory *inv)
{
    memset(inv, 0, sizeof *inv);
    cl_uint np = 0;
    cl_int err = clGetPlatformIDs(0, NULL, &np);
    if (err == -1001 /* CL_PLATFORM_NOT_FOUND_KHR */ || (err == CL_SUCCESS && np == 0)) {
        /* ocl-icd reads $OCL_ICD_VENDORS instead of the system's folder. */
        const char *vendors = getenv("OCL_ICD_VENDORS");
        if (vendors && *vendors)
            return clmlp_set_error(CLMLP_E_NOT_FOUND,
                                   "%scheck that OCL_ICD_VENDORS=%s (which the ICD loader reads "
                                   "instead of the system's list) names its .icd file or a "
                                   "folder holding it",
                                   CLMLP_CL_NO_PLATFORM_HINT, vendors);
        return clmlp_set_error(CLMLP_E_NOT_FOUND,
                               "%scheck that /etc/OpenCL/vendors holds its .icd file",
                               CLMLP_CL_NO_PLATFORM_HINT);
    }
    if (err != CL_SUCCESS) return clmlp_cl_fail("clGetPlatformIDs", NULL, err);
    inv->platforms = calloc(np, sizeof *inv->platforms);
    if (!inv->platforms) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory listing platforms");
    err = clGetPlatformIDs(np, inv->platforms, NULL);
    if (err != CL_SUCCESS) return clmlp_cl_fail("clGetPlatformIDs", NULL, err);
    inv->n_platforms = np;

    for (size_t p = 0; p < inv->n_platforms; p++) {
        /* A platform whose devices cannot be listed (none, or a broken
         * driver) contributes none, so it does not hide the others. */
        cl_uint nd = 0;
        err = clGetDeviceIDs(inv->platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &nd);
        if (err != CL_SUCCESS || nd == 0) continue;
        size_t total = inv->n_devices + nd;
        cl_device_id *d = realloc(inv->devices, total * sizeof *d);
        if (!d) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory listing devices");
        inv->devices = d;
        size_t *dp = realloc(inv->dev_platform, total * sizeof *dp);
        if (!dp) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory listing devices");
        inv->dev_platform = dp;
        err = clGetDeviceIDs(inv->platforms[p], CL_DEVICE_TYPE_ALL, nd,
                             inv->devices + inv->n_devices, NULL);
        if (err != CL_SUCCESS) continue;
        for (size_t i = inv->n_devices; i < total; i++) inv->dev_platform[i] = p;
        inv->n_devices = total;
    }
    return CLMLP_OK;
}

/* Whether device i of inv is a GPU. */
static int is_gpu(const clmlp_cl_inventory *inv, size_t i)
{
    cl_device_type t = 0;
    return clGetDeviceInfo(inv->devices[i], CL_DEVICE_TYPE, sizeof t, &t, NULL) == CL_SUCCESS &&
           (t & CL_DEVICE_TYPE_GPU);
}

/* The k-th GPU (modulo their number) among devices [first, first + n),
 * else the first of them. */
size_t clmlp_cl_default_device(const clmlp_cl_inventory *inv, size_t first, size_t n, size_t k)
{
    size_t gpus = 0;
    for (size_t i = first; i < first + n; i++) gpus += (size_t)is_gpu(inv, i);
    if (gpus == 0) return first;
    k %= gpus;
    for (size_t i = first; i < first + n; i++)
        if (is_gpu(inv, i) && k-- == 0) return i;
    return first;
}

/* Whether any OpenCL device is a GPU (0 also when there is no platform). */
int clmlp_opencl_has_gpu(void)
{
    clmlp_cl_inventory inv;
    int found = 0;
    if (clmlp_cl_inventory_init(&inv) == CLMLP_OK && inv.n_devices > 0) {
        found = is_gpu(&inv, clmlp_cl_default_device(&inv, 0, inv.n_devices, 0));
    }
    clmlp_cl_inventory_free(&inv);
    return found;
}

/* Whether needle occurs in hay, ignoring ASCII case. */
static int contains_nocase(const char *hay, const char *needle)
{
    if (!hay) return 0;
    size_t nl = strlen(needle);
    for (; *hay; hay++) {
        size_t i = 0;
        while (i < nl && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == nl) return 1;
    }
    return nl == 0;
}

/* Appends "i: name" for each candidate (all, or only those in mask) to buf. */
static void append_candidates(char *buf, size_t cap, const char *const *names, size_t n,
                              const unsigned char *mask)
{
    size_t len = strlen(buf);
    int first = 1;
    for (size_t i = 0; i < n && len + 1 < cap; i++) {
        if (mask && !mask[i]) continue;
        int w = snprintf(buf + len, cap - len, "%s%zu: %s", first ? "" : "; ", i, names[i]);
        if (w < 0) break;
        len += (size_t)w;
        if (len >= cap) len = cap - 1;
        first = 0;
    }
    if (first && len + 1 < cap) snprintf(buf + len, cap - len, "(none)");
}

/* Resolves an index or a name part among n candidates (see cl_internal.h). */
int clmlp_cl_match(const char *spec, const char *what, const char *const *names,
                   const char *const *alt, size_t n, size_t *index)
{
    char msg[900];
    if (spec[0] && strspn(spec, "0123456789") == strlen(spec)) {
        char *end = NULL;
        unsigned long long v = strtoull(spec, &end, 10);
        if (v < n) {
            *index = (size_t)v;
            return CLMLP_OK;
        }
        snprintf(msg, sizeof msg, "no OpenCL %s %s; the %ss are ", what, spec, what);
        append_candidates(msg, sizeof msg, names, n, NULL);
        return clmlp_set_error(CLMLP_E_NOT_FOUND, "%s", msg);
    }
    unsigned char *mask = calloc(n ? n : 1, 1);
    if (!mask) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory choosing a %s", what);
    size_t hits = 0, hit = 0;
    for (size_t i = 0; i < n; i++) {
        if (contains_nocase(names[i], spec) || (alt && contains_nocase(alt[i], spec))) {
            mask[i] = 1;
            hits++;
            hit = i;
        }
    }
    int rc = CLMLP_OK;
    if (hits == 1) {
        *index = hit;
    } else if (hits == 0) {
        snprintf(msg, sizeof msg, "no OpenCL %s matches \"%s\"; the %ss are ", what, spec, what);
        append_candidates(msg, sizeof msg, names, n, NULL);
        rc = clmlp_set_error(CLMLP_E_NOT_FOUND, "%s", msg);
    } else {
        snprintf(msg, sizeof msg, "OpenCL %s \"%s\" is ambiguous: it matches %zu of them (", what,
                 spec, hits);
        append_candidates(msg, sizeof msg - 1, names, n, mask);
        strcat(msg, "); give an index or a longer part of the name");
        rc = clmlp_set_error(CLMLP_E_INVALID, "%s", msg);
    }
    free(mask);
    return rc;
}

/* The option if given and not empty, else NULL. */
static const char *spec_of(const char *opt) { return opt && *opt ? opt : NULL; }

/* Name strings (and vendor strings) of `n` platforms or devices, in one
 * allocation: names[i] and vendors[i] point into it.  Frees with free(names). */
typedef struct {
    char **names;
    char **vendors;
} name_table;

/* Reads the names and vendors of inv's platforms (devices == 0) or of n of
 * its devices starting at first. */
static int read_names(const clmlp_cl_inventory *inv, int devices, size_t first, size_t n,
                      name_table *t)
{
    enum { LEN = 128 };
    size_t k = n ? n : 1;
    t->names = malloc(k * 2 * (sizeof(char *) + LEN));
    if (!t->names) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory listing devices");
    t->vendors = t->names + k;
    char *text = (char *)(t->vendors + k);
    for (size_t i = 0; i < n; i++) {
        t->names[i] = text + 2 * i * LEN;
        t->vendors[i] = text + (2 * i + 1) * LEN;
        if (devices) {
            clmlp_cl_device_str(inv->devices[first + i], CL_DEVICE_NAME, t->names[i], LEN);
            clmlp_cl_device_str(inv->devices[first + i], CL_DEVICE_VENDOR, t->vendors[i], LEN);
        } else {
            clmlp_cl_platform_str(inv->platforms[first + i], CL_PLATFORM_NAME, t->names[i], LEN);
            clmlp_cl_platform_str(inv->platforms[first + i], CL_PLATFORM_VENDOR, t->vendors[i],
                                  LEN);
        }
    }
    return CLMLP_OK;
}

/* Resolves spec among a range of inv's platforms or devices. */
static int match_in(const clmlp_cl_inventory *inv, int devices, size_t first, size_t n,
                    const char *spec, const char *what, size_t *index)
{
    name_table t = {NULL, NULL};
    CLMLP_TRY(read_names(inv, devices, first, n, &t));
    int rc = clmlp_cl_match(spec, what, (const char *const *)t.names,
                            (const char *const *)t.vendors, n, index);
    free(t.names);
    return rc;
}

/* A device spec that names a type: "gpu", "cpu" or "accelerator" (any
 * case), optionally ":K" for the K-th of them (from 0).  1 and the type
 * and K when spec is one, else 0. */
static int type_spec(const char *spec, cl_device_type *type, size_t *k, const char **word)
{
    static const struct {
        const char *name;
        cl_device_type type;
    } types[] = {{"gpu", CL_DEVICE_TYPE_GPU},
                 {"cpu", CL_DEVICE_TYPE_CPU},
                 {"accelerator", CL_DEVICE_TYPE_ACCELERATOR}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t len = strlen(types[i].name);
        size_t j = 0;
        while (j < len && spec[j] && tolower((unsigned char)spec[j]) == types[i].name[j]) j++;
        if (j < len) continue;
        const char *rest = spec + len;
        *k = 0;
        if (*rest == ':') {
            rest++;
            if (!*rest || strspn(rest, "0123456789") != strlen(rest)) return 0;
            *k = (size_t)strtoull(rest, NULL, 10);
        } else if (*rest) {
            return 0;
        }
        *type = types[i].type;
        *word = types[i].name;
        return 1;
    }
    return 0;
}

/* The k-th device of type among devices [first, first + n) of inv into
 * *index, else CLMLP_E_NOT_FOUND listing the devices. */
static int pick_type(const clmlp_cl_inventory *inv, size_t first, size_t n, cl_device_type type,
                     size_t k, const char *word, size_t *index)
{
    size_t seen = 0;
    for (size_t i = first; i < first + n; i++) {
        cl_device_type t = 0;
        if (clGetDeviceInfo(inv->devices[i], CL_DEVICE_TYPE, sizeof t, &t, NULL) != CL_SUCCESS ||
            !(t & type))
            continue;
        if (seen++ == k) {
            *index = i;
            return CLMLP_OK;
        }
    }
    name_table t = {NULL, NULL};
    CLMLP_TRY(read_names(inv, 1, first, n, &t));
    char msg[900];
    if (seen)
        snprintf(msg, sizeof msg,
                 "--device %s:%zu: there %s only %zu OpenCL %s device%s; the "
                 "devices are ",
                 word, k, seen == 1 ? "is" : "are", seen, word, seen == 1 ? "" : "s");
    else
        snprintf(msg, sizeof msg, "no OpenCL device is of the type %s; the devices are ", word);
    append_candidates(msg, sizeof msg, (const char *const *)t.names, n, NULL);
    free(t.names);
    return clmlp_set_error(CLMLP_E_NOT_FOUND, "%s", msg);
}

/* Chooses the platform and device (rules in clmlp.h's clmlp_backend_opts). */
int clmlp_cl_select_device(const clmlp_backend_opts *opts, cl_platform_id *platform,
                           cl_device_id *device)
{
    const char *pspec = spec_of(opts ? opts->platform : NULL);
    const char *dspec = spec_of(opts ? opts->device : NULL);
    clmlp_cl_inventory inv;
    int rc = clmlp_cl_inventory_init(&inv);
    if (rc < 0) {
        clmlp_cl_inventory_free(&inv);
        return rc;
    }

    /* The candidate devices: all of them, or one platform's (contiguous). */
    size_t first = 0, n = inv.n_devices;
    char pname[128] = "";
    if (pspec) {
        size_t p = 0;
        rc = match_in(&inv, 0, 0, inv.n_platforms, pspec, "platform", &p);
        if (rc < 0) goto done;
        clmlp_cl_platform_str(inv.platforms[p], CL_PLATFORM_NAME, pname, sizeof pname);
        first = n = 0;
        while (first < inv.n_devices && inv.dev_platform[first] != p) first++;
        while (first + n < inv.n_devices && inv.dev_platform[first + n] == p) n++;
    }
    if (n == 0) {
        char hint[PATH_MAX + 256];
        clmlp_cl_no_device_hint(hint, sizeof hint);
        if (pspec)
            rc = clmlp_set_error(CLMLP_E_NOT_FOUND, "OpenCL platform \"%s\" has no devices%s",
                                 pname, hint);
        else
            rc = clmlp_set_error(CLMLP_E_NOT_FOUND,
                                 "no OpenCL device was found on any of the %zu platforms%s; "
                                 "install your GPU vendor's OpenCL driver, or "
                                 "pocl-opencl-icd for the CPU",
                                 inv.n_platforms, hint);
        goto done;
    }

    size_t pick = 0;
    cl_device_type type;
    size_t k;
    const char *word;
    if (dspec && type_spec(dspec, &type, &k, &word)) {
        rc = pick_type(&inv, first, n, type, k, word, &pick);
        if (rc < 0) goto done;
    } else if (dspec) {
        size_t i = 0;
        rc = match_in(&inv, 1, first, n, dspec, "device", &i);
        if (rc < 0) goto done;
        pick = first + i;
    } else {
        pick = clmlp_cl_default_device(&inv, first, n, opts ? opts->gpu_index : 0);
    }
    *platform = inv.platforms[inv.dev_platform[pick]];
    *device = inv.devices[pick];
    rc = CLMLP_OK;
done:
    clmlp_cl_inventory_free(&inv);
    return rc;
}

/* "DEVICE (PLATFORM, OpenCL x.y)", the version read from CL_DEVICE_VERSION,
 * which the standard words "OpenCL <major.minor> <vendor text>". */
void clmlp_cl_describe(cl_platform_id platform, cl_device_id device, char *out, size_t cap)
{
    char dname[128], pname[128], version[128];
    clmlp_cl_device_str(device, CL_DEVICE_NAME, dname, sizeof dname);
    clmlp_cl_platform_str(platform, CL_PLATFORM_NAME, pname, sizeof pname);
    clmlp_cl_device_str(device, CL_DEVICE_VERSION, version, sizeof version);
    const char *v = version;
    if (strncmp(v, "OpenCL ", 7) == 0) v += 7;
    size_t vlen = strcspn(v, " ");
    snprintf(out, cap, "%s (%s, OpenCL %.*s)", dname, pname, (int)vlen, v);
}
