/*
 * fileio-local.c: FileIO backend for the local file system.
 *
 * The work is synchronous (local disk), the callbacks are not: results go
 * through fileio_complete() so callers see the same behaviour as with S3.
 * Files appear atomically: write a temp file in the target directory,
 * fsync it, rename (or link(2) for create-only, which fails with EEXIST if
 * the target exists; renameat2 RENAME_NOREPLACE where there are no hard
 * links) and fsync the directory.  Missing parent directories
 * are created (0755; 0700, and the file 0600, for FILEIO_PRIVATE).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "xmalloc.h"

#define FILEIO_TMP_MARK	".tmp-"

struct fileio_local_writer {
	struct fileio_writer	 w;	/* first */
	char			*path;
	char			*tmp;
	int			 fd;
	int			 error;	/* errno of a failed write */
};

/* The path part of a file: URL or plain path. */
static const char *
fileio_local_path(const char *url)
{
	if (strncasecmp(url, "file://", 7) == 0)
		return (url + 7);
	if (strncasecmp(url, "file:", 5) == 0)
		return (url + 5);
	return (url);
}

/* Create the directory path and its parents (mode as for mkdir). */
static int
fileio_local_mkdirs(const char *dir, mode_t mode)
{
	char	*p, *s;
	int	 rc = 0;

	s = xstrdup(dir);
	for (p = s + 1; rc == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (*p == '\0') {
			if (mkdir(s, mode) != 0 && errno != EEXIST)
				rc = -1;
			break;
		}
		*p = '\0';
		if (mkdir(s, mode) != 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	free(s);
	return (rc);
}

/* The directory of path ("." if none), heap. */
static char *
fileio_local_dir(const char *path)
{
	const char	*slash = strrchr(path, '/');

	if (slash == NULL)
		return (xstrdup("."));
	if (slash == path)
		return (xstrdup("/"));
	return (xstrndup(path, slash - path));
}

static int
fileio_local_fsync_dir(const char *dir)
{
	int	fd, rc;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return (-1);
	rc = fsync(fd);
	close(fd);
	return (rc);
}

/*
 * Open a temp file next to path (making the directory); fd or -1.
 * Private: the file 0600 and new directories 0700, else 0644 and 0755.
 */
static int
fileio_local_mktemp(const char *path, char **tmp, int private)
{
	char		*dir;
	const char	*base;
	int		 fd;

	dir = fileio_local_dir(path);
	if (fileio_local_mkdirs(dir, private ? 0700 : 0755) != 0) {
		free(dir);
		return (-1);
	}
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	*tmp = xasprintf("%s/.%s%sXXXXXX", dir, base, FILEIO_TMP_MARK);
	free(dir);
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) < 0) {
		free(*tmp);
		*tmp = NULL;
		return (-1);
	}
	fchmod(fd, private ? 0600 : 0644);
	return (fd);
}

static int
fileio_local_write_all(int fd, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return (-1);
		p += n;
		len -= n;
	}
	return (0);
}

/*
 * Move the fsynced temp file to path: rename, or link for create-only
 * (EEXIST if the target exists).  The temp name is gone afterwards.
 */
static int
fileio_local_publish(const char *tmp, const char *path, int create_only)
{
	char	*dir;
	int	 rc, saved;

	if (create_only) {
		rc = link(tmp, path);
		if (rc != 0 && (errno == EPERM || errno == ENOTSUP ||
		    errno == ENOSYS)) {
			/* No hard links here: an exclusive rename instead. */
			rc = renameat2(AT_FDCWD, tmp, AT_FDCWD, path,
			    RENAME_NOREPLACE);
		}
	} else
		rc = rename(tmp, path);
	saved = errno;
	unlink(tmp);	/* after a link: the temp name; else already gone */
	errno = saved;
	if (rc != 0)
		return (-1);
	dir = fileio_local_dir(path);
	rc = fileio_local_fsync_dir(dir);
	free(dir);
	return (rc);
}

