/*
 * importkit.hpp: a header-only C++17 wrapper over importkit's C ABI (importkit.h).
 *
 * What it gives a C++ host:
 * - RAII handles: `Runtime`, `Profile`, `Spec` (an owned spec), `Error` (an owned error object) are move-only
 *   and free what they own exactly once; `SpecView` is the borrowed spec a callback receives.
 * - Errors: with exceptions, a failing call throws `importkit::Exception`, which carries the whole error
 *   (status, message, module, attempts, host message, line, column) and can be passed on from a callback.
 *   Every call also has a non-throwing form, `try_...`, returning a `Result<T>` (status, value or `Error`); only
 *   those exist when the code is built with -fno-exceptions.
 * - `std::string_view` arguments (the `_n` functions of the C ABI where they exist, else one copy into a
 *   NUL-terminated buffer).
 * - Callbacks from C++: an `Executor` class with virtual methods (or `LambdaExecutor` from lambdas), natives
 *   and meta-path finders from `std::function`. A callback reports a failure through its `Report` or by
 *   throwing; the adapters catch every C++ exception and hand it to importkit as the host's error, so nothing
 *   ever unwinds through importkit's (Rust) frames.
 * - Mounts from any range of (path, bytes) pairs: `std::map<std::string, std::string>`, a vector of pairs, a
 *   C array of `std::pair<std::string_view, std::string_view>` (the bytes are copied).
 *
 * Threads: as the C ABI. A Runtime may be used from several threads at once; callbacks may run on any thread
 * that imports, several at once, and may import themselves. Module objects are the host's `void *`.
 *
 *   #include <importkit/importkit.hpp>
 *   importkit::Runtime rt;
 *   rt.mount("game", std::map<std::string, std::string>{{"__init__.py", ""}, {"core.py", "hp = 10"}});
 *   auto spec = rt.find_spec("game.core");          // throws importkit::Exception when not found
 *   std::cout << spec.origin() << "\n";               // memory:/game/core.py
 */
#ifndef IMPORTKIT_HPP
#define IMPORTKIT_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define IMPORTKIT_EXCEPTIONS 1
#include <exception>
#include <stdexcept>
#else
#define IMPORTKIT_EXCEPTIONS 0
#endif

#if __has_include(<importkit/importkit.h>)
#include <importkit/importkit.h>
#else
#include "importkit.h"
#endif

namespace importkit {

/* ----- small helpers ----- */

namespace detail {

/* A C string's view; NULL is empty. */
inline std::string_view view(const char *s, size_t len) { return s ? std::string_view(s, len) : std::string_view(); }

/* A NUL-terminated copy of a view, for C functions that take `const char *`. */
class CStr {
  public:
    explicit CStr(std::string_view s) : text_(s) {}
    const char *get() const { return text_.c_str(); }

  private:
    std::string text_;
};

/* The `package` argument: an empty view is "no package" (NULL). */
class OptCStr {
  public:
    explicit OptCStr(std::string_view s) : text_(s), null_(s.empty()) {}
    const char *get() const { return null_ ? nullptr : text_.c_str(); }

  private:
    std::string text_;
    bool null_;
};

template <class F> std::string text_of(F accessor) {
    size_t len = 0;
    const char *s = accessor(&len);
    return s ? std::string(s, len) : std::string();
}

} // namespace detail

/* ----- errors ----- */

/* One place a finder looked, and why it did not serve the module. */
struct Attempt {
    std::string place;
    std::string reason;
};

/* An owned `ik_error` (freed once, by the destructor). Empty when no error happened. */
class Error {
  public:
    Error() noexcept = default;
    /* Takes ownership of `e` (may be NULL). */
    explicit Error(ik_error *e) noexcept : e_(e) {}
    Error(Error &&o) noexcept : e_(std::exchange(o.e_, nullptr)) {}
    Error &operator=(Error &&o) noexcept {
        if (this != &o) {
            ik_error_free(e_);
            e_ = std::exchange(o.e_, nullptr);
        }
        return *this;
    }
    Error(const Error &) = delete;
    Error &operator=(const Error &) = delete;
    ~Error() { ik_error_free(e_); }

    explicit operator bool() const noexcept { return e_ != nullptr; }
    const ik_error *get() const noexcept { return e_; }
    ik_error *release() noexcept { return std::exchange(e_, nullptr); }
    /* Where a C call writes its error: frees the one held, then hands out the slot. */
    ik_error **out() noexcept {
        ik_error_free(e_);
        e_ = nullptr;
        return &e_;
    }

