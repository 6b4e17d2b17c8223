/*
 * ice-manifest.c: Iceberg v2 manifest and manifest list writers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro.h"
#include "avro-read.h"
#include "ice-manifest.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

/* The map<int,long>/map<int,binary> field of a data_file, by Iceberg ids. */
#define ICE_MAP_FIELD(name, id, k, v, vtype)				\
	"{\"name\":\"" name "\",\"type\":[\"null\",{\"type\":\"array\","	\
	"\"logicalType\":\"map\",\"items\":{\"type\":\"record\",\"name\":"	\
	"\"k" #k "_v" #v "\",\"fields\":[{\"name\":\"key\",\"type\":"	\
	"\"int\",\"field-id\":" #k "},{\"name\":\"value\",\"type\":"	\
	"\"" vtype "\",\"field-id\":" #v "}]}}],\"default\":null,"	\
	"\"field-id\":" #id "}"

static const char ice_manifest_list_schema[] =
    "{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
    "{\"name\":\"manifest_path\",\"type\":\"string\",\"field-id\":500},"
    "{\"name\":\"manifest_length\",\"type\":\"long\",\"field-id\":501},"
    "{\"name\":\"partition_spec_id\",\"type\":\"int\",\"field-id\":502},"
    "{\"name\":\"content\",\"type\":\"int\",\"field-id\":517},"
    "{\"name\":\"sequence_number\",\"type\":\"long\",\"field-id\":515},"
    "{\"name\":\"min_sequence_number\",\"type\":\"long\",\"field-id\":516},"
    "{\"name\":\"added_snapshot_id\",\"type\":\"long\",\"field-id\":503},"
    "{\"name\":\"added_files_count\",\"type\":\"int\",\"field-id\":504},"
    "{\"name\":\"existing_files_count\",\"type\":\"int\",\"field-id\":505},"
    "{\"name\":\"deleted_files_count\",\"type\":\"int\",\"field-id\":506},"
    "{\"name\":\"added_rows_count\",\"type\":\"long\",\"field-id\":512},"
    "{\"name\":\"existing_rows_count\",\"type\":\"long\",\"field-id\":513},"
    "{\"name\":\"deleted_rows_count\",\"type\":\"long\",\"field-id\":514},"
    "{\"name\":\"partitions\",\"type\":[\"null\",{\"type\":\"array\","
    "\"element-id\":508,\"items\":{\"type\":\"record\",\"name\":\"r508\","
    "\"fields\":[{\"name\":\"contains_null\",\"type\":\"boolean\","
    "\"field-id\":509},{\"name\":\"contains_nan\",\"type\":[\"null\","
    "\"boolean\"],\"default\":null,\"field-id\":518},{\"name\":"
    "\"lower_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,"
    "\"field-id\":510},{\"name\":\"upper_bound\",\"type\":[\"null\","
    "\"bytes\"],\"default\":null,\"field-id\":511}]}}],\"default\":null,"
    "\"field-id\":507},"
    "{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],"
    "\"default\":null,\"field-id\":519}]}";

void
ice_data_file_set(struct ice_data_file *f, const char *path,
    const struct ice_part_value *part, const struct pq_metrics *m)
{
	memset(f, 0, sizeof *f);
	f->path = xstrdup(path);
	f->part = *part;
	if (part->topic != NULL)
		f->part.topic = xstrdup(part->topic);
	f->record_count = m->record_count;
	f->file_size = m->file_size;
	f->ncols = m->ncols;
	f->cols = xmemdup(m->cols, m->ncols * sizeof *m->cols);
	f->nsplits = m->nsplits;
	f->splits = xmemdup(m->split_offsets, m->nsplits * sizeof *f->splits);
}

void
ice_data_file_clear(struct ice_data_file *f)
{
	free(f->path);
	free((char *)f->part.topic);
	free(f->cols);
	free(f->splits);
	memset(f, 0, sizeof *f);
}

void
ice_manifest_info_clear(struct ice_manifest_info *info)
{
	free(info->path);
	free((char *)info->lower.topic);
	free((char *)info->upper.topic);
	memset(info, 0, sizeof *info);
}

