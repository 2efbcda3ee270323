/*
 * test_host_data.c: host data instead of side channels. A host finder attaches a pointer of its own to what
 * it found (ik_found_set_host_data); exec gets it back on the spec (ik_spec_host_data) and reads the
 * module's bytes from there, at exec time. A failing callback attaches a payload to its report
 * (ik_report_host_data); it comes back on the error (ik_error_host_data). Each pointer is released once,
 * when the last spec or error holding it goes.
 */

#include "check.h"

typedef struct {
    const char *text; /* the "bytes" the finder says where to find */
    int reads;        /* how often exec read them */
    int released;     /* how often the release ran */
} place;

typedef struct {
    place lib, broken;
    int finds;
    int exec_failures_released;
} host;

static host H;

static void release_place(void *p) { ((place *)p)->released++; }
static void release_failure(void *p) { (void)p; H.exec_failures_released++; }

static int32_t find(void *userdata, const char *name, size_t name_len, const char *const *path, size_t count,
                    ik_found *found, ik_report *report) {
    ik_error *err = NULL;
    (void)userdata, (void)name_len, (void)path, (void)count, (void)report;
    H.finds++;
    if (strcmp(name, "lib") == 0 || strcmp(name, "broken") == 0) {
        place *p = strcmp(name, "lib") == 0 ? &H.lib : &H.broken;
        CHECK_OK(ik_found_set(found, "", IK_KIND_SOURCE, false, &err));
        CHECK_OK(ik_found_set_host_data(found, p, release_place, &err));
    } else if (strcmp(name, "twice") == 0) {
        /* Setting it again releases the first pointer at once. */
        CHECK_OK(ik_found_set(found, "", IK_KIND_SOURCE, false, &err));
        CHECK_OK(ik_found_set_host_data(found, &H.broken, release_place, &err));
        CHECK_OK(ik_found_set_host_data(found, NULL, release_place, &err)); /* NULL: nothing to release */
    } else if (strcmp(name, "early") == 0) {
        /* Before ik_found_set the call fails, and the pointer is released at once. */
        CHECK_ERR(ik_found_set_host_data(found, &H.lib, release_place, &err), IK_ERR_INVALID_ARGUMENT);
    }
    return IK_OK;
}

static int32_t create(void *userdata, const ik_spec *spec, void **out_module, ik_report *report) {
    (void)userdata, (void)spec, (void)report;
    *out_module = malloc(1);
    return IK_OK;
}

static int32_t exec(void *userdata, const ik_spec *spec, void *module, const uint8_t *source, size_t len,
                    ik_report *report) {
    ik_error *err = NULL;
    place *p = ik_spec_host_data(spec);
    (void)userdata, (void)module, (void)len;
    CHECK(source == NULL); /* importkit holds no bytes: the host reads them from its place */
    if (p == NULL) return IK_OK;
    p->reads++;
    if (p == &H.broken) {
        CHECK_OK(ik_report_error(report, IK_ERR_EXEC, "cannot read it", 0, 0, &err));
        CHECK_OK(ik_report_host_data(report, &H, release_failure, &err));
        return IK_ERR_EXEC;
    }
    return IK_OK;
}

static void release_module(void *userdata, void *module) {
    (void)userdata;
    free(module);
}

int main(void) {
    ik_runtime *rt = NULL;
    ik_error *err = NULL;
    ik_executor ex;
    ik_finder f;
    void *m = NULL;
    const ik_spec *spec = NULL;

    memset(&H, 0, sizeof H);
    H.lib.text = "x = 1";
    CHECK_OK(ik_runtime_new(NULL, &rt, &err));
    memset(&ex, 0, sizeof ex);
    ex.size = sizeof ex;
    ex.create = create;
    ex.exec = exec;
    ex.release = release_module;
    CHECK_OK(ik_runtime_set_executor(rt, &ex, &err));
    memset(&f, 0, sizeof f);
    f.size = sizeof f;
    f.name = "places";
    f.find = find;
    CHECK_OK(ik_runtime_add_finder(rt, &f, 0, NULL, &err));

    /* Finding reads nothing; the pointer comes back on the spec the caller holds. */
    CHECK_OK(ik_runtime_find_spec(rt, "lib", NULL, &spec, &err));
    CHECK(ik_spec_host_data(spec) == &H.lib);
    CHECK_INT(H.lib.reads, 0);
    ik_spec_free(spec);
    CHECK_INT(H.lib.released, 1);

    /* Importing: exec reads from the place, once; the table's spec keeps the pointer alive. */
    CHECK_OK(ik_runtime_import(rt, "lib", NULL, &m, &err));
    CHECK_INT(H.lib.reads, 1);
    CHECK_INT(H.lib.released, 1);
    CHECK_OK(ik_runtime_module_spec(rt, "lib", &spec, &err));
    CHECK(ik_spec_host_data(spec) == &H.lib);
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_remove_module(rt, "lib", &err));
    CHECK_INT(H.lib.released, 2);

    /* A failing exec's payload comes back on the error, and is released with it. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "broken", NULL, &m, &err), IK_ERR_EXEC);
    CHECK(ik_error_host_data(err) == &H);
    CHECK_INT(H.exec_failures_released, 0);
    FREE_ERR();
    CHECK_INT(H.exec_failures_released, 1);
    CHECK_INT(H.broken.released, 1); /* the failed module's spec went with it */

    /* Set twice: the first goes at once (and NULL data is never released). Set before ik_found_set: refused
     * and released. */
    CHECK_OK(ik_runtime_find_spec(rt, "twice", NULL, &spec, &err));
    CHECK(ik_spec_host_data(spec) == NULL);
    ik_spec_free(spec);
    CHECK_INT(H.broken.released, 2);
    CHECK_ERR(ik_runtime_find_spec(rt, "early", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    CHECK_INT(H.lib.released, 3);

    /* Errors that carry no payload, and specs without data: NULL. */
    CHECK_ERR_KEEP(ik_runtime_import(rt, "absent", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK(ik_error_host_data(err) == NULL);
    FREE_ERR();
    CHECK(ik_spec_host_data(NULL) == NULL);
    CHECK(ik_error_host_data(NULL) == NULL);

    ik_runtime_free(rt);
    return ck_finish("test_host_data");
}
