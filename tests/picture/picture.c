/* Reading pictures for the picture tests (see picture.h). */
#include "picture.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testing.h"

/* The first n bytes of path into buf; how many were read, or -1. */
static long read_head(const char *path, unsigned char *buf, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: cannot open\n", path);
        return -1;
    }
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    return (long)got;
}

int test_png_size(const char *path, int *w, int *h)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char b[24];
    if (read_head(path, b, sizeof b) != (long)sizeof b) return -1;
    if (memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0) {
        fprintf(stderr, "%s: not a PNG file\n", path);
        return -1;
    }
    *w = (int)((unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19]);
    *h = (int)((unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23]);
    return 0;
}

int test_is_svg(const char *path)
{
    unsigned char b[256] = {0};
    long n = read_head(path, b, sizeof b - 1);
    return n > 0 && (strstr((char *)b, "<svg") != NULL || strncmp((char *)b, "<?xml", 5) == 0);
}

int test_is_pdf(const char *path)
{
    unsigned char b[8];
    return read_head(path, b, 5) == 5 && memcmp(b, "%PDF-", 5) == 0;
}

int test_picture_load(const char *path, test_picture *p)
{
    memset(p, 0, sizeof *p);
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "%s: cannot read as PNG: %s\n", path,
                cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        return -1;
    }
    cairo_surface_flush(s);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    cairo_format_t fmt = cairo_image_surface_get_format(s);
    const unsigned char *data = cairo_image_surface_get_data(s);
    p->rgb = malloc((size_t)w * (size_t)h * 3);
    if (!p->rgb || (fmt != CAIRO_FORMAT_RGB24 && fmt != CAIRO_FORMAT_ARGB32)) {
        fprintf(stderr, "%s: unexpected pixel format %d\n", path, (int)fmt);
        free(p->rgb);
        p->rgb = NULL;
        cairo_surface_destroy(s);
        return -1;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t v;
            memcpy(&v, data + (size_t)y * (size_t)stride + (size_t)x * 4, 4);
            uint8_t *o = p->rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
            o[0] = (uint8_t)(v >> 16);
            o[1] = (uint8_t)(v >> 8);
            o[2] = (uint8_t)v;
        }
    p->w = w;
    p->h = h;
    cairo_surface_destroy(s);
    return 0;
}

void test_picture_free(test_picture *p)
{
    free(p->rgb);
    p->rgb = NULL;
}

const uint8_t *test_pixel(const test_picture *p, int x, int y)
{
    if (x < 0) x = 0;
    if (y < 0) y = 0;
    if (x >= p->w) x = p->w - 1;
    if (y >= p->h) y = p->h - 1;
    return p->rgb + ((size_t)y * (size_t)p->w + (size_t)x) * 3;
}

double test_colour_distance(const uint8_t *px, plot_rgb c)
{
    uint8_t want[3];
    plot_rgb_bytes(c, want);
    double d = 0;
    for (int k = 0; k < 3; k++) d += ((double)px[k] - want[k]) * ((double)px[k] - want[k]);
    return sqrt(d);
}

int test_colour_near(const test_picture *p, double x, double y, int radius, plot_rgb c, double tol)
{
    int cx = (int)lround(x), cy = (int)lround(y);
    for (int dy = -radius; dy <= radius; dy++)
        for (int dx = -radius; dx <= radius; dx++)
            if (test_colour_distance(test_pixel(p, cx + dx, cy + dy), c) <= tol) return 1;
    return 0;
}

/* Counts pixels in r (clipped to the picture) and those that keep(px). */
static double fraction(const test_picture *p, plot_rect r,
                       int (*keep)(const uint8_t *, const void *), const void *arg)
{
    int x0 = (int)ceil(r.x), y0 = (int)ceil(r.y);
    int x1 = (int)floor(r.x + r.w), y1 = (int)floor(r.y + r.h);
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 > p->w) x1 = p->w;
    if (y1 > p->h) y1 = p->h;
    size_t all = 0, kept = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            all++;
            kept += keep(test_pixel(p, x, y), arg) != 0;
        }
    return all ? (double)kept / (double)all : 0.0;
}

typedef struct {
    plot_rgb c;
    double tol;
} colour_arg;

static int is_colour(const uint8_t *px, const void *arg)
{
    const colour_arg *a = arg;
    return test_colour_distance(px, a->c) <= a->tol;
}

static int is_drawn(const uint8_t *px, const void *arg)
{
    (void)arg;
    return px[0] != 255 || px[1] != 255 || px[2] != 255;
}

double test_colour_fraction(const test_picture *p, plot_rect r, plot_rgb c, double tol)
{
    colour_arg a = {c, tol};
    return fraction(p, r, is_colour, &a);
}

double test_drawn_fraction(const test_picture *p, plot_rect r)
{
    return fraction(p, r, is_drawn, NULL);
}

const char *test_xor_steep_weights(void)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", test_source_path("tests/data/xor-steep.txt"));
    return path;
}
