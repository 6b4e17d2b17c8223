/*
 * admin-ckpt.c: checkpoints, savepoints, stop, cancel and exceptions on
 * the admin API (see admin-ckpt.h).  Triggers answer 202 with a request
 * id at once; the stream fills the operation in as the checkpoint (and a
 * savepoint's _metadata) completes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "admin-ckpt.h"
#include "admin-route.h"
#include "config.h"
#include "daemon.h"
#include "dispose.h"
#include "job.h"
#include "json.h"
#include "savepoint.h"
#include "state.h"
#include "stream.h"
#include "xmalloc.h"

static const char *const admin_ckpt_status_names[] = {
	"IN_PROGRESS", "COMPLETED", "FAILED"
};
static const char *const admin_ckpt_class_names[] = {
	"in_progress", "completed", "failed"
};

static void
admin_ckpt_num(cJSON *obj, const char *key, double v)
{
	cJSON_AddNumberToObject(obj, key, v);
}

static int64_t
admin_ckpt_duration(const struct job_checkpoint *cp)
{
	int64_t	end = cp->end_ms > 0 ? cp->end_ms : daemon_now_ms();

	return (end > cp->trigger_ms ? end - cp->trigger_ms : 0);
}

/* One CheckpointStatistics object. */
static cJSON *
admin_ckpt_one(const struct job_checkpoint *cp)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "className",
	    admin_ckpt_class_names[cp->status]);
	admin_ckpt_num(o, "id", (double)cp->id);
	cJSON_AddStringToObject(o, "status",
	    admin_ckpt_status_names[cp->status]);
	cJSON_AddBoolToObject(o, "is_savepoint", cp->is_savepoint);
	if (cp->is_savepoint)
		cJSON_AddStringToObject(o, "savepointFormat", "CANONICAL");
	else
		cJSON_AddNullToObject(o, "savepointFormat");
	admin_ckpt_num(o, "trigger_timestamp", (double)cp->trigger_ms);
	admin_ckpt_num(o, "latest_ack_timestamp", (double)(cp->end_ms > 0 ?
	    cp->end_ms : cp->trigger_ms));
	admin_ckpt_num(o, "checkpointed_size", (double)cp->size);
	admin_ckpt_num(o, "state_size", (double)cp->size);
	admin_ckpt_num(o, "end_to_end_duration",
	    (double)admin_ckpt_duration(cp));
	admin_ckpt_num(o, "alignment_buffered", 0);
	admin_ckpt_num(o, "processed_data", (double)cp->records);
	admin_ckpt_num(o, "persisted_data", (double)cp->size);
	admin_ckpt_num(o, "num_subtasks", 1);
	admin_ckpt_num(o, "num_acknowledged_subtasks",
	    cp->status == JOB_CKPT_COMPLETED ? 1 : 0);
	cJSON_AddStringToObject(o, "checkpoint_type", cp->is_savepoint ?
	    "SAVEPOINT" : "CHECKPOINT");
	cJSON_AddObjectToObject(o, "tasks");
	if (cp->status == JOB_CKPT_COMPLETED) {
		cJSON_AddNullToObject(o, "external_path");
		cJSON_AddFalseToObject(o, "discarded");
	} else if (cp->status == JOB_CKPT_FAILED) {
		admin_ckpt_num(o, "failure_timestamp", (double)cp->end_ms);
		cJSON_AddStringToObject(o, "failure_message", cp->failure);
	}
	/* bronzed's own: what the checkpoint committed */
	admin_ckpt_num(o, "records", (double)cp->records);
	admin_ckpt_num(o, "files", (double)cp->files);
	if (cp->snapshot_id != 0) {
		char id[24];

		snprintf(id, sizeof id, "%lld", (long long)cp->snapshot_id);
		cJSON_AddStringToObject(o, "snapshot_id", id);
	}
	return (o);
}

static int
admin_ckpt_cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

