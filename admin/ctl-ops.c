/*
 * ctl-ops.c: checkpoint, savepoint, stop and cancel (see ctl-ops.h).  A
 * trigger answers a request id; the command then polls the operation's
 * status, printing a dot a second on a terminal, until it completes or
 * the wait (CTL_OPS_WAIT_S) runs out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "ctl-http.h"
#include "ctl-ops.h"
#include "xmalloc.h"

#define CTL_OPS_WAIT_S	600
#define CTL_OPS_POLL_MS	250

/* The JSON string of key in obj, or NULL. */
static const char *
ctl_ops_str(const cJSON *obj, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return (cJSON_IsString(v) ? v->valuestring : NULL);
}

/* POST body to path; 0 and the request id (heap), or an exit status. */
static int
ctl_ops_trigger(const struct ctl *ctl, const char *path, const char *body,
    char **id)
{
	struct ctl_reply	 reply;
	const char		*rid;
	int			 rc;

	if ((rc = ctl_http_request(ctl, "POST", path, body, &reply)) != 0)
		return (rc);
	rid = ctl_ops_str(reply.json, "request-id");
	if (reply.status / 100 != 2 || rid == NULL) {
		rc = ctl_http_fail("POST", path, &reply);
		ctl_http_reply_free(&reply);
		return (rc);
	}
	*id = xstrdup(rid);
	ctl_http_reply_free(&reply);
	return (0);
}

/* Poll path until COMPLETED: 0 with the operation in *reply. */
static int
ctl_ops_wait(const struct ctl *ctl, const char *path, struct ctl_reply *reply)
{
	const struct timespec	 pause = { 0, CTL_OPS_POLL_MS * 1000000L };
	const cJSON		*st;
	time_t			 end = time(NULL) + CTL_OPS_WAIT_S, dot = 0;
	int			 rc, tty = isatty(STDERR_FILENO);

	for (;;) {
		if ((rc = ctl_http_get(ctl, path, reply)) != 0)
			return (rc);
		st = cJSON_GetObjectItemCaseSensitive(reply->json, "status");
		if (strcmp(ctl_ops_str(st, "id") ? ctl_ops_str(st, "id") : "",
		    "COMPLETED") == 0)
			break;
		ctl_http_reply_free(reply);
		if (time(NULL) > end) {
			fprintf(stderr, "\nbronzectl: still in progress after "
			    "%d s: %s\n", CTL_OPS_WAIT_S, path);
			return (CTL_EXIT_FAIL);
		}
		if (tty && time(NULL) != dot) {
			fputc('.', stderr);
			dot = time(NULL);
		}
		nanosleep(&pause, NULL);
	}
	if (tty && dot != 0)
		fputc('\n', stderr);
	return (0);
}

/* The failure of a completed operation (either spelling), or NULL. */
static const cJSON *
ctl_ops_failure(const cJSON *op)
{
	const cJSON	*f = cJSON_GetObjectItemCaseSensitive(op, "failure-cause");

	return (f != NULL ? f : cJSON_GetObjectItemCaseSensitive(op,
	    "failureCause"));
}

/* Trigger at trigger_path, wait at status_path/<id>, report. */
static int
ctl_ops_run(const struct ctl *ctl, const char *what, const char *trigger_path,
    const char *status_prefix, const char *body)
{
	struct ctl_reply	 reply;
	const cJSON		*op, *fail;
	char			*id = NULL, *path;
	int			 rc;

	if ((rc = ctl_ops_trigger(ctl, trigger_path, body, &id)) != 0)
		return (rc);
	path = xasprintf("%s/%s", status_prefix, id);
	free(id);
	rc = ctl_ops_wait(ctl, path, &reply);
	free(path);
	if (rc != 0)
		return (rc);
	op = cJSON_GetObjectItemCaseSensitive(reply.json, "operation");
	fail = ctl_ops_failure(op);
	if (ctl->json)
		printf("%s\n", reply.body);
	else if (fail != NULL)
		fprintf(stderr, "bronzectl: %s failed: %s\n", what,
		    ctl_ops_str(fail, "stack-trace") ? ctl_ops_str(fail,
		    "stack-trace") : "unknown cause");
	else if (ctl_ops_str(op, "location") != NULL)
		printf("%s completed: %s\n", what, ctl_ops_str(op, "location"));
	else if (cJSON_GetObjectItemCaseSensitive(op, "checkpointId") == NULL)
		printf("%s completed\n", what);
	else
		printf("%s %.0f completed\n", what, cJSON_GetNumberValue(
		    cJSON_GetObjectItemCaseSensitive(op, "checkpointId")));
	ctl_http_reply_free(&reply);
	return (fail != NULL ? CTL_EXIT_FAIL : CTL_EXIT_OK);
}

