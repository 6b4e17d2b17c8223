/*
 * metrics.c: Prometheus exposition of the daemon's state (see metrics.h).
 * Everything is read from struct job and the HTTP client's counters when
 * scraped; only rates and the loop lag need the sampling timer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "http.h"
#include "job.h"
#include "kafka.h"
#include "metrics.h"
#include "stream.h"
#include "xmalloc.h"

#define METRICS_TICK_MS		100
#define METRICS_RATE_SLOTS	60	/* one per second */
#define METRICS_LAG_SLOTS	10	/* max lag per second, 10 s */
#define METRICS_LAG_BUCKETS	12

struct metrics_job {
	uint64_t	 in[METRICS_RATE_SLOTS];
	int64_t		 at[METRICS_RATE_SLOTS];
	uint64_t	 bp[METRICS_RATE_SLOTS];	/* backpressure ms */
};

struct metrics {
	struct daemon		*d;
	struct event		*tick;
	int64_t			 due_us;	/* when the tick should fire */
	unsigned		 ticks;
	size_t			 slot;		/* rate ring position */
	size_t			 filled;
	struct metrics_job	*jobs;		/* one per d->jobs[i] */
	double			 lag[METRICS_LAG_SLOTS];
	size_t			 lag_slot;
	uint64_t		 lag_hist[METRICS_LAG_BUCKETS];	/* not cumul. */
	uint64_t		 lag_count;
	double			 lag_sum;
};

/* Upper bounds (seconds) of the loop-lag histogram's buckets. */
static const double metrics_lag_bounds[METRICS_LAG_BUCKETS] = {
	0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1,
	0.25, 1
};

static void
metrics_arm(struct metrics *m)
{
	struct timeval	tv = { 0, METRICS_TICK_MS * 1000 };

	/* monotonic: a stepped wall clock is not loop lag */
	m->due_us = daemon_mono_us() + METRICS_TICK_MS * 1000;
	evtimer_add(m->tick, &tv);
}

/* Every 100 ms: lateness; every second: the record counters. */
static void
metrics_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct metrics	*m = arg;
	double		 late = (double)(daemon_mono_us() - m->due_us) / 1e6;
	size_t		 i;

	if (late < 0)
		late = 0;
	if (late > m->lag[m->lag_slot])
		m->lag[m->lag_slot] = late;
	job_hist_observe(m->lag_hist, metrics_lag_bounds, METRICS_LAG_BUCKETS,
	    late);
	m->lag_count++;
	m->lag_sum += late;
	if (++m->ticks % (1000 / METRICS_TICK_MS) == 0) {
		m->lag_slot = (m->lag_slot + 1) % METRICS_LAG_SLOTS;
		m->lag[m->lag_slot] = 0;
		m->slot = (m->slot + 1) % METRICS_RATE_SLOTS;
		if (m->filled < METRICS_RATE_SLOTS)
			m->filled++;
		for (i = 0; i < m->d->njobs; i++) {
			m->jobs[i].in[m->slot] = m->d->jobs[i]->records_in;
			m->jobs[i].bp[m->slot] =
			    m->d->jobs[i]->backpressure_ms;
			m->jobs[i].at[m->slot] = daemon_now_ms();
		}
	}
	metrics_arm(m);
}

struct metrics *
metrics_new(struct daemon *d)
{
	struct metrics	*m = xcalloc(1, sizeof *m);

	m->d = d;
	m->jobs = xcalloc(d->njobs + 1, sizeof *m->jobs);
	m->tick = evtimer_new(d->base, metrics_tick_cb, m);
	metrics_arm(m);
	return (m);
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	event_free(m->tick);
	free(m->jobs);
	free(m);
}

/* Per-second rate of a counter ring over the last minute. */
static double
metrics_rate(const struct metrics *m, const uint64_t *v, const int64_t *at)
{
	size_t	oldest;

	if (m->filled < 2)
		return (0);
	oldest = (m->slot + METRICS_RATE_SLOTS - (m->filled - 1)) %
	    METRICS_RATE_SLOTS;
	if (at[m->slot] <= at[oldest])
		return (0);
	return ((double)(v[m->slot] - v[oldest]) * 1000.0 /
	    (double)(at[m->slot] - at[oldest]));
}

static size_t
metrics_job_index(const struct metrics *m, const struct job *job)
{
	size_t	i;

	for (i = 0; i < m->d->njobs; i++)
		if (m->d->jobs[i] == job)
			return (i);
	return (m->d->njobs);		/* the spare zero slot */
}