/* {min,max,avg,p50,...} over n values (sorted here). */
static cJSON *
admin_ckpt_summary(double *v, size_t n)
{
	static const struct { const char *k; double q; } qs[] = {
		{ "p50", .50 }, { "p90", .90 }, { "p95", .95 },
		{ "p99", .99 }, { "p999", .999 }
	};
	cJSON	*o = cJSON_CreateObject();
	double	 sum = 0;
	size_t	 i;

	qsort(v, n, sizeof *v, admin_ckpt_cmp);
	for (i = 0; i < n; i++)
		sum += v[i];
	admin_ckpt_num(o, "min", n ? v[0] : 0);
	admin_ckpt_num(o, "max", n ? v[n - 1] : 0);
	admin_ckpt_num(o, "avg", n ? sum / (double)n : 0);
	for (i = 0; i < sizeof qs / sizeof qs[0]; i++)
		admin_ckpt_num(o, qs[i].k, n ? v[(size_t)(qs[i].q *
		    (double)(n - 1))] : 0);
	return (o);
}

static cJSON *
admin_ckpt_summaries(const struct job *job)
{
	cJSON	*o = cJSON_CreateObject();
	double	 size[JOB_HISTORY], dur[JOB_HISTORY], zero[JOB_HISTORY];
	size_t	 i, n = 0;

	for (i = 0; i < job->nhistory; i++) {
		if (job->history[i].status != JOB_CKPT_COMPLETED)
			continue;
		size[n] = (double)job->history[i].size;
		dur[n] = (double)admin_ckpt_duration(&job->history[i]);
		zero[n++] = 0;
	}
	cJSON_AddItemToObject(o, "checkpointed_size",
	    admin_ckpt_summary(size, n));
	memcpy(zero, size, n * sizeof *size);
	cJSON_AddItemToObject(o, "state_size", admin_ckpt_summary(zero, n));
	cJSON_AddItemToObject(o, "end_to_end_duration",
	    admin_ckpt_summary(dur, n));
	memset(zero, 0, sizeof zero);
	cJSON_AddItemToObject(o, "alignment_buffered",
	    admin_ckpt_summary(zero, n));
	cJSON_AddItemToObject(o, "processed_data", admin_ckpt_summary(zero, n));
	cJSON_AddItemToObject(o, "persisted_data", admin_ckpt_summary(zero, n));
	return (o);
}

/* The newest savepoint in the history, or NULL. */
static const struct job_checkpoint *
admin_ckpt_last_savepoint(const struct job *job)
{
	size_t	i;

	for (i = 0; i < job->nhistory; i++)
		if (job->history[i].is_savepoint &&
		    job->history[i].status == JOB_CKPT_COMPLETED)
			return (&job->history[i]);
	return (NULL);
}

static void
admin_ckpt_add_or_null(cJSON *o, const char *key,
    const struct job_checkpoint *cp)
{
	if (cp != NULL && cp->id != 0)
		cJSON_AddItemToObject(o, key, admin_ckpt_one(cp));
	else
		cJSON_AddNullToObject(o, key);
}

void
admin_ckpt_stats(struct admin_req *req, struct admin_resp *resp)
{
	const struct job	*job = req->job;
	cJSON			*body = cJSON_CreateObject(), *c, *l, *h;
	size_t			 i;
	int			 inprog = job->nhistory > 0 &&
				    job->history[0].status ==
				    JOB_CKPT_IN_PROGRESS;

	c = cJSON_AddObjectToObject(body, "counts");
	admin_ckpt_num(c, "restored", 0);
	admin_ckpt_num(c, "total", (double)(job->ckpt_completed +
	    job->ckpt_failed + (uint64_t)inprog));
	admin_ckpt_num(c, "in_progress", inprog);
	admin_ckpt_num(c, "completed", (double)job->ckpt_completed);
	admin_ckpt_num(c, "failed", (double)job->ckpt_failed);
	cJSON_AddItemToObject(body, "summary", admin_ckpt_summaries(job));
	l = cJSON_AddObjectToObject(body, "latest");
	admin_ckpt_add_or_null(l, "completed", &job->last_completed);
	admin_ckpt_add_or_null(l, "savepoint", admin_ckpt_last_savepoint(job));
	admin_ckpt_add_or_null(l, "failed", &job->last_failed);
	cJSON_AddNullToObject(l, "restored");
	h = cJSON_AddArrayToObject(body, "history");
	for (i = 0; i < job->nhistory; i++)
		cJSON_AddItemToArray(h, admin_ckpt_one(&job->history[i]));
	admin_resp_json(resp, 200, body);
}

