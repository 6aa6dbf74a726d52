/* Atomic file writes: the data goes to PATH.tmp.<pid>, is flushed and
 * fsynced, then renamed over PATH, so a crash never leaves half a file.
 * Messages name PATH, never the temporary name.
 *
 * PATH is resolved first: through a symbolic link the write lands in the
 * link's final target (atomically, beside it), and the link stays; an
 * existing device node, FIFO or socket (/dev/null, a pipe) is written as a
 * stream, in place; "-" is standard output. */
#ifndef CLMLP_ATOMIC_FILE_H
#define CLMLP_ATOMIC_FILE_H

#include <stdio.h>

typedef struct {
    FILE *f;
    char path[4096];   /* as given, for messages */
    char target[4096]; /* the file written: path with its links resolved */
    char tmp[4200];
    int stream; /* 1: written in place (a device or FIFO), 2: stdout */
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
 * (the directory exists and is writable, PATH is not a directory), or for
 * a stream checks write permission without opening it (a FIFO would
 * block).  Errors name PATH.  For checking output files before hours of
 * work. */
int clmlp_atomic_check_writable(const char *path);

/* The file a write to path lands in (see above) into out: path itself, or
 * the final target of the symbolic links it names, which need not exist
 * yet.  CLMLP_E_IO naming path for a loop of links. */
int clmlp_atomic_resolve(const char *path, char *out, size_t size);

#endif
