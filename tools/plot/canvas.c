/* The cairo canvas of `clmlp plot`: files, layout, axes and the shapes
 * every kind draws (see canvas.h). */
#include "plot/canvas.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clmlp.h"
#include "util/atomic_file.h"
#include "util/error.h"

#define FONT "DejaVu Sans"
#define PLOT_PI 3.14159265358979323846
static const plot_rgb BLACK = {0, 0, 0};
static const plot_rgb GREY = {0.35, 0.35, 0.35};

struct plot_canvas {
    cairo_surface_t *surface;
    cairo_t *cr;
    int width, height;
    plot_format format;
    clmlp_atomic_file af; /* SVG and PDF stream into it as they draw */
    int af_open;
    char path[4096];
};

/* ---- files ---------------------------------------------------------------- */

int plot_format_of(const char *path, plot_format *out)
{
    static const struct {
        const char *ext;
        plot_format f;
    } exts[] = {{".png", PLOT_PNG}, {".svg", PLOT_SVG}, {".pdf", PLOT_PDF}};
    size_t n = path ? strlen(path) : 0;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (n > 4 && strcasecmp(path + n - 4, exts[i].ext) == 0) {
            *out = exts[i].f;
            return 0;
        }
    return -1;
}

/* cairo's write callback: appends to the canvas's temporary file. */
static cairo_status_t write_to_file(void *closure, const unsigned char *data, unsigned int len)
{
    FILE *f = closure;
    return fwrite(data, 1, len, f) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

int plot_canvas_open(plot_canvas **out, const char *path, int width, int height)
{
    *out = NULL;
    plot_format fmt;
    if (plot_format_of(path, &fmt) != 0)
        return clmlp_set_error(CLMLP_E_INVALID,
                               "%s: the picture's name must end in .png, .svg or .pdf", path);
    if (width < 64 || height < 64 || width > 16384 || height > 16384)
        return clmlp_set_error(CLMLP_E_INVALID, "picture size %dx%d: each side must be 64 to 16384",
                               width, height);
    if (strlen(path) >= sizeof((plot_canvas *)0)->path)
        return clmlp_set_error(CLMLP_E_INVALID, "file name too long: %.64s...", path);
    plot_canvas *c = calloc(1, sizeof *c);
    if (!c) return clmlp_set_error(CLMLP_E_NOMEM, "out of memory for a picture");
    c->width = width;
    c->height = height;
    c->format = fmt;
    strcpy(c->path, path);
    if (fmt == PLOT_PNG) {
        c->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    } else {
        int rc = clmlp_atomic_open(&c->af, path);
        if (rc != CLMLP_OK) {
            free(c);
            return rc;
        }
        c->af_open = 1;
        FILE *f = c->af.f;
        c->surface = fmt == PLOT_SVG
                         ? cairo_svg_surface_create_for_stream(write_to_file, f, width, height)
                         : cairo_pdf_surface_create_for_stream(write_to_file, f, width, height);
    }
    if (cairo_surface_status(c->surface) != CAIRO_STATUS_SUCCESS) {
        int rc = clmlp_set_error(CLMLP_E_NOMEM, "%s: cannot make a %dx%d picture: %s", path, width,
                                 height, cairo_status_to_string(cairo_surface_status(c->surface)));
        plot_canvas_free(c);
        return rc;
    }
    c->cr = cairo_create(c->surface);
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    *out = c;
    return CLMLP_OK;
}

int plot_canvas_save(plot_canvas *c)
{
    if (!c) return clmlp_set_error(CLMLP_E_INVALID, "plot_canvas_save: no canvas");
    cairo_status_t st = cairo_status(c->cr);
    int rc = CLMLP_OK;
    if (st != CAIRO_STATUS_SUCCESS) {
        rc = clmlp_set_error(CLMLP_E_INVALID, "%s: drawing failed: %s", c->path,
                             cairo_status_to_string(st));
    } else if (c->format == PLOT_PNG) {
        rc = clmlp_atomic_open(&c->af, c->path);
        if (rc == CLMLP_OK) {
            c->af_open = 1;
            cairo_surface_flush(c->surface);
            st = cairo_surface_write_to_png_stream(c->surface, write_to_file, c->af.f);
        }
    } else {
        cairo_destroy(c->cr);
        c->cr = NULL;
        cairo_surface_finish(c->surface);
        st = cairo_surface_status(c->surface);
    }
    if (rc == CLMLP_OK && st != CAIRO_STATUS_SUCCESS)
        rc = clmlp_set_error(CLMLP_E_IO, "%s: could not write the picture: %s", c->path,
                             cairo_status_to_string(st));
    if (rc == CLMLP_OK) {
        c->af_open = 0;
        rc = clmlp_atomic_commit(&c->af);
    }
    plot_canvas_free(c);
    return rc;
}

void plot_canvas_free(plot_canvas *c)
{
    if (!c) return;
    if (c->cr) cairo_destroy(c->cr);
    if (c->surface) {
        /* Finishing a stream surface writes through the callback: do it
         * while the temporary file is still open, then drop that file. */
        cairo_surface_finish(c->surface);
        cairo_surface_destroy(c->surface);
    }
    if (c->af_open) clmlp_atomic_abort(&c->af);
    free(c);
}

cairo_t *plot_cairo(plot_canvas *c) { return c->cr; }

int plot_canvas_width(const plot_canvas *c) { return c->width; }

int plot_canvas_height(const plot_canvas *c) { return c->height; }

/* ---- colours -------------------------------------------------------------- */

plot_rgb plot_palette(size_t i)
{
    static const unsigned tab10[10] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                       0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};
    unsigned v = tab10[i % 10];
    return (plot_rgb){((v >> 16) & 255) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0};
}