    ik_status status() const noexcept { return e_ ? ik_error_status(e_) : IK_OK; }
    std::string_view status_name() const noexcept { return ik_status_name(static_cast<int32_t>(status())); }
    /* The message for a person ("No module named 'a.b' (...)"); empty without an error. */
    std::string_view message() const noexcept {
        size_t n = 0;
        const char *s = e_ ? ik_error_message(e_, &n) : nullptr;
        return detail::view(s, n);
    }
    /* The module the error is about, if any. */
    std::optional<std::string_view> module() const noexcept {
        size_t n = 0;
        const char *s = e_ ? ik_error_module(e_, &n) : nullptr;
        if (!s) return std::nullopt;
        return std::string_view(s, n);
    }
    /* Every place a search tried, in order. */
    std::vector<Attempt> attempts() const {
        std::vector<Attempt> out;
        size_t count = e_ ? ik_error_attempt_count(e_) : 0;
        out.reserve(count);
        for (size_t i = 0; i < count; i++) {
            out.push_back({detail::text_of([&](size_t *n) { return ik_error_attempt_place(e_, i, n); }),
                           detail::text_of([&](size_t *n) { return ik_error_attempt_reason(e_, i, n); })});
        }
        return out;
    }
    /* What the host's callback said, if a callback failed. */
    std::optional<std::string_view> host_message() const noexcept {
        size_t n = 0;
        const char *s = e_ ? ik_error_host_message(e_, &n) : nullptr;
        if (!s) return std::nullopt;
        return std::string_view(s, n);
    }
    uint32_t line() const noexcept { return e_ ? ik_error_line(e_) : 0; }
    uint32_t column() const noexcept { return e_ ? ik_error_column(e_) : 0; }

  private:
    ik_error *e_ = nullptr;
};

/* The outcome of a non-throwing call: a status, and the value on success or the error on failure. */
template <class T> class Result {
  public:
    Result(T value) : status_(IK_OK), value_(std::move(value)) {}
    Result(ik_status status, Error error) : status_(status), error_(std::move(error)) {}

    bool ok() const noexcept { return status_ == IK_OK; }
    explicit operator bool() const noexcept { return ok(); }
    ik_status status() const noexcept { return status_; }
    /* The value; only on success. */
    T &value() & { return *value_; }
    T &&value() && { return std::move(*value_); }
    /* The error; empty on success. */
    const Error &error() const noexcept { return error_; }
    Error take_error() noexcept { return std::move(error_); }

  private:
    ik_status status_;
    std::optional<T> value_;
    Error error_;
};

/* Result<void>: a status and an error. */
template <> class Result<void> {
  public:
    Result() : status_(IK_OK) {}
    Result(ik_status status, Error error) : status_(status), error_(std::move(error)) {}
    bool ok() const noexcept { return status_ == IK_OK; }
    explicit operator bool() const noexcept { return ok(); }
    ik_status status() const noexcept { return status_; }
    const Error &error() const noexcept { return error_; }
    Error take_error() noexcept { return std::move(error_); }

  private:
    ik_status status_;
    Error error_;
};

#if IMPORTKIT_EXCEPTIONS
/* What a throwing call throws: the whole error object (shared, so the exception can be copied). `what()` is
 * importkit's message. Thrown from inside a callback (or passed through one), importkit receives the very
 * error, as a nested import's failure passed on. */
class Exception : public std::exception {
  public:
    explicit Exception(Error error)
        : error_(std::make_shared<Error>(std::move(error))), message_(error_->message()) {}
    const char *what() const noexcept override { return message_.c_str(); }
    const Error &error() const noexcept { return *error_; }
    ik_status status() const noexcept { return error_->status(); }
    std::string_view status_name() const noexcept { return error_->status_name(); }
    std::optional<std::string_view> module() const noexcept { return error_->module(); }
    std::vector<Attempt> attempts() const { return error_->attempts(); }
    std::optional<std::string_view> host_message() const noexcept { return error_->host_message(); }
    uint32_t line() const noexcept { return error_->line(); }
    uint32_t column() const noexcept { return error_->column(); }

