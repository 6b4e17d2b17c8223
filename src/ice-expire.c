/*
 * ice-expire.c: snapshot expiry and metadata-log trimming at commit time
 * (see ice-expire.h for the rules).
 */
#include <stdlib.h>
#include <string.h>

#include "ice-expire.h"
#include "ice-meta.h"
#include "json.h"
#include "xmalloc.h"

#define ICE_EXPIRE_PREV_DEFAULT	100

struct ice_expire_walk {
	struct ice_meta_index	*ix;		/* the snapshots by id */
	signed char		*keep;		/* per position: 1 stays,
						   -1 expires */
	cJSON			*seen;		/* {job:{topic:{partition:1}}} */
	long			*chain;		/* main from the head down: */
	size_t			 nchain;	/* positions (-1: not in meta) */
};

/* Take the object's member key, adding an empty object if missing. */
static cJSON *
ice_expire_member(cJSON *o, const char *key)
{
	cJSON	*m = cJSON_GetObjectItemCaseSensitive(o, key);

	if (m == NULL)
		m = cJSON_AddObjectToObject(o, key);
	return (m);
}

/*
 * Nonzero if snapshot s holds offsets of some job, topic and partition no
 * newer snapshot of the walk held (or a summary too damaged to tell).
 */
static int
ice_expire_holds_newest(struct ice_expire_walk *w, const cJSON *s)
{
	const cJSON	*sum = cJSON_GetObjectItemCaseSensitive(s, "summary");
	const char	*job, *text;
	const cJSON	*t, *p;
	cJSON		*offsets, *jt, *pt;
	char		*cause = NULL;
	int		 fresh = 0;

	job = json_object_string(sum, "bronzed.job-id");
	text = json_object_string(sum, "bronzed.kafka-offsets");
	if (job == NULL || text == NULL)
		return (job != NULL);
	if ((offsets = json_parse(text, strlen(text), &cause)) == NULL) {
		free(cause);
		return (1);
	}
	jt = ice_expire_member(w->seen, job);
	cJSON_ArrayForEach(t, offsets) {
		pt = ice_expire_member(jt, t->string != NULL ? t->string : "");
		cJSON_ArrayForEach(p, t) {
			if (p->string == NULL ||
			    cJSON_GetObjectItemCaseSensitive(pt, p->string) !=
			    NULL)
				continue;
			cJSON_AddTrueToObject(pt, p->string);
			fresh = 1;
		}
	}
	cJSON_Delete(offsets);
	return (fresh);
}

/*
 * Keep main's head and its ancestors down to the deepest of: the oldest
 * holding some newest offsets, and the min_keep-th.
 */
static void
ice_expire_keep_main(struct ice_expire_walk *w, const cJSON *head,
    int64_t min_keep)
{
	const cJSON	*node = head;
	size_t		 n = 0, floor = 0, i, cap = 0;

	while (node != NULL && n <= ice_meta_index_size(w->ix)) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			w->chain = xreallocarray(w->chain, cap,
			    sizeof *w->chain);
		}
		w->chain[n] = ice_meta_index_pos(w->ix, ice_meta_int(node,
		    "snapshot-id", -1));
		if (ice_expire_holds_newest(w, node))
			floor = n;
		n++;
		node = ice_meta_index_at(w->ix, ice_meta_index_pos(w->ix,
		    ice_meta_int(node, "parent-snapshot-id", -1)));
	}
	w->nchain = n;
	if (min_keep > 0 && (size_t)(min_keep - 1) > floor)
		floor = (size_t)(min_keep - 1);
	for (i = 0; i < n && i <= floor; i++) {
		if (w->chain[i] != -1)
			w->keep[w->chain[i]] = 1;
	}
}

/*
 * After the expiry is decided: the oldest snapshot kept on main, when the
 * snapshots kept are exactly main from the head down to it (no tag,
 * branch or other snapshot outside that line).
 */
static void
ice_expire_boundary(struct ice_expire_walk *w, const cJSON *head,
    struct ice_expire *e)
{
	const cJSON	*c = NULL;
	const char	*list;
	size_t		 i, on_main = 0, kept = 0;

