/*
 * savepoint.h: savepoints as DESIGN.md defines them: a completed
 * checkpoint plus a JSON document at
 * <target>/savepoint-<first 6 of job id>-<12 hex>/_metadata naming the
 * job, the table, the snapshot, the checkpoint and the Kafka offsets it
 * reached.  Targets are absolute local paths, file://, s3:// or s3a://
 * URLs (and Flink's file:/path); anything else (relative paths, "..",
 * other schemes) is refused.
 */
#ifndef BRONZE_SAVEPOINT_H
#define BRONZE_SAVEPOINT_H

#include <stdint.h>

#include <cjson/cJSON.h>

struct savepoint_info {
	const char	*job_id;
	const char	*job_name;
	const char	*table;		/* namespace.name */
	const char	*topic;
	int64_t		 snapshot_id;	/* main's head after the commit, 0 none */
	uint64_t	 checkpoint_id;
	const char	*offsets_json;	/* {"topic":{"p":next}} */
	int64_t		 created_ms;
	const char	*fingerprint;	/* of the job's config */
};

struct config_job;

/* SHA-256 (hex) of what a restore must match: topic, table, partitioning. */
void	 savepoint_fingerprint(const struct config_job *, char out[65]);
/* 0 if target is acceptable, else -1 and *cause (heap). */
int	 savepoint_check_target(const char *target, char **cause);
/*
 * The savepoint directory of a location as given by the operator (heap):
 * s3a:// read as s3://, file:// and file:/ as the local path, without a
 * trailing slash or a trailing "/_metadata".  Two spellings of one
 * savepoint give the same string.
 */
char	*savepoint_dir_of(const char *location);
/* A new savepoint directory under target (heap, no trailing slash). */
char	*savepoint_new_dir(const char *target, const char *job_id);
/* The _metadata document (heap JSON text). */
char	*savepoint_metadata(const struct savepoint_info *);
/* Parse a _metadata document: a new tree, or NULL and *cause. */
cJSON	*savepoint_parse(const char *text, size_t len, char **cause);

/*
 * Decide a restore of job_id (config fingerprint fp, topic) from sp (a
 * parsed _metadata) against what the job committed to the table
 * (table_offsets {"topic":{"p":next}}, NULL if nothing).  Refused (-1,
 * *cause) if the savepoint is another job's or another config's, if the
 * table lacks records the savepoint says are committed (a gap), or, unless
 * allow_duplicates, if the table already holds records past the
 * savepoint's offsets (they would be committed twice).  0 and *plan: the
 * offsets to start from, {"p":next} (a new tree).
 */
int	 savepoint_restore_plan(const cJSON *sp, const char *job_id,
	    const char *fp, const char *topic, const cJSON *table_offsets,
	    int allow_duplicates, cJSON **plan, char **cause);

#endif
