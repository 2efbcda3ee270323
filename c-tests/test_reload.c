/* test_reload.c: ik_runtime_reload: the new source executed in the same module object, the table's spec
 * replaced; a failed reload leaves the module as it was and in the table; reloading what is not in the
 * table is an error that says so. */

#include "fixture.h"

static ik_status remount(ik_runtime *rt, const char *point, const char *const *pairs, size_t count) {
    ik_mount_file files[8];
    size_t i;
    for (i = 0; i < count && i < 8; i++) files[i] = ck_file(pairs[2 * i], pairs[2 * i + 1]);
    return ik_runtime_mount(rt, point, files, count, IK_MOUNT_REPLACE, NULL, NULL, NULL, NULL);
}

int main(void) {
    static const char *const V1[] = {"__init__.py", "", "core.py", "set speed 1\n"};
    static const char *const V2[] = {"__init__.py", "", "core/__init__.py", "set speed 2\n"};
    static const char *const BROKEN[] = {"__init__.py", "", "core/__init__.py", "set speed 3\nraise no good\n"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL, *again = NULL;
    const ik_spec *spec = NULL;
    int creates;

    MOUNT(rt, "game", V1);
    CHECK_OK(ik_runtime_import(rt, "game.core", NULL, &m, &err));
    creates = tx_creates(tx);
    CHECK_INT(tx_exec_count(tx, "game.core"), 1);

    /* The new source, moved from core.py to core/__init__.py, runs in the same object. */
    CHECK_OK(remount(rt, "game", V2, 2));
    CHECK_OK(ik_runtime_reload(rt, "game.core", &again, &err));
    CHECK(again == m);
    CHECK_INT(tx_exec_count(tx, "game.core"), 2);
    CHECK_INT(tx_creates(tx), creates);
    CHECK_OK(ik_runtime_module_spec(rt, "game.core", &spec, &err));
    CHECK_STR(ik_spec_origin(spec, NULL), "memory:/game/core/__init__.py");
    CHECK(ik_spec_is_package(spec));
    ik_spec_free(spec);

    /* A failing reload: the error, and the module as it was. */
    CHECK_OK(remount(rt, "game", BROKEN, 2));
    CHECK_ERR_KEEP(ik_runtime_reload(rt, "game.core", &again, &err), IK_ERR_EXEC);
    CHECK_CONTAINS(ck_msg(err), "no good");
    CHECK_STR(ik_error_module(err, NULL), "game.core");
    FREE_ERR();
    CHECK_INT(ck_state(rt, "game.core"), IK_MODULE_READY);
    CHECK_OK(ik_runtime_import(rt, "game.core", NULL, &again, &err));
    CHECK(again == m);

    /* Gone from every source: not found, and still in the table. */
    CHECK_OK(ik_runtime_unmount(rt, "game", &err));
    CHECK_ERR(ik_runtime_reload(rt, "game.core", &again, &err), IK_ERR_NOT_FOUND);
    CHECK_INT(ck_state(rt, "game.core"), IK_MODULE_READY);

    /* Not in the table. */
    CHECK_ERR_KEEP(ik_runtime_reload(rt, "elsewhere", &again, &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ck_msg(err), "cannot reload 'elsewhere': it is not in the module table (import it first)");
    FREE_ERR();

    fx_free(rt, tx);
    return ck_finish("test_reload");
}
