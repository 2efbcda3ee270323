/*
 * executor.h: a small executor for the C tests, implementing the `ik_executor` vtable.
 *
 * A module object is a `tx_module` (name, package, attributes, `__all__`). A module body is the mounted
 * source, one statement per line:
 *
 *   import NAME            ik_runtime_import(NAME, package of this module); NAME may start with dots
 *   from NAME import A, B  ik_runtime_import_from(NAME without its dots, package, level = number of dots, [A, B])
 *   raise MESSAGE          fails: ik_report_error(IK_ERR_EXEC, MESSAGE, line, column of `raise`)
 *   set KEY VALUE          sets an attribute
 *   all A B C              sets __all__ (given to `from pkg import *` through all_names)
 *   state NAME             logs "state NAME=initializing|ready|absent" (what ik_runtime_get_module says)
 *   sleep MS               sleeps (widens race windows in the threads test)
 *   unmount POINT          ik_runtime_unmount(POINT), then reads this module's source bytes again
 *   # ...                  a comment; empty lines are skipped too
 *
 * After an `import` or `from` statement the executor logs "partial IMPORTER<-IMPORTED" when the module the
 * statement got back is still IK_MODULE_INITIALIZING (a circular import). A nested import that fails is
 * passed on with ik_report_pass. Everything hangs off the executor's userdata (a `tx_executor`); counters
 * are protected by a mutex, so several threads may import at once.
 */

#ifndef CTESTS_EXECUTOR_H
#define CTESTS_EXECUTOR_H

#include <stddef.h>

#include "importkit.h"

typedef struct tx_executor tx_executor;
typedef struct tx_module tx_module;

/* A new executor, not yet given to any runtime. */
tx_executor *tx_new(void);

/* Gives the executor to `rt` (ik_runtime_set_executor) and remembers `rt` for nested imports. */
ik_status tx_install(tx_executor *tx, const ik_runtime *rt, ik_error **out_error);

/* The vtable tx_install uses, for tests that want to alter it. */
ik_executor tx_vtable(tx_executor *tx);

/* Frees the executor (after the runtime it served, so every module was released). */
void tx_free(tx_executor *tx);

/* On: a released module is marked dead and kept until tx_free instead of freed, so a test whose modules use
 * the (borrowed) results of their nested imports while other threads remove modules stays well defined;
 * every callback then counts the dead modules it is given (tx_dead_uses). */
void tx_quarantine(tx_executor *tx, int on);
/* Makes `create` fail (IK_ERR_EXEC, "create refused") for modules named `name` (NULL: none). */
void tx_refuse_create(tx_executor *tx, const char *name);

/* A module object as `create` makes it, for native factories that want one. Counted as a create. */
void *tx_make_module(tx_executor *tx, const ik_spec *spec);

/* A module object the host makes itself (for ik_runtime_insert_module). Counted as a create. */
void *tx_module_named(tx_executor *tx, const char *name);

/* Counters. */
int tx_exec_count(tx_executor *tx, const char *name);
int tx_creates(tx_executor *tx);
int tx_releases(tx_executor *tx);
int tx_live(tx_executor *tx);
int tx_binds(tx_executor *tx);
int tx_userdata_releases(tx_executor *tx);
/* How many times an object was executed when it had been executed already (0 is right). */
int tx_double_execs(tx_executor *tx);
/* How many times a callback was given a module importkit had already released, or a release came twice. */
int tx_dead_uses(tx_executor *tx);

/* Whether the log holds `entry` exactly, and how many entries it holds. */
int tx_logged(tx_executor *tx, const char *entry);
size_t tx_log_count(tx_executor *tx);

/* A module's name, package and attributes (NULL when absent). */
const char *tx_name(const void *module);
const char *tx_package(const void *module);
const char *tx_attr(tx_executor *tx, const void *module, const char *key);

#endif /* CTESTS_EXECUTOR_H */
