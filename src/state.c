/*
 * state.c: the durable state store on LMDB: generic keyed records with
 * prefix iteration, plus the checkpoint record's JSON form.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lmdb.h>

#include "state.h"
#include "worker.h"
#include "xmalloc.h"

#define STATE_MAP_INITIAL	((size_t)2 << 20)	/* 2 MiB */
#define STATE_MAP_MAX		((size_t)1 << 36)	/* 64 GiB */
#define STATE_META_KEY		"meta/format-version"

struct state {
	pthread_mutex_t	 lock;		/* recursive: every entry point */
	MDB_env		*env;
	MDB_dbi		 dbi;
	char		*dir;
	size_t		 map_size;
};

/* One write operation inside a transaction: put or delete. */
struct state_op {
	const char	*key;
	const void	*val;		/* NULL: delete */
	size_t		 len;
	int		 found;		/* delete: the key was there */
};

static char *
state_error(const struct state *st, const char *what, int rc)
{
	return (xasprintf("state store %s: %s: %s", st->dir, what,
	    mdb_strerror(rc)));
}

/*
 * A failed write: LMDB reports a short write (a full disk, a file size
 * limit) as EIO, so say how much room the filesystem has left.
 */
static char *
state_write_error(const struct state *st, const char *what, int rc)
{
	struct statvfs	sv;

	if (rc == MDB_MAP_FULL || rc == MDB_PANIC ||
	    statvfs(st->dir, &sv) != 0)
		return (state_error(st, what, rc));
	return (xasprintf("state store %s: %s: %s (%llu MB free on its "
	    "filesystem)", st->dir, what, mdb_strerror(rc),
	    (unsigned long long)sv.f_bavail * sv.f_frsize >> 20));
}

/* Make the directory 0700 if it is missing; fail if it is not a dir. */
static int
state_mkdir(const char *dir, char **cause)
{
	struct stat	sb;

	if (mkdir(dir, 0700) == 0) {
		if (chmod(dir, 0700) != 0) {
			*cause = xasprintf("state store %s: chmod: %s", dir,
			    strerror(errno));
			return (-1);
		}
		return (0);
	}
	if (errno == EEXIST && stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode))
		return (0);
	if (errno == EEXIST)
		errno = ENOTDIR;
	*cause = xasprintf("state store %s: cannot create directory: %s", dir,
	    strerror(errno));
	return (-1);
}

/* Force 0600 on the environment's files whatever the umask was. */
static int
state_chmod_files(struct state *st, char **cause)
{
	static const char *const names[] = { "data.mdb", "lock.mdb" };
	char	*path;
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		path = xasprintf("%s/%s", st->dir, names[i]);
		rc = chmod(path, 0600);
		free(path);
		if (rc != 0) {
			*cause = xasprintf("state store %s: chmod %s: %s",
			    st->dir, names[i], strerror(errno));
			return (-1);
		}
	}
	return (0);
}

/* Create the LMDB environment and open its main database. */
static int
state_open_env(struct state *st, char **cause)
{
	MDB_txn	*txn;
	int	 rc, dead;

	if ((rc = mdb_env_create(&st->env)) != 0) {
		*cause = state_error(st, "create", rc);
		return (-1);
	}
	mdb_env_set_mapsize(st->env, st->map_size);
	rc = mdb_env_open(st->env, st->dir, MDB_NOTLS, 0600);
	if (rc != 0) {
		*cause = state_error(st, "cannot open LMDB environment", rc);
		goto fail;
	}
	mdb_reader_check(st->env, &dead);
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0) {
		*cause = state_error(st, "begin", rc);
		goto fail;
	}
	if ((rc = mdb_dbi_open(txn, NULL, 0, &st->dbi)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0) {
		if (rc != 0)
			mdb_txn_abort(txn);
		*cause = state_error(st, "open database", rc);
		goto fail;
	}
	return (0);
fail:
	mdb_env_close(st->env);
	st->env = NULL;
	return (-1);
}

/* Current size of the map (LMDB may have adopted a larger stored one). */
static void
state_sync_map_size(struct state *st)
{
	MDB_envinfo	info;

	if (mdb_env_info(st->env, &info) == 0)
		st->map_size = info.me_mapsize;
}

