/* cli_check_files: no run writes over what it reads or writes twice. */
#define _DEFAULT_SOURCE /* realpath */
#include "cli_files.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli_common.h"
#include "util/atomic_file.h"

/* Who a path is: an existing file's device and inode, or for a file not
 * there yet its resolved path with the folder made absolute. */
typedef struct {
    int exists, special;
    dev_t dev;
    ino_t ino;
    char where[PATH_MAX + 4096];
} file_id;

static void identify(const char *path, file_id *id)
{
    memset(id, 0, sizeof *id);
    char target[4096];
    if (clmlp_atomic_resolve(path, target, sizeof target) != CLMLP_OK)
        snprintf(target, sizeof target, "%s", path);
    struct stat st;
    if (stat(target, &st) == 0) {
        id->exists = 1;
        id->special = !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        return;
    }
    /* Not there yet: the folder's real path and the name. */
    char dir[4096], real[PATH_MAX];
    const char *slash = strrchr(target, '/'), *base = slash ? slash + 1 : target;
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == target ? 1 : (int)(slash - target), target);
    if (realpath(dir, real))
        snprintf(id->where, sizeof id->where, "%s/%s", real, base);
    else
        snprintf(id->where, sizeof id->where, "%s", target);
}

static int same(const file_id *a, const file_id *b)
{
    if (a->exists != b->exists) return 0;
    return a->exists ? a->dev == b->dev && a->ino == b->ino : strcmp(a->where, b->where) == 0;
}

static int allowed_pair(size_t i, size_t j, const size_t *allowed, size_t n_allowed)
{
    for (size_t k = 0; k < n_allowed; k++)
        if ((allowed[2 * k] == i && allowed[2 * k + 1] == j) ||
            (allowed[2 * k] == j && allowed[2 * k + 1] == i))
            return 1;
    return 0;
}

int cli_check_files(const char *cmd, const cli_file *files, size_t n, const size_t *allowed,
                    size_t n_allowed)
{
    file_id *ids = calloc(n ? n : 1, sizeof *ids);
    if (!ids) return cli_out_of_memory();
    for (size_t i = 0; i < n; i++)
        if (files[i].path && strcmp(files[i].path, "-")) identify(files[i].path, &ids[i]);
    int rc = CLI_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        if (!files[i].path || !strcmp(files[i].path, "-") || ids[i].special) continue;
        for (size_t j = i + 1; j < n && !rc; j++) {
            if (!files[j].path || !strcmp(files[j].path, "-")) continue;
            /* Two inputs may be one file (--train t.csv --test t.csv). */
            if (!files[i].output && !files[j].output) continue;
            if (!same(&ids[i], &ids[j]) || allowed_pair(i, j, allowed, n_allowed)) continue;
            rc = cli_usage_error(
                cmd, "%s and %s name the same file '%s'%s", files[i].opt, files[j].opt,
                files[j].path,
                files[i].output && files[j].output ? "" : " (an output would replace an input)");
        }
    }
    free(ids);
    return rc;
}
