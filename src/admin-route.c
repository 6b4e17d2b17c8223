/*
 * admin-route.c: the admin API's route table and router: path matching,
 * 404/405 decisions, job lookup, JSON request bodies and error replies.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "admin-cluster.h"
#include "admin-jobs.h"
#include "admin-ckpt.h"
#include "admin-metrics.h"
#include "admin-route.h"
#include "admin-verify.h"
#include "admin-ui.h"
#include "daemon.h"
#include "job.h"
#include "xmalloc.h"

/*
 * Every route the daemon serves.  Later endpoints (checkpoints, savepoints,
 * metrics, cancel) slot in here; the most specific pattern wins, so order
 * does not matter.
 */
const struct admin_route admin_routes[] = {
	{ "GET", "/healthz", admin_cluster_healthz },
	{ "GET", "/readyz", admin_cluster_readyz },
	{ "GET", "/overview", admin_cluster_overview },
	{ "GET", "/config", admin_cluster_config },
	{ "GET", "/taskmanagers", admin_cluster_taskmanagers },
	{ "GET", "/jobs", admin_jobs_list },
	{ "GET", "/jobs/overview", admin_jobs_details_all },
	{ "GET", "/jobs/:jobid", admin_jobs_details },
	{ "GET", "/jobs/:jobid/status", admin_jobs_status },
	{ "PATCH", "/jobs/:jobid", admin_ckpt_cancel },
	{ "GET", "/jobs/:jobid/checkpoints", admin_ckpt_stats },
	{ "POST", "/jobs/:jobid/checkpoints", admin_ckpt_trigger },
	{ "GET", "/jobs/:jobid/checkpoints/config", admin_ckpt_config },
	{ "GET", "/jobs/:jobid/checkpoints/details/:checkpointid",
	    admin_ckpt_details },
	{ "GET", "/jobs/:jobid/checkpoints/:triggerid", admin_ckpt_status },
	{ "POST", "/jobs/:jobid/savepoints", admin_ckpt_savepoint },
	{ "GET", "/jobs/:jobid/savepoints", admin_ckpt_savepoints },
	{ "GET", "/jobs/:jobid/savepoints/:triggerid",
	    admin_ckpt_savepoint_status },
	{ "POST", "/jobs/:jobid/stop", admin_ckpt_stop },
	{ "POST", "/jobs/:jobid/restore", admin_ckpt_restore },
	{ "GET", "/jobs/:jobid/restore/:triggerid", admin_ckpt_restore_status },
	{ "GET", "/jobs/:jobid/exceptions", admin_ckpt_exceptions },
	{ "POST", "/jobs/:jobid/verify", admin_verify_start },
	{ "GET", "/jobs/:jobid/verify/:triggerid", admin_verify_status },
	{ "GET", "/jobs/:jobid/metrics", admin_metrics_job },
	{ "GET", "/jobs/metrics", admin_metrics_jobs },
	{ "GET", "/metrics", admin_metrics_prometheus },
	{ "POST", "/savepoint-disposal", admin_ckpt_dispose },
	{ "GET", "/savepoint-disposal/:triggerid", admin_ckpt_dispose_status },
	{ "GET", "/", admin_ui_index },
	{ "GET", "/ui/:file", admin_ui_file },
};
const size_t admin_nroutes = sizeof admin_routes / sizeof admin_routes[0];

const char *
admin_route_strip_version(const char *path)
{
	if (strncmp(path, "/v1", 3) == 0) {
		if (path[3] == '\0')
			return ("/");
		if (path[3] == '/')
			return (path + 3);
	}
	return (path);
}

/* Length of the segment at s (up to '/' or the end). */
static size_t
admin_route_seglen(const char *s)
{
	return (strcspn(s, "/"));
}

/* Free the ":name" values of the last match. */
static void
admin_req_clear_params(struct admin_req *req)
{
	size_t	i;

	for (i = 0; i < req->nparams; i++) {
		free((char *)req->params[i].key);
		free((char *)req->params[i].value);
	}
	req->nparams = 0;
}

