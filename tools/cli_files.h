/* The files one run of a command reads and writes, checked against each
 * other before any work: an output that is the same file as an input or
 * as another output (by device and inode where it exists, else by its
 * resolved path) is a usage error naming both options. */
#ifndef CLI_FILES_H
#define CLI_FILES_H

#include <stddef.h>

typedef struct {
    const char *opt;  /* "--save", "-o", ... */
    const char *path; /* NULL: not given */
    int output;       /* written by the run */
} cli_file;

/* CLI_OK, or CLI_USAGE after "clmlp CMD: --a and --b name the same file
 * 'PATH'".  Standard output ("-") and devices, FIFOs and sockets (which
 * take any number of writers: /dev/null) are never a clash.  Pairs listed
 * in `allowed` (indices into files, two per pair, n_allowed pairs) may
 * name the same file: train --resume m --save m continues a model in
 * place. */
int cli_check_files(const char *cmd, const cli_file *files, size_t n, const size_t *allowed,
                    size_t n_allowed);

#endif
