/* clmlp_history_read: what clmlp_history_write wrote comes back to the bit
 * (CSV and JSON), Keras's CSVLogger files and json.dump(history.history)
 * are read by column name, and every malformed file is refused with
 * CLMLP_E_FORMAT naming the file and the line at fault (an unreadable one
 * with CLMLP_E_IO naming the path). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testing.h"

/* Whether a and b are the same double to the bit, or both NaN (NaN is how
 * a missing value comes back; its payload is not part of the format). */
static int same(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

/* A history of n epochs with awkward values: thirds (no short decimal
 * form), a tiny and a huge value, and NaN where validation is missing. */
static clmlp_history_t *made_history(size_t n)
{
    clmlp_history_t *h = calloc(1, sizeof *h);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    h->epochs = calloc(n, sizeof *h->epochs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h->epochs);
    h->n = n;
    for (size_t i = 0; i < n; i++) {
        clmlp_epoch_stats *s = &h->epochs[i];
        s->epoch = i + 1;
        s->loss = 1.0 / (3.0 * (double)(i + 1));
        s->accuracy = 1.0 - s->loss / 7.0;
        s->val_loss = i == 1 ? NAN : s->loss * 1.1 + 1e-300;
        s->val_accuracy = i == 1 ? NAN : 0.1 * (double)i;
        s->seconds = 1e300 / (double)(i + 1);
        s->lr = 0.01 * pow(0.5, (double)i);
    }
    return h;
}

/* Asserts that every field the files hold came back to the bit. */
static void assert_same_history(const clmlp_history_t *got, const clmlp_history_t *want)
{
    CU_ASSERT_EQUAL_FATAL(got->n, want->n);
    for (size_t i = 0; i < want->n; i++) {
        const clmlp_epoch_stats *g = &got->epochs[i], *w = &want->epochs[i];
        CU_ASSERT_EQUAL(g->epoch, w->epoch);
        CU_ASSERT(same(g->loss, w->loss));
        CU_ASSERT(same(g->accuracy, w->accuracy));
        CU_ASSERT(same(g->val_loss, w->val_loss));
        CU_ASSERT(same(g->val_accuracy, w->val_accuracy));
        CU_ASSERT(same(g->seconds, w->seconds));
        CU_ASSERT(same(g->lr, w->lr));
    }
}

/* Writes h to name (CSV or JSON by the name), reads it back, compares. */
static void round_trip(const char *name)
{
    clmlp_history_t *h = made_history(5), *back = NULL;
    const char *path = test_temp_path(name);
    TEST_OK(clmlp_history_write(h, path));
    TEST_OK(clmlp_history_read(&back, path));
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    assert_same_history(back, h);
    CU_ASSERT(isnan(back->best_value));
    CU_ASSERT_EQUAL(back->best_epoch, 0);
    clmlp_history_free(back);
    clmlp_history_free(h);
}

static void test_round_trip_csv(void) { round_trip("rt.csv"); }
static void test_round_trip_json(void) { round_trip("rt.json"); }

/* The format is told by the contents: JSON under a .csv name is JSON. */
static void test_format_by_contents(void)
{
    clmlp_history_t *h = made_history(3), *back = NULL;
    TEST_OK(clmlp_history_write(h, test_temp_path("by-contents.json")));
    FILE *in = fopen(test_temp_path("by-contents.json"), "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, in);
    fclose(in);
    buf[n] = '\0';
    TEST_OK(clmlp_history_read(&back, test_write_temp_text("json-named.csv", buf)));
    assert_same_history(back, h);
    clmlp_history_free(back);
    clmlp_history_free(h);
}

/* Keras's CSVLogger: columns sorted by name (accuracy before loss), epochs
 * from 0, an unknown metric column, "NA" and an empty cell as missing,
 * CRLF line ends and a byte order mark. */
static void test_keras_csv(void)
{
    const char *path = test_write_temp_text(
        "keras.csv", "\xef\xbb\xbf"
                     "epoch,accuracy,auc,learning_rate,loss,val_accuracy,val_loss\r\n"
                     "0,0.5,0.7,0.001,0.69,0.55,0.68\r\n"
                     "1,0.75,0.8,0.001,0.5,NA,\r\n"
                     "2,0.875,\"[0.9]\",0.0005,0.25,0.8,0.3\r\n");
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_history_read(&h, path));
    CU_ASSERT_EQUAL_FATAL(h->n, 3);
    CU_ASSERT_EQUAL(h->epochs[0].epoch, 0);
    CU_ASSERT_EQUAL(h->epochs[2].epoch, 2);
    CU_ASSERT(same(h->epochs[0].loss, 0.69));
    CU_ASSERT(same(h->epochs[1].accuracy, 0.75));
    CU_ASSERT(same(h->epochs[2].val_loss, 0.3));
    CU_ASSERT(same(h->epochs[2].val_accuracy, 0.8));
    CU_ASSERT(same(h->epochs[2].lr, 0.0005));
    CU_ASSERT(isnan(h->epochs[1].val_loss));
    CU_ASSERT(isnan(h->epochs[1].val_accuracy));
    CU_ASSERT(isnan(h->epochs[0].seconds));
    clmlp_history_free(h);

    /* Old Keras names (acc, val_acc), no epoch column: epochs 1..n. */
    path = test_write_temp_text("keras-old.csv", "loss,acc,val_loss,val_acc\n0.9,0.4,1,0.3\n"
                                                 "0.7,0.6,0.8,0.5\n\n");
    TEST_OK(clmlp_history_read(&h, path));
    CU_ASSERT_EQUAL_FATAL(h->n, 2);
    CU_ASSERT_EQUAL(h->epochs[0].epoch, 1);
    CU_ASSERT_EQUAL(h->epochs[1].epoch, 2);
    CU_ASSERT(same(h->epochs[1].accuracy, 0.6));
    CU_ASSERT(same(h->epochs[1].val_accuracy, 0.5));
    clmlp_history_free(h);
}

/* json.dump(history.history): lists per metric, epochs 1..n; NaN (Python
 * writes it for a diverged loss) and null are missing values. */
static void test_keras_json(void)
{
    const char *path = test_write_temp_text(
        "keras.json", "{\"loss\": [0.8, 0.4, NaN], \"accuracy\": [0.5, 0.7, 0.9],\n"
                      " \"val_loss\": [0.9, 0.5, 0.45], \"val_accuracy\": [0.4, null, 0.85],\n"
                      " \"lr\": [0.01, 0.01, 0.005], \"precision\": [1, 2, {\"x\": [true]}]}\n");
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_history_read(&h, path));
    CU_ASSERT_EQUAL_FATAL(h->n, 3);
    for (size_t i = 0; i < 3; i++) CU_ASSERT_EQUAL(h->epochs[i].epoch, i + 1);
    CU_ASSERT(same(h->epochs[0].loss, 0.8));
    CU_ASSERT(isnan(h->epochs[2].loss));
    CU_ASSERT(same(h->epochs[2].accuracy, 0.9));
    CU_ASSERT(same(h->epochs[1].val_loss, 0.5));
    CU_ASSERT(isnan(h->epochs[1].val_accuracy));
    CU_ASSERT(same(h->epochs[2].lr, 0.005));
    CU_ASSERT(isnan(h->epochs[0].seconds));
    clmlp_history_free(h);

    /* Loss alone, on one line as json.dump writes it. */
    path = test_write_temp_text("keras-loss.json", "{\"loss\": [2.5, 1.25]}");
    TEST_OK(clmlp_history_read(&h, path));
    CU_ASSERT_EQUAL_FATAL(h->n, 2);
    CU_ASSERT(same(h->epochs[1].loss, 1.25));
    CU_ASSERT(isnan(h->epochs[1].accuracy));
    clmlp_history_free(h);

    /* A byte order mark before the brace (and blanks) is no part of it. */
    path = test_write_temp_text("bom.json", "\xef\xbb\xbf  {\"loss\": [3, 1.5]}\n");
    TEST_OK(clmlp_history_read(&h, path));
    CU_ASSERT_EQUAL_FATAL(h->n, 2);
    CU_ASSERT(same(h->epochs[1].loss, 1.5));
    clmlp_history_free(h);
}

