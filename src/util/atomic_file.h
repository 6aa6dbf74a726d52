/* Atomic file writes: the data goes to PATH.tmp.<pid>, is flushed and
 * fsynced, then renamed over PATH, so a crash never leaves half a file. */
#ifndef CLMLP_ATOMIC_FILE_H
#define CLMLP_ATOMIC_FILE_H

#include <stdio.h>

typedef struct {
    FILE *f;
    char path[4096];
    char tmp[4200];
} clmlp_atomic_file;

/* Opens the temporary file for writing (binary). */
int clmlp_atomic_open(clmlp_atomic_file *af, const char *path);
/* Flushes, syncs and renames; on any earlier write error (ferror) or here,
 * removes the temporary file and returns an error naming the path. */
int clmlp_atomic_commit(clmlp_atomic_file *af);
/* Abandons the write: closes and removes the temporary file. */
void clmlp_atomic_abort(clmlp_atomic_file *af);

#endif
