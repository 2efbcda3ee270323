// cpp_wrapper.cpp: the C++ wrapper (importkit.hpp). Every handle released exactly once; moves; an
// exception thrown in a C++ exec arrives as importkit's error with its message, never unwinding through
// importkit; a nested import's exception passes through unchanged; natives and finders from lambdas; the
// non-throwing forms. Built with -std=c++17 -Wall -Wextra -Werror -pedantic, run under valgrind and ASan.

#include "importkit.hpp"

#include <atomic>
#include <cstdlib>
#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace {

int failures = 0;
int checks = 0;

void expect(bool ok, const char *what, int line) {
    ++checks;
    if (!ok) {
        std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, line, what);
        ++failures;
    }
}
#define EXPECT(x) expect((x), #x, __LINE__)

struct Module {
    std::string name;
    std::map<std::string, std::string> attrs;
};

/* A toy script language: `import NAME`, `set KEY VALUE`, `throw TEXT` (a C++ exception), `fail TEXT`
 * (through the report), `weird` (throws an int). */
class ToyExecutor : public importkit::Executor {
  public:
    struct Counts {
        std::atomic<int> creates{0};
        std::atomic<int> releases{0};
        std::atomic<int> destroyed{0};
    };
    ToyExecutor(importkit::Runtime *rt, Counts *counts) : rt_(rt), counts_(counts) {}
    ~ToyExecutor() override { ++counts_->destroyed; }

    void *create(importkit::SpecView spec, importkit::Report &) override {
        ++counts_->creates;
        return new Module{std::string(spec.name()), {}};
    }
    void exec(importkit::SpecView spec, void *module, std::string_view source, bool, importkit::Report &report) override {
        auto *m = static_cast<Module *>(module);
        size_t at = 0;
        uint32_t line = 0;
        while (at <= source.size()) {
            size_t end = source.find('\n', at);
            if (end == std::string_view::npos) end = source.size();
            std::string_view stmt = source.substr(at, end - at);
            at = end + 1;
            ++line;
            if (stmt.rfind("import ", 0) == 0) {
                rt_->import(stmt.substr(7), spec.parent()); // throws importkit::Exception on failure
            } else if (stmt.rfind("set ", 0) == 0) {
                std::string_view kv = stmt.substr(4);
                size_t sp = kv.find(' ');
                m->attrs[std::string(kv.substr(0, sp))] = sp == std::string_view::npos ? "" : std::string(kv.substr(sp + 1));
            } else if (stmt.rfind("throw ", 0) == 0) {
                throw std::runtime_error(std::string(stmt.substr(6)));
            } else if (stmt.rfind("fail ", 0) == 0) {
                report.fail(stmt.substr(5), line, 1);
                return;
            } else if (stmt == "weird") {
                throw 42;
            }
        }
    }
    void bind(void *parent, std::string_view name, void *child) override {
        static_cast<Module *>(parent)->attrs[std::string(name)] = "<module " + static_cast<Module *>(child)->name + ">";
    }
    bool has_attr(void *module, std::string_view name) override {
        return static_cast<Module *>(module)->attrs.count(std::string(name)) > 0;
    }
    void release(void *module) noexcept override {
        ++counts_->releases;
        delete static_cast<Module *>(module);
    }

  private:
    importkit::Runtime *rt_;
    Counts *counts_;
};

const std::map<std::string, std::string> GAME = {
    {"__init__.py", "import .core\nset title toy"},
    {"core/__init__.py", "import .player\nset core 1"},
    {"core/player.py", "import ..util\nset hp 10"},
    {"util.py", "set util 1"},
    {"bad.py", "set a 1\nthrow the script broke"},
    {"failing.py", "set a 1\nfail explicit failure"},
    {"weird.py", "weird"},
    {"nested.py", "import game.missing_one"},
};

