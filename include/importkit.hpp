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
 * that imports, several at once, and may import themselves.
 *
 * Module objects are the host's `void *`. importkit holds each object it takes (made by the executor's
 * `create`, by a native's factory, or given to `insert_module`) and gives it back exactly once through
 * `Executor::release`, which also releases natives' objects; without an executor nothing is released. Set the
 * executor before the first import. An Executor passed by reference must outlive the Runtime (declare it
 * first); pass a `std::shared_ptr` to let the runtime keep it. Modules returned by imports are borrowed from
 * the module table (docs/ABI.md).
 *
 * Strings: a `std::string_view` argument holding a NUL byte is refused (IK_ERR_INVALID_ARGUMENT), as the C
 * ABI refuses one, never cut short. Views returned (names, origins, messages) live as long as the object they
 * come from; the accessors of an owned `Spec` cannot be called on a temporary for that reason.
 *
 * Mixing translation units built with and without exceptions in one program is safe: the two forms live in
 * different inline namespaces (`importkit::exc`, `importkit::noexc`).
 *
 *   #include <importkit.hpp>                      // or <importkit/importkit.hpp>
 *   importkit::Runtime rt;
 *   rt.mount("game", std::map<std::string, std::string>{{"__init__.py", ""}, {"core.py", "hp = 10"}});
 *   auto spec = rt.find_spec("game.core");          // throws importkit::Exception when not found
 *   std::cout << spec.origin() << "\n";               // memory:/game/core.py
 */
#ifndef IMPORTKIT_HPP
#define IMPORTKIT_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define IMPORTKIT_EXCEPTIONS 1
#include <exception>
#include <stdexcept>
#else
#define IMPORTKIT_EXCEPTIONS 0
#endif

