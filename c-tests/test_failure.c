/* test_failure.c: a module that fails leaves the table (children it imported stay), its error carries the
 * host's message, line and column, importing again executes again; nested errors pass through unchanged. */

#include "fixture.h"

static const char *const F[] = {
    "__init__.py", "",
    "ok.py",       "set x 1",
    "bad.py",      "import f.ok\nstate f.bad\n  raise boom here\nset never 1",
};

static void a_failed_module_leaves_the_table(void) {
    static const char *const FIXED[] = {"__init__.py", "", "bad.py", "set fixed 1"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = (void *)&m;
    size_t len = 0;

    MOUNT(rt, "f", F);
    CHECK_ERR_KEEP(ik_runtime_import(rt, "f.bad", NULL, &m, &err), IK_ERR_EXEC);
    CHECK(m == (void *)&m); /* out_module is not written on failure */
    CHECK_STR(ck_msg(err), "executing module 'f.bad' failed: boom here (line 3, column 3)");
    CHECK_STR(ik_error_host_message(err, &len), "boom here");
    CHECK_INT(len, 9);
    CHECK_INT(ik_error_line(err), 3);
    CHECK_INT(ik_error_column(err), 3);
    CHECK_STR(ik_error_module(err, &len), "f.bad");
    CHECK_INT(len, 5);
    CHECK_INT(ik_error_attempt_count(err), 0);
    FREE_ERR();
    /* While it executed it was in the table; now it is not, and its object was released. */
    CHECK(tx_logged(tx, "state f.bad=initializing"));
    CHECK(!ck_in_table(rt, "f.bad"));
    CHECK(ck_in_table(rt, "f.ok"));
    CHECK(ck_in_table(rt, "f"));
    CHECK_INT(tx_releases(tx), 1);
    CHECK_INT(tx_live(tx), 2);
    /* Importing again executes again. */
    CHECK_ERR(ik_runtime_import(rt, "f.bad", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_INT(tx_exec_count(tx, "f.bad"), 2);
    CHECK_INT(tx_exec_count(tx, "f.ok"), 1);
    CHECK_INT(tx_releases(tx), 2);
    /* Once fixed, it imports. */
    CHECK_ERR(ck_mount(rt, "f", FIXED, 2, &err), IK_ERR_EXISTS);
    {
        ik_mount_file files[2];
        files[0] = ck_file(FIXED[0], FIXED[1]);
        files[1] = ck_file(FIXED[2], FIXED[3]);
        CHECK_OK(ik_runtime_mount(rt, "f", files, 2, IK_MOUNT_REPLACE, NULL, NULL, NULL, &err));
    }
    CHECK_OK(ik_runtime_import(rt, "f.bad", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "fixed"), "1");
    CHECK_INT(tx_exec_count(tx, "f.bad"), 3);
    fx_free(rt, tx);
}

static void a_nested_not_found_comes_through_unchanged(void) {
    static const char *const N[] = {"__init__.py", "set a 1\nimport missing_dependency"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;

    MOUNT(rt, "n", N);
    CHECK_ERR_KEEP(ik_runtime_import(rt, "n", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ck_msg(err), "No module named 'missing_dependency' (native: not registered)");
    CHECK_STR(ik_error_module(err, NULL), "missing_dependency");
    CHECK_INT(ik_error_attempt_count(err), 1);
    CHECK_STR(ik_error_attempt_place(err, 0, NULL), "native");
    CHECK_STR(ik_error_attempt_reason(err, 0, NULL), "not registered");
    CHECK(ik_error_host_message(err, NULL) == NULL);
    CHECK_INT(ik_error_line(err), 0);
    FREE_ERR();
    CHECK(!ck_in_table(rt, "n"));
    CHECK_INT(tx_live(tx), 0);
    fx_free(rt, tx);
}

static void a_nested_exec_error_comes_through_unchanged(void) {
    static const char *const O[] = {"__init__.py", "import inner\nset after 1"};
    static const char *const I[] = {"__init__.py", "set x 1\n\n\traise inner trouble"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;

    MOUNT(rt, "outer", O);
    MOUNT(rt, "inner", I);
    CHECK_ERR_KEEP(ik_runtime_import(rt, "outer", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_STR(ck_msg(err), "executing module 'inner' failed: inner trouble (line 3, column 2)");
    CHECK_STR(ik_error_module(err, NULL), "inner");
    CHECK_STR(ik_error_host_message(err, NULL), "inner trouble");
    CHECK_INT(ik_error_line(err), 3);
    CHECK_INT(ik_error_column(err), 2);
    FREE_ERR();
    CHECK(!ck_in_table(rt, "outer"));
    CHECK(!ck_in_table(rt, "inner"));
    CHECK_INT(tx_releases(tx), 2);
    fx_free(rt, tx);
}

static void a_failed_create_leaves_nothing(void) {
    static const char *const C[] = {"__init__.py", "set x 1"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;

    MOUNT(rt, "c", C);
    tx_refuse_create(tx, "c");
    CHECK_ERR_KEEP(ik_runtime_import(rt, "c", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_STR(ck_msg(err), "creating module 'c' failed: create refused");
    CHECK_STR(ik_error_host_message(err, NULL), "create refused");
    FREE_ERR();
    CHECK(!ck_in_table(rt, "c"));
    CHECK_INT(tx_creates(tx), 0);
    CHECK_INT(tx_exec_count(tx, "c"), 0);
    tx_refuse_create(tx, NULL);
    CHECK_OK(ik_runtime_import(rt, "c", NULL, &m, &err));
    fx_free(rt, tx);
}

static void an_unknown_statement_is_an_exec_error(void) {
    static const char *const U[] = {"__init__.py", "set x 1\nfrobnicate now"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;

    MOUNT(rt, "u", U);
    CHECK_ERR_KEEP(ik_runtime_import(rt, "u", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_STR(ik_error_host_message(err, NULL), "unknown statement 'frobnicate'");
    CHECK_INT(ik_error_line(err), 2);
    CHECK_INT(ik_error_column(err), 1);
    FREE_ERR();
    fx_free(rt, tx);
}

static void an_error_in_a_fromlist_submodule_propagates(void) {
    static const char *const P[] = {"__init__.py", "", "bad.py", "import pkg.nothere"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;
    const char *bad[] = {"bad"};

    MOUNT(rt, "pkg", P);
    CHECK_ERR_KEEP(ik_runtime_import_from(rt, "pkg", NULL, 0, bad, 1, &m, &err), IK_ERR_NOT_FOUND);
    CHECK(strncmp(ck_msg(err), "No module named 'pkg.nothere'", 29) == 0);
    CHECK_STR(ik_error_module(err, NULL), "pkg.nothere");
    FREE_ERR();
    CHECK(ck_in_table(rt, "pkg"));
    CHECK(!ck_in_table(rt, "pkg.bad"));
    fx_free(rt, tx);
}

static void without_an_executor_nothing_loads(void) {
    static const char *const G[] = {"__init__.py", ""};
    ik_runtime *rt = NULL;
    ik_error *err = NULL;
    void *m = NULL;

    CHECK_OK(ik_runtime_new(NULL, &rt, &err));
    MOUNT(rt, "g", G);
    CHECK_ERR_KEEP(ik_runtime_import(rt, "g", NULL, &m, &err), IK_ERR_UNAVAILABLE);
    CHECK_STR(ck_msg(err), "cannot load 'g' (memory:/g/__init__.py): the runtime has no executor");
    FREE_ERR();
    CHECK(!ck_in_table(rt, "g"));
    ik_runtime_free(rt);
}

/* Whether `s` (len bytes) is valid UTF-8. */
static int valid_utf8(const char *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        size_t k;
        if (n == 0 || i + n > len) return 0;
        for (k = 1; k < n; k++)
            if (((unsigned char)s[i + k] & 0xC0) != 0x80) return 0;
        i += n;
    }
    return 1;
}

static void a_huge_host_message_is_cut_at_a_character_boundary(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;
    size_t body = 80000, i, len = 0;
    char *text = malloc(body + 16);
    const char *host;
    ik_mount_file file;

    /* "raise x" then two-byte characters: byte 65536 of the message falls inside a character. */
    memcpy(text, "raise x", 7);
    for (i = 7; i + 1 < body; i += 2) {
        text[i] = (char)0xC3;
        text[i + 1] = (char)0xA9;
    }
    text[i] = '\0';
    file.path = "__init__.py";
    file.path_len = 11;
    file.data = (const uint8_t *)text;
    file.data_len = i;
    CHECK_OK(ik_runtime_mount(rt, "huge", &file, 1, 0, NULL, NULL, NULL, &err));
    free(text);
    CHECK_ERR_KEEP(ik_runtime_import(rt, "huge", NULL, &m, &err), IK_ERR_EXEC);
    host = ik_error_host_message(err, &len);
    CHECK(host != NULL);
    CHECK(len <= IK_MAX_HOST_MESSAGE_LEN + 64);
    CHECK(len >= IK_MAX_HOST_MESSAGE_LEN - 4);
    CHECK(host != NULL && strlen(host) == len);
    CHECK(host != NULL && valid_utf8(host, len));
    CHECK(host != NULL && valid_utf8(ck_msg(err), strlen(ck_msg(err))));
    FREE_ERR();
    fx_free(rt, tx);
}

static void runaway_nesting_is_an_error_not_a_crash(void) {
    enum { DEPTH = 300 };
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_mount_file files[DEPTH + 1];
    char paths[DEPTH][16], texts[DEPTH][32];
    ik_name_list *list = NULL;
    void *m = NULL;
    int i;

    for (i = 0; i < DEPTH; i++) {
        snprintf(paths[i], sizeof paths[i], "m%d.py", i);
        snprintf(texts[i], sizeof texts[i], "import deep.m%d", i + 1);
        files[i] = ck_file(paths[i], texts[i]);
    }
    files[DEPTH] = ck_file("__init__.py", "");
    CHECK_OK(ik_runtime_mount(rt, "deep", files, DEPTH + 1, 0, NULL, NULL, NULL, &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "deep.m0", NULL, &m, &err), IK_ERR_IMPORT);
    CHECK_CONTAINS(ck_msg(err), "more than 200 deep");
    FREE_ERR();
    /* Every module of the chain failed, so only the package is left. */
    CHECK_OK(ik_runtime_list_modules(rt, &list, &err));
    CHECK_INT(ik_name_list_count(list), 1);
    ik_name_list_free(list);
    CHECK_INT(tx_live(tx), 1);
    fx_free(rt, tx);
}

int main(void) {
    a_failed_module_leaves_the_table();
    a_nested_not_found_comes_through_unchanged();
    a_nested_exec_error_comes_through_unchanged();
    a_failed_create_leaves_nothing();
    an_unknown_statement_is_an_exec_error();
    an_error_in_a_fromlist_submodule_propagates();
    without_an_executor_nothing_loads();
    a_huge_host_message_is_cut_at_a_character_boundary();
    runaway_nesting_is_an_error_not_a_crash();
    return ck_finish("test_failure");
}