void executor_and_exceptions() {
    ToyExecutor::Counts counts;
    {
        importkit::Runtime rt;
        auto ex = std::make_shared<ToyExecutor>(&rt, &counts);
        rt.set_executor(ex);
        rt.mount("game", GAME);
        auto *game = static_cast<Module *>(rt.import("game"));
        EXPECT(game->name == "game");
        EXPECT(game->attrs["title"] == "toy");
        EXPECT(game->attrs["core"] == "<module game.core>");
        auto *player = static_cast<Module *>(rt.import("game.core.player"));
        EXPECT(player->attrs["hp"] == "10");
        EXPECT(rt.contains("game.util"));

        // A C++ exception in exec: an importkit error with its message; the module leaves the table.
        try {
            rt.import("game.bad");
            EXPECT(!"game.bad imported");
        } catch (const importkit::Exception &e) {
            EXPECT(e.status() == IK_ERR_EXEC);
            EXPECT(std::string(e.what()) == "executing module 'game.bad' failed: the script broke");
            EXPECT(e.host_message() && *e.host_message() == "the script broke");
            EXPECT(e.module() && *e.module() == "game.bad");
        }
        EXPECT(!rt.contains("game.bad"));
        // A failure through the report keeps line and column.
        try {
            rt.import("game.failing");
            EXPECT(!"game.failing imported");
        } catch (const importkit::Exception &e) {
            EXPECT(e.line() == 2 && e.column() == 1);
            EXPECT(std::string(e.what()) == "executing module 'game.failing' failed: explicit failure (line 2, column 1)");
        }
        // Anything thrown is caught at the boundary.
        try {
            rt.import("game.weird");
        } catch (const importkit::Exception &e) {
            EXPECT(std::string(e.what()).find("unknown C++ exception") != std::string::npos);
        }
        // A nested import's exception passes through unchanged (status, message, attempts).
        try {
            rt.import("game.nested");
        } catch (const importkit::Exception &e) {
            EXPECT(e.status() == IK_ERR_NOT_FOUND);
            EXPECT(std::string(e.what()).rfind("No module named 'game.missing_one'", 0) == 0);
            EXPECT(!e.attempts().empty());
        }
        // The non-throwing forms.
        auto r = rt.try_import("game.missing");
        EXPECT(!r.ok() && r.status() == IK_ERR_NOT_FOUND);
        EXPECT(r.error().message().rfind("No module named 'game.missing'", 0) == 0);
        EXPECT(r.error().status_name() == "IK_ERR_NOT_FOUND");
        auto ok = rt.try_import("game.util");
        EXPECT(ok.ok() && static_cast<Module *>(ok.value())->attrs["util"] == "1");
        // from game import util, core
        auto *from = static_cast<Module *>(rt.import_from("game", "", 0, {"util", "core"}));
        EXPECT(from == game);
        // Relative, through a package.
        EXPECT(rt.import(".util", "game") == ok.value());
        // Every object not in the table was released: the four that failed.
        EXPECT(counts.creates - counts.releases == static_cast<int>(rt.module_names().size()));
        EXPECT(counts.releases == 4);
        ex.reset(); // the runtime still holds it
        EXPECT(counts.destroyed == 0);
        // Moves: the moved-from runtime frees nothing; the moved-to one everything, once.
        importkit::Runtime moved = std::move(rt);
        EXPECT(rt.get() == nullptr);
        EXPECT(moved.contains("game.core.player"));
        importkit::Runtime other;
        other = std::move(moved);
        EXPECT(other.contains("game"));
    }
    // The runtime is gone: every module released once, the executor destroyed once.
    EXPECT(counts.releases == counts.creates);
    EXPECT(counts.destroyed == 1);
}

