/* test_finder.c: a host meta-path finder through ik_finder: what it is asked, how it describes a module
 * (ik_found_set, ik_found_add_location, ik_found_set_file, ik_found_set_source), failures, invalidation,
 * its place on the meta path and its removal. */

#include "fixture.h"

typedef struct {
    const ik_runtime *rt;
    int calls;
    int invalidated;
    int releases;
    int top_level_path_was_null;
    size_t tex_path_count;
    char tex_path0[64];
    ik_status add_location_before_set;
    ik_status set_native;
} assets;

static int is(const char *name, size_t len, const char *want) {
    return strlen(want) == len && memcmp(name, want, len) == 0 && name[len] == '\0';
}

static int32_t assets_find(void *userdata, const char *name, size_t name_len, const char *const *path,
                           size_t path_count, ik_found *found, ik_report *report) {
    assets *a = userdata;
    ik_error *err = NULL;
    a->calls++;
    if (is(name, name_len, "assets")) {
        static const char src[] = "set kind pack";
        a->top_level_path_was_null = path == NULL && path_count == 0;
        ik_found_set(found, "host:assets", IK_KIND_SOURCE, true, NULL);
        ik_found_add_location(found, "host:assets/", NULL);
        ik_found_set_file(found, "/virtual/assets/__init__.py", NULL);
        ik_found_set_source(found, (const uint8_t *)src, sizeof src - 1, NULL);
    } else if (is(name, name_len, "assets.tex")) {
        static const char src[] = "set kind tex";
        a->tex_path_count = path_count;
        if (path_count > 0 && path != NULL) snprintf(a->tex_path0, sizeof a->tex_path0, "%s", path[0]);
        ik_found_set(found, "host:assets/tex", IK_KIND_SOURCE, false, NULL);
        ik_found_set_file(found, "/somewhere", NULL);
        ik_found_set_file(found, NULL, NULL); /* cleared again */
        ik_found_set_source(found, (const uint8_t *)src, sizeof src - 1, NULL);
    } else if (is(name, name_len, "assets.broken")) {
        ik_report_error(report, IK_ERR_HOST, "archive index corrupt", 0, 0, NULL);
        return IK_ERR_HOST;
    } else if (is(name, name_len, "assets.blank")) {
        ik_found_set(found, "", IK_KIND_SOURCE, false, NULL); /* no source: exec gets NULL, 0 */
    } else if (is(name, name_len, "assets.space")) {
        ik_found_set(found, "host:space", IK_KIND_NAMESPACE, false, NULL);
        ik_found_add_location(found, "host:space/", NULL);
    } else if (is(name, name_len, "assets.nothing_set")) {
        a->add_location_before_set = ik_found_add_location(found, "host:x", &err);
        ik_error_free(err);
    } else if (is(name, name_len, "assets.selfish") && a->rt != NULL) {
        /* A finder may import, but not the very module it is being asked for. */
        void *m = NULL;
        ik_status s = ik_runtime_import(a->rt, "assets.selfish", NULL, &m, &err);
        if (s != IK_OK) {
            ik_report_pass(report, err, NULL);
            ik_error_free(err);
            return (int32_t)s;
        }
    } else if (is(name, name_len, "assets.native")) {
        a->set_native = ik_found_set(found, "host:n", IK_KIND_NATIVE, false, &err);
        ik_error_free(err);
    }
    return IK_OK;
}

static void assets_invalidate(void *userdata) { ((assets *)userdata)->invalidated++; }

static void assets_release(void *userdata) { ((assets *)userdata)->releases++; }

static ik_finder assets_finder(assets *a) {
    ik_finder f;
    memset(&f, 0, sizeof f);
    f.size = (uint32_t)sizeof f;
    f.name = "assets";
    f.userdata = a;
    f.find = assets_find;
    f.invalidate = assets_invalidate;
    f.release_userdata = assets_release;
    return f;
}