/* The Avro type of the partition field for a transform. */
static const char *
ice_manifest_part_type(enum config_partition_transform t)
{
	switch (t) {
	case CONFIG_PART_DAY:
		return ("[\"null\",{\"type\":\"int\",\"logicalType\":\"date\"}]");
	case CONFIG_PART_HOUR:
		return ("[\"null\",\"int\"]");
	default:
		return ("[\"null\",\"string\"]");
	}
}

/* The manifest_entry schema for the table's partition spec. */
static char *
ice_manifest_entry_schema(const cJSON *spec, enum config_partition_transform t)
{
	struct buf	 b = BUF_INIT;
	const cJSON	*pf = cJSON_GetArrayItem(cJSON_GetObjectItem(spec,
			    "fields"), 0);
	int64_t		 fid = 1000;

	buf_puts(&b, "{\"type\":\"record\",\"name\":\"manifest_entry\","
	    "\"fields\":[{\"name\":\"status\",\"type\":\"int\",\"field-id\":0},"
	    "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],"
	    "\"default\":null,\"field-id\":1},{\"name\":\"sequence_number\","
	    "\"type\":[\"null\",\"long\"],\"default\":null,\"field-id\":3},"
	    "{\"name\":\"file_sequence_number\",\"type\":[\"null\",\"long\"],"
	    "\"default\":null,\"field-id\":4},{\"name\":\"data_file\","
	    "\"field-id\":2,\"type\":{\"type\":\"record\",\"name\":\"r2\","
	    "\"fields\":[{\"name\":\"content\",\"type\":\"int\","
	    "\"field-id\":134},{\"name\":\"file_path\",\"type\":\"string\","
	    "\"field-id\":100},{\"name\":\"file_format\",\"type\":\"string\","
	    "\"field-id\":101},{\"name\":\"partition\",\"field-id\":102,"
	    "\"type\":{\"type\":\"record\",\"name\":\"r102\",\"fields\":[");
	if (pf != NULL && t != CONFIG_PART_NONE) {
		(void)json_get_int64(cJSON_GetObjectItem(pf, "field-id"), &fid);
		buf_printf(&b, "{\"name\":\"%s\",\"type\":%s,\"default\":null,"
		    "\"field-id\":%" PRId64 "}", json_object_string(pf, "name"),
		    ice_manifest_part_type(t), fid);
	}
	buf_puts(&b, "]}},{\"name\":\"record_count\",\"type\":\"long\","
	    "\"field-id\":103},{\"name\":\"file_size_in_bytes\",\"type\":"
	    "\"long\",\"field-id\":104},"
	    ICE_MAP_FIELD("column_sizes", 108, 117, 118, "long") ","
	    ICE_MAP_FIELD("value_counts", 109, 119, 120, "long") ","
	    ICE_MAP_FIELD("null_value_counts", 110, 121, 122, "long") ","
	    ICE_MAP_FIELD("nan_value_counts", 137, 138, 139, "long") ","
	    ICE_MAP_FIELD("lower_bounds", 125, 126, 127, "bytes") ","
	    ICE_MAP_FIELD("upper_bounds", 128, 129, 130, "bytes") ","
	    "{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],"
	    "\"default\":null,\"field-id\":131},{\"name\":\"split_offsets\","
	    "\"type\":[\"null\",{\"type\":\"array\",\"items\":\"long\","
	    "\"element-id\":133}],\"default\":null,\"field-id\":132},"
	    "{\"name\":\"equality_ids\",\"type\":[\"null\",{\"type\":\"array\","
	    "\"items\":\"int\",\"element-id\":136}],\"default\":null,"
	    "\"field-id\":135},{\"name\":\"sort_order_id\",\"type\":[\"null\","
	    "\"int\"],\"default\":null,\"field-id\":140}]}}]}");
	return ((char *)buf_steal(&b, NULL));
}

enum ice_metric { ICE_SIZES, ICE_VALUES, ICE_NULLS, ICE_LOWER, ICE_UPPER };

/* One metrics map of a data file: union branch, entries, end. */
static void
ice_manifest_put_metrics(struct buf *b, const struct ice_data_file *f,
    enum ice_metric which)
{
	const struct pq_col_metrics	*c;
	size_t				 i, n = 0;

