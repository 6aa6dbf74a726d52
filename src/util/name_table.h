/* Looking a name up in a table of names indexed by an enum's values: the
 * parse half of the enums the command line names (schedules, monitors,
 * optimizers, tasks). */
#ifndef CLMLP_UTIL_NAME_TABLE_H
#define CLMLP_UTIL_NAME_TABLE_H

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* The index of name among the n names (case ignored when ignore_case), or
 * -1 when it is none of them or NULL. */
static inline int clmlp_name_index(const char *const *names, size_t n, const char *name,
                                   int ignore_case)
{
    for (size_t i = 0; name && i < n; i++)
        if ((ignore_case ? strcasecmp(name, names[i]) : strcmp(name, names[i])) == 0) return (int)i;
    return -1;
}

#endif
