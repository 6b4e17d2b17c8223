/*
 * test-http.c: the HTTP client's retry policy, retry budget and bounded
 * concurrency, then whole uploads through a fault-injecting proxy in
 * front of moto: at 20% faults every upload lands intact, at 100% every
 * one fails cleanly and no multipart upload is left behind.
 */
#include <sys/time.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "buf.h"
#include "fileio.h"
#include "http.h"
#include "s3.h"
#include "xmalloc.h"
#include "tap.h"
#include "storage-peer.h"

#define BUCKET	"bronze"

static struct event_base	*base;
static struct peer		 moto, proxy, proxy503;
static struct http		*direct_http;
static struct s3		*direct;	/* straight to moto */

/* A client with a test-sized retry policy. */
static struct http *
make_http(int max_active, int attempts, uint64_t budget_ms)
{
	struct http_options	 o;
	char			*cause = NULL;

	http_options_default(&o);
	o.max_active = max_active;
	o.max_attempts = attempts;
	o.retry_budget_ms = budget_ms;
	o.backoff_base_ms = 20;
	o.backoff_max_ms = 400;
	o.timeout_ms = 20000;
	return (http_new(base, &o, &cause));
}

static struct s3 *
make_s3(struct http *h, const char *endpoint)
{
	return (peer_s3_client(&moto, h, endpoint, NULL, 1));
}

struct hcap {
	int	 done;
	long	 status;
	int	 attempts;
	char	*error;
};

static void
hcap_cb(struct http_response *r, void *arg)
{
	struct hcap	*c = arg;

	c->done = 1;
	c->status = r->status;
	c->attempts = r->attempts;
	c->error = r->error != NULL ? xstrdup(r->error) : NULL;
}

/* GET url through h and wait. */
static void
get(struct http *h, const char *url, struct hcap *c)
{
	free(c->error);
	memset(c, 0, sizeof(*c));
	http_submit(h, http_request_new("GET", url, "test"), hcap_cb, c);
	TAP_CHECK(peer_run(base, &c->done, 60000) == 0);
}

struct scap {
	int		 done;
	enum s3_status	 status;
	long		 http_status;
	int		 attempts;
	char		*error;
	struct buf	 body;
	size_t		 nobjects;
};

static void
scap_cb(struct s3_reply *r, void *arg)
{
	struct scap	*c = arg;

	c->done = 1;
	c->status = r->status;
	c->error = r->error != NULL ? xstrdup(r->error) : NULL;
	c->nobjects = r->nobjects;
	c->http_status = r->http_status;
	c->attempts = r->attempts;
	if (r->body != NULL) {
		c->body = *r->body;
		buf_init(r->body);
	}
}

static void
test_retry_5xx(void)
{
	struct http	*h = make_http(4, 3, 10000);
	struct hcap	 c = { 0 };
	char		*url = xasprintf("%s/%s/x", proxy503.url, BUCKET);

	get(h, url, &c);
	TAP_CHECK_INT(c.status, 503);
	TAP_CHECK_INT(c.attempts, 3);
	TAP_CHECK(c.error == NULL);
	TAP_CHECK_INT(http_stats_get(h, "test", "5xx"), 3);
	TAP_CHECK_INT(http_stats_get(h, "test", "retry"), 2);
	free(c.error);
	free(url);
	http_free(h);
}

static void
test_no_retry_4xx(void)
{
	struct http		*h = make_http(4, 5, 10000);
	struct s3		*s;
	struct scap		 c;

	s = peer_s3_client(&moto, h, NULL, "not-the-secret", 1);
	memset(&c, 0, sizeof(c));
	s3_get(s, BUCKET, "x", 0, 0, 0, scap_cb, &c);
	TAP_CHECK(peer_run(base, &c.done, 30000) == 0);
	TAP_CHECK_INT(c.http_status, 403);
	TAP_CHECK_INT(c.attempts, 1);
	free(c.error);
	s3_free(s);
	s = make_s3(h, moto.url);
	memset(&c, 0, sizeof(c));
	s3_get(s, BUCKET, "no/such/key", 0, 0, 0, scap_cb, &c);
	TAP_CHECK(peer_run(base, &c.done, 30000) == 0);
	TAP_CHECK_INT(c.status, S3_NOT_FOUND);
	TAP_CHECK_INT(c.attempts, 1);
	TAP_CHECK_INT(http_stats_get(h, "s3", "4xx"), 2);
	TAP_CHECK_INT(http_stats_get(h, "s3", "retry"), 0);
	free(c.error);
	buf_free(&c.body);
	s3_free(s);
	http_free(h);
}

