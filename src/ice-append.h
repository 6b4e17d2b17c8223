/*
 * ice-append.h: one append commit of data files to an Iceberg table
 * (iceberg-write-path.md section 1): the manifest is written once, then
 * per attempt a manifest list on main's current head and a snapshot whose
 * summary carries the bronzed.* properties, committed through the
 * catalog.  A conflict reloads the table and tries again on the new head;
 * an unknown outcome reloads and decides from the snapshot history, so a
 * snapshot is never committed twice and never lost.
 *
 * The request is copied; the files stay the caller's and must outlive the
 * append (until the callback).
 */
#ifndef BRONZE_ICE_APPEND_H
#define BRONZE_ICE_APPEND_H

#include <stddef.h>
#include <stdint.h>

#include "catalog.h"
#include "config.h"
#include "ice-manifest.h"

struct event_base;
struct fileio;

/* Counters an append adds to (the caller's, may be shared). */
struct ice_append_stats {
	uint64_t	attempts;	/* catalog commits sent */
	uint64_t	conflicts;	/* 409: rebuilt on the new head */
	uint64_t	unknown;	/* outcome unknown: decided by reload */
	uint64_t	fenced;		/* refused: another writer moved on */
	uint64_t	expired;	/* snapshots expired (ice-expire.h) */
	uint64_t	merged;		/* manifests merged (ice-merge.h) */
};

struct ice_append_req {
	const char			*job_id;
	int64_t				 checkpoint_id;
	const char			*offsets_json;	/* {"topic":{"p":next}} */
	const struct ice_data_file	*files;
	size_t				 nfiles;
	enum config_partition_transform	 transform;
	int64_t				 snapshot_id;	/* 0: choose one */
	int				 max_attempts;	/* 0: default (10) */
	/*
	 * Fencing, or NULL: {"topic":{"p":prev}}, where this writer believes
	 * the job's committed offset of each partition it commits is (-1:
	 * none yet).  Every attempt checks it against the parent it commits
	 * on; if another writer (an instance sharing the job, a zombie) has
	 * moved a partition, the append fails with CATALOG_CONFLICT and
	 * nothing is committed.
	 */
	const char			*expect_json;
	struct ice_append_stats		*stats;		/* or NULL */
};

/* status CATALOG_OK with the committed snapshot id, or an error. */
typedef void (*ice_append_cb)(enum catalog_status, int64_t snapshot_id,
    const char *cause, void *arg);

void	ice_append(struct event_base *, struct fileio *, struct catalog *,
	    struct catalog_table *, const struct ice_append_req *,
	    ice_append_cb, void *);

#endif
