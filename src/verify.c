/*
 * verify.c: the table audit of verify.h.  Each data file's rows become
 * runs of consecutive offsets per partition; sorted, neighbouring runs
 * show the gaps and the offsets held twice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "avro-read.h"
#include "catalog.h"
#include "config.h"
#include "daemon.h"
#include "fileio.h"
#include "ice-meta.h"
#include "job.h"
#include "json.h"
#include "log.h"
#include "pq-read.h"
#include "verify.h"
#include "xmalloc.h"

#define VERIFY_MAX_META		(64 * 1024 * 1024)
#define VERIFY_MAX_DATA		(2048ULL * 1024 * 1024)
#define VERIFY_MAX_LISTED	100	/* gaps/overlaps shown per partition */

/* Offsets lo..hi of one partition, all in one data file. */
struct verify_run {
	int32_t		 partition;
	int64_t		 lo, hi;
};

struct verify {
	struct daemon		*d;
	struct catalog		*cat;
	struct fileio		*fio;
	struct job		*job;
	struct job_operation	*op;
	struct catalog_table	 table;
	int64_t			 snapshot_id;
	char			**manifests;	/* the list's data manifests */
	size_t			 nmanifests, mi;
	char			**files;	/* live data files */
	size_t			 nfiles, fi;
	struct verify_run	*runs;
	size_t			 nruns, runcap;
	uint64_t		 records;
};

static size_t	verify_inflight;

size_t
verify_busy(void)
{
	return (verify_inflight);
}


static void
verify_done(struct verify *v, const char *failure, char *result)
{
	if (failure != NULL)
		log_warnx("job %s: verify: %s", v->job->cfg->name, failure);
	v->op->result = result;
	job_op_finish(v->op, failure, NULL);
	catalog_table_clear(&v->table);
	xfreev(v->manifests, v->nmanifests);
	xfreev(v->files, v->nfiles);
	free(v->runs);
	free(v);
	verify_inflight--;
}

/* A failure message from a fileio result or a cause. */
static void
verify_fail(struct verify *v, const char *what, const char *url,
    const char *why)
{
	char	*msg = xasprintf("%s %s: %s", what, url, why);

	verify_done(v, msg, NULL);
	free(msg);
}

static void
verify_add_run(struct verify *v, int32_t p, int64_t lo, int64_t hi)
{
	if (v->nruns == v->runcap) {
		v->runcap = v->runcap == 0 ? 64 : v->runcap * 2;
		v->runs = xreallocarray(v->runs, v->runcap, sizeof *v->runs);
	}
	v->runs[v->nruns].partition = p;
	v->runs[v->nruns].lo = lo;
	v->runs[v->nruns].hi = hi;
	v->nruns++;
}

/* Cut one file's rows into runs of consecutive offsets per partition. */
static void
verify_file_runs(struct verify *v, const int64_t *part, const int64_t *off,
    size_t n)
{
	struct verify_run	*open = NULL;	/* one per partition seen */
	size_t			 nopen = 0, i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < nopen && open[k].partition != part[i]; k++)
			;
		if (k < nopen && off[i] == open[k].hi + 1) {
			open[k].hi++;
			continue;
		}
		if (k < nopen)
			verify_add_run(v, open[k].partition, open[k].lo,
			    open[k].hi);
		else
			open = xreallocarray(open, ++nopen, sizeof *open);
		open[k].partition = (int32_t)part[i];
		open[k].lo = open[k].hi = off[i];
	}
	for (k = 0; k < nopen; k++)
		verify_add_run(v, open[k].partition, open[k].lo, open[k].hi);
	free(open);
	v->records += n;
}

static int
verify_run_cmp(const void *a, const void *b)
{
	const struct verify_run	*x = a, *y = b;

	if (x->partition != y->partition)
		return (x->partition < y->partition ? -1 : 1);
	if (x->lo != y->lo)
		return (x->lo < y->lo ? -1 : 1);
	return (x->hi < y->hi ? -1 : x->hi > y->hi);
}

