/* test_fs_path.c: the path finder on real directories (scratch trees under /tmp, removed at the end): the
 * filesystem switch, the search path and its editing, specs of files on disk (origin, file, cached,
 * locations, precedence), packages imported from disk, namespace packages across entries and their current
 * locations, ik_runtime_path_find_spec, the recheck window and the caches, `.ref` files, confinement, the
 * current directory entry, the Lua profile, and the place of the path finder after natives and mounts. */

#define _XOPEN_SOURCE 700

#include "fsfix.h"


/* "fs:" + a path under ROOT. */
static const char *fs_origin(const char *rel) {
    static char buf[TD_MAX + 8];
    snprintf(buf, sizeof buf, "fs:%s", at(rel));
    return buf;
}

/* ----- the switch ----- */

static void the_filesystem_is_off_until_enabled(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, false);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    void *m = NULL;
    int null_sources = *fs_null_sources();

    CHECK(td_write(ROOT, "sw/onfs.py", "set where disk\n") == 0);
    CHECK(td_write(ROOT, "sw/later.py", "set where later\n") == 0);
    CHECK_OK(ik_runtime_path_append(rt, at("sw"), &err));

    /* Off (the default): the entry is kept but never searched; only the native registry was asked. */
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "onfs", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ck_msg(err), "No module named 'onfs' (native: not registered)");
    CHECK_INT(ik_error_attempt_count(err), 1);
    CHECK_STR(ik_error_attempt_place(err, 0, NULL), "native");
    CHECK_STR(ik_error_attempt_reason(err, 0, NULL), "not registered");
    CHECK_STR(ik_error_module(err, NULL), "onfs");
    FREE_ERR();
    CHECK_ERR(ik_runtime_import(rt, "onfs", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK(!ck_in_table(rt, "onfs"));
    CHECK_ERR_KEEP(ik_runtime_path_find_spec(rt, "onfs", NULL, 0, &spec, &err), IK_ERR_UNAVAILABLE);
    CHECK_CONTAINS(ck_msg(err), "onfs");
    FREE_ERR();
    CHECK_INT(tx_creates(tx), 0);

    /* On: found on the path, imported, its file read by the host (importkit handed exec no bytes). */
    CHECK_OK(ik_runtime_enable_filesystem(rt, true, &err));
    spec = FS_SPEC(rt, "onfs");
    CHECK_STR(ik_spec_origin(spec, NULL), fs_origin("sw/onfs.py"));
    CHECK_STR(ik_spec_file(spec, NULL), at("sw/onfs.py"));
    CHECK_INT(ik_spec_kind(spec), IK_KIND_SOURCE);
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_import(rt, "onfs", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "disk");
    CHECK_INT(*fs_null_sources() - null_sources, 1);
    CHECK_OK(ik_runtime_path_find_spec(rt, "later", NULL, 0, &spec, &err));
    CHECK_STR(ik_spec_file(spec, NULL), at("sw/later.py"));
    ik_spec_free(spec);

    /* Off again: what was imported stays in the table; nothing new comes from the path. */
    CHECK_OK(ik_runtime_enable_filesystem(rt, false, &err));
    CHECK_OK(ik_runtime_import(rt, "onfs", NULL, &m, &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "later", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_INT(ik_error_attempt_count(err), 1);
    CHECK_STR(ik_error_attempt_place(err, 0, NULL), "native");
    FREE_ERR();
    CHECK_ERR(ik_runtime_path_find_spec(rt, "later", NULL, 0, &spec, &err), IK_ERR_UNAVAILABLE);
    CHECK_INT(tx_exec_count(tx, "onfs"), 1);
    CHECK_INT(tx_exec_count(tx, "later"), 0);
    fx_free(rt, tx);
}

/* ----- the search path ----- */

static void the_search_path_is_edited_in_order(void) {
    static const char *const SIX[] = {"c", "d", "a", "b", "e", ""};
    static const char *const SEVEN[] = {"c", "d", "a", "b", "e", "", "a"};
    static const char *const FIRST_A_GONE[] = {"c", "d", "b", "e", "", "a"};
    static const char *const CWD_GONE[] = {"c", "d", "b", "e", "a"};
    static const char *const XY[] = {"x", "y"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    const char *set[2];

    CHECK_PATH(rt, NULL, 0);
    CHECK_OK(ik_runtime_path_append(rt, "a", &err));
    CHECK_OK(ik_runtime_path_append(rt, "b", &err));
    CHECK_OK(ik_runtime_path_insert(rt, 0, "c", &err));
    CHECK_OK(ik_runtime_path_insert(rt, 1, "d", &err));
    CHECK_OK(ik_runtime_path_insert(rt, 99, "e", &err)); /* past the end: appended */
    CHECK_OK(ik_runtime_path_append(rt, "", &err));      /* the current directory */
    CHECK_PATH(rt, SIX, CK_COUNT(SIX));
    CHECK_OK(ik_runtime_path_append(rt, "a", &err)); /* duplicates are kept */
    CHECK_PATH(rt, SEVEN, CK_COUNT(SEVEN));
    CHECK_OK(ik_runtime_path_remove(rt, "a", &err)); /* the first one goes */
    CHECK_PATH(rt, FIRST_A_GONE, CK_COUNT(FIRST_A_GONE));
    CHECK_ERR_KEEP(ik_runtime_path_remove(rt, "zz", &err), IK_ERR_UNAVAILABLE);
    CHECK_CONTAINS(ck_msg(err), "zz");
    FREE_ERR();
    CHECK_PATH(rt, FIRST_A_GONE, CK_COUNT(FIRST_A_GONE));
    CHECK_OK(ik_runtime_path_remove(rt, "", &err));
    CHECK_PATH(rt, CWD_GONE, CK_COUNT(CWD_GONE));

    set[0] = "x";
    set[1] = "y";
    CHECK_OK(ik_runtime_path_set(rt, set, 2, &err));
    set[0] = "changed after the call"; /* the runtime copied the entries */
    CHECK_PATH(rt, XY, CK_COUNT(XY));
    CHECK_OK(ik_runtime_path_set(rt, NULL, 0, &err));
    CHECK_PATH(rt, NULL, 0);
    CHECK_ERR(ik_runtime_path_remove(rt, "x", &err), IK_ERR_UNAVAILABLE);
    fx_free(rt, tx);
}

static void the_first_entry_holding_a_module_wins(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    char file[TD_MAX];
    const char *entries[2];
    const ik_spec *spec;

    CHECK(td_write(ROOT, "order1/first.py", "") == 0);
    CHECK(td_write(ROOT, "order2/first.py", "") == 0);
    /* A namespace portion early on the path loses to a regular package later on it. */
    CHECK(td_write(ROOT, "order1/late/readme.txt", "") == 0);
    CHECK(td_write(ROOT, "order2/late/__init__.py", "") == 0);
    /* Entries that are no directories are passed over, and say why. */
    CHECK(td_write(ROOT, "order-file.txt", "") == 0);

    entries[0] = at("order1");
    entries[1] = at("order2");
    CHECK_OK(ik_runtime_path_set(rt, entries, 2, &err));
    CHECK_STR(FS_FILE_OF(rt, "first", file), at("order1/first.py"));
    CHECK_OK(ik_runtime_path_insert(rt, 0, at("order2"), &err));
    CHECK_STR(FS_FILE_OF(rt, "first", file), at("order2/first.py"));
    CHECK_OK(ik_runtime_path_remove(rt, at("order2"), &err));
    CHECK_STR(FS_FILE_OF(rt, "first", file), at("order1/first.py"));

    spec = FS_SPEC(rt, "late");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_SOURCE);
    CHECK_STR(ik_spec_file(spec, NULL), at("order2/late/__init__.py"));
    ik_spec_free(spec);

    CHECK_OK(ik_runtime_path_insert(rt, 0, at("order-file.txt"), &err));
    CHECK_OK(ik_runtime_path_insert(rt, 0, at("no-such-dir"), &err));
    CHECK_STR(FS_FILE_OF(rt, "first", file), at("order1/first.py"));
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "nowhere", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    /* A regular file is taken for a zip archive, as zipimport takes it, and refused as one. */
    CHECK_ATTEMPT(at("order-file.txt"), "is not a zip file");
    CHECK_ATTEMPT(at("no-such-dir"), "not a directory");
    CHECK_ATTEMPT(at("order1"), "no nowhere.py, no nowhere/__init__.py");
    CHECK_ATTEMPT(at("order2"), "no nowhere.py, no nowhere/__init__.py");
    CHECK_ATTEMPT("native", "not registered");
    CHECK_CONTAINS(ck_msg(err), "No module named 'nowhere'");
    CHECK_CONTAINS(ck_msg(err), at("order1"));
    FREE_ERR();
    fx_free(rt, tx);
}

/* ----- specs of files ----- */

static void specs_describe_the_files_found(void) {
    static const char *const FILES[] = {
        "spec/pkg/__init__.py", "spec/pkg.py", "spec/pkg/sub.py", /* a package beats a module */
        "spec/mod.py", "spec/mod/other.py",                          /* a module beats a namespace dir */
        "spec/onlyns/notes.txt",                                     /* a namespace directory */
        "spec/ext.so", "spec/ext.py", "spec/ext.pyc",                /* extension > source > bytecode */
        "spec/abi.so", "spec/abi.abi3.so",                           /* suffixes in the profile's order */
        "spec/src.py", "spec/src.pyc",                               /* source > bytecode */
        "spec/bc.pyc",                                               /* bytecode alone */
        "spec/bcpkg/__init__.pyc",                                   /* a package of bytecode */
        "spec/txt.txt",                                              /* no suffix of the profile */
    };
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    void *m = NULL;
    size_t i;

    for (i = 0; i < CK_COUNT(FILES); i++) CHECK(td_write(ROOT, FILES[i], "") == 0);
    CHECK_OK(ik_runtime_path_append(rt, at("spec"), &err));

    spec = FS_SPEC(rt, "pkg");
    CHECK_STR(ik_spec_name(spec, NULL), "pkg");
    CHECK_STR(ik_spec_origin(spec, NULL), fs_origin("spec/pkg/__init__.py"));
    CHECK_STR(ik_spec_file(spec, NULL), at("spec/pkg/__init__.py"));
    CHECK_STR(ik_spec_cached(spec, NULL), at("spec/pkg/__pycache__/__init__.cpython-311.pyc"));
    CHECK_STR(ik_spec_parent(spec, NULL), "pkg");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_SOURCE);
    CHECK(ik_spec_is_package(spec));
    CHECK_INT(ik_spec_location_count(spec), 1);
    CHECK_STR(ik_spec_location(spec, 0, NULL), at("spec/pkg"));
    CHECK(ik_spec_location(spec, 1, NULL) == NULL);
    CHECK_INT(ik_spec_ref_count(spec), 0);
    ik_spec_free(spec);

    /* A submodule is searched in its parent's locations; finding it imports nothing. */
    spec = FS_SPEC(rt, "pkg.sub");
    CHECK_STR(ik_spec_origin(spec, NULL), fs_origin("spec/pkg/sub.py"));
    CHECK_STR(ik_spec_file(spec, NULL), at("spec/pkg/sub.py"));
    CHECK_STR(ik_spec_cached(spec, NULL), at("spec/pkg/__pycache__/sub.cpython-311.pyc"));
    CHECK_STR(ik_spec_parent(spec, NULL), "pkg");
    CHECK(!ik_spec_is_package(spec));
    CHECK_INT(ik_spec_location_count(spec), 0);
    ik_spec_free(spec);
    CHECK(!ck_in_table(rt, "pkg"));
    CHECK(!ck_in_table(rt, "pkg.sub"));
    CHECK_INT(tx_creates(tx), 0);

    spec = FS_SPEC(rt, "mod");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_SOURCE);
    CHECK_STR(ik_spec_file(spec, NULL), at("spec/mod.py"));
    CHECK_STR(ik_spec_cached(spec, NULL), at("spec/__pycache__/mod.cpython-311.pyc"));
    CHECK_STR(ik_spec_parent(spec, NULL), "");
    CHECK(!ik_spec_is_package(spec));
    ik_spec_free(spec);

    spec = FS_SPEC(rt, "onlyns");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NAMESPACE);
    CHECK_STR(ik_spec_origin(spec, NULL), "namespace:onlyns");
    CHECK(ik_spec_file(spec, NULL) == NULL);
    CHECK(ik_spec_cached(spec, NULL) == NULL);
    CHECK(ik_spec_is_package(spec));
    CHECK_INT(ik_spec_location_count(spec), 1);
    CHECK_STR(ik_spec_location(spec, 0, NULL), at("spec/onlyns"));
    ik_spec_free(spec);

    spec = FS_SPEC(rt, "ext");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_EXTENSION);
    CHECK_STR(ik_spec_file(spec, NULL), at("spec/ext.so"));
    CHECK_STR(ik_spec_origin(spec, NULL), fs_origin("spec/ext.so"));
    CHECK(ik_spec_cached(spec, NULL) == NULL);
    ik_spec_free(spec);

    spec = FS_SPEC(rt, "abi");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_EXTENSION);
    CHECK_STR(ik_spec_file(spec, NULL), at("spec/abi.abi3.so"));
    ik_spec_free(spec);

    spec = FS_SPEC(rt, "src");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_SOURCE);
    CHECK_STR(ik_spec_file(spec, NULL), at("spec/src.py"));
    CHECK_STR(ik_spec_cached(spec, NULL), at("spec/__pycache__/src.cpython-311.pyc"));
    ik_spec_free(spec);

    spec = FS_SPEC(rt, "bc");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_BYTECODE);
    CHECK_STR(ik_spec_file(spec, NULL), at("spec/bc.pyc"));
    CHECK_STR(ik_spec_cached(spec, NULL), at("spec/bc.pyc")); /* sourceless: the file itself */
    ik_spec_free(spec);

    spec = FS_SPEC(rt, "bcpkg");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_BYTECODE);
    CHECK(ik_spec_is_package(spec));
    CHECK_STR(ik_spec_file(spec, NULL), at("spec/bcpkg/__init__.pyc"));
    CHECK_STR(ik_spec_location(spec, 0, NULL), at("spec/bcpkg"));
    ik_spec_free(spec);

    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "txt", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(at("spec"), "no txt.py, no txt/__init__.py, no directory");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "pkg.nothere", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(at("spec/pkg"), "no nothere.py, no nothere/__init__.py");
    CHECK_STR(ik_error_module(err, NULL), "pkg.nothere");
    FREE_ERR();
    /* A module is no package. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "mod.other", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ck_msg(err), "No module named 'mod.other'; 'mod' is not a package");
    FREE_ERR();
    fx_free(rt, tx);
}

/* ----- importing from disk ----- */

