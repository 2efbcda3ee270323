/* test_fs_hooks.c: host path hooks (ik_path_hook) and the entry finders they make (ik_entry_finder): which
 * entries a hook is offered and when, modules, packages and namespace portions served from an "archive",
 * mixed with directories on disk; failures of a hook and of an entry finder; every entry finder's userdata
 * released exactly once (invalidate, a hook added or removed, the runtime freed), and the hook's own. */

#define _XOPEN_SOURCE 700

#include "fsfix.h"


/* ----- the "archive": a static table of what each entry holds ----- */

enum { ARC_MODULE, ARC_PACKAGE, ARC_PORTION, ARC_FAIL };

typedef struct {
    const char *entry; /* "*.arc": any entry ending in .arc */
    const char *name;
    int what;
    const char *origin;
    const char *text; /* the source, or the failure's message */
    const char *location;
} arc_item;

static const arc_item ARCHIVE[] = {
    {"archive:one", "arc_mod", ARC_MODULE, "archive:one/arc_mod.py", "set where archive-one", NULL},
    {"archive:two", "arc_mod", ARC_MODULE, "archive:two/arc_mod.py", "set where archive-two", NULL},
    {"archive:two", "two_only", ARC_MODULE, "archive:two/two_only.py", "set where two", NULL},
    {"archive:one", "arc_pkg", ARC_PACKAGE, "archive:one/arc_pkg/__init__.py", "set kind pkg\nfrom . import leaf",
     "archive:one/arc_pkg"},
    {"archive:one/arc_pkg", "arc_pkg.leaf", ARC_MODULE, "archive:one/arc_pkg/leaf.py", "set kind leaf", NULL},
    {"archive:one", "arcns", ARC_PORTION, NULL, NULL, "archive:one/arcns"},
    {"archive:two", "arcns", ARC_PORTION, NULL, NULL, "archive:two/arcns"},
    {"archive:two/arcns", "arcns.x", ARC_MODULE, "archive:two/arcns/x.py", "set where ns-x", NULL},
    {"archive:one", "blank", ARC_MODULE, "", "set where blank", NULL},
    {"archive:one", "corrupt", ARC_FAIL, NULL, "archive checksum mismatch", NULL},
    {"*.arc", "arc_abs", ARC_MODULE, "arcfile:arc_abs.py", "set where abs", NULL},
};

typedef struct arc_finder arc_finder;

#define MAX_LIVE 64

typedef struct {
    int offered;       /* entries offered to the hook */
    int offered_other; /* ... that it declined */
    char last_other[TD_MAX];
    int claims;        /* entry finders made */
    int bad_claims;    /* claims with an ik_entry_finder of a bad size (nothing handed over) */
    int entry_releases;
    int entry_invalidates;
    int finds;
    int hook_releases;
    int callback_errors; /* a length that did not match, an ik_found_* call that failed */
    arc_finder *live[MAX_LIVE]; /* the entry finders not yet released */
} hook_state;

struct arc_finder {
    hook_state *st;
    int invalidated; /* its invalidate was called (since the test last cleared the flag) */
    char entry[TD_MAX];
};

/* Clears the invalidated flag of every live entry finder. */
static void clear_invalidated(hook_state *st) {
    int i;
    for (i = 0; i < MAX_LIVE; i++)
        if (st->live[i]) st->live[i]->invalidated = 0;
}

/* How many live entry finders were not told to invalidate since clear_invalidated. */
static int live_not_invalidated(const hook_state *st) {
    int i, n = 0;
    for (i = 0; i < MAX_LIVE; i++)
        if (st->live[i] && !st->live[i]->invalidated) n++;
    return n;
}

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

static int entry_matches(const char *pattern, const char *entry) {
    return strcmp(pattern, "*.arc") == 0 ? entry[0] == '/' && ends_with(entry, ".arc") : strcmp(pattern, entry) == 0;
}

