/*
 * test-admin-router.c: the admin API router without a network: path
 * matching and parameters, the /v1 prefix, 404/405 decisions, job lookup
 * by id and by name, JSON bodies, the bearer token check, the real
 * route table's handlers against a hand-built daemon, and the web UI's
 * embedded files.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <cJSON.h>

#include "admin-route.h"
#include "admin-ui.h"
#include "config.h"
#include "daemon.h"
#include "job.h"
#include "tap.h"

static struct config_job	test_cjobs[2];
static struct config		test_cfg;
static struct job		*test_jobs[2];
static struct daemon		test_d;

/* Two jobs, binance and kraken, both CREATED. */
static void
test_setup(void)
{
	static const char *names[] = { "binance", "kraken" };
	int	i;

	memset(&test_cfg, 0, sizeof test_cfg);
	memset(test_cjobs, 0, sizeof test_cjobs);
	for (i = 0; i < 2; i++) {
		test_cjobs[i].name = (char *)names[i];
		test_cjobs[i].topic = (char *)"t.raw";
		test_cjobs[i].table = (char *)"ns.tbl";
		test_jobs[i] = job_new(&test_cjobs[i], daemon_now_ms());
	}
	test_cfg.jobs = test_cjobs;
	test_cfg.njobs = 2;
	memset(&test_d, 0, sizeof test_d);
	test_d.cfg = &test_cfg;
	test_d.jobs = test_jobs;
	test_d.njobs = 2;
}

static void
test_teardown(void)
{
	job_free(test_jobs[0]);
	job_free(test_jobs[1]);
}

static const char		*test_called;
static const struct job		*test_called_job;
static char			 test_seen[256];

/* Record which handler ran, for which job, and what it was given. */
static void
test_record(const char *name, struct admin_req *req, struct admin_resp *resp)
{
	const char	*trig = admin_req_param(req, "triggerid");
	const char	*mode = admin_req_query(req, "mode");
	cJSON		*dir;

	test_called = name;
	test_called_job = req->job;
	dir = cJSON_GetObjectItemCaseSensitive(req->json, "target-directory");
	snprintf(test_seen, sizeof test_seen, "trig=%s mode=%s dir=%s json=%d",
	    trig ? trig : "-", mode ? mode : "-",
	    cJSON_IsString(dir) ? dir->valuestring : "-", req->json != NULL);
	resp->status = 200;
}

#define TEST_HANDLER(n)							\
static void								\
test_h_##n(struct admin_req *req, struct admin_resp *resp)		\
{									\
	test_record(#n, req, resp);					\
}
TEST_HANDLER(list)
TEST_HANDLER(overview)
TEST_HANDLER(job)
TEST_HANDLER(cancel)
TEST_HANDLER(savepoint)
TEST_HANDLER(spstatus)

static const struct admin_route test_table[] = {
	{ "GET", "/jobs/:jobid", test_h_job },
	{ "PATCH", "/jobs/:jobid", test_h_cancel },
	{ "GET", "/jobs", test_h_list },
	{ "GET", "/jobs/overview", test_h_overview },
	{ "POST", "/jobs/:jobid/savepoints", test_h_savepoint },
	{ "GET", "/jobs/:jobid/savepoints/:triggerid", test_h_spstatus },
};

/*
 * Dispatch method path (body optional) through table; return the status
 * and leave the reply's first error, or "", in err.
 */
static int
test_dispatch(const struct admin_route *table, size_t n, const char *method,
    const char *path, const char *body, const char *mode, char *err,
    size_t errsize, char *allow)
{
	struct admin_req	 req;
	struct admin_resp	 resp;
	cJSON			*errors, *e0;
	int			 status;

	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.d = &test_d;
	req.method = method;
	req.path = path;
	req.body = body;
	req.body_len = body != NULL ? strlen(body) : 0;
	if (mode != NULL)
		admin_req_add_query(&req, "mode", mode);
	test_called = NULL;
	test_called_job = NULL;
	admin_route_dispatch(table, n, &req, &resp);
	status = resp.status;
	errors = cJSON_GetObjectItemCaseSensitive(resp.body, "errors");
	e0 = cJSON_GetArrayItem(errors, 0);
	snprintf(err, errsize, "%s", cJSON_IsString(e0) ? e0->valuestring : "");
	if (allow != NULL)
		strcpy(allow, resp.allow);
	admin_resp_free(&resp);
	admin_req_clear(&req);
	return (status);
}

#define NTEST	(sizeof test_table / sizeof test_table[0])
#define D(m, p, b, q) test_dispatch(test_table, NTEST, m, p, b, q, err, \
	sizeof err, allow)