  private:
    std::shared_ptr<Error> error_;
    std::string message_;
};

namespace detail {
template <class T> T value_or_throw(Result<T> r) {
    if (!r.ok()) throw Exception(r.take_error());
    return std::move(r).value();
}
inline void value_or_throw(Result<void> r) {
    if (!r.ok()) throw Exception(r.take_error());
}
} // namespace detail
#endif

namespace detail {
/* Runs a C call that takes `ik_error **` last; gives the status and the error. */
template <class F> Result<void> call(F f) {
    Error err;
    ik_status s = f(err.out());
    if (s != IK_OK) return Result<void>(s, std::move(err));
    return Result<void>();
}
} // namespace detail

/* ----- specs ----- */

enum class Kind : uint32_t {
    Source = IK_KIND_SOURCE,
    Bytecode = IK_KIND_BYTECODE,
    Extension = IK_KIND_EXTENSION,
    Native = IK_KIND_NATIVE,
    Namespace = IK_KIND_NAMESPACE,
};

/* A borrowed spec (as callbacks receive it): valid while its owner is, during the callback. */
class SpecView {
  public:
    explicit SpecView(const ik_spec *s) noexcept : s_(s) {}
    const ik_spec *get() const noexcept { return s_; }
    std::string_view name() const noexcept { return str(ik_spec_name); }
    std::string_view origin() const noexcept { return str(ik_spec_origin); }
    /* The file, where one exists (CPython's `__spec__.origin` for a file). */
    std::optional<std::string_view> file() const noexcept { return opt(ik_spec_file); }
    std::optional<std::string_view> cached() const noexcept { return opt(ik_spec_cached); }
    /* The package the module's relative imports resolve against (`__package__`). */
    std::string_view parent() const noexcept { return str(ik_spec_parent); }
    Kind kind() const noexcept { return static_cast<Kind>(ik_spec_kind(s_)); }
    bool is_package() const noexcept { return ik_spec_is_package(s_); }
    std::vector<std::string_view> locations() const {
        std::vector<std::string_view> out;
        for (size_t i = 0, n = ik_spec_location_count(s_); i < n; i++) {
            size_t len = 0;
            const char *l = ik_spec_location(s_, i, &len);
            out.emplace_back(l, len);
        }
        return out;
    }
    /* The `.ref` files that led to the module, in order. */
    std::vector<std::string_view> refs() const {
        std::vector<std::string_view> out;
        for (size_t i = 0, n = ik_spec_ref_count(s_); i < n; i++) {
            size_t len = 0;
            const char *l = ik_spec_ref(s_, i, &len);
            out.emplace_back(l, len);
        }
        return out;
    }

  private:
    std::string_view str(const char *(*f)(const ik_spec *, size_t *)) const noexcept {
        size_t n = 0;
        const char *s = f(s_, &n); /* before reading n: argument order is unspecified */
        return detail::view(s, n);
    }
    std::optional<std::string_view> opt(const char *(*f)(const ik_spec *, size_t *)) const noexcept {
        size_t n = 0;
        const char *s = f(s_, &n);
        if (!s) return std::nullopt;
        return std::string_view(s, n);
    }
    const ik_spec *s_;
};

/* An owned spec (`ik_runtime_find_spec`...), freed once by the destructor. */
class Spec : public SpecView {
  public:
    explicit Spec(const ik_spec *s) noexcept : SpecView(s) {}
    Spec(Spec &&o) noexcept : SpecView(o.get()) { o.reset(); }
    Spec &operator=(Spec &&o) noexcept {
        if (this != &o) {
            ik_spec_free(get());
            static_cast<SpecView &>(*this) = SpecView(o.get());
            o.reset();
        }
        return *this;
    }
    Spec(const Spec &) = delete;
    Spec &operator=(const Spec &) = delete;
    ~Spec() { ik_spec_free(get()); }