plot_rgb plot_lighter(plot_rgb c, double t)
{
    return (plot_rgb){c.r + (1 - c.r) * t, c.g + (1 - c.g) * t, c.b + (1 - c.b) * t};
}

plot_rgb plot_darker(plot_rgb c, double t)
{
    return (plot_rgb){c.r * (1 - t), c.g * (1 - t), c.b * (1 - t)};
}

/* Linear interpolation in a table of n colours spread over [0,1]. */
static plot_rgb lerp_table(const unsigned *tab, int n, double t)
{
    if (!(t > 0)) t = 0;
    if (t > 1) t = 1;
    double p = t * (n - 1);
    int i = (int)p;
    if (i >= n - 1) i = n - 2;
    double f = p - i;
    plot_rgb a = {((tab[i] >> 16) & 255) / 255.0, ((tab[i] >> 8) & 255) / 255.0,
                  (tab[i] & 255) / 255.0};
    plot_rgb b = {((tab[i + 1] >> 16) & 255) / 255.0, ((tab[i + 1] >> 8) & 255) / 255.0,
                  (tab[i + 1] & 255) / 255.0};
    return (plot_rgb){a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f};
}

plot_rgb plot_cmap_viridis(double t)
{
    static const unsigned tab[9] = {0x440154, 0x472d7b, 0x3b528b, 0x2c728e, 0x21918c,
                                    0x28ae80, 0x5ec962, 0xaadc32, 0xfde725};
    return lerp_table(tab, 9, t);
}

plot_rgb plot_cmap_blues(double t)
{
    static const unsigned tab[9] = {0xf7fbff, 0xdeebf7, 0xc6dbef, 0x9ecae1, 0x6baed6,
                                    0x4292c6, 0x2171b5, 0x08519c, 0x08306b};
    return lerp_table(tab, 9, t);
}

plot_rgb plot_text_on(plot_rgb bg)
{
    double lum = 0.2126 * bg.r + 0.7152 * bg.g + 0.0722 * bg.b;
    return lum > 0.5 ? BLACK : (plot_rgb){1, 1, 1};
}

void plot_rgb_bytes(plot_rgb c, uint8_t out[3])
{
    /* cairo stores 8-bit channels rounded from the double. */
    out[0] = (uint8_t)lround(c.r * 255.0);
    out[1] = (uint8_t)lround(c.g * 255.0);
    out[2] = (uint8_t)lround(c.b * 255.0);
}