void
admin_ckpt_config(struct admin_req *req, struct admin_resp *resp)
{
	const struct config	*cfg = req->d->cfg;
	cJSON			*o = cJSON_CreateObject(), *e;

	cJSON_AddStringToObject(o, "mode", "exactly_once");
	admin_ckpt_num(o, "interval", (double)cfg->checkpoint_interval_ms);
	admin_ckpt_num(o, "timeout", (double)cfg->checkpoint_timeout_ms);
	admin_ckpt_num(o, "min_pause", 0);
	admin_ckpt_num(o, "max_concurrent", 1);
	e = cJSON_AddObjectToObject(o, "externalization");
	cJSON_AddFalseToObject(e, "enabled");
	cJSON_AddTrueToObject(e, "delete_on_cancellation");
	cJSON_AddStringToObject(o, "state_backend", "IcebergTableOffsets");
	cJSON_AddStringToObject(o, "checkpoint_storage", "IcebergSnapshots");
	cJSON_AddFalseToObject(o, "unaligned_checkpoints");
	admin_ckpt_num(o, "tolerable_failed_checkpoints", 0);
	admin_ckpt_num(o, "aligned_checkpoint_timeout", 0);
	cJSON_AddFalseToObject(o, "checkpoints_after_tasks_finish");
	cJSON_AddFalseToObject(o, "state_changelog_enabled");
	admin_resp_json(resp, 200, o);
}

void
admin_ckpt_details(struct admin_req *req, struct admin_resp *resp)
{
	const struct job	*job = req->job;
	const char		*arg = admin_req_param(req, "checkpointid");
	char			*end;
	unsigned long long	 id = strtoull(arg, &end, 10);
	size_t			 i;

	for (i = 0; *end == '\0' && i < job->nhistory; i++) {
		if (job->history[i].id == id) {
			admin_resp_json(resp, 200,
			    admin_ckpt_one(&job->history[i]));
			return;
		}
	}
	admin_resp_error(resp, 404, "Could not find checkpointing statistics "
	    "for checkpoint %s.", arg);
}

void
admin_ckpt_accepted(struct admin_resp *resp, const struct job_operation *op,
    int status)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "request-id", op->trigger_id);
	admin_resp_json(resp, status, o);
}

/* A new operation started on the job's stream, or an error reply. */
static struct job_operation *
admin_ckpt_start(struct admin_req *req, struct admin_resp *resp,
    enum job_op_kind kind, char *target, int then)
{
	struct job		*job = req->job;
	struct job_operation	*op;
	char			*cause = NULL;

	if (job->stream == NULL || job->state != JOB_RUNNING) {
		admin_resp_error(resp, 409, "Job %s is %s, not RUNNING.",
		    job->id, job_state_name(job->state));
		free(target);
		return (NULL);
	}
	if ((op = job_op_new(job, kind, daemon_now_ms())) == NULL) {
		admin_resp_error(resp, 429, "Too many operations in progress "
		    "for job %s.", job->id);
		free(target);
		return (NULL);
	}
	op->target = target;
	op->then = then;
	if (stream_trigger(job->stream, op, &cause) == -1) {
		job_op_finish(op, cause, NULL);
		admin_resp_error(resp, 409, "%s", cause);
		free(cause);
		return (NULL);
	}
	admin_ckpt_accepted(resp, op, 202);
	return (op);
}

void
admin_ckpt_trigger(struct admin_req *req, struct admin_resp *resp)
{
	(void)admin_ckpt_start(req, resp, JOB_OP_CHECKPOINT, NULL,
	    JOB_OP_THEN_NONE);
}

