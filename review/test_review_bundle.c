/* review/test_review_bundle.c: the review's C reproductions for bundles (see review/README.md).
 *
 * Build and run from the repository root, after `cargo build`:
 *   cc -std=c99 -Wall -Wextra -g -I include -I c-tests -pthread review/test_review_bundle.c c-tests/executor.c \
 *      -L target/debug -limportkit -Wl,-rpath,$PWD/target/debug -o /tmp/test_review_bundle && /tmp/test_review_bundle
 *
 * Each case is run in a child process with an alarm, so a hang is reported as one and the other cases run.
 * Passing cases are kept as coverage notes; failing ones are defects.
 */

#define _XOPEN_SOURCE 700

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

static const char *const TREE[] = {
    "__init__.py",      "set root yes\n",
    "core.py",          "set speed 3\n",
    "pkg/__init__.py",  "set where bundle\n",
    "pkg/data/one.txt", "ONE",
};

static int released;
static void count_release(void *userdata) {
    (void)userdata;
    released++;
}

static uint8_t *bundle_bytes(size_t *len) {
    ik_bundle_builder *b = NULL;
    ik_error *err = NULL;
    ik_resource *r = NULL;
    ik_mount_file files[CK_COUNT(TREE) / 2];
    uint8_t *copy;
    size_t i;
    for (i = 0; i < CK_COUNT(files); i++) files[i] = ck_file(TREE[2 * i], TREE[2 * i + 1]);
    CHECK_OK(ik_bundle_builder_new(NULL, &b, &err));
    CHECK_OK(ik_bundle_builder_add_tree(b, files, CK_COUNT(files), &err));
    CHECK_OK(ik_bundle_builder_build(b, &r, &err));
    *len = 0;
    copy = malloc(ik_resource_data(r, len) ? *len : 1);
    memcpy(copy, ik_resource_data(r, NULL), *len);
    ik_resource_free(r);
    ik_bundle_builder_free(b);
    return copy;
}

static char dir_template[] = "/tmp/ik-review-XXXXXX";
static const char *scratch(void) {
    static char *dir;
    if (!dir) dir = mkdtemp(dir_template);
    return dir;
}

/* Coverage: the runtime freed while a resource lent from a borrowed bundle lives; release comes once,
 * after the resource is freed, and the bytes stay readable until then. */
static void runtime_freed_before_a_lent_resource(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_resource *r = NULL;
    size_t len = 0, n = 0;
    uint8_t *bytes = bundle_bytes(&len);
    released = 0;
    CHECK_OK(ik_runtime_mount_bundle_bytes(rt, "lent", bytes, len, IK_MOUNT_BORROW, NULL, count_release, NULL, NULL,
                                           &err));
    CHECK_OK(ik_runtime_read_resource(rt, "lent.pkg", "data/one.txt", &r, &err));
    fx_free(rt, tx);
    CHECK_INT(released, 0);
    CHECK(ik_resource_data(r, &n) != NULL && n == 3 && memcmp(ik_resource_data(r, NULL), "ONE", 3) == 0);
    ik_resource_free(r);
    CHECK_INT(released, 1);
    free(bytes);
}

/* Coverage: a release that calls back into the same runtime (mounts again, imports) when the unmount drops
 * the last hold, and when a refused mount releases at once. */
static ik_runtime *RT;
static uint8_t *BYTES;
static size_t LEN;
static int reentry_status = -1;
static void reentering_release(void *userdata) {
    ik_error *err = NULL;
    void *m = NULL;
    (void)userdata;
    released++;
    reentry_status = ik_runtime_mount_bundle_bytes(RT, "again", BYTES, LEN, IK_MOUNT_REPLACE, NULL, NULL, NULL, NULL,
                                                   &err);
    ik_error_free(err);
    err = NULL;
    if (reentry_status == IK_OK) reentry_status = ik_runtime_import(RT, "again.core", NULL, &m, &err);
    ik_error_free(err);
}

static void a_release_that_reenters(void) {
    tx_executor *tx;
    ik_error *err = NULL;
    void *m = NULL;
    RT = fx_runtime(NULL, &tx);
    BYTES = bundle_bytes(&LEN);
    released = 0;
    CHECK_OK(ik_runtime_mount_bundle_bytes(RT, "lent", BYTES, LEN, IK_MOUNT_BORROW, NULL, reentering_release, NULL,
                                           NULL, &err));
    CHECK_OK(ik_runtime_import(RT, "lent.core", NULL, &m, &err));
    CHECK_OK(ik_runtime_unmount(RT, "lent", &err));
    CHECK_INT(released, 1);
    CHECK_INT(reentry_status, IK_OK);
    /* Refused (point taken): released before returning, outside the locks. */
    released = 0;
    reentry_status = -1;
    CHECK_ERR(ik_runtime_mount_bundle_bytes(RT, "again", BYTES, LEN, IK_MOUNT_BORROW, NULL, reentering_release, NULL,
                                            NULL, &err),
              IK_ERR_EXISTS);
    CHECK_INT(released, 1);
    CHECK_INT(reentry_status, IK_OK);
    fx_free(RT, tx);
    free(BYTES);
}