/* Append v escaped for a label value. */
static void
metrics_escape(struct buf *b, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			buf_putc(b, '\\');
		if (*v == '\n')
			buf_append(b, "\\n", 2);
		else
			buf_putc(b, *v);
	}
}

static void
metrics_family(struct buf *b, const char *name, const char *type,
    const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/*
 * name{job_id="..",job_name=".."[,extra]} value; without a job,
 * name{extra} value.
 */
static void
metrics_job_sample(struct buf *b, const char *name, const struct job *job,
    const char *extra, double v)
{
	if (job == NULL) {
		buf_printf(b, "%s%s%s%s %.17g\n", name, extra != NULL ? "{" :
		    "", extra != NULL ? extra : "", extra != NULL ? "}" : "",
		    v);
		return;
	}
	buf_printf(b, "%s{job_id=\"%s\",job_name=\"", name, job->id);
	metrics_escape(b, job->cfg->name);
	buf_printf(b, "\"%s%s} %.17g\n", extra != NULL ? "," : "",
	    extra != NULL ? extra : "", v);
}

/* A histogram's _bucket (cumulative), _sum and _count samples. */
static void
metrics_hist_samples(struct buf *b, const char *name, const struct job *job,
    const double *bounds, size_t n, const uint64_t *counts, uint64_t count,
    double sum)
{
	char		extra[64], *series;
	uint64_t	cum = 0;
	size_t		k;

	series = xasprintf("%s_bucket", name);
	for (k = 0; k < n; k++) {
		cum += counts[k];
		snprintf(extra, sizeof extra, "le=\"%g\"", bounds[k]);
		metrics_job_sample(b, series, job, extra, (double)cum);
	}
	metrics_job_sample(b, series, job, "le=\"+Inf\"", (double)count);
	free(series);
	series = xasprintf("%s_sum", name);
	metrics_job_sample(b, series, job, NULL, sum);
	free(series);
	series = xasprintf("%s_count", name);
	metrics_job_sample(b, series, job, NULL, (double)count);
	free(series);
}

/*
 * A job series: its Prometheus name (or Flink REST id), its value.  A
 * Flink name has a snake_case twin in base units, exported instead when
 * metrics.flink-names is off (promtool's lint rejects camelCase).
 */
struct metrics_def {
	const char	*name;		/* Prometheus family */
	const char	*id;		/* Flink REST metric id, or NULL */
	const char	*type;
	const char	*help;
	double		(*get)(struct metrics *, const struct job *, size_t);
	const char	*plain;		/* snake_case twin, or NULL */
	const char	*plain_type;
	double		 plain_scale;	/* value in the twin's unit */
};

static double
metrics_get_in(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->records_in);
}

static double
metrics_get_in_rate(struct metrics *m, const struct job *j, size_t i)
{
	return (metrics_rate(m, m->jobs[i].in, m->jobs[i].at));
}

static double
metrics_get_bp_rate(struct metrics *m, const struct job *j, size_t i)
{
	return (metrics_rate(m, m->jobs[i].bp, m->jobs[i].at));
}

static double
metrics_get_last_duration(struct metrics *m, const struct job *j, size_t i)
{
	return (j->last_completed.id == 0 ? 0 :
	    (double)(j->last_completed.end_ms - j->last_completed.trigger_ms));
}

static double
metrics_get_completed(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->ckpt_completed);
}

static double
metrics_get_failed(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->ckpt_failed);
}

static double
metrics_get_in_progress(struct metrics *m, const struct job *j, size_t i)
{
	return (j->nhistory > 0 &&
	    j->history[0].status == JOB_CKPT_IN_PROGRESS ? 1 : 0);
}

static double
metrics_get_last_size(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->last_completed.size);
}

static double
metrics_get_uptime(struct metrics *m, const struct job *j, size_t i)
{
	if (j->state != JOB_RUNNING || j->state_times_ms[JOB_RUNNING] == 0)
		return (0);
	return ((double)(daemon_now_ms() - j->state_times_ms[JOB_RUNNING]));
}

static double
metrics_get_restarts(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->num_restarts);
}

static double
metrics_get_committed(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->records_committed);
}

static double
metrics_get_freshness(struct metrics *m, const struct job *j, size_t i)
{
	int64_t	since = j->uncommitted_since_ms;

	return (since == 0 ? 0 : (double)(daemon_now_ms() - since) / 1000.0);
}

static double
metrics_get_last_commit(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->last_commit_ms / 1000.0);
}

static double
metrics_get_attempts(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->commit_attempts);
}

static double
metrics_get_conflicts(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->commit_conflicts);
}

static double
metrics_get_expired(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->snapshots_expired);
}

