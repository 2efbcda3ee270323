/*
 * fixture.h: a runtime with the test executor, and its teardown with the checks every test wants:
 * freeing the runtime releases every module exactly once and the executor's userdata exactly once.
 */

#ifndef CTESTS_FIXTURE_H
#define CTESTS_FIXTURE_H

#include "check.h"
#include "executor.h"

/* A runtime (with `profile`, NULL for Python's) and a test executor installed in it. */
static inline ik_runtime *fx_runtime_at(const ik_profile *profile, tx_executor **out_tx, const char *file, int line) {
    ik_runtime *rt = NULL;
    ik_error *err = NULL;
    *out_tx = tx_new();
    if (ik_runtime_new(profile, &rt, &err) != IK_OK || rt == NULL) {
        ck_fail_at(file, line, "ik_runtime_new failed: %s", ck_show(ik_error_message(err, NULL)));
        exit(2);
    }
    if (tx_install(*out_tx, rt, &err) != IK_OK) {
        ck_fail_at(file, line, "installing the executor failed: %s", ck_show(ik_error_message(err, NULL)));
        exit(2);
    }
    return rt;
}

/* Frees the runtime, checks that it gave every module and the executor back once, frees the executor. */
static inline void fx_free_at(ik_runtime *rt, tx_executor *tx, const char *file, int line) {
    int creates = tx_creates(tx);
    ik_runtime_free(rt);
    (*ck_checks())++;
    if (tx_live(tx) != 0)
        ck_fail_at(file, line, "after ik_runtime_free %d module(s) were never released", tx_live(tx));
    (*ck_checks())++;
    if (tx_releases(tx) != creates)
        ck_fail_at(file, line, "%d module(s) created but %d released", creates, tx_releases(tx));
    (*ck_checks())++;
    if (tx_userdata_releases(tx) != 1)
        ck_fail_at(file, line, "executor userdata released %d times, want once", tx_userdata_releases(tx));
    tx_free(tx);
}

#define fx_runtime(profile, out_tx) fx_runtime_at((profile), (out_tx), __FILE__, __LINE__)
#define fx_free(rt, tx) fx_free_at((rt), (tx), __FILE__, __LINE__)

#endif /* CTESTS_FIXTURE_H */
