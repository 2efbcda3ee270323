/*
 * check.h: the little test harness of the C tests.
 *
 * Every check prints one line `file:line: ...` when it fails and counts the failure; a test program ends
 * with `return ck_finish("name");`, which prints a summary and gives the exit status (0: every check held).
 *
 * The status checks expect a variable `ik_error *err` in scope, initialised to NULL, whose address the
 * checked call receives as its `out_error`:
 *
 *     ik_error *err = NULL;
 *     CHECK_OK(ik_runtime_import(rt, "game", NULL, &m, &err));
 *     CHECK_ERR(ik_runtime_import(rt, "nope", NULL, &m, &err), IK_ERR_NOT_FOUND);
 *
 * CHECK_OK and CHECK_ERR free the error and reset `err` to NULL. CHECK_ERR_KEEP leaves it for the test to
 * inspect; the test frees it with FREE_ERR().
 */

#ifndef CTESTS_CHECK_H
#define CTESTS_CHECK_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "importkit.h"

static inline int *ck_failures(void) {
    static int failures;
    return &failures;
}

static inline int *ck_checks(void) {
    static int checks;
    return &checks;
}

static inline int ck_fail_at(const char *file, int line, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    (*ck_failures())++;
    return 0;
}

/* Returns 1 when the check held, 0 (after reporting) when it did not. */
static inline int ck_true(int ok, const char *file, int line, const char *what) {
    (*ck_checks())++;
    if (!ok) return ck_fail_at(file, line, "check failed: %s", what);
    return 1;
}

static inline const char *ck_show(const char *s) { return s ? s : "(NULL)"; }

static inline int ck_streq(const char *got, const char *want, const char *file, int line, const char *what) {
    (*ck_checks())++;
    if (got == NULL && want == NULL) return 1;
    if (got == NULL || want == NULL || strcmp(got, want) != 0)
        return ck_fail_at(file, line, "%s: got \"%s\", want \"%s\"", what, ck_show(got), ck_show(want));
    return 1;
}

static inline int ck_inteq(long long got, long long want, const char *file, int line, const char *what) {
    (*ck_checks())++;
    if (got != want) return ck_fail_at(file, line, "%s: got %lld, want %lld", what, got, want);
    return 1;
}

static inline const char *ck_status(int32_t s) { return ik_status_name(s); }

static inline int ck_ok(ik_status got, ik_error **err, const char *file, int line, const char *what) {
    int held = 1;
    (*ck_checks())++;
    if (got != IK_OK) {
        held = ck_fail_at(file, line, "%s: got %s (%s), want IK_OK", what, ck_status(got),
                          ck_show(*err ? ik_error_message(*err, NULL) : "no error object"));
    } else if (*err != NULL) {
        held = ck_fail_at(file, line, "%s: IK_OK but out_error was written", what);
    }
    ik_error_free(*err);
    *err = NULL;
    return held;
}

/* The call failed with `want`, and its error object says so, with a message. */
static inline int ck_err(ik_status got, ik_status want, ik_error **err, int keep, const char *file, int line,
                         const char *what) {
    int held = 1;
    (*ck_checks())++;
    if (got != want) {
        held = ck_fail_at(file, line, "%s: got %s (%s), want %s", what, ck_status(got),
                          ck_show(*err ? ik_error_message(*err, NULL) : "no error object"), ck_status(want));
    } else if (*err == NULL) {
        held = ck_fail_at(file, line, "%s: %s but no error object", what, ck_status(got));
    } else {
        size_t len = 0;
        const char *msg = ik_error_message(*err, &len);
        if (ik_error_status(*err) != want)
            held = ck_fail_at(file, line, "%s: error object has status %s, the call returned %s", what,
                              ck_status(ik_error_status(*err)), ck_status(want));
        else if (msg == NULL || len == 0 || strlen(msg) != len)
            held = ck_fail_at(file, line, "%s: error object without a proper message", what);
    }
    if (!keep) {
        ik_error_free(*err);
        *err = NULL;
    }
    return held;
}

