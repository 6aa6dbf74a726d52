/* The train command's SIGINT and SIGTERM handlers. */
#include "cli_signals.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t g_received, g_steps_over, g_step_next = 1;
static struct sigaction g_old_int, g_old_term, g_old_alrm;
static int g_installed;
static unsigned g_wait_s = CLI_STOP_WAIT_DEFAULT_S;
static char g_gave_up[160];
static size_t g_gave_up_len;

/* First signal: note it (training stops after its step) and give the step
 * under way, if any, g_wait_s seconds to end.  Second: leave now; _exit is
 * async-signal-safe, and every file is written to a temporary name and
 * renamed, so nothing is half-written. */
static void on_signal(int sig)
{
    if (g_received) _exit(128 + sig);
    g_received = sig;
    int saved = errno; /* write may set it under the interrupted code */
    static const char msg[] = "\nclmlp: stopping after this step to save your work; "
                              "send the signal again to quit at once\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    if (g_wait_s && !g_steps_over && g_step_next) alarm(g_wait_s);
    errno = saved;
}

/* The step did not end in time: say so and leave as a second signal does. */
static void on_alarm(int sig)
{
    (void)sig;
    if (!g_received || g_steps_over) return;
    ssize_t ignored = write(2, g_gave_up, g_gave_up_len);
    (void)ignored;
    _exit(128 + g_received);
}

/* $CLMLP_STOP_WAIT: whole seconds, 0 to 86400; anything else keeps the
 * default, with a line on stderr. */
static void read_wait(void)
{
    const char *v = getenv("CLMLP_STOP_WAIT");
    if (v && *v) {
        char *end;
        errno = 0;
        unsigned long s = strtoul(v, &end, 10);
        if (*v != '-' && !*end && !errno && s <= 86400)
            g_wait_s = (unsigned)s;
        else
            fprintf(stderr,
                    "clmlp: CLMLP_STOP_WAIT=%s is not a number of seconds from 0 to 86400; "
                    "using %u\n",
                    v, g_wait_s);
    }
    int n = snprintf(g_gave_up, sizeof g_gave_up,
                     "clmlp: the step did not end within %u s of the signal; quitting "
                     "without saving (the files written so far are whole)\n",
                     g_wait_s);
    g_gave_up_len = n > 0 && (size_t)n < sizeof g_gave_up ? (size_t)n : 0;
}

void cli_signals_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* Interrupted reads and writes resume instead of failing with EINTR. */
    sa.sa_flags = SA_RESTART;
    read_wait();
    sigaction(SIGINT, &sa, &g_old_int);
    sigaction(SIGTERM, &sa, &g_old_term);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, &g_old_alrm);
    /* A signal the shell told us to ignore (nohup, a background job)
     * stays ignored. */
    if (g_old_int.sa_handler == SIG_IGN) sigaction(SIGINT, &g_old_int, NULL);
    if (g_old_term.sa_handler == SIG_IGN) sigaction(SIGTERM, &g_old_term, NULL);
    g_installed = 1;
}

void cli_signals_restore(void)
{
    if (!g_installed) return;
    alarm(0);
    sigaction(SIGINT, &g_old_int, NULL);
    sigaction(SIGTERM, &g_old_term, NULL);
    sigaction(SIGALRM, &g_old_alrm, NULL);
    g_installed = 0;
}

void cli_signals_step_ended(void)
{
    g_steps_over = 1;
    alarm(0);
}

void cli_signals_between_steps(int step_next)
{
    /* Set before the signal is looked at: one that comes between the two
     * sees it, and one that came before is seen. */
    g_step_next = step_next != 0;
    if (g_received) cli_signals_step_ended();
}

volatile sig_atomic_t *cli_signals_flag(void) { return &g_received; }

int cli_signals_received(void) { return (int)g_received; }

const char *cli_signals_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}
