/* The quadrant set of the image-picture tests (see quadrants.h). */
#include "quadrants.h"

#include <stdio.h>
#include <string.h>

#include "support/testing.h"

int quad_pattern(int i) { return i % QUAD_K; }

int quad_label(int i) { return i == 3 ? 0 : i == 7 ? 1 : quad_pattern(i); }

int quad_level(int i) { return 100 + 12 * i; }

const quad_files *quad_files_get(void)
{
    static quad_files f;
    if (f.images) return &f;
    enum { PIXELS = QUAD_SIDE * QUAD_SIDE };
    static unsigned char img[16 + QUAD_N * PIXELS], lab[8 + QUAD_N];
    const unsigned char ih[16] = {0, 0, 8, 3,         0, 0, 0, QUAD_N,
                                  0, 0, 0, QUAD_SIDE, 0, 0, 0, QUAD_SIDE};
    const unsigned char lh[8] = {0, 0, 8, 1, 0, 0, 0, QUAD_N};
    memcpy(img, ih, 16);
    memcpy(lab, lh, 8);
    for (int i = 0; i < QUAD_N; i++) {
        int c = quad_pattern(i);
        for (int r = 0; r < QUAD_SIDE; r++)
            for (int q = 0; q < QUAD_SIDE; q++) {
                int in = r / 4 == c / 2 && q / 4 == c % 2;
                img[16 + i * PIXELS + r * QUAD_SIDE + q] = (unsigned char)(in ? quad_level(i) : 0);
            }
        lab[8 + i] = (unsigned char)quad_label(i);
    }
    f.images = test_write_temp("img.idx", img, sizeof img);
    f.labels = test_write_temp("lab.idx", lab, sizeof lab);
    static char w[8192];
    size_t at = (size_t)snprintf(w, sizeof w, "input %d\ndense %d softmax\n", PIXELS, QUAD_K);
    for (int r = 0; r < QUAD_SIDE; r++)
        for (int q = 0; q < QUAD_SIDE; q++) {
            int c = (r / 4) * 2 + q / 4;
            for (int j = 0; j < QUAD_K; j++)
                at += (size_t)snprintf(w + at, sizeof w - at, "%s%s", j == c ? "0.25" : "0",
                                       j == QUAD_K - 1 ? "\n" : " ");
        }
    snprintf(w + at, sizeof w - at, "bias 0 0 0 0\n");
    f.weights = test_write_temp_text("w4.txt", w);
    return &f;
}
