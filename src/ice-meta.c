/*
 * ice-meta.c: accessors and append updates for Iceberg v2 table metadata.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "ice-meta.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

int64_t
ice_meta_int(const cJSON *obj, const char *key, int64_t dflt)
{
	int64_t	v;

	if (json_get_int64(cJSON_GetObjectItemCaseSensitive(obj, key), &v) == 0)
		return (v);
	return (dflt);
}

void
ice_uuid4(char out[37])
{
	uint8_t	u[16];

	if (getrandom(u, sizeof u, 0) != sizeof u)
		fatal("getrandom");
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
	    u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* The highest field id in a schema, nested ids included. */
static int64_t
ice_meta_max_id(const cJSON *node)
{
	const cJSON	*c;
	int64_t		 max = 0, v;

	if (node == NULL)
		return (0);
	for (c = node->child; c != NULL; c = c->next) {
		if (c->string != NULL && (strcmp(c->string, "id") == 0 ||
		    strcmp(c->string, "key-id") == 0 ||
		    strcmp(c->string, "value-id") == 0 ||
		    strcmp(c->string, "element-id") == 0) &&
		    json_get_int64(c, &v) == 0 && v > max)
			max = v;
		if ((v = ice_meta_max_id(c)) > max)
			max = v;
	}
	return (max);
}

cJSON *
ice_meta_new(const char *location, const cJSON *schema, const cJSON *spec,
    const cJSON *properties, int64_t now_ms)
{
	cJSON		*m = cJSON_CreateObject(), *order, *f;
	const cJSON	*pf;
	char		 uuid[37];
	int64_t		 last_part = 999;

	ice_uuid4(uuid);
	cJSON_AddNumberToObject(m, "format-version", 2);
	cJSON_AddStringToObject(m, "table-uuid", uuid);
	cJSON_AddStringToObject(m, "location", location);
	json_add_int64(m, "last-sequence-number", 0);
	json_add_int64(m, "last-updated-ms", now_ms);
	json_add_int64(m, "last-column-id", ice_meta_max_id(schema));
	cJSON_AddNumberToObject(m, "current-schema-id", 0);
	f = cJSON_AddArrayToObject(m, "schemas");
	cJSON_AddItemToArray(f, cJSON_Duplicate(schema, 1));
	cJSON_AddNumberToObject(m, "default-spec-id", 0);
	f = cJSON_AddArrayToObject(m, "partition-specs");
	cJSON_AddItemToArray(f, cJSON_Duplicate(spec, 1));
	cJSON_ArrayForEach(pf, cJSON_GetObjectItem(spec, "fields"))
		last_part = ice_meta_int(pf, "field-id", last_part);
	json_add_int64(m, "last-partition-id", last_part);
	cJSON_AddNumberToObject(m, "default-sort-order-id", 0);
	f = cJSON_AddArrayToObject(m, "sort-orders");
	order = cJSON_CreateObject();
	cJSON_AddNumberToObject(order, "order-id", 0);
	cJSON_AddArrayToObject(order, "fields");
	cJSON_AddItemToArray(f, order);
	cJSON_AddItemToObject(m, "properties", properties != NULL ?
	    cJSON_Duplicate(properties, 1) : cJSON_CreateObject());
	json_add_int64(m, "current-snapshot-id", -1);
	cJSON_AddObjectToObject(m, "refs");
	cJSON_AddArrayToObject(m, "snapshots");
	cJSON_AddArrayToObject(m, "statistics");
	cJSON_AddArrayToObject(m, "snapshot-log");
	cJSON_AddArrayToObject(m, "metadata-log");
	return (m);
}

int
ice_meta_validate(const cJSON *meta, char **cause)
{
	static const char *const req[] = { "table-uuid", "location",
	    "last-sequence-number", "schemas", "current-schema-id",
	    "partition-specs", "default-spec-id" };
	size_t	i;

	if (ice_meta_int(meta, "format-version", 0) != 2) {
		*cause = xstrdup("table metadata: format-version is not 2");
		return (-1);
	}
	for (i = 0; i < sizeof req / sizeof req[0]; i++) {
		if (cJSON_GetObjectItemCaseSensitive(meta, req[i]) == NULL) {
			*cause = xasprintf("table metadata: \"%s\" is missing",
			    req[i]);
			return (-1);
		}
	}
	if (ice_meta_current_schema(meta) == NULL ||
	    ice_meta_default_spec(meta) == NULL) {
		*cause = xstrdup("table metadata: current schema or default "
		    "spec not found");
		return (-1);
	}
	return (0);
}