static int32_t arc_find(void *userdata, const char *name, size_t name_len, ik_found *found, ik_report *report) {
    arc_finder *f = userdata;
    size_t i;
    int bad = 0;
    f->st->finds++;
    if (strlen(name) != name_len) f->st->callback_errors++;
    for (i = 0; i < CK_COUNT(ARCHIVE); i++) {
        const arc_item *it = &ARCHIVE[i];
        if (!entry_matches(it->entry, f->entry) || strcmp(it->name, name) != 0) continue;
        switch (it->what) {
        case ARC_MODULE:
            bad |= ik_found_set(found, it->origin, IK_KIND_SOURCE, false, NULL) != IK_OK;
            bad |= ik_found_set_source(found, (const uint8_t *)it->text, strlen(it->text), NULL) != IK_OK;
            break;
        case ARC_PACKAGE:
            bad |= ik_found_set(found, it->origin, IK_KIND_SOURCE, true, NULL) != IK_OK;
            bad |= ik_found_add_location(found, it->location, NULL) != IK_OK;
            bad |= ik_found_set_file(found, "/virtual/arc_pkg/__init__.py", NULL) != IK_OK;
            bad |= ik_found_set_source(found, (const uint8_t *)it->text, strlen(it->text), NULL) != IK_OK;
            break;
        case ARC_PORTION:
            bad |= ik_found_set(found, "", IK_KIND_NAMESPACE, true, NULL) != IK_OK;
            bad |= ik_found_add_location(found, it->location, NULL) != IK_OK;
            break;
        default:
            ik_report_error(report, IK_ERR_HOST, it->text, 0, 0, NULL);
            return IK_ERR_HOST;
        }
        if (bad) f->st->callback_errors++;
        return IK_OK;
    }
    return IK_OK;
}

static void arc_invalidate(void *userdata) {
    arc_finder *f = userdata;
    f->st->entry_invalidates++;
    f->invalidated = 1;
}

static void arc_release(void *userdata) {
    arc_finder *f = userdata;
    int i;
    for (i = 0; i < MAX_LIVE; i++)
        if (f->st->live[i] == f) f->st->live[i] = NULL;
    f->st->entry_releases++;
    free(f);
}

/* Claims "archive:..." entries and absolute "....arc" ones; fails for "archive:broken"; claims
 * "archive:badsize" with an entry finder whose size is wrong. */
static int32_t arc_hook(void *userdata, const char *entry, size_t entry_len, ik_entry_finder *out, bool *claimed,
                        ik_report *report) {
    hook_state *st = userdata;
    arc_finder *f;
    st->offered++;
    if (strlen(entry) != entry_len) st->callback_errors++;
    if (strncmp(entry, "archive:", 8) != 0 && !(entry[0] == '/' && ends_with(entry, ".arc"))) {
        st->offered_other++;
        snprintf(st->last_other, sizeof st->last_other, "%s", entry);
        return IK_OK; /* not mine: *claimed stays false */
    }
    if (strcmp(entry, "archive:broken") == 0) {
        ik_report_error(report, IK_ERR_HOST, "cannot open archive:broken", 0, 0, NULL);
        return IK_ERR_HOST;
    }
    if (strcmp(entry, "archive:badsize") == 0) {
        /* A size that is no layout: importkit must use nothing of the struct, so this hands nothing over.
         * Were release_userdata called, arc_release(NULL) would crash. */
        out->size = 0;
        out->userdata = NULL;
        out->find = arc_find;
        out->release_userdata = arc_release;
        *claimed = true;
        st->bad_claims++;
        return IK_OK;
    }
    f = calloc(1, sizeof *f);
    if (f == NULL) abort();
    f->st = st;
    snprintf(f->entry, sizeof f->entry, "%s", entry);
    {
        int i;
        for (i = 0; i < MAX_LIVE && st->live[i] != NULL; i++) {
        }
        if (i == MAX_LIVE) abort();
        st->live[i] = f;
    }
    out->size = (uint32_t)sizeof *out;
    out->userdata = f;
    out->find = arc_find;
    out->invalidate = arc_invalidate;
    out->release_userdata = arc_release;
    *claimed = true;
    st->claims++;
    return IK_OK;
}

static void hook_release(void *userdata) { ((hook_state *)userdata)->hook_releases++; }

static ik_path_hook arc_path_hook(hook_state *st, const char *name) {
    ik_path_hook h;
    memset(&h, 0, sizeof h);
    h.size = (uint32_t)sizeof h;
    h.name = name;
    h.userdata = st;
    h.hook = arc_hook;
    h.release_userdata = hook_release;
    return h;
}

/* A hook that declines every entry (it only counts them). */
static int32_t never_hook(void *userdata, const char *entry, size_t entry_len, ik_entry_finder *out, bool *claimed,
                          ik_report *report) {
    hook_state *st = userdata;
    (void)entry;
    (void)entry_len;
    (void)out;
    (void)claimed;
    (void)report;
    st->offered++;
    return IK_OK;
}

#define LIVE(st) ((st).claims - (st).entry_releases)

