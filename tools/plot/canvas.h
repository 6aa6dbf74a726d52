/* The drawing layer under `clmlp plot`, on cairo: a canvas that becomes a
 * PNG, SVG or PDF file (chosen by the output name's extension, written
 * atomically), a fixed figure layout (panels, each with an axes frame),
 * axes with ticks, labels and a title, lines, markers, legends, images,
 * colour maps and colour bars.
 *
 * Layout is a pure function of the figure size, so tests compute where a
 * kind drew its data (plot_panel_rect, plot_axes_frame) without reading
 * the picture's text.  Sizes are in pixels (points in SVG and PDF). */
#ifndef CLMLP_PLOT_CANVAS_H
#define CLMLP_PLOT_CANVAS_H

#include <cairo.h>
#include <stddef.h>
#include <stdint.h>

/* An RGB colour, each channel in [0,1]. */
typedef struct {
    double r, g, b;
} plot_rgb;

/* A rectangle in pixels: left, top, width, height. */
typedef struct {
    double x, y, w, h;
} plot_rect;

typedef enum { PLOT_PNG, PLOT_SVG, PLOT_PDF } plot_format;

/* The format path's extension asks for (.png, .svg, .pdf, any case): 0, or
 * -1 when it names none of them. */
int plot_format_of(const char *path, plot_format *out);

typedef struct plot_canvas plot_canvas;

/* Opens a width x height canvas, white, for the file path (its extension
 * chooses the format).  CLMLP_OK, or a CLMLP_E_* status with the message
 * in clmlp_last_error() (nothing is written to path). */
int plot_canvas_open(plot_canvas **out, const char *path, int width, int height);
/* Writes the picture to its file atomically (temporary name, fsync,
 * rename) and frees the canvas.  CLMLP_OK, or an error naming the path;
 * the file is then untouched. */
int plot_canvas_save(plot_canvas *c);
/* Frees the canvas without writing anything; NULL is a no-op. */
void plot_canvas_free(plot_canvas *c);
/* The cairo context, for drawing what the helpers below do not. */
cairo_t *plot_cairo(plot_canvas *c);
int plot_canvas_width(const plot_canvas *c);
int plot_canvas_height(const plot_canvas *c);

/* ---- colours ------------------------------------------------------------ */

/* The i-th colour of the series palette (matplotlib's tab10, cycling). */
plot_rgb plot_palette(size_t i);
/* c mixed with white: t = 0 gives c, 1 white. */
plot_rgb plot_lighter(plot_rgb c, double t);
/* c mixed with black: t = 0 gives c, 1 black. */
plot_rgb plot_darker(plot_rgb c, double t);
/* Colour maps over t in [0,1] (clamped): viridis, and white to blue. */
plot_rgb plot_cmap_viridis(double t);
plot_rgb plot_cmap_blues(double t);
/* Black or white, whichever reads better on background bg. */
plot_rgb plot_text_on(plot_rgb bg);
/* The colour as 8-bit channels (for tests comparing pixels). */
void plot_rgb_bytes(plot_rgb c, uint8_t out[3]);

/* ---- layout ------------------------------------------------------------- */

/* Font sizes: tick labels and legends, axis labels, axes titles (the
 * figure's title is one larger, bold). */
#define PLOT_TICK_SIZE 12.0
#define PLOT_LABEL_SIZE 13.0
#define PLOT_TITLE_SIZE 15.0

/* Height of the figure title band (when a figure has one). */
#define PLOT_SUPTITLE_H 34.0
/* Width kept right of the frame for a legend outside it (PLOT_LEGEND_RIGHT). */
#define PLOT_LEGEND_W 170.0

/* Panel (row, col) of a rows x cols grid over a width x height figure,
 * below a title band when has_suptitle. */
plot_rect plot_panel_rect(int width, int height, int rows, int cols, int row, int col,
                          int has_suptitle);

/* Margins of the frame inside a panel. */
enum {
    PLOT_ROOM_LEGEND = 1,   /* a legend column right of the frame */
    PLOT_ROOM_COLORBAR = 2, /* a colour bar right of the frame */
    PLOT_ROOM_SQUARE = 4,   /* a square frame, centred in what is left */
    PLOT_ROOM_TIGHT = 8     /* no tick labels or axis labels: only a title */
};
/* The data frame of axes drawn in panel with the given PLOT_ROOM_* flags. */
plot_rect plot_axes_frame(plot_rect panel, unsigned room);

/* ---- axes --------------------------------------------------------------- */

typedef struct {
    plot_canvas *c;
    plot_rect panel, frame;
    double x0, x1, y0, y1;   /* data limits at the frame's edges */
    const char *const *xcat; /* category names on x (at x = 0, 1, ...) */
    size_t nxcat;
    const char *const *ycat; /* category names on y */
    size_t nycat;
    int y_down;    /* y grows downwards (images, matrices) */
    int integer_x; /* x ticks only at whole numbers */
} plot_axes;

/* Sets up axes in panel (frame from plot_axes_frame) with data limits
 * [x0,x1] x [y0,y1]; equal limits are widened so nothing divides by 0. */
