/*
 * admin-metrics.c: the metrics endpoints of the admin API (see
 * admin-metrics.h); values come from metrics.c.
 */
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "admin-cluster.h"
#include "admin-metrics.h"
#include "admin-route.h"
#include "daemon.h"
#include "job.h"
#include "metrics.h"
#include "xmalloc.h"

const struct admin_route admin_metrics_routes[] = {
	{ "GET", "/metrics", admin_metrics_prometheus },
	{ "GET", "/healthz", admin_cluster_healthz },
};
const size_t admin_metrics_nroutes =
    sizeof admin_metrics_routes / sizeof admin_metrics_routes[0];

void
admin_metrics_prometheus(struct admin_req *req, struct admin_resp *resp)
{
	if (req->d->metrics == NULL) {
		admin_resp_error(resp, 503, "Metrics are not available.");
		return;
	}
	resp->status = 200;
	resp->text = metrics_render(req->d->metrics);
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

/* Is name in the comma-separated list (NULL: every name)? */
static int
admin_metrics_listed(const char *list, const char *name)
{
	size_t		 n = strlen(name);
	const char	*p = list;

	if (list == NULL)
		return (1);
	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' ||
		    p[n] == '\0'))
			return (1);
		p += n;
	}
	return (0);
}

/* [{"id":...}] of every job metric, for a request without ?get=. */
static cJSON *
admin_metrics_ids(void)
{
	cJSON	*a = cJSON_CreateArray(), *o;
	size_t	 i;

	for (i = 0; metrics_job_names[i] != NULL; i++) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", metrics_job_names[i]);
		cJSON_AddItemToArray(a, o);
	}
	return (a);
}

/* min, max, sum, avg of one metric over the selected jobs. */
static cJSON *
admin_metrics_aggregate(struct admin_req *req, const char *name)
{
	const char	*agg = admin_req_query(req, "agg");
	const char	*jobs = admin_req_query(req, "jobs");
	struct job	*job;
	cJSON		*o = cJSON_CreateObject();
	double		 v, min = 0, max = 0, sum = 0;
	size_t		 i, n = 0;
	char		*text;

	for (i = 0; i < req->d->njobs; i++) {
		job = req->d->jobs[i];
		if (!admin_metrics_listed(jobs, job->id))
			continue;
		text = metrics_job_value(req->d->metrics, job, name);
		v = strtod(text, NULL);
		free(text);
		min = n == 0 || v < min ? v : min;
		max = n == 0 || v > max ? v : max;
		sum += v;
		n++;
	}
	cJSON_AddStringToObject(o, "id", name);
	if (admin_metrics_listed(agg, "min"))
		cJSON_AddNumberToObject(o, "min", min);
	if (admin_metrics_listed(agg, "max"))
		cJSON_AddNumberToObject(o, "max", max);
	if (admin_metrics_listed(agg, "avg"))
		cJSON_AddNumberToObject(o, "avg", n ? sum / (double)n : 0);
	if (admin_metrics_listed(agg, "sum"))
		cJSON_AddNumberToObject(o, "sum", sum);
	return (o);
}

/* One job's value of a metric, as Flink's {"id","value":"string"}. */
static cJSON *
admin_metrics_value(struct admin_req *req, const char *name)
{
	cJSON	*o = cJSON_CreateObject();
	char	*v = metrics_job_value(req->d->metrics, req->job, name);

	cJSON_AddStringToObject(o, "id", name);
	cJSON_AddStringToObject(o, "value", v);
	free(v);
	return (o);
}

/* The ids, or one item per ?get= metric built by item. */
static void
admin_metrics_answer(struct admin_req *req, struct admin_resp *resp,
    cJSON *(*item)(struct admin_req *, const char *))
{
	const char	*get = admin_req_query(req, "get");
	cJSON		*a;
	size_t		 i;

	if (get == NULL || req->d->metrics == NULL) {
		admin_resp_json(resp, 200, admin_metrics_ids());
		return;
	}
	a = cJSON_CreateArray();
	for (i = 0; metrics_job_names[i] != NULL; i++) {
		if (admin_metrics_listed(get, metrics_job_names[i]))
			cJSON_AddItemToArray(a, item(req, metrics_job_names[i]));
	}
	admin_resp_json(resp, 200, a);
}

void
admin_metrics_job(struct admin_req *req, struct admin_resp *resp)
{
	admin_metrics_answer(req, resp, admin_metrics_value);
}

void
admin_metrics_jobs(struct admin_req *req, struct admin_resp *resp)
{
	admin_metrics_answer(req, resp, admin_metrics_aggregate);
}
