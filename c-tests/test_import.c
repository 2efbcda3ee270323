/* test_import.c: absolute and relative imports of a mounted package, `from X import Y`, `import *`,
 * namespace packages, `__init__` normalisation, counted strings. */

#include "fixture.h"

static const char *const GAME[] = {
    "__init__.py",      "set title Game",
    "core/__init__.py", "from . import player",
    "core/player.py",   "import ..util\nset hp 10",
    "util.py",          "set helper yes",
    "ns/deep.py",       "set deep 1",
    "data/level1.txt",  "not a module",
};

static void *module_of(const ik_runtime *rt, const char *name) {
    void *m = NULL;
    uint32_t state = 99;
    ik_error *err = NULL;
    CHECK_OK(ik_runtime_get_module(rt, name, &m, &state, &err));
    return m;
}

static void absolute_import_of_a_package_tree(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *player = NULL, *again = NULL;
    const char *names[] = {"game", "game.core", "game.core.player", "game.util"};
    size_t i;

    MOUNT(rt, "game", GAME);
    CHECK_OK(ik_runtime_import(rt, "game.core.player", NULL, &player, &err));
    CHECK_STR(tx_name(player), "game.core.player");
    CHECK_STR(tx_package(player), "game.core");
    CHECK_STR(tx_attr(tx, player, "hp"), "10");
    for (i = 0; i < CK_COUNT(names); i++) {
        CHECK_INT(tx_exec_count(tx, names[i]), 1);
        CHECK_INT(ck_state(rt, names[i]), IK_MODULE_READY);
    }
    CHECK_INT(tx_creates(tx), 4);
    /* Children are bound to their parents. */
    CHECK_STR(tx_attr(tx, module_of(rt, "game.core"), "player"), "<module game.core.player>");
    CHECK_STR(tx_attr(tx, module_of(rt, "game"), "core"), "<module game.core>");
    CHECK_STR(tx_attr(tx, module_of(rt, "game"), "util"), "<module game.util>");
    /* A second import is the same module and executes nothing. */
    CHECK_OK(ik_runtime_import(rt, "game.core.player", NULL, &again, &err));
    CHECK(again == player);
    CHECK_INT(tx_exec_count(tx, "game.core.player"), 1);
    CHECK_INT(tx_creates(tx), 4);
    /* Resources are not modules. */
    CHECK_ERR(ik_runtime_import(rt, "game.data.level1", NULL, &again, &err), IK_ERR_NOT_FOUND);
    fx_free(rt, tx);
}

static void relative_imports(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;
    const char buffer[] = "game.utilXYZ";

    MOUNT(rt, "game", GAME);
    CHECK_OK(ik_runtime_import(rt, "..util", "game.core", &m, &err));
    CHECK_STR(tx_name(m), "game.util");
    CHECK_OK(ik_runtime_import(rt, ".core", "game", &m, &err));
    CHECK_STR(tx_name(m), "game.core");
    CHECK_OK(ik_runtime_import(rt, ".", "game.core", &m, &err));
    CHECK_STR(tx_name(m), "game.core");
    CHECK_OK(ik_runtime_import(rt, "..", "game.core", &m, &err));
    CHECK_STR(tx_name(m), "game");
    /* Counted strings: the name need not end with a NUL. */
    m = NULL;
    CHECK_OK(ik_runtime_import_n(rt, buffer, 9, NULL, 0, &m, &err));
    CHECK_STR(tx_name(m), "game.util");
    m = NULL;
    CHECK_OK(ik_runtime_import_n(rt, "..core.playerZZ", 13, "game.core!", 9, &m, &err));
    CHECK_STR(tx_name(m), "game.core.player");

    CHECK_ERR_KEEP(ik_runtime_import(rt, "...x", "game.core", &m, &err), IK_ERR_IMPORT);
    CHECK_STR(ck_msg(err), "attempted relative import beyond top-level package");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_import(rt, ".x", NULL, &m, &err), IK_ERR_IMPORT);
    CHECK_STR(ck_msg(err), "attempted relative import with no known parent package");
    FREE_ERR();
    CHECK_ERR(ik_runtime_import(rt, ".x", "", &m, &err), IK_ERR_IMPORT);
    CHECK_ERR(ik_runtime_import(rt, "", NULL, &m, &err), IK_ERR_INVALID_NAME);
    CHECK_ERR(ik_runtime_import(rt, "a..b", NULL, &m, &err), IK_ERR_INVALID_NAME);
    CHECK_ERR(ik_runtime_import(rt, "a/b", NULL, &m, &err), IK_ERR_INVALID_NAME);
    CHECK_ERR(ik_runtime_import(rt, "1a", NULL, &m, &err), IK_ERR_INVALID_NAME);
    CHECK_ERR(ik_runtime_import(rt, "game.", NULL, &m, &err), IK_ERR_INVALID_NAME);
    fx_free(rt, tx);
}