/* Report errno for an operation on path. */
static void
fileio_local_errno(struct fileio *fio, fileio_cb cb, void *arg,
    const char *what, const char *path)
{
	enum fileio_status	st = FILEIO_ERROR;

	if (errno == ENOENT)
		st = FILEIO_NOT_FOUND;
	else if (errno == EEXIST)
		st = FILEIO_EXISTS;
	fileio_fail(fio, cb, arg, st, "%s %s: %s", what, path,
	    strerror(errno));
}

static void
fileio_local_read(struct fileio *fio, const char *url, size_t max,
    fileio_cb cb, void *arg)
{
	const char		*path = fileio_local_path(url);
	struct fileio_result	 res;
	struct buf		 b = BUF_INIT;
	struct stat		 st;
	ssize_t			 n;
	int			 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		fileio_local_errno(fio, cb, arg, "open", path);
		if (fd >= 0)
			close(fd);
		return;
	}
	if (max != 0 && (uint64_t)st.st_size > max) {
		close(fd);
		fileio_fail(fio, cb, arg, FILEIO_ERROR,
		    "read %s: %lld bytes, more than %zu", path,
		    (long long)st.st_size, max);
		return;
	}
	for (;;) {
		buf_reserve(&b, 65536);
		n = read(fd, b.data + b.len, b.cap - b.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		b.len += n;
		if (max != 0 && b.len > max)
			break;
	}
	close(fd);
	memset(&res, 0, sizeof(res));
	if (n < 0 || (max != 0 && b.len > max)) {
		buf_free(&b);
		fileio_fail(fio, cb, arg, FILEIO_ERROR, "read %s: %s", path,
		    n < 0 ? strerror(errno) : "file grew past the limit");
		return;
	}
	res.data = &b;
	res.size = b.len;
	fileio_complete(fio, cb, arg, &res);
	buf_free(&b);
}

static void
fileio_local_stat(struct fileio *fio, const char *url, fileio_cb cb,
    void *arg)
{
	const char		*path = fileio_local_path(url);
	struct fileio_result	 res;
	struct stat		 st;

	if (stat(path, &st) != 0) {
		fileio_local_errno(fio, cb, arg, "stat", path);
		return;
	}
	memset(&res, 0, sizeof(res));
	res.size = st.st_size;
	fileio_complete(fio, cb, arg, &res);
}

static void
fileio_local_put(struct fileio *fio, const char *url, const void *data,
    size_t len, int flags, fileio_cb cb, void *arg)
{
	const char		*path = fileio_local_path(url);
	struct fileio_result	 res;
	char			*tmp = NULL;
	int			 fd;

	if ((fd = fileio_local_mktemp(path, &tmp,
	    flags & FILEIO_PRIVATE)) < 0) {
		fileio_local_errno(fio, cb, arg, "create temp for", path);
		return;
	}
	if (fileio_local_write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		fileio_local_errno(fio, cb, arg, "write", tmp);
		close(fd);
		unlink(tmp);
		free(tmp);
		return;
	}
	close(fd);
	if (fileio_local_publish(tmp, path, flags & FILEIO_CREATE_ONLY) != 0) {
		fileio_local_errno(fio, cb, arg, "publish", path);
		free(tmp);
		return;
	}
	free(tmp);
	memset(&res, 0, sizeof(res));
	res.size = len;
	fileio_complete(fio, cb, arg, &res);
}

static void
fileio_local_remove(struct fileio *fio, const char *url, fileio_cb cb,
    void *arg)
{
	const char		*path = fileio_local_path(url);
	struct fileio_result	 res;

	if (unlink(path) != 0 && errno != ENOENT) {
		fileio_local_errno(fio, cb, arg, "unlink", path);
		return;
	}
	memset(&res, 0, sizeof(res));
	fileio_complete(fio, cb, arg, &res);
}

