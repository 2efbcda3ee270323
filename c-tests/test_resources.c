/* test_resources.c: a package's resources and the modules a package or the top level holds, for mounts
 * (copied and borrowed: a borrowed file is lent in place and outlives its unmount), directories on the
 * search path, natives, and a namespace package split across a mount and a directory. */

#define _XOPEN_SOURCE 700

#include <stddef.h>

#include "fsfix.h"

/* Whether list holds exactly the `count` names given, in that order. */
static int names_are_at(const ik_name_list *list, const char *const *want, size_t count, const char *file, int line) {
    size_t i;
    (*ck_checks())++;
    if (ik_name_list_count(list) != count)
        return ck_fail_at(file, line, "the list has %zu names, want %zu", ik_name_list_count(list), count);
    for (i = 0; i < count; i++) {
        const char *got = ik_name_list_get(list, i, NULL);
        if (got == NULL || strcmp(got, want[i]) != 0)
            return ck_fail_at(file, line, "name %zu is \"%s\", want \"%s\"", i, ck_show(got), want[i]);
    }
    return 1;
}
#define NAMES_ARE(list, want) names_are_at((list), (want), CK_COUNT(want), __FILE__, __LINE__)

/* The package flags of a list of modules as a string of 'p' (package) and 'm' (module). */
static const char *flags_of(const ik_name_list *list) {
    static char out[64];
    size_t i, n = ik_name_list_count(list);
    for (i = 0; i < n && i + 1 < sizeof out; i++) out[i] = ik_name_list_is_package(list, i) == 1 ? 'p' : 'm';
    out[i] = '\0';
    return out;
}

/* The resource's bytes as a string (they hold no NUL here). */
static const char *text_of(const ik_resource *r) {
    static char out[256];
    size_t len = 0;
    const uint8_t *data = ik_resource_data(r, &len);
    if (data == NULL || len >= sizeof out) return "(none)";
    memcpy(out, data, len);
    out[len] = '\0';
    return out;
}

