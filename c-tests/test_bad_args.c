/*
 * test_bad_args.c: every function of importkit.h with unusable arguments: NULL for each pointer, invalid
 * UTF-8, embedded NULs where a length is given, strings over IK_MAX_NAME_LEN / IK_MAX_PATH_LEN /
 * IK_MAX_SUFFIX_LEN, unknown enum values, vtables of the wrong size. Each gives its documented status and,
 * when asked, an error object with a message; accessors give NULL or 0; userdata handed over with a failing
 * call is released exactly once; nothing crashes, and the runtime works normally afterwards.
 *
 * run.sh fails when a function the header declares is not called here (new functions cannot be forgotten).
 */

#include "fixture.h"

/* ----- inputs ----- */

static const char BAD_UTF8[] = "ga\xff\xfeme";
static const char BAD_UTF8_TAIL[] = "game\xc3";
static const char OVERLONG_UTF8[] = "\xc0\xaf";
static const char WITH_NUL[] = "ga\0me"; /* 5 bytes with a NUL in the middle */
static char *long_name;                  /* IK_MAX_NAME_LEN + 1 bytes */
static char *long_path;                  /* IK_MAX_PATH_LEN + 1 bytes */
static char *long_suffix;                /* IK_MAX_SUFFIX_LEN + 1 bytes */
static char *max_name;                   /* exactly IK_MAX_NAME_LEN bytes: valid */

static char *repeat(char c, size_t n, char first) {
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[0] = first;
    s[n] = '\0';
    return s;
}

/* ----- checks: the call fails with `status` with and without an out_error ----- */

/* BAD(status, fn, args...): fn(args..., &err) gives status and an error object; fn(args..., NULL) too. */
#define BAD(status, fn, ...)                          \
    do {                                              \
        CHECK_ERR(fn(__VA_ARGS__, &err), (status));   \
        CHECK_INT(fn(__VA_ARGS__, NULL), (status));   \
    } while (0)

/* A bad name may be refused as an argument or as a name; either way with a matching error object. */
static int ck_bad_name_at(ik_status got, ik_error **e, int want_error, const char *file, int line,
                          const char *what) {
    int held = 1;
    (*ck_checks())++;
    if (got != IK_ERR_INVALID_ARGUMENT && got != IK_ERR_INVALID_NAME)
        held = ck_fail_at(file, line, "%s: got %s (%s), want IK_ERR_INVALID_ARGUMENT or IK_ERR_INVALID_NAME", what,
                          ik_status_name(got), ck_show(*e ? ik_error_message(*e, NULL) : "no error object"));
    else if (want_error && (*e == NULL || ik_error_status(*e) != got || ck_msg(*e)[0] == '\0'))
        held = ck_fail_at(file, line, "%s: %s without a matching error object", what, ik_status_name(got));
    else if (!want_error && *e != NULL)
        held = ck_fail_at(file, line, "%s: an error object written through a NULL out_error?", what);
    ik_error_free(*e);
    *e = NULL;
    return held;
}
#define BAD_NAME(fn, ...)                                                                       \
    do {                                                                                        \
        ck_bad_name_at(fn(__VA_ARGS__, &err), &err, 1, __FILE__, __LINE__, #fn "(" #__VA_ARGS__ ")"); \
        ck_bad_name_at(fn(__VA_ARGS__, NULL), &err, 0, __FILE__, __LINE__, #fn "(" #__VA_ARGS__ ")"); \
    } while (0)
/* The same for one call with an out_error. */
#define CHECK_BAD_NAME(call) ck_bad_name_at((call), &err, 1, __FILE__, __LINE__, #call)

/* ----- userdata that counts its releases ----- */

static int releases;
static void count_release(void *userdata) {
    (void)userdata;
    releases++;
}

/* Runs `call`, which must fail with `status` and release the userdata it was given exactly once. */
#define BAD_RELEASING(status, call)        \
    do {                                   \
        releases = 0;                      \
        CHECK_ERR(call, (status));         \
        CHECK_INT(releases, 1);            \
    } while (0)

/* A vtable whose size is no released layout: refused, and nothing past its size field is read or used, so
 * its userdata is not released (docs/ABI.md, "Vtables"). */
#define BAD_SIZE(call)                                   \
    do {                                                 \
        releases = 0;                                    \
        CHECK_ERR(call, IK_ERR_INVALID_ARGUMENT);        \
        CHECK_INT(releases, 0);                          \
    } while (0)

/* ----- a probe executor and finder that misuse the callback-side functions ----- */

typedef struct {
    int live;
} probe;

static int is(const ik_spec *spec, const char *name) { return strcmp(ik_spec_name(spec, NULL), name) == 0; }

static int32_t probe_create(void *userdata, const ik_spec *spec, void **out_module, ik_report *report) {
    probe *p = userdata;
    ik_error *err = NULL;
    if (is(spec, "pnull")) return IK_OK; /* "success" without a module */
    if (is(spec, "pcreate")) {
        BAD(IK_ERR_INVALID_ARGUMENT, ik_report_error, NULL, IK_ERR_EXEC, "m", 1, 1);
        CHECK_OK(ik_report_error(report, IK_ERR_EXEC, "refused by create", 0, 0, &err));
        return IK_ERR_EXEC;
    }
    p->live++;
    *out_module = malloc(16);
    return IK_OK;
}

static int32_t probe_exec(void *userdata, const ik_spec *spec, void *module, const uint8_t *source, size_t len,
                          ik_report *report) {
    ik_error *err = NULL, *nested = NULL;
    void *m = NULL;
    (void)userdata, (void)module, (void)source, (void)len;
    if (is(spec, "p999")) return 999;
    if (is(spec, "pneg")) return -1;
    if (is(spec, "pnotfound")) return IK_ERR_NOT_FOUND;
    if (is(spec, "pdenied")) return IK_ERR_DENIED;
    if (is(spec, "putf8")) {
        ik_status s = ik_report_error(report, IK_ERR_EXEC, BAD_UTF8, 3, 4, &err);
        CHECK(s == IK_OK || s == IK_ERR_INVALID_ARGUMENT);
        FREE_ERR();
        return IK_ERR_EXEC;
    }
    if (is(spec, "pok_status")) {
        /* A report without a failing status changes nothing. */
        CHECK_OK(ik_report_error(report, IK_ERR_EXEC, "ignored", 1, 1, &err));
        return IK_OK;
    }
    if (!is(spec, "pexec")) return IK_OK;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_report_error, NULL, IK_ERR_EXEC, "m", 1, 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_report_pass, report, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_report_host_data, NULL, NULL, NULL);
    CHECK_OK(ik_report_host_data(report, NULL, NULL, &err));
    CHECK_OK(ik_report_error(report, IK_ERR_EXEC, NULL, 0, 0, &err));
    CHECK_OK(ik_report_error(report, 12345, "an unknown status", 0, 0, &err));
    CHECK_INT(ik_runtime_import(NULL, "x", NULL, &m, &nested), IK_ERR_INVALID_ARGUMENT);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_report_pass, NULL, nested);
    CHECK_OK(ik_report_pass(report, nested, &err));
    ik_error_free(nested);
    CHECK_OK(ik_report_error(report, IK_ERR_EXEC, "probe failed", 7, 9, &err));
    return IK_ERR_EXEC;
}

static int32_t probe_all_names(void *userdata, void *module, ik_strings *out, ik_report *report) {
    ik_error *err = NULL;
    (void)userdata, (void)module, (void)report;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_strings_push, NULL, "sub", 3);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_strings_push, out, NULL, 3);
    BAD_NAME(ik_strings_push, out, WITH_NUL, 5);
    BAD_NAME(ik_strings_push, out, BAD_UTF8, strlen(BAD_UTF8));
    BAD_NAME(ik_strings_push, out, OVERLONG_UTF8, 2);
    BAD_NAME(ik_strings_push, out, long_name, strlen(long_name));
    CHECK_OK(ik_strings_push(out, "subXYZ", 3, &err)); /* counted: "sub" */
    return IK_OK;
}

static void probe_release(void *userdata, void *module) {
    ((probe *)userdata)->live--;
    free(module);
}

