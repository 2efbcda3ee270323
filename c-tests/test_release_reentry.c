/*
 * test_release_reentry.c: releases that call back into the runtime, and payloads on passed-on errors.
 *
 * docs/ABI.md: a mount's `release` "is called exactly once ... or before returning if the call fails", and
 * host releases "may call into importkit (no lock of importkit's is held)". A borrowed mount refused because
 * its point is taken must release its bytes outside importkit's locks, so a release that asks the runtime
 * something returns. A callback's payload (ik_report_host_data) comes back on the error it fails with, also
 * when it passes on a nested import's error (ik_report_pass).
 */

#define _POSIX_C_SOURCE 200809L
#include <unistd.h>

#include "check.h"

static ik_runtime *RT;
static int mount_released, mount_release_status = -1;

static void release_mount(void *userdata) {
    const ik_spec *spec = NULL;
    (void)userdata;
    /* Anything that reads the meta path: here a lookup. */
    mount_release_status = ik_runtime_find_spec(RT, "g", NULL, &spec, NULL);
    ik_spec_free(spec);
    mount_released++;
}

static int payload, payload_released;
static void release_payload(void *p) {
    (void)p;
    payload_released++;
}

static int32_t create(void *userdata, const ik_spec *spec, void **out_module, ik_report *report) {
    (void)userdata, (void)spec, (void)report;
    *out_module = malloc(1);
    return IK_OK;
}

/* `outer` imports a missing module, passes that error on and attaches its own payload to the failure. */
static int32_t exec(void *userdata, const ik_spec *spec, void *module, const uint8_t *source, size_t len,
                    ik_report *report) {
    ik_error *inner = NULL, *err = NULL;
    void *m = NULL;
    int32_t status;
    (void)userdata, (void)module, (void)source, (void)len;
    if (strcmp(ik_spec_name(spec, NULL), "outer") != 0) return IK_OK;
    status = ik_runtime_import(RT, "missing_inner", NULL, &m, &inner);
    CHECK_INT(status, IK_ERR_NOT_FOUND);
    CHECK_OK(ik_report_pass(report, inner, &err));
    CHECK_OK(ik_report_host_data(report, &payload, release_payload, &err));
    ik_error_free(inner);
    return status;
}

static void release_module(void *userdata, void *module) {
    (void)userdata;
    free(module);
}

static void a_refused_borrowed_mount_releases_outside_the_locks(void) {
    ik_error *err = NULL;
    ik_mount_file files[1];
    files[0] = ck_file("__init__.py", "");
    CHECK_OK(ik_runtime_mount(RT, "g", files, 1, 0, NULL, NULL, NULL, &err));
    /* The point is taken: refused, and the borrowed bytes are released before the call returns. */
    alarm(20); /* a release run under the meta path's lock never returns */
    CHECK_ERR(ik_runtime_mount(RT, "g", files, 1, IK_MOUNT_BORROW, release_mount, NULL, NULL, &err), IK_ERR_EXISTS);
    alarm(0);
    CHECK_INT(mount_released, 1);
    CHECK_INT(mount_release_status, IK_OK);
}

static void a_payload_comes_back_on_a_passed_on_error(void) {
    ik_error *err = NULL;
    void *m = NULL;
    ik_executor ex;
    memset(&ex, 0, sizeof ex);
    ex.size = sizeof ex;
    ex.create = create;
    ex.exec = exec;
    ex.release = release_module;
    CHECK_OK(ik_runtime_set_executor(RT, &ex, &err));
    {
        const char *tree[] = {"outer.py", "import missing_inner"};
        MOUNT(RT, "", tree);
    }
    CHECK_ERR_KEEP(ik_runtime_import(RT, "outer", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK(ik_error_host_data(err) == &payload);
    CHECK_INT(payload_released, 0);
    FREE_ERR();
    CHECK_INT(payload_released, 1);
}

int main(void) {
    ik_error *err = NULL;
    CHECK_OK(ik_runtime_new(NULL, &RT, &err));
    a_refused_borrowed_mount_releases_outside_the_locks();
    a_payload_comes_back_on_a_passed_on_error();
    ik_runtime_free(RT);
    return ck_finish("test_release_reentry");
}