static int
ctl_ops_usage(const char *usage)
{
	fprintf(stderr, "usage: bronzectl %s\n", usage);
	return (CTL_EXIT_USAGE);
}

/* A JSON body {key: dir} (or {} without a dir), plus extra. */
static char *
ctl_ops_body(const char *key, const char *dir, const char *extra)
{
	cJSON	*o = cJSON_CreateObject();
	char	*text;

	if (dir != NULL)
		cJSON_AddStringToObject(o, key, dir);
	if (extra != NULL)
		cJSON_AddTrueToObject(o, extra);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return (text);
}

int
ctl_ops_checkpoint(struct ctl *ctl, int argc, char **argv)
{
	char	*trigger, *status;
	int	 rc;

	if (argc != 2)
		return (ctl_ops_usage("checkpoint JOB"));
	trigger = xasprintf("/jobs/%s/checkpoints", argv[1]);
	status = xasprintf("/jobs/%s/checkpoints", argv[1]);
	rc = ctl_ops_run(ctl, "checkpoint", trigger, status, "{}");
	free(trigger);
	free(status);
	return (rc);
}

/* savepoint JOB [DIR] [--cancel] */
int
ctl_ops_savepoint(struct ctl *ctl, int argc, char **argv)
{
	const char	*dir = NULL;
	char		*path, *body;
	int		 i, cancel = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--cancel") == 0)
			cancel = 1;
		else if (i > 1 && dir == NULL && argv[i][0] != '-')
			dir = argv[i];
		else if (i > 1)
			return (ctl_ops_usage("savepoint JOB [DIR] [--cancel]"));
	}
	if (argc < 2 || argv[1][0] == '-')
		return (ctl_ops_usage("savepoint JOB [DIR] [--cancel]"));
	path = xasprintf("/jobs/%s/savepoints", argv[1]);
	body = ctl_ops_body("target-directory", dir, cancel ? "cancel-job" :
	    NULL);
	rc = ctl_ops_run(ctl, "savepoint", path, path, body);
	free(body);
	free(path);
	return (rc);
}

/* stop JOB [--savepoint DIR] */
int
ctl_ops_stop(struct ctl *ctl, int argc, char **argv)
{
	char	*trigger, *status, *body;
	int	 rc;

	if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--savepoint") == 0))
		return (ctl_ops_usage("stop JOB [--savepoint DIR]"));
	trigger = xasprintf("/jobs/%s/stop", argv[1]);
	status = xasprintf("/jobs/%s/savepoints", argv[1]);
	body = ctl_ops_body("targetDirectory", argc == 4 ? argv[3] : NULL,
	    NULL);
	rc = ctl_ops_run(ctl, "stop with savepoint", trigger, status, body);
	free(body);
	free(trigger);
	free(status);
	return (rc);
}

int
ctl_ops_cancel(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply	 reply;
	char			*path;
	int			 rc;

	if (argc != 2)
		return (ctl_ops_usage("cancel JOB"));
	path = xasprintf("/jobs/%s?mode=cancel", argv[1]);
	if ((rc = ctl_http_request(ctl, "PATCH", path, NULL, &reply)) != 0) {
		free(path);
		return (rc);
	}
	if (reply.status / 100 != 2)
		rc = ctl_http_fail("PATCH", path, &reply);
	else if (!ctl->json)
		printf("job %s canceled\n", argv[1]);
	else
		printf("{}\n");
	ctl_http_reply_free(&reply);
	free(path);
	return (rc);
}