static void
test_budget(void)
{
	struct http	*h = make_http(4, 1000, 600);
	struct hcap	 c = { 0 };
	double		 t0 = peer_now_ms(), dt;
	char		*url;

	/* Nothing listens there: connection refused every time. */
	url = xasprintf("http://127.0.0.1:%d/x", peer_free_port());
	get(h, url, &c);
	free(url);
	dt = peer_now_ms() - t0;
	TAP_CHECK_INT(c.status, 0);
	TAP_CHECK(c.error != NULL && strstr(c.error, "onnect") != NULL);
	TAP_CHECK(c.attempts > 2 && c.attempts < 1000);
	TAP_CHECK(dt < 1500);
	printf("# %s (%.0f ms)\n", c.error, dt);
	free(c.error);
	http_free(h);
}

static void
test_concurrency(void)
{
	struct http	*h = make_http(2, 1, 10000);
	struct peer	 slow;
	struct hcap	 c[12];
	char		*skip = NULL, *url;
	double		 t0, dt;
	int		 i, all = 0;

	/* Every request is delayed 100-400 ms; two at a time take >= 600. */
	if (peer_proxy_start(&slow, moto.url, 1.0, 3, "delay", NULL, &skip) != 0) {
		TAP_CHECK(skip == NULL);
		free(skip);
		return;
	}
	url = xasprintf("%s/%s/x", slow.url, BUCKET);
	memset(c, 0, sizeof(c));
	t0 = peer_now_ms();
	for (i = 0; i < 12; i++)
		http_submit(h, http_request_new("GET", url, "test"), hcap_cb,
		    &c[i]);
	TAP_CHECK_INT(http_pending(h), 12);
	for (i = 0; i < 12; i++) {
		TAP_CHECK(peer_run(base, &c[i].done, 30000) == 0);
		all += c[i].status >= 400;
		free(c[i].error);
	}
	dt = peer_now_ms() - t0;
	TAP_CHECK_INT(all, 12);
	TAP_CHECK(dt >= 600);
	/* Two slots, keep-alive proxy: connections are reused. */
	TAP_CHECK(http_stats_get(h, "test", "connect") <= 4);
	printf("# %llu connections for 12 requests\n",
	    (unsigned long long)http_stats_get(h, "test", "connect"));
	TAP_CHECK_INT(http_pending(h), 0);
	printf("# 12 delayed requests, 2 at a time: %.0f ms\n", dt);
	free(url);
	http_free(h);
	peer_stop(&slow);
}

/* Streaming body source: deterministic bytes by offset. */
static size_t
stream_read(void *arg, uint64_t off, uint8_t *dst, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		dst[i] = (uint8_t)((off + i) * 31 + 7);
	return (len);
}

static void
test_stream_retry(void)
{
	struct http	*h = make_http(4, 10, 30000);
	struct s3	*s = make_s3(h, proxy.url);
	struct scap	 c;
	size_t		 i, bad = 0, n = 3 * 1024 * 1024 + 5;
	int		 k;

	/* A streamed body is re-read from offset 0 on every retry. */
	for (k = 0; k < 4; k++) {
		memset(&c, 0, sizeof(c));
		s3_put_stream(s, BUCKET, "stream/x.bin", n, stream_read, NULL,
		    scap_cb, &c);
		TAP_CHECK(peer_run(base, &c.done, 60000) == 0);
		TAP_CHECK_INT(c.status, S3_OK);
		free(c.error);
	}
	memset(&c, 0, sizeof(c));
	s3_get(direct, BUCKET, "stream/x.bin", 0, 0, 0, scap_cb, &c);
	TAP_CHECK(peer_run(base, &c.done, 60000) == 0);
	TAP_CHECK_INT(c.body.len, n);
	for (i = 0; i < c.body.len; i++)
		bad += c.body.data[i] != (uint8_t)(i * 31 + 7);
	TAP_CHECK_INT(bad, 0);
	buf_free(&c.body);
	free(c.error);
	s3_free(s);
	http_free(h);
}

#define UPLOADS		100
#define MULTIPART	10
#define PART		((size_t)5 * 1024 * 1024)

struct upload {
	int			 done;
	int			 i;
	size_t			 size;
	uint32_t		 seed;
	int			 create_only;
	struct fileio_writer	*w;
	enum fileio_status	 status;
	char			*error;
	char			 sha[65];
};

static void
upload_cb(struct fileio_result *r, void *arg)
{
	struct upload	*u = arg;

	u->done = 1;
	u->status = r->status;
	u->error = r->error != NULL ? xstrdup(r->error) : NULL;
}