static void import_from_returns_what_a_statement_binds(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL, *core = NULL;
    const char *player[] = {"player"};
    const char *util[] = {"util"};
    const char *missing[] = {"missing_name"};
    const char *title[] = {"title"};

    MOUNT(rt, "game", GAME);
    /* import game.core.player -> game */
    CHECK_OK(ik_runtime_import_from(rt, "game.core.player", NULL, 0, NULL, 0, &m, &err));
    CHECK_STR(tx_name(m), "game");
    /* from game.core import player -> game.core */
    CHECK_OK(ik_runtime_import_from(rt, "game.core", NULL, 0, player, 1, &core, &err));
    CHECK_STR(tx_name(core), "game.core");
    /* from .. import util, inside game.core.player (package game.core) */
    CHECK_OK(ik_runtime_import_from(rt, "", "game.core", 2, util, 1, &m, &err));
    CHECK_STR(tx_name(m), "game");
    /* from .core import player, inside game */
    CHECK_OK(ik_runtime_import_from(rt, "core", "game", 1, player, 1, &m, &err));
    CHECK(m == core);
    /* import .core (level 1, no fromlist) gives game.core as `from . import core` would bind it */
    CHECK_OK(ik_runtime_import_from(rt, "core", "game", 1, NULL, 0, &m, &err));
    CHECK_STR(tx_name(m), "game.core");
    /* A name that is neither an attribute nor a module is left to the caller's getattr. */
    CHECK_OK(ik_runtime_import_from(rt, "game", NULL, 0, missing, 1, &m, &err));
    CHECK_STR(tx_name(m), "game");
    CHECK(!ck_in_table(rt, "game.missing_name"));
    /* An attribute is not imported as a submodule. */
    CHECK_OK(ik_runtime_import_from(rt, "game", NULL, 0, title, 1, &m, &err));
    CHECK(!ck_in_table(rt, "game.title"));
    CHECK_INT(tx_exec_count(tx, "game"), 1);
    CHECK_ERR_KEEP(ik_runtime_import_from(rt, "x", "game", 2, NULL, 0, &m, &err), IK_ERR_IMPORT);
    CHECK_STR(ck_msg(err), "attempted relative import beyond top-level package");
    FREE_ERR();
    CHECK_ERR(ik_runtime_import_from(rt, "x", NULL, 1, NULL, 0, &m, &err), IK_ERR_IMPORT);
    fx_free(rt, tx);
}

static void star_import_follows_all(void) {
    static const char *const PKG[] = {
        "__init__.py", "all a c", "a.py", "set a 1", "b.py", "set b 1", "c/__init__.py", "",
    };
    static const char *const USER[] = {"__init__.py", "from pkg2 import *"};
    static const char *const PKG2[] = {"__init__.py", "all x", "x.py", "", "y.py", ""};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;
    const char *star[] = {"*"};

    MOUNT(rt, "pkg", PKG);
    MOUNT(rt, "user", USER);
    MOUNT(rt, "pkg2", PKG2);
    CHECK_OK(ik_runtime_import_from(rt, "pkg", NULL, 0, star, 1, &m, &err));
    CHECK_STR(tx_name(m), "pkg");
    CHECK(ck_in_table(rt, "pkg.a"));
    CHECK(ck_in_table(rt, "pkg.c"));
    CHECK(!ck_in_table(rt, "pkg.b"));
    /* The same through a module's own `from pkg2 import *`. */
    CHECK_OK(ik_runtime_import(rt, "user", NULL, &m, &err));
    CHECK(ck_in_table(rt, "pkg2.x"));
    CHECK(!ck_in_table(rt, "pkg2.y"));
    fx_free(rt, tx);
}

