/* importkit_cdef.h: GENERATED from importkit.h by build.rs for LuaJIT's ffi.cdef; do not edit. */
static const uint32_t IK_VERSION_MAJOR = 0;
static const uint32_t IK_VERSION_MINOR = 1;
static const uint32_t IK_VERSION_PATCH = 0;
static const uint32_t IK_BUNDLE_READ = 4;
static const uint32_t IK_SHA256_LEN = 32;
static const uint32_t IK_NATIVE_POWERFUL = 1;
static const uint32_t IK_NATIVE_PACKAGE = 2;
static const uint32_t IK_CODE_WHOLE_NAME = 1;
static const uint32_t IK_CODE_FILES = 2;
static const uint32_t IK_MODULE_INITIALIZING = 0;
static const uint32_t IK_MODULE_READY = 1;
static const uint32_t IK_MOUNT_BORROW = 1;
static const uint32_t IK_MOUNT_REPLACE = 2;
static const uint32_t IK_PROFILE_PYTHON = 0;
static const uint32_t IK_PROFILE_LUA = 1;
static const uint32_t IK_PROFILE_EMPTY = 2;
static const uint32_t IK_IDENT_PYTHON = 0;
static const uint32_t IK_IDENT_LUA = 1;
static const uint32_t IK_IDENT_ANY = 2;
static const uint32_t IK_MAX_NAME_LEN = 4096;
static const uint32_t IK_MAX_NAME_SEGMENTS = 256;
static const uint32_t IK_MAX_PATH_LEN = 4096;
static const uint32_t IK_MAX_SUFFIX_LEN = 64;
static const uint32_t IK_MAX_HOST_MESSAGE_LEN = 65536;
static const uint32_t IK_MAX_PATH_ENTRIES = 65536;
static const uint32_t IK_MAX_SUFFIXES = 64;
static const uint32_t IK_MAX_FROMLIST = 65536;
static const uint32_t IK_MAX_LISTED = 1000000;
static const uint32_t IK_MAX_IMPORT_DEPTH = 200;
static const uint32_t IK_MAX_REF_HOPS = 8;
static const uint32_t IK_MAX_REF_SIZE = 65536;
static const uint32_t IK_MAX_REF_TARGETS = 4096;
static const uint32_t IK_MAX_LINKS = 40;
static const uint32_t IK_MAX_QUOTED = 200;
static const uint32_t IK_MAX_NOTES = 64;
static const uint32_t IK_MAX_LISTED_ATTEMPTS = 64;
static const uint32_t IK_MAX_ATTEMPT_TEXT = 1024;
static const uint32_t IK_MAX_SHOWN_NAME = 80;
static const uint32_t IK_MAX_SHOWN_PATH = 120;
static const uint32_t IK_MAX_FINDER_NAME_LEN = 64;
static const uint32_t IK_MAX_CACHED_RUNTIMES = 4;
static const uint32_t IK_MAX_ZIP_MEMBERS = 1000000;
static const uint32_t INLINE = 24;
typedef enum {
    IK_OK = 0,
    IK_ERR_INVALID_ARGUMENT = 1,
    IK_ERR_INVALID_NAME = 2,
    IK_ERR_NOT_FOUND = 3,
    IK_ERR_IMPORT = 4,
    IK_ERR_DENIED = 5,
    IK_ERR_EXEC = 6,
    IK_ERR_HOST = 7,
    IK_ERR_DEADLOCK = 8,
    IK_ERR_EXISTS = 9,
    IK_ERR_INVALID_MOUNT = 10,
    IK_ERR_UNAVAILABLE = 11,
    IK_ERR_INTERNAL = 12,
    IK_ERR_IO = 13,
} ik_status;
typedef enum {
    IK_KIND_SOURCE = 0,
    IK_KIND_BYTECODE = 1,
    IK_KIND_EXTENSION = 2,
    IK_KIND_NATIVE = 3,
    IK_KIND_NAMESPACE = 4,
} ik_kind;
typedef struct ik_spec ik_spec;
typedef struct ik_profile ik_profile;
typedef struct ik_runtime ik_runtime;
typedef struct ik_bundle_builder ik_bundle_builder;
typedef struct ik_bytes ik_bytes;
typedef struct ik_error ik_error;
typedef struct ik_found ik_found;
typedef struct ik_modules ik_modules;
typedef struct ik_name_list ik_name_list;
typedef struct ik_report ik_report;
typedef struct ik_resource ik_resource;
typedef struct ik_strings ik_strings;
typedef void (*ik_release_fn)(void *userdata);
typedef struct {
    const char *path;
    size_t path_len;
    const uint8_t *data;
    size_t data_len;
} ik_mount_file;
typedef struct {
    uint32_t size;
    uint32_t reserved;
    uint64_t compiles;
    uint64_t hits_source;
    uint64_t hits_memory;
    uint64_t hits_directory;
    uint64_t misses;
    uint64_t rejected;
    uint64_t stores;
    uint64_t store_failures;
    uint64_t evictions;
    uint64_t entries;
    uint64_t bytes;
    uint64_t limit;
} ik_code_cache_stats;
typedef struct {
    uint32_t size;
    void *userdata;
    int32_t (*create)(void *userdata, const ik_spec *spec, void **out_module, ik_report *report);
    int32_t (*exec)(void *userdata,
                    const ik_spec *spec,
                    void *module,
                    const uint8_t *source,
                    size_t source_len,
                    ik_report *report);
    int32_t (*bind)(void *userdata, void *parent, const char *name, size_t name_len, void *child);
    bool (*has_attr)(void *userdata, void *module, const char *name, size_t name_len);
    int32_t (*all_names)(void *userdata, void *module, ik_strings *out, ik_report *report);
    void (*release)(void *userdata, void *module);
    ik_release_fn release_userdata;
    int32_t (*compile)(void *userdata,
                       const ik_spec *spec,
                       const uint8_t *source,
                       size_t source_len,
                       ik_bytes *out,
                       ik_report *report);
    int32_t (*exec_code)(void *userdata,
                         const ik_spec *spec,
                         void *module,
                         const uint8_t *code,
                         size_t code_len,
                         ik_report *report);
} ik_executor;
typedef struct {
    uint32_t size;
    uint32_t flags;
    void *userdata;
    int32_t (*create)(void *userdata, const ik_spec *spec, void **out_module, ik_report *report);
    ik_release_fn release_userdata;
} ik_native;
typedef struct {
    uint32_t size;
    const char *name;
    void *userdata;
    int32_t (*find)(void *userdata,
                    const char *name,
                    size_t name_len,
                    const char *const *path,
                    size_t path_count,
                    ik_found *found,
                    ik_report *report);
    void (*invalidate)(void *userdata);
    ik_release_fn release_userdata;
    int32_t (*read_resource)(void *userdata,
                             const char *package,
                             size_t package_len,
                             const char *resource,
                             size_t resource_len,
                             ik_bytes *out,
                             ik_report *report);
    int32_t (*resources)(void *userdata,
                         const char *package,
                         size_t package_len,
                         ik_strings *out,
                         ik_report *report);
    int32_t (*iter_modules)(void *userdata,
                            const char *package,
                            size_t package_len,
                            ik_modules *out,
                            ik_report *report);
} ik_finder;
typedef struct {
    uint32_t size;
    void *userdata;
    int32_t (*find)(void *userdata, const char *name, size_t name_len, ik_found *found, ik_report *report);
    void (*invalidate)(void *userdata);
    ik_release_fn release_userdata;
    int32_t (*read_resource)(void *userdata,
                             const char *resource,
                             size_t resource_len,
                             ik_bytes *out,
                             ik_report *report);
    int32_t (*resources)(void *userdata, ik_strings *out, ik_report *report);
    int32_t (*iter_modules)(void *userdata, ik_modules *out, ik_report *report);
} ik_entry_finder;
typedef struct {
    uint32_t size;
    const char *name;
    void *userdata;
    int32_t (*hook)(void *userdata,
                    const char *entry,
                    size_t entry_len,
                    ik_entry_finder *out,
                    bool *claimed,
                    ik_report *report);
    ik_release_fn release_userdata;
} ik_path_hook;
typedef struct {
    uint32_t size;
    uint32_t kind;
    bool is_package;
    const char *name;
    size_t name_len;
    const char *origin;
    size_t origin_len;
    const char *file;
    size_t file_len;
    const char *cached;
    size_t cached_len;
    const char *parent;
    size_t parent_len;
    size_t location_count;
    size_t ref_count;
    void *host_data;
} ik_spec_fields;
const char *ik_version(void);
uint32_t ik_version_number(void);
ik_status ik_runtime_mount_bundle(const ik_runtime *rt,
                                  const char *point,
                                  const char *path,
                                  uint32_t flags,
                                  const uint8_t *sha256,
                                  uint64_t *out_id,
                                  ik_error **out_error);
