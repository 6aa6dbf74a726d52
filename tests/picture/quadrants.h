/* The quadrant set of the image-picture tests (plot images, probs,
 * confusion): QUAD_N images of QUAD_SIDE x QUAD_SIDE pixels as raw idx
 * files, image i lit in quadrant quad_pattern(i) at grey byte
 * quad_level(i), carrying label quad_label(i) (rows 3 and 7 mislabelled
 * on purpose), and a weight file of a 64-4 softmax model that predicts the
 * lit quadrant: weight 0.25 from each pixel of quadrant c to class c, so
 * z_c = 4 v for the quadrant lit at level v in [0,1] and 0 for the others. */
#ifndef CLMLP_TEST_QUADRANTS_H
#define CLMLP_TEST_QUADRANTS_H

#define QUAD_N 12
#define QUAD_SIDE 8
#define QUAD_K 4

/* The class image i's pattern shows, the label it carries, and the grey
 * byte of its lit square. */
int quad_pattern(int i);
int quad_label(int i);
int quad_level(int i);

typedef struct {
    const char *images, *labels, *weights;
} quad_files;

/* Writes the files into the scratch folder on the first call (from inside
 * a test: the helpers assert) and returns their paths. */
const quad_files *quad_files_get(void);

#endif
