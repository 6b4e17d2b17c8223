/*
 * catalog-rest.c: Iceberg REST catalog client (see catalog-rest.h).
 *
 * Every catalog request is a "call": method, URL, body text and a
 * completion.  Calls wait for an OAuth2 token when one is needed, carry the
 * bearer token, and are sent once more with a fresh token on 401 or 419.
 * Commits are sent with at most one HTTP attempt unless the catalog
 * advertised Idempotency-Key support (then the retries reuse the key), and
 * anything but a clean 200 is settled by reloading the table.
 */
#include <sys/queue.h>
#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "catalog-rest.h"
#include "daemon.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

#define CATALOG_REST_TOKEN_SLACK_MS	60000	/* refresh this early */
#define CATALOG_REST_ATTEMPTS		5	/* safe requests */
#define CATALOG_REST_BUDGET_MS		30000

struct catalog_rest_call;
/* Completion of a call: status (0: none), parsed body, cause if not 2xx. */
typedef void	(*catalog_rest_call_cb)(struct catalog_rest_call *, long,
		    cJSON *, const char *);

/*
 * The largest answer taken from a catalog: table metadata grows with every
 * snapshot kept, but an answer past this is refused rather than allowed to
 * exhaust memory.
 */
#define CATALOG_REST_MAX_BODY	(256 * 1024 * 1024)

struct catalog_rest_call {
	struct catalog_rest	*cr;
	const char		*method;
	char			*url;
	char			*body;
	const char		*type;		/* body content type */
	char			 idem[37];	/* Idempotency-Key or "" */
	int			 attempts;
	int			 auth_retried;
	int			 delegate;	/* ask for storage credentials */
	catalog_rest_call_cb	 cb;
	void			*arg;
	TAILQ_ENTRY(catalog_rest_call) entry;
};
TAILQ_HEAD(catalog_rest_calls, catalog_rest_call);

struct catalog_rest {
	struct http		*http;
	char			*uri;
	char			*warehouse;
	char			*client_id;
	char			*client_secret;
	char			*token;		/* static or current OAuth2 */
	uint64_t		 token_expiry;	/* monotonic ms, 0: static */
	int			 token_busy;
	struct catalog_rest_calls waiting;
	uint64_t		 timeout_ms;
	char			*prefix;	/* "" or "p/" */
	cJSON			*config;	/* merged */
	int			 idempotent;
	int			 no_idempotency;
	int			 pending;
};

/* One multi-step operation (namespace, create, load, commit). */
struct catalog_rest_op {
	struct catalog_rest	*cr;
	char			*ns;
	char			*name;
	char			*body;
	int64_t			 snapshot_id;
	long			 status;	/* first answer of a commit */
	char			*cause;
	catalog_rest_done_cb	 done;
	catalog_rest_table_cb	 table;
	catalog_rest_commit_cb	 commit;
	void			*arg;
};

static void	catalog_rest_submit(struct catalog_rest_call *);

/* Percent-encode s (RFC 3986 unreserved kept) onto b. */
static void
catalog_rest_encode(struct buf *b, const char *s)
{
	const char	*keep = "-._~";

	for (; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr(keep, *s) != NULL)
			buf_putc(b, (uint8_t)*s);
		else
			buf_printf(b, "%%%02X", (unsigned char)*s);
	}
}

/* URL of a catalog path "namespaces[/ns[/tables[/name]]]" plus query. */
static char *
catalog_rest_url(struct catalog_rest *cr, const char *ns, const char *name,
    const char *query)
{
	struct buf	 b = BUF_INIT;
	char		*copy, *level, *sp;
	int		 first = 1;

	buf_printf(&b, "%s/v1/%snamespaces", cr->uri, cr->prefix);
	if (ns != NULL) {
		buf_putc(&b, '/');
		copy = xstrdup(ns);
		for (level = strtok_r(copy, ".", &sp); level != NULL;
		    level = strtok_r(NULL, ".", &sp)) {
			if (!first)
				buf_puts(&b, "%1F");
			catalog_rest_encode(&b, level);
			first = 0;
		}
		free(copy);
	}
	if (name != NULL) {
		buf_puts(&b, "/tables");
		if (*name != '\0') {
			buf_putc(&b, '/');
			catalog_rest_encode(&b, name);
		}
	}
	if (query != NULL)
		buf_printf(&b, "?%s", query);
	return (buf_cstr(&b));
}