  private:
    void reset() noexcept { static_cast<SpecView &>(*this) = SpecView(nullptr); }
};

/* ----- profiles ----- */

/* File conventions (Python's by default). A runtime keeps its own copy. */
class Profile {
  public:
    static Result<Profile> try_make(uint32_t base, std::string_view name = {}) {
        ik_profile *p = nullptr;
        detail::OptCStr n(name);
        auto r = detail::call([&](ik_error **e) { return ik_profile_new(base, n.get(), &p, e); });
        if (!r.ok()) return Result<Profile>(r.status(), r.take_error());
        return Result<Profile>(Profile(p));
    }
#if IMPORTKIT_EXCEPTIONS
    static Profile python() { return detail::value_or_throw(try_make(IK_PROFILE_PYTHON)); }
    static Profile lua() { return detail::value_or_throw(try_make(IK_PROFILE_LUA)); }
    void add_suffix(Kind kind, std::string_view suffix) { detail::value_or_throw(try_add_suffix(kind, suffix)); }
    void set_init_stem(std::string_view stem) { detail::value_or_throw(try_set_init_stem(stem)); }
#endif
    Result<void> try_add_suffix(Kind kind, std::string_view suffix) {
        detail::CStr s(suffix);
        return detail::call(
            [&](ik_error **e) { return ik_profile_add_suffix(p_, static_cast<uint32_t>(kind), s.get(), e); });
    }
    Result<void> try_set_init_stem(std::string_view stem) {
        detail::CStr s(stem);
        return detail::call([&](ik_error **e) { return ik_profile_set_init_stem(p_, s.get(), e); });
    }
    Profile(Profile &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    Profile &operator=(Profile &&o) noexcept {
        if (this != &o) {
            ik_profile_free(p_);
            p_ = std::exchange(o.p_, nullptr);
        }
        return *this;
    }
    Profile(const Profile &) = delete;
    Profile &operator=(const Profile &) = delete;
    ~Profile() { ik_profile_free(p_); }
    ik_profile *get() const noexcept { return p_; }

  private:
    explicit Profile(ik_profile *p) noexcept : p_(p) {}
    ik_profile *p_;
};

/* ----- callbacks ----- */

/* Where a callback says why it failed. Failing through it (or by throwing) is the same to importkit. */
class Report {
  public:
    explicit Report(ik_report *r) noexcept : r_(r) {}
    /* Fails with `message` (at `line`/`column` of the module's source, 0 when unknown). */
    void fail(std::string_view message, uint32_t line = 0, uint32_t column = 0,
              ik_status status = IK_ERR_EXEC) noexcept {
        std::string m(message);
        ik_report_error(r_, static_cast<int32_t>(status), m.c_str(), line, column, nullptr);
        status_ = status;
    }
    /* Passes on the error of a nested importkit call unchanged. */
    void pass(const Error &nested) noexcept {
        ik_report_pass(r_, nested.get(), nullptr);
        status_ = nested.status() == IK_OK ? IK_ERR_EXEC : nested.status();
    }
    bool failed() const noexcept { return status_ != IK_OK; }
    ik_status status() const noexcept { return status_; }
    ik_report *get() const noexcept { return r_; }

  private:
    ik_report *r_;
    ik_status status_ = IK_OK;
};

namespace detail {
/* Runs a callback body; a failure reported or thrown becomes the callback's status. Never lets an exception
 * out: importkit's frames are not C++ frames. */
template <class F> int32_t guard(ik_report *raw, F body) noexcept {
    Report report(raw);
#if IMPORTKIT_EXCEPTIONS
    try {
        body(report);
    } catch (const Exception &e) {
        report.pass(e.error());
    } catch (const std::exception &e) {
        report.fail(e.what());
    } catch (...) {
        report.fail("unknown C++ exception");
    }
#else
    body(report);
#endif
    return static_cast<int32_t>(report.status());
}

/* A callback without a report (bind, has_attr, release): exceptions are swallowed, `fallback` returned. */
template <class R, class F> R quietly(R fallback, F body) noexcept {
#if IMPORTKIT_EXCEPTIONS
    try {
        return body();
    } catch (...) {
        return fallback;
    }
#else
    (void)fallback;
    return body();
#endif
}
} // namespace detail

/* The host's executor, as a class: override `create` and `exec` (and the others as needed). */
class Executor {
  public:
    virtual ~Executor() = default;
    /* Makes an empty module object for `spec` (never NULL: fail through `report` or throw instead). */
    virtual void *create(SpecView spec, Report &report) = 0;
    /* Executes the module's code in `module`. `source` holds the bytes importkit has (a mounted file);
     * empty when the host reads `spec.file()` itself (`has_source` false). */
    virtual void exec(SpecView spec, void *module, std::string_view source, bool has_source, Report &report) = 0;
    /* Sets `child` as attribute `name` of `parent`. A failure (or exception) is ignored, as CPython does. */
    virtual void bind(void *parent, std::string_view name, void *child) {
        (void)parent, (void)name, (void)child;
    }
    /* Whether `module` has attribute `name` (a fromlist name that exists is not imported). */
    virtual bool has_attr(void *module, std::string_view name) {
        (void)module, (void)name;
        return false;
    }
    /* The names of the module's `__all__` (for `from pkg import *`). */
    virtual std::vector<std::string> all_names(void *module, Report &report) {
        (void)module, (void)report;
        return {};
    }
    /* importkit holds `module` no more (once per object it took). */
    virtual void release(void *module) noexcept { (void)module; }