static void set_colour(cairo_t *cr, plot_rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

/* ---- layout --------------------------------------------------------------- */

plot_rect plot_panel_rect(int width, int height, int rows, int cols, int row, int col,
                          int has_suptitle)
{
    double top = has_suptitle ? PLOT_SUPTITLE_H : 0.0;
    double pw = (double)width / (cols > 0 ? cols : 1);
    double ph = (height - top) / (rows > 0 ? rows : 1);
    return (plot_rect){col * pw, top + row * ph, pw, ph};
}

plot_rect plot_axes_frame(plot_rect panel, unsigned room)
{
    double left = (room & PLOT_ROOM_TIGHT) ? 6 : 72;
    double right = 18, top = 34, bottom = (room & PLOT_ROOM_TIGHT) ? 6 : 52;
    if (room & PLOT_ROOM_LEGEND) right += PLOT_LEGEND_W;
    if (room & PLOT_ROOM_COLORBAR) right += 90;
    plot_rect f = {panel.x + left, panel.y + top, panel.w - left - right, panel.h - top - bottom};
    if (f.w < 10) f.w = 10;
    if (f.h < 10) f.h = 10;
    if (room & PLOT_ROOM_SQUARE) {
        double s = f.w < f.h ? f.w : f.h;
        f.x += (f.w - s) / 2;
        f.y += (f.h - s) / 2;
        f.w = f.h = s;
    }
    /* Whole pixels, so frames, images and tests agree to the pixel. */
    f.x = floor(f.x);
    f.y = floor(f.y);
    f.w = floor(f.w);
    f.h = floor(f.h);
    return f;
}

/* ---- axes ----------------------------------------------------------------- */

void plot_axes_init(plot_axes *a, plot_canvas *c, plot_rect panel, unsigned room, double x0,
                    double x1, double y0, double y1)
{
    memset(a, 0, sizeof *a);
    a->c = c;
    a->panel = panel;
    a->frame = plot_axes_frame(panel, room);
    /* Limits that are not finite would put NaN into cairo: such axes show
     * [0,1].  (Finite ones may span more than a double holds: the
     * arithmetic below works on halves.) */
    if (!isfinite(x0) || !isfinite(x1)) x0 = 0, x1 = 1;
    if (!isfinite(y0) || !isfinite(y1)) y0 = 0, y1 = 1;
    if (!(x1 > x0)) {
        x0 -= 0.5;
        x1 = x0 + 1;
    }
    if (!(y1 > y0)) {
        y0 -= 0.5;
        y1 = y0 + 1;
    }
    a->x0 = x0;
    a->x1 = x1;
    a->y0 = y0;
    a->y1 = y1;
}

/* Where v lies between lo and hi, 0 to 1, in halves so that no difference
 * of finite doubles overflows. */
static double fraction_of(double v, double lo, double hi)
{
    return (0.5 * v - 0.5 * lo) / (0.5 * hi - 0.5 * lo);
}

double plot_px(const plot_axes *a, double x)
{
    return a->frame.x + fraction_of(x, a->x0, a->x1) * a->frame.w;
}

double plot_py(const plot_axes *a, double y)
{
    double t = fraction_of(y, a->y0, a->y1);
    return a->y_down ? a->frame.y + t * a->frame.h : a->frame.y + (1 - t) * a->frame.h;
}

double plot_nice_step(double lo, double hi, int target)
{
    double span = hi - lo;
    /* A span beyond the doubles: the step of the halves, doubled. */
    if (span > 0 && !isfinite(span) && isfinite(lo) && isfinite(hi))
        return 2 * plot_nice_step(0.5 * lo, 0.5 * hi, target);
    if (!(span > 0) || !isfinite(span)) return 1.0;
    double raw = span / (target > 1 ? target : 1);
    double p = pow(10.0, floor(log10(raw)));
    double m = raw / p;
    double step = m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10;
    return step * p;
}

void plot_nice_limits(double lo, double hi, double *a, double *b)
{
    if (!isfinite(lo) || !isfinite(hi)) {
        *a = 0;
        *b = 1;
        return;
    }
    if (hi < lo) {
        double t = lo;
        lo = hi;
        hi = t;
    }
    if (hi - lo < 1e-12 * (fabs(lo) + fabs(hi)) || hi == lo) {
        *a = lo - 0.5;
        *b = hi + 0.5;
        return;
    }
    double pad = 0.05 * (hi - lo);
    *a = lo - pad;
    *b = hi + pad;
    /* Values near the ends of the doubles: no room for margins. */
    if (!isfinite(*a) || !isfinite(*b) || !isfinite(*b - *a)) {
        *a = lo;
        *b = hi;
    }
}

void plot_format_tick(char *buf, size_t cap, double v, double step)
{
    if (fabs(v) < step * 1e-9) v = 0;
    int digits = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (digits > 8) digits = 8;
    double mag = fabs(v);
    if (mag != 0 && (mag >= 1e6 || mag < 1e-4))
        snprintf(buf, cap, "%.2g", v);
    else
        snprintf(buf, cap, "%.*f", digits, v);
}

/* Draws one axis's ticks and tick labels, or with grid only its grid
 * lines. */
static void draw_ticks(plot_axes *a, int is_x, int grid)
{
    cairo_t *cr = a->c->cr;
    const plot_rect f = a->frame;
    const char *const *cat = is_x ? a->xcat : a->ycat;
    size_t ncat = is_x ? a->nxcat : a->nycat;
    double lo = is_x ? a->x0 : a->y0, hi = is_x ? a->x1 : a->y1;
    double vmin = lo < hi ? lo : hi, vmax = lo < hi ? hi : lo;
    double len = is_x ? f.w : f.h;
    int target = (int)(len / (is_x ? 90.0 : 55.0));
    if (target < 2) target = 2;
    double step = plot_nice_step(vmin, vmax, target);
    if (is_x && a->integer_x && step < 1) step = 1;
    double spans = (0.5 * vmax - 0.5 * vmin) / (0.5 * step); /* halves: no overflow */
    size_t count = ncat ? ncat : (size_t)floor(spans + 1e-9) + 2;
    double first = ncat ? 0 : ceil(vmin / step - 1e-9) * step;
    /* Category labels thin out when they would overlap. */
    size_t every = 1;
    if (ncat) {
        double per = len / (double)ncat;
        double need = is_x ? 40.0 : 16.0;
        while (per * (double)every < need) every++;
    }
    for (size_t k = 0; k < count; k += ncat ? every : 1) {
        double v = ncat ? (double)k : first + (double)k * step;
        if (!ncat && v > vmax + step * 1e-9) break;
        char buf[64];
        const char *label = buf;
        if (ncat)
            label = cat[k];
        else
            plot_format_tick(buf, sizeof buf, v, step);
        if (is_x) {
            double px = round(plot_px(a, v)) + 0.5;
            if (grid) {
                cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
                cairo_move_to(cr, px, f.y);
                cairo_line_to(cr, px, f.y + f.h);
                cairo_stroke(cr);
                continue;
            }
            set_colour(cr, BLACK);
            cairo_move_to(cr, px, f.y + f.h);
            cairo_line_to(cr, px, f.y + f.h + 5);
            cairo_stroke(cr);
            plot_text(a->c, px, f.y + f.h + 8, label, PLOT_TICK_SIZE, 0.5, 0, 0, BLACK, 0);
        } else {
            double py = round(plot_py(a, v)) + 0.5;
            if (grid) {
                cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
                cairo_move_to(cr, f.x, py);
                cairo_line_to(cr, f.x + f.w, py);
                cairo_stroke(cr);
                continue;
            }
            set_colour(cr, BLACK);
            cairo_move_to(cr, f.x - 5, py);
            cairo_line_to(cr, f.x, py);
            cairo_stroke(cr);
            plot_text(a->c, f.x - 8, py, label, PLOT_TICK_SIZE, 1, 0.5, 0, BLACK, 0);
        }
    }
}

void plot_axes_grid(plot_axes *a)
{
    if (a->nxcat && a->nycat) return;
    cairo_save(a->c->cr);
    cairo_set_line_width(a->c->cr, 1.0);
    if (!a->nxcat) draw_ticks(a, 1, 1);
    if (!a->nycat) draw_ticks(a, 0, 1);
    cairo_restore(a->c->cr);
}

void plot_axes_draw(plot_axes *a, const char *title, const char *xlabel, const char *ylabel)
{
    cairo_t *cr = a->c->cr;
    const plot_rect f = a->frame;
    cairo_save(cr);
    cairo_set_line_width(cr, 1.0);
    int tight = f.x - a->panel.x < 20;
    if (!tight) {
        draw_ticks(a, 1, 0);
        draw_ticks(a, 0, 0);
    }
    set_colour(cr, BLACK);
    cairo_rectangle(cr, f.x + 0.5, f.y + 0.5, f.w - 1, f.h - 1);
    cairo_stroke(cr);
    if (title && *title)
        plot_text(a->c, f.x + f.w / 2, f.y - 10, title, PLOT_TITLE_SIZE, 0.5, 1, 0, BLACK, 0);
    if (xlabel && *xlabel && !tight)
        plot_text(a->c, f.x + f.w / 2, f.y + f.h + 28, xlabel, PLOT_LABEL_SIZE, 0.5, 0, 0, BLACK,
                  0);
    if (ylabel && *ylabel && !tight)
        plot_text(a->c, fmax(a->panel.x + 6, f.x - 66), f.y + f.h / 2, ylabel, PLOT_LABEL_SIZE, 0.5,
                  0, 90, BLACK, 0);
    cairo_restore(cr);
}

void plot_clip(plot_axes *a)
{
    cairo_save(a->c->cr);
    cairo_rectangle(a->c->cr, a->frame.x, a->frame.y, a->frame.w, a->frame.h);
    cairo_clip(a->c->cr);
}

void plot_unclip(plot_axes *a) { cairo_restore(a->c->cr); }

/* ---- data ----------------------------------------------------------------- */

/* Whether a point's pixel coordinates are finite and within what cairo's
 * fixed-point numbers hold (about +-8 million); points beyond that are not
 * drawn (a line breaks there) rather than wrapped around. */
static int drawable(double px, double py) { return fabs(px) < 4e6 && fabs(py) < 4e6; }

static void set_dash(cairo_t *cr, plot_dash d, double width)
{
    double dashed[2] = {6 * width / 1.5, 4 * width / 1.5};
    double dotted[2] = {1.5 * width / 1.5, 3 * width / 1.5};
    if (d == PLOT_DASHED)
        cairo_set_dash(cr, dashed, 2, 0);
    else if (d == PLOT_DOTTED)
        cairo_set_dash(cr, dotted, 2, 0);
    else
        cairo_set_dash(cr, NULL, 0, 0);
}

void plot_line(plot_axes *a, const double *x, const double *y, size_t n, plot_rgb col, double width,
               plot_dash dash)
{
    cairo_t *cr = a->c->cr;
    plot_clip(a);
    set_colour(cr, col);
    cairo_set_line_width(cr, width);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, dash == PLOT_DOTTED ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_BUTT);
    set_dash(cr, dash, width);
    int pen = 0;
    for (size_t i = 0; i < n; i++) {
        double px = plot_px(a, x[i]), py = plot_py(a, y[i]);
        if (!drawable(px, py)) {
            pen = 0;
            continue;
        }
        if (pen)
            cairo_line_to(cr, px, py);
        else
            cairo_move_to(cr, px, py);
        pen = 1;
    }
    cairo_stroke(cr);
    plot_unclip(a);
}

