/* The BLAS kernel fix.  OpenBLAS chooses its kernels from a table of CPU
 * models in its load-time constructor, before main runs; a CPU newer than
 * the release (Debian's 0.3.21 on Sapphire or Emerald Rapids) gets its
 * oldest x86-64 kernels, Prescott's SSE3, at a seventh of the speed.  The
 * constructor also reads OPENBLAS_CORETYPE, and nothing later can change
 * its choice.  So the tool asks the BLAS which kernels it chose and
 * compares them with the instruction set the CPU reports (AVX-512, AVX2,
 * AVX): when they are older, it sets the variable to the newest kernels the
 * CPU runs and executes itself again, once, before doing anything else.
 * This needs no table of CPU models, acts only on a real mismatch, and
 * leaves a user's own OPENBLAS_CORETYPE alone. */
#include "cli_blas.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clmlp.h"

/* The process environment (POSIX). */
extern char **environ;

/* Whether the environment variable name is set to something other than ""
 * or "0". */
static int env_on(const char *name)
{
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

/* Whether the environment entry "NAME=VALUE" is for name. */
static int names_var(const char *entry, const char *name)
{
    size_t len = strlen(name);
    return strncmp(entry, name, len) == 0 && entry[len] == '=';
}

void cli_blas_fix(char **argv)
{
    clmlp_blas_info b;
    clmlp_blas_describe(&b);
    /* The fix must be VAR=VALUE: advice ("an OpenBLAS built for ...") is
     * only printed. */
    const char *eq = strchr(b.fix, '=');
    if (!b.best[0] || !eq || strchr(b.fix, ' ') || env_on(CLI_BLAS_NO_FIX_ENV)) return;
    char var[64];
    size_t len = (size_t)(eq - b.fix);
    if (len == 0 || len >= sizeof var) return;
    memcpy(var, b.fix, len);
    var[len] = '\0';
    const char *have = getenv(var);
    if (have && *have) return; /* the user's choice, or already run again */
    /* The new process's environment: ours plus the two variables, handed
     * to execve (this process's own environment is left as it is). */
    size_t n = 0;
    while (environ[n]) n++;
    char **env = calloc(n + 3, sizeof *env);
    char fix[128], fixed[128];
    snprintf(fix, sizeof fix, "%s", b.fix);
    snprintf(fixed, sizeof fixed, "%s=%s", CLI_BLAS_FIXED_ENV, b.kernels);
    if (!env) return;
    /* Without any older entry of either name (an empty VAR= would come
     * first, hide ours, and make the new process run itself again). */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!names_var(environ[i], CLI_BLAS_FIXED_ENV) && !names_var(environ[i], var))
            env[m++] = environ[i];
    env[m] = fix;
    env[m + 1] = fixed;
    execve("/proc/self/exe", argv, env);
    /* No /proc or no exec: go on with the kernels there are, and say so. */
    fprintf(stderr, "clmlp: could not run again with %s (%s); the BLAS keeps its %s kernels\n",
            b.fix, strerror(errno), b.kernels);
    free(env);
}

void cli_blas_print(FILE *f, const char *indent)
{
    clmlp_blas_info b;
    clmlp_blas_describe(&b);
    fprintf(f, "%sBLAS: %s%s%s, kernels %s, %d thread%s%s\n", indent, b.name,
            b.version[0] ? " " : "", b.version, b.kernels[0] ? b.kernels : "(not said)", b.threads,
            b.threads == 1 ? "" : "s", b.openmp ? " (OpenMP)" : "");
    const char *fixed = getenv(CLI_BLAS_FIXED_ENV);
    if (fixed && *fixed && !b.best[0])
        fprintf(f,
                "%s  (%s chose %s kernels, older than this CPU runs; clmlp runs with "
                "OPENBLAS_CORETYPE=%s instead)\n",
                indent, b.name, fixed, b.kernels);
    else if (b.best[0])
        fprintf(f, "%s  warning: these kernels are older than this CPU runs (%s); use %s%s\n",
                indent, b.best, b.fix,
                env_on(CLI_BLAS_NO_FIX_ENV) ? " (" CLI_BLAS_NO_FIX_ENV " is set)" : "");
}
