/*
 * ice-merge.h: merging a table's small manifests into one at commit time,
 * as Iceberg's merge append does, so that the manifest list of a table
 * committed every few seconds stays short (every commit adds a manifest;
 * readers open each one at every query, and every commit rewrites the
 * list).  Table properties, Iceberg's:
 *
 *   commit.manifest-merge.enabled        default true
 *   commit.manifest.min-count-to-merge   default 100
 *   commit.manifest.target-size-bytes    default 8 MB
 *
 * Once the parent's list holds min-count data manifests of the default
 * spec smaller than target-size / min-count, they are merged into one (a
 * merged manifest is merged again while it stays that small).  Larger
 * ones, up to half the target, are merged once they add up to the target
 * (into one of about that size, which stays as it is).  Only
 * manifests whose entry schema is the one bronzed writes for the table's
 * spec are merged: their data_file records are copied byte for byte, as
 * EXISTING entries with explicit snapshot id and sequence numbers (the
 * values an ADDED entry inherited); any other manifest stays as it is.
 *
 * A struct ice_merge is owned by its holder (ice_merge_clear frees it).
 */
#ifndef BRONZE_ICE_MERGE_H
#define BRONZE_ICE_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "avro.h"
#include "avro-read.h"
#include "buf.h"
#include "config.h"
#include "ice-manifest.h"

#define ICE_MERGE_ENABLED	"commit.manifest-merge.enabled"
#define ICE_MERGE_MIN_COUNT	"commit.manifest.min-count-to-merge"
#define ICE_MERGE_TARGET	"commit.manifest.target-size-bytes"

struct ice_merge_src {
	char		*path;
	int64_t		 seq;		/* the list's sequence_number */
	int64_t		 snapshot_id;	/* the list's added_snapshot_id */
	int64_t		 length;	/* the list's manifest_length */
};

struct ice_merge {
	struct ice_merge_src	*src;		/* candidates */
	size_t			 nsrc;
	int64_t			 bytes;		/* their lengths, summed */
	char			**merged;	/* paths of the merged ones */
	size_t			 nmerged;
	struct ice_manifest_info info;		/* the merged manifest */
	struct buf		 out;		/* its file */

	/* while writing (ice_merge_begin to ice_merge_finish) */
	struct avro_writer	*w;
	struct avro_read_schema	*entry;		/* bronzed's entry schema */
	char			*entry_text;
	enum config_partition_transform t;
};

/*
 * Choose the manifests of parent_list (a manifest list file) to merge for
 * the table meta (m is cleared first): their number, 0 when no merge is
 * due, -1 and *cause on a damaged list.
 */
int	ice_merge_plan(struct ice_merge *m, const cJSON *meta,
	    const struct buf *parent_list, char **cause);
/*
 * Write the merged manifest at path for snapshot_id, one candidate at a
 * time as each is read, so that neither all of them nor all the work need
 * be held at once: ice_merge_begin, then ice_merge_add with candidate i's
 * file (0; 1 if its schema is not bronzed's for (schema, spec, t), so it
 * is left out; -1 and *cause if damaged), then ice_merge_finish: m->out
 * holds the file, m->info its list record, m->merged the paths merged;
 * returns their number (under two: nothing worth writing), -1 on error.
 */
int	ice_merge_begin(struct ice_merge *m, const char *path,
	    const cJSON *schema, const cJSON *spec,
	    enum config_partition_transform t, int64_t snapshot_id,
	    char **cause);
int	ice_merge_add(struct ice_merge *m, size_t i, const struct buf *data,
	    char **cause);
int	ice_merge_finish(struct ice_merge *m, char **cause);
void	ice_merge_clear(struct ice_merge *m);

#endif