ik_status ik_runtime_mount_bundle_bytes(const ik_runtime *rt,
                                        const char *point,
                                        const uint8_t *data,
                                        size_t len,
                                        uint32_t flags,
                                        const uint8_t *sha256,
                                        ik_release_fn release,
                                        void *release_userdata,
                                        uint64_t *out_id,
                                        ik_error **out_error);
ik_status ik_runtime_mount_bundle_appended(const ik_runtime *rt,
                                           const char *point,
                                           const char *path,
                                           uint32_t flags,
                                           const uint8_t *sha256,
                                           uint64_t *out_id,
                                           ik_error **out_error);
ik_status ik_bundle_verify(const char *path, uint8_t *out_sha256, ik_error **out_error);
ik_status ik_bundle_builder_new(const ik_profile *profile,
                                ik_bundle_builder **out_builder,
                                ik_error **out_error);
void ik_bundle_builder_free(ik_bundle_builder *builder);
ik_status ik_bundle_builder_set_compress(ik_bundle_builder *builder, bool compress, ik_error **out_error);
ik_status ik_bundle_builder_add_tree(ik_bundle_builder *builder,
                                     const ik_mount_file *files,
                                     size_t count,
                                     ik_error **out_error);
ik_status ik_bundle_builder_add_dir(ik_bundle_builder *builder,
                                    const char *dir,
                                    const char *const *excludes,
                                    size_t exclude_count,
                                    ik_error **out_error);
