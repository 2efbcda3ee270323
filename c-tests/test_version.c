/* test_version.c: ik_version, ik_version_number, the status values and ik_status_name, the kind values and
 * ik_kind_name. */

#include "check.h"

int main(void) {
    static const struct {
        int32_t status;
        const char *name;
    } statuses[] = {
        {IK_OK, "IK_OK"},
        {IK_ERR_INVALID_ARGUMENT, "IK_ERR_INVALID_ARGUMENT"},
        {IK_ERR_INVALID_NAME, "IK_ERR_INVALID_NAME"},
        {IK_ERR_NOT_FOUND, "IK_ERR_NOT_FOUND"},
        {IK_ERR_IMPORT, "IK_ERR_IMPORT"},
        {IK_ERR_DENIED, "IK_ERR_DENIED"},
        {IK_ERR_EXEC, "IK_ERR_EXEC"},
        {IK_ERR_HOST, "IK_ERR_HOST"},
        {IK_ERR_DEADLOCK, "IK_ERR_DEADLOCK"},
        {IK_ERR_EXISTS, "IK_ERR_EXISTS"},
        {IK_ERR_INVALID_MOUNT, "IK_ERR_INVALID_MOUNT"},
        {IK_ERR_UNAVAILABLE, "IK_ERR_UNAVAILABLE"},
        {IK_ERR_INTERNAL, "IK_ERR_INTERNAL"},
        {IK_ERR_IO, "IK_ERR_IO"},
    };
    static const struct {
        ik_kind kind;
        const char *name;
    } kinds[] = {
        {IK_KIND_SOURCE, "IK_KIND_SOURCE"},       {IK_KIND_BYTECODE, "IK_KIND_BYTECODE"},
        {IK_KIND_EXTENSION, "IK_KIND_EXTENSION"}, {IK_KIND_NATIVE, "IK_KIND_NATIVE"},
        {IK_KIND_NAMESPACE, "IK_KIND_NAMESPACE"},
    };
    char want[32];
    size_t i;

    snprintf(want, sizeof want, "%d.%d.%d", IK_VERSION_MAJOR, IK_VERSION_MINOR, IK_VERSION_PATCH);
    CHECK_STR(ik_version(), want);
    CHECK(ik_version() == ik_version()); /* static */
    CHECK_INT(ik_version_number(), IK_VERSION_MAJOR * 10000 + IK_VERSION_MINOR * 100 + IK_VERSION_PATCH);

    /* The values are part of the ABI: 0, then 1..13 in this order. */
    for (i = 0; i < CK_COUNT(statuses); i++) {
        CHECK_INT(statuses[i].status, (int32_t)i);
        CHECK_STR(ik_status_name(statuses[i].status), statuses[i].name);
    }
    CHECK_STR(ik_status_name(14), "IK_UNKNOWN_STATUS");
    CHECK_STR(ik_status_name(-1), "IK_UNKNOWN_STATUS");
    CHECK_STR(ik_status_name(INT32_MAX), "IK_UNKNOWN_STATUS");
    CHECK_STR(ik_status_name(INT32_MIN), "IK_UNKNOWN_STATUS");

    /* So are the kinds: 0..4 in this order. */
    for (i = 0; i < CK_COUNT(kinds); i++) {
        CHECK_INT(kinds[i].kind, i);
        CHECK_STR(ik_kind_name((uint32_t)kinds[i].kind), kinds[i].name);
    }
    CHECK_STR(ik_kind_name(5), "IK_UNKNOWN_KIND");
    CHECK_STR(ik_kind_name(UINT32_MAX), "IK_UNKNOWN_KIND");
    return ck_finish("test_version");
}
