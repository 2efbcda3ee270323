/* test_executor.c: the executor's life: replacing it (also from inside a running import) releases the
 * previous userdata exactly once and only when no import uses it any more; every module object is given
 * back exactly once; a vtable with only the required callbacks works. */

#include "fixture.h"

typedef struct swapper swapper;
struct swapper {
    const ik_runtime *rt;
    swapper *next;          /* the executor `exec` of "swap" installs */
    int creates;
    int releases;           /* module objects given back to this executor */
    int userdata_releases;
    int released_while_running; /* userdata_releases seen right after the swap, inside exec */
};

static ik_executor swapper_vtable(swapper *s);

static int32_t sw_create(void *userdata, const ik_spec *spec, void **out_module, ik_report *report) {
    (void)spec, (void)report;
    ((swapper *)userdata)->creates++;
    *out_module = malloc(8);
    return IK_OK;
}

static int32_t sw_exec(void *userdata, const ik_spec *spec, void *module, const uint8_t *source, size_t len,
                       ik_report *report) {
    swapper *s = userdata;
    (void)module, (void)source, (void)len;
    if (strcmp(ik_spec_name(spec, NULL), "swap") == 0 && s->next != NULL) {
        ik_executor vt = swapper_vtable(s->next);
        ik_error *err = NULL;
        if (ik_runtime_set_executor(s->rt, &vt, &err) != IK_OK) {
            ik_report_pass(report, err, NULL);
            ik_error_free(err);
            return IK_ERR_EXEC;
        }
        s->released_while_running = s->userdata_releases;
    }
    return IK_OK;
}

static void sw_release(void *userdata, void *module) {
    ((swapper *)userdata)->releases++;
    free(module);
}

static void sw_release_userdata(void *userdata) { ((swapper *)userdata)->userdata_releases++; }

static ik_executor swapper_vtable(swapper *s) {
    ik_executor vt;
    memset(&vt, 0, sizeof vt);
    vt.size = (uint32_t)sizeof vt;
    vt.userdata = s;
    vt.create = sw_create;
    vt.exec = sw_exec;
    vt.release = sw_release;
    vt.release_userdata = sw_release_userdata;
    return vt;
}

static void replacing_the_executor(void) {
    static const char *const ROOT[] = {"one.py", "", "two.py", "", "three.py", ""};
    ik_runtime *rt = NULL;
    ik_error *err = NULL;
    swapper a, b;
    ik_executor vt;
    void *m = NULL;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    CHECK_OK(ik_runtime_new(NULL, &rt, &err));
    a.rt = b.rt = rt;
    MOUNT(rt, "", ROOT);
    vt = swapper_vtable(&a);
    CHECK_OK(ik_runtime_set_executor(rt, &vt, &err));
    CHECK_OK(ik_runtime_import(rt, "one", NULL, &m, &err));
    CHECK_INT(a.creates, 1);
    /* A refused executor leaves the current one in place. */
    vt = swapper_vtable(&b);
    vt.size = 1;
    CHECK_ERR(ik_runtime_set_executor(rt, &vt, &err), IK_ERR_INVALID_ARGUMENT);
    /* A size that is no layout: nothing past it is read, so the userdata is not released either. */
    CHECK_INT(b.userdata_releases, 0);
    CHECK_INT(a.userdata_releases, 0);
    CHECK_OK(ik_runtime_import(rt, "two", NULL, &m, &err));
    CHECK_INT(a.creates, 2);
    /* Replaced while no import runs: given back at once. */
    b.userdata_releases = 0;
    vt = swapper_vtable(&b);
    CHECK_OK(ik_runtime_set_executor(rt, &vt, &err));
    CHECK_INT(a.userdata_releases, 1);
    CHECK_INT(b.userdata_releases, 0);
    CHECK_OK(ik_runtime_import(rt, "three", NULL, &m, &err));
    CHECK_INT(b.creates, 1);
    ik_runtime_free(rt);
    CHECK_INT(a.userdata_releases, 1);
    CHECK_INT(b.userdata_releases, 1);
    /* Every module object came back exactly once (through the executor current at the time). */
    CHECK_INT(a.releases + b.releases, a.creates + b.creates);
}