ik_status ik_bundle_builder_add_module(ik_bundle_builder *builder,
                                       const char *name,
                                       const char *path,
                                       uint32_t kind,
                                       bool is_package,
                                       const uint8_t *source,
                                       size_t source_len,
                                       ik_error **out_error);
ik_status ik_bundle_builder_add_code(ik_bundle_builder *builder,
                                     const char *name,
                                     const char *cache_tag,
                                     const uint8_t *code,
                                     size_t code_len,
                                     ik_error **out_error);
ik_status ik_bundle_builder_modules(ik_bundle_builder *builder,
                                    uint32_t kind,
                                    ik_name_list **out_list,
                                    ik_error **out_error);
ik_status ik_bundle_builder_add_file(ik_bundle_builder *builder,
                                     const char *package,
                                     const char *path,
                                     const uint8_t *data,
                                     size_t data_len,
                                     ik_error **out_error);
ik_status ik_bundle_builder_build(ik_bundle_builder *builder, ik_resource **out_bytes, ik_error **out_error);
ik_status ik_bundle_builder_write(ik_bundle_builder *builder, const char *path, ik_error **out_error);
ik_status ik_runtime_set_code_cache_dir(const ik_runtime *rt, const char *dir, ik_error **out_error);
ik_status ik_runtime_set_code_cache_limit(const ik_runtime *rt, uint64_t bytes, ik_error **out_error);
ik_status ik_runtime_code_cache_stats(const ik_runtime *rt,
                                      ik_code_cache_stats *out_stats,
                                      ik_error **out_error);