/* Double the map; -1 once it would pass the cap. */
static int
state_grow(struct state *st, char **cause)
{
	size_t	size = st->map_size * 2;
	int	rc;

	if (size > STATE_MAP_MAX) {
		*cause = state_error(st, "map full", MDB_MAP_FULL);
		return (-1);
	}
	if ((rc = mdb_env_set_mapsize(st->env, size)) != 0) {
		*cause = state_error(st, "resize", rc);
		return (-1);
	}
	state_sync_map_size(st);
	return (0);
}

/*
 * After a failed meta page write LMDB refuses further transactions
 * (MDB_PANIC) until the environment is reopened; the data on disk is the
 * last committed state.
 */
static int
state_reopen(struct state *st, char **cause)
{
	if (st->env != NULL)
		mdb_env_close(st->env);
	st->env = NULL;
	if (state_open_env(st, cause) != 0)
		return (-1);
	state_sync_map_size(st);
	return (0);
}

/* Refuse keys LMDB cannot hold (empty, or past its 511-byte limit). */
static int
state_check_key(struct state *st, const char *key, char **cause)
{
	size_t	len = strlen(key);
	int	max = 511;

	if (st->env != NULL)
		max = mdb_env_get_maxkeysize(st->env);
	if (len > 0 && len <= (size_t)max)
		return (0);
	*cause = xasprintf("state store %s: key of %zu bytes (1 to %d "
	    "allowed)", st->dir, len, max);
	return (-1);
}

/* Run op in one write transaction; grow the map and retry when full. */
static int
state_write(struct state *st, struct state_op *op, char **cause)
{
	MDB_txn	*txn;
	MDB_val	 k, v;
	int	 rc;

	if (state_check_key(st, op->key, cause) != 0)
		return (-1);
	if (st->env == NULL && state_reopen(st, cause) != 0)
		return (-1);
	for (;;) {
		rc = mdb_txn_begin(st->env, NULL, 0, &txn);
		if (rc == MDB_PANIC && state_reopen(st, cause) != 0)
			return (-1);
		if (rc == MDB_PANIC)
			rc = mdb_txn_begin(st->env, NULL, 0, &txn);
		if (rc != 0) {
			*cause = state_error(st, "begin write", rc);
			return (-1);
		}
		k.mv_data = (void *)op->key;
		k.mv_size = strlen(op->key);
		if (op->val != NULL) {
			v.mv_data = (void *)op->val;
			v.mv_size = op->len;
			rc = mdb_put(txn, st->dbi, &k, &v, 0);
		} else {
			rc = mdb_del(txn, st->dbi, &k, NULL);
			op->found = (rc == 0);
			if (rc == MDB_NOTFOUND)
				rc = 0;
		}
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		if (rc == 0)
			return (0);
		if (rc != MDB_MAP_FULL) {
			*cause = state_write_error(st, op->val != NULL ?
			    "write" : "delete", rc);
			return (-1);
		}
		if (state_grow(st, cause) != 0)
			return (-1);
	}
}

/* Begin a read-only transaction, adopting a map resized elsewhere. */
static int
state_begin_read(struct state *st, MDB_txn **txn, char **cause)
{
	int	rc;

	if (st->env == NULL && state_reopen(st, cause) != 0)
		return (-1);
	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
	if (rc == MDB_MAP_RESIZED) {
		mdb_env_set_mapsize(st->env, 0);
		state_sync_map_size(st);
		rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, txn);
	}
	if (rc != 0) {
		*cause = state_error(st, "begin read", rc);
		return (-1);
	}
	return (0);
}

/* Write the format version on a new store; refuse a newer one. */
static int
state_check_meta(struct state *st, char **cause)
{
	struct buf	 b = BUF_INIT;
	char		*v;
	long		 version;
	int		 rc;

	if ((rc = state_get(st, STATE_META_KEY, &b, cause)) == -1)
		return (-1);
	if (rc == 0) {
		v = xasprintf("%d", STATE_FORMAT_VERSION);
		rc = state_put(st, STATE_META_KEY, v, strlen(v), cause);
		free(v);
		return (rc);
	}
	version = strtol(buf_cstr(&b), &v, 10);
	rc = 0;
	if (*v != '\0' || version < 1 || version > STATE_FORMAT_VERSION) {
		*cause = xasprintf("state store %s: format version \"%s\" is "
		    "not supported (this bronzed reads 1 to %d)", st->dir,
		    buf_cstr(&b), STATE_FORMAT_VERSION);
		rc = -1;
	}
	buf_free(&b);
	return (rc);
}