static int32_t probe_find(void *userdata, const char *name, size_t name_len, const char *const *path,
                          size_t path_count, ik_found *found, ik_report *report) {
    static const char src[] = "ok";
    ik_error *err = NULL;
    (void)userdata, (void)name_len, (void)path, (void)path_count;
    if (strcmp(name, "probed") != 0) return IK_OK;
    /* Before ik_found_set, nothing but ik_found_set is accepted. */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_add_location, found, "host:early");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_file, found, "/early");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_source, found, (const uint8_t *)src, 2);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_host_data, found, NULL, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_code, found, "cpython-311", (const uint8_t *)"CODE", 4);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set, NULL, "host:p", IK_KIND_SOURCE, true);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set, found, NULL, IK_KIND_SOURCE, true);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set, found, BAD_UTF8, IK_KIND_SOURCE, true);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set, found, long_path, IK_KIND_SOURCE, true);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set, found, "host:p", 99, true);
    CHECK_OK(ik_found_set(found, "host:probed", IK_KIND_SOURCE, true, &err));
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_add_location, NULL, "host:x");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_add_location, found, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_add_location, found, BAD_UTF8_TAIL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_add_location, found, long_path);
    CHECK_OK(ik_found_add_location(found, "host:probed/", &err));
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_file, NULL, "/x");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_file, found, BAD_UTF8);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_file, found, long_path);
    CHECK_OK(ik_found_set_file(found, "/probed.py", &err));
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_host_data, NULL, NULL, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_source, NULL, (const uint8_t *)src, 2);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_source, found, NULL, 2);
    CHECK_OK(ik_found_set_source(found, NULL, 0, &err));
    CHECK_OK(ik_found_set_source(found, (const uint8_t *)WITH_NUL, 5, &err)); /* bytes may hold NULs */
    CHECK_OK(ik_found_set_source(found, (const uint8_t *)src, 2, &err));
    /* ik_found_set_code: a tag is a cache tag, the code at most IK_MAX_CODE_SIZE bytes (never read past). */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_code, NULL, "cpython-311", (const uint8_t *)"CODE", 4);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_code, found, NULL, (const uint8_t *)"CODE", 4);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_code, found, "", (const uint8_t *)"CODE", 4);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_code, found, "a/b", (const uint8_t *)"CODE", 4);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_code, found, BAD_UTF8, (const uint8_t *)"CODE", 4);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_code, found, long_suffix, (const uint8_t *)"CODE", 4);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_code, found, "cpython-311", NULL, 4);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_found_set_code, found, "cpython-311", (const uint8_t *)"CODE",
        (size_t)IK_MAX_CODE_SIZE + 1);
    CHECK_OK(ik_found_set_code(found, "cpython-311", NULL, 0, &err));
    CHECK_OK(ik_found_set_code(found, "cpython-311", (const uint8_t *)WITH_NUL, 5, &err));
    BAD(IK_ERR_INVALID_ARGUMENT, ik_report_error, NULL, IK_ERR_HOST, "x", 0, 0);
    (void)report;
    return IK_OK;
}

static void probe_userdata_release(void *userdata) { (void)userdata; releases++; }

static ik_executor probe_vtable(probe *p) {
    ik_executor vt;
    memset(&vt, 0, sizeof vt);
    vt.size = (uint32_t)sizeof vt;
    vt.userdata = p;
    vt.create = probe_create;
    vt.exec = probe_exec;
    vt.all_names = probe_all_names;
    vt.release = probe_release;
    vt.release_userdata = probe_userdata_release;
    return vt;
}

/* ----- sections, in the order of the header ----- */

static void version_and_status_names(void) {
    CHECK(ik_version() != NULL);
    CHECK(ik_version_number() > 0);
    CHECK_STR(ik_status_name(-7), "IK_UNKNOWN_STATUS");
    CHECK_STR(ik_status_name(1000), "IK_UNKNOWN_STATUS");
}

/* In a runtime of its own with the probe executor and finder: the callback-side functions misused. */
static void callbacks_misused(void) {
    static const char *const P[] = {
        "pexec.py", "", "pnull.py", "", "p999.py", "", "pneg.py", "", "pnotfound.py", "", "pdenied.py", "",
        "pcreate.py", "",
        "pok_status.py", "", "pall/__init__.py", "", "pall/sub.py", "", "pall/other.py", "", "putf8.py", "",
    };
    ik_runtime *rt = NULL;
    ik_error *err = NULL;
    probe p;
    ik_executor vt;
    ik_finder f;
    void *m = (void *)&p;
    const ik_spec *spec = NULL;
    const char *star[] = {"*"};
    const char *msg;
    size_t i, len = 0;

    memset(&p, 0, sizeof p);
    CHECK_OK(ik_runtime_new(NULL, &rt, &err));
    vt = probe_vtable(&p);
    CHECK_OK(ik_runtime_set_executor(rt, &vt, &err));
    MOUNT(rt, "", P);

    /* The last report wins. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "pexec", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_STR(ik_error_host_message(err, NULL), "probe failed");
    CHECK_INT(ik_error_line(err), 7);
    CHECK_INT(ik_error_column(err), 9);
    FREE_ERR();
    /* A host message in invalid UTF-8: the error's texts are valid UTF-8 all the same. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "putf8", NULL, &m, &err), IK_ERR_EXEC);
    msg = ik_error_message(err, &len);
    CHECK(msg != NULL && strlen(msg) == len);
    for (i = 0; msg != NULL && i < len; i++)
        if ((unsigned char)msg[i] == 0xff || (unsigned char)msg[i] == 0xfe) FAIL("invalid UTF-8 in \"%s\"", msg);
    msg = ik_error_host_message(err, &len);
    for (i = 0; msg != NULL && i < len; i++)
        if ((unsigned char)msg[i] == 0xff || (unsigned char)msg[i] == 0xfe) FAIL("invalid UTF-8 in \"%s\"", msg);
    FREE_ERR();
    CHECK(m == (void *)&p);
    /* Callbacks that return nonsense. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "pnull", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_CONTAINS(ck_msg(err), "no module");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_import(rt, "p999", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_CONTAINS(ck_msg(err), "999");
    FREE_ERR();
    CHECK_ERR(ik_runtime_import(rt, "pneg", NULL, &m, &err), IK_ERR_EXEC);
    /* A bare status (no ik_report_error) is a host bug, never importkit's verdict: IK_ERR_EXEC, naming the
     * callback, the module and the status. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "pnotfound", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_STR(ck_msg(err), "executing module 'pnotfound' failed: ik_executor.exec returned status 3 "
                           "(IK_ERR_NOT_FOUND) without reporting why (ik_report_error)");
    CHECK_STR(ik_error_module(err, NULL), "pnotfound");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_import(rt, "pdenied", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_CONTAINS(ck_msg(err), "ik_executor.exec returned status 5 (IK_ERR_DENIED) without reporting why");
    CHECK_STR(ik_error_module(err, NULL), "pdenied");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_runtime_import(rt, "pcreate", NULL, &m, &err), IK_ERR_EXEC);
    CHECK_STR(ik_error_host_message(err, NULL), "refused by create");
    FREE_ERR();
    CHECK_OK(ik_runtime_import(rt, "pok_status", NULL, &m, &err));
    CHECK(!ck_in_table(rt, "pnull") && !ck_in_table(rt, "p999") && !ck_in_table(rt, "pexec"));
    CHECK(!ck_in_table(rt, "pneg") && !ck_in_table(rt, "pnotfound") && !ck_in_table(rt, "pcreate"));
    CHECK(!ck_in_table(rt, "putf8"));
    /* Only the one valid name all_names pushed was imported. */
    CHECK_OK(ik_runtime_import_from(rt, "pall", NULL, 0, star, 1, &m, &err));
    CHECK(ck_in_table(rt, "pall.sub"));
    CHECK(!ck_in_table(rt, "pall.other"));

    /* The finder: refused calls leave the found module as the valid calls made it. */
    memset(&f, 0, sizeof f);
    f.size = (uint32_t)sizeof f;
    f.name = "probe";
    f.find = probe_find;
    CHECK_OK(ik_runtime_add_finder(rt, &f, 0, NULL, &err));
    CHECK_OK(ik_runtime_find_spec(rt, "probed", NULL, &spec, &err));
    CHECK_STR(ik_spec_origin(spec, NULL), "host:probed");
    CHECK_STR(ik_spec_file(spec, NULL), "/probed.py");
    CHECK_INT(ik_spec_location_count(spec), 1);
    CHECK_STR(ik_spec_location(spec, 0, NULL), "host:probed/");
    {
        /* Every field at once: the accessors' answers; bad arguments write nothing. */
        ik_spec_fields fields;
        memset(&fields, 0x5a, sizeof fields);
        fields.size = (uint32_t)sizeof fields;
        CHECK_OK(ik_spec_get_fields(spec, &fields, &err));
        CHECK_STR(fields.name, "probed");
        CHECK_INT(fields.name_len, 6);
        CHECK_STR(fields.origin, "host:probed");
        CHECK_INT(fields.origin_len, strlen("host:probed"));
        CHECK_STR(fields.file, "/probed.py");
        CHECK_INT(fields.file_len, strlen("/probed.py"));
        CHECK(fields.cached == ik_spec_cached(spec, NULL));
        CHECK_STR(fields.parent, "probed");
        CHECK_INT(fields.kind, ik_spec_kind(spec));
        CHECK(fields.is_package == ik_spec_is_package(spec));
        CHECK_INT(fields.location_count, 1);
        CHECK_INT(fields.ref_count, 0);
        CHECK(fields.host_data == ik_spec_host_data(spec));
        memset(&fields, 0x5a, sizeof fields);
        fields.size = (uint32_t)sizeof fields - 8;
        CHECK_ERR_KEEP(ik_spec_get_fields(spec, &fields, &err), IK_ERR_INVALID_ARGUMENT);
        CHECK(strstr(ik_error_message(err, NULL), "sizeof(ik_spec_fields)") != NULL);
        FREE_ERR();
        CHECK(fields.kind == 0x5a5a5a5au && fields.size == (uint32_t)sizeof fields - 8);
        fields.size = UINT32_MAX;
        CHECK_ERR(ik_spec_get_fields(spec, &fields, &err), IK_ERR_INVALID_ARGUMENT);
        fields.size = (uint32_t)sizeof fields;
        CHECK_ERR(ik_spec_get_fields(NULL, &fields, &err), IK_ERR_INVALID_ARGUMENT);
        CHECK_ERR(ik_spec_get_fields(spec, NULL, &err), IK_ERR_INVALID_ARGUMENT);
        CHECK_INT(ik_spec_get_fields(NULL, NULL, NULL), IK_ERR_INVALID_ARGUMENT);
    }
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_import(rt, "probed", NULL, &m, &err));

    releases = 0;
    ik_runtime_free(rt);
    CHECK_INT(releases, 1);
    CHECK_INT(p.live, 0);
}

