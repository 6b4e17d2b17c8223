/*
 * test-ice-expire.c: snapshot expiry and metadata-log trimming: what goes
 * by age, what stays (main's head, min-snapshots-to-keep, the snapshots
 * holding a job's newest offsets and main's ancestry down to them, refs),
 * the manifest lists that become unreferenced, the metadata files dropped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ice-expire.h"
#include "ice-meta.h"
#include "json.h"
#include "tap.h"
#include "xmalloc.h"

#define LOC	"file:///w/ns/t"
#define HOUR	(3600 * 1000LL)

/* A table with max-snapshot-age-ms age and min-snapshots-to-keep
 * (NULL: unset); snapshot i is taken at i hours. */
static cJSON *
table(const char *age, const char *min_keep)
{
	cJSON	*m = cJSON_CreateObject(), *props;

	cJSON_AddStringToObject(m, "location", LOC);
	props = cJSON_AddObjectToObject(m, "properties");
	if (age != NULL)
		cJSON_AddStringToObject(props, ICE_EXPIRE_MAX_AGE, age);
	if (min_keep != NULL)
		cJSON_AddStringToObject(props, ICE_EXPIRE_MIN_KEEP, min_keep);
	cJSON_AddObjectToObject(m, "refs");
	cJSON_AddArrayToObject(m, "snapshots");
	cJSON_AddArrayToObject(m, "snapshot-log");
	cJSON_AddArrayToObject(m, "metadata-log");
	return (m);
}

static cJSON *
snap(cJSON *m, int64_t id, int64_t parent, const char *job,
    const char *offsets)
{
	cJSON	*s = cJSON_CreateObject(), *sum, *e;
	char	*list;

	json_add_int64(s, "snapshot-id", id);
	if (parent > 0)
		json_add_int64(s, "parent-snapshot-id", parent);
	json_add_int64(s, "timestamp-ms", id * HOUR);
	list = xasprintf(LOC "/metadata/snap-%" PRId64 ".avro", id);
	cJSON_AddStringToObject(s, "manifest-list", list);
	free(list);
	sum = cJSON_AddObjectToObject(s, "summary");
	cJSON_AddStringToObject(sum, "operation", "append");
	if (job != NULL) {
		cJSON_AddStringToObject(sum, "bronzed.job-id", job);
		cJSON_AddStringToObject(sum, "bronzed.checkpoint-id", "1");
		cJSON_AddStringToObject(sum, "bronzed.kafka-offsets", offsets);
	}
	cJSON_AddItemToArray(cJSON_GetObjectItem(m, "snapshots"), s);
	e = cJSON_CreateObject();
	json_add_int64(e, "timestamp-ms", id * HOUR);
	json_add_int64(e, "snapshot-id", id);
	cJSON_AddItemToArray(cJSON_GetObjectItem(m, "snapshot-log"), e);
	return (s);
}

static void
ref(cJSON *m, const char *name, const char *type, int64_t id)
{
	cJSON	*r = cJSON_AddObjectToObject(cJSON_GetObjectItem(m, "refs"),
		    name);

	json_add_int64(r, "snapshot-id", id);
	cJSON_AddStringToObject(r, "type", type);
}

/* A chain 1..n of job "a" snapshots over offsets; returns the head. */
static const cJSON *
chain(cJSON *m, int64_t n, const char *offsets)
{
	const cJSON	*s = NULL;
	int64_t		 i;

	for (i = 1; i <= n; i++)
		s = snap(m, i, i - 1, "a", offsets);
	ref(m, "main", "branch", n);
	return (s);
}

/* The expired ids as "1,2,3". */
static char *
ids(const struct ice_expire *e)
{
	char	*out = xstrdup(""), *next;
	size_t	 i;

	for (i = 0; i < e->nids; i++) {
		next = xasprintf("%s%s%" PRId64, out, i ? "," : "", e->ids[i]);
		free(out);
		out = next;
	}
	return (out);
}

static void
check_plan(cJSON *m, const cJSON *head, int64_t now, const char *want)
{
	struct ice_expire	 e;
	char			*got;

	ice_expire_plan(m, head, now, &e);
	got = ids(&e);
	TAP_CHECK_STR(got, want);
	free(got);
	ice_expire_clear(&e);
}

static void
test_unset(void)
{
	cJSON			*m = table(NULL, NULL);
	const cJSON		*head = chain(m, 10, "{\"t\":{\"0\":5}}");
	int64_t			 due = 0;

	check_plan(m, head, 100 * HOUR, "");
	TAP_CHECK(ice_expire_due(m, 100 * HOUR, &due) == 0);
	cJSON_Delete(m);
}

