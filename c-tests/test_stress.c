/* test_stress.c: 8 threads on one runtime for a bounded time: importing (plain, fromlist, `*`, nested,
 * from the filesystem), removing modules, remounting and unmounting the tree, invalidating, changing the
 * policy and the search path, all at once. Checks: no object executed twice, no object a callback gets
 * is already released (the test executor reads every object it is given, so valgrind or ASan sees a use
 * after free: released objects are quarantined and every callback checks), every status one that a caller
 * may see, no module lost (every object not released is in the
 * table once the threads stop), no deadlock (a watchdog ends the run).
 *
 * STRESS_MS (default 1500) sets how long the threads run. run.sh runs this under valgrind and, built with
 * -fsanitize=address,undefined, natively. */

#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

enum { THREADS = 8 };

static const char *const TREE[] = {
    "__init__.py",     "all m n\nset x 1",
    "m.py",            "import r.n\nset m 1",
    "n.py",            "set n 1",
    "sub/__init__.py", "from .. import m",
    "sub/k.py",        "import ..n\nfrom r import *\nset k 1",
};

static atomic_int stop;
static atomic_int finished;
static atomic_long operations;
static atomic_int bad_statuses;
static char fs_dir[256];
static long duration_ms = 1500;

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Counts a status no caller may see here (a crash would end the run; this catches the quiet kind). */
static void expect(ik_status got, ik_error **err, const char *what, int allowed_mask) {
    atomic_fetch_add(&operations, 1);
    if (got != IK_OK && !(allowed_mask & (1 << got)) && atomic_fetch_add(&bad_statuses, 1) < 5)
        fprintf(stderr, "%s: %s: %s\n", what, ik_status_name(got), *err ? ik_error_message(*err, NULL) : "(none)");
    ik_error_free(*err);
    *err = NULL;
}

/* What an import may meet while others remove, unmount and deny: denial, absence (unmounted), or a module
 * removed from the table while it executed. */
#define IMPORT_OUTCOMES ((1 << IK_ERR_DENIED) | (1 << IK_ERR_NOT_FOUND) | (1 << IK_ERR_IMPORT))

static void importer(const ik_runtime *rt, unsigned seed) {
    static const char *const M_N[] = {"m", "n"};
    static const char *const STAR[] = {"*"};
    static const char *const NAMES[] = {"r.m", "r.n", "r.sub.k", "r", "fsmod", "r.sub"};
    while (!atomic_load(&stop)) {
        void *m = NULL;
        ik_error *err = NULL;
        seed = seed * 1103515245u + 12345u;
        switch ((seed >> 16) % 4) {
        case 0:
            expect(ik_runtime_import(rt, NAMES[(seed >> 8) % CK_COUNT(NAMES)], NULL, &m, &err), &err, "import",
                   IMPORT_OUTCOMES);
            break;
        case 1:
            expect(ik_runtime_import_from(rt, "r", NULL, 0, M_N, 2, &m, &err), &err, "from r import m, n",
                   IMPORT_OUTCOMES);
            break;
        case 2:
            expect(ik_runtime_import_from(rt, "r", NULL, 0, STAR, 1, &m, &err), &err, "from r import *",
                   IMPORT_OUTCOMES);
            break;
        default:
            expect(ik_runtime_import_from(rt, "k", "r.sub", 1, NULL, 0, &m, &err), &err, "import .k",
                   IMPORT_OUTCOMES);
            break;
        }
    }
}

static void remover(const ik_runtime *rt) {
    static const char *const NAMES[] = {"r.m", "r", "r.n", "r.sub.k", "r.sub", "fsmod"};
    size_t i = 0;
    while (!atomic_load(&stop)) {
        ik_error *err = NULL;
        expect(ik_runtime_remove_module(rt, NAMES[i++ % CK_COUNT(NAMES)], &err), &err, "remove",
               1 << IK_ERR_NOT_FOUND);
    }
}

static void remounter(const ik_runtime *rt) {
    int round = 0;
    while (!atomic_load(&stop)) {
        ik_error *err = NULL;
        if (round++ % 8 == 7) {
            expect(ik_runtime_unmount(rt, "r", &err), &err, "unmount", 1 << IK_ERR_UNAVAILABLE);
            err = NULL;
            expect(ck_mount(rt, "r", TREE, CK_COUNT(TREE) / 2, &err), &err, "mount", 1 << IK_ERR_EXISTS);
        } else {
            ik_mount_file files[CK_COUNT(TREE) / 2];
            size_t i;
            for (i = 0; i < CK_COUNT(files); i++) files[i] = ck_file(TREE[2 * i], TREE[2 * i + 1]);
            expect(ik_runtime_mount(rt, "r", files, CK_COUNT(files), IK_MOUNT_REPLACE, NULL, NULL, NULL, &err), &err,
                   "remount", 0);
        }
    }
}

static void invalidator(const ik_runtime *rt) {
    int round = 0;
    while (!atomic_load(&stop)) {
        ik_error *err = NULL;
        if (round++ % 2)
            expect(ik_runtime_invalidate(rt, &err), &err, "invalidate", 0);
        else
            expect(ik_runtime_drop_caches(rt, &err), &err, "drop caches", 0);
    }
}

