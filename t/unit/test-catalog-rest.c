/*
 * test-catalog-rest.c: the REST catalog client against the strict test
 * catalog (t/helpers/restcatalog.mjs, started as a child process): every
 * request it sends is checked against the OpenAPI spec.  Bootstrap with
 * and without a prefix, static and OAuth2 auth (refresh on 401 after a
 * restart), namespaces and tables (idempotent), reassigned ids, exact
 * 64-bit snapshot ids, and commit outcomes under injected 409s, 5xx,
 * timeouts and lost responses, ending with two writers racing 100 appends
 * each: every snapshot lands exactly once.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "catalog-rest.h"
#include "http.h"
#include "json.h"
#include "xmalloc.h"
#include "tap.h"
#include "storage-peer.h"

extern char **environ;

#define NS	"bronze"
#define TBL	"trades"
/* Above 2^53: neighbours collapse if anything goes through a double. */
#define ID_BASE	4611686018427387905LL

struct server {
	pid_t	 pid;
	int	 port;
	char	*url;
	char	*dir;
};

struct res {
	int				 done;
	char				*cause;
	struct catalog_rest_table	*t;
	enum catalog_rest_outcome	 o;
};

static struct event_base	*base;
static struct http		*http;

/* Spawn argv with stdout on a pipe; the read end or -1. */
static int
server_spawn(char *const argv[], pid_t *pid)
{
	posix_spawn_file_actions_t	fa;
	int				out[2];

	if (pipe(out) != 0)
		return (-1);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	if (posix_spawnp(pid, argv[0], &fa, NULL, argv, environ) != 0)
		*pid = 0;
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	if (*pid == 0) {
		close(out[0]);
		return (-1);
	}
	return (out[0]);
}

/* Start the catalog on port (0: any) in dir with extra arguments. */
static int
server_start(struct server *s, const char *dir, int port, const char **args)
{
	const char	*src = getenv("BRONZE_SRCDIR");
	char		*argv[24], *script, *portstr, line[256];
	int		 fd, n = 0, i;
	size_t		 len = 0;
	struct pollfd	 pfd;

	memset(s, 0, sizeof(*s));
	script = xasprintf("%s/t/helpers/restcatalog.mjs",
	    src != NULL && *src != '\0' ? src : ".");
	portstr = xasprintf("%d", port);
	argv[n++] = "node";
	argv[n++] = script;
	argv[n++] = "--quiet";
	argv[n++] = "--warehouse";
	argv[n++] = (char *)dir;
	argv[n++] = "--port";
	argv[n++] = portstr;
	for (i = 0; args != NULL && args[i] != NULL; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	fd = server_spawn(argv, &s->pid);
	free(script);
	free(portstr);
	if (fd == -1)
		return (-1);
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (len < sizeof(line) - 1 && poll(&pfd, 1, 20000) > 0 &&
	    read(fd, line + len, 1) == 1 && line[len] != '\n')
		len++;
	close(fd);
	line[len] = '\0';
	if (strncmp(line, "LISTENING ", 10) != 0)
		return (-1);
	s->url = xstrdup(line + 10);
	s->port = atoi(strrchr(s->url, ':') + 1);
	s->dir = xstrdup(dir);
	return (0);
}

static void
server_stop(struct server *s)
{
	int	status;

	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, &status, 0);
	}
	free(s->url);
	free(s->dir);
	memset(s, 0, sizeof(*s));
}

static char *
tmpdir(void)
{
	char	*d = xasprintf("/tmp/catalogrest-XXXXXX");

	if (mkdtemp(d) == NULL)
		abort();
	return (d);
}

static void
rmtree(char *d)
{
	char	*cmd = xasprintf("rm -rf '%s'", d);

	if (system(cmd) != 0)
		fprintf(stderr, "# cannot remove %s\n", d);
	free(cmd);
	free(d);
}

struct ctl {
	int	 done;
	long	 status;
	cJSON	*j;
};

