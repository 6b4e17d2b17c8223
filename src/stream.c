/*
 * stream.c: one job's runtime: start and recovery from the table, records
 * into the sink, the checkpoint coordinator, restarts and stop.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>

#include "catalog.h"
#include "daemon.h"
#include "fileio.h"
#include "ice-append.h"
#include "ice-meta.h"
#include "ice-schema.h"
#include "job.h"
#include "json.h"
#include "kafka.h"
#include "log.h"
#include "savepoint.h"
#include "sink.h"
#include "state.h"
#include "stream.h"
#include "xmalloc.h"

#define STREAM_MAGIC		0x5354524du
#define STREAM_RESTART_MAX_S	60
#define STREAM_SWEEP_FIRST_MS	5000	/* first sweep after RUNNING */
/*
 * history.expire.max-snapshot-age-ms of the tables bronzed creates, in
 * checkpoint intervals: about this many snapshots stay (an hour at the
 * default 10 s), as metadata costs every commit and every query in
 * proportion to the snapshots it holds.
 */
#define STREAM_SNAPSHOTS_KEPT	360

struct stream {
	uint32_t		 magic;
	struct daemon		*d;
	struct job		*job;
	struct fileio		*fio;
	struct catalog		*cat;
	struct state		*st;
	struct catalog_table	 table;
	struct ice_bronze_ids	 ids;
	struct sink		*sink;
	struct kafka		*kafka;
	struct event		*tick;		/* checkpoint interval */
	struct event		*restart;	/* restart backoff */
	struct event		*ckpt_timer;	/* checkpoint.timeout */
	struct event		*sweep;		/* dead writers' leftovers */
	int			 sweeping;	/* a sweep in flight */
	int			 restart_s;

	int64_t			*next;		/* per partition, -1 unknown */
	int64_t			*base;		/* committed next, -1 none */
	size_t			 nnext;
	int32_t			*revoked;	/* to forget after a seal */
	size_t			 nrevoked;

	/* partitions assigned with no known offset: ask the table */
	struct catalog_table	 peek;
	struct kafka_partition	*pending;	/* kafka's, until answered */
	size_t			 npending;
	int			 peeking;	/* peek load in flight */
	int			 finish_after_peek;
	uint64_t		 gen;		/* bumped by revoke/assign/restart */
	uint64_t		 peek_gen;
	uint64_t		 ckpt_id;
	int			 in_flight;
	int			 dirty;		/* records since the last seal */
	char			*broken;	/* a write failed: restart */
	int			 closing;	/* kafka close for restart/stop */
	int			 starting;	/* catalog open in flight */
	int			 stopping;
	stream_stopped_fn	 stopped;
	void			*stopped_arg;

	/* admin operations: queued for the next checkpoint, or riding it */
	struct job_operation	*queued[JOB_OPS];
	size_t			 nqueued;
	struct job_operation	*riding[JOB_OPS];
	size_t			 nriding;
	int			 cancel;	/* stop as a cancel */

	/* a restore from a savepoint, decided when the table is open */
	char			*restore_path;	/* its _metadata */
	int			 restore_allow;	/* duplicates allowed */
	struct job_operation	*restore_op;	/* or NULL (command line) */
	enum job_state		 restore_prev;	/* stopped state, or RUNNING */
	int			 sp_writes;	/* _metadata writes in flight */
	int64_t			 open_since_ms;	/* first record since the seal */
	int64_t			 sealed_since_ms; /* first of the sealed ones */
	int64_t			 paused_ms;	/* fetch held back since, or 0 */
	struct ice_append_stats	 append_stats;	/* mirrored into the job */

	/* the checkpoint in flight */
	char			*offsets_json;
	char			*expect_json;	/* fencing: base offsets */
	struct kafka_offset	*commit_offsets;
	size_t			 ncommit;
	struct ice_data_file	*files;
	size_t			 nfiles;
	int64_t			 snapshot_id;
	struct stream_state_req	*prepare_req;	/* "prepared" being written */
};

static void	stream_restart(struct stream *, const char *, const char *);
static void	stream_freshness(struct stream *);
static void	stream_finish_stop(struct stream *);
static void	stream_sweep_cb(evutil_socket_t, short, void *);

static struct timeval *
stream_tv(uint64_t ms, struct timeval *tv)
{
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return (tv);
}

static void
stream_set_next(struct stream *s, int32_t p, int64_t next)
{
	size_t	i;

	if (p < 0)
		return;
	if ((size_t)p >= s->nnext) {
		s->next = xreallocarray(s->next, (size_t)p + 1, sizeof *s->next);
		s->base = xreallocarray(s->base, (size_t)p + 1, sizeof *s->base);
		for (i = s->nnext; i <= (size_t)p; i++)
			s->next[i] = s->base[i] = -1;
		s->nnext = (size_t)p + 1;
	}
	s->next[p] = next;
}

/* A partition whose committed offset is known: next and base at it. */
static void
stream_set_committed(struct stream *s, int32_t p, int64_t next)
{
	stream_set_next(s, p, next);
	if (p >= 0)
		s->base[p] = next;
}

/*
 * {"<topic>":{"<partition>":<v>,...}} over every partition with a known
 * next offset, v from vals (next itself, or base for fencing).
 */
static char *
stream_offsets_json(struct stream *s, const int64_t *vals)
{
	cJSON	*root = cJSON_CreateObject(), *t;
	char	 key[24], *text;
	size_t	 i;

	t = cJSON_AddObjectToObject(root, s->job->cfg->topic);
	for (i = 0; i < s->nnext; i++) {
		if (s->next[i] < 0)
			continue;
		snprintf(key, sizeof key, "%zu", i);
		json_add_int64(t, key, vals[i]);
	}
	text = json_print(root);
	cJSON_Delete(root);
	return (text);
}