	for (i = 0; i < f->ncols; i++) {
		c = &f->cols[i];
		if (which < ICE_LOWER || (c->has_bounds && !c->in_map))
			n++;
	}
	avro_put_union(b, 1);
	avro_put_array_start(b, (int64_t)n);
	for (i = 0; i < f->ncols; i++) {
		c = &f->cols[i];
		if (which >= ICE_LOWER && (!c->has_bounds || c->in_map))
			continue;
		avro_put_int(b, c->field_id);
		if (which == ICE_SIZES)
			avro_put_long(b, c->column_size);
		else if (which == ICE_VALUES)
			avro_put_long(b, c->value_count);
		else if (which == ICE_NULLS)
			avro_put_long(b, c->null_count);
		else if (which == ICE_LOWER)
			avro_put_bytes(b, c->lower, c->lower_len);
		else
			avro_put_bytes(b, c->upper, c->upper_len);
	}
	avro_put_array_end(b);
}

static void
ice_manifest_put_entry(struct buf *b, const struct ice_data_file *f,
    int64_t snapshot_id)
{
	size_t	i;

	avro_put_int(b, 1);			/* status ADDED */
	avro_put_union(b, 1);
	avro_put_long(b, snapshot_id);
	avro_put_union(b, 0);			/* sequence_number: inherit */
	avro_put_union(b, 0);			/* file_sequence_number */
	avro_put_int(b, 0);			/* content: data */
	avro_put_string(b, f->path);
	avro_put_string(b, "PARQUET");
	if (f->part.transform == CONFIG_PART_IDENTITY_TOPIC) {
		avro_put_union(b, 1);
		avro_put_string(b, f->part.topic);
	} else if (f->part.transform != CONFIG_PART_NONE) {
		avro_put_union(b, 1);
		avro_put_int(b, f->part.ordinal);
	}
	avro_put_long(b, f->record_count);
	avro_put_long(b, f->file_size);
	ice_manifest_put_metrics(b, f, ICE_SIZES);
	ice_manifest_put_metrics(b, f, ICE_VALUES);
	ice_manifest_put_metrics(b, f, ICE_NULLS);
	avro_put_union(b, 1);			/* nan_value_counts: none */
	avro_put_array_end(b);
	ice_manifest_put_metrics(b, f, ICE_LOWER);
	ice_manifest_put_metrics(b, f, ICE_UPPER);
	avro_put_union(b, 0);			/* key_metadata */
	avro_put_union(b, 1);
	avro_put_array_start(b, (int64_t)f->nsplits);
	for (i = 0; i < f->nsplits; i++)
		avro_put_long(b, f->splits[i]);
	avro_put_array_end(b);
	avro_put_union(b, 0);			/* equality_ids */
	avro_put_union(b, 1);			/* sort_order_id 0: unsorted */
	avro_put_int(b, 0);
}

void
ice_manifest_info_widen(struct ice_manifest_info *info,
    const struct ice_part_value *v)
{
	int	first = !info->have_bounds;

	if (v->transform == CONFIG_PART_NONE)
		return;
	info->have_bounds = 1;
	if (v->transform != CONFIG_PART_IDENTITY_TOPIC) {
		if (first || v->ordinal < info->lower.ordinal)
			info->lower = *v;
		if (first || v->ordinal > info->upper.ordinal)
			info->upper = *v;
		return;
	}
	if (first || strcmp(v->topic, info->lower.topic) < 0) {
		free((char *)info->lower.topic);
		info->lower = *v;
		info->lower.topic = xstrdup(v->topic);
	}
	if (first || strcmp(v->topic, info->upper.topic) > 0) {
		free((char *)info->upper.topic);
		info->upper = *v;
		info->upper.topic = xstrdup(v->topic);
	}
}

struct avro_writer *
ice_manifest_writer(struct buf *out, const cJSON *schema, const cJSON *spec,
    enum config_partition_transform t, char **entry_schema, char **cause)
{
	struct avro_meta	 meta[6];
	struct avro_writer	*w;
	char			*schema_text, *spec_fields;
	char			 schema_id[24], spec_id[24];
	int64_t			 sid = 0, pid = 0;

