/*
 * ice-append.c: the append-commit state machine: manifest, then per
 * attempt manifest list + snapshot + catalog commit, with reload on
 * conflict or unknown outcome.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>

#include <event2/event.h>

#include "fileio.h"
#include "ice-append.h"
#include "ice-merge.h"
#include "ice-meta.h"
#include "ice-tidy.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

#define ICE_APPEND_ATTEMPTS	10
#define ICE_APPEND_MAX_LIST	(256 * 1024 * 1024)
#define ICE_APPEND_MERGE_READS	8	/* manifest reads in flight */

struct ice_append {
	struct event_base	*base;
	struct fileio		*fio;
	struct catalog		*cat;
	struct catalog_table	*t;
	struct ice_append_req	 req;
	char			*job_id;
	char			*offsets_json;
	cJSON			*expect;	/* fencing, or NULL */
	ice_append_cb		 cb;
	void			*arg;
	int64_t			 snapshot_id;
	int64_t			 parent;	/* -1: first snapshot */
	int			 attempt;
	char			 uuid[37];
	struct ice_manifest_info info;
	struct buf		 out;
	char			*list_path;
	struct event		*timer;
	struct buf		 parent_list;	/* this attempt's parent's */
	struct ice_merge	 merge;		/* small manifests merged */
	size_t			 merge_next;	/* next candidate to read */
	size_t			 merge_pending;	/* reads in flight */
	char			*merge_error;	/* the first failure */
	char			*merged_path;	/* being written, not committed */
	/* the last commit of this attempt: refused, or may yet apply */
	int			 refused;
	int			 unsure;
};

static void	ice_append_attempt(struct ice_append *);
static void	ice_append_delete_cb(struct fileio_result *, void *);

/*
 * Forget this attempt's merge; a merged manifest written goes, unless the
 * attempt's commit may yet apply (as Iceberg does on an unknown commit
 * state: a request that timed out can still be applied by the catalog,
 * and the snapshot would then name what was deleted).
 */
static void
ice_append_merge_clear(struct ice_append *a)
{
	if (a->merged_path != NULL && !a->unsure)
		fileio_delete(a->fio, a->merged_path, ice_append_delete_cb,
		    NULL);
	free(a->merged_path);
	a->merged_path = NULL;
	ice_merge_clear(&a->merge);
	buf_free(&a->parent_list);
}

/*
 * Before another attempt or giving up: the files of a commit the catalog
 * refused go (nothing names them; left, they would accumulate wherever
 * writers contend), those of a commit that may yet apply stay.
 */
static void
ice_append_forget(struct ice_append *a)
{
	if (a->refused && a->list_path != NULL)
		fileio_delete(a->fio, a->list_path, ice_append_delete_cb,
		    NULL);
	ice_append_merge_clear(a);
	a->refused = a->unsure = 0;
}

static void
ice_append_done(struct ice_append *a, enum catalog_status st,
    const char *cause)
{
	ice_append_cb	 cb = a->cb;
	void		*arg = a->arg;
	int64_t		 id = a->snapshot_id;

	if (st == CATALOG_OK) {		/* committed: the merged one stays */
		free(a->merged_path);
		a->merged_path = NULL;
	}
	ice_append_forget(a);
	if (a->timer != NULL)
		event_free(a->timer);
	ice_manifest_info_clear(&a->info);
	buf_free(&a->out);
	free(a->list_path);
	free(a->job_id);
	free(a->offsets_json);
	cJSON_Delete(a->expect);
	free(a);
	cb(st, id, cause, arg);
}

/* Parent's summary value as a number (0 if absent). */
static int64_t
ice_append_total(const cJSON *parent, const char *key)
{
	const char	*v = json_object_string(cJSON_GetObjectItem(parent,
			    "summary"), key);

	return (v != NULL ? strtoll(v, NULL, 10) : 0);
}