static void
ctl_cb(struct http_response *r, void *arg)
{
	struct ctl	*c = arg;
	char		*cause = NULL;

	c->status = r->status;
	if (r->body != NULL && r->body->len > 0)
		c->j = json_parse((char *)r->body->data, r->body->len, &cause);
	free(cause);
	c->done = 1;
}

/* A control route of the test catalog; parsed answer (caller frees). */
static cJSON *
ctl(struct server *s, const char *method, const char *path, const char *body)
{
	struct http_request	*req;
	struct ctl		 c = { 0, 0, NULL };
	char			*url = xasprintf("%s%s", s->url, path);
	struct buf		 b = BUF_INIT;

	req = http_request_new(method, url, "test");
	if (body != NULL) {
		http_request_header(req, "Content-Type: application/json");
		buf_puts(&b, body);
		http_request_body(req, &b);
		buf_free(&b);
	}
	http_submit(http, req, ctl_cb, &c);
	peer_run(base, &c.done, 20000);
	free(url);
	return (c.j);
}

static void
faults(struct server *s, const char *rules)
{
	char	*body = xasprintf("{\"rules\":\"%s\",\"seed\":7}", rules);

	cJSON_Delete(ctl(s, "POST", "/_test/faults", body));
	free(body);
}

/* Count log entries of operation op with field key true (NULL: any). */
static int
log_count(struct server *s, const char *op, const char *key)
{
	cJSON		*j = ctl(s, "GET", "/_test/log", NULL);
	const cJSON	*e;
	const char	*o;
	int		 n = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "requests")) {
		o = json_object_string(e, "operation");
		if (o == NULL || strcmp(o, op) != 0)
			continue;
		if (key == NULL || cJSON_IsTrue(cJSON_GetObjectItem(e, key)))
			n++;
	}
	cJSON_Delete(j);
	return (n);
}

/* Requests the catalog found off-spec (valid: false). */
static int
log_invalid(struct server *s)
{
	cJSON		*j = ctl(s, "GET", "/_test/log", NULL);
	const cJSON	*e;
	int		 n = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "requests"))
		n += cJSON_IsFalse(cJSON_GetObjectItem(e, "valid"));
	cJSON_Delete(j);
	return (n);
}

/* The server's own view of the table. */
static struct catalog_rest_table *
server_table(struct server *s)
{
	struct catalog_rest_table	*t;
	cJSON				*j;

	j = ctl(s, "GET", "/_test/tables/" NS "/" TBL, NULL);
	t = xcalloc(1, sizeof(*t));
	t->metadata = cJSON_DetachItemFromObject(j, "metadata");
	cJSON_Delete(j);
	return (t);
}

static int
snapshot_count(const struct catalog_rest_table *t)
{
	return (cJSON_GetArraySize(cJSON_GetObjectItem(t->metadata,
	    "snapshots")));
}

static void
done_cb(const char *cause, void *arg)
{
	struct res	*r = arg;

	r->cause = cause != NULL ? xstrdup(cause) : NULL;
	r->done = 1;
}

static void
table_cb(struct catalog_rest_table *t, const char *cause, void *arg)
{
	struct res	*r = arg;

	r->t = t;
	done_cb(cause, arg);
}

static void
commit_cb(enum catalog_rest_outcome o, struct catalog_rest_table *t,
    const char *cause, void *arg)
{
	struct res	*r = arg;

	r->o = o;
	table_cb(t, cause, arg);
}

static void
res_clear(struct res *r)
{
	free(r->cause);
	catalog_rest_table_free(r->t);
	memset(r, 0, sizeof(*r));
}

/* Run the loop until r is done; 0 if it finished without a cause. */
static int
res_wait(struct res *r)
{
	if (peer_run(base, &r->done, 60000) != 0)
		return (-1);
	if (r->cause != NULL)
		fprintf(stderr, "# cause: %s\n", r->cause);
	return (r->cause == NULL ? 0 : -1);
}

static struct catalog_rest *
client(struct server *s, const char *credential, const char *token,
    int no_idempotency, uint64_t timeout_ms)
{
	struct catalog_rest_options	 o;

	memset(&o, 0, sizeof(o));
	o.uri = s->url;
	o.warehouse = s->dir;
	o.credential = credential;
	o.token = token;
	o.no_idempotency = no_idempotency;
	o.timeout_ms = timeout_ms;
	return (catalog_rest_new(http, &o));
}