/* A JSON array of the namespace levels. */
static cJSON *
catalog_rest_levels(const char *ns)
{
	cJSON	*a = cJSON_CreateArray();
	char	*copy, *level, *sp;

	copy = xstrdup(ns);
	for (level = strtok_r(copy, ".", &sp); level != NULL;
	    level = strtok_r(NULL, ".", &sp))
		cJSON_AddItemToArray(a, cJSON_CreateString(level));
	free(copy);
	return (a);
}

/* A random UUIDv7 (48-bit Unix ms, version, variant, random bits). */
static void
catalog_rest_uuid7(char out[37])
{
	uint8_t		 u[16];
	struct timespec	 ts;
	uint64_t	 ms;
	int		 i;

	if (getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u))
		fatal("getrandom");
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	for (i = 0; i < 6; i++)
		u[i] = (uint8_t)(ms >> (40 - 8 * i));
	u[6] = (u[6] & 0x0f) | 0x70;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* Copy every string member of src into dst (replacing). */
static void
catalog_rest_merge(cJSON *dst, const cJSON *src)
{
	const cJSON	*e;

	cJSON_ArrayForEach(e, src) {
		if (!cJSON_IsString(e) || e->string == NULL)
			continue;
		cJSON_DeleteItemFromObjectCaseSensitive(dst, e->string);
		cJSON_AddStringToObject(dst, e->string, e->valuestring);
	}
}

/* Server's message: ErrorModel error.message or OAuth error_description. */
static char *
catalog_rest_cause(struct catalog_rest_call *c, long status,
    const char *error, const cJSON *j)
{
	const cJSON	*e = cJSON_GetObjectItemCaseSensitive(j, "error");
	const char	*type = NULL, *msg = NULL;
	const char	*path = c->url + strlen(c->cr->uri);

	if (error != NULL)
		return (xasprintf("catalog %s %s: %s", c->method, path, error));
	if (cJSON_IsObject(e)) {
		type = json_object_string(e, "type");
		msg = json_object_string(e, "message");
	} else if (cJSON_IsString(e)) {
		type = e->valuestring;
		msg = json_object_string(j, "error_description");
	}
	return (xasprintf("catalog %s %s: %ld %s%s%s", c->method, path, status,
	    type != NULL ? type : "", type != NULL ? ": " : "",
	    msg != NULL ? msg : "(no message)"));
}

static struct catalog_rest_call *
catalog_rest_call_new(struct catalog_rest *cr, const char *method, char *url,
    cJSON *body, catalog_rest_call_cb cb, void *arg)
{
	struct catalog_rest_call	*c;

	c = xcalloc(1, sizeof(*c));
	c->cr = cr;
	c->method = method;
	c->url = url;
	if (body != NULL) {
		c->body = json_print(body);
		c->type = "application/json";
		cJSON_Delete(body);
	}
	c->attempts = CATALOG_REST_ATTEMPTS;
	c->cb = cb;
	c->arg = arg;
	cr->pending++;
	return (c);
}

static void
catalog_rest_call_free(struct catalog_rest_call *c)
{
	c->cr->pending--;
	free(c->url);
	free(c->body);
	free(c);
}

