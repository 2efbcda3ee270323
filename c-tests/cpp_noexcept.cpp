// cpp_noexcept.cpp: importkit.hpp in code built with -fno-exceptions: only the non-throwing forms exist
// (Result<T>, Report), and every handle is still released exactly once.

#include "importkit.hpp"

#include <cstdio>
#include <map>
#include <string>

#if IMPORTKIT_EXCEPTIONS
#error "this file is built with -fno-exceptions"
#endif

namespace {
int failures = 0;
#define EXPECT(x) ((x) ? (void)0 : (void)(std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #x), ++failures))

int creates = 0, releases = 0;

class Exec : public importkit::Executor {
  public:
    void *create(importkit::SpecView spec, importkit::Report &) override {
        ++creates;
        return new std::string(spec.name());
    }
    void exec(importkit::SpecView, void *, std::string_view source, bool, importkit::Report &report) override {
        if (source == "fail") report.fail("refused without exceptions", 1, 1);
    }
    void release(void *module) noexcept override {
        ++releases;
        delete static_cast<std::string *>(module);
    }
};
} // namespace

int main() {
    Exec ex;
    {
        auto made = importkit::Runtime::try_make();
        EXPECT(made.ok());
        importkit::Runtime rt = std::move(made).value();
        EXPECT(rt.try_set_executor(ex).ok());
        std::map<std::string, std::string> tree = {{"__init__.py", ""}, {"bad.py", "fail"}};
        EXPECT(rt.try_mount("app", tree).ok());
        auto app = rt.try_import("app");
        EXPECT(app.ok() && *static_cast<std::string *>(app.value()) == "app");
        auto bad = rt.try_import("app.bad");
        EXPECT(bad.status() == IK_ERR_EXEC && bad.error().line() == 1);
        EXPECT(bad.error().message() == "executing module 'app.bad' failed: refused without exceptions (line 1, column 1)");
        auto spec = rt.try_find_spec("app");
        EXPECT(spec.ok() && spec.value().is_package());
    }
    EXPECT(creates == 2 && releases == 2);
    std::printf(failures ? "cpp_noexcept: FAILED\n" : "cpp_noexcept: ok\n");
    return failures ? 1 : 0;
}
