/*
 * fsfix.h: what the filesystem tests share: a runtime whose executor reads module files from disk, and
 * checks on specs, name lists and the attempts of an error.
 *
 * importkit hands `exec` no bytes for a module found on disk (source NULL, 0): the host reads
 * ik_spec_file itself. The test executor (executor.c) would then run an empty body, so fs_runtime replaces
 * its `exec` with fs_exec, which reads the spec's file and passes the text on to the test executor's own
 * `exec`. It counts the calls that came without bytes (fs_null_sources).
 *
 * The including file defines _XOPEN_SOURCE 700 before any include (see tmpdir.h).
 */

#ifndef CTESTS_FSFIX_H
#define CTESTS_FSFIX_H

#include <time.h>

#include "fixture.h"
#include "tmpdir.h"

/* The scratch root of the whole test program (made and removed by its main). */
static char ROOT[TD_MAX];

/* A path under ROOT, into one of a few rotating buffers (enough for the arguments of one call). */
static const char *at(const char *rel) {
    static char bufs[8][TD_MAX];
    static int next;
    char *out = bufs[next];
    next = (next + 1) % 8;
    return td_join(out, ROOT, rel);
}

typedef int32_t (*fs_exec_fn)(void *userdata, const ik_spec *spec, void *module, const uint8_t *source,
                              size_t source_len, ik_report *report);

/* The test executor's own exec, which fs_exec calls. */
static inline fs_exec_fn *fs_inner_exec(void) {
    static fs_exec_fn inner;
    return &inner;
}

/* How many times exec got no bytes from importkit (and read ik_spec_file). */
static inline int *fs_null_sources(void) {
    static int count;
    return &count;
}