void natives_finders_and_policy() {
    ToyExecutor::Counts counts;
    importkit::Runtime rt;
    auto ex = std::make_shared<ToyExecutor>(&rt, &counts);
    rt.set_executor(ex);
    int natives = 0;
    rt.register_native("clock", [&](importkit::SpecView spec, importkit::Report &) -> void * {
        ++natives;
        ++counts.creates;
        return new Module{std::string(spec.name()), {{"now", "0"}}};
    });
    rt.register_native("os", [&](importkit::SpecView, importkit::Report &r) -> void * {
        r.fail("never made", 0, 0, IK_ERR_HOST);
        return nullptr;
    }, IK_NATIVE_POWERFUL);
    auto *clock = static_cast<Module *>(rt.import("clock"));
    EXPECT(clock->attrs["now"] == "0" && natives == 1);
    try {
        rt.import("os");
    } catch (const importkit::Exception &e) {
        EXPECT(e.status() == IK_ERR_DENIED);
    }
    // A finder from a lambda, serving source from the host.
    std::set<std::string> asked;
    uint64_t id = rt.add_finder("assets", [&](std::string_view name, const std::vector<std::string_view> *path,
                                              importkit::Report &) -> std::optional<importkit::Found> {
        asked.insert(std::string(name));
        if (name != "level1" || path != nullptr) return std::nullopt;
        importkit::Found f;
        f.origin = "host:assets/level1.py";
        f.source = "set boss dragon";
        return f;
    });
    auto *level = static_cast<Module *>(rt.import("level1"));
    EXPECT(level->attrs["boss"] == "dragon");
    auto spec = rt.find_spec("level1");
    EXPECT(spec.origin() == "host:assets/level1.py");
    EXPECT(spec.kind() == importkit::Kind::Source && !spec.is_package());
    importkit::Spec moved = std::move(spec);
    EXPECT(moved.name() == "level1");
    auto missing = rt.try_find_spec("nothing_here");
    EXPECT(missing.status() == IK_ERR_NOT_FOUND && asked.count("nothing_here") == 1);
    rt.remove_finder(id);
    // A finder that throws is a host error naming the module.
    uint64_t broken_id = rt.add_finder("broken", [](std::string_view, const std::vector<std::string_view> *, importkit::Report &)
                                -> std::optional<importkit::Found> { throw std::logic_error("finder bug"); });
    auto broken = rt.try_import("anything");
    EXPECT(broken.status() == IK_ERR_HOST);
    EXPECT(std::string(broken.error().message()).find("finder bug") != std::string::npos);
    rt.remove_finder(broken_id);
    // Policy.
    rt.deny("level1");
    EXPECT(rt.try_find_spec("level1").status() == IK_ERR_DENIED);
    rt.clear_policy();
    // Mount modes and a range of pairs.
    std::vector<std::pair<std::string_view, std::string_view>> tree = {{"__init__.py", "set v 1"}};
    rt.mount("pkg", tree);
    EXPECT(rt.try_mount("pkg", tree).status() == IK_ERR_EXISTS);
    std::vector<std::pair<std::string, std::string>> tree2 = {{"__init__.py", "set v 2"}};
    rt.mount("pkg", tree2, importkit::MountMode::Replace);
    EXPECT(static_cast<Module *>(rt.import("pkg"))->attrs["v"] == "2");
    auto names = rt.module_names();
    EXPECT(names.size() == 3);
    // Reload: the new tree's code runs in the same object.
    void *before = rt.import("pkg");
    std::vector<std::pair<std::string, std::string>> tree3 = {{"__init__.py", "set v 3"}, {"data/a.txt", "AAA"}, {"m.py", ""}};
    rt.mount("pkg", tree3, importkit::MountMode::Replace);
    EXPECT(rt.reload("pkg") == before);
    EXPECT(static_cast<Module *>(before)->attrs["v"] == "3");
    EXPECT(rt.try_reload("never_imported").status() == IK_ERR_NOT_FOUND);
    // Resources and listing.
    importkit::Resource res = rt.read_resource("pkg", "data/a.txt");
    EXPECT(res.view() == "AAA" && res.size() == 3);
    EXPECT(rt.try_read_resource("pkg", "../x").status() == IK_ERR_INVALID_ARGUMENT);
    EXPECT(rt.try_read_resource("pkg", std::string_view("a\0b", 3)).status() == IK_ERR_INVALID_ARGUMENT);
    EXPECT(rt.resources("pkg") == (std::vector<std::string>{"__init__.py", "data", "m.py"}));
    auto listed = rt.iter_modules("pkg");
    EXPECT(listed.size() == 1 && listed[0].name == "m" && !listed[0].is_package);
    bool top = false;
    for (const auto &m : rt.iter_modules()) top |= m.name == "pkg" && m.is_package;
    EXPECT(top);
    rt.unmount("pkg");
    EXPECT(res.view() == "AAA"); /* the bytes outlive the mount */
    ex.reset();
}

