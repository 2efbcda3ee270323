/* test_mount.c: memory mounts, copied and borrowed (the release callback runs exactly once, at the right
 * time), replaced, removed by id, at the root; malformed trees are refused. */

#define _POSIX_C_SOURCE 200809L

#include "fixture.h"

/* ----- a tree in heap buffers that the release callback frees (valgrind sees any later read) ----- */

#define MAX_FILES 8

typedef struct {
    int releases;
    size_t count;
    char *paths[MAX_FILES];
    char *texts[MAX_FILES];
    ik_mount_file files[MAX_FILES];
} heap_tree;

static void heap_tree_fill(heap_tree *t, const char *const *pairs, size_t count) {
    size_t i;
    memset(t, 0, sizeof *t);
    t->count = count;
    for (i = 0; i < count; i++) {
        t->paths[i] = strdup(pairs[2 * i]);
        t->texts[i] = strdup(pairs[2 * i + 1]);
        t->files[i].path = t->paths[i];
        t->files[i].path_len = strlen(t->paths[i]);
        t->files[i].data = (const uint8_t *)t->texts[i];
        t->files[i].data_len = strlen(t->texts[i]);
    }
}

static void heap_tree_free(heap_tree *t) {
    size_t i;
    for (i = 0; i < t->count; i++) {
        free(t->paths[i]);
        free(t->texts[i]);
        t->paths[i] = t->texts[i] = NULL;
    }
    t->count = 0;
}

/* The release callback: counts, and gives the bytes back (frees them). */
static void heap_tree_release(void *userdata) {
    heap_tree *t = userdata;
    t->releases++;
    heap_tree_free(t);
}

static const char *const G[] = {"__init__.py", "set v init", "a.py", "set v a", "b.py", "set v b"};

