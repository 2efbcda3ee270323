/* executor.c: the test executor (see executor.h for the statements it understands). */

#define _POSIX_C_SOURCE 200809L

#include "executor.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char *key;
    char *value;
} tx_attr_pair;

struct tx_module {
    char *name;
    char *package;
    tx_attr_pair *attrs;
    size_t nattrs;
    char **all;
    size_t nall;
    int execs; /* how many times this object was executed: never more than once */
    int dead;  /* released by importkit (kept in quarantine, see tx_quarantine) */
};

typedef struct {
    char *name;
    int count;
} tx_counter;

struct tx_executor {
    pthread_mutex_t lock;
    const ik_runtime *rt;
    tx_counter *execs;
    size_t nexecs;
    int creates;
    int releases;
    int live;
    int binds;
    int userdata_releases;
    int double_execs;
    int quarantine;
    int dead_uses;
    tx_module **graveyard;
    size_t ngrave;
    char **log;
    size_t nlog;
    char *refuse;
};

/* ----- small helpers ----- */

static void *tx_alloc(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "executor: out of memory\n");
        abort();
    }
    return p;
}

static void *tx_grow(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        fprintf(stderr, "executor: out of memory\n");
        abort();
    }
    return q;
}

static char *tx_dup_n(const char *s, size_t n) {
    char *d = tx_alloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static char *tx_dup(const char *s) { return tx_dup_n(s ? s : "", s ? strlen(s) : 0); }

static void tx_lock(tx_executor *tx) { pthread_mutex_lock(&tx->lock); }
static void tx_unlock(tx_executor *tx) { pthread_mutex_unlock(&tx->lock); }

static void tx_log(tx_executor *tx, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    tx_lock(tx);
    tx->log = tx_grow(tx->log, (tx->nlog + 1) * sizeof *tx->log);
    tx->log[tx->nlog++] = tx_dup(buf);
    tx_unlock(tx);
}

/* Sets attribute key (key_len bytes) to value; the caller holds the lock. */
static void tx_set_attr_locked(tx_module *m, const char *key, size_t key_len, const char *value) {
    size_t i;
    for (i = 0; i < m->nattrs; i++) {
        if (strlen(m->attrs[i].key) == key_len && memcmp(m->attrs[i].key, key, key_len) == 0) {
            free(m->attrs[i].value);
            m->attrs[i].value = tx_dup(value);
            return;
        }
    }
    m->attrs = tx_grow(m->attrs, (m->nattrs + 1) * sizeof *m->attrs);
    m->attrs[m->nattrs].key = tx_dup_n(key, key_len);
    m->attrs[m->nattrs].value = tx_dup(value);
    m->nattrs++;
}

static const char *tx_get_attr_locked(const tx_module *m, const char *key, size_t key_len) {
    size_t i;
    for (i = 0; i < m->nattrs; i++)
        if (strlen(m->attrs[i].key) == key_len && memcmp(m->attrs[i].key, key, key_len) == 0) return m->attrs[i].value;
    return NULL;
}

static void tx_free_all_list(tx_module *m) {
    size_t i;
    for (i = 0; i < m->nall; i++) free(m->all[i]);
    free(m->all);
    m->all = NULL;
    m->nall = 0;
}

static void tx_module_free(tx_module *m) {
    size_t i;
    for (i = 0; i < m->nattrs; i++) {
        free(m->attrs[i].key);
        free(m->attrs[i].value);
    }
    free(m->attrs);
    tx_free_all_list(m);
    free(m->name);
    free(m->package);
    free(m);
}

/* Passes a nested import's error on through the report; frees it; returns its status. */
static int32_t tx_pass(ik_report *report, ik_error *err) {
    int32_t status = IK_ERR_EXEC;
    if (err == NULL) {
        ik_report_error(report, IK_ERR_EXEC, "a nested import failed without an error object", 0, 0, NULL);
        return status;
    }
    status = (int32_t)ik_error_status(err);
    if (ik_report_pass(report, err, NULL) != IK_OK)
        ik_report_error(report, status, ik_error_message(err, NULL), 0, 0, NULL);
    ik_error_free(err);
    return status;
}

/* After an import statement: log it when the module it got back is still being initialised. */
static void tx_note_partial(tx_executor *tx, const char *importer, const void *got) {
    void *m = NULL;
    uint32_t state = IK_MODULE_READY;
    ik_error *err = NULL;
    const char *name = tx_name(got);
    if (name == NULL) return;
    if (ik_runtime_get_module(tx->rt, name, &m, &state, &err) != IK_OK) {
        ik_error_free(err);
        return;
    }
    if (state == IK_MODULE_INITIALIZING) tx_log(tx, "partial %s<-%s", importer, name);
}

static int tx_is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

static char *tx_trim(char *s) {
    char *end;
    while (tx_is_space(*s)) s++;
    end = s + strlen(s);
    while (end > s && tx_is_space(end[-1])) *--end = '\0';
    return s;
}

/* ----- statements ----- */

static int32_t tx_stmt_import(tx_executor *tx, const char *self, const char *package, const char *target,
                              ik_report *report) {
    void *got = NULL;
    ik_error *err = NULL;
    if (ik_runtime_import(tx->rt, target, package, &got, &err) != IK_OK) return tx_pass(report, err);
    tx_note_partial(tx, self, got);
    return IK_OK;
}

static int32_t tx_stmt_from(tx_executor *tx, const char *self, const char *package, char *rest, ik_report *report,
                            uint32_t line) {
    const char *names[32];
    size_t count = 0;
    uint32_t level = 0;
    char *target = rest, *list, *cut = strstr(rest, " import ");
    void *got = NULL;
    ik_error *err = NULL;
    if (cut == NULL) {
        ik_report_error(report, IK_ERR_EXEC, "from NAME import A, B: no ' import '", line, 1, NULL);
        return IK_ERR_EXEC;
    }
    *cut = '\0';
    list = cut + strlen(" import ");
    target = tx_trim(target);
    while (target[level] == '.') level++;
    while (*list && count < 32) {
        char *comma = strchr(list, ',');
        if (comma) *comma = '\0';
        names[count++] = tx_trim(list);
        if (!comma) break;
        list = comma + 1;
    }
    if (ik_runtime_import_from(tx->rt, target + level, package, level, names, count, &got, &err) != IK_OK)
        return tx_pass(report, err);
    tx_note_partial(tx, self, got);
    return IK_OK;
}

static void tx_stmt_all(tx_executor *tx, tx_module *m, char *rest) {
    char *word, *save = NULL;
    tx_lock(tx);
    tx_free_all_list(m);
    for (word = strtok_r(rest, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
        m->all = tx_grow(m->all, (m->nall + 1) * sizeof *m->all);
        m->all[m->nall++] = tx_dup(word);
    }
    tx_unlock(tx);
}

static void tx_stmt_set(tx_executor *tx, tx_module *m, char *rest) {
    char *space = strchr(rest, ' ');
    const char *value = "";
    size_t key_len = strlen(rest);
    if (space) {
        key_len = (size_t)(space - rest);
        value = tx_trim(space + 1);
    }
    tx_lock(tx);
    tx_set_attr_locked(m, rest, key_len, value);
    tx_unlock(tx);
}

static void tx_stmt_state(tx_executor *tx, const char *name) {
    void *m = NULL;
    uint32_t state = 99;
    ik_error *err = NULL;
    ik_status s = ik_runtime_get_module(tx->rt, name, &m, &state, &err);
    ik_error_free(err);
    tx_log(tx, "state %s=%s", name,
           s != IK_OK ? "absent" : state == IK_MODULE_INITIALIZING ? "initializing" : "ready");
}

/* Unmounts `point` from inside a module's execution, then reads the module's source again: with a borrowed
 * tree, importkit must not have given those bytes back yet (valgrind sees any read of freed memory). */
static int32_t tx_stmt_unmount(tx_executor *tx, const char *point, const uint8_t *source, size_t source_len,
                               ik_report *report) {
    ik_error *err = NULL;
    volatile unsigned sum = 0;
    size_t i;
    if (ik_runtime_unmount(tx->rt, point, &err) != IK_OK) return tx_pass(report, err);
    for (i = 0; source != NULL && i < source_len; i++) sum += source[i];
    tx_log(tx, "unmounted %s", point);
    return IK_OK;
}

static void tx_stmt_sleep(const char *ms) {
    long n = strtol(ms, NULL, 10);
    struct timespec ts;
    ts.tv_sec = n / 1000;
    ts.tv_nsec = (n % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* Runs one statement; `column` is where it starts on its line (1-based). */
static int32_t tx_statement(tx_executor *tx, const ik_spec *spec, tx_module *m, char *stmt, uint32_t line,
                            uint32_t column, const uint8_t *source, size_t source_len, ik_report *report) {
    const char *self = ik_spec_name(spec, NULL);
    const char *package = ik_spec_parent(spec, NULL);
    char *rest = stmt + strcspn(stmt, " \t");
    if (*rest) *rest++ = '\0';
    rest = tx_trim(rest);
    if (strcmp(stmt, "import") == 0) return tx_stmt_import(tx, self, package, rest, report);
    if (strcmp(stmt, "from") == 0) return tx_stmt_from(tx, self, package, rest, report, line);
    if (strcmp(stmt, "raise") == 0) {
        ik_report_error(report, IK_ERR_EXEC, rest, line, column, NULL);
        return IK_ERR_EXEC;
    }
    if (strcmp(stmt, "set") == 0) {
        tx_stmt_set(tx, m, rest);
        return IK_OK;
    }
    if (strcmp(stmt, "all") == 0) {
        tx_stmt_all(tx, m, rest);
        return IK_OK;
    }
    if (strcmp(stmt, "state") == 0) {
        tx_stmt_state(tx, rest);
        return IK_OK;
    }
    if (strcmp(stmt, "sleep") == 0) {
        tx_stmt_sleep(rest);
        return IK_OK;
    }
    if (strcmp(stmt, "unmount") == 0) return tx_stmt_unmount(tx, rest, source, source_len, report);
    {
        char msg[160];
        snprintf(msg, sizeof msg, "unknown statement '%s'", stmt);
        ik_report_error(report, IK_ERR_EXEC, msg, line, column, NULL);
    }
    return IK_ERR_EXEC;
}

/* ----- the vtable ----- */

static void *tx_new_module(tx_executor *tx, const char *name, const char *package) {
    tx_module *m = tx_alloc(sizeof *m);
    m->name = tx_dup(name);
    m->package = tx_dup(package);
    tx_set_attr_locked(m, "__name__", strlen("__name__"), m->name);
    tx_lock(tx);
    tx->creates++;
    tx->live++;
    tx_unlock(tx);
    return m;
}

void *tx_make_module(tx_executor *tx, const ik_spec *spec) {
    return tx_new_module(tx, ik_spec_name(spec, NULL), ik_spec_parent(spec, NULL));
}

void *tx_module_named(tx_executor *tx, const char *name) { return tx_new_module(tx, name, ""); }

static int32_t tx_create(void *userdata, const ik_spec *spec, void **out_module, ik_report *report) {
    tx_executor *tx = userdata;
    int refused;
    tx_lock(tx);
    refused = tx->refuse != NULL && strcmp(tx->refuse, ik_spec_name(spec, NULL)) == 0;
    tx_unlock(tx);
    if (refused) {
        ik_report_error(report, IK_ERR_EXEC, "create refused", 0, 0, NULL);
        return IK_ERR_EXEC;
    }
    *out_module = tx_make_module(tx, spec);
    return IK_OK;
}

static int32_t tx_exec(void *userdata, const ik_spec *spec, void *module, const uint8_t *source, size_t source_len,
                       ik_report *report) {
    tx_executor *tx = userdata;
    const char *name = ik_spec_name(spec, NULL);
    char *text, *line, *next;
    uint32_t line_no = 0;
    int32_t status = IK_OK;
    size_t i;

    tx_lock(tx);
    for (i = 0; i < tx->nexecs && strcmp(tx->execs[i].name, name) != 0; i++) {
    }
    if (i == tx->nexecs) {
        tx->execs = tx_grow(tx->execs, (tx->nexecs + 1) * sizeof *tx->execs);
        tx->execs[i].name = tx_dup(name);
        tx->execs[i].count = 0;
        tx->nexecs++;
    }
    tx->execs[i].count++;
    if (++((tx_module *)module)->execs > 1) tx->double_execs++;
    if (((tx_module *)module)->dead) tx->dead_uses++;
    tx_unlock(tx);

    text = tx_dup_n(source ? (const char *)source : "", source ? source_len : 0);
    for (line = text; line != NULL && status == IK_OK; line = next) {
        char *stmt;
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        line_no++;
        stmt = line;
        while (tx_is_space(*stmt)) stmt++;
        stmt = tx_trim(stmt);
        if (*stmt == '\0' || *stmt == '#') continue;
        status = tx_statement(tx, spec, module, stmt, line_no, (uint32_t)(stmt - line) + 1, source, source_len,
                              report);
    }
    free(text);
    return status;
}

static int32_t tx_bind(void *userdata, void *parent, const char *name, size_t name_len, void *child) {
    tx_executor *tx = userdata;
    char value[300];
    snprintf(value, sizeof value, "<module %s>", tx_name(child));
    tx_lock(tx);
    if (((tx_module *)parent)->dead || ((tx_module *)child)->dead) tx->dead_uses++;
    tx_set_attr_locked(parent, name, name_len, value);
    tx->binds++;
    tx_unlock(tx);
    return IK_OK;
}

static bool tx_has_attr(void *userdata, void *module, const char *name, size_t name_len) {
    tx_executor *tx = userdata;
    bool has;
    tx_lock(tx);
    if (((tx_module *)module)->dead) tx->dead_uses++;
    has = tx_get_attr_locked(module, name, name_len) != NULL;
    tx_unlock(tx);
    return has;
}

static int32_t tx_all_names(void *userdata, void *module, ik_strings *out, ik_report *report) {
    tx_executor *tx = userdata;
    tx_module *m = module;
    int32_t status = IK_OK;
    size_t i;
    tx_lock(tx);
    if (m->dead) tx->dead_uses++;
    for (i = 0; i < m->nall && status == IK_OK; i++) {
        ik_error *err = NULL;
        if (ik_strings_push(out, m->all[i], strlen(m->all[i]), &err) != IK_OK) status = tx_pass(report, err);
    }
    tx_unlock(tx);
    return status;
}

static void tx_release(void *userdata, void *module) {
    tx_executor *tx = userdata;
    tx_lock(tx);
    tx->releases++;
    tx->live--;
    if (((tx_module *)module)->dead) tx->dead_uses++; /* released twice */
    if (tx->quarantine) {
        ((tx_module *)module)->dead = 1;
        tx->graveyard = tx_grow(tx->graveyard, (tx->ngrave + 1) * sizeof *tx->graveyard);
        tx->graveyard[tx->ngrave++] = module;
        module = NULL;
    }
    tx_unlock(tx);
    if (module != NULL) tx_module_free(module);
}

static void tx_release_userdata(void *userdata) {
    tx_executor *tx = userdata;
    tx_lock(tx);
    tx->userdata_releases++;
    tx_unlock(tx);
}

/* ----- the public side ----- */

tx_executor *tx_new(void) {
    tx_executor *tx = tx_alloc(sizeof *tx);
    pthread_mutex_init(&tx->lock, NULL);
    return tx;
}

ik_executor tx_vtable(tx_executor *tx) {
    ik_executor vt;
    memset(&vt, 0, sizeof vt);
    vt.size = (uint32_t)sizeof(ik_executor);
    vt.userdata = tx;
    vt.create = tx_create;
    vt.exec = tx_exec;
    vt.bind = tx_bind;
    vt.has_attr = tx_has_attr;
    vt.all_names = tx_all_names;
    vt.release = tx_release;
    vt.release_userdata = tx_release_userdata;
    return vt;
}

ik_status tx_install(tx_executor *tx, const ik_runtime *rt, ik_error **out_error) {
    ik_executor vt = tx_vtable(tx);
    tx->rt = rt;
    return ik_runtime_set_executor(rt, &vt, out_error);
}

void tx_free(tx_executor *tx) {
    size_t i;
    if (tx == NULL) return;
    for (i = 0; i < tx->nexecs; i++) free(tx->execs[i].name);
    free(tx->execs);
    for (i = 0; i < tx->nlog; i++) free(tx->log[i]);
    free(tx->log);
    free(tx->refuse);
    for (i = 0; i < tx->ngrave; i++) tx_module_free(tx->graveyard[i]);
    free(tx->graveyard);
    pthread_mutex_destroy(&tx->lock);
    free(tx);
}

void tx_quarantine(tx_executor *tx, int on) {
    tx_lock(tx);
    tx->quarantine = on;
    tx_unlock(tx);
}

void tx_refuse_create(tx_executor *tx, const char *name) {
    tx_lock(tx);
    free(tx->refuse);
    tx->refuse = name ? tx_dup(name) : NULL;
    tx_unlock(tx);
}

int tx_exec_count(tx_executor *tx, const char *name) {
    int n = 0;
    size_t i;
    tx_lock(tx);
    for (i = 0; i < tx->nexecs; i++)
        if (strcmp(tx->execs[i].name, name) == 0) n = tx->execs[i].count;
    tx_unlock(tx);
    return n;
}

#define TX_COUNTER(fn, field)         \
    int fn(tx_executor *tx) {         \
        int n;                        \
        tx_lock(tx);                  \
        n = tx->field;                \
        tx_unlock(tx);                \
        return n;                     \
    }

TX_COUNTER(tx_creates, creates)
TX_COUNTER(tx_releases, releases)
TX_COUNTER(tx_live, live)
TX_COUNTER(tx_binds, binds)
TX_COUNTER(tx_userdata_releases, userdata_releases)
TX_COUNTER(tx_double_execs, double_execs)
TX_COUNTER(tx_dead_uses, dead_uses)

int tx_logged(tx_executor *tx, const char *entry) {
    int found = 0;
    size_t i;
    tx_lock(tx);
    for (i = 0; i < tx->nlog; i++)
        if (strcmp(tx->log[i], entry) == 0) found = 1;
    tx_unlock(tx);
    return found;
}

size_t tx_log_count(tx_executor *tx) {
    size_t n;
    tx_lock(tx);
    n = tx->nlog;
    tx_unlock(tx);
    return n;
}

const char *tx_name(const void *module) { return module ? ((const tx_module *)module)->name : NULL; }

const char *tx_package(const void *module) { return module ? ((const tx_module *)module)->package : NULL; }

const char *tx_attr(tx_executor *tx, const void *module, const char *key) {
    const char *v;
    if (module == NULL) return NULL;
    tx_lock(tx);
    v = tx_get_attr_locked(module, key, strlen(key));
    tx_unlock(tx);
    return v;
}
