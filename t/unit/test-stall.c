/*
 * test-stall.c: the loop keeps running while big objects stream to S3.
 * A 10 ms timer must keep firing (largest gap under 50 ms, not counting
 * time the thread waited for a CPU on a loaded machine) while the writer
 * uploads 1 KB, 8 MB and 64 MB objects (200 MB more with
 * BRONZE_BIG_TESTS=1), and the process's peak RSS stays under 64 MB.
 * Prints the upload rate to moto.  Its own process, so VmHWM means
 * this test only.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "buf.h"
#include "fileio.h"
#include "http.h"
#include "s3.h"
#include "xmalloc.h"
#include "tap.h"
#include "storage-peer.h"

#define CHUNK		(256 * 1024)
#define PER_TURN	4		/* chunks appended per loop turn */
#define MAX_GAP_MS	50.0		/* the loop's own stall */
#define MAX_RAW_GAP_MS	250.0		/* including waits for a CPU */
#define MAX_RSS_KB	(64 * 1024)

static struct event_base	*base;
static struct http		*http;
static struct s3		*s3;
static struct fileio		*fio;
static struct peer		 moto;

struct feed {
	struct fileio_writer	*w;
	uint64_t		 total;
	uint64_t		 sent;
	uint64_t		 x;		/* xorshift state */
	EVP_MD_CTX		*md;
	uint8_t			*chunk;
	int			 paused;
	int			 done;
	enum fileio_status	 status;
	char			*error;
	char			 sha[65];
};

static void	feed_cb(evutil_socket_t, short, void *);

/* Feed again from the loop (1 us: a zero timeout would not yield). */
static void
feed_schedule(struct feed *f)
{
	struct timeval	tv = { 0, 1 };

	event_base_once(base, -1, EV_TIMEOUT, feed_cb, f, &tv);
}

static void
feed_drain_cb(void *arg)
{
	struct feed	*f = arg;

	if (f->paused) {
		f->paused = 0;
		feed_schedule(f);
	}
}

static void
feed_close_cb(struct fileio_result *r, void *arg)
{
	struct feed	*f = arg;

	f->done = 1;
	f->status = r->status;
	f->error = r->error != NULL ? xstrdup(r->error) : NULL;
}

/* Next chunk of deterministic bytes. */
static void
feed_fill(struct feed *f, size_t n)
{
	uint64_t	*p = (uint64_t *)f->chunk;
	size_t		 i;

	for (i = 0; i < (n + 7) / 8; i++) {
		f->x ^= f->x << 13;
		f->x ^= f->x >> 7;
		f->x ^= f->x << 17;
		p[i] = f->x;
	}
}

/* Append a few chunks, then yield to the loop. */
static void
feed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct feed	*f = arg;
	size_t		 n;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	int		 i, rc = 0;

	for (i = 0; i < PER_TURN && f->sent < f->total && rc == 0; i++) {
		n = f->total - f->sent < CHUNK ? f->total - f->sent : CHUNK;
		feed_fill(f, n);
		EVP_DigestUpdate(f->md, f->chunk, n);
		rc = fileio_writer_append(f->w, f->chunk, n);
		f->sent += n;
	}
	if (rc < 0 || f->sent == f->total) {
		EVP_DigestFinal_ex(f->md, md, &mdlen);
		s3_hex(md, mdlen, f->sha);
		fileio_writer_close(f->w, feed_close_cb, f);
	} else if (rc == 1)
		f->paused = 1;
	else
		feed_schedule(f);
}

struct rcap {
	int		 done;
	enum s3_status	 status;
	uint64_t	 size;
	struct buf	 body;
};

static void
rcap_cb(struct s3_reply *r, void *arg)
{
	struct rcap	*c = arg;

	c->done = 1;
	c->status = r->status;
	c->size = r->size;
	if (r->body != NULL) {
		c->body = *r->body;
		buf_init(r->body);
	}
}

