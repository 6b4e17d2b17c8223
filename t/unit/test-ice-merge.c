/*
 * test-ice-merge.c: merging small manifests: when a merge is due, entries
 * copied as EXISTING with the snapshot ids and sequence numbers their
 * files were added with, a manifest in another schema left as it is, a
 * damaged one refused, the list written without the merged ones, and
 * once the old list expires, the merged-away manifests found unreferenced;
 * the second tier, which merges the merged ones.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro-read.h"
#include "ice-merge.h"
#include "ice-meta.h"
#include "ice-schema.h"
#include "ice-tidy.h"
#include "json.h"
#include "tap.h"
#include "xmalloc.h"

#define NSRC	4

struct fixture {
	cJSON		*meta;
	struct buf	 manifest[NSRC + 1];	/* the last: hour-partitioned */
	struct buf	 list;
};

/* A table partitioned by day with min-count-to-merge min. */
static cJSON *
table(enum config_partition_transform t, const char *min)
{
	struct ice_bronze_ids	 ids = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	cJSON			*schema = ice_schema_bronze(CONFIG_VALUE_BINARY);
	cJSON			*spec = ice_schema_spec(t, &ids);
	cJSON			*props = cJSON_CreateObject(), *m;

	if (min != NULL)
		cJSON_AddStringToObject(props, ICE_MERGE_MIN_COUNT, min);
	m = ice_meta_new("file:///w/t", schema, spec, props, 1000);
	cJSON_Delete(schema);
	cJSON_Delete(spec);
	cJSON_Delete(props);
	return (m);
}

/* Manifest i: one file of snapshot 100 + i, day 20000 + i, i + 1 rows. */
static void
manifest(struct buf *out, const cJSON *meta, enum config_partition_transform t,
    int i, struct ice_manifest_info *info)
{
	struct ice_data_file	 f;
	int64_t			 split = 4;
	char			*path;
	char			*cause = NULL;

	memset(&f, 0, sizeof f);
	f.path = xasprintf("file:///w/t/data/f%d.parquet", i);
	f.part.transform = t;
	f.part.ordinal = 20000 + i;
	f.record_count = i + 1;
	f.file_size = 1000;
	f.splits = &split;
	f.nsplits = 1;
	path = xasprintf("file:///w/t/metadata/m%d.avro", i);
	TAP_CHECK(ice_manifest_write(out, path, ice_meta_current_schema(meta),
	    ice_meta_default_spec(meta), t, 100 + i, &f, 1, info,
	    &cause) == 0);
	free(path);
	free(f.path);
}

/* NSRC day manifests and one hour manifest, listed with seq 1..NSRC+1. */
static void
fixture(struct fixture *fx, const char *min)
{
	struct ice_manifest_info info;
	struct buf		 prev = BUF_INIT;
	cJSON			*hourly = table(CONFIG_PART_HOUR, NULL);
	char			*cause = NULL;
	int			 i;

	memset(fx, 0, sizeof *fx);
	fx->meta = table(CONFIG_PART_DAY, min);
	for (i = 0; i <= NSRC; i++) {
		manifest(&fx->manifest[i], i < NSRC ? fx->meta : hourly,
		    i < NSRC ? CONFIG_PART_DAY : CONFIG_PART_HOUR, i, &info);
		buf_reset(&fx->list);
		TAP_CHECK(ice_manifest_list_write(&fx->list, 100 + i, 99 + i,
		    i + 1, i ? &prev : NULL, NULL, 0, NULL, &info,
		    &cause) == 0);
		buf_reset(&prev);
		buf_append(&prev, fx->list.data, fx->list.len);
		ice_manifest_info_clear(&info);
	}
	buf_free(&prev);
	cJSON_Delete(hourly);
}

static void
fixture_free(struct fixture *fx)
{
	int	i;

	for (i = 0; i <= NSRC; i++)
		buf_free(&fx->manifest[i]);
	buf_free(&fx->list);
	cJSON_Delete(fx->meta);
}

/*
 * Merge the planned candidates into path for snapshot id, handing each its
 * file as ice-append does when the read completes (candidate cut, if not
 * -1, with its last 20 bytes missing).  ice_merge_finish's answer, or -1.
 */
static int
merge(struct ice_merge *m, struct fixture *fx, const char *path, int64_t id,
    long cut, char **cause)
{
	struct buf	 file;
	size_t		 i;
	int		 k;

	if (ice_merge_begin(m, path, ice_meta_current_schema(fx->meta),
	    ice_meta_default_spec(fx->meta), CONFIG_PART_DAY, id, cause) == -1)
		return (-1);
	for (i = 0; i < m->nsrc; i++) {
		k = m->src[i].path[strlen(m->src[i].path) - 6] - '0';
		file = fx->manifest[k];
		if ((long)i == cut)
			file.len -= 20;
		if (ice_merge_add(m, i, &file, cause) == -1)
			return (-1);
	}
	return (ice_merge_finish(m, cause));
}