static void
ice_append_summary_num(cJSON *sum, const char *key, int64_t v)
{
	char	text[24];

	snprintf(text, sizeof text, "%" PRId64, v);
	cJSON_AddStringToObject(sum, key, text);
}

static cJSON *
ice_append_summary(struct ice_append *a, const cJSON *parent)
{
	cJSON	*sum = cJSON_CreateObject();
	int64_t	 size = 0, rows = 0;
	size_t	 i;

	for (i = 0; i < a->req.nfiles; i++) {
		size += a->req.files[i].file_size;
		rows += a->req.files[i].record_count;
	}
	cJSON_AddStringToObject(sum, "operation", "append");
	ice_append_summary_num(sum, "added-data-files", (int64_t)a->req.nfiles);
	ice_append_summary_num(sum, "added-records", rows);
	ice_append_summary_num(sum, "added-files-size", size);
	ice_append_summary_num(sum, "total-records",
	    ice_append_total(parent, "total-records") + rows);
	ice_append_summary_num(sum, "total-files-size",
	    ice_append_total(parent, "total-files-size") + size);
	ice_append_summary_num(sum, "total-data-files",
	    ice_append_total(parent, "total-data-files") +
	    (int64_t)a->req.nfiles);
	cJSON_AddStringToObject(sum, "total-delete-files", "0");
	cJSON_AddStringToObject(sum, "total-position-deletes", "0");
	cJSON_AddStringToObject(sum, "total-equality-deletes", "0");
	cJSON_AddStringToObject(sum, "bronzed.job-id", a->job_id);
	ice_append_summary_num(sum, "bronzed.checkpoint-id",
	    a->req.checkpoint_id);
	cJSON_AddStringToObject(sum, "bronzed.kafka-offsets", a->offsets_json);
	return (sum);
}

static cJSON *
ice_append_snapshot(struct ice_append *a)
{
	const cJSON	*parent = ice_meta_snapshot(a->t->meta, a->parent);
	cJSON		*s = cJSON_CreateObject();
	struct timeval	 tv;
	int64_t		 schema_id = 0;

	gettimeofday(&tv, NULL);
	(void)json_get_int64(cJSON_GetObjectItem(ice_meta_current_schema(
	    a->t->meta), "schema-id"), &schema_id);
	json_add_int64(s, "snapshot-id", a->snapshot_id);
	if (a->parent != -1)
		json_add_int64(s, "parent-snapshot-id", a->parent);
	json_add_int64(s, "sequence-number", ice_meta_last_seq(a->t->meta) + 1);
	json_add_int64(s, "timestamp-ms", ice_meta_next_time(a->t->meta,
	    (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000));
	cJSON_AddStringToObject(s, "manifest-list", a->list_path);
	cJSON_AddItemToObject(s, "summary", ice_append_summary(a, parent));
	json_add_int64(s, "schema-id", schema_id);
	return (s);
}

/* Try again after a jittered, growing pause. */
static void
ice_append_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	ice_append_attempt(arg);
}

static void
ice_append_retry(struct ice_append *a)
{
	struct timeval	tv;
	uint32_t	r;
	long		ms = 50L << (a->attempt < 7 ? a->attempt : 7);

	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = 0;
	ms = ms / 2 + (long)(r % (uint32_t)(ms / 2 + 1));
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (a->timer == NULL)
		a->timer = evtimer_new(a->base, ice_append_retry_cb, a);
	evtimer_add(a->timer, &tv);
}

static void
ice_append_reload_cb(enum catalog_status st, const char *cause, void *arg)
{
	struct ice_append	*a = arg;

	if (st != CATALOG_OK) {
		ice_append_done(a, st, cause);
		return;
	}
	if (ice_meta_in_main(a->t->meta, a->snapshot_id)) {
		ice_append_done(a, CATALOG_OK, NULL);
		return;
	}
	ice_append_retry(a);
}

