/*
 * job.c: job identity and lifecycle state.
 */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/sha.h>

#include "job.h"
#include "log.h"
#include "xmalloc.h"

static void	job_op_clear(struct job_operation *);

static const char *const job_state_names[] = {
#define JOB_STATE(e, name, terminal) name,
#include "tbl/job-states.h"
#undef JOB_STATE
};

static const int job_state_terminal[] = {
#define JOB_STATE(e, name, terminal) terminal,
#include "tbl/job-states.h"
#undef JOB_STATE
};

const char *
job_state_name(enum job_state s)
{
	assert(s < JOB_STATE_COUNT);
	return (job_state_names[s]);
}

int
job_state_is_terminal(enum job_state s)
{
	assert(s < JOB_STATE_COUNT);
	return (job_state_terminal[s]);
}

void
job_id_from_name(const char *name, char out[JOB_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char	  md[SHA256_DIGEST_LENGTH];
	char		 *seed = xasprintf("bronzed-job:%s", name);
	int		  i;

	SHA256((const unsigned char *)seed, strlen(seed), md);
	free(seed);
	for (i = 0; i < JOB_ID_LEN / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[JOB_ID_LEN] = '\0';
}

struct job *
job_new(const struct config_job *cfg, int64_t now_ms)
{
	struct job	*job = xcalloc(1, sizeof *job);

	job->magic = JOB_MAGIC;
	job->cfg = cfg;
	job_id_from_name(cfg->name, job->id);
	job->start_time_ms = now_ms;
	job->end_time_ms = -1;
	job->state_times_ms[JOB_INITIALIZING] = now_ms;
	job_set_state(job, JOB_CREATED, now_ms);
	return (job);
}

void
job_set_state(struct job *job, enum job_state s, int64_t now_ms)
{
	assert(job->magic == JOB_MAGIC && s < JOB_STATE_COUNT);
	if (job->state != s)
		log_debug("job %s: %s -> %s", job->cfg->name,
		    job_state_name(job->state), job_state_name(s));
	job->state = s;
	job->state_times_ms[s] = now_ms;
	job->last_modification_ms = now_ms;
	job->end_time_ms = job_state_is_terminal(s) ? now_ms : -1;
}

void
job_free(struct job *job)
{
	size_t	i;

	if (job == NULL)
		return;
	assert(job->magic == JOB_MAGIC);
	for (i = 0; i < JOB_OPS; i++)
		job_op_clear(&job->ops[i]);
	job->magic = 0;
	free(job);
}

static void
job_op_clear(struct job_operation *op)
{
	free(op->target);
	free(op->location);
	free(op->failure);
	free(op->result);
	memset(op, 0, sizeof *op);
}

struct job_operation *
job_op_alloc(struct job_operation *ops, size_t nops, enum job_op_kind kind,
    int64_t now_ms)
{
	struct job_operation	*op = NULL, *o;
	unsigned char		 r[16];
	size_t			 i;

	for (i = 0; i < nops; i++) {		/* free, else oldest done */
		o = &ops[i];
		if (o->trigger_id[0] == '\0') {
			op = o;
			break;
		}
		if (o->done && (op == NULL || o->created_ms < op->created_ms))
			op = o;
	}
	if (op == NULL)
		return (NULL);
	job_op_clear(op);
	if (getrandom(r, sizeof r, 0) != sizeof r)
		fatal("getrandom");
	for (i = 0; i < sizeof r; i++)
		snprintf(op->trigger_id + 2 * i, 3, "%02x", r[i]);
	op->kind = kind;
	op->created_ms = now_ms;
	return (op);
}

struct job_operation *
job_op_new(struct job *job, enum job_op_kind kind, int64_t now_ms)
{
	return (job_op_alloc(job->ops, JOB_OPS, kind, now_ms));
}

void
job_op_release(struct job_operation *ops, size_t nops)
{
	size_t	i;

	for (i = 0; i < nops; i++)
		job_op_clear(&ops[i]);
}

const double job_commit_bounds[JOB_COMMIT_BUCKETS] = {
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
};

void
job_commit_observe(struct job *job, double seconds)
{
	job_hist_observe(job->commit_hist, job_commit_bounds,
	    JOB_COMMIT_BUCKETS, seconds);
	job->commit_count++;
	job->commit_sum_s += seconds;
}

void
job_hist_observe(uint64_t *counts, const double *bounds, size_t n, double v)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (v <= bounds[i]) {
			counts[i]++;
			break;
		}
	}
}

struct job_operation *
job_op_lookup(struct job_operation *ops, size_t nops, const char *trigger_id)
{
	size_t	i;

	for (i = 0; i < nops; i++) {
		if (ops[i].trigger_id[0] != '\0' &&
		    strcmp(ops[i].trigger_id, trigger_id) == 0)
			return (&ops[i]);
	}
	return (NULL);
}

struct job_operation *
job_op_find(struct job *job, const char *trigger_id)
{
	return (job_op_lookup(job->ops, JOB_OPS, trigger_id));
}

void
job_op_finish(struct job_operation *op, const char *failure,
    const char *location)
{
	op->done = 1;
	free(op->failure);
	op->failure = failure != NULL ? xstrdup(failure) : NULL;
	if (location != NULL) {
		free(op->location);
		op->location = xstrdup(location);
	}
}

void
job_add_exception(struct job *job, int64_t now_ms, const char *name,
    const char *fmt, ...)
{
	struct job_exception	*e;
	va_list			 ap;

	if (job->nexceptions < JOB_EXCEPTIONS)
		job->nexceptions++;
	memmove(&job->exceptions[1], &job->exceptions[0],
	    (job->nexceptions - 1) * sizeof job->exceptions[0]);
	e = &job->exceptions[0];
	memset(e, 0, sizeof *e);
	e->timestamp_ms = now_ms;
	snprintf(e->name, sizeof e->name, "%s", name);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
}

struct job_checkpoint *
job_checkpoint_begin(struct job *job, uint64_t id, int64_t now_ms)
{
	struct job_checkpoint	*cp;

	if (job->nhistory < JOB_HISTORY)
		job->nhistory++;
	memmove(&job->history[1], &job->history[0],
	    (job->nhistory - 1) * sizeof job->history[0]);
	cp = &job->history[0];
	memset(cp, 0, sizeof *cp);
	cp->id = id;
	cp->trigger_ms = now_ms;
	cp->status = JOB_CKPT_IN_PROGRESS;
	return (cp);
}

void
job_checkpoint_end(struct job *job, enum job_ckpt_status st, int64_t now_ms,
    const char *failure)
{
	struct job_checkpoint	*cp = &job->history[0];

	assert(job->nhistory > 0 && cp->status == JOB_CKPT_IN_PROGRESS);
	cp->status = st;
	cp->end_ms = now_ms < cp->trigger_ms ? cp->trigger_ms : now_ms;
						/* a clock stepped back */
	if (st == JOB_CKPT_COMPLETED) {
		job->ckpt_completed++;
		job->last_completed = *cp;
	} else {
		snprintf(cp->failure, sizeof cp->failure, "%s",
		    failure != NULL ? failure : "failed");
		job->ckpt_failed++;
		job->last_failed = *cp;
	}
}
