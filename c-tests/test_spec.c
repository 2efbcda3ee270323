/* test_spec.c: ik_runtime_find_spec and ik_runtime_module_spec, and every ik_spec_* accessor. */

#include "fixture.h"

static const char *const GAME[] = {
    "__init__.py",      "",
    "core/__init__.py", "",
    "core/player.py",   "",
    "util.py",          "",
    "ns/deep.py",       "",
    "old.pyc",          "",
};

/* Checks a returned string and the length written with it. */
#define CHECK_SPEC_STR(fn, spec, want)                  \
    do {                                                \
        size_t len_ = 12345;                            \
        const char *got_ = fn((spec), &len_);           \
        CHECK_STR(got_, (want));                        \
        if (got_ != NULL) CHECK_INT(len_, strlen(got_)); \
    } while (0)

static const ik_spec *find(const ik_runtime *rt, const char *name, const char *package) {
    const ik_spec *spec = NULL;
    ik_error *err = NULL;
    CHECK_OK(ik_runtime_find_spec(rt, name, package, &spec, &err));
    return spec;
}

static void every_accessor_of_a_package_spec(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    const ik_spec *s;
    size_t len = 99;

    MOUNT(rt, "game", GAME);
    s = find(rt, "game.core", NULL);
    CHECK_SPEC_STR(ik_spec_name, s, "game.core");
    CHECK_SPEC_STR(ik_spec_origin, s, "memory:/game/core/__init__.py");
    CHECK_SPEC_STR(ik_spec_parent, s, "game.core");
    CHECK(ik_spec_file(s, &len) == NULL);
    CHECK(ik_spec_cached(s, &len) == NULL);
    CHECK_INT(len, 99);
    CHECK_INT(ik_spec_kind(s), IK_KIND_SOURCE);
    CHECK(ik_spec_is_package(s));
    CHECK_INT(ik_spec_location_count(s), 1);
    CHECK_STR(ik_spec_location(s, 0, &len), "memory:/game/core");
    CHECK_INT(len, 17);
    CHECK(ik_spec_location(s, 1, NULL) == NULL);
    CHECK_INT(ik_spec_ref_count(s), 0);
    CHECK(ik_spec_ref(s, 0, NULL) == NULL);
    ik_spec_free(s);
    /* Names and strings come without a length too. */
    s = find(rt, "game.core.player", NULL);
    CHECK_STR(ik_spec_name(s, NULL), "game.core.player");
    CHECK_STR(ik_spec_parent(s, NULL), "game.core");
    CHECK(!ik_spec_is_package(s));
    CHECK_INT(ik_spec_location_count(s), 0);
    CHECK(ik_spec_location(s, 0, NULL) == NULL);
    ik_spec_free(s);
    /* find_spec executes nothing and leaves the table alone. */
    CHECK_INT(tx_creates(tx), 0);
    CHECK(!ck_in_table(rt, "game"));
    fx_free(rt, tx);
}

static void parents_kinds_and_namespaces(void) {
    static const char *const ROOT[] = {"solo.py", ""};
    static const char *const P[] = {
        "__init__.py", "", "m.py", "", "m/__init__.py", "", "n.pyc", "", "n.py", "",
        "e.so", "", "e.py", "", "d.py", "", "d/x.py", "",
    };
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    const ik_spec *s;

    MOUNT(rt, "game", GAME);
    MOUNT(rt, "", ROOT);
    MOUNT(rt, "p", P);
    s = find(rt, "game", NULL);
    CHECK_STR(ik_spec_parent(s, NULL), "game");
    ik_spec_free(s);
    s = find(rt, "solo", NULL);
    CHECK_SPEC_STR(ik_spec_parent, s, "");
    CHECK_STR(ik_spec_origin(s, NULL), "memory:/solo.py");
    ik_spec_free(s);
    s = find(rt, "game.util", NULL);
    CHECK_STR(ik_spec_parent(s, NULL), "game");
    ik_spec_free(s);
    s = find(rt, "game.old", NULL);
    CHECK_INT(ik_spec_kind(s), IK_KIND_BYTECODE);
    ik_spec_free(s);
    s = find(rt, "game.ns", NULL);
    CHECK_INT(ik_spec_kind(s), IK_KIND_NAMESPACE);
    CHECK(ik_spec_is_package(s));
    CHECK(ik_spec_file(s, NULL) == NULL);
    CHECK_STR(ik_spec_location(s, 0, NULL), "memory:/game/ns");
    ik_spec_free(s);
    s = find(rt, "game.ns.deep", NULL);
    CHECK_STR(ik_spec_origin(s, NULL), "memory:/game/ns/deep.py");
    ik_spec_free(s);
    /* Within a directory: a package beats a module, source beats bytecode, extension beats source, a
     * module beats a namespace. */
    s = find(rt, "p.m", NULL);
    CHECK(ik_spec_is_package(s));
    ik_spec_free(s);
    s = find(rt, "p.n", NULL);
    CHECK_INT(ik_spec_kind(s), IK_KIND_SOURCE);
    ik_spec_free(s);
    s = find(rt, "p.e", NULL);
    CHECK_INT(ik_spec_kind(s), IK_KIND_EXTENSION);
    ik_spec_free(s);
    s = find(rt, "p.d", NULL);
    CHECK_INT(ik_spec_kind(s), IK_KIND_SOURCE);
    CHECK(!ik_spec_is_package(s));
    ik_spec_free(s);
    fx_free(rt, tx);
}

