/*
 * job.h: one ingestion job (a topic into a table) and its Flink-style
 * lifecycle state.  Until the streaming core runs them, jobs stay CREATED.
 *
 * job_new() copies what it needs from the config job; the caller owns the
 * returned job and frees it with job_free().
 */
#ifndef BRONZE_JOB_H
#define BRONZE_JOB_H

#include <stdint.h>

#include "config.h"

#define JOB_ID_LEN	32	/* lower-case hex chars, Flink's JobID form */

enum job_state {
#define JOB_STATE(e, name, terminal) JOB_##e,
#include "tbl/job-states.h"
#undef JOB_STATE
	JOB_STATE_COUNT
};

struct job {
	uint32_t		 magic;
#define JOB_MAGIC	0x4a4f4221u
	const struct config_job	*cfg;		/* borrowed from struct config */
	char			 id[JOB_ID_LEN + 1];
	enum job_state		 state;
	int64_t			 start_time_ms;	/* epoch ms the job was created */
	int64_t			 end_time_ms;	/* -1 unless globally terminal */
	int64_t			 last_modification_ms;
	int64_t			 state_times_ms[JOB_STATE_COUNT]; /* 0 = never */
	uint64_t		 num_restarts;
};

struct job	*job_new(const struct config_job *, int64_t now_ms);
void		 job_free(struct job *);
void		 job_set_state(struct job *, enum job_state, int64_t now_ms);
const char	*job_state_name(enum job_state);
int		 job_state_is_terminal(enum job_state);
/* Stable id: first 16 bytes of SHA-256("bronzed-job:" name), hex. */
void		 job_id_from_name(const char *name, char out[JOB_ID_LEN + 1]);

#endif