static void error_accessors(void) {
    size_t len = 5;
    ik_error_free(NULL);
    CHECK_INT(ik_error_status(NULL), IK_ERR_INVALID_ARGUMENT);
    CHECK(ik_error_message(NULL, &len) == NULL);
    CHECK(ik_error_message(NULL, NULL) == NULL);
    CHECK(ik_error_module(NULL, &len) == NULL);
    CHECK_INT(ik_error_attempt_count(NULL), 0);
    CHECK(ik_error_attempt_place(NULL, 0, &len) == NULL);
    CHECK(ik_error_attempt_reason(NULL, 0, &len) == NULL);
    CHECK(ik_error_host_message(NULL, &len) == NULL);
    CHECK(ik_error_host_data(NULL) == NULL);
    CHECK_INT(ik_error_line(NULL), 0);
    CHECK_INT(ik_error_column(NULL), 0);
}

static void imports(ik_runtime *rt) {
    ik_error *err = NULL;
    void *m = (void *)&err;
    const char *ok_list[] = {"util"};
    const char *null_list[] = {"util", NULL};
    const char *utf8_list[] = {BAD_UTF8};
    const char *long_list[] = {NULL};
    const char **huge_list;
    size_t i;

    long_list[0] = long_name;
    /* ik_runtime_import */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_import, NULL, "game", NULL, &m);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_import, rt, NULL, NULL, &m);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_import, rt, "game", NULL, NULL);
    BAD_NAME(ik_runtime_import, rt, BAD_UTF8, NULL, &m);
    BAD_NAME(ik_runtime_import, rt, OVERLONG_UTF8, NULL, &m);
    BAD_NAME(ik_runtime_import, rt, long_name, NULL, &m);
    BAD_NAME(ik_runtime_import, rt, ".util", BAD_UTF8, &m);
    BAD_NAME(ik_runtime_import, rt, ".util", long_name, &m);
    CHECK_ERR(ik_runtime_import(rt, max_name, NULL, &m, &err), IK_ERR_NOT_FOUND); /* long, but valid */
    CHECK(m == (void *)&err);
    /* ik_runtime_import_n */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_import_n, NULL, "game", 4, NULL, 0, &m);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_import_n, rt, NULL, 4, NULL, 0, &m);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_import_n, rt, "game", 4, NULL, 0, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_import_n, rt, ".util", 5, NULL, 4, &m);
    BAD_NAME(ik_runtime_import_n, rt, NULL, 0, NULL, 0, &m);
    BAD_NAME(ik_runtime_import_n, rt, WITH_NUL, 5, NULL, 0, &m);
    BAD_NAME(ik_runtime_import_n, rt, "game\0", 5, NULL, 0, &m);
    BAD_NAME(ik_runtime_import_n, rt, BAD_UTF8, strlen(BAD_UTF8), NULL, 0, &m);
    BAD_NAME(ik_runtime_import_n, rt, long_name, strlen(long_name), NULL, 0, &m);
    BAD_NAME(ik_runtime_import_n, rt, ".util", 5, WITH_NUL, 5, &m);
    BAD_NAME(ik_runtime_import_n, rt, ".util", 5, BAD_UTF8, strlen(BAD_UTF8), &m);
    BAD_NAME(ik_runtime_import_n, rt, ".util", 5, long_name, strlen(long_name), &m);
    CHECK(m == (void *)&err);
    /* ik_runtime_import_from */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_import_from, NULL, "game", NULL, 0, ok_list, 1, &m);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_import_from, rt, NULL, NULL, 0, ok_list, 1, &m);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_import_from, rt, "game", NULL, 0, ok_list, 1, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_import_from, rt, "game", NULL, 0, NULL, 1, &m);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_import_from, rt, "game", NULL, 0, null_list, 2, &m);
    BAD_NAME(ik_runtime_import_from, rt, BAD_UTF8, NULL, 0, ok_list, 1, &m);
    BAD_NAME(ik_runtime_import_from, rt, long_name, NULL, 0, ok_list, 1, &m);
    BAD_NAME(ik_runtime_import_from, rt, "x", BAD_UTF8, 1, ok_list, 1, &m);
    BAD_NAME(ik_runtime_import_from, rt, "x", long_name, 1, ok_list, 1, &m);
    BAD_NAME(ik_runtime_import_from, rt, "game", NULL, 0, utf8_list, 1, &m);
    BAD_NAME(ik_runtime_import_from, rt, "game", NULL, 0, long_list, 1, &m);
    huge_list = malloc((IK_MAX_FROMLIST + 1) * sizeof *huge_list);
    for (i = 0; i < IK_MAX_FROMLIST + 1; i++) huge_list[i] = "util";
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_import_from, rt, "game", NULL, 0, huge_list, IK_MAX_FROMLIST + 1, &m);
    free(huge_list);
    CHECK(m == (void *)&err);
    CHECK(!ck_in_table(rt, "game.util"));
}

static void finding_and_the_table(ik_runtime *rt, tx_executor *tx) {
    ik_error *err = NULL;
    const ik_spec *spec = (const ik_spec *)&err;
    void *m = (void *)&err;
    uint32_t state = 77;
    bool in = true;
    ik_name_list *list = (ik_name_list *)&err;
    void *mine = tx_module_named(tx, "mine");
    int releases_before;

    /* ik_runtime_find_spec */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_find_spec, NULL, "game", NULL, &spec);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_find_spec, rt, NULL, NULL, &spec);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_find_spec, rt, "game", NULL, NULL);
    BAD_NAME(ik_runtime_find_spec, rt, BAD_UTF8, NULL, &spec);
    BAD_NAME(ik_runtime_find_spec, rt, long_name, NULL, &spec);
    BAD_NAME(ik_runtime_find_spec, rt, ".x", BAD_UTF8, &spec);
    BAD_NAME(ik_runtime_find_spec, rt, ".x", long_name, &spec);
    CHECK(spec == (const ik_spec *)&err);
    /* ik_runtime_reload */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_reload, NULL, "game", &m);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_reload, rt, NULL, &m);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_reload, rt, "game", NULL);
    BAD_NAME(ik_runtime_reload, rt, BAD_UTF8, &m);
    BAD_NAME(ik_runtime_reload, rt, long_name, &m);
    BAD_NAME(ik_runtime_reload, rt, "game..util", &m);
    BAD(IK_ERR_NOT_FOUND, ik_runtime_reload, rt, "never.imported", &m);
    CHECK(m == (void *)&err);
    /* ik_runtime_get_module */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_get_module, NULL, "game", &m, &state);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_get_module, rt, NULL, &m, &state);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_get_module, rt, "game", NULL, &state);
    BAD_NAME(ik_runtime_get_module, rt, BAD_UTF8, &m, &state);
    BAD_NAME(ik_runtime_get_module, rt, long_name, &m, &state);
    CHECK(m == (void *)&err);
    CHECK_INT(state, 77);
    /* ik_runtime_module_spec */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_module_spec, NULL, "game", &spec);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_module_spec, rt, NULL, &spec);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_module_spec, rt, "game", NULL);
    BAD_NAME(ik_runtime_module_spec, rt, BAD_UTF8, &spec);
    BAD_NAME(ik_runtime_module_spec, rt, long_name, &spec);
    /* ik_runtime_contains */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_contains, NULL, "game", &in);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_contains, rt, NULL, &in);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_contains, rt, "game", NULL);
    BAD_NAME(ik_runtime_contains, rt, BAD_UTF8, &in);
    BAD_NAME(ik_runtime_contains, rt, long_name, &in);
    CHECK(in);
    /* ik_runtime_remove_module */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_remove_module, NULL, "game");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_remove_module, rt, NULL);
    BAD_NAME(ik_runtime_remove_module, rt, BAD_UTF8);
    BAD_NAME(ik_runtime_remove_module, rt, long_name);
    /* ik_runtime_insert_module: a refused module is not taken (never released by the table) */
    releases_before = tx_releases(tx);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_insert_module, NULL, "mine", mine);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_insert_module, rt, NULL, mine);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_insert_module, rt, "mine", NULL);
    BAD_NAME(ik_runtime_insert_module, rt, BAD_UTF8, mine);
    BAD_NAME(ik_runtime_insert_module, rt, long_name, mine);
    BAD(IK_ERR_INVALID_NAME, ik_runtime_insert_module, rt, "no..pe", mine);
    CHECK_INT(tx_releases(tx), releases_before);
    CHECK(!ck_in_table(rt, "mine"));
    /* ik_runtime_insert_package: the same, plus its locations */
    {
        const char *locs[2] = {"/tmp/a", NULL};
        const char *bad_locs[1] = {BAD_UTF8};
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_insert_package, NULL, "mine", mine, locs, 1);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_insert_package, rt, NULL, mine, locs, 1);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_insert_package, rt, "mine", NULL, locs, 1);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_insert_package, rt, "mine", mine, NULL, 1);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_insert_package, rt, "mine", mine, locs, 2);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_insert_package, rt, "mine", mine, bad_locs, 1);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_insert_package, rt, "mine", mine, locs, (size_t)-1);
        BAD_NAME(ik_runtime_insert_package, rt, long_name, mine, locs, 1);
        BAD(IK_ERR_INVALID_NAME, ik_runtime_insert_package, rt, "no..pe", mine, locs, 1);
        CHECK_INT(tx_releases(tx), releases_before);
        CHECK(!ck_in_table(rt, "mine"));
    }
    CHECK_OK(ik_runtime_insert_module(rt, "mine", mine, &err)); /* now the table owns it */
    /* ik_runtime_list_modules and the list */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_list_modules, NULL, &list);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_list_modules, rt, NULL);
    CHECK(list == (ik_name_list *)&err);
    CHECK_INT(ik_name_list_count(NULL), 0);
    CHECK(ik_name_list_get(NULL, 0, NULL) == NULL);
    ik_name_list_free(NULL);
}