static void
verify_range(cJSON *list, int64_t from, int64_t to)
{
	cJSON	*o = cJSON_CreateObject();

	json_add_int64(o, "from", from);
	json_add_int64(o, "to", to);
	cJSON_AddItemToArray(list, o);
}

/* The next offset the job's snapshots recorded for partition p, or -1. */
static int64_t
verify_committed(const cJSON *committed, int32_t p)
{
	char		 key[16];
	const cJSON	*n;
	int64_t		 next;
	char		*cause = NULL;

	snprintf(key, sizeof key, "%d", (int)p);
	n = cJSON_GetObjectItemCaseSensitive(committed, key);
	if (n == NULL || json_object_int64(committed, key, &next,
	    &cause) == -1) {
		free(cause);
		return (-1);
	}
	return (next);
}

/* Offsets held twice, merged into ranges as they come in order. */
struct verify_twice {
	cJSON		*list;
	size_t		 n;		/* ranges, listed or not */
	int64_t		 lo, hi;	/* the open range; lo -1: none */
};

static void
verify_twice_add(struct verify_twice *t, int64_t lo, int64_t hi)
{
	if (t->lo >= 0 && lo <= t->hi + 1) {
		if (hi > t->hi)
			t->hi = hi;
		return;
	}
	if (t->lo >= 0 && t->n++ < VERIFY_MAX_LISTED)
		verify_range(t->list, t->lo, t->hi);
	t->lo = lo;
	t->hi = hi;
}

/* One partition's entry from runs[i..j); 1 if it is clean. */
static int
verify_partition(cJSON *list, const struct verify_run *r, size_t n,
    int64_t next)
{
	cJSON			*o = cJSON_CreateObject(), *gaps;
	struct verify_twice	 twice;
	int64_t			 hi = r[0].hi, records = 0;
	size_t			 i, ngaps = 0;
	int			 clean;

	cJSON_AddNumberToObject(o, "partition", r[0].partition);
	json_add_int64(o, "first-offset", r[0].lo);
	gaps = cJSON_AddArrayToObject(o, "gaps");
	twice.list = cJSON_AddArrayToObject(o, "overlaps");
	twice.n = 0;
	twice.lo = twice.hi = -1;
	for (i = 0; i < n; i++) {
		records += r[i].hi - r[i].lo + 1;
		if (i == 0)
			continue;
		if (r[i].lo <= hi)
			verify_twice_add(&twice, r[i].lo, r[i].hi < hi ?
			    r[i].hi : hi);
		else if (r[i].lo > hi + 1 && ngaps++ < VERIFY_MAX_LISTED)
			verify_range(gaps, hi + 1, r[i].lo - 1);
		if (r[i].hi > hi)
			hi = r[i].hi;
	}
	verify_twice_add(&twice, INT64_MAX, INT64_MAX);	/* flush */
	json_add_int64(o, "last-offset", hi);
	json_add_int64(o, "records", records);
	json_add_int64(o, "runs", (int64_t)n);
	if (next >= 0)
		json_add_int64(o, "committed-offset", next);
	else
		cJSON_AddNullToObject(o, "committed-offset");
	cJSON_AddNumberToObject(o, "gaps-total", (double)ngaps);
	cJSON_AddNumberToObject(o, "overlaps-total", (double)twice.n);
	clean = ngaps == 0 && twice.n == 0 && next == hi + 1;
	cJSON_AddBoolToObject(o, "ok", clean);
	cJSON_AddItemToArray(list, o);
	return (clean);
}