static void
ice_append_delete_cb(struct fileio_result *r, void *arg)
{
	if (r->status != FILEIO_OK && r->status != FILEIO_NOT_FOUND)
		log_debug("table maintenance: %s", r->error);
}

/* Delete what the commit left unreferenced (ice-tidy.h). */
static void
ice_append_tidy(struct ice_append *a)
{
	struct ice_expire	*o = &a->t->obsolete;

	if (a->req.stats != NULL)
		a->req.stats->expired += o->nids;
	if (o->nids > 0)
		log_debug("table %s.%s: %zu snapshots expired", a->t->namespace_,
		    a->t->name, o->nids);
	ice_tidy(a->fio, o);
}

static void
ice_append_commit_cb(enum catalog_status st, const char *cause, void *arg)
{
	struct ice_append	*a = arg;

	a->refused = st == CATALOG_CONFLICT;
	a->unsure = st == CATALOG_UNKNOWN;
	if (a->req.stats != NULL && st == CATALOG_CONFLICT)
		a->req.stats->conflicts++;
	else if (a->req.stats != NULL && st == CATALOG_UNKNOWN)
		a->req.stats->unknown++;
	if (st == CATALOG_OK) {
		ice_append_tidy(a);
		ice_append_done(a, CATALOG_OK, NULL);
	} else if (st == CATALOG_CONFLICT || st == CATALOG_UNKNOWN)
		a->cat->ops->load(a->cat, a->t, ice_append_reload_cb, a);
	else
		ice_append_done(a, st, cause);
}

static void
ice_append_list_cb(struct fileio_result *r, void *arg)
{
	struct ice_append	*a = arg;
	cJSON			*snap;

	if (r->status != FILEIO_OK) {
		ice_append_done(a, CATALOG_ERROR, r->error);
		return;
	}
	snap = ice_append_snapshot(a);
	if (a->req.stats != NULL)
		a->req.stats->attempts++;
	a->cat->ops->commit(a->cat, a->t, snap, ice_append_commit_cb, a);
	cJSON_Delete(snap);
}

/* Build and store this attempt's manifest list on parent_list. */
static void
ice_append_write_list(struct ice_append *a, const struct buf *parent_list)
{
	char	*cause = NULL;

	buf_reset(&a->out);
	if (ice_manifest_list_write(&a->out, a->snapshot_id, a->parent,
	    ice_meta_last_seq(a->t->meta) + 1, parent_list, a->merge.merged,
	    a->merge.nmerged, a->merged_path != NULL ? &a->merge.info : NULL,
	    &a->info, &cause) == -1) {
		ice_append_done(a, CATALOG_ERROR, cause);
		free(cause);
		return;
	}
	free(a->list_path);
	a->list_path = xasprintf("%s/metadata/snap-%" PRId64 "-%d-%s.avro",
	    a->t->location, a->snapshot_id, a->attempt, a->uuid);
	fileio_put(a->fio, a->list_path, a->out.data, a->out.len, 0,
	    ice_append_list_cb, a);
}

/* No merge after all: the list as it is plus the new manifest. */
static void
ice_append_merge_skip(struct ice_append *a, const char *why)
{
	if (why != NULL)
		log_debug("table %s.%s: manifests not merged: %s",
		    a->t->namespace_, a->t->name, why);
	free(a->merged_path);		/* not written */
	a->merged_path = NULL;
	ice_merge_clear(&a->merge);
	ice_append_write_list(a, &a->parent_list);
}

static void
ice_append_merged_cb(struct fileio_result *r, void *arg)
{
	struct ice_append	*a = arg;

	if (r->status != FILEIO_OK) {
		ice_append_merge_skip(a, r->error);
		return;
	}
	if (a->req.stats != NULL)
		a->req.stats->merged += a->merge.nmerged;
	ice_append_write_list(a, &a->parent_list);
}

