/* test_hardening.c: the defects of a hostile-input campaign, each reproduced as it was found:
 * a module released while a callback still used it (import racing removal), a `.ref` file outside the
 * confinement roots read through a link, file contents and control characters in error messages, a denied
 * name that still ran a host entry finder, a fast path that skipped argument checks, errors that named the
 * wrong module or none, a callback's bare status taken for a policy denial, and vtables read past their
 * size. */

#define _XOPEN_SOURCE 700

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "fsfix.h"

/* ----- 1. an object handed to a callback is alive for the whole callback ----- */

static const char *const R[] = {
    "__init__.py", "all m\nset x 1",
    "m.py",        "set m 1",
};

static atomic_int race_stop;

typedef struct {
    const ik_runtime *rt;
    int role;
    long done;
    int unexpected;
} racer;

static void *race(void *arg) {
    racer *r = arg;
    static const char *const M[] = {"m"};
    static const char *const STAR[] = {"*"};
    while (!atomic_load(&race_stop)) {
        void *m = NULL;
        ik_error *err = NULL;
        ik_status s;
        switch (r->role) {
        case 0: s = ik_runtime_import(r->rt, "r.m", NULL, &m, &err); break;            /* bind(r, m) */
        case 1: s = ik_runtime_import_from(r->rt, "r", NULL, 0, M, 1, &m, &err); break; /* has_attr(r) */
        case 2: s = ik_runtime_import_from(r->rt, "r", NULL, 0, STAR, 1, &m, &err); break; /* all_names(r) */
        default:
            s = ik_runtime_remove_module(r->rt, (r->done % 2) ? "r" : "r.m", &err);
            if (s == IK_ERR_NOT_FOUND) s = IK_OK;
            break;
        }
        if (s != IK_OK && s != IK_ERR_IMPORT) r->unexpected++;
        ik_error_free(err);
        r->done++;
    }
    return NULL;
}

/* Before the fix, within a second or two the executor's bind got a child (and has_attr and all_names a
 * module) that the removing thread had already released: valgrind and ASan report the test executor
 * reading freed memory. */
static void imports_racing_removals_never_see_a_released_object(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    pthread_t threads[4];
    racer racers[4];
    const char *env = getenv("STRESS_MS");
    long ms = env && atol(env) > 0 ? atol(env) : 1000;
    struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
    int i;

    CHECK_OK(ck_mount(rt, "r", R, CK_COUNT(R) / 2, &err));
    atomic_store(&race_stop, 0);
    for (i = 0; i < 4; i++) {
        racers[i].rt = rt;
        racers[i].role = i;
        racers[i].done = 0;
        racers[i].unexpected = 0;
        pthread_create(&threads[i], NULL, race, &racers[i]);
    }
    nanosleep(&pause, NULL);
    atomic_store(&race_stop, 1);
    for (i = 0; i < 4; i++) pthread_join(threads[i], NULL);
    for (i = 0; i < 4; i++) {
        CHECK_INT(racers[i].unexpected, 0);
        CHECK(racers[i].done > 0);
    }
    CHECK_INT(tx_double_execs(tx), 0);
    fx_free(rt, tx);
}

/* ----- 2 and 3. `.ref` files under confinement, and what errors may show ----- */

/* Every string of an error agrees with its length and holds no control character. */
static int clean_error(const ik_error *err) {
    size_t len = 0, i, n;
    const char *s = ik_error_message(err, &len);
    int ok = s != NULL && strlen(s) == len;
    for (i = 0; ok && s[i]; i++) ok = !iscntrl((unsigned char)s[i]);
    n = ik_error_attempt_count(err);
    for (i = 0; ok && i < n; i++) {
        const char *r = ik_error_attempt_reason(err, i, &len);
        size_t j;
        ok = strlen(r) == len;
        for (j = 0; ok && r[j]; j++) ok = !iscntrl((unsigned char)r[j]);
    }
    return ok;
}

static int any_attempt_contains(const ik_error *err, const char *needle) {
    size_t i, n = ik_error_attempt_count(err);
    for (i = 0; i < n; i++)
        if (strstr(ik_error_attempt_reason(err, i, NULL), needle)) return 1;
    return strstr(ck_msg(err), needle) != NULL;
}