static double
metrics_get_merged(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->manifests_merged);
}

static double
metrics_get_unknown(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->commit_unknown);
}

static double
metrics_get_fenced(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->commit_fenced);
}

static double
metrics_get_orphans(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->orphans_removed);
}

static double
metrics_get_gone(struct metrics *m, const struct job *j, size_t i)
{
	return ((double)j->offsets_gone);
}

static const struct metrics_def metrics_defs[] = {
	{ "flink_taskmanager_job_task_numRecordsIn", "numRecordsIn", "gauge",
	    "Records consumed from Kafka", metrics_get_in,
	    "bronzed_records_in_total", "counter", 1 },
	{ "flink_taskmanager_job_task_numRecordsInPerSecond",
	    "numRecordsInPerSecond", "gauge",
	    "Records consumed per second (last minute)", metrics_get_in_rate,
	    "bronzed_records_in_per_second", "gauge", 1 },
	{ "flink_taskmanager_job_task_backPressuredTimeMsPerSecond",
	    "backPressuredTimeMsPerSecond", "gauge",
	    "Milliseconds per second the fetch was held back by uploads",
	    metrics_get_bp_rate,
	    "bronzed_backpressure_ratio", "gauge", 0.001 },
	{ "flink_jobmanager_job_lastCheckpointDuration",
	    "lastCheckpointDuration", "gauge",
	    "Duration of the last completed checkpoint in ms",
	    metrics_get_last_duration,
	    "bronzed_last_checkpoint_duration_seconds", "gauge", 0.001 },
	{ "flink_jobmanager_job_numberOfCompletedCheckpoints",
	    "numberOfCompletedCheckpoints", "gauge",
	    "Completed checkpoints", metrics_get_completed,
	    "bronzed_checkpoints_completed_total", "counter", 1 },
	{ "flink_jobmanager_job_numberOfFailedCheckpoints",
	    "numberOfFailedCheckpoints", "gauge",
	    "Failed checkpoints", metrics_get_failed,
	    "bronzed_checkpoints_failed_total", "counter", 1 },
	{ "flink_jobmanager_job_numberOfInProgressCheckpoints",
	    "numberOfInProgressCheckpoints", "gauge",
	    "Checkpoints in progress", metrics_get_in_progress,
	    "bronzed_checkpoints_in_progress", "gauge", 1 },
	{ "flink_jobmanager_job_lastCheckpointSize", "lastCheckpointSize",
	    "gauge", "Bytes of data files the last checkpoint committed",
	    metrics_get_last_size,
	    "bronzed_last_checkpoint_size_bytes", "gauge", 1 },
	{ "flink_jobmanager_job_uptime", "uptime", "gauge",
	    "Milliseconds the job has been RUNNING, 0 otherwise",
	    metrics_get_uptime,
	    "bronzed_job_uptime_seconds", "gauge", 0.001 },
	{ "flink_jobmanager_job_numRestarts", "numRestarts", "gauge",
	    "Restarts after failures", metrics_get_restarts,
	    "bronzed_job_restarts_total", "counter", 1 },
	{ "bronzed_records_committed_total", "recordsCommitted", "counter",
	    "Records committed to the Iceberg table", metrics_get_committed, NULL, NULL, 0 },
	{ "bronzed_freshness_seconds", "freshness", "gauge",
	    "Age of the oldest consumed record not yet committed (0: all "
	    "committed)", metrics_get_freshness, NULL, NULL, 0 },
	{ "bronzed_commit_attempts_total", "commitAttempts", "counter",
	    "Catalog commits sent (retries included)", metrics_get_attempts, NULL, NULL, 0 },
	{ "bronzed_commit_conflicts_total", "commitConflicts", "counter",
	    "Commits that met a concurrent one (409) and were rebuilt",
	    metrics_get_conflicts, NULL, NULL, 0 },
	{ "bronzed_snapshots_expired_total", "snapshotsExpired", "counter",
	    "Snapshots expired as the table's history.expire.* properties ask",
	    metrics_get_expired, NULL, NULL, 0 },
	{ "bronzed_manifests_merged_total", "manifestsMerged", "counter",
	    "Small manifests merged into one as the table's "
	    "commit.manifest.* properties ask", metrics_get_merged, NULL, NULL,
	    0 },
	{ "bronzed_commit_unknown_total", "commitUnknown", "counter",
	    "Commits whose outcome was unknown and settled by a reload",
	    metrics_get_unknown, NULL, NULL, 0 },
	{ "bronzed_commit_fenced_total", "commitFenced", "counter",
	    "Commits refused because another writer of the job had moved on",
	    metrics_get_fenced, NULL, NULL, 0 },
	{ "bronzed_orphans_removed_total", "orphansRemoved", "counter",
	    "Unfinished uploads and temp files of dead writers removed",
	    metrics_get_orphans, NULL, NULL, 0 },
	{ "bronzed_kafka_offsets_gone_total", "kafkaOffsetsGone", "counter",
	    "Offsets Kafka had removed (retention) before the job read them: "
	    "records that never reached the table",
	    metrics_get_gone, NULL, NULL, 0 },
	{ "bronzed_last_commit_timestamp_seconds", "lastCommitTimestamp",
	    "gauge", "Unix time of the last successful commit (0: none)",
	    metrics_get_last_commit, NULL, NULL, 0 },
};
#define METRICS_NDEFS	(sizeof metrics_defs / sizeof metrics_defs[0])