/* Collect regular files under dir whose path starts with prefix. */
static void
fileio_local_walk(const char *dir, const char *prefix, size_t skip,
    const char *scheme, struct fileio_entry **e, size_t *n)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		*path;
	size_t		 plen = strlen(prefix);

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (de->d_name[0] == '.' &&
		    strstr(de->d_name, FILEIO_TMP_MARK) != NULL))
			continue;
		path = strcmp(dir, "/") == 0 ? xasprintf("/%s", de->d_name) :
		    xasprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &st) != 0) {
			free(path);
			continue;
		}
		if (S_ISDIR(st.st_mode) &&
		    strncmp(path, prefix, strlen(path) < plen ? strlen(path) :
		    plen) == 0)
			fileio_local_walk(path, prefix, skip, scheme, e, n);
		else if (S_ISREG(st.st_mode) &&
		    strncmp(path, prefix, plen) == 0) {
			*e = xreallocarray(*e, *n + 1, sizeof(**e));
			(*e)[*n].url = xasprintf("%s%s", scheme, path + skip);
			(*e)[*n].size = st.st_size;
			(*n)++;
		}
		free(path);
	}
	closedir(d);
}

static void
fileio_local_list(struct fileio *fio, const char *url, fileio_cb cb,
    void *arg)
{
	const char		*prefix = fileio_local_path(url);
	struct fileio_result	 res;
	struct fileio_entry	*e = NULL;
	size_t			 n = 0, skip = 0;
	char			*dir, *scheme, *full;

	scheme = xstrndup(url, prefix - url);
	/* A relative prefix is walked from "./" and reported without it. */
	if (*prefix != '/') {
		full = xasprintf("./%s", prefix);
		skip = 2;
	} else
		full = xstrdup(prefix);
	dir = full[strlen(full) - 1] == '/' ? xstrndup(full, strlen(full) -
	    (strlen(full) > 1)) : fileio_local_dir(full);
	fileio_local_walk(dir, full, skip, scheme, &e, &n);
	fileio_entries_sort(e, n);
	memset(&res, 0, sizeof(res));
	res.entries = e;
	res.nentries = n;
	fileio_complete(fio, cb, arg, &res);
	fileio_entries_free(e, n);
	free(dir);
	free(full);
	free(scheme);
}

/* Nonzero if the temp file dir/name belongs to one of fio's open writers. */
static int
fileio_local_live(struct fileio *fio, const char *dir, const char *name)
{
	const char	*mark = strstr(name, FILEIO_TMP_MARK);
	char		*u;
	int		 live;

	if (mark == NULL || name[0] != '.')
		return (0);
	u = xasprintf("%s/%.*s", dir, (int)(mark - name - 1), name + 1);
	live = fileio_writing(fio, u);
	free(u);
	if (!live) {
		u = xasprintf("file://%s/%.*s", dir, (int)(mark - name - 1),
		    name + 1);
		live = fileio_writing(fio, u);
		free(u);
	}
	return (live);
}

/* Remove the temp files under dir (path prefix) older than before_ms. */
static uint64_t
fileio_local_sweep_dir(struct fileio *fio, const char *dir,
    const char *prefix, int64_t before_ms)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		*path;
	size_t		 plen = strlen(prefix), len;
	uint64_t	 n = 0;
	int64_t		 mtime;

	if ((d = opendir(dir)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", strcmp(dir, "/") == 0 ? "" : dir,
		    de->d_name);
		len = strlen(path);
		if (lstat(path, &st) != 0) {
			free(path);
			continue;
		}
		if (S_ISDIR(st.st_mode) &&
		    strncmp(path, prefix, len < plen ? len : plen) == 0)
			n += fileio_local_sweep_dir(fio, path, prefix,
			    before_ms);
		else if (S_ISREG(st.st_mode) && de->d_name[0] == '.' &&
		    strstr(de->d_name, FILEIO_TMP_MARK) != NULL &&
		    strncmp(path, prefix, plen) == 0) {
			mtime = (int64_t)st.st_mtim.tv_sec * 1000 +
			    st.st_mtim.tv_nsec / 1000000;
			if ((before_ms == 0 || mtime < before_ms) &&
			    !fileio_local_live(fio, dir, de->d_name) &&
			    unlink(path) == 0)
				n++;
		}
		free(path);
	}
	closedir(d);
	return (n);
}

