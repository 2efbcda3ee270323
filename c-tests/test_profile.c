/* test_profile.c: file conventions: the Lua profile (init.lua packages, no namespace directories, Lua
 * names), custom profiles built with the ik_profile_* functions, and the Python profile of another CPython
 * (its cache tag and extension suffixes, on a scratch tree under /tmp). */

#define _XOPEN_SOURCE 700

#include "fsfix.h"

static ik_profile *profile(uint32_t base, const char *name) {
    ik_profile *p = NULL;
    ik_error *err = NULL;
    CHECK_OK(ik_profile_new(base, name, &p, &err));
    return p;
}

static void lua_uses_init_lua_and_no_namespace_dirs(void) {
    static const char *const APP[] = {
        "init.lua", "set v app", "util.lua", "set v util", "lib/json-lua.lua", "", "bare/x.lua", "",
        "5x.lua", "set v five", "data.json", "",
    };
    ik_profile *lua = profile(IK_PROFILE_LUA, NULL);
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(lua, &tx);
    ik_error *err = NULL;
    const ik_spec *s = NULL;
    void *m = NULL;

    ik_profile_free(lua); /* the runtime keeps its own copy */
    MOUNT(rt, "app", APP);
    CHECK_OK(ik_runtime_find_spec(rt, "app", NULL, &s, &err));
    CHECK_STR(ik_spec_origin(s, NULL), "memory:/app/init.lua");
    CHECK(ik_spec_is_package(s));
    ik_spec_free(s);
    CHECK_OK(ik_runtime_import(rt, "app.util", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "util");
    CHECK_OK(ik_runtime_import(rt, "app.5x", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "five");
    CHECK_ERR(ik_runtime_import(rt, "app.bare", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_ERR(ik_runtime_import(rt, "app.lib.json-lua", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_ERR(ik_runtime_import(rt, "app.data", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_ERR_KEEP(ik_runtime_import(rt, "app.nope", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ck_msg(err), "No module named 'app.nope' (native: not registered; memory:/app: no app/nope.lua, no "
                           "app/nope/init.lua)");
    FREE_ERR();
    /* app.init is app. */
    CHECK_OK(ik_runtime_find_spec(rt, "app.init", NULL, &s, &err));
    CHECK_STR(ik_spec_name(s, NULL), "app");
    ik_spec_free(s);
    CHECK_ERR(ik_runtime_import(rt, "app.é", NULL, &m, &err), IK_ERR_INVALID_NAME);
    fx_free(rt, tx);
}

static void python_names_are_identifiers(void) {
    static const char *const APP[] = {"__init__.py", "", "5x.py", "", "json-py.py", ""};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;

    MOUNT(rt, "app", APP);
    CHECK_ERR(ik_runtime_import(rt, "app.5x", NULL, &m, &err), IK_ERR_INVALID_NAME);
    CHECK_ERR(ik_runtime_import(rt, "app.json-py", NULL, &m, &err), IK_ERR_INVALID_NAME);
    fx_free(rt, tx);
}

static void any_names_cpython_accepts(void) {
    static const char *const TOP[] = {"_sysconfigdata__linux_x86_64-linux-gnu.py", "set v sysconfig",
                                      "my pkg/__init__.py", "", "my pkg/5x.py", "set v 5x", "a.b.py", ""};
    ik_profile *p = profile(IK_PROFILE_PYTHON, NULL);
    tx_executor *tx;
    ik_runtime *rt;
    ik_error *err = NULL;
    const ik_spec *s = NULL;
    void *m = NULL;

    CHECK_OK(ik_profile_set_identifiers(p, IK_IDENT_ANY, &err));
    rt = fx_runtime(p, &tx);
    ik_profile_free(p);
    MOUNT(rt, "", TOP);
    CHECK_OK(ik_runtime_import(rt, "_sysconfigdata__linux_x86_64-linux-gnu", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "sysconfig");
    CHECK_OK(ik_runtime_import(rt, "my pkg.5x", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "5x");
    CHECK_OK(ik_runtime_find_spec(rt, "my pkg", NULL, &s, &err));
    CHECK(ik_spec_is_package(s));
    ik_spec_free(s);
    /* A file stem with a dot is no module (`a.b` is `b` inside `a`); bad input stays refused. */
    CHECK_ERR(ik_runtime_find_spec(rt, "a", NULL, &s, &err), IK_ERR_NOT_FOUND);
    CHECK_ERR(ik_runtime_import(rt, "a..b", NULL, &m, &err), IK_ERR_INVALID_NAME);
    CHECK_ERR(ik_runtime_import(rt, "a/b", NULL, &m, &err), IK_ERR_INVALID_NAME);
    CHECK_ERR(ik_runtime_import(rt, "x.", NULL, &m, &err), IK_ERR_INVALID_NAME);
    CHECK_ERR(ik_runtime_import_n(rt, "a\0b", 3, NULL, 0, &m, &err), IK_ERR_INVALID_ARGUMENT);
    fx_free(rt, tx);
}

static void a_custom_profile(void) {
    static const char *const T[] = {"mod.tl", "set v mod", "x.tl", "set v tl", "x.py", "set v py", "y.py", "",
                                    "dir/z.tl", ""};
    ik_profile *p = profile(IK_PROFILE_EMPTY, "teal");
    tx_executor *tx;
    ik_runtime *rt;
    ik_error *err = NULL;
    const ik_spec *s = NULL;
    void *m = NULL;

    CHECK_OK(ik_profile_add_suffix(p, IK_KIND_SOURCE, ".tl", &err));
    CHECK_OK(ik_profile_set_init_stem(p, "mod", &err));
    CHECK_OK(ik_profile_set_namespace_dirs(p, false, &err));
    CHECK_ERR(ik_profile_add_suffix(p, IK_KIND_SOURCE, ".tl", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_add_suffix(p, IK_KIND_NATIVE, ".nat", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_add_suffix(p, IK_KIND_NAMESPACE, ".ns", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_add_suffix(p, IK_KIND_SOURCE, "tl2", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_add_suffix(p, IK_KIND_SOURCE, ".", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_add_suffix(p, IK_KIND_SOURCE, ".a/b", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_set_init_stem(p, "a.b", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_set_init_stem(p, "", &err), IK_ERR_INVALID_ARGUMENT);
    rt = fx_runtime(p, &tx);
    /* Changing the profile afterwards does not change the runtime. */
    CHECK_OK(ik_profile_add_suffix(p, IK_KIND_SOURCE, ".py", &err));
    ik_profile_free(p);

    MOUNT(rt, "t", T);
    CHECK_OK(ik_runtime_find_spec(rt, "t", NULL, &s, &err));
    CHECK_STR(ik_spec_origin(s, NULL), "memory:/t/mod.tl");
    ik_spec_free(s);
    CHECK_OK(ik_runtime_import(rt, "t.x", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "tl");
    CHECK_ERR(ik_runtime_import(rt, "t.y", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_ERR(ik_runtime_import(rt, "t.dir", NULL, &m, &err), IK_ERR_NOT_FOUND);
    fx_free(rt, tx);
}

static void suffixes_identifiers_and_namespaces_of_a_python_profile(void) {
    static const char *const A[] = {"__init__.py", "", "m.src", "set v src", "m.py", "", "json-x.src", "",
                                    "ns/q.src", ""};
    ik_profile *p = profile(IK_PROFILE_PYTHON, "mine");
    tx_executor *tx;
    ik_runtime *rt;
    ik_error *err = NULL;
    const ik_spec *s = NULL;
    void *m = NULL;

    CHECK_OK(ik_profile_clear_suffixes(p, IK_KIND_SOURCE, &err));
    CHECK_OK(ik_profile_add_suffix(p, IK_KIND_SOURCE, ".src", &err));
    CHECK_OK(ik_profile_add_suffix(p, IK_KIND_SOURCE, ".py", &err)); /* __init__.py packages still work */
    CHECK_OK(ik_profile_clear_suffixes(p, IK_KIND_BYTECODE, &err));
    CHECK_OK(ik_profile_set_identifiers(p, IK_IDENT_LUA, &err));
    CHECK_OK(ik_profile_set_namespace_dirs(p, true, &err));
    rt = fx_runtime(p, &tx);
    ik_profile_free(p);
    MOUNT(rt, "a", A);
    /* Suffixes of one kind are tried in the order they were added. */
    CHECK_OK(ik_runtime_import(rt, "a.m", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "src");
    CHECK_OK(ik_runtime_find_spec(rt, "a.json-x", NULL, &s, &err));
    CHECK_STR(ik_spec_origin(s, NULL), "memory:/a/json-x.src");
    ik_spec_free(s);
    CHECK_OK(ik_runtime_find_spec(rt, "a.ns", NULL, &s, &err));
    CHECK_INT(ik_spec_kind(s), IK_KIND_NAMESPACE);
    ik_spec_free(s);
    fx_free(rt, tx);
}

static void the_profile_of_another_cpython(void) {
    ik_profile *p = profile(IK_PROFILE_PYTHON, NULL);
    tx_executor *tx;
    ik_runtime *rt;
    ik_error *err = NULL;
    const ik_spec *s = NULL;
    char want[TD_MAX];

    /* CPython 3.13's conventions: its sys.implementation.cache_tag and EXTENSION_SUFFIXES. */
    CHECK_OK(ik_profile_set_cache_tag(p, "cpython-313", &err));
    CHECK_OK(ik_profile_clear_suffixes(p, IK_KIND_EXTENSION, &err));
    CHECK_OK(ik_profile_add_suffix(p, IK_KIND_EXTENSION, ".cpython-313-x86_64-linux-gnu.so", &err));
    CHECK_OK(ik_profile_add_suffix(p, IK_KIND_EXTENSION, ".abi3.so", &err));
    CHECK(td_write(ROOT, "py313/m.py", "") == 0);
    CHECK(td_write(ROOT, "py313/fast.cpython-313-x86_64-linux-gnu.so", "") == 0);
    CHECK(td_write(ROOT, "py313/old.cpython-311-x86_64-linux-gnu.so", "") == 0);
    rt = fs_runtime(p, &tx, true);
    CHECK_OK(ik_runtime_path_append(rt, at("py313"), &err));
    s = FS_SPEC(rt, "m");
    CHECK_STR(ik_spec_cached(s, NULL), td_join(want, ROOT, "py313/__pycache__/m.cpython-313.pyc"));
    ik_spec_free(s);
    s = FS_SPEC(rt, "fast");
    CHECK_INT(ik_spec_kind(s), IK_KIND_EXTENSION);
    CHECK(ik_spec_cached(s, NULL) == NULL);
    ik_spec_free(s);
    /* 3.11's suffix is not 3.13's (and ".so" alone was not added). */
    CHECK_ERR(ik_runtime_find_spec(rt, "old", NULL, &s, &err), IK_ERR_NOT_FOUND);
    fx_free(rt, tx);
    /* No cache tag, as CPython whose cache_tag is None: no cached file. */
    CHECK_OK(ik_profile_set_cache_tag(p, NULL, &err));
    rt = fs_runtime(p, &tx, true);
    CHECK_OK(ik_runtime_path_append(rt, at("py313"), &err));
    s = FS_SPEC(rt, "m");
    CHECK(ik_spec_cached(s, NULL) == NULL);
    ik_spec_free(s);
    fx_free(rt, tx);
    ik_profile_free(p);
}

static void bad_profile_arguments(void) {
    ik_error *err = NULL;
    ik_profile *p = (ik_profile *)&err, *q = NULL;
    char tag[IK_MAX_SUFFIX_LEN + 2];

    CHECK_ERR(ik_profile_new(3, NULL, &p, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_new(UINT32_MAX, "x", &p, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK(p == (ik_profile *)&err);
    q = profile(IK_PROFILE_LUA, "my-lua");
    CHECK_ERR(ik_profile_set_identifiers(q, 7, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_clear_suffixes(q, 99, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_set_cache_tag(NULL, "cpython-313", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_set_cache_tag(q, "", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_set_cache_tag(q, "cpython/313", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_set_cache_tag(q, "cpython\\313", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_set_cache_tag(q, "\xff\xfe", &err), IK_ERR_INVALID_ARGUMENT);
    memset(tag, 'c', IK_MAX_SUFFIX_LEN + 1);
    tag[IK_MAX_SUFFIX_LEN + 1] = '\0';
    CHECK_ERR(ik_profile_set_cache_tag(q, tag, &err), IK_ERR_INVALID_ARGUMENT);
    tag[IK_MAX_SUFFIX_LEN] = '\0';
    CHECK_OK(ik_profile_set_cache_tag(q, tag, &err));
    CHECK_OK(ik_profile_set_cache_tag(q, NULL, &err));
    ik_profile_free(q);
}

int main(void) {
    lua_uses_init_lua_and_no_namespace_dirs();
    python_names_are_identifiers();
    any_names_cpython_accepts();
    a_custom_profile();
    suffixes_identifiers_and_namespaces_of_a_python_profile();
    if (td_make(ROOT) != 0) return 2;
    the_profile_of_another_cpython();
    CHECK(td_remove(ROOT) == 0);
    bad_profile_arguments();
    return ck_finish("test_profile");
}