/* The path of marker m of radius r at (x,y). */
static void marker_path(cairo_t *cr, plot_marker m, double x, double y, double r)
{
    switch (m) {
    case PLOT_SQUARE: cairo_rectangle(cr, x - r * 0.9, y - r * 0.9, r * 1.8, r * 1.8); break;
    case PLOT_TRIANGLE:
        cairo_move_to(cr, x, y - r * 1.15);
        cairo_line_to(cr, x + r, y + r * 0.7);
        cairo_line_to(cr, x - r, y + r * 0.7);
        cairo_close_path(cr);
        break;
    case PLOT_DIAMOND:
        cairo_move_to(cr, x, y - r * 1.2);
        cairo_line_to(cr, x + r, y);
        cairo_line_to(cr, x, y + r * 1.2);
        cairo_line_to(cr, x - r, y);
        cairo_close_path(cr);
        break;
    case PLOT_CIRCLE:
    case PLOT_NO_MARKER:
    default:
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * PLOT_PI);
        break;
    }
}

void plot_markers(plot_axes *a, const double *x, const double *y, size_t n, plot_marker m,
                  double radius, plot_rgb fill, plot_rgb edge)
{
    if (m == PLOT_NO_MARKER) return;
    cairo_t *cr = a->c->cr;
    plot_clip(a);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_line_width(cr, 0.8);
    for (size_t i = 0; i < n; i++) {
        double px = plot_px(a, x[i]), py = plot_py(a, y[i]);
        if (!drawable(px, py)) continue;
        marker_path(cr, m, px, py, radius);
        set_colour(cr, fill);
        cairo_fill_preserve(cr);
        set_colour(cr, edge);
        cairo_stroke(cr);
    }
    plot_unclip(a);
}