/* Every candidate copied: store the merged manifest, then the list. */
static void
ice_append_merge_write(struct ice_append *a)
{
	char	*cause = NULL;
	int	 n;

	n = ice_merge_finish(&a->merge, &cause);
	if (n < 2) {
		ice_append_merge_skip(a, cause);
		free(cause);
		return;
	}
	fileio_put(a->fio, a->merged_path, a->merge.out.data,
	    a->merge.out.len, FILEIO_CREATE_ONLY, ice_append_merged_cb, a);
}

/* One manifest read for a merge. */
struct ice_append_read {
	struct ice_append	*a;
	size_t			 i;
};

static void	ice_append_merge_read(struct ice_append *);

static void
ice_append_merge_read_cb(struct fileio_result *r, void *arg)
{
	struct ice_append_read	*rd = arg;
	struct ice_append	*a = rd->a;
	char			*cause = NULL;

	a->merge_pending--;
	if (a->merge_error != NULL)
		;			/* given up: only the reads end */
	else if (r->status != FILEIO_OK)
		a->merge_error = xstrdup(r->error);
	else if (ice_merge_add(&a->merge, rd->i, r->data, &cause) == -1)
		a->merge_error = cause;
	free(rd);
	ice_append_merge_read(a);
}

/* Read the candidates, a few at a time; then merge, or give up. */
static void
ice_append_merge_read(struct ice_append *a)
{
	struct ice_append_read	*rd;
	char			*why;

	while (a->merge_error == NULL && a->merge_next < a->merge.nsrc &&
	    a->merge_pending < ICE_APPEND_MERGE_READS) {
		rd = xmalloc(sizeof *rd);
		rd->a = a;
		rd->i = a->merge_next++;
		a->merge_pending++;
		fileio_read(a->fio, a->merge.src[rd->i].path,
		    ICE_APPEND_MAX_LIST, ice_append_merge_read_cb, rd);
	}
	if (a->merge_pending > 0)
		return;
	if ((why = a->merge_error) != NULL) {
		a->merge_error = NULL;
		ice_append_merge_skip(a, why);
		free(why);
		return;
	}
	ice_append_merge_write(a);
}

static void
ice_append_parent_cb(struct fileio_result *r, void *arg)
{
	struct ice_append	*a = arg;
	char			*cause = NULL;

	if (r->status != FILEIO_OK) {
		ice_append_done(a, CATALOG_ERROR, r->error);
		return;
	}
	buf_reset(&a->parent_list);
	buf_append(&a->parent_list, r->data->data, r->data->len);
	if (ice_merge_plan(&a->merge, a->t->meta, &a->parent_list,
	    &cause) <= 0) {
		free(cause);		/* a damaged list fails just below */
		ice_append_write_list(a, &a->parent_list);
		return;
	}
	a->merged_path = xasprintf("%s/metadata/%s-m%d.avro", a->t->location,
	    a->uuid, a->attempt);
	if (ice_merge_begin(&a->merge, a->merged_path,
	    ice_meta_current_schema(a->t->meta),
	    ice_meta_default_spec(a->t->meta), a->req.transform,
	    a->snapshot_id, &cause) == -1) {
		ice_append_merge_skip(a, cause);
		free(cause);
		return;
	}
	a->merge_next = 0;
	ice_append_merge_read(a);
}

/*
 * Fencing: does the table still hold, for every partition this append
 * commits, the offset this writer started its range at?  0 yes, -1 and
 * *cause no (or a damaged summary).
 */
static int
ice_append_fenced(struct ice_append *a, char **cause)
{
	const cJSON	*t, *p, *ht;
	cJSON		*have = NULL;
	int64_t		 ckpt = 0, want, got;
	int		 rc = 0;

	if (a->expect == NULL)
		return (0);
	if (ice_meta_job_state(a->t->meta, a->job_id, a->expect, &ckpt, &have,
	    cause) == -1)
		return (-1);
	cJSON_ArrayForEach(t, a->expect) {
		ht = cJSON_GetObjectItemCaseSensitive(have, t->string);
		cJSON_ArrayForEach(p, t) {
			if (json_get_int64(p, &want) != 0 ||
			    json_get_int64(cJSON_GetObjectItemCaseSensitive(ht,
			    p->string), &got) != 0)
				got = -1;
			if (got == want)
				continue;
			*cause = xasprintf("fenced: partition %s of %s is at "
			    "offset %" PRId64 " in the table, this writer "
			    "started at %" PRId64 ": another writer of the job "
			    "committed it", p->string, t->string, got, want);
			rc = -1;
			goto out;
		}
	}
out:
	cJSON_Delete(have);
	return (rc);
}