/* Finish a call with status, body and cause; frees the call. */
static void
catalog_rest_finish(struct catalog_rest_call *c, long status,
    const char *error, struct buf *body)
{
	cJSON	*j = NULL;
	char	*cause = NULL, *perr = NULL;

	if (body != NULL && body->len > 0)
		j = json_parse((const char *)body->data, body->len, &perr);
	if (error != NULL || status < 200 || status > 299)
		cause = catalog_rest_cause(c, status, error, j);
	else if (perr != NULL || (j == NULL && status != 204)) {
		cause = xasprintf("catalog %s %s: bad JSON: %s", c->method,
		    c->url + strlen(c->cr->uri), perr ? perr : "empty body");
		status = 0;
	}
	free(perr);
	c->cb(c, status, j, cause);
	cJSON_Delete(j);
	free(cause);
	catalog_rest_call_free(c);
}

static void
catalog_rest_http_cb(struct http_response *r, void *arg)
{
	struct catalog_rest_call	*c = arg;
	struct catalog_rest		*cr = c->cr;

	if ((r->status == 401 || r->status == 419) &&
	    cr->client_id != NULL && !c->auth_retried) {
		log_debug("catalog: %ld, refreshing the token", r->status);
		c->auth_retried = 1;
		cr->token_expiry = 1;	/* stale: fetch a new one */
		catalog_rest_submit(c);
		return;
	}
	catalog_rest_finish(c, r->status, r->error, r->body);
}

/* Send the call now (the token, if any, is fresh). */
static void
catalog_rest_send(struct catalog_rest_call *c)
{
	struct catalog_rest	*cr = c->cr;
	struct http_request	*req;
	struct buf		 b = BUF_INIT;

	req = http_request_new(c->method, c->url, "catalog");
	http_request_max_body(req, CATALOG_REST_MAX_BODY);
	if (cr->token != NULL)
		http_request_header(req, "Authorization: Bearer %s", cr->token);
	if (c->delegate)
		http_request_header(req,
		    "X-Iceberg-Access-Delegation: vended-credentials");
	if (c->idem[0] != '\0')
		http_request_header(req, "Idempotency-Key: %s", c->idem);
	if (c->body != NULL) {
		http_request_header(req, "Content-Type: %s", c->type);
		buf_puts(&b, c->body);
		http_request_body(req, &b);
		buf_free(&b);
	}
	http_request_timeout(req, cr->timeout_ms);
	http_request_retry(req, c->attempts, CATALOG_REST_BUDGET_MS);
	http_submit(cr->http, req, catalog_rest_http_cb, c);
}

/* The token answer: keep it and release the waiting calls. */
static void
catalog_rest_token_cb(struct catalog_rest_call *tc, long status, cJSON *j,
    const char *cause)
{
	struct catalog_rest		*cr = tc->cr;
	struct catalog_rest_call	*c;
	const char			*tok;
	int64_t				 expires = 3600;
	char				*why = NULL;

	(void)status;
	cr->token_busy = 0;
	tok = json_object_string(j, "access_token");
	if (cause == NULL && tok == NULL)
		cause = why = xstrdup("catalog OAuth2: no access_token");
	if (cause == NULL) {
		free(cr->token);
		cr->token = xstrdup(tok);
		if (cJSON_GetObjectItemCaseSensitive(j, "expires_in") != NULL)
			json_object_int64(j, "expires_in", &expires, &why);
		free(why);
		why = NULL;
		cr->token_expiry = daemon_mono_ms() +
		    (uint64_t)expires * 1000;
	}
	while ((c = TAILQ_FIRST(&cr->waiting)) != NULL) {
		TAILQ_REMOVE(&cr->waiting, c, entry);
		if (cause == NULL)
			catalog_rest_send(c);
		else
			catalog_rest_finish(c, 0, cause, NULL);
	}
	free(why);
}

/* POST the client credentials to /v1/oauth/tokens. */
static void
catalog_rest_token(struct catalog_rest *cr)
{
	struct catalog_rest_call	*tc;
	struct buf			 b = BUF_INIT;

	cr->token_busy = 1;
	buf_puts(&b, "grant_type=client_credentials&client_id=");
	catalog_rest_encode(&b, cr->client_id);
	buf_puts(&b, "&client_secret=");
	catalog_rest_encode(&b, cr->client_secret);
	buf_puts(&b, "&scope=catalog");
	tc = catalog_rest_call_new(cr, "POST",
	    xasprintf("%s/v1/oauth/tokens", cr->uri), NULL,
	    catalog_rest_token_cb, NULL);
	tc->body = buf_cstr(&b);
	tc->type = "application/x-www-form-urlencoded";
	tc->auth_retried = 1;
	catalog_rest_send(tc);
}

