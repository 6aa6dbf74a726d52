/* clmlp's OpenCL backend: its settings, reading them from the environment,
 * and tuning CLBlast's GEMM kernels for a model.
 *
 * The backend reads nothing from the environment by itself.  Its settings
 * are the fields of clmlp_opencl_opts, handed to clmlp_backend_init through
 * clmlp_backend_opts.opencl (NULL, like a zeroed struct, gives every
 * default).  A program that wants the CLMLP_* variables to count, as the
 * clmlp tool does, calls clmlp_opencl_opts_from_env once and passes what it
 * filled. */
#ifndef CLMLP_OPENCL_H
#define CLMLP_OPENCL_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

#include "clmlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* clmlp_opencl_opts.queue_window: no bound on the commands queued ahead. */
#define CLMLP_OPENCL_QUEUE_UNBOUNDED UINT_MAX
/* The queue window when the options leave it 0. */
#define CLMLP_OPENCL_QUEUE_DEFAULT 64u
/* The largest bounded queue window accepted. */
#define CLMLP_OPENCL_QUEUE_MAX 1000000u

/* The OpenCL backend's settings; all zero is every default.  The strings
 * are borrowed: they must stay valid while clmlp_backend_init runs (the
 * backend copies what it keeps). */
typedef struct clmlp_opencl_opts {
    /* Files kept between runs live in one cache folder, CACHE:
     * cache_home/clmlp when cache_home is set (as $XDG_CACHE_HOME is),
     * else HOME/.cache/clmlp, HOME being `home` when set, else the home
     * folder the password database gives the user.  Without any of them
     * there is no cache: nothing is stored, and no tuning file is found. */
    const char *cache_home;
    const char *home;

    /* Compiled programs: the device binary of the kernels is stored in
     * program_dir (NULL: CACHE/programs) and loaded on the next open,
     * unless no_program_cache is set (then every open builds from
     * source and nothing is written). */
    int no_program_cache;
    const char *program_dir;

    /* CLBlast tuning: at open, the device's tuning file
     * (tuning_dir/DEVICE-DRIVER.txt; tuning_dir NULL: CACHE/tuning), which
     * clmlp_opencl_tune writes, is applied unless no_tuning is set.  A bad
     * file is a warning on stderr, never a failure. */
    int no_tuning;
    const char *tuning_dir;

    /* The kernels' .cl files are read from kernel_dir (to try a change
     * without rebuilding; never cached) instead of the embedded ones
     * (NULL). */
    const char *kernel_dir;

    /* Non-zero: time every op with OpenCL profiling events and print a
     * table sorted by device time to stderr when the backend closes. */
    int profile;

    /* Commands the host may queue ahead of the device, in windows of this
     * many (the host waits at the end of each for the previous one's
     * end): 0 means CLMLP_OPENCL_QUEUE_DEFAULT; CLMLP_OPENCL_QUEUE_UNBOUNDED
     * none; otherwise 1 to CLMLP_OPENCL_QUEUE_MAX. */
    unsigned queue_window;
} clmlp_opencl_opts;

/* The one place clmlp reads the environment.  Fills *o from the CLMLP_*
 * variables (o is zeroed first; an unset or empty variable leaves its
 * default):
 *   XDG_CACHE_HOME -> cache_home        HOME -> home
 *   CLMLP_NO_PROGRAM_CACHE -> no_program_cache   (set, and not "0")
 *   CLMLP_NO_TUNING -> no_tuning                 (set, and not "0")
 *   CLMLP_TUNING_DIR -> tuning_dir      CLMLP_KERNEL_DIR -> kernel_dir
 *   CLMLP_PROFILE -> profile                     (set, and not "0")
 *   CLMLP_QUEUE_WINDOW -> queue_window  (a count; 0 there: unbounded)
 * and, when bo is not NULL, CLMLP_PLATFORM and CLMLP_DEVICE into
 * bo->platform and bo->device where bo leaves them NULL (an option given
 * wins), and bo->opencl = o.  The strings point into the environment: they
 * stay valid until it changes.  CLMLP_E_INVALID (naming the variable) for a
 * value that is not one; *o is then still filled with the others. */
int clmlp_opencl_opts_from_env(clmlp_opencl_opts *o, clmlp_backend_opts *bo);

