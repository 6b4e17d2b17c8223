/*
 * admin-jobs.c: the job endpoints of the admin API, shaped like Flink
 * 1.19's JobIdsWithStatusOverview, JobDetails and JobDetailsInfo.  Each job
 * is one vertex (the Kafka source -> Iceberg sink pipeline) of parallelism
 * one.  JobDetailsInfo also carries bronzed's own "partitions": the
 * consumer's position, committed offset and lag per Kafka partition.
 */
#include <stdlib.h>

#include <cJSON.h>

#include "admin-jobs.h"
#include "admin-route.h"
#include "daemon.h"
#include "job.h"
#include "kafka.h"
#include "stream.h"
#include "xmalloc.h"

enum admin_exec_state {
#define EXEC_STATE(e, upper, lower) ADMIN_EXEC_##e,
#include "tbl/exec-states.h"
#undef EXEC_STATE
	ADMIN_EXEC_COUNT
};

static const char *const admin_jobs_exec_upper[] = {
#define EXEC_STATE(e, upper, lower) upper,
#include "tbl/exec-states.h"
#undef EXEC_STATE
};

static const char *const admin_jobs_exec_lower[] = {
#define EXEC_STATE(e, upper, lower) lower,
#include "tbl/exec-states.h"
#undef EXEC_STATE
};

/* The state of a job's one vertex while the job is in a given state. */
static const enum admin_exec_state admin_jobs_vertex_state[JOB_STATE_COUNT] = {
	[JOB_INITIALIZING] = ADMIN_EXEC_CREATED,
	[JOB_CREATED] = ADMIN_EXEC_CREATED,
	[JOB_RUNNING] = ADMIN_EXEC_RUNNING,
	[JOB_FAILING] = ADMIN_EXEC_CANCELING,
	[JOB_FAILED] = ADMIN_EXEC_FAILED,
	[JOB_CANCELLING] = ADMIN_EXEC_CANCELING,
	[JOB_CANCELED] = ADMIN_EXEC_CANCELED,
	[JOB_FINISHED] = ADMIN_EXEC_FINISHED,
	[JOB_RESTARTING] = ADMIN_EXEC_CREATED,
	[JOB_SUSPENDED] = ADMIN_EXEC_CANCELED,
	[JOB_RECONCILING] = ADMIN_EXEC_RECONCILING,
};

/* Milliseconds from start to end, or to now while end is -1. */
static int64_t
admin_jobs_duration(int64_t start, int64_t end, int64_t now)
{
	if (start < 0)
		return (-1);
	return ((end >= 0 ? end : now) - start);
}

static void
admin_jobs_add_ms(cJSON *obj, const char *key, int64_t ms)
{
	cJSON_AddNumberToObject(obj, key, (double)ms);
}

/* Add start-time, end-time and duration of a span. */
static void
admin_jobs_add_span(cJSON *obj, int64_t start, int64_t end, int64_t now)
{
	admin_jobs_add_ms(obj, "start-time", start);
	admin_jobs_add_ms(obj, "end-time", end);
	admin_jobs_add_ms(obj, "duration", admin_jobs_duration(start, end,
	    now));
}

/*
 * A map from every execution state to count for state cur and 0 for the
 * others: upper-case keys, or lower-case keys after a "total".
 */
static cJSON *
admin_jobs_exec_counts(enum admin_exec_state cur, int count, int upper)
{
	cJSON	*obj = cJSON_CreateObject();
	int	 i;

	if (!upper)
		cJSON_AddNumberToObject(obj, "total", count);
	for (i = 0; i < ADMIN_EXEC_COUNT; i++) {
		cJSON_AddNumberToObject(obj, upper ? admin_jobs_exec_upper[i] :
		    admin_jobs_exec_lower[i], i == (int)cur ? count : 0);
	}
	return (obj);
}

static enum admin_exec_state
admin_jobs_exec_state(const struct job *job)
{
	return (admin_jobs_vertex_state[job->state]);
}

/* The 32-hex id of a job's vertex, stable like the job id. */
static void
admin_jobs_vertex_id(const struct job *job, char out[JOB_ID_LEN + 1])
{
	char	*seed = xasprintf("%s/vertex", job->cfg->name);

	job_id_from_name(seed, out);
	free(seed);
}