const char *
ice_meta_location(const cJSON *meta)
{
	return (json_object_string(meta, "location"));
}

const char *
ice_meta_uuid(const cJSON *meta)
{
	return (json_object_string(meta, "table-uuid"));
}

int64_t
ice_meta_last_seq(const cJSON *meta)
{
	return (ice_meta_int(meta, "last-sequence-number", 0));
}

int64_t
ice_meta_last_updated(const cJSON *meta)
{
	return (ice_meta_int(meta, "last-updated-ms", 0));
}

/* The element of array key whose id_key equals id. */
static const cJSON *
ice_meta_find(const cJSON *meta, const char *key, const char *id_key,
    int64_t id)
{
	const cJSON	*e;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(meta, key)) {
		if (ice_meta_int(e, id_key, id - 1) == id)
			return (e);
	}
	return (NULL);
}

const cJSON *
ice_meta_current_schema(const cJSON *meta)
{
	return (ice_meta_find(meta, "schemas", "schema-id",
	    ice_meta_int(meta, "current-schema-id", 0)));
}

const cJSON *
ice_meta_default_spec(const cJSON *meta)
{
	return (ice_meta_find(meta, "partition-specs", "spec-id",
	    ice_meta_int(meta, "default-spec-id", 0)));
}

int
ice_meta_main(const cJSON *meta, int64_t *id)
{
	const cJSON	*main_ref;

	main_ref = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(meta, "refs"), "main");
	if (main_ref != NULL &&
	    json_get_int64(cJSON_GetObjectItem(main_ref, "snapshot-id"), id) == 0)
		return (0);
	/* v1-era metadata without refs: current-snapshot-id */
	*id = ice_meta_int(meta, "current-snapshot-id", -1);
	return (*id == -1 ? -1 : 0);
}

const cJSON *
ice_meta_snapshot(const cJSON *meta, int64_t id)
{
	return (ice_meta_find(meta, "snapshots", "snapshot-id", id));
}

struct ice_meta_index_entry {
	int64_t		 id;
	const cJSON	*node;
};

struct ice_meta_index {
	struct ice_meta_index_entry	*e;
	size_t				 n;
};

static int
ice_meta_index_cmp(const void *a, const void *b)
{
	const struct ice_meta_index_entry *x = a, *y = b;

	return (x->id < y->id ? -1 : x->id > y->id);
}

struct ice_meta_index *
ice_meta_index_new(const cJSON *meta)
{
	struct ice_meta_index	*ix = xcalloc(1, sizeof *ix);
	const cJSON		*snaps, *s;

	snaps = cJSON_GetObjectItemCaseSensitive(meta, "snapshots");
	ix->e = xcalloc((size_t)cJSON_GetArraySize(snaps) + 1, sizeof *ix->e);
	cJSON_ArrayForEach(s, snaps) {
		ix->e[ix->n].id = ice_meta_int(s, "snapshot-id", -1);
		ix->e[ix->n++].node = s;
	}
	qsort(ix->e, ix->n, sizeof *ix->e, ice_meta_index_cmp);
	return (ix);
}

void
ice_meta_index_free(struct ice_meta_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->e);
	free(ix);
}

size_t
ice_meta_index_size(const struct ice_meta_index *ix)
{
	return (ix->n);
}

long
ice_meta_index_pos(const struct ice_meta_index *ix, int64_t id)
{
	struct ice_meta_index_entry	 key, *hit;

	key.id = id;
	hit = bsearch(&key, ix->e, ix->n, sizeof *ix->e, ice_meta_index_cmp);
	return (hit != NULL ? (long)(hit - ix->e) : -1);
}

const cJSON *
ice_meta_index_at(const struct ice_meta_index *ix, long pos)
{
	return (pos >= 0 && (size_t)pos < ix->n ? ix->e[pos].node : NULL);
}

/*
 * Hop number hop of a walk along parent ids: snapshot id, found by a scan
 * for the first hop (most walks end there) and through an index built
 * once (*ix, the caller frees) for the rest; NULL past as many hops as
 * there are snapshots (a cycle in damaged metadata).
 */
static const cJSON *
ice_meta_walk(const cJSON *meta, struct ice_meta_index **ix, size_t hop,
    int64_t id)
{
	if (hop == 0)
		return (ice_meta_snapshot(meta, id));
	if (*ix == NULL)
		*ix = ice_meta_index_new(meta);
	if (hop > (*ix)->n)
		return (NULL);
	return (ice_meta_index_at(*ix, ice_meta_index_pos(*ix, id)));
}

