/* clmlp devices: every backend in the registry that has something to list,
 * in its order: the cpu backend with its BLAS, and every OpenCL platform and
 * device this machine offers. */
#include <stdio.h>

#include "cli_blas.h"
#include "cli_common.h"
#include "commands.h"

#define CMD "devices"

static const struct option long_options[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The cpu backend's entry: the tool's own rather than the library's
 * (clmlp_backend_list), for the tool knows what it did about the BLAS's
 * kernels (cli_blas.c). */
static int list_cpu(void)
{
    clmlp_backend_opts o = {.kind = CLMLP_BACKEND_CPU};
    clmlp_backend_t *cpu = NULL;
    if (clmlp_backend_init(&cpu, &o) < 0) return -1;
    printf("  %s\n", clmlp_backend_description(cpu));
    cli_blas_print(stdout, "  "); /* while open: with the threads the backend gives it */
    clmlp_backend_free(cpu);
    return 0;
}

/* Runs `clmlp devices`; returns the exit status. */
int cmd_devices(int argc, char **argv)
{
    int c;
    while ((c = cli_getopt(CMD, argc, argv, "h", long_options)) != -1) {
        if (c == 'h') {
            printf("usage: clmlp devices\n"
                   "Lists the cpu backend with its BLAS (name, version, the kernels it\n"
                   "chose for this CPU, threads), then every OpenCL platform and device,\n"
                   "with the indices and names that --platform and --device (or\n"
                   "$CLMLP_PLATFORM, $CLMLP_DEVICE) take.  The default backend is the first\n"
                   "GPU through OpenCL, else cpu.\n\n"
                   "  -h, --help            this help\n");
            return CLI_OK;
        }
        return CLI_USAGE;
    }
    int rc = cli_no_operands(CMD, argc, argv);
    if (rc) return rc;
    const char *why = NULL;
    clmlp_backend_kind def = clmlp_backend_default_kind(NULL, &why);
    const char *gap = "";
    for (size_t i = 0; i < clmlp_backend_count(); i++) {
        const clmlp_backend_info *b = clmlp_backend_info_at(i);
        if (!b->has_list) continue;
        /* Where the default passed a backend over to reach this one, say why. */
        int fallback = b->kind == def && why;
        printf("%s%s (--backend %s%s%s):\n", gap, b->title, b->name,
               fallback ? "; the default here, as " : "", fallback ? why : "");
        gap = "\n";
        fflush(stdout);
        if (b->kind == CLMLP_BACKEND_CPU) {
            if (list_cpu() < 0) return cli_runtime_error();
        } else if (clmlp_backend_list(b->kind, stdout) < 0) {
            printf("  none: %s\n", clmlp_last_error());
        }
    }
    return CLI_OK;
}