static int
open_client(struct catalog_rest *cr)
{
	struct res	r = { 0 };
	int		rc;

	catalog_rest_open(cr, done_cb, &r);
	rc = res_wait(&r);
	res_clear(&r);
	return (rc);
}

static cJSON *
schema_json(void)
{
	const char	*s = "{\"type\":\"struct\",\"schema-id\":0,\"fields\":["
	    "{\"id\":1,\"name\":\"topic\",\"required\":true,\"type\":\"string\"},"
	    "{\"id\":2,\"name\":\"offset\",\"required\":true,\"type\":\"long\"},"
	    "{\"id\":3,\"name\":\"ts\",\"required\":true,"
	    "\"type\":\"timestamptz\"}]}";

	return (json_parse(s, strlen(s), NULL));
}

static cJSON *
spec_json(void)
{
	const char	*s = "{\"spec-id\":0,\"fields\":[{\"name\":\"ts_day\","
	    "\"transform\":\"day\",\"source-id\":3,\"field-id\":1000}]}";

	return (json_parse(s, strlen(s), NULL));
}

/* Ensure the namespace and create the table; the table or NULL. */
static struct catalog_rest_table *
create(struct catalog_rest *cr)
{
	struct res			 r = { 0 };
	struct catalog_rest_table	*t = NULL;
	cJSON				*schema = schema_json(), *spec = spec_json();

	catalog_rest_ensure_namespace(cr, NS, done_cb, &r);
	if (res_wait(&r) == 0) {
		res_clear(&r);
		catalog_rest_create_table(cr, NS, TBL, schema, spec, NULL,
		    table_cb, &r);
		if (res_wait(&r) == 0) {
			t = r.t;
			r.t = NULL;
		}
	}
	res_clear(&r);
	cJSON_Delete(schema);
	cJSON_Delete(spec);
	return (t);
}

/* An append snapshot with id on t's main. */
static cJSON *
snapshot_json(const struct catalog_rest_table *t, int64_t id)
{
	cJSON		*s, *sum;
	int64_t		 parent, seq = 0;
	struct timespec	 ts;
	char		*ml;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_int64(t->metadata, "last-sequence-number", &seq, NULL);
	s = cJSON_CreateObject();
	json_add_int64(s, "snapshot-id", id);
	if (catalog_rest_table_main(t, &parent) == 0)
		json_add_int64(s, "parent-snapshot-id", parent);
	json_add_int64(s, "sequence-number", seq + 1);
	json_add_int64(s, "timestamp-ms", (int64_t)ts.tv_sec * 1000 +
	    ts.tv_nsec / 1000000);
	ml = xasprintf("file:///nonexistent/snap-%lld.avro", (long long)id);
	cJSON_AddStringToObject(s, "manifest-list", ml);
	free(ml);
	sum = cJSON_AddObjectToObject(s, "summary");
	cJSON_AddStringToObject(sum, "operation", "append");
	json_add_int64(s, "schema-id", 0);
	return (s);
}

/* Commit snapshot id on t; the outcome in r. */
static void
commit(struct catalog_rest *cr, const struct catalog_rest_table *t,
    int64_t id, struct res *r)
{
	cJSON	*snap = snapshot_json(t, id);
	int64_t	 parent = 0;
	int	 has;

	has = catalog_rest_table_main(t, &parent) == 0;
	catalog_rest_commit_append(cr, NS, TBL, catalog_rest_table_uuid(t),
	    has, parent, snap, NULL, commit_cb, r);
	cJSON_Delete(snap);
	peer_run(base, &r->done, 60000);
}

static struct catalog_rest_table *
load(struct catalog_rest *cr)
{
	struct res			 r = { 0 };
	struct catalog_rest_table	*t;

	catalog_rest_load_table(cr, NS, TBL, table_cb, &r);
	res_wait(&r);
	t = r.t;
	r.t = NULL;
	res_clear(&r);
	return (t);
}

