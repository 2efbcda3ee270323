// cpp_mixed_noexc.cpp: the half of cpp_mixed built with -fno-exceptions (see cpp_mixed.cpp).
#include "importkit.hpp"

#include <map>
#include <string>

namespace {
class Quiet : public importkit::Executor {
  public:
    void *create(importkit::SpecView, importkit::Report &) override { return new int(1); }
    void exec(importkit::SpecView, void *, std::string_view, bool, importkit::Report &r) override { r.fail("quiet failure"); }
    void release(void *m) noexcept override { delete static_cast<int *>(m); }
};
} // namespace

/* The status an import gets from an executor whose exec fails through its report, built without exceptions. */
int noexcept_half() {
    Quiet ex;
    auto made = importkit::Runtime::try_make();
    if (!made.ok()) return -1;
    importkit::Runtime rt = std::move(made).value();
    if (!rt.try_set_executor(ex).ok()) return -2;
    std::map<std::string, std::string> files = {{"__init__.py", ""}};
    if (!rt.try_mount("q", files).ok()) return -3;
    return static_cast<int>(rt.try_import("q").status());
}
