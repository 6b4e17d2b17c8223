/*
 * fileio-local.c: FileIO backend for the local file system.
 *
 * The disk work (writes, fsync, renames, directory walks) runs on the
 * fileio's worker thread, one operation at a time in submission order, so
 * the loop never waits for the disk; results come back through
 * fileio_complete() as with S3.  A writer's appends are gathered on the
 * loop and written by the thread in pieces of FILEIO_LOCAL_PIECE (a write
 * into the page cache can stall for milliseconds under writeback; 4 MB
 * row groups took 5-15 ms on the loop); past FILEIO_LOCAL_BACKLOG bytes
 * not yet written, append asks the caller to pause.  The close writes the
 * rest and does the fsync on the thread.
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
#include "worker.h"
#include "xmalloc.h"

#define FILEIO_TMP_MARK	".tmp-"
#define FILEIO_LOCAL_PIECE	((size_t)1 << 20)	/* bytes per write job */
#define FILEIO_LOCAL_BACKLOG	((size_t)8 << 20)	/* unwritten: pause */

struct fileio_local_writer;

/*
 * What a writer shares with its write jobs, which may finish after the
 * writer was closed and freed: the loop's count of bytes not yet written,
 * and the thread's errno of the first failed write (read by the close job,
 * which runs after every write).  Freed by whichever lets go last.
 */
struct fileio_local_flow {
	struct fileio_local_writer *lw;		/* NULL once closed */
	size_t			 unwritten;	/* loop */
	int			 refs;		/* loop */
	int			 error;		/* thread */
};

