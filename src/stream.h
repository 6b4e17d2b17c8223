/*
 * stream.h: the runtime of one job: Kafka records into the job's data
 * files, and checkpoints that commit them to the Iceberg table together
 * with the Kafka offsets they reach, exactly once.
 *
 * The table is the source of truth.  At start (and after any failure) the
 * job loads the table, takes this job's offsets from its newest snapshot
 * on main, and consumes from there; records in files that never made it
 * into a committed snapshot are consumed again.  A checkpoint seals the
 * open files (they hold exactly the records below the offsets taken at the
 * same moment), records "prepared" in the state store, appends one
 * snapshot (summary: bronzed.job-id, bronzed.checkpoint-id,
 * bronzed.kafka-offsets), then records "committed".  Consumption goes on
 * while a commit is in flight; at most one is in flight per job.
 *
 * The stream is owned by the daemon; all its objects are borrowed.
 */
#ifndef BRONZE_STREAM_H
#define BRONZE_STREAM_H

struct catalog;
struct daemon;
struct fileio;
struct job;
struct state;
struct stream;

typedef void (*stream_stopped_fn)(struct stream *, void *arg);

struct stream	*stream_new(struct daemon *, struct job *, struct fileio *,
		    struct catalog *, struct state *);
void		 stream_start(struct stream *);
/* Trigger a checkpoint now (0), or -1 if one is in flight / not running. */
int		 stream_checkpoint(struct stream *);
/*
 * Checkpoint (or savepoint) for an admin operation: starts now, or right
 * after the checkpoint in flight.  The outcome is written into op (a
 * savepoint's _metadata first goes to op->target); op->then may then
 * cancel or stop the job.  -1 and *cause if the job is not running.
 */
struct job_operation;
int		 stream_trigger(struct stream *, struct job_operation *op,
		    char **cause);
/*
 * The consumer's partitions with positions, lag and the offsets committed
 * to the table (see kafka.h); the caller frees *out.
 */
struct kafka_position;
size_t		 stream_positions(struct stream *, struct kafka_position **);
/*
 * Restore from the savepoint at path (its directory or its _metadata):
 * the job (running, stopped, or not started yet) starts again from the
 * savepoint's offsets once savepoint_restore_plan() accepts them against
 * the table; op (may be NULL) gets the outcome.  A refused restore leaves
 * a running job running from the table and a stopped one stopped.  -1 and
 * *cause if a restore cannot start now.
 */
int		 stream_restore(struct stream *, const char *path,
		    int allow_duplicates, struct job_operation *op,
		    char **cause);
/* Cancel: stop consuming, no final checkpoint, the job ends CANCELED. */
void		 stream_cancel(struct stream *);
/* Final checkpoint, close the consumer, then cb (may be NULL). */
void		 stream_stop(struct stream *, stream_stopped_fn, void *);
void		 stream_free(struct stream *);

#endif