static void mounts(ik_runtime *rt) {
    ik_error *err = NULL;
    uint64_t id = 4242;
    ik_mount_file ok[1], f[1];
    size_t i;
    const struct {
        const char *path;
        size_t path_len;
    } bad_paths[] = {
        {NULL, 4}, {WITH_NUL, 5}, {"x.py\0", 5}, {BAD_UTF8, sizeof BAD_UTF8 - 1}, {OVERLONG_UTF8, 2},
    };

    ok[0] = ck_file("__init__.py", "");
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount(NULL, "m", ok, 1, 0, count_release, NULL, &id, &err));
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount(rt, NULL, ok, 1, 0, count_release, NULL, &id, &err));
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount(rt, "m", NULL, 1, 0, count_release, NULL, &id, &err));
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount(rt, "m", ok, 1, 4, count_release, NULL, &id, &err));
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount(rt, "m", ok, 1, UINT32_MAX, count_release, NULL, &id, &err));
    for (i = 0; i < CK_COUNT(bad_paths); i++) {
        f[0] = ok[0];
        f[0].path = bad_paths[i].path;
        f[0].path_len = bad_paths[i].path_len;
        BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount(rt, "m", f, 1, 0, count_release, NULL, &id, &err));
        BAD_RELEASING(IK_ERR_INVALID_ARGUMENT,
                      ik_runtime_mount(rt, "m", f, 1, IK_MOUNT_BORROW, count_release, NULL, &id, &err));
    }
    f[0] = ok[0];
    f[0].path = long_path;
    f[0].path_len = strlen(long_path);
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount(rt, "m", f, 1, 0, count_release, NULL, &id, &err));
    f[0] = ok[0];
    f[0].data = NULL;
    f[0].data_len = 3;
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount(rt, "m", f, 1, 0, count_release, NULL, &id, &err));
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT,
                  ik_runtime_mount(rt, "m", f, 1, IK_MOUNT_BORROW, count_release, NULL, &id, &err));
    releases = 0;
    CHECK_BAD_NAME(ik_runtime_mount(rt, BAD_UTF8, ok, 1, 0, count_release, NULL, &id, &err));
    CHECK_BAD_NAME(ik_runtime_mount(rt, long_name, ok, 1, 0, count_release, NULL, &id, &err));
    CHECK_BAD_NAME(ik_runtime_mount(rt, "1m", ok, 1, 0, count_release, NULL, &id, &err));
    CHECK_INT(releases, 3);
    CHECK_INT(id, 4242);
    /* Without a release callback, failures are just failures. */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount, rt, "m", NULL, 2, 0, NULL, NULL, &id);
    CHECK_INT(id, 4242);
    /* ik_runtime_unmount */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_unmount, NULL, "game");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_unmount, rt, NULL);
    CHECK_BAD_NAME(ik_runtime_unmount(rt, BAD_UTF8, &err));
    CHECK_BAD_NAME(ik_runtime_unmount(rt, long_name, &err));
    BAD(IK_ERR_UNAVAILABLE, ik_runtime_unmount, rt, "m");
}

/* A host finder of one package, `hosted`, whose resource and listing callbacks misuse their outputs. */
static int32_t hosted_find(void *userdata, const char *name, size_t name_len, const char *const *path,
                           size_t path_count, ik_found *found, ik_report *report) {
    ik_error *err = NULL;
    (void)userdata, (void)path, (void)path_count, (void)report;
    if (name_len == 6 && memcmp(name, "hosted", 6) == 0)
        CHECK_OK(ik_found_set(found, "host:hosted", IK_KIND_SOURCE, true, &err));
    return IK_OK;
}

static int32_t hosted_read(void *userdata, const char *package, size_t package_len, const char *resource,
                           size_t resource_len, ik_bytes *out, ik_report *report) {
    ik_error *err = NULL;
    (void)userdata, (void)package, (void)package_len, (void)resource, (void)resource_len, (void)report;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bytes_set, NULL, (const uint8_t *)"x", 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bytes_set, out, NULL, 3);
    CHECK_OK(ik_bytes_set(out, NULL, 0, &err));
    CHECK_OK(ik_bytes_set(out, (const uint8_t *)"DATAxyz", 4, &err)); /* replaces: "DATA" */
    return IK_OK;
}

static int32_t hosted_modules(void *userdata, const char *package, size_t package_len, ik_modules *out,
                              ik_report *report) {
    ik_error *err = NULL;
    (void)userdata, (void)package, (void)package_len, (void)report;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_modules_push, NULL, "m", 1, false);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_modules_push, out, NULL, 1, false);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_modules_push, out, "", 0, false);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_modules_push, out, "a.b", 3, false);
    BAD_NAME(ik_modules_push, out, WITH_NUL, 5, false);
    BAD_NAME(ik_modules_push, out, BAD_UTF8, strlen(BAD_UTF8), true);
    BAD_NAME(ik_modules_push, out, long_name, strlen(long_name), true);
    CHECK_OK(ik_modules_push(out, "leafXYZ", 4, true, &err)); /* counted: "leaf" */
    return IK_OK;
}