const char *const metrics_job_names[] = {
	"numRecordsIn", "numRecordsInPerSecond",
	"backPressuredTimeMsPerSecond", "lastCheckpointDuration",
	"numberOfCompletedCheckpoints", "numberOfFailedCheckpoints",
	"numberOfInProgressCheckpoints", "lastCheckpointSize", "uptime",
	"numRestarts", "recordsCommitted", "freshness",
	"commitAttempts", "commitConflicts", "commitUnknown", "commitFenced",
	"orphansRemoved", "lastCommitTimestamp", NULL
};

char *
metrics_job_value(struct metrics *m, const struct job *job, const char *name)
{
	size_t	i;

	for (i = 0; i < METRICS_NDEFS; i++) {
		if (strcmp(metrics_defs[i].id, name) == 0)
			return (xasprintf("%.17g", metrics_defs[i].get(m, job,
			    metrics_job_index(m, job))));
	}
	return (NULL);
}

static void
metrics_render_jobs(struct metrics *m, struct buf *b)
{
	const struct metrics_def	*def;
	size_t				 i, j;

	const char			*name, *type;
	double				 scale;

	for (i = 0; i < METRICS_NDEFS; i++) {
		def = &metrics_defs[i];
		name = def->name;
		type = def->type;
		scale = 1;
		if (def->plain != NULL && !m->d->cfg->metrics_flink_names) {
			name = def->plain;
			type = def->plain_type;
			scale = def->plain_scale;
		}
		metrics_family(b, name, type, def->help);
		for (j = 0; j < m->d->njobs; j++)
			metrics_job_sample(b, name, m->d->jobs[j], NULL,
			    scale * def->get(m, m->d->jobs[j], j));
	}
}

static void
metrics_render_states(struct metrics *m, struct buf *b)
{
	char	extra[64];
	size_t	j;
	int	s;

	metrics_family(b, "bronzed_job_state", "gauge",
	    "1 for the job's current Flink JobStatus");
	for (j = 0; j < m->d->njobs; j++) {
		for (s = 0; s < JOB_STATE_COUNT; s++) {
			snprintf(extra, sizeof extra, "state=\"%s\"",
			    job_state_name((enum job_state)s));
			metrics_job_sample(b, "bronzed_job_state",
			    m->d->jobs[j], extra,
			    m->d->jobs[j]->state == (enum job_state)s);
		}
	}
}

static void
metrics_render_lag(struct metrics *m, struct buf *b)
{
	struct kafka_position	*pos;
	char			 extra[64];
	size_t			 j, k, n;

	metrics_family(b, "bronzed_kafka_lag_records", "gauge",
	    "Records between the consumer's position and the high watermark");
	for (j = 0; j < m->d->njobs; j++) {
		if (m->d->jobs[j]->stream == NULL)
			continue;
		n = stream_positions(m->d->jobs[j]->stream, &pos);
		for (k = 0; k < n; k++) {
			if (pos[k].lag < 0)
				continue;
			snprintf(extra, sizeof extra, "partition=\"%d\"",
			    (int)pos[k].partition);
			metrics_job_sample(b, "bronzed_kafka_lag_records",
			    m->d->jobs[j], extra, (double)pos[k].lag);
		}
		free(pos);
	}
}

static void
metrics_render_commits(struct metrics *m, struct buf *b)
{
	const struct job	*job;
	size_t			 j;

	metrics_family(b, "bronzed_commit_duration_seconds", "histogram",
	    "Checkpoint duration, seal to committed snapshot");
	for (j = 0; j < m->d->njobs; j++) {
		job = m->d->jobs[j];
		metrics_hist_samples(b, "bronzed_commit_duration_seconds", job,
		    job_commit_bounds, JOB_COMMIT_BUCKETS, job->commit_hist,
		    job->commit_count, job->commit_sum_s);
	}
}

