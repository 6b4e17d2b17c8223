/*
 * s3.c: S3 operations over the asynchronous HTTP client.
 *
 * libcurl 7.88 signs the request (CURLOPT_AWS_SIGV4) but takes the payload
 * hash from our x-amz-content-sha256 header, and it signs the query string
 * as written, so every query here is built already sorted and encoded with
 * explicit "=" ("?uploads=").  Error bodies are read with a small tolerant
 * tag extractor; no XML library.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/sha.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "s3.h"
#include "xmalloc.h"

#define S3_MAGIC	0x53334f42u	/* "S3OB" */
#define S3_OP_MAGIC	0x53334f50u	/* "S3OP" */

#define S3_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3 {
	uint32_t	 magic;
	struct http	*http;
	char		*endpoint;	/* scheme://host[:port], no slash */
	char		*region;
	char		*sigv4;		/* "aws:amz:<region>:s3" */
	int		 path_style;
	char		*key_id;
	char		*secret;
	char		*token;
};

enum s3_kind {
	S3_OP_PUT,
	S3_OP_GET,
	S3_OP_HEAD,
	S3_OP_DELETE,
	S3_OP_LIST,
	S3_OP_LIST_UPLOADS,
	S3_OP_CREATE,
	S3_OP_PART,
	S3_OP_COMPLETE,
	S3_OP_ABORT
};

struct s3_op {
	uint32_t	 magic;
	struct s3	*s3;
	enum s3_kind	 kind;
	const char	*method;
	char		*bucket;
	char		*key;
	char		*prefix;
	int		 flags;
	struct buf	 verify;	/* conditional PUT: copy of the body */
	char		*marker;	/* list: continuation or key marker */
	char		*marker2;	/* list uploads: upload id marker */
	struct s3_object *objects;
	size_t		 nobjects;
	s3_cb		 cb;
	void		*arg;
};

static void	s3_done_cb(struct http_response *, void *);

void
s3_hex(const unsigned char *md, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		out[i * 2] = "0123456789abcdef"[md[i] >> 4];
		out[i * 2 + 1] = "0123456789abcdef"[md[i] & 15];
	}
	out[n * 2] = '\0';
}

void
s3_sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char	md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	s3_hex(md, sizeof(md), out);
}

/* Pick the option, else the environment variable, else NULL. */
static char *
s3_setting(const char *value, const char *env)
{
	const char	*v = value;

	if (v == NULL || *v == '\0')
		v = getenv(env);
	if (v == NULL || *v == '\0')
		return (NULL);
	return (xstrdup(v));
}

struct s3 *
s3_new(struct http *http, const struct s3_options *o, char **cause)
{
	struct s3	*s;
	size_t		 n;

	s = xcalloc(1, sizeof(*s));
	s->magic = S3_MAGIC;
	s->http = http;
	s->key_id = s3_setting(o->access_key_id, "AWS_ACCESS_KEY_ID");
	s->secret = s3_setting(o->secret_access_key, "AWS_SECRET_ACCESS_KEY");
	s->token = s3_setting(o->session_token, "AWS_SESSION_TOKEN");
	if (s->key_id == NULL || s->secret == NULL) {
		*cause = xstrdup("no S3 credentials: set s3.access-key-id and "
		    "s3.secret-access-key or AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY");
		s3_free(s);
		return (NULL);
	}
	s->region = s3_setting(o->region, "AWS_REGION");
	if (s->region == NULL)
		s->region = xstrdup("us-east-1");
	if (o->endpoint != NULL && *o->endpoint != '\0')
		s->endpoint = xstrdup(o->endpoint);
	else
		s->endpoint = xasprintf("https://s3.%s.amazonaws.com",
		    s->region);
	n = strlen(s->endpoint);
	while (n > 0 && s->endpoint[n - 1] == '/')
		s->endpoint[--n] = '\0';
	if (strstr(s->endpoint, "://") == NULL) {
		*cause = xasprintf("bad S3 endpoint %s: no scheme",
		    s->endpoint);
		s3_free(s);
		return (NULL);
	}
	s->path_style = o->path_style;
	s->sigv4 = xasprintf("aws:amz:%s:s3", s->region);
	return (s);
}

