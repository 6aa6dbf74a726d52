/* Plugins: layer kinds in a shared library (include/clmlp_layer.h,
 * CLMLP_PLUGIN).  A library is opened, its ABI checked, every kind it
 * lists checked, and only then are they registered: a plugin is taken
 * whole or not at all.  A folder loads its *.so files in name order. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nn/layer_registry.h"
#include "util/error.h"
#include "util/grow.h"

/* The most kinds one plugin may list. */
#define MAX_PLUGIN_KINDS 64

typedef const clmlp_layer_kind *const *(*kinds_fn)(void);

/* Checks the kinds a plugin lists (NULL-terminated), also against each
 * other; CLMLP_OK or a status whose message names path. */
static int check_kinds(const char *path, const clmlp_layer_kind *const *kinds, size_t *n)
{
    *n = 0;
    if (!kinds || !kinds[0])
        return clmlp_set_error(CLMLP_E_INVALID, "plugin %s lists no layer kinds", path);
    for (size_t i = 0; kinds[i]; i++) {
        if (i == MAX_PLUGIN_KINDS)
            return clmlp_set_error(CLMLP_E_INVALID, "plugin %s lists more than %d layer kinds",
                                   path, MAX_PLUGIN_KINDS);
        if (clmlp_layer_check(kinds[i]) != CLMLP_OK) {
            char why[512];
            snprintf(why, sizeof why, "%s", clmlp_last_error());
            return clmlp_set_error(CLMLP_E_INVALID, "plugin %s: %s", path, why);
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(kinds[i]->name, kinds[j]->name) == 0)
                return clmlp_set_error(CLMLP_E_INVALID,
                                       "plugin %s lists a layer kind named '%s' twice", path,
                                       kinds[i]->name);
        *n = i + 1;
    }
    return CLMLP_OK;
}

/* Whether every kind the list names is registered already, as this very
 * object (not only by name). */
static int already_loaded(const clmlp_layer_kind *const *kinds)
{
    if (!kinds || !kinds[0]) return 0;
    for (size_t i = 0; kinds[i]; i++)
        if (clmlp_layer_find(kinds[i]->name) != kinds[i]) return 0;
    return 1;
}

/* Loads one shared library. */
static int load_library(const char *path)
{
    /* A name without a '/' is a file here, not one for the loader to
     * search its library path for. */
    char here[4096];
    snprintf(here, sizeof here, "%s%s", strchr(path, '/') ? "" : "./", path);
    dlerror();
    void *h = dlopen(here, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", why ? why : "unknown reason");
        dlerror(); /* frees the message glibc keeps for this thread */
        return clmlp_set_error(CLMLP_E_INVALID, "plugin %s cannot be loaded: %s", path, copy);
    }
    const int *abi = (const int *)dlsym(h, "clmlp_plugin_abi");
    kinds_fn fn;
    void *sym = dlsym(h, "clmlp_plugin_kinds");
    memcpy(&fn, &sym, sizeof fn);
    int rc = CLMLP_OK;
    if (!abi || !sym)
        rc = clmlp_set_error(CLMLP_E_INVALID,
                             "plugin %s has no entry symbol %s (a plugin lists its kinds with "
                             "CLMLP_PLUGIN(...), include/clmlp_layer.h)",
                             path, !sym ? "clmlp_plugin_kinds" : "clmlp_plugin_abi");
    else if (*abi != CLMLP_LAYER_ABI)
        rc = clmlp_set_error(CLMLP_E_INVALID,
                             "plugin %s was built for clmlp_layer.h ABI %d, and this clmlp has "
                             "ABI %d: rebuild it against this clmlp's headers",
                             path, *abi, CLMLP_LAYER_ABI);
    const clmlp_layer_kind *const *kinds = rc == CLMLP_OK ? fn() : NULL;
    /* The same library again (another path to it, or a folder and a file
     * in it): its kinds are the very ones registered; nothing to do. */
    if (rc == CLMLP_OK && already_loaded(kinds)) {
        dlclose(h);
        return CLMLP_OK;
    }
    size_t n = 0;
    if (rc == CLMLP_OK) rc = check_kinds(path, kinds, &n);
    if (rc == CLMLP_OK && n > clmlp_layer_registry_room())
        rc = clmlp_set_error(CLMLP_E_INVALID,
                             "plugin %s lists %zu layer kinds, and the registry has room for %zu "
                             "more",
                             path, n, clmlp_layer_registry_room());
    char *from = rc == CLMLP_OK ? strdup(path) : NULL;
    if (rc == CLMLP_OK && !from)
        rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory loading plugin %s", path);
    if (rc != CLMLP_OK) {
        dlclose(h);
        return rc;
    }
    /* Checked above (names and room), so each registers; the library and
     * the name stay for the rest of the program. */
    for (size_t i = 0; i < n && rc == CLMLP_OK; i++) rc = clmlp_layer_register_from(kinds[i], from);
    return rc;
}

/* Orders names for qsort. */
static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether name ends in ".so". */
static int is_library(const char *name)
{
    size_t n = strlen(name);
    return n > 3 && strcmp(name + n - 3, ".so") == 0;
}

/* Loads every *.so of the folder at path, in name order. */
static int load_folder(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return clmlp_set_error(CLMLP_E_IO, "plugin folder %s: %s", path, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = CLMLP_OK;
    for (struct dirent *e; rc == CLMLP_OK && (e = readdir(d)) != NULL;) {
        if (!is_library(e->d_name)) continue;
        if (CLMLP_GROW(names, cap, n + 1, 8) != 0) {
            rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory listing %s", path);
            break;
        }
        size_t len = strlen(path) + 1 + strlen(e->d_name) + 1;
        names[n] = malloc(len);
        if (!names[n]) {
            rc = clmlp_set_error(CLMLP_E_NOMEM, "out of memory listing %s", path);
            break;
        }
        snprintf(names[n], len, "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    if (rc == CLMLP_OK && n == 0)
        rc = clmlp_set_error(CLMLP_E_NOT_FOUND, "plugin folder %s holds no *.so file", path);
    if (rc == CLMLP_OK) qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; rc == CLMLP_OK && i < n; i++) rc = load_library(names[i]);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

int clmlp_plugin_load(const char *path)
{
    if (!path || !*path) return clmlp_set_error(CLMLP_E_INVALID, "no plugin path given");
    struct stat st;
    if (stat(path, &st) != 0)
        return clmlp_set_error(CLMLP_E_NOT_FOUND, "plugin %s: %s", path, strerror(errno));
    return S_ISDIR(st.st_mode) ? load_folder(path) : load_library(path);
}