/* restore JOB PATH [--allow-duplicates] */
int
ctl_ops_restore(struct ctl *ctl, int argc, char **argv)
{
	cJSON	*o;
	char	*trigger, *status, *body;
	int	 rc, allow = argc == 4 &&
		    strcmp(argv[3], "--allow-duplicates") == 0;

	if (argc != 3 && !allow)
		return (ctl_ops_usage("restore JOB PATH [--allow-duplicates]"));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "savepointPath", argv[2]);
	cJSON_AddBoolToObject(o, "allowDuplicates", allow);
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	trigger = xasprintf("/jobs/%s/restore", argv[1]);
	status = xasprintf("/jobs/%s/restore", argv[1]);
	rc = ctl_ops_run(ctl, "restore", trigger, status, body);
	free(body);
	free(trigger);
	free(status);
	return (rc);
}

/* dispose PATH: delete a savepoint (its _metadata and index entry). */
int
ctl_ops_dispose(struct ctl *ctl, int argc, char **argv)
{
	cJSON	*o;
	char	*body, *what;
	int	 rc;

	if (argc != 2)
		return (ctl_ops_usage("dispose PATH"));
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "savepoint-path", argv[1]);
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	what = xasprintf("disposal of %s", argv[1]);
	rc = ctl_ops_run(ctl, what, "/savepoint-disposal",
	    "/savepoint-disposal", body);
	free(what);
	free(body);
	return (rc);
}

static double
ctl_ops_num(const cJSON *o, const char *key)
{
	return (cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, key)));
}

/* The ranges of list as "  what from..to" lines. */
static void
ctl_ops_ranges(const cJSON *p, const char *key, const char *what)
{
	const cJSON	*r;

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(p, key))
		printf("  %s %.0f..%.0f\n", what, ctl_ops_num(r, "from"),
		    ctl_ops_num(r, "to"));
}

/* An audit's partitions, one line each with its gaps and overlaps. */
static void
ctl_ops_print_audit(const cJSON *op)
{
	const cJSON	*p, *c;

	printf("table %s, snapshot %.0f: %.0f files, %.0f records\n",
	    ctl_ops_str(op, "table") ? ctl_ops_str(op, "table") : "?",
	    ctl_ops_num(op, "snapshot-id"), ctl_ops_num(op, "files"),
	    ctl_ops_num(op, "records"));
	printf("%-9s %-12s %-12s %-10s %-12s %-5s %-8s %s\n", "PARTITION",
	    "FIRST", "LAST", "RECORDS", "COMMITTED", "GAPS", "OVERLAPS", "OK");
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(op,
	    "partitions")) {
		c = cJSON_GetObjectItemCaseSensitive(p, "committed-offset");
		printf("%-9.0f %-12.0f %-12.0f %-10.0f ", ctl_ops_num(p,
		    "partition"), ctl_ops_num(p, "first-offset"),
		    ctl_ops_num(p, "last-offset"), ctl_ops_num(p, "records"));
		if (cJSON_IsNumber(c))
			printf("%-12.0f ", c->valuedouble);
		else
			printf("%-12s ", "-");
		printf("%-5.0f %-8.0f %s\n", ctl_ops_num(p, "gaps-total"),
		    ctl_ops_num(p, "overlaps-total"), cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(p, "ok")) ? "yes" : "NO");
		ctl_ops_ranges(p, "gaps", "gap");
		ctl_ops_ranges(p, "overlaps", "held twice");
	}
}