void plot_axes_init(plot_axes *a, plot_canvas *c, plot_rect panel, unsigned room, double x0,
                    double x1, double y0, double y1);
/* Light grid lines at the ticks: call before drawing the data. */
void plot_axes_grid(plot_axes *a);
/* Draws the frame, ticks with their labels (or the category names), the
 * title above and the axis labels (any may be NULL).  Call after drawing
 * the data, so the frame is on top. */
void plot_axes_draw(plot_axes *a, const char *title, const char *xlabel, const char *ylabel);
/* Pixel coordinates of data coordinates. */
double plot_px(const plot_axes *a, double x);
double plot_py(const plot_axes *a, double y);
/* Limits a little wider than [lo,hi]: 5% of the span on each side (as
 * matplotlib's margins), so a curve at its extremes stays clear of the
 * frame.  lo == hi gives a unit-wide range around it; non-finite ends give
 * [0,1]. */
void plot_nice_limits(double lo, double hi, double *a, double *b);
/* The tick step for about `target` ticks over [lo,hi]: 1, 2 or 5 times a
 * power of ten. */
double plot_nice_step(double lo, double hi, int target);

/* Clips drawing to the frame until plot_unclip. */
void plot_clip(plot_axes *a);
void plot_unclip(plot_axes *a);

/* ---- data --------------------------------------------------------------- */

typedef enum { PLOT_SOLID, PLOT_DASHED, PLOT_DOTTED } plot_dash;
typedef enum { PLOT_NO_MARKER, PLOT_CIRCLE, PLOT_SQUARE, PLOT_TRIANGLE, PLOT_DIAMOND } plot_marker;

/* A polyline through n points; NaN or infinite points break it. */
void plot_line(plot_axes *a, const double *x, const double *y, size_t n, plot_rgb col, double width,
               plot_dash dash);
/* One marker of the given radius per point, filled, with an edge. */
void plot_markers(plot_axes *a, const double *x, const double *y, size_t n, plot_marker m,
                  double radius, plot_rgb fill, plot_rgb edge);
/* A filled rectangle between data corners (x0,y0) and (x1,y1). */
void plot_fill_data(plot_axes *a, double x0, double y0, double x1, double y1, plot_rgb col);
/* An RGB image (w x h, rows top first, 3 bytes a pixel) stretched over
 * rectangle r with square pixels kept sharp (nearest neighbour). */
void plot_image_rgb(plot_canvas *c, plot_rect r, const uint8_t *rgb, int w, int h);
/* A grey image (w x h floats in [lo,hi], black at lo... white at hi unless
 * invert) stretched over r, sharp. */
void plot_image_grey(plot_canvas *c, plot_rect r, const float *v, int w, int h, double lo,
                     double hi, int invert);

/* The line where a grid of values crosses level (marching squares): v
 * holds nx x ny values, v[j*nx + i] at x = x0 + i*(x1-x0)/(nx-1), y
 * likewise. */
void plot_contour(plot_axes *a, const double *v, int nx, int ny, double x0, double x1, double y0,
                  double y1, double level, plot_rgb col, double width, plot_dash dash);

/* ---- text, legends, colour bars ------------------------------------------ */

/* Text at (x,y) in pixels, anchored by ax (0 left, 0.5 centre, 1 right)
 * and ay (0 top, 0.5 middle, 1 baseline-ish bottom), rotated by angle
 * degrees counter-clockwise about the anchor. */
void plot_text(plot_canvas *c, double x, double y, const char *s, double size, double ax, double ay,
               double angle, plot_rgb col, int bold);
/* The width of s at size. */
double plot_text_width(plot_canvas *c, const char *s, double size, int bold);
/* A title centred over the whole figure, in the title band, smaller when
 * the figure is too narrow for it. */
void plot_suptitle(plot_canvas *c, const char *s);

typedef struct {
    const char *label;
    plot_rgb col;
    int line; /* draw a line sample */
    plot_dash dash;
    plot_marker marker; /* and/or a marker */
    plot_rgb edge;      /* the marker's edge */
} plot_legend_entry;

/* Where a legend goes. */
typedef enum {
    PLOT_LEGEND_RIGHT,       /* in the legend column right of the frame */
    PLOT_LEGEND_UPPER_RIGHT, /* inside the frame, corners */
    PLOT_LEGEND_LOWER_RIGHT,
    PLOT_LEGEND_UPPER_LEFT,
    PLOT_LEGEND_LOWER_LEFT
} plot_legend_pos;

void plot_legend(plot_axes *a, const plot_legend_entry *e, size_t n, plot_legend_pos pos);

/* A vertical colour bar right of the frame (made with PLOT_ROOM_COLORBAR)
 * from lo to hi in colour map cmap, labelled. */
void plot_colorbar(plot_axes *a, plot_rgb (*cmap)(double), double lo, double hi, const char *label);

/* Formats v for a tick label with the precision step calls for. */
void plot_format_tick(char *buf, size_t cap, double v, double step);

#endif