static void
setup(void)
{
	struct http_options	o;

	base = event_base_new();
	http_options_default(&o);
	o.backoff_base_ms = 20;
	o.backoff_max_ms = 200;
	http = http_new(base, &o, NULL);
}

static void
teardown(void)
{
	http_free(http);
	event_base_free(base);
}

/* Does any logged path of op start with want? */
static int
log_path(struct server *s, const char *op, const char *want)
{
	cJSON		*j = ctl(s, "GET", "/_test/log", NULL);
	const cJSON	*e;
	const char	*o, *p;
	int		 n = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "requests")) {
		o = json_object_string(e, "operation");
		p = json_object_string(e, "path");
		if (o != NULL && strcmp(o, op) == 0 && p != NULL &&
		    strncmp(p, want, strlen(want)) == 0)
			n++;
	}
	cJSON_Delete(j);
	return (n);
}

static void
test_bootstrap(void)
{
	const char		*args[] = { "--prefix", "cat1", NULL };
	struct server		 s;
	struct catalog_rest	*cr;
	struct catalog_rest_table *t, *t2;
	char			*d = tmpdir();
	struct res		 r = { 0 };

	setup();
	TAP_CHECK(server_start(&s, d, 0, args) == 0);
	cr = client(&s, NULL, NULL, 0, 0);
	TAP_CHECK(open_client(cr) == 0);
	TAP_CHECK_STR(catalog_rest_config(cr, "prefix"), "cat1");
	TAP_CHECK(catalog_rest_idempotent(cr));
	t = create(cr);
	TAP_CHECK(t != NULL);
	t2 = create(cr);	/* both exist: 409 -> load */
	TAP_CHECK(t2 != NULL);
	if (t != NULL && t2 != NULL)
		TAP_CHECK_STR(catalog_rest_table_uuid(t),
		    catalog_rest_table_uuid(t2));
	TAP_CHECK_INT(log_count(&s, "createTable", NULL), 2);
	TAP_CHECK_INT(log_path(&s, "createTable", "/v1/cat1/namespaces/"
	    NS "/tables"), 2);
	TAP_CHECK_INT(log_path(&s, "loadTable", "/v1/cat1/"), 1);
	TAP_CHECK_INT(log_count(&s, "createNamespace", NULL), 1);
	TAP_CHECK_INT(log_invalid(&s), 0);
	catalog_rest_ensure_namespace(cr, "a.b", done_cb, &r);
	TAP_CHECK(res_wait(&r) == 0);
	res_clear(&r);
	TAP_CHECK_INT(log_path(&s, "loadNamespaceMetadata",
	    "/v1/cat1/namespaces/a%1Fb"), 1);
	if (t != NULL) {
		TAP_CHECK(t->metadata_location != NULL);
		TAP_CHECK_STR(catalog_rest_table_config(t, "prefix"), "cat1");
	}
	catalog_rest_table_free(t);
	catalog_rest_table_free(t2);
	catalog_rest_free(cr);
	server_stop(&s);

	/* No prefix. */
	TAP_CHECK(server_start(&s, d, 0, NULL) == 0);
	cr = client(&s, NULL, NULL, 0, 0);
	TAP_CHECK(open_client(cr) == 0);
	TAP_CHECK(catalog_rest_config(cr, "prefix") == NULL);
	t = load(cr);
	TAP_CHECK(t != NULL);
	TAP_CHECK_INT(log_path(&s, "loadTable", "/v1/namespaces/" NS), 1);
	catalog_rest_table_free(t);
	catalog_rest_free(cr);
	server_stop(&s);
	teardown();
	rmtree(d);
}