static void a_ref_file_outside_the_roots_is_not_read(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    char file[TD_MAX];

    /* jail/x.ref links to a ref file outside, which names a directory inside the jail. */
    td_mkdir(ROOT, "jail/target");
    td_write(ROOT, "jail/target/x.py", "set where target");
    td_write(ROOT, "outside/x.ref", "target\n");
    td_symlink(at("outside/x.ref"), ROOT, "jail/x.ref");
    /* Two refusals: one target outside that exists, one that does not. */
    td_write(ROOT, "jail/y.ref", "../outside\n");
    td_write(ROOT, "jail/z.ref", "../no-such-place\n");
    CHECK_OK(ik_runtime_path_append(rt, at("jail"), &err));

    /* Unconfined, the link is followed (links are allowed). */
    CHECK_STR(FS_FILE_OF(rt, "x", file), at("jail/target/x.py"));
    CHECK_OK(ik_runtime_drop_caches(rt, &err));
    CHECK_OK(ik_runtime_confine(rt, at("jail"), &err));
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "x", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(at("jail/x.ref"), "outside the allowed roots");
    CHECK(clean_error(err));
    FREE_ERR();
    /* Outside and existing, or missing: the same words, nothing about what is there. */
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "y", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(at("jail/y.ref"), "target '../outside': refused: outside the allowed roots, or does not exist");
    CHECK(!any_attempt_contains(err, "resolves to"));
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "z", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(at("jail/z.ref"),
                  "target '../no-such-place': refused: outside the allowed roots, or does not exist");
    CHECK(!any_attempt_contains(err, "No such file") && !any_attempt_contains(err, "does not exist)"));
    FREE_ERR();
    fx_free(rt, tx);
}

static void errors_show_no_file_contents_or_control_characters(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    char *line = malloc(20000);
    size_t i;

    td_mkdir(ROOT, "text");
    /* A long target line full of terminal escapes. */
    for (i = 0; i < 19990; i++) line[i] = (i % 50 == 0) ? '\033' : (char)('a' + i % 26);
    memcpy(line + 19990, "\r\n", 3);
    td_write(ROOT, "text/long.ref", line);
    free(line);
    /* A link to a file of NUL-separated secrets (the process environment). */
    td_symlink("/proc/self/environ", ROOT, "text/env.ref");
    td_write(ROOT, "text/ctl.ref", "dir\twith\033[31mred\n");
    CHECK_OK(ik_runtime_path_append(rt, at("text"), &err));

    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "long", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK(clean_error(err));
    CHECK(strlen(ck_msg(err)) < 2000);
    CHECK_ATTEMPT(at("text/long.ref"), "(19990 bytes) cannot be used");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "env", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK(clean_error(err));
    CHECK(!any_attempt_contains(err, "PATH="));
    CHECK_ATTEMPT(at("text/env.ref"), "not a text file");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "ctl", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK(clean_error(err));
    CHECK_ATTEMPT(at("text/ctl.ref"), "target 'dir\\twith\\u{1b}[31mred' cannot be used");
    FREE_ERR();
    /* A name a caller gives is escaped too, wherever an error repeats it. */
    CHECK_ERR_KEEP(ik_runtime_remove_module(rt, "bad\033[2Jname", &err), IK_ERR_NOT_FOUND);
    CHECK(clean_error(err));
    CHECK_STR(ik_error_module(err, NULL), "bad\\u{1b}[2Jname");
    FREE_ERR();
    fx_free(rt, tx);
}


/* Under confinement a link in a listing is checked inside the roots before anything is learnt through it:
 * a link to an outside file that exists and one to a file that does not give the same answer (as do links
 * to outside directories with and without an __init__.py, and .ref links). */
