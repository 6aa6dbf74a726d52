/* A training history in memory (clmlp_history_t): filled epoch by epoch by
 * the fit loop (src/train) and by the history file reader, written by the
 * writer (history_file.c). */
#ifndef CLMLP_HISTORY_H
#define CLMLP_HISTORY_H

#include "clmlp.h"

/* Appends a copy of s to h, whose epochs array has room for *cap entries
 * (grown as needed; start with 0); CLMLP_E_NOMEM when it cannot grow. */
int clmlp_history_add(clmlp_history_t *h, size_t *cap, const clmlp_epoch_stats *s);

#endif
