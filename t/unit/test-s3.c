/*
 * test-s3.c: the S3 client against moto with SigV4 checking on: signature
 * failures, object round trips, listing, conditional PUT, multipart upload
 * and abort, virtual-host addressing.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "buf.h"
#include "http.h"
#include "s3.h"
#include "xmalloc.h"
#include "tap.h"
#include "storage-peer.h"

#define BUCKET "bronze"

static struct event_base	*base;
static struct http		*http;
static struct s3		*s3;
static struct peer		 moto;

struct cap {
	int		 done;
	enum s3_status	 status;
	long		 http_status;
	char		*error;
	char		*code;
	char		*etag;
	char		*upload_id;
	struct buf	 body;
	uint64_t	 size;
	struct buf	 keys;		/* "key size\n" per object */
};

static void
cap_reset(struct cap *c)
{
	free(c->error);
	free(c->code);
	free(c->etag);
	free(c->upload_id);
	buf_free(&c->body);
	buf_free(&c->keys);
	memset(c, 0, sizeof(*c));
}

static char *
dup_or_null(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

static void
cap_cb(struct s3_reply *r, void *arg)
{
	struct cap	*c = arg;
	size_t		 i;

	c->done = 1;
	c->status = r->status;
	c->http_status = r->http_status;
	c->error = dup_or_null(r->error);
	c->code = dup_or_null(r->code);
	c->etag = dup_or_null(r->etag);
	c->upload_id = dup_or_null(r->upload_id);
	c->size = r->size;
	if (r->body != NULL) {
		c->body = *r->body;
		buf_init(r->body);
	}
	for (i = 0; i < r->nobjects; i++)
		buf_printf(&c->keys, "%s %llu%s%s\n", r->objects[i].key,
		    (unsigned long long)r->objects[i].size,
		    r->objects[i].upload_id != NULL ? " " : "",
		    r->objects[i].upload_id != NULL ?
		    r->objects[i].upload_id : "");
	buf_cstr(&c->keys);
}

static int
cap_wait(struct cap *c)
{
	return (peer_run(base, &c->done, 60000));
}

static struct s3 *
make_s3(const char *secret, int path_style, const char *endpoint)
{
	return (peer_s3_client(&moto, http, endpoint, secret, path_style));
}

static void
put_str(struct s3 *s, const char *key, const char *text, int flags,
    struct cap *c)
{
	struct buf	b = BUF_INIT;

	buf_puts(&b, text);
	cap_reset(c);
	s3_put(s, BUCKET, key, &b, NULL, flags, cap_cb, c);
	TAP_CHECK(cap_wait(c) == 0);
}

static void
test_bad_secret(void)
{
	struct s3	*bad;
	struct cap	 c = { 0 };

	bad = make_s3("wrong-secret-value", 1, moto.url);
	put_str(bad, "auth/x", "hello", 0, &c);
	TAP_CHECK_INT(c.status, S3_ERROR);
	TAP_CHECK_INT(c.http_status, 403);
	TAP_CHECK_STR(c.code, "SignatureDoesNotMatch");
	TAP_CHECK(c.error != NULL && strstr(c.error, "wrong-secret") == NULL);
	TAP_CHECK(c.error != NULL && strstr(c.error, "SignatureDoesNotMatch"));
	printf("# %s\n", c.error);
	put_str(s3, "auth/x", "hello", 0, &c);
	TAP_CHECK_INT(c.status, S3_OK);
	TAP_CHECK_INT(c.http_status, 200);
	cap_reset(&c);
	s3_free(bad);
}

static void
test_round_trip(void)
{
	struct cap	 c = { 0 };
	const char	*key = "rt/a b+c=d%e&f.txt";

	put_str(s3, key, "hello, world", 0, &c);
	TAP_CHECK_INT(c.status, S3_OK);
	TAP_CHECK(c.etag != NULL);

	cap_reset(&c);
	s3_get(s3, BUCKET, key, 0, 0, 0, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, S3_OK);
	TAP_CHECK_STR(buf_cstr(&c.body), "hello, world");

	cap_reset(&c);
	s3_get(s3, BUCKET, key, 7, 5, 0, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.http_status, 206);
	TAP_CHECK_STR(buf_cstr(&c.body), "world");

	cap_reset(&c);
	s3_head(s3, BUCKET, key, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, S3_OK);
	TAP_CHECK_INT(c.size, 12);

	cap_reset(&c);
	s3_delete(s3, BUCKET, key, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, S3_OK);

	cap_reset(&c);
	s3_head(s3, BUCKET, key, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, S3_NOT_FOUND);

	cap_reset(&c);
	s3_get(s3, BUCKET, key, 0, 0, 0, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, S3_NOT_FOUND);
	TAP_CHECK_STR(c.code, "NoSuchKey");
	cap_reset(&c);
}

static void
test_list(void)
{
	struct cap	 c = { 0 };
	char		*key, *want;
	struct buf	 expect = BUF_INIT;
	int		 i;

	/* More than one page would need 1000+ keys; check order and sizes. */
	for (i = 0; i < 12; i++) {
		key = xasprintf("list/k%02d", i);
		want = xasprintf("%*d", i + 1, i);
		put_str(s3, key, want, 0, &c);
		TAP_CHECK_INT(c.status, S3_OK);
		buf_printf(&expect, "%s %d\n", key, i + 1);
		free(key);
		free(want);
	}
	put_str(s3, "listx/other", "x", 0, &c);
	cap_reset(&c);
	s3_list(s3, BUCKET, "list/", cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, S3_OK);
	TAP_CHECK_STR(buf_cstr(&c.keys), buf_cstr(&expect));
	cap_reset(&c);
	s3_list(s3, BUCKET, "nothing-here/", cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, S3_OK);
	TAP_CHECK_STR(buf_cstr(&c.keys), "");
	cap_reset(&c);
	buf_free(&expect);
}

static void
test_conditional(void)
{
	struct cap	c = { 0 };

	put_str(s3, "cond/v1.json", "first", S3_IF_NONE_MATCH, &c);
	TAP_CHECK_INT(c.status, S3_OK);
	put_str(s3, "cond/v1.json", "second", S3_IF_NONE_MATCH, &c);
	TAP_CHECK_INT(c.status, S3_EXISTS);
	TAP_CHECK_INT(c.http_status, 412);
	cap_reset(&c);
	s3_get(s3, BUCKET, "cond/v1.json", 0, 0, 0, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_STR(buf_cstr(&c.body), "first");
	cap_reset(&c);
}

/* Fill b with n pseudo-random bytes from seed. */
static void
fill(struct buf *b, size_t n, uint32_t seed)
{
	uint8_t	*p = buf_extend(b, n);
	size_t	 i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = seed >> 16;
	}
}

static void
test_multipart(void)
{
	struct cap	 c = { 0 };
	struct buf	 part = BUF_INIT, all = BUF_INIT;
	char		*etags[2], *id, want[65], got[65];
	int		 i;

	cap_reset(&c);
	s3_mpu_create(s3, BUCKET, "mpu/big.bin", cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK(c.upload_id != NULL);
	if (c.upload_id == NULL)
		return;
	id = xstrdup(c.upload_id);
	for (i = 0; i < 2; i++) {
		fill(&part, i == 0 ? 5 * 1024 * 1024 : 1000, i + 1);
		buf_append(&all, part.data, part.len);
		cap_reset(&c);
		s3_mpu_part(s3, BUCKET, "mpu/big.bin", id, i + 1, &part, NULL,
		    cap_cb, &c);
		TAP_CHECK(cap_wait(&c) == 0);
		TAP_CHECK_INT(c.status, S3_OK);
		etags[i] = xstrdup(c.etag != NULL ? c.etag : "");
	}
	cap_reset(&c);
	s3_mpu_complete(s3, BUCKET, "mpu/big.bin", id, etags, 2, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, S3_OK);
	if (c.error != NULL)
		printf("# %s\n", c.error);
	cap_reset(&c);
	s3_get(s3, BUCKET, "mpu/big.bin", 0, 0, 0, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	s3_sha256_hex(all.data, all.len, want);
	s3_sha256_hex(c.body.data, c.body.len, got);
	TAP_CHECK_INT(c.body.len, all.len);
	TAP_CHECK_STR(got, want);
	cap_reset(&c);
	for (i = 0; i < 2; i++)
		free(etags[i]);
	free(id);
	buf_free(&all);
}

static void
test_abort(void)
{
	struct cap	 c = { 0 };
	struct buf	 part = BUF_INIT;
	char		*id;

	s3_mpu_create(s3, BUCKET, "abort/x.bin", cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK(c.upload_id != NULL);
	if (c.upload_id == NULL)
		return;
	id = xstrdup(c.upload_id);
	fill(&part, 100000, 7);
	cap_reset(&c);
	s3_mpu_part(s3, BUCKET, "abort/x.bin", id, 1, &part, NULL, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	cap_reset(&c);
	s3_list_uploads(s3, BUCKET, "abort/", cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK(strstr(buf_cstr(&c.keys), id) != NULL);
	cap_reset(&c);
	s3_mpu_abort(s3, BUCKET, "abort/x.bin", id, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, S3_OK);
	cap_reset(&c);
	s3_list_uploads(s3, BUCKET, "abort/", cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, S3_OK);
	TAP_CHECK_STR(buf_cstr(&c.keys), "");
	cap_reset(&c);
	s3_mpu_abort(s3, BUCKET, "abort/x.bin", id, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_INT(c.status, S3_OK);
	cap_reset(&c);
	free(id);
}

static void
test_virtual_host(void)
{
	struct s3	*vh;
	struct cap	 c = { 0 };
	char		*ep;
	const char	*port = strrchr(moto.url, ':');

	ep = xasprintf("http://localhost%s", port);
	vh = make_s3(moto.secret, 0, ep);
	put_str(vh, "vhost/x", "virtual", 0, &c);
	TAP_CHECK_INT(c.status, S3_OK);
	cap_reset(&c);
	s3_get(s3, BUCKET, "vhost/x", 0, 0, 0, cap_cb, &c);
	TAP_CHECK(cap_wait(&c) == 0);
	TAP_CHECK_STR(buf_cstr(&c.body), "virtual");
	cap_reset(&c);
	s3_free(vh);
	free(ep);
}

static void
test_env_credentials(void)
{
	struct s3_options	 o;
	struct s3		*s;
	struct cap		 c = { 0 };
	char			*cause = NULL;

	memset(&o, 0, sizeof(o));
	o.endpoint = moto.url;
	o.path_style = 1;
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	s = s3_new(http, &o, &cause);
	TAP_CHECK(s == NULL && cause != NULL &&
	    strstr(cause, "AWS_ACCESS_KEY_ID") != NULL);
	free(cause);
	setenv("AWS_ACCESS_KEY_ID", moto.key_id, 1);
	setenv("AWS_SECRET_ACCESS_KEY", moto.secret, 1);
	setenv("AWS_REGION", "eu-west-1", 1);
	s = s3_new(http, &o, &cause);
	TAP_CHECK(s != NULL);
	if (s == NULL)
		return;
	TAP_CHECK_STR(s3_region(s), "eu-west-1");
	unsetenv("AWS_REGION");
	put_str(s, "env/x", "from the environment", 0, &c);
	TAP_CHECK_INT(c.status, S3_OK);
	cap_reset(&c);
	s3_free(s);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
}

static void
test_xml(void)
{
	const char	*x = "<Error><Code>SlowDown</Code><Message>a &amp; b "
	    "&lt;c&gt; &#65;</Message><Key/></Error>";
	char		*v;
	size_t		 end;

	v = s3_xml_get(x, strlen(x), "Code", &end);
	TAP_CHECK_STR(v, "SlowDown");
	TAP_CHECK_INT(end, strlen("<Error><Code>SlowDown</Code>"));
	free(v);
	v = s3_xml_get(x, strlen(x), "Message", NULL);
	TAP_CHECK_STR(v, "a & b <c> A");
	free(v);
	TAP_CHECK(s3_xml_get(x, strlen(x), "Key", NULL) == NULL);
	TAP_CHECK(s3_xml_get(x, 10, "Code", NULL) == NULL);
	TAP_CHECK(s3_xml_get("<Code>open", 10, "Code", NULL) == NULL);
	TAP_CHECK(s3_xml_get(NULL, 0, "Code", NULL) == NULL);
}

static void
test_stats(void)
{
	TAP_CHECK(http_stats_get(http, "s3", "2xx") > 20);
	TAP_CHECK(http_stats_get(http, "s3", "4xx") >= 4);
	TAP_CHECK_INT(http_stats_get(http, "s3", "5xx"), 0);
	TAP_CHECK_INT(http_pending(http), 0);
}

static const struct tap_case cases[] = {
	{ "wrong secret fails with SignatureDoesNotMatch", test_bad_secret },
	{ "put get range head delete", test_round_trip },
	{ "list by prefix", test_list },
	{ "conditional put reports exists", test_conditional },
	{ "multipart upload reads back equal", test_multipart },
	{ "abort leaves no upload", test_abort },
	{ "virtual-host addressing", test_virtual_host },
	{ "credentials and region from the environment",
	    test_env_credentials },
	{ "error XML extraction", test_xml },
	{ "request counters", test_stats },
};

int
main(void)
{
	char	*cause = NULL;
	int	 rc;

	peer_s3_require(&moto);
	base = event_base_new();
	http = http_new(base, NULL, &cause);
	s3 = make_s3(moto.secret, 1, moto.url);
	rc = tap_run(cases, sizeof(cases) / sizeof(cases[0]));
	s3_free(s3);
	http_free(http);
	event_base_free(base);
	peer_stop(&moto);
	return (rc);
}
