/* test_code_cache.c: the code cache through the C ABI (docs/CODE_CACHE.md). An executor with `compile`
 * (its code is "CODE\n" and the source) and `exec_code` is asked to compile once per module and version of
 * its source, never for a module whose source gives code for the runtime's cache tag (a host finder's
 * ik_found_set_code, a bundle's code entry), again after the source changes; cache files are shared between
 * runtimes and a corrupted one is ignored and replaced; ik_runtime_get_code gives what an import would
 * execute without executing it.
 * Also: an executor of the older layout, a compile that fails, bad directories, the stats struct's size
 * rule, the bound in memory, files of a directory on the search path. */

#define _XOPEN_SOURCE 700

#include <pthread.h>

#include "fsfix.h"

/* ----- the compiling executor ----- */

#define CC_MAX 64

typedef struct {
    char name[128];
    int compiles;
    int runs;
    char last[256]; /* "code:<code>", "source:<bytes>" or "none" */
} cc_record;

static cc_record records[CC_MAX];
static size_t nrecords;
static pthread_mutex_t records_lock = PTHREAD_MUTEX_INITIALIZER;

static cc_record *cc_find(const char *name) {
    size_t i;
    for (i = 0; i < nrecords; i++)
        if (strcmp(records[i].name, name) == 0) return &records[i];
    if (nrecords == CC_MAX) abort();
    snprintf(records[nrecords].name, sizeof records[nrecords].name, "%s", name);
    return &records[nrecords++];
}

static void cc_reset(void) {
    pthread_mutex_lock(&records_lock);
    memset(records, 0, sizeof records);
    nrecords = 0;
    pthread_mutex_unlock(&records_lock);
}

static int compiles_of(const char *name) {
    int n;
    pthread_mutex_lock(&records_lock);
    n = cc_find(name)->compiles;
    pthread_mutex_unlock(&records_lock);
    return n;
}

static const char *last_run(const char *name) {
    static char out[256];
    pthread_mutex_lock(&records_lock);
    snprintf(out, sizeof out, "%s", cc_find(name)->last);
    pthread_mutex_unlock(&records_lock);
    return out;
}

static void cc_note(const ik_spec *spec, const char *kind, const uint8_t *bytes, size_t len, int compile) {
    cc_record *r;
    pthread_mutex_lock(&records_lock);
    r = cc_find(ik_spec_name(spec, NULL));
    if (compile) {
        r->compiles++;
    } else {
        r->runs++;
        if (bytes == NULL)
            snprintf(r->last, sizeof r->last, "%s", kind);
        else
            snprintf(r->last, sizeof r->last, "%s:%.*s", kind, (int)len, (const char *)bytes);
    }
    pthread_mutex_unlock(&records_lock);
}

static int holds(const uint8_t *bytes, size_t len, const char *needle) {
    size_t n = strlen(needle), i;
    for (i = 0; i + n <= len; i++)
        if (memcmp(bytes + i, needle, n) == 0) return 1;
    return 0;
}

static int32_t cc_compile(void *userdata, const ik_spec *spec, const uint8_t *source, size_t source_len,
                          ik_bytes *out, ik_report *report) {
    uint8_t buf[512];
    (void)userdata;
    cc_note(spec, "compile", NULL, 0, 1);
    if (source == NULL) {
        ik_report_error(report, IK_ERR_EXEC, "compile got NULL source", 0, 0, NULL);
        return IK_ERR_EXEC;
    }
    if (holds(source, source_len, "# syntax error")) {
        ik_report_error(report, IK_ERR_EXEC, "SyntaxError: invalid syntax", 2, 5, NULL);
        return IK_ERR_EXEC;
    }
    if (holds(source, source_len, "# no code")) return IK_OK;
    if (source_len + 5 > sizeof buf) {
        ik_report_error(report, IK_ERR_EXEC, "source too long for the test compiler", 0, 0, NULL);
        return IK_ERR_EXEC;
    }
    memcpy(buf, "CODE\n", 5);
    memcpy(buf + 5, source, source_len);
    return ik_bytes_set(out, buf, source_len + 5, NULL);
}

static int32_t cc_exec(void *userdata, const ik_spec *spec, void *module, const uint8_t *source, size_t len,
                       ik_report *report) {
    cc_note(spec, source ? "source" : "none", source, len, 0);
    return fs_exec(userdata, spec, module, source, len, report);
}

static int32_t cc_exec_code(void *userdata, const ik_spec *spec, void *module, const uint8_t *code, size_t len,
                            ik_report *report) {
    cc_note(spec, "code", code, len, 0);
    if (code == NULL || len < 5 || memcmp(code, "CODE\n", 5) != 0) {
        ik_report_error(report, IK_ERR_EXEC, "exec_code: this is not code of mine", 0, 0, NULL);
        return IK_ERR_EXEC;
    }
    return (*fs_inner_exec())(userdata, spec, module, code + 5, len - 5, report);
}