static void resources(ik_runtime *rt) {
    ik_error *err = NULL;
    ik_resource *res = (ik_resource *)&err;
    ik_name_list *list = (ik_name_list *)&err;
    size_t len = 77;
    const char *bad_resources[] = {"", "/abs", "a//b", "./a", "a/..", "..", "a\\b"};
    size_t i;

    /* ik_runtime_read_resource */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_read_resource, NULL, "game", "util.py", &res);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_read_resource, rt, NULL, "util.py", &res);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_read_resource, rt, "game", NULL, &res);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_read_resource, rt, "game", "util.py", NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_read_resource, rt, "game", BAD_UTF8, &res);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_read_resource, rt, "game", long_path, &res);
    for (i = 0; i < CK_COUNT(bad_resources); i++)
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_read_resource, rt, "game", bad_resources[i], &res);
    CHECK_BAD_NAME(ik_runtime_read_resource(rt, BAD_UTF8, "util.py", &res, &err));
    CHECK_BAD_NAME(ik_runtime_read_resource(rt, long_name, "util.py", &res, &err));
    CHECK_BAD_NAME(ik_runtime_read_resource(rt, "game..x", "util.py", &res, &err));
    BAD(IK_ERR_NOT_FOUND, ik_runtime_read_resource, rt, "game", "nothing.txt", &res);
    BAD(IK_ERR_NOT_FOUND, ik_runtime_read_resource, rt, "nowhere", "util.py", &res);
    BAD(IK_ERR_IMPORT, ik_runtime_read_resource, rt, "game.util", "x.txt", &res);
    CHECK(res == (ik_resource *)&err);
    /* ik_runtime_read_file */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_read_file, NULL, "game/util.py", &res);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_read_file, rt, NULL, &res);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_read_file, rt, "game/util.py", NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_read_file, rt, BAD_UTF8, &res);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_read_file, rt, long_path, &res);
    for (i = 0; i < CK_COUNT(bad_resources); i++)
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_read_file, rt, bad_resources[i], &res);
    BAD(IK_ERR_NOT_FOUND, ik_runtime_read_file, rt, "game/nothing.txt", &res);
    CHECK(res == (ik_resource *)&err);
    /* ik_runtime_distributions */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_distributions, NULL, &list);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_distributions, rt, NULL);
    CHECK(list == (ik_name_list *)&err);
    /* ik_resource_data, ik_resource_free */
    CHECK(ik_resource_data(NULL, &len) == NULL);
    CHECK_INT(len, 0);
    CHECK(ik_resource_data(NULL, NULL) == NULL);
    ik_resource_free(NULL);
    /* ik_runtime_resources */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_resources, NULL, "game", &list);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_resources, rt, NULL, &list);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_resources, rt, "game", NULL);
    CHECK_BAD_NAME(ik_runtime_resources(rt, BAD_UTF8, &list, &err));
    CHECK_BAD_NAME(ik_runtime_resources(rt, long_name, &list, &err));
    BAD(IK_ERR_NOT_FOUND, ik_runtime_resources, rt, "nowhere", &list);
    BAD(IK_ERR_IMPORT, ik_runtime_resources, rt, "game.util", &list);
    /* ik_runtime_iter_modules (a NULL package is the top level, not an error) */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_iter_modules, NULL, "game", &list);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_iter_modules, rt, "game", NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_iter_modules, rt, NULL, NULL);
    CHECK_BAD_NAME(ik_runtime_iter_modules(rt, BAD_UTF8, &list, &err));
    CHECK_BAD_NAME(ik_runtime_iter_modules(rt, long_name, &list, &err));
    BAD(IK_ERR_NOT_FOUND, ik_runtime_iter_modules, rt, "nowhere", &list);
    BAD(IK_ERR_IMPORT, ik_runtime_iter_modules, rt, "game.util", &list);
    CHECK(list == (ik_name_list *)&err);
    /* ik_name_list_is_package: NULL, out of range, a list that is not one of modules */
    CHECK_INT(ik_name_list_is_package(NULL, 0), -1);
    CHECK_OK(ik_runtime_resources(rt, "game", &list, &err));
    CHECK(ik_name_list_count(list) > 0);
    CHECK_INT(ik_name_list_is_package(list, 0), -1);
    ik_name_list_free(list);
    CHECK_OK(ik_runtime_iter_modules(rt, "game", &list, &err));
    CHECK_INT(ik_name_list_is_package(list, ik_name_list_count(list)), -1);
    CHECK_INT(ik_name_list_is_package(list, SIZE_MAX), -1);
    ik_name_list_free(list);
    /* ik_bytes_set and ik_modules_push, misused by a host finder's callbacks (and outside any). */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bytes_set, NULL, NULL, 0);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_modules_push, NULL, "m", 1, true);
    {
        ik_finder f;
        uint64_t id = 0;
        size_t len = 0;
        memset(&f, 0, sizeof f);
        f.size = sizeof f;
        f.name = "hosted";
        f.find = hosted_find;
        f.read_resource = hosted_read;
        f.iter_modules = hosted_modules;
        CHECK_OK(ik_runtime_add_finder(rt, &f, 0, &id, &err));
        CHECK_OK(ik_runtime_read_resource(rt, "hosted", "any.txt", &res, &err));
        CHECK(ik_resource_data(res, &len) != NULL && len == 4 && memcmp(ik_resource_data(res, NULL), "DATA", 4) == 0);
        ik_resource_free(res);
        CHECK_OK(ik_runtime_iter_modules(rt, "hosted", &list, &err));
        CHECK_INT(ik_name_list_count(list), 1);
        CHECK_STR(ik_name_list_get(list, 0, NULL), "leaf");
        CHECK_INT(ik_name_list_is_package(list, 0), 1);
        ik_name_list_free(list);
        /* No resources callback: the finder lists none, which is no listing at all. */
        CHECK_ERR(ik_runtime_resources(rt, "hosted", &list, &err), IK_ERR_UNAVAILABLE);
        CHECK_OK(ik_runtime_remove_finder(rt, id, &err));
    }
}

static void bundles(ik_runtime *rt) {
    ik_error *err = NULL;
    ik_bundle_builder *b = NULL, *sentinel_b = (ik_bundle_builder *)&err;
    ik_resource *res = (ik_resource *)&err;
    ik_mount_file ok[1], bad[1];
    uint64_t id = 0;
    uint8_t digest[IK_SHA256_LEN];
    static const uint8_t junk[64] = {'I', 'K', 'B', 'U', 'N', 'D', 'L', 0, 9, 9};

    /* ik_bundle_builder_new, _free */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_new, NULL, NULL);
    CHECK_OK(ik_bundle_builder_new(NULL, &b, &err));
    ik_bundle_builder_free(NULL);
    /* ik_bundle_builder_set_compress */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_set_compress, NULL, true);
    /* ik_bundle_builder_add_tree */
    ok[0] = ck_file("m.py", "");
    bad[0] = ck_file("../m.py", "");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_tree, NULL, ok, 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_tree, b, NULL, 1);
    BAD(IK_ERR_INVALID_MOUNT, ik_bundle_builder_add_tree, b, bad, 1);
    bad[0] = ck_file("x.py", "");
    bad[0].path_len = SIZE_MAX;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_tree, b, bad, 1);
    bad[0] = ck_file("x.py", "");
    bad[0].data = NULL;
    bad[0].data_len = 5;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_tree, b, bad, 1);
    /* ik_bundle_builder_add_dir (no bad call reads a directory: each is refused before) */
    {
        static const char *const null_entry[] = {NULL};
        static const char *const empty[] = {""};
        static const char *const slashed[] = {"a/b"};
        const char *const bad_utf8[] = {BAD_UTF8};
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_dir, NULL, "/nonexistent-dir-of-importkit", NULL, 0);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_dir, b, NULL, NULL, 0);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_dir, b, long_path, NULL, 0);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_dir, b, BAD_UTF8, NULL, 0);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_dir, b, "/nonexistent-dir-of-importkit", NULL, 2);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_dir, b, "/nonexistent-dir-of-importkit", null_entry, 1);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_dir, b, "/nonexistent-dir-of-importkit", empty, 1);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_dir, b, "/nonexistent-dir-of-importkit", slashed, 1);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_dir, b, "/nonexistent-dir-of-importkit", bad_utf8, 1);
        BAD(IK_ERR_IO, ik_bundle_builder_add_dir, b, "/nonexistent-dir-of-importkit", NULL, 0);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_dir, b, "/dev/null", NULL, 0);
    }
    /* ik_bundle_builder_modules */
    {
        ik_name_list *list = (ik_name_list *)&err;
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_modules, NULL, IK_KIND_SOURCE, &list);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_modules, b, IK_KIND_SOURCE, NULL);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_modules, b, 99, &list);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_modules, b, UINT32_MAX, &list);
        CHECK(list == (ik_name_list *)&err);
        CHECK_OK(ik_bundle_builder_modules(b, IK_KIND_NATIVE, &list, &err));
        CHECK_INT(ik_name_list_count(list), 0);
        ik_name_list_free(list);
    }
    /* ik_bundle_builder_add_module */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_module, NULL, "a", "a.py", IK_KIND_SOURCE, false, NULL, 0);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_module, b, NULL, "a.py", IK_KIND_SOURCE, false, NULL, 0);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_module, b, "a", NULL, IK_KIND_SOURCE, false, NULL, 0);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_module, b, "a", "a.py", 99, false, NULL, 0);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_module, b, "a", "a.py", IK_KIND_SOURCE, false, NULL, 3);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_module, b, BAD_UTF8, "a.py", IK_KIND_SOURCE, false, NULL, 0);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_module, b, long_name, "a.py", IK_KIND_SOURCE, false, NULL, 0);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_module, b, "a", long_path, IK_KIND_SOURCE, false, NULL, 0);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_module, b, "a..b", "a.py", IK_KIND_SOURCE, false, NULL, 0);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_module, b, "a", "/abs.py", IK_KIND_SOURCE, false, NULL, 0);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_module, b, "a", "a.py", IK_KIND_NATIVE, false, NULL, 0);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_module, b, "a", "a", IK_KIND_NAMESPACE, false, NULL, 0);
    /* ik_bundle_builder_add_code */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_code, NULL, "m", "t", (const uint8_t *)"x", 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_code, b, NULL, "t", (const uint8_t *)"x", 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_code, b, "m", NULL, (const uint8_t *)"x", 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_code, b, "m", "", (const uint8_t *)"x", 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_code, b, "m", long_suffix, (const uint8_t *)"x", 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_code, b, "m", "t", NULL, 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_code, b, "absent", "t", (const uint8_t *)"x", 1);
    /* ik_bundle_builder_add_file */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_file, NULL, NULL, "f.txt", (const uint8_t *)"x", 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_file, b, NULL, NULL, (const uint8_t *)"x", 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_file, b, NULL, "f.txt", NULL, 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_file, b, NULL, "", (const uint8_t *)"x", 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_file, b, NULL, "a//b", (const uint8_t *)"x", 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_file, b, NULL, BAD_UTF8, (const uint8_t *)"x", 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_file, b, BAD_UTF8, "f.txt", (const uint8_t *)"x", 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_add_file, b, "nopkg", "f.txt", (const uint8_t *)"x", 1);
    /* ik_bundle_builder_build, _write */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_build, NULL, &res);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_build, b, NULL);
    CHECK(res == (ik_resource *)&err);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_write, NULL, "/tmp/x.ikb");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_write, b, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_builder_write, b, long_path);
    BAD(IK_ERR_IO, ik_bundle_builder_write, b, "/nonexistent-dir-of-importkit/x.ikb");
    BAD(IK_ERR_IO, ik_bundle_builder_write, b, "/");
    CHECK(sentinel_b == (ik_bundle_builder *)&err);
    ik_bundle_builder_free(b);

    /* ik_runtime_mount_bundle */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount_bundle, NULL, "m", "/tmp/x.ikb", 0, NULL, &id);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount_bundle, rt, NULL, "/tmp/x.ikb", 0, NULL, &id);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount_bundle, rt, "m", NULL, 0, NULL, &id);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount_bundle, rt, "m", long_path, 0, NULL, &id);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount_bundle, rt, "m", BAD_UTF8, 0, NULL, &id);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount_bundle, rt, "m", "/tmp/x.ikb", IK_MOUNT_BORROW, NULL, &id);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount_bundle, rt, "m", "/tmp/x.ikb", UINT32_MAX, NULL, &id);
    BAD(IK_ERR_INVALID_MOUNT, ik_runtime_mount_bundle, rt, "m", "/nonexistent-of-importkit.ikb", 0, NULL, &id);
    BAD(IK_ERR_INVALID_MOUNT, ik_runtime_mount_bundle, rt, "m", "/", 0, NULL, &id);
    BAD(IK_ERR_INVALID_MOUNT, ik_runtime_mount_bundle, rt, "m", "/dev/null", 0, NULL, &id);
    BAD(IK_ERR_INVALID_MOUNT, ik_runtime_mount_bundle, rt, "m", "/dev/null", IK_BUNDLE_READ, NULL, &id);
    CHECK_BAD_NAME(ik_runtime_mount_bundle(rt, BAD_UTF8, "/dev/null", 0, NULL, &id, &err));
    CHECK_BAD_NAME(ik_runtime_mount_bundle(rt, long_name, "/dev/null", 0, NULL, &id, &err));
    /* ik_runtime_mount_bundle_bytes: every refusal releases the userdata once */
    memset(digest, 0, sizeof digest);
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT,
                  ik_runtime_mount_bundle_bytes(NULL, "m", junk, sizeof junk, 0, NULL, count_release, NULL, &id, &err));
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT,
                  ik_runtime_mount_bundle_bytes(rt, NULL, junk, sizeof junk, 0, NULL, count_release, NULL, &id, &err));
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT,
                  ik_runtime_mount_bundle_bytes(rt, "m", NULL, 10, 0, NULL, count_release, NULL, &id, &err));
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT,
                  ik_runtime_mount_bundle_bytes(rt, "m", junk, sizeof junk, IK_BUNDLE_READ, NULL, count_release, NULL,
                                                &id, &err));
    BAD_RELEASING(IK_ERR_INVALID_MOUNT,
                  ik_runtime_mount_bundle_bytes(rt, "m", junk, sizeof junk, 0, NULL, count_release, NULL, &id, &err));
    BAD_RELEASING(IK_ERR_INVALID_MOUNT, ik_runtime_mount_bundle_bytes(rt, "m", junk, sizeof junk, IK_MOUNT_BORROW,
                                                                       digest, count_release, NULL, &id, &err));
    BAD_RELEASING(IK_ERR_INVALID_MOUNT,
                  ik_runtime_mount_bundle_bytes(rt, "m", junk, 0, IK_MOUNT_BORROW, NULL, count_release, NULL, &id, &err));
    CHECK_BAD_NAME(ik_runtime_mount_bundle_bytes(rt, "1m", junk, sizeof junk, 0, NULL, NULL, NULL, &id, &err));
    CHECK_BAD_NAME(ik_runtime_mount_bundle_bytes(rt, BAD_UTF8, junk, sizeof junk, 0, NULL, NULL, NULL, &id, &err));
    /* ik_runtime_mount_bundle_appended (a NULL path is the running program: it carries no bundle) */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount_bundle_appended, NULL, "m", NULL, 0, NULL, &id);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount_bundle_appended, rt, NULL, NULL, 0, NULL, &id);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount_bundle_appended, rt, "m", long_path, 0, NULL, &id);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount_bundle_appended, rt, "m", BAD_UTF8, 0, NULL, &id);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_mount_bundle_appended, rt, "m", NULL, IK_MOUNT_BORROW, NULL, &id);
    BAD(IK_ERR_INVALID_MOUNT, ik_runtime_mount_bundle_appended, rt, "m", NULL, 0, NULL, &id);
    BAD(IK_ERR_INVALID_MOUNT, ik_runtime_mount_bundle_appended, rt, "m", "/dev/null", 0, NULL, &id);
    BAD(IK_ERR_INVALID_MOUNT, ik_runtime_mount_bundle_appended, rt, "m", "/nonexistent-of-importkit", 0, NULL, &id);
    CHECK_BAD_NAME(ik_runtime_mount_bundle_appended(rt, "1m", NULL, 0, NULL, &id, &err));
    /* ik_bundle_verify */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_verify, NULL, digest);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_verify, long_path, digest);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_bundle_verify, BAD_UTF8, digest);
    BAD(IK_ERR_INVALID_MOUNT, ik_bundle_verify, "/nonexistent-of-importkit.ikb", digest);
    BAD(IK_ERR_INVALID_MOUNT, ik_bundle_verify, "/dev/null", NULL);
    {
        static const uint8_t zero[IK_SHA256_LEN];
        CHECK(memcmp(digest, zero, sizeof digest) == 0); /* nothing written on failure */
    }
}