/* The audit's JSON (heap text). */
static char *
verify_report(struct verify *v, const cJSON *committed)
{
	cJSON		*root = cJSON_CreateObject(), *list, *o;
	const cJSON	*c;
	size_t		 i, j;
	int		 ok = 1;
	char		*text;

	qsort(v->runs, v->nruns, sizeof *v->runs, verify_run_cmp);
	cJSON_AddStringToObject(root, "table", v->job->cfg->table);
	json_add_int64(root, "snapshot-id", v->snapshot_id);
	cJSON_AddNumberToObject(root, "files", (double)v->nfiles);
	json_add_int64(root, "records", (int64_t)v->records);
	list = cJSON_AddArrayToObject(root, "partitions");
	for (i = 0; i < v->nruns; i = j) {
		for (j = i; j < v->nruns &&
		    v->runs[j].partition == v->runs[i].partition; j++)
			;
		ok &= verify_partition(list, v->runs + i, j - i,
		    verify_committed(committed, v->runs[i].partition));
	}
	/* committed partitions without a single row in the table */
	cJSON_ArrayForEach(c, committed) {
		for (i = 0; i < v->nruns && v->runs[i].partition !=
		    atoi(c->string); i++)
			;
		if (i < v->nruns || verify_committed(committed,
		    atoi(c->string)) <= 0)
			continue;
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "partition", atoi(c->string));
		json_add_int64(o, "records", 0);
		json_add_int64(o, "committed-offset",
		    verify_committed(committed, atoi(c->string)));
		cJSON_AddBoolToObject(o, "ok", 0);
		cJSON_AddItemToArray(list, o);
		ok = 0;
	}
	cJSON_AddBoolToObject(root, "ok", ok);
	text = json_print(root);
	cJSON_Delete(root);
	return (text);
}

static void	verify_next_file(struct verify *);

static void
verify_file_cb(struct fileio_result *r, void *arg)
{
	struct verify	*v = arg;
	struct pqr_file	*f;
	int64_t		*part = NULL, *off = NULL;
	size_t		 np, no;
	char		*cause = NULL;
	const char	*url = v->files[v->fi];

	if (r->status != FILEIO_OK) {
		verify_fail(v, "reading", url, r->error);
		return;
	}
	if ((f = pqr_open(r->data->data, r->data->len, &cause)) == NULL ||
	    pqr_column_int64(f, "kafka_partition", &part, &np, &cause) == -1 ||
	    pqr_column_int64(f, "kafka_offset", &off, &no, &cause) == -1) {
		pqr_close(f);
		free(part);
		verify_fail(v, "data file", url, cause);
		free(cause);
		return;
	}
	verify_file_runs(v, part, off, np);
	pqr_close(f);
	free(part);
	free(off);
	v->fi++;
	verify_next_file(v);
}

static void
verify_next_file(struct verify *v)
{
	cJSON	*committed = NULL;
	char	*cause = NULL;
	int64_t	 ckpt;

	if (v->d->stopping) {
		verify_done(v, "the daemon is stopping", NULL);
		return;
	}
	if (v->fi < v->nfiles) {
		fileio_read(v->fio, v->files[v->fi], VERIFY_MAX_DATA,
		    verify_file_cb, v);
		return;
	}
	if (ice_meta_job_state(v->table.meta, v->job->id, NULL, &ckpt,
	    &committed, &cause) == -1) {
		verify_fail(v, "table", v->job->cfg->table, cause);
		free(cause);
		return;
	}
	verify_done(v, NULL, verify_report(v, cJSON_GetObjectItemCaseSensitive(
	    committed, v->job->cfg->topic)));
	cJSON_Delete(committed);
}

/* The string field of an Avro record (heap), or NULL. */
static char *
verify_avro_string(const struct avro_read_value *rec, const char *name,
    int64_t id)
{
	const struct avro_read_value	*f = avro_read_field(rec, name, id);

	if (f == NULL || f->type != AVRO_R_STRING)
		return (NULL);
	return (xasprintf("%.*s", (int)f->len, (const char *)f->p));
}

/* Every record of an Avro file; fn keeps what it needs.  -1 and *cause. */
static int
verify_avro_each(const struct buf *data, struct verify *v,
    void (*fn)(struct verify *, const struct avro_read_value *),
    char **cause)
{
	struct avro_reader	*rd;
	struct avro_read_value	*rec;
	int			 rc;

	if ((rd = avro_reader_open(data->data, data->len, cause)) == NULL)
		return (-1);
	while ((rc = avro_reader_next(rd, &rec, cause)) == 1) {
		fn(v, rec);
		avro_read_value_free(rec);
	}
	avro_reader_free(rd);
	return (rc);
}

