/* The library's namespace and its public face.
 *
 * The static archive: every symbol libclmlp defines for others to link
 * against starts with clmlp_, so it cannot collide with a program's own
 * names (internal helpers such as clmlp_be_gemm are prefixed too; the
 * others are static).
 *
 * The shared library: it exports the public API and nothing else -- every
 * dynamic symbol it defines is a function declared in a header in
 * include/, and every function declared there is defined.  The linker version script
 * that makes it so is generated from the headers by
 * cmake/version_script.cmake; the headers are read again here, by other
 * code, so that a mistake in either shows.
 *
 * Both are read with nm. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testing.h"

/* ---- names -------------------------------------------------------------- */

typedef struct {
    char **v;
    size_t n, cap;
} names;

static int names_has(const names *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], name) == 0) return 1;
    return 0;
}

static void names_add(names *s, const char *name, size_t len)
{
    char *copy = malloc(len + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, name, len);
    copy[len] = '\0';
    if (names_has(s, copy)) {
        free(copy);
        return;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        char **v = realloc(s->v, cap * sizeof *v);
        CU_ASSERT_PTR_NOT_NULL_FATAL(v);
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = copy;
}

static void names_free(names *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
}

/* ---- what the headers declare -------------------------------------------- */

static int is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Blanks out comments, string and character literals and preprocessor
 * lines (with their continuations) of a C header, in place, keeping the
 * rest where it was. */
static void blank_non_code(char *t)
{
    int line_start = 1;
    for (char *p = t; *p;) {
        if (p[0] == '/' && p[1] == '*') {
            char *end = strstr(p + 2, "*/");
            char *stop = end ? end + 2 : p + strlen(p);
            while (p < stop) *p++ = ' ';
        } else if (p[0] == '/' && p[1] == '/') {
            while (*p && *p != '\n') *p++ = ' ';
        } else if (*p == '"' || *p == '\'') {
            char q = *p;
            *p++ = ' ';
            while (*p && *p != q && *p != '\n') {
                if (*p == '\\' && p[1]) *p++ = ' ';
                *p++ = ' ';
            }
            if (*p == q) *p++ = ' ';
        } else if (line_start && *p == '#') {
            /* Up to a line end not escaped by a backslash (looked at
             * before it is blanked). */
            char prev = '\0';
            while (*p && !(*p == '\n' && prev != '\\')) {
                prev = *p;
                *p++ = ' ';
            }
        } else {
            if (*p == '\n')
                line_start = 1;
            else if (*p != ' ' && *p != '\t')
                line_start = 0;
            p++;
        }
    }
}

/* Adds every clmlp_NAME followed by "(" in the header at path to out: a
 * function's declaration (a callback type reads "(*clmlp_cb)(", with ")"
 * after the name). */
static void read_declarations(const char *path, names *out)
{
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    CU_ASSERT_FATAL(size >= 0);
    char *text = malloc((size_t)size + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL_FATAL(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);

    blank_non_code(text);
    for (char *p = text; (p = strstr(p, "clmlp_")) != NULL;) {
        if (p > text && is_ident(p[-1])) {
            p += 6;
            continue;
        }
        char *end = p;
        while (is_ident(*end)) end++;
        char *after = end;
        while (*after == ' ' || *after == '\t' || *after == '\n' || *after == '\r') after++;
        if (*after == '(') names_add(out, p, (size_t)(end - p));
        p = end;
    }
    free(text);
}

/* Every function declared in the headers in include/, in *out. */
static void public_functions(names *out)
{
    const char *dir = CLMLP_SOURCE_DIR "/include";
    DIR *d = opendir(dir);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    size_t headers = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 3 || strcmp(e->d_name + len - 2, ".h") != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        read_declarations(path, out);
        headers++;
    }
    closedir(d);
    CU_ASSERT(headers >= 2); /* clmlp.h and clmlp_layer.h at least */
}

/* ---- the tests ------------------------------------------------------------- */

static void test_prefix(void)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "nm -g --defined-only '%s' 2>&1", CLMLP_LIBRARY);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    char line[1024];
    size_t defined = 0, bad = 0;
    while (fgets(line, sizeof line, p)) {
        /* "0000000000000000 T name" -- object headers and blank lines have
         * fewer fields. */
        char addr[64], type[8], name[512];
        if (sscanf(line, "%63s %7s %511s", addr, type, name) != 3) continue;
        defined++;
        /* AddressSanitizer adds "__odr_asan.NAME" beside each global NAME:
         * NAME is the one that counts. */
        const char *own = name;
        if (strncmp(own, "__odr_asan.", 11) == 0) own += 11;
        if (strncmp(own, "clmlp_", 6) != 0) {
            if (bad++ < 20) fprintf(stderr, "\n  not prefixed: %s %s", type, name);
        }
    }
    int status = pclose(p);
    CU_ASSERT_EQUAL(status, 0);
    printf("[%zu defined symbols, %zu without the prefix] ", defined, bad);
    CU_ASSERT(defined > 100); /* the public API alone has more */
    CU_ASSERT_EQUAL(bad, 0);
}

/* The dynamic symbols the shared library defines, into *out; their types
 * must be those of functions. */
static void shared_exports(names *out)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "nm -D --defined-only '%s' 2>&1", CLMLP_SHARED_LIBRARY);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    char line[1024];
    while (fgets(line, sizeof line, p)) {
        char addr[64], type[8], name[512];
        if (sscanf(line, "%63s %7s %511s", addr, type, name) != 3) {
            if (line[0] != '\n') fprintf(stderr, "\n  nm: %s", line);
            continue;
        }
        /* A version node would read name@@NODE. */
        name[strcspn(name, "@")] = '\0';
        if (strcmp(type, "T") != 0)
            fprintf(stderr, "\n  exported, but not as a function: %s %s", type, name);
        CU_ASSERT_STRING_EQUAL(type, "T");
        names_add(out, name, strlen(name));
    }
    CU_ASSERT_EQUAL(pclose(p), 0);
}

static void test_shared_exports(void)
{
    names declared = {0}, exported = {0};
    public_functions(&declared);
    shared_exports(&exported);
    printf("[%zu functions declared in include/*.h, %zu symbols exported] ", declared.n,
           exported.n);
    CU_ASSERT(declared.n > 50);

    size_t undeclared = 0, missing = 0;
    for (size_t i = 0; i < exported.n; i++) {
        if (!names_has(&declared, exported.v[i])) {
            fprintf(stderr, "\n  exported but not in include/*.h: %s", exported.v[i]);
            undeclared++;
        }
    }
    for (size_t i = 0; i < declared.n; i++) {
        if (!names_has(&exported, declared.v[i])) {
            fprintf(stderr, "\n  declared in include/*.h but not defined: %s", declared.v[i]);
            missing++;
        }
    }
    CU_ASSERT_EQUAL(undeclared, 0);
    CU_ASSERT_EQUAL(missing, 0);
    names_free(&declared);
    names_free(&exported);
}

int main(void)
{
    static const test_case cases[] = {
        {"every symbol the archive exports starts with clmlp_", test_prefix},
        {"the shared library exports exactly the functions include/*.h declares",
         test_shared_exports},
        {NULL, NULL}};
    test_add_suite("symbols", cases);
    return test_run_all();
}
