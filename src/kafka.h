/*
 * kafka.h: the Kafka source of one job: a librdkafka group consumer whose
 * queue is served from the daemon's libevent loop.
 *
 * librdkafka signals its consumer queue on a non-blocking pipe; each wakeup
 * takes at most one bounded batch (batch_max records or about batch_bytes
 * of payload, and hands them on for at most about a millisecond) without
 * ever waiting, and schedules the next round for the
 * next loop iteration while more is queued, so one callback never does
 * unbounded work and timers and sockets keep their turn.  Rebalances, errors,
 * statistics, offset commit results and librdkafka's log lines arrive on
 * the same queue and are handled on the loop too.
 *
 * Offsets.  The Iceberg table is the source of truth, so the group never
 * commits by itself (enable.auto.commit and enable.auto.offset.store are
 * off).  When partitions are assigned the owner says where each one
 * starts; kafka_commit_offsets() only feeds lag monitoring.  A position
 * Kafka no longer has is never skipped over silently: the partition is
 * read again from its start, and if its first record lies past the
 * position the records between are reported gone (retention), while one
 * before it means the offsets no longer match the table's (the topic was
 * created again or truncated, or it is another cluster): a fatal error.
 *
 * Callbacks run on the loop, from inside kafka's event handlers.  A
 * callback may call kafka_pause/resume/commit_offsets/close/positions
 * and kafka_assign_ready; only the closed callback may call kafka_free.
 *
 * Ownership: the caller owns struct kafka (kafka_new/kafka_free); the
 * options are copied.  Pointers handed to callbacks (records, partition
 * arrays, strings) are only valid during the call unless said otherwise.
 */
#ifndef BRONZE_KAFKA_H
#define BRONZE_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct event_base;
struct kafka;

/* Where an assigned partition starts. */
enum kafka_start {
	KAFKA_START_OFFSET = 0,	/* at kafka_partition.offset */
	KAFKA_START_EARLIEST,	/* the oldest retained record */
	KAFKA_START_LATEST,	/* only records produced from now on */
	KAFKA_START_GROUP	/* the group's committed offset or earliest */
};

enum kafka_ts_type {
	KAFKA_TS_NONE = 0,	/* no timestamp: kafka_timestamp is null */
	KAFKA_TS_CREATE,	/* set by the producer */
	KAFKA_TS_LOG_APPEND	/* set by the broker */
};

/* One record header; value is NULL for a null header value. */
struct kafka_header {
	const char	*name;
	const void	*value;
	size_t		 len;
};

/*
 * A record, as a view into librdkafka's message (valid during the record
 * callback only).  The payload is untouched.  A tombstone (null value)
 * has value_null set and value pointing at an empty string with len 0:
 * the bronze raw_value column is required, so it becomes an empty value.
 * An absent key is key NULL; an empty key is non-NULL with key_len 0.
 */
struct kafka_record {
	const char			*topic;
	int32_t				 partition;
	int64_t				 offset;
	const void			*value;		/* never NULL */
	size_t				 value_len;
	int				 value_null;	/* it was a tombstone */
	const void			*key;		/* NULL: no key */
	size_t				 key_len;
	int64_t				 timestamp_ms;	/* -1 if none */
	enum kafka_ts_type		 timestamp_type;
	const struct kafka_header	*headers;
	size_t				 nheaders;
	int64_t				 taken_us;	/* wall clock, see below */
};
/*
 * taken_us is when the loop handed the record on, in microseconds since the
 * epoch (the table's ingestion_timestamp): the wall clock read once per
 * round, advanced by the monotonic clock, which is read every few records.
 * A wall clock step shows from the next round on.
 */

/* A partition being assigned or revoked. */
struct kafka_partition {
	const char	*topic;
	int32_t		 partition;
	enum kafka_start start;		/* assign: the owner's answer */
	int64_t		 offset;	/* with KAFKA_START_OFFSET */
};

/*
 * Position of an assigned partition, for lag metrics; committed is filled
 * by stream_positions (kafka_positions leaves it -1).
 */
struct kafka_position {
	int32_t		 partition;
	int64_t		 next;		/* next offset to deliver, -1 unknown */
	int64_t		 high;		/* high watermark, -1 unknown */
	int64_t		 lag;		/* high - next, -1 unknown */
	int64_t		 committed;	/* next offset in the table, -1 none */
};

/*
 * Records arrive in offset order per partition, each (partition, offset)
 * at most once per assignment: after (re)assignment a partition starts
 * again where the owner said.
 */
typedef void	(*kafka_record_fn)(void *arg, const struct kafka_record *);
/*
 * Partitions are being assigned.  Each element comes pre-filled with the
 * job's startup mode (start, offset -1); the owner overwrites start and
 * offset where it knows better (from the table).  Return 0 if the answer
 * is complete, or 1 to answer later: parts then stays valid and writable
 * until the owner calls kafka_assign_ready(), or until a revoke callback
 * names the same partitions (the pending assignment is then dropped).
 * Nothing is fetched for these partitions before the answer.
 */