static void replacing_the_executor_from_inside_an_import(void) {
    static const char *const ROOT[] = {"swap.py", "", "after.py", ""};
    ik_runtime *rt = NULL;
    ik_error *err = NULL;
    swapper a, b;
    ik_executor vt;
    void *m = NULL;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    CHECK_OK(ik_runtime_new(NULL, &rt, &err));
    a.rt = b.rt = rt;
    a.next = &b;
    MOUNT(rt, "", ROOT);
    vt = swapper_vtable(&a);
    CHECK_OK(ik_runtime_set_executor(rt, &vt, &err));
    CHECK_OK(ik_runtime_import(rt, "swap", NULL, &m, &err));
    /* a was still executing `swap` when it was replaced: its userdata had to wait. */
    CHECK_INT(a.released_while_running, 0);
    CHECK_INT(a.userdata_releases, 1);
    CHECK_INT(b.userdata_releases, 0);
    CHECK_OK(ik_runtime_import(rt, "after", NULL, &m, &err));
    CHECK_INT(b.creates, 1);
    CHECK_INT(a.creates, 1);
    ik_runtime_free(rt);
    CHECK_INT(a.userdata_releases, 1);
    CHECK_INT(b.userdata_releases, 1);
    CHECK_INT(a.releases + b.releases, 2);
}

/* ----- only create and exec ----- */

typedef struct {
    int slots[16];
    int used;
} bare;

static int32_t bare_create(void *userdata, const ik_spec *spec, void **out_module, ik_report *report) {
    bare *b = userdata;
    (void)spec;
    if (b->used == 16) {
        ik_report_error(report, IK_ERR_EXEC, "out of slots", 0, 0, NULL);
        return IK_ERR_EXEC;
    }
    *out_module = &b->slots[b->used++];
    return IK_OK;
}

static int32_t bare_exec(void *userdata, const ik_spec *spec, void *module, const uint8_t *source, size_t len,
                         ik_report *report) {
    (void)userdata, (void)spec, (void)module, (void)source, (void)len, (void)report;
    return IK_OK;
}

static void only_the_required_callbacks(void) {
    static const char *const PKG[] = {"__init__.py", "", "a.py", "", "b.py", ""};
    ik_runtime *rt = NULL;
    ik_error *err = NULL;
    bare b;
    ik_executor vt;
    void *m = NULL;
    const char *star[] = {"*"};
    const char *a[] = {"a"};

    memset(&b, 0, sizeof b);
    memset(&vt, 0, sizeof vt);
    vt.size = (uint32_t)sizeof vt;
    vt.userdata = &b;
    vt.create = bare_create;
    vt.exec = bare_exec;
    CHECK_OK(ik_runtime_new(NULL, &rt, &err));
    CHECK_OK(ik_runtime_set_executor(rt, &vt, &err));
    MOUNT(rt, "pkg", PKG);
    /* No all_names: `import *` imports nothing. */
    CHECK_OK(ik_runtime_import_from(rt, "pkg", NULL, 0, star, 1, &m, &err));
    CHECK(m == &b.slots[0]);
    CHECK(!ck_in_table(rt, "pkg.a"));
    /* No has_attr: every fromlist name is tried as a submodule. */
    CHECK_OK(ik_runtime_import_from(rt, "pkg", NULL, 0, a, 1, &m, &err));
    CHECK(ck_in_table(rt, "pkg.a"));
    CHECK_OK(ik_runtime_import(rt, "pkg.b", NULL, &m, &err));
    CHECK(m == &b.slots[2]);
    CHECK_OK(ik_runtime_remove_module(rt, "pkg.b", &err)); /* no release callback: nothing to call */
    ik_runtime_free(rt);
    CHECK_INT(b.used, 3);
}

int main(void) {
    replacing_the_executor();
    replacing_the_executor_from_inside_an_import();
    only_the_required_callbacks();
    return ck_finish("test_executor");
}