static void
test_auth(void)
{
	const char		*tok[] = { "--token", "sesame", NULL };
	const char		*oauth[] = { "--client-id", "bronze",
				    "--client-secret", "s3cr3t", NULL };
	struct server		 s;
	struct catalog_rest	*cr;
	struct catalog_rest_table *t;
	struct res		 r = { 0 };
	char			*d = tmpdir();
	int			 port;

	setup();
	TAP_CHECK(server_start(&s, d, 0, tok) == 0);
	cr = client(&s, NULL, "sesame", 0, 0);
	TAP_CHECK(open_client(cr) == 0);
	catalog_rest_free(cr);
	cr = client(&s, NULL, "wrong-token", 0, 0);
	catalog_rest_open(cr, done_cb, &r);
	TAP_CHECK(res_wait(&r) != 0);
	TAP_CHECK(r.cause != NULL && strstr(r.cause, "401") != NULL);
	TAP_CHECK(r.cause != NULL && strstr(r.cause, "wrong-token") == NULL);
	res_clear(&r);
	catalog_rest_free(cr);
	server_stop(&s);

	TAP_CHECK(server_start(&s, d, 0, oauth) == 0);
	cr = client(&s, "bronze:not-it", NULL, 0, 0);
	catalog_rest_open(cr, done_cb, &r);
	TAP_CHECK(res_wait(&r) != 0);
	TAP_CHECK(r.cause != NULL && strstr(r.cause, "invalid_client") != NULL);
	TAP_CHECK(r.cause != NULL && strstr(r.cause, "not-it") == NULL);
	res_clear(&r);
	catalog_rest_free(cr);

	cr = client(&s, "bronze:s3cr3t", NULL, 0, 0);
	TAP_CHECK(open_client(cr) == 0);
	t = create(cr);
	TAP_CHECK(t != NULL);
	catalog_rest_table_free(t);
	/* The refused one and ours. */
	TAP_CHECK_INT(log_count(&s, "getToken", NULL), 2);
	/* A restarted catalog forgets its tokens: 401, refresh, retry. */
	port = s.port;
	server_stop(&s);
	TAP_CHECK(server_start(&s, d, port, oauth) == 0);
	t = load(cr);
	TAP_CHECK(t != NULL);
	catalog_rest_table_free(t);
	TAP_CHECK_INT(log_count(&s, "getToken", NULL), 1);
	TAP_CHECK_INT(log_count(&s, "loadTable", NULL), 2);
	catalog_rest_free(cr);
	server_stop(&s);
	teardown();
	rmtree(d);
}

/* A server, an opened client and the created table. */
struct fixture {
	struct server		 s;
	struct catalog_rest	*cr;
	struct catalog_rest_table *t;
	char			*dir;
};

static int
fixture_start(struct fixture *f, const char **args, int no_idem,
    uint64_t timeout_ms)
{
	memset(f, 0, sizeof(*f));
	setup();
	f->dir = tmpdir();
	if (server_start(&f->s, f->dir, 0, args) != 0)
		return (-1);
	f->cr = client(&f->s, NULL, NULL, no_idem, timeout_ms);
	if (open_client(f->cr) != 0)
		return (-1);
	f->t = create(f->cr);
	return (f->t != NULL ? 0 : -1);
}

static void
fixture_stop(struct fixture *f)
{
	catalog_rest_table_free(f->t);
	catalog_rest_free(f->cr);
	server_stop(&f->s);
	teardown();
	rmtree(f->dir);
}

/* Commit id on f's table; on COMMITTED or a reload, keep the new table. */
static enum catalog_rest_outcome
fixture_commit(struct fixture *f, int64_t id)
{
	struct res			r = { 0 };
	enum catalog_rest_outcome	o;

	commit(f->cr, f->t, id, &r);
	o = r.done ? r.o : CATALOG_REST_ERROR;
	if (r.t != NULL) {
		catalog_rest_table_free(f->t);
		f->t = r.t;
		r.t = NULL;
	}
	res_clear(&r);
	return (o);
}