static void links_tell_nothing_about_the_outside(void) {
    static const char *const PAIRS[][2] = {
        {"yes_file", "no_file"}, {"yes_dir", "no_dir"}, {"yes_ref", "no_ref"}, {"yes_detour", "no_detour"}};
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    char got[2][4096];
    size_t p;
    int k;

    td_write(ROOT, "out/real.py", "");
    td_write(ROOT, "out/pkg/__init__.py", "");
    td_write(ROOT, "out/real.ref", "../in2\n");
    td_mkdir(ROOT, "in2");
    td_mkdir(ROOT, "jail2");
    td_symlink(at("out/real.py"), ROOT, "jail2/yes_file.py");
    td_symlink(at("out/missing.py"), ROOT, "jail2/no_file.py");
    td_symlink(at("out/pkg"), ROOT, "jail2/yes_dir");
    td_symlink(at("out/nopkg"), ROOT, "jail2/no_dir");
    td_symlink(at("out/real.ref"), ROOT, "jail2/yes_ref.ref");
    td_symlink(at("out/missing.ref"), ROOT, "jail2/no_ref.ref");
    /* A detour outside that comes back: found only if the outside directory existed, were it followed. */
    td_write(ROOT, "jail2/sub/target.py", "");
    td_symlink(at("out/pkg/../../jail2/sub/target.py"), ROOT, "jail2/yes_detour.py");
    td_symlink(at("out/nodir/../../jail2/sub/target.py"), ROOT, "jail2/no_detour.py");
    CHECK_OK(ik_runtime_path_append(rt, at("jail2"), &err));
    CHECK_OK(ik_runtime_confine(rt, at("jail2"), &err));
    for (p = 0; p < CK_COUNT(PAIRS); p++) {
        for (k = 0; k < 2; k++) {
            size_t i, n;
            char *out = got[k];
            out[0] = '\0';
            CHECK_ERR_KEEP(ik_runtime_find_spec(rt, PAIRS[p][k], NULL, &spec, &err), IK_ERR_NOT_FOUND);
            /* Every reason, with the name replaced, must be the same for the two. */
            n = ik_error_attempt_count(err);
            for (i = 0; i < n; i++) {
                const char *r = ik_error_attempt_reason(err, i, NULL);
                size_t used = strlen(out), len = strlen(PAIRS[p][k]);
                const char *hit;
                while ((hit = strstr(r, PAIRS[p][k])) != NULL) {
                    used += (size_t)snprintf(out + used, 4096 - used, "%.*s<name>", (int)(hit - r), r);
                    r = hit + len;
                }
                snprintf(out + used, 4096 - used, "%s|", r);
            }
            FREE_ERR();
        }
        if (strcmp(got[0], got[1]) != 0) FAIL("%s and %s differ:\n  %s\n  %s", PAIRS[p][0], PAIRS[p][1], got[0], got[1]);
        CHECK(strstr(got[0], "outside the allowed roots") != NULL);
    }
    fx_free(rt, tx);
}

/* Under confinement `..` in a target is resolved as text: whether a directory outside exists changes
 * nothing, and the module found has a path without the detour. */
static void dots_in_targets_tell_nothing_about_the_outside(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    char file[TD_MAX], want[TD_MAX];

    td_write(ROOT, "dd/root/sub/yes.py", "");
    td_write(ROOT, "dd/root/sub/no.py", "");
    td_mkdir(ROOT, "dd/secret_dir");
    td_write(ROOT, "dd/root/e/yes.ref", "../../secret_dir/../root/sub\n");
    td_write(ROOT, "dd/root/e/no.ref", "../../no_such_dir/../root/sub\n");
    CHECK_OK(ik_runtime_path_append(rt, at("dd/root/e"), &err));
    CHECK_OK(ik_runtime_confine(rt, at("dd/root"), &err));
    snprintf(want, sizeof want, "%s", at("dd/root/sub/yes.py"));
    CHECK_STR(FS_FILE_OF(rt, "yes", file), want);
    snprintf(want, sizeof want, "%s", at("dd/root/sub/no.py"));
    CHECK_STR(FS_FILE_OF(rt, "no", file), want);
    fx_free(rt, tx);
}

/* Unconfined, a .ref that links to a text file shows one line of it at most, bounded, and counts the rest. */
static void a_ref_linked_to_a_text_file_shows_one_line(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    char text[8192] = "";
    int i;

    for (i = 0; i < 100; i++) {
        size_t used = strlen(text);
        snprintf(text + used, sizeof text - used, "user%d:x:%d:%d::/home/user%d:/bin/sh\n", i, i, i, i);
    }
    td_write(ROOT, "pw/passwd", text);
    td_symlink(at("pw/passwd"), ROOT, "pw/e/mod.ref");
    CHECK_OK(ik_runtime_path_append(rt, at("pw/e"), &err));
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "mod", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK(any_attempt_contains(err, "user0:x"));
    CHECK(!any_attempt_contains(err, "user1:x"));
    CHECK_ATTEMPT(at("pw/e/mod.ref"), "99 more targets of this file cannot be used");
    FREE_ERR();
    fx_free(rt, tx);
}