/* Deterministic bytes for upload u. */
static void
upload_bytes(struct upload *u, struct buf *b)
{
	uint32_t	 seed = u->seed;
	uint8_t		*p;
	size_t		 i;

	buf_reset(b);
	p = buf_extend(b, u->size);
	for (i = 0; i < u->size; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = seed >> 16;
	}
}

/* Start upload u through fio: a small put or a streaming writer. */
static void
upload_start(struct fileio *fio, struct upload *u, const char *tag,
    struct buf *b)
{
	char	*url, *cause = NULL;
	size_t	 off, n;

	url = xasprintf("s3://%s/%s/u%03d.bin", BUCKET, tag, u->i);
	upload_bytes(u, b);
	s3_sha256_hex(b->data, b->len, u->sha);
	if (u->size < PART) {
		fileio_put(fio, url, b->data, b->len,
		    u->create_only ? FILEIO_CREATE_ONLY : 0, upload_cb, u);
		free(url);
		return;
	}
	u->w = fileio_writer_open(fio, url, &cause);
	for (off = 0; off < b->len; off += n) {
		n = b->len - off < 1000000 ? b->len - off : 1000000;
		if (fileio_writer_append(u->w, b->data + off, n) < 0)
			break;
	}
	fileio_writer_close(u->w, upload_cb, u);
	free(url);
}

/* Open multipart uploads under prefix, -1 if the listing failed. */
static int
count_uploads(const char *prefix)
{
	struct scap	c;
	int		n = -1;

	memset(&c, 0, sizeof(c));
	s3_list_uploads(direct, BUCKET, prefix, scap_cb, &c);
	if (peer_run(base, &c.done, 30000) == 0 && c.status == S3_OK)
		n = (int)c.nobjects;
	free(c.error);
	buf_free(&c.body);
	return (n);
}

static void
test_faults_20(void)
{
	struct http	*h = make_http(16, 8, 60000);
	struct s3	*s = make_s3(h, proxy.url);
	struct fileio_options fo = { PART, 2 };
	struct fileio	*fio = fileio_new(base, s, &fo);
	struct upload	*u;
	struct buf	 b = BUF_INIT;
	struct scap	 c;
	char		 sha[65], *key;
	int		 i, ok = 0, intact = 0, failed_clean = 0;
	double		 t0 = peer_now_ms();

	u = xcalloc(UPLOADS, sizeof(*u));
	for (i = 0; i < UPLOADS; i++) {
		u[i].i = i;
		u[i].seed = 1000 + i;
		u[i].size = i < MULTIPART ? 2 * PART + 1000 + i :
		    1 + (size_t)i * 397;
		u[i].create_only = i % 9 == 0 && i >= MULTIPART;
		upload_start(fio, &u[i], "f20", &b);
	}
	for (i = 0; i < UPLOADS; i++) {
		TAP_CHECK(peer_run(base, &u[i].done, 120000) == 0);
		if (u[i].status == FILEIO_OK)
			ok++;
		else if (u[i].error != NULL && (i >= MULTIPART ||
		    strstr(u[i].error, "aborted") != NULL))
			failed_clean++;
		if (u[i].status != FILEIO_OK)
			printf("# upload %d: %s\n", i, u[i].error);
	}
	printf("# 100 uploads through 20%% faults: %d ok, %d failed cleanly, "
	    "%.1f s, %llu retries\n", ok, failed_clean,
	    (peer_now_ms() - t0) / 1000,
	    (unsigned long long)http_stats_get(h, "s3", "retry"));
	TAP_CHECK_INT(ok + failed_clean, UPLOADS);
	TAP_CHECK(ok >= UPLOADS - 2);
	TAP_CHECK(http_stats_get(h, "s3", "retry") > 10);
	for (i = 0; i < UPLOADS; i++) {
		if (u[i].status != FILEIO_OK)
			continue;
		key = xasprintf("f20/u%03d.bin", i);
		memset(&c, 0, sizeof(c));
		s3_get(direct, BUCKET, key, 0, 0, 0, scap_cb, &c);
		TAP_CHECK(peer_run(base, &c.done, 60000) == 0);
		s3_sha256_hex(c.body.data, c.body.len, sha);
		intact += strcmp(sha, u[i].sha) == 0;
		buf_free(&c.body);
		free(c.error);
		free(key);
	}
	TAP_CHECK_INT(intact, ok);
	TAP_CHECK_INT(count_uploads("f20/"), 0);
	for (i = 0; i < UPLOADS; i++)
		free(u[i].error);
	free(u);
	buf_free(&b);
	fileio_free(fio);
	s3_free(s);
	http_free(h);
}