static void
test_strip_version(void)
{
	TAP_CHECK_STR(admin_route_strip_version("/v1/jobs"), "/jobs");
	TAP_CHECK_STR(admin_route_strip_version("/v1"), "/");
	TAP_CHECK_STR(admin_route_strip_version("/v1/"), "/");
	TAP_CHECK_STR(admin_route_strip_version("/jobs"), "/jobs");
	TAP_CHECK_STR(admin_route_strip_version("/v10/jobs"), "/v10/jobs");
	TAP_CHECK_STR(admin_route_strip_version("/v2/jobs"), "/v2/jobs");
}

static void
test_match(void)
{
	struct admin_req	req;

	memset(&req, 0, sizeof req);
	TAP_CHECK_INT(admin_route_match("/jobs/:jobid/status",
	    "/jobs/abc/status", &req), 2);
	TAP_CHECK_INT(req.nparams, 1);
	TAP_CHECK_STR(admin_req_param(&req, "jobid"), "abc");
	TAP_CHECK(admin_req_param(&req, "job") == NULL);
	TAP_CHECK_INT(admin_route_match("/jobs/:jobid/savepoints/:triggerid",
	    "/jobs/j1/savepoints/t2", &req), 2);
	TAP_CHECK_STR(admin_req_param(&req, "jobid"), "j1");
	TAP_CHECK_STR(admin_req_param(&req, "triggerid"), "t2");
	admin_req_clear(&req);
	TAP_CHECK_INT(admin_route_match("/jobs/:jobid/status", "/jobs/abc",
	    NULL), -1);
	TAP_CHECK_INT(admin_route_match("/jobs/:jobid/status",
	    "/jobs//status", NULL), -1);
	TAP_CHECK_INT(admin_route_match("/jobs", "/jobs/", NULL), -1);
	TAP_CHECK_INT(admin_route_match("/jobs", "/job", NULL), -1);
	TAP_CHECK_INT(admin_route_match("/jobs", "/jobsx", NULL), -1);
	TAP_CHECK_INT(admin_route_match("/jobs/overview", "/jobs/overview",
	    NULL), 2);
	TAP_CHECK_INT(admin_route_match("/jobs/:jobid", "/jobs/overview",
	    NULL), 1);
	TAP_CHECK_INT(admin_route_match("/", "/", NULL), 1);
	TAP_CHECK_INT(admin_route_match("/", "/jobs", NULL), -1);
}

static void
test_dispatch_routes(void)
{
	char	err[256], allow[64];

	test_setup();
	TAP_CHECK_INT(D("GET", "/jobs/overview", NULL, NULL), 200);
	TAP_CHECK_STR(test_called, "overview");
	TAP_CHECK_INT(D("GET", "/v1/jobs/overview", NULL, NULL), 200);
	TAP_CHECK_STR(test_called, "overview");
	TAP_CHECK_INT(D("GET", "/v1/jobs", NULL, NULL), 200);
	TAP_CHECK_STR(test_called, "list");
	TAP_CHECK_INT(D("GET", "/jobs/kraken", NULL, NULL), 200);
	TAP_CHECK_STR(test_called, "job");
	TAP_CHECK(test_called_job == test_jobs[1]);
	TAP_CHECK_INT(D("GET", "/v1/jobs/binance/savepoints/abc", NULL,
	    NULL), 200);
	TAP_CHECK_STR(test_called, "spstatus");
	TAP_CHECK(test_called_job == test_jobs[0]);
	TAP_CHECK_STR(test_seen, "trig=abc mode=- dir=- json=0");
	TAP_CHECK_INT(D("PATCH", "/jobs/kraken", NULL, "cancel"), 200);
	TAP_CHECK_STR(test_called, "cancel");
	TAP_CHECK_STR(test_seen, "trig=- mode=cancel dir=- json=0");
	test_teardown();
}