    /* The C vtable for this executor; `owner` (may be NULL) is deleted when importkit lets it go. */
    static ik_executor vtable(Executor *ex, std::shared_ptr<Executor> *owner);
};

namespace detail {
struct ExecutorSlot {
    Executor *ex;
    std::shared_ptr<Executor> owner; /* empty when the host keeps the executor alive itself */
};

inline int32_t ex_create(void *ud, const ik_spec *spec, void **out, ik_report *report) {
    auto *slot = static_cast<ExecutorSlot *>(ud);
    return guard(report, [&](Report &r) {
        void *m = slot->ex->create(SpecView(spec), r);
        if (!r.failed() && m == nullptr) r.fail("create returned no module (nullptr)");
        if (!r.failed()) *out = m;
    });
}
inline int32_t ex_exec(void *ud, const ik_spec *spec, void *module, const uint8_t *src, size_t len,
                       ik_report *report) {
    auto *slot = static_cast<ExecutorSlot *>(ud);
    return guard(report, [&](Report &r) {
        std::string_view source = src ? std::string_view(reinterpret_cast<const char *>(src), len) : std::string_view();
        slot->ex->exec(SpecView(spec), module, source, src != nullptr, r);
    });
}
inline int32_t ex_bind(void *ud, void *parent, const char *name, size_t len, void *child) {
    auto *slot = static_cast<ExecutorSlot *>(ud);
    return quietly<int32_t>(IK_ERR_EXEC, [&] {
        slot->ex->bind(parent, std::string_view(name, len), child);
        return static_cast<int32_t>(IK_OK);
    });
}
inline bool ex_has_attr(void *ud, void *module, const char *name, size_t len) {
    auto *slot = static_cast<ExecutorSlot *>(ud);
    return quietly<bool>(false, [&] { return slot->ex->has_attr(module, std::string_view(name, len)); });
}
inline int32_t ex_all_names(void *ud, void *module, ik_strings *out, ik_report *report) {
    auto *slot = static_cast<ExecutorSlot *>(ud);
    return guard(report, [&](Report &r) {
        for (const std::string &n : slot->ex->all_names(module, r)) {
            Error err;
            if (ik_strings_push(out, n.data(), n.size(), err.out()) != IK_OK) {
                r.pass(err);
                return;
            }
        }
    });
}
inline void ex_release(void *ud, void *module) {
    static_cast<ExecutorSlot *>(ud)->ex->release(module);
}
inline void ex_release_userdata(void *ud) { delete static_cast<ExecutorSlot *>(ud); }
} // namespace detail

inline ik_executor Executor::vtable(Executor *ex, std::shared_ptr<Executor> *owner) {
    ik_executor vt{};
    vt.size = static_cast<uint32_t>(sizeof vt);
    vt.userdata = new detail::ExecutorSlot{ex, owner ? *owner : std::shared_ptr<Executor>()};
    vt.create = detail::ex_create;
    vt.exec = detail::ex_exec;
    vt.bind = detail::ex_bind;
    vt.has_attr = detail::ex_has_attr;
    vt.all_names = detail::ex_all_names;
    vt.release = detail::ex_release;
    vt.release_userdata = detail::ex_release_userdata;
    return vt;
}

/* An executor from functions: `create` and `exec` required, `release` optional. */
class LambdaExecutor : public Executor {
  public:
    using CreateFn = std::function<void *(SpecView, Report &)>;
    using ExecFn = std::function<void(SpecView, void *, std::string_view, bool, Report &)>;
    using ReleaseFn = std::function<void(void *)>;
    LambdaExecutor(CreateFn create, ExecFn exec, ReleaseFn release = {})
        : create_(std::move(create)), exec_(std::move(exec)), release_(std::move(release)) {}
    void *create(SpecView spec, Report &report) override { return create_(spec, report); }
    void exec(SpecView spec, void *module, std::string_view source, bool has_source, Report &report) override {
        exec_(spec, module, source, has_source, report);
    }
    void release(void *module) noexcept override {
        if (release_) detail::quietly<int>(0, [&] { release_(module); return 0; });
    }