/* {"class","stack-trace"} as Flink's SerializedThrowable. */
cJSON *
admin_ckpt_throwable(const char *msg)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "class", "org.bronzed.CheckpointException");
	cJSON_AddStringToObject(o, "stack-trace", msg);
	cJSON_AddStringToObject(o, "serialized-throwable", "");
	return (o);
}

cJSON *
admin_ckpt_op_result(const struct job_operation *op, const char *failure_key,
    cJSON **done)
{
	cJSON	*body = cJSON_CreateObject(), *st, *o;

	*done = NULL;
	st = cJSON_AddObjectToObject(body, "status");
	cJSON_AddStringToObject(st, "id", op->done ? "COMPLETED" :
	    "IN_PROGRESS");
	if (!op->done) {
		cJSON_AddNullToObject(body, "operation");
		return (body);
	}
	o = cJSON_AddObjectToObject(body, "operation");
	if (op->failure != NULL)
		cJSON_AddItemToObject(o, failure_key,
		    admin_ckpt_throwable(op->failure));
	else
		*done = o;
	return (body);
}

/* The AsynchronousOperationResult of trigger ":triggerid", or 404. */
static void
admin_ckpt_op_status(struct admin_req *req, struct admin_resp *resp,
    enum job_op_kind kind)
{
	const char		*t = admin_req_param(req, "triggerid");
	struct job_operation	*op = job_op_find(req->job, t);
	cJSON			*body, *o;
	char			*loc;

	if (op == NULL || op->kind != kind) {
		admin_resp_error(resp, 404, "There is no %s operation with "
		    "triggerId=%s for job %s.", kind == JOB_OP_SAVEPOINT ?
		    "savepoint" : kind == JOB_OP_RESTORE ? "restore" :
		    "checkpoint", t, req->job->id);
		return;
	}
	body = admin_ckpt_op_result(op, kind != JOB_OP_CHECKPOINT ?
	    "failure-cause" : "failureCause", &o);
	if (o != NULL && kind == JOB_OP_CHECKPOINT)
		admin_ckpt_num(o, "checkpointId", (double)op->checkpoint_id);
	else if (o != NULL) {
		/* Flink's qualified form for local paths: file:/dir */
		loc = op->location[0] == '/' ? xasprintf("file:%s",
		    op->location) : xstrdup(op->location);
		cJSON_AddStringToObject(o, "location", loc);
		free(loc);
	}
	admin_resp_json(resp, 200, body);
}

void
admin_ckpt_status(struct admin_req *req, struct admin_resp *resp)
{
	admin_ckpt_op_status(req, resp, JOB_OP_CHECKPOINT);
}

void
admin_ckpt_savepoint_status(struct admin_req *req, struct admin_resp *resp)
{
	admin_ckpt_op_status(req, resp, JOB_OP_SAVEPOINT);
}

/*
 * The savepoint target from body[key], else <state.dir>/savepoints; NULL
 * after a 400 reply.
 */
static char *
admin_ckpt_target(struct admin_req *req, struct admin_resp *resp,
    const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(req->json, key);
	char		*target, *cause = NULL;

	if (v != NULL && !cJSON_IsNull(v) && !cJSON_IsString(v)) {
		admin_resp_error(resp, 400, "Property [%s] must be a string.",
		    key);
		return (NULL);
	}
	if (cJSON_IsString(v))
		target = xstrdup(v->valuestring);
	else
		target = xasprintf("%s/savepoints", req->d->cfg->state_dir);
	if (savepoint_check_target(target, &cause) == -1) {
		admin_resp_error(resp, 400, "Property [%s]: %s.", key, cause);
		free(cause);
		free(target);
		return (NULL);
	}
	return (target);
}