static void packages_are_imported_from_disk(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    void *app = NULL, *util = NULL, *leaf = NULL, *m = NULL;
    const ik_spec *spec = NULL;
    int null_sources = *fs_null_sources();

    CHECK(td_write(ROOT, "imp/app/__init__.py", "set kind app\nfrom . import util\n") == 0);
    CHECK(td_write(ROOT, "imp/app/util.py", "set kind util\nimport app.deep.leaf\n") == 0);
    CHECK(td_write(ROOT, "imp/app/deep/leaf.py", "# in a namespace package inside a package\nset kind leaf\n") == 0);
    CHECK(td_write(ROOT, "imp/broken.py", "set kind broken\nraise disk says no\n") == 0);
    CHECK(td_write(ROOT, "imp/needs.py", "import not_on_disk\n") == 0);
    CHECK_OK(ik_runtime_path_append(rt, at("imp"), &err));

    CHECK_OK(ik_runtime_import(rt, "app", NULL, &app, &err));
    CHECK_STR(tx_attr(tx, app, "kind"), "app");
    CHECK_STR(tx_attr(tx, app, "util"), "<module app.util>");
    CHECK_OK(ik_runtime_get_module(rt, "app.util", &util, NULL, &err));
    CHECK_STR(tx_attr(tx, util, "kind"), "util");
    CHECK_STR(tx_package(util), "app");
    CHECK_OK(ik_runtime_get_module(rt, "app.deep.leaf", &leaf, NULL, &err));
    CHECK_STR(tx_attr(tx, leaf, "kind"), "leaf");
    CHECK_INT(tx_exec_count(tx, "app"), 1);
    CHECK_INT(tx_exec_count(tx, "app.util"), 1);
    CHECK_INT(tx_exec_count(tx, "app.deep"), 0); /* a namespace package executes nothing */
    CHECK_INT(tx_exec_count(tx, "app.deep.leaf"), 1);
    CHECK_INT(*fs_null_sources() - null_sources, 3); /* importkit gave no bytes for files on disk */

    CHECK_OK(ik_runtime_module_spec(rt, "app", &spec, &err));
    CHECK_STR(ik_spec_file(spec, NULL), at("imp/app/__init__.py"));
    CHECK_STR(ik_spec_location(spec, 0, NULL), at("imp/app"));
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_module_spec(rt, "app.deep", &spec, &err));
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NAMESPACE);
    CHECK_INT(ik_spec_location_count(spec), 1);
    CHECK_STR(ik_spec_location(spec, 0, NULL), at("imp/app/deep"));
    ik_spec_free(spec);

    /* Imported once: the table answers. */
    CHECK_OK(ik_runtime_import(rt, "app.util", NULL, &m, &err));
    CHECK(m == util);
    CHECK_INT(tx_exec_count(tx, "app.util"), 1);

    /* A module on disk that fails leaves the table; one that imports a missing module passes that on. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "broken", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_STR(ik_error_host_message(err, NULL), "disk says no");
    CHECK_INT(ik_error_line(err), 2);
    FREE_ERR();
    CHECK(!ck_in_table(rt, "broken"));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "needs", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_STR(ik_error_module(err, NULL), "not_on_disk");
    CHECK_ATTEMPT(at("imp"), "no not_on_disk.py");
    FREE_ERR();
    CHECK(!ck_in_table(rt, "needs"));
    fx_free(rt, tx);
}

/* ----- namespace packages across entries ----- */