/* The test executor with the compiler, installed in place of the one fx_runtime installed. */
static ik_runtime *cc_runtime_at(const ik_profile *profile, tx_executor **out_tx, const char *file, int line) {
    ik_runtime *rt = fx_runtime_at(profile, out_tx, file, line);
    ik_executor vt = tx_vtable(*out_tx);
    ik_error *err = NULL;
    *fs_inner_exec() = vt.exec;
    vt.exec = cc_exec;
    vt.compile = cc_compile;
    vt.exec_code = cc_exec_code;
    vt.release_userdata = NULL;
    if (ik_runtime_set_executor(rt, &vt, &err) != IK_OK) {
        ck_fail_at(file, line, "setting the compiling executor failed: %s", ck_show(ik_error_message(err, NULL)));
        exit(2);
    }
    return rt;
}
#define cc_runtime(profile, out_tx) cc_runtime_at((profile), (out_tx), __FILE__, __LINE__)

static ik_code_cache_stats stats_of(const ik_runtime *rt) {
    ik_code_cache_stats s;
    ik_error *err = NULL;
    memset(&s, 0, sizeof s);
    s.size = (uint32_t)sizeof s;
    CHECK_OK(ik_runtime_code_cache_stats(rt, &s, &err));
    return s;
}

static void mount_game(const ik_runtime *rt, const char *version) {
    char core[64];
    ik_mount_file files[3];
    ik_error *err = NULL;
    snprintf(core, sizeof core, "set version %s", version);
    files[0] = ck_file("__init__.py", "import .core");
    files[1] = ck_file("core.py", core);
    files[2] = ck_file("util.py", "set util yes");
    CHECK_OK(ik_runtime_mount(rt, "game", files, 3, IK_MOUNT_REPLACE, NULL, NULL, NULL, &err));
}

/* ----- compile once per module and source version ----- */

static void compile_is_called_once_per_module_per_source_version(void) {
    tx_executor *tx;
    ik_runtime *rt;
    ik_error *err = NULL;
    void *m = NULL;
    ik_code_cache_stats s;

    cc_reset();
    rt = cc_runtime(NULL, &tx);
    mount_game(rt, "1");
    CHECK_OK(ik_runtime_import(rt, "game.core", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "version"), "1");
    CHECK_INT(compiles_of("game"), 1);
    CHECK_INT(compiles_of("game.core"), 1);
    CHECK_STR(last_run("game.core"), "code:CODE\nset version 1");
    s = stats_of(rt);
    CHECK_INT(s.compiles, 2);
    CHECK_INT(s.misses, 2);
    CHECK_INT(s.entries, 2);
    CHECK_INT(s.bytes, strlen("CODE\nimport .core") + strlen("CODE\nset version 1"));
    CHECK_INT(s.limit, 32 * 1024 * 1024);
    CHECK_INT(s.reserved, 0);

    /* Removed and imported again, reloaded: the code kept in memory, no compile. */
    CHECK_OK(ik_runtime_remove_module(rt, "game.core", &err));
    CHECK_OK(ik_runtime_import(rt, "game.core", NULL, &m, &err));
    CHECK_OK(ik_runtime_reload(rt, "game.core", &m, &err));
    CHECK_INT(compiles_of("game.core"), 1);
    CHECK_INT(stats_of(rt).hits_memory, 2);

    /* A new source: compiled again, once; the old code never runs again. */
    mount_game(rt, "2");
    CHECK_OK(ik_runtime_reload(rt, "game.core", &m, &err));
    CHECK_STR(tx_attr(tx, m, "version"), "2");
    CHECK_INT(compiles_of("game.core"), 2);
    CHECK_STR(last_run("game.core"), "code:CODE\nset version 2");
    CHECK_OK(ik_runtime_reload(rt, "game.core", &m, &err));
    CHECK_INT(compiles_of("game.core"), 2);
    s = stats_of(rt);
    CHECK_INT(s.compiles, 3);
    CHECK_INT(s.hits_memory, 3);
    CHECK_INT(s.rejected, 0);
    CHECK_INT(s.stores, 0);
    fx_free(rt, tx);
}

/* ----- code a source holds for the runtime's tag: a host finder's ik_found_set_code ----- */

static int32_t packed_find(void *userdata, const char *name, size_t name_len, const char *const *path,
                           size_t path_count, ik_found *found, ik_report *report) {
    static const char FAST_CODE[] = "CODE\nset fast packed-code";
    static const char OTHER_CODE[] = "CODE\nset other wrong-tag";
    (void)userdata, (void)path, (void)path_count, (void)report;
    if (name_len == 4 && memcmp(name, "fast", 4) == 0) {
        ik_found_set(found, "", IK_KIND_SOURCE, false, NULL);
        ik_found_set_source(found, (const uint8_t *)"set fast source", 15, NULL);
        return ik_found_set_code(found, "cpython-311", (const uint8_t *)FAST_CODE, sizeof FAST_CODE - 1, NULL);
    }
    if (name_len == 5 && memcmp(name, "other", 5) == 0) {
        ik_found_set(found, "", IK_KIND_SOURCE, false, NULL);
        ik_found_set_source(found, (const uint8_t *)"set other source", 16, NULL);
        return ik_found_set_code(found, "cpython-399", (const uint8_t *)OTHER_CODE, sizeof OTHER_CODE - 1, NULL);
    }
    if (name_len == 8 && memcmp(name, "codeonly", 8) == 0) {
        ik_found_set(found, "", IK_KIND_SOURCE, false, NULL);
        return ik_found_set_code(found, "cpython-311", (const uint8_t *)FAST_CODE, sizeof FAST_CODE - 1, NULL);
    }
    return IK_OK;
}

