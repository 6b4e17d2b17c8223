/*
 * test-fileio.c: the FileIO layer on both backends: atomic local writes,
 * create-if-absent with racing creators, directory creation, listing;
 * the same operations and the streaming multipart writer on S3 (moto).
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "fileio.h"
#include "http.h"
#include "s3.h"
#include "xmalloc.h"
#include "tap.h"
#include "storage-peer.h"

static struct event_base	*base;
static struct fileio		*fio;
static struct http		*http;
static struct s3		*s3;
static struct peer		 moto;
static char			 tmpdir[] = "/tmp/bronze-fileio-XXXXXX";

struct cap {
	int			 done;
	enum fileio_status	 status;
	char			*error;
	struct buf		 data;
	uint64_t		 size;
	struct buf		 list;		/* "url size\n" */
};

static void
cap_reset(struct cap *c)
{
	free(c->error);
	buf_free(&c->data);
	buf_free(&c->list);
	memset(c, 0, sizeof(*c));
}

static void
cap_cb(struct fileio_result *r, void *arg)
{
	struct cap	*c = arg;
	size_t		 i;

	c->done = 1;
	c->status = r->status;
	c->error = r->error != NULL ? xstrdup(r->error) : NULL;
	c->size = r->size;
	if (r->data != NULL) {
		c->data = *r->data;
		buf_init(r->data);
	}
	for (i = 0; i < r->nentries; i++)
		buf_printf(&c->list, "%s %llu\n", r->entries[i].url,
		    (unsigned long long)r->entries[i].size);
	buf_cstr(&c->list);
	buf_cstr(&c->data);
}

static int
cap_wait(struct cap *c)
{
	return (peer_run(base, &c->done, 60000));
}

/* Operations on a URL, waited for. */
static void
do_put(const char *url, const char *text, int flags, struct cap *c)
{
	cap_reset(c);
	fileio_put(fio, url, text, strlen(text), flags, cap_cb, c);
	TAP_CHECK(!c->done);	/* never called back from inside */
	TAP_CHECK(cap_wait(c) == 0);
}

static void
do_read(const char *url, size_t max, struct cap *c)
{
	cap_reset(c);
	fileio_read(fio, url, max, cap_cb, c);
	TAP_CHECK(!c->done);
	TAP_CHECK(cap_wait(c) == 0);
}

static void
do_op(void (*fn)(struct fileio *, const char *, fileio_cb, void *),
    const char *url, struct cap *c)
{
	cap_reset(c);
	fn(fio, url, cap_cb, c);
	TAP_CHECK(!c->done);
	TAP_CHECK(cap_wait(c) == 0);
}

/* Count directory entries whose name contains needle. */
static int
count_in_dir(const char *dir, const char *needle)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL)
		n += strstr(de->d_name, needle) != NULL;
	closedir(d);
	return (n);
}

/* Stat the one temp file in dir; 0, or -1 if there is none. */
static int
find_tmp(const char *dir, struct stat *st)
{
	DIR		*d;
	struct dirent	*de;
	char		*p;
	int		 rc = -1;

	if ((d = opendir(dir)) == NULL)
		return (-1);
	while (rc != 0 && (de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".tmp-") == NULL)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		rc = stat(p, st);
		free(p);
	}
	closedir(d);
	return (rc);
}

