/* test_bundle.c: bundles through the C ABI: built with the builder (a tree, modules, code, resources),
 * written atomically and verified with its digest; mounted from the file (mapped, read whole, pinned to
 * its digest or refused for another), from bytes copied or borrowed (released once, after the last
 * resource lent from it), and put on the search path as a zip archive is; a corrupt bundle refused naming
 * it, a blob that fails its checksum never executed; a directory added as the CLI reads one. */

#define _XOPEN_SOURCE 700

#include <stdint.h>

#include "fsfix.h"

static const char *const TREE[] = {
    "__init__.py",        "set root yes\n",
    "core.py",            "set speed 3\n",
    "pkg/__init__.py",    "set where bundle\n",
    "pkg/mod.py",         "set m 1\n",
    "pkg/data/one.txt",   "ONE",
    "ns/part.py",         "set part yes\n",
};

static int released;
static void count_release(void *userdata) {
    (void)userdata;
    released++;
}

/* A builder holding TREE, a module added by hand with code for a tag, and a resource of `pkg`. */
static ik_bundle_builder *built(void) {
    ik_bundle_builder *b = NULL;
    ik_error *err = NULL;
    ik_mount_file files[CK_COUNT(TREE) / 2];
    size_t i;
    for (i = 0; i < CK_COUNT(files); i++) files[i] = ck_file(TREE[2 * i], TREE[2 * i + 1]);
    CHECK_OK(ik_bundle_builder_new(NULL, &b, &err));
    CHECK_OK(ik_bundle_builder_add_tree(b, files, CK_COUNT(files), &err));
    CHECK_OK(ik_bundle_builder_add_module(b, "extra", "extra.py", IK_KIND_SOURCE, false,
                                          (const uint8_t *)"set extra yes\n", 14, &err));
    CHECK_OK(ik_bundle_builder_add_code(b, "extra", "cpython-311", (const uint8_t *)"\x01\x02", 2, &err));
    CHECK_OK(ik_bundle_builder_add_file(b, "pkg", "data/two.txt", (const uint8_t *)"TWO", 3, &err));
    return b;
}

/* The bundle's bytes, copied into a malloc'd buffer (freed by the caller). */
static uint8_t *bundle_bytes(size_t *len) {
    ik_bundle_builder *b = built();
    ik_error *err = NULL;
    ik_resource *r = NULL;
    uint8_t *copy;
    CHECK_OK(ik_bundle_builder_build(b, &r, &err));
    *len = 0;
    copy = malloc(ik_resource_data(r, len) ? *len : 1);
    memcpy(copy, ik_resource_data(r, NULL), *len);
    ik_resource_free(r);
    ik_bundle_builder_free(b);
    return copy;
}