static void
test_plan(void)
{
	struct fixture	 fx;
	struct ice_merge m;
	char		*cause = NULL;

	fixture(&fx, "3");
	/* the hourly manifest has spec 0 too: a candidate, left out later */
	TAP_CHECK_INT(ice_merge_plan(&m, fx.meta, &fx.list, &cause), NSRC + 1);
	TAP_CHECK_INT(m.nsrc ? m.src[0].seq : -1, 1);
	TAP_CHECK_INT(m.nsrc ? m.src[0].snapshot_id : -1, 100);
	ice_merge_clear(&m);
	fixture_free(&fx);

	fixture(&fx, "9");			/* too few */
	TAP_CHECK_INT(ice_merge_plan(&m, fx.meta, &fx.list, &cause), 0);
	fixture_free(&fx);

	fixture(&fx, NULL);			/* default 100 */
	TAP_CHECK_INT(ice_merge_plan(&m, fx.meta, &fx.list, &cause), 0);
	fixture_free(&fx);

	fixture(&fx, "2");
	cJSON_AddStringToObject(cJSON_GetObjectItem(fx.meta, "properties"),
	    ICE_MERGE_ENABLED, "false");
	TAP_CHECK_INT(ice_merge_plan(&m, fx.meta, &fx.list, &cause), 0);
	fixture_free(&fx);
}

static void
test_write(void)
{
	struct fixture		 fx;
	struct ice_merge	 m;
	struct ice_manifest_info info;
	struct avro_reader	*r;
	struct avro_read_value	*v;
	struct buf		 list = BUF_INIT;
	char			*cause = NULL;
	int64_t			 status, snap, seq, fseq, n = 0;
	uint64_t		 count = 0;
	char			**unref;
	size_t			 nunref, i;

	fixture(&fx, "3");
	TAP_CHECK(ice_merge_plan(&m, fx.meta, &fx.list, &cause) > 0);
	TAP_CHECK_INT(merge(&m, &fx, "file:///w/t/metadata/merged.avro", 999,
	    -1, &cause), NSRC);			/* not the hourly */
	TAP_CHECK_INT(m.info.existing_files, NSRC);
	TAP_CHECK_INT(m.info.existing_rows, 1 + 2 + 3 + 4);
	TAP_CHECK_INT(m.info.min_seq, 1);
	TAP_CHECK_INT(m.info.added_files, 0);
	TAP_CHECK(m.info.have_bounds && m.info.lower.ordinal == 20000 &&
	    m.info.upper.ordinal == 20000 + NSRC - 1);
	r = avro_reader_open(m.out.data, m.out.len, &cause);
	TAP_CHECK(r != NULL);
	while (r != NULL && avro_reader_next(r, &v, &cause) == 1) {
		TAP_CHECK(avro_read_long(avro_read_field(v, "status", 0),
		    &status) == 0 && status == 0);
		TAP_CHECK(avro_read_long(avro_read_field(v, "snapshot_id", 1),
		    &snap) == 0 && snap == 100 + n);
		TAP_CHECK(avro_read_long(avro_read_field(v, "sequence_number",
		    3), &seq) == 0 && seq == n + 1);
		TAP_CHECK(avro_read_long(avro_read_field(v,
		    "file_sequence_number", 4), &fseq) == 0 && fseq == n + 1);
		n++;
		avro_read_value_free(v);
	}
	avro_reader_free(r);
	TAP_CHECK_INT(n, NSRC);

	/* the new list: the hourly one, the merged one, the new manifest */
	manifest(&list, fx.meta, CONFIG_PART_DAY, 7, &info);
	buf_reset(&list);
	TAP_CHECK(ice_manifest_list_write(&list, 999, 104, 6, &fx.list,
	    m.merged, m.nmerged, &m.info, &info, &cause) == 0);
	TAP_CHECK(ice_manifest_list_count(&list, &count, &cause) == 0);
	TAP_CHECK_INT(count, 3);
	ice_manifest_info_clear(&info);

	/* the old list expired: the merged-away manifests go, the rest stay */
	TAP_CHECK(ice_tidy_unreferenced(&fx.list, 1, &list, "file:///w/t",
	    &unref, &nunref, &cause) == 0);
	TAP_CHECK_INT(nunref, NSRC);
	for (i = 0; i < nunref; i++) {
		TAP_CHECK(strstr(unref[i], "/m4.avro") == NULL);
		free(unref[i]);
	}
	free(unref);
	TAP_CHECK(ice_tidy_unreferenced(&fx.list, 1, &list, "file:///x",
	    &unref, &nunref, &cause) == 0 && nunref == 0);
	free(unref);
	buf_free(&list);
	ice_merge_clear(&m);
	fixture_free(&fx);
}