static void
test_by_age(void)
{
	cJSON			*m = table("10800000", NULL);	/* 3 h */
	const cJSON		*head = chain(m, 10, "{\"t\":{\"0\":5,\"1\":7}}");
	struct ice_expire	 e;

	/* at 11 h: older than 8 h goes (1..7); 8, 9, 10 stay */
	check_plan(m, head, 11 * HOUR, "1,2,3,4,5,6,7");
	/* long after: main's head stays all the same */
	check_plan(m, head, 100 * HOUR, "1,2,3,4,5,6,7,8,9");
	ice_expire_plan(m, head, 11 * HOUR, &e);
	TAP_CHECK_INT(e.nlists, 7);
	TAP_CHECK_STR(e.keep_list, LOC "/metadata/snap-8.avro");
	TAP_CHECK_STR(e.location, LOC);
	TAP_CHECK_STR(e.nlists ? e.lists[0] : NULL,
	    LOC "/metadata/snap-1.avro");
	ice_expire_apply(m, &e);
	TAP_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(m, "snapshots")),
	    3);
	TAP_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(m,
	    "snapshot-log")), 3);
	TAP_CHECK(ice_meta_in_main(m, 8) && ice_meta_in_main(m, 10));
	ice_expire_clear(&e);
	cJSON_Delete(m);
}

static void
test_min_keep(void)
{
	cJSON		*m = table("3600000", "4");
	const cJSON	*head = chain(m, 10, "{\"t\":{\"0\":5}}");

	check_plan(m, head, 100 * HOUR, "1,2,3,4,5,6");
	cJSON_Delete(m);
}

/*
 * Instance one of job a last recorded partition 0 in snapshot 3; instance
 * two records partition 1 in 4..10: 3 holds partition 0's newest offset,
 * so main's ancestry stays unbroken down to 3 (a restart walks it).
 * Job b's last snapshot, 2, likewise.
 */
static void
test_newest_offsets(void)
{
	cJSON		*m = table("3600000", NULL);
	const cJSON	*head = NULL;
	int64_t		 i;

	snap(m, 1, 0, "a", "{\"t\":{\"0\":1,\"1\":1}}");
	snap(m, 2, 1, "b", "{\"u\":{\"0\":1}}");
	snap(m, 3, 2, "a", "{\"t\":{\"0\":2}}");
	for (i = 4; i <= 10; i++)
		head = snap(m, i, i - 1, "a", "{\"t\":{\"1\":9}}");
	ref(m, "main", "branch", 10);
	check_plan(m, head, 100 * HOUR, "1");
	cJSON_Delete(m);

	/* a summary too damaged to read keeps what it could hold */
	m = table("3600000", NULL);
	snap(m, 1, 0, "a", "{\"t\":{\"0\":1}}");
	snap(m, 2, 1, "a", "{\"t\":");
	for (i = 3; i <= 5; i++)
		head = snap(m, i, i - 1, "a", "{\"t\":{\"0\":9}}");
	ref(m, "main", "branch", 5);
	check_plan(m, head, 100 * HOUR, "1");
	cJSON_Delete(m);
}

/* The head being committed need not be in the metadata yet (REST). */
static void
test_head_not_yet_in(void)
{
	cJSON	*m = table("3600000", NULL), *head;

	chain(m, 5, "{\"t\":{\"0\":5}}");
	head = snap(m, 6, 5, "a", "{\"t\":{\"0\":6}}");
	cJSON_DetachItemViaPointer(cJSON_GetObjectItem(m, "snapshots"), head);
	check_plan(m, head, 100 * HOUR, "1,2,3,4,5");
	cJSON_Delete(head);
	cJSON_Delete(m);
}