/* Take this job's offsets from the table's newest snapshot of it. */
static int
stream_recover(struct stream *s, char **cause)
{
	const cJSON	*t, *p;
	cJSON		*offsets = NULL;
	int64_t		 ckpt = 0, v;
	int		 rc;

	free(s->next);
	free(s->base);
	s->next = s->base = NULL;
	s->nnext = 0;
	s->nrevoked = 0;
	rc = ice_meta_job_state(s->table.meta, s->job->id, NULL, &ckpt,
	    &offsets, cause);
	if (rc == -1)
		return (-1);
	if (rc == 0) {
		t = cJSON_GetObjectItemCaseSensitive(offsets,
		    s->job->cfg->topic);
		cJSON_ArrayForEach(p, t) {
			if (json_get_int64(p, &v) == 0)
				stream_set_committed(s, atoi(p->string), v);
		}
		log_info("job %s: resuming after checkpoint %" PRId64
		    " from the table's offsets", s->job->cfg->name, ckpt);
	}
	cJSON_Delete(offsets);
	if ((uint64_t)ckpt > s->ckpt_id)
		s->ckpt_id = (uint64_t)ckpt;
	return (0);
}

/* A prepared checkpoint in the state store: committed or abandoned. */
static void
stream_resolve_prepared(struct stream *s)
{
	struct state_ckpt	 c;
	char			*cause = NULL;

	if (s->st == NULL)
		return;
	memset(&c, 0, sizeof c);
	if (state_ckpt_newest(s->st, s->job->id, &c, &cause) != 1) {
		free(cause);
		return;
	}
	if (c.checkpoint_id > s->ckpt_id)
		s->ckpt_id = c.checkpoint_id;
	if (c.status == STATE_CKPT_PREPARED) {
		if (ice_meta_in_main(s->table.meta, c.snapshot_id)) {
			c.status = STATE_CKPT_COMMITTED;
			c.committed_ms = daemon_now_ms();
			if (state_ckpt_put(s->st, &c, &cause) == -1)
				free(cause);
		} else
			log_info("job %s: checkpoint %" PRIu64 " was prepared "
			    "but never committed; its records are read again",
			    s->job->cfg->name, c.checkpoint_id);
	}
	state_ckpt_clear(&c);
}

/* A partition comes back: it is no longer to be forgotten. */
static void
stream_unrevoke(struct stream *s, int32_t p)
{
	size_t	i;

	for (i = 0; i < s->nrevoked; i++) {
		if (s->revoked[i] == p) {
			s->revoked[i] = s->revoked[--s->nrevoked];
			return;
		}
	}
}

/* Revoked partitions whose data is sealed: forget their offsets. */
static void
stream_forget_revoked(struct stream *s)
{
	size_t	i;
	int32_t	p;

	for (i = 0; i < s->nrevoked; i++) {
		p = s->revoked[i];
		if (p >= 0 && (size_t)p < s->nnext)
			s->next[p] = s->base[p] = -1;
	}
	s->nrevoked = 0;
}

static void	stream_peek(struct stream *);

/*
 * Partitions are assigned: those this job knows start where it is; for
 * the others (first start, or back after a rebalance, when another
 * instance may have committed them) the table decides: stream_peek.
 */
static int
stream_assign_cb(void *arg, struct kafka_partition *parts, size_t n)
{
	struct stream	*s = arg;
	size_t		 i, unknown = 0;
	int32_t		 p;

	s->gen++;
	for (i = 0; i < n; i++) {
		p = parts[i].partition;
		if (strcmp(parts[i].topic, s->job->cfg->topic) != 0 || p < 0)
			continue;
		stream_unrevoke(s, p);
		if ((size_t)p < s->nnext && s->next[p] >= 0) {
			parts[i].start = KAFKA_START_OFFSET;
			parts[i].offset = s->next[p];
		} else
			unknown++;
	}
	if (unknown == 0)
		return (0);
	s->pending = parts;
	s->npending = n;
	stream_peek(s);
	return (1);
}

/* Answer the pending assignment from the job's offsets in the table. */
static int
stream_peek_answer(struct stream *s, char **cause)
{
	struct kafka_partition	*parts = s->pending;
	const cJSON		*t, *v;
	cJSON			*offsets = NULL;
	int64_t			 ckpt = 0, off;
	char			 key[24];
	size_t			 i;

	if (ice_meta_job_state(s->peek.meta, s->job->id, NULL, &ckpt,
	    &offsets, cause) == -1)
		return (-1);
	t = cJSON_GetObjectItemCaseSensitive(offsets, s->job->cfg->topic);
	for (i = 0; i < s->npending; i++) {
		if (strcmp(parts[i].topic, s->job->cfg->topic) != 0 ||
		    parts[i].start == KAFKA_START_OFFSET)
			continue;
		snprintf(key, sizeof key, "%d", (int)parts[i].partition);
		v = cJSON_GetObjectItemCaseSensitive(t, key);
		if (v != NULL && json_get_int64(v, &off) == 0) {
			stream_set_committed(s, parts[i].partition, off);
			parts[i].start = KAFKA_START_OFFSET;
			parts[i].offset = off;
		}
	}
	cJSON_Delete(offsets);
	if ((uint64_t)ckpt > s->ckpt_id)
		s->ckpt_id = (uint64_t)ckpt;
	s->pending = NULL;
	s->npending = 0;
	return (kafka_assign_ready(s->kafka, cause));
}

static void
stream_peek_cb(enum catalog_status st, const char *why, void *arg)
{
	struct stream	*s = arg;
	char		*cause = NULL;

	s->peeking = 0;
	if (s->finish_after_peek && s->sp_writes == 0) {
		stream_finish_stop(s);
		return;
	}
	if (s->pending == NULL || s->kafka == NULL || s->closing)
		return;
	if (s->gen != s->peek_gen) {		/* a newer assignment */
		stream_peek(s);
		return;
	}
	if (st != CATALOG_OK) {
		stream_restart(s, "CatalogError", why);
		return;
	}
	if (stream_peek_answer(s, &cause) == -1) {
		stream_restart(s, "KafkaError", cause);
		free(cause);
	}
}

/* Load the table on a handle of its own (an append may be in flight). */
static void
stream_peek(struct stream *s)
{
	if (s->peeking)
		return;			/* stream_peek_cb looks again */
	s->peeking = 1;
	s->peek_gen = s->gen;
	catalog_table_clear(&s->peek);
	catalog_table_init(&s->peek, s->job->cfg->table_namespace,
	    s->job->cfg->table_name);
	s->cat->ops->load(s->cat, &s->peek, stream_peek_cb, s);
}

