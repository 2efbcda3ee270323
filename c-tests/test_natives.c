/* test_natives.c: native modules made by factories: packages with native submodules, flags, double
 * registration, failing factories, factories that import, and the release of every factory's userdata. */

#include "fixture.h"

typedef struct {
    tx_executor *tx;
    const ik_runtime *rt;
    int made;
    int releases;
    int32_t fail_with;   /* 0: make the module; else report this status */
    const char *imports; /* a module the factory imports first, or NULL */
} factory;

static int32_t factory_create(void *userdata, const ik_spec *spec, void **out_module, ik_report *report) {
    factory *f = userdata;
    f->made++;
    if (f->fail_with != 0) {
        ik_report_error(report, f->fail_with, "no GPU", 0, 0, NULL);
        return f->fail_with;
    }
    if (f->imports != NULL) {
        void *m = NULL;
        ik_error *err = NULL;
        if (ik_runtime_import(f->rt, f->imports, NULL, &m, &err) != IK_OK) {
            int32_t status = (int32_t)ik_error_status(err);
            ik_report_pass(report, err, NULL);
            ik_error_free(err);
            return status;
        }
    }
    *out_module = tx_make_module(f->tx, spec);
    return IK_OK;
}

static void factory_release(void *userdata) { ((factory *)userdata)->releases++; }

static ik_native native_of(factory *f, uint32_t flags) {
    ik_native n;
    memset(&n, 0, sizeof n);
    n.size = (uint32_t)sizeof n;
    n.flags = flags;
    n.userdata = f;
    n.create = factory_create;
    n.release_userdata = factory_release;
    return n;
}

static factory factory_for(tx_executor *tx, const ik_runtime *rt) {
    factory f;
    memset(&f, 0, sizeof f);
    f.tx = tx;
    f.rt = rt;
    return f;
}

static void packages_submodules_and_registration(void) {
    static const char *const AUDIO[] = {"__init__.py", "set from memory"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    factory time_f = factory_for(tx, rt), engine_f = factory_for(tx, rt), gfx_f = factory_for(tx, rt);
    factory dup_f = factory_for(tx, rt), plug_f = factory_for(tx, rt), audio_f = factory_for(tx, rt);
    ik_native n;
    const ik_spec *spec = NULL;
    void *m = NULL, *again = NULL;
    size_t len = 0;

    n = native_of(&time_f, 0);
    CHECK_OK(ik_runtime_register_native(rt, "time", &n, &err));
    n = native_of(&engine_f, 0);
    CHECK_OK(ik_runtime_register_native(rt, "engine", &n, &err));
    n = native_of(&gfx_f, 0);
    CHECK_OK(ik_runtime_register_native(rt, "engine.gfx", &n, &err));
    n = native_of(&plug_f, IK_NATIVE_PACKAGE);
    CHECK_OK(ik_runtime_register_native(rt, "plug", &n, &err));
    /* A second registration of a name is refused, and its userdata given back at once. */
    n = native_of(&dup_f, 0);
    CHECK_ERR_KEEP(ik_runtime_register_native(rt, "time", &n, &err), IK_ERR_EXISTS);
    CHECK_STR(ck_msg(err), "native 'time' is registered already");
    FREE_ERR();
    CHECK_INT(dup_f.releases, 1);
    CHECK_INT(time_f.releases, 0);

    CHECK_OK(ik_runtime_find_spec(rt, "engine", NULL, &spec, &err));
    CHECK_STR(ik_spec_origin(spec, &len), "builtin:engine");
    CHECK_INT(len, 14);
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NATIVE);
    CHECK(ik_spec_is_package(spec));
    CHECK(ik_spec_file(spec, NULL) == NULL);
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_find_spec(rt, "time", NULL, &spec, &err));
    CHECK(!ik_spec_is_package(spec));
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_find_spec(rt, "plug", NULL, &spec, &err));
    CHECK(ik_spec_is_package(spec));
    ik_spec_free(spec);
    CHECK_INT(time_f.made + engine_f.made + gfx_f.made, 0);

    CHECK_OK(ik_runtime_import(rt, "engine.gfx", NULL, &m, &err));
    CHECK_STR(tx_name(m), "engine.gfx");
    CHECK_INT(engine_f.made, 1);
    CHECK_INT(gfx_f.made, 1);
    CHECK_OK(ik_runtime_get_module(rt, "engine", &again, NULL, &err));
    CHECK_STR(tx_attr(tx, again, "gfx"), "<module engine.gfx>");
    CHECK_OK(ik_runtime_import(rt, "time", NULL, &m, &err));
    CHECK_OK(ik_runtime_import(rt, "time", NULL, &again, &err));
    CHECK(m == again);
    CHECK_INT(time_f.made, 1);
    CHECK_INT(tx_exec_count(tx, "time"), 0); /* natives are not executed */
    CHECK_INT(ck_state(rt, "time"), IK_MODULE_READY);

    /* Unregistering keeps the module made already. */
    CHECK_OK(ik_runtime_unregister_native(rt, "time", &err));
    CHECK_INT(time_f.releases, 1);
    CHECK_ERR(ik_runtime_unregister_native(rt, "time", &err), IK_ERR_UNAVAILABLE);
    CHECK_OK(ik_runtime_import(rt, "time", NULL, &again, &err));
    CHECK(again == m);

    /* A native wins over a mount of the same name (the registry comes before the meta path). */
    MOUNT(rt, "audio", AUDIO);
    n = native_of(&audio_f, 0);
    CHECK_OK(ik_runtime_register_native(rt, "audio", &n, &err));
    CHECK_OK(ik_runtime_find_spec(rt, "audio", NULL, &spec, &err));
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NATIVE);
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_unregister_native(rt, "audio", &err));
    CHECK_INT(audio_f.releases, 1);
    CHECK_OK(ik_runtime_find_spec(rt, "audio", NULL, &spec, &err));
    CHECK_INT(ik_spec_kind(spec), IK_KIND_SOURCE);
    ik_spec_free(spec);

    fx_free(rt, tx);
    CHECK_INT(time_f.releases, 1);
    CHECK_INT(engine_f.releases, 1);
    CHECK_INT(gfx_f.releases, 1);
    CHECK_INT(plug_f.releases, 1);
    CHECK_INT(dup_f.releases, 1);
    CHECK_INT(audio_f.releases, 1);
}