static void
test_reassign(void)
{
	const char	*args[] = { "--reassign-ids", NULL };
	struct fixture	 f;
	const cJSON	*sch, *fld, *spec;
	int64_t		 id = 0;

	TAP_CHECK(fixture_start(&f, args, 0, 0) == 0);
	if (f.t != NULL) {
		sch = cJSON_GetArrayItem(cJSON_GetObjectItem(f.t->metadata,
		    "schemas"), 0);
		fld = cJSON_GetArrayItem(cJSON_GetObjectItem(sch, "fields"), 0);
		json_object_int64(fld, "id", &id, NULL);
		TAP_CHECK_INT(id, 101);
		spec = cJSON_GetArrayItem(cJSON_GetObjectItem(f.t->metadata,
		    "partition-specs"), 0);
		fld = cJSON_GetArrayItem(cJSON_GetObjectItem(spec, "fields"),
		    0);
		json_object_int64(fld, "field-id", &id, NULL);
		TAP_CHECK_INT(id, 1100);
		json_object_int64(fld, "source-id", &id, NULL);
		TAP_CHECK_INT(id, 103);
		TAP_CHECK(catalog_rest_table_config(f.t, "prefix") == NULL);
	}
	fixture_stop(&f);
}

static void
test_commits(void)
{
	struct fixture			 f;
	struct catalog_rest_table	*st;
	int64_t				 id = 0;
	int				 i, ok = 0;

	TAP_CHECK(fixture_start(&f, NULL, 0, 0) == 0);
	for (i = 0; f.t != NULL && i < 20; i++)
		ok += fixture_commit(&f, ID_BASE + i) == CATALOG_REST_COMMITTED;
	TAP_CHECK_INT(ok, 20);
	if (f.t != NULL) {
		TAP_CHECK(catalog_rest_table_main(f.t, &id) == 0);
		TAP_CHECK(id == ID_BASE + 19);
	}
	st = server_table(&f.s);
	TAP_CHECK_INT(snapshot_count(st), 20);
	TAP_CHECK_INT(catalog_rest_table_ancestry(st), 20);
	for (i = 0; i < 20; i++)
		TAP_CHECK(catalog_rest_table_has_snapshot(st, ID_BASE + i));
	TAP_CHECK(!catalog_rest_table_has_snapshot(st, ID_BASE + 20));
	TAP_CHECK(catalog_rest_table_main(st, &id) == 0 &&
	    id == ID_BASE + 19);
	catalog_rest_table_free(st);
	TAP_CHECK_INT(log_count(&f.s, "updateTable", NULL), 20);
	TAP_CHECK_INT(log_invalid(&f.s), 0);
	fixture_stop(&f);
}

static void
test_conflict(void)
{
	struct fixture			 f;
	struct catalog_rest_table	*stale;
	struct res			 r = { 0 };

	TAP_CHECK(fixture_start(&f, NULL, 0, 0) == 0);
	TAP_CHECK(fixture_commit(&f, ID_BASE) == CATALOG_REST_COMMITTED);
	faults(&f.s, "commit:409#1");
	TAP_CHECK(fixture_commit(&f, ID_BASE + 1) == CATALOG_REST_CONFLICT);
	TAP_CHECK(fixture_commit(&f, ID_BASE + 1) == CATALOG_REST_COMMITTED);
	/* A real conflict: main moved under a stale table. */
	stale = load(f.cr);
	TAP_CHECK(fixture_commit(&f, ID_BASE + 2) == CATALOG_REST_COMMITTED);
	if (stale != NULL) {
		commit(f.cr, stale, ID_BASE + 3, &r);
		TAP_CHECK(r.o == CATALOG_REST_CONFLICT);
		TAP_CHECK(r.cause != NULL && strstr(r.cause, "409") != NULL);
		TAP_CHECK(r.t != NULL && catalog_rest_table_has_snapshot(r.t,
		    ID_BASE + 2));
		res_clear(&r);
	}
	catalog_rest_table_free(stale);
	/* A 400 is an error with the server's message. */
	commit(f.cr, f.t, -1, &r);
	TAP_CHECK(r.o == CATALOG_REST_ERROR);
	TAP_CHECK(r.cause != NULL && strstr(r.cause, "reserved") != NULL);
	res_clear(&r);
	fixture_stop(&f);
}

