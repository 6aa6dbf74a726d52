/* Growable arrays (grow.h). */
#include "util/grow.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int clmlp_grow(void *arr, size_t *cap, size_t need, size_t elem, size_t first, size_t max)
{
    if (need <= *cap) return 0;
    if (need > max || elem == 0 || need > SIZE_MAX / elem) return -1;
    size_t limit = max < SIZE_MAX / elem ? max : SIZE_MAX / elem;
    size_t n = *cap ? *cap : (first ? first : 1);
    while (n < need) n = n > limit / 2 ? limit : n * 2;
    if (n > limit) n = limit;
    if (n < need) n = need;
    void *old;
    memcpy(&old, arr, sizeof old);
    void *p = realloc(old, n * elem);
    if (!p) return -1;
    memcpy(arr, &p, sizeof p);
    *cap = n;
    return 0;
}