static char *
admin_jobs_vertex_name(const struct job *job)
{
	return (xasprintf("Source: kafka %s -> Sink: iceberg %s",
	    job->cfg->topic, job->cfg->table));
}

/* One JobDetails object, as in /jobs/overview. */
static cJSON *
admin_jobs_details_short(const struct job *job, int64_t now)
{
	cJSON	*obj = cJSON_CreateObject();

	cJSON_AddStringToObject(obj, "jid", job->id);
	cJSON_AddStringToObject(obj, "name", job->cfg->name);
	cJSON_AddStringToObject(obj, "state", job_state_name(job->state));
	admin_jobs_add_span(obj, job->start_time_ms, job->end_time_ms, now);
	admin_jobs_add_ms(obj, "last-modification",
	    job->last_modification_ms);
	cJSON_AddItemToObject(obj, "tasks",
	    admin_jobs_exec_counts(admin_jobs_exec_state(job), 1, 0));
	return (obj);
}

void
admin_jobs_list(struct admin_req *req, struct admin_resp *resp)
{
	cJSON	*body = cJSON_CreateObject(), *jobs, *obj;
	size_t	 i;

	jobs = cJSON_AddArrayToObject(body, "jobs");
	for (i = 0; i < req->d->njobs; i++) {
		obj = cJSON_CreateObject();
		cJSON_AddStringToObject(obj, "id", req->d->jobs[i]->id);
		cJSON_AddStringToObject(obj, "status",
		    job_state_name(req->d->jobs[i]->state));
		cJSON_AddItemToArray(jobs, obj);
	}
	admin_resp_json(resp, 200, body);
}

void
admin_jobs_details_all(struct admin_req *req, struct admin_resp *resp)
{
	cJSON	*body = cJSON_CreateObject(), *jobs;
	int64_t	 now = daemon_now_ms();
	size_t	 i;

	jobs = cJSON_AddArrayToObject(body, "jobs");
	for (i = 0; i < req->d->njobs; i++) {
		cJSON_AddItemToArray(jobs,
		    admin_jobs_details_short(req->d->jobs[i], now));
	}
	admin_resp_json(resp, 200, body);
}

/* Flink's IOMetricsInfo; the counters arrive with the streaming core. */
static cJSON *
admin_jobs_io_metrics(void)
{
	static const char *const counters[] = {
		"read-bytes", "write-bytes", "read-records", "write-records"
	};
	cJSON	*obj = cJSON_CreateObject();
	char	*complete;
	size_t	 i;

	for (i = 0; i < sizeof counters / sizeof counters[0]; i++) {
		cJSON_AddNumberToObject(obj, counters[i], 0);
		complete = xasprintf("%s-complete", counters[i]);
		cJSON_AddTrueToObject(obj, complete);
		free(complete);
	}
	cJSON_AddNumberToObject(obj, "accumulated-backpressured-time", 0);
	cJSON_AddNumberToObject(obj, "accumulated-idle-time", 0);
	cJSON_AddNumberToObject(obj, "accumulated-busy-time", 0);
	return (obj);
}

/* The job's one JobDetailsVertexInfo. */
static cJSON *
admin_jobs_vertex(const struct job *job, int64_t now)
{
	cJSON	*obj = cJSON_CreateObject();
	char	 id[JOB_ID_LEN + 1], *name;
	int64_t	 start;

	admin_jobs_vertex_id(job, id);
	name = admin_jobs_vertex_name(job);
	cJSON_AddStringToObject(obj, "id", id);
	cJSON_AddStringToObject(obj, "name", name);
	free(name);
	cJSON_AddNumberToObject(obj, "maxParallelism", 1);
	cJSON_AddNumberToObject(obj, "parallelism", 1);
	cJSON_AddStringToObject(obj, "status",
	    admin_jobs_exec_upper[admin_jobs_exec_state(job)]);
	start = job->state_times_ms[JOB_RUNNING];
	admin_jobs_add_span(obj, start > 0 ? start : -1,
	    start > 0 ? job->end_time_ms : -1, now);
	cJSON_AddItemToObject(obj, "tasks",
	    admin_jobs_exec_counts(admin_jobs_exec_state(job), 1, 1));
	cJSON_AddItemToObject(obj, "metrics", admin_jobs_io_metrics());
	return (obj);
}