/* Names of finders and hooks, and search path entries, are escaped in messages too. */
static int32_t failing_find(void *userdata, const char *name, size_t name_len, const char *const *path, size_t count,
                            ik_found *found, ik_report *report) {
    (void)userdata, (void)name, (void)name_len, (void)path, (void)count, (void)found;
    ik_report_error(report, IK_ERR_HOST, "finder down", 0, 0, NULL);
    return IK_ERR_HOST;
}

static void names_a_host_gave_are_escaped(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_finder f;
    void *m = NULL;
    uint64_t id = 0;

    memset(&f, 0, sizeof f);
    f.size = (uint32_t)sizeof f;
    f.name = "evil\033[2J\a\n";
    f.find = failing_find;
    CHECK_OK(ik_runtime_add_finder(rt, &f, 0, &id, &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "anything", NULL, &m, &err), IK_ERR_HOST);
    CHECK(clean_error(err));
    CHECK_CONTAINS(ck_msg(err), "evil\\u{1b}[2J\\u{7}\\n");
    FREE_ERR();
    fx_free(rt, tx);
}

/* A .ref file swapped for a link to a file outside, again and again while imports run: never read. */
static atomic_int swap_stop;

static void *swapper(void *arg) {
    (void)arg;
    while (!atomic_load(&swap_stop)) {
        rename(at("sw/e/reg.tmp"), at("sw/e/m.ref"));
        td_write(ROOT, "sw/e/reg.tmp", "target\n");
        rename(at("sw/e/link.tmp"), at("sw/e/m.ref"));
        td_symlink(at("sw/out/secret.ref"), ROOT, "sw/e/link.tmp");
    }
    return NULL;
}

static void a_ref_swapped_for_a_link_is_never_read(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    pthread_t t;
    const char *env = getenv("STRESS_MS");
    long ms = env && atol(env) > 0 ? atol(env) : 1000, imports = 0, leaks = 0;
    struct timespec start, now;

    td_write(ROOT, "sw/out/secret.ref", "LEAKED_SECRET_LINE\n");
    td_mkdir(ROOT, "sw/e/target");
    td_write(ROOT, "sw/e/reg.tmp", "target\n");
    td_symlink(at("sw/out/secret.ref"), ROOT, "sw/e/link.tmp");
    td_write(ROOT, "sw/e/m.ref", "target\n");
    CHECK_OK(ik_runtime_path_append(rt, at("sw/e"), &err));
    CHECK_OK(ik_runtime_set_recheck(rt, 0, &err));
    CHECK_OK(ik_runtime_confine(rt, at("sw/e"), &err));
    atomic_store(&swap_stop, 0);
    pthread_create(&t, NULL, swapper, NULL);
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        if (ik_runtime_find_spec(rt, "m", NULL, &spec, &err) == IK_OK) {
            ik_spec_free(spec);
        } else if (err) {
            if (any_attempt_contains(err, "LEAKED")) leaks++;
            FREE_ERR();
        }
        imports++;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
    atomic_store(&swap_stop, 1);
    pthread_join(t, NULL);
    CHECK(imports > 0);
    CHECK_INT(leaks, 0);
    fx_free(rt, tx);
}


/* Under confinement a spec's cached path is dropped when the cache directory is a link leading outside (a
 * host writing or reading compiled code there would leave the roots). */
static void a_cache_directory_outside_is_not_offered(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;

    td_write(ROOT, "pc/e/linked.py", "");
    td_write(ROOT, "pc/f/plain.py", "");
    td_mkdir(ROOT, "pc/f/__pycache__");
    td_mkdir(ROOT, "pc/out");
    td_symlink(at("pc/out"), ROOT, "pc/e/__pycache__");
    CHECK_OK(ik_runtime_path_append(rt, at("pc/e"), &err));
    CHECK_OK(ik_runtime_path_append(rt, at("pc/f"), &err));
    CHECK_OK(ik_runtime_find_spec(rt, "linked", NULL, &spec, &err));
    CHECK(ik_spec_cached(spec, NULL) != NULL); /* unconfined: links are followed */
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_confine(rt, at("pc/e"), &err));
    CHECK_OK(ik_runtime_confine(rt, at("pc/f"), &err));
    CHECK_OK(ik_runtime_find_spec(rt, "linked", NULL, &spec, &err));
    CHECK(ik_spec_cached(spec, NULL) == NULL);
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_find_spec(rt, "plain", NULL, &spec, &err));
    CHECK(ik_spec_cached(spec, NULL) != NULL);
    ik_spec_free(spec);
    fx_free(rt, tx);
}