static void a_host_finder_comes_first_at_position_zero(void) {
    static const char *const MEM[] = {"__init__.py", "set kind memory"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    assets a;
    ik_finder f;
    uint64_t id = 0;
    void *tex = NULL, *pack = NULL, *m = NULL;
    const ik_spec *spec = NULL;

    memset(&a, 0, sizeof a);
    a.rt = rt;
    MOUNT(rt, "assets", MEM);
    f = assets_finder(&a);
    CHECK_OK(ik_runtime_add_finder(rt, &f, 0, &id, &err));
    CHECK(id != 0);
    CHECK_OK(ik_runtime_import(rt, "assets.tex", NULL, &tex, &err));
    CHECK_STR(tx_attr(tx, tex, "kind"), "tex");
    CHECK_OK(ik_runtime_get_module(rt, "assets", &pack, NULL, &err));
    CHECK_STR(tx_attr(tx, pack, "kind"), "pack");
    /* A top-level name is asked with no path; a submodule with its parent's locations. */
    CHECK(a.top_level_path_was_null);
    CHECK_INT(a.tex_path_count, 1);
    CHECK_STR(a.tex_path0, "host:assets/");

    CHECK_OK(ik_runtime_module_spec(rt, "assets", &spec, &err));
    CHECK_STR(ik_spec_origin(spec, NULL), "host:assets");
    CHECK_STR(ik_spec_file(spec, NULL), "/virtual/assets/__init__.py");
    CHECK(ik_spec_is_package(spec));
    CHECK_INT(ik_spec_location_count(spec), 1);
    CHECK_STR(ik_spec_location(spec, 0, NULL), "host:assets/");
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_module_spec(rt, "assets.tex", &spec, &err));
    CHECK(ik_spec_file(spec, NULL) == NULL);
    CHECK_STR(ik_spec_parent(spec, NULL), "assets");
    ik_spec_free(spec);

    /* A failing finder: IK_ERR_HOST with its message. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "assets.broken", NULL, &m, &err), IK_ERR_HOST);
    CHECK_CONTAINS(ck_msg(err), "archive index corrupt");
    CHECK_STR(ik_error_host_message(err, NULL), "archive index corrupt");
    CHECK_STR(ik_error_module(err, NULL), "assets.broken");
    FREE_ERR();
    CHECK(!ck_in_table(rt, "assets.broken"));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "assets.none", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_CONTAINS(ck_msg(err), "host:assets: not found");
    FREE_ERR();

    /* An empty origin is named after the finder; no source means exec gets none. */
    CHECK_OK(ik_runtime_find_spec(rt, "assets.blank", NULL, &spec, &err));
    CHECK_STR(ik_spec_origin(spec, NULL), "host:assets/assets.blank");
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_import(rt, "assets.blank", NULL, &m, &err));
    CHECK_INT(tx_exec_count(tx, "assets.blank"), 1);
    /* A namespace is a package, and never executed. */
    CHECK_OK(ik_runtime_import(rt, "assets.space", NULL, &m, &err));
    CHECK_OK(ik_runtime_module_spec(rt, "assets.space", &spec, &err));
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NAMESPACE);
    CHECK(ik_spec_is_package(spec));
    ik_spec_free(spec);
    CHECK_INT(tx_exec_count(tx, "assets.space"), 0);
    /* ik_found_add_location before ik_found_set is refused, and nothing was found. */
    CHECK_ERR(ik_runtime_import(rt, "assets.nothing_set", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_INT(a.add_location_before_set, IK_ERR_INVALID_ARGUMENT);
    /* A finder may not make natives: refused by ik_found_set, or by the import. */
    if (ik_runtime_import(rt, "assets.native", NULL, &m, &err) == IK_OK)
        FAIL("a host finder's IK_KIND_NATIVE module was imported");
    CHECK(a.set_native == IK_ERR_INVALID_ARGUMENT || (a.set_native == IK_OK && ik_error_status(err) == IK_ERR_HOST));
    FREE_ERR();
    CHECK(!ck_in_table(rt, "assets.native"));

    /* A finder importing the name it is asked for gets an error, not a deadlock. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "assets.selfish", NULL, &m, &err), IK_ERR_IMPORT);
    CHECK_STR(ik_error_module(err, NULL), "assets.selfish");
    FREE_ERR();
    CHECK(!ck_in_table(rt, "assets.selfish"));

    CHECK_OK(ik_runtime_invalidate(rt, &err));
    CHECK_INT(a.invalidated, 1);

    /* Removed: its userdata is given back, and the memory mount serves `assets` again. */
    CHECK_OK(ik_runtime_remove_finder(rt, id, &err));
    CHECK_INT(a.releases, 1);
    CHECK_ERR(ik_runtime_remove_finder(rt, id, &err), IK_ERR_UNAVAILABLE);
    CHECK_OK(ik_runtime_remove_module(rt, "assets", &err));
    CHECK_OK(ik_runtime_import(rt, "assets", NULL, &pack, &err));
    CHECK_STR(tx_attr(tx, pack, "kind"), "memory");
    CHECK_OK(ik_runtime_invalidate(rt, &err));
    CHECK_INT(a.invalidated, 1);
    fx_free(rt, tx);
    CHECK_INT(a.releases, 1);
}

static void positions_on_the_meta_path(void) {
    static const char *const MEM[] = {"__init__.py", "set kind memory"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    assets a, b;
    ik_finder f;
    void *m = NULL;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    MOUNT(rt, "assets", MEM);
    f = assets_finder(&a);
    CHECK_OK(ik_runtime_add_finder(rt, &f, SIZE_MAX, NULL, &err));
    f = assets_finder(&b);
    f.name = NULL; /* shown as host:finder */
    CHECK_OK(ik_runtime_add_finder(rt, &f, 1000, NULL, &err));
    /* Both come after the mount: memory serves `assets`. */
    CHECK_OK(ik_runtime_import(rt, "assets", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "kind"), "memory");
    CHECK_INT(a.calls + b.calls, 0);
    CHECK_ERR_KEEP(ik_runtime_import(rt, "zzz", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ck_msg(err), "No module named 'zzz' (native: not registered; host:assets: not found; host:finder: "
                           "not found)");
    FREE_ERR();
    CHECK_INT(a.calls, 1);
    CHECK_INT(b.calls, 1);
    CHECK_OK(ik_runtime_invalidate(rt, &err));
    CHECK_INT(a.invalidated, 1);
    CHECK_INT(b.invalidated, 1);
    fx_free(rt, tx);
    CHECK_INT(a.releases, 1);
    CHECK_INT(b.releases, 1);
}

int main(void) {
    a_host_finder_comes_first_at_position_zero();
    positions_on_the_meta_path();
    return ck_finish("test_finder");
}