static void compile_is_never_called_for_code_the_source_has_for_the_tag(void) {
    tx_executor *tx;
    ik_runtime *rt;
    ik_error *err = NULL;
    ik_finder f;
    void *m = NULL;
    ik_code_cache_stats s;

    cc_reset();
    rt = cc_runtime(NULL, &tx);
    memset(&f, 0, sizeof f);
    f.size = (uint32_t)sizeof f;
    f.name = "packed";
    f.find = packed_find;
    CHECK_OK(ik_runtime_add_finder(rt, &f, 0, NULL, &err));
    CHECK_OK(ik_runtime_import(rt, "fast", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "fast"), "packed-code");
    CHECK_INT(compiles_of("fast"), 0);
    CHECK_OK(ik_runtime_reload(rt, "fast", &m, &err));
    CHECK_INT(compiles_of("fast"), 0);
    /* Code for another tag is not this runtime's: the source is compiled. */
    CHECK_OK(ik_runtime_import(rt, "other", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "other"), "source");
    CHECK_INT(compiles_of("other"), 1);
    s = stats_of(rt);
    CHECK_INT(s.hits_source, 2);
    CHECK_INT(s.compiles, 1);
    /* Code without its source is refused. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "codeonly", NULL, &m, &err), IK_ERR_HOST);
    CHECK_CONTAINS(ck_msg(err), "without its source");
    FREE_ERR();
    fx_free(rt, tx);
}

/* ----- the cache directory ----- */

/* The cache file (under dir) whose bytes hold `marker`, into out (TD_MAX); "" when not exactly one does. */
static const char *file_holding(const char *dir, const char *marker, char *out) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    out[0] = '\0';
    if (d == NULL) return out;
    while ((e = readdir(d)) != NULL) {
        char path[TD_MAX];
        char *bytes;
        size_t len = 0, n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 4, ".ikc") != 0) continue;
        td_join(path, dir, e->d_name);
        bytes = fs_slurp(path, &len);
        if (bytes != NULL && holds((const uint8_t *)bytes, len, marker)) {
            found++;
            snprintf(out, TD_MAX, "%s", path);
        }
        free(bytes);
    }
    closedir(d);
    if (found != 1) out[0] = '\0';
    return out;
}

static int count_entries(const char *dir, const char *suffix) {
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (d == NULL) return -1;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name), k = strlen(suffix);
        if (len >= k && strcmp(e->d_name + len - k, suffix) == 0) n++;
    }
    closedir(d);
    return n;
}

