/* Helpers for the picture tests (test_plot_*): read what `clmlp plot`
 * wrote and look at it as a user would, by format, size and pixels.
 * Pixel positions come from the same layout functions the tool uses
 * (tools/plot/canvas.h), so a test knows where a kind drew its data. */
#ifndef CLMLP_TEST_PICTURE_H
#define CLMLP_TEST_PICTURE_H

#include <stddef.h>
#include <stdint.h>

#include "plot/canvas.h"

/* A decoded picture: w x h pixels, 3 bytes each (R, G, B), rows top first. */
typedef struct {
    int w, h;
    uint8_t *rgb;
} test_picture;

/* Checks path is a PNG by its signature and IHDR chunk (read directly, not
 * through cairo) and gives its size; 0, or -1 after printing why. */
int test_png_size(const char *path, int *w, int *h);
/* Whether path begins like an SVG document or a PDF file ("%PDF-"). */
int test_is_svg(const char *path);
int test_is_pdf(const char *path);

/* Reads a PNG into p (through cairo); 0, or -1 after printing why. */
int test_picture_load(const char *path, test_picture *p);
void test_picture_free(test_picture *p);

/* The pixel at (x,y) (clamped to the picture). */
const uint8_t *test_pixel(const test_picture *p, int x, int y);
/* Distance of pixel px from colour c, in 8-bit units (Euclidean over the
 * three channels). */
double test_colour_distance(const uint8_t *px, plot_rgb c);
/* Whether some pixel within radius of (x,y) is within tol of c. */
int test_colour_near(const test_picture *p, double x, double y, int radius, plot_rgb c, double tol);
/* The fraction of pixels in r that are within tol of c. */
double test_colour_fraction(const test_picture *p, plot_rect r, plot_rgb c, double tol);
/* The fraction of pixels in r that are not white (anything drawn). */
double test_drawn_fraction(const test_picture *p, plot_rect r);

/* The path of tests/data/xor-steep.txt, a 2-2-1 XOR of steep sigmoids
 * (hidden units OR and AND, output OR and not AND), in a buffer of its own
 * (test_source_path's is reused by the next call). */
const char *test_xor_steep_weights(void);

#endif