/* What local writers that died leave: their temp files. */
static void
fileio_local_sweep(struct fileio *fio, const char *url, int64_t before_ms,
    fileio_cb cb, void *arg)
{
	const char		*prefix = fileio_local_path(url);
	struct fileio_result	 res;
	char			*dir;

	dir = prefix[strlen(prefix) - 1] == '/' && strlen(prefix) > 1 ?
	    xstrndup(prefix, strlen(prefix) - 1) : fileio_local_dir(prefix);
	memset(&res, 0, sizeof(res));
	res.size = fileio_local_sweep_dir(fio, dir, prefix, before_ms);
	fileio_complete(fio, cb, arg, &res);
	free(dir);
}

static struct fileio_writer *
fileio_local_open(struct fileio *fio, const char *url, char **cause)
{
	struct fileio_local_writer	*lw;
	const char			*path = fileio_local_path(url);
	char				*tmp = NULL;
	int				 fd;

	if ((fd = fileio_local_mktemp(path, &tmp, 0)) < 0) {
		*cause = xasprintf("create temp for %s: %s", path,
		    strerror(errno));
		return (NULL);
	}
	lw = xcalloc(1, sizeof(*lw));
	fileio_writer_init(&lw->w, &fileio_local_ops, fio, url);
	lw->path = xstrdup(path);
	lw->tmp = tmp;
	lw->fd = fd;
	return (&lw->w);
}

static int
fileio_local_append(struct fileio_writer *w, const void *data, size_t len)
{
	struct fileio_local_writer	*lw = (struct fileio_local_writer *)w;

	if (lw->error != 0)
		return (-1);
	if (fileio_local_write_all(lw->fd, data, len) != 0) {
		lw->error = errno;
		fileio_writer_fail(w, "write %s: %s", lw->path,
		    strerror(lw->error));
		return (-1);
	}
	return (0);
}

static void
fileio_local_writer_free(struct fileio_local_writer *lw)
{
	if (lw->fd >= 0)
		close(lw->fd);
	free(lw->path);
	free(lw->tmp);
	fileio_writer_fini(&lw->w);
	free(lw);
}

static void
fileio_local_close(struct fileio_writer *w, fileio_cb cb, void *arg)
{
	struct fileio_local_writer	*lw = (struct fileio_local_writer *)w;
	struct fileio_result		 res;

	if (lw->error == 0 && fsync(lw->fd) != 0)
		lw->error = errno;
	close(lw->fd);
	lw->fd = -1;
	if (lw->error != 0) {
		unlink(lw->tmp);
		errno = lw->error;
		fileio_local_errno(w->fio, cb, arg, "write", lw->path);
	} else if (fileio_local_publish(lw->tmp, lw->path, 0) != 0)
		fileio_local_errno(w->fio, cb, arg, "rename to", lw->path);
	else {
		memset(&res, 0, sizeof(res));
		res.size = w->size;
		fileio_complete(w->fio, cb, arg, &res);
	}
	fileio_local_writer_free(lw);
}

static void
fileio_local_abort(struct fileio_writer *w, fileio_cb cb, void *arg)
{
	struct fileio_local_writer	*lw = (struct fileio_local_writer *)w;
	struct fileio_result		 res;

	unlink(lw->tmp);
	memset(&res, 0, sizeof(res));
	fileio_complete(w->fio, cb, arg, &res);
	fileio_local_writer_free(lw);
}

const struct fileio_ops fileio_local_ops = {
	fileio_local_read,
	fileio_local_stat,
	fileio_local_put,
	fileio_local_remove,
	fileio_local_list,
	fileio_local_sweep,
	fileio_local_open,
	fileio_local_append,
	fileio_local_close,
	fileio_local_abort
};