struct state *
state_open(const char *dir, char **cause)
{
	struct state		*st;
	pthread_mutexattr_t	 attr;

	if (state_mkdir(dir, cause) != 0)
		return (NULL);
	st = xcalloc(1, sizeof *st);
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	st->dir = xstrdup(dir);
	st->map_size = STATE_MAP_INITIAL;
	if (state_open_env(st, cause) != 0) {
		state_close(st);
		return (NULL);
	}
	state_sync_map_size(st);
	if (state_chmod_files(st, cause) != 0 ||
	    state_check_meta(st, cause) != 0) {
		state_close(st);
		return (NULL);
	}
	return (st);
}

void
state_close(struct state *st)
{
	if (st == NULL)
		return;
	if (st->env != NULL)
		mdb_env_close(st->env);
	pthread_mutex_destroy(&st->lock);
	free(st->dir);
	free(st);
}

size_t
state_map_size(const struct state *st)
{
	return (st->map_size);
}

static int
state_put_locked(struct state *st, const char *key, const void *val,
    size_t len, char **cause)
{
	struct state_op	op = { key, val, len, 0 };

	if (val == NULL)
		op.val = "";
	return (state_write(st, &op, cause));
}

static int
state_delete_locked(struct state *st, const char *key, char **cause)
{
	struct state_op	op = { key, NULL, 0, 0 };

	if (state_write(st, &op, cause) != 0)
		return (-1);
	return (op.found);
}

static int
state_get_locked(struct state *st, const char *key, struct buf *out,
    char **cause)
{
	MDB_txn	*txn;
	MDB_val	 k, v;
	int	 rc;

	if (state_check_key(st, key, cause) != 0 ||
	    state_begin_read(st, &txn, cause) != 0)
		return (-1);
	k.mv_data = (void *)key;
	k.mv_size = strlen(key);
	rc = mdb_get(txn, st->dbi, &k, &v);
	if (rc == 0) {
		buf_reset(out);
		buf_append(out, v.mv_data, v.mv_size);
	}
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return (0);
	if (rc != 0) {
		*cause = state_error(st, "read", rc);
		return (-1);
	}
	return (1);
}

/* A read transaction with a cursor on the main database. */
static int
state_open_cursor(struct state *st, MDB_txn **txn, MDB_cursor **cur,
    char **cause)
{
	int	rc;

	if (state_begin_read(st, txn, cause) != 0)
		return (-1);
	if ((rc = mdb_cursor_open(*txn, st->dbi, cur)) != 0) {
		mdb_txn_abort(*txn);
		*cause = state_error(st, "cursor", rc);
		return (-1);
	}
	return (0);
}

/* Nonzero if the LMDB key k starts with prefix. */
static int
state_has_prefix(const MDB_val *k, const char *prefix, size_t plen)
{
	return (k->mv_size >= plen && memcmp(k->mv_data, prefix, plen) == 0);
}