static void
ice_append_attempt(struct ice_append *a)
{
	const char	*list;
	char		*msg;

	if (ice_meta_in_main(a->t->meta, a->snapshot_id)) {
		ice_append_done(a, CATALOG_OK, NULL);
		return;
	}
	ice_append_forget(a);		/* built on an older parent */
	if (ice_append_fenced(a, &msg) == -1) {
		if (a->req.stats != NULL)
			a->req.stats->fenced++;
		ice_append_done(a, CATALOG_CONFLICT, msg);
		free(msg);
		return;
	}
	if (++a->attempt > a->req.max_attempts) {
		msg = xasprintf("commit gave up after %d attempts",
		    a->req.max_attempts);
		ice_append_done(a, CATALOG_CONFLICT, msg);
		free(msg);
		return;
	}
	if (ice_meta_main(a->t->meta, &a->parent) == -1) {
		a->parent = -1;
		ice_append_write_list(a, NULL);
		return;
	}
	list = json_object_string(ice_meta_snapshot(a->t->meta, a->parent),
	    "manifest-list");
	if (list == NULL) {
		ice_append_done(a, CATALOG_ERROR,
		    "main's snapshot has no manifest-list");
		return;
	}
	fileio_read(a->fio, list, ICE_APPEND_MAX_LIST, ice_append_parent_cb, a);
}

static void
ice_append_manifest_cb(struct fileio_result *r, void *arg)
{
	struct ice_append	*a = arg;

	if (r->status != FILEIO_OK) {
		ice_append_done(a, CATALOG_ERROR, r->error);
		return;
	}
	ice_append_attempt(a);
}

void
ice_append(struct event_base *base, struct fileio *fio, struct catalog *cat,
    struct catalog_table *t, const struct ice_append_req *req,
    ice_append_cb cb, void *arg)
{
	struct ice_append	*a = xcalloc(1, sizeof *a);
	char			*path, *cause = NULL;

	a->base = base;
	a->fio = fio;
	a->cat = cat;
	a->t = t;
	a->req = *req;
	a->job_id = xstrdup(req->job_id);
	a->offsets_json = xstrdup(req->offsets_json);
	if (req->expect_json != NULL)
		a->expect = json_parse(req->expect_json,
		    strlen(req->expect_json), &cause);
	if (cause != NULL) {
		free(cause);		/* the caller's own text: cannot fail */
		fatalx("ice_append: bad expect_json");
	}
	a->cb = cb;
	a->arg = arg;
	if (a->req.max_attempts <= 0)
		a->req.max_attempts = ICE_APPEND_ATTEMPTS;
	a->snapshot_id = req->snapshot_id != 0 ? req->snapshot_id :
	    ice_meta_new_snapshot_id(t->meta);
	ice_uuid4(a->uuid);
	path = xasprintf("%s/metadata/%s-m0.avro", t->location, a->uuid);
	if (ice_manifest_write(&a->out, path, ice_meta_current_schema(t->meta),
	    ice_meta_default_spec(t->meta), req->transform, a->snapshot_id,
	    req->files, req->nfiles, &a->info, &cause) == -1) {
		free(path);
		ice_append_done(a, CATALOG_ERROR, cause);
		free(cause);
		return;
	}
	fileio_put(fio, path, a->out.data, a->out.len, 0,
	    ice_append_manifest_cb, a);
	free(path);
}
