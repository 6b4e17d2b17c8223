/*
 * dispose.c: savepoint disposal (Flink's POST /savepoint-disposal).  The
 * _metadata is read and parsed first, so that nothing but a savepoint is
 * ever deleted; then it is deleted, its local directory removed when that
 * leaves it empty, and its entry dropped from the state store's index.
 * The table's data is not touched: a savepoint only names a snapshot.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "daemon.h"
#include "dispose.h"
#include "fileio.h"
#include "job.h"
#include "json.h"
#include "log.h"
#include "savepoint.h"
#include "state.h"
#include "xmalloc.h"

#define DISPOSE_METADATA_MAX	(1024 * 1024)

struct dispose {
	struct fileio		*fio;
	struct state		*st;		/* or NULL */
	size_t			 inflight;
	struct job_operation	 ops[JOB_OPS];
};

/* One disposal in flight. */
struct dispose_run {
	struct dispose		*dp;
	struct job_operation	*op;
	char			*dir;		/* savepoint_dir_of() form */
	char			*job_id;	/* from the _metadata */
	char			*index_key;	/* its state store entry */
};

struct dispose *
dispose_new(struct fileio *fio, struct state *st)
{
	struct dispose	*dp = xcalloc(1, sizeof *dp);

	dp->fio = fio;
	dp->st = st;
	return (dp);
}

void
dispose_free(struct dispose *dp)
{
	if (dp == NULL)
		return;
	if (dp->inflight != 0)
		fatalx("%s: %zu disposals in flight", __func__, dp->inflight);
	job_op_release(dp->ops, JOB_OPS);
	free(dp);
}

size_t
dispose_busy(const struct dispose *dp)
{
	return (dp == NULL ? 0 : dp->inflight);
}

struct job_operation *
dispose_find(struct dispose *dp, const char *trigger_id)
{
	return (job_op_lookup(dp->ops, JOB_OPS, trigger_id));
}

static void
dispose_done(struct dispose_run *run, const char *failure)
{
	if (failure != NULL)
		log_warnx("savepoint disposal %s: %s", run->dir, failure);
	else
		log_info("savepoint %s disposed", run->dir);
	job_op_finish(run->op, failure, NULL);
	run->dp->inflight--;
	free(run->dir);
	free(run->job_id);
	free(run->index_key);
	free(run);
}

/* state_each: the key of the index entry whose location is run->dir. */
static int
dispose_index_cb(const char *key, const void *val, size_t len, void *arg)
{
	struct dispose_run	*run = arg;
	cJSON			*o;
	const cJSON		*loc;
	char			*cause = NULL, *dir;
	int			 found = 0;

	if ((o = json_parse(val, len, &cause)) == NULL) {
		free(cause);
		return (0);
	}
	loc = cJSON_GetObjectItemCaseSensitive(o, "location");
	if (cJSON_IsString(loc)) {
		dir = savepoint_dir_of(loc->valuestring);
		found = strcmp(dir, run->dir) == 0;
		free(dir);
	}
	cJSON_Delete(o);
	if (found)
		run->index_key = xstrdup(key);
	return (found);
}

/* Drop the savepoint from the index; -1 and *cause on a store error. */
static int
dispose_unindex(struct dispose_run *run, char **cause)
{
	char	*prefix;
	int	 rc;

	if (run->dp->st == NULL)
		return (0);
	prefix = xasprintf("savepoint/%s/", run->job_id);
	rc = state_each(run->dp->st, prefix, dispose_index_cb, run, cause);
	free(prefix);
	if (rc == -1)
		return (-1);
	if (run->index_key == NULL)
		return (0);			/* not indexed here */
	return (state_delete(run->dp->st, run->index_key, cause));
}

static void
dispose_deleted_cb(struct fileio_result *r, void *arg)
{
	struct dispose_run	*run = arg;
	char			*cause = NULL, *failure;

	if (r->status != FILEIO_OK && r->status != FILEIO_NOT_FOUND) {
		failure = xasprintf("deleting %s/_metadata: %s", run->dir,
		    r->error);
		dispose_done(run, failure);
		free(failure);
		return;
	}
	/* A local directory goes too, unless something else is in it. */
	if (run->dir[0] == '/' && rmdir(run->dir) != 0 && errno != ENOENT &&
	    errno != ENOTEMPTY && errno != EEXIST)
		log_warnx("savepoint disposal: rmdir %s: %s", run->dir,
		    strerror(errno));
	if (dispose_unindex(run, &cause) == -1) {
		failure = xasprintf("state store: %s", cause);
		free(cause);
		dispose_done(run, failure);
		free(failure);
		return;
	}
	dispose_done(run, NULL);
}

static void
dispose_read_cb(struct fileio_result *r, void *arg)
{
	struct dispose_run	*run = arg;
	cJSON			*sp = NULL;
	const cJSON		*id;
	char			*cause = NULL, *failure, *file;

	if (r->status == FILEIO_NOT_FOUND)
		failure = xasprintf("%s is not a savepoint: it has no "
		    "_metadata", run->dir);
	else if (r->status != FILEIO_OK)
		failure = xasprintf("reading %s/_metadata: %s", run->dir,
		    r->error);
	else if ((sp = savepoint_parse((const char *)r->data->data,
	    r->data->len, &cause)) == NULL) {
		failure = xasprintf("%s/_metadata is not a savepoint's: %s",
		    run->dir, cause);
		free(cause);
	} else
		failure = NULL;
	if (failure != NULL) {
		dispose_done(run, failure);
		free(failure);
		return;
	}
	id = cJSON_GetObjectItemCaseSensitive(sp, "job-id");
	run->job_id = xstrdup(cJSON_IsString(id) ? id->valuestring : "");
	cJSON_Delete(sp);
	file = xasprintf("%s/_metadata", run->dir);
	fileio_delete(run->dp->fio, file, dispose_deleted_cb, run);
	free(file);
}

struct job_operation *
dispose_start(struct dispose *dp, const char *location, char **cause)
{
	struct dispose_run	*run;
	struct job_operation	*op;
	char			*file;

	if (savepoint_check_target(location, cause) == -1)
		return (NULL);
	if ((op = job_op_alloc(dp->ops, JOB_OPS, JOB_OP_DISPOSAL,
	    daemon_now_ms())) == NULL) {
		*cause = xstrdup("too many disposals in progress");
		return (NULL);
	}
	run = xcalloc(1, sizeof *run);
	run->dp = dp;
	run->op = op;
	run->dir = savepoint_dir_of(location);
	op->target = xstrdup(run->dir);
	dp->inflight++;
	file = xasprintf("%s/_metadata", run->dir);
	fileio_read(dp->fio, file, DISPOSE_METADATA_MAX, dispose_read_cb, run);
	free(file);
	return (op);
}
