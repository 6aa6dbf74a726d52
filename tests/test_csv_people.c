/* CSV files as people have them (the library side): class labels that are
 * names, mapped in byte order so that two files agree whatever their row
 * order; tab and semicolon files found on their first line or named;
 * quoted cells; a label column that mixes numbers and names; hints when
 * the label is elsewhere; 0-based columns in every message; the label
 * column by its header (a word, never a number); a header of numbered
 * columns before name labels; names mapped through given ones (a
 * model's).  And the names travel: fit gives them to the model, model
 * files keep them (version 3), and files of versions 1 and 2 still load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testing.h"

static clmlp_backend_t *ref;

/* Whether the last message holds s; prints it when not. */
static int error_has(const char *s) { return test_output_has(clmlp_last_error(), s); }

/* Reads text (written to the scratch file name) with opts; the status. */
static int read_text(const char *name, const char *text, const clmlp_csv_opts *o,
                     clmlp_dataset_t **ds)
{
    return clmlp_dataset_read_csv_opts(ds, test_write_temp_text(name, text), o);
}

/* Reads text with the defaults and asserts that it loads. */
static clmlp_dataset_t *read_ok(const char *name, const char *text)
{
    clmlp_csv_opts o = clmlp_csv_opts_default();
    clmlp_dataset_t *ds = NULL;
    TEST_OK(read_text(name, text, &o, &ds));
    return ds;
}

/* The class name of row r. */
static const char *row_name(const clmlp_dataset_t *ds, size_t r)
{
    return ds->class_names[ds->labels[r]];
}

/* ---- labels --------------------------------------------------------------- */

/* Names become classes in byte order (strcmp), whatever the row order:
 * a training and a test file with rows shuffled give every name the same
 * class, and the floats beside them stay in their rows. */
static void test_name_labels_sorted(void)
{
    clmlp_dataset_t *a = read_ok("a.csv", "x,y,species\n"
                                          "1,2,virginica\n"
                                          "3,4,setosa\n"
                                          "5,6,versicolor\n"
                                          "7,8,setosa\n");
    clmlp_dataset_t *b = read_ok("b.csv", "x,y,species\n"
                                          "9,9,versicolor\n"
                                          "8,8,setosa\n"
                                          "7,7,virginica\n");
    static const char *const want[3] = {"setosa", "versicolor", "virginica"};
    clmlp_dataset_t *sets[2] = {a, b};
    for (int s = 0; s < 2; s++) {
        CU_ASSERT_EQUAL_FATAL(sets[s]->n_classes, 3);
        CU_ASSERT_PTR_NOT_NULL_FATAL(sets[s]->class_names);
        for (int k = 0; k < 3; k++) CU_ASSERT_STRING_EQUAL(sets[s]->class_names[k], want[k]);
    }
    CU_ASSERT_EQUAL(a->n, 4);
    CU_ASSERT_EQUAL(a->n_features, 2);
    CU_ASSERT_STRING_EQUAL(row_name(a, 0), "virginica");
    CU_ASSERT_EQUAL(a->labels[0], 2);
    CU_ASSERT_EQUAL(a->labels[1], 0);
    CU_ASSERT_EQUAL(a->labels[2], 1);
    CU_ASSERT_EQUAL(a->labels[3], 0);
    CU_ASSERT_EQUAL(a->targets[2], 1.0f);
    CU_ASSERT_EQUAL(a->x[2], 3.0f);
    CU_ASSERT_EQUAL(b->labels[0], 1);
    CU_ASSERT_EQUAL(b->labels[2], 2);
    /* Byte order: upper case before lower, as strcmp has it. */
    clmlp_dataset_t *c = read_ok("c.csv", "1,b\n2,B\n3,a\n");
    CU_ASSERT_STRING_EQUAL(c->class_names[0], "B");
    CU_ASSERT_STRING_EQUAL(c->class_names[1], "a");
    CU_ASSERT_STRING_EQUAL(c->class_names[2], "b");
    /* Splitting keeps the names on both sides. */
    clmlp_dataset_t *val = NULL;
    TEST_OK(clmlp_dataset_split(a, 0.5, &val));
    CU_ASSERT_PTR_NOT_NULL_FATAL(val->class_names);
    CU_ASSERT_STRING_EQUAL(val->class_names[2], "virginica");
    CU_ASSERT_STRING_EQUAL(row_name(val, 0), "versicolor");
    clmlp_dataset_free(val);
    clmlp_dataset_free(a);
    clmlp_dataset_free(b);
    clmlp_dataset_free(c);
}

