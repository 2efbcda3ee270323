/* test_cycles.c: circular imports see the partly initialised module (IK_MODULE_INITIALIZING), and every
 * module of a cycle executes once. */

#include "fixture.h"

static void two_modules_import_each_other(void) {
    static const char *const CYC[] = {
        "__init__.py", "",
        "a.py",        "set early 1\nstate cyc.a\nimport cyc.b\nset late 1",
        "b.py",        "state cyc.a\nimport cyc.a\nset b 1",
    };
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *a = NULL;

    MOUNT(rt, "cyc", CYC);
    CHECK_OK(ik_runtime_import(rt, "cyc.a", NULL, &a, &err));
    CHECK_STR(tx_attr(tx, a, "late"), "1");
    /* cyc.b ran while cyc.a was still executing, and got it back partly initialised. */
    CHECK(tx_logged(tx, "state cyc.a=initializing"));
    CHECK(tx_logged(tx, "partial cyc.b<-cyc.a"));
    CHECK(!tx_logged(tx, "partial cyc.a<-cyc.b"));
    CHECK_INT(tx_exec_count(tx, "cyc.a"), 1);
    CHECK_INT(tx_exec_count(tx, "cyc.b"), 1);
    CHECK_INT(ck_state(rt, "cyc.a"), IK_MODULE_READY);
    CHECK_INT(ck_state(rt, "cyc.b"), IK_MODULE_READY);
    fx_free(rt, tx);
}

static void a_package_and_its_submodule(void) {
    static const char *const P[] = {
        "__init__.py", "import p.sub\nset done 1",
        "sub.py",      "state p\nimport p\nstate p.sub",
    };
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *sub = NULL, *p = NULL;

    MOUNT(rt, "p", P);
    CHECK_OK(ik_runtime_import(rt, "p.sub", NULL, &sub, &err));
    CHECK_STR(tx_name(sub), "p.sub");
    CHECK_INT(tx_exec_count(tx, "p"), 1);
    CHECK_INT(tx_exec_count(tx, "p.sub"), 1);
    CHECK(tx_logged(tx, "state p=initializing"));
    CHECK(tx_logged(tx, "state p.sub=initializing"));
    CHECK(tx_logged(tx, "partial p.sub<-p"));
    CHECK_OK(ik_runtime_get_module(rt, "p", &p, NULL, &err));
    CHECK_STR(tx_attr(tx, p, "done"), "1");
    CHECK_STR(tx_attr(tx, p, "sub"), "<module p.sub>");
    fx_free(rt, tx);
}

static void from_imports_in_a_cycle(void) {
    static const char *const Q[] = {
        "__init__.py", "from . import x\nset ready 1",
        "x.py",        "from . import y",
        "y.py",        "from q import x\nstate q.x",
    };
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *q = NULL;

    MOUNT(rt, "q", Q);
    CHECK_OK(ik_runtime_import(rt, "q", NULL, &q, &err));
    CHECK_STR(tx_attr(tx, q, "ready"), "1");
    CHECK(tx_logged(tx, "partial q.y<-q"));
    CHECK(tx_logged(tx, "state q.x=initializing"));
    CHECK_INT(tx_exec_count(tx, "q"), 1);
    CHECK_INT(tx_exec_count(tx, "q.x"), 1);
    CHECK_INT(tx_exec_count(tx, "q.y"), 1);
    CHECK_INT(ck_state(rt, "q.x"), IK_MODULE_READY);
    fx_free(rt, tx);
}

static void a_module_that_imports_itself(void) {
    static const char *const S[] = {"__init__.py", "import s\nset v 1"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *s = NULL;

    MOUNT(rt, "s", S);
    CHECK_OK(ik_runtime_import(rt, "s", NULL, &s, &err));
    CHECK(tx_logged(tx, "partial s<-s"));
    CHECK_INT(tx_exec_count(tx, "s"), 1);
    CHECK_INT(tx_creates(tx), 1);
    fx_free(rt, tx);
}

int main(void) {
    two_modules_import_each_other();
    a_package_and_its_submodule();
    from_imports_in_a_cycle();
    a_module_that_imports_itself();
    return ck_finish("test_cycles");
}