/* Expects reading text (written to name) to fail with CLMLP_E_FORMAT and a
 * message starting "PATH:LINE:" and holding what. */
static void expect_format(const char *name, const char *text, size_t line, const char *what)
{
    const char *path = test_write_temp_text(name, text);
    clmlp_history_t *h = (clmlp_history_t *)&h; /* must be reset to NULL */
    int rc = clmlp_history_read(&h, path);
    char want[4200];
    snprintf(want, sizeof want, "%s:%zu: ", path, line);
    const char *msg = clmlp_last_error();
    if (rc != CLMLP_E_FORMAT || strncmp(msg, want, strlen(want)) != 0 || !strstr(msg, what))
        fprintf(stderr, "\n%s: rc %d, message '%s', wanted '%s...%s'\n", name, rc, msg, want, what);
    CU_ASSERT_EQUAL(rc, CLMLP_E_FORMAT);
    CU_ASSERT_PTR_NULL(h);
    CU_ASSERT(strncmp(msg, want, strlen(want)) == 0);
    CU_ASSERT(strstr(msg, what) != NULL);
}

static void test_malformed_csv(void)
{
    expect_format("empty.csv", "", 1, "empty");
    expect_format("blank.csv", "\n  \n", 2, "empty");
    expect_format("no-loss.csv", "epoch,accuracy\n1,0.5\n", 1, "no loss column");
    expect_format("no-rows.csv", "epoch,loss\n", 1, "no epochs");
    expect_format("not-number.csv", "epoch,loss\n1,0.5\n2,abc\n", 3, "'abc' is not a number");
    expect_format("hex.csv", "epoch,loss\n1,0x1p3\n", 2, "not a number");
    expect_format("short-row.csv", "epoch,loss,accuracy\n1,0.5,0.1\n2,0.4\n", 3,
                  "the row has 2 cells but the header (line 1) has 3");
    expect_format("long-row.csv", "epoch,loss\n1,0.5\n\n2,0.4,9\n", 4, "has 3 cells");
    expect_format("overflow.csv", "epoch,loss\n1,1e999\n", 2, "out of range");
    expect_format("epoch-frac.csv", "epoch,loss\n1.5,0.5\n", 2, "not a whole number");
    expect_format("epoch-neg.csv", "epoch,loss\n-1,0.5\n", 2, "not a whole number");
    expect_format("epoch-empty.csv", "epoch,loss\n1,0.5\n,0.4\n", 3, "epoch number is missing");
    expect_format("epoch-back.csv", "epoch,loss\n1,0.5\n2,0.4\n2,0.3\n", 4, "must increase");
    expect_format("open-quote.csv", "epoch,loss\n1,\"0.5\n", 2, "not closed");
    expect_format("after-quote.csv", "epoch,loss\n1,\"0.5\"x\n", 2, "after a closing quote");
    /* A NUL byte (not a text file): the line reader's check, with its line. */
    const char nul[] = "epoch,loss\n1,0.5\n2,0\0.4\n";
    const char *path = test_write_temp("nul.csv", nul, sizeof nul - 1);
    clmlp_history_t *h = NULL;
    CU_ASSERT_EQUAL(clmlp_history_read(&h, path), CLMLP_E_FORMAT);
    char want[4200];
    snprintf(want, sizeof want, "%s:3: ", path);
    CU_ASSERT(strncmp(clmlp_last_error(), want, strlen(want)) == 0);
    CU_ASSERT_PTR_NULL(h);
}