static void
test_faults_100(void)
{
	struct http	*h = make_http(16, 3, 5000);
	struct peer	 bad;
	struct s3	*s;
	struct fileio_options fo = { PART, 2 };
	struct fileio	*fio;
	struct upload	 u[10];
	struct buf	 b = BUF_INIT;
	char		*skip = NULL;
	int		 i, clean = 0;

	/* Faults that never reach moto, so no upload can exist unknown. */
	if (peer_proxy_start(&bad, moto.url, 1.0, 9, "503,500,drop-before",
	    NULL, &skip) != 0) {
		TAP_CHECK(skip == NULL);
		free(skip);
		return;
	}
	s = make_s3(h, bad.url);
	fio = fileio_new(base, s, &fo);
	memset(u, 0, sizeof(u));
	for (i = 0; i < 10; i++) {
		u[i].i = i;
		u[i].seed = i;
		u[i].size = i < 4 ? 2 * PART + 10 : 5000;
		upload_start(fio, &u[i], "f100", &b);
	}
	for (i = 0; i < 10; i++) {
		TAP_CHECK(peer_run(base, &u[i].done, 60000) == 0);
		TAP_CHECK_INT(u[i].status, FILEIO_ERROR);
		clean += u[i].error != NULL &&
		    strstr(u[i].error, "3 attempts") != NULL;
		if (i == 0 || i == 9)
			printf("# %s\n", u[i].error);
		free(u[i].error);
	}
	TAP_CHECK_INT(clean, 10);
	TAP_CHECK_INT(count_uploads("f100/"), 0);
	buf_free(&b);
	fileio_free(fio);
	s3_free(s);
	http_free(h);
	peer_stop(&bad);
}

/* A proxy that loses the response to request number "at". */
static struct fileio *
lossy_fileio(struct peer *p, const char *at, struct http **h,
    struct s3 **s)
{
	struct fileio_options	 fo = { PART, 2 };
	char			*skip = NULL;

	if (peer_proxy_start(p, moto.url, 0, 1, "drop-after", at,
	    &skip) != 0) {
		printf("# %s\n", skip);
		free(skip);
		return (NULL);
	}
	*h = make_http(4, 4, 20000);
	*s = make_s3(*h, p->url);
	return (fileio_new(base, *s, &fo));
}

static void
lossy_free(struct peer *p, struct http *h, struct s3 *s, struct fileio *fio)
{
	fileio_free(fio);
	s3_free(s);
	http_free(h);
	peer_stop(p);
}

/* Upload u through a proxy losing answer "at"; check it landed intact. */
static void
lossy_upload(const char *at, struct upload *u, const char *tag)
{
	struct peer	 p;
	struct http	*h;
	struct s3	*s;
	struct fileio	*fio;
	struct buf	 b = BUF_INIT;
	struct scap	 c;
	char		*key, sha[65];

	if ((fio = lossy_fileio(&p, at, &h, &s)) == NULL) {
		TAP_CHECK(fio != NULL);
		return;
	}
	upload_start(fio, u, tag, &b);
	TAP_CHECK(peer_run(base, &u->done, 60000) == 0);
	TAP_CHECK_INT(u->status, FILEIO_OK);
	if (u->error != NULL)
		printf("# %s\n", u->error);
	key = xasprintf("%s/u%03d.bin", tag, u->i);
	memset(&c, 0, sizeof(c));
	s3_get(direct, BUCKET, key, 0, 0, 0, scap_cb, &c);
	TAP_CHECK(peer_run(base, &c.done, 60000) == 0);
	s3_sha256_hex(c.body.data, c.body.len, sha);
	TAP_CHECK_STR(sha, u->sha);
	TAP_CHECK(http_stats_get(h, "s3", "retry") >= 1);
	free(c.error);
	buf_free(&c.body);
	free(key);
	free(u->error);
	buf_free(&b);
	lossy_free(&p, h, s, fio);
}

static void
test_lost_responses(void)
{
	struct upload	u;

	/* Conditional PUT lands, its 200 is lost, the retry sees 412. */
	memset(&u, 0, sizeof(u));
	u.size = 1000;
	u.create_only = 1;
	lossy_upload("1", &u, "lost-put");
	/* CreateMultipartUpload's answer is lost: a second upload starts. */
	memset(&u, 0, sizeof(u));
	u.size = 2 * PART + 100;
	lossy_upload("1", &u, "lost-create");
	TAP_CHECK_INT(count_uploads("lost-create/"), 0);
	/* CompleteMultipartUpload's answer is lost: the retry gets 404. */
	memset(&u, 0, sizeof(u));
	u.size = 2 * PART;
	lossy_upload("4", &u, "lost-complete");
	TAP_CHECK_INT(count_uploads("lost-complete/"), 0);
}

