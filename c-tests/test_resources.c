/* test_resources.c: a package's resources and the modules a package or the top level holds, for mounts
 * (copied and borrowed: a borrowed file is lent in place and outlives its unmount), directories on the
 * search path, natives, and a namespace package split across a mount and a directory. */

#define _XOPEN_SOURCE 700

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

int main(void) {
    int removed;
    if (td_make(ROOT) != 0) return 2;
    mounted_resources_are_read_and_listed();
    a_borrowed_resource_is_lent_in_place();
    resources_outlive_their_runtime();
    directories_natives_and_namespaces_answer_too();
    removed = td_remove(ROOT);
    CHECK(removed == 0);
    return ck_finish("test_resources");
}
