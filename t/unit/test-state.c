/*
 * test-state.c: unit tests for the LMDB state store: records, prefix
 * iteration, reopen, permissions, errors, map growth, checkpoint records.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "state.h"
#include "tap.h"
#include "xmalloc.h"

static char	tmpdir[64];

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return (remove(path));
}

/* A fresh temp dir; returns "<tmp>/state" (not yet created). */
static char *
fresh_dir(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	strcpy(tmpdir, "/tmp/test-state-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		abort();
	return (xasprintf("%s/state", tmpdir));
}

/* Count the records under a prefix and check they come in order. */
struct each_ctx {
	int	 n;
	char	 last[128];
	int	 ordered;
	int	 stop_at;
};

static int
each_cb(const char *key, const void *val, size_t len, void *arg)
{
	struct each_ctx	*c = arg;

	if (strcmp(c->last, key) >= 0)
		c->ordered = 0;
	snprintf(c->last, sizeof c->last, "%s", key);
	c->n++;
	return (c->stop_at != 0 && c->n == c->stop_at ? 7 : 0);
}

static void
test_records(void)
{
	struct state	*st;
	struct buf	 b = BUF_INIT, k = BUF_INIT;
	struct each_ctx	 c;
	char		*dir = fresh_dir(), *cause = NULL, big[601];

	st = state_open(dir, &cause);
	TAP_CHECK(st != NULL);
	if (st == NULL) {
		printf("# %s\n", cause);
		free(cause);
		free(dir);
		return;
	}
	TAP_CHECK_INT(state_put(st, "a/2", "two", 3, &cause), 0);
	TAP_CHECK_INT(state_put(st, "a/1", "one", 3, &cause), 0);
	TAP_CHECK_INT(state_put(st, "a/3", "", 0, &cause), 0);
	TAP_CHECK_INT(state_put(st, "b/1", "bee", 3, &cause), 0);
	TAP_CHECK_INT(state_put(st, "a/1", "uno", 3, &cause), 0);
	TAP_CHECK_INT(state_get(st, "a/1", &b, &cause), 1);
	TAP_CHECK(b.len == 3 && memcmp(b.data, "uno", 3) == 0);
	TAP_CHECK_INT(state_get(st, "a/3", &b, &cause), 1);
	TAP_CHECK_INT(b.len, 0);
	TAP_CHECK_INT(state_get(st, "a/4", &b, &cause), 0);

	memset(&c, 0, sizeof c);
	c.ordered = 1;
	TAP_CHECK_INT(state_each(st, "a/", each_cb, &c, &cause), 0);
	TAP_CHECK_INT(c.n, 3);
	TAP_CHECK(c.ordered);
	TAP_CHECK_STR(c.last, "a/3");
	memset(&c, 0, sizeof c);
	c.stop_at = 2;
	TAP_CHECK_INT(state_each(st, "", each_cb, &c, &cause), 7);
	TAP_CHECK_INT(c.n, 2);

	TAP_CHECK_INT(state_last(st, "a/", &k, &b, &cause), 1);
	TAP_CHECK_STR(buf_cstr(&k), "a/3");
	TAP_CHECK_INT(state_last(st, "b/", &k, &b, &cause), 1);
	TAP_CHECK_STR(buf_cstr(&k), "b/1");
	TAP_CHECK_INT(state_last(st, "c/", &k, &b, &cause), 0);
	TAP_CHECK_INT(state_last(st, "", &k, &b, &cause), 1);
	TAP_CHECK_STR(buf_cstr(&k), "meta/format-version");

	/* Keys LMDB cannot hold are refused with a clear error. */
	memset(big, 'k', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	TAP_CHECK_INT(state_put(st, big, "x", 1, &cause), -1);
	TAP_CHECK(cause != NULL && strstr(cause, "key of 600 bytes") != NULL);
	free(cause);
	cause = NULL;
	TAP_CHECK_INT(state_get(st, "", &b, &cause), -1);
	free(cause);
	cause = NULL;

	TAP_CHECK_INT(state_delete(st, "a/2", &cause), 1);
	TAP_CHECK_INT(state_delete(st, "a/2", &cause), 0);
	TAP_CHECK_INT(state_get(st, "a/2", &b, &cause), 0);
	state_close(st);

	/* Reopen: everything written is still there. */
	st = state_open(dir, &cause);
	TAP_CHECK(st != NULL);
	if (st != NULL) {
		TAP_CHECK_INT(state_get(st, "b/1", &b, &cause), 1);
		TAP_CHECK(b.len == 3 && memcmp(b.data, "bee", 3) == 0);
		TAP_CHECK_INT(state_get(st, "a/2", &b, &cause), 0);
		TAP_CHECK_INT(state_get(st, "meta/format-version", &b,
		    &cause), 1);
		TAP_CHECK_STR(buf_cstr(&b), "1");
		state_close(st);
	}
	buf_free(&b);
	buf_free(&k);
	free(dir);
}

static void
check_mode(const char *path, mode_t want)
{
	struct stat	sb;

	TAP_CHECK_INT(stat(path, &sb), 0);
	TAP_CHECK_INT(sb.st_mode & 07777, want);
}

static void
test_permissions(void)
{
	struct state	*st;
	char		*dir = fresh_dir(), *cause = NULL, *p;
	mode_t		 old;

	old = umask(0);
	st = state_open(dir, &cause);
	umask(old);
	TAP_CHECK(st != NULL);
	check_mode(dir, 0700);
	p = xasprintf("%s/data.mdb", dir);
	check_mode(p, 0600);
	free(p);
	p = xasprintf("%s/lock.mdb", dir);
	check_mode(p, 0600);
	free(p);
	state_close(st);
	free(cause);
	free(dir);
}

/*
 * state_open on an unwritable dir fails with a clear error.  Root ignores
 * mode bits, so as root the check runs in a child that drops to nobody.
 */
static int
unwritable_fails(const char *dir)
{
	struct state	*st;
	char		*cause = NULL;
	pid_t		 pid;
	int		 status, ok, child = 0;

	fflush(stdout);
	if (geteuid() == 0) {
		if ((pid = fork()) != 0) {
			if (pid == -1 || waitpid(pid, &status, 0) != pid)
				return (0);
			return (WIFEXITED(status) && WEXITSTATUS(status) == 0);
		}
		child = 1;
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(2);
	}
	st = state_open(dir, &cause);
	ok = st == NULL && cause != NULL && strstr(cause, dir) != NULL &&
	    strstr(cause, "Permission denied") != NULL;
	printf("# %s\n", cause != NULL ? cause : "(opened)");
	fflush(stdout);
	state_close(st);
	free(cause);
	if (child)
		_exit(ok ? 0 : 1);
	return (ok);
}

static void
test_errors(void)
{
	struct state	*st;
	char		*dir = fresh_dir(), *cause = NULL, *p;
	FILE		*f;

	/* A path whose parent is a regular file. */
	p = xasprintf("%s/file", tmpdir);
	f = fopen(p, "w");
	fclose(f);
	free(dir);
	dir = xasprintf("%s/sub", p);
	st = state_open(dir, &cause);
	TAP_CHECK(st == NULL);
	TAP_CHECK(cause != NULL && strstr(cause, dir) != NULL &&
	    strstr(cause, "Not a directory") != NULL);
	printf("# %s\n", cause);
	free(cause);
	cause = NULL;
	/* The state dir itself is a file. */
	st = state_open(p, &cause);
	TAP_CHECK(st == NULL && cause != NULL &&
	    strstr(cause, "Not a directory") != NULL);
	free(cause);
	cause = NULL;
	free(dir);

	/* An existing directory we may not write to. */
	dir = xasprintf("%s/ro", tmpdir);
	mkdir(dir, 0555);
	chmod(dir, 0555);
	chmod(tmpdir, 0711);
	TAP_CHECK(unwritable_fails(dir));
	free(dir);

	/* A store from a newer bronzed is refused. */
	dir = xasprintf("%s/newer", tmpdir);
	st = state_open(dir, &cause);
	TAP_CHECK(st != NULL);
	TAP_CHECK_INT(state_put(st, "meta/format-version", "99", 2, &cause),
	    0);
	state_close(st);
	st = state_open(dir, &cause);
	TAP_CHECK(st == NULL && cause != NULL &&
	    strstr(cause, "format version \"99\"") != NULL);
	free(cause);
	free(dir);
	free(p);
}

static void
test_map_resize(void)
{
	struct state	*st;
	struct buf	 b = BUF_INIT;
	char		*dir = fresh_dir(), *cause = NULL, key[32], val[3000];
	size_t		 initial;
	int		 i, bad = 0;

	st = state_open(dir, &cause);
	TAP_CHECK(st != NULL);
	if (st == NULL)
		return;
	initial = state_map_size(st);
	for (i = 0; i < 3000; i++) {
		snprintf(key, sizeof key, "r/%06d", i);
		memset(val, 'a' + i % 26, sizeof val);
		if (state_put(st, key, val, sizeof val, &cause) != 0) {
			printf("# %s\n", cause);
			free(cause);
			bad++;
			break;
		}
	}
	TAP_CHECK_INT(bad, 0);
	TAP_CHECK(state_map_size(st) > initial);
	printf("# map %zu -> %zu bytes\n", initial, state_map_size(st));
	state_close(st);
	st = state_open(dir, &cause);
	TAP_CHECK(st != NULL);
	for (i = 0; st != NULL && i < 3000; i += 7) {
		snprintf(key, sizeof key, "r/%06d", i);
		if (state_get(st, key, &b, &cause) != 1 ||
		    b.len != sizeof val || b.data[0] != 'a' + i % 26)
			bad++;
	}
	TAP_CHECK_INT(bad, 0);
	state_close(st);
	buf_free(&b);
	free(dir);
}

/* A full disk (simulated by RLIMIT_FSIZE) fails cleanly and keeps data. */
static void
test_disk_full(void)
{
	struct state	*st;
	struct rlimit	 old, lim;
	struct buf	 b = BUF_INIT;
	char		*dir = fresh_dir(), *cause = NULL, key[32], *val;
	int		 i, rc = 0, ok_writes = 0;

	st = state_open(dir, &cause);
	TAP_CHECK(st != NULL);
	if (st == NULL)
		return;
	TAP_CHECK_INT(state_put(st, "keep", "safe", 4, &cause), 0);
	val = xcalloc(1, 64 << 10);
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 1 << 20;
	setrlimit(RLIMIT_FSIZE, &lim);
	for (i = 0; i < 64 && rc == 0; i++) {
		snprintf(key, sizeof key, "big/%03d", i);
		rc = state_put(st, key, val, 64 << 10, &cause);
		if (rc == 0)
			ok_writes++;
	}
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	TAP_CHECK_INT(rc, -1);
	TAP_CHECK(ok_writes > 0 && ok_writes < 64);
	TAP_CHECK(cause != NULL && strstr(cause, dir) != NULL &&
	    strstr(cause, ": write: ") != NULL &&
	    strstr(cause, "MB free") != NULL);
	printf("# after %d writes: %s\n", ok_writes, cause);
	free(cause);
	cause = NULL;
	/* The same handle works again once there is room. */
	TAP_CHECK_INT(state_put(st, "after", "x", 1, &cause), 0);
	TAP_CHECK_INT(state_get(st, "keep", &b, &cause), 1);
	if (cause != NULL)
		printf("# %s\n", cause);
	free(cause);
	cause = NULL;
	state_close(st);

	st = state_open(dir, &cause);
	TAP_CHECK(st != NULL);
	if (st != NULL) {
		TAP_CHECK_INT(state_get(st, "keep", &b, &cause), 1);
		TAP_CHECK(b.len == 4 && memcmp(b.data, "safe", 4) == 0);
		snprintf(key, sizeof key, "big/%03d", ok_writes - 1);
		TAP_CHECK_INT(state_get(st, key, &b, &cause), 1);
		snprintf(key, sizeof key, "big/%03d", ok_writes);
		TAP_CHECK_INT(state_get(st, key, &b, &cause), 0);
		TAP_CHECK_INT(state_put(st, key, val, 64 << 10, &cause), 0);
		state_close(st);
	}
	free(val);
	buf_free(&b);
	free(dir);
}

static void
fill_ckpt(struct state_ckpt *ck, const char *job, uint64_t id)
{
	static char	*files[] = { "s3://w/t/data/a.parquet",
	    "s3://w/t/data/b \"q\".parquet" };

	memset(ck, 0, sizeof *ck);
	snprintf(ck->job_id, sizeof ck->job_id, "%s", job);
	ck->checkpoint_id = id;
	ck->status = STATE_CKPT_PREPARED;
	ck->snapshot_id = INT64_MAX;
	ck->manifest_list = "s3://w/t/metadata/snap-1.avro";
	ck->offsets = "{\"binance.raw\":{\"0\":9007199254740993,\"1\":5}}";
	ck->files = files;
	ck->nfiles = 2;
	ck->prepared_ms = 1795000000123;
}

static void
test_checkpoints(void)
{
	static const char job_a[] = "0123456789abcdef0123456789abcdef";
	static const char job_b[] = "fedcba9876543210fedcba9876543210";
	struct state		*st;
	struct state_ckpt	 ck, got;
	char			*dir = fresh_dir(), *cause = NULL;
	uint64_t		 id;

	st = state_open(dir, &cause);
	TAP_CHECK(st != NULL);
	if (st == NULL)
		return;
	TAP_CHECK_INT(state_ckpt_newest(st, job_a, &got, &cause), 0);
	for (id = 1; id <= 12; id++) {
		fill_ckpt(&ck, job_a, id);
		TAP_CHECK_INT(state_ckpt_put(st, &ck, &cause), 0);
	}
	fill_ckpt(&ck, job_b, 3);
	TAP_CHECK_INT(state_ckpt_put(st, &ck, &cause), 0);
	/* Mark 12 committed, as the checkpoint path does. */
	fill_ckpt(&ck, job_a, 12);
	ck.status = STATE_CKPT_COMMITTED;
	ck.committed_ms = 1795000000999;
	TAP_CHECK_INT(state_ckpt_put(st, &ck, &cause), 0);

	TAP_CHECK_INT(state_ckpt_newest(st, job_a, &got, &cause), 1);
	TAP_CHECK_INT(got.checkpoint_id, 12);
	TAP_CHECK_INT(got.status, STATE_CKPT_COMMITTED);
	TAP_CHECK(got.snapshot_id == INT64_MAX);
	TAP_CHECK_STR(got.job_id, job_a);
	TAP_CHECK_STR(got.offsets, ck.offsets);
	TAP_CHECK_STR(got.manifest_list, ck.manifest_list);
	TAP_CHECK_INT(got.nfiles, 2);
	if (got.nfiles == 2)
		TAP_CHECK_STR(got.files[1], ck.files[1]);
	TAP_CHECK(got.committed_ms == 1795000000999);
	TAP_CHECK(got.prepared_ms == 1795000000123);
	state_ckpt_clear(&got);

	TAP_CHECK_INT(state_ckpt_newest(st, job_b, &got, &cause), 1);
	TAP_CHECK_INT(got.checkpoint_id, 3);
	TAP_CHECK_INT(got.status, STATE_CKPT_PREPARED);
	state_ckpt_clear(&got);
	TAP_CHECK_INT(state_ckpt_get(st, job_a, 2, &got, &cause), 1);
	TAP_CHECK_INT(got.checkpoint_id, 2);
	state_ckpt_clear(&got);
	TAP_CHECK_INT(state_ckpt_get(st, job_a, 13, &got, &cause), 0);

	/* A damaged record is an error, not a crash. */
	TAP_CHECK_INT(state_put(st, "ckpt/" "0123456789abcdef0123456789abcdef"
	    "/00000000000000000099", "{\"job-id\":1}", 12, &cause), 0);
	TAP_CHECK_INT(state_ckpt_newest(st, job_a, &got, &cause), -1);
	TAP_CHECK(cause != NULL && strstr(cause, "malformed") != NULL);
	free(cause);
	state_close(st);
	free(dir);
}

static void
test_keys(void)
{
	char	*k;

	k = state_ckpt_key("abc", 42);
	TAP_CHECK_STR(k, "ckpt/abc/00000000000000000042");
	free(k);
	k = state_savepoint_key("abc", "/sp/savepoint-abc123-0123456789ab");
	TAP_CHECK_STR(k, "savepoint/abc//sp/savepoint-abc123-0123456789ab");
	free(k);
}

static void
test_cleanup(void)
{
	nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	TAP_CHECK(access(tmpdir, F_OK) != 0);
}

static const struct tap_case cases[] = {
	{ "put get delete each last, reopen", test_records },
	{ "permissions 0700 and 0600 under umask 0", test_permissions },
	{ "clear errors: bad dir, newer format", test_errors },
	{ "map grows when full", test_map_resize },
	{ "disk full fails cleanly and keeps data", test_disk_full },
	{ "checkpoint records", test_checkpoints },
	{ "key helpers", test_keys },
	{ "cleanup", test_cleanup },
};

TAP_MAIN(cases)