/* The job's plan: one streaming node per vertex. */
static cJSON *
admin_jobs_plan(const struct job *job)
{
	cJSON	*plan = cJSON_CreateObject(), *nodes, *node;
	char	 id[JOB_ID_LEN + 1], *name;

	cJSON_AddStringToObject(plan, "jid", job->id);
	cJSON_AddStringToObject(plan, "name", job->cfg->name);
	cJSON_AddStringToObject(plan, "type", "STREAMING");
	nodes = cJSON_AddArrayToObject(plan, "nodes");
	node = cJSON_CreateObject();
	admin_jobs_vertex_id(job, id);
	name = admin_jobs_vertex_name(job);
	cJSON_AddStringToObject(node, "id", id);
	cJSON_AddNumberToObject(node, "parallelism", 1);
	cJSON_AddStringToObject(node, "operator", "");
	cJSON_AddStringToObject(node, "operator_strategy", "");
	cJSON_AddStringToObject(node, "description", name);
	cJSON_AddObjectToObject(node, "optimizer_properties");
	free(name);
	cJSON_AddItemToArray(nodes, node);
	return (plan);
}

/* When the job entered each JobStatus (0 = never). */
static cJSON *
admin_jobs_timestamps(const struct job *job)
{
	cJSON	*obj = cJSON_CreateObject();
	int	 s;

	for (s = 0; s < JOB_STATE_COUNT; s++) {
		admin_jobs_add_ms(obj, job_state_name((enum job_state)s),
		    job->state_times_ms[s]);
	}
	return (obj);
}

/*
 * [{"partition","offset","committed","high","lag"}] of the partitions the
 * job consumes (offset: the next to read; -1: not known yet).
 */
static cJSON *
admin_jobs_partitions(const struct job *job)
{
	struct kafka_position	*pos = NULL;
	cJSON			*a = cJSON_CreateArray(), *o;
	size_t			 i, n = 0;

	if (job->stream != NULL)
		n = stream_positions(job->stream, &pos);
	for (i = 0; i < n; i++) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "partition", pos[i].partition);
		cJSON_AddNumberToObject(o, "offset", (double)pos[i].next);
		cJSON_AddNumberToObject(o, "committed",
		    (double)pos[i].committed);
		cJSON_AddNumberToObject(o, "high", (double)pos[i].high);
		cJSON_AddNumberToObject(o, "lag", (double)pos[i].lag);
		cJSON_AddItemToArray(a, o);
	}
	free(pos);
	return (a);
}

void
admin_jobs_details(struct admin_req *req, struct admin_resp *resp)
{
	const struct job	*job = req->job;
	cJSON			*body = cJSON_CreateObject(), *vertices;
	int64_t			 now = daemon_now_ms();

	cJSON_AddStringToObject(body, "jid", job->id);
	cJSON_AddStringToObject(body, "name", job->cfg->name);
	cJSON_AddFalseToObject(body, "isStoppable");
	cJSON_AddStringToObject(body, "state", job_state_name(job->state));
	admin_jobs_add_span(body, job->start_time_ms, job->end_time_ms, now);
	cJSON_AddNumberToObject(body, "maxParallelism", -1);
	admin_jobs_add_ms(body, "now", now);
	cJSON_AddItemToObject(body, "timestamps", admin_jobs_timestamps(job));
	vertices = cJSON_AddArrayToObject(body, "vertices");
	cJSON_AddItemToArray(vertices, admin_jobs_vertex(job, now));
	cJSON_AddItemToObject(body, "status-counts",
	    admin_jobs_exec_counts(admin_jobs_exec_state(job), 1, 1));
	cJSON_AddItemToObject(body, "plan", admin_jobs_plan(job));
	cJSON_AddItemToObject(body, "partitions", admin_jobs_partitions(job));
	admin_resp_json(resp, 200, body);
}

void
admin_jobs_status(struct admin_req *req, struct admin_resp *resp)
{
	cJSON	*body = cJSON_CreateObject();

	cJSON_AddStringToObject(body, "status",
	    job_state_name(req->job->state));
	admin_resp_json(resp, 200, body);
}
