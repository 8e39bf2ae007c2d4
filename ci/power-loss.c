/*
 * outbox-chaos power-loss shim: an LD_PRELOAD library in the project's Redis image that gives a
 * container's file system the one property a power loss needs and a container lacks: forgetting
 * what was written but never fsynced.
 *
 * While Redis runs, the shim writes down, for every file under the data directory, how many of
 * its bytes are durable:
 *   - fsync(fd), fdatasync(fd): the file's length just before the call (every byte written before
 *     it is on disk once it returns; bytes a concurrent write adds during the call may not be);
 *   - open(O_TRUNC), fopen("w"), truncate, ftruncate: nothing past the new length is durable;
 *   - open or fopen for writing a file the shim never saw: its length then (it predates the
 *     shim, or the harness wrote it);
 *   - rename(old, new): new's record is old's (Redis writes the RDB and the AOF manifest to a
 *     temporary file, fsyncs it, then renames it); unlink drops the record.
 * Each record is a file of its own in the state directory ("<length> <seconds>.<nanoseconds>\n",
 * the second field when the fsync began: the length is taken just after that), replaced
 * atomically with rename, so Redis's threads and its forked children (RDB and AOF rewrite)
 * never overwrite each other's records. Metadata (create, rename, unlink) counts as durable at
 * once, as a journaling file system makes it within a moment; the data is what the fsync policy
 * decides.
 *
 * A power loss is a SIGKILL of the container after which the harness drops a marker file
 * (`power-lost`) in the state directory. When Redis starts again, this library's constructor
 * runs before Redis's main: seeing the marker, it cuts every recorded file back to its durable
 * length (a file never fsynced comes back empty), writes what it cut to stderr and to
 * `restored` in the state directory, and removes the marker. A plain crash (a SIGKILL with no
 * marker) keeps everything written, as the OS's page cache would.
 *
 * Directories: OUTBOX_CHAOS_POWER_DATA (default /data), OUTBOX_CHAOS_POWER_STATE (default /power).
 * Records are not fsynced: the host does not lose power, only the container pretends to.
 * This file must never change what a call returns or does to Redis's own files while no marker
 * is present, and never touch a file outside the data directory.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char data_dir[PATH_MAX] = "/data";
static char state_dir[PATH_MAX] = "/power";

static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static int (*real_rename)(const char *, const char *);
static int (*real_unlink)(const char *);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static FILE *(*real_fopen)(const char *, const char *);
static FILE *(*real_fopen64)(const char *, const char *);
static int (*real_truncate)(const char *, off_t);
static int (*real_truncate64)(const char *, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off_t);

#define RESOLVE(name) \
    do { if (!real_##name) real_##name = dlsym(RTLD_NEXT, #name); } while (0)

static void resolve_all(void) {
    RESOLVE(fsync); RESOLVE(fdatasync); RESOLVE(rename); RESOLVE(unlink);
    RESOLVE(open); RESOLVE(open64); RESOLVE(fopen); RESOLVE(fopen64);
    RESOLVE(truncate); RESOLVE(truncate64); RESOLVE(ftruncate); RESOLVE(ftruncate64);
}

/* `path` made absolute (relative paths are Redis's, relative to its working directory). */
static int absolute(const char *path, char *out) {
    if (path[0] == '/') {
        if (strlen(path) >= PATH_MAX) return -1;
        strcpy(out, path);
        return 0;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return -1;
    if (snprintf(out, PATH_MAX, "%s/%s", cwd, path) >= PATH_MAX) return -1;
    return 0;
}

/* The path under the data directory ("appendonlydir/x.aof"), or NULL when outside it. */
static const char *under_data(const char *abs) {
    size_t n = strlen(data_dir);
    if (strncmp(abs, data_dir, n) != 0 || abs[n] != '/') return NULL;
    const char *rel = abs + n + 1;
    while (rel[0] == '.' && rel[1] == '/') rel += 2;
    return rel[0] ? rel : NULL;
}

/* The record file of a data file: its relative path with '%' and '/' escaped. */
static int record_path(const char *rel, char *out) {
    size_t n = (size_t)snprintf(out, PATH_MAX, "%s/", state_dir);
    for (const char *c = rel; *c; c++) {
        if (n + 4 >= PATH_MAX) return -1;
        if (*c == '/' || *c == '%') n += (size_t)sprintf(out + n, "%%%02X", (unsigned char)*c);
        else out[n++] = *c;
    }
    out[n] = 0;
    return 0;
}

static int record_exists(const char *rel) {
    char rec[PATH_MAX];
    struct stat st;
    return record_path(rel, rec) == 0 && stat(rec, &st) == 0;
}

/* Reads a record: its durable length and when it was made durable. */
static int read_record(const char *rel, long long *len, char *when, size_t when_size) {
    char rec[PATH_MAX];
    if (record_path(rel, rec) != 0) return -1;
    int fd = real_open(rec, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char buf[128];
    ssize_t got = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (got <= 0) return -1;
    buf[got] = 0;
    char stamp[64] = "";
    if (sscanf(buf, "%lld %63s", len, stamp) < 1) return -1;
    snprintf(when, when_size, "%s", stamp);
    return 0;
}

/* Replaces the record of `rel` atomically (a private temporary file, then rename); `at` is when
 * the length became durable (NULL: now). */
static void write_record_at(const char *rel, long long len, const struct timespec *at) {
    char rec[PATH_MAX], tmp[PATH_MAX], line[96];
    if (record_path(rel, rec) != 0) return;
    if (snprintf(tmp, sizeof tmp, "%s/.tmp-%ld-%ld", state_dir, (long)getpid(),
                 (long)syscall(SYS_gettid)) >= (int)sizeof tmp)
        return;
    struct timespec now;
    if (at) now = *at;
    else clock_gettime(CLOCK_REALTIME, &now);
    int n = snprintf(line, sizeof line, "%lld %lld.%09ld\n", len, (long long)now.tv_sec, now.tv_nsec);
    int saved = errno;
    int fd = real_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ssize_t wrote = write(fd, line, (size_t)n);
        close(fd);
        if (wrote == n) real_rename(tmp, rec);
        else real_unlink(tmp);
    }
    errno = saved;
}

static void write_record(const char *rel, long long len) { write_record_at(rel, len, NULL); }

/* The data-relative path of an open file descriptor of a regular file, or NULL. */
static const char *fd_rel(int fd, char *abs) {
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, abs, PATH_MAX - 1);
    if (n <= 0) return NULL;
    abs[n] = 0;
    return under_data(abs);
}

