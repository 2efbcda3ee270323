/* test_table.c: the module table (`sys.modules`): get, contains, remove, insert, list. */

#include "fixture.h"

static const char *const GAME[] = {"__init__.py", "set v game", "util.py", "set v util"};

static void listing_and_getting(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_name_list *list = NULL;
    void *util = NULL, *m = (void *)&m;
    uint32_t state = 99;
    size_t len = 0;
    bool in = true;

    CHECK_OK(ik_runtime_list_modules(rt, &list, &err));
    CHECK_INT(ik_name_list_count(list), 0);
    CHECK(ik_name_list_get(list, 0, NULL) == NULL);
    ik_name_list_free(list);

    MOUNT(rt, "game", GAME);
    CHECK_OK(ik_runtime_import(rt, "game.util", NULL, &util, &err));
    CHECK_OK(ik_runtime_list_modules(rt, &list, &err));
    CHECK_INT(ik_name_list_count(list), 2);
    CHECK_STR(ik_name_list_get(list, 0, &len), "game");
    CHECK_INT(len, 4);
    CHECK_STR(ik_name_list_get(list, 1, &len), "game.util");
    CHECK_INT(len, 9);
    CHECK(ik_name_list_get(list, 2, NULL) == NULL);
    ik_name_list_free(list);

    CHECK_ERR(ik_runtime_get_module(rt, "nope", &m, &state, &err), IK_ERR_NOT_FOUND);
    CHECK(m == (void *)&m);
    CHECK_INT(state, 99);
    CHECK_OK(ik_runtime_get_module(rt, "game.util", &m, &state, &err));
    CHECK(m == util);
    CHECK_INT(state, IK_MODULE_READY);
    CHECK_OK(ik_runtime_get_module(rt, "game", &m, NULL, &err));
    CHECK_STR(tx_name(m), "game");
    CHECK_OK(ik_runtime_contains(rt, "game.util", &in, &err));
    CHECK(in);
    CHECK_OK(ik_runtime_contains(rt, "game.other", &in, &err));
    CHECK(!in);
    CHECK_OK(ik_runtime_contains(rt, "not..valid", &in, &err));
    CHECK(!in);
    fx_free(rt, tx);
}

static void removing(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;

    MOUNT(rt, "game", GAME);
    CHECK_OK(ik_runtime_import(rt, "game.util", NULL, &m, &err));
    CHECK_OK(ik_runtime_remove_module(rt, "game.util", &err));
    CHECK_INT(tx_releases(tx), 1);
    CHECK(!ck_in_table(rt, "game.util"));
    CHECK_ERR_KEEP(ik_runtime_remove_module(rt, "game.util", &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ik_error_module(err, NULL), "game.util");
    FREE_ERR();
    /* Importing again after removal executes again. */
    CHECK_OK(ik_runtime_import(rt, "game.util", NULL, &m, &err));
    CHECK_INT(tx_exec_count(tx, "game.util"), 2);
    CHECK_OK(ik_runtime_import(rt, "game.util", NULL, &m, &err));
    CHECK_INT(tx_exec_count(tx, "game.util"), 2);
    /* Removing a package keeps its children. */
    CHECK_OK(ik_runtime_remove_module(rt, "game", &err));
    CHECK(ck_in_table(rt, "game.util"));
    CHECK(!ck_in_table(rt, "game"));
    CHECK_INT(tx_releases(tx), 2);
    fx_free(rt, tx);
}

static void inserting(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *mine = tx_module_named(tx, "custom.thing"), *other = tx_module_named(tx, "custom.thing");
    void *host = tx_module_named(tx, "host"), *game2 = tx_module_named(tx, "game");
    void *bad = tx_module_named(tx, "bad");
    void *m = NULL;
    const ik_spec *spec = NULL;

    CHECK_OK(ik_runtime_insert_module(rt, "custom.thing", mine, &err));
    CHECK_OK(ik_runtime_import(rt, "custom.thing", NULL, &m, &err));
    CHECK(m == mine);
    CHECK_INT(ck_state(rt, "custom.thing"), IK_MODULE_READY);
    CHECK(!ck_in_table(rt, "custom"));
    CHECK_ERR(ik_runtime_module_spec(rt, "custom.thing", &spec, &err), IK_ERR_NOT_FOUND);
    /* Inserting the same object again releases nothing; another object replaces (and releases) it. */
    CHECK_OK(ik_runtime_insert_module(rt, "custom.thing", mine, &err));
    CHECK_INT(tx_releases(tx), 0);
    CHECK_OK(ik_runtime_insert_module(rt, "custom.thing", other, &err));
    CHECK_INT(tx_releases(tx), 1);
    CHECK_OK(ik_runtime_import(rt, "custom.thing", NULL, &m, &err));
    CHECK(m == other);
    /* A module without a spec is no package. */
    CHECK_OK(ik_runtime_insert_module(rt, "host", host, &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "host.child", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ck_msg(err), "No module named 'host.child'; 'host' is not a package");
    FREE_ERR();
    /* A package the host inserts searches its locations: a memory location serves its children. */
    {
        const char *locs[1] = {"memory:/hostpkg"};
        void *hp = tx_module_named(tx, "hostpkg");
        ik_mount_file kid[1] = {{"hostpkg/kid.py", 14, (const uint8_t *)"set born 1\n", 11}};
        CHECK_OK(ik_runtime_insert_package(rt, "hostpkg", hp, locs, 1, &err));
        CHECK_OK(ik_runtime_module_spec(rt, "hostpkg", &spec, &err));
        CHECK_STR(ik_spec_origin(spec, NULL), "host:inserted");
        CHECK(ik_spec_is_package(spec));
        CHECK_INT(ik_spec_location_count(spec), 1);
        CHECK_STR(ik_spec_location(spec, 0, NULL), "memory:/hostpkg");
        ik_spec_free(spec);
        spec = NULL;
        CHECK_OK(ik_runtime_mount(rt, "", kid, 1, 0, NULL, NULL, NULL, &err));
        CHECK_OK(ik_runtime_import(rt, "hostpkg.kid", NULL, &m, &err));
        CHECK_OK(ik_runtime_unmount(rt, "", &err));
    }
    /* Replacing an imported module. */
    MOUNT(rt, "game", GAME);
    CHECK_OK(ik_runtime_import(rt, "game", NULL, &m, &err));
    CHECK_OK(ik_runtime_insert_module(rt, "game", game2, &err));
    CHECK_INT(tx_releases(tx), 2);
    CHECK_OK(ik_runtime_import(rt, "game", NULL, &m, &err));
    CHECK(m == game2);
    CHECK_INT(tx_exec_count(tx, "game"), 1);
    /* Refused inserts do not take the object. */
    CHECK_ERR(ik_runtime_insert_module(rt, "bad..name", bad, &err), IK_ERR_INVALID_NAME);
    CHECK_ERR(ik_runtime_insert_module(rt, ".rel", bad, &err), IK_ERR_INVALID_NAME);
    CHECK_ERR(ik_runtime_insert_module(rt, "", bad, &err), IK_ERR_INVALID_NAME);
    CHECK_INT(tx_releases(tx), 2);
    CHECK_OK(ik_runtime_insert_module(rt, "bad", bad, &err));
    fx_free(rt, tx);
}

int main(void) {
    listing_and_getting();
    removing();
    inserting();
    return ck_finish("test_table");
}
