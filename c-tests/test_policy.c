/* test_policy.c: allow and deny lists. Deny wins; a denied import leaves no trace: no table entry, no
 * executor, finder or factory callback. */

#include "fixture.h"

static const char *const GAME[] = {
    "__init__.py", "set title Game", "util.py", "set helper yes", "core/__init__.py", "", "core/player.py", "",
};

typedef struct {
    int finds;
    int made;
    int releases;
    tx_executor *tx;
} spy;

static int32_t spy_find(void *userdata, const char *name, size_t name_len, const char *const *path,
                        size_t path_count, ik_found *found, ik_report *report) {
    (void)name, (void)name_len, (void)path, (void)path_count, (void)found, (void)report;
    ((spy *)userdata)->finds++;
    return IK_OK;
}

static int32_t spy_create(void *userdata, const ik_spec *spec, void **out_module, ik_report *report) {
    spy *s = userdata;
    (void)report;
    s->made++;
    *out_module = tx_make_module(s->tx, spec);
    return IK_OK;
}

static void spy_release(void *userdata) { ((spy *)userdata)->releases++; }

static void install_spies(ik_runtime *rt, spy *s) {
    ik_error *err = NULL;
    ik_finder f;
    ik_native n;
    memset(&f, 0, sizeof f);
    f.size = (uint32_t)sizeof f;
    f.name = "spy";
    f.userdata = s;
    f.find = spy_find;
    CHECK_OK(ik_runtime_add_finder(rt, &f, 0, NULL, &err));
    memset(&n, 0, sizeof n);
    n.size = (uint32_t)sizeof n;
    n.userdata = s;
    n.create = spy_create;
    n.release_userdata = spy_release;
    CHECK_OK(ik_runtime_register_native(rt, "secret", &n, &err));
}

static void a_denied_import_leaves_no_trace(void) {
    static const char *const APP[] = {"__init__.py", "set a 1\nimport secret"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    spy s;
    void *m = (void *)&s;
    const ik_spec *spec = NULL;

    memset(&s, 0, sizeof s);
    s.tx = tx;
    MOUNT(rt, "game", GAME);
    MOUNT(rt, "app", APP);
    install_spies(rt, &s);
    CHECK_OK(ik_runtime_deny(rt, "game", &err));
    CHECK_OK(ik_runtime_deny(rt, "secret", &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "game.core.player", NULL, &m, &err), IK_ERR_DENIED);
    CHECK_STR(ck_msg(err), "import of 'game.core.player' denied by policy: 'game' is on the deny list");
    CHECK_STR(ik_error_module(err, NULL), "game.core.player");
    FREE_ERR();
    CHECK(m == (void *)&s);
    CHECK_ERR(ik_runtime_find_spec(rt, "game.core", NULL, &spec, &err), IK_ERR_DENIED);
    CHECK_ERR(ik_runtime_import_from(rt, "game", NULL, 0, NULL, 0, &m, &err), IK_ERR_DENIED);
    CHECK_ERR(ik_runtime_import(rt, "..util", "game.core", &m, &err), IK_ERR_DENIED);
    CHECK_ERR(ik_runtime_import(rt, "secret", NULL, &m, &err), IK_ERR_DENIED);
    CHECK_INT(tx_creates(tx), 0);
    CHECK_INT(s.finds, 0);
    CHECK_INT(s.made, 0);
    CHECK(!ck_in_table(rt, "game"));
    /* A module that imports a denied one fails with the denial, and is gone again. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "app", NULL, &m, &err), IK_ERR_DENIED);
    CHECK_STR(ik_error_module(err, NULL), "secret");
    FREE_ERR();
    CHECK(!ck_in_table(rt, "app"));
    CHECK(!ck_in_table(rt, "secret"));
    CHECK_INT(s.made, 0);
    fx_free(rt, tx);
    CHECK_INT(s.releases, 1);
}

static void deny_wins_over_allow_and_over_the_table(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL, *util = NULL;

    MOUNT(rt, "game", GAME);
    CHECK_OK(ik_runtime_import(rt, "game.util", NULL, &util, &err));
    CHECK_OK(ik_runtime_allow(rt, "game", &err));
    CHECK_OK(ik_runtime_deny(rt, "game", &err));
    /* A module already in the table is denied too (the fast path must not bypass the policy). */
    CHECK_ERR(ik_runtime_import(rt, "game.util", NULL, &m, &err), IK_ERR_DENIED);
    CHECK_ERR(ik_runtime_import_n(rt, "game.util", 9, NULL, 0, &m, &err), IK_ERR_DENIED);
    CHECK_ERR(ik_runtime_import(rt, "game", NULL, &m, &err), IK_ERR_DENIED);
    /* The table itself is not the policy's business. */
    CHECK(ck_in_table(rt, "game.util"));
    CHECK_INT(tx_exec_count(tx, "game.util"), 1);
    CHECK_OK(ik_runtime_clear_policy(rt, &err));
    CHECK_OK(ik_runtime_import(rt, "game.util", NULL, &m, &err));
    CHECK(m == util);
    fx_free(rt, tx);
}

static void an_allow_list_restricts_to_its_names(void) {
    static const char *const OTHER[] = {"__init__.py", ""};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;

    MOUNT(rt, "game", GAME);
    MOUNT(rt, "other", OTHER);
    CHECK_OK(ik_runtime_allow(rt, "game", &err));
    CHECK_OK(ik_runtime_import(rt, "game.util", NULL, &m, &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "other", NULL, &m, &err), IK_ERR_DENIED);
    CHECK_STR(ck_msg(err), "import of 'other' denied by policy: 'other' is not on the allow list");
    FREE_ERR();
    CHECK(!ck_in_table(rt, "other"));
    CHECK_OK(ik_runtime_allow(rt, "*", &err));
    CHECK_OK(ik_runtime_import(rt, "other", NULL, &m, &err));
    /* Policy names are top-level names. */
    CHECK_ERR(ik_runtime_allow(rt, "a.b", &err), IK_ERR_INVALID_NAME);
    CHECK_ERR(ik_runtime_deny(rt, "a.b", &err), IK_ERR_INVALID_NAME);
    CHECK_ERR(ik_runtime_allow(rt, "", &err), IK_ERR_INVALID_NAME);
    CHECK_ERR(ik_runtime_deny(rt, "1x", &err), IK_ERR_INVALID_NAME);
    fx_free(rt, tx);
}

static void deny_star_is_not_a_silent_no_op(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;
    ik_status s;

    MOUNT(rt, "game", GAME);
    /* "*" is documented for allow only: deny("*") must deny every name, or be refused. */
    s = ik_runtime_deny(rt, "*", &err);
    FREE_ERR();
    if (s == IK_OK)
        CHECK_ERR(ik_runtime_import(rt, "game", NULL, &m, &err), IK_ERR_DENIED);
    else
        CHECK_INT(s, IK_ERR_INVALID_NAME);
    fx_free(rt, tx);
}

int main(void) {
    a_denied_import_leaves_no_trace();
    deny_wins_over_allow_and_over_the_table();
    an_allow_list_restricts_to_its_names();
    deny_star_is_not_a_silent_no_op();
    return ck_finish("test_policy");
}
