/* Where plot images, probs and confusion put their data (see
 * plot_classify_layout.h): pure functions of the figure size, on the
 * canvas's layout alone, so the picture tests link them without the CLI. */
#include "plot/plot_classify_layout.h"

#include <math.h>

/* ---- plot images ---- */

/* Room around an image in its cell, and the text band above it: one line
 * for a label, two for a true and a predicted class. */
#define CELL_PAD 8.0
#define BAND_LABEL 22.0
#define BAND_MODEL 36.0
/* The longest side a picture may have (plot_canvas_open's limit). */
#define MAX_SIDE 16384.0
/* The image side the default size aims at (28-pixel MNIST at 4x). */
#define TARGET_SIDE 112

/* Pixels of the image side the default size gives each image pixel. */
static int default_scale(int iw, int ih)
{
    int side = iw > ih ? iw : ih;
    int s = TARGET_SIDE / side;
    return s < 1 ? 1 : s;
}

int plot_images_default_size(int iw, int ih, int rows, int cols, int with_model, int *width,
                             int *height)
{
    for (int s = default_scale(iw, ih); s >= 1; s--) {
        double cw = iw * s + 2 * CELL_PAD;
        double ch = ih * s + CELL_PAD + (with_model ? BAND_MODEL : BAND_LABEL);
        if (cw < 128) cw = 128;
        double w = cw * cols, h = PLOT_SUPTITLE_H + ch * rows;
        /* Room for the title whatever the grid. */
        if (w < 420) w = 420;
        if (h < 160) h = 160;
        if (w > MAX_SIDE || h > MAX_SIDE) continue;
        *width = (int)ceil(w);
        *height = (int)ceil(h);
        return 0;
    }
    return -1;
}

plot_rect plot_images_cell(int width, int height, int rows, int cols, int k, int with_model, int iw,
                           int ih)
{
    plot_rect p = plot_panel_rect(width, height, rows, cols, k / cols, k % cols, 1);
    double band = with_model ? BAND_MODEL : BAND_LABEL;
    double aw = p.w - 2 * CELL_PAD, ah = p.h - band - CELL_PAD;
    double s = fmin(aw / iw, ah / ih);
    if (s >= 1) s = floor(s);
    /* At least a pixel a side, however small --size makes the cell. */
    double w = fmax(1.0, floor(iw * s)), h = fmax(1.0, floor(ih * s));
    return (plot_rect){floor(p.x + (p.w - w) / 2), floor(p.y + band), w, h};
}

/* ---- plot probs ---- */

/* A row's height and the figure's width by default. */
#define ROW_H 210
#define FIG_W 860
/* Room left of the image and between it and the bar chart's panel. */
#define IMAGE_LEFT 20.0
#define IMAGE_GAP 24.0

void plot_probs_default_size(int n, int *width, int *height)
{
    *width = FIG_W;
    *height = (int)PLOT_SUPTITLE_H + ROW_H * (n < 1 ? 1 : n);
}

/* Row r's panel, and the part of it right of the image for the bars. */
plot_rect plot_probs_bar_panel(int width, int height, int n, int r)
{
    plot_rect p = plot_panel_rect(width, height, n, 1, r, 0, 1);
    /* The image is as tall as the frame, so it takes that much width. */
    double side = plot_axes_frame(p, PLOT_ROOM_LEGEND).h;
    double left = IMAGE_LEFT + side + IMAGE_GAP;
    return (plot_rect){p.x + left, p.y, p.w - left, p.h};
}

plot_rect plot_probs_bar_frame(int width, int height, int n, int r)
{
    return plot_axes_frame(plot_probs_bar_panel(width, height, n, r), PLOT_ROOM_LEGEND);
}

plot_rect plot_probs_image_rect(int width, int height, int n, int r, int iw, int ih)
{
    plot_rect f = plot_probs_bar_frame(width, height, n, r);
    plot_rect p = plot_panel_rect(width, height, n, 1, r, 0, 1);
    double s = fmin(f.h / ih, f.h / iw);
    if (s >= 1) s = floor(s);
    double w = fmax(1.0, floor(iw * s)), h = fmax(1.0, floor(ih * s));
    return (plot_rect){floor(p.x + IMAGE_LEFT + (f.h - w) / 2), floor(f.y + (f.h - h) / 2), w, h};
}

/* ---- plot confusion ---- */

/* The panel the axes get: the figure below the title, less the room for
 * long names. */
plot_rect plot_confusion_panel(int width, int height, double extra_left, double extra_bottom)
{
    plot_rect p = plot_panel_rect(width, height, 1, 1, 0, 0, 1);
    p.x += extra_left;
    p.w -= extra_left;
    p.h -= extra_bottom;
    return p;
}

plot_rect plot_confusion_frame(int width, int height, double extra_left, double extra_bottom)
{
    return plot_axes_frame(plot_confusion_panel(width, height, extra_left, extra_bottom),
                           PLOT_ROOM_COLORBAR | PLOT_ROOM_SQUARE);
}