/*
 * Walk pattern and path segment by segment; return the number of literal
 * segments matched, or -1.  With req, store the ":name" values (heap).
 */
static int
admin_route_walk(const char *pattern, const char *path, struct admin_req *req)
{
	struct admin_kv	*kv;
	size_t		 plen, slen, nparams = 0;
	int		 literals = 0;

	while (*pattern == '/' && *path == '/') {
		pattern++;
		path++;
		plen = admin_route_seglen(pattern);
		slen = admin_route_seglen(path);
		if (*pattern == ':') {
			if (slen == 0 || nparams == ADMIN_MAX_PARAMS)
				return (-1);
			if (req != NULL) {
				kv = &req->params[nparams];
				kv->key = xstrndup(pattern + 1, plen - 1);
				kv->value = xstrndup(path, slen);
				req->nparams = nparams + 1;
			}
			nparams++;
		} else {
			if (plen != slen || strncmp(pattern, path, plen) != 0)
				return (-1);
			literals++;
		}
		pattern += plen;
		path += slen;
	}
	if (*pattern != '\0' || *path != '\0')
		return (-1);
	return (literals);
}

int
admin_route_match(const char *pattern, const char *path,
    struct admin_req *req)
{
	int	literals;

	literals = admin_route_walk(pattern, path, NULL);
	if (literals >= 0 && req != NULL) {
		admin_req_clear_params(req);
		admin_route_walk(pattern, path, req);
	}
	return (literals);
}

/* The value stored under name in kv; NULL if absent. */
static const char *
admin_route_kv_lookup(const struct admin_kv *kv, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(kv[i].key, name) == 0)
			return (kv[i].value);
	}
	return (NULL);
}

const char *
admin_req_param(const struct admin_req *req, const char *name)
{
	return (admin_route_kv_lookup(req->params, req->nparams, name));
}

const char *
admin_req_query(const struct admin_req *req, const char *name)
{
	return (admin_route_kv_lookup(req->query, req->nquery, name));
}

void
admin_req_add_query(struct admin_req *req, const char *key,
    const char *value)
{
	if (req->nquery == ADMIN_MAX_QUERY)
		return;
	req->query[req->nquery].key = key;
	req->query[req->nquery].value = value != NULL ? value : "";
	req->nquery++;
}

/* Release what dispatch attached to req; the borrowed strings stay. */
void
admin_req_clear(struct admin_req *req)
{
	admin_req_clear_params(req);
	cJSON_Delete(req->json);
	req->json = NULL;
	req->job = NULL;
}

void
admin_resp_json(struct admin_resp *resp, int status, cJSON *body)
{
	cJSON_Delete(resp->body);
	resp->status = status;
	resp->body = body;
}

void
admin_resp_error(struct admin_resp *resp, int status, const char *fmt, ...)
{
	cJSON	*body, *errors;
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	body = cJSON_CreateObject();
	errors = cJSON_AddArrayToObject(body, "errors");
	cJSON_AddItemToArray(errors, cJSON_CreateString(msg));
	free(msg);
	admin_resp_json(resp, status, body);
}

void
admin_resp_free(struct admin_resp *resp)
{
	cJSON_Delete(resp->body);
	resp->body = NULL;
	free(resp->text);
	resp->text = NULL;
}

/* Nonzero if s is 32 hex digits, the form of a job id. */
static int
admin_route_is_hexid(const char *s)
{
	size_t	i;

	for (i = 0; i < JOB_ID_LEN; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return (0);
	}
	return (s[JOB_ID_LEN] == '\0');
}

struct job *
admin_route_find_job(const struct daemon *d, const char *key)
{
	size_t	i;

	for (i = 0; i < d->njobs; i++) {
		if (admin_route_is_hexid(key) &&
		    strcasecmp(d->jobs[i]->id, key) == 0)
			return (d->jobs[i]);
	}
	for (i = 0; i < d->njobs; i++) {
		if (strcmp(d->jobs[i]->cfg->name, key) == 0)
			return (d->jobs[i]);
	}
	return (NULL);
}