void
admin_ckpt_savepoint(struct admin_req *req, struct admin_resp *resp)
{
	const cJSON	*cancel = cJSON_GetObjectItemCaseSensitive(req->json,
			    "cancel-job");
	char		*target;

	if (cancel != NULL && !cJSON_IsBool(cancel)) {
		admin_resp_error(resp, 400, "Property [cancel-job] must be a "
		    "boolean.");
		return;
	}
	if ((target = admin_ckpt_target(req, resp, "target-directory")) == NULL)
		return;
	(void)admin_ckpt_start(req, resp, JOB_OP_SAVEPOINT, target,
	    cJSON_IsTrue(cancel) ? JOB_OP_THEN_CANCEL : JOB_OP_THEN_NONE);
}

void
admin_ckpt_stop(struct admin_req *req, struct admin_resp *resp)
{
	char	*target;

	if ((target = admin_ckpt_target(req, resp, "targetDirectory")) == NULL)
		return;
	(void)admin_ckpt_start(req, resp, JOB_OP_SAVEPOINT, target,
	    JOB_OP_THEN_STOP);
}

void
admin_ckpt_restore(struct admin_req *req, struct admin_resp *resp)
{
	const cJSON		*path, *allow;
	struct job		*job = req->job;
	struct job_operation	*op;
	char			*cause = NULL;

	path = cJSON_GetObjectItemCaseSensitive(req->json, "savepointPath");
	allow = cJSON_GetObjectItemCaseSensitive(req->json, "allowDuplicates");
	if (!cJSON_IsString(path) || (allow != NULL && !cJSON_IsBool(allow))) {
		admin_resp_error(resp, 400, "Body: {\"savepointPath\": "
		    "string, \"allowDuplicates\": boolean (optional)}.");
		return;
	}
	if (savepoint_check_target(path->valuestring, &cause) == -1) {
		admin_resp_error(resp, 400, "Property [savepointPath]: %s.",
		    cause);
		free(cause);
		return;
	}
	if (job->stream == NULL) {
		admin_resp_error(resp, 409, "Job %s has no runtime.", job->id);
		return;
	}
	if ((op = job_op_new(job, JOB_OP_RESTORE, daemon_now_ms())) == NULL) {
		admin_resp_error(resp, 429, "Too many operations in progress "
		    "for job %s.", job->id);
		return;
	}
	if (stream_restore(job->stream, path->valuestring, cJSON_IsTrue(allow),
	    op, &cause) == -1) {
		job_op_finish(op, cause, NULL);
		admin_resp_error(resp, 409, "%s", cause);
		free(cause);
		return;
	}
	admin_ckpt_accepted(resp, op, 202);
}

void
admin_ckpt_restore_status(struct admin_req *req, struct admin_resp *resp)
{
	admin_ckpt_op_status(req, resp, JOB_OP_RESTORE);
}

void
admin_ckpt_cancel(struct admin_req *req, struct admin_resp *resp)
{
	const char	*mode = admin_req_query(req, "mode");
	struct job	*job = req->job;

	if (mode != NULL && strcmp(mode, "cancel") != 0) {
		admin_resp_error(resp, 400, "Unsupported mode %s: use "
		    "POST /jobs/%s/stop to stop with a savepoint.", mode,
		    job->id);
		return;
	}
	if (job_state_is_terminal(job->state)) {
		admin_resp_error(resp, 409, "Job %s is already %s.", job->id,
		    job_state_name(job->state));
		return;
	}
	if (job->stream != NULL)
		stream_cancel(job->stream);
	else
		job_set_state(job, JOB_CANCELED, daemon_now_ms());
	admin_resp_json(resp, 202, cJSON_CreateObject());
}

static int
admin_ckpt_sp_each_cb(const char *key, const void *val, size_t len, void *arg)
{
	cJSON	*list = arg, *o;
	char	*cause = NULL;

	if ((o = json_parse(val, len, &cause)) == NULL) {
		free(cause);
		return (0);		/* a damaged entry: skip it */
	}
	cJSON_InsertItemInArray(list, 0, o);	/* newest first */
	return (0);
}

