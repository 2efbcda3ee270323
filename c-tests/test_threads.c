/* test_threads.c: 8 threads import the same memory tree at once: every module executes exactly once and
 * every thread sees the same module objects; a ring of cross-thread circular imports resolves; threads
 * that wait on a failing module all get its error. */

#define _POSIX_C_SOURCE 200809L

#include <pthread.h>

#include "fixture.h"

enum { THREADS = 8 };

static const char *const TREE[] = {
    "__init__.py",   "sleep 2\nset root 1",
    "a.py",          "sleep 1\nimport t.b\nimport t.c\nset a 1",
    "b.py",          "sleep 2\nfrom . import c\nset b 1",
    "c.py",          "sleep 1\nimport t.d.x\nset c 1",
    "d/__init__.py", "sleep 1",
    "d/x.py",        "import ..e\nsleep 1",
    "e.py",          "set e 1",
    "f.py",          "from t import a, b, e\nsleep 1",
    "ring/__init__.py", "",
    "ring/r0.py", "sleep 5\nimport t.ring.r1\nset done 1",
    "ring/r1.py", "sleep 5\nimport t.ring.r2\nset done 1",
    "ring/r2.py", "sleep 5\nimport t.ring.r3\nset done 1",
    "ring/r3.py", "sleep 5\nimport t.ring.r4\nset done 1",
    "ring/r4.py", "sleep 5\nimport t.ring.r5\nset done 1",
    "ring/r5.py", "sleep 5\nimport t.ring.r6\nset done 1",
    "ring/r6.py", "sleep 5\nimport t.ring.r7\nset done 1",
    "ring/r7.py", "sleep 5\nimport t.ring.r0\nset done 1",
    "bad.py",     "sleep 50\nraise nope",
    "p/__init__.py", "sleep 5\nimport t.q\nset done 1",
    "p/a.py",        "set done 1",
    "q/__init__.py", "sleep 5\nimport t.p.a\nset done 1",
};

static const char *const DAG[] = {"t", "t.a", "t.b", "t.c", "t.d", "t.d.x", "t.e", "t.f"};

typedef struct {
    const ik_runtime *rt;
    pthread_barrier_t *start;
    const char *entry;
    int dag; /* after its import, the job imports every module of DAG and keeps what it got */
    ik_status status;
    ik_status error_status;
    char message[256];
    void *seen[CK_COUNT(DAG)];
} job;

static void *run_job(void *arg) {
    job *j = arg;
    void *m = NULL;
    ik_error *err = NULL;
    size_t i;
    pthread_barrier_wait(j->start);
    j->status = ik_runtime_import(j->rt, j->entry, NULL, &m, &err);
    if (err != NULL) {
        j->error_status = ik_error_status(err);
        snprintf(j->message, sizeof j->message, "%s", ik_error_message(err, NULL));
        ik_error_free(err);
        err = NULL;
    }
    if (j->status == IK_OK && j->dag) {
        for (i = 0; i < CK_COUNT(DAG); i++) {
            if (ik_runtime_import(j->rt, DAG[i], NULL, &j->seen[i], &err) != IK_OK) {
                j->status = ik_error_status(err);
                snprintf(j->message, sizeof j->message, "%s", ik_error_message(err, NULL));
            }
            ik_error_free(err);
            err = NULL;
        }
    }
    return NULL;
}

/* Starts THREADS threads on `entries` at once (a barrier) and waits for them. */
static void run_all(const ik_runtime *rt, job *jobs, const char *const *entries, size_t n_entries, int dag) {
    pthread_t threads[THREADS];
    pthread_barrier_t start;
    int i;
    pthread_barrier_init(&start, NULL, THREADS);
    for (i = 0; i < THREADS; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].rt = rt;
        jobs[i].start = &start;
        jobs[i].entry = entries[(size_t)i % n_entries];
        jobs[i].dag = dag;
        if (pthread_create(&threads[i], NULL, run_job, &jobs[i]) != 0) {
            FAIL("pthread_create failed");
            exit(2);
        }
    }
    for (i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
}