/*
 * Partitions go (a rebalance; our own close is ignored: its data is
 * either in the final checkpoint or read again).  No record of them comes
 * after this, so what was consumed is sealed by a checkpoint now (or
 * right after the one in flight), then their offsets are forgotten: the
 * next instance starts where the table says, and fencing refuses any
 * commit of ours that would overlap it.
 */
static void
stream_revoke_cb(void *arg, const struct kafka_partition *parts, size_t n,
    int lost)
{
	struct stream	*s = arg;
	size_t		 i;

	s->gen++;
	s->pending = NULL;
	s->npending = 0;
	if (s->closing || s->stopping)
		return;
	for (i = 0; i < n; i++) {
		if (strcmp(parts[i].topic, s->job->cfg->topic) != 0)
			continue;
		stream_unrevoke(s, parts[i].partition);
		s->revoked = xreallocarray(s->revoked, s->nrevoked + 1,
		    sizeof *s->revoked);
		s->revoked[s->nrevoked++] = parts[i].partition;
	}
	log_info("job %s: %zu partition(s) %s", s->job->cfg->name, n,
	    lost ? "lost" : "revoked");
	if (s->in_flight)
		return;			/* stream_ckpt_done continues */
	if (!s->dirty || s->broken != NULL || stream_checkpoint(s) == -1)
		stream_forget_revoked(s);
}

static void
stream_record_cb(void *arg, const struct kafka_record *r)
{
	struct stream	*s = arg;
	char		*cause = NULL;
	int		 rc;

	if (s->broken != NULL)
		return;
	rc = sink_write(s->sink, r, r->taken_us, &cause);
	if (rc == -1) {
		s->broken = cause;
		kafka_pause(s->kafka);
		stream_checkpoint(s);
		return;
	}
	stream_set_next(s, r->partition, r->offset + 1);
	s->job->records_in++;
	s->dirty = 1;
	if (s->open_since_ms == 0)
		s->open_since_ms = r->timestamp_ms > 0 ? r->timestamp_ms :
		    daemon_now_ms();
	stream_freshness(s);
	if (rc == 1) {
		kafka_pause(s->kafka);
		s->paused_ms = daemon_now_ms();
	}
}

/* The job's oldest record not yet in a committed snapshot. */
static void
stream_freshness(struct stream *s)
{
	s->job->uncommitted_since_ms = s->sealed_since_ms != 0 ?
	    s->sealed_since_ms : s->open_since_ms;
}

static void
stream_drain_cb(void *arg)
{
	struct stream	*s = arg;

	if (s->paused_ms != 0) {
		s->job->backpressure_ms += (uint64_t)(daemon_now_ms() -
		    s->paused_ms);
		s->paused_ms = 0;
	}

	if (s->kafka != NULL && s->broken == NULL && !s->stopping)
		kafka_resume(s->kafka);
}

static void
stream_error_cb(void *arg, int fatal, const char *msg)
{
	struct stream	*s = arg;

	job_add_exception(s->job, daemon_now_ms(), fatal ?
	    "KafkaFatalError" : "KafkaError", "%s", msg);
	log_warnx("job %s: kafka: %s", s->job->cfg->name, msg);
	if (fatal && s->in_flight) {
		if (s->broken == NULL)		/* the checkpoint's end restarts */
			s->broken = xstrdup(msg);
	} else if (fatal)
		stream_restart(s, "KafkaFatalError", msg);
}

/* Records Kafka no longer had when the job came to read them. */
static void
stream_gone_cb(void *arg, int32_t partition, int64_t from, int64_t to)
{
	struct stream	*s = arg;

	s->job->offsets_gone += (uint64_t)(to - from);
	job_add_exception(s->job, daemon_now_ms(), "KafkaRecordsGone",
	    "%s [%d]: offsets %" PRId64 " to %" PRId64 " were no longer in "
	    "Kafka when the job came to read them (removed by the topic's "
	    "retention): %" PRId64 " records will never be in the table; "
	    "going on from offset %" PRId64, s->job->cfg->topic,
	    (int)partition, from, to - 1, to - from, to);
	log_warnx("job %s: %s [%d]: offsets %" PRId64 " to %" PRId64
	    " left Kafka before they were read: going on from %" PRId64,
	    s->job->cfg->name, s->job->cfg->topic, (int)partition, from,
	    to - 1, to);
}

/* The consumer is gone: drop the files, then stop or wait to restart. */
static void
stream_torn_down(struct stream *s)
{
	struct timeval	tv;

	sink_free(s->sink);
	s->sink = NULL;
	if (s->stopping) {
		stream_finish_stop(s);
		return;
	}
	tv.tv_sec = s->restart_s;
	tv.tv_usec = 0;
	evtimer_add(s->restart, &tv);
}

static void
stream_closed_cb(void *arg)
{
	struct stream	*s = arg;

	kafka_free(s->kafka);
	s->kafka = NULL;
	s->closing = 0;
	stream_torn_down(s);
}

static void
stream_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream	*s = arg;
	struct timeval	 tv;

	/*
	 * A checkpoint that started re-arms the timer; one that could not
	 * (the previous one still in flight, a slow commit) must not stop
	 * the ticks for good: try again an interval later.
	 */
	if (stream_checkpoint(s) == -1 && !s->stopping && !s->closing &&
	    s->sink != NULL && s->job->state == JOB_RUNNING)
		evtimer_add(s->tick, stream_tv(s->d->cfg->checkpoint_interval_ms,
		    &tv));
}

static int
stream_start_kafka(struct stream *s, char **cause)
{
	struct kafka_options	o;

	memset(&o, 0, sizeof o);
	o.name = s->job->cfg->name;
	o.topic = s->job->cfg->topic;
	o.group_id = s->job->cfg->group_id;
	o.startup_mode = s->job->cfg->startup_mode;
	o.global = &s->d->cfg->kafka;
	o.job = &s->job->cfg->kafka;
	o.record = stream_record_cb;
	o.assign = stream_assign_cb;
	o.revoke = stream_revoke_cb;
	o.error = stream_error_cb;
	o.gone = stream_gone_cb;
	o.closed = stream_closed_cb;
	o.arg = s;
	if ((s->kafka = kafka_new(s->d->base, &o, cause)) == NULL)
		return (-1);
	return (kafka_start(s->kafka, cause));
}

static void	stream_open_finish(struct stream *);