int
ice_meta_in_main(const cJSON *meta, int64_t id)
{
	struct ice_meta_index	*ix = NULL;
	const cJSON		*s;
	int64_t			 cur;
	size_t			 hop = 0;
	int			 found = 0;

	if (ice_meta_main(meta, &cur) == -1 || ice_meta_snapshot(meta, id) ==
	    NULL)
		return (0);
	while (!found && (s = ice_meta_walk(meta, &ix, hop++, cur)) != NULL) {
		found = cur == id;
		cur = ice_meta_int(s, "parent-snapshot-id", -1);
	}
	ice_meta_index_free(ix);
	return (found);
}

int64_t
ice_meta_prop_int(const cJSON *meta, const char *key, int64_t def)
{
	const cJSON	*v;
	char		*end;
	long long	 n;

	v = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(meta, "properties"), key);
	if (cJSON_IsNumber(v))
		return ((int64_t)v->valuedouble);
	if (!cJSON_IsString(v))
		return (def);
	errno = 0;
	n = strtoll(v->valuestring, &end, 10);
	if (errno != 0 || end == v->valuestring || *end != '\0')
		return (def);
	return (n);
}

int
ice_meta_prop_bool(const cJSON *meta, const char *key, int def)
{
	const cJSON	*v;

	v = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(meta, "properties"), key);
	if (cJSON_IsBool(v))
		return (cJSON_IsTrue(v));
	if (!cJSON_IsString(v))
		return (def);
	if (strcasecmp(v->valuestring, "true") == 0)
		return (1);
	if (strcasecmp(v->valuestring, "false") == 0)
		return (0);
	return (def);
}

int64_t
ice_meta_new_snapshot_id(const cJSON *meta)
{
	uint64_t	r;
	int64_t		id;

	do {
		if (getrandom(&r, sizeof r, 0) != sizeof r)
			fatal("getrandom");
		id = (int64_t)(r & 0x7fffffffffffffffULL);
	} while (id == 0 || ice_meta_snapshot(meta, id) != NULL);
	return (id);
}

/* The bronzed.* summary of snapshot s for job_id: 0 found, 1 not ours. */
static int
ice_meta_job_summary(const cJSON *s, const char *job_id, int64_t *ckpt,
    cJSON **offsets, char **cause)
{
	const cJSON	*sum = cJSON_GetObjectItemCaseSensitive(s, "summary");
	const char	*job, *cp, *off;
	char		*end;

	job = json_object_string(sum, "bronzed.job-id");
	if (job == NULL || strcmp(job, job_id) != 0)
		return (1);
	cp = json_object_string(sum, "bronzed.checkpoint-id");
	off = json_object_string(sum, "bronzed.kafka-offsets");
	if (cp == NULL || off == NULL) {
		*cause = xstrdup("snapshot summary lacks bronzed.checkpoint-id "
		    "or bronzed.kafka-offsets");
		return (-1);
	}
	*ckpt = strtoll(cp, &end, 10);
	if (*end != '\0' || end == cp) {
		*cause = xstrdup("bronzed.checkpoint-id is not a number");
		return (-1);
	}
	if ((*offsets = json_parse(off, strlen(off), cause)) == NULL ||
	    !cJSON_IsObject(*offsets)) {
		cJSON_Delete(*offsets);
		*offsets = NULL;
		if (*cause == NULL)
			*cause = xstrdup("bronzed.kafka-offsets is not an object");
		return (-1);
	}
	return (0);
}

/* Add to merged each topic/partition of offsets it does not have yet. */
static void
ice_meta_merge_offsets(cJSON *merged, const cJSON *offsets)
{
	const cJSON	*t, *p;
	cJSON		*mt;

	cJSON_ArrayForEach(t, offsets) {
		if (!cJSON_IsObject(t))
			continue;
		mt = cJSON_GetObjectItemCaseSensitive(merged, t->string);
		if (mt == NULL)
			mt = cJSON_AddObjectToObject(merged, t->string);
		cJSON_ArrayForEach(p, t) {
			if (cJSON_GetObjectItemCaseSensitive(mt, p->string) ==
			    NULL)
				cJSON_AddItemToObject(mt, p->string,
				    cJSON_Duplicate(p, 1));
		}
	}
}

/* Does merged name every topic/partition that want names? */
static int
ice_meta_covers(const cJSON *merged, const cJSON *want)
{
	const cJSON	*t, *p, *mt;

	cJSON_ArrayForEach(t, want) {
		mt = cJSON_GetObjectItemCaseSensitive(merged, t->string);
		cJSON_ArrayForEach(p, t) {
			if (cJSON_GetObjectItemCaseSensitive(mt, p->string) ==
			    NULL)
				return (0);
		}
	}
	return (1);
}