/* A label column of numbers keeps their meaning and has no names. */
static void test_number_labels_keep_meaning(void)
{
    clmlp_dataset_t *ds = read_ok("n.csv", "a,b,label\n1,2,3\n3,4,0\n");
    CU_ASSERT_PTR_NULL(ds->class_names);
    CU_ASSERT_EQUAL(ds->n_classes, 4);
    CU_ASSERT_EQUAL(ds->labels[0], 3);
    clmlp_dataset_free(ds);
    /* A first line whose only word is the label's is a header. */
    ds = read_ok("n2.csv", "1,2,label\n1,2,1\n3,4,0\n");
    CU_ASSERT_EQUAL(ds->n, 2);
    CU_ASSERT_PTR_NULL(ds->class_names);
    clmlp_dataset_free(ds);
}

/* A first line of numbered columns ("400,500,species") whose label cell
 * is a word as headers name the label, before rows labelled by name: the
 * header, not a row of class "species" -- also through given names, where
 * the word is no class.  Such a word that recurs as a label ("y" of y/n
 * rows), or a word headers do not use ("kind"), stays a row's label. */
static void test_numbered_header_names(void)
{
    const char *text = "400,500,species\n5.0,3.4,setosa\n6.6,3.0,virginica\n5.1,3.3,setosa\n";
    clmlp_dataset_t *ds = read_ok("numhead.csv", text);
    CU_ASSERT_EQUAL(ds->n, 3);
    CU_ASSERT_EQUAL_FATAL(ds->n_classes, 2);
    CU_ASSERT_STRING_EQUAL(ds->class_names[0], "setosa");
    CU_ASSERT_STRING_EQUAL(ds->class_names[1], "virginica");
    CU_ASSERT_EQUAL(ds->labels[1], 1);
    CU_ASSERT_EQUAL(ds->x[0], 5.0f);
    clmlp_dataset_free(ds);
    static const char *const names[3] = {"virginica", "setosa", "versicolor"};
    clmlp_csv_opts o = clmlp_csv_opts_default();
    o.class_names = names;
    o.n_class_names = 3;
    ds = NULL;
    TEST_OK(read_text("numhead-given.csv", text, &o, &ds));
    CU_ASSERT_EQUAL(ds->n, 3);
    CU_ASSERT_EQUAL(ds->labels[0], 1);
    clmlp_dataset_free(ds);
    ds = read_ok("yn.csv", "0.1,0.2,y\n0.3,0.4,n\n0.5,0.6,y\n");
    CU_ASSERT_EQUAL(ds->n, 3);
    CU_ASSERT_STRING_EQUAL(row_name(ds, 0), "y");
    clmlp_dataset_free(ds);
    ds = read_ok("kind.csv", "400,500,kind\n5.0,3.4,setosa\n");
    CU_ASSERT_EQUAL(ds->n, 2);
    CU_ASSERT_EQUAL(ds->n_classes, 2);
    clmlp_dataset_free(ds);
}

/* Names mapped through given ones (a model's): their order, not the
 * file's; a name not among them is an error naming it and its line. */