static void relative_names_and_init_normalisation(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    const ik_spec *s = NULL;

    MOUNT(rt, "game", GAME);
    s = find(rt, "..util", "game.core");
    CHECK_STR(ik_spec_name(s, NULL), "game.util");
    ik_spec_free(s);
    s = find(rt, ".player", "game.core");
    CHECK_STR(ik_spec_name(s, NULL), "game.core.player");
    ik_spec_free(s);
    s = find(rt, "game.core.__init__", NULL);
    CHECK_STR(ik_spec_name(s, NULL), "game.core");
    ik_spec_free(s);
    s = (const ik_spec *)&s;
    CHECK_ERR(ik_runtime_find_spec(rt, "game.nope", NULL, &s, &err), IK_ERR_NOT_FOUND);
    CHECK_ERR(ik_runtime_find_spec(rt, "...x", "game.core", &s, &err), IK_ERR_IMPORT);
    CHECK_ERR(ik_runtime_find_spec(rt, "game.util.x", NULL, &s, &err), IK_ERR_NOT_FOUND);
    CHECK_ERR(ik_runtime_find_spec(rt, "a..b", NULL, &s, &err), IK_ERR_INVALID_NAME);
    CHECK(s == (const ik_spec *)&s); /* not written on failure */
    fx_free(rt, tx);
}

static void specs_of_modules_in_the_table(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    const ik_spec *s = NULL, *t = NULL;
    void *m = NULL;

    MOUNT(rt, "game", GAME);
    CHECK_ERR(ik_runtime_module_spec(rt, "game.util", &s, &err), IK_ERR_NOT_FOUND);
    CHECK_OK(ik_runtime_import(rt, "game.util", NULL, &m, &err));
    CHECK_OK(ik_runtime_module_spec(rt, "game.util", &s, &err));
    CHECK_STR(ik_spec_origin(s, NULL), "memory:/game/util.py");
    /* find_spec of a module in the table gives its own spec. */
    t = find(rt, "game.util", NULL);
    CHECK_STR(ik_spec_origin(t, NULL), "memory:/game/util.py");
    ik_spec_free(t);
    /* A spec outlives the module, the mount and the runtime. */
    CHECK_OK(ik_runtime_remove_module(rt, "game.util", &err));
    CHECK_OK(ik_runtime_unmount(rt, "game", &err));
    fx_free(rt, tx);
    CHECK_STR(ik_spec_name(s, NULL), "game.util");
    CHECK_STR(ik_spec_parent(s, NULL), "game");
    ik_spec_free(s);
}

static void virtual_files(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    const ik_spec *s;

    MOUNT(rt, "game", GAME);
    CHECK_OK(ik_runtime_set_virtual_root(rt, "/opt/app.exe", &err));
    s = find(rt, "game.util", NULL);
    CHECK_SPEC_STR(ik_spec_file, s, "/opt/app.exe/game/util.py");
    ik_spec_free(s);
    s = find(rt, "game.core", NULL);
    CHECK_STR(ik_spec_file(s, NULL), "/opt/app.exe/game/core/__init__.py");
    ik_spec_free(s);
    s = find(rt, "game.ns", NULL);
    CHECK(ik_spec_file(s, NULL) == NULL); /* a namespace has no file */
    ik_spec_free(s);
    CHECK_OK(ik_runtime_set_virtual_root(rt, "/opt/app.exe/", &err));
    s = find(rt, "game.util", NULL);
    CHECK_STR(ik_spec_file(s, NULL), "/opt/app.exe/game/util.py");
    ik_spec_free(s);
    CHECK_OK(ik_runtime_set_virtual_root(rt, NULL, &err));
    s = find(rt, "game.util", NULL);
    CHECK(ik_spec_file(s, NULL) == NULL);
    ik_spec_free(s);
    fx_free(rt, tx);
}

int main(void) {
    every_accessor_of_a_package_spec();
    parents_kinds_and_namespaces();
    relative_names_and_init_normalisation();
    specs_of_modules_in_the_table();
    virtual_files();
    return ck_finish("test_spec");
}