/* Send a call, first getting a token if OAuth2 needs one. */
static void
catalog_rest_submit(struct catalog_rest_call *c)
{
	struct catalog_rest	*cr = c->cr;

	if (cr->client_id == NULL || (cr->token != NULL &&
	    daemon_mono_ms() + CATALOG_REST_TOKEN_SLACK_MS <
	    cr->token_expiry)) {
		catalog_rest_send(c);
		return;
	}
	TAILQ_INSERT_TAIL(&cr->waiting, c, entry);
	if (!cr->token_busy)
		catalog_rest_token(cr);
}

struct catalog_rest *
catalog_rest_new(struct http *h, const struct catalog_rest_options *o)
{
	struct catalog_rest	*cr;
	const char		*colon;
	size_t			 len;

	cr = xcalloc(1, sizeof(*cr));
	cr->http = h;
	len = strlen(o->uri);
	while (len > 0 && o->uri[len - 1] == '/')
		len--;
	cr->uri = xstrndup(o->uri, len);
	if (o->warehouse != NULL)
		cr->warehouse = xstrdup(o->warehouse);
	if (o->credential != NULL) {
		colon = strchr(o->credential, ':');
		if (colon == NULL) {
			cr->client_id = xstrdup("");
			cr->client_secret = xstrdup(o->credential);
		} else {
			cr->client_id = xstrndup(o->credential,
			    colon - o->credential);
			cr->client_secret = xstrdup(colon + 1);
		}
	} else if (o->token != NULL)
		cr->token = xstrdup(o->token);
	cr->no_idempotency = o->no_idempotency;
	cr->timeout_ms = o->timeout_ms != 0 ? o->timeout_ms : 30000;
	cr->prefix = xstrdup("");
	cr->config = cJSON_CreateObject();
	TAILQ_INIT(&cr->waiting);
	return (cr);
}

void
catalog_rest_free(struct catalog_rest *cr)
{
	if (cr == NULL)
		return;
	free(cr->uri);
	free(cr->warehouse);
	free(cr->client_id);
	if (cr->client_secret != NULL)
		explicit_bzero(cr->client_secret, strlen(cr->client_secret));
	free(cr->client_secret);
	free(cr->token);
	free(cr->prefix);
	cJSON_Delete(cr->config);
	free(cr);
}

int
catalog_rest_pending(struct catalog_rest *cr)
{
	return (cr->pending);
}

const char *
catalog_rest_config(struct catalog_rest *cr, const char *key)
{
	return (json_object_string(cr->config, key));
}

int
catalog_rest_idempotent(struct catalog_rest *cr)
{
	return (cr->idempotent);
}

static struct catalog_rest_op *
catalog_rest_op_new(struct catalog_rest *cr, const char *ns,
    const char *name, void *arg)
{
	struct catalog_rest_op	*op;

	op = xcalloc(1, sizeof(*op));
	op->cr = cr;
	op->ns = xstrdup(ns);
	if (name != NULL)
		op->name = xstrdup(name);
	op->arg = arg;
	return (op);
}

static void
catalog_rest_op_free(struct catalog_rest_op *op)
{
	free(op->ns);
	free(op->name);
	free(op->body);
	free(op->cause);
	free(op);
}

/* Finish a done-style operation. */
static void
catalog_rest_op_done(struct catalog_rest_op *op, const char *cause)
{
	op->done(cause, op->arg);
	catalog_rest_op_free(op);
}