typedef int	(*kafka_assign_fn)(void *arg, struct kafka_partition *parts,
		    size_t n);
/*
 * Partitions are about to go (rebalance, close, or lost after a session
 * timeout when lost is set).  Called before they are unassigned; no record
 * of them is delivered after this call (undelivered ones are dropped), so
 * the owner abandons their uncommitted data and settles any in-flight
 * commit before answering a later assignment.
 */
typedef void	(*kafka_revoke_fn)(void *arg,
		    const struct kafka_partition *parts, size_t n, int lost);
/*
 * Something went wrong.  fatal: the consumer cannot go on (the owner
 * closes and restarts the job); otherwise librdkafka keeps retrying and the
 * message is for logs and the exceptions list.  msg holds no secrets.
 */
typedef void	(*kafka_error_fn)(void *arg, int fatal, const char *msg);
/*
 * Offsets from..to-1 of a partition were no longer in Kafka when the job
 * came to read them (the topic's retention or compaction removed them
 * while the job was stopped or behind): those records can never reach the
 * table.  Delivery goes on from offset to.
 */
typedef void	(*kafka_gone_fn)(void *arg, int32_t partition, int64_t from,
		    int64_t to);
/* librdkafka's statistics JSON (statistics.interval.ms), if enabled. */
typedef void	(*kafka_stats_fn)(void *arg, const char *json, size_t len);
/* kafka_close() has finished: the owner may now call kafka_free(). */
typedef void	(*kafka_closed_fn)(void *arg);

struct kafka_options {
	const char			*name;		/* job name */
	const char			*topic;
	const char			*group_id;
	enum config_startup_mode	 startup_mode;
	const struct config_kvlist	*global;	/* kafka.*, or NULL */
	const struct config_kvlist	*job;		/* job.<name>.kafka.* */
	size_t				 batch_max;	/* 0: 1000 records */
	size_t				 batch_bytes;	/* 0: 16 MiB */

	kafka_record_fn			 record;	/* required */
	kafka_assign_fn			 assign;	/* NULL: startup mode */
	kafka_revoke_fn			 revoke;
	kafka_error_fn			 error;
	kafka_gone_fn			 gone;
	kafka_stats_fn			 stats;
	kafka_closed_fn			 closed;
	void				*arg;
};

/*
 * Create the consumer and join it to base (nothing is fetched before
 * kafka_start).  Settings, in order of precedence: forced ones (group.id,
 * enable.auto.commit=false, enable.auto.offset.store=false, log.queue,
 * enable.partition.eof=false: setting them in the passthrough lists is an
 * error), then job, then global passthrough, then bronzed's defaults:
 * queued.max.messages.kbytes=4096, auto.offset.reset=error (see below),
 * partition.assignment.strategy=range, client.id=bronzed-<name>.
 * NULL and *cause (naming the key, never its value) on a bad setting.
 */
struct kafka	*kafka_new(struct event_base *, const struct kafka_options *,
		    char **cause);
/* Subscribe to the topic; partitions come through the assign callback. */
int		 kafka_start(struct kafka *, char **cause);
/* Apply the answer of an assign callback that returned 1. */
int		 kafka_assign_ready(struct kafka *, char **cause);
/*
 * Stop (pause) or restart (resume) fetching and delivery on every assigned
 * partition, and on partitions assigned while paused.  After kafka_pause
 * returns, no record callback is made until kafka_resume; records already
 * taken from librdkafka are kept and delivered first on resume, and
 * fetching restarts right after the last delivered offset.
 */
void		 kafka_pause(struct kafka *);
void		 kafka_resume(struct kafka *);
int		 kafka_paused(const struct kafka *);
/*
 * Commit next offsets of the job's topic to the group, asynchronously
 * (for lag monitoring only); a failure is reported through the error
 * callback as not fatal.  -1 and *cause if it cannot even be queued.
 */
struct kafka_offset {
	int32_t		 partition;
	int64_t		 offset;	/* next offset to read */
};
int		 kafka_commit_offsets(struct kafka *,
		    const struct kafka_offset *, size_t n, char **cause);
/*
 * The assigned partitions with their positions and lag (from cached
 * watermarks, never a broker round trip).  Returns the count; *out is a
 * heap array the caller frees (NULL when 0).
 */
size_t		 kafka_positions(struct kafka *, struct kafka_position **out);
/* Records delivered so far. */
uint64_t	 kafka_records(const struct kafka *);
/* Times the fetcher was woken after its queue filled (see kafka.c). */
uint64_t	 kafka_fetch_wakeups(const struct kafka *);
/*
 * Leave the group without blocking: revokes go through the revoke
 * callback, no more records are delivered, and the closed callback
 * fires when librdkafka is done.
 */
void		 kafka_close(struct kafka *);
int		 kafka_closed(const struct kafka *);
/* Destroy (closing abruptly if kafka_close did not finish).  NULL is ok. */
void		 kafka_free(struct kafka *);

#endif
