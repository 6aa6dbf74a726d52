/* Atomic file writes: the data goes to PATH.tmp.<pid>, is flushed and
 * fsynced, then renamed over PATH, so a crash never leaves half a file.
 * Messages name PATH, never the temporary name. */
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

/* Removes PATH.tmp.<pid> files left by writers that died before their
 * rename (those whose pid names no live process); returns how many.
 * clmlp_atomic_open calls it, so the next write to a path cleans up. */
int clmlp_atomic_clean_stale(const char *path);

/* Whether PATH could be written now: makes and removes its temporary file
 * (the directory exists and is writable, PATH is not a directory).  Errors
 * name PATH.  For checking output files before hours of work. */
int clmlp_atomic_check_writable(const char *path);

#endif
