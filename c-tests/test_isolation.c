/* test_isolation.c: two runtimes share nothing: tables, mounts, natives, policy, executors; and the
 * fast path of one thread never mixes up runtimes, even when one is freed and another made. */

#include "fixture.h"

static int32_t make(void *userdata, const ik_spec *spec, void **out_module, ik_report *report) {
    (void)report;
    *out_module = tx_make_module(userdata, spec);
    return IK_OK;
}

static void two_runtimes_share_nothing(void) {
    static const char *const GA[] = {"__init__.py", "set who a"};
    static const char *const GB[] = {"__init__.py", "set who b"};
    tx_executor *ta, *tb;
    ik_runtime *a = fx_runtime(NULL, &ta), *b = fx_runtime(NULL, &tb);
    ik_error *err = NULL;
    void *ma = NULL, *mb = NULL, *m = NULL;
    const ik_spec *s = NULL;
    ik_native n;

    MOUNT(a, "game", GA);
    MOUNT(b, "game", GB);
    CHECK_OK(ik_runtime_import(a, "game", NULL, &ma, &err));
    CHECK_OK(ik_runtime_import(b, "game", NULL, &mb, &err));
    CHECK(ma != mb);
    CHECK_STR(tx_attr(ta, ma, "who"), "a");
    CHECK_STR(tx_attr(tb, mb, "who"), "b");
    CHECK_INT(tx_creates(ta), 1);
    CHECK_INT(tx_creates(tb), 1);
    /* Alternating on one thread, each gets its own. */
    CHECK_OK(ik_runtime_import(a, "game", NULL, &m, &err));
    CHECK(m == ma);
    CHECK_OK(ik_runtime_import(b, "game", NULL, &m, &err));
    CHECK(m == mb);
    /* Policy, mounts, the table and natives are per runtime. */
    CHECK_OK(ik_runtime_deny(a, "game", &err));
    CHECK_ERR(ik_runtime_import(a, "game", NULL, &m, &err), IK_ERR_DENIED);
    CHECK_OK(ik_runtime_import(b, "game", NULL, &m, &err));
    CHECK_OK(ik_runtime_unmount(a, "game", &err));
    CHECK_OK(ik_runtime_find_spec(b, "game", NULL, &s, &err));
    ik_spec_free(s);
    CHECK_OK(ik_runtime_remove_module(a, "game", &err));
    CHECK(ck_in_table(b, "game"));
    memset(&n, 0, sizeof n);
    n.size = (uint32_t)sizeof n;
    n.userdata = ta;
    n.create = make;
    CHECK_OK(ik_runtime_register_native(a, "only_a", &n, &err));
    CHECK_ERR(ik_runtime_import(b, "only_a", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_OK(ik_runtime_import(a, "only_a", NULL, &m, &err));
    /* Freeing one leaves the other whole. */
    fx_free(a, ta);
    CHECK_OK(ik_runtime_import(b, "game", NULL, &m, &err));
    CHECK(m == mb);
    CHECK_INT(tx_releases(tb), 0);
    fx_free(b, tb);
}

static void a_new_runtime_never_sees_a_freed_ones_modules(void) {
    static const char *const G1[] = {"__init__.py", "set gen 1"};
    static const char *const G2[] = {"__init__.py", "set gen 2"};
    tx_executor *t1, *t2;
    ik_runtime *r1 = fx_runtime(NULL, &t1), *r2;
    ik_error *err = NULL;
    void *m = NULL;

    MOUNT(r1, "game", G1);
    CHECK_OK(ik_runtime_import(r1, "game", NULL, &m, &err));
    CHECK_OK(ik_runtime_import(r1, "game", NULL, &m, &err)); /* now on this thread's fast path */
    fx_free(r1, t1);
    r2 = fx_runtime(NULL, &t2);
    CHECK_ERR(ik_runtime_import(r2, "game", NULL, &m, &err), IK_ERR_NOT_FOUND);
    MOUNT(r2, "game", G2);
    CHECK_OK(ik_runtime_import(r2, "game", NULL, &m, &err));
    CHECK_STR(tx_attr(t2, m, "gen"), "2");
    fx_free(r2, t2);
}

static void many_runtimes_on_one_thread(void) {
    enum { N = 7 };
    static const char *const G[] = {"__init__.py", ""};
    tx_executor *tx[N];
    ik_runtime *rt[N];
    void *first[N];
    ik_error *err = NULL;
    int i, round;

    for (i = 0; i < N; i++) {
        rt[i] = fx_runtime(NULL, &tx[i]);
        MOUNT(rt[i], "game", G);
        first[i] = NULL;
    }
    for (round = 0; round < 3; round++) {
        for (i = 0; i < N; i++) {
            void *m = NULL;
            CHECK_OK(ik_runtime_import(rt[i], "game", NULL, &m, &err));
            if (round == 0) first[i] = m;
            CHECK(m == first[i]);
        }
    }
    for (i = 0; i < N; i++) {
        CHECK_INT(tx_exec_count(tx[i], "game"), 1);
        fx_free(rt[i], tx[i]);
    }
}

int main(void) {
    two_runtimes_share_nothing();
    a_new_runtime_never_sees_a_freed_ones_modules();
    many_runtimes_on_one_thread();
    return ck_finish("test_isolation");
}