void plot_fill_data(plot_axes *a, double x0, double y0, double x1, double y1, plot_rgb col)
{
    cairo_t *cr = a->c->cr;
    double px0 = plot_px(a, x0), px1 = plot_px(a, x1);
    double py0 = plot_py(a, y0), py1 = plot_py(a, y1);
    set_colour(cr, col);
    cairo_rectangle(cr, fmin(px0, px1), fmin(py0, py1), fabs(px1 - px0), fabs(py1 - py0));
    cairo_fill(cr);
}

void plot_image_rgb(plot_canvas *c, plot_rect r, const uint8_t *rgb, int w, int h)
{
    /* Nothing to draw into (a zero scale would break the whole picture). */
    if (w <= 0 || h <= 0 || !(r.w >= 1 && r.h >= 1)) return;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return;
    }
    cairo_surface_flush(img);
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int j = 0; j < h; j++) {
        uint32_t *row = (uint32_t *)(void *)(data + (size_t)j * (size_t)stride);
        for (int i = 0; i < w; i++) {
            const uint8_t *p = rgb + ((size_t)j * (size_t)w + (size_t)i) * 3;
            row[i] = ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2];
        }
    }
    cairo_surface_mark_dirty(img);
    cairo_t *cr = c->cr;
    cairo_save(cr);
    cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    cairo_clip(cr);
    cairo_translate(cr, r.x, r.y);
    cairo_scale(cr, r.w / w, r.h / h);
    cairo_set_source_surface(cr, img, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
    cairo_paint(cr);
    cairo_restore(cr);
    cairo_surface_destroy(img);
}