static void
test_dispatch_errors(void)
{
	char	err[256], allow[64];

	test_setup();
	TAP_CHECK_INT(D("GET", "/nowhere", NULL, NULL), 404);
	TAP_CHECK_STR(err, "Not found: /nowhere");
	TAP_CHECK(test_called == NULL);
	TAP_CHECK_INT(D("GET", "/v2/jobs", NULL, NULL), 404);
	TAP_CHECK_STR(err, "Not found: /v2/jobs");
	TAP_CHECK_INT(D("GET", "/jobs/", NULL, NULL), 404);
	TAP_CHECK_INT(D("DELETE", "/jobs", NULL, NULL), 405);
	TAP_CHECK_STR(allow, "GET");
	TAP_CHECK(strstr(err, "DELETE") != NULL);
	TAP_CHECK_INT(D("POST", "/v1/jobs/binance", NULL, NULL), 405);
	TAP_CHECK_STR(allow, "GET, PATCH");
	TAP_CHECK(test_called == NULL);
	TAP_CHECK_INT(D("GET", "/jobs/nope", NULL, NULL), 404);
	TAP_CHECK_STR(err, "Job nope not found");
	TAP_CHECK_INT(D("GET", "/jobs/nope/savepoints/x", NULL, NULL), 404);
	TAP_CHECK_STR(err, "Job nope not found");
	TAP_CHECK(test_called == NULL);
	test_teardown();
}

static void
test_dispatch_body(void)
{
	char	err[256], allow[64];

	test_setup();
	TAP_CHECK_INT(D("POST", "/jobs/binance/savepoints", "{bad", NULL),
	    400);
	TAP_CHECK(test_called == NULL);
	TAP_CHECK(strstr(err, "JSON") != NULL);
	TAP_CHECK_INT(D("POST", "/jobs/binance/savepoints",
	    "{\"target-directory\":\"/sp\"}", NULL), 200);
	TAP_CHECK_STR(test_called, "savepoint");
	TAP_CHECK_STR(test_seen, "trig=- mode=- dir=/sp json=1");
	TAP_CHECK_INT(D("POST", "/jobs/binance/savepoints", NULL, NULL), 200);
	TAP_CHECK_STR(test_seen, "trig=- mode=- dir=- json=0");
	/* The job is resolved before the body is looked at. */
	TAP_CHECK_INT(D("POST", "/jobs/zz/savepoints", "{bad", NULL), 404);
	test_teardown();
}

static void
test_find_job(void)
{
	char	id[JOB_ID_LEN + 1];
	size_t	i;

	test_setup();
	TAP_CHECK(admin_route_find_job(&test_d, "binance") == test_jobs[0]);
	TAP_CHECK(admin_route_find_job(&test_d, "kraken") == test_jobs[1]);
	TAP_CHECK(admin_route_find_job(&test_d, test_jobs[1]->id) ==
	    test_jobs[1]);
	memcpy(id, test_jobs[0]->id, sizeof id);
	for (i = 0; i < JOB_ID_LEN; i++)
		id[i] = (char)toupper((unsigned char)id[i]);
	TAP_CHECK(admin_route_find_job(&test_d, id) == test_jobs[0]);
	id[5] = '\0';
	TAP_CHECK(admin_route_find_job(&test_d, id) == NULL);
	TAP_CHECK(admin_route_find_job(&test_d, "Binance") == NULL);
	TAP_CHECK(admin_route_find_job(&test_d, "") == NULL);
	test_teardown();
}

