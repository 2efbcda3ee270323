/*
 * tmpdir.h: scratch directory trees for the filesystem tests.
 *
 * A test makes a fresh directory under /tmp with td_make, fills it with td_write (parent directories are
 * made as needed), td_mkdir and td_symlink, names paths inside it with td_join, and removes the whole tree
 * with td_remove (which never follows a symbolic link). Every function returns 0 on success and -1 after
 * printing why on stderr, so a test wraps its setup in CHECK(... == 0) and a broken setup fails the test.
 *
 * The including file defines _XOPEN_SOURCE 700 before any include (realpath, symlink, mkdtemp).
 */

#ifndef CTESTS_TMPDIR_H
#define CTESTS_TMPDIR_H

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Room for every path a test builds. */
#define TD_MAX 1024

static inline int td_error(const char *what, const char *path) {
    fprintf(stderr, "tmpdir: %s '%s': %s\n", what, path, strerror(errno));
    return -1;
}

/* out (TD_MAX bytes) = root "/" rel, or root itself when rel is "" or NULL. Returns out. */
static inline char *td_join(char *out, const char *root, const char *rel) {
    if (rel == NULL || *rel == '\0')
        snprintf(out, TD_MAX, "%s", root);
    else
        snprintf(out, TD_MAX, "%s/%s", root, rel);
    return out;
}

/* A new, empty directory /tmp/ik-ctest-XXXXXX (its real path, links resolved) into root (TD_MAX bytes). */
static inline int td_make(char *root) {
    char templ[] = "/tmp/ik-ctest-XXXXXX";
    char real[PATH_MAX];
    if (mkdtemp(templ) == NULL) return td_error("mkdtemp", templ);
    size_t n;
    if (realpath(templ, real) == NULL) return td_error("realpath", templ);
    n = strlen(real);
    if (n + 256 >= TD_MAX) {
        fprintf(stderr, "tmpdir: '%s' is too long for the tests\n", real);
        return -1;
    }
    memcpy(root, real, n + 1);
    return 0;
}

/* Makes root/rel and every missing directory above it (mkdir -p). */
static inline int td_mkdir(const char *root, const char *rel) {
    char path[TD_MAX];
    size_t start = strlen(root) + 1, i;
    td_join(path, root, rel);
    for (i = start; path[i] != '\0'; i++) {
        if (path[i] != '/') continue;
        path[i] = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST) return td_error("mkdir", path);
        path[i] = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST) return td_error("mkdir", path);
    return 0;
}

/* Makes the directory that will hold root/rel. */
static inline int td_parent(const char *root, const char *rel) {
    char dir[TD_MAX];
    const char *slash = strrchr(rel, '/');
    if (slash == NULL) return 0;
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - rel), rel);
    return td_mkdir(root, dir);
}

/* Writes text to root/rel (replacing it), making its directory first. */
static inline int td_write(const char *root, const char *rel, const char *text) {
    char path[TD_MAX];
    FILE *f;
    if (td_parent(root, rel) != 0) return -1;
    td_join(path, root, rel);
    f = fopen(path, "w");
    if (f == NULL) return td_error("fopen", path);
    if (fputs(text, f) == EOF) {
        fclose(f);
        return td_error("fputs", path);
    }
    if (fclose(f) != 0) return td_error("fclose", path);
    return 0;
}

/* Makes root/rel a symbolic link to target (used as given: absolute, or relative to the link's directory). */
static inline int td_symlink(const char *target, const char *root, const char *rel) {
    char path[TD_MAX];
    if (td_parent(root, rel) != 0) return -1;
    td_join(path, root, rel);
    if (symlink(target, path) != 0) return td_error("symlink", path);
    return 0;
}

/* Removes the file (or link) root/rel. */
static inline int td_unlink(const char *root, const char *rel) {
    char path[TD_MAX];
    td_join(path, root, rel);
    if (unlink(path) != 0) return td_error("unlink", path);
    return 0;
}

/* Whether root/rel exists (links not followed). */
static inline int td_exists(const char *root, const char *rel) {
    char path[TD_MAX];
    struct stat st;
    return lstat(td_join(path, root, rel), &st) == 0;
}

/* Removes path and everything under it; a symbolic link is removed, never followed. */
static inline int td_remove(const char *path) {
    struct stat st;
    DIR *dir;
    struct dirent *d;
    int status = 0;
    if (lstat(path, &st) != 0) return errno == ENOENT ? 0 : td_error("lstat", path);
    if (!S_ISDIR(st.st_mode)) return unlink(path) == 0 ? 0 : td_error("unlink", path);
    dir = opendir(path);
    if (dir == NULL) return td_error("opendir", path);
    while ((d = readdir(dir)) != NULL) {
        char child[TD_MAX];
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0) continue;
        td_join(child, path, d->d_name);
        if (td_remove(child) != 0) status = -1;
    }
    closedir(dir);
    if (rmdir(path) != 0) return td_error("rmdir", path);
    return status;
}

#endif /* CTESTS_TMPDIR_H */
