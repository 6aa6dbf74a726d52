/* Room to start under an address-space limit (ulimit -v).
 *
 * OpenBLAS maps its buffers in its load-time constructor, before main, and
 * when the mapping is refused it retries for ever: under ulimit -v of 200
 * to 312 MB the tool spun at 100% before printing anything, and a plain
 * `timeout` could not stop it.  A function in the executable's
 * .preinit_array runs before any shared library's constructor, so it can
 * still say why and exit.  Measured with Debian's OpenBLAS 0.3.21 (OpenMP):
 * the process maps 64 MB when the preinit functions run and 321 MB when
 * main starts; 312 MB spun, 332 MB ran. */
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/host_memory.h"

/* What the libraries' constructors map before main, with OpenBLAS linked
 * (measured 257 MB; a limit less than this above the preinit figure would
 * leave nothing to run on in any case). */
#define START_BYTES ((unsigned long long)260 << 20)

/* OpenBLAS's own function, referenced weakly: set only when it is linked. */
extern char *openblas_get_config(void) __attribute__((weak));

/* Exits 1 with a message when the address-space limit leaves OpenBLAS's
 * constructor too little room to finish (it would spin for ever). */
static void check_start_room(int argc, char **argv, char **envp)
{
    (void)argc;
    (void)argv;
    (void)envp;
    if (!openblas_get_config) return;
    uint64_t room = clmlp_host_address_space_room();
    if (room == UINT64_MAX || room >= START_BYTES) return;
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0) return;
    unsigned long long limit = (unsigned long long)rl.rlim_cur,
                       enough = limit + START_BYTES - room + ((uint64_t)16 << 20);
    fprintf(stderr,
            "clmlp: the address-space limit (ulimit -v) is %llu MB, but the BLAS (OpenBLAS) maps "
            "its buffers as it loads, before the program starts, and would retry for ever "
            "with only %llu MB left for them; raise the limit to at least %llu MB (ulimit -v "
            "%llu)\n",
            limit >> 20, (unsigned long long)room >> 20, enough >> 20, enough >> 10);
    _exit(1);
}

__attribute__((section(".preinit_array"),
               used)) static void (*const start_room_check)(int, char **,
                                                            char **) = check_start_room;