/* Reads a whole file into a new NUL-terminated buffer; NULL when it cannot. */
static inline char *fs_slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (f == NULL) return NULL;
    for (;;) {
        size_t got;
        if (n + 256 + 1 > cap) {
            char *bigger;
            cap = cap * 2 + 512;
            bigger = realloc(buf, cap);
            if (bigger == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = bigger;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static inline int32_t fs_exec(void *userdata, const ik_spec *spec, void *module, const uint8_t *source,
                              size_t source_len, ik_report *report) {
    const char *file;
    char *text;
    size_t len = 0;
    int32_t status;
    if (source != NULL) return (*fs_inner_exec())(userdata, spec, module, source, source_len, report);
    (*fs_null_sources())++;
    file = ik_spec_file(spec, NULL);
    if (file == NULL) return (*fs_inner_exec())(userdata, spec, module, NULL, 0, report);
    text = fs_slurp(file, &len);
    if (text == NULL) {
        char msg[TD_MAX + 64];
        snprintf(msg, sizeof msg, "test executor: cannot read %s", file);
        ik_report_error(report, IK_ERR_EXEC, msg, 0, 0, NULL);
        return IK_ERR_EXEC;
    }
    status = (*fs_inner_exec())(userdata, spec, module, (const uint8_t *)text, len, report);
    free(text);
    return status;
}

/*
 * A runtime (profile NULL: Python's) with the test executor, whose exec reads files from disk, and the
 * filesystem turned on when `filesystem` is true. fx_free tears it down: the executor installed first by
 * fx_runtime is replaced here (its userdata released then, once); the replacement gives no release, so the
 * count fx_free checks stays one.
 */
static inline ik_runtime *fs_runtime_at(const ik_profile *profile, tx_executor **out_tx, bool filesystem,
                                        const char *file, int line) {
    ik_runtime *rt = fx_runtime_at(profile, out_tx, file, line);
    ik_executor vt = tx_vtable(*out_tx);
    ik_error *err = NULL;
    *fs_inner_exec() = vt.exec;
    vt.exec = fs_exec;
    vt.release_userdata = NULL;
    if (ik_runtime_set_executor(rt, &vt, &err) != IK_OK) {
        ck_fail_at(file, line, "replacing the executor failed: %s", ck_show(ik_error_message(err, NULL)));
        exit(2);
    }
    (*ck_checks())++;
    if (tx_userdata_releases(*out_tx) != 1)
        ck_fail_at(file, line, "the replaced executor's userdata was released %d times, want once",
                   tx_userdata_releases(*out_tx));
    if (filesystem && ik_runtime_enable_filesystem(rt, true, &err) != IK_OK) {
        ck_fail_at(file, line, "ik_runtime_enable_filesystem failed: %s", ck_show(ik_error_message(err, NULL)));
        exit(2);
    }
    return rt;
}
#define fs_runtime(profile, out_tx, filesystem) fs_runtime_at((profile), (out_tx), (filesystem), __FILE__, __LINE__)

/* ik_runtime_find_spec for an absolute name; NULL (a failed check) when it fails. Free with ik_spec_free. */
static inline const ik_spec *fs_spec_at(const ik_runtime *rt, const char *name, const char *file, int line) {
    const ik_spec *spec = NULL;
    ik_error *err = NULL;
    ik_status s = ik_runtime_find_spec(rt, name, NULL, &spec, &err);
    (*ck_checks())++;
    if (s != IK_OK || spec == NULL) {
        ck_fail_at(file, line, "find_spec(%s): got %s (%s), want a spec", name, ik_status_name(s),
                   ck_show(ik_error_message(err, NULL)));
        ik_error_free(err);
        return NULL;
    }
    return spec;
}
#define FS_SPEC(rt, name) fs_spec_at((rt), (name), __FILE__, __LINE__)

/* The file of `name`'s spec (into out, TD_MAX bytes), "" when not found (a failed check). */
static inline const char *fs_file_of_at(const ik_runtime *rt, const char *name, char *out, const char *file,
                                        int line) {
    const ik_spec *spec = fs_spec_at(rt, name, file, line);
    snprintf(out, TD_MAX, "%s", spec && ik_spec_file(spec, NULL) ? ik_spec_file(spec, NULL) : "");
    ik_spec_free(spec);
    return out;
}
#define FS_FILE_OF(rt, name, out) fs_file_of_at((rt), (name), (out), __FILE__, __LINE__)

/* Whether some attempt of `err` has place `place` (NULL: any) and a reason containing `reason`. */
static inline int fs_has_attempt(const ik_error *err, const char *place, const char *reason) {
    size_t i, n = ik_error_attempt_count(err);
    for (i = 0; i < n; i++) {
        const char *p = ik_error_attempt_place(err, i, NULL);
        const char *r = ik_error_attempt_reason(err, i, NULL);
        if (p == NULL || r == NULL) continue;
        if ((place == NULL || strcmp(p, place) == 0) && strstr(r, reason) != NULL) return 1;
    }
    return 0;
}

/* Prints the attempts of an error (after a failed attempt check, to show what was tried). */
static inline void fs_show_attempts(const ik_error *err) {
    size_t i, n = ik_error_attempt_count(err);
    fprintf(stderr, "    message: %s\n", ck_show(ik_error_message(err, NULL)));
    for (i = 0; i < n; i++)
        fprintf(stderr, "    attempt %zu: %s: %s\n", i, ck_show(ik_error_attempt_place(err, i, NULL)),
                ck_show(ik_error_attempt_reason(err, i, NULL)));
}

static inline int fs_attempt_at(const ik_error *err, const char *place, const char *reason, const char *file,
                                int line) {
    (*ck_checks())++;
    if (!fs_has_attempt(err, place, reason)) {
        ck_fail_at(file, line, "no attempt with place \"%s\" and a reason containing \"%s\"", ck_show(place), reason);
        fs_show_attempts(err);
        return 0;
    }
    return 1;
}
/* Checks the error kept by CHECK_ERR_KEEP has such an attempt. */
#define CHECK_ATTEMPT(place, reason) fs_attempt_at(err, (place), (reason), __FILE__, __LINE__)

/* Checks a name list holds exactly `want` (count strings), in order; frees the list. */
static inline int fs_list_is_at(ik_name_list *list, const char *const *want, size_t count, const char *file,
                                int line) {
    size_t i, n = ik_name_list_count(list);
    int ok = n == count;
    for (i = 0; ok && i < n; i++) ok = strcmp(ik_name_list_get(list, i, NULL), want[i]) == 0;
    (*ck_checks())++;
    if (!ok) {
        ck_fail_at(file, line, "list of %zu entries, want %zu:", n, count);
        for (i = 0; i < n; i++) fprintf(stderr, "    got  [%zu] \"%s\"\n", i, ck_show(ik_name_list_get(list, i, NULL)));
        for (i = 0; i < count; i++) fprintf(stderr, "    want [%zu] \"%s\"\n", i, want[i]);
    }
    ik_name_list_free(list);
    return ok;
}
#define CHECK_LIST(list, want, count) fs_list_is_at((list), (want), (count), __FILE__, __LINE__)

/* Checks the search path is exactly `want`. */
static inline int fs_path_is_at(const ik_runtime *rt, const char *const *want, size_t count, const char *file,
                                int line) {
    ik_name_list *list = NULL;
    ik_error *err = NULL;
    if (ik_runtime_path_list(rt, &list, &err) != IK_OK) {
        ck_fail_at(file, line, "ik_runtime_path_list failed: %s", ck_show(ik_error_message(err, NULL)));
        ik_error_free(err);
        return 0;
    }
    return fs_list_is_at(list, want, count, file, line);
}
#define CHECK_PATH(rt, want, count) fs_path_is_at((rt), (want), (count), __FILE__, __LINE__)

/* Sleeps `ms` milliseconds (so that a directory changed next gets a new mtime, even on coarse clocks). */
static inline void fs_sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

#endif /* CTESTS_FSFIX_H */