/* The restore is settled: report to its operation, forget it. */
static void
stream_restore_done(struct stream *s, const char *failure)
{
	if (s->restore_op != NULL)
		job_op_finish(s->restore_op, failure, failure == NULL ?
		    s->restore_path : NULL);
	if (failure != NULL) {
		job_add_exception(s->job, daemon_now_ms(), "RestoreRefused",
		    "%s", failure);
		log_warnx("job %s: restore from %s refused: %s",
		    s->job->cfg->name, s->restore_path, failure);
	}
	free(s->restore_path);
	s->restore_path = NULL;
	s->restore_op = NULL;
}

/* Decide the restore from the _metadata read and the table's offsets. */
static int
stream_restore_decide(struct stream *s, const struct buf *text, char **cause)
{
	cJSON		*sp, *table = NULL, *plan = NULL, *p;
	char		 fp[65];
	int64_t		 ckpt = 0, v;
	int		 rc;

	if ((sp = savepoint_parse((const char *)text->data, text->len,
	    cause)) == NULL)
		return (-1);
	savepoint_fingerprint(s->job->cfg, fp);
	rc = ice_meta_job_state(s->table.meta, s->job->id, NULL, &ckpt, &table,
	    cause);
	if (rc != -1)
		rc = savepoint_restore_plan(sp, s->job->id, fp,
		    s->job->cfg->topic, table, s->restore_allow, &plan, cause);
	cJSON_ArrayForEach(p, plan) {
		if (json_get_int64(p, &v) == 0)
			stream_set_next(s, atoi(p->string), v);
	}
	cJSON_Delete(plan);
	cJSON_Delete(table);
	cJSON_Delete(sp);
	return (rc);
}

static void
stream_restore_read_cb(struct fileio_result *r, void *arg)
{
	struct stream	*s = arg;
	char		*cause = NULL;

	if (s->stopping) {
		stream_restore_done(s, "the job stopped first");
		stream_finish_stop(s);
		return;
	}
	if (r->status != FILEIO_OK)
		cause = xasprintf("%s: %s", s->restore_path, r->error);
	else if (stream_restore_decide(s, r->data, &cause) == 0) {
		log_info("job %s: restored from %s", s->job->cfg->name,
		    s->restore_path);
		stream_restore_done(s, NULL);
		stream_open_finish(s);
		return;
	}
	stream_restore_done(s, cause);
	free(cause);
	if (s->restore_prev == JOB_RUNNING) {
		stream_open_finish(s);		/* carry on from the table */
		return;
	}
	s->stopping = 1;			/* back to where it was */
	job_set_state(s->job, s->restore_prev, daemon_now_ms());
}

static void
stream_restore_read(struct stream *s)
{
	char	*file = xasprintf("%s/_metadata", s->restore_path);

	fileio_read(s->fio, file, 1024 * 1024, stream_restore_read_cb, s);
	free(file);
}

static void
stream_open_cb(enum catalog_status st, const char *why, void *arg)
{
	struct stream	*s = arg;
	char		*cause = NULL;

	s->starting = 0;
	if (s->stopping) {		/* stopped while the table opened */
		stream_finish_stop(s);
		return;
	}
	if (st != CATALOG_OK) {
		stream_restart(s, "CatalogError", why);
		return;
	}
	if (ice_schema_ids(ice_meta_current_schema(s->table.meta), &s->ids,
	    &cause) == -1 || stream_recover(s, &cause) == -1) {
		stream_restart(s, "TableError", cause);
		free(cause);
		return;
	}
	stream_resolve_prepared(s);
	if (s->restore_path != NULL) {
		stream_restore_read(s);		/* then stream_open_finish */
		return;
	}
	stream_open_finish(s);
}

/* The table is open and the offsets known: consume. */
/*
 * How old an unfinished upload or temp file under the table's data must
 * be to be a dead writer's: older than any live checkpoint of any
 * instance of the job can be (two intervals plus timeouts), at least 10 s.
 */
static uint64_t
stream_sweep_age_ms(const struct stream *s)
{
	uint64_t	age = 2 * (s->d->cfg->checkpoint_interval_ms +
			    s->d->cfg->checkpoint_timeout_ms);

	return (age < 10000 ? 10000 : age);
}

static void
stream_swept_cb(struct fileio_result *r, void *arg)
{
	struct stream	*s = arg;
	struct timeval	 tv;

	s->sweeping = 0;
	if (r->status != FILEIO_OK)
		log_warnx("job %s: sweeping dead writers' uploads: %s",
		    s->job->cfg->name, r->error);
	else if (r->size > 0) {
		log_info("job %s: removed %llu unfinished upload(s) or temp "
		    "file(s) of dead writers", s->job->cfg->name,
		    (unsigned long long)r->size);
		s->job->orphans_removed += r->size;
	}
	if (s->finish_after_peek) {
		stream_finish_stop(s);
		return;
	}
	if (!s->stopping)
		evtimer_add(s->sweep, stream_tv(stream_sweep_age_ms(s), &tv));
}

/* Abort what writers that died (kill -9, lost instances) left behind. */
static void
stream_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream	*s = arg;
	char		*prefix;

	if (s->stopping || s->table.location == NULL)
		return;
	s->sweeping = 1;
	prefix = xasprintf("%s/data/", s->table.location);
	fileio_abort_uploads(s->fio, prefix, daemon_now_ms() -
	    (int64_t)stream_sweep_age_ms(s), stream_swept_cb, s);
	free(prefix);
}

static void
stream_open_finish(struct stream *s)
{
	struct timeval	 tv;
	char		*cause = NULL;
	uint64_t	 ms = s->d->cfg->checkpoint_interval_ms;

	s->sink = sink_new(s->fio, s->table.location, s->job->cfg, &s->ids,
	    stream_drain_cb, s);
	if (stream_start_kafka(s, &cause) == -1) {
		stream_restart(s, "KafkaError", cause);
		free(cause);
		return;
	}
	s->restart_s = 0;
	job_set_state(s->job, JOB_RUNNING, daemon_now_ms());
	log_info("job %s: RUNNING: %s -> %s", s->job->cfg->name,
	    s->job->cfg->topic, s->job->cfg->table);
	evtimer_add(s->tick, stream_tv(ms, &tv));
	if (!evtimer_pending(s->sweep, NULL))
		evtimer_add(s->sweep, stream_tv(STREAM_SWEEP_FIRST_MS, &tv));
}