/* Overwrite and free a string holding a secret. */
static void
s3_free_secret(char *p)
{
	if (p != NULL) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

void
s3_free(struct s3 *s)
{
	if (s == NULL)
		return;
	free(s->endpoint);
	free(s->region);
	free(s->sigv4);
	s3_free_secret(s->key_id);
	s3_free_secret(s->secret);
	s3_free_secret(s->token);
	s->magic = 0;
	free(s);
}

const char *
s3_region(struct s3 *s)
{
	return (s->region);
}

/* Append s percent-encoded as SigV4 wants; keep '/' if slash is set. */
static void
s3_encode(struct buf *b, const char *s, int slash)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' ||
		    *p == '~' || (slash && *p == '/'))
			buf_putc(b, *p);
		else
			buf_printf(b, "%%%02X", *p);
	}
}

/* Build the request URL; query is already sorted and encoded. */
static char *
s3_url(struct s3 *s, const char *bucket, const char *key, const char *query)
{
	struct buf	 b = BUF_INIT;
	const char	*host;

	if (s->path_style) {
		buf_printf(&b, "%s/", s->endpoint);
		s3_encode(&b, bucket, 0);
	} else {
		host = strstr(s->endpoint, "://") + 3;
		buf_append(&b, s->endpoint, host - s->endpoint);
		s3_encode(&b, bucket, 0);
		buf_printf(&b, ".%s", host);
	}
	buf_putc(&b, '/');
	if (key != NULL)
		s3_encode(&b, key, 1);
	if (query != NULL)
		buf_printf(&b, "?%s", query);
	buf_cstr(&b);
	return ((char *)buf_steal(&b, NULL));
}

/* A signed request for bucket/key carrying payload hash sha256. */
static struct http_request *
s3_request(struct s3 *s, const char *method, const char *bucket,
    const char *key, const char *query, const char *sha256)
{
	struct http_request	*r;
	char			*url;

	url = s3_url(s, bucket, key, query);
	r = http_request_new(method, url, "s3");
	free(url);
	http_request_sigv4(r, s->sigv4, s->key_id, s->secret);
	http_request_header(r, "x-amz-content-sha256: %s",
	    sha256 != NULL ? sha256 : S3_EMPTY_SHA256);
	if (s->token != NULL)
		http_request_header(r, "x-amz-security-token: %s", s->token);
	return (r);
}

static struct s3_op *
s3_op_new(struct s3 *s, enum s3_kind kind, const char *method,
    const char *bucket, const char *key, s3_cb cb, void *arg)
{
	struct s3_op	*op;

	if (s->magic != S3_MAGIC)
		fatalx("%s: bad magic", __func__);
	op = xcalloc(1, sizeof(*op));
	op->magic = S3_OP_MAGIC;
	op->s3 = s;
	op->kind = kind;
	op->method = method;
	op->bucket = xstrdup(bucket);
	op->key = xstrdup(key != NULL ? key : "");
	op->cb = cb;
	op->arg = arg;
	buf_init(&op->verify);
	return (op);
}

static void
s3_op_free(struct s3_op *op)
{
	size_t	i;

	for (i = 0; i < op->nobjects; i++) {
		free(op->objects[i].key);
		free(op->objects[i].upload_id);
	}
	free(op->objects);
	free(op->bucket);
	free(op->key);
	free(op->prefix);
	free(op->marker);
	free(op->marker2);
	buf_free(&op->verify);
	op->magic = 0;
	free(op);
}