/* ----- 5. a denied name runs no finder ----- */

static atomic_int entry_finds;

static int32_t ns_find(void *userdata, const char *name, size_t name_len, ik_found *found, ik_report *report) {
    (void)userdata, (void)name_len, (void)report;
    atomic_fetch_add(&entry_finds, 1);
    if (strcmp(name, "ns") != 0) return IK_OK;
    if (ik_found_set(found, "", IK_KIND_NAMESPACE, true, NULL) != IK_OK) return IK_ERR_HOST;
    return ik_found_add_location(found, "hk:ns", NULL) == IK_OK ? IK_OK : IK_ERR_HOST;
}

static int32_t ns_hook(void *userdata, const char *entry, size_t entry_len, ik_entry_finder *out, bool *claimed,
                       ik_report *report) {
    (void)userdata, (void)entry_len, (void)report;
    if (strncmp(entry, "hk:", 3) != 0) return IK_OK;
    memset(out, 0, sizeof *out);
    out->size = (uint32_t)sizeof *out;
    out->find = ns_find;
    *claimed = true;
    return IK_OK;
}

static void a_denied_name_runs_no_finder(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    ik_name_list *list = NULL;
    ik_path_hook h;
    void *m = NULL;

    memset(&h, 0, sizeof h);
    h.size = (uint32_t)sizeof h;
    h.name = "hk";
    h.hook = ns_hook;
    CHECK_OK(ik_runtime_add_path_hook(rt, &h, 0, NULL, &err));
    CHECK_OK(ik_runtime_path_append(rt, "hk:one", &err));
    CHECK_OK(ik_runtime_import(rt, "ns", NULL, &m, &err));
    CHECK_OK(ik_runtime_namespace_locations(rt, "ns", &list, &err));
    ik_name_list_free(list);
    CHECK_OK(ik_runtime_deny(rt, "ns", &err));
    atomic_store(&entry_finds, 0);
    CHECK_ERR(ik_runtime_namespace_locations(rt, "ns", &list, &err), IK_ERR_DENIED);
    CHECK_ERR(ik_runtime_find_spec(rt, "ns.x", NULL, (const ik_spec **)&m, &err), IK_ERR_DENIED);
    CHECK_ERR(ik_runtime_import(rt, "ns.x", NULL, &m, &err), IK_ERR_DENIED);
    CHECK_INT(atomic_load(&entry_finds), 0);
    fx_free(rt, tx);
}

/* ----- 6, 7, 8. arguments, and which module an error names (9 is in test_bad_args.c) ----- */

static const char *const PKG[] = {
    "__init__.py", "",
    "b.py",        "import ...x",
    "c.py",        "import .b",
};

