/* The train command's SIGINT and SIGTERM handlers. */
#include "cli_signals.h"

#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t g_received;
static struct sigaction g_old_int, g_old_term;
static int g_installed;

/* First signal: note it (training stops after its step).  Second: leave
 * now; _exit is async-signal-safe, and every file is written to a
 * temporary name and renamed, so nothing is half-written. */
static void on_signal(int sig)
{
    if (g_received) _exit(128 + sig);
    g_received = sig;
    static const char msg[] = "\nclmlp: stopping after this step to save your work; "
                              "send the signal again to quit at once\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* Interrupted reads and writes resume instead of failing with EINTR. */
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &g_old_int);
    sigaction(SIGTERM, &sa, &g_old_term);
    /* A signal the shell told us to ignore (nohup, a background job)
     * stays ignored. */
    if (g_old_int.sa_handler == SIG_IGN) sigaction(SIGINT, &g_old_int, NULL);
    if (g_old_term.sa_handler == SIG_IGN) sigaction(SIGTERM, &g_old_term, NULL);
    g_installed = 1;
}

void cli_signals_restore(void)
{
    if (!g_installed) return;
    sigaction(SIGINT, &g_old_int, NULL);
    sigaction(SIGTERM, &g_old_term, NULL);
    g_installed = 0;
}

volatile sig_atomic_t *cli_signals_flag(void) { return &g_received; }

int cli_signals_received(void) { return (int)g_received; }

const char *cli_signals_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}