static void
test_token(void)
{
	TAP_CHECK(admin_route_ct_equal("abc", 3, "abc", 3));
	TAP_CHECK(!admin_route_ct_equal("abc", 3, "abd", 3));
	TAP_CHECK(!admin_route_ct_equal("abc", 3, "abcd", 4));
	TAP_CHECK(!admin_route_ct_equal("abcd", 4, "abc", 3));
	TAP_CHECK(!admin_route_ct_equal("", 0, "a", 1));
	TAP_CHECK(admin_route_ct_equal("", 0, "", 0));
	/* A byte equal to the complement of the padding must not match. */
	TAP_CHECK(!admin_route_ct_equal("ab\xff", 3, "ab", 2));
	TAP_CHECK(admin_route_token_ok("Bearer s3cret", "s3cret"));
	TAP_CHECK(admin_route_token_ok("bearer s3cret", "s3cret"));
	TAP_CHECK(!admin_route_token_ok("Bearer s3cre", "s3cret"));
	TAP_CHECK(!admin_route_token_ok("Bearer s3cret2", "s3cret"));
	TAP_CHECK(!admin_route_token_ok("Bearer ", "s3cret"));
	TAP_CHECK(!admin_route_token_ok("Basic s3cret", "s3cret"));
	TAP_CHECK(!admin_route_token_ok("s3cret", "s3cret"));
	TAP_CHECK(!admin_route_token_ok(NULL, "s3cret"));
}

/* Dispatch through the daemon's table; return the status and the body. */
static int
test_real(const char *method, const char *path, cJSON **body)
{
	struct admin_req	req;
	struct admin_resp	resp;

	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.d = &test_d;
	req.method = method;
	req.path = path;
	admin_route_dispatch(admin_routes, admin_nroutes, &req, &resp);
	*body = resp.body;
	resp.body = NULL;
	admin_resp_free(&resp);
	admin_req_clear(&req);
	return (resp.status);
}

static double
test_num(const cJSON *obj, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return (cJSON_IsNumber(v) ? v->valuedouble : -12345);
}

static const char *
test_str(const cJSON *obj, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return (cJSON_IsString(v) ? v->valuestring : "(none)");
}

static void
test_real_table(void)
{
	cJSON	*b, *jobs, *reasons;
	char	 path[128];

	test_setup();
	TAP_CHECK_INT(test_real("GET", "/v1/overview", &b), 200);
	TAP_CHECK_INT(test_num(b, "slots-total"), 2);
	TAP_CHECK_INT(test_num(b, "jobs-running"), 2);
	TAP_CHECK_INT(test_num(b, "taskmanagers"), 1);
	TAP_CHECK_STR(test_str(b, "flink-version"), "1.19.1");
	cJSON_Delete(b);

	TAP_CHECK_INT(test_real("GET", "/jobs", &b), 200);
	jobs = cJSON_GetObjectItemCaseSensitive(b, "jobs");
	TAP_CHECK_INT(cJSON_GetArraySize(jobs), 2);
	TAP_CHECK_STR(test_str(cJSON_GetArrayItem(jobs, 1), "id"),
	    test_jobs[1]->id);
	TAP_CHECK_STR(test_str(cJSON_GetArrayItem(jobs, 1), "status"),
	    "CREATED");
	cJSON_Delete(b);

	snprintf(path, sizeof path, "/jobs/%s", test_jobs[1]->id);
	TAP_CHECK_INT(test_real("GET", path, &b), 200);
	TAP_CHECK_STR(test_str(b, "name"), "kraken");
	TAP_CHECK_INT(test_num(b, "end-time"), -1);
	TAP_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b,
	    "vertices")), 1);
	TAP_CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(b,
	    "partitions")));
	cJSON_Delete(b);

	TAP_CHECK_INT(test_real("GET", "/readyz", &b), 503);
	reasons = cJSON_GetObjectItemCaseSensitive(b, "reasons");
	TAP_CHECK_STR(cJSON_GetArrayItem(reasons, 0)->valuestring,
	    "job binance is CREATED");
	cJSON_Delete(b);
	job_set_state(test_jobs[0], JOB_RUNNING, daemon_now_ms());
	job_set_state(test_jobs[1], JOB_RUNNING, daemon_now_ms());
	TAP_CHECK_INT(test_real("GET", "/readyz", &b), 200);
	cJSON_Delete(b);

	job_set_state(test_jobs[1], JOB_CANCELED, daemon_now_ms());
	TAP_CHECK_INT(test_real("GET", "/overview", &b), 200);
	TAP_CHECK_INT(test_num(b, "jobs-running"), 1);
	TAP_CHECK_INT(test_num(b, "jobs-cancelled"), 1);
	cJSON_Delete(b);
	TAP_CHECK_INT(test_real("GET", "/jobs/kraken/status", &b), 200);
	TAP_CHECK_STR(test_str(b, "status"), "CANCELED");
	cJSON_Delete(b);

	TAP_CHECK_INT(test_real("POST", "/overview", &b), 405);
	cJSON_Delete(b);
	test_teardown();
}