/* GET /v1/config: merge defaults and overrides, note prefix and keys. */
static void
catalog_rest_config_cb(struct catalog_rest_call *c, long status, cJSON *j,
    const char *cause)
{
	struct catalog_rest_op	*op = c->arg;
	struct catalog_rest	*cr = op->cr;
	const cJSON		*over;
	const char		*prefix;

	if (cause != NULL) {
		catalog_rest_op_done(op, cause);
		return;
	}
	over = cJSON_GetObjectItemCaseSensitive(j, "overrides");
	catalog_rest_merge(cr->config,
	    cJSON_GetObjectItemCaseSensitive(j, "defaults"));
	catalog_rest_merge(cr->config, over);
	prefix = json_object_string(over, "prefix");
	free(cr->prefix);
	if (prefix != NULL && *prefix != '\0')
		cr->prefix = xasprintf("%s/", prefix);
	else
		cr->prefix = xstrdup("");
	cr->idempotent = !cr->no_idempotency &&
	    cJSON_GetObjectItemCaseSensitive(j,
	    "idempotency-key-lifetime") != NULL;
	log_debug("catalog: prefix \"%s\", idempotency keys %s", cr->prefix,
	    cr->idempotent ? "yes" : "no");
	(void)status;
	catalog_rest_op_done(op, NULL);
}

void
catalog_rest_open(struct catalog_rest *cr, catalog_rest_done_cb cb, void *arg)
{
	struct catalog_rest_op	*op;
	struct buf		 b = BUF_INIT;

	op = catalog_rest_op_new(cr, "", NULL, arg);
	op->done = cb;
	buf_printf(&b, "%s/v1/config", cr->uri);
	if (cr->warehouse != NULL) {
		buf_puts(&b, "?warehouse=");
		catalog_rest_encode(&b, cr->warehouse);
	}
	catalog_rest_submit(catalog_rest_call_new(cr, "GET", buf_cstr(&b),
	    NULL, catalog_rest_config_cb, op));
}

/* Namespace created (or it already existed: 409). */
static void
catalog_rest_ns_created_cb(struct catalog_rest_call *c, long status,
    cJSON *j, const char *cause)
{
	(void)j;
	catalog_rest_op_done(c->arg, status == 409 ? NULL : cause);
}

/* Namespace looked up: create it on 404. */
static void
catalog_rest_ns_get_cb(struct catalog_rest_call *c, long status, cJSON *j,
    const char *cause)
{
	struct catalog_rest_op	*op = c->arg;
	cJSON			*body;

	(void)j;
	if (status != 404) {
		catalog_rest_op_done(op, cause);
		return;
	}
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "namespace", catalog_rest_levels(op->ns));
	cJSON_AddItemToObject(body, "properties", cJSON_CreateObject());
	catalog_rest_submit(catalog_rest_call_new(op->cr, "POST",
	    catalog_rest_url(op->cr, NULL, NULL, NULL), body,
	    catalog_rest_ns_created_cb, op));
}

void
catalog_rest_ensure_namespace(struct catalog_rest *cr, const char *ns,
    catalog_rest_done_cb cb, void *arg)
{
	struct catalog_rest_op	*op;

	op = catalog_rest_op_new(cr, ns, NULL, arg);
	op->done = cb;
	catalog_rest_submit(catalog_rest_call_new(cr, "GET",
	    catalog_rest_url(cr, ns, NULL, NULL), NULL,
	    catalog_rest_ns_get_cb, op));
}

/* A table from a LoadTableResult or CommitTableResponse; NULL if bad. */
static struct catalog_rest_table *
catalog_rest_table_new(struct catalog_rest *cr, cJSON *j, char **cause)
{
	struct catalog_rest_table	*t;
	const char			*loc;
	cJSON				*md, *sc;
	const cJSON			*e;

	loc = json_object_string(j, "metadata-location");
	md = cJSON_GetObjectItemCaseSensitive(j, "metadata");
	if (!cJSON_IsObject(md)) {
		*cause = xstrdup("catalog: table answer without metadata");
		return (NULL);
	}
	t = xcalloc(1, sizeof(*t));
	t->metadata_location = loc != NULL ? xstrdup(loc) : NULL;
	t->metadata = cJSON_DetachItemViaPointer(j, md);
	t->config = cJSON_Duplicate(cr->config, 1);
	catalog_rest_merge(t->config,
	    cJSON_GetObjectItemCaseSensitive(j, "config"));
	sc = cJSON_GetObjectItemCaseSensitive(j, "storage-credentials");
	cJSON_ArrayForEach(e, sc)
		catalog_rest_merge(t->config,
		    cJSON_GetObjectItemCaseSensitive(e, "config"));
	return (t);
}