static void failing_factories(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    factory gpu = factory_for(tx, rt), vr = factory_for(tx, rt);
    ik_native n;
    void *m = NULL;

    gpu.fail_with = IK_ERR_EXEC;
    n = native_of(&gpu, 0);
    CHECK_OK(ik_runtime_register_native(rt, "gpu", &n, &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "gpu", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_STR(ck_msg(err), "creating native module 'gpu' failed: no GPU");
    CHECK_STR(ik_error_host_message(err, NULL), "no GPU");
    CHECK_STR(ik_error_module(err, NULL), "gpu");
    FREE_ERR();
    CHECK(!ck_in_table(rt, "gpu"));
    /* A factory that says IK_ERR_HOST keeps that status. */
    vr.fail_with = IK_ERR_HOST;
    n = native_of(&vr, 0);
    CHECK_OK(ik_runtime_register_native(rt, "vr", &n, &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "vr", NULL, &m, &err), IK_ERR_HOST);
    CHECK_STR(ik_error_host_message(err, NULL), "no GPU");
    CHECK_STR(ik_error_module(err, NULL), "vr");
    FREE_ERR();
    CHECK(!ck_in_table(rt, "vr"));
    /* Retried, the factory runs again. */
    CHECK_ERR(ik_runtime_import(rt, "gpu", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_INT(gpu.made, 2);
    CHECK_INT(tx_creates(tx), 0);
    fx_free(rt, tx);
    CHECK_INT(gpu.releases, 1);
    CHECK_INT(vr.releases, 1);
}

static void a_factory_may_import(void) {
    static const char *const LIB[] = {"__init__.py", "set v lib"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    factory loader = factory_for(tx, rt), broken = factory_for(tx, rt);
    ik_native n;
    void *m = NULL;

    MOUNT(rt, "lib", LIB);
    loader.imports = "lib";
    n = native_of(&loader, 0);
    CHECK_OK(ik_runtime_register_native(rt, "loader", &n, &err));
    CHECK_OK(ik_runtime_import(rt, "loader", NULL, &m, &err));
    CHECK(ck_in_table(rt, "lib"));
    CHECK_INT(tx_exec_count(tx, "lib"), 1);
    /* A factory whose import fails passes the error on. */
    broken.imports = "nothing_here";
    n = native_of(&broken, 0);
    CHECK_OK(ik_runtime_register_native(rt, "broken", &n, &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "broken", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ik_error_module(err, NULL), "nothing_here");
    FREE_ERR();
    CHECK(!ck_in_table(rt, "broken"));
    fx_free(rt, tx);
    CHECK_INT(loader.releases, 1);
    CHECK_INT(broken.releases, 1);
}

static void powerful_natives_must_be_allowed_by_name(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    factory fs = factory_for(tx, rt);
    ik_native n;
    void *m = NULL;
    const ik_spec *spec = NULL;

    n = native_of(&fs, IK_NATIVE_POWERFUL);
    CHECK_OK(ik_runtime_register_native(rt, "fs", &n, &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "fs", NULL, &m, &err), IK_ERR_DENIED);
    CHECK_STR(ck_msg(err), "import of 'fs' denied by policy: 'fs' is a powerful native and is not on the allow list");
    FREE_ERR();
    CHECK_ERR(ik_runtime_find_spec(rt, "fs", NULL, &spec, &err), IK_ERR_DENIED);
    CHECK_OK(ik_runtime_allow(rt, "*", &err));
    CHECK_ERR(ik_runtime_import(rt, "fs", NULL, &m, &err), IK_ERR_DENIED);
    CHECK_INT(fs.made, 0);
    CHECK(!ck_in_table(rt, "fs"));
    CHECK_OK(ik_runtime_allow(rt, "fs", &err));
    CHECK_OK(ik_runtime_import(rt, "fs", NULL, &m, &err));
    CHECK_INT(fs.made, 1);
    /* Back to the default policy: denied again, even though it is in the table. */
    CHECK_OK(ik_runtime_clear_policy(rt, &err));
    CHECK_ERR(ik_runtime_import(rt, "fs", NULL, &m, &err), IK_ERR_DENIED);
    CHECK_INT(fs.made, 1);
    fx_free(rt, tx);
    CHECK_INT(fs.releases, 1);
}

static void a_powerful_submodule_is_denied_unless_its_top_level_name_is_allowed(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    factory engine = factory_for(tx, rt), io = factory_for(tx, rt);
    ik_native n;
    void *m = NULL;

    n = native_of(&engine, 0);
    CHECK_OK(ik_runtime_register_native(rt, "engine", &n, &err));
    n = native_of(&io, IK_NATIVE_POWERFUL);
    CHECK_OK(ik_runtime_register_native(rt, "engine.io", &n, &err));
    CHECK_OK(ik_runtime_import(rt, "engine", NULL, &m, &err)); /* the package itself is not powerful */
    CHECK_ERR(ik_runtime_import(rt, "engine.io", NULL, &m, &err), IK_ERR_DENIED);
    CHECK_OK(ik_runtime_allow(rt, "*", &err));
    CHECK_ERR(ik_runtime_import(rt, "engine.io", NULL, &m, &err), IK_ERR_DENIED);
    CHECK_INT(io.made, 0);
    CHECK_OK(ik_runtime_allow(rt, "engine", &err));
    CHECK_OK(ik_runtime_import(rt, "engine.io", NULL, &m, &err));
    CHECK_INT(io.made, 1);
    fx_free(rt, tx);
}

static void a_factory_that_imports_its_own_module_fails_cleanly(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    factory loop = factory_for(tx, rt);
    ik_native n;
    void *m = NULL;

    loop.imports = "loop";
    n = native_of(&loop, 0);
    CHECK_OK(ik_runtime_register_native(rt, "loop", &n, &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "loop", NULL, &m, &err), IK_ERR_IMPORT);
    CHECK_STR(ik_error_module(err, NULL), "loop");
    FREE_ERR();
    CHECK_INT(loop.made, 1);
    CHECK(!ck_in_table(rt, "loop"));
    fx_free(rt, tx);
}

int main(void) {
    packages_submodules_and_registration();
    failing_factories();
    a_factory_may_import();
    powerful_natives_must_be_allowed_by_name();
    a_powerful_submodule_is_denied_unless_its_top_level_name_is_allowed();
    a_factory_that_imports_its_own_module_fails_cleanly();
    return ck_finish("test_natives");
}