static void
test_local_put_read(void)
{
	struct cap	 c = { 0 };
	struct stat	 st;
	char		*path, *url, *dir;
	mode_t		 mask;

	path = xasprintf("%s/a/b/c/v1.metadata.json", tmpdir);
	url = xasprintf("file://%s", path);
	do_put(url, "{\"v\":1}", 0, &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	TAP_CHECK(stat(path, &st) == 0 && st.st_size == 7);
	dir = xasprintf("%s/a/b", tmpdir);
	mask = umask(022);
	umask(mask);
	TAP_CHECK(stat(dir, &st) == 0 &&
	    (st.st_mode & 0777) == (0755 & ~mask));
	do_read(path, 0, &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	TAP_CHECK_STR((char *)c.data.data, "{\"v\":1}");
	do_read(url, 0, &c);
	TAP_CHECK_STR((char *)c.data.data, "{\"v\":1}");
	do_put(path, "{\"v\":2}", 0, &c);	/* plain put replaces */
	do_read(path, 0, &c);
	TAP_CHECK_STR((char *)c.data.data, "{\"v\":2}");
	do_read(path, 3, &c);
	TAP_CHECK_INT(c.status, FILEIO_ERROR);
	TAP_CHECK(c.error != NULL && strstr(c.error, "more than 3") != NULL);
	free(dir);
	dir = xasprintf("%s/a/b/c", tmpdir);
	TAP_CHECK_INT(count_in_dir(dir, ".tmp-"), 0);
	do_read("/nonexistent/bronze/x", 0, &c);
	TAP_CHECK_INT(c.status, FILEIO_NOT_FOUND);
	cap_reset(&c);
	free(dir);
	free(path);
	free(url);
}

static void
test_local_writer(void)
{
	struct fileio_writer	*w;
	struct cap		 c = { 0 };
	char			*path, *dir, *cause = NULL;
	struct stat		 st;
	int			 i;

	path = xasprintf("%s/w/data/day=2026-01-20/f.parquet", tmpdir);
	dir = xasprintf("%s/w/data/day=2026-01-20", tmpdir);
	w = fileio_writer_open(fio, path, &cause);
	TAP_CHECK(w != NULL);
	if (w == NULL)
		return;
	for (i = 0; i < 3; i++)
		TAP_CHECK_INT(fileio_writer_append(w, "abcd", 4), 0);
	TAP_CHECK_INT(fileio_writer_size(w), 12);
	TAP_CHECK(stat(path, &st) != 0 && errno == ENOENT);	/* atomic */
	TAP_CHECK_INT(count_in_dir(dir, ".tmp-"), 1);
	fileio_writer_close(w, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	TAP_CHECK_INT(c.size, 12);
	do_read(path, 0, &c);
	TAP_CHECK_STR((char *)c.data.data, "abcdabcdabcd");
	TAP_CHECK_INT(count_in_dir(dir, ".tmp-"), 0);

	w = fileio_writer_open(fio, "file:" "/dev/null/x/y", &cause);
	TAP_CHECK(w == NULL && cause != NULL);
	free(cause);
	w = fileio_writer_open(fio, path, &cause);
	fileio_writer_append(w, "zz", 2);
	cap_reset(&c);
	fileio_writer_abort(w, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	TAP_CHECK_INT(count_in_dir(dir, ".tmp-"), 0);
	do_read(path, 0, &c);
	TAP_CHECK_STR((char *)c.data.data, "abcdabcdabcd");
	cap_reset(&c);
	free(path);
	free(dir);
}

static void
test_local_create_only(void)
{
	struct cap	 c = { 0 };
	char		*path;

	path = xasprintf("%s/cond/metadata/v1.metadata.json", tmpdir);
	do_put(path, "first", FILEIO_CREATE_ONLY, &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	do_put(path, "second", FILEIO_CREATE_ONLY, &c);
	TAP_CHECK_INT(c.status, FILEIO_EXISTS);
	TAP_CHECK(c.error != NULL);
	do_read(path, 0, &c);
	TAP_CHECK_STR((char *)c.data.data, "first");
	cap_reset(&c);
	free(path);
}

#define RACERS	4
#define ROUNDS	25

/* One racing process: try to create every round's file; report wins. */
static void
racer(int id, int fd)
{
	struct event_base	*b;
	struct fileio		*f;
	struct cap		 c = { 0 };
	char			*path, text[32], wins[ROUNDS];
	int			 i;

	b = event_base_new();
	f = fileio_new(b, NULL, NULL);
	snprintf(text, sizeof(text), "racer %d", id);
	for (i = 0; i < ROUNDS; i++) {
		path = xasprintf("%s/race/v%d.metadata.json", tmpdir, i);
		cap_reset(&c);
		fileio_put(f, path, text, strlen(text), FILEIO_CREATE_ONLY,
		    cap_cb, &c);
		peer_run(b, &c.done, 10000);
		wins[i] = c.status == FILEIO_OK ? 'W' :
		    c.status == FILEIO_EXISTS ? 'E' : '?';
		free(path);
	}
	cap_reset(&c);
	if (write(fd, wins, sizeof(wins)) != sizeof(wins))
		_exit(2);
	fileio_free(f);
	event_base_free(b);
	_exit(0);
}

static void
test_local_race(void)
{
	struct cap	 c = { 0 };
	int		 fds[RACERS][2], i, r, winner, nwin, status;
	char		 wins[RACERS][ROUNDS], *path, want[32];
	pid_t		 pids[RACERS];

	for (r = 0; r < RACERS; r++) {
		TAP_CHECK(pipe(fds[r]) == 0);
		if ((pids[r] = fork()) == 0) {
			close(fds[r][0]);
			racer(r, fds[r][1]);
		}
		close(fds[r][1]);
	}
	for (r = 0; r < RACERS; r++) {
		TAP_CHECK(read(fds[r][0], wins[r], ROUNDS) == ROUNDS);
		close(fds[r][0]);
		waitpid(pids[r], &status, 0);
		TAP_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	for (i = 0; i < ROUNDS; i++) {
		nwin = 0;
		winner = -1;
		for (r = 0; r < RACERS; r++) {
			TAP_CHECK(wins[r][i] == 'W' || wins[r][i] == 'E');
			if (wins[r][i] == 'W') {
				nwin++;
				winner = r;
			}
		}
		TAP_CHECK_INT(nwin, 1);
		path = xasprintf("%s/race/v%d.metadata.json", tmpdir, i);
		do_read(path, 0, &c);
		snprintf(want, sizeof(want), "racer %d", winner);
		TAP_CHECK_STR((char *)c.data.data, want);
		free(path);
	}
	cap_reset(&c);
}

static void
test_local_list(void)
{
	struct cap	 c = { 0 };
	struct buf	 want = BUF_INIT;
	char		*p, *u;
	static const char *files[][2] = {
		{ "metadata/v1.metadata.json", "1" },
		{ "metadata/v2.metadata.json", "22" },
		{ "metadata/version-hint.text", "2" },
		{ "data/x/f.parquet", "pq" },
	};
	size_t		 i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		p = xasprintf("%s/ls/t/%s", tmpdir, files[i][0]);
		do_put(p, files[i][1], 0, &c);
		free(p);
	}
	/* A temp file of an unfinished writer is not listed. */
	p = xasprintf("%s/ls/t/metadata/.v3.metadata.json.tmp-abcdef",
	    tmpdir);
	do_put(p, "tmp", 0, &c);
	free(p);

	u = xasprintf("file://%s/ls/t/metadata/v", tmpdir);
	do_op(fileio_list, u, &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	buf_printf(&want, "%s1.metadata.json 1\n%s2.metadata.json 2\n"
	    "%sersion-hint.text 1\n", u, u, u);
	TAP_CHECK_STR((char *)c.list.data, buf_cstr(&want));
	free(u);
	buf_reset(&want);
	u = xasprintf("%s/ls/t/", tmpdir);
	do_op(fileio_list, u, &c);
	buf_printf(&want, "%sdata/x/f.parquet 2\n"
	    "%smetadata/v1.metadata.json 1\n%smetadata/v2.metadata.json 2\n"
	    "%smetadata/version-hint.text 1\n", u, u, u, u);
	TAP_CHECK_STR((char *)c.list.data, buf_cstr(&want));
	free(u);
	u = xasprintf("%s/ls/none/", tmpdir);
	do_op(fileio_list, u, &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	TAP_CHECK_STR((char *)c.list.data, "");
	free(u);

	u = xasprintf("%s/ls/t/metadata/v2.metadata.json", tmpdir);
	do_op(fileio_stat, u, &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	TAP_CHECK_INT(c.size, 2);
	do_op(fileio_delete, u, &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	do_op(fileio_stat, u, &c);
	TAP_CHECK_INT(c.status, FILEIO_NOT_FOUND);
	do_op(fileio_delete, u, &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	free(u);
	cap_reset(&c);
	buf_free(&want);
}

static void
test_s3_ops(void)
{
	struct cap	 c = { 0 };
	char		*cause = NULL;

	do_put("s3://bronze/wh/ns/t/metadata/v1.metadata.json", "{}", 0, &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	do_put("s3a://bronze/wh/ns/t/data/day=2026-01-20/a b.parquet", "PAR1",
	    0, &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	if (c.error != NULL)
		printf("# %s\n", c.error);
	do_read("s3a://bronze/wh/ns/t/metadata/v1.metadata.json", 0, &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	TAP_CHECK_STR((char *)c.data.data, "{}");
	do_read("s3://bronze/wh/ns/t/data/day=2026-01-20/a b.parquet", 2, &c);
	TAP_CHECK_INT(c.status, FILEIO_ERROR);
	do_op(fileio_list, "s3://bronze/wh/ns/t/", &c);
	TAP_CHECK_STR((char *)c.list.data,
	    "s3://bronze/wh/ns/t/data/day=2026-01-20/a b.parquet 4\n"
	    "s3://bronze/wh/ns/t/metadata/v1.metadata.json 2\n");
	do_op(fileio_stat, "s3://bronze/wh/ns/t/metadata/v1.metadata.json",
	    &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	TAP_CHECK_INT(c.size, 2);
	do_op(fileio_delete, "s3://bronze/wh/ns/t/metadata/v1.metadata.json",
	    &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	do_op(fileio_stat, "s3://bronze/wh/ns/t/metadata/v1.metadata.json",
	    &c);
	TAP_CHECK_INT(c.status, FILEIO_NOT_FOUND);
	do_read("s3://bronze/wh/none", 0, &c);
	TAP_CHECK_INT(c.status, FILEIO_NOT_FOUND);
	/* a small limit (version-hint.text) still sees the 404's XML */
	do_read("s3://bronze/wh/ns/t/metadata/version-hint.text", 64, &c);
	TAP_CHECK_INT(c.status, FILEIO_NOT_FOUND);
	do_read("s3://", 0, &c);
	TAP_CHECK_INT(c.status, FILEIO_ERROR);
	TAP_CHECK(fileio_writer_open(fio, "s3://bronze/", &cause) == NULL);
	TAP_CHECK(cause != NULL && strstr(cause, "no object key") != NULL);
	free(cause);
	TAP_CHECK(fileio_writer_open(fio, "s3:///x", &cause) == NULL);
	free(cause);
	cap_reset(&c);
}

static void
test_s3_create_only(void)
{
	struct cap	c = { 0 };

	do_put("s3://bronze/wh/c/v1.metadata.json", "one", FILEIO_CREATE_ONLY,
	    &c);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	do_put("s3://bronze/wh/c/v1.metadata.json", "two", FILEIO_CREATE_ONLY,
	    &c);
	TAP_CHECK_INT(c.status, FILEIO_EXISTS);
	do_read("s3://bronze/wh/c/v1.metadata.json", 0, &c);
	TAP_CHECK_STR((char *)c.data.data, "one");
	cap_reset(&c);
}

/* Deterministic test bytes. */
static void
fill(uint8_t *p, size_t n, uint32_t *seed)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		p[i] = *seed >> 16;
	}
}

static void
uploads_cb(struct s3_reply *r, void *arg)
{
	int	*n = arg;

	n[0] = 1;
	n[1] = r->status == S3_OK ? (int)r->nobjects : -1;
}

/* Number of open multipart uploads under prefix (-1 on error). */
static int
count_uploads(const char *prefix)
{
	int	n[2] = { 0, 0 };

	s3_list_uploads(s3, "bronze", prefix, uploads_cb, n);
	if (peer_run(base, &n[0], 30000) != 0)
		return (-1);
	return (n[1]);
}

static void
test_s3_writer(void)
{
	struct fileio_writer	*w;
	struct cap		 c = { 0 };
	struct buf		 all = BUF_INIT;
	char			*cause = NULL, a[65], b[65];
	uint32_t		 seed = 42;
	size_t			 total = 11 * 1024 * 1024 + 12345, n;
	int			 paused = 0, rc;

	/* Small: a single PUT at close. */
	w = fileio_writer_open(fio, "s3://bronze/w/small.bin", &cause);
	TAP_CHECK(w != NULL);
	TAP_CHECK_INT(fileio_writer_append(w, "tiny", 4), 0);
	fileio_writer_close(w, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	do_read("s3://bronze/w/small.bin", 0, &c);
	TAP_CHECK_STR((char *)c.data.data, "tiny");

	/* Multipart: 5 MB parts, 3 parts. */
	w = fileio_writer_open(fio, "s3://bronze/w/big.bin", &cause);
	fill(buf_extend(&all, total), total, &seed);
	for (n = 0; n < total; n += 100000) {
		rc = fileio_writer_append(w, all.data + n,
		    total - n < 100000 ? total - n : 100000);
		TAP_CHECK(rc == 0 || rc == 1);
		paused += rc == 1;
	}
	TAP_CHECK(paused > 0);	/* 2 parts buffered or in flight */
	cap_reset(&c);
	fileio_writer_close(w, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	TAP_CHECK_INT(c.size, total);
	if (c.error != NULL)
		printf("# %s\n", c.error);
	do_read("s3://bronze/w/big.bin", 0, &c);
	TAP_CHECK_INT(c.data.len, total);
	s3_sha256_hex(all.data, all.len, a);
	s3_sha256_hex(c.data.data, c.data.len, b);
	TAP_CHECK_STR(b, a);
	TAP_CHECK_INT(count_uploads("w/"), 0);
	cap_reset(&c);
	buf_free(&all);
}

static void
test_s3_writer_abort(void)
{
	struct fileio_writer	*w;
	struct cap		 c = { 0 };
	uint8_t			*chunk;
	char			*cause = NULL;
	uint32_t		 seed = 7;
	int			 i;

	chunk = xmalloc(1024 * 1024);
	w = fileio_writer_open(fio, "s3://bronze/ab/x.bin", &cause);
	for (i = 0; i < 12; i++) {
		fill(chunk, 1024 * 1024, &seed);
		fileio_writer_append(w, chunk, 1024 * 1024);
	}
	/* Let the upload and a part get going before aborting. */
	c.done = 0;
	peer_run(base, &c.done, 300);
	fileio_writer_abort(w, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	TAP_CHECK_INT(count_uploads("ab/"), 0);
	do_op(fileio_stat, "s3://bronze/ab/x.bin", &c);
	TAP_CHECK_INT(c.status, FILEIO_NOT_FOUND);
	cap_reset(&c);
	free(chunk);
}

static void
test_s3_skipped(void)
{
}

#define FILEIO_TEST_TMP_MARK	".tmp-"	/* fileio-local.c's temp names */

/* Temp files of dead writers go; only old ones when a bound is given. */
static void
test_local_sweep(void)
{
	struct cap	 c = { 0 };
	struct timeval	 old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	struct timeval	 now;
	struct fileio_writer *w;
	char		*p[3], *u, *d, *live, *cause = NULL;
	size_t		 i;

	p[0] = xasprintf("%s/sw/t/data/d=1/.a.parquet.tmp-aaaaaa", tmpdir);
	p[1] = xasprintf("%s/sw/t/data/d=2/.b.parquet.tmp-bbbbbb", tmpdir);
	p[2] = xasprintf("%s/sw/t/data/d=2/c.parquet", tmpdir);
	for (i = 0; i < 3; i++)
		do_put(p[i], "x", 0, &c);
	TAP_CHECK(utimes(p[0], old) == 0 && utimes(p[2], old) == 0);
	gettimeofday(&now, NULL);
	u = xasprintf("file://%s/sw/t/data/", tmpdir);
	cap_reset(&c);
	fileio_abort_uploads(fio, u, (int64_t)now.tv_sec * 1000 - 60000,
	    cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0 && c.status == FILEIO_OK && c.size == 1);
	TAP_CHECK(access(p[0], F_OK) != 0 && access(p[1], F_OK) == 0 &&
	    access(p[2], F_OK) == 0);	/* the old temp file only */
	cap_reset(&c);
	fileio_abort_uploads(fio, u, 0, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0 && c.size == 1);
	TAP_CHECK(access(p[1], F_OK) != 0 && access(p[2], F_OK) == 0);
	/* an open writer of this fileio is spared, whatever the bound */
	d = xasprintf("%s/sw/t/data/d=3", tmpdir);
	live = xasprintf("%s/live.parquet", d);
	TAP_CHECK((w = fileio_writer_open(fio, live, &cause)) != NULL);
	TAP_CHECK(fileio_writer_append(w, "abc", 3) == 0);
	cap_reset(&c);
	fileio_abort_uploads(fio, u, (int64_t)now.tv_sec * 1000 + 86400000,
	    cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0 && c.size == 0);
	TAP_CHECK_INT(count_in_dir(d, FILEIO_TEST_TMP_MARK), 1);
	cap_reset(&c);
	fileio_writer_abort(w, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(count_in_dir(d, FILEIO_TEST_TMP_MARK), 0);
	free(live);
	free(d);
	cap_reset(&c);
	free(u);
	for (i = 0; i < 3; i++)
		free(p[i]);
}

/*
 * The disk work runs on the fileio's thread: it is done while the loop
 * does not run, the results come in submission order, and a fileio freed
 * with work in flight finishes the work and drops the results, as it
 * drops results already waiting for the loop.
 */
static void
test_local_thread(void)
{
	struct fileio		*f2;
	struct fileio_writer	*w;
	struct cap		 c[3];
	struct stat		 st;
	struct timespec		 ts = { 0, 20000000 };
	char			*p[3], *cause = NULL;
	int			 i, waited;

	memset(c, 0, sizeof c);
	for (i = 0; i < 3; i++)
		p[i] = xasprintf("%s/thr/f%d", tmpdir, i);
	fileio_put(fio, p[0], "one", 3, 0, cap_cb, &c[0]);
	w = fileio_writer_open(fio, p[1], &cause);
	TAP_CHECK(w != NULL);
	if (w != NULL) {
		TAP_CHECK_INT(fileio_writer_append(w, "two", 3), 0);
		fileio_writer_close(w, cap_cb, &c[1]);
	}
	fileio_read(fio, p[0], 0, cap_cb, &c[2]);
	for (waited = 0; waited < 250 && stat(p[1], &st) != 0; waited++)
		nanosleep(&ts, NULL);		/* the loop does not run */
	TAP_CHECK(stat(p[0], &st) == 0 && st.st_size == 3);
	TAP_CHECK(stat(p[1], &st) == 0 && st.st_size == 3);
	TAP_CHECK(!c[0].done && !c[1].done && !c[2].done);
	TAP_CHECK_INT(fileio_busy(fio), 3);
	TAP_CHECK(cap_wait(&c[2]) == 0);
	TAP_CHECK(c[0].done && c[1].done);
	TAP_CHECK_STR((char *)c[2].data.data, "one");
	TAP_CHECK_INT(fileio_busy(fio), 0);

	f2 = fileio_new(base, NULL, NULL);
	cap_reset(&c[0]);
	fileio_put(f2, p[2], "three", 5, 0, cap_cb, &c[0]);
	fileio_free(f2);		/* the put is finished, not reported */
	TAP_CHECK(stat(p[2], &st) == 0 && st.st_size == 5);
	TAP_CHECK(!c[0].done);

	/* A result waiting for the loop when the fileio goes is dropped. */
	f2 = fileio_new(base, NULL, NULL);
	cap_reset(&c[0]);
	fileio_fail(f2, cap_cb, &c[0], FILEIO_ERROR, "never delivered");
	TAP_CHECK_INT(fileio_busy(f2), 1);
	fileio_free(f2);
	event_base_loop(base, EVLOOP_NONBLOCK);
	event_base_loop(base, EVLOOP_NONBLOCK);
	TAP_CHECK(!c[0].done);
	for (i = 0; i < 3; i++) {
		cap_reset(&c[i]);
		free(p[i]);
	}
}

/*
 * A writer's appends are written by the thread, not the loop: pieces land
 * in the temp file while the loop does not run; past the backlog append
 * asks for a pause, and the drain comes once the thread caught up.  A
 * write that fails there (a file size limit) fails the writer: a later
 * append returns -1, the close reports why, and nothing is left behind.
 */
static void
drain_cb(void *arg)
{
	(*(int *)arg)++;
}

static void
test_local_backlog(void)
{
	struct fileio_writer	*w;
	struct cap		 c = { 0 };
	struct rlimit		 rl, small;
	struct stat		 st;
	struct timespec		 ts = { 0, 10000000 };
	struct buf		 want = BUF_INIT;
	char			*path, *dir, *cause = NULL;
	int			 i, rc, first_pause = 0, drained = 0, failed;

	path = xasprintf("%s/bl/f.parquet", tmpdir);
	dir = xasprintf("%s/bl", tmpdir);
	for (i = 0; i < 12 << 20; i++)
		buf_putc(&want, (uint8_t)(i * 7 + (i >> 20)));
	w = fileio_writer_open(fio, path, &cause);
	fileio_writer_on_drain(w, drain_cb, &drained);
	for (i = 0; i < 12; i++) {
		rc = fileio_writer_append(w, want.data + ((size_t)i << 20),
		    1 << 20);
		if (rc == 1 && first_pause == 0)
			first_pause = i + 1;
		TAP_CHECK(rc == 0 || rc == 1);
	}
	TAP_CHECK_INT(first_pause, 8);		/* 8 MB not yet written */
	for (i = 0; i < 500; i++) {		/* the loop does not run */
		if (find_tmp(dir, &st) == 0 && st.st_size == 12 << 20)
			break;
		nanosleep(&ts, NULL);
	}
	TAP_CHECK(find_tmp(dir, &st) == 0 && st.st_size == 12 << 20);
	TAP_CHECK_INT(drained, 0);
	TAP_CHECK(peer_run(base, &drained, 60000) == 0);
	TAP_CHECK_INT(drained, 1);
	TAP_CHECK_INT(fileio_writer_append(w, "", 0), 0);
	fileio_writer_close(w, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, FILEIO_OK);
	TAP_CHECK_INT(c.size, 12 << 20);
	do_read(path, 0, &c);
	TAP_CHECK(c.data.len == want.len &&
	    memcmp(c.data.data, want.data, want.len) == 0);
	do_op(fileio_delete, path, &c);

	/* Writes past a 2 MB file size limit fail on the thread. */
	getrlimit(RLIMIT_FSIZE, &rl);
	small = rl;
	small.rlim_cur = 2 << 20;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &small);
	w = fileio_writer_open(fio, path, &cause);
	for (i = 0, failed = 0; i < 5 && !failed; i++) {
		failed = fileio_writer_append(w, want.data, 1 << 20) == -1;
		drained = 0;
		peer_run(base, &drained, 200);	/* completions delivered */
	}
	TAP_CHECK(failed);
	TAP_CHECK(fileio_writer_error(w) != NULL &&
	    strstr(fileio_writer_error(w), "File too large") != NULL);
	cap_reset(&c);
	fileio_writer_close(w, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	setrlimit(RLIMIT_FSIZE, &rl);
	TAP_CHECK_INT(c.status, FILEIO_ERROR);
	TAP_CHECK(c.error != NULL && strstr(c.error, "File too large") != NULL);
	TAP_CHECK(stat(path, &st) != 0 && errno == ENOENT);
	TAP_CHECK_INT(count_in_dir(dir, ".tmp-"), 0);
	cap_reset(&c);
	buf_free(&want);
	free(path);
	free(dir);
}

static const struct tap_case local_cases[] = {
	{ "local disk work runs on a thread, in order", test_local_thread },
	{ "local put and read, parents created", test_local_put_read },
	{ "local writer is atomic (temp + rename), abort", test_local_writer },
	{ "local create-only reports exists", test_local_create_only },
	{ "local create-only: racing creators, one wins", test_local_race },
	{ "local list, stat, delete", test_local_list },
	{ "local sweep of dead writers' temp files", test_local_sweep },
	{ "local writer: written by the thread, pause, drain, failure",
	    test_local_backlog },
};

static const struct tap_case s3_cases[] = {
	{ "s3 put, read, list, stat, delete", test_s3_ops },
	{ "s3 create-only reports exists", test_s3_create_only },
	{ "s3 writer: single put and multipart", test_s3_writer },
	{ "s3 writer abort leaves no upload", test_s3_writer_abort },
};

int
main(void)
{
	struct tap_case		 cases[16];
	struct fileio_options	 fo;
	char			*skip = NULL, *cause = NULL, *name = NULL;
	size_t			 n = 0, i;
	int			 rc;

	if (mkdtemp(tmpdir) == NULL)
		return (1);
	for (i = 0; i < sizeof(local_cases) / sizeof(local_cases[0]); i++)
		cases[n++] = local_cases[i];
	base = event_base_new();
	if (peer_s3_start(&moto, &skip) == 0) {
		http = http_new(base, NULL, &cause);
		s3 = peer_s3_client(&moto, http, NULL, NULL, 1);
		for (i = 0; i < sizeof(s3_cases) / sizeof(s3_cases[0]); i++)
			cases[n++] = s3_cases[i];
	} else {
		name = xasprintf("s3 backend # SKIP %s", skip);
		cases[n].name = name;
		cases[n++].fn = test_s3_skipped;
	}
	memset(&fo, 0, sizeof(fo));
	fo.part_size = 5 * 1024 * 1024;
	fio = fileio_new(base, s3, &fo);
	rc = tap_run(cases, n);
	fileio_free(fio);
	s3_free(s3);
	http_free(http);
	event_base_free(base);
	peer_stop(&moto);
	free(skip);
	free(name);
	if (rc == 0) {
		name = xasprintf("rm -rf '%s'", tmpdir);
		if (system(name) != 0)
			rc = 1;
		free(name);
	}
	return (rc);
}