static void namespace_and_init_normalisation(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *deep = NULL, *a = NULL, *b = NULL;

    MOUNT(rt, "game", GAME);
    CHECK_OK(ik_runtime_import(rt, "game.ns.deep", NULL, &deep, &err));
    CHECK_STR(tx_attr(tx, deep, "deep"), "1");
    CHECK_INT(tx_exec_count(tx, "game.ns"), 0);
    CHECK(ck_in_table(rt, "game.ns"));
    CHECK_INT(ck_state(rt, "game.ns"), IK_MODULE_READY);
    CHECK_OK(ik_runtime_import(rt, "game.core.__init__", NULL, &a, &err));
    CHECK_OK(ik_runtime_import(rt, "game.core", NULL, &b, &err));
    CHECK(a == b);
    CHECK(!ck_in_table(rt, "game.core.__init__"));
    fx_free(rt, tx);
}

static void a_module_is_not_a_package(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;

    MOUNT(rt, "game", GAME);
    CHECK_ERR_KEEP(ik_runtime_import(rt, "game.util.y", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ck_msg(err), "No module named 'game.util.y'; 'game.util' is not a package");
    FREE_ERR();
    fx_free(rt, tx);
}

static void long_dotted_names_and_unicode(void) {
    static const char *const UNI[] = {"__init__.py", "", "naïve.py", "set v unicode", "名前/__init__.py", ""};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;
    char name[2 * 300];
    int i;
    const char *x[] = {"x"};

    MOUNT(rt, "uni", UNI);
    CHECK_OK(ik_runtime_import(rt, "uni.naïve", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "unicode");
    CHECK_STR(tx_name(m), "uni.naïve");
    CHECK_OK(ik_runtime_import(rt, ".名前", "uni", &m, &err));
    CHECK_STR(tx_name(m), "uni.名前");
    /* IK_MAX_NAME_SEGMENTS segments are a name (its parents are not "nested imports" of
     * IK_MAX_IMPORT_DEPTH: the top-level `a` is simply not found); one more segment is no name. */
    for (i = 0; i < IK_MAX_NAME_SEGMENTS; i++) memcpy(name + 2 * i, "a.", 2);
    name[2 * IK_MAX_NAME_SEGMENTS - 1] = '\0';
    CHECK_ERR(ik_runtime_import(rt, name, NULL, &m, &err), IK_ERR_NOT_FOUND);
    name[2 * IK_MAX_NAME_SEGMENTS - 1] = '.';
    name[2 * IK_MAX_NAME_SEGMENTS] = 'a';
    name[2 * IK_MAX_NAME_SEGMENTS + 1] = '\0';
    CHECK_ERR(ik_runtime_import(rt, name, NULL, &m, &err), IK_ERR_INVALID_NAME);
    /* `from uni.naïve import x`: a module, not a package; x is left to the caller's getattr. */
    CHECK_OK(ik_runtime_import_from(rt, "uni.naïve", NULL, 0, x, 1, &m, &err));
    CHECK_STR(tx_name(m), "uni.naïve");
    fx_free(rt, tx);
}

int main(void) {
    absolute_import_of_a_package_tree();
    relative_imports();
    import_from_returns_what_a_statement_binds();
    star_import_follows_all();
    namespace_and_init_normalisation();
    a_module_is_not_a_package();
    long_dotted_names_and_unicode();
    return ck_finish("test_import");
}