static void
sweep_cb(struct fileio_result *r, void *arg)
{
	int	*n = arg;

	n[0] = 1;
	n[1] = r->status == FILEIO_OK ? (int)r->size : -1;
}

static void
test_sweep(void)
{
	struct fileio	*fio = fileio_new(base, direct, NULL);
	struct scap	 c;
	struct timeval	 tv;
	int		 i, n[2] = { 0, 0 };

	for (i = 0; i < 3; i++) {
		memset(&c, 0, sizeof(c));
		s3_mpu_create(direct, BUCKET, i < 2 ? "sweep/a" : "other/b",
		    scap_cb, &c);
		TAP_CHECK(peer_run(base, &c.done, 30000) == 0);
		free(c.error);
		buf_free(&c.body);
	}
	TAP_CHECK_INT(count_uploads("sweep/"), 2);
	fileio_abort_uploads(fio, "s3://" BUCKET "/sweep/", 0, sweep_cb, n);
	TAP_CHECK(peer_run(base, &n[0], 30000) == 0);
	TAP_CHECK_INT(n[1], 2);
	TAP_CHECK_INT(count_uploads("sweep/"), 0);
	TAP_CHECK_INT(count_uploads("other/"), 1);
	n[0] = 0;
	fileio_abort_uploads(fio, "s3://" BUCKET "/other/", 0, sweep_cb, n);
	TAP_CHECK(peer_run(base, &n[0], 30000) == 0);
	TAP_CHECK_INT(n[1], 1);
	/*
	 * Only the uploads started before the given time.  moto stamps every
	 * upload "Initiated" 2010-11-10T20:48:33Z: a bound before that keeps
	 * both, one after it takes both.
	 */
	for (i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		s3_mpu_create(direct, BUCKET, i == 0 ? "aged/a" : "aged/b",
		    scap_cb, &c);
		TAP_CHECK(peer_run(base, &c.done, 30000) == 0);
		free(c.error);
		buf_free(&c.body);
	}
	n[0] = 0;
	fileio_abort_uploads(fio, "s3://" BUCKET "/aged/", 1262304000000LL,
	    sweep_cb, n);				/* 2010-01-01 */
	TAP_CHECK(peer_run(base, &n[0], 30000) == 0);
	TAP_CHECK_INT(n[1], 0);
	TAP_CHECK_INT(count_uploads("aged/"), 2);
	gettimeofday(&tv, NULL);
	n[0] = 0;
	fileio_abort_uploads(fio, "s3://" BUCKET "/aged/",
	    (int64_t)tv.tv_sec * 1000, sweep_cb, n);
	TAP_CHECK(peer_run(base, &n[0], 30000) == 0);
	TAP_CHECK_INT(n[1], 2);
	TAP_CHECK_INT(count_uploads("aged/"), 0);
	fileio_free(fio);
}

static const struct tap_case cases[] = {
	{ "503 retried up to the attempt limit", test_retry_5xx },
	{ "4xx not retried", test_no_retry_4xx },
	{ "retry budget bounds the time", test_budget },
	{ "bounded concurrency queues requests", test_concurrency },
	{ "streamed body re-read on retry", test_stream_retry },
	{ "100 uploads through 20% faults land intact", test_faults_20 },
	{ "100% faults: clean failures, no orphan upload", test_faults_100 },
	{ "sweep aborts leftover multipart uploads", test_sweep },
	{ "lost answers to PUT, create and complete", test_lost_responses },
};

int
main(void)
{
	char	*skip = NULL, *cause = NULL;
	int	 rc;

	peer_s3_require(&moto);
	if (peer_proxy_start(&proxy, moto.url, 0.2, 11, NULL, NULL,
	    &skip) != 0 || peer_proxy_start(&proxy503, moto.url, 1.0, 5, "503",
	    NULL, &skip) != 0) {
		printf("1..0 # SKIP %s\n", skip);
		free(skip);
		peer_stop(&moto);
		return (0);
	}
	base = event_base_new();
	direct_http = http_new(base, NULL, &cause);
	direct = make_s3(direct_http, moto.url);
	rc = tap_run(cases, sizeof(cases) / sizeof(cases[0]));
	s3_free(direct);
	http_free(direct_http);
	event_base_free(base);
	peer_stop(&proxy503);
	peer_stop(&proxy);
	peer_stop(&moto);
	return (rc);
}