/* Without idempotency keys: unknown outcomes settled by reload. */
static void
test_unknown(void)
{
	struct fixture			 f;
	struct catalog_rest_table	*st;

	TAP_CHECK(fixture_start(&f, NULL, 1, 1000) == 0);
	TAP_CHECK(!catalog_rest_idempotent(f.cr));
	faults(&f.s, "commit:lost#1");
	TAP_CHECK(fixture_commit(&f, ID_BASE) == CATALOG_REST_COMMITTED);
	faults(&f.s, "commit:lost-503#1");
	TAP_CHECK(fixture_commit(&f, ID_BASE + 1) == CATALOG_REST_COMMITTED);
	faults(&f.s, "commit:503#1");
	TAP_CHECK(fixture_commit(&f, ID_BASE + 2) == CATALOG_REST_UNKNOWN);
	TAP_CHECK(fixture_commit(&f, ID_BASE + 2) == CATALOG_REST_COMMITTED);
	faults(&f.s, "commit:timeout=200#1");
	TAP_CHECK(fixture_commit(&f, ID_BASE + 3) == CATALOG_REST_UNKNOWN);
	TAP_CHECK(fixture_commit(&f, ID_BASE + 3) == CATALOG_REST_COMMITTED);
	/* Client-side timeout (1 s) before the catalog answers (3 s). */
	faults(&f.s, "commit:timeout=3000#1");
	TAP_CHECK(fixture_commit(&f, ID_BASE + 4) == CATALOG_REST_UNKNOWN);
	TAP_CHECK(fixture_commit(&f, ID_BASE + 4) == CATALOG_REST_COMMITTED);
	st = server_table(&f.s);
	TAP_CHECK_INT(snapshot_count(st), 5);
	TAP_CHECK_INT(catalog_rest_table_ancestry(st), 5);
	catalog_rest_table_free(st);
	/* One attempt per commit call: 1 + 1 + 2 + 2 + 2 sends. */
	TAP_CHECK_INT(log_count(&f.s, "updateTable", NULL), 8);
	TAP_CHECK_INT(log_invalid(&f.s), 0);
	fixture_stop(&f);
}

/* With idempotency keys: the retry of a lost commit is replayed. */
static void
test_idempotency(void)
{
	struct fixture			 f;
	struct catalog_rest_table	*st;

	TAP_CHECK(fixture_start(&f, NULL, 0, 0) == 0);
	faults(&f.s, "commit:lost#1");
	TAP_CHECK(fixture_commit(&f, ID_BASE) == CATALOG_REST_COMMITTED);
	TAP_CHECK_INT(log_count(&f.s, "updateTable", "replay"), 1);
	faults(&f.s, "commit:503#1");
	TAP_CHECK(fixture_commit(&f, ID_BASE + 1) == CATALOG_REST_COMMITTED);
	st = server_table(&f.s);
	TAP_CHECK_INT(snapshot_count(st), 2);
	catalog_rest_table_free(st);
	fixture_stop(&f);
}

struct writer {
	struct catalog_rest		*cr;
	struct catalog_rest_table	*t;
	int64_t				 base;
	int				 target;
	int				 committed;
	int				 conflicts;
	int				 unknowns;
	int				 done;
	int				*alldone;
	char				*error;
};

static void	writer_step(struct writer *);

static void
writer_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	writer_step(arg);
}

/* Finish this step: stop, or go on after a short random pause. */
static void
writer_next(struct writer *w)
{
	struct timeval	tv = { 0, 1000 * (random() % 10) };

	if (w->error != NULL || w->committed == w->target) {
		w->done = 1;
		(*w->alldone)--;
		return;
	}
	event_base_once(base, -1, EV_TIMEOUT, writer_timer_cb, w, &tv);
}

static void
writer_cb(enum catalog_rest_outcome o, struct catalog_rest_table *t,
    const char *cause, void *arg)
{
	struct writer	*w = arg;

	if (t != NULL) {
		catalog_rest_table_free(w->t);
		w->t = t;
	}
	switch (o) {
	case CATALOG_REST_COMMITTED:
		w->committed++;
		break;
	case CATALOG_REST_CONFLICT:
		w->conflicts++;
		break;
	case CATALOG_REST_UNKNOWN:
		w->unknowns++;
		if (t == NULL) {
			catalog_rest_table_free(w->t);
			w->t = NULL;
		}
		break;
	case CATALOG_REST_ERROR:
		w->error = xstrdup(cause);
		break;
	}
	writer_next(w);
}