static void test_malformed_json(void)
{
    expect_format("syntax.json",
                  "{\"epochs\": [\n  {\"epoch\": 1, \"loss\": 0.5},\n"
                  "  {\"epoch\": 2 \"loss\": 0.4}\n]}\n",
                  3, "bad JSON");
    expect_format("unclosed.json", "{\"loss\": [1, 2,\n3\n", 2, "bad JSON");
    expect_format("string-line.json", "{\"loss\n\": [1]}", 1, "not closed on its line");
    expect_format("trailing.json", "{\"loss\": [1]}\n\nx\n", 3, "text after the closing");
    expect_format("not-number.json", "{\"loss\": [1,\n \"a\"]}", 2, "not a number or null");
    expect_format("bare-word.json", "{\"loss\": [1, nope]}", 1, "bad JSON");
    expect_format("plus.json", "{\"loss\": [+1]}", 1, "bad JSON");
    expect_format("no-loss.json", "{\"accuracy\": [0.5]\n}\n", 2, "no \"loss\" list");
    expect_format("empty-loss.json", "{\n\"loss\": []}", 2, "no epochs");
    expect_format("lengths.json", "{\"loss\": [1, 2],\n \"val_loss\": [1]}", 2,
                  "\"val_loss\" has 1 values but \"loss\" has 2");
    expect_format("no-epochs.json", "{\"epochs\": [\n]}", 1, "no epochs");
    expect_format("epoch-no-loss.json",
                  "{\"epochs\": [\n {\"epoch\": 1, \"loss\": 1},\n"
                  " {\"epoch\": 2}\n]}",
                  3, "without \"loss\"");
    expect_format("epoch-object.json", "{\"epochs\": [1, 2]}", 1, "expected an epoch object");
    expect_format("loss-object.json", "{\"epochs\": [{\"loss\": {}}]}", 1, "bad JSON");
    expect_format("epoch-back.json",
                  "{\"epochs\": [{\"epoch\": 3, \"loss\": 1},\n"
                  "{\"epoch\": 3, \"loss\": 1}]}",
                  2, "must increase");
    expect_format("both.json", "{\"epochs\": [{\"loss\": 1}],\n \"loss\": [1]}", 1,
                  "both an \"epochs\" list");
    /* Deep nesting is refused at 64 levels, not followed down the stack. */
    char deep[400];
    size_t n = 0;
    n += (size_t)snprintf(deep, sizeof deep, "{\"x\": ");
    for (int i = 0; i < 100; i++) deep[n++] = '[';
    deep[n] = '\0';
    expect_format("deep.json", deep, 1, "nested more than 64 deep");
}