static void building_is_deterministic_and_written_atomically(void) {
    ik_bundle_builder *b = built();
    ik_error *err = NULL;
    ik_resource *one = NULL, *two = NULL;
    size_t n1 = 0, n2 = 0;
    uint8_t digest[IK_SHA256_LEN], zero[IK_SHA256_LEN];
    FILE *f;
    long size;

    CHECK_OK(ik_bundle_builder_build(b, &one, &err));
    CHECK_OK(ik_bundle_builder_set_compress(b, false, &err));
    CHECK_OK(ik_bundle_builder_build(b, &two, &err));
    CHECK(ik_resource_data(one, &n1) != NULL && ik_resource_data(two, &n2) != NULL);
    CHECK(n1 == n2 && memcmp(ik_resource_data(one, NULL), ik_resource_data(two, NULL), n1) == 0);
    CHECK(memcmp(ik_resource_data(one, NULL), "IKBUNDL", 8) == 0);
    ik_resource_free(one);
    ik_resource_free(two);

    CHECK_OK(ik_bundle_builder_write(b, at("app.ikb"), &err));
    f = fopen(at("app.ikb"), "rb");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 0, SEEK_END);
        size = ftell(f);
        fclose(f);
        CHECK_INT(size, n1);
    }
    memset(digest, 0, sizeof digest);
    memset(zero, 0, sizeof zero);
    CHECK_OK(ik_bundle_verify(at("app.ikb"), digest, &err));
    CHECK(memcmp(digest, zero, sizeof digest) != 0);
    CHECK_OK(ik_bundle_verify(at("app.ikb"), NULL, &err));
    /* Writing where no file can be: an I/O error naming the file, and nothing left behind. */
    CHECK_ERR_KEEP(ik_bundle_builder_write(b, at("no/such/dir/app.ikb"), &err), IK_ERR_IO);
    CHECK_CONTAINS(ck_msg(err), "no/such/dir/app.ikb");
    FREE_ERR();
    /* A builder refuses what no bundle can hold, naming it. */
    CHECK_ERR_KEEP(ik_bundle_builder_add_code(b, "missing", "tag", (const uint8_t *)"x", 1, &err),
                   IK_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(ck_msg(err), "'missing'");
    FREE_ERR();
    CHECK_ERR(ik_bundle_builder_add_module(b, "extra", "extra.py", IK_KIND_SOURCE, false, NULL, 0, &err),
              IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_bundle_builder_add_module(b, "n", "n.py", IK_KIND_NATIVE, false, NULL, 0, &err),
              IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_bundle_builder_add_file(b, NULL, "core.py", (const uint8_t *)"other", 5, &err),
              IK_ERR_INVALID_ARGUMENT);
    CHECK_ERR(ik_bundle_builder_add_file(b, "core", "x.txt", (const uint8_t *)"x", 1, &err),
              IK_ERR_INVALID_ARGUMENT);
    CHECK_OK(ik_bundle_builder_add_module(b, "ghost", "ghost.py", IK_KIND_SOURCE, false, NULL, 0, &err));
    CHECK_ERR_KEEP(ik_bundle_builder_build(b, &one, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(ck_msg(err), "'ghost'");
    FREE_ERR();
    ik_bundle_builder_free(b);
}

static void mounted_from_the_file_mapped_read_or_pinned(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;
    const ik_spec *spec = NULL;
    ik_resource *r = NULL;
    uint8_t digest[IK_SHA256_LEN];
    uint64_t id = 0;
    size_t len = 0;

    CHECK_OK(ik_bundle_verify(at("app.ikb"), digest, &err));
    CHECK_OK(ik_runtime_mount_bundle(rt, "game", at("app.ikb"), 0, digest, &id, &err));
    CHECK(id != 0);
    CHECK_OK(ik_runtime_import(rt, "game.core", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "speed"), "3");
    CHECK_OK(ik_runtime_import(rt, "game.extra", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "extra"), "yes");
    CHECK_OK(ik_runtime_find_spec(rt, "game.pkg.mod", NULL, &spec, &err));
    CHECK_STR(ik_spec_origin(spec, NULL), "bundle:/game/pkg/mod.py");
    CHECK(ik_spec_file(spec, NULL) == NULL);
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_find_spec(rt, "game.ns", NULL, &spec, &err));
    CHECK_INT(ik_spec_kind(spec), IK_KIND_NAMESPACE);
    ik_spec_free(spec);
    /* A resource lent from the mapping outlives the unmount. */
    CHECK_OK(ik_runtime_read_resource(rt, "game.pkg", "data/two.txt", &r, &err));
    CHECK_OK(ik_runtime_unmount(rt, "game", &err));
    CHECK(ik_resource_data(r, &len) != NULL && len == 3 && memcmp(ik_resource_data(r, NULL), "TWO", 3) == 0);
    ik_resource_free(r);

    /* Read whole; replacing a mount. */
    CHECK_OK(ik_runtime_mount_bundle(rt, "game", at("app.ikb"), IK_BUNDLE_READ, NULL, NULL, &err));
    CHECK_ERR(ik_runtime_mount_bundle(rt, "game", at("app.ikb"), 0, NULL, NULL, &err), IK_ERR_EXISTS);
    CHECK_OK(ik_runtime_mount_bundle(rt, "game", at("app.ikb"), IK_MOUNT_REPLACE, NULL, NULL, &err));
    CHECK_OK(ik_runtime_find_spec(rt, "game.pkg", NULL, &spec, &err));
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_unmount(rt, "game", &err));

    /* Another digest: refused, naming the file and both digests. */
    digest[0] ^= 1;
    CHECK_ERR_KEEP(ik_runtime_mount_bundle(rt, "game", at("app.ikb"), 0, digest, NULL, &err), IK_ERR_INVALID_MOUNT);
    CHECK_CONTAINS(ck_msg(err), "app.ikb");
    CHECK_CONTAINS(ck_msg(err), "SHA-256");
    FREE_ERR();
    /* Not there, not a bundle, empty. */
    CHECK_ERR_KEEP(ik_runtime_mount_bundle(rt, "game", at("absent.ikb"), 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    CHECK_CONTAINS(ck_msg(err), "absent.ikb");
    FREE_ERR();
    CHECK(td_write(ROOT, "text.ikb", "this is text, not a bundle, whatever its name says") == 0);
    CHECK_ERR_KEEP(ik_runtime_mount_bundle(rt, "game", at("text.ikb"), 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    CHECK_CONTAINS(ck_msg(err), "text.ikb");
    FREE_ERR();
    CHECK(td_write(ROOT, "empty.ikb", "") == 0);
    CHECK_ERR(ik_runtime_mount_bundle(rt, "game", at("empty.ikb"), IK_BUNDLE_READ, NULL, NULL, &err),
              IK_ERR_INVALID_MOUNT);
    CHECK_ERR(ik_bundle_verify(at("text.ikb"), NULL, &err), IK_ERR_INVALID_MOUNT);
    /* A FIFO in a bundle's place is refused at once, never waited on. */
    CHECK(mkfifo(at("fifo.ikb"), 0600) == 0);
    CHECK_ERR_KEEP(ik_runtime_mount_bundle(rt, "game", at("fifo.ikb"), 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    CHECK_CONTAINS(ck_msg(err), "not a regular file");
    FREE_ERR();
    CHECK_ERR(ik_bundle_verify(at("fifo.ikb"), NULL, &err), IK_ERR_INVALID_MOUNT);
    CHECK_ERR(ik_runtime_mount_bundle_appended(rt, "game", at("fifo.ikb"), 0, NULL, NULL, &err), IK_ERR_INVALID_MOUNT);
    fx_free(rt, tx);
}

static void mounted_from_bytes_copied_or_borrowed(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    void *m = NULL;
    ik_resource *r = NULL;
    size_t len = 0;
    uint8_t *bytes = bundle_bytes(&len);
    size_t n = 0;

    /* Copied: released at once; the caller's buffer may change. */
    released = 0;
    CHECK_OK(ik_runtime_mount_bundle_bytes(rt, "copied", bytes, len, 0, NULL, count_release, NULL, NULL, &err));
    CHECK_INT(released, 1);
    /* Borrowed: released once, after the unmount and the last resource lent from it. */
    released = 0;
    CHECK_OK(ik_runtime_mount_bundle_bytes(rt, "lent", bytes, len, IK_MOUNT_BORROW, NULL, count_release, NULL, NULL,
                                           &err));
    CHECK_OK(ik_runtime_import(rt, "lent.pkg.mod", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "m"), "1");
    CHECK_OK(ik_runtime_read_resource(rt, "lent.pkg", "data/one.txt", &r, &err));
    CHECK(ik_resource_data(r, &n) >= bytes && ik_resource_data(r, NULL) < bytes + len); /* lent in place */
    CHECK_OK(ik_runtime_unmount(rt, "lent", &err));
    CHECK_INT(released, 0);
    CHECK(n == 3 && memcmp(ik_resource_data(r, NULL), "ONE", 3) == 0);
    ik_resource_free(r);
    CHECK_INT(released, 1);
    memset(bytes, 0, len);
    CHECK_OK(ik_runtime_import(rt, "copied.core", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "speed"), "3");
    /* Refused: released before returning. */
    released = 0;
    CHECK_ERR(ik_runtime_mount_bundle_bytes(rt, "zeroed", bytes, len, IK_MOUNT_BORROW, NULL, count_release, NULL,
                                            NULL, &err),
              IK_ERR_INVALID_MOUNT);
    CHECK_INT(released, 1);
    free(bytes);
    fx_free(rt, tx);
}

static void on_the_search_path_and_corrupt(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    void *m = NULL;
    char want[TD_MAX + 64];
    size_t len = 0, i;
    uint8_t *bytes;
    FILE *f;

    CHECK_OK(ik_runtime_path_append(rt, at("app.ikb"), &err));
    CHECK_OK(ik_runtime_find_spec(rt, "pkg.mod", NULL, &spec, &err));
    snprintf(want, sizeof want, "%s/pkg/mod.py", at("app.ikb"));
    CHECK_STR(ik_spec_file(spec, NULL), want);
    snprintf(want, sizeof want, "bundle:%s/pkg/mod.py", at("app.ikb"));
    CHECK_STR(ik_spec_origin(spec, NULL), want);
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_import(rt, "pkg.mod", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "m"), "1");
    CHECK_INT(*fs_null_sources(), 0);

    /* A bundle whose module's bytes fail their checksum: found, refused when it executes, naming both. */
    bytes = bundle_bytes(&len);
    for (i = 0; i + 11 <= len; i++)
        if (memcmp(bytes + i, "set speed 3", 11) == 0) break;
    CHECK(i + 11 <= len);
    if (i + 11 <= len) bytes[i + 10] = '4';
    f = fopen(at("bad.ikb"), "wb");
    CHECK(f != NULL && fwrite(bytes, 1, len, f) == len);
    if (f) fclose(f);
    free(bytes);
    CHECK_ERR_KEEP(ik_bundle_verify(at("bad.ikb"), NULL, &err), IK_ERR_IMPORT);
    CHECK_CONTAINS(ck_msg(err), "CRC-32");
    FREE_ERR();
    CHECK_OK(ik_runtime_path_insert(rt, 0, at("bad.ikb"), &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "core", NULL, &m, &err), IK_ERR_IMPORT);
    CHECK_CONTAINS(ck_msg(err), "bad.ikb");
    CHECK_CONTAINS(ck_msg(err), "'core'");
    FREE_ERR();
    CHECK(ck_state(rt, "core") == -1);
    fx_free(rt, tx);
}

/* ik_bundle_builder_add_dir: a directory walked as `importkit bundle build` walks one (links inside followed,
 * excluded names left out), deterministic whatever the order the files were written in, refusals named. */
static void a_directory_is_added_as_the_cli_reads_it(void) {
    static const char *const EXCLUDES[] = {"*.tmp", "__pycache__"};
    static const char *const BAD_EXCLUDES[] = {"a/b"};
    tx_executor *tx;
    ik_runtime *rt;
    ik_bundle_builder *b = NULL, *b2 = NULL;
    ik_error *err = NULL;
    ik_resource *one = NULL, *two = NULL, *r = NULL;
    ik_name_list *list = NULL;
    const ik_spec *spec = NULL;
    void *m = NULL;
    size_t n1 = 0, n2 = 0, len = 0;

    CHECK(td_write(ROOT, "src/game/__init__.py", "set game yes\n") == 0);
    CHECK(td_write(ROOT, "src/game/core.py", "set speed 5\n") == 0);
    CHECK(td_write(ROOT, "src/game/data/level1.txt", "LEVEL") == 0);
    CHECK(td_write(ROOT, "src/game/scratch.tmp", "left out") == 0);
    CHECK(td_write(ROOT, "src/game/__pycache__/core.cpython-311.pyc", "left out") == 0);
    CHECK(td_symlink("core.py", ROOT, "src/game/alias.py") == 0);
    CHECK_OK(ik_bundle_builder_new(NULL, &b, &err));
    CHECK_OK(ik_bundle_builder_add_dir(b, at("src"), EXCLUDES, CK_COUNT(EXCLUDES), &err));
    CHECK_OK(ik_bundle_builder_build(b, &one, &err));
    /* Its source modules, sorted, with their package flags (what a host that compiles walks). */
    CHECK_OK(ik_bundle_builder_modules(b, IK_KIND_SOURCE, &list, &err));
    CHECK_INT(ik_name_list_count(list), 3);
    CHECK_STR(ik_name_list_get(list, 0, NULL), "game");
    CHECK_INT(ik_name_list_is_package(list, 0), 1);
    CHECK_STR(ik_name_list_get(list, 1, NULL), "game.alias");
    CHECK_STR(ik_name_list_get(list, 2, NULL), "game.core");
    CHECK_INT(ik_name_list_is_package(list, 2), 0);
    ik_name_list_free(list);
    CHECK_OK(ik_bundle_builder_modules(b, IK_KIND_EXTENSION, &list, &err));
    CHECK_INT(ik_name_list_count(list), 0);
    ik_name_list_free(list);
    /* The same tree again (another builder, every file written anew): the same bytes. */
    CHECK(td_write(ROOT, "src/game/core.py", "set speed 5\n") == 0);
    CHECK_OK(ik_bundle_builder_new(NULL, &b2, &err));
    CHECK_OK(ik_bundle_builder_add_dir(b2, at("src"), EXCLUDES, CK_COUNT(EXCLUDES), &err));
    CHECK_OK(ik_bundle_builder_build(b2, &two, &err));
    CHECK(ik_resource_data(one, &n1) != NULL && ik_resource_data(two, &n2) != NULL);
    CHECK(n1 == n2 && memcmp(ik_resource_data(one, NULL), ik_resource_data(two, NULL), n1) == 0);
    ik_bundle_builder_free(b2);

    rt = fx_runtime(NULL, &tx);
    CHECK_OK(ik_runtime_mount_bundle_bytes(rt, "", ik_resource_data(one, NULL), n1, 0, NULL, NULL, NULL, NULL, &err));
    CHECK_OK(ik_runtime_import(rt, "game.core", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "speed"), "5");
    CHECK_OK(ik_runtime_import(rt, "game.alias", NULL, &m, &err)); /* a link inside: its target's bytes */
    CHECK_STR(tx_attr(tx, m, "speed"), "5");
    CHECK_OK(ik_runtime_read_resource(rt, "game", "data/level1.txt", &r, &err));
    CHECK(ik_resource_data(r, &len) != NULL && len == 5 && memcmp(ik_resource_data(r, NULL), "LEVEL", 5) == 0);
    ik_resource_free(r);
    CHECK_ERR(ik_runtime_read_resource(rt, "game", "scratch.tmp", &r, &err), IK_ERR_NOT_FOUND);
    CHECK_ERR(ik_runtime_find_spec(rt, "game.__pycache__", NULL, &spec, &err), IK_ERR_NOT_FOUND);
    fx_free(rt, tx);
    ik_resource_free(one);
    ik_resource_free(two);

    /* Refused, naming what: a link out of the directory, a missing directory, a file, a bad pattern. */
    CHECK(td_symlink("/etc/hostname", ROOT, "src/game/outside.txt") == 0);
    CHECK_ERR_KEEP(ik_bundle_builder_add_dir(b, at("src"), NULL, 0, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(ck_msg(err), "game/outside.txt");
    CHECK_CONTAINS(ck_msg(err), "out of the source");
    FREE_ERR();
    CHECK(td_unlink(ROOT, "src/game/outside.txt") == 0);
    CHECK_ERR_KEEP(ik_bundle_builder_add_dir(b, at("nosuch"), NULL, 0, &err), IK_ERR_IO);
    CHECK_CONTAINS(ck_msg(err), "nosuch");
    FREE_ERR();
    CHECK_ERR_KEEP(ik_bundle_builder_add_dir(b, at("src/game/core.py"), NULL, 0, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(ck_msg(err), "not a directory");
    FREE_ERR();
    CHECK_ERR(ik_bundle_builder_add_dir(b, at("src"), BAD_EXCLUDES, 1, &err), IK_ERR_INVALID_ARGUMENT);
    /* A second directory that gives a file of the first with other bytes is refused, naming it. */
    CHECK(td_write(ROOT, "src2/game/core.py", "set speed 6\n") == 0);
    CHECK_ERR_KEEP(ik_bundle_builder_add_dir(b, at("src2"), NULL, 0, &err), IK_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(ck_msg(err), "game/core.py");
    FREE_ERR();
    ik_bundle_builder_free(b);
}

int main(void) {
    int removed;
    if (td_make(ROOT) != 0) return 2;
    building_is_deterministic_and_written_atomically();
    mounted_from_the_file_mapped_read_or_pinned();
    mounted_from_bytes_copied_or_borrowed();
    on_the_search_path_and_corrupt();
    a_directory_is_added_as_the_cli_reads_it();
    removed = td_remove(ROOT);
    CHECK(removed == 0);
    return ck_finish("test_bundle");
}