static void
writer_load_cb(struct catalog_rest_table *t, const char *cause, void *arg)
{
	struct writer	*w = arg;

	w->t = t;
	if (t == NULL)
		w->unknowns += cause != NULL;
	writer_next(w);
}

static void
writer_step(struct writer *w)
{
	cJSON	*snap;
	int64_t	 parent = 0;
	int	 has;

	if (w->t == NULL) {
		catalog_rest_load_table(w->cr, NS, TBL, writer_load_cb, w);
		return;
	}
	snap = snapshot_json(w->t, w->base + w->committed);
	has = catalog_rest_table_main(w->t, &parent) == 0;
	catalog_rest_commit_append(w->cr, NS, TBL,
	    catalog_rest_table_uuid(w->t), has, parent, snap, NULL, writer_cb,
	    w);
	cJSON_Delete(snap);
}

static void
test_two_writers(void)
{
	struct fixture			 f;
	struct writer			 w[2];
	struct catalog_rest_table	*st;
	int				 i, j, alldone = 2, found = 0;
	int				 flag = 0;

	TAP_CHECK(fixture_start(&f, NULL, 0, 0) == 0);
	faults(&f.s, "commit:409@0.2,commit:lost@0.2");
	memset(w, 0, sizeof(w));
	for (i = 0; i < 2; i++) {
		/* One writer with idempotency keys, one settling by reload. */
		w[i].cr = client(&f.s, NULL, NULL, i, 0);
		TAP_CHECK(open_client(w[i].cr) == 0);
		w[i].base = ID_BASE + (int64_t)i * 1000;
		w[i].target = 100;
		w[i].alldone = &alldone;
		writer_step(&w[i]);
	}
	for (j = 0; alldone > 0 && j < 1000; j++)
		peer_run(base, &flag, 100);
	for (i = 0; i < 2; i++) {
		if (w[i].error != NULL)
			fprintf(stderr, "# writer %d: %s\n", i, w[i].error);
		TAP_CHECK(w[i].error == NULL);
		TAP_CHECK_INT(w[i].committed, 100);
		printf("# writer %d: %d committed, %d conflicts, %d unknown\n",
		    i, w[i].committed, w[i].conflicts, w[i].unknowns);
	}
	TAP_CHECK(w[0].conflicts + w[1].conflicts > 10);
	faults(&f.s, "");
	st = server_table(&f.s);
	TAP_CHECK_INT(snapshot_count(st), 200);
	TAP_CHECK_INT(catalog_rest_table_ancestry(st), 200);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 100; j++)
			found += catalog_rest_table_has_snapshot(st,
			    w[i].base + j);
	TAP_CHECK_INT(found, 200);
	TAP_CHECK(log_count(&f.s, "updateTable", "applied") > 0);
	TAP_CHECK_INT(log_invalid(&f.s), 0);
	catalog_rest_table_free(st);
	for (i = 0; i < 2; i++) {
		catalog_rest_table_free(w[i].t);
		free(w[i].error);
		catalog_rest_free(w[i].cr);
	}
	fixture_stop(&f);
}

static const struct tap_case cases[] = {
	{ "bootstrap with and without prefix, idempotent create",
	    test_bootstrap },
	{ "static token and OAuth2 (wrong secret, refresh on 401)", test_auth },
	{ "reassigned field ids come from the returned metadata",
	    test_reassign },
	{ "20 sequential commits with exact 64-bit ids", test_commits },
	{ "409 is a conflict, reload and rebuild succeeds", test_conflict },
	{ "lost, 503 and timeouts settle by reload exactly once",
	    test_unknown },
	{ "Idempotency-Key replays a lost commit", test_idempotency },
	{ "two writers, 100 appends each under 409s and lost responses",
	    test_two_writers },
};

TAP_MAIN(cases)