static void errors_name_the_right_module(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;

    CHECK_OK(ck_mount(rt, "a", PKG, CK_COUNT(PKG) / 2, &err));
    /* 6: a NULL package with a length is refused, whether the name is cached or not. */
    CHECK_OK(ik_runtime_import(rt, "a", NULL, &m, &err));
    CHECK_ERR(ik_runtime_import_n(rt, "a", 1, NULL, 5, &m, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_runtime_import_n(rt, "zz", 2, NULL, 5, &m, &err), IK_ERR_INVALID_ARGUMENT);
    /* 7: a nested relative import beyond the top level names the module whose statement it was. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "a.b", NULL, &m, &err), IK_ERR_IMPORT);
    CHECK_STR(ik_error_module(err, NULL), "a.b");
    CHECK_STR(ck_msg(err), "attempted relative import beyond top-level package (in module 'a.b')");
    FREE_ERR();
    /* ... through a module that imports it, too: the innermost importer is named. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "a.c", NULL, &m, &err), IK_ERR_IMPORT);
    CHECK_STR(ik_error_module(err, NULL), "a.b");
    FREE_ERR();
    fx_free(rt, tx);
}

static int32_t plain_create(void *userdata, const ik_spec *spec, void **out, ik_report *report) {
    (void)report;
    *out = tx_make_module(userdata, spec);
    return IK_OK;
}

static void a_denial_names_the_powerful_module(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_native n;
    void *m = NULL;

    memset(&n, 0, sizeof n);
    n.size = (uint32_t)sizeof n;
    n.userdata = tx;
    n.create = plain_create;
    n.flags = IK_NATIVE_PACKAGE;
    CHECK_OK(ik_runtime_register_native(rt, "eng", &n, &err));
    n.flags = IK_NATIVE_POWERFUL;
    CHECK_OK(ik_runtime_register_native(rt, "eng.io", &n, &err));
    CHECK_OK(ik_runtime_import(rt, "eng", NULL, &m, &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "eng.io", NULL, &m, &err), IK_ERR_DENIED);
    CHECK_STR(ck_msg(err),
              "import of 'eng.io' denied by policy: 'eng.io' is a powerful native and 'eng' is not on the allow list");
    FREE_ERR();
    CHECK_OK(ik_runtime_allow(rt, "eng", &err));
    CHECK_OK(ik_runtime_import(rt, "eng.io", NULL, &m, &err));
    fx_free(rt, tx);
}

/* ----- 10. vtables: size first, nothing past it ----- */

static int32_t noop_exec(void *userdata, const ik_spec *spec, void *module, const uint8_t *source, size_t len,
                         ik_report *report) {
    (void)userdata, (void)spec, (void)module, (void)source, (void)len, (void)report;
    return IK_OK;
}

static int vt_releases;
static void vt_release(void *userdata) {
    (void)userdata;
    vt_releases++;
}

static void vtables_are_read_by_their_size(void) {
    ik_runtime *rt = NULL;
    ik_error *err = NULL;
    ik_executor full;
    ik_executor *big;
    uint32_t *tiny;

    CHECK_OK(ik_runtime_new(NULL, &rt, &err));
    /* A block of exactly four bytes holding a size: read, refused, and nothing after it touched (valgrind
     * or ASan would see a read past the block). */
    tiny = malloc(sizeof *tiny);
    *tiny = 4;
    CHECK_ERR_KEEP(ik_runtime_set_executor(rt, (const ik_executor *)(void *)tiny, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(ck_msg(err), "ik_executor.size is 4");
    FREE_ERR();
    free(tiny);
    /* A struct larger than any layout this library knows: refused, its userdata left alone. */
    big = calloc(2, sizeof *big);
    big->size = (uint32_t)(2 * sizeof *big);
    big->create = plain_create;
    big->exec = noop_exec;
    big->release_userdata = vt_release;
    vt_releases = 0;
    CHECK_ERR_KEEP(ik_runtime_set_executor(rt, big, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(ck_msg(err), "larger than any layout");
    FREE_ERR();
    CHECK_INT(vt_releases, 0);
    free(big);
    /* The released layout: taken, and its userdata released once (when the runtime is freed). */
    memset(&full, 0, sizeof full);
    full.size = (uint32_t)sizeof full;
    full.create = plain_create;
    full.exec = noop_exec;
    full.release_userdata = vt_release;
    CHECK_OK(ik_runtime_set_executor(rt, &full, &err));
    ik_runtime_free(rt);
    CHECK_INT(vt_releases, 1);
}

int main(void) {
    int removed;
    if (td_make(ROOT) != 0) return 2;
    imports_racing_removals_never_see_a_released_object();
    a_ref_file_outside_the_roots_is_not_read();
    errors_show_no_file_contents_or_control_characters();
    links_tell_nothing_about_the_outside();
    dots_in_targets_tell_nothing_about_the_outside();
    a_ref_linked_to_a_text_file_shows_one_line();
    names_a_host_gave_are_escaped();
    a_ref_swapped_for_a_link_is_never_read();
    a_cache_directory_outside_is_not_offered();
    a_denied_name_runs_no_finder();
    errors_name_the_right_module();
    a_denial_names_the_powerful_module();
    vtables_are_read_by_their_size();
    removed = td_remove(ROOT);
    CHECK(removed == 0);
    return ck_finish("test_hardening");
}