static void archives_are_served_beside_directories(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, false);
    ik_error *err = NULL;
    hook_state st, never;
    ik_path_hook h;
    ik_name_list *list = NULL;
    uint64_t id = 0, never_id = 0;
    const ik_spec *spec = NULL;
    void *m = NULL, *pkg = NULL;
    const char *entries[3];
    const char *locations[3];
    char hk_arcns[TD_MAX];
    int claims;

    memset(&st, 0, sizeof st);
    memset(&never, 0, sizeof never);
    CHECK(td_write(ROOT, "hk/disk_mod.py", "set where disk\n") == 0);
    CHECK(td_write(ROOT, "hk/arc_mod.py", "set where disk-arc_mod\n") == 0);
    CHECK(td_write(ROOT, "hk/arcns/y.py", "set where ns-y\n") == 0);
    td_join(hk_arcns, ROOT, "hk/arcns");

    h = arc_path_hook(&st, "arc");
    CHECK_OK(ik_runtime_add_path_hook(rt, &h, SIZE_MAX, &id, &err));
    CHECK(id != 0);
    entries[0] = "archive:one";
    entries[1] = "archive:two";
    entries[2] = at("hk");
    CHECK_OK(ik_runtime_path_set(rt, entries, 3, &err));

    /* With the filesystem off, hooks are kept but never consulted. */
    CHECK_ERR(ik_runtime_import(rt, "arc_mod", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_INT(st.offered, 0);
    CHECK_OK(ik_runtime_enable_filesystem(rt, true, &err));

    /* The first entry holding the name wins; only the entries searched so far were offered. */
    CHECK_OK(ik_runtime_import(rt, "arc_mod", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "archive-one");
    CHECK_INT(st.offered, 1);
    CHECK_INT(st.claims, 1);
    CHECK_OK(ik_runtime_module_spec(rt, "arc_mod", &spec, &err));
    CHECK_STR(ik_spec_origin(spec, NULL), "archive:one/arc_mod.py");
    CHECK_INT(ik_spec_kind(spec), IK_KIND_SOURCE);
    CHECK(ik_spec_file(spec, NULL) == NULL);
    CHECK(!ik_spec_is_package(spec));
    ik_spec_free(spec);

    /* A directory entry is offered too: declined, the built-in directory hook takes it. */
    CHECK_OK(ik_runtime_import(rt, "disk_mod", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "disk");
    CHECK_INT(st.offered, 3);
    CHECK_INT(st.claims, 2);
    CHECK_INT(st.offered_other, 1);
    CHECK_STR(st.last_other, at("hk"));
    CHECK_OK(ik_runtime_import(rt, "two_only", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "two");

    /* Entry finders are cached per entry: a miss asks them again, but makes none. */
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "zzz", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT("archive:one", "hook:arc: not found");
    CHECK_ATTEMPT("archive:two", "hook:arc: not found");
    CHECK_ATTEMPT(at("hk"), "no zzz.py");
    FREE_ERR();
    CHECK_INT(st.offered, 3);
    CHECK_INT(st.claims, 2);

    /* An empty origin is named after the hook. */
    spec = FS_SPEC(rt, "blank");
    CHECK_STR(ik_spec_origin(spec, NULL), "hook:arc/blank");
    ik_spec_free(spec);

    /* A package: its location is an entry the hook claims in turn; its source imports a child. */
    CHECK_OK(ik_runtime_import(rt, "arc_pkg", NULL, &pkg, &err));
    CHECK_STR(tx_attr(tx, pkg, "kind"), "pkg");
    CHECK_STR(tx_attr(tx, pkg, "leaf"), "<module arc_pkg.leaf>");
    CHECK_OK(ik_runtime_get_module(rt, "arc_pkg.leaf", &m, NULL, &err));
    CHECK_STR(tx_attr(tx, m, "kind"), "leaf");
    CHECK_INT(st.claims, 3);
    CHECK_OK(ik_runtime_module_spec(rt, "arc_pkg", &spec, &err));
    CHECK(ik_spec_is_package(spec));
    CHECK_STR(ik_spec_file(spec, NULL), "/virtual/arc_pkg/__init__.py");
    CHECK_INT(ik_spec_location_count(spec), 1);
    CHECK_STR(ik_spec_location(spec, 0, NULL), "archive:one/arc_pkg");
    ik_spec_free(spec);

    /* A namespace package across two archives and a directory. */
    CHECK_OK(ik_runtime_import(rt, "arcns", NULL, &m, &err));
    CHECK_INT(tx_exec_count(tx, "arcns"), 0);
    CHECK_OK(ik_runtime_module_spec(rt, "arcns", &spec, &err));
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NAMESPACE);
    CHECK_INT(ik_spec_location_count(spec), 3);
    CHECK_STR(ik_spec_location(spec, 0, NULL), "archive:one/arcns");
    CHECK_STR(ik_spec_location(spec, 1, NULL), "archive:two/arcns");
    CHECK_STR(ik_spec_location(spec, 2, NULL), hk_arcns);
    ik_spec_free(spec);
    locations[0] = "archive:one/arcns";
    locations[1] = "archive:two/arcns";
    locations[2] = hk_arcns;
    CHECK_OK(ik_runtime_namespace_locations(rt, "arcns", &list, &err));
    CHECK_LIST(list, locations, 3);
    CHECK_OK(ik_runtime_import(rt, "arcns.x", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "ns-x");
    CHECK_OK(ik_runtime_import(rt, "arcns.y", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "ns-y");
    CHECK_OK(ik_runtime_path_remove(rt, "archive:one", &err));
    CHECK_OK(ik_runtime_namespace_locations(rt, "arcns", &list, &err));
    CHECK_LIST(list, locations + 1, 2);

    /* The path finder alone, over the search path or given entries. */
    CHECK_OK(ik_runtime_path_find_spec(rt, "arc_mod", NULL, 0, &spec, &err));
    CHECK_STR(ik_spec_origin(spec, NULL), "archive:two/arc_mod.py");
    ik_spec_free(spec);
    entries[0] = "archive:one";
    CHECK_OK(ik_runtime_path_find_spec(rt, "arc_mod", entries, 1, &spec, &err));
    CHECK_STR(ik_spec_origin(spec, NULL), "archive:one/arc_mod.py");
    ik_spec_free(spec);
    entries[0] = at("hk");
    CHECK_OK(ik_runtime_path_find_spec(rt, "arc_mod", entries, 1, &spec, &err));
    CHECK_STR(ik_spec_file(spec, NULL), at("hk/arc_mod.py"));
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_path_insert(rt, 0, "archive:one", &err));

    /* An entry finder that fails: IK_ERR_HOST with its message; nothing enters the table. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "corrupt", NULL, &m, &err), IK_ERR_HOST);
    CHECK_CONTAINS(ck_msg(err), "archive checksum mismatch");
    CHECK_STR(ik_error_host_message(err, NULL), "archive checksum mismatch");
    CHECK_STR(ik_error_module(err, NULL), "corrupt");
    FREE_ERR();
    CHECK(!ck_in_table(rt, "corrupt"));

    /* A hook that fails for an entry: IK_ERR_HOST with its message, for every search reaching the entry. */
    CHECK_OK(ik_runtime_path_append(rt, "archive:broken", &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "only_on_broken", NULL, &m, &err), IK_ERR_HOST);
    CHECK_CONTAINS(ck_msg(err), "cannot open archive:broken");
    CHECK_STR(ik_error_host_message(err, NULL), "cannot open archive:broken");
    CHECK_STR(ik_error_module(err, NULL), "only_on_broken");
    FREE_ERR();
    CHECK_ERR(ik_runtime_find_spec(rt, "only_on_broken", NULL, &spec, &err), IK_ERR_HOST);
    CHECK(!ck_in_table(rt, "only_on_broken"));
    CHECK_OK(ik_runtime_import(rt, "arc_mod", NULL, &m, &err)); /* found before the entry: unaffected */
    CHECK_OK(ik_runtime_path_remove(rt, "archive:broken", &err));

    /* A claim with an ik_entry_finder whose size is no layout is refused, and nothing of it is used (its
     * userdata is not released: the size says the struct holds none). */
    CHECK_OK(ik_runtime_path_append(rt, "archive:badsize", &err));
    claims = st.entry_releases;
    CHECK_ERR_KEEP(ik_runtime_find_spec(rt, "nowhere_at_all", NULL, &spec, &err), IK_ERR_HOST);
    CHECK_CONTAINS(ck_msg(err), "archive:badsize");
    CHECK_CONTAINS(ck_msg(err), "ik_entry_finder.size is 0");
    FREE_ERR();
    CHECK_INT(st.bad_claims, 1);
    CHECK_INT(st.entry_releases, claims);
    CHECK_OK(ik_runtime_path_remove(rt, "archive:badsize", &err));

    /* ik_runtime_invalidate: every entry finder either drops its caches (invalidate) or is dropped itself
     * (released once; importkit, as CPython, drops those of entries that are not absolute paths). Then the
     * entries are served again. */
    CHECK(LIVE(st) > 0);
    clear_invalidated(&st);
    CHECK_OK(ik_runtime_invalidate(rt, &err));
    CHECK_INT(live_not_invalidated(&st), 0);
    CHECK_OK(ik_runtime_path_find_spec(rt, "arc_mod", NULL, 0, &spec, &err));
    CHECK_STR(ik_spec_origin(spec, NULL), "archive:one/arc_mod.py");
    ik_spec_free(spec);
    CHECK(LIVE(st) >= 1);

    /* Adding a hook drops the entry finders made so far; the new hook is offered entries first. */
    h = arc_path_hook(&never, "never");
    h.hook = never_hook;
    CHECK_OK(ik_runtime_add_path_hook(rt, &h, 0, &never_id, &err));
    CHECK(never_id != 0 && never_id != id);
    CHECK_INT(LIVE(st), 0);
    CHECK_OK(ik_runtime_path_find_spec(rt, "arc_mod", NULL, 0, &spec, &err));
    CHECK_STR(ik_spec_origin(spec, NULL), "archive:one/arc_mod.py");
    ik_spec_free(spec);
    CHECK_INT(never.offered, 1);
    CHECK_INT(LIVE(st), 1);

    /* Removing a hook releases its userdata once and drops its entry finders; its entries are then plain
     * (missing) directories. */
    CHECK_INT(st.hook_releases, 0);
    CHECK_OK(ik_runtime_remove_path_hook(rt, id, &err));
    CHECK_INT(st.hook_releases, 1);
    CHECK_INT(LIVE(st), 0);
    claims = st.claims;
    CHECK_ERR_KEEP(ik_runtime_path_find_spec(rt, "two_only", NULL, 0, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT("archive:one", "not a directory");
    CHECK_ATTEMPT("archive:two", "not a directory");
    FREE_ERR();
    CHECK_INT(st.claims, claims);
    CHECK_ERR(ik_runtime_remove_path_hook(rt, id, &err), IK_ERR_UNAVAILABLE);
    /* Modules already imported through it stay. */
    CHECK_OK(ik_runtime_import(rt, "arc_pkg.leaf", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "kind"), "leaf");
    CHECK(never.offered >= 3);

    CHECK_INT(st.callback_errors, 0);
    CHECK_INT(never.hook_releases, 0);
    fx_free(rt, tx);
    CHECK_INT(never.hook_releases, 1); /* the hook still there goes with the runtime */
    CHECK_INT(st.hook_releases, 1);
    CHECK_INT(LIVE(st), 0);
}

static void entry_finders_go_with_the_runtime(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    hook_state st;
    ik_path_hook h;
    void *m = NULL;
    const ik_spec *spec = NULL;
    char abs_entry[TD_MAX];

    memset(&st, 0, sizeof st);
    h = arc_path_hook(&st, NULL); /* no name: "hook" */
    CHECK_OK(ik_runtime_add_path_hook(rt, &h, 0, NULL, &err));
    CHECK_OK(ik_runtime_enable_filesystem(rt, true, &err));
    td_join(abs_entry, ROOT, "game.arc"); /* an absolute entry the hook serves; no such file */
    CHECK_OK(ik_runtime_path_append(rt, "archive:one", &err));
    CHECK_OK(ik_runtime_path_append(rt, abs_entry, &err));

    CHECK_OK(ik_runtime_import(rt, "arc_mod", NULL, &m, &err));
    CHECK_OK(ik_runtime_import(rt, "arc_abs", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "abs");
    CHECK_INT(st.claims, 2);
    CHECK_INT(LIVE(st), 2);
    CHECK_ERR_KEEP(ik_runtime_import(rt, "absent", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_ATTEMPT(abs_entry, "hook:hook: not found");
    FREE_ERR();

    /* After invalidate each entry finder was either dropped (released) or told to drop its caches. */
    clear_invalidated(&st);
    CHECK_OK(ik_runtime_invalidate(rt, &err));
    CHECK_INT(live_not_invalidated(&st), 0);
    CHECK_OK(ik_runtime_path_find_spec(rt, "arc_abs", NULL, 0, &spec, &err));
    CHECK_STR(ik_spec_origin(spec, NULL), "arcfile:arc_abs.py");
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_path_find_spec(rt, "arc_mod", NULL, 0, &spec, &err));
    CHECK_STR(ik_spec_origin(spec, NULL), "archive:one/arc_mod.py");
    ik_spec_free(spec);

    /* The runtime frees what is left: every entry finder once, the hook once. */
    fx_free(rt, tx);
    CHECK_INT(LIVE(st), 0);
    CHECK_INT(st.entry_releases, st.claims);
    CHECK_INT(st.hook_releases, 1);
    CHECK_INT(st.callback_errors, 0);
}

int main(void) {
    if (td_make(ROOT) != 0) return 2;
    archives_are_served_beside_directories();
    entry_finders_go_with_the_runtime();
    CHECK(td_remove(ROOT) == 0);
    CHECK(!td_exists(ROOT, ""));
    return ck_finish("test_fs_hooks");
}
