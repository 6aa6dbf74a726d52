/* Where plot images, probs and confusion put their data, as pure functions
 * of the figure size, so the picture tests know which pixels show what
 * (see canvas.h's plot_panel_rect and plot_axes_frame). */
#ifndef CLMLP_PLOT_CLASSIFY_LAYOUT_H
#define CLMLP_PLOT_CLASSIFY_LAYOUT_H

#include "plot/canvas.h"

/* ---- plot images ---- */

/* The default figure size for rows x cols cells of iw x ih images, with a
 * model (two lines of text a cell) or without: each image pixel 112/side
 * pixels wide, fewer when that makes a side longer than 16384 (the most a
 * picture may have).  0, or -1 when even one pixel per image pixel does not
 * fit. */
int plot_images_default_size(int iw, int ih, int rows, int cols, int with_model, int *width,
                             int *height);
/* The rectangle cell k (row-major in a grid of cols columns and rows rows)
 * draws its iw x ih image into; whole pixels, each image pixel an equal
 * square when the cell is big enough. */
plot_rect plot_images_cell(int width, int height, int rows, int cols, int k, int with_model, int iw,
                           int ih);

/* ---- plot probs ---- */

/* The default figure size for n rows. */
void plot_probs_default_size(int n, int *width, int *height);
/* The frame of row r's bar chart (x from -0.5 to classes-0.5, y from 0 at
 * the bottom to 1 at the top) in a figure of n rows. */
plot_rect plot_probs_bar_frame(int width, int height, int n, int r);
/* The rectangle row r draws its iw x ih image into. */
plot_rect plot_probs_image_rect(int width, int height, int n, int r, int iw, int ih);
/* Row r's panel right of its image, where the bar chart's axes go. */
plot_rect plot_probs_bar_panel(int width, int height, int n, int r);
/* The half-width of a bar, in classes. */
#define PLOT_PROBS_BAR_HALF 0.4

/* ---- plot confusion ---- */

/* The panel the matrix's axes get: the figure below the title, less the
 * room for long class names. */
plot_rect plot_confusion_panel(int width, int height, double extra_left, double extra_bottom);
/* The matrix's square frame (column j from x = j-0.5 to j+0.5, row i from
 * the top); extra_left and extra_bottom are the room taken for long class
 * names (0 for digits; see plot_confusion_extra). */
plot_rect plot_confusion_frame(int width, int height, double extra_left, double extra_bottom);

#endif
