/*
 * job.c: job identity and lifecycle state.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "job.h"
#include "log.h"
#include "xmalloc.h"

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
	if (job == NULL)
		return;
	assert(job->magic == JOB_MAGIC);
	job->magic = 0;
	free(job);
}