void ik_error_free(ik_error *error);
ik_status ik_error_status(const ik_error *error);
const char *ik_error_message(const ik_error *error, size_t *len_out);
const char *ik_error_module(const ik_error *error, size_t *len_out);
size_t ik_error_attempt_count(const ik_error *error);
const char *ik_error_attempt_place(const ik_error *error, size_t index, size_t *len_out);
const char *ik_error_attempt_reason(const ik_error *error, size_t index, size_t *len_out);
const char *ik_error_host_message(const ik_error *error, size_t *len_out);
void *ik_error_host_data(const ik_error *error);
uint32_t ik_error_line(const ik_error *error);
uint32_t ik_error_column(const ik_error *error);
ik_status ik_runtime_get_code(const ik_runtime *rt,
                              const char *name,
                              size_t name_len,
                              uint32_t flags,
                              const ik_spec **out_spec,
                              ik_resource **out_bytes,
                              bool *out_is_code,
                              ik_error **out_error);
ik_status ik_runtime_import(const ik_runtime *rt,
                            const char *name,
                            const char *package,
                            void **out_module,
                            ik_error **out_error);
ik_status ik_runtime_import_n(const ik_runtime *rt,
                              const char *name,
                              size_t name_len,
                              const char *package,
                              size_t package_len,
                              void **out_module,
                              ik_error **out_error);
ik_status ik_runtime_import_from(const ik_runtime *rt,
                                 const char *name,
                                 const char *package,
                                 uint32_t level,
                                 const char *const *fromlist,
                                 size_t count,
                                 void **out_module,
                                 ik_error **out_error);
ik_status ik_runtime_find_spec(const ik_runtime *rt,
                               const char *name,
                               const char *package,
                               const ik_spec **out_spec,
                               ik_error **out_error);
ik_status ik_runtime_reload(const ik_runtime *rt, const char *name, void **out_module, ik_error **out_error);
ik_status ik_runtime_get_module(const ik_runtime *rt,
                                const char *name,
                                void **out_module,
                                uint32_t *out_state,
                                ik_error **out_error);
ik_status ik_runtime_module_spec(const ik_runtime *rt,
                                 const char *name,
                                 const ik_spec **out_spec,
                                 ik_error **out_error);
ik_status ik_runtime_contains(const ik_runtime *rt,
                              const char *name,
                              bool *out_contains,
                              ik_error **out_error);
ik_status ik_runtime_remove_module(const ik_runtime *rt, const char *name, ik_error **out_error);
ik_status ik_runtime_insert_module(const ik_runtime *rt,
                                   const char *name,
                                   void *module,
                                   ik_error **out_error);
ik_status ik_runtime_insert_package(const ik_runtime *rt,
                                    const char *name,
                                    void *module,
                                    const char *const *locations,
                                    size_t count,
                                    ik_error **out_error);
ik_status ik_runtime_list_modules(const ik_runtime *rt, ik_name_list **out_list, ik_error **out_error);
size_t ik_name_list_count(const ik_name_list *list);
const char *ik_name_list_get(const ik_name_list *list, size_t index, size_t *len_out);
int32_t ik_name_list_is_package(const ik_name_list *list, size_t index);
void ik_name_list_free(ik_name_list *list);
ik_status ik_runtime_mount(const ik_runtime *rt,
                           const char *point,
                           const ik_mount_file *files,
                           size_t count,
                           uint32_t flags,
                           ik_release_fn release,
                           void *release_userdata,
                           uint64_t *out_id,
                           ik_error **out_error);