/* DEFECT: ik_runtime_mount_bundle (and ik_runtime_mount_bundle_appended, ik_bundle_verify, and the CLI's
 * `bundle list|verify|extract|append`) on a FIFO blocks forever: FileBytes::open (src/bundle/map.rs) calls
 * File::open(path) without O_NONBLOCK and only then checks that it is a regular file. The rest of importkit
 * opens files non-blocking precisely so that a FIFO in a file's place never hangs (open.rs, code_file.rs).
 * Should: IK_ERR_INVALID_MOUNT "is not a regular file", at once. */
static void a_fifo_named_as_a_bundle_does_not_hang(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    char fifo[256];
    snprintf(fifo, sizeof fifo, "%s/fifo.ikb", scratch());
    unlink(fifo);
    CHECK(mkfifo(fifo, 0600) == 0);
    CHECK_ERR(ik_runtime_mount_bundle(rt, "f", fifo, 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    CHECK_ERR(ik_runtime_mount_bundle_appended(rt, "f", fifo, 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    CHECK(ik_bundle_verify(fifo, NULL, &err) != IK_OK);
    ik_error_free(err);
    unlink(fifo);
    fx_free(rt, tx);
}

static void write_file(const char *path, const uint8_t *bytes, size_t len) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(bytes, 1, len, f) == len);
    fclose(f);
}

static uint32_t crc32_ieee(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    size_t i;
    int k;
    for (i = 0; i < n; i++) {
        c ^= p[i];
        for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void trailer(uint8_t out[32], uint64_t offset, uint64_t len) {
    uint32_t version = 1, crc;
    int i;
    memcpy(out, "IKBTRAIL", 8);
    for (i = 0; i < 8; i++) out[8 + i] = (uint8_t)(offset >> (8 * i));
    for (i = 0; i < 8; i++) out[16 + i] = (uint8_t)(len >> (8 * i));
    for (i = 0; i < 4; i++) out[24 + i] = (uint8_t)(version >> (8 * i));
    crc = crc32_ieee(out, 28);
    for (i = 0; i < 4; i++) out[28 + i] = (uint8_t)(crc >> (8 * i));
}

/* Coverage: weird files for ik_runtime_mount_bundle_appended. */
static void appended_on_weird_files(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    char path[256];
    uint8_t t[32];
    size_t len = 0;
    uint8_t *bytes = bundle_bytes(&len), *joined;
    /* exactly 32 bytes: a trailer that says "a bundle of 0 bytes at 0" */
    snprintf(path, sizeof path, "%s/just-a-trailer", scratch());
    trailer(t, 0, 0);
    write_file(path, t, 32);
    CHECK_ERR(ik_runtime_mount_bundle_appended(rt, "a", path, 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    /* a bundle at offset 0 followed by its trailer: mounts */
    joined = malloc(len + 32);
    memcpy(joined, bytes, len);
    trailer(joined + len, 0, len);
    snprintf(path, sizeof path, "%s/bundle-and-trailer", scratch());
    write_file(path, joined, len + 32);
    CHECK_OK(ik_runtime_mount_bundle_appended(rt, "b", path, 0, NULL, NULL, &err));
    CHECK_OK(ik_runtime_mount_bundle_appended(rt, "c", path, IK_BUNDLE_READ, NULL, NULL, &err));
    /* the trailer claims more than the file: refused */
    trailer(joined + len, 0, len + 1);
    write_file(path, joined, len + 32);
    CHECK_ERR(ik_runtime_mount_bundle_appended(rt, "d", path, 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    /* the running program (a PIE without a bundle), /proc files of length 0, a directory */
    CHECK_ERR(ik_runtime_mount_bundle_appended(rt, "e", NULL, 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    CHECK_ERR(ik_runtime_mount_bundle_appended(rt, "e", "/proc/self/exe", 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    CHECK_ERR(ik_runtime_mount_bundle_appended(rt, "e", "/proc/self/maps", 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    CHECK_ERR(ik_runtime_mount_bundle_appended(rt, "e", "/tmp", 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    CHECK_ERR(ik_runtime_mount_bundle(rt, "e", "/proc/self/maps", IK_BUNDLE_READ, NULL, NULL, &err),
              IK_ERR_INVALID_MOUNT);
    /* unknown flags, a borrowed flag on a file call */
    CHECK_ERR(ik_runtime_mount_bundle(rt, "e", path, IK_MOUNT_BORROW, NULL, NULL, &err), IK_ERR_INVALID_ARGUMENT);
    free(joined);
    free(bytes);
    fx_free(rt, tx);
}

typedef void (*case_fn)(void);

static int run_case(const char *name, case_fn fn, unsigned seconds) {
    pid_t pid = fork();
    int status = 0;
    if (pid == 0) {
        alarm(seconds);
        fn();
        exit(ck_finish(name));
    }
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
        printf("FAIL %s: killed by signal %d%s\n", name, WTERMSIG(status),
               WTERMSIG(status) == SIGALRM ? " (a hang: the alarm rang)" : "");
        return 1;
    }
    return WEXITSTATUS(status) != 0;
}

int main(void) {
    int failed = 0;
    failed += run_case("runtime_freed_before_a_lent_resource", runtime_freed_before_a_lent_resource, 20);
    failed += run_case("a_release_that_reenters", a_release_that_reenters, 20);
    failed += run_case("appended_on_weird_files", appended_on_weird_files, 20);
    failed += run_case("a_fifo_named_as_a_bundle_does_not_hang", a_fifo_named_as_a_bundle_does_not_hang, 5);
    printf("review: %d case(s) failed\n", failed);
    return failed != 0;
}