void
stream_start(struct stream *s)
{
	struct ice_bronze_ids	 ids = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	cJSON			*schema, *spec, *props;
	char			 age[24];

	s->starting = 1;
	schema = ice_schema_bronze(s->job->cfg->value_type);
	spec = ice_schema_spec(s->job->cfg->partition_by, &ids);
	props = cJSON_CreateObject();
	cJSON_AddStringToObject(props, "write.parquet.compression-codec",
	    s->job->cfg->compression == CONFIG_COMPRESS_ZSTD ? "zstd" :
	    s->job->cfg->compression == CONFIG_COMPRESS_SNAPPY ? "snappy" :
	    "uncompressed");
	/* bounded history on a table committed every few seconds */
	snprintf(age, sizeof age, "%" PRIu64, (uint64_t)STREAM_SNAPSHOTS_KEPT *
	    s->d->cfg->checkpoint_interval_ms);
	cJSON_AddStringToObject(props, ICE_EXPIRE_MAX_AGE, age);
	cJSON_AddStringToObject(props, ICE_EXPIRE_DELETE_META, "true");
	s->cat->ops->open(s->cat, &s->table, schema, spec, props,
	    stream_open_cb, s);
	cJSON_Delete(schema);
	cJSON_Delete(spec);
	cJSON_Delete(props);
}

static void
stream_restart_cb(evutil_socket_t fd, short what, void *arg)
{
	stream_start(arg);
}

/* Record the failure, tear down, and start again from the table. */
static void
stream_restart(struct stream *s, const char *name, const char *why)
{
	job_add_exception(s->job, daemon_now_ms(), name, "%s", why);
	log_warnx("job %s: %s: %s; restarting from the table",
	    s->job->cfg->name, name, why);
	evtimer_del(s->tick);
	s->job->num_restarts++;
	s->gen++;
	s->pending = NULL;
	s->npending = 0;
	s->restart_s = s->restart_s == 0 ? 1 : s->restart_s * 2;
	if (s->restart_s > STREAM_RESTART_MAX_S)
		s->restart_s = STREAM_RESTART_MAX_S;
	free(s->broken);
	s->broken = NULL;
	s->dirty = 0;
	if (!s->stopping)
		job_set_state(s->job, JOB_RESTARTING, daemon_now_ms());
	if (s->kafka != NULL) {
		if (!s->closing) {
			s->closing = 1;
			kafka_close(s->kafka);
		}
		return;		/* stream_closed_cb continues */
	}
	stream_torn_down(s);
}

/* Drop the in-flight checkpoint's data. */
static void
stream_ckpt_clear(struct stream *s)
{
	size_t	i;

	for (i = 0; i < s->nfiles; i++)
		ice_data_file_clear(&s->files[i]);
	free(s->files);
	s->files = NULL;
	s->nfiles = 0;
	free(s->offsets_json);
	s->offsets_json = NULL;
	free(s->expect_json);
	s->expect_json = NULL;
	free(s->commit_offsets);
	s->commit_offsets = NULL;
	s->ncommit = 0;
	s->in_flight = 0;
}

/* A checkpoint record on its way to the state store (worker thread). */
struct stream_state_req {
	struct stream		*s;	/* waiting to commit, or NULL */
	struct daemon		*d;
	char			 job_id[33];
};

static void	stream_commit(struct stream *);

/* The record is durable (or failed: the table decides anyway). */
static void
stream_state_done(const char *cause, void *arg)
{
	struct stream_state_req	*r = arg;
	struct job		*job;

	if (cause != NULL) {
		job = daemon_find_job(r->d, r->job_id);
		if (job != NULL)
			job_add_exception(job, daemon_now_ms(), "StateError",
			    "%s", cause);
		log_warnx("job %s: state: %s", job != NULL ? job->cfg->name :
		    r->job_id, cause);
	}
	if (r->s != NULL) {
		r->s->prepare_req = NULL;
		stream_commit(r->s);
	}
	free(r);
}

/*
 * Record the checkpoint in the state store.  "prepared" is made durable
 * before the catalog commit: on the worker thread when there is one, and
 * the commit follows in stream_state_done; "committed" is not waited for.
 */
static void
stream_state_put(struct stream *s, enum state_ckpt_status status)
{
	struct stream_state_req	*r;
	struct state_ckpt	 c;
	char			*cause = NULL;
	size_t			 i;

	if (s->st == NULL) {
		if (status == STATE_CKPT_PREPARED)
			stream_commit(s);
		return;
	}
	memset(&c, 0, sizeof c);
	snprintf(c.job_id, sizeof c.job_id, "%s", s->job->id);
	c.checkpoint_id = s->ckpt_id;
	c.status = status;
	c.snapshot_id = s->snapshot_id;
	c.manifest_list = (char *)"";
	c.offsets = s->offsets_json;
	c.files = xcalloc(s->nfiles + 1, sizeof *c.files);
	for (i = 0; i < s->nfiles; i++)
		c.files[i] = s->files[i].path;
	c.nfiles = s->nfiles;
	c.prepared_ms = s->job->history[0].trigger_ms;
	c.committed_ms = status == STATE_CKPT_COMMITTED ? daemon_now_ms() : 0;
	r = xcalloc(1, sizeof *r);
	r->d = s->d;
	snprintf(r->job_id, sizeof r->job_id, "%s", s->job->id);
	if (status == STATE_CKPT_PREPARED) {
		r->s = s;
		s->prepare_req = r;
	}
	if (s->d != NULL && s->d->state_worker != NULL)
		state_ckpt_put_async(s->st, s->d->state_worker, &c,
		    stream_state_done, r);
	else {
		(void)state_ckpt_put(s->st, &c, &cause);
		stream_state_done(cause, r);
		free(cause);
	}
	free(c.files);
}

/* The checkpoint ended; finish a pending stop. */
static void
stream_ckpt_done(struct stream *s)
{
	char	*why;

	stream_ckpt_clear(s);
	evtimer_del(s->ckpt_timer);
	if (s->broken != NULL && !s->stopping && !s->closing) {
		/* a write or Kafka failed while this checkpoint was in flight */
		why = xstrdup(s->broken);
		stream_restart(s, "WriteError", why);
		free(why);
		return;
	}
	if (s->nqueued > 0 && !s->closing)
		(void)stream_checkpoint(s);
	if (s->nrevoked > 0 && !s->stopping && !s->closing &&
	    (!s->dirty || s->broken != NULL || stream_checkpoint(s) == -1))
		stream_forget_revoked(s);
	if (s->stopping && s->kafka != NULL && !s->closing) {
		s->closing = 1;
		kafka_close(s->kafka);
	}
}