void plot_image_grey(plot_canvas *c, plot_rect r, const float *v, int w, int h, double lo,
                     double hi, int invert)
{
    if (w <= 0 || h <= 0) return;
    uint8_t *rgb = malloc((size_t)w * (size_t)h * 3);
    if (!rgb) return;
    double span = hi > lo ? hi - lo : 1;
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        double t = (v[i] - lo) / span;
        if (!(t > 0)) t = 0;
        if (t > 1) t = 1;
        if (invert) t = 1 - t;
        uint8_t g = (uint8_t)lround(t * 255);
        rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = g;
    }
    plot_image_rgb(c, r, rgb, w, h);
    free(rgb);
}

/* The point where the level crosses the edge from corner (xa,ya) with value
 * va to (xb,yb) with vb. */
static void cross(double xa, double ya, double va, double xb, double yb, double vb, double level,
                  double *x, double *y)
{
    double t = vb != va ? (level - va) / (vb - va) : 0.5;
    *x = xa + t * (xb - xa);
    *y = ya + t * (yb - ya);
}

void plot_contour(plot_axes *a, const double *v, int nx, int ny, double x0, double x1, double y0,
                  double y1, double level, plot_rgb col, double width, plot_dash dash)
{
    if (nx < 2 || ny < 2) return;
    cairo_t *cr = a->c->cr;
    plot_clip(a);
    set_colour(cr, col);
    cairo_set_line_width(cr, width);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    set_dash(cr, dash, width);
    double dx = (x1 - x0) / (nx - 1), dy = (y1 - y0) / (ny - 1);
    for (int j = 0; j + 1 < ny; j++)
        for (int i = 0; i + 1 < nx; i++) {
            /* Corners counter-clockwise from (i,j): values and positions. */
            double cx[4] = {x0 + i * dx, x0 + (i + 1) * dx, x0 + (i + 1) * dx, x0 + i * dx};
            double cy[4] = {y0 + j * dy, y0 + j * dy, y0 + (j + 1) * dy, y0 + (j + 1) * dy};
            double cv[4] = {v[(size_t)j * nx + i], v[(size_t)j * nx + i + 1],
                            v[(size_t)(j + 1) * nx + i + 1], v[(size_t)(j + 1) * nx + i]};
            int ok = 1;
            for (int k = 0; k < 4; k++) ok &= isfinite(cv[k]);
            if (!ok) continue;
            /* The crossing points on the cell's edges, in edge order; a
             * saddle (4 crossings) pairs them by the centre's side. */
            double px[4], py[4];
            int ne = 0;
            for (int k = 0; k < 4; k++) {
                int l = (k + 1) % 4;
                if ((cv[k] >= level) != (cv[l] >= level)) {
                    cross(cx[k], cy[k], cv[k], cx[l], cy[l], cv[l], level, &px[ne], &py[ne]);
                    ne++;
                }
            }
            if (ne == 2) {
                cairo_move_to(cr, plot_px(a, px[0]), plot_py(a, py[0]));
                cairo_line_to(cr, plot_px(a, px[1]), plot_py(a, py[1]));
            } else if (ne == 4) {
                double centre = (cv[0] + cv[1] + cv[2] + cv[3]) / 4;
                int s = (centre >= level) == (cv[0] >= level);
                /* Corner 0 joined with the centre: the crossings around
                 * corners 1 and 3 pair up; else around corner 0 and 2. */
                int p0 = s ? 0 : 3, p1 = s ? 1 : 0, q0 = s ? 2 : 1, q1 = s ? 3 : 2;
                cairo_move_to(cr, plot_px(a, px[p0]), plot_py(a, py[p0]));
                cairo_line_to(cr, plot_px(a, px[p1]), plot_py(a, py[p1]));
                cairo_move_to(cr, plot_px(a, px[q0]), plot_py(a, py[q0]));
                cairo_line_to(cr, plot_px(a, px[q1]), plot_py(a, py[q1]));
            }
        }
    cairo_stroke(cr);
    plot_unclip(a);
}

