// header_cxx.cpp: importkit.h compiles as C++17 without a warning, links (extern "C"), and its vtables
// can be filled from C++ (callbacks with C linkage semantics, no exception crosses them).

#include "importkit.h"

#include <cstdio>
#include <cstring>
#include <type_traits>

static_assert(std::is_standard_layout<ik_executor>::value, "ik_executor is a plain C struct");
static_assert(std::is_standard_layout<ik_native>::value, "ik_native is a plain C struct");
static_assert(std::is_standard_layout<ik_finder>::value, "ik_finder is a plain C struct");
static_assert(std::is_standard_layout<ik_mount_file>::value, "ik_mount_file is a plain C struct");
static_assert(sizeof(ik_status) == sizeof(int), "ik_status is an int-sized enum");
static_assert(IK_OK == 0 && IK_ERR_INTERNAL == 12, "status values are fixed");

namespace {

int failures = 0;

void expect(bool ok, const char *what, int line) {
    if (!ok) {
        std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, line, what);
        ++failures;
    }
}
#define EXPECT(x) expect((x), #x, __LINE__)

struct Counts {
    int made = 0;
    int released = 0;
};

int32_t make(void *userdata, const ik_spec *spec, void **out_module, ik_report *) noexcept {
    auto *c = static_cast<Counts *>(userdata);
    ++c->made;
    *out_module = const_cast<char *>(ik_spec_name(spec, nullptr));  // any non-NULL word will do
    return IK_OK;
}

void release(void *userdata) noexcept { ++static_cast<Counts *>(userdata)->released; }

}  // namespace

int main() {
    EXPECT(std::strlen(ik_version()) >= 5);
    EXPECT(ik_version_number() == IK_VERSION_MAJOR * 10000u + IK_VERSION_MINOR * 100u + IK_VERSION_PATCH);

    ik_runtime *rt = nullptr;
    ik_error *err = nullptr;
    EXPECT(ik_runtime_new(nullptr, &rt, &err) == IK_OK);

    Counts counts;
    ik_native native{};
    native.size = sizeof native;
    native.userdata = &counts;
    native.create = make;
    native.release_userdata = release;
    EXPECT(ik_runtime_register_native(rt, "cxx", &native, &err) == IK_OK);
    void *m = nullptr;
    EXPECT(ik_runtime_import(rt, "cxx", nullptr, &m, &err) == IK_OK);
    EXPECT(m != nullptr && counts.made == 1);

    EXPECT(ik_runtime_import(rt, "missing", nullptr, &m, &err) == IK_ERR_NOT_FOUND);
    EXPECT(err != nullptr && std::strncmp(ik_error_message(err, nullptr), "No module named 'missing'", 25) == 0);
    ik_error_free(err);

    ik_runtime_free(rt);
    EXPECT(counts.released == 1);
    std::printf("header_cxx: %s\n", failures == 0 ? "ok" : "FAILED");
    return failures == 0 ? 0 : 1;
}