	(void)json_get_int64(cJSON_GetObjectItem(schema, "schema-id"), &sid);
	(void)json_get_int64(cJSON_GetObjectItem(spec, "spec-id"), &pid);
	snprintf(schema_id, sizeof schema_id, "%" PRId64, sid);
	snprintf(spec_id, sizeof spec_id, "%" PRId64, pid);
	schema_text = json_print(schema);
	spec_fields = json_print(cJSON_GetObjectItem(spec, "fields"));
	meta[0] = (struct avro_meta){ "schema", schema_text };
	meta[1] = (struct avro_meta){ "schema-id", schema_id };
	meta[2] = (struct avro_meta){ "partition-spec", spec_fields };
	meta[3] = (struct avro_meta){ "partition-spec-id", spec_id };
	meta[4] = (struct avro_meta){ "format-version", "2" };
	meta[5] = (struct avro_meta){ "content", "data" };
	*entry_schema = ice_manifest_entry_schema(spec, t);
	w = avro_writer_new(*entry_schema, meta, 6, AVRO_CODEC_DEFLATE, out,
	    NULL, NULL, cause);
	free(schema_text);
	free(spec_fields);
	return (w);
}

int
ice_manifest_write(struct buf *out, const char *path, const cJSON *schema,
    const cJSON *spec, enum config_partition_transform t,
    int64_t snapshot_id, const struct ice_data_file *files, size_t nfiles,
    struct ice_manifest_info *info, char **cause)
{
	struct avro_writer	*w;
	struct buf		 rec = BUF_INIT;
	char			*avro_schema;
	int64_t			 pid = 0;
	size_t			 i;
	int			 rc = 0;

	(void)json_get_int64(cJSON_GetObjectItem(spec, "spec-id"), &pid);
	memset(info, 0, sizeof *info);
	w = ice_manifest_writer(out, schema, spec, t, &avro_schema, cause);
	for (i = 0; w != NULL && i < nfiles && rc == 0; i++) {
		buf_reset(&rec);
		ice_manifest_put_entry(&rec, &files[i], snapshot_id);
		rc = avro_writer_append(w, rec.data, rec.len, cause);
		info->added_rows += files[i].record_count;
		ice_manifest_info_widen(info, &files[i].part);
	}
	if (w == NULL || rc == -1 || avro_writer_close(w, cause) == -1)
		rc = -1;
	info->path = xstrdup(path);
	info->length = (int64_t)out->len;
	info->spec_id = (int32_t)pid;
	info->snapshot_id = snapshot_id;
	info->added_files = (int32_t)nfiles;
	avro_writer_free(w);
	buf_free(&rec);
	free(avro_schema);
	return (rc);
}

/* One partition bound in single-value serialization. */
static void
ice_manifest_put_bound(struct buf *b, const struct ice_part_value *v)
{
	uint8_t	tmp[1024];
	size_t	n = ice_part_serialize(v, tmp, sizeof tmp);

	avro_put_union(b, 1);
	avro_put_bytes(b, tmp, n);
}

static void
ice_manifest_put_file_record(struct buf *b,
    const struct ice_manifest_info *info, int64_t seq)
{
	avro_put_string(b, info->path);
	avro_put_long(b, info->length);
	avro_put_int(b, info->spec_id);
	avro_put_int(b, 0);			/* content: data */
	avro_put_long(b, seq);
	avro_put_long(b, info->have_min_seq ? info->min_seq : seq);
	avro_put_long(b, info->snapshot_id);
	avro_put_int(b, info->added_files);
	avro_put_int(b, info->existing_files);
	avro_put_int(b, 0);
	avro_put_long(b, info->added_rows);
	avro_put_long(b, info->existing_rows);
	avro_put_long(b, 0);
	avro_put_union(b, 1);			/* partitions */
	if (info->have_bounds) {
		avro_put_array_start(b, 1);
		avro_put_boolean(b, 0);		/* contains_null */
		avro_put_union(b, 1);		/* contains_nan: false */
		avro_put_boolean(b, 0);
		ice_manifest_put_bound(b, &info->lower);
		ice_manifest_put_bound(b, &info->upper);
	}
	avro_put_array_end(b);
	avro_put_union(b, 0);			/* key_metadata */
}

