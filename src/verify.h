/*
 * verify.h: the table audit behind bronzectl verify.  From main's current
 * snapshot it reads the manifest list, the manifests and every live data
 * file's kafka_partition and kafka_offset columns, and proves per
 * partition that the offsets committed are covered once: the ranges
 * covered, the gaps between them, the offsets held twice, and whether
 * coverage ends at the offset the job's snapshots say it committed.
 *
 * Asynchronous: the result (JSON text) goes into the operation's result
 * and the operation is finished; the reads go one at a time, so an audit
 * never competes much with ingestion.
 */
#ifndef BRONZE_VERIFY_H
#define BRONZE_VERIFY_H

#include <stddef.h>

struct catalog;
struct daemon;
struct fileio;
struct job;
struct job_operation;

/* Start auditing job's table; op is finished when done (never at once). */
void	verify_start(struct daemon *, struct catalog *, struct fileio *,
	    struct job *, struct job_operation *);
/* Audits in flight (the daemon waits for them before it exits). */
size_t	verify_busy(void);

#endif
