/* Class names: the checks every holder applies (datasets, models, model
 * files), copies and lists for messages. */
#include "data/class_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clmlp.h"
#include "util/error.h"

const char *clmlp_class_name_problem(const char *name, size_t len)
{
    if (len == 0) return "is empty";
    if (len > CLMLP_CLASS_NAME_MAX) return "is longer than 256 bytes";
    /* Names go into CSV headers and terminal tables: one line each. */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f) return "holds a control character";
    }
    return NULL;
}

/* qsort's comparison of two name pointers. */
static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int clmlp_class_names_check(const char *const *names, size_t n, const char *what)
{
    if (n && !names) return clmlp_set_error(CLMLP_E_INVALID, "%s: %zu names at NULL", what, n);
    for (size_t i = 0; i < n; i++) {
        if (!names[i]) return clmlp_set_error(CLMLP_E_INVALID, "%s: name %zu is NULL", what, i);
        const char *why = clmlp_class_name_problem(names[i], strlen(names[i]));
        if (why)
            return clmlp_set_error(CLMLP_E_INVALID, "%s: name %zu (\"%.40s\") %s", what, i,
                                   names[i], why);
    }
    /* Repeats: sort a copy of the pointers and compare neighbours, so a
     * file of millions of names is checked in n log n, not n^2. */
    if (n < 2) return CLMLP_OK;
    const char **sorted = malloc(n * sizeof *sorted);
    if (!sorted) return clmlp_set_error(CLMLP_E_NOMEM, "%s: out of memory for %zu names", what, n);
    memcpy(sorted, names, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_names);
    int rc = CLMLP_OK;
    for (size_t i = 1; i < n && rc == CLMLP_OK; i++)
        if (strcmp(sorted[i], sorted[i - 1]) == 0)
            rc = clmlp_set_error(CLMLP_E_INVALID, "%s: \"%.40s\" is there twice", what, sorted[i]);
    free(sorted);
    return rc;
}

void clmlp_class_names_free(char **names, size_t n)
{
    if (!names) return;
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

int clmlp_class_names_copy(char ***out, const char *const *names, size_t n)
{
    *out = NULL;
    if (n == 0) return CLMLP_OK;
    char **c = calloc(n, sizeof *c);
    if (!c) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for %zu class names", n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        c[i] = malloc(len + 1);
        if (!c[i]) {
            clmlp_class_names_free(c, n);
            return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for %zu class names", n);
        }
        memcpy(c[i], names[i], len + 1);
    }
    *out = c;
    return CLMLP_OK;
}

int clmlp_class_names_equal(const char *const *a, size_t na, const char *const *b, size_t nb)
{
    if (na != nb) return 0;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0) return 0;
    return 1;
}

const char *clmlp_class_names_list(const char *const *names, size_t n, char *buf, size_t size)
{
    if (!buf || size == 0) return buf;
    buf[0] = '\0';
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + k, size - k, "%s%s", i ? ", " : "", names[i]);
        if (w < 0 || (size_t)w >= size - k) {
            if (size > 4) memcpy(buf + size - 4, "...", 4);
            break;
        }
        k += (size_t)w;
    }
    return buf;
}
