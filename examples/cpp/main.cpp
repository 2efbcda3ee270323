// A small C++ game host on importkit.hpp: an executor for a toy script language (one statement per line:
// `import NAME`, `say TEXT`, `set KEY VALUE`, `fail TEXT`), the game's scripts mounted from memory with
// relative imports, a native module made by a lambda, a policy, and importkit's errors as exceptions.
//
// Built against an installed importkit with CMake (see CMakeLists.txt):
//   cmake -S examples/cpp -B build -DCMAKE_PREFIX_PATH=/opt/importkit && cmake --build build && build/game_host
#include <importkit.hpp>

#include <cstdio>
#include <map>
#include <memory>
#include <string>

namespace {

struct Object {
    std::string name;
    std::map<std::string, std::string> attrs;
};

class ToyScripts : public importkit::Executor {
  public:
    explicit ToyScripts(const importkit::Runtime &rt) : rt_(rt) {}

    void *create(importkit::SpecView spec, importkit::Report &) override {
        return new Object{std::string(spec.name()), {}};
    }

    void exec(importkit::SpecView spec, void *module, std::string_view code, bool, importkit::Report &report) override {
        auto *self = static_cast<Object *>(module);
        uint32_t line = 0;
        for (size_t at = 0; at <= code.size();) {
            size_t end = code.find('\n', at);
            if (end == std::string_view::npos) end = code.size();
            std::string_view stmt = code.substr(at, end - at);
            at = end + 1;
            ++line;
            if (stmt.rfind("import ", 0) == 0) {
                // Relative names resolve against the module's package; a failure passes through as it is.
                rt_.import(stmt.substr(7), spec.parent());
            } else if (stmt.rfind("say ", 0) == 0) {
                std::printf("  [%s] %.*s\n", self->name.c_str(), static_cast<int>(stmt.size() - 4), stmt.data() + 4);
            } else if (stmt.rfind("set ", 0) == 0) {
                std::string_view kv = stmt.substr(4);
                size_t sp = kv.find(' ');
                self->attrs[std::string(kv.substr(0, sp))] = sp == std::string_view::npos ? "" : std::string(kv.substr(sp + 1));
            } else if (stmt.rfind("fail ", 0) == 0) {
                report.fail(stmt.substr(5), line, 1);
                return;
            }
        }
    }

    void bind(void *parent, std::string_view name, void *child) override {
        static_cast<Object *>(parent)->attrs[std::string(name)] = "<module " + static_cast<Object *>(child)->name + ">";
    }

    void release(void *module) noexcept override { delete static_cast<Object *>(module); }

  private:
    const importkit::Runtime &rt_;
};

} // namespace

int main() {
    try {
        importkit::Runtime rt;
        rt.set_executor(std::make_shared<ToyScripts>(rt));
        rt.register_native("engine", [](importkit::SpecView spec, importkit::Report &) -> void * {
            return new Object{std::string(spec.name()), {{"version", "1.0"}}};
        });
        rt.mount("game", {
            {"__init__.py", "say booting\nimport .core"},
            {"core/__init__.py", "import engine\nimport .player\nsay core ready"},
            {"core/player.py", "import ..util\nset hp 100\nsay player spawned"},
            {"util.py", "say util loaded"},
            {"broken.py", "say about to fail\nfail the level file is corrupt"},
        });
        rt.deny("os"); // scripts may not import the host's os module, whoever provides one

        auto *player = static_cast<Object *>(rt.import("game.core.player"));
        std::printf("game.core.player: hp = %s\n", player->attrs["hp"].c_str());
        auto spec = rt.find_spec("game.core");
        std::printf("game.core comes from %.*s (package: %s)\n", static_cast<int>(spec.origin().size()),
                    spec.origin().data(), spec.is_package() ? "yes" : "no");

        for (const char *name : {"game.broken", "game.missing", "os"}) {
            try {
                rt.import(name);
            } catch (const importkit::Exception &e) {
                std::printf("import %s: %.*s: %s\n", name, static_cast<int>(e.status_name().size()),
                            e.status_name().data(), e.what());
            }
        }
        // The same without exceptions: every call has a try_ form.
        auto r = rt.try_import("game.util");
        std::printf("try_import game.util: %s\n", r.ok() ? "ok" : "failed");
    } catch (const importkit::Exception &e) {
        std::fprintf(stderr, "importkit: %s\n", e.what());
        return 1;
    }
    std::printf("importkit %s\n", ik_version());
    return 0;
}