/* Decode the five predefined XML entities and numeric ones in place. */
static void
s3_xml_unescape(char *s)
{
	static const struct {
		const char	*name;
		char		 c;
	} ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' }
	};
	char	*r = s, *w = s, *end;
	size_t	 i, n;
	long	 v;

	while (*r != '\0') {
		if (*r != '&') {
			*w++ = *r++;
			continue;
		}
		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++) {
			n = strlen(ents[i].name);
			if (strncmp(r, ents[i].name, n) == 0)
				break;
		}
		if (i < sizeof(ents) / sizeof(ents[0])) {
			*w++ = ents[i].c;
			r += n;
		} else if (r[1] == '#' && (v = strtol(r + 2 + (r[2] == 'x'),
		    &end, r[2] == 'x' ? 16 : 10)) > 0 && v < 128 &&
		    *end == ';') {
			*w++ = (char)v;
			r = end + 1;
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

char *
s3_xml_get(const char *xml, size_t len, const char *tag, size_t *end)
{
	const char	*p, *q = NULL;
	char		*open, *close, *v = NULL;

	if (xml == NULL)
		return (NULL);
	open = xasprintf("<%s>", tag);
	close = xasprintf("</%s>", tag);
	p = memmem(xml, len, open, strlen(open));
	if (p != NULL) {
		p += strlen(open);
		q = memmem(p, xml + len - p, close, strlen(close));
	}
	if (q != NULL) {
		v = xstrndup(p, q - p);
		s3_xml_unescape(v);
		if (end != NULL)
			*end = (q + strlen(close)) - xml;
	}
	free(open);
	free(close);
	return (v);
}

/* Submit req for op. */
static void
s3_send(struct s3_op *op, struct http_request *r)
{
	http_submit(op->s3->http, r, s3_done_cb, op);
}

/* Finish op with reply rep, then free op. */
static void
s3_op_done(struct s3_op *op, struct s3_reply *rep)
{
	rep->objects = op->objects;
	rep->nobjects = op->nobjects;
	op->cb(rep, op->arg);
	s3_op_free(op);
}

void
s3_put(struct s3 *s, const char *bucket, const char *key, struct buf *body,
    const char *sha256, int flags, s3_cb cb, void *arg)
{
	struct s3_op		*op;
	struct http_request	*r;
	char			 hex[65];

	op = s3_op_new(s, S3_OP_PUT, "PUT", bucket, key, cb, arg);
	op->flags = flags;
	if (sha256 == NULL) {
		s3_sha256_hex(body->data, body->len, hex);
		sha256 = hex;
	}
	r = s3_request(s, "PUT", bucket, key, NULL, sha256);
	if (flags & S3_IF_NONE_MATCH) {
		http_request_header(r, "If-None-Match: *");
		buf_append(&op->verify, body->data, body->len);
	}
	http_request_body(r, body);
	s3_send(op, r);
}

void
s3_put_stream(struct s3 *s, const char *bucket, const char *key,
    uint64_t len, http_read_cb read, void *rarg, s3_cb cb, void *arg)
{
	struct s3_op		*op;
	struct http_request	*r;

	op = s3_op_new(s, S3_OP_PUT, "PUT", bucket, key, cb, arg);
	r = s3_request(s, "PUT", bucket, key, NULL, "UNSIGNED-PAYLOAD");
	http_request_body_reader(r, len, read, rarg);
	s3_send(op, r);
}

void
s3_get(struct s3 *s, const char *bucket, const char *key, uint64_t offset,
    uint64_t len, size_t max, s3_cb cb, void *arg)
{
	struct s3_op		*op;
	struct http_request	*r;

	op = s3_op_new(s, S3_OP_GET, "GET", bucket, key, cb, arg);
	r = s3_request(s, "GET", bucket, key, NULL, NULL);
	if (len != 0)
		http_request_header(r, "Range: bytes=%llu-%llu",
		    (unsigned long long)offset,
		    (unsigned long long)(offset + len - 1));
	else if (offset != 0)
		http_request_header(r, "Range: bytes=%llu-",
		    (unsigned long long)offset);
	if (max != 0)
		http_request_max_body(r, max);
	s3_send(op, r);
}

/* Operations on one key with no body and nothing in the query. */
static void
s3_simple(struct s3 *s, enum s3_kind kind, const char *method,
    const char *bucket, const char *key, const char *query, s3_cb cb,
    void *arg)
{
	struct s3_op	*op;

	op = s3_op_new(s, kind, method, bucket, key, cb, arg);
	s3_send(op, s3_request(s, method, bucket, key, query, NULL));
}

void
s3_head(struct s3 *s, const char *bucket, const char *key, s3_cb cb,
    void *arg)
{
	s3_simple(s, S3_OP_HEAD, "HEAD", bucket, key, NULL, cb, arg);
}

void
s3_delete(struct s3 *s, const char *bucket, const char *key, s3_cb cb,
    void *arg)
{
	s3_simple(s, S3_OP_DELETE, "DELETE", bucket, key, NULL, cb, arg);
}

void
s3_mpu_create(struct s3 *s, const char *bucket, const char *key, s3_cb cb,
    void *arg)
{
	s3_simple(s, S3_OP_CREATE, "POST", bucket, key, "uploads=", cb, arg);
}

/* Query "name=value" with value encoded, appended with '&' if needed. */
static void
s3_query_add(struct buf *q, const char *name, const char *value)
{
	if (q->len != 0)
		buf_putc(q, '&');
	buf_printf(q, "%s=", name);
	if (value != NULL)
		s3_encode(q, value, 0);
}

/* Operations on an upload id: abort and the query of part/complete. */
static char *
s3_upload_query(int part, const char *upload_id)
{
	struct buf	q = BUF_INIT;

	if (part > 0)
		buf_printf(&q, "partNumber=%d", part);
	s3_query_add(&q, "uploadId", upload_id);
	return (buf_cstr(&q));
}

void
s3_mpu_part(struct s3 *s, const char *bucket, const char *key,
    const char *upload_id, int part, struct buf *data, const char *sha256,
    s3_cb cb, void *arg)
{
	struct s3_op		*op;
	struct http_request	*r;
	char			 hex[65], *q;

	op = s3_op_new(s, S3_OP_PART, "PUT", bucket, key, cb, arg);
	if (sha256 == NULL) {
		s3_sha256_hex(data->data, data->len, hex);
		sha256 = hex;
	}
	q = s3_upload_query(part, upload_id);
	r = s3_request(s, "PUT", bucket, key, q, sha256);
	free(q);
	http_request_body(r, data);
	s3_send(op, r);
}

void
s3_mpu_complete(struct s3 *s, const char *bucket, const char *key,
    const char *upload_id, char *const *etags, int nparts, s3_cb cb,
    void *arg)
{
	struct s3_op		*op;
	struct http_request	*r;
	struct buf		 body = BUF_INIT;
	char			 hex[65], *q;
	int			 i;

	op = s3_op_new(s, S3_OP_COMPLETE, "POST", bucket, key, cb, arg);
	buf_puts(&body, "<CompleteMultipartUpload>");
	for (i = 0; i < nparts; i++)
		buf_printf(&body, "<Part><PartNumber>%d</PartNumber>"
		    "<ETag>%s</ETag></Part>", i + 1, etags[i]);
	buf_puts(&body, "</CompleteMultipartUpload>");
	s3_sha256_hex(body.data, body.len, hex);
	q = s3_upload_query(0, upload_id);
	r = s3_request(s, "POST", bucket, key, q, hex);
	free(q);
	http_request_header(r, "Content-Type: application/xml");
	http_request_body(r, &body);
	s3_send(op, r);
}

void
s3_mpu_abort(struct s3 *s, const char *bucket, const char *key,
    const char *upload_id, s3_cb cb, void *arg)
{
	char	*q;

	q = s3_upload_query(0, upload_id);
	s3_simple(s, S3_OP_ABORT, "DELETE", bucket, key, q, cb, arg);
	free(q);
}

/* Send the next page of a listing. */
static void
s3_list_next(struct s3_op *op)
{
	struct buf	q = BUF_INIT;
	char		*query;

	if (op->kind == S3_OP_LIST) {
		if (op->marker != NULL)
			s3_query_add(&q, "continuation-token", op->marker);
		s3_query_add(&q, "list-type", "2");
		s3_query_add(&q, "prefix", op->prefix);
	} else {
		if (op->marker != NULL)
			s3_query_add(&q, "key-marker", op->marker);
		s3_query_add(&q, "prefix", op->prefix);
		if (op->marker2 != NULL)
			s3_query_add(&q, "upload-id-marker", op->marker2);
		s3_query_add(&q, "uploads", NULL);
	}
	query = buf_cstr(&q);
	s3_send(op, s3_request(op->s3, "GET", op->bucket, NULL, query, NULL));
	buf_free(&q);
}

void
s3_list(struct s3 *s, const char *bucket, const char *prefix, s3_cb cb,
    void *arg)
{
	struct s3_op	*op;

	op = s3_op_new(s, S3_OP_LIST, "GET", bucket, NULL, cb, arg);
	op->prefix = xstrdup(prefix != NULL ? prefix : "");
	s3_list_next(op);
}

void
s3_list_uploads(struct s3 *s, const char *bucket, const char *prefix,
    s3_cb cb, void *arg)
{
	struct s3_op	*op;

	op = s3_op_new(s, S3_OP_LIST_UPLOADS, "GET", bucket, NULL, cb, arg);
	op->prefix = xstrdup(prefix != NULL ? prefix : "");
	s3_list_next(op);
}

/* An ISO 8601 UTC time (2026-12-02T10:00:00.000Z) in epoch ms; 0 if bad. */
static int64_t
s3_parse_time(const char *s)
{
	struct tm	tm;
	const char	*rest;
	int64_t		ms = 0;

	memset(&tm, 0, sizeof tm);
	if ((rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return (0);
	if (rest[0] == '.' && rest[1] >= '0' && rest[1] <= '9')
		ms = strtol(rest + 1, NULL, 10) % 1000;
	return ((int64_t)timegm(&tm) * 1000 + ms);
}

/* Add the entries of one listing page; 1 if another page follows. */
static int
s3_list_parse(struct s3_op *op, const struct buf *b)
{
	const char	*xml = b->data != NULL ? (const char *)b->data : "";
	const char	*entry = op->kind == S3_OP_LIST ? "Contents" : "Upload";
	size_t		 off = 0, end;
	char		*item, *v, *trunc;
	struct s3_object *o;

	while ((item = s3_xml_get(xml + off, b->len - off, entry, &end))
	    != NULL) {
		off += end;
		op->objects = xreallocarray(op->objects, op->nobjects + 1,
		    sizeof(*op->objects));
		o = &op->objects[op->nobjects++];
		memset(o, 0, sizeof(*o));
		o->key = s3_xml_get(item, strlen(item), "Key", NULL);
		if (o->key == NULL)
			o->key = xstrdup("");
		o->upload_id = s3_xml_get(item, strlen(item), "UploadId", NULL);
		if ((v = s3_xml_get(item, strlen(item), "Size", NULL)) != NULL)
			o->size = strtoull(v, NULL, 10);
		free(v);
		if ((v = s3_xml_get(item, strlen(item), "Initiated", NULL)) !=
		    NULL)
			o->initiated_ms = s3_parse_time(v);
		free(v);
		free(item);
	}
	trunc = s3_xml_get(xml, b->len, "IsTruncated", NULL);
	free(op->marker);
	free(op->marker2);
	if (op->kind == S3_OP_LIST) {
		op->marker = s3_xml_get(xml, b->len, "NextContinuationToken",
		    NULL);
		op->marker2 = NULL;
	} else {
		op->marker = s3_xml_get(xml, b->len, "NextKeyMarker", NULL);
		op->marker2 = s3_xml_get(xml, b->len, "NextUploadIdMarker",
		    NULL);
	}
	end = trunc != NULL && strcmp(trunc, "true") == 0 &&
	    op->marker != NULL;
	free(trunc);
	return ((int)end);
}

/* Compare the stored object with the body of an ambiguous conditional PUT. */
static void
s3_verify_cb(struct s3_reply *rep, void *arg)
{
	struct s3_op	*op = arg;
	struct s3_reply	 out;

	memset(&out, 0, sizeof(out));
	out.http_status = 412;
	out.attempts = rep->attempts;
	if (rep->status == S3_OK && rep->body->len == op->verify.len &&
	    memcmp(rep->body->data, op->verify.data, op->verify.len) == 0)
		out.status = S3_OK;
	else {
		out.status = S3_EXISTS;
		out.code = "PreconditionFailed";
		out.error = "object already exists";
	}
	s3_op_done(op, &out);
}

/* Fill rep for a 2xx answer; 0 if op continues (another page, verify). */
static int
s3_success(struct s3_op *op, struct http_response *resp,
    struct s3_reply *rep, char **etag, char **upload_id)
{
	char	*len;

	switch (op->kind) {
	case S3_OP_LIST:
	case S3_OP_LIST_UPLOADS:
		if (s3_list_parse(op, resp->body)) {
			s3_list_next(op);
			return (0);
		}
		break;
	case S3_OP_CREATE:
		*upload_id = s3_xml_get((char *)resp->body->data,
		    resp->body->len, "UploadId", NULL);
		break;
	case S3_OP_HEAD:
		if ((len = http_response_header(resp, "Content-Length")) !=
		    NULL)
			rep->size = strtoull(len, NULL, 10);
		free(len);
		/* FALLTHROUGH */
	default:
		*etag = http_response_header(resp, "ETag");
		break;
	}
	rep->body = resp->body;
	return (1);
}

/* Map a non-2xx answer onto rep. */
static void
s3_failure(struct s3_op *op, struct http_response *resp,
    struct s3_reply *rep, char **code, char **message, char **error)
{
	const char	*xml = resp->body->data != NULL ?
			    (const char *)resp->body->data : "";
	size_t		 len = resp->body->len;

	*code = s3_xml_get(xml, len, "Code", NULL);
	*message = s3_xml_get(xml, len, "Message", NULL);
	if (resp->status == 404)
		rep->status = S3_NOT_FOUND;
	else if (resp->status == 412 && (op->flags & S3_IF_NONE_MATCH))
		rep->status = S3_EXISTS;
	else
		rep->status = S3_ERROR;
	*error = xasprintf("%s s3://%s/%s: HTTP %ld%s%s%s%s (%d attempt%s)",
	    op->method, op->bucket, op->key, resp->status,
	    *code != NULL ? " " : "", *code != NULL ? *code : "",
	    *message != NULL ? ": " : "", *message != NULL ? *message : "",
	    resp->attempts, resp->attempts == 1 ? "" : "s");
	rep->code = *code;
	rep->message = *message;
	rep->error = *error;
}

/* http completion: turn the response into an s3_reply. */
static void
s3_done_cb(struct http_response *resp, void *arg)
{
	struct s3_op	*op = arg;
	struct s3_reply	 rep;
	char		*etag = NULL, *upload_id = NULL, *code = NULL;
	char		*message = NULL, *error = NULL;

	if (op->magic != S3_OP_MAGIC)
		fatalx("%s: bad magic", __func__);
	memset(&rep, 0, sizeof(rep));
	rep.http_status = resp->status;
	rep.attempts = resp->attempts;
	if (resp->error != NULL) {
		rep.status = S3_ERROR;
		rep.error = resp->error;
	} else if (resp->status >= 200 && resp->status < 300) {
		if (!s3_success(op, resp, &rep, &etag, &upload_id))
			return;
		if (op->kind == S3_OP_COMPLETE && memmem(resp->body->data,
		    resp->body->len, "<Error>", 7) != NULL)
			s3_failure(op, resp, &rep, &code, &message, &error);
	} else
		s3_failure(op, resp, &rep, &code, &message, &error);
	if (op->kind == S3_OP_ABORT && rep.status == S3_NOT_FOUND)
		rep.status = S3_OK;
	if (rep.status == S3_EXISTS && resp->attempts > 1) {
		/* The first try may have landed and its answer got lost. */
		s3_get(op->s3, op->bucket, op->key, 0, 0,
		    op->verify.len + 1, s3_verify_cb, op);
	} else {
		rep.etag = etag;
		rep.upload_id = upload_id;
		s3_op_done(op, &rep);
	}
	free(etag);
	free(upload_id);
	free(code);
	free(message);
	free(error);
}