/* A savepoint's _metadata write in flight. */
struct stream_sp {
	struct stream		*s;
	struct job_operation	*op;
	char			*dir;
	uint64_t		 checkpoint_id;
	int64_t			 snapshot_id;
	int64_t			 created_ms;
};

/* Index a written savepoint in the state store (best effort: a cache). */
static void
stream_sp_index(struct stream *s, const struct stream_sp *sp)
{
	cJSON	*o;
	char	*key, *text, *cause = NULL;

	if (s->st == NULL)
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "location", sp->dir);
	json_add_int64(o, "checkpoint-id", (int64_t)sp->checkpoint_id);
	json_add_int64(o, "snapshot-id", sp->snapshot_id);
	json_add_int64(o, "created-ms", sp->created_ms);
	text = json_print(o);
	cJSON_Delete(o);
	key = xasprintf("savepoint/%s/%020" PRId64, s->job->id, sp->created_ms);
	if (state_put(s->st, key, text, strlen(text), &cause) == -1) {
		log_warnx("job %s: savepoint index: %s", s->job->cfg->name,
		    cause);
		free(cause);
	}
	free(key);
	free(text);
}

static void
stream_sp_written_cb(struct fileio_result *r, void *arg)
{
	struct stream_sp	*sp = arg;
	struct stream		*s = sp->s;
	char			*err = NULL;
	int			 then = sp->op->then;

	s->sp_writes--;
	if (r->status != FILEIO_OK)
		err = xasprintf("savepoint %s: %s", sp->dir, r->error);
	job_op_finish(sp->op, err, err == NULL ? sp->dir : NULL);
	if (err == NULL) {
		log_info("job %s: savepoint %s", s->job->cfg->name, sp->dir);
		stream_sp_index(s, sp);
	}
	else
		log_warnx("job %s: %s", s->job->cfg->name, err);
	free(err);
	free(sp->dir);
	free(sp);
	if (s->finish_after_peek) {
		if (s->sp_writes == 0 && !s->peeking)
			stream_finish_stop(s);
		return;
	}
	if (r->status != FILEIO_OK || s->stopping)
		return;
	if (then == JOB_OP_THEN_CANCEL)
		stream_cancel(s);
	else if (then == JOB_OP_THEN_STOP)
		stream_stop(s, NULL, NULL);
}

/* Write op's _metadata for the checkpoint that just completed. */
static void
stream_sp_write(struct stream *s, struct job_operation *op, int64_t snap)
{
	struct savepoint_info	 i;
	struct stream_sp	*sp = xcalloc(1, sizeof *sp);
	char			 fp[65], *text, *file;

	savepoint_fingerprint(s->job->cfg, fp);
	memset(&i, 0, sizeof i);
	i.job_id = s->job->id;
	i.job_name = s->job->cfg->name;
	i.table = s->job->cfg->table;
	i.topic = s->job->cfg->topic;
	i.snapshot_id = snap;
	i.checkpoint_id = s->ckpt_id;
	i.offsets_json = s->offsets_json;
	i.created_ms = daemon_now_ms();
	i.fingerprint = fp;
	sp->s = s;
	sp->op = op;
	sp->dir = savepoint_new_dir(op->target, s->job->id);
	sp->checkpoint_id = i.checkpoint_id;
	sp->snapshot_id = snap;
	sp->created_ms = i.created_ms;
	text = savepoint_metadata(&i);
	file = xasprintf("%s/_metadata", sp->dir);
	s->sp_writes++;
	fileio_put(s->fio, file, text, strlen(text), FILEIO_PRIVATE,
	    stream_sp_written_cb, sp);
	free(file);
	free(text);
}

/*
 * The checkpoint the riding operations wait for ended: failure NULL on
 * success, snap the snapshot that holds it (0: nothing new committed).
 */
static void
stream_ops_outcome(struct stream *s, const char *failure, int64_t snap)
{
	struct job_operation	*op;
	size_t			 i;

	if (snap == 0 && failure == NULL &&
	    ice_meta_main(s->table.meta, &snap) == -1)
		snap = 0;
	for (i = 0; i < s->nriding; i++) {
		op = s->riding[i];
		if (failure != NULL || op->kind == JOB_OP_CHECKPOINT)
			job_op_finish(op, failure, NULL);
		else
			stream_sp_write(s, op, snap);
	}
	s->nriding = 0;
}

static void
stream_appended_cb(enum catalog_status st, int64_t id, const char *cause,
    void *arg)
{
	struct stream	*s = arg;
	struct job	*job = s->job;
	uint64_t	 size = 0;
	size_t		 i;
	char		*err;

	job->commit_attempts = s->append_stats.attempts;
	job->commit_conflicts = s->append_stats.conflicts;
	job->commit_unknown = s->append_stats.unknown;
	job->commit_fenced = s->append_stats.fenced;
	job->snapshots_expired = s->append_stats.expired;
	job->manifests_merged = s->append_stats.merged;

	if (st != CATALOG_OK) {
		err = xasprintf("commit of checkpoint %" PRIu64 ": %s: %s",
		    s->ckpt_id, catalog_status_name(st), cause ? cause : "");
		job_checkpoint_end(job, JOB_CKPT_FAILED, daemon_now_ms(), err);
		stream_ops_outcome(s, err, 0);
		stream_ckpt_clear(s);
		stream_restart(s, "CommitError", err);
		free(err);
		return;
	}
	stream_state_put(s, STATE_CKPT_COMMITTED);
	for (i = 0; i < s->ncommit; i++) {	/* partitions still ours */
		int32_t p = s->commit_offsets[i].partition;

		if ((size_t)p < s->nnext && s->next[p] >= 0)
			s->base[p] = s->commit_offsets[i].offset;
	}
	for (i = 0; i < s->nfiles; i++) {
		size += (uint64_t)s->files[i].file_size;
		job->history[0].records += (uint64_t)s->files[i].record_count;
	}
	job->history[0].size = size;
	job->history[0].files = s->nfiles;
	job->history[0].snapshot_id = id;
	job->records_committed += job->history[0].records;
	job->last_commit_ms = daemon_now_ms();
	job_checkpoint_end(job, JOB_CKPT_COMPLETED, job->last_commit_ms, NULL);
	job_commit_observe(job, (double)(job->history[0].end_ms -
	    job->history[0].trigger_ms) / 1000.0);
	s->sealed_since_ms = 0;
	stream_freshness(s);
	stream_ops_outcome(s, NULL, id);
	log_debug("job %s: checkpoint %" PRIu64 " committed snapshot %" PRId64
	    " (%zu files)", job->cfg->name, s->ckpt_id, id, s->nfiles);
	if (s->kafka != NULL && s->ncommit > 0) {
		char *why = NULL;

		if (kafka_commit_offsets(s->kafka, s->commit_offsets,
		    s->ncommit, &why) == -1)
			free(why);	/* monitoring only */
	}
	stream_ckpt_done(s);
}