/* ---- text, legends, colour bars ------------------------------------------- */

static void set_font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

double plot_text_width(plot_canvas *c, const char *s, double size, int bold)
{
    cairo_text_extents_t e;
    cairo_save(c->cr);
    set_font(c->cr, size, bold);
    cairo_text_extents(c->cr, s, &e);
    cairo_restore(c->cr);
    return e.x_advance;
}

void plot_text(plot_canvas *c, double x, double y, const char *s, double size, double ax, double ay,
               double angle, plot_rgb col, int bold)
{
    if (!s || !*s) return;
    cairo_t *cr = c->cr;
    cairo_save(cr);
    set_font(cr, size, bold);
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, -angle * PLOT_PI / 180.0);
    /* Vertical anchoring by the height of capitals and digits (about
     * 0.73 em in DejaVu Sans), so labels of a row line up whatever letters
     * they hold. */
    double cap = 0.73 * size;
    cairo_move_to(cr, -ax * e.x_advance, cap * (1 - ay));
    set_colour(cr, col);
    cairo_show_text(cr, s);
    cairo_restore(cr);
}

void plot_suptitle(plot_canvas *c, const char *s)
{
    /* Smaller (down to 8) where a narrow figure would cut it off. */
    double size = PLOT_TITLE_SIZE + 1, room = c->width - 16.0;
    double tw = plot_text_width(c, s, size, 1);
    if (tw > room && tw > 0) size = fmax(8.0, size * room / tw);
    plot_text(c, c->width / 2.0, PLOT_SUPTITLE_H / 2.0, s, size, 0.5, 0.5, 0, BLACK, 1);
}

