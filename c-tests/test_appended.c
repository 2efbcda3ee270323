/* test_appended.c: a program that ships as one file. It builds a bundle, appends it to a copy of its own
 * executable as docs/BUNDLE.md specifies the trailer (written here byte by byte, not by importkit), and runs
 * the copy, which mounts the bundle appended to itself (ik_runtime_mount_bundle_appended with a NULL path)
 * and imports from it. A program with no bundle, a damaged trailer and a trailer that lies are refused,
 * naming the file. */

#define _XOPEN_SOURCE 700

#include <stdint.h>
#include <sys/wait.h>

#include "crc32.h"
#include "fsfix.h"

static const char *const APP[] = {
    "__init__.py", "set where appended\n",
    "hello.py",    "set greeting hi\n",
};

static void le64(uint8_t *p, uint64_t v) {
    int i;
    for (i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void le32(uint8_t *p, uint32_t v) {
    int i;
    for (i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* The whole of a file into a malloc'd buffer. */
static uint8_t *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0, got;
    if (f == NULL) return NULL;
    do {
        if (n == cap) {
            cap = cap ? 2 * cap : 1 << 20;
            buf = realloc(buf, cap);
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return buf;
}

/* Writes `exe`, zero padding to a multiple of 8, `bundle` and its trailer to `path` (mode 0755); `lie`
 * makes the trailer's offset point one byte off (with its CRC made right), `damage` flips a bit of its CRC. */
static int write_appended(const char *path, const uint8_t *exe, size_t exe_len, const uint8_t *bundle, size_t len,
                          int lie, int damage) {
    static const uint8_t zeros[8];
    uint8_t trailer[32];
    size_t offset = (exe_len + 7) / 8 * 8;
    FILE *f = fopen(path, "wb");
    int ok;
    if (f == NULL) return -1;
    memcpy(trailer, "IKBTRAIL", 8);
    le64(trailer + 8, (uint64_t)offset + (lie ? 1 : 0));
    le64(trailer + 16, (uint64_t)len);
    le32(trailer + 24, 1);
    le32(trailer + 28, crc32_of(trailer, 28) ^ (damage ? 1u : 0u));
    ok = fwrite(exe, 1, exe_len, f) == exe_len && fwrite(zeros, 1, offset - exe_len, f) == offset - exe_len &&
         fwrite(bundle, 1, len, f) == len && fwrite(trailer, 1, 32, f) == 32;
    if (fclose(f) != 0 || !ok) return -1;
    return chmod(path, 0755);
}

/* The copy's side: import from the bundle appended to the running executable. */
static int child(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;
    const ik_spec *spec = NULL;
    CHECK_OK(ik_runtime_mount_bundle_appended(rt, "app", NULL, 0, NULL, NULL, &err));
    CHECK_OK(ik_runtime_import(rt, "app.hello", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "greeting"), "hi");
    CHECK_OK(ik_runtime_find_spec(rt, "app", NULL, &spec, &err));
    CHECK_STR(ik_spec_origin(spec, NULL), "bundle:/app/__init__.py");
    ik_spec_free(spec);
    fx_free(rt, tx);
    return ck_finish("test_appended (the copy, importing from itself)");
}

int main(int argc, char **argv) {
    tx_executor *tx;
    ik_runtime *rt;
    ik_error *err = NULL;
    ik_bundle_builder *b = NULL;
    ik_resource *bundle = NULL;
    ik_mount_file files[CK_COUNT(APP) / 2];
    uint8_t *exe;
    const uint8_t *bytes;
    size_t exe_len = 0, len = 0, i;
    void *m = NULL;
    int status = -1, removed;
    pid_t pid;

    if (argc > 1 && strcmp(argv[1], "--from-myself") == 0) return child();
    if (td_make(ROOT) != 0) return 2;
    rt = fx_runtime(NULL, &tx);

    /* This program carries no bundle. */
    CHECK_ERR_KEEP(ik_runtime_mount_bundle_appended(rt, "app", NULL, 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    CHECK_CONTAINS(ck_msg(err), "no bundle is appended to");
    FREE_ERR();

    for (i = 0; i < CK_COUNT(files); i++) files[i] = ck_file(APP[2 * i], APP[2 * i + 1]);
    CHECK_OK(ik_bundle_builder_new(NULL, &b, &err));
    CHECK_OK(ik_bundle_builder_add_tree(b, files, CK_COUNT(files), &err));
    CHECK_OK(ik_bundle_builder_build(b, &bundle, &err));
    ik_bundle_builder_free(b);
    bytes = ik_resource_data(bundle, &len);
    exe = slurp("/proc/self/exe", &exe_len);
    CHECK(exe != NULL && exe_len > 0);
    if (exe == NULL) return ck_finish("test_appended");

    /* A copy of this program with the bundle appended imports from itself. */
    CHECK(write_appended(at("shipped"), exe, exe_len, bytes, len, 0, 0) == 0);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        execl(at("shipped"), at("shipped"), "--from-myself", (char *)NULL);
        _exit(127);
    }
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* The same file mounted by its path, from here; then read whole. */
    CHECK_OK(ik_runtime_mount_bundle_appended(rt, "app", at("shipped"), 0, NULL, NULL, &err));
    CHECK_OK(ik_runtime_import(rt, "app", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "where"), "appended");
    CHECK_OK(ik_runtime_mount_bundle_appended(rt, "app", at("shipped"), IK_BUNDLE_READ | IK_MOUNT_REPLACE, NULL, NULL,
                                              &err));

    /* Trailers that are damaged or lie: refused, naming the file. */
    CHECK(write_appended(at("damaged"), exe, exe_len, bytes, len, 0, 1) == 0);
    CHECK_ERR_KEEP(ik_runtime_mount_bundle_appended(rt, "other", at("damaged"), 0, NULL, NULL, &err),
                   IK_ERR_INVALID_MOUNT);
    CHECK_CONTAINS(ck_msg(err), "damaged");
    CHECK_CONTAINS(ck_msg(err), "CRC");
    FREE_ERR();
    CHECK(write_appended(at("lying"), exe, exe_len, bytes, len, 1, 0) == 0);
    CHECK_ERR_KEEP(ik_runtime_mount_bundle_appended(rt, "other", at("lying"), 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    CHECK_CONTAINS(ck_msg(err), "lying");
    FREE_ERR();
    /* Bad arguments. */
    CHECK_ERR(ik_runtime_mount_bundle_appended(NULL, "app", NULL, 0, NULL, NULL, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_runtime_mount_bundle_appended(rt, NULL, NULL, 0, NULL, NULL, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_runtime_mount_bundle_appended(rt, "app", NULL, IK_MOUNT_BORROW, NULL, NULL, &err),
              IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_runtime_mount_bundle_appended(rt, "app", at("absent"), 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);

    free(exe);
    ik_resource_free(bundle);
    fx_free(rt, tx);
    removed = td_remove(ROOT);
    CHECK(removed == 0);
    return ck_finish("test_appended");
}
