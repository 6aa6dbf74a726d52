/* clmlp devices: the cpu backend with its BLAS, and every OpenCL platform
 * and device this machine offers. */
#include <stdio.h>

#include "cli_blas.h"
#include "cli_common.h"
#include "commands.h"

#define CMD "devices"

static const struct option long_options[] = {
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

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
    clmlp_backend_opts o = {.kind = CLMLP_BACKEND_CPU};
    clmlp_backend_t *cpu = NULL;
    if (clmlp_backend_init(&cpu, &o) < 0) return cli_runtime_error();
    printf("cpu backend (--backend cpu%s):\n  %s\n",
           clmlp_opencl_has_gpu() ? "" : "; the default here, as OpenCL offers no GPU",
           clmlp_backend_description(cpu));
    cli_blas_print(stdout, "  "); /* while open: with the threads the backend gives it */
    clmlp_backend_free(cpu);
    printf("\nOpenCL (--backend opencl):\n");
    fflush(stdout);
    if (clmlp_opencl_list_devices(stdout) < 0)
        printf("  none: %s\n", clmlp_last_error());
    return CLI_OK;
}