static void
test_refs(void)
{
	cJSON		*m = table("3600000", NULL);
	const cJSON	*head = chain(m, 10, "{\"t\":{\"0\":5}}");
	cJSON		*side;

	ref(m, "audit", "tag", 2);
	ref(m, "dev", "branch", 5);		/* keeps 5 and 1..4 */
	check_plan(m, head, 100 * HOUR, "6,7,8,9");
	{
		struct ice_expire	e;

		ice_expire_plan(m, head, 100 * HOUR, &e);
		TAP_CHECK(e.keep_list == NULL);	/* refs keep others */
		/* the log keeps no gap: only what follows the last expired */
		ice_expire_apply(m, &e);
		TAP_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(m,
		    "snapshots")), 6);
		TAP_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(m,
		    "snapshot-log")), 1);
		ice_expire_clear(&e);
	}
	cJSON_Delete(m);

	/* off main, without a ref: by age only; its list not in the table */
	m = table("3600000", NULL);
	head = chain(m, 4, "{\"t\":{\"0\":5}}");
	side = snap(m, 7, 1, NULL, NULL);
	cJSON_ReplaceItemInObject(side, "manifest-list",
	    cJSON_CreateString("file:///elsewhere/snap-7.avro"));
	{
		struct ice_expire	e;

		ice_expire_plan(m, head, 100 * HOUR, &e);
		TAP_CHECK_INT(e.nids, 4);	/* 1, 2, 3 and 7 */
		TAP_CHECK_INT(e.nlists, 3);	/* not the foreign one */
		TAP_CHECK_STR(e.keep_list, LOC "/metadata/snap-4.avro");
		ice_expire_clear(&e);
		/* 7 stays, off main: no boundary for orphaned manifests */
		ice_expire_plan(m, head, 7 * HOUR + 1800 * 1000, &e);
		TAP_CHECK_INT(e.nids, 3);
		TAP_CHECK(e.keep_list == NULL);
		ice_expire_clear(&e);
	}
	cJSON_Delete(m);
}

static void
test_trim_log(void)
{
	cJSON			*m = table(NULL, NULL), *props, *e;
	struct ice_expire	 x;
	char			*f;
	int			 i;

	for (i = 1; i <= 105; i++) {
		e = cJSON_CreateObject();
		json_add_int64(e, "timestamp-ms", i);
		f = i == 50 ? xstrdup("file:///other/v50.metadata.json") :
		    xasprintf(LOC "/metadata/v%d.metadata.json", i);
		cJSON_AddStringToObject(e, "metadata-file", f);
		free(f);
		cJSON_AddItemToArray(cJSON_GetObjectItem(m, "metadata-log"), e);
	}
	memset(&x, 0, sizeof x);
	ice_expire_trim_log(m, &x);		/* default 100, no delete */
	TAP_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(m,
	    "metadata-log")), 100);
	TAP_CHECK_INT(x.nfiles, 0);
	props = cJSON_GetObjectItem(m, "properties");
	cJSON_AddStringToObject(props, ICE_EXPIRE_PREV_MAX, "3");
	cJSON_AddStringToObject(props, ICE_EXPIRE_DELETE_META, "TRUE");
	ice_expire_trim_log(m, &x);
	TAP_CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(m,
	    "metadata-log")), 3);
	TAP_CHECK_INT(x.nfiles, 96);	/* not the foreign one */
	TAP_CHECK_STR(x.nfiles ? x.files[0] : NULL,
	    LOC "/metadata/v6.metadata.json");
	TAP_CHECK_STR(json_object_string(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(m, "metadata-log"), 0), "metadata-file"),
	    LOC "/metadata/v103.metadata.json");
	ice_expire_clear(&x);
	cJSON_Delete(m);
}

static void
test_due_and_props(void)
{
	cJSON	*m = table("600000", NULL);	/* 10 min: every minute */
	int64_t	 due = 0;

	TAP_CHECK(ice_expire_due(m, 1000, &due) == 1);
	TAP_CHECK_INT(due, 61000);
	TAP_CHECK(ice_expire_due(m, 60999, &due) == 0);
	TAP_CHECK(ice_expire_due(m, 61000, &due) == 1);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(m, "properties"),
	    ICE_EXPIRE_MAX_AGE, cJSON_CreateString("2 days"));
	TAP_CHECK_INT(ice_meta_prop_int(m, ICE_EXPIRE_MAX_AGE, -1), -1);
	TAP_CHECK(ice_expire_due(m, 999999999, &due) == 0);
	TAP_CHECK(ice_meta_prop_bool(m, "nope", 7) == 7);
	cJSON_Delete(m);
}

static const struct tap_case cases[] = {
	{ "without max-snapshot-age-ms nothing expires", test_unset },
	{ "by age; main's head stays; lists; applied", test_by_age },
	{ "min-snapshots-to-keep", test_min_keep },
	{ "a job's newest offsets and the ancestry down to them stay",
	    test_newest_offsets },
	{ "the head being committed may not be in the metadata yet",
	    test_head_not_yet_in },
	{ "tags and branches keep theirs", test_refs },
	{ "metadata log trimmed; dropped files under the table",
	    test_trim_log },
	{ "planned about ten times per age; unreadable properties",
	    test_due_and_props },
};

TAP_MAIN(cases)