/* The path of the tuning file of an open OpenCL backend's device into path
 * (cap bytes), and in *loaded (may be NULL) whether it was applied when
 * the backend opened.  CLMLP_E_UNSUPPORTED on another backend,
 * CLMLP_E_NOT_FOUND when there is no cache folder. */
int clmlp_opencl_tuning_file(clmlp_backend_t *be, char *path, size_t cap, int *loaded);

/* ---- tuning CLBlast's GEMM kernels for a model ---- */

/* One GEMM shape: C (m x n) = op(A) (m x k) * op(B) (k x n), row-major,
 * op transposing when trans_* is set; calls: how often a step runs it. */
typedef struct {
    int trans_a, trans_b;
    size_t m, n, k;
    size_t calls;
} clmlp_gemm_shape;

/* The distinct GEMM shapes one training step of model runs at batch rows,
 * in the order the step first runs them.  They are recorded, not
 * predicted: a copy of the model's layers (compiled or not; the model is
 * not changed) trains one step on synthetic data on the reference backend
 * in a recording mode whose GEMMs note their shapes and compute nothing.
 * Writes at most cap shapes to out and the number of distinct shapes (which
 * may be larger) to *n. */
int clmlp_opencl_step_shapes(const clmlp_model_t *model, size_t batch, clmlp_gemm_shape *out,
                             size_t cap, size_t *n);

/* The most shapes clmlp_opencl_tune tunes for (the first ones a step runs). */
#define CLMLP_OPENCL_TUNE_MAX_SHAPES 64

/* What to tune for and how long; zero fields take the defaults named. */
typedef struct {
    size_t batch;    /* rows per training step (0: 256) */
    double budget_s; /* stop searching after this long (0: 300 s) */
    double fraction; /* try at most this fraction of the candidate sets,
                        in (0, 1] (0: 1; the budget usually ends first) */
    size_t steps;    /* training steps timed before and after (0: 20) */
    FILE *progress;  /* progress and skipped candidates are written here
                        (NULL: nothing is written) */
} clmlp_opencl_tune_opts;

/* One shape's figures, seconds per call. */
typedef struct {
    clmlp_gemm_shape shape;
    double before_s;  /* with CLBlast's defaults */
    double after_s;   /* with the tuning written (before_s when none) */
    double direct_s;  /* fastest seen with every shape forced direct */
    double tiled_s;   /* fastest seen with every shape forced tiled */
    int direct_after; /* with the tuning, it runs direct (1) or tiled (0) */
} clmlp_opencl_tune_row;

/* What a tuning run found. */
typedef struct {
    char device[256];       /* the backend's description */
    size_t n_shapes;        /* rows[0..n_shapes) */
    size_t shapes_left_out; /* distinct shapes past the maximum */
    clmlp_opencl_tune_row rows[CLMLP_OPENCL_TUNE_MAX_SHAPES];
    size_t direct_candidates, tiled_candidates; /* sets in the two spaces */
    size_t direct_tried, tiled_tried;
    size_t threshold;                   /* XGEMM_MIN_INDIRECT_SIZE chosen */
    double gemm_before_s, gemm_after_s; /* the step's GEMMs, seconds */
    double step_before_s, step_after_s; /* a whole training step, seconds */
    int written;                        /* the tuning beat CLBlast's defaults
                                           by 3% and was written to path */
    int file_existed;                   /* path existed before the run */
    char path[4096];                    /* the device's tuning file */
} clmlp_opencl_tune_result;

/* Searches CLBlast's GEMM parameters (direct and tiled kernels, and the
 * size where one hands over to the other) for the shapes of one training
 * step of model (clmlp_opencl_step_shapes) on the OpenCL device bo chooses
 * (bo->kind DEFAULT or OPENCL; NULL: the default device; bo->opencl's
 * folders are used, its no_tuning is ignored: the search starts from
 * CLBlast's defaults), checking every candidate's results against them.
 * When the best beats the defaults by 3%, it is written to the device's
 * tuning file, which later opens of that device apply; an existing file is
 * otherwise left alone.  CLBlast keeps parameters it was given for the rest
 * of the process, so OpenCL backends opened later in the process compute
 * with what the search tried last.  Fills *out (caller's). */
int clmlp_opencl_tune(const clmlp_model_t *model, const clmlp_backend_opts *bo,
                      const clmlp_opencl_tune_opts *opts, clmlp_opencl_tune_result *out);

#ifdef __cplusplus
}
#endif

#endif