int
ice_meta_job_state(const cJSON *meta, const char *job_id, const cJSON *want,
    int64_t *checkpoint_id, cJSON **offsets, char **cause)
{
	struct ice_meta_index	*ix = NULL;
	const cJSON		*s;
	cJSON			*one = NULL, *merged = NULL;
	int64_t			 cur, ckpt = 0;
	size_t			 hop = 0;
	int			 rc;

	*offsets = NULL;
	if (ice_meta_main(meta, &cur) == -1)
		return (1);
	while ((s = ice_meta_walk(meta, &ix, hop++, cur)) != NULL) {
		*cause = NULL;
		rc = ice_meta_job_summary(s, job_id, &ckpt, &one, cause);
		if (rc == -1) {
			cJSON_Delete(merged);
			ice_meta_index_free(ix);
			return (-1);
		}
		if (rc == 0) {
			if (merged == NULL) {
				merged = cJSON_CreateObject();
				*checkpoint_id = ckpt;
			}
			ice_meta_merge_offsets(merged, one);
			cJSON_Delete(one);
			one = NULL;
			if (want != NULL && ice_meta_covers(merged, want))
				break;
		}
		cur = ice_meta_int(s, "parent-snapshot-id", -1);
	}
	ice_meta_index_free(ix);
	*offsets = merged;
	return (merged != NULL ? 0 : 1);
}

static cJSON *
ice_meta_log_entry(int64_t ts, const char *key, cJSON *value)
{
	cJSON	*e = cJSON_CreateObject();

	json_add_int64(e, "timestamp-ms", ts);
	cJSON_AddItemToObject(e, key, value);
	return (e);
}

/* Set meta[key] = taken, replacing or adding. */
static void
ice_meta_set(cJSON *meta, const char *key, cJSON *taken)
{
	cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
	cJSON_AddItemToObject(meta, key, taken);
}

static cJSON *
ice_meta_array(cJSON *meta, const char *key)
{
	cJSON	*a = cJSON_GetObjectItemCaseSensitive(meta, key);

	if (a == NULL)
		a = cJSON_AddArrayToObject(meta, key);
	return (a);
}

int64_t
ice_meta_next_time(const cJSON *meta, int64_t now_ms)
{
	const cJSON	*e;
	int64_t		 t = ice_meta_last_updated(meta), ts;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(meta,
	    "snapshot-log")) {
		if (json_get_int64(cJSON_GetObjectItemCaseSensitive(e,
		    "timestamp-ms"), &ts) == 0 && ts > t)
			t = ts;
	}
	return (now_ms > t ? now_ms : t);
}

void
ice_meta_add_snapshot(cJSON *meta, cJSON *taken, const char *prev_file,
    int64_t now_ms)
{
	cJSON	*refs, *main_ref;
	int64_t	 id = 0, seq = 0, ts;

	now_ms = ice_meta_next_time(meta, now_ms);
	ts = now_ms;
	(void)json_get_int64(cJSON_GetObjectItem(taken, "snapshot-id"), &id);
	(void)json_get_int64(cJSON_GetObjectItem(taken, "sequence-number"),
	    &seq);
	(void)json_get_int64(cJSON_GetObjectItem(taken, "timestamp-ms"), &ts);
	if (ts > now_ms)
		now_ms = ts;
	if (prev_file != NULL)
		cJSON_AddItemToArray(ice_meta_array(meta, "metadata-log"),
		    ice_meta_log_entry(ice_meta_last_updated(meta),
		    "metadata-file", cJSON_CreateString(prev_file)));
	cJSON_AddItemToArray(ice_meta_array(meta, "snapshots"), taken);
	cJSON_AddItemToArray(ice_meta_array(meta, "snapshot-log"),
	    ice_meta_log_entry(ts, "snapshot-id", json_int64(id)));
	main_ref = cJSON_CreateObject();
	json_add_int64(main_ref, "snapshot-id", id);
	cJSON_AddStringToObject(main_ref, "type", "branch");
	if ((refs = cJSON_GetObjectItemCaseSensitive(meta, "refs")) == NULL)
		refs = cJSON_AddObjectToObject(meta, "refs");
	ice_meta_set(refs, "main", main_ref);
	ice_meta_set(meta, "current-snapshot-id", json_int64(id));
	if (seq > ice_meta_last_seq(meta))
		ice_meta_set(meta, "last-sequence-number", json_int64(seq));
	ice_meta_set(meta, "last-updated-ms", json_int64(now_ms));
}