static void profiles(void) {
    ik_error *err = NULL;
    ik_profile *p = NULL, *sentinel = (ik_profile *)&err;

    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_new, IK_PROFILE_PYTHON, NULL, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_new, 42, NULL, &sentinel);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_new, IK_PROFILE_EMPTY, BAD_UTF8, &sentinel);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_new, IK_PROFILE_LUA, long_path, &sentinel);
    CHECK(sentinel == (ik_profile *)&err);
    ik_profile_free(NULL);
    CHECK_OK(ik_profile_new(IK_PROFILE_EMPTY, NULL, &p, &err));
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_add_suffix, NULL, IK_KIND_SOURCE, ".x");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_add_suffix, p, IK_KIND_SOURCE, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_add_suffix, p, IK_KIND_SOURCE, BAD_UTF8);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_add_suffix, p, IK_KIND_SOURCE, long_suffix);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_add_suffix, p, IK_KIND_SOURCE, long_path);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_add_suffix, p, 17, ".x");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_clear_suffixes, NULL, IK_KIND_SOURCE);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_clear_suffixes, p, 17);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_set_init_stem, NULL, "init");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_set_init_stem, p, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_set_init_stem, p, BAD_UTF8);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_set_init_stem, p, long_suffix);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_set_cache_tag, NULL, "cpython-312");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_set_cache_tag, p, BAD_UTF8);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_set_cache_tag, p, long_suffix);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_set_cache_tag, p, "");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_set_cache_tag, p, "cpython/313");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_set_namespace_dirs, NULL, true);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_set_identifiers, NULL, IK_IDENT_LUA);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_profile_set_identifiers, p, 5);
    /* Still a usable profile. */
    CHECK_OK(ik_profile_add_suffix(p, IK_KIND_SOURCE, ".x", &err));
    ik_profile_free(p);
}

static int32_t noop_create(void *userdata, const ik_spec *spec, void **out_module, ik_report *report) {
    (void)userdata, (void)spec, (void)out_module, (void)report;
    return IK_ERR_EXEC;
}

static int32_t noop_exec(void *userdata, const ik_spec *spec, void *module, const uint8_t *source, size_t len,
                         ik_report *report) {
    (void)userdata, (void)spec, (void)module, (void)source, (void)len, (void)report;
    return IK_ERR_EXEC;
}

static int32_t noop_find(void *userdata, const char *name, size_t name_len, const char *const *path,
                         size_t path_count, ik_found *found, ik_report *report) {
    (void)userdata, (void)name, (void)name_len, (void)path, (void)path_count, (void)found, (void)report;
    return IK_OK;
}

static int32_t noop_compile(void *userdata, const ik_spec *spec, const uint8_t *source, size_t source_len,
                            ik_bytes *out, ik_report *report) {
    (void)userdata, (void)spec, (void)source, (void)source_len, (void)out, (void)report;
    return IK_OK;
}