static void borrowed_bytes_are_released_once_after_unmount(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    heap_tree t;
    void *a = NULL, *m = NULL;
    uint64_t id = 0;

    heap_tree_fill(&t, G, 3);
    CHECK_OK(ik_runtime_mount(rt, "g", t.files, t.count, IK_MOUNT_BORROW, heap_tree_release, &t, &id, &err));
    CHECK(id != 0);
    CHECK_INT(t.releases, 0);
    CHECK_OK(ik_runtime_import(rt, "g.a", NULL, &a, &err));
    CHECK_STR(tx_attr(tx, a, "v"), "a");
    CHECK_INT(t.releases, 0);
    CHECK_OK(ik_runtime_unmount(rt, "g", &err));
    CHECK_INT(t.releases, 1);
    /* Imported modules stay; the rest of the tree is gone. */
    CHECK(ck_in_table(rt, "g.a"));
    CHECK_ERR(ik_runtime_import(rt, "g.b", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_ERR(ik_runtime_unmount(rt, "g", &err), IK_ERR_UNAVAILABLE);
    fx_free(rt, tx);
    CHECK_INT(t.releases, 1);
}

static void unmounting_while_a_module_of_the_tree_executes(void) {
    static const char *const SELF[] = {"__init__.py", "", "a.py", "set before 1\nunmount g\nset after 1", "b.py", ""};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    heap_tree t;
    void *a = NULL, *m = NULL;

    heap_tree_fill(&t, SELF, 3);
    CHECK_OK(ik_runtime_mount(rt, "g", t.files, t.count, IK_MOUNT_BORROW, heap_tree_release, &t, NULL, &err));
    /* g.a unmounts its own tree, then reads its source again: the bytes must still be there. */
    CHECK_OK(ik_runtime_import(rt, "g.a", NULL, &a, &err));
    CHECK(tx_logged(tx, "unmounted g"));
    CHECK_STR(tx_attr(tx, a, "after"), "1");
    CHECK_INT(t.releases, 1);
    CHECK_ERR(ik_runtime_import(rt, "g.b", NULL, &m, &err), IK_ERR_NOT_FOUND);
    fx_free(rt, tx);
    CHECK_INT(t.releases, 1);
}

static void a_borrowed_tree_removed_by_id(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    heap_tree t;
    uint64_t id = 0;
    void *m = NULL;

    heap_tree_fill(&t, G, 3);
    CHECK_OK(ik_runtime_mount(rt, "g", t.files, t.count, IK_MOUNT_BORROW, heap_tree_release, &t, &id, &err));
    CHECK_OK(ik_runtime_import(rt, "g", NULL, &m, &err));
    CHECK_OK(ik_runtime_remove_finder(rt, id, &err));
    CHECK_INT(t.releases, 1);
    CHECK_ERR(ik_runtime_unmount(rt, "g", &err), IK_ERR_UNAVAILABLE);
    fx_free(rt, tx);
    CHECK_INT(t.releases, 1);
}

static void borrowed_bytes_are_released_when_the_runtime_goes(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    heap_tree t;
    void *m = NULL;

    heap_tree_fill(&t, G, 3);
    CHECK_OK(ik_runtime_mount(rt, "g", t.files, t.count, IK_MOUNT_BORROW, heap_tree_release, &t, NULL, &err));
    CHECK_OK(ik_runtime_import(rt, "g.b", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "b");
    CHECK_INT(t.releases, 0);
    fx_free(rt, tx);
    CHECK_INT(t.releases, 1);
}

static void replacing_a_borrowed_tree_releases_the_old_one(void) {
    static const char *const G2[] = {"__init__.py", "set v second", "c.py", "set v c"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    heap_tree first, second;
    void *m = NULL;

    heap_tree_fill(&first, G, 3);
    heap_tree_fill(&second, G2, 2);
    CHECK_OK(ik_runtime_mount(rt, "g", first.files, first.count, IK_MOUNT_BORROW, heap_tree_release, &first, NULL,
                              &err));
    /* Without IK_MOUNT_REPLACE the point is taken, and the refused tree is given back at once. */
    CHECK_ERR_KEEP(ik_runtime_mount(rt, "g", second.files, second.count, IK_MOUNT_BORROW, heap_tree_release,
                                    &second, NULL, &err),
                   IK_ERR_EXISTS);
    CHECK_STR(ck_msg(err), "mount point 'g' is taken already");
    FREE_ERR();
    CHECK_INT(second.releases, 1);
    CHECK_INT(first.releases, 0);
    heap_tree_fill(&second, G2, 2);
    CHECK_OK(ik_runtime_mount(rt, "g", second.files, second.count, IK_MOUNT_BORROW | IK_MOUNT_REPLACE,
                              heap_tree_release, &second, NULL, &err));
    CHECK_INT(first.releases, 1);
    CHECK_INT(second.releases, 0);
    CHECK_OK(ik_runtime_import(rt, "g.c", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "c");
    CHECK_OK(ik_runtime_get_module(rt, "g", &m, NULL, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "second");
    CHECK_ERR(ik_runtime_import(rt, "g.a", NULL, &m, &err), IK_ERR_NOT_FOUND);
    fx_free(rt, tx);
    CHECK_INT(first.releases, 1);
    CHECK_INT(second.releases, 1);
}

static void a_failed_borrowed_mount_gives_the_bytes_back_before_returning(void) {
    static const char *const BAD[] = {"__init__.py", "", "../escape.py", ""};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    heap_tree t;
    uint64_t id = 12345;

    heap_tree_fill(&t, BAD, 2);
    CHECK_ERR(ik_runtime_mount(rt, "g", t.files, t.count, IK_MOUNT_BORROW, heap_tree_release, &t, &id, &err),
              IK_ERR_INVALID_MOUNT);
    CHECK_INT(t.releases, 1);
    CHECK_INT(id, 12345);
    fx_free(rt, tx);
    CHECK_INT(t.releases, 1);
}

static void copied_bytes_are_the_runtimes_own(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    heap_tree t;
    void *m = NULL;
    size_t i;

    heap_tree_fill(&t, G, 3);
    /* With a copy the release callback runs before ik_runtime_mount returns. */
    CHECK_OK(ik_runtime_mount(rt, "g", t.files, t.count, 0, heap_tree_release, &t, NULL, &err));
    CHECK_INT(t.releases, 1);
    /* The caller's buffers are freed by now: the runtime must have its own copy. */
    for (i = 0; i < MAX_FILES; i++) CHECK(t.paths[i] == NULL);
    CHECK_OK(ik_runtime_import(rt, "g.a", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "a");
    CHECK_OK(ik_runtime_import(rt, "g", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "init");
    fx_free(rt, tx);
    CHECK_INT(t.releases, 1);
}

static void a_copy_without_a_release_callback(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    heap_tree t;
    void *m = NULL;

    heap_tree_fill(&t, G, 3);
    CHECK_OK(ik_runtime_mount(rt, "g", t.files, t.count, 0, NULL, NULL, NULL, &err));
    heap_tree_free(&t);
    CHECK_OK(ik_runtime_import(rt, "g.b", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "b");
    fx_free(rt, tx);
}

static void mounts_are_removed_by_id(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    uint64_t id = 0, other = 0;
    void *m = NULL;
    const ik_spec *spec = NULL;

    CHECK_OK(ck_mount(rt, "g", G, 3, &err));
    CHECK_OK(ik_runtime_mount(rt, "h", NULL, 0, 0, NULL, NULL, &id, &err));
    CHECK(id != 0);
    /* An empty tree at a name is an empty namespace package. */
    CHECK_OK(ik_runtime_find_spec(rt, "h", NULL, &spec, &err));
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NAMESPACE);
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_mount(rt, "k", NULL, 0, 0, NULL, NULL, &other, &err));
    CHECK(other != id);
    CHECK_OK(ik_runtime_remove_finder(rt, id, &err));
    CHECK_ERR(ik_runtime_find_spec(rt, "h", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ERR(ik_runtime_remove_finder(rt, id, &err), IK_ERR_UNAVAILABLE);
    CHECK_ERR(ik_runtime_unmount(rt, "h", &err), IK_ERR_UNAVAILABLE);
    CHECK_OK(ik_runtime_import(rt, "g.a", NULL, &m, &err));
    fx_free(rt, tx);
}

static void root_mount_and_mount_order(void) {
    static const char *const ROOT[] = {
        "top.py", "set v root", "pkg/__init__.py", "set v root-pkg", "pkg/extra.py", "set v extra",
    };
    static const char *const PKG[] = {"__init__.py", "set v named", "own.py", "set v own"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;

    MOUNT(rt, "", ROOT);
    MOUNT(rt, "pkg", PKG);
    CHECK_ERR_KEEP(ik_runtime_mount(rt, "", NULL, 0, 0, NULL, NULL, NULL, &err), IK_ERR_EXISTS);
    CHECK_STR(ck_msg(err), "mount point the root is taken already");
    FREE_ERR();
    CHECK_OK(ik_runtime_import(rt, "top", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "root");
    /* The root mount came first, so it serves `pkg`; the named mount still serves `pkg.own`. */
    CHECK_OK(ik_runtime_import(rt, "pkg", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "root-pkg");
    CHECK_OK(ik_runtime_import(rt, "pkg.own", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "own");
    CHECK_OK(ik_runtime_import(rt, "pkg.extra", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "extra");
    fx_free(rt, tx);
}

static void mounts_form_one_logical_tree(void) {
    /* The root mount has a directory pkg/ without __init__.py; the later mount at pkg has the __init__.py:
     * in the one logical tree the mounts form, pkg is a regular package (DESIGN.md: "namespace portions
     * keep collecting until a regular package or module is found later on the path"). */
    static const char *const ROOT[] = {"pkg/a.py", "set v a"};
    static const char *const PKG[] = {"__init__.py", "set v regular", "b.py", "set v b"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;
    const ik_spec *s = NULL;

    MOUNT(rt, "", ROOT);
    MOUNT(rt, "pkg", PKG);
    CHECK_OK(ik_runtime_find_spec(rt, "pkg", NULL, &s, &err));
    CHECK_STR(ik_spec_origin(s, NULL), "memory:/pkg/__init__.py");
    CHECK_INT(ik_spec_kind(s), IK_KIND_SOURCE);
    ik_spec_free(s);
    CHECK_OK(ik_runtime_import(rt, "pkg", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "regular");
    /* Both trees serve submodules. */
    CHECK_OK(ik_runtime_import(rt, "pkg.a", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "a");
    CHECK_OK(ik_runtime_import(rt, "pkg.b", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "b");
    fx_free(rt, tx);
}

static void directories_that_are_no_identifiers_hold_no_modules(void) {
    /* `a.b/` is not a package name: its files are resources. It must not stand in for `a/b`. */
    static const char *const P[] = {
        "__init__.py", "", "a/__init__.py", "", "a/b.py", "set v real", "a.b/__init__.py", "set v hijack",
        "x/__init__.py", "", "x.y/z.py", "set v hijack", "x/y/z.py", "set v real",
    };
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;
    const ik_spec *s = NULL;

    MOUNT(rt, "p", P);
    CHECK_OK(ik_runtime_find_spec(rt, "p.a.b", NULL, &s, &err));
    CHECK_STR(ik_spec_origin(s, NULL), "memory:/p/a/b.py");
    ik_spec_free(s);
    CHECK_OK(ik_runtime_import(rt, "p.a.b", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "real");
    CHECK_OK(ik_runtime_import(rt, "p.x.y.z", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "real");
    fx_free(rt, tx);
}

static void malformed_trees_are_refused(void) {
    static const struct {
        const char *point;
        const char *paths[2];
        const char *why;
    } cases[] = {
        {"a", {"../x.py", NULL}, "'..' segment"},
        {"a", {"/abs.py", NULL}, "is absolute"},
        {"a", {"x\\y.py", NULL}, "contains '\\'"},
        {"a", {"x//y.py", NULL}, "empty segment"},
        {"a", {"x/", NULL}, "empty segment"},
        {"a", {"", NULL}, "empty path"},
        {"a", {"./x.py", NULL}, "'.' segment"},
        {"a", {"x.py", "x.py"}, "given twice"},
        {"a", {"x", "x/y.py"}, "both a file and a directory"},
        {"a.b", {"x.py", NULL}, "top-level name"},
    };
    ik_runtime *rt = NULL;
    ik_error *err = NULL;
    size_t i, n;
    uint64_t id = 0;

    CHECK_OK(ik_runtime_new(NULL, &rt, &err));
    for (i = 0; i < CK_COUNT(cases); i++) {
        ik_mount_file files[2];
        for (n = 0; n < 2 && cases[i].paths[n]; n++) files[n] = ck_file(cases[i].paths[n], "");
        if (CHECK_ERR_KEEP(ik_runtime_mount(rt, cases[i].point, files, n, 0, NULL, NULL, NULL, &err),
                           IK_ERR_INVALID_MOUNT))
            CHECK_CONTAINS(ck_msg(err), cases[i].why);
        FREE_ERR();
    }
    CHECK_ERR(ik_runtime_mount(rt, "1bad", NULL, 0, 0, NULL, NULL, NULL, &err), IK_ERR_INVALID_NAME);
    /* No failed mount was left behind: the names are free. */
    CHECK_OK(ik_runtime_mount(rt, "a", NULL, 0, 0, NULL, NULL, &id, &err));
    CHECK_OK(ik_runtime_unmount(rt, "a", &err));
    ik_runtime_free(rt);
}

int main(void) {
    borrowed_bytes_are_released_once_after_unmount();
    unmounting_while_a_module_of_the_tree_executes();
    a_borrowed_tree_removed_by_id();
    borrowed_bytes_are_released_when_the_runtime_goes();
    replacing_a_borrowed_tree_releases_the_old_one();
    a_failed_borrowed_mount_gives_the_bytes_back_before_returning();
    copied_bytes_are_the_runtimes_own();
    a_copy_without_a_release_callback();
    mounts_are_removed_by_id();
    root_mount_and_mount_order();
    mounts_form_one_logical_tree();
    directories_that_are_no_identifiers_hold_no_modules();
    malformed_trees_are_refused();
    return ck_finish("test_mount");
}