static int write_bytes(const char *path, const char *bytes, size_t len) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) return -1;
    if (len > 0 && fwrite(bytes, 1, len, f) != len) {
        fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* A runtime over the cache directory with the game at `version`, after importing game.core. */
static ik_runtime *import_core_with(const char *dir, const char *version, tx_executor **tx) {
    ik_runtime *rt = cc_runtime(NULL, tx);
    ik_error *err = NULL;
    void *m = NULL;
    CHECK_OK(ik_runtime_set_code_cache_dir(rt, dir, &err));
    mount_game(rt, version);
    CHECK_OK(ik_runtime_import(rt, "game.core", NULL, &m, &err));
    CHECK_STR(tx_attr(*tx, m, "version"), version);
    return rt;
}

static void cache_files_are_shared_and_a_corrupted_one_is_ignored_and_replaced(void) {
    const char *dir = at("cache");
    tx_executor *tx;
    ik_runtime *rt;
    ik_code_cache_stats s;
    char path[TD_MAX];
    char *good, *bad;
    size_t good_len = 0, len = 0;

    CHECK(td_mkdir(ROOT, "cache") == 0);
    cc_reset();
    rt = import_core_with(dir, "1", &tx);
    s = stats_of(rt);
    CHECK_INT(s.compiles, 2);
    CHECK_INT(s.stores, 2);
    fx_free(rt, tx);
    CHECK_INT(count_entries(dir, ".ikc"), 2);
    CHECK_INT(count_entries(dir, ".tmp"), 0);

    /* Another runtime compiles nothing: both modules come from the directory. */
    cc_reset();
    rt = import_core_with(dir, "1", &tx);
    CHECK_INT(compiles_of("game"), 0);
    CHECK_INT(compiles_of("game.core"), 0);
    s = stats_of(rt);
    CHECK_INT(s.hits_directory, 2);
    CHECK_INT(s.misses, 0);
    fx_free(rt, tx);

    /* A corrupted file (one flipped byte of its code): never executed, compiled again, replaced. */
    file_holding(dir, "set version 1", path);
    CHECK(path[0] != '\0');
    good = fs_slurp(path, &good_len);
    CHECK(good != NULL && good_len > 100);
    if (good == NULL) return;
    good[good_len - 2] ^= 0x01;
    CHECK(write_bytes(path, good, good_len) == 0);
    good[good_len - 2] ^= 0x01;
    cc_reset();
    rt = import_core_with(dir, "1", &tx);
    CHECK_INT(compiles_of("game.core"), 1);
    CHECK_STR(last_run("game.core"), "code:CODE\nset version 1");
    s = stats_of(rt);
    CHECK_INT(s.rejected, 1);
    CHECK_INT(s.hits_directory, 1);
    CHECK_INT(s.stores, 1);
    fx_free(rt, tx);
    bad = fs_slurp(path, &len);
    CHECK(bad != NULL && len == good_len && memcmp(bad, good, len) == 0);
    free(bad);

    /* A truncated file, and garbage: the same. */
    CHECK(write_bytes(path, good, good_len / 2) == 0);
    cc_reset();
    rt = import_core_with(dir, "1", &tx);
    CHECK_INT(compiles_of("game.core"), 1);
    CHECK_INT(stats_of(rt).rejected, 1);
    fx_free(rt, tx);
    CHECK(write_bytes(path, "garbage", 7) == 0);
    cc_reset();
    rt = import_core_with(dir, "1", &tx);
    CHECK_INT(compiles_of("game.core"), 1);
    CHECK_INT(stats_of(rt).rejected, 1);
    fx_free(rt, tx);
    bad = fs_slurp(path, &len);
    CHECK(bad != NULL && len == good_len && memcmp(bad, good, len) == 0);
    free(bad);

    /* A changed source: the file is stale, compiled again and replaced in place. */
    cc_reset();
    rt = import_core_with(dir, "2", &tx);
    CHECK_INT(compiles_of("game.core"), 1);
    CHECK_INT(compiles_of("game"), 0);
    CHECK_INT(stats_of(rt).rejected, 1);
    fx_free(rt, tx);
    CHECK_INT(count_entries(dir, ".ikc"), 2);
    CHECK(file_holding(dir, "set version 2", path)[0] != '\0');
    free(good);
}

/* ----- a failing compile ----- */

static void a_failing_compile_fails_the_import_naming_the_module(void) {
    static const char *const BAD[] = {"__init__.py", "", "mod.py", "set x 1\n# syntax error"};
    tx_executor *tx;
    ik_runtime *rt;
    ik_error *err = NULL;
    void *m = NULL;

    cc_reset();
    rt = cc_runtime(NULL, &tx);
    MOUNT(rt, "bad", BAD);
    CHECK_ERR_KEEP(ik_runtime_import(rt, "bad.mod", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_CONTAINS(ck_msg(err), "compiling module 'bad.mod' failed");
    CHECK_CONTAINS(ck_msg(err), "SyntaxError: invalid syntax");
    CHECK_STR(ik_error_module(err, NULL), "bad.mod");
    CHECK_INT(ik_error_line(err), 2);
    FREE_ERR();
    CHECK(!ck_in_table(rt, "bad.mod"));
    CHECK_STR(last_run("bad.mod"), "");
    fx_free(rt, tx);
}

/* ----- the older executor layout ----- */

static void an_executor_of_the_older_layout_gets_source_as_before(void) {
    static const char *const APP[] = {"__init__.py", "set app yes"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;
    struct {
        ik_executor vt;
        unsigned char after[64];
    } old;
    ik_code_cache_stats s;

    /* Built against the older header: its size ends before compile; what lies past it is never read. */
    memset(&old, 0xAB, sizeof old);
    old.vt = tx_vtable(tx);
    memset(&old.vt.compile, 0xAB, sizeof old.vt - offsetof(ik_executor, compile));
    old.vt.size = (uint32_t)offsetof(ik_executor, compile);
    old.vt.release_userdata = NULL;
    CHECK_OK(ik_runtime_set_executor(rt, &old.vt, &err));
    MOUNT(rt, "app", APP);
    CHECK_OK(ik_runtime_import(rt, "app", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "app"), "yes");
    s = stats_of(rt);
    CHECK_INT(s.compiles, 0);
    CHECK_INT(s.misses, 0);
    CHECK_INT(s.entries, 0);
    /* A size between the layouts is no layout: refused, nothing of the struct used. */
    old.vt.size = (uint32_t)offsetof(ik_executor, compile) + 4;
    CHECK_ERR_KEEP(ik_runtime_set_executor(rt, &old.vt, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(ck_msg(err), "ik_executor.size");
    FREE_ERR();
    fx_free(rt, tx);
}

static int compile_userdata_releases;
static void count_compile_release(void *userdata) {
    (void)userdata;
    compile_userdata_releases++;
}

static void compile_without_exec_code_is_refused(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_executor vt = tx_vtable(tx);

    vt.compile = cc_compile;
    vt.exec_code = NULL;
    vt.release_userdata = count_compile_release;
    compile_userdata_releases = 0;
    CHECK_ERR_KEEP(ik_runtime_set_executor(rt, &vt, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(ck_msg(err), "exec_code");
    FREE_ERR();
    CHECK_INT(compile_userdata_releases, 1);
    /* exec_code alone is fine: code then comes from sources and the directory only. */
    vt.compile = NULL;
    vt.exec_code = cc_exec_code;
    vt.release_userdata = NULL;
    CHECK_OK(ik_runtime_set_executor(rt, &vt, &err));
    fx_free(rt, tx);
}

/* ----- settings and their bad values ----- */

static void bad_directories_and_stats_sizes_are_refused(void) {
    tx_executor *tx;
    ik_runtime *rt = cc_runtime(NULL, &tx);
    ik_runtime *lua = NULL;
    ik_profile *p = NULL;
    ik_error *err = NULL;
    ik_code_cache_stats s;
    unsigned char before[sizeof s];

    CHECK(td_write(ROOT, "settings/file", "x") == 0);
    CHECK_ERR_KEEP(ik_runtime_set_code_cache_dir(rt, at("settings/nope"), &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(ck_msg(err), "code cache directory");
    CHECK_CONTAINS(ck_msg(err), "does not exist");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_set_code_cache_dir(rt, at("settings/file"), &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(ck_msg(err), "not a directory");
    FREE_ERR();
    CHECK_ERR(ik_runtime_set_code_cache_dir(rt, "", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_runtime_set_code_cache_dir(rt, "\xff\xfe", &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_OK(ik_runtime_set_code_cache_dir(rt, at("settings"), &err));
    CHECK_OK(ik_runtime_set_code_cache_dir(rt, NULL, &err));

    /* A profile without a cache tag (Lua's) cannot say what code in a directory is for. */
    CHECK_OK(ik_profile_new(IK_PROFILE_LUA, "lua", &p, &err));
    CHECK_OK(ik_runtime_new(p, &lua, &err));
    CHECK_ERR_KEEP(ik_runtime_set_code_cache_dir(lua, at("settings"), &err), IK_ERR_UNAVAILABLE);
    CHECK_CONTAINS(ck_msg(err), "cache tag");
    FREE_ERR();
    /* Given one, it can. */
    CHECK_OK(ik_profile_set_cache_tag(p, "luajit-2.1", &err));
    ik_runtime_free(lua);
    CHECK_OK(ik_runtime_new(p, &lua, &err));
    CHECK_OK(ik_runtime_set_code_cache_dir(lua, at("settings"), &err));
    ik_runtime_free(lua);
    ik_profile_free(p);

    /* The stats struct's size must be a released layout's; a bad one leaves the struct as it was. */
    memset(&s, 0xAB, sizeof s);
    s.size = (uint32_t)sizeof s - 8;
    memcpy(before, &s, sizeof s);
    CHECK_ERR_KEEP(ik_runtime_code_cache_stats(rt, &s, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(ck_msg(err), "ik_code_cache_stats.size");
    FREE_ERR();
    CHECK(memcmp(before, &s, sizeof s) == 0);
    s.size = 0;
    CHECK_ERR(ik_runtime_code_cache_stats(rt, &s, &err), IK_ERR_INVALID_ARGUMENT);
    s.size = (uint32_t)sizeof s * 2;
    CHECK_ERR(ik_runtime_code_cache_stats(rt, &s, &err), IK_ERR_INVALID_ARGUMENT);
    /* The right size: every field written, the size kept. */
    memset(&s, 0xAB, sizeof s);
    s.size = (uint32_t)sizeof s;
    CHECK_OK(ik_runtime_code_cache_stats(rt, &s, &err));
    CHECK_INT(s.size, sizeof s);
    CHECK_INT(s.reserved, 0);
    CHECK_INT(s.compiles, 0);
    CHECK_INT(s.limit, 32 * 1024 * 1024);
    fx_free(rt, tx);
}

static void memory_is_bounded_in_bytes(void) {
    static const char *const M[] = {"__init__.py", "# no code", "a.py", "set v aaaaaaaaaaaaaaaaaaaa",
                                    "b.py", "set v bbbbbbbbbbbbbbbbbbbb", "c.py", "set v cccccccccccccccccccc"};
    size_t each = strlen("CODE\nset v aaaaaaaaaaaaaaaaaaaa");
    tx_executor *tx;
    ik_runtime *rt;
    ik_error *err = NULL;
    void *m = NULL;
    ik_code_cache_stats s;

    cc_reset();
    rt = cc_runtime(NULL, &tx);
    MOUNT(rt, "m", M);
    CHECK_OK(ik_runtime_set_code_cache_limit(rt, 2 * each, &err));
    CHECK_OK(ik_runtime_import(rt, "m.a", NULL, &m, &err));
    CHECK_OK(ik_runtime_import(rt, "m.b", NULL, &m, &err));
    CHECK_OK(ik_runtime_reload(rt, "m.a", &m, &err));
    CHECK_OK(ik_runtime_import(rt, "m.c", NULL, &m, &err));
    s = stats_of(rt);
    CHECK_INT(s.entries, 2);
    CHECK_INT(s.evictions, 1);
    CHECK_INT(s.bytes, 2 * each);
    CHECK_INT(s.limit, 2 * each);
    CHECK_OK(ik_runtime_reload(rt, "m.a", &m, &err));
    CHECK_OK(ik_runtime_reload(rt, "m.b", &m, &err));
    CHECK_INT(compiles_of("m.a"), 1);
    CHECK_INT(compiles_of("m.b"), 2);
    /* 0 keeps nothing. */
    CHECK_OK(ik_runtime_set_code_cache_limit(rt, 0, &err));
    s = stats_of(rt);
    CHECK_INT(s.entries, 0);
    CHECK_INT(s.bytes, 0);
    CHECK_OK(ik_runtime_reload(rt, "m.c", &m, &err));
    CHECK_INT(compiles_of("m.c"), 2);
    fx_free(rt, tx);
}

/* ----- files of a directory on the search path ----- */

static void directory_files_are_read_compiled_and_cached(void) {
    const char *cache = at("fscache");
    tx_executor *tx;
    ik_runtime *rt;
    ik_error *err = NULL;
    void *m = NULL;
    int round;

    CHECK(td_mkdir(ROOT, "fscache") == 0);
    CHECK(td_write(ROOT, "fsrc/tool.py", "set tool 1") == 0);
    for (round = 0; round < 2; round++) {
        cc_reset();
        rt = cc_runtime(NULL, &tx);
        CHECK_OK(ik_runtime_enable_filesystem(rt, true, &err));
        CHECK_OK(ik_runtime_set_recheck(rt, 0, &err));
        CHECK_OK(ik_runtime_path_append(rt, at("fsrc"), &err));
        CHECK_OK(ik_runtime_set_code_cache_dir(rt, cache, &err));
        CHECK_OK(ik_runtime_import(rt, "tool", NULL, &m, &err));
        CHECK_STR(tx_attr(tx, m, "tool"), "1");
        CHECK_STR(last_run("tool"), "code:CODE\nset tool 1");
        /* Compiled by the first runtime, read from the directory by the second. */
        CHECK_INT(compiles_of("tool"), round == 0 ? 1 : 0);
        CHECK_INT(stats_of(rt).hits_directory, round == 0 ? 0 : 1);
        fx_free(rt, tx);
    }
    /* The file changed: compiled again. */
    CHECK(td_write(ROOT, "fsrc/tool.py", "set tool 2") == 0);
    cc_reset();
    rt = cc_runtime(NULL, &tx);
    CHECK_OK(ik_runtime_enable_filesystem(rt, true, &err));
    CHECK_OK(ik_runtime_path_append(rt, at("fsrc"), &err));
    CHECK_OK(ik_runtime_set_code_cache_dir(rt, cache, &err));
    CHECK_OK(ik_runtime_import(rt, "tool", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "tool"), "2");
    CHECK_INT(compiles_of("tool"), 1);
    CHECK_INT(stats_of(rt).rejected, 1);
    fx_free(rt, tx);
}

/* ----- ik_runtime_get_code: what an import would execute, nothing executed ----- */

/* `*out` holds exactly `want` (bytes, not NUL-terminated). */
static int bytes_are(const ik_resource *r, const char *want) {
    size_t len = 0;
    const uint8_t *data = ik_resource_data(r, &len);
    return data != NULL && len == strlen(want) && memcmp(data, want, len) == 0;
}

static void get_code_gives_what_an_import_would_execute(void) {
    static const char FAST_CODE[] = "CODE\nset fast bundled";
    static const char *const LOOSE[] = {"x/y.lua", "set y 1"};
    static const char *const NS[] = {"pkg/m.py", "set m 1"};
    tx_executor *tx;
    ik_runtime *rt;
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    ik_resource *bytes = NULL, *built = NULL;
    ik_bundle_builder *b = NULL;
    ik_profile *lua = NULL;
    bool is_code = false;
    void *m = NULL;
    size_t len = 0;
    ik_code_cache_stats s;

    /* A mounted module: compiled (its parent found, neither compiled nor imported), nothing run. */
    cc_reset();
    rt = cc_runtime(NULL, &tx);
    mount_game(rt, "1");
    CHECK_OK(ik_runtime_get_code(rt, "game.core", 9, 0, &spec, &bytes, &is_code, &err));
    CHECK(is_code);
    CHECK(bytes_are(bytes, "CODE\nset version 1"));
    CHECK_STR(ik_spec_origin(spec, NULL), "memory:/game/core.py");
    ik_resource_free(bytes);
    ik_spec_free(spec);
    CHECK_INT(compiles_of("game.core"), 1);
    CHECK_INT(compiles_of("game"), 0);
    CHECK_STR(last_run("game.core"), "");
    CHECK(!ck_in_table(rt, "game") && !ck_in_table(rt, "game.core"));
    /* The import then takes the code kept in memory. */
    CHECK_OK(ik_runtime_import(rt, "game.core", NULL, &m, &err));
    CHECK_STR(last_run("game.core"), "code:CODE\nset version 1");
    CHECK_INT(compiles_of("game.core"), 1);
    CHECK_INT(stats_of(rt).hits_memory, 1);
    /* Denied: refused before anything is found or compiled. */
    CHECK_OK(ik_runtime_deny(rt, "game", &err));
    CHECK_ERR(ik_runtime_get_code(rt, "game.util", 9, 0, &spec, &bytes, &is_code, &err), IK_ERR_DENIED);
    CHECK_INT(compiles_of("game.util"), 0);
    CHECK_OK(ik_runtime_clear_policy(rt, &err));

    /* A bundle's code for the runtime's tag: given as it is, counted as a hit of the source, no compile. */
    CHECK_OK(ik_bundle_builder_new(NULL, &b, &err));
    CHECK_OK(ik_bundle_builder_add_module(b, "fast", "fast.py", IK_KIND_SOURCE, false,
                                          (const uint8_t *)"set fast source", 15, &err));
    CHECK_OK(ik_bundle_builder_add_code(b, "fast", "cpython-311", (const uint8_t *)FAST_CODE, sizeof FAST_CODE - 1,
                                        &err));
    CHECK_OK(ik_bundle_builder_build(b, &built, &err));
    ik_bundle_builder_free(b);
    CHECK(ik_resource_data(built, &len) != NULL);
    CHECK_OK(ik_runtime_mount_bundle_bytes(rt, "", ik_resource_data(built, NULL), len, 0, NULL, NULL, NULL, NULL,
                                           &err));
    ik_resource_free(built);
    s = stats_of(rt);
    CHECK_OK(ik_runtime_get_code(rt, "fast", 4, 0, &spec, &bytes, &is_code, &err));
    CHECK(is_code && bytes_are(bytes, FAST_CODE));
    CHECK_STR(ik_spec_origin(spec, NULL), "bundle:/fast.py");
    ik_resource_free(bytes);
    ik_spec_free(spec);
    CHECK_INT(stats_of(rt).hits_source, s.hits_source + 1);
    CHECK_INT(compiles_of("fast"), 0);
    CHECK_STR(last_run("fast"), "");
    fx_free(rt, tx);

    /* No executor (a host that runs modules itself): the source, never the bundle's code. */
    {
        ik_runtime *bare = NULL;
        CHECK_OK(ik_runtime_new(NULL, &bare, &err));
        CHECK_OK(ik_bundle_builder_new(NULL, &b, &err));
        CHECK_OK(ik_bundle_builder_add_module(b, "fast", "fast.py", IK_KIND_SOURCE, false,
                                              (const uint8_t *)"set fast source", 15, &err));
        CHECK_OK(ik_bundle_builder_add_code(b, "fast", "cpython-311", (const uint8_t *)FAST_CODE,
                                            sizeof FAST_CODE - 1, &err));
        CHECK_OK(ik_bundle_builder_build(b, &built, &err));
        ik_bundle_builder_free(b);
        CHECK_OK(ik_runtime_mount_bundle_bytes(bare, "", ik_resource_data(built, &len), len, 0, NULL, NULL, NULL,
                                               NULL, &err));
        ik_resource_free(built);
        CHECK_OK(ik_runtime_get_code(bare, "fast", 4, 0, &spec, &bytes, &is_code, &err));
        CHECK(!is_code && bytes_are(bytes, "set fast source"));
        ik_resource_free(bytes);
        ik_spec_free(spec);
        ik_runtime_free(bare);
    }

    /* A whole name: a mounted x/y.lua without x being a package (Lua's require). */
    cc_reset();
    CHECK_OK(ik_profile_new(IK_PROFILE_LUA, NULL, &lua, &err));
    CHECK_OK(ik_profile_set_cache_tag(lua, "luajit-test", &err));
    rt = cc_runtime(lua, &tx);
    ik_profile_free(lua);
    MOUNT(rt, "loose", LOOSE);
    CHECK_ERR(ik_runtime_get_code(rt, "loose.x.y", 9, 0, &spec, &bytes, &is_code, &err), IK_ERR_NOT_FOUND);
    CHECK_OK(ik_runtime_get_code(rt, "loose.x.y", 9, IK_CODE_WHOLE_NAME, &spec, &bytes, &is_code, &err));
    CHECK(is_code && bytes_are(bytes, "CODE\nset y 1"));
    CHECK_STR(ik_spec_origin(spec, NULL), "memory:/loose/x/y.lua");
    ik_resource_free(bytes);
    ik_spec_free(spec);
    CHECK_ERR_KEEP(ik_runtime_get_code(rt, "loose.x.z", 9, IK_CODE_WHOLE_NAME, &spec, &bytes, &is_code, &err),
                   IK_ERR_NOT_FOUND);
    CHECK_CONTAINS(ck_msg(err), "loose/x/z.lua");
    FREE_ERR();
    /* And on the search path: <entry>/w/z.lua for w.z, w no package; read only with IK_CODE_FILES. */
    CHECK(td_write(ROOT, "luasrc/w/z.lua", "set z 1") == 0);
    CHECK_OK(ik_runtime_enable_filesystem(rt, true, &err));
    CHECK_OK(ik_runtime_path_append(rt, at("luasrc"), &err));
    CHECK_ERR(ik_runtime_get_code(rt, "w.z", 3, 0, &spec, &bytes, &is_code, &err), IK_ERR_NOT_FOUND);
    CHECK_OK(ik_runtime_get_code(rt, "w.z", 3, IK_CODE_WHOLE_NAME, &spec, &bytes, &is_code, &err));
    CHECK(bytes == NULL && !is_code);
    CHECK_STR(ik_spec_file(spec, NULL), at("luasrc/w/z.lua"));
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_get_code(rt, "w.z", 3, IK_CODE_WHOLE_NAME | IK_CODE_FILES, &spec, &bytes, &is_code, &err));
    CHECK(is_code && bytes_are(bytes, "CODE\nset z 1"));
    ik_resource_free(bytes);
    ik_spec_free(spec);
    /* Missed by both: every place tried, the mount's and the directory's. */
    CHECK_ERR_KEEP(ik_runtime_get_code(rt, "w.q", 3, IK_CODE_WHOLE_NAME, &spec, &bytes, &is_code, &err),
                   IK_ERR_NOT_FOUND);
    CHECK_CONTAINS(ck_msg(err), "luasrc/w");
    FREE_ERR();
    fx_free(rt, tx);

    /* A file on the search path: no bytes (the host reads it), unless IK_CODE_FILES: then read and compiled. */
    cc_reset();
    CHECK(td_write(ROOT, "gcsrc/gc.py", "set gc 1") == 0);
    rt = cc_runtime(NULL, &tx);
    CHECK_OK(ik_runtime_enable_filesystem(rt, true, &err));
    CHECK_OK(ik_runtime_path_append(rt, at("gcsrc"), &err));
    CHECK_OK(ik_runtime_get_code(rt, "gc", 2, 0, &spec, &bytes, &is_code, &err));
    CHECK(bytes == NULL && !is_code);
    CHECK(ik_spec_file(spec, NULL) != NULL);
    ik_spec_free(spec);
    CHECK_INT(compiles_of("gc"), 0);
    CHECK_OK(ik_runtime_get_code(rt, "gc", 2, IK_CODE_FILES, &spec, &bytes, &is_code, &err));
    CHECK(is_code && bytes_are(bytes, "CODE\nset gc 1"));
    ik_resource_free(bytes);
    ik_spec_free(spec);
    CHECK_INT(compiles_of("gc"), 1);
    fx_free(rt, tx);

    /* An executor without exec_code: the source, never code; a namespace package: no bytes. */
    rt = fx_runtime(NULL, &tx);
    mount_game(rt, "3");
    MOUNT(rt, "nsx", NS);
    CHECK_OK(ik_runtime_get_code(rt, "game.core", 9, 0, &spec, &bytes, &is_code, &err));
    CHECK(!is_code && bytes_are(bytes, "set version 3"));
    ik_resource_free(bytes);
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_get_code(rt, "nsx.pkg", 7, 0, &spec, &bytes, &is_code, &err));
    CHECK(bytes == NULL && !is_code);
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NAMESPACE);
    ik_spec_free(spec);
    CHECK_INT(stats_of(rt).misses, 0);
    fx_free(rt, tx);
}

/* ----- threads ----- */

typedef struct {
    const ik_runtime *rt;
    int index;
    int failures;
} worker;

static void *import_many(void *arg) {
    worker *w = arg;
    int i;
    for (i = 0; i < 16; i++) {
        char name[32];
        void *m = NULL;
        ik_error *e = NULL;
        snprintf(name, sizeof name, "many.m%d", (i + w->index * 4) % 16);
        if (ik_runtime_import(w->rt, name, NULL, &m, &e) != IK_OK) w->failures++;
        ik_error_free(e);
    }
    return NULL;
}

static void threads_share_the_cache(void) {
    static char paths[16][16], texts[16][32];
    ik_mount_file files[17];
    tx_executor *tx;
    ik_runtime *rt;
    ik_error *err = NULL;
    pthread_t threads[4];
    worker workers[4];
    ik_code_cache_stats s;
    int i;

    cc_reset();
    rt = cc_runtime(NULL, &tx);
    CHECK(td_mkdir(ROOT, "threads") == 0);
    CHECK_OK(ik_runtime_set_code_cache_dir(rt, at("threads"), &err));
    for (i = 0; i < 16; i++) {
        snprintf(paths[i], sizeof paths[i], "m%d.py", i);
        snprintf(texts[i], sizeof texts[i], "set n %d", i);
        files[i] = ck_file(paths[i], texts[i]);
    }
    files[16] = ck_file("__init__.py", "# no code");
    CHECK_OK(ik_runtime_mount(rt, "many", files, 17, 0, NULL, NULL, NULL, &err));
    for (i = 0; i < 4; i++) {
        workers[i].rt = rt;
        workers[i].index = i;
        workers[i].failures = 0;
        CHECK(pthread_create(&threads[i], NULL, import_many, &workers[i]) == 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        CHECK_INT(workers[i].failures, 0);
    }
    for (i = 0; i < 16; i++) {
        char name[32];
        snprintf(name, sizeof name, "many.m%d", i);
        CHECK_INT(compiles_of(name), 1);
    }
    s = stats_of(rt);
    CHECK_INT(s.compiles, 16);
    CHECK_INT(s.stores, 16);
    CHECK_INT(count_entries(at("threads"), ".ikc"), 16);
    fx_free(rt, tx);
}

int main(void) {
    int removed;
    if (td_make(ROOT) != 0) return 2;
    compile_is_called_once_per_module_per_source_version();
    compile_is_never_called_for_code_the_source_has_for_the_tag();
    cache_files_are_shared_and_a_corrupted_one_is_ignored_and_replaced();
    a_failing_compile_fails_the_import_naming_the_module();
    an_executor_of_the_older_layout_gets_source_as_before();
    compile_without_exec_code_is_refused();
    bad_directories_and_stats_sizes_are_refused();
    memory_is_bounded_in_bytes();
    directory_files_are_read_compiled_and_cached();
    get_code_gives_what_an_import_would_execute();
    threads_share_the_cache();
    removed = td_remove(ROOT);
    CHECK(removed == 0);
    return ck_finish("test_code_cache");
}