static void namespace_locations_follow_the_search_path(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    ik_name_list *list = NULL;
    const ik_spec *spec = NULL;
    void *plug = NULL, *m = NULL;
    char p1[TD_MAX], p2[TD_MAX], p3[TD_MAX];
    const char *want[3];
    const char *entries[2];

    td_join(p1, ROOT, "ns1/plug");
    td_join(p2, ROOT, "ns2/plug");
    td_join(p3, ROOT, "ns3/plug");

    CHECK(td_write(ROOT, "ns1/plug/alpha.py", "set who alpha\n") == 0);
    CHECK(td_write(ROOT, "ns2/plug/beta.py", "set who beta\n") == 0);
    CHECK(td_write(ROOT, "ns3/plug/gamma.py", "set who gamma\n") == 0);
    entries[0] = at("ns1");
    entries[1] = at("ns2");
    CHECK_OK(ik_runtime_path_set(rt, entries, 2, &err));

    CHECK_OK(ik_runtime_import(rt, "plug", NULL, &plug, &err));
    CHECK_INT(tx_exec_count(tx, "plug"), 0);
    CHECK_OK(ik_runtime_module_spec(rt, "plug", &spec, &err));
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NAMESPACE);
    CHECK_STR(ik_spec_origin(spec, NULL), "namespace:plug");
    CHECK_INT(ik_spec_location_count(spec), 2);
    CHECK_STR(ik_spec_location(spec, 0, NULL), at("ns1/plug"));
    CHECK_STR(ik_spec_location(spec, 1, NULL), at("ns2/plug"));
    ik_spec_free(spec);
    want[0] = p1;
    want[1] = p2;
    CHECK_OK(ik_runtime_namespace_locations(rt, "plug", &list, &err));
    CHECK_LIST(list, want, 2);

    CHECK_OK(ik_runtime_import(rt, "plug.alpha", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "who"), "alpha");
    CHECK_OK(ik_runtime_import(rt, "plug.beta", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "who"), "beta");
    CHECK_ERR_KEEP(ik_runtime_import(rt, "plug.gamma", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(at("ns1/plug"), "no gamma.py");
    CHECK_ATTEMPT(at("ns2/plug"), "no gamma.py");
    FREE_ERR();

    /* A new entry adds a portion: the package's locations are recomputed, and its new child imports. */
    CHECK_OK(ik_runtime_path_append(rt, at("ns3"), &err));
    want[2] = p3;
    CHECK_OK(ik_runtime_namespace_locations(rt, "plug", &list, &err));
    CHECK_LIST(list, want, 3);
    CHECK_OK(ik_runtime_import(rt, "plug.gamma", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "who"), "gamma");
    CHECK_STR(tx_attr(tx, plug, "gamma"), "<module plug.gamma>");

    /* A removed entry takes its portion away. */
    CHECK_OK(ik_runtime_path_remove(rt, at("ns1"), &err));
    CHECK_OK(ik_runtime_namespace_locations(rt, "plug", &list, &err));
    CHECK_LIST(list, want + 1, 2);
    CHECK_OK(ik_runtime_path_remove(rt, at("ns3"), &err));
    CHECK_OK(ik_runtime_path_insert(rt, 0, at("ns3"), &err));
    want[0] = p3;
    want[1] = p2;
    CHECK_OK(ik_runtime_namespace_locations(rt, "plug", &list, &err));
    CHECK_LIST(list, want, 2); /* in the order of the path */

    CHECK_ERR(ik_runtime_namespace_locations(rt, "plug.alpha", &list, &err), IK_ERR_IMPORT);
    CHECK_ERR(ik_runtime_namespace_locations(rt, "absent", &list, &err), IK_ERR_NOT_FOUND);
    fx_free(rt, tx);
}

/* ----- the path finder alone ----- */

static void path_find_spec_searches_the_given_entries_only(void) {
    static const char *const MEM[] = {"__init__.py", "set where memory"};
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    const char *entries[2];

    CHECK(td_write(ROOT, "pf1/plug/alpha.py", "") == 0);
    CHECK(td_write(ROOT, "pf2/plug/beta.py", "") == 0);
    CHECK(td_write(ROOT, "pf2/solo.py", "") == 0);
    CHECK_OK(ik_runtime_path_append(rt, at("pf1"), &err));
    CHECK_OK(ik_runtime_path_append(rt, at("pf2"), &err));
    MOUNT(rt, "memonly", MEM);

    /* NULL: the search path. */
    CHECK_OK(ik_runtime_path_find_spec(rt, "plug", NULL, 0, &spec, &err));
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NAMESPACE);
    CHECK_INT(ik_spec_location_count(spec), 2);
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_path_find_spec(rt, "solo", NULL, 0, &spec, &err));
    CHECK_STR(ik_spec_file(spec, NULL), at("pf2/solo.py"));
    ik_spec_free(spec);

    /* Explicit entries: only those. */
    entries[0] = at("pf2");
    CHECK_OK(ik_runtime_path_find_spec(rt, "plug", entries, 1, &spec, &err));
    CHECK_INT(ik_spec_location_count(spec), 1);
    CHECK_STR(ik_spec_location(spec, 0, NULL), at("pf2/plug"));
    ik_spec_free(spec);
    entries[0] = at("pf1");
    CHECK_ERR_KEEP(ik_runtime_path_find_spec(rt, "solo", entries, 1, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(at("pf1"), "no solo.py");
    CHECK(!fs_has_attempt(err, at("pf2"), ""));
    FREE_ERR();
    /* A dotted name with the parent's locations given: no parent is resolved or imported. */
    entries[0] = at("pf1/plug");
    entries[1] = at("pf2/plug");
    CHECK_OK(ik_runtime_path_find_spec(rt, "plug.beta", entries, 2, &spec, &err));
    CHECK_STR(ik_spec_file(spec, NULL), at("pf2/plug/beta.py"));
    CHECK_STR(ik_spec_parent(spec, NULL), "plug");
    ik_spec_free(spec);
    CHECK(!ck_in_table(rt, "plug"));
    CHECK(!ck_in_table(rt, "plug.beta"));
    CHECK_INT(tx_creates(tx), 0);
    /* No entries: nothing to search. */
    CHECK_ERR(ik_runtime_path_find_spec(rt, "solo", entries, 0, &spec, &err), IK_ERR_NOT_FOUND);

    /* No other finder is asked: a mounted module is not on the path. */
    CHECK_ERR(ik_runtime_path_find_spec(rt, "memonly", NULL, 0, &spec, &err), IK_ERR_NOT_FOUND);
    spec = FS_SPEC(rt, "memonly");
    CHECK_CONTAINS(ik_spec_origin(spec, NULL), "memory:");
    ik_spec_free(spec);

    /* The policy still holds. */
    CHECK_OK(ik_runtime_deny(rt, "solo", &err));
    CHECK_ERR(ik_runtime_path_find_spec(rt, "solo", NULL, 0, &spec, &err), IK_ERR_DENIED);
    CHECK_OK(ik_runtime_clear_policy(rt, &err));
    CHECK_OK(ik_runtime_path_find_spec(rt, "solo", NULL, 0, &spec, &err));
    ik_spec_free(spec);

    CHECK_OK(ik_runtime_enable_filesystem(rt, false, &err));
    CHECK_ERR(ik_runtime_path_find_spec(rt, "solo", NULL, 0, &spec, &err), IK_ERR_UNAVAILABLE);
    entries[0] = at("pf2");
    CHECK_ERR(ik_runtime_path_find_spec(rt, "solo", entries, 1, &spec, &err), IK_ERR_UNAVAILABLE);
    fx_free(rt, tx);
}

/* ----- listings: the recheck window, invalidation, dropped caches ----- */

static void the_recheck_window_decides_when_new_files_are_seen(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;

    CHECK(td_write(ROOT, "re/early.py", "") == 0);
    CHECK_OK(ik_runtime_path_append(rt, at("re"), &err));

    /* 0: every lookup checks the directory, as CPython's FileFinder does. */
    CHECK_OK(ik_runtime_set_recheck(rt, 0, &err));
    spec = FS_SPEC(rt, "early");
    ik_spec_free(spec);
    CHECK_ERR(ik_runtime_find_spec(rt, "late0", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    fs_sleep_ms(50);
    CHECK(td_write(ROOT, "re/late0.py", "") == 0);
    spec = FS_SPEC(rt, "late0"); /* no invalidate needed */
    ik_spec_free(spec);
    fs_sleep_ms(50);
    CHECK(td_unlink(ROOT, "re/early.py") == 0);
    CHECK_ERR(ik_runtime_find_spec(rt, "early", NULL, &spec, &err), IK_ERR_NOT_FOUND);

    /* A long window: the listing is trusted until ik_runtime_invalidate. */
    CHECK_OK(ik_runtime_set_recheck(rt, 3600u * 1000u, &err));
    CHECK_ERR(ik_runtime_find_spec(rt, "late1", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    fs_sleep_ms(50);
    CHECK(td_write(ROOT, "re/late1.py", "") == 0);
    CHECK_ERR(ik_runtime_find_spec(rt, "late1", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ERR(ik_runtime_find_spec(rt, "late1", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_OK(ik_runtime_invalidate(rt, &err));
    spec = FS_SPEC(rt, "late1");
    CHECK_STR(ik_spec_file(spec, NULL), at("re/late1.py"));
    ik_spec_free(spec);

    /* ... or until the caches are dropped. */
    fs_sleep_ms(50);
    CHECK(td_write(ROOT, "re/late2.py", "") == 0);
    CHECK_ERR(ik_runtime_find_spec(rt, "late2", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_OK(ik_runtime_drop_caches(rt, &err));
    spec = FS_SPEC(rt, "late2");
    CHECK_STR(ik_spec_file(spec, NULL), at("re/late2.py"));
    ik_spec_free(spec);

    /* A directory made after its parent was listed becomes a namespace, then a package. */
    fs_sleep_ms(50);
    CHECK(td_mkdir(ROOT, "re/grows") == 0);
    CHECK_ERR(ik_runtime_find_spec(rt, "grows", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_OK(ik_runtime_invalidate(rt, &err));
    spec = FS_SPEC(rt, "grows");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NAMESPACE);
    ik_spec_free(spec);
    CHECK(td_write(ROOT, "re/grows/__init__.py", "") == 0);
    CHECK_OK(ik_runtime_invalidate(rt, &err));
    spec = FS_SPEC(rt, "grows");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_SOURCE);
    CHECK(ik_spec_is_package(spec));
    ik_spec_free(spec);

    /* An entry that did not exist when first asked about is seen once it exists and caches are invalidated. */
    CHECK_OK(ik_runtime_path_append(rt, at("re-later"), &err));
    CHECK_ERR(ik_runtime_find_spec(rt, "inlater", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK(td_write(ROOT, "re-later/inlater.py", "") == 0);
    CHECK_OK(ik_runtime_invalidate(rt, &err));
    spec = FS_SPEC(rt, "inlater");
    CHECK_STR(ik_spec_file(spec, NULL), at("re-later/inlater.py"));
    ik_spec_free(spec);
    fx_free(rt, tx);
}

/* ----- .ref files ----- */

static void ref_files_lead_elsewhere_and_record_the_chain(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    void *m = NULL;
    char text[TD_MAX + 64], want[TD_MAX];
    int i;

    /* tool: home/tool.ref -> ../src, src/tool.ref -> ../deeper, deeper/tool.py; paths joined as written. */
    CHECK(td_write(ROOT, "refs/home/tool.ref", "# where tool lives\n\n   ../src  \n") == 0);
    CHECK(td_write(ROOT, "refs/src/tool.ref", "../deeper\n") == 0);
    CHECK(td_write(ROOT, "refs/deeper/tool.py", "set where deeper\n") == 0);
    /* lib: an absolute target, a package found there. */
    snprintf(text, sizeof text, "%s\n", at("refs/far"));
    CHECK(td_write(ROOT, "refs/home/lib.ref", text) == 0);
    CHECK(td_write(ROOT, "refs/far/lib/__init__.py", "set where far\n") == 0);
    CHECK(td_write(ROOT, "refs/far/lib/part.py", "set where part\n") == 0);
    CHECK(td_write(ROOT, "refs/far/unrelated.py", "") == 0);
    /* loops: through another directory, and straight back to the same one. */
    CHECK(td_write(ROOT, "refs/home/loop.ref", "../la\n") == 0);
    CHECK(td_write(ROOT, "refs/la/loop.ref", "../home\n") == 0);
    CHECK(td_write(ROOT, "refs/home/self.ref", ".\n") == 0);
    /* targets with nothing: the directory holding the .ref file is searched as usual. */
    CHECK(td_write(ROOT, "refs/home/fallback.ref", "../empty\n") == 0);
    CHECK(td_mkdir(ROOT, "refs/empty") == 0);
    CHECK(td_write(ROOT, "refs/home/fallback.py", "") == 0);
    /* a file of comments names nothing; a target that is missing. */
    CHECK(td_write(ROOT, "refs/home/blank.ref", "# nothing here\n\n#  ../far\n") == 0);
    CHECK(td_write(ROOT, "refs/home/missing.ref", "no/such/dir\n") == 0);
    /* chains of 8 and 9 .ref files: deep8 found at the end of 8, deep9 beyond the limit. */
    CHECK(td_write(ROOT, "refs/home/deep8.ref", "../h1\n") == 0);
    CHECK(td_write(ROOT, "refs/home/deep9.ref", "../h1\n") == 0);
    for (i = 1; i <= 9; i++) {
        char rel[64], next[16];
        snprintf(next, sizeof next, "../h%d\n", i + 1);
        if (i < 8) {
            snprintf(rel, sizeof rel, "refs/h%d/deep8.ref", i);
            CHECK(td_write(ROOT, rel, next) == 0);
        }
        if (i < 9) {
            snprintf(rel, sizeof rel, "refs/h%d/deep9.ref", i);
            CHECK(td_write(ROOT, rel, next) == 0);
        }
    }
    CHECK(td_write(ROOT, "refs/h8/deep8.py", "") == 0);
    CHECK(td_write(ROOT, "refs/h9/deep9.py", "") == 0);
    CHECK_OK(ik_runtime_path_append(rt, at("refs/home"), &err));

    spec = FS_SPEC(rt, "tool");
    CHECK_STR(ik_spec_file(spec, NULL), at("refs/home/../src/../deeper/tool.py"));
    CHECK_INT(ik_spec_ref_count(spec), 2);
    CHECK_STR(ik_spec_ref(spec, 0, NULL), at("refs/home/tool.ref"));
    CHECK_STR(ik_spec_ref(spec, 1, NULL), at("refs/home/../src/tool.ref"));
    CHECK(ik_spec_ref(spec, 2, NULL) == NULL);
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_import(rt, "tool", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "deeper");
    CHECK_OK(ik_runtime_module_spec(rt, "tool", &spec, &err));
    CHECK_INT(ik_spec_ref_count(spec), 2);
    ik_spec_free(spec);

    spec = FS_SPEC(rt, "lib");
    CHECK(ik_spec_is_package(spec));
    CHECK_STR(ik_spec_file(spec, NULL), at("refs/far/lib/__init__.py"));
    CHECK_STR(ik_spec_location(spec, 0, NULL), at("refs/far/lib"));
    CHECK_INT(ik_spec_ref_count(spec), 1);
    CHECK_STR(ik_spec_ref(spec, 0, NULL), at("refs/home/lib.ref"));
    ik_spec_free(spec);
    /* A package found through a .ref file searches its own directory; its children need no .ref. */
    CHECK_OK(ik_runtime_import(rt, "lib.part", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "part");
    CHECK_OK(ik_runtime_module_spec(rt, "lib.part", &spec, &err));
    CHECK_STR(ik_spec_file(spec, NULL), at("refs/far/lib/part.py"));
    CHECK_INT(ik_spec_ref_count(spec), 0);
    ik_spec_free(spec);
    /* A .ref file only ever concerns its own name. */
    CHECK_ERR(ik_runtime_find_spec(rt, "unrelated", NULL, &spec, &err), IK_ERR_NOT_FOUND);

    /* Loops end, with a reason. */
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "loop", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(NULL, "loops back");
    CHECK_CONTAINS(ck_msg(err), "loops back");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_import(rt, "self", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(at("refs/home/self.ref"), "loops back");
    FREE_ERR();

    CHECK_STR(FS_FILE_OF(rt, "fallback", want), at("refs/home/fallback.py"));
    spec = FS_SPEC(rt, "fallback");
    CHECK_INT(ik_spec_ref_count(spec), 0);
    ik_spec_free(spec);
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "blank", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(at("refs/home/blank.ref"), "names no directory");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "missing", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(at("refs/home/missing.ref"), "'no/such/dir'");
    FREE_ERR();

    spec = FS_SPEC(rt, "deep8");
    CHECK_INT(ik_spec_ref_count(spec), IK_MAX_REF_HOPS);
    snprintf(want, sizeof want, "%s", at("refs/home"));
    for (i = 1; i <= 8; i++) {
        size_t n = strlen(want);
        snprintf(want + n, sizeof want - n, "/../h%d", i);
    }
    strncat(want, "/deep8.py", sizeof want - strlen(want) - 1);
    CHECK_STR(ik_spec_file(spec, NULL), want);
    CHECK_STR(ik_spec_ref(spec, 0, NULL), at("refs/home/deep8.ref"));
    ik_spec_free(spec);
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "deep9", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(NULL, "more than 8 .ref files");
    FREE_ERR();

    /* bkr: a namespace package over two targets of home/bkr.ref (one of them through common/bkr.ref) and
       home's own directory; each portion keeps the chain that located it. */
    CHECK(td_write(ROOT, "refs/home/bkr.ref", "../common\n../client\n") == 0);
    CHECK(td_write(ROOT, "refs/common/bkr.ref", "../shared\n") == 0);
    CHECK(td_write(ROOT, "refs/shared/bkr/a.py", "") == 0);
    CHECK(td_write(ROOT, "refs/client/bkr/b.py", "") == 0);
    CHECK(td_write(ROOT, "refs/home/bkr/c.py", "") == 0);
    CHECK_OK(ik_runtime_invalidate(rt, &err)); /* home was listed before these files were written */
    spec = FS_SPEC(rt, "bkr");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NAMESPACE);
    CHECK_INT(ik_spec_ref_count(spec), 0);
    CHECK_INT(ik_spec_location_count(spec), 3);
    CHECK_STR(ik_spec_location(spec, 0, NULL), at("refs/home/../common/../shared/bkr"));
    CHECK_INT(ik_spec_location_ref_count(spec, 0), 2);
    CHECK_STR(ik_spec_location_ref(spec, 0, 0, NULL), at("refs/home/bkr.ref"));
    CHECK_STR(ik_spec_location_ref(spec, 0, 1, NULL), at("refs/home/../common/bkr.ref"));
    CHECK(ik_spec_location_ref(spec, 0, 2, NULL) == NULL);
    CHECK_STR(ik_spec_location(spec, 1, NULL), at("refs/home/../client/bkr"));
    CHECK_INT(ik_spec_location_ref_count(spec, 1), 1);
    CHECK_STR(ik_spec_location_ref(spec, 1, 0, NULL), at("refs/home/bkr.ref"));
    CHECK_STR(ik_spec_location(spec, 2, NULL), at("refs/home/bkr"));
    CHECK_INT(ik_spec_location_ref_count(spec, 2), 0);
    CHECK_INT(ik_spec_location_ref_count(spec, 3), 0);
    CHECK(ik_spec_location_ref(spec, 3, 0, NULL) == NULL);
    ik_spec_free(spec);
    fx_free(rt, tx);
}

/* ----- confinement ----- */

static void confinement_refuses_what_resolves_outside(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    const char *entries[2];
    char file[TD_MAX];

    CHECK(td_write(ROOT, "jail/in/e/fine.py", "") == 0);
    CHECK(td_write(ROOT, "jail/out/secret.py", "") == 0);
    CHECK(td_write(ROOT, "jail/out/escape_pkg/__init__.py", "") == 0);
    CHECK(td_write(ROOT, "jail/out/other.py", "") == 0);
    CHECK(td_write(ROOT, "jail/out/farref/far.py", "") == 0);
    CHECK(td_symlink(at("jail/out/secret.py"), ROOT, "jail/in/e/secret.py") == 0);
    CHECK(td_symlink("../../out/escape_pkg", ROOT, "jail/in/e/escape") == 0);
    CHECK(td_symlink("fine.py", ROOT, "jail/in/e/alias.py") == 0); /* a link that stays inside */
    CHECK(td_write(ROOT, "jail/in/e/far.ref", "../../out/farref\n") == 0);
    entries[0] = at("jail/in/e");
    entries[1] = at("jail/out");
    CHECK_OK(ik_runtime_path_set(rt, entries, 2, &err));

    /* Without confinement links are followed. */
    CHECK_STR(FS_FILE_OF(rt, "secret", file), at("jail/in/e/secret.py"));
    CHECK_STR(FS_FILE_OF(rt, "escape", file), at("jail/in/e/escape/__init__.py"));
    CHECK_STR(FS_FILE_OF(rt, "other", file), at("jail/out/other.py"));
    CHECK_STR(FS_FILE_OF(rt, "far", file), at("jail/in/e/../../out/farref/far.py"));

    CHECK_OK(ik_runtime_confine(rt, at("jail/in"), &err));
    CHECK_STR(FS_FILE_OF(rt, "fine", file), at("jail/in/e/fine.py"));
    CHECK_STR(FS_FILE_OF(rt, "alias", file), at("jail/in/e/alias.py"));
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "secret", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(at("jail/in/e/secret.py"), "outside the allowed roots");
    CHECK_CONTAINS(ck_msg(err), "outside the allowed roots");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "escape", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(NULL, "outside the allowed roots");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "other", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(at("jail/out"), "outside the allowed roots");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "far", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(NULL, "outside the allowed roots");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_path_find_spec(rt, "secret", NULL, 0, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(at("jail/in/e/secret.py"), "outside the allowed roots");
    FREE_ERR();
    CHECK_INT(tx_creates(tx), 0);

    /* A second root allows what resolves inside it. */
    CHECK_OK(ik_runtime_confine(rt, at("jail/out"), &err));
    CHECK_STR(FS_FILE_OF(rt, "secret", file), at("jail/in/e/secret.py"));
    CHECK_STR(FS_FILE_OF(rt, "other", file), at("jail/out/other.py"));

    /* A root that does not exist fails at once, and changes nothing. */
    CHECK(ik_runtime_confine(rt, at("jail/no-such-root"), &err) != IK_OK);
    CHECK(err != NULL);
    FREE_ERR();
    CHECK_STR(FS_FILE_OF(rt, "fine", file), at("jail/in/e/fine.py"));

    /* Back to one root, then none. */
    CHECK_OK(ik_runtime_clear_confinement(rt, &err));
    CHECK_OK(ik_runtime_confine(rt, at("jail/in"), &err));
    CHECK_ERR(ik_runtime_find_spec(rt, "other", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_OK(ik_runtime_clear_confinement(rt, &err));
    CHECK_STR(FS_FILE_OF(rt, "secret", file), at("jail/in/e/secret.py"));
    CHECK_STR(FS_FILE_OF(rt, "escape", file), at("jail/in/e/escape/__init__.py"));
    CHECK_STR(FS_FILE_OF(rt, "far", file), at("jail/in/e/../../out/farref/far.py"));
    fx_free(rt, tx);
}

/* ----- the current directory ----- */

static void the_empty_entry_is_the_current_directory(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    char old[TD_MAX], cwd[TD_MAX], file[TD_MAX], want[TD_MAX + 32];
    const ik_spec *spec = NULL;

    CHECK(td_write(ROOT, "cwd/here_mod.py", "") == 0);
    CHECK(td_write(ROOT, "cwd/sub/there_mod.py", "") == 0);
    CHECK(getcwd(old, sizeof old) != NULL);
    CHECK(chdir(at("cwd")) == 0);
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    CHECK_OK(ik_runtime_path_append(rt, "", &err));
    CHECK_OK(ik_runtime_path_append(rt, "sub", &err)); /* relative to the current directory */
    snprintf(want, sizeof want, "%s/here_mod.py", cwd);
    CHECK_STR(FS_FILE_OF(rt, "here_mod", file), want);
    snprintf(want, sizeof want, "%s/sub/there_mod.py", cwd);
    CHECK_STR(FS_FILE_OF(rt, "there_mod", file), want);
    CHECK(chdir(old) == 0);
    CHECK_ERR(ik_runtime_find_spec(rt, "absent_here", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    fx_free(rt, tx);
}

/* ----- another profile ----- */

static void the_lua_profile_has_its_own_conventions(void) {
    tx_executor *tx;
    ik_profile *lua = NULL;
    ik_runtime *rt;
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    void *m = NULL;

    CHECK_OK(ik_profile_new(IK_PROFILE_LUA, NULL, &lua, &err));
    rt = fs_runtime(lua, &tx, true);
    ik_profile_free(lua);
    CHECK(td_write(ROOT, "lua/app/init.lua", "set kind app\n") == 0);
    CHECK(td_write(ROOT, "lua/app/util.lua", "set kind util\n") == 0);
    CHECK(td_write(ROOT, "lua/app/__init__.py", "raise not Lua\n") == 0);
    CHECK(td_write(ROOT, "lua/bare/x.lua", "") == 0);
    CHECK(td_write(ROOT, "lua/my-mod.lua", "set kind dashed\n") == 0);
    CHECK(td_write(ROOT, "lua/pyonly.py", "") == 0);
    CHECK_OK(ik_runtime_path_append(rt, at("lua"), &err));

    spec = FS_SPEC(rt, "app");
    CHECK_STR(ik_spec_file(spec, NULL), at("lua/app/init.lua"));
    CHECK(ik_spec_cached(spec, NULL) == NULL);
    CHECK(ik_spec_is_package(spec));
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_import(rt, "app.util", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "kind"), "util");
    CHECK_OK(ik_runtime_get_module(rt, "app", &m, NULL, &err));
    CHECK_STR(tx_attr(tx, m, "kind"), "app");
    CHECK_OK(ik_runtime_import(rt, "my-mod", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "kind"), "dashed");
    /* No namespace directories, no Python files. */
    CHECK_ERR(ik_runtime_find_spec(rt, "bare", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ERR(ik_runtime_find_spec(rt, "pyonly", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    fx_free(rt, tx);
}

/* ----- the path finder's place: after natives and mounts; portions collected across them ----- */

static void the_path_finder_comes_after_the_meta_path(void) {
    static const char *const SHADOW[] = {"__init__.py", "set where memory"};
    static const char *const PORTIONS[] = {"mixed/a.py", "set where memory-a", "both/m.py", "set where memory-m"};
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    void *m = NULL;
    size_t i;
    int on_disk = 0;

    CHECK(td_write(ROOT, "late/shadow.py", "set where disk\n") == 0);
    CHECK(td_write(ROOT, "late/mixed/__init__.py", "set where disk-mixed\n") == 0);
    CHECK(td_write(ROOT, "late/both/d.py", "set where disk-d\n") == 0);
    CHECK_OK(ik_runtime_path_append(rt, at("late"), &err));
    MOUNT(rt, "shadow", SHADOW);
    CHECK_OK(ck_mount(rt, "", PORTIONS, CK_COUNT(PORTIONS) / 2, &err));

    CHECK_OK(ik_runtime_import(rt, "shadow", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "memory");
    /* A memory namespace portion loses to a regular package later, on disk. */
    spec = FS_SPEC(rt, "mixed");
    CHECK_STR(ik_spec_origin(spec, NULL), fs_origin("late/mixed/__init__.py"));
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_import(rt, "mixed", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "disk-mixed");
    /* Portions in memory and on disk make one namespace package. */
    spec = FS_SPEC(rt, "both");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NAMESPACE);
    CHECK_INT(ik_spec_location_count(spec), 2);
    for (i = 0; i < ik_spec_location_count(spec); i++)
        if (strcmp(ik_spec_location(spec, i, NULL), at("late/both")) == 0) on_disk = 1;
    CHECK(on_disk);
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_import(rt, "both.m", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "memory-m");
    CHECK_OK(ik_runtime_import(rt, "both.d", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "disk-d");
    fx_free(rt, tx);
}

static void the_cache_tag_names_the_cached_file(void) {
    tx_executor *tx;
    ik_profile *p = NULL;
    ik_runtime *rt;
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    char want[1024];

    CHECK_OK(ik_profile_new(IK_PROFILE_PYTHON, NULL, &p, &err));
    CHECK_OK(ik_profile_set_cache_tag(p, "cpython-312", &err));
    CHECK_ERR(ik_profile_set_cache_tag(p, "a/b", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_profile_set_cache_tag(p, "", &err), IK_ERR_INVALID_ARGUMENT);
    rt = fs_runtime(p, &tx, true);
    CHECK(td_write(ROOT, "tag/m.py", "") == 0);
    CHECK_OK(ik_runtime_path_append(rt, at("tag"), &err));
    spec = FS_SPEC(rt, "m");
    td_join(want, ROOT, "tag/__pycache__/m.cpython-312.pyc");
    CHECK_STR(ik_spec_cached(spec, NULL), want);
    ik_spec_free(spec);
    fx_free(rt, tx);
    /* No tag: no cached file. */
    CHECK_OK(ik_profile_set_cache_tag(p, NULL, &err));
    rt = fs_runtime(p, &tx, true);
    CHECK_OK(ik_runtime_path_append(rt, at("tag"), &err));
    spec = FS_SPEC(rt, "m");
    CHECK(ik_spec_cached(spec, NULL) == NULL);
    ik_spec_free(spec);
    fx_free(rt, tx);
    ik_profile_free(p);
}

int main(void) {
    int removed;
    if (td_make(ROOT) != 0) return 2;
    the_filesystem_is_off_until_enabled();
    the_search_path_is_edited_in_order();
    the_first_entry_holding_a_module_wins();
    specs_describe_the_files_found();
    packages_are_imported_from_disk();
    namespace_locations_follow_the_search_path();
    path_find_spec_searches_the_given_entries_only();
    the_recheck_window_decides_when_new_files_are_seen();
    ref_files_lead_elsewhere_and_record_the_chain();
    confinement_refuses_what_resolves_outside();
    the_empty_entry_is_the_current_directory();
    the_lua_profile_has_its_own_conventions();
    the_path_finder_comes_after_the_meta_path();
    the_cache_tag_names_the_cached_file();
    removed = td_remove(ROOT);
    CHECK(removed == 0);
    CHECK(!td_exists(ROOT, ""));
    return ck_finish("test_fs_path");
}