/* The manifest_file fields after manifest_path, in our schema's order. */
static const struct {
	int64_t		 id;
	const char	*name;
	int		 is_long;
	int		 required;	/* else absent (v1) means 0 */
} ice_manifest_list_fields[] = {
	{ 501, "manifest_length", 1, 1 },
	{ 502, "partition_spec_id", 0, 1 },
	{ 517, "content", 0, 0 },
	{ 515, "sequence_number", 1, 0 },
	{ 516, "min_sequence_number", 1, 0 },
	{ 503, "added_snapshot_id", 1, 1 },
	{ 504, "added_files_count", 0, 1 },
	{ 505, "existing_files_count", 0, 1 },
	{ 506, "deleted_files_count", 0, 1 },
	{ 512, "added_rows_count", 1, 1 },
	{ 513, "existing_rows_count", 1, 1 },
	{ 514, "deleted_rows_count", 1, 1 },
};
#define ICE_NLIST_FIELDS \
	(sizeof ice_manifest_list_fields / sizeof ice_manifest_list_fields[0])

/* An optional bytes or boolean field of v, re-encoded as ["null", T]. */
static int
ice_manifest_put_opt(struct buf *b, const struct avro_read_value *v,
    const char *name, int64_t id, enum avro_read_type type)
{
	const struct avro_read_value	*f = avro_read_field(v, name, id);

	if (f == NULL || f->type == AVRO_R_NULL) {
		avro_put_union(b, 0);
		return (0);
	}
	if (f->type != type)
		return (-1);
	avro_put_union(b, 1);
	if (type == AVRO_R_BOOLEAN)
		avro_put_boolean(b, (int)f->l);
	else
		avro_put_bytes(b, f->p, f->len);
	return (0);
}

/* A field_summary list (507), each summary by field id. */
static int
ice_manifest_put_summaries(struct buf *b, const struct avro_read_value *rec)
{
	const struct avro_read_value	*a, *s, *cn;
	size_t				 i;

	a = avro_read_field(rec, "partitions", 507);
	if (a == NULL || a->type == AVRO_R_NULL) {
		avro_put_union(b, 0);
		return (0);
	}
	if (a->type != AVRO_R_ARRAY)
		return (-1);
	avro_put_union(b, 1);
	avro_put_array_start(b, (int64_t)a->n);
	for (i = 0; i < a->n; i++) {
		s = &a->items[i];
		cn = avro_read_field(s, "contains_null", 509);
		if (cn == NULL || cn->type != AVRO_R_BOOLEAN)
			return (-1);
		avro_put_boolean(b, (int)cn->l);
		if (ice_manifest_put_opt(b, s, "contains_nan", 518,
		    AVRO_R_BOOLEAN) == -1 ||
		    ice_manifest_put_opt(b, s, "lower_bound", 510,
		    AVRO_R_BYTES) == -1 ||
		    ice_manifest_put_opt(b, s, "upper_bound", 511,
		    AVRO_R_BYTES) == -1)
			return (-1);
	}
	avro_put_array_end(b);
	return (0);
}

/*
 * Re-encode a manifest_file record of any writer schema (Java, pyiceberg,
 * v1 or v2) in ours, fields found by id: values are kept as they are.
 */
static int
ice_manifest_put_parent(struct buf *b, const struct avro_read_value *rec)
{
	const struct avro_read_value	*path;
	int64_t				 v;
	size_t				 i;

	path = avro_read_field(rec, "manifest_path", 500);
	if (path == NULL || path->type != AVRO_R_STRING)
		return (-1);
	avro_put_bytes(b, path->p, path->len);
	for (i = 0; i < ICE_NLIST_FIELDS; i++) {
		if (avro_read_long(avro_read_field(rec,
		    ice_manifest_list_fields[i].name,
		    ice_manifest_list_fields[i].id), &v) == -1) {
			if (ice_manifest_list_fields[i].required)
				return (-1);
			v = 0;
		}
		if (ice_manifest_list_fields[i].is_long)
			avro_put_long(b, v);
		else
			avro_put_int(b, (int32_t)v);
	}
	if (ice_manifest_put_summaries(b, rec) == -1)
		return (-1);
	return (ice_manifest_put_opt(b, rec, "key_metadata", 519,
	    AVRO_R_BYTES));
}