static void runtimes_and_vtables(ik_runtime *rt) {
    ik_error *err = NULL;
    ik_runtime *sentinel = (ik_runtime *)&err;
    ik_executor ex;
    ik_native n;
    ik_finder f;
    uint64_t id = 99;

    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_new, NULL, NULL);
    CHECK(sentinel == (ik_runtime *)&err);
    ik_runtime_free(NULL);

    /* ik_runtime_set_executor: every refused vtable has its userdata released exactly once. */
    memset(&ex, 0, sizeof ex);
    ex.size = (uint32_t)sizeof ex;
    ex.create = noop_create;
    ex.exec = noop_exec;
    ex.release_userdata = count_release;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_executor, rt, NULL);
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_executor(NULL, &ex, &err));
    ex.size = (uint32_t)sizeof ex - 1;
    BAD_SIZE(ik_runtime_set_executor(rt, &ex, &err));
    ex.size = 0;
    BAD_SIZE(ik_runtime_set_executor(rt, &ex, &err));
    ex.size = (uint32_t)sizeof ex + 8;
    BAD_SIZE(ik_runtime_set_executor(rt, &ex, &err));
    ex.size = (uint32_t)sizeof ex;
    ex.create = NULL;
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_executor(rt, &ex, &err));
    ex.create = noop_create;
    ex.exec = NULL;
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_executor(rt, &ex, &err));
    releases = 0;
    ex.exec = noop_exec;
    ex.size = 3;
    CHECK_INT(ik_runtime_set_executor(rt, &ex, NULL), IK_ERR_INVALID_ARGUMENT);
    CHECK_INT(releases, 0);
    /* The code-cache fields: compile needs exec_code; the older layout (up to release_userdata) is
     * accepted, a size between the two is not. */
    ex.size = (uint32_t)sizeof ex;
    ex.compile = noop_compile;
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_executor(rt, &ex, &err));
    ex.size = (uint32_t)offsetof(ik_executor, compile) + 8;
    BAD_SIZE(ik_runtime_set_executor(rt, &ex, &err));
    ex.compile = NULL;

    /* ik_runtime_set_virtual_root */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_virtual_root, NULL, "/opt");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_virtual_root, rt, BAD_UTF8);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_virtual_root, rt, long_path);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_virtual_root, rt, "");

    /* ik_runtime_register_native */
    memset(&n, 0, sizeof n);
    n.size = (uint32_t)sizeof n;
    n.create = noop_create;
    n.release_userdata = count_release;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_register_native, rt, "nat", NULL);
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_register_native(NULL, "nat", &n, &err));
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_register_native(rt, NULL, &n, &err));
    BAD_RELEASING(IK_ERR_INVALID_NAME, ik_runtime_register_native(rt, "na..t", &n, &err));
    releases = 0;
    CHECK_BAD_NAME(ik_runtime_register_native(rt, BAD_UTF8, &n, &err));
    CHECK_BAD_NAME(ik_runtime_register_native(rt, long_name, &n, &err));
    CHECK_INT(releases, 2);
    n.size = (uint32_t)sizeof n + 4;
    BAD_SIZE(ik_runtime_register_native(rt, "nat", &n, &err));
    n.size = (uint32_t)sizeof n;
    n.flags = 4;
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_register_native(rt, "nat", &n, &err));
    n.flags = 0;
    n.create = NULL;
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_register_native(rt, "nat", &n, &err));
    /* ik_runtime_unregister_native */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_unregister_native, NULL, "nat");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_unregister_native, rt, NULL);
    CHECK_BAD_NAME(ik_runtime_unregister_native(rt, BAD_UTF8, &err));
    CHECK_BAD_NAME(ik_runtime_unregister_native(rt, long_name, &err));
    BAD(IK_ERR_UNAVAILABLE, ik_runtime_unregister_native, rt, "nat");

    /* ik_runtime_add_finder */
    memset(&f, 0, sizeof f);
    f.size = (uint32_t)sizeof f;
    f.name = "f";
    f.find = noop_find;
    f.release_userdata = count_release;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_add_finder, rt, NULL, 0, &id);
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_add_finder(NULL, &f, 0, &id, &err));
    f.size = (uint32_t)sizeof f - 8;
    BAD_SIZE(ik_runtime_add_finder(rt, &f, 0, &id, &err));
    f.size = (uint32_t)sizeof f;
    f.find = NULL;
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_add_finder(rt, &f, 0, &id, &err));
    f.find = noop_find;
    f.name = BAD_UTF8;
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_add_finder(rt, &f, 0, &id, &err));
    f.name = long_path;
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_add_finder(rt, &f, 0, &id, &err));
    CHECK_INT(id, 99);
    /* ik_runtime_remove_finder */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_remove_finder, NULL, 1);
    BAD(IK_ERR_UNAVAILABLE, ik_runtime_remove_finder, rt, 0);
    BAD(IK_ERR_UNAVAILABLE, ik_runtime_remove_finder, rt, UINT64_MAX);

    /* Policy */
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_allow, NULL, "game");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_allow, rt, NULL);
    BAD_NAME(ik_runtime_allow, rt, BAD_UTF8);
    BAD_NAME(ik_runtime_allow, rt, long_name);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_deny, NULL, "game");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_deny, rt, NULL);
    BAD_NAME(ik_runtime_deny, rt, BAD_UTF8);
    BAD_NAME(ik_runtime_deny, rt, long_name);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_clear_policy, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_invalidate, NULL);
}

static int32_t hook_never(void *userdata, const char *entry, size_t entry_len, ik_entry_finder *out, bool *claimed,
                          ik_report *report) {
    (void)userdata, (void)entry, (void)entry_len, (void)out, (void)claimed, (void)report;
    return IK_OK;
}

/* The code cache's settings and counters. */
static void code_cache(ik_runtime *rt) {
    ik_error *err = NULL;
    ik_code_cache_stats s;

    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_code_cache_dir, NULL, "/tmp");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_code_cache_dir, rt, BAD_UTF8);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_code_cache_dir, rt, long_path);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_code_cache_dir, rt, "");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_code_cache_dir, rt, "/nonexistent/ik-code-cache");
    CHECK_OK(ik_runtime_set_code_cache_dir(rt, NULL, &err));
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_code_cache_limit, NULL, 0);
    CHECK_OK(ik_runtime_set_code_cache_limit(rt, UINT64_MAX, &err));
    CHECK_OK(ik_runtime_set_code_cache_limit(rt, 32 * 1024 * 1024, &err));
    memset(&s, 0, sizeof s);
    s.size = (uint32_t)sizeof s;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_code_cache_stats, NULL, &s);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_code_cache_stats, rt, NULL);
    s.size = 0;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_code_cache_stats, rt, &s);
    s.size = (uint32_t)sizeof s - 8;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_code_cache_stats, rt, &s);
    s.size = (uint32_t)sizeof s + 8;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_code_cache_stats, rt, &s);
    CHECK_INT(s.compiles, 0);
    s.size = (uint32_t)sizeof s;
    CHECK_OK(ik_runtime_code_cache_stats(rt, &s, &err));
    CHECK_INT(s.limit, 32 * 1024 * 1024);
    /* ik_runtime_get_code: nothing written on failure */
    {
        const ik_spec *spec = (const ik_spec *)&err;
        ik_resource *bytes = (ik_resource *)&err;
        bool is_code = true;
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_get_code, NULL, "game", 4, 0, &spec, &bytes, &is_code);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_get_code, rt, NULL, 4, 0, &spec, &bytes, &is_code);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_get_code, rt, "game", 4, 4, &spec, &bytes, &is_code);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_get_code, rt, "game", 4, UINT32_MAX, &spec, &bytes, &is_code);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_get_code, rt, "game", 4, 0, NULL, &bytes, &is_code);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_get_code, rt, "game", 4, 0, &spec, NULL, &is_code);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_get_code, rt, "game", 4, 0, &spec, &bytes, NULL);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_get_code, rt, WITH_NUL, 5, 0, &spec, &bytes, &is_code);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_get_code, rt, BAD_UTF8, strlen(BAD_UTF8), 0, &spec, &bytes, &is_code);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_get_code, rt, long_name, IK_MAX_NAME_LEN + 1, 0, &spec, &bytes,
            &is_code);
        BAD_NAME(ik_runtime_get_code, rt, "a..b", 4, 0, &spec, &bytes, &is_code);
        BAD_NAME(ik_runtime_get_code, rt, "", 0, IK_CODE_WHOLE_NAME, &spec, &bytes, &is_code);
        BAD_NAME(ik_runtime_get_code, rt, ".game", 5, 0, &spec, &bytes, &is_code);
        BAD(IK_ERR_NOT_FOUND, ik_runtime_get_code, rt, "nowhere", 7, 0, &spec, &bytes, &is_code);
        BAD(IK_ERR_NOT_FOUND, ik_runtime_get_code, rt, "nowhere.x", 9, IK_CODE_WHOLE_NAME, &spec, &bytes, &is_code);
        CHECK(spec == (const ik_spec *)&err && bytes == (ik_resource *)&err && is_code);
        CHECK_OK(ik_runtime_get_code(rt, "game.util", 9, 0, &spec, &bytes, &is_code, &err));
        CHECK(!is_code && bytes != NULL);
        ik_resource_free(bytes);
        ik_spec_free(spec);
    }
}