static int
state_each_locked(struct state *st, const char *prefix, state_each_fn fn,
    void *arg, char **cause)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	struct buf	 key = BUF_INIT;
	size_t		 plen = strlen(prefix);
	int		 rc, stop = 0;

	if (state_open_cursor(st, &txn, &cur, cause) != 0)
		return (-1);
	k.mv_data = (void *)prefix;
	k.mv_size = plen;
	rc = mdb_cursor_get(cur, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
	while (rc == 0 && stop == 0 && state_has_prefix(&k, prefix, plen)) {
		buf_reset(&key);
		buf_append(&key, k.mv_data, k.mv_size);
		stop = fn(buf_cstr(&key), v.mv_data, v.mv_size, arg);
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	buf_free(&key);
	if (rc != 0 && rc != MDB_NOTFOUND && stop == 0) {
		*cause = state_error(st, "iterate", rc);
		return (-1);
	}
	return (stop);
}

/*
 * Position cur on the greatest key starting with prefix: seek to the first
 * key past every such key (the prefix with its last non-0xff byte
 * incremented), then step back.
 */
static int
state_seek_last(MDB_cursor *cur, const char *prefix, MDB_val *k, MDB_val *v)
{
	char	*succ;
	size_t	 n = strlen(prefix);
	int	 rc;

	while (n > 0 && (unsigned char)prefix[n - 1] == 0xff)
		n--;
	if (n == 0)
		return (mdb_cursor_get(cur, k, v, MDB_LAST));
	succ = xmemdup(prefix, n);
	succ[n - 1] = (char)((unsigned char)succ[n - 1] + 1);
	k->mv_data = succ;
	k->mv_size = n;
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (rc == 0)
		rc = mdb_cursor_get(cur, k, v, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(cur, k, v, MDB_LAST);
	free(succ);
	return (rc);
}

static int
state_last_locked(struct state *st, const char *prefix, struct buf *key,
    struct buf *val, char **cause)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	int		 rc, found = 0;

	if (state_open_cursor(st, &txn, &cur, cause) != 0)
		return (-1);
	rc = state_seek_last(cur, prefix, &k, &v);
	if (rc == 0 && state_has_prefix(&k, prefix, strlen(prefix))) {
		buf_reset(key);
		buf_append(key, k.mv_data, k.mv_size);
		buf_cstr(key);
		buf_reset(val);
		buf_append(val, v.mv_data, v.mv_size);
		found = 1;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		*cause = state_error(st, "seek", rc);
		return (-1);
	}
	return (found);
}

char *
state_ckpt_key(const char *job_id, uint64_t checkpoint_id)
{
	return (xasprintf("ckpt/%s/%020" PRIu64, job_id, checkpoint_id));
}

char *
state_savepoint_key(const char *job_id, const char *path)
{
	return (xasprintf("savepoint/%s/%s", job_id, path));
}

/*
 * The entry points: one thread at a time (the loop, or the worker thread
 * running state_put_async's writes), so the map can grow or the
 * environment be reopened under either.
 */
int
state_put(struct state *st, const char *key, const void *val, size_t len,
    char **cause)
{
	int	rc;

	pthread_mutex_lock(&st->lock);
	rc = state_put_locked(st, key, val, len, cause);
	pthread_mutex_unlock(&st->lock);
	return (rc);
}

int
state_delete(struct state *st, const char *key, char **cause)
{
	int	rc;

	pthread_mutex_lock(&st->lock);
	rc = state_delete_locked(st, key, cause);
	pthread_mutex_unlock(&st->lock);
	return (rc);
}

int
state_get(struct state *st, const char *key, struct buf *out, char **cause)
{
	int	rc;

	pthread_mutex_lock(&st->lock);
	rc = state_get_locked(st, key, out, cause);
	pthread_mutex_unlock(&st->lock);
	return (rc);
}

int
state_each(struct state *st, const char *prefix, state_each_fn fn, void *arg,
    char **cause)
{
	int	rc;

	pthread_mutex_lock(&st->lock);
	rc = state_each_locked(st, prefix, fn, arg, cause);
	pthread_mutex_unlock(&st->lock);
	return (rc);
}

int
state_last(struct state *st, const char *prefix, struct buf *key,
    struct buf *val, char **cause)
{
	int	rc;

	pthread_mutex_lock(&st->lock);
	rc = state_last_locked(st, prefix, key, val, cause);
	pthread_mutex_unlock(&st->lock);
	return (rc);
}

/* A write queued on the worker thread. */
struct state_async {
	struct state	*st;
	char		*key;
	void		*val;
	size_t		 len;
	char		*cause;
	state_done_fn	 done;
	void		*arg;
};

static void
state_async_run(void *arg)
{
	struct state_async	*a = arg;

	(void)state_put(a->st, a->key, a->val, a->len, &a->cause);
}

static void
state_async_done(void *arg)
{
	struct state_async	*a = arg;

	if (a->done != NULL)
		a->done(a->cause, a->arg);
	free(a->cause);
	free(a->key);
	free(a->val);
	free(a);
}

void
state_put_async(struct state *st, struct worker *w, const char *key,
    const void *val, size_t len, state_done_fn done, void *arg)
{
	struct state_async	*a;

	a = xcalloc(1, sizeof *a);
	a->st = st;
	a->key = xstrdup(key);
	a->val = xmemdup(val, len);
	a->len = len;
	a->done = done;
	a->arg = arg;
	worker_submit(w, state_async_run, state_async_done, a);
}