/* Finish a table-style operation from an answer. */
static void
catalog_rest_op_table(struct catalog_rest_op *op, cJSON *j, const char *cause)
{
	struct catalog_rest_table	*t = NULL;
	char				*why = NULL;

	if (cause == NULL && (t = catalog_rest_table_new(op->cr, j,
	    &why)) == NULL)
		cause = why;
	op->table(t, cause, op->arg);
	free(why);
	catalog_rest_op_free(op);
}

static void
catalog_rest_load_cb(struct catalog_rest_call *c, long status, cJSON *j,
    const char *cause)
{
	(void)status;
	catalog_rest_op_table(c->arg, j, cause);
}

/* Start a load for op; its completion is cb. */
static void
catalog_rest_op_load(struct catalog_rest_op *op, catalog_rest_call_cb cb)
{
	struct catalog_rest_call	*c;

	c = catalog_rest_call_new(op->cr, "GET",
	    catalog_rest_url(op->cr, op->ns, op->name, "snapshots=all"), NULL,
	    cb, op);
	c->delegate = 1;
	catalog_rest_submit(c);
}

void
catalog_rest_load_table(struct catalog_rest *cr, const char *ns,
    const char *name, catalog_rest_table_cb cb, void *arg)
{
	struct catalog_rest_op	*op;

	op = catalog_rest_op_new(cr, ns, name, arg);
	op->table = cb;
	catalog_rest_op_load(op, catalog_rest_load_cb);
}

static void
catalog_rest_create_cb(struct catalog_rest_call *c, long status, cJSON *j,
    const char *cause)
{
	struct catalog_rest_op	*op = c->arg;

	if (status == 409) {
		log_debug("catalog: table %s.%s exists", op->ns, op->name);
		catalog_rest_op_load(op, catalog_rest_load_cb);
		return;
	}
	catalog_rest_op_table(op, j, cause);
}

void
catalog_rest_create_table(struct catalog_rest *cr, const char *ns,
    const char *name, const cJSON *schema, const cJSON *spec,
    const cJSON *properties, catalog_rest_table_cb cb, void *arg)
{
	struct catalog_rest_op		*op;
	struct catalog_rest_call	*c;
	cJSON				*body, *o;

	op = catalog_rest_op_new(cr, ns, name, arg);
	op->table = cb;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "name", name);
	cJSON_AddItemToObject(body, "schema", cJSON_Duplicate(schema, 1));
	if (spec != NULL)
		cJSON_AddItemToObject(body, "partition-spec",
		    cJSON_Duplicate(spec, 1));
	o = cJSON_AddObjectToObject(body, "write-order");
	json_add_int64(o, "order-id", 0);
	cJSON_AddArrayToObject(o, "fields");
	cJSON_AddBoolToObject(body, "stage-create", 0);
	o = properties != NULL ? cJSON_Duplicate(properties, 1) :
	    cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(o, "format-version");
	cJSON_AddStringToObject(o, "format-version", "2");
	cJSON_AddItemToObject(body, "properties", o);
	c = catalog_rest_call_new(cr, "POST", catalog_rest_url(cr, ns, "",
	    NULL), body, catalog_rest_create_cb, op);
	c->delegate = 1;
	catalog_rest_submit(c);
}

/* Finish a commit. */
static void
catalog_rest_commit_end(struct catalog_rest_op *op,
    enum catalog_rest_outcome o, struct catalog_rest_table *t,
    const char *cause)
{
	op->commit(o, t, cause, op->arg);
	catalog_rest_op_free(op);
}