/* Draws entry e's sample (line and/or marker) centred at (x,y). */
static void legend_sample(cairo_t *cr, const plot_legend_entry *e, double x, double y)
{
    if (e->line) {
        set_colour(cr, e->col);
        cairo_set_line_width(cr, 2);
        set_dash(cr, e->dash, 2);
        cairo_move_to(cr, x - 14, y);
        cairo_line_to(cr, x + 14, y);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
    }
    if (e->marker != PLOT_NO_MARKER) {
        cairo_set_line_width(cr, 0.8);
        marker_path(cr, e->marker, x, y, 4.5);
        set_colour(cr, e->col);
        cairo_fill_preserve(cr);
        set_colour(cr, e->edge);
        cairo_stroke(cr);
    }
}

void plot_legend(plot_axes *a, const plot_legend_entry *e, size_t n, plot_legend_pos pos)
{
    if (n == 0) return;
    cairo_t *cr = a->c->cr;
    const double row = 20, pad = 8, sample = 36;
    double textw = 0;
    for (size_t i = 0; i < n; i++) {
        double w = plot_text_width(a->c, e[i].label, PLOT_TICK_SIZE, 0);
        if (w > textw) textw = w;
    }
    double bw = pad * 2 + sample + textw, bh = pad * 2 + row * (double)n - 4;
    const plot_rect f = a->frame;
    double x, y;
    switch (pos) {
    case PLOT_LEGEND_RIGHT:
        x = f.x + f.w + 12;
        y = f.y;
        if (bw > PLOT_LEGEND_W - 14) bw = PLOT_LEGEND_W - 14;
        break;
    case PLOT_LEGEND_LOWER_RIGHT:
        x = f.x + f.w - bw - 8;
        y = f.y + f.h - bh - 8;
        break;
    case PLOT_LEGEND_UPPER_LEFT:
        x = f.x + 8;
        y = f.y + 8;
        break;
    case PLOT_LEGEND_LOWER_LEFT:
        x = f.x + 8;
        y = f.y + f.h - bh - 8;
        break;
    case PLOT_LEGEND_UPPER_RIGHT:
    default:
        x = f.x + f.w - bw - 8;
        y = f.y + 8;
        break;
    }
    cairo_save(cr);
    cairo_rectangle(cr, round(x) + 0.5, round(y) + 0.5, round(bw), round(bh));
    cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
    cairo_fill_preserve(cr);
    set_colour(cr, (plot_rgb){0.75, 0.75, 0.75});
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    for (size_t i = 0; i < n; i++) {
        double cy = y + pad + row * (double)i + 7;
        legend_sample(cr, &e[i], x + pad + sample / 2 - 2, cy);
        cairo_save(cr);
        cairo_rectangle(cr, x, y, bw - 2, bh);
        cairo_clip(cr);
        plot_text(a->c, x + pad + sample, cy, e[i].label, PLOT_TICK_SIZE, 0, 0.5, 0, BLACK, 0);
        cairo_restore(cr);
    }
    cairo_restore(cr);
}

void plot_colorbar(plot_axes *a, plot_rgb (*cmap)(double), double lo, double hi, const char *label)
{
    cairo_t *cr = a->c->cr;
    const plot_rect f = a->frame;
    double x = f.x + f.w + 16, w = 16, y = f.y, h = f.h;
    for (int k = 0; k < (int)h; k++) {
        set_colour(cr, cmap(1.0 - (k + 0.5) / h));
        cairo_rectangle(cr, x, y + k, w, 1.0);
        cairo_fill(cr);
    }
    cairo_save(cr);
    set_colour(cr, BLACK);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, x + 0.5, y + 0.5, w - 1, h - 1);
    cairo_stroke(cr);
    if (hi > lo) {
        double step = plot_nice_step(lo, hi, 5);
        for (double v = ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
            double py = round(y + h - (v - lo) / (hi - lo) * h) + 0.5;
            cairo_move_to(cr, x + w, py);
            cairo_line_to(cr, x + w + 4, py);
            cairo_stroke(cr);
            char buf[64];
            plot_format_tick(buf, sizeof buf, v, step);
            plot_text(a->c, x + w + 7, py, buf, PLOT_TICK_SIZE - 1, 0, 0.5, 0, BLACK, 0);
        }
    }
    if (label && *label)
        plot_text(a->c, x + w + 62, y + h / 2, label, PLOT_LABEL_SIZE, 0.5, 0, 90, GREY, 0);
    cairo_restore(cr);
}