int
admin_route_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const unsigned char	*pa = a, *pb = b;
	unsigned int		 diff = (alen != blen);
	size_t			 i;

	/* Always walk all of a; the loop never exits early. */
	for (i = 0; i < alen; i++)
		diff |= pa[i] ^ (i < blen ? pb[i] : (unsigned char)~pa[i]);
	return (diff == 0);
}

int
admin_route_token_ok(const char *authorization, const char *token)
{
	static const char	 scheme[] = "Bearer ";
	const char		*given;

	if (authorization == NULL || token == NULL ||
	    strncasecmp(authorization, scheme, sizeof scheme - 1) != 0)
		return (0);
	given = authorization + sizeof scheme - 1;
	while (*given == ' ')
		given++;
	return (admin_route_ct_equal(given, strlen(given), token,
	    strlen(token)));
}

/* Nonzero for the methods whose request body is a JSON document. */
static int
admin_route_has_body(const char *method)
{
	return (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	    strcmp(method, "PATCH") == 0);
}

/* Append method to the comma-separated Allow list unless present. */
static void
admin_route_allow(char *allow, size_t size, const char *method)
{
	size_t	len = strlen(method);
	char	*p;

	for (p = allow; (p = strstr(p, method)) != NULL; p += len) {
		if ((p == allow || p[-1] == ' ') &&
		    (p[len] == ',' || p[len] == '\0'))
			return;
	}
	len = strlen(allow);
	snprintf(allow + len, size - len, "%s%s", len != 0 ? ", " : "",
	    method);
}

/*
 * Find the most specific route for req's method and path; NULL if none,
 * with resp->allow naming the methods the path does accept.
 */
static const struct admin_route *
admin_route_find(const struct admin_route *table, size_t n,
    const char *path, struct admin_req *req, struct admin_resp *resp)
{
	const struct admin_route	*best = NULL;
	size_t				 i;
	int				 score, best_score = -1;

	resp->allow[0] = '\0';
	for (i = 0; i < n; i++) {
		if ((score = admin_route_match(table[i].pattern, path,
		    NULL)) < 0)
			continue;
		if (strcmp(table[i].method, req->method) != 0) {
			admin_route_allow(resp->allow, sizeof resp->allow,
			    table[i].method);
			continue;
		}
		if (score > best_score) {
			best = &table[i];
			best_score = score;
		}
	}
	if (best != NULL) {
		resp->allow[0] = '\0';
		admin_route_match(best->pattern, path, req);
	}
	return (best);
}

void
admin_route_dispatch(const struct admin_route *table, size_t n,
    struct admin_req *req, struct admin_resp *resp)
{
	const struct admin_route	*route;
	const char			*path, *jobid;

	path = admin_route_strip_version(req->path);
	if ((route = admin_route_find(table, n, path, req, resp)) == NULL) {
		if (resp->allow[0] != '\0')
			admin_resp_error(resp, 405, "Method %s is not allowed "
			    "for %s; allowed: %s", req->method, req->path,
			    resp->allow);
		else
			admin_resp_error(resp, 404, "Not found: %s", req->path);
		return;
	}
	jobid = admin_req_param(req, "jobid");
	if (jobid != NULL &&
	    (req->job = admin_route_find_job(req->d, jobid)) == NULL) {
		admin_resp_error(resp, 404, "Job %s not found", jobid);
		return;
	}
	if (admin_route_has_body(req->method) && req->body_len > 0) {
		req->json = cJSON_ParseWithLength(req->body, req->body_len);
		if (req->json == NULL) {
			admin_resp_error(resp, 400,
			    "Request body is not valid JSON");
			return;
		}
	}
	resp->status = 200;
	route->handler(req, resp);
}