/* The reload after a doubtful commit answer decides the outcome. */
static void
catalog_rest_settle_cb(struct catalog_rest_call *c, long status, cJSON *j,
    const char *cause)
{
	struct catalog_rest_op		*op = c->arg;
	struct catalog_rest_table	*t = NULL;
	char				*why = NULL, *msg;
	enum catalog_rest_outcome	 o;

	(void)status;
	if (cause == NULL && (t = catalog_rest_table_new(op->cr, j,
	    &why)) == NULL)
		cause = why;
	if (t == NULL) {
		msg = xasprintf("%s; reload failed: %s", op->cause, cause);
		catalog_rest_commit_end(op, CATALOG_REST_UNKNOWN, NULL, msg);
		free(msg);
		free(why);
		return;
	}
	if (catalog_rest_table_has_snapshot(t, op->snapshot_id)) {
		log_debug("catalog: snapshot %lld found after \"%s\"",
		    (long long)op->snapshot_id, op->cause);
		catalog_rest_commit_end(op, CATALOG_REST_COMMITTED, t, NULL);
		return;
	}
	if (op->status == 409)
		o = CATALOG_REST_CONFLICT;
	else if (op->status >= 500 || op->status == 0)
		o = CATALOG_REST_UNKNOWN;
	else
		o = CATALOG_REST_ERROR;
	catalog_rest_commit_end(op, o, t, op->cause);
}

/* The commit answer: 200 done; 409, 400, 5xx and silence: reload. */
static void
catalog_rest_commit_answer_cb(struct catalog_rest_call *c, long status, cJSON *j,
    const char *cause)
{
	struct catalog_rest_op		*op = c->arg;
	struct catalog_rest_table	*t;
	char				*why = NULL;

	if (cause == NULL) {
		if ((t = catalog_rest_table_new(op->cr, j, &why)) != NULL) {
			catalog_rest_commit_end(op, CATALOG_REST_COMMITTED, t,
			    NULL);
			return;
		}
		cause = why;
		status = 0;	/* applied or not: unknown */
	}
	op->status = status;
	op->cause = xstrdup(cause);
	free(why);
	if (status == 409 || status == 400 || status == 0 || status >= 500) {
		catalog_rest_op_load(op, catalog_rest_settle_cb);
		return;
	}
	catalog_rest_commit_end(op, CATALOG_REST_ERROR, NULL, op->cause);
}

/* The CommitTableRequest body of an append. */
static cJSON *
catalog_rest_commit_body(const char *uuid, int has_parent, int64_t parent,
    const cJSON *snapshot, int64_t id, const struct ice_expire *expire)
{
	cJSON	*body, *a, *o, *ids;
	size_t	 i;

	body = cJSON_CreateObject();
	a = cJSON_AddArrayToObject(body, "requirements");
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "assert-table-uuid");
	cJSON_AddStringToObject(o, "uuid", uuid);
	cJSON_AddItemToArray(a, o);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "assert-ref-snapshot-id");
	cJSON_AddStringToObject(o, "ref", "main");
	if (has_parent)
		json_add_int64(o, "snapshot-id", parent);
	else
		cJSON_AddNullToObject(o, "snapshot-id");
	cJSON_AddItemToArray(a, o);
	a = cJSON_AddArrayToObject(body, "updates");
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "action", "add-snapshot");
	cJSON_AddItemToObject(o, "snapshot", cJSON_Duplicate(snapshot, 1));
	cJSON_AddItemToArray(a, o);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "action", "set-snapshot-ref");
	cJSON_AddStringToObject(o, "ref-name", "main");
	cJSON_AddStringToObject(o, "type", "branch");
	json_add_int64(o, "snapshot-id", id);
	cJSON_AddItemToArray(a, o);
	if (expire == NULL || expire->nids == 0)
		return (body);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "action", "remove-snapshots");
	ids = cJSON_AddArrayToObject(o, "snapshot-ids");
	for (i = 0; i < expire->nids; i++)
		cJSON_AddItemToArray(ids, json_int64(expire->ids[i]));
	cJSON_AddItemToArray(a, o);
	return (body);
}

