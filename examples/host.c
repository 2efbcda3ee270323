/*
 * A small C host: mounts a game's scripts from memory, registers a native module, and imports through
 * an executor whose "code" is one statement per line (`import NAME`, `print TEXT`). It shows the whole
 * cycle a real engine goes through: create a module object, execute it (nested imports included), bind it
 * to its parent, release it when the runtime goes away.
 *
 *   bash scripts/run.sh example-host     (or, against an install: cc host.c $(pkg-config --cflags --libs importkit))
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "importkit.h"

typedef struct Module {
    char name[256];
} Module;

static int32_t create(void *ud, const ik_spec *spec, void **out, ik_report *report) {
    (void)ud;
    (void)report;
    Module *m = calloc(1, sizeof *m);
    if (!m) return IK_ERR_EXEC;
    snprintf(m->name, sizeof m->name, "%s", ik_spec_name(spec, NULL));
    *out = m;
    return IK_OK;
}

static int32_t exec(void *ud, const ik_spec *spec, void *module, const uint8_t *src, size_t len,
                    ik_report *report) {
    const ik_runtime *rt = ud;
    (void)module;
    printf("exec %-18s from %s\n", ik_spec_name(spec, NULL), ik_spec_origin(spec, NULL));
    char line[512];
    size_t at = 0;
    while (at < len) {
        size_t n = 0;
        while (at < len && src[at] != '\n' && n + 1 < sizeof line) line[n++] = (char)src[at++];
        at++;
        line[n] = '\0';
        if (strncmp(line, "import ", 7) == 0) {
            void *m;
            ik_error *err = NULL;
            int32_t st = ik_runtime_import(rt, line + 7, ik_spec_parent(spec, NULL), &m, &err);
            if (st != IK_OK) {
                ik_report_pass(report, err, NULL);
                ik_error_free(err);
                return st;
            }
        } else if (strncmp(line, "print ", 6) == 0) {
            printf("  %s says: %s\n", ik_spec_name(spec, NULL), line + 6);
        }
    }
    return IK_OK;
}

static void release(void *ud, void *module) {
    (void)ud;
    free(module);
}

static int32_t make_clock(void *ud, const ik_spec *spec, void **out, ik_report *report) {
    return create(ud, spec, out, report);
}

static ik_mount_file file(const char *path, const char *text) {
    ik_mount_file f = {path, strlen(path), (const uint8_t *)text, strlen(text)};
    return f;
}

int main(void) {
    ik_runtime *rt;
    ik_error *err = NULL;
    if (ik_runtime_new(NULL, &rt, &err) != IK_OK) return 1;

    /* No bind, has_attr, all_names or userdata release; no compile or exec_code (no code cache). */
    ik_executor ex = {sizeof ex, rt, create, exec, NULL, NULL, NULL, release, NULL, NULL, NULL};
    ik_native clock = {sizeof clock, 0, NULL, make_clock, NULL};
    ik_mount_file files[] = {
        file("__init__.py", "print booting\nimport .core"),
        file("core/__init__.py", "import clock\nprint core ready"),
        file("core/player.py", "import ..util\nprint player spawned"),
        file("util.py", "print util loaded"),
    };
    ik_runtime_set_executor(rt, &ex, NULL);
    ik_runtime_register_native(rt, "clock", &clock, NULL);
    ik_runtime_mount(rt, "game", files, 4, 0, NULL, NULL, NULL, NULL);

    const char *wanted[] = {"game.core.player", "game.core.player", "game.missing"};
    for (int i = 0; i < 3; i++) {
        void *module;
        if (ik_runtime_import(rt, wanted[i], NULL, &module, &err) == IK_OK) {
            printf("import %s -> module %s\n", wanted[i], ((Module *)module)->name);
        } else {
            printf("import %s failed: %s: %s\n", wanted[i], ik_status_name(ik_error_status(err)),
                   ik_error_message(err, NULL));
            ik_error_free(err);
            err = NULL;
        }
    }
    ik_runtime_free(rt);
    printf("importkit %s\n", ik_version());
    return 0;
}