/* A manifest list entry: keep data manifests. */
static void
verify_list_entry(struct verify *v, const struct avro_read_value *rec)
{
	int64_t	 content = 0;
	char	*path;

	(void)avro_read_long(avro_read_field(rec, "content", 517), &content);
	if (content != 0 || (path = verify_avro_string(rec, "manifest_path",
	    500)) == NULL)
		return;
	v->manifests = xreallocarray(v->manifests, v->nmanifests + 1,
	    sizeof *v->manifests);
	v->manifests[v->nmanifests++] = path;
}

/* A manifest entry: keep live data files. */
static void
verify_manifest_entry(struct verify *v, const struct avro_read_value *rec)
{
	const struct avro_read_value	*df;
	int64_t				 status = 0, content = 0;
	char				*path;

	df = avro_read_field(rec, "data_file", 2);
	if (avro_read_long(avro_read_field(rec, "status", 0), &status) == -1 ||
	    status == 2 || df == NULL || df->type != AVRO_R_RECORD)
		return;
	(void)avro_read_long(avro_read_field(df, "content", 134), &content);
	if (content != 0 || (path = verify_avro_string(df, "file_path",
	    100)) == NULL)
		return;
	v->files = xreallocarray(v->files, v->nfiles + 1, sizeof *v->files);
	v->files[v->nfiles++] = path;
}

static void	verify_next_manifest(struct verify *);

static void
verify_manifest_cb(struct fileio_result *r, void *arg)
{
	struct verify	*v = arg;
	char		*cause = NULL;
	const char	*url = v->manifests[v->mi];

	if (r->status != FILEIO_OK) {
		verify_fail(v, "reading", url, r->error);
		return;
	}
	if (verify_avro_each(r->data, v, verify_manifest_entry, &cause) ==
	    -1) {
		verify_fail(v, "manifest", url, cause);
		free(cause);
		return;
	}
	v->mi++;
	verify_next_manifest(v);
}

static void
verify_next_manifest(struct verify *v)
{
	if (v->d->stopping) {
		verify_done(v, "the daemon is stopping", NULL);
		return;
	}
	if (v->mi < v->nmanifests)
		fileio_read(v->fio, v->manifests[v->mi], VERIFY_MAX_META,
		    verify_manifest_cb, v);
	else
		verify_next_file(v);
}

static void
verify_list_cb(struct fileio_result *r, void *arg)
{
	struct verify	*v = arg;
	char		*cause = NULL;

	if (r->status != FILEIO_OK) {
		verify_fail(v, "reading", "the manifest list", r->error);
		return;
	}
	if (verify_avro_each(r->data, v, verify_list_entry, &cause) == -1) {
		verify_fail(v, "manifest list of", v->job->cfg->table, cause);
		free(cause);
		return;
	}
	verify_next_manifest(v);
}

static void
verify_loaded_cb(enum catalog_status st, const char *why, void *arg)
{
	struct verify	*v = arg;
	const char	*list;

	if (st != CATALOG_OK) {
		verify_fail(v, "loading", v->job->cfg->table, why != NULL ?
		    why : catalog_status_name(st));
		return;
	}
	if (ice_meta_main(v->table.meta, &v->snapshot_id) == -1) {
		verify_next_file(v);		/* an empty table */
		return;
	}
	list = json_object_string(ice_meta_snapshot(v->table.meta,
	    v->snapshot_id), "manifest-list");
	if (list == NULL) {
		verify_fail(v, "table", v->job->cfg->table,
		    "main's snapshot has no manifest-list");
		return;
	}
	fileio_read(v->fio, list, VERIFY_MAX_META, verify_list_cb, v);
}

void
verify_start(struct daemon *d, struct catalog *cat, struct fileio *fio,
    struct job *job, struct job_operation *op)
{
	struct verify	*v = xcalloc(1, sizeof *v);

	v->d = d;
	v->cat = cat;
	v->fio = fio;
	v->job = job;
	v->op = op;
	catalog_table_init(&v->table, job->cfg->table_namespace,
	    job->cfg->table_name);
	verify_inflight++;
	cat->ops->load(cat, &v->table, verify_loaded_cb, v);
}