void
catalog_rest_commit_append(struct catalog_rest *cr, const char *ns,
    const char *name, const char *table_uuid, int has_parent, int64_t parent,
    const cJSON *snapshot, const struct ice_expire *expire,
    catalog_rest_commit_cb cb, void *arg)
{
	struct catalog_rest_op		*op;
	struct catalog_rest_call	*c;
	char				*cause = NULL;

	op = catalog_rest_op_new(cr, ns, name, arg);
	op->commit = cb;
	if (json_object_int64(snapshot, "snapshot-id", &op->snapshot_id,
	    &cause) != 0) {
		catalog_rest_commit_end(op, CATALOG_REST_ERROR, NULL, cause);
		free(cause);
		return;
	}
	c = catalog_rest_call_new(cr, "POST",
	    catalog_rest_url(cr, ns, name, NULL),
	    catalog_rest_commit_body(table_uuid, has_parent, parent, snapshot,
	    op->snapshot_id, expire), catalog_rest_commit_answer_cb, op);
	if (cr->idempotent)
		catalog_rest_uuid7(c->idem);
	else
		c->attempts = 1;
	catalog_rest_submit(c);
}

void
catalog_rest_table_free(struct catalog_rest_table *t)
{
	if (t == NULL)
		return;
	free(t->metadata_location);
	cJSON_Delete(t->metadata);
	cJSON_Delete(t->config);
	free(t);
}

const char *
catalog_rest_table_config(const struct catalog_rest_table *t, const char *key)
{
	return (json_object_string(t->config, key));
}

const char *
catalog_rest_table_uuid(const struct catalog_rest_table *t)
{
	return (json_object_string(t->metadata, "table-uuid"));
}

int
catalog_rest_table_main(const struct catalog_rest_table *t, int64_t *id)
{
	const cJSON	*refs, *m;

	refs = cJSON_GetObjectItemCaseSensitive(t->metadata, "refs");
	m = cJSON_GetObjectItemCaseSensitive(refs, "main");
	if (m == NULL)
		return (-1);
	return (json_get_int64(cJSON_GetObjectItemCaseSensitive(m,
	    "snapshot-id"), id));
}

/* The snapshot with this id, or NULL. */
static const cJSON *
catalog_rest_table_find(const struct catalog_rest_table *t, int64_t id)
{
	const cJSON	*s;
	int64_t		 v;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(t->metadata,
	    "snapshots")) {
		if (json_get_int64(cJSON_GetObjectItemCaseSensitive(s,
		    "snapshot-id"), &v) == 0 && v == id)
			return (s);
	}
	return (NULL);
}

/* Walk main's ancestry; stop at *want (1) or the root; count steps. */
static int
catalog_rest_table_walk(const struct catalog_rest_table *t,
    const int64_t *want, int *steps)
{
	const cJSON	*s;
	int64_t		 id;
	int		 limit;

	*steps = 0;
	if (catalog_rest_table_main(t, &id) != 0)
		return (0);
	limit = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
	    t->metadata, "snapshots"));
	while ((s = catalog_rest_table_find(t, id)) != NULL &&
	    *steps <= limit) {
		(*steps)++;
		if (want != NULL && id == *want)
			return (1);
		if (json_get_int64(cJSON_GetObjectItemCaseSensitive(s,
		    "parent-snapshot-id"), &id) != 0)
			break;
	}
	return (0);
}

int
catalog_rest_table_has_snapshot(const struct catalog_rest_table *t,
    int64_t id)
{
	int	steps;

	return (catalog_rest_table_walk(t, &id, &steps));
}

int
catalog_rest_table_ancestry(const struct catalog_rest_table *t)
{
	int	steps;

	catalog_rest_table_walk(t, NULL, &steps);
	return (steps);
}