/* SHA-256 of the stored object, read in 8 MB ranges; 0 on success. */
static int
object_sha(const char *key, uint64_t size, char *out)
{
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	struct rcap	 c;
	uint64_t	 off, n;
	unsigned char	 d[EVP_MAX_MD_SIZE];
	unsigned int	 dlen;
	int		 rc = 0;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (off = 0; off < size && rc == 0; off += n) {
		n = size - off < 8 * 1024 * 1024 ? size - off :
		    8 * 1024 * 1024;
		memset(&c, 0, sizeof(c));
		s3_get(s3, "bronze", key, off, n, 0, rcap_cb, &c);
		if (peer_run(base, &c.done, 60000) != 0 ||
		    c.status != S3_OK || c.body.len != n)
			rc = -1;
		else
			EVP_DigestUpdate(md, c.body.data, n);
		buf_free(&c.body);
	}
	EVP_DigestFinal_ex(md, d, &dlen);
	s3_hex(d, dlen, out);
	EVP_MD_CTX_free(md);
	return (rc);
}

/* Upload size bytes under the ticker; check gap, RSS, content. */
static void
upload(uint64_t size)
{
	struct peer_ticker	*t;
	struct feed		 f;
	char			*url, *key, got[65];
	double			 t0, dt, gap, loop_gap;
	uint64_t		 ticks;
	long			 rss;
	char			*cause = NULL;

	memset(&f, 0, sizeof(f));
	key = xasprintf("stall/%llu.bin", (unsigned long long)size);
	url = xasprintf("s3://bronze/%s", key);
	f.total = size;
	f.x = 88172645463325252ull ^ size;
	f.md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(f.md, EVP_sha256(), NULL);
	f.chunk = xmalloc(CHUNK + 8);
	f.w = fileio_writer_open(fio, url, &cause);
	fileio_writer_on_drain(f.w, feed_drain_cb, &f);
	t = peer_ticker_new(base);
	t0 = peer_now_ms();
	feed_schedule(&f);
	TAP_CHECK(peer_run(base, &f.done, 120000) == 0);
	dt = peer_now_ms() - t0;
	gap = peer_ticker_max_gap(t, &loop_gap, &ticks);
	rss = peer_peak_rss_kb();
	peer_ticker_free(t);
	TAP_CHECK_INT(f.status, FILEIO_OK);
	if (f.error != NULL)
		printf("# %s\n", f.error);
	printf("# %llu bytes in %.0f ms (%.1f MB/s), max gap between ticks "
	    "%.1f ms (%.1f ms less waits for a CPU) over %llu ticks, peak "
	    "RSS %ld kB\n", (unsigned long long)size, dt,
	    size / 1048576.0 / (dt / 1000), gap, loop_gap,
	    (unsigned long long)ticks, rss);
	TAP_CHECK(loop_gap < MAX_GAP_MS);
	TAP_CHECK(gap < MAX_RAW_GAP_MS);
#if !defined(__SANITIZE_ADDRESS__)
	TAP_CHECK(rss > 0 && rss < MAX_RSS_KB);
#endif
	TAP_CHECK(object_sha(key, size, got) == 0);
	TAP_CHECK_STR(got, f.sha);
	EVP_MD_CTX_free(f.md);
	free(f.chunk);
	free(f.error);
	free(url);
	free(key);
}

static void
test_1k(void)
{
	upload(1024);
}

static void
test_8m(void)
{
	upload(8 * 1024 * 1024);
}

static void
test_64m(void)
{
	upload(64 * 1024 * 1024);
}

static void
test_200m(void)
{
	upload(200 * 1024 * 1024);
}

static void
test_skipped(void)
{
}

int
main(void)
{
	struct tap_case	 cases[4] = {
		{ "1 KB upload, loop keeps ticking", test_1k },
		{ "8 MB upload, loop keeps ticking", test_8m },
		{ "64 MB upload, loop keeps ticking, RSS bounded", test_64m },
		{ "200 MB upload # SKIP set BRONZE_BIG_TESTS=1", test_skipped },
	};
	char			*cause = NULL;
	const char		*big = getenv("BRONZE_BIG_TESTS");
	int			 rc;

	peer_s3_require(&moto);
	if (big != NULL && strcmp(big, "1") == 0) {
		cases[3].name = "200 MB upload, loop ticking, RSS bounded";
		cases[3].fn = test_200m;
	}
	base = event_base_new();
	http = http_new(base, NULL, &cause);
	s3 = peer_s3_client(&moto, http, NULL, NULL, 1);
	fio = fileio_new(base, s3, NULL);
	rc = tap_run(cases, 4);
	fileio_free(fio);
	s3_free(s3);
	http_free(http);
	event_base_free(base);
	peer_stop(&moto);
	return (rc);
}