static_assert(std::is_nothrow_copy_constructible<importkit::Exception>::value, "an exception copies without throwing");
static_assert(!std::is_convertible<importkit::Spec, importkit::SpecView>::value, "a Spec does not slice into a view");

void review_findings() {
    importkit::Runtime rt;
    // Embedded NULs are refused, never cut short.
    EXPECT(rt.try_find_spec(std::string_view("game\0evil", 9)).status() == IK_ERR_INVALID_ARGUMENT);
    EXPECT(rt.try_allow(std::string_view("game\0os", 7)).status() == IK_ERR_INVALID_ARGUMENT);
    EXPECT(rt.try_deny(std::string_view("os\0", 3)).error().message() == "name contains a NUL byte");
    std::map<std::string, std::string> one = {{"__init__.py", ""}};
    EXPECT(rt.try_mount(std::string_view("g2\0x", 4), one).status() == IK_ERR_INVALID_ARGUMENT);
    EXPECT(rt.module_names().empty());
    EXPECT(!rt.contains(std::string_view("a\0b", 3)));
    // A null executor and a moved-from profile are refused.
    EXPECT(rt.try_set_executor(std::shared_ptr<importkit::Executor>()).status() == IK_ERR_INVALID_ARGUMENT);
    importkit::Profile p = importkit::Profile::lua();
    importkit::Profile q = std::move(p);
    EXPECT(importkit::Runtime::try_make(&p).status() == IK_ERR_INVALID_ARGUMENT);
    EXPECT(importkit::Runtime::try_make(&q).ok());
    // value() of a failed Result throws the error.
    try {
        (void)rt.try_import("nothing").value();
        EXPECT(!"value() of a failure returned");
    } catch (const importkit::Exception &e) {
        EXPECT(e.status() == IK_ERR_NOT_FOUND);
    }
    // On an lvalue the Result still reads as the same failure afterwards.
    auto kept = rt.try_import("nothing_either");
    for (int round = 0; round < 2; round++) {
        try {
            (void)kept.value();
        } catch (const importkit::Exception &e) {
            EXPECT(e.status() == IK_ERR_NOT_FOUND);
            EXPECT(std::string(e.what()).rfind("No module named 'nothing_either'", 0) == 0);
        }
        EXPECT(!kept.ok() && kept.error().status() == IK_ERR_NOT_FOUND);
        EXPECT(kept.error().message().rfind("No module named 'nothing_either'", 0) == 0);
    }
    // Report::fail with IK_OK still fails; natives fail as host errors; bytes from a vector; braced try_mount.
    ToyExecutor::Counts counts;
    auto ex = std::make_shared<ToyExecutor>(&rt, &counts);
    rt.set_executor(ex);
    rt.register_native("nat_ok_status", [](importkit::SpecView, importkit::Report &r) -> void * {
        r.fail("refused", 0, 0, IK_OK);
        return nullptr;
    });
    rt.register_native("nat_throws", [](importkit::SpecView, importkit::Report &) -> void * {
        throw std::runtime_error("factory broke");
    });
    EXPECT(rt.try_import("nat_ok_status").status() == IK_ERR_HOST);
    auto thrown = rt.try_import("nat_throws");
    EXPECT(thrown.status() == IK_ERR_HOST);
    EXPECT(std::string(thrown.error().message()).find("factory broke") != std::string::npos);
    std::vector<std::pair<std::string, std::vector<uint8_t>>> bin = {{"__init__.py", {'s', 'e', 't', ' ', 'b', ' ', '1'}}};
    rt.mount("binpkg", bin);
    EXPECT(static_cast<Module *>(rt.import("binpkg"))->attrs["b"] == "1");
    EXPECT(rt.try_mount("braced", {{"__init__.py", "set c 1"}}).ok());
    // A Spec lends a view while it lives.
    auto spec = rt.find_spec("binpkg");
    importkit::SpecView v = spec.view();
    EXPECT(v.name() == "binpkg" && spec.is_package());
}