ik_status ik_runtime_unmount(const ik_runtime *rt, const char *point, ik_error **out_error);
ik_status ik_profile_new(uint32_t base, const char *name, ik_profile **out_profile, ik_error **out_error);
void ik_profile_free(ik_profile *profile);
ik_status ik_profile_add_suffix(ik_profile *profile, uint32_t kind, const char *suffix, ik_error **out_error);
ik_status ik_profile_clear_suffixes(ik_profile *profile, uint32_t kind, ik_error **out_error);
ik_status ik_profile_set_init_stem(ik_profile *profile, const char *stem, ik_error **out_error);
ik_status ik_profile_set_namespace_dirs(ik_profile *profile, bool enabled, ik_error **out_error);
ik_status ik_profile_set_identifiers(ik_profile *profile, uint32_t rule, ik_error **out_error);
ik_status ik_profile_set_cache_tag(ik_profile *profile, const char *tag, ik_error **out_error);
ik_status ik_report_error(ik_report *report,
                          int32_t status,
                          const char *message,
                          uint32_t line,
                          uint32_t column,
                          ik_error **out_error);
ik_status ik_report_pass(ik_report *report, const ik_error *error, ik_error **out_error);
ik_status ik_found_set(ik_found *found,
                       const char *origin,
                       uint32_t kind,
                       bool is_package,
                       ik_error **out_error);
ik_status ik_found_add_location(ik_found *found, const char *location, ik_error **out_error);
ik_status ik_found_set_file(ik_found *found, const char *file, ik_error **out_error);
ik_status ik_found_set_source(ik_found *found, const uint8_t *data, size_t len, ik_error **out_error);
ik_status ik_found_set_code(ik_found *found,
                            const char *cache_tag,
                            const uint8_t *data,
                            size_t len,
                            ik_error **out_error);
ik_status ik_strings_push(ik_strings *strings, const char *name, size_t name_len, ik_error **out_error);
ik_status ik_bytes_set(ik_bytes *out, const uint8_t *data, size_t len, ik_error **out_error);
ik_status ik_modules_push(ik_modules *out,
                          const char *name,
                          size_t name_len,
                          bool is_package,
                          ik_error **out_error);
ik_status ik_found_set_host_data(ik_found *found, void *data, ik_release_fn release, ik_error **out_error);
ik_status ik_report_host_data(ik_report *report, void *data, ik_release_fn release, ik_error **out_error);
ik_status ik_runtime_read_resource(const ik_runtime *rt,
                                   const char *package,
                                   const char *resource,
                                   ik_resource **out_resource,
                                   ik_error **out_error);
ik_status ik_runtime_read_file(const ik_runtime *rt,
                               const char *path,
                               ik_resource **out_resource,
                               ik_error **out_error);
ik_status ik_runtime_distributions(const ik_runtime *rt, ik_name_list **out_list, ik_error **out_error);
const uint8_t *ik_resource_data(const ik_resource *resource, size_t *out_len);
void ik_resource_free(ik_resource *resource);
ik_status ik_runtime_resources(const ik_runtime *rt,
                               const char *package,
                               ik_name_list **out_list,
                               ik_error **out_error);
ik_status ik_runtime_iter_modules(const ik_runtime *rt,
                                  const char *package,
                                  ik_name_list **out_list,
                                  ik_error **out_error);
ik_status ik_runtime_new(const ik_profile *profile, ik_runtime **out_runtime, ik_error **out_error);
void ik_runtime_free(ik_runtime *rt);
ik_status ik_runtime_set_executor(const ik_runtime *rt, const ik_executor *executor, ik_error **out_error);
ik_status ik_runtime_set_virtual_root(const ik_runtime *rt, const char *root, ik_error **out_error);
ik_status ik_runtime_register_native(const ik_runtime *rt,
                                     const char *name,
                                     const ik_native *native,
                                     ik_error **out_error);