struct metrics_http {
	struct buf	*b;
	const char	*kind;
};

/* http_stats_visit: one sample per class of one kind. */
static void
metrics_http_cb(const char *kind, const char *cls, uint64_t n, void *arg)
{
	struct metrics_http	*mh = arg;

	if (strcmp(kind, mh->kind) == 0)
		buf_printf(mh->b, "bronzed_%s_requests_total{status=\"%s\"} %"
		    PRIu64 "\n", kind, cls, n);
}

static void
metrics_render_http(struct metrics *m, struct buf *b, const char *kind,
    const char *help)
{
	struct metrics_http	 mh = { b, kind };
	char			*name = xasprintf("bronzed_%s_requests_total",
				    kind);

	metrics_family(b, name, "counter", help);
	free(name);
	if (m->d->http != NULL)
		http_stats_visit(m->d->http, metrics_http_cb, &mh);
}

/* How late each 100 ms loop timer fired: a histogram since start. */
static void
metrics_render_lag_hist(struct metrics *m, struct buf *b)
{
	metrics_family(b, "bronzed_loop_lateness_seconds", "histogram",
	    "How late the loop's 100 ms timer fired, every firing");
	metrics_hist_samples(b, "bronzed_loop_lateness_seconds", NULL,
	    metrics_lag_bounds, METRICS_LAG_BUCKETS, m->lag_hist, m->lag_count,
	    m->lag_sum);
}

/*
 * Time the loop thread was runnable but waited for a CPU (schedstat's
 * run_delay; rendering runs on the loop, so thread-self is the loop).
 * Lateness that grows with it is the host's, not the daemon's.  No
 * sample where the kernel keeps no schedstat.
 */
static void
metrics_render_cpu_wait(struct buf *b)
{
	FILE			*f;
	unsigned long long	 ran, waited;

	metrics_family(b, "bronzed_loop_cpu_wait_seconds_total", "counter",
	    "Time the loop thread waited for a CPU while it had work");
	if ((f = fopen("/proc/thread-self/schedstat", "r")) == NULL)
		return;
	if (fscanf(f, "%llu %llu", &ran, &waited) == 2)
		buf_printf(b, "bronzed_loop_cpu_wait_seconds_total %.6f\n",
		    waited / 1e9);
	fclose(f);
}

static void
metrics_render_process(struct metrics *m, struct buf *b)
{
	const char	*name;
	FILE		*f;
	long		 pages = 0, rss = 0;
	double		 lag = 0;
	size_t		 i, running = 0;

	for (i = 0; i < METRICS_LAG_SLOTS; i++)
		if (m->lag[i] > lag)
			lag = m->lag[i];
	for (i = 0; i < m->d->njobs; i++)
		running += m->d->jobs[i]->state == JOB_RUNNING;
	if ((f = fopen("/proc/self/statm", "r")) != NULL) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	name = m->d->cfg->metrics_flink_names ?
	    "flink_jobmanager_numRunningJobs" : "bronzed_running_jobs";
	metrics_family(b, name, "gauge", "Jobs RUNNING");
	buf_printf(b, "%s %zu\n", name, running);
	metrics_family(b, "bronzed_loop_lag_seconds", "gauge",
	    "Longest delay of a 100 ms loop timer over the last 10 s");
	buf_printf(b, "bronzed_loop_lag_seconds %.6f\n", lag);
	metrics_render_lag_hist(m, b);
	metrics_render_cpu_wait(b);
	metrics_family(b, "bronzed_process_resident_memory_bytes", "gauge",
	    "Resident set size");
	buf_printf(b, "bronzed_process_resident_memory_bytes %ld\n",
	    rss * sysconf(_SC_PAGESIZE));
	metrics_family(b, "bronzed_build_info", "gauge",
	    "Always 1, labelled with the version");
	buf_printf(b, "bronzed_build_info{version=\"%s\"} 1\n",
	    PACKAGE_VERSION);
	metrics_render_http(m, b, "s3", "S3 requests by outcome class");
	metrics_render_http(m, b, "catalog",
	    "REST catalog requests by outcome class");
}

char *
metrics_render(struct metrics *m)
{
	struct buf	b;

	buf_init(&b);
	metrics_render_jobs(m, &b);
	metrics_render_states(m, &b);
	metrics_render_lag(m, &b);
	metrics_render_commits(m, &b);
	metrics_render_process(m, &b);
	return ((char *)buf_steal(&b, NULL));
}