static void
stream_sealed_cb(struct ice_data_file *files, size_t n, const char *cause,
    void *arg)
{
	struct stream		*s = arg;

	if (cause != NULL || s->broken != NULL) {
		char *err = xstrdup(cause != NULL ? cause : s->broken);

		job_checkpoint_end(s->job, JOB_CKPT_FAILED, daemon_now_ms(),
		    err);
		stream_ops_outcome(s, err, 0);
		stream_ckpt_clear(s);
		stream_restart(s, "WriteError", err);
		free(err);
		return;
	}
	s->files = files;
	s->nfiles = n;
	if (n == 0) {
		job_checkpoint_end(s->job, JOB_CKPT_COMPLETED, daemon_now_ms(),
		    NULL);
		s->sealed_since_ms = 0;
		stream_freshness(s);
		stream_ops_outcome(s, NULL, 0);
		stream_ckpt_done(s);
		return;
	}
	s->snapshot_id = ice_meta_new_snapshot_id(s->table.meta);
	stream_state_put(s, STATE_CKPT_PREPARED);	/* then stream_commit */
}

/* The sealed checkpoint is prepared: commit it to the table. */
static void
stream_commit(struct stream *s)
{
	struct ice_append_req	 req;

	memset(&req, 0, sizeof req);
	req.job_id = s->job->id;
	req.checkpoint_id = (int64_t)s->ckpt_id;
	req.offsets_json = s->offsets_json;
	req.files = s->files;
	req.nfiles = s->nfiles;
	req.transform = s->job->cfg->partition_by;
	req.snapshot_id = s->snapshot_id;
	req.expect_json = s->expect_json;
	req.stats = &s->append_stats;
	ice_append(s->d->base, s->fio, s->cat, &s->table, &req,
	    stream_appended_cb, s);
}

/*
 * checkpoint.timeout passed with the checkpoint still in flight: say so.
 * Its requests are bounded by the HTTP client's retry budget, and a commit
 * whose outcome may already be applied is never abandoned half-way, so
 * it is left to settle (a failure then restarts the job from the table).
 */
static void
stream_ckpt_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream	*s = arg;

	if (!s->in_flight)
		return;
	job_add_exception(s->job, daemon_now_ms(), "CheckpointTimeout",
	    "checkpoint %" PRIu64 " still in flight after checkpoint.timeout "
	    "(%" PRIu64 " ms)", s->ckpt_id, s->d->cfg->checkpoint_timeout_ms);
	log_warnx("job %s: checkpoint %" PRIu64 " still in flight after "
	    "checkpoint.timeout", s->job->cfg->name, s->ckpt_id);
}

int
stream_checkpoint(struct stream *s)
{
	struct job_checkpoint	*cp;
	struct timeval		 tv;
	size_t			 i;

	if (s->in_flight || s->sink == NULL || s->closing)
		return (-1);
	if (!s->stopping && s->job->state == JOB_RUNNING)
		evtimer_add(s->tick, stream_tv(s->d->cfg->checkpoint_interval_ms,
		    &tv));
	s->in_flight = 1;
	evtimer_add(s->ckpt_timer, stream_tv(s->d->cfg->checkpoint_timeout_ms,
	    &tv));
	cp = job_checkpoint_begin(s->job, ++s->ckpt_id, daemon_now_ms());
	for (i = 0; i < s->nqueued; i++) {
		s->queued[i]->checkpoint_id = s->ckpt_id;
		if (s->queued[i]->kind == JOB_OP_SAVEPOINT)
			cp->is_savepoint = 1;
		s->riding[s->nriding++] = s->queued[i];
	}
	s->nqueued = 0;
	/* offsets and the file set are taken at the same moment */
	s->offsets_json = stream_offsets_json(s, s->next);
	s->expect_json = stream_offsets_json(s, s->base);
	s->commit_offsets = xcalloc(s->nnext + 1, sizeof *s->commit_offsets);
	for (i = 0; i < s->nnext; i++) {
		if (s->next[i] < 0)
			continue;
		s->commit_offsets[s->ncommit].partition = (int32_t)i;
		s->commit_offsets[s->ncommit++].offset = s->next[i];
	}
	s->dirty = 0;
	if (s->sealed_since_ms == 0)	/* a failed one keeps its own */
		s->sealed_since_ms = s->open_since_ms;
	s->open_since_ms = 0;
	stream_forget_revoked(s);	/* their records are in this seal */
	sink_seal(s->sink, stream_sealed_cb, s);
	return (0);
}

static void
stream_finish_stop(struct stream *s)
{
	stream_stopped_fn	 cb = s->stopped;
	size_t			 i;

	if (s->peeking || s->sp_writes > 0 || s->sweeping) {
		/* their callbacks come back */
		s->finish_after_peek = 1;
		return;
	}
	s->finish_after_peek = 0;
	s->stopped = NULL;
	for (i = 0; i < s->nqueued; i++)
		job_op_finish(s->queued[i], "the job stopped first", NULL);
	s->nqueued = 0;
	if (!job_state_is_terminal(s->job->state))
		job_set_state(s->job, s->cancel ? JOB_CANCELED : JOB_FINISHED,
		    daemon_now_ms());
	if (cb != NULL)
		cb(s, s->stopped_arg);
}