struct fileio_local_writer {
	struct fileio_writer	 w;	/* first */
	char			*path;
	char			*tmp;
	int			 fd;
	struct buf		 piece;	/* appends not yet handed over */
	struct fileio_local_flow *flow;
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

enum fileio_local_op {
	FILEIO_LOCAL_READ,
	FILEIO_LOCAL_STAT,
	FILEIO_LOCAL_PUT,
	FILEIO_LOCAL_REMOVE,
	FILEIO_LOCAL_LIST,
	FILEIO_LOCAL_SWEEP,
	FILEIO_LOCAL_WRITE,	/* a piece of a writer's appends */
	FILEIO_LOCAL_CLOSE,	/* a writer's temp file: the rest, fsync,
				   publish */
	FILEIO_LOCAL_ABORT	/* a writer's temp file: remove */
};

/*
 * One operation, run on the fileio's worker thread: everything it needs is
 * its own (copies), so the thread touches nothing the loop does.
 */
struct fileio_local_job {
	struct fileio		*fio;
	enum fileio_local_op	 op;
	fileio_cb		 cb;
	void			*arg;
	char			*url;		/* as the caller gave it */
	char			*path;		/* the file's path */
	size_t			 max;		/* read */
	struct buf		 data;		/* put: input; read: output */
	int			 flags;		/* put */
	int64_t			 before_ms;	/* sweep */
	char			**live;		/* sweep: open writers' URLs */
	size_t			 nlive;
	char			*tmp;		/* close, abort */
	int			 fd;		/* close, abort */
	int			 wfd;		/* write: the writer's fd */
	struct fileio_local_flow *flow;		/* write, close, abort */
	struct fileio_result	 res;		/* the outcome */
	char			*why;		/* res.error's text */
};

/* Record errno for an operation on path as the job's outcome. */
static void
fileio_local_job_errno(struct fileio_local_job *j, const char *what,
    const char *path)
{
	j->res.status = FILEIO_ERROR;
	if (errno == ENOENT)
		j->res.status = FILEIO_NOT_FOUND;
	else if (errno == EEXIST)
		j->res.status = FILEIO_EXISTS;
	j->why = xasprintf("%s %s: %s", what, path, strerror(errno));
}

static void
fileio_local_do_read(struct fileio_local_job *j)
{
	struct stat	 st;
	ssize_t		 n = 0;
	int		 fd;

	if ((fd = open(j->path, O_RDONLY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st) != 0) {
		fileio_local_job_errno(j, "open", j->path);
		if (fd >= 0)
			close(fd);
		return;
	}
	if (j->max != 0 && (uint64_t)st.st_size > j->max) {
		close(fd);
		j->res.status = FILEIO_ERROR;
		j->why = xasprintf("read %s: %lld bytes, more than %zu",
		    j->path, (long long)st.st_size, j->max);
		return;
	}
	for (;;) {
		buf_reserve(&j->data, 65536);
		n = read(fd, j->data.data + j->data.len,
		    j->data.cap - j->data.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		j->data.len += n;
		if (j->max != 0 && j->data.len > j->max)
			break;
	}
	if (n < 0 || (j->max != 0 && j->data.len > j->max)) {
		j->res.status = FILEIO_ERROR;
		j->why = xasprintf("read %s: %s", j->path, n < 0 ?
		    strerror(errno) : "file grew past the limit");
	} else
		j->res.size = j->data.len;
	close(fd);
}

static void
fileio_local_do_stat(struct fileio_local_job *j)
{
	struct stat	st;

	if (stat(j->path, &st) != 0)
		fileio_local_job_errno(j, "stat", j->path);
	else
		j->res.size = st.st_size;
}

static void
fileio_local_do_put(struct fileio_local_job *j)
{
	char	*tmp = NULL;
	int	 fd;

	if ((fd = fileio_local_mktemp(j->path, &tmp,
	    j->flags & FILEIO_PRIVATE)) < 0) {
		fileio_local_job_errno(j, "create temp for", j->path);
		return;
	}
	if (fileio_local_write_all(fd, j->data.data, j->data.len) != 0 ||
	    fsync(fd) != 0) {
		fileio_local_job_errno(j, "write", tmp);
		close(fd);
		unlink(tmp);
		free(tmp);
		return;
	}
	close(fd);
	if (fileio_local_publish(tmp, j->path,
	    j->flags & FILEIO_CREATE_ONLY) != 0)
		fileio_local_job_errno(j, "publish", j->path);
	else
		j->res.size = j->data.len;
	free(tmp);
}

static void
fileio_local_do_remove(struct fileio_local_job *j)
{
	if (unlink(j->path) != 0 && errno != ENOENT)
		fileio_local_job_errno(j, "unlink", j->path);
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
fileio_local_do_list(struct fileio_local_job *j)
{
	const char	*prefix = fileio_local_path(j->url);
	char		*dir, *scheme, *full;
	size_t		 skip = 0;

	scheme = xstrndup(j->url, prefix - j->url);
	/* A relative prefix is walked from "./" and reported without it. */
	if (*prefix != '/') {
		full = xasprintf("./%s", prefix);
		skip = 2;
	} else
		full = xstrdup(prefix);
	dir = full[strlen(full) - 1] == '/' ? xstrndup(full, strlen(full) -
	    (strlen(full) > 1)) : fileio_local_dir(full);
	fileio_local_walk(dir, full, skip, scheme, &j->res.entries,
	    &j->res.nentries);
	fileio_entries_sort(j->res.entries, j->res.nentries);
	free(dir);
	free(full);
	free(scheme);
}

/* Nonzero if url is one of the job's open writers. */
static int
fileio_local_is_live(const struct fileio_local_job *j, const char *url)
{
	size_t	i;

	for (i = 0; i < j->nlive; i++)
		if (strcmp(j->live[i], url) == 0)
			return (1);
	return (0);
}

/* Nonzero if the temp file dir/name belongs to one of the open writers. */
static int
fileio_local_live(const struct fileio_local_job *j, const char *dir,
    const char *name)
{
	const char	*mark = strstr(name, FILEIO_TMP_MARK);
	char		*u;
	int		 live;

	if (mark == NULL || name[0] != '.')
		return (0);
	u = xasprintf("%s/%.*s", dir, (int)(mark - name - 1), name + 1);
	live = fileio_local_is_live(j, u);
	free(u);
	if (!live) {
		u = xasprintf("file://%s/%.*s", dir, (int)(mark - name - 1),
		    name + 1);
		live = fileio_local_is_live(j, u);
		free(u);
	}
	return (live);
}

/* Remove the temp files under dir (path prefix) older than before_ms. */
static uint64_t
fileio_local_sweep_dir(const struct fileio_local_job *j, const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		*path;
	size_t		 plen = strlen(j->path), len;
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
		    strncmp(path, j->path, len < plen ? len : plen) == 0)
			n += fileio_local_sweep_dir(j, path);
		else if (S_ISREG(st.st_mode) && de->d_name[0] == '.' &&
		    strstr(de->d_name, FILEIO_TMP_MARK) != NULL &&
		    strncmp(path, j->path, plen) == 0) {
			mtime = (int64_t)st.st_mtim.tv_sec * 1000 +
			    st.st_mtim.tv_nsec / 1000000;
			if ((j->before_ms == 0 || mtime < j->before_ms) &&
			    !fileio_local_live(j, dir, de->d_name) &&
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
fileio_local_do_sweep(struct fileio_local_job *j)
{
	const char	*prefix = j->path;
	char		*dir;

	dir = prefix[strlen(prefix) - 1] == '/' && strlen(prefix) > 1 ?
	    xstrndup(prefix, strlen(prefix) - 1) : fileio_local_dir(prefix);
	j->res.size = fileio_local_sweep_dir(j, dir);
	free(dir);
}

/* A piece of a writer's appends; the first failure stops the rest. */
static void
fileio_local_do_write(struct fileio_local_job *j)
{
	if (j->flow->error != 0)
		return;
	if (fileio_local_write_all(j->wfd, j->data.data, j->data.len) != 0) {
		j->flow->error = errno;
		fileio_local_job_errno(j, "write", j->path);
	}
}

/* A closed writer's temp file: the rest, durable, under its name. */
static void
fileio_local_do_close(struct fileio_local_job *j)
{
	int	error = j->flow->error;

	if (error == 0 && fileio_local_write_all(j->fd, j->data.data,
	    j->data.len) != 0)
		error = errno;
	if (error == 0 && fsync(j->fd) != 0)
		error = errno;
	close(j->fd);
	j->fd = -1;
	if (error != 0) {
		unlink(j->tmp);
		errno = error;
		fileio_local_job_errno(j, "write", j->path);
	} else if (fileio_local_publish(j->tmp, j->path, 0) != 0)
		fileio_local_job_errno(j, "rename to", j->path);
}

static void
fileio_local_run(void *arg)
{
	struct fileio_local_job	*j = arg;

	switch (j->op) {
	case FILEIO_LOCAL_READ:
		fileio_local_do_read(j);
		break;
	case FILEIO_LOCAL_STAT:
		fileio_local_do_stat(j);
		break;
	case FILEIO_LOCAL_PUT:
		fileio_local_do_put(j);
		break;
	case FILEIO_LOCAL_REMOVE:
		fileio_local_do_remove(j);
		break;
	case FILEIO_LOCAL_LIST:
		fileio_local_do_list(j);
		break;
	case FILEIO_LOCAL_SWEEP:
		fileio_local_do_sweep(j);
		break;
	case FILEIO_LOCAL_WRITE:
		fileio_local_do_write(j);
		break;
	case FILEIO_LOCAL_CLOSE:
		fileio_local_do_close(j);
		break;
	case FILEIO_LOCAL_ABORT:
		unlink(j->tmp);
		break;
	}
}

/* Let go of a writer's flow; the last one out frees it. */
static void
fileio_local_flow_put(struct fileio_local_flow *flow)
{
	if (flow != NULL && --flow->refs == 0)
		free(flow);
}

/* A piece written (or not): account for it, tell the writer if open. */
static void
fileio_local_written(struct fileio_local_job *j)
{
	struct fileio_local_flow	*flow = j->flow;
	struct fileio_local_writer	*lw = flow->lw;

	flow->unwritten -= j->data.len;
	if (lw == NULL || fileio_closing(j->fio))
		return;
	if (j->why != NULL)
		fileio_writer_fail(&lw->w, "%s", j->why);
	if (j->why != NULL ||
	    flow->unwritten + lw->piece.len < FILEIO_LOCAL_BACKLOG)
		fileio_writer_drained(&lw->w);
}

/* Back on the loop: hand the outcome to the caller, free the job. */
static void
fileio_local_done(void *arg)
{
	struct fileio_local_job	*j = arg;
	size_t			 i;

	if (j->op == FILEIO_LOCAL_WRITE)
		fileio_local_written(j);
	else if (!fileio_closing(j->fio)) {
		j->res.error = j->why;
		j->res.data = j->op == FILEIO_LOCAL_READ ? &j->data : NULL;
		fileio_complete(j->fio, j->cb, j->arg, &j->res);
	}
	fileio_local_flow_put(j->flow);
	fileio_entries_free(j->res.entries, j->res.nentries);
	for (i = 0; i < j->nlive; i++)
		free(j->live[i]);
	free(j->live);
	if (j->fd >= 0)
		close(j->fd);
	buf_free(&j->data);
	free(j->why);
	free(j->tmp);
	free(j->path);
	free(j->url);
	free(j);
}

static struct fileio_local_job *
fileio_local_job(struct fileio *fio, enum fileio_local_op op,
    const char *url, fileio_cb cb, void *arg)
{
	struct fileio_local_job	*j;

	j = xcalloc(1, sizeof *j);
	j->fio = fio;
	j->op = op;
	j->cb = cb;
	j->arg = arg;
	j->url = xstrdup(url);
	j->path = xstrdup(fileio_local_path(url));
	j->fd = -1;
	buf_init(&j->data);
	return (j);
}

static void
fileio_local_submit(struct fileio_local_job *j)
{
	worker_submit(fileio_worker(j->fio), fileio_local_run,
	    fileio_local_done, j);
}

static void
fileio_local_read(struct fileio *fio, const char *url, size_t max,
    fileio_cb cb, void *arg)
{
	struct fileio_local_job	*j;

	j = fileio_local_job(fio, FILEIO_LOCAL_READ, url, cb, arg);
	j->max = max;
	fileio_local_submit(j);
}

static void
fileio_local_stat(struct fileio *fio, const char *url, fileio_cb cb,
    void *arg)
{
	fileio_local_submit(fileio_local_job(fio, FILEIO_LOCAL_STAT, url, cb,
	    arg));
}

static void
fileio_local_put(struct fileio *fio, const char *url, const void *data,
    size_t len, int flags, fileio_cb cb, void *arg)
{
	struct fileio_local_job	*j;

	j = fileio_local_job(fio, FILEIO_LOCAL_PUT, url, cb, arg);
	buf_append(&j->data, data, len);
	j->flags = flags;
	fileio_local_submit(j);
}

static void
fileio_local_remove(struct fileio *fio, const char *url, fileio_cb cb,
    void *arg)
{
	fileio_local_submit(fileio_local_job(fio, FILEIO_LOCAL_REMOVE, url,
	    cb, arg));
}

static void
fileio_local_list(struct fileio *fio, const char *url, fileio_cb cb,
    void *arg)
{
	fileio_local_submit(fileio_local_job(fio, FILEIO_LOCAL_LIST, url, cb,
	    arg));
}

static void
fileio_local_sweep(struct fileio *fio, const char *url, int64_t before_ms,
    fileio_cb cb, void *arg)
{
	struct fileio_local_job	*j;

	j = fileio_local_job(fio, FILEIO_LOCAL_SWEEP, url, cb, arg);
	j->before_ms = before_ms;
	j->live = fileio_live_urls(fio, &j->nlive);
	fileio_local_submit(j);
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
	buf_init(&lw->piece);
	lw->flow = xcalloc(1, sizeof *lw->flow);
	lw->flow->lw = lw;
	lw->flow->refs = 1;
	return (&lw->w);
}

/* A job for the writer's temp file, holding a reference to its flow. */
static struct fileio_local_job *
fileio_local_writer_job(struct fileio_local_writer *lw,
    enum fileio_local_op op, fileio_cb cb, void *arg)
{
	struct fileio_local_job	*j;

	j = fileio_local_job(lw->w.fio, op, lw->path, cb, arg);
	j->flow = lw->flow;
	j->flow->refs++;
	j->data = lw->piece;		/* moved */
	buf_init(&lw->piece);
	lw->flow->unwritten += j->data.len;
	return (j);
}

static int
fileio_local_append(struct fileio_writer *w, const void *data, size_t len)
{
	struct fileio_local_writer	*lw = (struct fileio_local_writer *)w;
	struct fileio_local_job		*j;

	if (w->error != NULL)
		return (-1);
	if (lw->piece.cap == 0)
		buf_reserve(&lw->piece, FILEIO_LOCAL_PIECE);
	buf_append(&lw->piece, data, len);
	if (lw->piece.len >= FILEIO_LOCAL_PIECE) {
		j = fileio_local_writer_job(lw, FILEIO_LOCAL_WRITE, NULL, NULL);
		j->wfd = lw->fd;
		fileio_local_submit(j);
	}
	return (lw->flow->unwritten + lw->piece.len >= FILEIO_LOCAL_BACKLOG);
}

/*
 * The writer's temp file and last piece go to the thread, after its
 * writes; the writer is freed now.
 */
static void
fileio_local_finish(struct fileio_writer *w, enum fileio_local_op op,
    fileio_cb cb, void *arg)
{
	struct fileio_local_writer	*lw = (struct fileio_local_writer *)w;
	struct fileio_local_job		*j;

	j = fileio_local_writer_job(lw, op, cb, arg);
	j->tmp = lw->tmp;
	lw->tmp = NULL;
	j->fd = lw->fd;
	lw->fd = -1;
	if (op == FILEIO_LOCAL_CLOSE)
		j->res.size = w->size;
	lw->flow->lw = NULL;
	fileio_local_flow_put(lw->flow);
	free(lw->path);
	buf_free(&lw->piece);
	fileio_writer_fini(&lw->w);
	free(lw);
	fileio_local_submit(j);
}

static void
fileio_local_close(struct fileio_writer *w, fileio_cb cb, void *arg)
{
	fileio_local_finish(w, FILEIO_LOCAL_CLOSE, cb, arg);
}

static void
fileio_local_abort(struct fileio_writer *w, fileio_cb cb, void *arg)
{
	fileio_local_finish(w, FILEIO_LOCAL_ABORT, cb, arg);
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
