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

struct stream;

#define JOB_ID_LEN	32	/* lower-case hex chars, Flink's JobID form */

enum job_state {
#define JOB_STATE(e, name, terminal) JOB_##e,
#include "tbl/job-states.h"
#undef JOB_STATE
	JOB_STATE_COUNT
};

#define JOB_HISTORY	10	/* checkpoints kept for the admin API */
#define JOB_EXCEPTIONS	16	/* exception history, as Flink's default */

enum job_ckpt_status {
	JOB_CKPT_IN_PROGRESS = 0,
	JOB_CKPT_COMPLETED,
	JOB_CKPT_FAILED
};

/* One checkpoint's statistics. */
struct job_checkpoint {
	uint64_t		 id;
	enum job_ckpt_status	 status;
	int			 is_savepoint;
	int64_t			 trigger_ms;
	int64_t			 end_ms;		/* 0 while in progress */
	uint64_t		 size;			/* bytes of data files */
	uint64_t		 records;
	uint64_t		 files;
	int64_t			 snapshot_id;		/* 0: nothing committed */
	char			 failure[256];
};

/* An asynchronous operation of the admin API (Flink's trigger ids). */
enum job_op_kind {
	JOB_OP_CHECKPOINT = 0,
	JOB_OP_SAVEPOINT,
	JOB_OP_RESTORE,
	JOB_OP_DISPOSAL,	/* not a job's: see dispose.h */
	JOB_OP_VERIFY
};

#define JOB_OPS		16	/* operations kept, newest replace oldest */

struct job_operation {
	char			 trigger_id[JOB_ID_LEN + 1];	/* "" unused */
	enum job_op_kind	 kind;
	int			 done;
	int64_t			 created_ms;
	uint64_t		 checkpoint_id;	/* 0 until it starts */
	char			*target;	/* savepoint directory, owned */
	int			 then;		/* after a savepoint: JOB_OP_THEN_* */
#define JOB_OP_THEN_NONE	0
#define JOB_OP_THEN_CANCEL	1
#define JOB_OP_THEN_STOP	2
	char			*location;	/* savepoint _metadata dir, owned */
	char			*failure;	/* owned, NULL on success */
	char			*result;	/* verify: JSON text, owned */
};

struct job_exception {
	int64_t			 timestamp_ms;
	char			 name[64];
	char			 message[512];
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

	/* checkpoints: history[0] is the newest */
	struct job_checkpoint	 history[JOB_HISTORY];
	size_t			 nhistory;
	uint64_t		 ckpt_completed;
	uint64_t		 ckpt_failed;
	struct job_checkpoint	 last_completed;	/* id 0: none yet */
	struct job_checkpoint	 last_failed;

	/* exceptions: exceptions[0] is the newest */
	struct job_exception	 exceptions[JOB_EXCEPTIONS];
	size_t			 nexceptions;

	/* admin API operations: ops[i], any order; see job_op_new */
	struct job_operation	 ops[JOB_OPS];
	struct stream		*stream;	/* the runtime, NULL in tests */
	int			 cancel_requested;

	/* for metrics */
#define JOB_COMMIT_BUCKETS	10
	uint64_t		 commit_hist[JOB_COMMIT_BUCKETS]; /* not cumulative */
	uint64_t		 commit_count;
	double			 commit_sum_s;
	uint64_t		 backpressure_ms;	/* fetch held back */
	uint64_t		 commit_attempts;	/* catalog commits sent */
	uint64_t		 commit_conflicts;	/* 409s, rebuilt */
	uint64_t		 snapshots_expired;	/* by table maintenance */
	uint64_t		 manifests_merged;	/* likewise */
	uint64_t		 commit_unknown;	/* decided by reload */
	uint64_t		 commit_fenced;		/* refused: overlap */
	int64_t			 uncommitted_since_ms;	/* 0: all committed */
	uint64_t		 orphans_removed;	/* dead writers' uploads */
	uint64_t		 offsets_gone;		/* left Kafka unread */

	uint64_t		 records_in;
	uint64_t		 records_committed;
	int64_t			 last_commit_ms;	/* 0: never */
};

struct job	*job_new(const struct config_job *, int64_t now_ms);
void		 job_free(struct job *);
void		 job_set_state(struct job *, enum job_state, int64_t now_ms);
const char	*job_state_name(enum job_state);
int		 job_state_is_terminal(enum job_state);
/* Record an exception (newest first, the oldest dropped). */
void		 job_add_exception(struct job *, int64_t now_ms, const char *name,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Start a checkpoint's statistics; the pointer is valid until the next
 * begin. */
struct job_checkpoint *job_checkpoint_begin(struct job *, uint64_t id,
		    int64_t now_ms);
/* Finish the newest checkpoint's statistics. */
void		 job_checkpoint_end(struct job *, enum job_ckpt_status,
		    int64_t now_ms, const char *failure);
/*
 * A new operation with a random trigger id, recycling the oldest finished
 * one; NULL if JOB_OPS operations are all still in progress.
 */
struct job_operation *job_op_new(struct job *, enum job_op_kind,
		    int64_t now_ms);
/* The operation with this trigger id, or NULL. */
struct job_operation *job_op_find(struct job *, const char *trigger_id);
/* The same over any array of nops operations (job_op_new uses job->ops). */
struct job_operation *job_op_alloc(struct job_operation *, size_t nops,
		    enum job_op_kind, int64_t now_ms);
struct job_operation *job_op_lookup(struct job_operation *, size_t nops,
		    const char *trigger_id);
/* Free what the nops operations own (the array itself is the caller's). */
void		 job_op_release(struct job_operation *, size_t nops);
/* Finish op: failure NULL on success; location copied if not NULL. */
void		 job_op_finish(struct job_operation *, const char *failure,
		    const char *location);
/* Upper bounds (seconds) of the commit-duration histogram's buckets. */
extern const double job_commit_bounds[JOB_COMMIT_BUCKETS];
/* Count one commit of that many seconds in the histogram. */
void		 job_commit_observe(struct job *, double seconds);
/* Count v in the first of n buckets (not cumulative) whose bound >= v. */
void		 job_hist_observe(uint64_t *counts, const double *bounds,
		    size_t n, double v);
/* Stable id: first 16 bytes of SHA-256("bronzed-job:" name), hex. */
void		 job_id_from_name(const char *name, char out[JOB_ID_LEN + 1]);

#endif