/* The search path, path hooks, confinement, caches and namespace locations. */
static void search_path(ik_runtime *rt) {
    static const char *const NS[] = {"ns/x.py", ""};
    ik_error *err = NULL;
    ik_name_list *list = (ik_name_list *)&err;
    const char *entries[] = {"/nonexistent/a", NULL};
    const char *bad_entries[] = {BAD_UTF8};
    const char **huge;
    ik_path_hook h;
    uint64_t id = 77;
    void *m = NULL;
    size_t i;

    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_enable_filesystem, NULL, true);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_append, NULL, "/x");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_append, rt, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_append, rt, BAD_UTF8);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_append, rt, long_path);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_insert, NULL, 0, "/x");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_insert, rt, 0, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_insert, rt, 0, OVERLONG_UTF8);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_insert, rt, SIZE_MAX, long_path);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_remove, NULL, "/x");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_remove, rt, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_remove, rt, BAD_UTF8);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_remove, rt, long_path);
    BAD(IK_ERR_UNAVAILABLE, ik_runtime_path_remove, rt, "/never/added");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_set, NULL, entries, 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_set, rt, NULL, 1);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_set, rt, entries, 2);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_set, rt, bad_entries, 1);
    huge = malloc((IK_MAX_PATH_ENTRIES + 1) * sizeof *huge);
    for (i = 0; i < IK_MAX_PATH_ENTRIES + 1; i++) huge[i] = "/nonexistent/h";
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_set, rt, huge, IK_MAX_PATH_ENTRIES + 1);
    free(huge);
    {
        /* ik_runtime_path_find_spec: arguments are checked; with the filesystem off it is unavailable. */
        const ik_spec *spec = (const ik_spec *)&err;
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_find_spec, NULL, "x", NULL, 0, &spec);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_find_spec, rt, NULL, NULL, 0, &spec);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_find_spec, rt, "x", NULL, 0, NULL);
        BAD_NAME(ik_runtime_path_find_spec, rt, BAD_UTF8, NULL, 0, &spec);
        BAD_NAME(ik_runtime_path_find_spec, rt, long_name, NULL, 0, &spec);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_find_spec, rt, "x", entries, 2, &spec);
        BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_find_spec, rt, "x", bad_entries, 1, &spec);
        BAD(IK_ERR_UNAVAILABLE, ik_runtime_path_find_spec, rt, "x", entries, 1, &spec);
        CHECK(spec == (const ik_spec *)&err);
    }
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_list, NULL, &list);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_path_list, rt, NULL);
    CHECK(list == (ik_name_list *)&err);
    /* None of that touched the search path; valid calls do. */
    CHECK_OK(ik_runtime_path_list(rt, &list, &err));
    CHECK_INT(ik_name_list_count(list), 0);
    ik_name_list_free(list);
    CHECK_OK(ik_runtime_path_set(rt, entries, 1, &err));
    CHECK_OK(ik_runtime_path_insert(rt, 0, "/nonexistent/b", &err));
    CHECK_OK(ik_runtime_path_list(rt, &list, &err));
    CHECK_INT(ik_name_list_count(list), 2);
    CHECK_STR(ik_name_list_get(list, 0, NULL), "/nonexistent/b");
    ik_name_list_free(list);
    CHECK_OK(ik_runtime_path_set(rt, NULL, 0, &err));

    /* ik_runtime_add_path_hook: refused hooks give their userdata back once. */
    memset(&h, 0, sizeof h);
    h.size = (uint32_t)sizeof h;
    h.name = "h";
    h.hook = hook_never;
    h.release_userdata = count_release;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_add_path_hook, rt, NULL, 0, &id);
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_add_path_hook(NULL, &h, 0, &id, &err));
    h.size = 1;
    BAD_SIZE(ik_runtime_add_path_hook(rt, &h, 0, &id, &err));
    h.size = (uint32_t)sizeof h;
    h.hook = NULL;
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_add_path_hook(rt, &h, 0, &id, &err));
    h.hook = hook_never;
    h.name = BAD_UTF8;
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_add_path_hook(rt, &h, 0, &id, &err));
    h.name = long_path;
    BAD_RELEASING(IK_ERR_INVALID_ARGUMENT, ik_runtime_add_path_hook(rt, &h, 0, &id, &err));
    CHECK_INT(id, 77);
    h.name = "h";
    releases = 0;
    CHECK_OK(ik_runtime_add_path_hook(rt, &h, SIZE_MAX, &id, &err));
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_remove_path_hook, NULL, id);
    BAD(IK_ERR_UNAVAILABLE, ik_runtime_remove_path_hook, rt, id + 1000);
    CHECK_OK(ik_runtime_remove_path_hook(rt, id, &err));
    CHECK_INT(releases, 1);
    BAD(IK_ERR_UNAVAILABLE, ik_runtime_remove_path_hook, rt, id);

    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_set_recheck, NULL, 0);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_confine, NULL, "/");
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_confine, rt, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_confine, rt, BAD_UTF8);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_confine, rt, long_path);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_clear_confinement, NULL);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_drop_caches, NULL);

    /* ik_runtime_namespace_locations */
    MOUNT(rt, "", NS);
    CHECK_OK(ik_runtime_import(rt, "ns.x", NULL, &m, &err));
    list = (ik_name_list *)&err;
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_namespace_locations, NULL, "ns", &list);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_namespace_locations, rt, NULL, &list);
    BAD(IK_ERR_INVALID_ARGUMENT, ik_runtime_namespace_locations, rt, "ns", NULL);
    BAD_NAME(ik_runtime_namespace_locations, rt, BAD_UTF8, &list);
    BAD_NAME(ik_runtime_namespace_locations, rt, long_name, &list);
    BAD(IK_ERR_NOT_FOUND, ik_runtime_namespace_locations, rt, "not_there", &list);
    BAD(IK_ERR_IMPORT, ik_runtime_namespace_locations, rt, "ns.x", &list);
    CHECK(list == (ik_name_list *)&err);
    CHECK_OK(ik_runtime_namespace_locations(rt, "ns", &list, &err));
    CHECK_INT(ik_name_list_count(list), 1);
    CHECK_STR(ik_name_list_get(list, 0, NULL), "memory:/ns");
    ik_name_list_free(list);
    CHECK_OK(ik_runtime_remove_module(rt, "ns.x", &err));
    CHECK_OK(ik_runtime_remove_module(rt, "ns", &err));
    CHECK_OK(ik_runtime_unmount(rt, "", &err));
}

static void spec_accessors(void) {
    size_t len = 3;
    CHECK_STR(ik_kind_name(IK_KIND_NAMESPACE + 1), "IK_UNKNOWN_KIND");
    CHECK_STR(ik_kind_name(UINT32_MAX), "IK_UNKNOWN_KIND");
    CHECK_STR(ik_kind_name(ik_spec_kind(NULL)), "IK_UNKNOWN_KIND");
    CHECK(ik_spec_name(NULL, &len) == NULL);
    CHECK(ik_spec_origin(NULL, &len) == NULL);
    CHECK(ik_spec_file(NULL, &len) == NULL);
    CHECK(ik_spec_cached(NULL, &len) == NULL);
    CHECK(ik_spec_host_data(NULL) == NULL);
    CHECK(ik_spec_parent(NULL, &len) == NULL);
    CHECK_INT(ik_spec_kind(NULL), UINT32_MAX);
    CHECK(!ik_spec_is_package(NULL));
    CHECK_INT(ik_spec_location_count(NULL), 0);
    CHECK(ik_spec_location(NULL, 0, &len) == NULL);
    CHECK_INT(ik_spec_ref_count(NULL), 0);
    CHECK(ik_spec_ref(NULL, 0, &len) == NULL);
    CHECK_INT(ik_spec_location_ref_count(NULL, 0), 0);
    CHECK(ik_spec_location_ref(NULL, 0, 0, &len) == NULL);
    ik_spec_free(NULL);
}

/* After all that, the runtime works as if nothing had happened. */
static void the_runtime_still_works(ik_runtime *rt, tx_executor *tx) {
    static const char *const WORK[] = {"__init__.py", "set v 1", "sub.py", "from . import other", "other.py", ""};
    ik_error *err = NULL;
    ik_name_list *list = NULL;
    void *m = NULL;
    const char *from[] = {"sub"};

    MOUNT(rt, "work", WORK);
    CHECK_OK(ik_runtime_import_from(rt, "work", NULL, 0, from, 1, &m, &err));
    CHECK_STR(tx_attr(tx, m, "v"), "1");
    CHECK_OK(ik_runtime_import(rt, "game.util", NULL, &m, &err));
    CHECK_OK(ik_runtime_list_modules(rt, &list, &err));
    CHECK_INT(ik_name_list_count(list), 6);
    CHECK_STR(ik_name_list_get(list, 0, NULL), "game");
    CHECK_STR(ik_name_list_get(list, 1, NULL), "game.util");
    CHECK_STR(ik_name_list_get(list, 2, NULL), "mine");
    CHECK_STR(ik_name_list_get(list, 3, NULL), "work");
    CHECK_STR(ik_name_list_get(list, 4, NULL), "work.other");
    CHECK_STR(ik_name_list_get(list, 5, NULL), "work.sub");
    ik_name_list_free(list);
}

int main(void) {
    static const char *const GAME[] = {"__init__.py", "", "util.py", ""};
    tx_executor *tx;
    ik_runtime *rt;
    ik_error *err = NULL;
    void *m = NULL;

    long_name = repeat('a', IK_MAX_NAME_LEN + 1, 'a');
    long_path = repeat('p', IK_MAX_PATH_LEN + 1, 'p');
    long_suffix = repeat('s', IK_MAX_SUFFIX_LEN + 1, '.');
    max_name = repeat('m', IK_MAX_NAME_LEN, 'm');

    version_and_status_names();
    error_accessors();
    spec_accessors();
    profiles();

    rt = fx_runtime(NULL, &tx);
    MOUNT(rt, "game", GAME);
    CHECK_OK(ik_runtime_import(rt, "game", NULL, &m, &err));
    imports(rt);
    finding_and_the_table(rt, tx);
    mounts(rt);
    resources(rt);
    bundles(rt);
    runtimes_and_vtables(rt);
    code_cache(rt);
    search_path(rt);
    callbacks_misused();
    the_runtime_still_works(rt, tx);
    fx_free(rt, tx);

    free(long_name);
    free(long_path);
    free(long_suffix);
    free(max_name);
    return ck_finish("test_bad_args");
}