	for (i = 0; i < w->nchain; i++) {
		if (w->chain[i] != -1 && w->keep[w->chain[i]] == -1)
			break;
		c = i == 0 ? head : ice_meta_index_at(w->ix, w->chain[i]);
		on_main += w->chain[i] != -1;
	}
	for (i = 0; i < ice_meta_index_size(w->ix); i++)
		kept += w->keep[i] != -1;
	if (c != NULL && e->nids > 0 && kept == on_main &&
	    (list = json_object_string(c, "manifest-list")) != NULL)
		e->keep_list = xstrdup(list);
}

/* Keep what other refs name: a tag's snapshot, a branch's ancestry. */
static void
ice_expire_keep_refs(struct ice_expire_walk *w, const cJSON *meta)
{
	const cJSON	*ref;
	const char	*type;
	long		 pos;
	size_t		 hops;

	cJSON_ArrayForEach(ref, cJSON_GetObjectItemCaseSensitive(meta,
	    "refs")) {
		if (ref->string == NULL || strcmp(ref->string, "main") == 0)
			continue;
		type = json_object_string(ref, "type");
		pos = ice_meta_index_pos(w->ix, ice_meta_int(ref,
		    "snapshot-id", -1));
		for (hops = 0; pos != -1 && hops <= ice_meta_index_size(w->ix);
		    hops++) {
			w->keep[pos] = 1;
			if (type == NULL || strcmp(type, "branch") != 0)
				break;
			pos = ice_meta_index_pos(w->ix, ice_meta_int(
			    ice_meta_index_at(w->ix, pos), "parent-snapshot-id",
			    -1));
		}
	}
}

/* Nonzero if a snapshot that stays names file as its manifest list. */
static int
ice_expire_list_shared(const struct ice_expire_walk *w, const char *file)
{
	const char	*other;
	size_t		 i;

	for (i = 0; i < ice_meta_index_size(w->ix); i++) {
		other = json_object_string(ice_meta_index_at(w->ix, (long)i),
		    "manifest-list");
		if (w->keep[i] != -1 && other != NULL &&
		    strcmp(other, file) == 0)
			return (1);
	}
	return (0);
}

int
ice_expire_under(const char *location, const char *file)
{
	size_t	n;

	if (location == NULL || file == NULL)
		return (0);
	n = strlen(location);
	while (n > 0 && location[n - 1] == '/')
		n--;
	return (n > 0 && strncmp(file, location, n) == 0 && file[n] == '/' &&
	    strstr(file + n, "/../") == NULL);
}

/* Nonzero if file lies under the table's location. */
static int
ice_expire_in_table(const cJSON *meta, const char *file)
{
	return (ice_expire_under(json_object_string(meta, "location"), file));
}

static void
ice_expire_add(char ***v, size_t *n, const char *file)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[(*n)++] = xstrdup(file);
}

size_t
ice_expire_plan(const cJSON *meta, const cJSON *head, int64_t now_ms,
    struct ice_expire *e)
{
	struct ice_expire_walk	 w;
	const cJSON		*s;
	const char		*list, *loc;
	int64_t			 max_age, cutoff;
	size_t			 i, n;

	memset(e, 0, sizeof *e);
	max_age = ice_meta_prop_int(meta, ICE_EXPIRE_MAX_AGE, -1);
	if (max_age < 0)
		return (0);
	cutoff = now_ms - max_age;
	memset(&w, 0, sizeof w);
	w.ix = ice_meta_index_new(meta);
	n = ice_meta_index_size(w.ix);
	w.keep = xcalloc(n + 1, sizeof *w.keep);
	w.seen = cJSON_CreateObject();
	ice_expire_keep_main(&w, head,
	    ice_meta_prop_int(meta, ICE_EXPIRE_MIN_KEEP, 1));
	ice_expire_keep_refs(&w, meta);
	for (i = 0; i < n; i++) {
		s = ice_meta_index_at(w.ix, (long)i);
		if (w.keep[i] || ice_meta_int(s, "timestamp-ms", 0) >= cutoff)
			continue;
		e->ids = xreallocarray(e->ids, e->nids + 1, sizeof *e->ids);
		e->ids[e->nids++] = ice_meta_int(s, "snapshot-id", -1);
		w.keep[i] = -1;
	}
	for (i = 0; i < n; i++) {
		list = json_object_string(ice_meta_index_at(w.ix, (long)i),
		    "manifest-list");
		if (w.keep[i] == -1 && ice_expire_in_table(meta, list) &&
		    !ice_expire_list_shared(&w, list))
			ice_expire_add(&e->lists, &e->nlists, list);
	}
	ice_expire_boundary(&w, head, e);
	if ((loc = json_object_string(meta, "location")) != NULL)
		e->location = xstrdup(loc);
	cJSON_Delete(w.seen);
	free(w.keep);
	free(w.chain);
	ice_meta_index_free(w.ix);
	return (e->nids);
}