static void test_given_class_names(void)
{
    static const char *const names[3] = {"virginica", "setosa", "versicolor"};
    clmlp_csv_opts o = clmlp_csv_opts_default();
    o.class_names = names;
    o.n_class_names = 3;
    clmlp_dataset_t *ds = NULL;
    TEST_OK(read_text("g.csv", "x,y,species\n1,2,setosa\n3,4,setosa\n", &o, &ds));
    CU_ASSERT_EQUAL(ds->n_classes, 3);
    CU_ASSERT_EQUAL(ds->labels[0], 1);
    CU_ASSERT_STRING_EQUAL(ds->class_names[0], "virginica");
    clmlp_dataset_free(ds);
    ds = (clmlp_dataset_t *)&ds;
    CU_ASSERT_EQUAL(read_text("u.csv", "x,y,species\n1,2,setosa\n\n3,4,virginia\n", &o, &ds),
                    CLMLP_E_FORMAT);
    CU_ASSERT_PTR_NULL(ds);
    CU_ASSERT(error_has("u.csv:4:"));
    CU_ASSERT(error_has("unknown class \"virginia\""));
    CU_ASSERT(error_has("virginica, setosa, versicolor"));
    /* A number that is not one of the names is refused as a number (never
     * a class index), naming the classes, and counted from 0. */
    ds = (clmlp_dataset_t *)&ds;
    CU_ASSERT_EQUAL(read_text("n.csv", "x,y,species\n1,2,setosa\n3,4,1\n", &o, &ds),
                    CLMLP_E_FORMAT);
    CU_ASSERT_PTR_NULL(ds);
    CU_ASSERT(error_has("n.csv:3: column 2 (0-based"));
    CU_ASSERT(error_has("\"1\" is a number, but the model's classes are names "
                        "(virginica, setosa, versicolor)"));
    /* Names that read as numbers ("nan", "inf", "2") are names like any
     * other: looked up, not refused as not finite or as numbers. */
    static const char *const odd[3] = {"inf", "nan", "2"};
    o.class_names = odd;
    ds = NULL;
    TEST_OK(read_text("odd.csv", "x,y,c\n1,2,nan\n3,4,inf\n5,6,2\n", &o, &ds));
    CU_ASSERT_EQUAL_FATAL(ds->n, 3);
    CU_ASSERT_EQUAL(ds->labels[0], 1);
    CU_ASSERT_EQUAL(ds->labels[1], 0);
    CU_ASSERT_EQUAL(ds->labels[2], 2);
    clmlp_dataset_free(ds);
    ds = (clmlp_dataset_t *)&ds;
    CU_ASSERT_EQUAL(read_text("odd-bad.csv", "x,y,c\n1,2,nan\n3,4,-inf\n", &o, &ds),
                    CLMLP_E_FORMAT);
    CU_ASSERT_PTR_NULL(ds);
    CU_ASSERT(error_has("odd-bad.csv:3:"));
    CU_ASSERT(error_has("\"-inf\" is a number, but the model's classes are names (inf, nan, 2)"));
}