static void policy_changer(const ik_runtime *rt) {
    int round = 0;
    while (!atomic_load(&stop)) {
        ik_error *err = NULL;
        switch (round++ % 4) {
        case 0: expect(ik_runtime_deny(rt, "r", &err), &err, "deny", 0); break;
        case 1: expect(ik_runtime_clear_policy(rt, &err), &err, "clear policy", 0); break;
        case 2: expect(ik_runtime_allow(rt, "fsmod", &err), &err, "allow", 0); break;
        default: expect(ik_runtime_clear_policy(rt, &err), &err, "clear policy", 0); break;
        }
    }
}

static void path_changer(const ik_runtime *rt) {
    const char *entries[] = {fs_dir};
    int round = 0;
    while (!atomic_load(&stop)) {
        ik_error *err = NULL;
        switch (round++ % 3) {
        case 0: expect(ik_runtime_path_set(rt, entries, 1, &err), &err, "path set", 0); break;
        case 1: expect(ik_runtime_path_set(rt, NULL, 0, &err), &err, "path clear", 0); break;
        default: expect(ik_runtime_path_append(rt, fs_dir, &err), &err, "path append", 0); break;
        }
    }
}

typedef struct {
    const ik_runtime *rt;
    int role;
} worker;

static void *run_worker(void *arg) {
    worker *w = arg;
    switch (w->role) {
    case 0: case 1: case 2: importer(w->rt, 7u + (unsigned)w->role); break;
    case 3: remover(w->rt); break;
    case 4: remounter(w->rt); break;
    case 5: invalidator(w->rt); break;
    case 6: policy_changer(w->rt); break;
    default: path_changer(w->rt); break;
    }
    return NULL;
}

/* Ends the process if the workers have not finished long after they were told to stop: a deadlock. */
static void *watchdog(void *arg) {
    double deadline = *(double *)arg;
    while (!atomic_load(&finished)) {
        if (now_ms() > deadline) {
            fprintf(stderr, "test_stress: DEADLOCK: the threads did not stop within %.0f ms of the end\n",
                    deadline - duration_ms);
            fflush(stderr);
            _exit(3);
        }
        sleep_ms(20);
    }
    return NULL;
}

int main(void) {
    tx_executor *tx;
    ik_runtime *rt = fx_runtime(NULL, &tx);
    ik_error *err = NULL;
    ik_name_list *list = NULL;
    pthread_t threads[THREADS], dog;
    worker workers[THREADS];
    double grace, start;
    char path[300];
    const char *env = getenv("STRESS_MS");
    FILE *f;
    int i;

    if (env != NULL && atol(env) > 0) duration_ms = atol(env);
    /* The modules here run nested imports and read what they got back (borrowed, see docs/ABI.md) while
     * other threads remove modules: released objects are kept dead instead of freed, and every callback
     * checks it is not given one. */
    tx_quarantine(tx, 1);
    snprintf(fs_dir, sizeof fs_dir, "%s/ik-stress-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(fs_dir) == NULL) {
        FAIL("mkdtemp failed");
        return 2;
    }
    snprintf(path, sizeof path, "%s/fsmod.py", fs_dir);
    f = fopen(path, "w");
    if (f == NULL) return 2;
    fputs("import r.n\nset fs 1\n", f);
    fclose(f);
    CHECK_OK(ik_runtime_enable_filesystem(rt, true, &err));
    CHECK_OK(ik_runtime_set_recheck(rt, 0, &err));
    CHECK_OK(ck_mount(rt, "r", TREE, CK_COUNT(TREE) / 2, &err));

    start = now_ms();
    grace = start + (double)duration_ms + 60000.0;
    pthread_create(&dog, NULL, watchdog, &grace);
    for (i = 0; i < THREADS; i++) {
        workers[i].rt = rt;
        workers[i].role = i;
        if (pthread_create(&threads[i], NULL, run_worker, &workers[i]) != 0) {
            FAIL("pthread_create failed");
            return 2;
        }
    }
    while (now_ms() - start < (double)duration_ms) sleep_ms(10);
    atomic_store(&stop, 1);
    for (i = 0; i < THREADS; i++) pthread_join(threads[i], NULL);
    atomic_store(&finished, 1);
    pthread_join(dog, NULL);

    printf("test_stress: %ld operations in %.0f ms, %d modules created, %d released while running\n",
           atomic_load(&operations), now_ms() - start, tx_creates(tx), tx_releases(tx));
    CHECK_INT(atomic_load(&bad_statuses), 0);
    CHECK_INT(tx_double_execs(tx), 0);
    CHECK_INT(tx_dead_uses(tx), 0);
    CHECK(atomic_load(&operations) > 0);
    /* No module lost: with every thread stopped, the objects not yet released are exactly those in the table
     * (each module of this test is one object under one name). */
    CHECK_OK(ik_runtime_list_modules(rt, &list, &err));
    CHECK_INT(tx_live(tx), ik_name_list_count(list));
    ik_name_list_free(list);
    fx_free(rt, tx);
    remove(path);
    rmdir(fs_dir);
    return ck_finish("test_stress");
}
