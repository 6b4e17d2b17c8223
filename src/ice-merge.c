/*
 * ice-merge.c: merging small manifests at commit time (see ice-merge.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "avro.h"
#include "avro-read.h"
#include "ice-merge.h"
#include "ice-meta.h"
#include "json.h"
#include "xmalloc.h"

#define ICE_MERGE_MIN_COUNT_DEFAULT	100
#define ICE_MERGE_TARGET_DEFAULT	(8 * 1024 * 1024)

/* An int or long field of a list record, def when absent or null. */
static int64_t
ice_merge_field(const struct avro_read_value *rec, const char *name,
    int64_t id, int64_t def)
{
	int64_t	v;

	return (avro_read_long(avro_read_field(rec, name, id), &v) == 0 ?
	    v : def);
}

/* Add a list record's manifest to m's candidates. */
static void
ice_merge_add_src(struct ice_merge *m, const struct avro_read_value *rec,
    int64_t length)
{
	const struct avro_read_value	*path;
	struct ice_merge_src		*s;

	path = avro_read_field(rec, "manifest_path", 500);
	m->src = xreallocarray(m->src, m->nsrc + 1, sizeof *m->src);
	s = &m->src[m->nsrc++];
	memset(s, 0, sizeof *s);
	s->path = xstrndup((const char *)path->p, path->len);
	s->seq = ice_merge_field(rec, "sequence_number", 515, 0);
	s->snapshot_id = ice_merge_field(rec, "added_snapshot_id", 503, -1);
	s->length = length;
	m->bytes += length;
}

/* A list record for a data manifest of the default spec: its length. */
static int64_t
ice_merge_length(const struct avro_read_value *rec, int64_t spec)
{
	const struct avro_read_value	*path;

	path = avro_read_field(rec, "manifest_path", 500);
	if (path == NULL || path->type != AVRO_R_STRING ||
	    ice_merge_field(rec, "content", 517, 0) != 0 ||
	    ice_merge_field(rec, "partition_spec_id", 502, -1) != spec)
		return (-1);
	return (ice_merge_field(rec, "manifest_length", 501, -1));
}

/*
 * Two tiers.  First, manifests under target / min-count (what one or a few
 * commits write): merged once min-count of them are listed.  Their merges
 * stop being candidates at that size, so second, manifests from there to
 * half the target: merged once they add up to the target, into one of
 * about the target's size, which is never merged again.
 */
int
ice_merge_plan(struct ice_merge *m, const cJSON *meta,
    const struct buf *parent_list, char **cause)
{
	struct avro_reader	*r;
	struct avro_read_value	*v;
	struct ice_merge	 big;
	int64_t			 min_count, target, len, spec = 0;
	int			 rc;

	memset(m, 0, sizeof *m);
	memset(&big, 0, sizeof big);
	min_count = ice_meta_prop_int(meta, ICE_MERGE_MIN_COUNT,
	    ICE_MERGE_MIN_COUNT_DEFAULT);
	target = ice_meta_prop_int(meta, ICE_MERGE_TARGET,
	    ICE_MERGE_TARGET_DEFAULT);
	if (!ice_meta_prop_bool(meta, ICE_MERGE_ENABLED, 1) ||
	    parent_list == NULL || min_count < 2 || target < min_count)
		return (0);
	(void)json_get_int64(cJSON_GetObjectItem(ice_meta_default_spec(meta),
	    "spec-id"), &spec);
	if ((r = avro_reader_open(parent_list->data, parent_list->len,
	    cause)) == NULL)
		return (-1);
	while ((rc = avro_reader_next(r, &v, cause)) == 1) {
		len = ice_merge_length(v, spec);
		if (len >= 0 && len < target / min_count)
			ice_merge_add_src(m, v, len);
		else if (len >= 0 && len < target / 2 && big.bytes < target)
			ice_merge_add_src(&big, v, len);
		avro_read_value_free(v);
	}
	avro_reader_free(r);
	if (rc != -1 && (int64_t)m->nsrc < min_count) {
		ice_merge_clear(m);
		if (big.bytes >= target && big.nsrc >= 2) {
			*m = big;
			return ((int)m->nsrc);
		}
	}
	ice_merge_clear(&big);
	if (rc == -1)
		ice_merge_clear(m);
	return (rc == -1 ? -1 : (int)m->nsrc);
}

/* Widen the merged manifest's bounds with a data_file's partition. */
static void
ice_merge_widen(struct ice_merge *m, const struct avro_read_value *df,
    enum config_partition_transform t)
{
	const struct avro_read_value	*part, *v;
	struct ice_part_value		 pv;
	char				*topic = NULL;
	int64_t				 n;

	part = avro_read_field(df, "partition", 102);
	if (t == CONFIG_PART_NONE || part == NULL ||
	    part->type != AVRO_R_RECORD || part->n == 0)
		return;
	v = &part->items[0];
	while (v->type == AVRO_R_UNION && v->n == 1)
		v = &v->items[0];
	memset(&pv, 0, sizeof pv);
	pv.transform = t;
	if (v->type == AVRO_R_STRING)
		pv.topic = topic = xstrndup((const char *)v->p, v->len);
	else if (avro_read_long(v, &n) == 0)
		pv.ordinal = (int32_t)n;
	else
		return;
	ice_manifest_info_widen(&m->info, &pv);
	free(topic);
}

/*
 * One entry of src, its fields decoded one by one from the block at *p so
 * that data_file's bytes can be copied as they are: appended to rec as an
 * EXISTING entry.  0, 1 if DELETED (skipped), -1 on damage.
 */