/* Tear down and start again at once (no failure: no backoff, no count). */
static void
stream_relaunch(struct stream *s)
{
	evtimer_del(s->tick);
	s->gen++;
	s->pending = NULL;
	s->npending = 0;
	s->restart_s = 0;
	free(s->broken);
	s->broken = NULL;
	s->dirty = 0;
	job_set_state(s->job, JOB_RESTARTING, daemon_now_ms());
	if (s->kafka != NULL) {
		if (!s->closing) {
			s->closing = 1;
			kafka_close(s->kafka);
		}
		return;
	}
	stream_torn_down(s);
}

int
stream_restore(struct stream *s, const char *path, int allow_duplicates,
    struct job_operation *op, char **cause)
{
	size_t	n;

	if (s->restore_path != NULL) {
		*cause = xstrdup("a restore is already in progress");
		return (-1);
	}
	if (s->in_flight || s->closing || s->peeking ||
	    (s->stopping && s->stopped != NULL) || s->d->stopping) {
		*cause = xstrdup("the job is busy (a checkpoint, a stop or a "
		    "restart is in progress): try again");
		return (-1);
	}
	s->restore_path = xstrdup(strncmp(path, "file:", 5) == 0 &&
	    strncmp(path, "file://", 7) != 0 ? path + 5 : path);
	n = strlen(s->restore_path);
	if (n > 10 && strcmp(s->restore_path + n - 10, "/_metadata") == 0)
		s->restore_path[n - 10] = '\0';
	s->restore_allow = allow_duplicates;
	s->restore_op = op;
	s->restore_prev = job_state_is_terminal(s->job->state) ?
	    s->job->state : JOB_RUNNING;
	if (op == NULL && s->job->state == JOB_CREATED)
		s->restore_prev = JOB_FAILED;	/* --from-savepoint refused */
	log_info("job %s: restoring from savepoint %s", s->job->cfg->name,
	    s->restore_path);
	if (s->starting || s->job->state == JOB_CREATED)
		return (0);		/* stream_open_cb decides */
	if (s->stopping) {		/* a stopped job starts again */
		s->stopping = 0;
		s->cancel = 0;
		s->job->end_time_ms = -1;
		job_set_state(s->job, JOB_RESTARTING, daemon_now_ms());
		stream_start(s);
		return (0);
	}
	stream_relaunch(s);
	return (0);
}

size_t
stream_positions(struct stream *s, struct kafka_position **out)
{
	size_t	i, n;
	int32_t	p;

	*out = NULL;
	if (s->kafka == NULL || s->closing)
		return (0);
	n = kafka_positions(s->kafka, out);
	for (i = 0; i < n; i++) {
		p = (*out)[i].partition;
		if (p >= 0 && (size_t)p < s->nnext)
			(*out)[i].committed = s->base[p];
	}
	return (n);
}

int
stream_trigger(struct stream *s, struct job_operation *op, char **cause)
{
	if (s->job->state != JOB_RUNNING || s->stopping || s->sink == NULL) {
		*cause = xasprintf("job %s is %s, not RUNNING",
		    s->job->cfg->name, job_state_name(s->job->state));
		return (-1);
	}
	if (s->nqueued == JOB_OPS) {
		*cause = xstrdup("too many operations queued");
		return (-1);
	}
	s->queued[s->nqueued++] = op;
	if (!s->in_flight)
		(void)stream_checkpoint(s);	/* else stream_ckpt_done */
	return (0);
}

void
stream_cancel(struct stream *s)
{
	if (s->stopping || job_state_is_terminal(s->job->state))
		return;
	s->cancel = 1;
	job_set_state(s->job, JOB_CANCELLING, daemon_now_ms());
	log_info("job %s: canceled: records not yet committed are read "
	    "again at the next start", s->job->cfg->name);
	s->dirty = 0;			/* no final checkpoint */
	stream_stop(s, NULL, NULL);
}

void
stream_stop(struct stream *s, stream_stopped_fn cb, void *arg)
{
	s->stopping = 1;
	s->stopped = cb;
	s->stopped_arg = arg;
	evtimer_del(s->tick);
	evtimer_del(s->restart);
	evtimer_del(s->sweep);
	if (s->starting)
		return;			/* stream_open_cb finishes the stop */
	if (s->kafka == NULL) {		/* not started, or restarting */
		sink_free(s->sink);
		s->sink = NULL;
		stream_finish_stop(s);
		return;
	}
	kafka_pause(s->kafka);
	if (s->in_flight || s->closing)
		return;			/* the checkpoint's end continues */
	if (s->dirty && s->broken == NULL && stream_checkpoint(s) == 0)
		return;
	s->closing = 1;
	kafka_close(s->kafka);
}

struct stream *
stream_new(struct daemon *d, struct job *job, struct fileio *fio,
    struct catalog *cat, struct state *st)
{
	struct stream	*s = xcalloc(1, sizeof *s);

	s->magic = STREAM_MAGIC;
	s->d = d;
	s->job = job;
	s->fio = fio;
	s->cat = cat;
	s->st = st;
	catalog_table_init(&s->table, job->cfg->table_namespace,
	    job->cfg->table_name);
	catalog_table_init(&s->peek, job->cfg->table_namespace,
	    job->cfg->table_name);
	s->tick = evtimer_new(d->base, stream_tick_cb, s);
	s->restart = evtimer_new(d->base, stream_restart_cb, s);
	s->ckpt_timer = evtimer_new(d->base, stream_ckpt_timeout_cb, s);
	s->sweep = evtimer_new(d->base, stream_sweep_cb, s);
	return (s);
}

void
stream_free(struct stream *s)
{
	if (s == NULL)
		return;
	if (s->prepare_req != NULL)
		s->prepare_req->s = NULL;	/* the write finishes alone */
	if (s->kafka != NULL)
		kafka_free(s->kafka);
	sink_free(s->sink);
	stream_ckpt_clear(s);
	event_free(s->tick);
	event_free(s->restart);
	event_free(s->ckpt_timer);
	event_free(s->sweep);
	catalog_table_clear(&s->table);
	catalog_table_clear(&s->peek);
	free(s->next);
	free(s->base);
	free(s->revoked);
	free(s->restore_path);
	free(s->broken);
	s->magic = 0;
	free(s);
}