/* Nonzero if rec's manifest_path is one of drop. */
static int
ice_manifest_dropped(const struct avro_read_value *rec, char *const *drop,
    size_t ndrop)
{
	const struct avro_read_value	*path;
	size_t				 i;

	path = avro_read_field(rec, "manifest_path", 500);
	for (i = 0; path != NULL && path->type == AVRO_R_STRING && i < ndrop;
	    i++) {
		if (strlen(drop[i]) == path->len &&
		    memcmp(drop[i], path->p, path->len) == 0)
			return (1);
	}
	return (0);
}

/* Copy the records of the parent's list into w, whatever its schema. */
static int
ice_manifest_copy_parent(struct avro_writer *w, const struct buf *parent,
    char *const *drop, size_t ndrop, char **cause)
{
	struct avro_reader	*r;
	struct avro_read_value	*v;
	struct buf		 rec = BUF_INIT;
	int			 rc;

	if ((r = avro_reader_open(parent->data, parent->len, cause)) == NULL)
		return (-1);
	while ((rc = avro_reader_next(r, &v, cause)) == 1) {
		buf_reset(&rec);
		if (ice_manifest_dropped(v, drop, ndrop))
			rc = 0;
		else if (ice_manifest_put_parent(&rec, v) == -1) {
			*cause = xstrdup("the parent snapshot's manifest list "
			    "has a record without a required manifest_file "
			    "field");
			rc = -1;
		} else
			rc = avro_writer_append(w, rec.data, rec.len, cause);
		avro_read_value_free(v);
		if (rc == -1)
			break;
	}
	avro_reader_free(r);
	buf_free(&rec);
	return (rc);
}

int
ice_manifest_list_write(struct buf *out, int64_t snapshot_id,
    int64_t parent_id, int64_t seq, const struct buf *parent_list,
    char *const *drop, size_t ndrop, const struct ice_manifest_info *merged,
    const struct ice_manifest_info *info, char **cause)
{
	struct avro_meta	 meta[4];
	struct avro_writer	*w;
	struct buf		 rec = BUF_INIT;
	char			 sid[24], pid[24], sq[24];
	int			 rc = -1;

	snprintf(sid, sizeof sid, "%" PRId64, snapshot_id);
	if (parent_list != NULL)
		snprintf(pid, sizeof pid, "%" PRId64, parent_id);
	else
		snprintf(pid, sizeof pid, "null");
	snprintf(sq, sizeof sq, "%" PRId64, seq);
	meta[0] = (struct avro_meta){ "snapshot-id", sid };
	meta[1] = (struct avro_meta){ "parent-snapshot-id", pid };
	meta[2] = (struct avro_meta){ "sequence-number", sq };
	meta[3] = (struct avro_meta){ "format-version", "2" };
	w = avro_writer_new(ice_manifest_list_schema, meta, 4,
	    AVRO_CODEC_DEFLATE, out, NULL, NULL, cause);
	if (w == NULL)
		return (-1);
	if (parent_list != NULL && ice_manifest_copy_parent(w, parent_list,
	    drop, ndrop, cause) == -1)
		goto out;
	if (merged != NULL) {
		ice_manifest_put_file_record(&rec, merged, seq);
		if (avro_writer_append(w, rec.data, rec.len, cause) == -1)
			goto out;
		buf_reset(&rec);
	}
	ice_manifest_put_file_record(&rec, info, seq);
	if (avro_writer_append(w, rec.data, rec.len, cause) == 0 &&
	    avro_writer_close(w, cause) == 0)
		rc = 0;
out:
	avro_writer_free(w);
	buf_free(&rec);
	return (rc);
}

int
ice_manifest_list_count(const struct buf *list, uint64_t *n, char **cause)
{
	struct avro_file	 f;
	struct buf		 block = BUF_INIT;
	uint64_t		 count;
	int			 rc;

	*n = 0;
	if (avro_file_open(&f, list->data, list->len, cause) == -1)
		return (-1);
	while ((rc = avro_file_next_block(&f, &block, &count, cause)) == 1)
		*n += count;
	buf_free(&block);
	return (rc);
}