static void mounted_resources_are_read_and_listed(void) {
    static const char *const GAME[] = {"__init__.py", "", "core.py", "", "logo.png", "PNG", "data/level1.txt",
                                       "L1", "data/empty.txt", "", "ui/__init__.py", "", "ui/menu.py", ""};
    static const char *const TOP_FILES[] = {"__init__.py", "core.py", "data", "logo.png", "ui"};
    static const char *const DATA_FILES[] = {"empty.txt", "level1.txt"};
    static const char *const MODULES[] = {"core", "ui"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_resource *r = NULL;
    ik_name_list *list = NULL;
    size_t len = 99;

    MOUNT(rt, "game", GAME);
    CHECK_OK(ik_runtime_read_resource(rt, "game", "logo.png", &r, &err));
    CHECK_STR(text_of(r), "PNG");
    ik_resource_free(r);
    CHECK_OK(ik_runtime_read_resource(rt, "game", "data/level1.txt", &r, &err));
    CHECK_STR(text_of(r), "L1");
    ik_resource_free(r);
    CHECK_OK(ik_runtime_read_resource(rt, "game.data", "level1.txt", &r, &err));
    CHECK_STR(text_of(r), "L1");
    ik_resource_free(r);
    /* An empty file: a valid pointer and no bytes. */
    CHECK_OK(ik_runtime_read_resource(rt, "game", "data/empty.txt", &r, &err));
    CHECK(ik_resource_data(r, &len) != NULL);
    CHECK_INT(len, 0);
    ik_resource_free(r);
    /* What is missing says which package and which file. */
    CHECK_ERR_KEEP(ik_runtime_read_resource(rt, "game", "data/level9.txt", &r, &err), IK_ERR_NOT_FOUND);
    CHECK_CONTAINS(ck_msg(err), "package 'game'");
    CHECK_CONTAINS(ck_msg(err), "level9.txt");
    CHECK_STR(ik_error_module(err, NULL), "game");
    FREE_ERR();
    CHECK_ERR(ik_runtime_read_resource(rt, "game", "data", &r, &err), IK_ERR_NOT_FOUND);

    CHECK_OK(ik_runtime_resources(rt, "game", &list, &err));
    NAMES_ARE(list, TOP_FILES);
    ik_name_list_free(list);
    CHECK_OK(ik_runtime_resources(rt, "game.data", &list, &err));
    NAMES_ARE(list, DATA_FILES);
    ik_name_list_free(list);
    CHECK_OK(ik_runtime_iter_modules(rt, "game", &list, &err));
    NAMES_ARE(list, MODULES);
    CHECK_STR(flags_of(list), "mp"); /* as pkgutil lists a directory: data has no init file, so no module */
    ik_name_list_free(list);
    /* Nothing was imported to answer. */
    CHECK(!ck_in_table(rt, "game"));
    CHECK(!ck_in_table(rt, "game.ui"));
    fx_free(rt, tx);
}

/* ----- distribution metadata of mounts and bundles (importlib.metadata) ----- */

static void distributions_of_mounts_and_bundles_are_listed_and_read(void) {
    static const char *const SITE[] = {"foo/__init__.py", "", "foo-1.0.dist-info/METADATA", "Name: foo\n",
                                       "foo-1.0.dist-info/RECORD", "foo/__init__.py,,\n", "bar.egg-info/PKG-INFO",
                                       "Name: bar\n", "notes.dist-info", "a file, not a directory"};
    static const char *const GAME[] = {"__init__.py", "", "game-2.0.dist-info/METADATA", "inside a package"};
    static const char *const BUNDLED[] = {"baz/__init__.py", "", "baz-3.0.dist-info/METADATA", "Name: baz\n",
                                          "foo-1.0.dist-info/METADATA", "Name: shadowed\n"};
    static const char *const DISTS[] = {"bar.egg-info", "foo-1.0.dist-info", "app/baz-3.0.dist-info",
                                        "app/foo-1.0.dist-info"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_resource *r = NULL, *built = NULL;
    ik_name_list *list = NULL;
    ik_bundle_builder *b = NULL;
    ik_mount_file files[CK_COUNT(BUNDLED) / 2];
    const uint8_t *bytes;
    size_t i, n = 0;
    uint64_t id = 0;

    CHECK_OK(ik_runtime_distributions(rt, &list, &err));
    CHECK_INT(ik_name_list_count(list), 0);
    ik_name_list_free(list);
    MOUNT(rt, "", SITE);
    MOUNT(rt, "game", GAME); /* a mount under a name holds no distribution */
    for (i = 0; i < CK_COUNT(files); i++) files[i] = ck_file(BUNDLED[2 * i], BUNDLED[2 * i + 1]);
    CHECK_OK(ik_bundle_builder_new(NULL, &b, &err));
    CHECK_OK(ik_bundle_builder_add_tree(b, files, CK_COUNT(files), &err));
    CHECK_OK(ik_bundle_builder_build(b, &built, &err));
    ik_bundle_builder_free(b);
    bytes = ik_resource_data(built, &n);
    CHECK_OK(ik_runtime_mount_bundle_bytes(rt, "app", bytes, n, 0, NULL, NULL, NULL, &id, &err));
    ik_resource_free(built);

    CHECK_OK(ik_runtime_distributions(rt, &list, &err));
    NAMES_ARE(list, DISTS);
    ik_name_list_free(list);
    CHECK_OK(ik_runtime_read_file(rt, "foo-1.0.dist-info/METADATA", &r, &err));
    CHECK_STR(text_of(r), "Name: foo\n");
    ik_resource_free(r);
    CHECK_OK(ik_runtime_read_file(rt, "foo/__init__.py", &r, &err));
    CHECK_STR(text_of(r), "");
    ik_resource_free(r);
    CHECK_OK(ik_runtime_read_file(rt, "app/baz-3.0.dist-info/METADATA", &r, &err));
    CHECK_STR(text_of(r), "Name: baz\n");
    ik_resource_free(r);
    CHECK_OK(ik_runtime_read_file(rt, "game/game-2.0.dist-info/METADATA", &r, &err));
    CHECK_STR(text_of(r), "inside a package");
    ik_resource_free(r);
    /* What no source holds says which file. */
    CHECK_ERR_KEEP(ik_runtime_read_file(rt, "foo-1.0.dist-info/WHEEL", &r, &err), IK_ERR_NOT_FOUND);
    CHECK_CONTAINS(ck_msg(err), "'foo-1.0.dist-info/WHEEL'");
    FREE_ERR();
    CHECK_ERR(ik_runtime_read_file(rt, "foo-1.0.dist-info", &r, &err), IK_ERR_NOT_FOUND);
    CHECK_ERR_KEEP(ik_runtime_read_file(rt, "../etc/passwd", &r, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(ck_msg(err), "'../etc/passwd'");
    FREE_ERR();
    /* Unmounted, a source's distributions go with it. */
    CHECK_OK(ik_runtime_unmount(rt, "app", &err));
    CHECK_OK(ik_runtime_distributions(rt, &list, &err));
    CHECK_INT(ik_name_list_count(list), 2);
    ik_name_list_free(list);
    fx_free(rt, tx);
}

/* ----- borrowed bytes are lent in place and outlive the unmount ----- */

static char borrowed_logo[] = "LOGO-BYTES";
static int borrow_releases;
static void count_borrow_release(void *userdata) {
    (void)userdata;
    borrow_releases++;
}

static void a_borrowed_resource_is_lent_in_place(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_resource *r = NULL;
    ik_mount_file files[2];
    uint64_t id = 0;
    size_t len = 0;

    files[0] = ck_file("__init__.py", "");
    files[1] = ck_file("logo.png", borrowed_logo);
    borrow_releases = 0;
    CHECK_OK(ik_runtime_mount(rt, "art", files, 2, IK_MOUNT_BORROW, count_borrow_release, NULL, &id, &err));
    CHECK_OK(ik_runtime_read_resource(rt, "art", "logo.png", &r, &err));
    CHECK(ik_resource_data(r, &len) == (const uint8_t *)borrowed_logo);
    CHECK_INT(len, strlen(borrowed_logo));
    /* The resource holds the tree: unmounting does not give the bytes back yet. */
    CHECK_OK(ik_runtime_unmount(rt, "art", &err));
    CHECK_INT(borrow_releases, 0);
    CHECK_STR(text_of(r), "LOGO-BYTES");
    ik_resource_free(r);
    CHECK_INT(borrow_releases, 1);
    fx_free(rt, tx);
    CHECK_INT(borrow_releases, 1);
}

/* ----- resources outlive the runtime they came from ----- */

static char borrowed_map[] = "MAP-BYTES";

static void resources_outlive_their_runtime(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_resource *copied = NULL, *lent = NULL;
    ik_mount_file files[2];
    uint64_t id = 0;

    files[0] = ck_file("__init__.py", "");
    files[1] = ck_file("level.txt", "LEVEL-BYTES");
    CHECK_OK(ik_runtime_mount(rt, "copied", files, 2, 0, NULL, NULL, &id, &err));
    files[1] = ck_file("map.bin", borrowed_map);
    borrow_releases = 0;
    CHECK_OK(ik_runtime_mount(rt, "lent", files, 2, IK_MOUNT_BORROW, count_borrow_release, NULL, &id, &err));
    CHECK_OK(ik_runtime_read_resource(rt, "copied", "level.txt", &copied, &err));
    CHECK_OK(ik_runtime_read_resource(rt, "lent", "map.bin", &lent, &err));
    /* The runtime goes, with every mount: the resources keep their bytes (valgrind checks every read). */
    fx_free(rt, tx);
    CHECK_INT(borrow_releases, 0);
    CHECK_STR(text_of(copied), "LEVEL-BYTES");
    CHECK(ik_resource_data(lent, NULL) == (const uint8_t *)borrowed_map);
    CHECK_STR(text_of(lent), "MAP-BYTES");
    ik_resource_free(copied);
    ik_resource_free(lent);
    CHECK_INT(borrow_releases, 1);
}

/* ----- directories on the search path, natives, a namespace across a mount and a directory ----- */

static int32_t native_create(void *userdata, const ik_spec *spec, void **out_module, ik_report *report) {
    (void)userdata, (void)spec, (void)report;
    *out_module = (void *)&native_create;
    return IK_OK;
}

static void directories_natives_and_namespaces_answer_too(void) {
    static const char *const PKG_FILES[] = {"__init__.py", "assets", "tool.py"};
    static const char *const PKG_MODULES[] = {"tool"};
    static const char *const NS_FILES[] = {"a.py", "a.txt", "b.py", "b.txt"};
    static const char *const NS_MODULES[] = {"a", "b"};
    static const char *const NS_MOUNT[] = {"ns/a.py", "", "ns/a.txt", "A"};
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    ik_resource *r = NULL;
    ik_name_list *list = NULL;
    ik_native native;
    size_t i, n;
    int saw_clock = 0, saw_pkg = 0, saw_secret = 0;

    CHECK(td_write(ROOT, "lib/pkg/__init__.py", "") == 0);
    CHECK(td_write(ROOT, "lib/pkg/tool.py", "") == 0);
    CHECK(td_write(ROOT, "lib/pkg/assets/map.txt", "MAP") == 0);
    CHECK(td_write(ROOT, "lib/ns/b.py", "") == 0);
    CHECK(td_write(ROOT, "lib/ns/b.txt", "B") == 0);
    CHECK(td_write(ROOT, "lib/secret.py", "") == 0);
    CHECK_OK(ik_runtime_path_append(rt, at("lib"), &err));

    CHECK_OK(ik_runtime_read_resource(rt, "pkg", "assets/map.txt", &r, &err));
    CHECK_STR(text_of(r), "MAP");
    ik_resource_free(r);
    CHECK_OK(ik_runtime_resources(rt, "pkg", &list, &err));
    NAMES_ARE(list, PKG_FILES);
    ik_name_list_free(list);
    CHECK_OK(ik_runtime_iter_modules(rt, "pkg", &list, &err));
    NAMES_ARE(list, PKG_MODULES);
    CHECK_STR(flags_of(list), "m"); /* assets holds no init file: pkgutil does not list it */
    ik_name_list_free(list);

    /* The namespace package `ns`: one portion mounted, one on disk. */
    CHECK_OK(ck_mount(rt, "", NS_MOUNT, CK_COUNT(NS_MOUNT) / 2, &err));
    CHECK_OK(ik_runtime_resources(rt, "ns", &list, &err));
    NAMES_ARE(list, NS_FILES);
    ik_name_list_free(list);
    CHECK_OK(ik_runtime_iter_modules(rt, "ns", &list, &err));
    NAMES_ARE(list, NS_MODULES);
    ik_name_list_free(list);
    CHECK_OK(ik_runtime_read_resource(rt, "ns", "a.txt", &r, &err));
    CHECK_STR(text_of(r), "A");
    ik_resource_free(r);
    CHECK_OK(ik_runtime_read_resource(rt, "ns", "b.txt", &r, &err));
    CHECK_STR(text_of(r), "B");
    ik_resource_free(r);

    /* The top level: natives first, then mounts, then the search path; denied names left out. */
    memset(&native, 0, sizeof native);
    native.size = sizeof native;
    native.create = native_create;
    CHECK_OK(ik_runtime_register_native(rt, "clock", &native, &err));
    CHECK_OK(ik_runtime_deny(rt, "secret", &err));
    CHECK_OK(ik_runtime_iter_modules(rt, NULL, &list, &err));
    n = ik_name_list_count(list);
    for (i = 0; i < n; i++) {
        const char *name = ik_name_list_get(list, i, NULL);
        if (strcmp(name, "clock") == 0) saw_clock = (i == 0) && ik_name_list_is_package(list, i) == 0;
        if (strcmp(name, "pkg") == 0) saw_pkg = ik_name_list_is_package(list, i) == 1;
        if (strcmp(name, "secret") == 0) saw_secret = 1;
    }
    CHECK(saw_clock);
    CHECK(saw_pkg);
    CHECK(!saw_secret);
    ik_name_list_free(list);
    fx_free(rt, tx);
}

/* ----- a host's path hook whose entry finders serve "/virtual/..." entries, resources and listing included ----- */

/* The entry finder's userdata: which virtual directory it serves ("/virtual" or "/virtual/vpkg"). */
typedef struct {
    char dir[64];
} vdir;

static int is_pkg_dir(const vdir *d) { return strcmp(d->dir, "/virtual/vpkg") == 0; }

static int32_t v_find(void *userdata, const char *name, size_t name_len, ik_found *found, ik_report *report) {
    const vdir *d = userdata;
    ik_error *err = NULL;
    (void)report;
    if (!is_pkg_dir(d) && name_len == 4 && memcmp(name, "vpkg", 4) == 0) {
        CHECK_OK(ik_found_set(found, "host:/virtual/vpkg/__init__", IK_KIND_SOURCE, true, &err));
        CHECK_OK(ik_found_add_location(found, "/virtual/vpkg", &err));
    }
    return IK_OK;
}

static int32_t v_read(void *userdata, const char *resource, size_t resource_len, ik_bytes *out, ik_report *report) {
    const vdir *d = userdata;
    ik_error *err = NULL;
    if (!is_pkg_dir(d)) return IK_OK;
    if (resource_len == 12 && memcmp(resource, "maps/one.txt", 12) == 0)
        CHECK_OK(ik_bytes_set(out, (const uint8_t *)"ONE", 3, &err));
    if (resource_len == 10 && memcmp(resource, "broken.bin", 10) == 0) {
        CHECK_OK(ik_report_error(report, IK_ERR_HOST, "the virtual disk is gone", 0, 0, &err));
        return IK_ERR_HOST;
    }
    return IK_OK;
}

static int32_t v_resources(void *userdata, ik_strings *out, ik_report *report) {
    ik_error *err = NULL;
    (void)report;
    if (!is_pkg_dir(userdata)) return IK_OK;
    CHECK_OK(ik_strings_push(out, "maps", 4, &err));
    CHECK_OK(ik_strings_push(out, "__init__.py", 11, &err));
    return IK_OK;
}

static int32_t v_modules(void *userdata, ik_modules *out, ik_report *report) {
    ik_error *err = NULL;
    (void)report;
    if (is_pkg_dir(userdata)) {
        CHECK_OK(ik_modules_push(out, "engine", 6, false, &err));
        CHECK_OK(ik_modules_push(out, "levels", 6, true, &err));
    } else {
        CHECK_OK(ik_modules_push(out, "vpkg", 4, true, &err));
    }
    return IK_OK;
}

static void v_release(void *userdata) { free(userdata); }

static int32_t v_hook(void *userdata, const char *entry, size_t entry_len, ik_entry_finder *out, bool *claimed,
                      ik_report *report) {
    vdir *d;
    (void)userdata, (void)report;
    if (entry_len < 8 || memcmp(entry, "/virtual", 8) != 0 || entry_len >= sizeof d->dir) return IK_OK;
    d = calloc(1, sizeof *d);
    memcpy(d->dir, entry, entry_len);
    out->size = sizeof *out;
    out->userdata = d;
    out->find = v_find;
    out->read_resource = v_read;
    out->resources = v_resources;
    out->iter_modules = v_modules;
    out->release_userdata = v_release;
    *claimed = true;
    return IK_OK;
}

static void host_entry_finders_serve_resources_and_listing(void) {
    static const char *const VPKG_FILES[] = {"__init__.py", "maps"};
    static const char *const VPKG_MODULES[] = {"engine", "levels"};
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    ik_resource *r = NULL;
    ik_name_list *list = NULL;
    ik_path_hook hook;
    uint64_t id = 0;
    size_t i;
    int saw = 0;

    memset(&hook, 0, sizeof hook);
    hook.size = sizeof hook;
    hook.name = "virtual";
    hook.hook = v_hook;
    CHECK_OK(ik_runtime_add_path_hook(rt, &hook, 0, &id, &err));
    CHECK_OK(ik_runtime_path_append(rt, "/virtual", &err));

    CHECK_OK(ik_runtime_read_resource(rt, "vpkg", "maps/one.txt", &r, &err));
    CHECK_STR(text_of(r), "ONE");
    ik_resource_free(r);
    CHECK_ERR(ik_runtime_read_resource(rt, "vpkg", "maps/two.txt", &r, &err), IK_ERR_NOT_FOUND);
    /* The host's failure comes back with its status, naming the package. */
    CHECK_ERR_KEEP(ik_runtime_read_resource(rt, "vpkg", "broken.bin", &r, &err), IK_ERR_HOST);
    CHECK_CONTAINS(ck_msg(err), "the virtual disk is gone");
    CHECK_STR(ik_error_module(err, NULL), "vpkg");
    FREE_ERR();
    CHECK_OK(ik_runtime_resources(rt, "vpkg", &list, &err));
    NAMES_ARE(list, VPKG_FILES); /* sorted by importkit */
    ik_name_list_free(list);
    CHECK_OK(ik_runtime_iter_modules(rt, "vpkg", &list, &err));
    NAMES_ARE(list, VPKG_MODULES);
    CHECK_STR(flags_of(list), "mp");
    ik_name_list_free(list);
    CHECK_OK(ik_runtime_iter_modules(rt, NULL, &list, &err));
    for (i = 0; i < ik_name_list_count(list); i++)
        saw |= strcmp(ik_name_list_get(list, i, NULL), "vpkg") == 0 && ik_name_list_is_package(list, i) == 1;
    CHECK(saw);
    ik_name_list_free(list);
    fx_free(rt, tx);
}

/* A finder built against the older header (no resource callbacks): accepted, and it lists nothing. */
static int32_t old_find(void *userdata, const char *name, size_t name_len, const char *const *path,
                        size_t path_count, ik_found *found, ik_report *report) {
    ik_error *err = NULL;
    (void)userdata, (void)path, (void)path_count, (void)report;
    if (name_len == 3 && memcmp(name, "old", 3) == 0) CHECK_OK(ik_found_set(found, "host:old", IK_KIND_SOURCE, true, &err));
    return IK_OK;
}

static void a_finder_of_the_older_layout_serves_no_resources(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_resource *r = NULL;
    ik_finder f;
    uint64_t id = 0;

    memset(&f, 0xAB, sizeof f); /* what lies past the older layout is never read */
    f.size = (uint32_t)offsetof(ik_finder, read_resource);
    f.name = "old";
    f.userdata = NULL;
    f.find = old_find;
    f.invalidate = NULL;
    f.release_userdata = NULL;
    CHECK_OK(ik_runtime_add_finder(rt, &f, 0, &id, &err));
    CHECK_ERR(ik_runtime_read_resource(rt, "old", "x.txt", &r, &err), IK_ERR_NOT_FOUND);
    f.size = (uint32_t)offsetof(ik_finder, read_resource) + 4;
    CHECK_ERR(ik_runtime_add_finder(rt, &f, 0, &id, &err), IK_ERR_INVALID_ARGUMENT);
    fx_free(rt, tx);
}

int main(void) {
    int removed;
    if (td_make(ROOT) != 0) return 2;
    mounted_resources_are_read_and_listed();
    distributions_of_mounts_and_bundles_are_listed_and_read();
    a_borrowed_resource_is_lent_in_place();
    resources_outlive_their_runtime();
    directories_natives_and_namespaces_answer_too();
    host_entry_finders_serve_resources_and_listing();
    a_finder_of_the_older_layout_serves_no_resources();
    removed = td_remove(ROOT);
    CHECK(removed == 0);
    return ck_finish("test_resources");
}
