/* Wall-clock time for epoch timings and progress rates. */
#ifndef CLMLP_TIMER_H
#define CLMLP_TIMER_H

/* Seconds since an arbitrary fixed point (monotonic). */
double clmlp_now(void);

#endif
