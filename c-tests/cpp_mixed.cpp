// cpp_mixed.cpp: one program of two translation units, this one with exceptions and cpp_mixed_noexc.cpp
// without. The wrapper's callback adapters differ between the two (one catches, one cannot); they live in
// different inline namespaces, so each unit keeps its own and a throwing exec here is still caught.
#include "importkit.hpp"

#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

int noexcept_half();

namespace {
class Throwing : public importkit::Executor {
  public:
    void *create(importkit::SpecView, importkit::Report &) override { return new int(2); }
    void exec(importkit::SpecView, void *, std::string_view, bool, importkit::Report &) override {
        throw std::runtime_error("thrown in the exceptions half");
    }
    void release(void *m) noexcept override { delete static_cast<int *>(m); }
};
} // namespace

int main() {
    int failures = 0;
    {
        importkit::Runtime rt;
        rt.set_executor(std::make_shared<Throwing>());
        rt.mount("t", std::map<std::string, std::string>{{"__init__.py", ""}});
        auto r = rt.try_import("t");
        if (r.status() != IK_ERR_EXEC || std::string(r.error().message()).find("thrown in the exceptions half") == std::string::npos) {
            std::fprintf(stderr, "exceptions half: got %d\n", static_cast<int>(r.status()));
            failures++;
        }
    }
    if (noexcept_half() != IK_ERR_EXEC) {
        std::fprintf(stderr, "noexcept half failed\n");
        failures++;
    }
    std::printf(failures ? "cpp_mixed: FAILED\n" : "cpp_mixed: ok\n");
    return failures ? 1 : 0;
}
