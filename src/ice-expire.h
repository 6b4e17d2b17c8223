/*
 * ice-expire.h: table maintenance done at commit time, as the table's own
 * Iceberg properties ask, so that metadata stays bounded on a table that
 * takes a snapshot every few seconds for months:
 *
 *   history.expire.max-snapshot-age-ms      snapshots older than this go
 *                                           (only when the table sets it)
 *   history.expire.min-snapshots-to-keep    main's newest N stay (default 1)
 *   write.metadata.previous-versions-max    metadata-log length (default 100)
 *   write.metadata.delete-after-commit.enabled
 *                                           delete the metadata files the
 *                                           log drops (default false)
 *
 * Snapshots never expired: main's head and every ancestor down to the
 * oldest one that holds, for some job, topic and partition, the newest
 * bronzed.kafka-offsets (restarts read offsets along main's ancestry, which
 * must stay unbroken down to there), any snapshot another ref names, and
 * the ancestry of other branches.  Files the expiry leaves unreferenced:
 * the expired snapshots' manifest lists, and manifests only they name
 * (ice-tidy.h finds and deletes them).  Data files are never deleted.
 */
#ifndef BRONZE_ICE_EXPIRE_H
#define BRONZE_ICE_EXPIRE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define ICE_EXPIRE_MAX_AGE	"history.expire.max-snapshot-age-ms"
#define ICE_EXPIRE_MIN_KEEP	"history.expire.min-snapshots-to-keep"
#define ICE_EXPIRE_PREV_MAX	"write.metadata.previous-versions-max"
#define ICE_EXPIRE_DELETE_META	"write.metadata.delete-after-commit.enabled"

/* What one commit expires.  Owned by whoever holds it; clear to free. */
struct ice_expire {
	int64_t		*ids;		/* snapshots to remove */
	size_t		 nids;
	char		**lists;	/* their manifest lists */
	size_t		 nlists;
	char		**files;	/* metadata files the log dropped */
	size_t		 nfiles;
	/*
	 * The manifest list of the oldest snapshot kept on main, set only
	 * when every snapshot kept descends from it: a manifest the expired
	 * lists name and it does not is then no longer part of the table
	 * (merged, or rewritten by an engine).
	 */
	char		*keep_list;
	char		*location;	/* the table's, for what may be deleted */
};

/*
 * Plan the expiry that goes with committing head (a snapshot whose parent
 * is main's head in meta; head may already be in meta) at now_ms.  Fills
 * e (cleared first) with the snapshots to remove and their manifest lists;
 * returns the number of snapshots.  Without max-snapshot-age-ms, nothing.
 */
size_t		 ice_expire_plan(const cJSON *meta, const cJSON *head,
		    int64_t now_ms, struct ice_expire *e);
/* Remove e's snapshots from meta: snapshots, statistics, and the
 * snapshot-log up to the last expired entry (no gaps in the history). */
void		 ice_expire_apply(cJSON *meta, const struct ice_expire *e);
/*
 * Trim meta's metadata-log to previous-versions-max, oldest first; when
 * the table enables delete-after-commit, the dropped metadata files are
 * added to e->files.
 */
void		 ice_expire_trim_log(cJSON *meta, struct ice_expire *e);
/*
 * Nonzero if a commit at now_ms should plan an expiry: the walk over the
 * whole history runs about ten times per max-snapshot-age (at most once a
 * second, at least every ten minutes), not at every commit.  *due_ms is
 * the caller's memory of when the next one is due.
 */
int		 ice_expire_due(const cJSON *meta, int64_t now_ms,
		    int64_t *due_ms);
/* Take src's lists into dst (src left empty). */
void		 ice_expire_move(struct ice_expire *dst, struct ice_expire *src);
void		 ice_expire_clear(struct ice_expire *e);
/* Nonzero if file lies under location (a table's: what it may delete). */
int		 ice_expire_under(const char *location, const char *file);

#endif
