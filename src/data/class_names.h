/* Class names as datasets and models hold them: checked, copied, compared
 * and listed for messages.  A list is an array of n malloc'd strings. */
#ifndef CLMLP_CLASS_NAMES_H
#define CLMLP_CLASS_NAMES_H

#include <stddef.h>

/* Why name (len bytes, not NUL-terminated) cannot be a class name, or NULL
 * when it can: 1 to CLMLP_CLASS_NAME_MAX bytes, no control characters. */
const char *clmlp_class_name_problem(const char *name, size_t len);

/* Checks n names (each valid, all different); CLMLP_E_INVALID naming what
 * ("the model's class names") and the bad one. */
int clmlp_class_names_check(const char *const *names, size_t n, const char *what);

/* A new copy of n names into *out (NULL when n is 0); the caller frees it
 * with clmlp_class_names_free. */
int clmlp_class_names_copy(char ***out, const char *const *names, size_t n);
void clmlp_class_names_free(char **names, size_t n);

/* Whether the two lists are the same names in the same order. */
int clmlp_class_names_equal(const char *const *a, size_t na, const char *const *b, size_t nb);

/* "a, b, c" (cut with "..." when long) into buf; returns buf. */
const char *clmlp_class_names_list(const char *const *names, size_t n, char *buf, size_t size);

#endif