/* The record's time is taken before the length: every byte of that length was written by
 * then, and a byte written later (during the fsync) may not be durable, so whatever was
 * acknowledged before that time is kept. */
static int fsync_with_record(int fd, int (*real)(int)) {
    char abs[PATH_MAX];
    struct stat st;
    struct timespec at;
    clock_gettime(CLOCK_REALTIME, &at);
    const char *rel = fd_rel(fd, abs);
    int tracked = rel && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    int ret = real(fd);
    if (ret == 0 && tracked) write_record_at(rel, (long long)st.st_size, &at);
    return ret;
}

int fsync(int fd) {
    RESOLVE(fsync);
    return fsync_with_record(fd, real_fsync);
}

int fdatasync(int fd) {
    RESOLVE(fdatasync);
    return fsync_with_record(fd, real_fdatasync);
}

/* After an open for writing: a truncated file has nothing durable; a file never seen keeps the
 * length it had (it predates the shim). */
static void opened_for_writing(int fd, int truncated) {
    char abs[PATH_MAX];
    struct stat st;
    const char *rel = fd_rel(fd, abs);
    if (!rel || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;
    if (truncated) write_record(rel, 0);
    else if (!record_exists(rel)) write_record(rel, (long long)st.st_size);
}

static int open_with_record(int (*real)(const char *, int, ...), const char *path, int flags,
                            mode_t mode) {
    int fd = real(path, flags, mode);
    if (fd >= 0 && (flags & (O_WRONLY | O_RDWR))) opened_for_writing(fd, (flags & O_TRUNC) != 0);
    return fd;
}

int open(const char *path, int flags, ...) {
    RESOLVE(open);
    mode_t mode = 0;
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return open_with_record(real_open, path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    RESOLVE(open64);
    mode_t mode = 0;
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return open_with_record(real_open64, path, flags, mode);
}

static FILE *fopen_with_record(FILE *(*real)(const char *, const char *), const char *path,
                               const char *mode) {
    FILE *f = real(path, mode);
    if (f && (strchr(mode, 'w') || strchr(mode, 'a') || strchr(mode, '+')))
        opened_for_writing(fileno(f), strchr(mode, 'w') != NULL);
    return f;
}

FILE *fopen(const char *path, const char *mode) {
    RESOLVE(fopen);
    return fopen_with_record(real_fopen, path, mode);
}

FILE *fopen64(const char *path, const char *mode) {
    RESOLVE(fopen64);
    return fopen_with_record(real_fopen64, path, mode);
}

/* A record longer than the file after a truncation would keep bytes written later. */
static void truncated_to(const char *rel, off_t len) {
    long long durable;
    char when[64];
    if (rel && read_record(rel, &durable, when, sizeof when) == 0 && durable > (long long)len)
        write_record(rel, (long long)len);
}

int truncate(const char *path, off_t len) {
    RESOLVE(truncate);
    int ret = real_truncate(path, len);
    char abs[PATH_MAX];
    if (ret == 0 && absolute(path, abs) == 0) truncated_to(under_data(abs), len);
    return ret;
}

int truncate64(const char *path, off_t len) {
    RESOLVE(truncate64);
    int ret = real_truncate64(path, len);
    char abs[PATH_MAX];
    if (ret == 0 && absolute(path, abs) == 0) truncated_to(under_data(abs), len);
    return ret;
}

int ftruncate(int fd, off_t len) {
    RESOLVE(ftruncate);
    int ret = real_ftruncate(fd, len);
    char abs[PATH_MAX];
    if (ret == 0) truncated_to(fd_rel(fd, abs), len);
    return ret;
}

int ftruncate64(int fd, off_t len) {
    RESOLVE(ftruncate64);
    int ret = real_ftruncate64(fd, len);
    char abs[PATH_MAX];
    if (ret == 0) truncated_to(fd_rel(fd, abs), len);
    return ret;
}

int rename(const char *from, const char *to) {
    RESOLVE(rename);
    int ret = real_rename(from, to);
    if (ret != 0) return ret;
    int saved = errno;
    char abs_from[PATH_MAX], abs_to[PATH_MAX], rec_from[PATH_MAX], rec_to[PATH_MAX];
    const char *rel_from = absolute(from, abs_from) == 0 ? under_data(abs_from) : NULL;
    const char *rel_to = absolute(to, abs_to) == 0 ? under_data(abs_to) : NULL;
    int have_from = rel_from && record_path(rel_from, rec_from) == 0;
    int have_to = rel_to && record_path(rel_to, rec_to) == 0;
    if (have_to) {
        /* The target is now the source's file: its record, or none when the shim never saw it. */
        if (!(have_from && real_rename(rec_from, rec_to) == 0)) real_unlink(rec_to);
    } else if (have_from) {
        real_unlink(rec_from);
    }
    errno = saved;
    return ret;
}

int unlink(const char *path) {
    RESOLVE(unlink);
    int ret = real_unlink(path);
    char abs[PATH_MAX], rec[PATH_MAX];
    const char *rel = ret == 0 && absolute(path, abs) == 0 ? under_data(abs) : NULL;
    if (rel && record_path(rel, rec) == 0) {
        int saved = errno;
        real_unlink(rec);
        errno = saved;
    }
    return ret;
}

static void say(FILE *report, const char *text) {
    ssize_t ignored = write(2, text, strlen(text));
    (void)ignored;
    if (report) fputs(text, report);
}

/* Cuts every recorded file under `dir` back to its durable length. */
static void restore_dir(const char *dir, FILE *report) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char abs[PATH_MAX];
        struct stat st;
        if (snprintf(abs, sizeof abs, "%s/%s", dir, e->d_name) >= PATH_MAX) continue;
        if (lstat(abs, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            restore_dir(abs, report);
            continue;
        }
        const char *rel = under_data(abs);
        long long durable;
        char when[64], line[PATH_MAX + 160];
        if (!S_ISREG(st.st_mode) || !rel || read_record(rel, &durable, when, sizeof when) != 0)
            continue;
        if ((long long)st.st_size <= durable) continue;
        if (real_truncate(abs, (off_t)durable) != 0) {
            snprintf(line, sizeof line, "power-loss: cannot cut %s to %lld bytes: %s\n", rel,
                     durable, strerror(errno));
        } else {
            snprintf(line, sizeof line,
                     "power-loss: %s: kept %lld of %lld bytes (durable since %s)\n", rel, durable,
                     (long long)st.st_size, when);
        }
        say(report, line);
    }
    closedir(d);
}

__attribute__((constructor)) static void power_loss_init(void) {
    resolve_all();
    const char *d = getenv("OUTBOX_CHAOS_POWER_DATA");
    const char *s = getenv("OUTBOX_CHAOS_POWER_STATE");
    if (d && *d && strlen(d) < PATH_MAX) strcpy(data_dir, d);
    if (s && *s && strlen(s) < PATH_MAX) strcpy(state_dir, s);
    char marker[PATH_MAX], done[PATH_MAX];
    snprintf(marker, sizeof marker, "%s/power-lost", state_dir);
    snprintf(done, sizeof done, "%s/restored", state_dir);
    struct stat st;
    if (stat(marker, &st) != 0) return;
    FILE *report = real_fopen(done, "w");
    say(report, "power-loss: the power went: cutting the data files to what was fsynced\n");
    restore_dir(data_dir, report);
    say(report, "power-loss: done\n");
    if (report) fclose(report);
    real_unlink(marker);
}
