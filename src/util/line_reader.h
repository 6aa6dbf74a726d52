/* Reading text files line by line with a cap on a line's length, so a file
 * with no line ending (a 2 GB blob, /dev/zero) costs an error message after
 * at most the cap, not all of memory.  The CSV, weight text and features
 * readers share it. */
#ifndef CLMLP_LINE_READER_H
#define CLMLP_LINE_READER_H

#include <stddef.h>
#include <stdio.h>

/* The longest line the CSV readers take (data and features files): 16 MiB,
 * room for rows of about a million numbers. */
#define CLMLP_CSV_MAX_LINE ((size_t)16 << 20)
/* The longest line of a hand-written weight file: 1 MiB, room for a weight
 * row of some 80 000 numbers. */
#define CLMLP_WEIGHTS_MAX_LINE ((size_t)1 << 20)

typedef struct {
    FILE *f;          /* not owned */
    const char *path; /* for messages, not owned */
    size_t max_len;   /* the longest line accepted, without its '\n' */
    char *line;       /* the current line, NUL-terminated, without its '\n' */
    size_t len;       /* its length */
    size_t lineno;    /* its 1-based number */
    size_t line_cap;
    unsigned char *block; /* bytes read from f and not yet handed out */
    size_t pos, end;
    int at_eof;
    int started; /* the first block has been read */
} clmlp_line_reader;

/* Starts reading the open file f (named path in messages) with lines of at
 * most max_len bytes. */
void clmlp_line_reader_init(clmlp_line_reader *r, FILE *f, const char *path, size_t max_len);

/* Reads the next line into r->line (r->len bytes; a '\r' before the '\n'
 * is kept, the '\n' is not); the last line needs no '\n'.  A UTF-8 byte
 * order mark at the start of the file is dropped, so line 1 starts at its
 * first character after it.  A '\r' inside
 * a line (a file whose lines end with CR alone) is CLMLP_E_FORMAT saying so.  Returns 1 for a
 * line, 0 at the end of the file, or a negative status naming path:line:
 * CLMLP_E_FORMAT for a line longer than max_len or holding a NUL byte
 * (found as soon as the bytes are read, so memory stays under max_len
 * plus one block), CLMLP_E_IO for a read error, CLMLP_E_NOMEM. */
int clmlp_line_next(clmlp_line_reader *r);

/* Frees the reader's buffers (not the file). */
void clmlp_line_reader_free(clmlp_line_reader *r);

#endif
