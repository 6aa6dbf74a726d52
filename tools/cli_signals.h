/* SIGINT and SIGTERM during `clmlp train`: the first asks training to stop
 * after the current step (the command then writes its files and exits
 * 128 + the signal's number: 130, 143); a second exits at once, and so does
 * a step that has not ended $CLMLP_STOP_WAIT seconds (default 30; 0: no
 * limit) after the first.  Files are written atomically, so even then none
 * is left half-written. */
#ifndef CLMLP_CLI_SIGNALS_H
#define CLMLP_CLI_SIGNALS_H

#include <signal.h>

/* Installs the handlers for SIGINT and SIGTERM. */
void cli_signals_install(void);

/* Restores the default handlers. */
void cli_signals_restore(void);

/* Seconds a step may take to end after the first signal, by default. */
#define CLI_STOP_WAIT_DEFAULT_S 30

/* Training has returned: no step is left to wait for, and what follows
 * (writing the files) is not cut short, even by a first signal that comes
 * during it. */
void cli_signals_step_ended(void);

/* Training is between two steps (fit's batch callback, after each step) or
 * at an epoch's end (its epoch callback); step_next: whether a step may
 * come next (0 after an epoch's last step: its validation and metrics
 * come next, and no step starts once a signal has come).  Once a signal
 * has come, its step has ended: as cli_signals_step_ended, so the wait
 * covers only a step that never ends, not the rollback, the checkpoint or
 * the files that follow; and a first signal while step_next is 0 sets no
 * wait. */
void cli_signals_between_steps(int step_next);

/* The flag the handlers set (to the signal's number): for
 * clmlp_fit_opts.stop. */
volatile sig_atomic_t *cli_signals_flag(void);

/* The signal received (0: none). */
int cli_signals_received(void);

/* "SIGINT", "SIGTERM" or "a signal". */
const char *cli_signals_name(int sig);

#endif