static int
ice_merge_entry(struct ice_merge *m, const struct ice_merge_src *src,
    const struct avro_read_schema *entry, enum config_partition_transform t,
    const uint8_t **p, size_t *left, struct buf *rec, char **cause)
{
	struct avro_read_value	*f[5] = { NULL };
	const uint8_t		*df_start = NULL;
	int64_t			 status = -1, snap, seq, fseq, rows = 0;
	int			 i, rc = -1;

	for (i = 0; i < 5; i++) {
		if (i == 4)
			df_start = *p;
		if (avro_read_decode(entry->children[i], p, left, &f[i],
		    cause) == -1)
			goto out;
	}
	if (df_start == NULL)
		goto out;
	(void)avro_read_long(f[0], &status);
	if (avro_read_long(f[1], &snap) == -1)
		snap = src->snapshot_id;
	if (avro_read_long(f[2], &seq) == -1)
		seq = src->seq;
	if (avro_read_long(f[3], &fseq) == -1)
		fseq = seq;
	rc = 1;
	if (status == 2)
		goto out;
	avro_put_int(rec, 0);			/* EXISTING */
	avro_put_union(rec, 1);
	avro_put_long(rec, snap);
	avro_put_union(rec, 1);
	avro_put_long(rec, seq);
	avro_put_union(rec, 1);
	avro_put_long(rec, fseq);
	buf_append(rec, df_start, (size_t)(*p - df_start));
	(void)avro_read_long(avro_read_field(f[4], "record_count", 103), &rows);
	m->info.existing_files++;
	m->info.existing_rows += rows;
	if (!m->info.have_min_seq || seq < m->info.min_seq)
		m->info.min_seq = seq;
	m->info.have_min_seq = 1;
	ice_merge_widen(m, f[4], t);
	rc = 0;
out:
	for (i = 0; i < 5; i++)
		avro_read_value_free(f[i]);
	return (rc);
}

/* Copy src's live entries into w; 1 if its schema is not ours. */
static int
ice_merge_copy(struct ice_merge *m, const struct ice_merge_src *src,
    const struct buf *data, const char *entry_text,
    const struct avro_read_schema *entry, enum config_partition_transform t,
    struct avro_writer *w, char **cause)
{
	struct avro_file	 f;
	struct buf		 block = BUF_INIT, rec = BUF_INIT;
	const uint8_t		*p, *text;
	size_t			 left, len;
	uint64_t		 count, i;
	int			 rc;

	if (avro_file_open(&f, data->data, data->len, cause) == -1)
		return (-1);
	text = avro_file_meta(&f, "avro.schema", &len);
	if (text == NULL || len != strlen(entry_text) ||
	    memcmp(text, entry_text, len) != 0)
		return (1);
	while ((rc = avro_file_next_block(&f, &block, &count, cause)) == 1) {
		p = block.data;
		left = block.len;
		for (i = 0; i < count && rc != -1; i++) {
			buf_reset(&rec);
			rc = ice_merge_entry(m, src, entry, t, &p, &left, &rec,
			    cause);
			if (rc == 0)
				rc = avro_writer_append(w, rec.data, rec.len,
				    cause);
		}
		if (rc == -1)
			break;
	}
	buf_free(&block);
	buf_free(&rec);
	return (rc == -1 ? -1 : 0);
}

int
ice_merge_begin(struct ice_merge *m, const char *path, const cJSON *schema,
    const cJSON *spec, enum config_partition_transform t, int64_t snapshot_id,
    char **cause)
{
	int64_t	pid = 0;

	buf_reset(&m->out);
	ice_manifest_info_clear(&m->info);
	m->t = t;
	m->w = ice_manifest_writer(&m->out, schema, spec, t, &m->entry_text,
	    cause);
	if (m->w != NULL)
		m->entry = avro_read_schema_parse(m->entry_text,
		    strlen(m->entry_text), cause);
	if (m->entry == NULL)
		return (-1);
	if (m->entry->type != AVRO_R_RECORD || m->entry->n != 5) {
		*cause = xstrdup("manifest entry schema: not 5 fields");
		return (-1);
	}
	(void)json_get_int64(cJSON_GetObjectItem(spec, "spec-id"), &pid);
	m->info.path = xstrdup(path);
	m->info.spec_id = (int32_t)pid;
	m->info.snapshot_id = snapshot_id;
	return (0);
}

int
ice_merge_add(struct ice_merge *m, size_t i, const struct buf *data,
    char **cause)
{
	int	rc;

	if (m->w == NULL || m->entry == NULL || i >= m->nsrc) {
		*cause = xstrdup("merge: not begun");
		return (-1);
	}
	rc = ice_merge_copy(m, &m->src[i], data, m->entry_text, m->entry,
	    m->t, m->w, cause);
	if (rc == 0) {
		m->merged = xreallocarray(m->merged, m->nmerged + 1,
		    sizeof *m->merged);
		m->merged[m->nmerged++] = xstrdup(m->src[i].path);
	}
	return (rc);
}

int
ice_merge_finish(struct ice_merge *m, char **cause)
{
	if (m->w == NULL || avro_writer_close(m->w, cause) == -1)
		return (-1);
	m->info.length = (int64_t)m->out.len;
	return ((int)m->nmerged);
}

void
ice_merge_clear(struct ice_merge *m)
{
	size_t	i;

	for (i = 0; i < m->nsrc; i++)
		free(m->src[i].path);
	free(m->src);
	xfreev(m->merged, m->nmerged);
	avro_writer_free(m->w);
	avro_read_schema_free(m->entry);
	free(m->entry_text);
	ice_manifest_info_clear(&m->info);
	buf_free(&m->out);
	memset(m, 0, sizeof *m);
}