/* verify JOB: audit the table; exit 0 only if every offset is once. */
int
ctl_ops_verify(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply	 reply;
	const cJSON		*op, *fail;
	char			*trigger, *id = NULL, *path;
	int			 rc, ok;

	if (argc != 2)
		return (ctl_ops_usage("verify JOB"));
	trigger = xasprintf("/jobs/%s/verify", argv[1]);
	rc = ctl_ops_trigger(ctl, trigger, "{}", &id);
	if (rc == 0) {
		path = xasprintf("%s/%s", trigger, id);
		rc = ctl_ops_wait(ctl, path, &reply);
		free(path);
	}
	free(trigger);
	free(id);
	if (rc != 0)
		return (rc);
	op = cJSON_GetObjectItemCaseSensitive(reply.json, "operation");
	fail = ctl_ops_failure(op);
	ok = fail == NULL && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(op,
	    "ok"));
	if (ctl->json)
		printf("%s\n", reply.body);
	else if (fail != NULL)
		fprintf(stderr, "bronzectl: verify failed: %s\n",
		    ctl_ops_str(fail, "stack-trace") ? ctl_ops_str(fail,
		    "stack-trace") : "unknown cause");
	else {
		ctl_ops_print_audit(op);
		printf("%s\n", ok ? "every committed offset is in the table "
		    "exactly once" : "NOT OK: gaps, offsets held twice, or "
		    "coverage that does not end at the committed offset");
	}
	ctl_http_reply_free(&reply);
	return (ok ? CTL_EXIT_OK : CTL_EXIT_FAIL);
}

/* Print one job's savepoints (human form); 0 or an exit status. */
static int
ctl_ops_savepoints_of(const struct ctl *ctl, const char *job, cJSON *all)
{
	struct ctl_reply	 reply;
	const cJSON		*list, *sp;
	char			*path = xasprintf("/jobs/%s/savepoints", job);
	int			 rc;

	rc = ctl_http_get(ctl, path, &reply);
	free(path);
	if (rc != 0)
		return (rc);
	list = cJSON_GetObjectItemCaseSensitive(reply.json, "savepoints");
	cJSON_ArrayForEach(sp, list) {
		if (all != NULL) {
			cJSON *o = cJSON_Duplicate(sp, 1);

			cJSON_AddStringToObject(o, "job", job);
			cJSON_AddItemToArray(all, o);
			continue;
		}
		printf("%-12s %-14.0f %-10.0f %s\n", job,
		    cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sp,
		    "created-ms")) / 1000, cJSON_GetNumberValue(
		    cJSON_GetObjectItemCaseSensitive(sp, "checkpoint-id")),
		    ctl_ops_str(sp, "location") ? ctl_ops_str(sp, "location") :
		    "?");
	}
	ctl_http_reply_free(&reply);
	return (0);
}

/* savepoints [JOB]: the savepoints the daemon indexed, newest first. */
int
ctl_ops_savepoints(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_reply	 reply;
	const cJSON		*jobs, *j;
	cJSON			*all = ctl->json ? cJSON_CreateArray() : NULL;
	int			 rc = 0;

	if (argc > 2) {
		cJSON_Delete(all);
		return (ctl_ops_usage("savepoints [JOB]"));
	}
	if (!ctl->json)
		printf("%-12s %-14s %-10s %s\n", "JOB", "CREATED(s)",
		    "CHECKPOINT", "LOCATION");
	if (argc == 2)
		rc = ctl_ops_savepoints_of(ctl, argv[1], all);
	else if ((rc = ctl_http_get(ctl, "/jobs/overview", &reply)) == 0) {
		jobs = cJSON_GetObjectItemCaseSensitive(reply.json, "jobs");
		cJSON_ArrayForEach(j, jobs) {
			if (rc == 0 && ctl_ops_str(j, "name") != NULL)
				rc = ctl_ops_savepoints_of(ctl,
				    ctl_ops_str(j, "name"), all);
		}
		ctl_http_reply_free(&reply);
	}
	if (all != NULL) {
		char *text = cJSON_PrintUnformatted(all);

		if (rc == 0)
			printf("%s\n", text);
		free(text);
		cJSON_Delete(all);
	}
	return (rc);
}