#define CHECK(cond) ck_true((cond) ? 1 : 0, __FILE__, __LINE__, #cond)
#define CHECK_STR(got, want) ck_streq((got), (want), __FILE__, __LINE__, #got)
#define CHECK_INT(got, want) ck_inteq((long long)(got), (long long)(want), __FILE__, __LINE__, #got)
#define CHECK_OK(call) ck_ok((call), &err, __FILE__, __LINE__, #call)
#define CHECK_ERR(call, want) ck_err((call), (want), &err, 0, __FILE__, __LINE__, #call)
#define CHECK_ERR_KEEP(call, want) ck_err((call), (want), &err, 1, __FILE__, __LINE__, #call)
#define FREE_ERR() (ik_error_free(err), err = NULL)
#define FAIL(...) ck_fail_at(__FILE__, __LINE__, __VA_ARGS__)

/* The error's message, or "" without one (for CHECK_STR against an error kept by CHECK_ERR_KEEP). */
static inline const char *ck_msg(const ik_error *e) {
    const char *m = ik_error_message(e, NULL);
    return m ? m : "";
}

static inline int ck_contains(const char *hay, const char *needle, const char *file, int line, const char *what) {
    (*ck_checks())++;
    if (hay == NULL || strstr(hay, needle) == NULL)
        return ck_fail_at(file, line, "%s: \"%s\" does not contain \"%s\"", what, ck_show(hay), needle);
    return 1;
}
#define CHECK_CONTAINS(hay, needle) ck_contains((hay), (needle), __FILE__, __LINE__, #hay)

/* A file of a tree to mount, from two C strings. */
static inline ik_mount_file ck_file(const char *path, const char *text) {
    ik_mount_file f;
    f.path = path;
    f.path_len = strlen(path);
    f.data = (const uint8_t *)text;
    f.data_len = strlen(text);
    return f;
}

#define CK_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Mounts (copied) `count` files given as alternating path, text strings. */
static inline ik_status ck_mount(const ik_runtime *rt, const char *point, const char *const *pairs, size_t count,
                                 ik_error **err) {
    ik_mount_file files[64];
    size_t i;
    if (count > 64) return IK_ERR_INVALID_ARGUMENT;
    for (i = 0; i < count; i++) files[i] = ck_file(pairs[2 * i], pairs[2 * i + 1]);
    return ik_runtime_mount(rt, point, files, count, 0, NULL, NULL, NULL, err);
}
#define MOUNT(rt, point, pairs) CHECK_OK(ck_mount((rt), (point), (pairs), CK_COUNT(pairs) / 2, &err))

/* Whether the runtime's module table holds `name` (a failed query counts as a failed check). */
static inline int ck_in_table(const ik_runtime *rt, const char *name) {
    bool in = false;
    ik_error *e = NULL;
    if (ik_runtime_contains(rt, name, &in, &e) != IK_OK) {
        FAIL("ik_runtime_contains(%s) failed: %s", name, ck_show(ik_error_message(e, NULL)));
        ik_error_free(e);
        return 0;
    }
    return in ? 1 : 0;
}

/* The state of `name` in the table: IK_MODULE_INITIALIZING, IK_MODULE_READY, or -1 when it is absent. */
static inline int ck_state(const ik_runtime *rt, const char *name) {
    void *m = NULL;
    uint32_t state = 99;
    ik_error *e = NULL;
    ik_status s = ik_runtime_get_module(rt, name, &m, &state, &e);
    ik_error_free(e);
    return s == IK_OK ? (int)state : -1;
}

static inline int ck_finish(const char *name) {
    if (*ck_failures() == 0) {
        printf("%s: ok (%d checks)\n", name, *ck_checks());
        return 0;
    }
    printf("%s: FAILED (%d of %d checks)\n", name, *ck_failures(), *ck_checks());
    return 1;
}

#endif /* CTESTS_CHECK_H */