void errors_and_profiles_move() {
    importkit::Error e;
    EXPECT(!e && e.status() == IK_OK && e.message().empty());
    importkit::Runtime rt(importkit::Profile::lua());
    auto r = rt.try_find_spec("a..b");
    EXPECT(r.status() == IK_ERR_INVALID_NAME);
    importkit::Error taken = r.take_error();
    EXPECT(taken && taken.status() == IK_ERR_INVALID_NAME);
    importkit::Error again = std::move(taken);
    EXPECT(!taken && again);
    EXPECT(rt.try_import("x", std::string_view("p\0q", 3)).status() == IK_ERR_INVALID_ARGUMENT);
    auto p = importkit::Profile::try_make(99);
    EXPECT(p.status() == IK_ERR_INVALID_ARGUMENT);
}

void bundles() {
    importkit::BundleBuilder b;
    b.add_tree(importkit::Files{{"__init__.py", ""}, {"core.py", "set hp 10"}, {"data/a.txt", "A"}});
    b.add_module("extra", "extra.py", importkit::Kind::Source, false, "set extra yes");
    b.add_code("extra", "cpython-311", std::string("\x01\x00\x02", 3));
    b.add_file("data/b.txt", "B", "");
    importkit::Resource one = b.build(), two = b.build();
    EXPECT(one.size() > 232 && one.view() == two.view());
    char path[] = "/tmp/ik-cpp-bundle-XXXXXX";
    int fd = mkstemp(path);
    EXPECT(fd >= 0);
    if (fd >= 0) close(fd);
    b.write(path);
    importkit::Digest d = importkit::verify_bundle(path);
    importkit::Runtime rt;
    ToyExecutor::Counts counts;
    rt.set_executor(std::make_shared<ToyExecutor>(&rt, &counts));
    rt.mount_bundle("game", path, importkit::BundleLoad::Map, &d);
    EXPECT(rt.import("game.core") != nullptr);
    importkit::Spec core = rt.find_spec("game.core");
    EXPECT(core.origin() == "bundle:/game/core.py");
    EXPECT(rt.read_resource("game", "data/b.txt").view() == "B");
    rt.unmount("game");
    rt.mount_bundle_bytes("copied", one.view());
    importkit::Spec extra = rt.find_spec("copied.extra");
    EXPECT(extra.origin() == "bundle:/copied/extra.py");
    importkit::Digest wrong = d;
    wrong[0] ^= 1;
    auto refused = rt.try_mount_bundle("game", path, importkit::BundleLoad::Read, &wrong);
    EXPECT(refused.status() == IK_ERR_INVALID_MOUNT);
    EXPECT(refused.error().message().find("SHA-256") != std::string::npos);
    EXPECT(importkit::try_verify_bundle("/nonexistent.ikb").status() == IK_ERR_INVALID_MOUNT);
    EXPECT(b.try_add_code("absent", "t", "x").status() == IK_ERR_INVALID_ARGUMENT);
    EXPECT(b.try_add_file(std::string_view("a\0b", 3), "x").status() == IK_ERR_INVALID_ARGUMENT);
    EXPECT(b.try_write("/nonexistent-dir/x.ikb").status() == IK_ERR_IO);
    bool threw = false;
    try {
        rt.mount_bundle_bytes("bad", "not a bundle");
    } catch (const importkit::Exception &e) {
        threw = e.status() == IK_ERR_INVALID_MOUNT;
    }
    EXPECT(threw);
    importkit::BundleBuilder moved = std::move(b);
    EXPECT(moved.try_build().ok());
    unlink(path);
}

