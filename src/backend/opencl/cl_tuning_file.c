/* The tuning file: reading it with every problem named by line, and writing
 * it atomically.  Format (see cl_tune.h): '#' comments and blank lines, and
 * one line per kernel, "KERNEL NAME=VALUE ...", listing each of the kernel's
 * parameters exactly once. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/opencl/cl_tune.h"
#include "util/atomic_file.h"
#include "util/error.h"

/* Longest line accepted. */
#define LINE_CAP 1024

/* Parses a whole decimal number of at most CLMLP_TUNE_MAX_VALUE. */
static int parse_value(const char *s, size_t *out)
{
    if (!*s) return 0;
    size_t v = 0;
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s)) return 0;
        v = v * 10 + (size_t)(*s - '0');
        if (v > CLMLP_TUNE_MAX_VALUE) return 0;
    }
    *out = v;
    return 1;
}

/* Parses one kernel line (already split at blanks into words) into t. */
static int parse_kernel_line(char **words, size_t n_words, const char *path, size_t line,
                             clmlp_tuning *t)
{
    int k = clmlp_tune_kernel_index(words[0]);
    if (k < 0)
        return clmlp_set_error(CLMLP_E_FORMAT,
                               "%s:%zu: unknown kernel '%s' (expected XgemmDirect, Xgemm or "
                               "GemmRoutine)",
                               path, line, words[0]);
    if (t->has[k])
        return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: %s is listed twice", path, line, words[0]);
    size_t n = clmlp_tune_param_count(k);
    int seen[CLMLP_TUNE_MAX_PARAMS] = {0};
    for (size_t w = 1; w < n_words; w++) {
        char *eq = strchr(words[w], '=');
        if (!eq)
            return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: '%s' is not NAME=VALUE", path, line,
                                   words[w]);
        *eq = '\0';
        int i = clmlp_tune_param_index(k, words[w]);
        if (i < 0)
            return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: %s has no parameter %s", path, line,
                                   words[0], words[w]);
        if (seen[i])
            return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: %s is given twice", path, line,
                                   words[w]);
        if (!parse_value(eq + 1, &t->v[k][i]))
            return clmlp_set_error(CLMLP_E_FORMAT,
                                   "%s:%zu: %s must be a whole number from 0 to %zu, got '%s'",
                                   path, line, words[w], CLMLP_TUNE_MAX_VALUE, eq + 1);
        seen[i] = 1;
    }
    for (size_t i = 0; i < n; i++)
        if (!seen[i])
            return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: %s lacks %s", path, line, words[0],
                                   clmlp_tune_param_name(k, i));
    char why[256];
    if (!clmlp_tune_valid(k, t->v[k], NULL, why, sizeof why))
        return clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: invalid %s parameters: %s", path, line,
                               words[0], why);
    t->has[k] = 1;
    return CLMLP_OK;
}

/* Splits line at blanks into at most cap words (in place); the count, or
 * cap + 1 when there are more. */
static size_t split_words(char *line, char **words, size_t cap)
{
    size_t n = 0;
    for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
        if (n == cap) return cap + 1;
        words[n++] = tok;
    }
    return n;
}

/* See cl_tune.h. */
int clmlp_tune_read(const char *path, clmlp_tuning *t)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return clmlp_set_error(CLMLP_E_NOT_FOUND, "no tuning file %s", path);
        return clmlp_set_error(CLMLP_E_IO, "cannot open %s: %s", path, strerror(errno));
    }
    char buf[LINE_CAP];
    size_t line = 0;
    int rc = CLMLP_OK, any = 0;
    while (rc == CLMLP_OK && fgets(buf, sizeof buf, f)) {
        line++;
        size_t len = strlen(buf);
        /* A full buffer without its newline is a longer line, unless the
         * file ends right there (peeked: feof is not set yet then). */
        if (len == sizeof buf - 1 && buf[len - 1] != '\n' && getc(f) != EOF) {
            rc = clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: line too long", path, line);
            break;
        }
        char *p = buf;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0') continue;
        char *words[CLMLP_TUNE_MAX_PARAMS + 2];
        size_t n = split_words(p, words, CLMLP_TUNE_MAX_PARAMS + 1);
        if (n > CLMLP_TUNE_MAX_PARAMS + 1) {
            rc = clmlp_set_error(CLMLP_E_FORMAT, "%s:%zu: too many words", path, line);
            break;
        }
        rc = parse_kernel_line(words, n, path, line, t);
        any = 1;
    }
    if (rc == CLMLP_OK && ferror(f))
        rc = clmlp_set_error(CLMLP_E_IO, "cannot read %s: %s", path, strerror(errno));
    if (rc == CLMLP_OK && !any)
        rc = clmlp_set_error(CLMLP_E_FORMAT, "%s: no kernel parameters in it", path);
    fclose(f);
    if (rc < 0) memset(t, 0, sizeof *t);
    return rc;
}

/* See cl_tune.h. */
int clmlp_tune_write(const char *path, const clmlp_tuning *t, const char *header)
{
    clmlp_atomic_file af;
    CLMLP_TRY(clmlp_atomic_open(&af, path));
    while (header && *header) {
        size_t len = strcspn(header, "\n");
        fprintf(af.f, "# %.*s\n", (int)len, header);
        header += len;
        if (*header == '\n') header++;
    }
    for (int k = 0; k < CLMLP_TUNE_KERNELS; k++) {
        if (!t->has[k]) continue;
        fputs(clmlp_tune_kernel_name(k), af.f);
        for (size_t i = 0; i < clmlp_tune_param_count(k); i++)
            fprintf(af.f, " %s=%zu", clmlp_tune_param_name(k, i), t->v[k][i]);
        fputc('\n', af.f);
    }
    return clmlp_atomic_commit(&af);
}