/* A label column of numbers and names is an error naming both lines. */
static void test_mixed_labels(void)
{
    clmlp_csv_opts o = clmlp_csv_opts_default();
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_EQUAL(read_text("mix.csv", "a,b,c\n1,2,cat\n# note\n1,2,dog\n3,4,1\n", &o, &ds),
                    CLMLP_E_FORMAT);
    CU_ASSERT(error_has("mix.csv:5:"));
    CU_ASSERT(error_has("\"1\" is a number"));
    CU_ASSERT(error_has("line 2's label \"cat\""));
    CU_ASSERT(error_has("not both"));
    CU_ASSERT_EQUAL(read_text("mix2.csv", "1,2,0\n1,2,dog\n", &o, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("mix2.csv:2:"));
    CU_ASSERT(error_has("\"dog\" is a name"));
}

/* ---- delimiters and quotes ------------------------------------------------ */

/* Tabs and semicolons are found on the first line; the delimiter may be
 * named; a file read with the wrong one says which it used. */
static void test_delimiters(void)
{
    clmlp_dataset_t *ds =
        read_ok("t.tsv", "x\ty\tspecies\n1.5\t2\tsetosa\n\t\n3\t4.25\tversicolor\n");
    CU_ASSERT_EQUAL(ds->n, 2);
    CU_ASSERT_EQUAL(ds->n_features, 2);
    CU_ASSERT_EQUAL(ds->x[3], 4.25f);
    clmlp_dataset_free(ds);
    ds = read_ok("s.csv", "x;y;label\n1.5;2;0\n3;4;1\n");
    CU_ASSERT_EQUAL(ds->n_features, 2);
    CU_ASSERT_EQUAL(ds->x[0], 1.5f);
    clmlp_dataset_free(ds);

    clmlp_csv_opts o = clmlp_csv_opts_default();
    o.delimiter = ';';
    ds = NULL;
    /* Commas inside a semicolon file's cells: named, they are no
     * separators (and here they are in quoted names). */
    TEST_OK(read_text("named.csv", "1;\"a, b\"\n2;c\n", &o, &ds));
    CU_ASSERT_EQUAL(ds->n_features, 1);
    CU_ASSERT_STRING_EQUAL(ds->class_names[0], "a, b");
    clmlp_dataset_free(ds);
    o.delimiter = ',';
    CU_ASSERT_EQUAL(read_text("wrong.tsv", "1\t2\t0\n", &o, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("only one column"));
    CU_ASSERT(error_has("comma"));
    /* Nothing to split at: the message names --delimiter. */
    o.delimiter = 0;
    CU_ASSERT_EQUAL(read_text("one.csv", "1 2 0\n", &o, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("--delimiter"));
    o.delimiter = '|';
    CU_ASSERT_EQUAL(read_text("bar.csv", "1|0\n", &o, &ds), CLMLP_E_INVALID);
    /* A decimal comma in a semicolon file: the hint says so. */
    o.delimiter = 0;
    CU_ASSERT_EQUAL(read_text("dec.csv", "a;b;c\n5,1;3,5;0\n", &o, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("decimal comma"));
}

/* Quoted cells: delimiters and "" inside, numbers quoted, a header quoted;
 * an unclosed quote and text after one are errors naming the column. */
static void test_quoted_cells(void)
{
    clmlp_dataset_t *ds = read_ok("q.csv", "\"x\",\"y, mm\",\"kind\"\n"
                                           "\"1.5\", 2 ,\"say \"\"hi\"\"\"\n"
                                           "3,\"4\",plain\n");
    CU_ASSERT_EQUAL(ds->n, 2);
    CU_ASSERT_EQUAL(ds->x[0], 1.5f);
    CU_ASSERT_EQUAL(ds->x[3], 4.0f);
    CU_ASSERT_STRING_EQUAL(ds->class_names[0], "plain");
    CU_ASSERT_STRING_EQUAL(ds->class_names[1], "say \"hi\"");
    clmlp_dataset_free(ds);
    clmlp_csv_opts o = clmlp_csv_opts_default();
    CU_ASSERT_EQUAL(read_text("open.csv", "1,2,0\n1,\"2,0\n", &o, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("open.csv:2: column 1 (0-based)"));
    CU_ASSERT(error_has("no closing quote"));
    CU_ASSERT_EQUAL(read_text("after.csv", "1,\"2\"x,0\n", &o, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("after the closing quote"));
}

/* ---- the label column ------------------------------------------------------ */

/* By its header: exactly, else ignoring case; no such header lists them
 * (CLMLP_E_NOT_FOUND, which the tool turns into exit 2). */
static void test_label_by_name(void)
{
    clmlp_csv_opts o = clmlp_csv_opts_default();
    o.label_name = "species";
    clmlp_dataset_t *ds = NULL;
    const char *text = "Species,sepal,petal\nsetosa,1,2\nvirginica,3,4\n";
    TEST_OK(read_text("byname.csv", text, &o, &ds));
    CU_ASSERT_EQUAL(ds->n_features, 2);
    CU_ASSERT_EQUAL(ds->x[0], 1.0f);
    CU_ASSERT_STRING_EQUAL(row_name(ds, 1), "virginica");
    clmlp_dataset_free(ds);
    o.label_name = "kind";
    CU_ASSERT_EQUAL(read_text("byname.csv", text, &o, &ds), CLMLP_E_NOT_FOUND);
    CU_ASSERT(error_has("no column is headed \"kind\""));
    CU_ASSERT(error_has("0 \"Species\", 1 \"sepal\", 2 \"petal\""));
    CU_ASSERT_EQUAL(read_text("nohead.csv", "1,2,0\n", &o, &ds), CLMLP_E_NOT_FOUND);
    CU_ASSERT(error_has("no header"));
    /* A name that is a number matches no cell: a first line of numbers is
     * data, not a header to drop. */
    o.label_name = "1";
    CU_ASSERT_EQUAL(read_text("numname.csv", "0.5,1,1\n0.2,0,0\n0.4,1,1\n", &o, &ds),
                    CLMLP_E_NOT_FOUND);
    CU_ASSERT_PTR_NULL(ds);
    CU_ASSERT(error_has("numname.csv:1: no label column named \"1\""));
    CU_ASSERT(error_has("no header line"));
}

/* Hints when the label is not where label_col says: a whole-number column,
 * a header that names the label, a column of names. */
static void test_label_hints(void)
{
    clmlp_csv_opts o = clmlp_csv_opts_default();
    clmlp_dataset_t *ds = NULL;
    CU_ASSERT_EQUAL(read_text("first.csv", "2,2.5,3.1\n1,2.5,3.5\n", &o, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("first.csv:1: column 2 (0-based): \"3.1\" is not a valid label"));
    CU_ASSERT(error_has("looks like a feature"));
    CU_ASSERT(error_has("column 0 holds whole numbers: is the label there? try --label-col 0"));
    CU_ASSERT_EQUAL(read_text("head.csv", "label,f1,f2\n2,2.5,3.1\n", &o, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("column 2 (0-based, \"f2\")"));
    CU_ASSERT(error_has("try --label label (or --label-col 0)"));
    CU_ASSERT_EQUAL(read_text("words.csv", "setosa,5.1,3.5\nsetosa,4.9,3.0\n", &o, &ds),
                    CLMLP_E_FORMAT);
    CU_ASSERT(error_has("column 0 (0-based"));
    CU_ASSERT(error_has("is not a number"));
    CU_ASSERT(error_has("try --label-col 0"));
    o.label_col = 0;
    CU_ASSERT_EQUAL(read_text("back.csv", "5.1,3.5,setosa\n4.9,3.0,setosa\n", &o, &ds),
                    CLMLP_E_FORMAT);
    CU_ASSERT(error_has("column 2 holds names such as \"setosa\""));
    CU_ASSERT(error_has("--label-col 2"));
    o.label_col = -1;
    CU_ASSERT_EQUAL(read_text("neg.csv", "1,2,-1\n", &o, &ds), CLMLP_E_FORMAT);
    CU_ASSERT(error_has("column 2 (0-based)"));
    CU_ASSERT(error_has("whole numbers >= 0 or class names"));
}

/* Class names are checked wherever they are set. */
static void test_set_class_names(void)
{
    clmlp_dataset_t *ds = NULL;
    TEST_OK(clmlp_dataset_init(&ds, 2, 1, 2, 0));
    static const char *const good[2] = {"no", "yes"}, *const twice[2] = {"a", "a"},
                             *const ctrl[2] = {"a", "b\x01"}, *const empty[2] = {"", "b"};
    TEST_OK(clmlp_dataset_set_class_names(ds, good, 2));
    CU_ASSERT_STRING_EQUAL(ds->class_names[1], "yes");
    CU_ASSERT_EQUAL(clmlp_dataset_set_class_names(ds, good, 1), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_dataset_set_class_names(ds, twice, 2), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_dataset_set_class_names(ds, ctrl, 2), CLMLP_E_INVALID);
    CU_ASSERT_EQUAL(clmlp_dataset_set_class_names(ds, empty, 2), CLMLP_E_INVALID);
    CU_ASSERT_STRING_EQUAL(ds->class_names[0], "no"); /* kept after a refusal */
    TEST_OK(clmlp_dataset_set_class_names(ds, NULL, 0));
    CU_ASSERT_PTR_NULL(ds->class_names);
    clmlp_dataset_free(ds);
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "2,1:sigmoid"));
    static const char *const three[3] = {"a", "b", "c"};
    CU_ASSERT_EQUAL(clmlp_model_set_class_names(m, three, 3), CLMLP_E_INVALID);
    /* One name per class: with fewer, an unnamed class would print as a
     * number among names (model files are read through the same rule). */
    CU_ASSERT_EQUAL(clmlp_model_set_class_names(m, good, 1), CLMLP_E_INVALID);
    CU_ASSERT_PTR_NOT_NULL(strstr(clmlp_last_error(), "one name per class"));
    TEST_OK(clmlp_model_set_class_names(m, good, 2));
    size_t n = 0;
    CU_ASSERT_STRING_EQUAL(clmlp_model_class_names(m, &n)[1], "yes");
    CU_ASSERT_EQUAL(n, 2);
    /* Another layer: the output they named is gone, so are they. */
    TEST_OK(clmlp_model_add_dense(m, 3, CLMLP_ACT_SOFTMAX, 1));
    CU_ASSERT_PTR_NULL(clmlp_model_class_names(m, &n));
    CU_ASSERT_EQUAL(n, 0);
    clmlp_model_free(m);
}

/* ---- names in models and model files ------------------------------------------ */

/* Reads a whole scratch file (caller frees). */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char *p = malloc(*len + 1);
    CU_ASSERT_FATAL(p && fread(p, 1, *len, f) == *len);
    fclose(f);
    return p;
}

/* fit gives the model the training set's names; a model file keeps them
 * (version 3) and one without names stays version 2; a training set with
 * other names is refused; a damaged names section is a format error. */
static void test_model_file_names(void)
{
    clmlp_dataset_t *ds = read_ok("fit.csv", "a,b,animal\n0,0,cat\n0,1,dog\n1,0,dog\n1,1,cat\n"
                                             "0,0,eel\n");
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "2,4:tanh,3:softmax"));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_SPARSE_CCE, NULL, ref, 1));
    size_t n = 0;
    CU_ASSERT_PTR_NULL(clmlp_model_class_names(m, &n));
    clmlp_fit_opts fo;
    memset(&fo, 0, sizeof fo);
    fo.epochs = 1;
    TEST_OK(clmlp_model_fit(m, ds, &fo, NULL));
    const char *const *names = clmlp_model_class_names(m, &n);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_STRING_EQUAL(names[0], "cat");
    CU_ASSERT_STRING_EQUAL(names[2], "eel");
    const char *path = test_temp_path("named.model");
    TEST_OK(clmlp_model_save(m, path));
    size_t len;
    unsigned char *bytes = slurp(path, &len);
    CU_ASSERT_EQUAL(bytes[8], 3);
    clmlp_model_t *back = NULL;
    TEST_OK(clmlp_model_load(&back, path, ref));
    names = clmlp_model_class_names(back, &n);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_STRING_EQUAL(names[1], "dog");
    clmlp_model_free(back);
    /* Damage: a name's length past the end, a control byte in a name, a
     * count of 4 for 3 classes -- each a format error with the CRC right. */
    size_t at = len - 4 - (4 + 3) - (4 + 3) - (4 + 3) - 4; /* the count */
    CU_ASSERT_EQUAL(bytes[at], 3);
    const struct {
        size_t off;
        unsigned char v;
        const char *why;
    } bad[] = {{at, 4, "class name count"},
               {at + 4, 200, "class name 0"},
               {at + 8, 1, "control character"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        unsigned char *copy = malloc(len);
        memcpy(copy, bytes, len);
        copy[bad[k].off] = bad[k].v;
        test_set_crc32(copy, len);
        const char *p2 = test_write_temp("damaged.model", copy, len);
        CU_ASSERT_EQUAL(clmlp_model_load(&back, p2, ref), CLMLP_E_FORMAT);
        CU_ASSERT(error_has(bad[k].why));
        free(copy);
    }
    free(bytes);

    /* Other names in a later fit are refused, naming both lists. */
    clmlp_dataset_t *other = read_ok("other.csv", "a,b,animal\n0,0,ant\n0,1,bee\n");
    CU_ASSERT_EQUAL(clmlp_model_fit(m, other, &fo, NULL), CLMLP_E_INVALID);
    CU_ASSERT(error_has("ant, bee"));
    CU_ASSERT(error_has("cat, dog, eel"));
    clmlp_dataset_free(other);
    clmlp_model_free(m);

    /* No names: version 2, as before. */
    TEST_OK(clmlp_model_from_spec(&m, "2,1:sigmoid"));
    TEST_OK(clmlp_model_compile(m, CLMLP_LOSS_BCE, NULL, ref, 1));
    TEST_OK(clmlp_model_save(m, path));
    bytes = slurp(path, &len);
    CU_ASSERT_EQUAL(bytes[8], 2);
    free(bytes);
    TEST_OK(clmlp_model_load(&back, path, ref));
    CU_ASSERT_PTR_NULL(clmlp_model_class_names(back, &n));
    clmlp_model_free(back);
    clmlp_model_free(m);
    clmlp_dataset_free(ds);
}

/* A file written before names existed loads as it did: version 1 (the
 * checked-in XOR model), with no names.  (Version 2 without names is
 * written and read back in test_model_file_names.) */
static void test_old_files_load(void)
{
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_load(&m, test_source_path("tests/data/model-v1-xor.bin"), ref));
    size_t n = 7;
    CU_ASSERT_PTR_NULL(clmlp_model_class_names(m, &n));
    CU_ASSERT_EQUAL(n, 0);
    const float x[2] = {0, 1};
    float y;
    TEST_OK(clmlp_model_predict(m, x, 1, &y));
    CU_ASSERT(y > 0.5f);
    clmlp_model_free(m);
}

/* The summary names the classes, and its columns line up: the InputLayer
 * row has its shape, and a long Dense description (no bias) pushes every
 * row's shape to the same column. */
static void test_summary_columns(void)
{
    clmlp_model_t *m = NULL;
    TEST_OK(clmlp_model_from_spec(&m, "4,8:softmax:nobias,3:softmax"));
    static const char *const names[3] = {"setosa", "versicolor", "virginica"};
    TEST_OK(clmlp_model_set_class_names(m, names, 3));
    const char *path = test_temp_path("summary.txt");
    FILE *f = fopen(path, "w+");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    clmlp_model_summary(m, f);
    rewind(f);
    char line[256];
    long col = -1;
    int rows = 0, classes = 0;
    while (fgets(line, sizeof line, f)) {
        char *shape = strstr(line, "(None, ");
        if (strstr(line, "Classes: setosa, versicolor, virginica")) classes = 1;
        if (!shape) continue;
        rows++;
        if (col < 0) col = shape - line;
        CU_ASSERT_EQUAL(shape - line, col);
        if (strstr(line, "InputLayer")) CU_ASSERT_PTR_NOT_NULL(strstr(line, "(None, 4)"));
    }
    fclose(f);
    CU_ASSERT_EQUAL(rows, 3);
    CU_ASSERT(classes);
    clmlp_model_free(m);
}

int main(void)
{
    if (!test_temp_dir("csv-people")) return 1;
    clmlp_backend_opts bo;
    memset(&bo, 0, sizeof bo);
    bo.kind = CLMLP_BACKEND_REF;
    if (clmlp_backend_init(&ref, &bo) != CLMLP_OK) {
        fprintf(stderr, "ref backend: %s\n", clmlp_last_error());
        return 1;
    }
    static const test_case cases[] = {
        {"name labels: byte order, same in every file", test_name_labels_sorted},
        {"number labels keep their meaning", test_number_labels_keep_meaning},
        {"a header of numbered columns before name labels", test_numbered_header_names},
        {"names mapped through given ones; unknown one named", test_given_class_names},
        {"numbers and names mixed: an error naming the lines", test_mixed_labels},
        {"tab and semicolon found or named", test_delimiters},
        {"quoted cells", test_quoted_cells},
        {"the label column by its header", test_label_by_name},
        {"hints, 0-based columns", test_label_hints},
        {"class names are checked", test_set_class_names},
        {"model files keep the names (version 3)", test_model_file_names},
        {"version 1 and 2 files still load", test_old_files_load},
        {"summary: columns line up, classes named", test_summary_columns},
        {NULL, NULL},
    };
    int rc = test_add_suite("csv as people have it", cases) == 0 ? test_run_all() : 1;
    clmlp_backend_free(ref);
    test_remove_temp_dir();
    return rc;
}