/* GET /jobs/:jobid/savepoints: the savepoints indexed in the state store. */
void
admin_ckpt_savepoints(struct admin_req *req, struct admin_resp *resp)
{
	cJSON	*body = cJSON_CreateObject(), *list;
	char	*prefix, *cause = NULL;

	list = cJSON_AddArrayToObject(body, "savepoints");
	prefix = xasprintf("savepoint/%s/", req->job->id);
	if (req->d->state != NULL && state_each(req->d->state, prefix,
	    admin_ckpt_sp_each_cb, list, &cause) == -1) {
		admin_resp_error(resp, 500, "state store: %s", cause);
		free(cause);
		free(prefix);
		cJSON_Delete(body);
		return;
	}
	free(prefix);
	admin_resp_json(resp, 200, body);
}

void
admin_ckpt_exceptions(struct admin_req *req, struct admin_resp *resp)
{
	const struct job	*job = req->job;
	const char		*max = admin_req_query(req, "maxExceptions");
	cJSON			*body = cJSON_CreateObject(), *h, *a, *e;
	size_t			 i, n = job->nexceptions;
	long			 m;

	if (max != NULL && (m = strtol(max, NULL, 10)) >= 0 &&
	    (size_t)m < n)
		n = (size_t)m;
	if (job->nexceptions > 0) {
		cJSON_AddStringToObject(body, "root-exception",
		    job->exceptions[0].message);
		admin_ckpt_num(body, "timestamp",
		    (double)job->exceptions[0].timestamp_ms);
	} else {
		cJSON_AddNullToObject(body, "root-exception");
		cJSON_AddNullToObject(body, "timestamp");
	}
	cJSON_AddArrayToObject(body, "all-exceptions");
	cJSON_AddFalseToObject(body, "truncated");
	h = cJSON_AddObjectToObject(body, "exceptionHistory");
	a = cJSON_AddArrayToObject(h, "entries");
	for (i = 0; i < n; i++) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "exceptionName",
		    job->exceptions[i].name);
		cJSON_AddStringToObject(e, "stacktrace",
		    job->exceptions[i].message);
		admin_ckpt_num(e, "timestamp",
		    (double)job->exceptions[i].timestamp_ms);
		cJSON_AddObjectToObject(e, "failureLabels");
		cJSON_AddArrayToObject(e, "concurrentExceptions");
		cJSON_AddItemToArray(a, e);
	}
	cJSON_AddBoolToObject(h, "truncated", n < job->nexceptions);
	admin_resp_json(resp, 200, body);
}

/* POST /savepoint-disposal {"savepoint-path": ...}: 200 and a request id. */
void
admin_ckpt_dispose(struct admin_req *req, struct admin_resp *resp)
{
	const cJSON		*path;
	struct job_operation	*op;
	char			*cause = NULL;

	path = cJSON_GetObjectItemCaseSensitive(req->json, "savepoint-path");
	if (!cJSON_IsString(path)) {
		admin_resp_error(resp, 400, "Body: {\"savepoint-path\": "
		    "string}.");
		return;
	}
	if (req->d->dispose == NULL) {
		admin_resp_error(resp, 503, "Not ready: the catalog and "
		    "storage are not open yet.");
		return;
	}
	if ((op = dispose_start(req->d->dispose, path->valuestring,
	    &cause)) == NULL) {
		admin_resp_error(resp, 400, "Property [savepoint-path]: %s.",
		    cause);
		free(cause);
		return;
	}
	admin_ckpt_accepted(resp, op, 200);
}

/* GET /savepoint-disposal/:triggerid: {"status":..,"operation":{}}. */
void
admin_ckpt_dispose_status(struct admin_req *req, struct admin_resp *resp)
{
	const char		*t = admin_req_param(req, "triggerid");
	struct job_operation	*op = NULL;
	cJSON			*body, *o;

	if (req->d->dispose != NULL)
		op = dispose_find(req->d->dispose, t);
	if (op == NULL) {
		admin_resp_error(resp, 404, "There is no savepoint disposal "
		    "with triggerId=%s.", t);
		return;
	}
	body = admin_ckpt_op_result(op, "failure-cause", &o);
	admin_resp_json(resp, 200, body);	/* success: "operation": {} */
}