/* The code cache: an Executor subclass that compiles ("CODE\n" + source) and runs code; a LambdaExecutor with
 * on_code; a compile that throws fails the import naming the module; the counters and settings. */
class Compiling : public ToyExecutor {
  public:
    using ToyExecutor::ToyExecutor;
    bool accepts_code() const override { return true; }
    std::optional<std::string> compile(importkit::SpecView spec, std::string_view source, importkit::Report &) override {
        ++compiles;
        if (source.find("# broken") != std::string_view::npos) throw std::runtime_error("SyntaxError in " + std::string(spec.name()));
        return "CODE\n" + std::string(source);
    }
    void exec_code(importkit::SpecView spec, void *module, std::string_view code, importkit::Report &report) override {
        ++code_runs;
        if (code.substr(0, 5) != "CODE\n") {
            report.fail("not code");
            return;
        }
        exec(spec, module, code.substr(5), true, report);
    }
    std::atomic<int> compiles{0};
    std::atomic<int> code_runs{0};
};

void code_cache() {
    ToyExecutor::Counts counts;
    {
        importkit::Runtime rt;
        auto ex = std::make_shared<Compiling>(&rt, &counts);
        rt.set_executor(ex);
        rt.mount("app", std::map<std::string, std::string>{{"__init__.py", "set a 1"}, {"bad.py", "# broken"}});
        auto *app = static_cast<Module *>(rt.import("app"));
        EXPECT(app->attrs["a"] == "1");
        rt.reload("app");
        EXPECT(ex->compiles == 1 && ex->code_runs == 2);
        ik_code_cache_stats s = rt.code_cache_stats();
        EXPECT(s.compiles == 1 && s.hits_memory == 1 && s.entries == 1);
        auto bad = rt.try_import("app.bad");
        EXPECT(bad.status() == IK_ERR_EXEC);
        EXPECT(bad.error().message().find("compiling module 'app.bad' failed") != std::string_view::npos);
        EXPECT(bad.error().message().find("SyntaxError in app.bad") != std::string_view::npos);
        rt.set_code_cache_limit(0);
        EXPECT(rt.code_cache_stats().entries == 0);
        EXPECT(rt.try_set_code_cache_dir("/nonexistent/ik-cpp-cache").status() == IK_ERR_INVALID_ARGUMENT);
        rt.set_code_cache_dir({});
        EXPECT(rt.try_set_code_cache_dir(std::string_view("a\0b", 3)).status() == IK_ERR_INVALID_ARGUMENT);
    }
    EXPECT(counts.creates == counts.releases);
    {
        importkit::Runtime rt;
        std::atomic<int> compiled{0}, ran{0};
        auto lambdas = std::make_shared<importkit::LambdaExecutor>(
            [](importkit::SpecView spec, importkit::Report &) { return static_cast<void *>(new Module{std::string(spec.name()), {}}); },
            [](importkit::SpecView, void *, std::string_view, bool, importkit::Report &) {},
            [](void *m) { delete static_cast<Module *>(m); });
        lambdas->on_code([&](importkit::SpecView, void *, std::string_view code, importkit::Report &) { ran += code == "C:x" ? 1 : 100; },
                         [&](importkit::SpecView, std::string_view src, importkit::Report &) {
                             ++compiled;
                             return std::optional<std::string>("C:" + std::string(src));
                         });
        rt.set_executor(lambdas);
        rt.mount("l", std::map<std::string, std::string>{{"__init__.py", "x"}});
        rt.import("l");
        EXPECT(compiled == 1 && ran == 1);
    }
}

} // namespace

int main() {
    executor_and_exceptions();
    natives_finders_and_policy();
    errors_and_profiles_move();
    review_findings();
    bundles();
    code_cache();
    if (failures) {
        std::printf("cpp_wrapper: FAILED (%d of %d checks)\n", failures, checks);
        return 1;
    }
    std::printf("cpp_wrapper: ok (%d checks)\n", checks);
    return 0;
}