  private:
    CreateFn create_;
    ExecFn exec_;
    ReleaseFn release_;
};

/* What a host meta-path finder found. */
struct Found {
    std::string origin;   /* empty: "host:FINDER/NAME" */
    Kind kind = Kind::Source;
    bool is_package = false;
    std::vector<std::string> locations;
    std::optional<std::string> file;
    std::optional<std::string> source; /* the bytes to hand to exec (copied) */
};

/* A native module's factory: makes the complete module object. */
using NativeFn = std::function<void *(SpecView, Report &)>;
/* A meta-path finder: `path` is the parent's search locations (nullptr for a top-level name). */
using FinderFn = std::function<std::optional<Found>(std::string_view name, const std::vector<std::string_view> *path,
                                                    Report &report)>;

namespace detail {
inline int32_t native_create(void *ud, const ik_spec *spec, void **out, ik_report *report) {
    auto *fn = static_cast<NativeFn *>(ud);
    return guard(report, [&](Report &r) {
        void *m = (*fn)(SpecView(spec), r);
        if (!r.failed() && m == nullptr) r.fail("the native's factory returned no module (nullptr)");
        if (!r.failed()) *out = m;
    });
}
inline void native_release(void *ud) { delete static_cast<NativeFn *>(ud); }

inline int32_t finder_find(void *ud, const char *name, size_t name_len, const char *const *path, size_t count,
                           ik_found *found, ik_report *report) {
    auto *fn = static_cast<FinderFn *>(ud);
    return guard(report, [&](Report &r) {
        std::vector<std::string_view> locations;
        if (path)
            for (size_t i = 0; i < count; i++) locations.emplace_back(path[i]);
        std::optional<Found> f = (*fn)(std::string_view(name, name_len), path ? &locations : nullptr, r);
        if (r.failed() || !f) return;
        Error err;
        bool ok = ik_found_set(found, f->origin.c_str(), static_cast<uint32_t>(f->kind), f->is_package,
                               err.out()) == IK_OK;
        for (size_t i = 0; ok && i < f->locations.size(); i++)
            ok = ik_found_add_location(found, f->locations[i].c_str(), err.out()) == IK_OK;
        if (ok && f->file) ok = ik_found_set_file(found, f->file->c_str(), err.out()) == IK_OK;
        if (ok && f->source)
            ok = ik_found_set_source(found, reinterpret_cast<const uint8_t *>(f->source->data()), f->source->size(),
                                     err.out()) == IK_OK;
        if (!ok) r.fail(err.message(), 0, 0, IK_ERR_HOST);
    });
}
inline void finder_release(void *ud) { delete static_cast<FinderFn *>(ud); }
} // namespace detail

/* ----- the runtime ----- */

/* Whether `mount` replaces a tree mounted at the same point. */
enum class MountMode : uint32_t { New = 0, Replace = IK_MOUNT_REPLACE };

/* One isolated import world (`ik_runtime`), freed once by the destructor. */
class Runtime {
  public:
#if IMPORTKIT_EXCEPTIONS
    /* A runtime with Python's conventions, or `profile`'s. */
    Runtime() : Runtime(detail::value_or_throw(try_make(nullptr))) {}
    explicit Runtime(const Profile &profile) : Runtime(detail::value_or_throw(try_make(&profile))) {}
#endif
    static Result<Runtime> try_make(const Profile *profile = nullptr) {
        ik_runtime *rt = nullptr;
        auto r = detail::call([&](ik_error **e) { return ik_runtime_new(profile ? profile->get() : nullptr, &rt, e); });
        if (!r.ok()) return Result<Runtime>(r.status(), r.take_error());
        return Result<Runtime>(Runtime(rt));
    }
    Runtime(Runtime &&o) noexcept : rt_(std::exchange(o.rt_, nullptr)) {}
    Runtime &operator=(Runtime &&o) noexcept {
        if (this != &o) {
            ik_runtime_free(rt_);
            rt_ = std::exchange(o.rt_, nullptr);
        }
        return *this;
    }
    Runtime(const Runtime &) = delete;
    Runtime &operator=(const Runtime &) = delete;
    ~Runtime() { ik_runtime_free(rt_); }
    ik_runtime *get() const noexcept { return rt_; }

    /* --- the executor --- */

    /* `executor` must outlive the runtime (or the next set_executor). */
    Result<void> try_set_executor(Executor &executor) { return set_vtable(Executor::vtable(&executor, nullptr)); }
    /* The runtime keeps `executor` alive until it lets it go. */
    Result<void> try_set_executor(std::shared_ptr<Executor> executor) {
        Executor *raw = executor.get();
        return set_vtable(Executor::vtable(raw, &executor));
    }

    /* --- importing --- */