ik_status ik_runtime_unregister_native(const ik_runtime *rt, const char *name, ik_error **out_error);
ik_status ik_runtime_add_finder(const ik_runtime *rt,
                                const ik_finder *finder,
                                size_t position,
                                uint64_t *out_id,
                                ik_error **out_error);
ik_status ik_runtime_remove_finder(const ik_runtime *rt, uint64_t id, ik_error **out_error);
ik_status ik_runtime_allow(const ik_runtime *rt, const char *name, ik_error **out_error);
ik_status ik_runtime_deny(const ik_runtime *rt, const char *name, ik_error **out_error);
ik_status ik_runtime_clear_policy(const ik_runtime *rt, ik_error **out_error);
ik_status ik_runtime_invalidate(const ik_runtime *rt, ik_error **out_error);
ik_status ik_runtime_enable_filesystem(const ik_runtime *rt, bool enabled, ik_error **out_error);
ik_status ik_runtime_path_append(const ik_runtime *rt, const char *entry, ik_error **out_error);
ik_status ik_runtime_path_insert(const ik_runtime *rt, size_t index, const char *entry, ik_error **out_error);
ik_status ik_runtime_path_remove(const ik_runtime *rt, const char *entry, ik_error **out_error);
ik_status ik_runtime_path_set(const ik_runtime *rt,
                              const char *const *entries,
                              size_t count,
                              ik_error **out_error);
ik_status ik_runtime_path_list(const ik_runtime *rt, ik_name_list **out_list, ik_error **out_error);
ik_status ik_runtime_add_path_hook(const ik_runtime *rt,
                                   const ik_path_hook *hook,
                                   size_t position,
                                   uint64_t *out_id,
                                   ik_error **out_error);
ik_status ik_runtime_remove_path_hook(const ik_runtime *rt, uint64_t id, ik_error **out_error);
ik_status ik_runtime_set_recheck(const ik_runtime *rt, uint32_t milliseconds, ik_error **out_error);
ik_status ik_runtime_confine(const ik_runtime *rt, const char *root, ik_error **out_error);
ik_status ik_runtime_clear_confinement(const ik_runtime *rt, ik_error **out_error);
ik_status ik_runtime_drop_caches(const ik_runtime *rt, ik_error **out_error);
ik_status ik_runtime_namespace_locations(const ik_runtime *rt,
                                         const char *name,
                                         ik_name_list **out_list,
                                         ik_error **out_error);
ik_status ik_runtime_path_find_spec(const ik_runtime *rt,
                                    const char *name,
                                    const char *const *entries,
                                    size_t count,
                                    const ik_spec **out_spec,
                                    ik_error **out_error);
const char *ik_kind_name(uint32_t kind);
const char *ik_spec_name(const ik_spec *spec, size_t *len_out);
const char *ik_spec_origin(const ik_spec *spec, size_t *len_out);
const char *ik_spec_file(const ik_spec *spec, size_t *len_out);
void *ik_spec_host_data(const ik_spec *spec);
const char *ik_spec_cached(const ik_spec *spec, size_t *len_out);
const char *ik_spec_parent(const ik_spec *spec, size_t *len_out);
uint32_t ik_spec_kind(const ik_spec *spec);
bool ik_spec_is_package(const ik_spec *spec);
size_t ik_spec_location_count(const ik_spec *spec);
const char *ik_spec_location(const ik_spec *spec, size_t index, size_t *len_out);
size_t ik_spec_ref_count(const ik_spec *spec);
const char *ik_spec_ref(const ik_spec *spec, size_t index, size_t *len_out);
size_t ik_spec_location_ref_count(const ik_spec *spec, size_t location);
const char *ik_spec_location_ref(const ik_spec *spec, size_t location, size_t index, size_t *len_out);
ik_status ik_spec_get_fields(const ik_spec *spec, ik_spec_fields *out, ik_error **out_error);
void ik_spec_free(const ik_spec *spec);
const char *ik_status_name(int32_t status);
