/* Inputs without labels: a CSV file of numbers only (predict --no-labels,
 * forward --input-file) and a comma-separated list on the command line
 * (forward --input). */
#ifndef CLMLP_CLI_FEATURES_H
#define CLMLP_CLI_FEATURES_H

#include <stddef.h>

#include "clmlp.h"

/* Reads a CSV file whose every column is an input into a new dataset
 * without labels (owned by the caller).  A first line that is not all
 * numbers is taken as a header and skipped; blank lines are skipped.
 * Malformed cells and ragged rows are CLMLP_E_FORMAT with the file, line
 * and column in the message. */
int cli_read_features_csv(clmlp_dataset_t **out, const char *path);

/* Parses "1,-4,0,7" into a new one-row dataset without labels (owned by
 * the caller); CLMLP_E_FORMAT naming the bad item. */
int cli_parse_features(clmlp_dataset_t **out, const char *list);

#endif