static void test_missing_file(void)
{
    clmlp_history_t *h = NULL;
    const char *path = test_temp_path("no-such-history.csv");
    CU_ASSERT_EQUAL(clmlp_history_read(&h, path), CLMLP_E_IO);
    CU_ASSERT_PTR_NULL(h);
    CU_ASSERT(strstr(clmlp_last_error(), path) != NULL);
    /* A directory opens but cannot be read. */
    CU_ASSERT_EQUAL(clmlp_history_read(&h, test_temp_dir("hist")), CLMLP_E_IO);
    CU_ASSERT_PTR_NULL(h);
    CU_ASSERT_EQUAL(clmlp_history_read(NULL, path), CLMLP_E_INVALID);
}

/* A byte order mark opens the file, not its first non-blank line: a mark
 * alone on line 1 leaves a blank line (the header is on line 2), a file
 * of the mark alone is empty, and a mark after line 1 is text. */
static void test_byte_order_mark(void)
{
    const char *path =
        test_write_temp_text("bom-blank.csv", "\xef\xbb\xbf\nepoch,loss\n1,0.5\n2,0.25\n");
    clmlp_history_t *h = NULL;
    TEST_OK(clmlp_history_read(&h, path));
    CU_ASSERT_EQUAL_FATAL(h->n, 2);
    CU_ASSERT_EQUAL(h->epochs[1].epoch, 2);
    CU_ASSERT(same(h->epochs[1].loss, 0.25));
    clmlp_history_free(h);
    expect_format("bom-only.csv", "\xef\xbb\xbf", 1, "empty");
    expect_format("bom-late.csv",
                  "\n\xef\xbb\xbf"
                  "loss\n0.5\n",
                  2, "no loss column");
}

int main(void)
{
    if (!test_temp_dir("hist")) return 1;
    static const test_case cases[] = {
        {"CSV round trip to the bit", test_round_trip_csv},
        {"JSON round trip to the bit", test_round_trip_json},
        {"the format is told by the contents", test_format_by_contents},
        {"Keras CSVLogger files", test_keras_csv},
        {"Keras history JSON", test_keras_json},
        {"malformed CSV: FORMAT with file:line", test_malformed_csv},
        {"malformed JSON: FORMAT with file:line", test_malformed_json},
        {"missing file: IO naming it", test_missing_file},
        {"a byte order mark opens the file only", test_byte_order_mark},
        {NULL, NULL},
    };
    int rc = test_add_suite("history reader", cases) == 0 ? test_run_all() : 1;
    test_remove_temp_dir();
    return rc;
}