    /* `importlib.import_module(name, package)`: the module object (borrowed from the module table). */
    Result<void *> try_import(std::string_view name, std::string_view package = {}) const {
        void *m = nullptr;
        auto r = detail::call([&](ik_error **e) {
            return ik_runtime_import_n(rt_, name.data(), name.size(), package.empty() ? nullptr : package.data(),
                                       package.size(), &m, e);
        });
        if (!r.ok()) return Result<void *>(r.status(), r.take_error());
        return Result<void *>(m);
    }
    /* `__import__(name, package, fromlist, level)`: what an import statement binds. */
    Result<void *> try_import_from(std::string_view name, std::string_view package, uint32_t level,
                                   const std::vector<std::string> &fromlist) const {
        detail::CStr n(name);
        detail::OptCStr p(package);
        std::vector<const char *> list;
        for (const std::string &s : fromlist) list.push_back(s.c_str());
        void *m = nullptr;
        auto r = detail::call([&](ik_error **e) {
            return ik_runtime_import_from(rt_, n.get(), p.get(), level, list.data(), list.size(), &m, e);
        });
        if (!r.ok()) return Result<void *>(r.status(), r.take_error());
        return Result<void *>(m);
    }
    /* `importlib.util.find_spec`: executes nothing. */
    Result<Spec> try_find_spec(std::string_view name, std::string_view package = {}) const {
        detail::CStr n(name);
        detail::OptCStr p(package);
        const ik_spec *s = nullptr;
        auto r = detail::call([&](ik_error **e) { return ik_runtime_find_spec(rt_, n.get(), p.get(), &s, e); });
        if (!r.ok()) return Result<Spec>(r.status(), r.take_error());
        return Result<Spec>(Spec(s));
    }
    /* The module under `name` in the table, or nullptr. */
    void *module(std::string_view name) const noexcept {
        detail::CStr n(name);
        void *m = nullptr;
        uint32_t state = 0;
        return ik_runtime_get_module(rt_, n.get(), &m, &state, nullptr) == IK_OK ? m : nullptr;
    }
    bool contains(std::string_view name) const noexcept {
        detail::CStr n(name);
        bool in = false;
        return ik_runtime_contains(rt_, n.get(), &in, nullptr) == IK_OK && in;
    }
    Result<void> try_remove_module(std::string_view name) const {
        detail::CStr n(name);
        return detail::call([&](ik_error **e) { return ik_runtime_remove_module(rt_, n.get(), e); });
    }
    Result<void> try_insert_module(std::string_view name, void *module) const {
        detail::CStr n(name);
        return detail::call([&](ik_error **e) { return ik_runtime_insert_module(rt_, n.get(), module, e); });
    }
    /* Every name in the module table, sorted. */
    std::vector<std::string> module_names() const { return names(ik_runtime_list_modules); }

    /* --- sources --- */

    /* Mounts `files` (any range of pairs whose first and second convert to std::string_view: path and
     * bytes) at `point`, copied; returns the mount's finder id. */
    template <class Range>
    Result<uint64_t> try_mount(std::string_view point, const Range &files, MountMode mode = MountMode::New) const {
        std::vector<ik_mount_file> list;
        for (const auto &f : files) {
            std::string_view path(f.first), data(f.second);
            list.push_back({path.data(), path.size(), reinterpret_cast<const uint8_t *>(data.data()), data.size()});
        }
        detail::CStr pt(point);
        uint64_t id = 0;
        auto r = detail::call([&](ik_error **e) {
            return ik_runtime_mount(rt_, pt.get(), list.data(), list.size(), static_cast<uint32_t>(mode), nullptr,
                                    nullptr, &id, e);
        });
        if (!r.ok()) return Result<uint64_t>(r.status(), r.take_error());
        return Result<uint64_t>(id);
    }
    Result<void> try_unmount(std::string_view point) const {
        detail::CStr pt(point);
        return detail::call([&](ik_error **e) { return ik_runtime_unmount(rt_, pt.get(), e); });
    }
    /* A native module made by `factory`; `flags`: IK_NATIVE_POWERFUL, IK_NATIVE_PACKAGE. */
    Result<void> try_register_native(std::string_view name, NativeFn factory, uint32_t flags = 0) const {
        ik_native n{};
        n.size = static_cast<uint32_t>(sizeof n);
        n.flags = flags;
        n.userdata = new NativeFn(std::move(factory));
        n.create = detail::native_create;
        n.release_userdata = detail::native_release;
        detail::CStr nm(name);
        return detail::call([&](ik_error **e) { return ik_runtime_register_native(rt_, nm.get(), &n, e); });
    }
    /* A meta-path finder at `position` (clamped); returns its id. */
    Result<uint64_t> try_add_finder(std::string_view name, FinderFn find, size_t position = SIZE_MAX) const {
        detail::CStr nm(name);
        ik_finder f{};
        f.size = static_cast<uint32_t>(sizeof f);
        f.name = nm.get();
        f.userdata = new FinderFn(std::move(find));
        f.find = detail::finder_find;
        f.release_userdata = detail::finder_release;
        uint64_t id = 0;
        auto r = detail::call([&](ik_error **e) { return ik_runtime_add_finder(rt_, &f, position, &id, e); });
        if (!r.ok()) return Result<uint64_t>(r.status(), r.take_error());
        return Result<uint64_t>(id);
    }
    Result<void> try_remove_finder(uint64_t id) const {
        return detail::call([&](ik_error **e) { return ik_runtime_remove_finder(rt_, id, e); });
    }

    /* --- policy --- */

    Result<void> try_allow(std::string_view top) const { return on_name(ik_runtime_allow, top); }
    Result<void> try_deny(std::string_view top) const { return on_name(ik_runtime_deny, top); }
    Result<void> try_clear_policy() const {
        return detail::call([&](ik_error **e) { return ik_runtime_clear_policy(rt_, e); });
    }