static int
ice_expire_has(const struct ice_expire *e, int64_t id)
{
	size_t	i;

	for (i = 0; i < e->nids; i++) {
		if (e->ids[i] == id)
			return (1);
	}
	return (0);
}

/* Delete the elements of meta[key] whose "snapshot-id" e expires. */
static void
ice_expire_filter(cJSON *meta, const char *key, const struct ice_expire *e)
{
	cJSON	*a = cJSON_GetObjectItemCaseSensitive(meta, key), *el, *next;

	for (el = a != NULL ? a->child : NULL; el != NULL; el = next) {
		next = el->next;
		if (ice_expire_has(e, ice_meta_int(el, "snapshot-id", -1)))
			cJSON_Delete(cJSON_DetachItemViaPointer(a, el));
	}
}

/*
 * The snapshot log loses every entry up to the last expired one, not only
 * the expired ones: a gap would have time travel answer with the entry
 * before it for a time when another snapshot was current (Java's
 * TableMetadata does the same).
 */
static void
ice_expire_filter_log(cJSON *meta, const struct ice_expire *e)
{
	cJSON	*log = cJSON_GetObjectItemCaseSensitive(meta, "snapshot-log");
	cJSON	*el, *last = NULL;

	cJSON_ArrayForEach(el, log) {
		if (ice_expire_has(e, ice_meta_int(el, "snapshot-id", -1)))
			last = el;
	}
	while (last != NULL && (el = log->child) != NULL) {
		cJSON_Delete(cJSON_DetachItemViaPointer(log, el));
		if (el == last)
			break;
	}
}

void
ice_expire_apply(cJSON *meta, const struct ice_expire *e)
{
	if (e->nids == 0)
		return;
	ice_expire_filter(meta, "snapshots", e);
	ice_expire_filter_log(meta, e);
	ice_expire_filter(meta, "statistics", e);
	ice_expire_filter(meta, "partition-statistics", e);
}

void
ice_expire_trim_log(cJSON *meta, struct ice_expire *e)
{
	cJSON		*log = cJSON_GetObjectItemCaseSensitive(meta,
			    "metadata-log"), *old;
	int64_t		 max;
	int		 del;
	const char	*file;

	max = ice_meta_prop_int(meta, ICE_EXPIRE_PREV_MAX,
	    ICE_EXPIRE_PREV_DEFAULT);
	if (max < 1)
		max = 1;
	del = ice_meta_prop_bool(meta, ICE_EXPIRE_DELETE_META, 0);
	while (log != NULL && cJSON_GetArraySize(log) > max) {
		old = cJSON_DetachItemFromArray(log, 0);
		file = json_object_string(old, "metadata-file");
		if (del && ice_expire_in_table(meta, file))
			ice_expire_add(&e->files, &e->nfiles, file);
		cJSON_Delete(old);
	}
}

int
ice_expire_due(const cJSON *meta, int64_t now_ms, int64_t *due_ms)
{
	int64_t	max_age, slack;

	max_age = ice_meta_prop_int(meta, ICE_EXPIRE_MAX_AGE, -1);
	if (max_age < 0 || now_ms < *due_ms)
		return (0);
	slack = max_age / 10;
	if (slack < 1000)
		slack = 1000;
	if (slack > 600 * 1000)
		slack = 600 * 1000;
	*due_ms = now_ms + slack;
	return (1);
}

void
ice_expire_move(struct ice_expire *dst, struct ice_expire *src)
{
	ice_expire_clear(dst);
	*dst = *src;
	memset(src, 0, sizeof *src);
}

void
ice_expire_clear(struct ice_expire *e)
{
	xfreev(e->files, e->nfiles);
	xfreev(e->lists, e->nlists);
	free(e->keep_list);
	free(e->location);
	free(e->ids);
	memset(e, 0, sizeof *e);
}
