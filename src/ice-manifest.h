/*
 * ice-manifest.h: Iceberg v2 manifests and manifest lists as Avro
 * container files (iceberg-write-path.md sections 4 and 5).
 *
 * A struct ice_data_file describes one Parquet data file of a commit; it
 * owns its strings and arrays (ice_data_file_clear frees them).  The
 * writers fill a caller-owned struct buf with the whole file.
 */
#ifndef BRONZE_ICE_MANIFEST_H
#define BRONZE_ICE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "ice-part.h"
#include "parquet.h"

struct ice_data_file {
	char			*path;		/* full URI */
	struct ice_part_value	 part;		/* part.topic owned */
	int64_t			 record_count;
	int64_t			 file_size;
	struct pq_col_metrics	*cols;
	size_t			 ncols;
	int64_t			*splits;
	size_t			 nsplits;
};

/* Fill f from a closed Parquet writer's metrics (deep copy). */
void	ice_data_file_set(struct ice_data_file *f, const char *path,
	    const struct ice_part_value *part, const struct pq_metrics *m);
void	ice_data_file_clear(struct ice_data_file *);

/* The manifest_file record of a manifest, as a manifest list holds it. */
struct ice_manifest_info {
	char		*path;
	int64_t		 length;
	int32_t		 spec_id;
	int64_t		 snapshot_id;
	int32_t		 added_files;
	int64_t		 added_rows;
	int32_t		 existing_files;	/* a merged manifest's */
	int64_t		 existing_rows;
	int64_t		 min_seq;	/* oldest data sequence, */
	int		 have_min_seq;	/* if set; else the list's seq */
	int		 have_bounds;	/* partition bounds present */
	struct ice_part_value lower, upper;	/* topics owned */
};

/*
 * Write the manifest of files (status ADDED, snapshot_id) for a table
 * whose current schema and default spec are given; info describes it
 * (path copied).
 */
int	ice_manifest_write(struct buf *out, const char *path,
	    const cJSON *schema, const cJSON *spec,
	    enum config_partition_transform, int64_t snapshot_id,
	    const struct ice_data_file *files, size_t nfiles,
	    struct ice_manifest_info *info, char **cause);
void	ice_manifest_info_clear(struct ice_manifest_info *);
/* Widen info's partition bounds with one file's partition value. */
void	ice_manifest_info_widen(struct ice_manifest_info *,
	    const struct ice_part_value *);

struct avro_writer;
/*
 * A writer of a manifest for the table's current schema and default spec
 * (the Avro schema and header bronzed's manifests carry), into out;
 * *entry_schema (caller frees) is its manifest_entry schema text.
 */
struct avro_writer *ice_manifest_writer(struct buf *out, const cJSON *schema,
	    const cJSON *spec, enum config_partition_transform,
	    char **entry_schema, char **cause);

/*
 * Write a manifest list: the records of the parent's list (its file
 * contents; NULL for the first snapshot) copied, except those of the
 * ndrop manifests in drop (merged into merged, NULL when none); then
 * merged's record and the new manifest's, with sequence number seq.
 */
int	ice_manifest_list_write(struct buf *out, int64_t snapshot_id,
	    int64_t parent_id, int64_t seq, const struct buf *parent_list,
	    char *const *drop, size_t ndrop,
	    const struct ice_manifest_info *merged,
	    const struct ice_manifest_info *info, char **cause);

/* Count the manifest_file records of a list (for tests and verify). */
int	ice_manifest_list_count(const struct buf *list, uint64_t *n,
	    char **cause);

#endif
