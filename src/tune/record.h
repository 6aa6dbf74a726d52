/* Running a model's training step to learn what it does: a GEMM observer
 * on the backend (clmlp_be_gemm notes shapes instead of computing), a copy
 * of a model's layers to train without touching the model
 * (clmlp_model_copy_layers), and synthetic data to train it on.  Used by clmlp_opencl_tune and
 * clmlp_opencl_step_shapes (include/clmlp_opencl.h). */
#ifndef CLMLP_RECORD_H
#define CLMLP_RECORD_H

#include "clmlp.h"
#include "clmlp_opencl.h"

/* The loss and optimizer a training step of m uses: m's own when it is
 * compiled, else sparse categorical cross-entropy (one output: binary)
 * and SGD with momentum 0.9 at lr 0.01. */
void clmlp_record_training(const clmlp_model_t *m, clmlp_loss *loss, clmlp_optimizer *opt);

/* rows of synthetic data for m's inputs: pixels k/255 with k uniform in
 * 0..255 and uniform labels of max(2, outputs) classes, from seed. */
int clmlp_record_dataset(const clmlp_model_t *m, size_t rows, uint64_t seed, clmlp_dataset_t **out);

#endif
