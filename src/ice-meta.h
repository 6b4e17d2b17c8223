/*
 * ice-meta.h: Iceberg v2 table metadata (iceberg-write-path.md section 2),
 * kept as the cJSON tree read from the metadata file (json.h: 64-bit ids
 * exact), with accessors for what bronzed needs and the updates of an
 * append.  Fields bronzed does not model are carried through untouched.
 *
 * Trees are owned by the caller; functions taking a cJSON * argument named
 * "taken" take ownership of it.
 */
#ifndef BRONZE_ICE_META_H
#define BRONZE_ICE_META_H

#include <stdint.h>

#include <cjson/cJSON.h>

/* A random (version 4) UUID in its 36-character text form. */
void		 ice_uuid4(char out[37]);
/* A new table's first metadata: no snapshot yet. */
cJSON		*ice_meta_new(const char *location, const cJSON *schema,
		    const cJSON *spec, const cJSON *properties, int64_t now_ms);
/* Check the fields bronzed relies on; -1 and *cause naming the field. */
int		 ice_meta_validate(const cJSON *meta, char **cause);

/* An integer member of obj (64-bit exact), dflt when absent or not one. */
int64_t		 ice_meta_int(const cJSON *obj, const char *key, int64_t dflt);
const char	*ice_meta_location(const cJSON *meta);
const char	*ice_meta_uuid(const cJSON *meta);
int64_t		 ice_meta_last_seq(const cJSON *meta);
int64_t		 ice_meta_last_updated(const cJSON *meta);
const cJSON	*ice_meta_current_schema(const cJSON *meta);
const cJSON	*ice_meta_default_spec(const cJSON *meta);
/* main's snapshot id; 0 and -1 when the table has none. */
int		 ice_meta_main(const cJSON *meta, int64_t *id);
/* The snapshot with this id, or NULL. */
const cJSON	*ice_meta_snapshot(const cJSON *meta, int64_t id);
/*
 * meta's snapshots sorted by id, for walks over a long history (a lookup
 * in the metadata itself is a linear scan).  It points into meta, which
 * must outlive it unchanged.  Owned by the caller.
 */
struct ice_meta_index;
struct ice_meta_index *ice_meta_index_new(const cJSON *meta);
void		 ice_meta_index_free(struct ice_meta_index *);
size_t		 ice_meta_index_size(const struct ice_meta_index *);
/* Position (0 to size - 1) of snapshot id, or -1 if absent. */
long		 ice_meta_index_pos(const struct ice_meta_index *, int64_t id);
/* The snapshot at pos, or NULL when pos is -1. */
const cJSON	*ice_meta_index_at(const struct ice_meta_index *, long pos);
/* Nonzero if id is main's snapshot or one of its ancestors. */
int		 ice_meta_in_main(const cJSON *meta, int64_t id);
/* A table property as a number or boolean, def when absent or unreadable
 * (Iceberg keeps them as strings). */
int64_t		 ice_meta_prop_int(const cJSON *meta, const char *key,
		    int64_t def);
int		 ice_meta_prop_bool(const cJSON *meta, const char *key, int def);
/* A random positive 63-bit id no snapshot of meta has. */
int64_t		 ice_meta_new_snapshot_id(const cJSON *meta);

/*
 * What job_id committed, from main's ancestry: for every topic and
 * partition, the next offset recorded by the newest snapshot of the job
 * that names it (instances of a job each record the partitions they own),
 * as a new tree {"topic":{"partition":next}}; and the checkpoint id of the
 * job's newest snapshot.  want ({"topic":{"partition":...}} or NULL for
 * everything) stops the walk once each partition it names is found.
 * 0 if found, 1 if the job never committed, -1 and *cause if a summary is
 * damaged.
 */
int		 ice_meta_job_state(const cJSON *meta, const char *job_id,
		    const cJSON *want, int64_t *checkpoint_id, cJSON **offsets,
		    char **cause);

/*
 * The time to stamp a change with: now_ms, or the table's newest time if
 * the clock is behind it (a clock stepped back), so that the snapshot log
 * and last-updated-ms never go backwards (Java readers refuse that).
 */
int64_t		 ice_meta_next_time(const cJSON *meta, int64_t now_ms);

/*
 * Append a snapshot (taken) and make it main's head: snapshots, refs,
 * current-snapshot-id, last-sequence-number, snapshot-log, metadata-log
 * (prev_file: the metadata file this one replaces), last-updated-ms.
 */
void		 ice_meta_add_snapshot(cJSON *meta, cJSON *taken,
		    const char *prev_file, int64_t now_ms);

#endif