static void
test_damaged(void)
{
	struct fixture	 fx;
	struct ice_merge m;
	char		*cause = NULL;

	fixture(&fx, "3");
	TAP_CHECK(ice_merge_plan(&m, fx.meta, &fx.list, &cause) > 0);
	TAP_CHECK_INT(merge(&m, &fx, "file:///w/t/metadata/merged.avro", 999,
	    1, &cause), -1);			/* candidate 1 cut short */
	TAP_CHECK(cause != NULL);
	free(cause);
	ice_merge_clear(&m);
	cause = NULL;
	fx.list.len /= 2;
	TAP_CHECK_INT(ice_merge_plan(&m, fx.meta, &fx.list, &cause), -1);
	free(cause);
	fixture_free(&fx);
}

/* Set a table property (a string, as engines store them). */
static void
set_prop(cJSON *meta, const char *key, int64_t v)
{
	cJSON	*props = cJSON_GetObjectItem(meta, "properties");
	char	 text[32];

	snprintf(text, sizeof text, "%" PRId64, v);
	cJSON_DeleteItemFromObject(props, key);
	cJSON_AddStringToObject(props, key, text);
}

/* Candidates of a plan, as the table's target makes them. */
static int
plan_with_target(struct fixture *fx, int64_t target, int64_t *bytes)
{
	struct ice_merge m;
	char		*cause = NULL;
	int		 n;

	set_prop(fx->meta, ICE_MERGE_TARGET, target);
	n = ice_merge_plan(&m, fx->meta, &fx->list, &cause);
	*bytes = m.bytes;
	ice_merge_clear(&m);
	free(cause);
	return (n);
}

/*
 * The second tier: manifests past target / min-count but under half the
 * target are merged once they add up to the target, and no more of them
 * than that; a merged manifest merged again keeps each entry's own
 * snapshot id and sequence numbers, not those of the list that named it.
 */
static void
test_second_tier(void)
{
	struct fixture		 fx;
	struct ice_merge	 m, again;
	struct avro_reader	*r;
	struct avro_read_value	*v;
	char			*cause = NULL;
	int64_t			 len, all = 0, bytes, snap, seq, n = 0;
	int			 i;

	fixture(&fx, "100");		/* never enough for the first tier */
	len = (int64_t)fx.manifest[0].len;
	for (i = 0; i <= NSRC; i++)
		all += (int64_t)fx.manifest[i].len;
	TAP_CHECK_INT(plan_with_target(&fx, 3 * len - 16, &bytes), 3);
	TAP_CHECK(bytes >= 3 * len - 16 && bytes < 4 * len);
	TAP_CHECK_INT(plan_with_target(&fx, all + 1, &bytes), 0);
	TAP_CHECK_INT(plan_with_target(&fx, len + 16, &bytes), 0); /* >= 1/2 */
	fixture_free(&fx);

	/* merge once (first tier), then the result twice (second tier) */
	fixture(&fx, "3");
	TAP_CHECK(ice_merge_plan(&m, fx.meta, &fx.list, &cause) > 0);
	TAP_CHECK_INT(merge(&m, &fx, "file:///w/t/metadata/m1.avro", 555, -1,
	    &cause), NSRC);
	memset(&again, 0, sizeof again);
	again.src = xcalloc(2, sizeof *again.src);
	again.nsrc = 2;
	for (i = 0; i < 2; i++) {
		again.src[i].path = xstrdup("file:///w/t/metadata/m1.avro");
		again.src[i].seq = 7;
		again.src[i].snapshot_id = 555;
	}
	TAP_CHECK(ice_merge_begin(&again, "file:///w/t/metadata/m2.avro",
	    ice_meta_current_schema(fx.meta), ice_meta_default_spec(fx.meta),
	    CONFIG_PART_DAY, 777, &cause) == 0);
	for (i = 0; i < 2; i++)
		TAP_CHECK_INT(ice_merge_add(&again, (size_t)i, &m.out, &cause),
		    0);
	TAP_CHECK_INT(ice_merge_finish(&again, &cause), 2);
	TAP_CHECK_INT(again.info.existing_files, 2 * NSRC);
	TAP_CHECK_INT(again.info.min_seq, 1);
	r = avro_reader_open(again.out.data, again.out.len, &cause);
	TAP_CHECK(r != NULL);
	while (r != NULL && avro_reader_next(r, &v, &cause) == 1) {
		TAP_CHECK(avro_read_long(avro_read_field(v, "snapshot_id", 1),
		    &snap) == 0 && snap == 100 + n % NSRC);
		TAP_CHECK(avro_read_long(avro_read_field(v, "sequence_number",
		    3), &seq) == 0 && seq == n % NSRC + 1);
		n++;
		avro_read_value_free(v);
	}
	avro_reader_free(r);
	TAP_CHECK_INT(n, 2 * NSRC);
	ice_merge_clear(&again);
	ice_merge_clear(&m);
	fixture_free(&fx);
}

static const struct tap_case cases[] = {
	{ "a merge is due at min-count-to-merge, when enabled", test_plan },
	{ "EXISTING entries with inherited ids and sequence numbers; the list",
	    test_write },
	{ "a damaged manifest or list is refused", test_damaged },
	{ "second tier: merged up to the target; ids kept when merged again",
	    test_second_tier },
};

TAP_MAIN(cases)