static void every_module_executes_once(int round) {
    static const char *const ENTRIES[] = {"t.a", "t.f", "t.d.x", "t.b", "t.c", "t", "t.e", "t.a"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_name_list *list = NULL;
    job jobs[THREADS];
    size_t i;
    int t;

    CHECK_OK(ck_mount(rt, "t", TREE, CK_COUNT(TREE) / 2, &err));
    run_all(rt, jobs, ENTRIES, CK_COUNT(ENTRIES), 1);
    for (t = 0; t < THREADS; t++) {
        if (jobs[t].status != IK_OK)
            FAIL("round %d, thread %d (%s): %s: %s", round, t, jobs[t].entry, ik_status_name(jobs[t].status),
                 jobs[t].message);
        for (i = 0; i < CK_COUNT(DAG); i++)
            if (jobs[t].seen[i] != jobs[0].seen[i] || jobs[t].seen[i] == NULL)
                FAIL("round %d: thread %d saw another %s than thread 0", round, t, DAG[i]);
    }
    for (i = 0; i < CK_COUNT(DAG); i++) {
        if (tx_exec_count(tx, DAG[i]) != 1)
            FAIL("round %d: %s executed %d times, want once", round, DAG[i], tx_exec_count(tx, DAG[i]));
        CHECK_INT(ck_state(rt, DAG[i]), IK_MODULE_READY);
    }
    CHECK_STR(tx_attr(tx, jobs[0].seen[1], "a"), "1");
    CHECK_OK(ik_runtime_list_modules(rt, &list, &err));
    CHECK_INT(ik_name_list_count(list), CK_COUNT(DAG));
    ik_name_list_free(list);
    CHECK_INT(tx_creates(tx), CK_COUNT(DAG));
    CHECK_INT(tx_releases(tx), 0);
    fx_free(rt, tx);
}

static void a_ring_of_cross_thread_cycles_resolves(void) {
    static const char *const ENTRIES[] = {"t.ring.r0", "t.ring.r1", "t.ring.r2", "t.ring.r3",
                                          "t.ring.r4", "t.ring.r5", "t.ring.r6", "t.ring.r7"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    job jobs[THREADS];
    size_t i, partials = 0;
    int t;
    char entry[64];

    CHECK_OK(ck_mount(rt, "t", TREE, CK_COUNT(TREE) / 2, &err));
    run_all(rt, jobs, ENTRIES, CK_COUNT(ENTRIES), 0);
    for (t = 0; t < THREADS; t++)
        if (jobs[t].status != IK_OK)
            FAIL("thread %d (%s): %s: %s", t, jobs[t].entry, ik_status_name(jobs[t].status), jobs[t].message);
    for (i = 0; i < CK_COUNT(ENTRIES); i++) {
        void *m = NULL;
        CHECK_INT(tx_exec_count(tx, ENTRIES[i]), 1);
        CHECK_OK(ik_runtime_get_module(rt, ENTRIES[i], &m, NULL, &err));
        CHECK_STR(tx_attr(tx, m, "done"), "1");
        snprintf(entry, sizeof entry, "partial %s<-%s", ENTRIES[i], ENTRIES[(i + 1) % CK_COUNT(ENTRIES)]);
        partials += (size_t)tx_logged(tx, entry);
    }
    /* The thread that closed the ring got a partial module; nobody else did. */
    CHECK(partials >= 1);
    CHECK_INT(tx_log_count(tx), partials);
    fx_free(rt, tx);
}

static void a_cycle_through_a_parent_package_resolves(void) {
    /* t.p imports t.q while t.q imports t.p.a, whose parent t.p is still executing in another thread. */
    static const char *const ENTRIES[] = {"t.p.a", "t.q"};
    static const char *const NAMES[] = {"t.p", "t.p.a", "t.q"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    job jobs[THREADS];
    size_t i;
    int t;

    CHECK_OK(ck_mount(rt, "t", TREE, CK_COUNT(TREE) / 2, &err));
    run_all(rt, jobs, ENTRIES, CK_COUNT(ENTRIES), 0);
    for (t = 0; t < THREADS; t++)
        if (jobs[t].status != IK_OK)
            FAIL("thread %d (%s): %s: %s", t, jobs[t].entry, ik_status_name(jobs[t].status), jobs[t].message);
    for (i = 0; i < CK_COUNT(NAMES); i++) {
        void *m = NULL;
        CHECK_INT(tx_exec_count(tx, NAMES[i]), 1);
        CHECK_OK(ik_runtime_get_module(rt, NAMES[i], &m, NULL, &err));
        CHECK_STR(tx_attr(tx, m, "done"), "1");
        CHECK_INT(ck_state(rt, NAMES[i]), IK_MODULE_READY);
    }
    fx_free(rt, tx);
}

static void waiters_of_a_failing_module_get_its_error(void) {
    static const char *const ENTRIES[] = {"t.bad"};
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    job jobs[THREADS];
    int t;

    CHECK_OK(ck_mount(rt, "t", TREE, CK_COUNT(TREE) / 2, &err));
    run_all(rt, jobs, ENTRIES, CK_COUNT(ENTRIES), 0);
    for (t = 0; t < THREADS; t++) {
        CHECK_INT(jobs[t].status, IK_ERR_EXEC);
        CHECK_STR(jobs[t].message, "executing module 't.bad' failed: nope (line 2, column 1)");
    }
    /* Threads that waited share one execution; one that came after the failure may try again. */
    CHECK(tx_exec_count(tx, "t.bad") >= 1 && tx_exec_count(tx, "t.bad") <= THREADS);
    CHECK(!ck_in_table(rt, "t.bad"));
    CHECK_INT(tx_releases(tx), tx_exec_count(tx, "t.bad"));
    fx_free(rt, tx);
}

int main(void) {
    int round;
    for (round = 0; round < 3; round++) every_module_executes_once(round);
    a_ring_of_cross_thread_cycles_resolves();
    a_cycle_through_a_parent_package_resolves();
    waiters_of_a_failing_module_get_its_error();
    return ck_finish("test_threads");
}