/* GET path through the daemon's table, keeping the whole reply. */
static int
test_ui_get(const char *path, struct admin_resp *resp)
{
	struct admin_req	req;

	memset(&req, 0, sizeof req);
	memset(resp, 0, sizeof *resp);
	req.d = &test_d;
	req.method = "GET";
	req.path = path;
	admin_route_dispatch(admin_routes, admin_nroutes, &req, resp);
	admin_req_clear(&req);
	return (resp->status);
}

/* The value of header name in resp's extra headers, or NULL. */
static const char *
test_ui_header(const struct admin_resp *resp, const char *name)
{
	const char *const	*h;

	for (h = resp->headers; h != NULL && h[0] != NULL; h += 2)
		if (strcmp(h[0], name) == 0)
			return (h[1]);
	return (NULL);
}

static void
test_ui(void)
{
	const struct admin_ui_asset	*index = admin_ui_find("index.html");
	struct admin_resp		 resp;
	const char			*csp;

	test_setup();
	TAP_CHECK(index != NULL && index->len > 0);
	TAP_CHECK(strstr((const char *)index->data, "ui/app.js") != NULL);
	TAP_CHECK_INT(test_ui_get("/", &resp), 200);
	TAP_CHECK(resp.body == NULL && resp.data == index->data &&
	    resp.len == index->len);
	TAP_CHECK_STR(resp.content_type, "text/html; charset=utf-8");
	csp = test_ui_header(&resp, "Content-Security-Policy");
	TAP_CHECK(csp != NULL && strncmp(csp, "default-src 'self'", 18) == 0);
	TAP_CHECK_STR(test_ui_header(&resp, "X-Content-Type-Options"),
	    "nosniff");
	TAP_CHECK_STR(test_ui_header(&resp, "Cache-Control"), "no-cache");
	TAP_CHECK_INT(test_ui_get("/v1/", &resp), 200);
	TAP_CHECK(resp.data == index->data);
	TAP_CHECK_INT(test_ui_get("/ui/app.js", &resp), 200);
	TAP_CHECK_STR(resp.content_type, "text/javascript; charset=utf-8");
	TAP_CHECK_INT(test_ui_get("/ui/style.css", &resp), 200);
	TAP_CHECK_STR(resp.content_type, "text/css; charset=utf-8");
	TAP_CHECK_INT(test_ui_get("/ui/nope.js", &resp), 404);
	TAP_CHECK(resp.body != NULL && resp.data == NULL);
	admin_resp_free(&resp);
	TAP_CHECK_INT(test_ui_get("/ui/../metrics", &resp), 404);
	admin_resp_free(&resp);
	TAP_CHECK_STR(admin_ui_type("a.svg"), "image/svg+xml");
	TAP_CHECK_STR(admin_ui_type("js"), "application/octet-stream");
	TAP_CHECK(admin_ui_path("/") && admin_ui_path("/ui/app.js"));
	TAP_CHECK(!admin_ui_path("/jobs") && !admin_ui_path("/uix"));
	test_teardown();
}

static const struct tap_case cases[] = {
	{ "strip /v1 prefix", test_strip_version },
	{ "match patterns and params", test_match },
	{ "dispatch to the most specific route", test_dispatch_routes },
	{ "404, 405 and unknown jobs", test_dispatch_errors },
	{ "JSON request bodies", test_dispatch_body },
	{ "find jobs by id and by name", test_find_job },
	{ "bearer token, constant-time compare", test_token },
	{ "daemon route table", test_real_table },
	{ "web UI files", test_ui },
};
TAP_MAIN(cases)
