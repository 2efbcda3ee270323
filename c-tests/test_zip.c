/* test_zip.c: zip archives on the search path through the C ABI: specs as zipimport writes them, modules
 * executed with their member's bytes, resources and listing from the archive, an archive that is not one
 * refused naming it, and a member whose bytes lie refused when it executes, naming the member. The archives
 * are written here (stored members, a small writer of the format). */

#define _XOPEN_SOURCE 700

#include <stdint.h>

#include "crc32.h"
#include "fsfix.h"

/* ----- a writer of stored zip archives ----- */

typedef struct {
    uint8_t bytes[16384];
    size_t len;
} zbuf;

static void put16(zbuf *b, uint32_t v) {
    b->bytes[b->len++] = (uint8_t)(v & 0xff);
    b->bytes[b->len++] = (uint8_t)((v >> 8) & 0xff);
}
static void put32(zbuf *b, uint32_t v) {
    put16(b, v & 0xffff);
    put16(b, v >> 16);
}
static void put(zbuf *b, const void *p, size_t n) {
    memcpy(b->bytes + b->len, p, n);
    b->len += n;
}

/* Writes `count` members (name, text pairs) stored; `lie_crc` gives member `lie_crc - 1` a wrong CRC. */
static int write_zip(const char *path, const char *const *pairs, size_t count, size_t lie_crc) {
    static zbuf z, cd;
    uint32_t offsets[32];
    size_t i;
    FILE *f;
    z.len = cd.len = 0;
    for (i = 0; i < count && i < 32; i++) {
        const char *name = pairs[2 * i], *text = pairs[2 * i + 1];
        size_t nlen = strlen(name), tlen = strlen(text);
        uint32_t crc = crc32_of((const uint8_t *)text, tlen) ^ (lie_crc == i + 1 ? 1u : 0u);
        offsets[i] = (uint32_t)z.len;
        put32(&z, 0x04034b50), put16(&z, 20), put16(&z, 0), put16(&z, 0), put16(&z, 0), put16(&z, 0x21);
        put32(&z, crc), put32(&z, (uint32_t)tlen), put32(&z, (uint32_t)tlen), put16(&z, (uint32_t)nlen), put16(&z, 0);
        put(&z, name, nlen), put(&z, text, tlen);
        put32(&cd, 0x02014b50), put16(&cd, 20), put16(&cd, 20), put16(&cd, 0), put16(&cd, 0), put16(&cd, 0);
        put16(&cd, 0x21), put32(&cd, crc), put32(&cd, (uint32_t)tlen), put32(&cd, (uint32_t)tlen);
        put16(&cd, (uint32_t)nlen), put16(&cd, 0), put16(&cd, 0), put16(&cd, 0), put16(&cd, 0), put32(&cd, 0);
        put32(&cd, offsets[i]), put(&cd, name, nlen);
    }
    {
        uint32_t cd_at = (uint32_t)z.len;
        put(&z, cd.bytes, cd.len);
        put32(&z, 0x06054b50), put16(&z, 0), put16(&z, 0), put16(&z, (uint32_t)count), put16(&z, (uint32_t)count);
        put32(&z, (uint32_t)cd.len), put32(&z, cd_at), put16(&z, 0);
    }
    f = fopen(path, "wb");
    if (f == NULL) return -1;
    if (fwrite(z.bytes, 1, z.len, f) != z.len) {
        fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

static const char *const APP[] = {
    "game/",           "",
    "game/__init__.py", "set where zip\n",
    "game/core.py",     "set speed 3\n",
    "game/data/one.txt", "ONE",
    "tool.py",          "",
};

static void modules_and_resources_come_from_the_archive(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    const ik_spec *spec = NULL;
    ik_resource *r = NULL;
    ik_name_list *list = NULL;
    void *m = NULL;
    char want[TD_MAX + 64];
    size_t len = 0;

    CHECK(write_zip(at("app.zip"), APP, CK_COUNT(APP) / 2, 0) == 0);
    CHECK_OK(ik_runtime_path_append(rt, at("app.zip"), &err));
    CHECK_OK(ik_runtime_find_spec(rt, "game.core", NULL, &spec, &err));
    snprintf(want, sizeof want, "%s/game/core.py", at("app.zip"));
    CHECK_STR(ik_spec_file(spec, NULL), want);
    CHECK(!ik_spec_is_package(spec));
    ik_spec_free(spec);
    CHECK_OK(ik_runtime_find_spec(rt, "game", NULL, &spec, &err));
    CHECK(ik_spec_is_package(spec));
    CHECK_INT(ik_spec_location_count(spec), 1);
    snprintf(want, sizeof want, "%s/game", at("app.zip"));
    CHECK_STR(ik_spec_location(spec, 0, NULL), want);
    ik_spec_free(spec);
    /* Executed with the member's bytes. */
    CHECK_OK(ik_runtime_import(rt, "game.core", NULL, &m, &err));
    CHECK_STR(tx_attr(tx, m, "speed"), "3");
    CHECK_INT(*fs_null_sources(), 0);
    /* Resources and listing. */
    CHECK_OK(ik_runtime_read_resource(rt, "game", "data/one.txt", &r, &err));
    CHECK(ik_resource_data(r, &len) != NULL && len == 3 && memcmp(ik_resource_data(r, NULL), "ONE", 3) == 0);
    ik_resource_free(r);
    CHECK_OK(ik_runtime_iter_modules(rt, "game", &list, &err));
    CHECK_INT(ik_name_list_count(list), 1);
    CHECK_STR(ik_name_list_get(list, 0, NULL), "core");
    ik_name_list_free(list);
    fx_free(rt, tx);
}

static void bad_archives_and_lying_members_are_refused(void) {
    tx_executor *tx;
    ik_runtime *rt = fs_runtime(NULL, &tx, true);
    ik_error *err = NULL;
    void *m = NULL;

    /* Not an archive: the search goes on past it, and the miss says why. */
    CHECK(td_write(ROOT, "fake.zip", "this is not a zip archive at all, only text") == 0);
    CHECK_OK(ik_runtime_path_append(rt, at("fake.zip"), &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "anything", NULL, &m, &err), IK_ERR_NOT_FOUND);
    CHECK_CONTAINS(ck_msg(err), "fake.zip");
    FREE_ERR();
    /* A member whose CRC lies: found (finding reads nothing), refused when it executes. */
    CHECK(write_zip(at("lies.zip"), APP, CK_COUNT(APP) / 2, 3) == 0);
    CHECK_OK(ik_runtime_path_insert(rt, 0, at("lies.zip"), &err));
    CHECK_ERR_KEEP(ik_runtime_import(rt, "game.core", NULL, &m, &err), IK_ERR_IMPORT);
    CHECK_CONTAINS(ck_msg(err), "game/core.py");
    CHECK_CONTAINS(ck_msg(err), "lies.zip");
    FREE_ERR();
    CHECK(ck_state(rt, "game.core") == -1);
    fx_free(rt, tx);
}

int main(void) {
    int removed;
    if (td_make(ROOT) != 0) return 2;
    modules_and_resources_come_from_the_archive();
    bad_archives_and_lying_members_are_refused();
    removed = td_remove(ROOT);
    CHECK(removed == 0);
    return ck_finish("test_zip");
}