/* The C header installed beside this one (quoted: the including file's directory comes first). */
#include "importkit.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace importkit {
#if IMPORTKIT_EXCEPTIONS
inline namespace exc {
#else
inline namespace noexc {
#endif

/* ----- small helpers ----- */

namespace detail {

/* A C string's view; NULL is empty. */
inline std::string_view view(const char *s, size_t len) { return s ? std::string_view(s, len) : std::string_view(); }

/* A NUL-terminated copy of a view, for C functions that take `const char *`; `nul()` says whether the view
 * held a NUL (the call is then refused, not made with a shorter string). */
class CStr {
  public:
    CStr(std::string_view s, const char *what) : text_(s), what_(what), nul_(s.find('\0') != std::string_view::npos) {}
    const char *get() const { return text_.c_str(); }
    bool nul() const { return nul_; }
    const char *what() const { return what_; }

  private:
    std::string text_;
    const char *what_;
    bool nul_;
};

/* The `package` argument: an empty view is "no package" (NULL). */
class OptCStr : public CStr {
  public:
    OptCStr(std::string_view s, const char *what) : CStr(s, what), null_(s.empty()) {}
    const char *get() const { return null_ ? nullptr : CStr::get(); }

  private:
    bool null_;
};

/* A move-only owner of a C handle, freed once with `Free` (which takes NULL). */
template <class T, void (*Free)(T *)> class Owned {
  public:
    Owned() noexcept = default;
    explicit Owned(T *p) noexcept : p_(p) {}
    Owned(Owned &&o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    Owned &operator=(Owned &&o) noexcept {
        if (this != &o) {
            Free(p_);
            p_ = std::exchange(o.p_, nullptr);
        }
        return *this;
    }
    Owned(const Owned &) = delete;
    Owned &operator=(const Owned &) = delete;
    ~Owned() { Free(p_); }
    T *get() const noexcept { return p_; }
    /* Frees what is held and hands out the slot a C function writes a new handle to. */
    T **slot() noexcept {
        Free(p_);
        p_ = nullptr;
        return &p_;
    }

  private:
    T *p_ = nullptr;
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
    /* Takes ownership of `e` (may be NULL). Move-only. */
    explicit Error(ik_error *e) noexcept : h_(e) {}

    explicit operator bool() const noexcept { return raw() != nullptr || local_ != nullptr; }
    const ik_error *get() const noexcept { return raw(); }
    /* Where a C call writes its error: frees the one held, then hands out the slot. */
    ik_error **out() noexcept {
        local_.reset();
        return h_.slot();
    }

    /* An error the wrapper itself found (an argument refused before any C call), with its own message. */
    static Error local(ik_status status, std::string message) {
        Error e;
        e.local_ = std::make_shared<const Local>(Local{status, std::move(message)});
        return e;
    }

    ik_status status() const noexcept { return raw() ? ik_error_status(raw()) : local_ ? local_->status : IK_OK; }
    std::string_view status_name() const noexcept { return ik_status_name(static_cast<int32_t>(status())); }
    /* The message for a person ("No module named 'a.b' (...)"); empty without an error. */
    std::string_view message() const noexcept {
        if (!raw() && local_) return local_->message;
        size_t n = 0;
        const char *s = raw() ? ik_error_message(raw(), &n) : nullptr;
        return detail::view(s, n);
    }
    /* The module the error is about, if any. */
    std::optional<std::string_view> module() const noexcept {
        size_t n = 0;
        const char *s = raw() ? ik_error_module(raw(), &n) : nullptr;
        if (!s) return std::nullopt;
        return std::string_view(s, n);
    }
    /* Every place a search tried, in order. */
    std::vector<Attempt> attempts() const {
        std::vector<Attempt> out;
        size_t count = raw() ? ik_error_attempt_count(raw()) : 0;
        out.reserve(count);
        for (size_t i = 0; i < count; i++) {
            out.push_back({detail::text_of([&](size_t *n) { return ik_error_attempt_place(raw(), i, n); }),
                           detail::text_of([&](size_t *n) { return ik_error_attempt_reason(raw(), i, n); })});
        }
        return out;
    }
    /* What the host's callback said, if a callback failed. */
    std::optional<std::string_view> host_message() const noexcept {
        size_t n = 0;
        const char *s = raw() ? ik_error_host_message(raw(), &n) : nullptr;
        if (!s) return std::nullopt;
        return std::string_view(s, n);
    }
    uint32_t line() const noexcept { return raw() ? ik_error_line(raw()) : 0; }
    uint32_t column() const noexcept { return raw() ? ik_error_column(raw()) : 0; }

  private:
    struct Local {
        ik_status status;
        std::string message;
    };
    ik_error *raw() const noexcept { return h_.get(); }
    detail::Owned<ik_error, ik_error_free> h_;
    std::shared_ptr<const Local> local_;
};

namespace detail {
/* The error of a view argument that holds a NUL byte. */
inline Error nul_error(const char *what) {
    return Error::local(IK_ERR_INVALID_ARGUMENT, std::string(what) + " contains a NUL byte");
}
} // namespace detail

/* The outcome of a non-throwing call: a status, and the value on success or the error on failure. */
template <class T> class Result {
  public:
    Result(T value) : status_(IK_OK), value_(std::move(value)) {}
    Result(ik_status status, Error error) : status_(status), error_(std::move(error)) {}

    bool ok() const noexcept { return status_ == IK_OK; }
    explicit operator bool() const noexcept { return ok(); }
    ik_status status() const noexcept { return status_; }
    /* The value. On failure: throws the error as importkit::Exception (aborts without exceptions). */
    T &value() & {
        if (!ok()) fail();
        return *value_;
    }
    T &&value() && {
        if (!ok()) fail();
        return std::move(*value_);
    }
    /* The error; empty on success. */
    const Error &error() const noexcept { return error_; }
    Error take_error() noexcept { return std::move(error_); }

  private:
    [[noreturn]] void fail();
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
    explicit Exception(Error error) : state_(std::make_shared<const State>(std::move(error))) {}
    const char *what() const noexcept override { return state_->message.c_str(); }
    const Error &error() const noexcept { return state_->error; }
    ik_status status() const noexcept { return state_->error.status(); }
    std::string_view status_name() const noexcept { return state_->error.status_name(); }
    std::optional<std::string_view> module() const noexcept { return state_->error.module(); }
    std::vector<Attempt> attempts() const { return state_->error.attempts(); }
    std::optional<std::string_view> host_message() const noexcept { return state_->error.host_message(); }
    uint32_t line() const noexcept { return state_->error.line(); }
    uint32_t column() const noexcept { return state_->error.column(); }

  private:
    /* Shared, so that copying the exception cannot throw. */
    struct State {
        explicit State(Error e) : error(std::move(e)), message(error.message()) {}
        Error error;
        std::string message;
    };
    std::shared_ptr<const State> state_;
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

template <class T> void Result<T>::fail() {
#if IMPORTKIT_EXCEPTIONS
    // The exception takes the error object; the Result keeps its status and message (so it still reads as
    // the same failure, and a second value() throws again).
    Error taken = std::move(error_);
    error_ = Error::local(taken.status(), std::string(taken.message()));
    throw Exception(std::move(taken));
#else
    std::fprintf(stderr, "importkit: Result::value() of a failed call: %.*s\n", static_cast<int>(error_.message().size()),
                 error_.message().data());
    std::abort();
#endif
}

namespace detail {
inline const CStr *first_nul() { return nullptr; }
template <class... R> const CStr *first_nul(const CStr &a, const R &...rest) { return a.nul() ? &a : first_nul(rest...); }

/* Runs a C call that takes `ik_error **` last; gives the status and the error. The string arguments it
 * uses are given after it: one that held a NUL refuses the call before it is made. */
template <class F, class... C> Result<void> call(F f, const C &...strings) {
    if (const CStr *bad = first_nul(strings...)) return Result<void>(IK_ERR_INVALID_ARGUMENT, nul_error(bad->what()));
    Error err;
    ik_status s = f(err.out());
    if (s != IK_OK) return Result<void>(s, std::move(err));
    return Result<void>();
}

/* A failed Result<T> from a failed Result<void>. */
template <class T> Result<T> failed(Result<void> r) { return Result<T>(r.status(), r.take_error()); }
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

/* An owned spec (`ik_runtime_find_spec`...), freed once by the destructor. It is not a SpecView (no slicing
 * into a view that would outlive it); `view()` lends one. The accessors return views into the spec, so they
 * are not callable on a temporary Spec: keep the Spec (`auto spec = rt.find_spec(...)`) while you use them. */
class Spec {
  public:
    explicit Spec(const ik_spec *s) noexcept : h_(s) {}

    const ik_spec *get() const noexcept { return h_.get(); }
    SpecView view() const & noexcept { return SpecView(h_.get()); }
    SpecView view() const && = delete;
#define IMPORTKIT_SPEC_GETTER(type, name)                                                                   \
    type name() const & { return SpecView(h_.get()).name(); }                                                     \
    type name() const && = delete;
    IMPORTKIT_SPEC_GETTER(std::string_view, name)
    IMPORTKIT_SPEC_GETTER(std::string_view, origin)
    IMPORTKIT_SPEC_GETTER(std::optional<std::string_view>, file)
    IMPORTKIT_SPEC_GETTER(std::optional<std::string_view>, cached)
    IMPORTKIT_SPEC_GETTER(std::string_view, parent)
    IMPORTKIT_SPEC_GETTER(std::vector<std::string_view>, locations)
    IMPORTKIT_SPEC_GETTER(std::vector<std::string_view>, refs)
#undef IMPORTKIT_SPEC_GETTER
    Kind kind() const noexcept { return SpecView(h_.get()).kind(); }
    bool is_package() const noexcept { return SpecView(h_.get()).is_package(); }

  private:
    detail::Owned<const ik_spec, ik_spec_free> h_;
};

/* ----- profiles ----- */

/* File conventions (Python's by default). A runtime keeps its own copy. */
class Profile {
  public:
    /* `base`: IK_PROFILE_PYTHON, IK_PROFILE_LUA or IK_PROFILE_EMPTY; `name` empty keeps the base's. */
    static Result<Profile> try_make(uint32_t base, std::string_view name = {}) {
        ik_profile *p = nullptr;
        detail::OptCStr n(name, "profile name");
        auto r = detail::call([&](ik_error **e) { return ik_profile_new(base, n.get(), &p, e); }, n);
        if (!r.ok()) return detail::failed<Profile>(std::move(r));
        return Result<Profile>(Profile(p));
    }
    Result<void> try_add_suffix(Kind kind, std::string_view suffix) {
        detail::CStr c(suffix, "suffix");
        return detail::call(
            [&](ik_error **e) { return ik_profile_add_suffix(h_.get(), static_cast<uint32_t>(kind), c.get(), e); }, c);
    }
    Result<void> try_clear_suffixes(Kind kind) {
        return detail::call([&](ik_error **e) { return ik_profile_clear_suffixes(h_.get(), static_cast<uint32_t>(kind), e); });
    }
    Result<void> try_set_init_stem(std::string_view stem) {
        detail::CStr c(stem, "init stem");
        return detail::call([&](ik_error **e) { return ik_profile_set_init_stem(h_.get(), c.get(), e); }, c);
    }
    Result<void> try_set_namespace_dirs(bool on) {
        return detail::call([&](ik_error **e) { return ik_profile_set_namespace_dirs(h_.get(), on, e); });
    }
    /* IK_IDENT_PYTHON or IK_IDENT_LUA. */
    Result<void> try_set_identifiers(uint32_t rule) {
        return detail::call([&](ik_error **e) { return ik_profile_set_identifiers(h_.get(), rule, e); });
    }
    /* The cache tag of compiled files (`cpython-312`); empty: none. */
    Result<void> try_set_cache_tag(std::string_view tag) {
        detail::OptCStr c(tag, "cache tag");
        return detail::call([&](ik_error **e) { return ik_profile_set_cache_tag(h_.get(), c.get(), e); }, c);
    }
#if IMPORTKIT_EXCEPTIONS
    static Profile python() { return detail::value_or_throw(try_make(IK_PROFILE_PYTHON)); }
    static Profile lua() { return detail::value_or_throw(try_make(IK_PROFILE_LUA)); }
    void add_suffix(Kind kind, std::string_view suffix) { detail::value_or_throw(try_add_suffix(kind, suffix)); }
    void clear_suffixes(Kind kind) { detail::value_or_throw(try_clear_suffixes(kind)); }
    void set_init_stem(std::string_view stem) { detail::value_or_throw(try_set_init_stem(stem)); }
    void set_namespace_dirs(bool on) { detail::value_or_throw(try_set_namespace_dirs(on)); }
    void set_identifiers(uint32_t rule) { detail::value_or_throw(try_set_identifiers(rule)); }
    void set_cache_tag(std::string_view tag) { detail::value_or_throw(try_set_cache_tag(tag)); }
#endif
    /* Move-only; frees the profile once. */
    ik_profile *get() const noexcept { return h_.get(); }

  private:
    explicit Profile(ik_profile *p) noexcept : h_(p) {}
    detail::Owned<ik_profile, ik_profile_free> h_;
};

/* ----- callbacks ----- */

/* Where a callback says why it failed. Failing through it (or by throwing) is the same to importkit. */
class Report {
  public:
    explicit Report(ik_report *r, ik_status failure = IK_ERR_EXEC) noexcept : r_(r), failure_(failure) {}
    /* Fails with `message` (at `line`/`column` of the module's source, 0 when unknown) and `status` (default:
     * IK_ERR_EXEC in an executor, IK_ERR_HOST in a native's factory or a finder; IK_OK counts as that default).
     * Never throws: a message that cannot be copied is cut to what fits a fixed buffer. */
    void fail(std::string_view message, uint32_t line = 0, uint32_t column = 0, ik_status status = IK_OK) noexcept {
        if (status == IK_OK) status = failure_;
        char fixed[512];
        const char *text = fixed;
#if IMPORTKIT_EXCEPTIONS
        std::string copy;
        try {
            copy.assign(message.data(), message.size());
            text = copy.c_str();
        } catch (...) {
            text = nullptr;
        }
#else
        std::string copy(message);
        text = copy.c_str();
#endif
        if (text == nullptr) {
            size_t n = message.size() < sizeof fixed - 1 ? message.size() : sizeof fixed - 1;
            std::memcpy(fixed, message.data(), n);
            fixed[n] = '\0';
            text = fixed;
        }
        ik_report_error(r_, static_cast<int32_t>(status), text, line, column, nullptr);
        status_ = status;
    }
    /* Passes on the error of a nested importkit call unchanged (an empty one fails as a host error). */
    void pass(const Error &nested) noexcept {
        if (!nested) {
            fail("an empty importkit::Error was passed on");
            return;
        }
        if (nested.get() == nullptr) {
            // An error of the wrapper's own (an argument it refused): its status and message.
            fail(nested.message(), 0, 0, nested.status());
            return;
        }
        ik_report_pass(r_, nested.get(), nullptr);
        status_ = nested.status();
    }
    bool failed() const noexcept { return status_ != IK_OK; }
    ik_status status() const noexcept { return status_; }
    ik_report *get() const noexcept { return r_; }

  private:
    ik_report *r_;
    ik_status failure_;
    ik_status status_ = IK_OK;
};

namespace detail {
/* Runs a callback body; a failure reported or thrown becomes the callback's status. Never lets an exception
 * out: importkit's frames are not C++ frames. */
template <class F> int32_t guard(ik_report *raw, ik_status failure, F body) noexcept {
    Report report(raw, failure);
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
    /* Executes the module's code in `module`. `source` holds the bytes importkit has (a mounted file, a
     * finder's source); `has_source` is false when the host reads `spec.file()` itself. */
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
    /* importkit holds `module` no more (once per object it took, natives' and inserted ones included). */
    virtual void release(void *module) noexcept { (void)module; }
    /* The code cache (docs/CODE_CACHE.md): true gives importkit `compile` and `exec_code` (asked once, when
     * the executor is set); false (the default) leaves them out, and every module reaches `exec`. */
    virtual bool accepts_code() const { return false; }
    /* Compiles a module's source to the host's code (a marshalled code object, a `string.dump`), kept by
     * the code cache; std::nullopt: no code for this module (it runs from source through `exec`). */
    virtual std::optional<std::string> compile(SpecView spec, std::string_view source, Report &report) {
        (void)spec, (void)source, (void)report;
        return std::nullopt;
    }
    /* Executes compiled code (what `compile` gave for the module's current source, or a bundle's code for the
     * runtime's cache tag), instead of `exec`. */
    virtual void exec_code(SpecView spec, void *module, std::string_view code, Report &report) {
        (void)spec, (void)module, (void)code;
        report.fail("this executor runs no compiled code");
    }
};

namespace detail {
struct ExecutorSlot {
    Executor *ex;
    std::shared_ptr<Executor> owner; /* empty when the host keeps the executor alive itself */
};

inline int32_t ex_create(void *ud, const ik_spec *spec, void **out, ik_report *report) {
    auto *slot = static_cast<ExecutorSlot *>(ud);
    return guard(report, IK_ERR_EXEC, [&](Report &r) {
        void *m = slot->ex->create(SpecView(spec), r);
        if (!r.failed() && m == nullptr) r.fail("create returned no module (nullptr)");
        if (!r.failed()) *out = m;
    });
}
inline int32_t ex_exec(void *ud, const ik_spec *spec, void *module, const uint8_t *src, size_t len,
                       ik_report *report) {
    auto *slot = static_cast<ExecutorSlot *>(ud);
    return guard(report, IK_ERR_EXEC, [&](Report &r) {
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
    return guard(report, IK_ERR_EXEC, [&](Report &r) {
        for (const std::string &n : slot->ex->all_names(module, r)) {
            Error err;
            if (ik_strings_push(out, n.data(), n.size(), err.out()) != IK_OK) {
                r.pass(err);
                return;
            }
        }
    });
}
inline int32_t ex_compile(void *ud, const ik_spec *spec, const uint8_t *src, size_t len, ik_bytes *out,
                          ik_report *report) {
    auto *slot = static_cast<ExecutorSlot *>(ud);
    return guard(report, IK_ERR_EXEC, [&](Report &r) {
        std::optional<std::string> code =
            slot->ex->compile(SpecView(spec), std::string_view(reinterpret_cast<const char *>(src), len), r);
        if (r.failed() || !code) return;
        Error err;
        if (ik_bytes_set(out, reinterpret_cast<const uint8_t *>(code->data()), code->size(), err.out()) != IK_OK)
            r.pass(err);
    });
}
inline int32_t ex_exec_code(void *ud, const ik_spec *spec, void *module, const uint8_t *code, size_t len,
                            ik_report *report) {
    auto *slot = static_cast<ExecutorSlot *>(ud);
    return guard(report, IK_ERR_EXEC, [&](Report &r) {
        slot->ex->exec_code(SpecView(spec), module, std::string_view(reinterpret_cast<const char *>(code), len), r);
    });
}
inline void ex_release(void *ud, void *module) { static_cast<ExecutorSlot *>(ud)->ex->release(module); }
inline void ex_release_userdata(void *ud) { delete static_cast<ExecutorSlot *>(ud); }

/* The C vtable of an executor; `owner` (may be empty) is kept until importkit lets the executor go. */
inline ik_executor executor_vtable(Executor *ex, std::shared_ptr<Executor> owner) {
    ik_executor vt{};
    vt.size = static_cast<uint32_t>(sizeof vt);
    vt.userdata = new ExecutorSlot{ex, std::move(owner)};
    vt.create = ex_create;
    vt.exec = ex_exec;
    vt.bind = ex_bind;
    vt.has_attr = ex_has_attr;
    vt.all_names = ex_all_names;
    vt.release = ex_release;
    vt.release_userdata = ex_release_userdata;
    if (quietly<bool>(false, [&] { return ex->accepts_code(); })) {
        vt.compile = ex_compile;
        vt.exec_code = ex_exec_code;
    }
    return vt;
}
} // namespace detail

/* An executor from functions: `create` and `exec` required, the others optional. */
class LambdaExecutor : public Executor {
  public:
    using CreateFn = std::function<void *(SpecView, Report &)>;
    using ExecFn = std::function<void(SpecView, void *, std::string_view, bool, Report &)>;
    using ReleaseFn = std::function<void(void *)>;
    using BindFn = std::function<void(void *, std::string_view, void *)>;
    using HasAttrFn = std::function<bool(void *, std::string_view)>;
    using AllNamesFn = std::function<std::vector<std::string>(void *, Report &)>;
    LambdaExecutor(CreateFn create, ExecFn exec, ReleaseFn release = {})
        : create_(std::move(create)), exec_(std::move(exec)), release_(std::move(release)) {}
    LambdaExecutor &on_bind(BindFn f) { bind_ = std::move(f); return *this; }
    LambdaExecutor &on_has_attr(HasAttrFn f) { has_attr_ = std::move(f); return *this; }
    LambdaExecutor &on_all_names(AllNamesFn f) { all_names_ = std::move(f); return *this; }
    using CompileFn = std::function<std::optional<std::string>(SpecView, std::string_view, Report &)>;
    using ExecCodeFn = std::function<void(SpecView, void *, std::string_view, Report &)>;
    /* The code cache: `exec_code` runs compiled code, `compile` (may be empty) makes it. Before set_executor. */
    LambdaExecutor &on_code(ExecCodeFn exec_code, CompileFn compile = {}) {
        exec_code_ = std::move(exec_code);
        compile_ = std::move(compile);
        return *this;
    }

    void *create(SpecView spec, Report &report) override { return create_(spec, report); }
    void exec(SpecView spec, void *module, std::string_view source, bool has_source, Report &report) override {
        exec_(spec, module, source, has_source, report);
    }
    void bind(void *parent, std::string_view name, void *child) override {
        if (bind_) bind_(parent, name, child);
    }
    bool has_attr(void *module, std::string_view name) override { return has_attr_ && has_attr_(module, name); }
    std::vector<std::string> all_names(void *module, Report &report) override {
        return all_names_ ? all_names_(module, report) : std::vector<std::string>();
    }
    bool accepts_code() const override { return static_cast<bool>(exec_code_); }
    std::optional<std::string> compile(SpecView spec, std::string_view source, Report &report) override {
        return compile_ ? compile_(spec, source, report) : std::nullopt;
    }
    void exec_code(SpecView spec, void *module, std::string_view code, Report &report) override {
        if (exec_code_) exec_code_(spec, module, code, report);
    }
    void release(void *module) noexcept override {
        if (release_) detail::quietly<int>(0, [&] { release_(module); return 0; });
    }

  private:
    CreateFn create_;
    ExecFn exec_;
    ReleaseFn release_;
    BindFn bind_;
    HasAttrFn has_attr_;
    AllNamesFn all_names_;
    CompileFn compile_;
    ExecCodeFn exec_code_;
};

/* What a host meta-path finder found. */
struct Found {
    std::string origin; /* empty: "host:FINDER/NAME" */
    Kind kind = Kind::Source;
    bool is_package = false;
    std::vector<std::string> locations;
    std::optional<std::string> file;
    std::optional<std::string> source; /* the bytes to hand to exec (copied) */
};

/* A native module's factory: makes the complete module object (released by the executor's `release`). */
using NativeFn = std::function<void *(SpecView, Report &)>;
/* A meta-path finder: `path` is the parent's search locations (nullptr for a top-level name). */
using FinderFn = std::function<std::optional<Found>(std::string_view name, const std::vector<std::string_view> *path,
                                                    Report &report)>;

namespace detail {
inline int32_t native_create(void *ud, const ik_spec *spec, void **out, ik_report *report) {
    auto *fn = static_cast<NativeFn *>(ud);
    return guard(report, IK_ERR_HOST, [&](Report &r) {
        void *m = (*fn)(SpecView(spec), r);
        if (!r.failed() && m == nullptr) r.fail("the native's factory returned no module (nullptr)");
        if (!r.failed()) *out = m;
    });
}
inline void native_release(void *ud) { delete static_cast<NativeFn *>(ud); }

inline int32_t finder_find(void *ud, const char *name, size_t name_len, const char *const *path, size_t count,
                           ik_found *found, ik_report *report) {
    auto *fn = static_cast<FinderFn *>(ud);
    return guard(report, IK_ERR_HOST, [&](Report &r) {
        std::vector<std::string_view> locations;
        if (path)
            for (size_t i = 0; i < count; i++) locations.emplace_back(path[i]);
        std::optional<Found> f = (*fn)(std::string_view(name, name_len), path ? &locations : nullptr, r);
        if (r.failed() || !f) return;
        auto nul = [](std::string_view v) { return v.find('\0') != std::string_view::npos; };
        bool bad = nul(f->origin) || (f->file && nul(*f->file));
        for (const std::string &l : f->locations) bad = bad || nul(l);
        if (bad) {
            r.fail("the finder's answer holds a NUL byte (origin, file or a location)");
            return;
        }
        Error err;
        bool ok = ik_found_set(found, f->origin.c_str(), static_cast<uint32_t>(f->kind), f->is_package,
                               err.out()) == IK_OK;
        for (size_t i = 0; ok && i < f->locations.size(); i++)
            ok = ik_found_add_location(found, f->locations[i].c_str(), err.out()) == IK_OK;
        if (ok && f->file) ok = ik_found_set_file(found, f->file->c_str(), err.out()) == IK_OK;
        if (ok && f->source)
            ok = ik_found_set_source(found, reinterpret_cast<const uint8_t *>(f->source->data()), f->source->size(),
                                     err.out()) == IK_OK;
        if (!ok) r.fail(err.message());
    });
}
inline void finder_release(void *ud) { delete static_cast<FinderFn *>(ud); }

/* The bytes of a mounted file: anything a string_view is made from, or a contiguous container of bytes
 * (std::vector<uint8_t>, std::vector<std::byte>, std::array...). */
template <class B> std::string_view bytes_of(const B &b) {
    if constexpr (std::is_convertible_v<const B &, std::string_view>) {
        return std::string_view(b);
    } else {
        static_assert(sizeof(*std::data(b)) == 1, "mounted bytes must be a range of 1-byte elements");
        return std::string_view(reinterpret_cast<const char *>(std::data(b)), std::size(b));
    }
}
} // namespace detail

/* ----- the runtime ----- */

/* Whether `mount` replaces a tree mounted at the same point. */
enum class MountMode : uint32_t { New = 0, Replace = IK_MOUNT_REPLACE };

/* The files of a mount written in place: `{{"__init__.py", ""}, {"core.py", "hp = 10"}}`. */
using Files = std::map<std::string, std::string>;

/* One isolated import world (`ik_runtime`), freed once by the destructor. */
/* The bytes of a package's resource (`ik_runtime_read_resource`), owned: valid until the Resource goes,
 * whatever happens to its source meanwhile (bytes a mount keeps are lent in place, not copied). */
class Resource {
  public:
    explicit Resource(ik_resource *r) noexcept : h_(r) {}
    const uint8_t *data() const noexcept { return ik_resource_data(h_.get(), nullptr); }
    size_t size() const noexcept {
        size_t n = 0;
        ik_resource_data(h_.get(), &n);
        return n;
    }
    std::string_view view() const noexcept { return std::string_view(reinterpret_cast<const char *>(data()), size()); }

  private:
    detail::Owned<ik_resource, ik_resource_free> h_;
};

/* A SHA-256 digest: what a bundle is pinned to (`ik_runtime_mount_bundle`'s `sha256`). */
using Digest = std::array<uint8_t, IK_SHA256_LEN>;

/* How a bundle's file becomes bytes: mapped read-only (the default), or read whole at mount (for a file that
 * may be cut short while mounted: docs/SECURITY.md). */
enum class BundleLoad : uint32_t { Map = 0, Read = IK_BUNDLE_READ };

/* `ik_bundle_verify`: checks the whole bundle file at `path` (every record, every blob's CRC-32); its digest. */
inline Result<Digest> try_verify_bundle(std::string_view path) {
    detail::CStr p(path, "path");
    Digest d{};
    auto r = detail::call([&](ik_error **e) { return ik_bundle_verify(p.get(), d.data(), e); }, p);
    if (!r.ok()) return detail::failed<Digest>(std::move(r));
    return Result<Digest>(d);
}
#if IMPORTKIT_EXCEPTIONS
inline Digest verify_bundle(std::string_view path) { return detail::value_or_throw(try_verify_bundle(path)); }
#endif

/* Builds a bundle (`ik_bundle_builder_*`): trees, modules, compiled code, files; deterministic. Move-only. */
class BundleBuilder {
  public:
    /* A builder whose trees are classified under `profile` (Python's conventions without one). */
    static Result<BundleBuilder> try_make(const Profile *profile = nullptr);
#if IMPORTKIT_EXCEPTIONS
    BundleBuilder() : BundleBuilder(detail::value_or_throw(try_make(nullptr))) {}
    explicit BundleBuilder(const Profile &profile) : BundleBuilder(detail::value_or_throw(try_make(&profile))) {}
#endif
    /* Adds `files` (a range of pairs: path, then bytes), classified as a mount of them would be. */
    template <class Range> Result<void> try_add_tree(const Range &files) {
        std::vector<ik_mount_file> list;
        for (const auto &f : files) {
            std::string_view path(f.first);
            std::string_view data = detail::bytes_of(f.second);
            list.push_back({path.data(), path.size(), reinterpret_cast<const uint8_t *>(data.data()), data.size()});
        }
        return detail::call([&](ik_error **e) { return ik_bundle_builder_add_tree(h_.get(), list.data(), list.size(), e); });
    }
    Result<void> try_add_tree(const Files &files) { return try_add_tree<Files>(files); }
    /* One module: name (relative to the bundle's root), its file's path, kind, package flag, its file's bytes
     * (an empty view with `has_source` false: the file is added apart, or it is a namespace package). */
    Result<void> try_add_module(std::string_view name, std::string_view path, Kind kind, bool is_package,
                                std::string_view source = {}, bool has_source = true) {
        detail::CStr n(name, "name"), p(path, "path");
        const uint8_t *src = has_source ? reinterpret_cast<const uint8_t *>(source.data() ? source.data() : "") : nullptr;
        return detail::call(
            [&](ik_error **e) {
                return ik_bundle_builder_add_module(h_.get(), n.get(), p.get(), static_cast<uint32_t>(kind), is_package, src,
                                                    has_source ? source.size() : 0, e);
            },
            n, p);
    }
    /* Compiled code for `cache_tag` of the module `name` (added already). */
    Result<void> try_add_code(std::string_view name, std::string_view cache_tag, std::string_view code) {
        detail::CStr n(name, "name"), t(cache_tag, "cache_tag");
        return detail::call(
            [&](ik_error **e) {
                return ik_bundle_builder_add_code(h_.get(), n.get(), t.get(), reinterpret_cast<const uint8_t *>(code.data()),
                                                  code.size(), e);
            },
            n, t);
    }
    /* A file at `path` from the bundle's root, or (with a package) from that package's directory. */
    Result<void> try_add_file(std::string_view path, std::string_view data, std::string_view package = {}) {
        detail::CStr p(path, "path");
        detail::OptCStr pkg(package, "package");
        return detail::call(
            [&](ik_error **e) {
                return ik_bundle_builder_add_file(h_.get(), pkg.get(), p.get(), reinterpret_cast<const uint8_t *>(data.data()),
                                                  data.size(), e);
            },
            p, pkg);
    }
    Result<void> try_set_compress(bool on) {
        return detail::call([&](ik_error **e) { return ik_bundle_builder_set_compress(h_.get(), on, e); });
    }
    /* The bundle's bytes. */
    Result<Resource> try_build() const {
        ik_resource *out = nullptr;
        auto r = detail::call([&](ik_error **e) { return ik_bundle_builder_build(h_.get(), &out, e); });
        if (!r.ok()) return detail::failed<Resource>(std::move(r));
        return Result<Resource>(Resource(out));
    }
    /* Writes the bundle to `path`, atomically. */
    Result<void> try_write(std::string_view path) const {
        detail::CStr p(path, "path");
        return detail::call([&](ik_error **e) { return ik_bundle_builder_write(h_.get(), p.get(), e); }, p);
    }
#if IMPORTKIT_EXCEPTIONS
    template <class Range> void add_tree(const Range &files) { detail::value_or_throw(try_add_tree(files)); }
    void add_tree(const Files &files) { detail::value_or_throw(try_add_tree(files)); }
    void add_module(std::string_view name, std::string_view path, Kind kind, bool is_package, std::string_view source = {},
                    bool has_source = true) {
        detail::value_or_throw(try_add_module(name, path, kind, is_package, source, has_source));
    }
    void add_code(std::string_view name, std::string_view tag, std::string_view code) {
        detail::value_or_throw(try_add_code(name, tag, code));
    }
    void add_file(std::string_view path, std::string_view data, std::string_view package = {}) {
        detail::value_or_throw(try_add_file(path, data, package));
    }
    void set_compress(bool on) { detail::value_or_throw(try_set_compress(on)); }
    Resource build() const { return detail::value_or_throw(try_build()); }
    void write(std::string_view path) const { detail::value_or_throw(try_write(path)); }
#endif

  private:
    explicit BundleBuilder(ik_bundle_builder *b) noexcept : h_(b) {}
    detail::Owned<ik_bundle_builder, ik_bundle_builder_free> h_;
};

/* One module of a listing (`ik_runtime_iter_modules`, as `pkgutil.iter_modules` gives them). */
struct ModuleInfo {
    std::string name;
    bool is_package;
};

class Runtime {
  public:
    /* A runtime with Python's conventions, or `profile`'s (a moved-from Profile is refused). */
    static Result<Runtime> try_make(const Profile *profile = nullptr) {
        if (profile && !profile->get())
            return Result<Runtime>(IK_ERR_INVALID_ARGUMENT, Error::local(IK_ERR_INVALID_ARGUMENT, "the profile is empty (moved from)"));
        ik_runtime *rt = nullptr;
        auto r = detail::call([&](ik_error **e) { return ik_runtime_new(profile ? profile->get() : nullptr, &rt, e); });
        if (!r.ok()) return detail::failed<Runtime>(std::move(r));
        return Result<Runtime>(Runtime(rt));
    }
#if IMPORTKIT_EXCEPTIONS
    Runtime() : Runtime(detail::value_or_throw(try_make(nullptr))) {}
    explicit Runtime(const Profile &profile) : Runtime(detail::value_or_throw(try_make(&profile))) {}
#endif
    /* Move-only; frees the runtime once (a moved-from Runtime holds none: its calls are refused). */
    /* The C handle, for the functions this wrapper leaves to the C ABI (path hooks, entry finders). */
    ik_runtime *get() const noexcept { return h_.get(); }

    /* --- the executor --- */

    /* `executor` must outlive the runtime (or the next set_executor): declare it before the Runtime. */
    Result<void> try_set_executor(Executor &executor) { return set_vtable(detail::executor_vtable(&executor, {})); }
    /* The runtime keeps `executor` alive until it lets it go. */
    Result<void> try_set_executor(std::shared_ptr<Executor> executor) {
        if (!executor) return refuse("the executor is empty (nullptr)");
        Executor *raw = executor.get();
        return set_vtable(detail::executor_vtable(raw, std::move(executor)));
    }

    /* --- importing --- */

    /* `importlib.import_module(name, package)`: the module object (borrowed from the module table). */
    Result<void *> try_import(std::string_view name, std::string_view package = {}) const {
        void *m = nullptr;
        auto r = detail::call([&](ik_error **e) {
            return ik_runtime_import_n(h_.get(), name.data(), name.size(), package.empty() ? nullptr : package.data(),
                                       package.size(), &m, e);
        });
        if (!r.ok()) return detail::failed<void *>(std::move(r));
        return Result<void *>(m);
    }
    /* `__import__(name, package, fromlist, level)`: what an import statement binds. */
    Result<void *> try_import_from(std::string_view name, std::string_view package, uint32_t level,
                                   const std::vector<std::string> &fromlist) const {
        detail::CStr n(name, "name");
        detail::OptCStr p(package, "package");
        std::vector<const char *> list;
        for (const std::string &f : fromlist) {
            if (f.find('\0') != std::string::npos) return refuse_as<void *>("a fromlist name");
            list.push_back(f.c_str());
        }
        void *m = nullptr;
        auto r = detail::call(
            [&](ik_error **e) { return ik_runtime_import_from(h_.get(), n.get(), p.get(), level, list.data(), list.size(), &m, e); },
            n, p);
        if (!r.ok()) return detail::failed<void *>(std::move(r));
        return Result<void *>(m);
    }
    /* `importlib.util.find_spec`: executes nothing. */
    Result<Spec> try_find_spec(std::string_view name, std::string_view package = {}) const {
        return spec_call(name, package, ik_runtime_find_spec);
    }
    /* The spec of a module in the module table. */
    Result<Spec> try_module_spec(std::string_view name) const {
        detail::CStr n(name, "name");
        const ik_spec *s = nullptr;
        auto r = detail::call([&](ik_error **e) { return ik_runtime_module_spec(h_.get(), n.get(), &s, e); }, n);
        if (!r.ok()) return detail::failed<Spec>(std::move(r));
        return Result<Spec>(Spec(s));
    }
    /* CPython's `PathFinder.find_spec(name, path)`: the path finder alone over `entries` (the search path when
     * empty). */
    Result<Spec> try_path_find_spec(std::string_view name, const std::vector<std::string> &entries = {}) const {
        detail::CStr n(name, "name");
        std::vector<const char *> list;
        for (const std::string &en : entries) {
            if (en.find('\0') != std::string::npos) return refuse_as<Spec>("a search path entry");
            list.push_back(en.c_str());
        }
        const ik_spec *s = nullptr;
        auto r = detail::call(
            [&](ik_error **e) {
                return ik_runtime_path_find_spec(h_.get(), n.get(), entries.empty() ? nullptr : list.data(), list.size(), &s, e);
            },
            n);
        if (!r.ok()) return detail::failed<Spec>(std::move(r));
        return Result<Spec>(Spec(s));
    }
    /* The module under `name` in the table (any state), or nullptr. */
    void *module(std::string_view name) const {
        detail::CStr n(name, "name");
        void *m = nullptr;
        uint32_t state = 0;
        if (n.nul()) return nullptr;
        return ik_runtime_get_module(h_.get(), n.get(), &m, &state, nullptr) == IK_OK ? m : nullptr;
    }
    bool contains(std::string_view name) const {
        detail::CStr n(name, "name");
        bool in = false;
        return !n.nul() && ik_runtime_contains(h_.get(), n.get(), &in, nullptr) == IK_OK && in;
    }
    Result<void> try_remove_module(std::string_view name) const { return on_string(ik_runtime_remove_module, name, "name"); }
    /* Puts a module object the host made into the table; importkit then holds it (released by the executor). */
    Result<void> try_insert_module(std::string_view name, void *module) const {
        detail::CStr n(name, "name");
        return detail::call([&](ik_error **e) { return ik_runtime_insert_module(h_.get(), n.get(), module, e); }, n);
    }
    /* The same for a package object, whose submodules are searched in `locations`. */
    Result<void> try_insert_package(std::string_view name, void *module, const std::vector<std::string> &locations) const {
        detail::CStr n(name, "name");
        std::vector<const char *> list;
        for (const std::string &l : locations) {
            if (l.find('\0') != std::string::npos) return refuse("a location contains a NUL byte");
            list.push_back(l.c_str());
        }
        return detail::call(
            [&](ik_error **e) { return ik_runtime_insert_package(h_.get(), n.get(), module, list.data(), list.size(), e); }, n);
    }
    /* Every name in the module table, sorted. */
    std::vector<std::string> module_names() const { return names(ik_runtime_list_modules); }

    /* --- sources --- */

    /* Mounts `files` (a range of pairs: path, then bytes as anything a string_view is made from or a container
     * of bytes) at `point`, copied; returns the mount's finder id. */
    template <class Range>
    Result<uint64_t> try_mount(std::string_view point, const Range &files, MountMode mode = MountMode::New) const {
        std::vector<ik_mount_file> list;
        for (const auto &f : files) {
            std::string_view path(f.first);
            std::string_view data = detail::bytes_of(f.second);
            list.push_back({path.data(), path.size(), reinterpret_cast<const uint8_t *>(data.data()), data.size()});
        }
        detail::CStr pt(point, "mount point");
        uint64_t id = 0;
        auto r = detail::call(
            [&](ik_error **e) {
                return ik_runtime_mount(h_.get(), pt.get(), list.data(), list.size(), static_cast<uint32_t>(mode), nullptr,
                                        nullptr, &id, e);
            },
            pt);
        if (!r.ok()) return detail::failed<uint64_t>(std::move(r));
        return Result<uint64_t>(id);
    }
    /* `try_mount` with the files written in place: rt.try_mount("game", {{"__init__.py", ""}}). */
    Result<uint64_t> try_mount(std::string_view point, const Files &files, MountMode mode = MountMode::New) const {
        return try_mount<Files>(point, files, mode);
    }
    Result<void> try_unmount(std::string_view point) const { return on_string(ik_runtime_unmount, point, "mount point"); }
    /* Mounts the bundle file at `path` at `point` (mapped, or read whole), pinned to `pin` if given; returns the
     * mount's finder id. Unmounted with `unmount`, as a tree. */
    Result<uint64_t> try_mount_bundle(std::string_view point, std::string_view path, BundleLoad load = BundleLoad::Map,
                                      const Digest *pin = nullptr, MountMode mode = MountMode::New) const {
        detail::CStr pt(point, "mount point"), p(path, "path");
        uint64_t id = 0;
        uint32_t flags = static_cast<uint32_t>(load) | static_cast<uint32_t>(mode);
        auto r = detail::call(
            [&](ik_error **e) {
                return ik_runtime_mount_bundle(h_.get(), pt.get(), p.get(), flags, pin ? pin->data() : nullptr, &id, e);
            },
            pt, p);
        if (!r.ok()) return detail::failed<uint64_t>(std::move(r));
        return Result<uint64_t>(id);
    }
    /* Mounts the bundle in `bytes` (copied) at `point`, pinned to `pin` if given. */
    Result<uint64_t> try_mount_bundle_bytes(std::string_view point, std::string_view bytes, const Digest *pin = nullptr,
                                            MountMode mode = MountMode::New) const {
        detail::CStr pt(point, "mount point");
        uint64_t id = 0;
        const uint8_t *data = reinterpret_cast<const uint8_t *>(bytes.data() ? bytes.data() : "");
        auto r = detail::call(
            [&](ik_error **e) {
                return ik_runtime_mount_bundle_bytes(h_.get(), pt.get(), data, bytes.size(), static_cast<uint32_t>(mode),
                                                     pin ? pin->data() : nullptr, nullptr, nullptr, &id, e);
            },
            pt);
        if (!r.ok()) return detail::failed<uint64_t>(std::move(r));
        return Result<uint64_t>(id);
    }

    /* A native module made by `factory`; `flags`: IK_NATIVE_POWERFUL, IK_NATIVE_PACKAGE. */
    Result<void> try_register_native(std::string_view name, NativeFn factory, uint32_t flags = 0) const {
        detail::CStr nm(name, "name");
        if (nm.nul()) return refuse("name contains a NUL byte");
        ik_native n{};
        n.size = static_cast<uint32_t>(sizeof n);
        n.flags = flags;
        n.userdata = new NativeFn(std::move(factory));
        n.create = detail::native_create;
        n.release_userdata = detail::native_release;
        return detail::call([&](ik_error **e) { return ik_runtime_register_native(h_.get(), nm.get(), &n, e); });
    }
    Result<void> try_unregister_native(std::string_view name) const {
        return on_string(ik_runtime_unregister_native, name, "name");
    }
    /* A meta-path finder at `position` (clamped); returns its id. */
    Result<uint64_t> try_add_finder(std::string_view name, FinderFn find, size_t position = SIZE_MAX) const {
        detail::CStr nm(name, "finder name");
        if (nm.nul()) return refuse_as<uint64_t>("finder name");
        ik_finder f{};
        f.size = static_cast<uint32_t>(sizeof f);
        f.name = nm.get();
        f.userdata = new FinderFn(std::move(find));
        f.find = detail::finder_find;
        f.release_userdata = detail::finder_release;
        uint64_t id = 0;
        auto r = detail::call([&](ik_error **e) { return ik_runtime_add_finder(h_.get(), &f, position, &id, e); });
        if (!r.ok()) return detail::failed<uint64_t>(std::move(r));
        return Result<uint64_t>(id);
    }
    Result<void> try_remove_finder(uint64_t id) const {
        return detail::call([&](ik_error **e) { return ik_runtime_remove_finder(h_.get(), id, e); });
    }
    /* Gives mounted modules a virtual file under `root` (empty: none, the default). */
    Result<void> try_set_virtual_root(std::string_view root) const {
        detail::OptCStr c(root, "virtual root");
        return detail::call([&](ik_error **e) { return ik_runtime_set_virtual_root(h_.get(), c.get(), e); }, c);
    }

    /* --- policy --- */

    Result<void> try_allow(std::string_view top) const { return on_string(ik_runtime_allow, top, "name"); }
    Result<void> try_deny(std::string_view top) const { return on_string(ik_runtime_deny, top, "name"); }
    Result<void> try_clear_policy() const { return on_runtime(ik_runtime_clear_policy); }

    /* --- the filesystem --- */

    Result<void> try_enable_filesystem(bool on = true) const {
        return detail::call([&](ik_error **e) { return ik_runtime_enable_filesystem(h_.get(), on, e); });
    }
    Result<void> try_path_append(std::string_view entry) const { return on_string(ik_runtime_path_append, entry, "entry"); }
    Result<void> try_path_insert(size_t index, std::string_view entry) const {
        detail::CStr c(entry, "entry");
        return detail::call([&](ik_error **e) { return ik_runtime_path_insert(h_.get(), index, c.get(), e); }, c);
    }
    Result<void> try_path_remove(std::string_view entry) const { return on_string(ik_runtime_path_remove, entry, "entry"); }
    Result<void> try_path_set(const std::vector<std::string> &entries) const {
        std::vector<const char *> list;
        for (const std::string &en : entries) {
            if (en.find('\0') != std::string::npos) return refuse("a search path entry contains a NUL byte");
            list.push_back(en.c_str());
        }
        return detail::call([&](ik_error **e) { return ik_runtime_path_set(h_.get(), list.data(), list.size(), e); });
    }
    std::vector<std::string> search_path() const { return names(ik_runtime_path_list); }
    /* How long a directory listing is trusted (0: a stat on every lookup, as CPython). */
    Result<void> try_set_recheck(uint32_t milliseconds) const {
        return detail::call([&](ik_error **e) { return ik_runtime_set_recheck(h_.get(), milliseconds, e); });
    }
    Result<void> try_confine(std::string_view root) const { return on_string(ik_runtime_confine, root, "root"); }
    Result<void> try_clear_confinement() const { return on_runtime(ik_runtime_clear_confinement); }
    Result<void> try_invalidate() const { return on_runtime(ik_runtime_invalidate); }
    Result<void> try_drop_caches() const { return on_runtime(ik_runtime_drop_caches); }

    /* --- the code cache (docs/CODE_CACHE.md) --- */

    /* Keeps compiled code in directory `dir` across runs (an empty view: in memory only). */
    Result<void> try_set_code_cache_dir(std::string_view dir) const {
        detail::OptCStr d(dir, "dir");
        return detail::call([&](ik_error **e) { return ik_runtime_set_code_cache_dir(h_.get(), d.get(), e); }, d);
    }
    /* Bounds the code kept in memory to `bytes` (0: none). */
    Result<void> try_set_code_cache_limit(uint64_t bytes) const {
        return detail::call([&](ik_error **e) { return ik_runtime_set_code_cache_limit(h_.get(), bytes, e); });
    }
    /* The code cache's counters. */
    Result<ik_code_cache_stats> try_code_cache_stats() const {
        ik_code_cache_stats s{};
        s.size = static_cast<uint32_t>(sizeof s);
        auto r = detail::call([&](ik_error **e) { return ik_runtime_code_cache_stats(h_.get(), &s, e); });
        if (!r.ok()) return detail::failed<ik_code_cache_stats>(std::move(r));
        return Result<ik_code_cache_stats>(s);
    }
    /* `importlib.reload`: found again and executed again in the same module object (borrowed from the table). */
    Result<void *> try_reload(std::string_view name) const {
        detail::CStr n(name, "name");
        void *m = nullptr;
        auto r = detail::call([&](ik_error **e) { return ik_runtime_reload(h_.get(), n.get(), &m, e); }, n);
        if (!r.ok()) return detail::failed<void *>(std::move(r));
        return Result<void *>(m);
    }

    /* --- resources and listing --- */

    /* `importlib.resources.files(package).joinpath(resource).read_bytes()`, without a copy where it can. */
    Result<Resource> try_read_resource(std::string_view package, std::string_view resource) const {
        detail::CStr p(package, "package"), res(resource, "resource");
        ik_resource *out = nullptr;
        auto r = detail::call([&](ik_error **e) { return ik_runtime_read_resource(h_.get(), p.get(), res.get(), &out, e); },
                              p, res);
        if (!r.ok()) return detail::failed<Resource>(std::move(r));
        return Result<Resource>(Resource(out));
    }
    /* The names of the files and directories directly in `package`, sorted. */
    Result<std::vector<std::string>> try_resources(std::string_view package) const {
        detail::CStr p(package, "package");
        ik_name_list *list = nullptr;
        auto r = detail::call([&](ik_error **e) { return ik_runtime_resources(h_.get(), p.get(), &list, e); }, p);
        if (!r.ok()) return detail::failed<std::vector<std::string>>(std::move(r));
        return Result<std::vector<std::string>>(take_names(list));
    }
    /* `pkgutil.iter_modules`: the modules directly in `package`, or the top-level ones for an empty view. */
    Result<std::vector<ModuleInfo>> try_iter_modules(std::string_view package = {}) const {
        detail::OptCStr p(package, "package");
        ik_name_list *list = nullptr;
        auto r = detail::call([&](ik_error **e) { return ik_runtime_iter_modules(h_.get(), p.get(), &list, e); }, p);
        if (!r.ok()) return detail::failed<std::vector<ModuleInfo>>(std::move(r));
        detail::Owned<ik_name_list, ik_name_list_free> owned(list); /* freed even if a push throws */
        std::vector<ModuleInfo> out;
        for (size_t i = 0, n = ik_name_list_count(list); i < n; i++)
            out.push_back({detail::text_of([&](size_t *len) { return ik_name_list_get(list, i, len); }),
                           ik_name_list_is_package(list, i) == 1});
        return Result<std::vector<ModuleInfo>>(std::move(out));
    }

    /* The current search locations of the namespace package `name`. */
    Result<std::vector<std::string>> try_namespace_locations(std::string_view name) const {
        detail::CStr n(name, "name");
        ik_name_list *list = nullptr;
        auto r = detail::call([&](ik_error **e) { return ik_runtime_namespace_locations(h_.get(), n.get(), &list, e); }, n);
        if (!r.ok()) return detail::failed<std::vector<std::string>>(std::move(r));
        return Result<std::vector<std::string>>(take_names(list));
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
    Spec module_spec(std::string_view name) const { return detail::value_or_throw(try_module_spec(name)); }
    Spec path_find_spec(std::string_view name, const std::vector<std::string> &entries = {}) const {
        return detail::value_or_throw(try_path_find_spec(name, entries));
    }
    void remove_module(std::string_view name) const { detail::value_or_throw(try_remove_module(name)); }
    void insert_module(std::string_view name, void *m) const { detail::value_or_throw(try_insert_module(name, m)); }
    void insert_package(std::string_view name, void *m, const std::vector<std::string> &locations) const {
        detail::value_or_throw(try_insert_package(name, m, locations));
    }
    template <class Range> uint64_t mount(std::string_view point, const Range &files, MountMode mode = MountMode::New) const {
        return detail::value_or_throw(try_mount(point, files, mode));
    }
    uint64_t mount(std::string_view point, const Files &files, MountMode mode = MountMode::New) const {
        return detail::value_or_throw(try_mount(point, files, mode));
    }
    void unmount(std::string_view point) const { detail::value_or_throw(try_unmount(point)); }
    uint64_t mount_bundle(std::string_view point, std::string_view path, BundleLoad load = BundleLoad::Map,
                          const Digest *pin = nullptr, MountMode mode = MountMode::New) const {
        return detail::value_or_throw(try_mount_bundle(point, path, load, pin, mode));
    }
    uint64_t mount_bundle_bytes(std::string_view point, std::string_view bytes, const Digest *pin = nullptr,
                                MountMode mode = MountMode::New) const {
        return detail::value_or_throw(try_mount_bundle_bytes(point, bytes, pin, mode));
    }
    void register_native(std::string_view name, NativeFn f, uint32_t flags = 0) const {
        detail::value_or_throw(try_register_native(name, std::move(f), flags));
    }
    void unregister_native(std::string_view name) const { detail::value_or_throw(try_unregister_native(name)); }
    uint64_t add_finder(std::string_view name, FinderFn f, size_t position = SIZE_MAX) const {
        return detail::value_or_throw(try_add_finder(name, std::move(f), position));
    }
    void remove_finder(uint64_t id) const { detail::value_or_throw(try_remove_finder(id)); }
    void set_virtual_root(std::string_view root) const { detail::value_or_throw(try_set_virtual_root(root)); }
    void allow(std::string_view top) const { detail::value_or_throw(try_allow(top)); }
    void deny(std::string_view top) const { detail::value_or_throw(try_deny(top)); }
    void clear_policy() const { detail::value_or_throw(try_clear_policy()); }
    void enable_filesystem(bool on = true) const { detail::value_or_throw(try_enable_filesystem(on)); }
    void path_append(std::string_view entry) const { detail::value_or_throw(try_path_append(entry)); }
    void path_insert(size_t index, std::string_view entry) const { detail::value_or_throw(try_path_insert(index, entry)); }
    void path_remove(std::string_view entry) const { detail::value_or_throw(try_path_remove(entry)); }
    void path_set(const std::vector<std::string> &entries) const { detail::value_or_throw(try_path_set(entries)); }
    void set_recheck(uint32_t milliseconds) const { detail::value_or_throw(try_set_recheck(milliseconds)); }
    void confine(std::string_view root) const { detail::value_or_throw(try_confine(root)); }
    void clear_confinement() const { detail::value_or_throw(try_clear_confinement()); }
    void invalidate() const { detail::value_or_throw(try_invalidate()); }
    void drop_caches() const { detail::value_or_throw(try_drop_caches()); }
    void set_code_cache_dir(std::string_view dir) const { detail::value_or_throw(try_set_code_cache_dir(dir)); }
    void set_code_cache_limit(uint64_t bytes) const { detail::value_or_throw(try_set_code_cache_limit(bytes)); }
    ik_code_cache_stats code_cache_stats() const { return detail::value_or_throw(try_code_cache_stats()); }
    std::vector<std::string> namespace_locations(std::string_view name) const {
        return detail::value_or_throw(try_namespace_locations(name));
    }
    void *reload(std::string_view name) const { return detail::value_or_throw(try_reload(name)); }
    Resource read_resource(std::string_view package, std::string_view resource) const {
        return detail::value_or_throw(try_read_resource(package, resource));
    }
    std::vector<std::string> resources(std::string_view package) const {
        return detail::value_or_throw(try_resources(package));
    }
    std::vector<ModuleInfo> iter_modules(std::string_view package = {}) const {
        return detail::value_or_throw(try_iter_modules(package));
    }
#endif

  private:
    explicit Runtime(ik_runtime *rt) noexcept : h_(rt) {}
    static Result<void> refuse(const char *why) {
        return Result<void>(IK_ERR_INVALID_ARGUMENT, Error::local(IK_ERR_INVALID_ARGUMENT, why));
    }
    template <class T> static Result<T> refuse_as(const char *what) {
        return Result<T>(IK_ERR_INVALID_ARGUMENT, detail::nul_error(what));
    }
    Result<void> set_vtable(ik_executor vt) {
        /* On failure importkit has released the userdata (the slot) already. */
        return detail::call([&](ik_error **e) { return ik_runtime_set_executor(h_.get(), &vt, e); });
    }
    Result<void> on_string(ik_status (*f)(const ik_runtime *, const char *, ik_error **), std::string_view s,
                           const char *what) const {
        detail::CStr c(s, what);
        return detail::call([&](ik_error **e) { return f(h_.get(), c.get(), e); }, c);
    }
    Result<void> on_runtime(ik_status (*f)(const ik_runtime *, ik_error **)) const {
        return detail::call([&](ik_error **e) { return f(h_.get(), e); });
    }
    Result<Spec> spec_call(std::string_view name, std::string_view package,
                           ik_status (*f)(const ik_runtime *, const char *, const char *, const ik_spec **, ik_error **)) const {
        detail::CStr n(name, "name");
        detail::OptCStr p(package, "package");
        const ik_spec *s = nullptr;
        auto r = detail::call([&](ik_error **e) { return f(h_.get(), n.get(), p.get(), &s, e); }, n, p);
        if (!r.ok()) return detail::failed<Spec>(std::move(r));
        return Result<Spec>(Spec(s));
    }
    static std::vector<std::string> take_names(ik_name_list *list) {
        detail::Owned<ik_name_list, ik_name_list_free> owned(list); /* freed even if a push throws */
        std::vector<std::string> out;
        for (size_t i = 0, n = ik_name_list_count(list); i < n; i++)
            out.push_back(detail::text_of([&](size_t *len) { return ik_name_list_get(list, i, len); }));
        return out;
    }
    std::vector<std::string> names(ik_status (*f)(const ik_runtime *, ik_name_list **, ik_error **)) const {
        ik_name_list *list = nullptr;
        if (f(h_.get(), &list, nullptr) != IK_OK) return {};
        return take_names(list);
    }
    detail::Owned<ik_runtime, ik_runtime_free> h_;
};

inline Result<BundleBuilder> BundleBuilder::try_make(const Profile *profile) {
    if (profile && !profile->get())
        return Result<BundleBuilder>(IK_ERR_INVALID_ARGUMENT, Error::local(IK_ERR_INVALID_ARGUMENT, "the profile is empty (moved from)"));
    ik_bundle_builder *b = nullptr;
    auto r = detail::call([&](ik_error **e) { return ik_bundle_builder_new(profile ? profile->get() : nullptr, &b, e); });
    if (!r.ok()) return detail::failed<BundleBuilder>(std::move(r));
    return Result<BundleBuilder>(BundleBuilder(b));
}

} // inline namespace
} // namespace importkit

#endif /* IMPORTKIT_HPP */
