/* Where `clmlp plot boundary` and `clmlp plot features` put their data,
 * so that tests compute a point's pixel as the kinds do: one panel over
 * the whole figure (no title band; the title sits above the frame), a
 * square frame with a legend column on its right, and data limits that
 * pad the points' extent. */
#ifndef CLMLP_PLOT_BOUNDARY_LAYOUT_H
#define CLMLP_PLOT_BOUNDARY_LAYOUT_H

#include <stddef.h>

#include "plot/canvas.h"

/* The frame's room: a legend column, and a square frame. */
#define PLOT_BOUNDARY_ROOM (PLOT_ROOM_LEGEND | PLOT_ROOM_SQUARE)
/* A decision region is its class's colour this much lightened. */
#define PLOT_BOUNDARY_FADE 0.55
/* A test point is its class's colour this much darkened. */
#define PLOT_BOUNDARY_DARKEN 0.45
/* Each side of the points' extent is padded by this fraction of it. */
#define PLOT_BOUNDARY_PAD 0.10

/* The one panel of a width x height picture of either kind.  (Inline, as
 * is the next: the tests link the plot library without the tool's
 * command-line code, which the kinds' own files call.) */
static inline plot_rect plot_boundary_panel(int width, int height)
{
    return plot_panel_rect(width, height, 1, 1, 0, 0, 0);
}

/* The limits [*a,*b] for values whose extent is [lo,hi]: the extent
 * padded by PLOT_BOUNDARY_PAD of its width on both sides, the same on
 * each, so the extent's centre stays the frame's centre (the circle set
 * in the unit square is centred on (0.5,0.5)).  An empty extent (lo ==
 * hi) becomes lo - 0.5 .. lo + 0.5. */
static inline void plot_boundary_limits(double lo, double hi, double *a, double *b)
{
    if (!(hi > lo)) {
        *a = lo - 0.5;
        *b = lo + 0.5;
        return;
    }
    double pad = PLOT_BOUNDARY_PAD * (hi - lo);
    *a = lo - pad;
    *b = hi + pad;
}

#endif