    /* --- the filesystem --- */

    Result<void> try_enable_filesystem(bool on = true) const {
        return detail::call([&](ik_error **e) { return ik_runtime_enable_filesystem(rt_, on, e); });
    }
    Result<void> try_path_append(std::string_view entry) const { return on_name(ik_runtime_path_append, entry); }
    Result<void> try_confine(std::string_view root) const { return on_name(ik_runtime_confine, root); }
    std::vector<std::string> search_path() const { return names(ik_runtime_path_list); }
    Result<void> try_invalidate() const {
        return detail::call([&](ik_error **e) { return ik_runtime_invalidate(rt_, e); });
    }

#if IMPORTKIT_EXCEPTIONS
    /* The throwing forms: each throws importkit::Exception where its try_ form gives an error. */
    void set_executor(Executor &ex) { detail::value_or_throw(try_set_executor(ex)); }
    void set_executor(std::shared_ptr<Executor> ex) { detail::value_or_throw(try_set_executor(std::move(ex))); }
    void *import(std::string_view name, std::string_view package = {}) const {
        return detail::value_or_throw(try_import(name, package));
    }
    void *import_from(std::string_view name, std::string_view package, uint32_t level,
                      const std::vector<std::string> &fromlist) const {
        return detail::value_or_throw(try_import_from(name, package, level, fromlist));
    }
    Spec find_spec(std::string_view name, std::string_view package = {}) const {
        return detail::value_or_throw(try_find_spec(name, package));
    }
    void remove_module(std::string_view name) const { detail::value_or_throw(try_remove_module(name)); }
    void insert_module(std::string_view name, void *m) const { detail::value_or_throw(try_insert_module(name, m)); }
    template <class Range> uint64_t mount(std::string_view point, const Range &files, MountMode mode = MountMode::New) const {
        return detail::value_or_throw(try_mount(point, files, mode));
    }
    /* `std::map` (or any pair range) written in place: rt.mount("game", {{"__init__.py", ""}}). */
    uint64_t mount(std::string_view point, const std::map<std::string, std::string> &files,
                   MountMode mode = MountMode::New) const {
        return detail::value_or_throw(try_mount(point, files, mode));
    }
    void unmount(std::string_view point) const { detail::value_or_throw(try_unmount(point)); }
    void register_native(std::string_view name, NativeFn f, uint32_t flags = 0) const {
        detail::value_or_throw(try_register_native(name, std::move(f), flags));
    }
    uint64_t add_finder(std::string_view name, FinderFn f, size_t position = SIZE_MAX) const {
        return detail::value_or_throw(try_add_finder(name, std::move(f), position));
    }
    void remove_finder(uint64_t id) const { detail::value_or_throw(try_remove_finder(id)); }
    void allow(std::string_view top) const { detail::value_or_throw(try_allow(top)); }
    void deny(std::string_view top) const { detail::value_or_throw(try_deny(top)); }
    void clear_policy() const { detail::value_or_throw(try_clear_policy()); }
    void enable_filesystem(bool on = true) const { detail::value_or_throw(try_enable_filesystem(on)); }
    void path_append(std::string_view entry) const { detail::value_or_throw(try_path_append(entry)); }
    void confine(std::string_view root) const { detail::value_or_throw(try_confine(root)); }
    void invalidate() const { detail::value_or_throw(try_invalidate()); }
#endif

  private:
    explicit Runtime(ik_runtime *rt) noexcept : rt_(rt) {}
    Result<void> set_vtable(ik_executor vt) {
        /* On failure importkit has released the userdata (the slot) already. */
        return detail::call([&](ik_error **e) { return ik_runtime_set_executor(rt_, &vt, e); });
    }
    Result<void> on_name(ik_status (*f)(const ik_runtime *, const char *, ik_error **), std::string_view s) const {
        detail::CStr c(s);
        return detail::call([&](ik_error **e) { return f(rt_, c.get(), e); });
    }
    std::vector<std::string> names(ik_status (*f)(const ik_runtime *, ik_name_list **, ik_error **)) const {
        std::vector<std::string> out;
        ik_name_list *list = nullptr;
        if (f(rt_, &list, nullptr) != IK_OK) return out;
        for (size_t i = 0, n = ik_name_list_count(list); i < n; i++)
            out.push_back(detail::text_of([&](size_t *len) { return ik_name_list_get(list, i, len); }));
        ik_name_list_free(list);
        return out;
    }
    ik_runtime *rt_;
};

} // namespace importkit

#endif /* IMPORTKIT_HPP */
