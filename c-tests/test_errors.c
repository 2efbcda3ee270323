/* test_errors.c: error objects: the message names the module and every place tried, in order; the
 * attempts one by one; errors are independent objects that outlive their runtime. */

#include "fixture.h"

static const char *const GAME[] = {"__init__.py", "", "util.py", ""};

static int32_t none_find(void *userdata, const char *name, size_t name_len, const char *const *path,
                         size_t path_count, ik_found *found, ik_report *report) {
    (void)userdata, (void)name, (void)name_len, (void)path, (void)path_count, (void)found, (void)report;
    return IK_OK;
}

static void not_found_names_every_place_tried(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;
    size_t len = 0;
    const char *want = "No module named 'game.x' (native: not registered; memory:/game: no game/x.py, no "
                       "game/x/__init__.py)";
    ik_name_list *list = NULL;

    MOUNT(rt, "game", GAME);
    CHECK_ERR_KEEP(ik_runtime_import(rt, "game.x", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ik_error_message(err, &len), want);
    CHECK_INT(len, strlen(want));
    CHECK_STR(ik_error_module(err, &len), "game.x");
    CHECK_INT(len, 6);
    CHECK_INT(ik_error_attempt_count(err), 2);
    CHECK_STR(ik_error_attempt_place(err, 0, &len), "native");
    CHECK_INT(len, 6);
    CHECK_STR(ik_error_attempt_reason(err, 0, &len), "not registered");
    CHECK_INT(len, 14);
    CHECK_STR(ik_error_attempt_place(err, 1, NULL), "memory:/game");
    CHECK_STR(ik_error_attempt_reason(err, 1, NULL), "no game/x.py, no game/x/__init__.py");
    len = 777;
    CHECK(ik_error_attempt_place(err, 2, &len) == NULL);
    CHECK(ik_error_attempt_reason(err, 2, &len) == NULL);
    CHECK(ik_error_attempt_place(err, (size_t)-1, NULL) == NULL);
    CHECK_INT(len, 777);
    CHECK(ik_error_host_message(err, NULL) == NULL);
    CHECK_INT(ik_error_line(err), 0);
    CHECK_INT(ik_error_column(err), 0);
    FREE_ERR();

    /* A name no mount covers lists only the registry. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "nothing", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ck_msg(err), "No module named 'nothing' (native: not registered)");
    CHECK_INT(ik_error_attempt_count(err), 1);
    FREE_ERR();

    /* The failed imports left only the modules they really imported. */
    CHECK_OK(ik_runtime_list_modules(rt, &list, &err));
    CHECK_INT(ik_name_list_count(list), 1);
    CHECK_STR(ik_name_list_get(list, 0, NULL), "game");
    ik_name_list_free(list);
    fx_free(rt, tx);
}

static void attempts_follow_the_meta_path(void) {
    static const char *const ROOT[] = {"lib/__init__.py", ""};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_finder f;
    void *m = NULL;

    MOUNT(rt, "game", GAME);
    MOUNT(rt, "", ROOT);
    memset(&f, 0, sizeof f);
    f.size = (uint32_t)sizeof f;
    f.name = "assets";
    f.find = none_find;
    CHECK_OK(ik_runtime_add_finder(rt, &f, 0, NULL, &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "game.y", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ck_msg(err), "No module named 'game.y' (native: not registered; host:assets: not found; memory:/game: "
                           "no game/y.py, no game/y/__init__.py; memory:/: no game/y.py, no game/y/__init__.py)");
    CHECK_INT(ik_error_attempt_count(err), 4);
    CHECK_STR(ik_error_attempt_place(err, 1, NULL), "host:assets");
    CHECK_STR(ik_error_attempt_reason(err, 1, NULL), "not found");
    CHECK_STR(ik_error_attempt_place(err, 3, NULL), "memory:/");
    FREE_ERR();
    fx_free(rt, tx);
}

static void errors_are_independent_and_outlive_their_runtime(void) {
    ik_runtime *rt = NULL;
    ik_error *err = NULL, *first = NULL, *second = NULL;
    void *m = NULL;

    CHECK_OK(ik_runtime_new(NULL, &rt, &err));
    CHECK_INT(ik_runtime_import(rt, "aaa", NULL, &m, &first), IK_ERR_NOT_FOUND);
    CHECK_INT(ik_runtime_import(rt, "bbb.ccc", NULL, &m, &second), IK_ERR_NOT_FOUND);
    CHECK(first != NULL && second != NULL && first != second);
    /* A failing call without out_error just returns its status. */
    CHECK_INT(ik_runtime_import(rt, "ddd", NULL, &m, NULL), IK_ERR_NOT_FOUND);
    ik_runtime_free(rt);
    CHECK_STR(ik_error_module(first, NULL), "aaa");
    CHECK_STR(ik_error_module(second, NULL), "bbb");
    CHECK_STR(ik_error_message(first, NULL), "No module named 'aaa' (native: not registered)");
    ik_error_free(first);
    CHECK_STR(ik_error_message(second, NULL), "No module named 'bbb' (native: not registered)");
    CHECK_INT(ik_error_status(second), IK_ERR_NOT_FOUND);
    ik_error_free(second);
}

int main(void) {
    not_found_names_every_place_tried();
    attempts_follow_the_meta_path();
    errors_are_independent_and_outlive_their_runtime();
    return ck_finish("test_errors");
}
