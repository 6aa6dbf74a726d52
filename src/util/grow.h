/* Growable arrays: one helper for every array that grows as it is filled
 * (rows of a CSV file, epochs of a history, shapes of a step), so the
 * doubling, its first size and the overflow checks are written once. */
#ifndef CLMLP_GROW_H
#define CLMLP_GROW_H

#include <stddef.h>

/* Makes the array whose pointer is at *(void **)arr, holding *cap elements
 * of elem bytes, hold at least need: the capacity doubles from first (or
 * jumps to need when doubling falls short), never past max elements.
 * Returns 0 (the array and *cap updated, contents kept), or -1 when need
 * exceeds max, the size overflows, or realloc fails (nothing changed).
 * arr is the address of the caller's pointer variable (T **), passed as
 * void * so any element type fits. */
int clmlp_grow(void *arr, size_t *cap, size_t need, size_t elem, size_t first, size_t max);

/* clmlp_grow for a typed array pointer `a` and its capacity `cap`, to hold
 * need elements, doubling from first, with no bound but memory. */
#define CLMLP_GROW(a, cap, need, first)                                                            \
    clmlp_grow(&(a), &(cap), (need), sizeof *(a), (first), (size_t)-1)

#endif
