/*
 * test-ice-meta.c: Iceberg table metadata: a new table, appended
 * snapshots, main's ancestry and the job state kept in snapshot summaries.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ice-meta.h"
#include "ice-schema.h"
#include "json.h"
#include "tap.h"
#include "xmalloc.h"

static cJSON *
new_table(void)
{
	struct ice_bronze_ids	 ids = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	cJSON			*schema = ice_schema_bronze(CONFIG_VALUE_BINARY);
	cJSON			*spec = ice_schema_spec(CONFIG_PART_DAY, &ids);
	cJSON			*m;

	m = ice_meta_new("file:///w/ns/t", schema, spec, NULL, 1000);
	cJSON_Delete(schema);
	cJSON_Delete(spec);
	return (m);
}

static cJSON *
snapshot(int64_t id, int64_t parent, int64_t seq, const char *job,
    int64_t ckpt, const char *offsets)
{
	cJSON	*s = cJSON_CreateObject(), *sum;
	char	 cp[24];

	json_add_int64(s, "snapshot-id", id);
	if (parent != -1)
		json_add_int64(s, "parent-snapshot-id", parent);
	json_add_int64(s, "sequence-number", seq);
	json_add_int64(s, "timestamp-ms", 2000 + seq);
	cJSON_AddStringToObject(s, "manifest-list", "file:///w/l.avro");
	sum = cJSON_AddObjectToObject(s, "summary");
	cJSON_AddStringToObject(sum, "operation", "append");
	if (job != NULL) {
		snprintf(cp, sizeof cp, "%" PRId64, ckpt);
		cJSON_AddStringToObject(sum, "bronzed.job-id", job);
		cJSON_AddStringToObject(sum, "bronzed.checkpoint-id", cp);
		cJSON_AddStringToObject(sum, "bronzed.kafka-offsets", offsets);
	}
	return (s);
}

static void
test_new_table(void)
{
	struct ice_bronze_ids	 ids;
	cJSON			*m = new_table();
	char			*cause = NULL;
	int64_t			 id;

	TAP_CHECK(ice_meta_validate(m, &cause) == 0);
	TAP_CHECK_STR(ice_meta_location(m), "file:///w/ns/t");
	TAP_CHECK(strlen(ice_meta_uuid(m)) == 36 && ice_meta_uuid(m)[14] == '4');
	TAP_CHECK_INT(ice_meta_last_seq(m), 0);
	TAP_CHECK(ice_meta_main(m, &id) == -1);
	TAP_CHECK(ice_schema_ids(ice_meta_current_schema(m), &ids, &cause) == 0);
	TAP_CHECK(ids.kafka_offset == 5 && ids.headers_key == 9 &&
	    ids.headers_value == 10);
	TAP_CHECK(json_object_int64(m, "last-column-id", &id, &cause) == 0 &&
	    id == 10);
	TAP_CHECK(json_object_int64(m, "last-partition-id", &id, &cause) == 0 &&
	    id == 1000);
	cJSON_DeleteItemFromObject(m, "schemas");
	TAP_CHECK(ice_meta_validate(m, &cause) == -1);
	TAP_CHECK_STR(cause, "table metadata: \"schemas\" is missing");
	free(cause);
	cJSON_Delete(m);
}

static void
test_append_and_ancestry(void)
{
	cJSON	*m = new_table(), *off = NULL;
	char	*cause = NULL, *text;
	int64_t	 id, ckpt = 0;

	TAP_CHECK(ice_meta_job_state(m, "job-a", NULL, &ckpt, &off, &cause) == 1);
	ice_meta_add_snapshot(m, snapshot(INT64_MAX, -1, 1, "job-a", 7,
	    "{\"t\":{\"0\":5}}"), NULL, 3000);
	ice_meta_add_snapshot(m, snapshot(3051729675574597004LL, INT64_MAX, 2,
	    "job-b", 1, "{\"u\":{\"0\":1}}"), "file:///w/v2.metadata.json",
	    4000);
	ice_meta_add_snapshot(m, snapshot(42, 3051729675574597004LL, 3,
	    NULL, 0, NULL), "file:///w/v3.metadata.json", 5000);
	TAP_CHECK(ice_meta_main(m, &id) == 0 && id == 42);
	TAP_CHECK_INT(ice_meta_last_seq(m), 3);
	TAP_CHECK_INT(ice_meta_last_updated(m), 5000);
	TAP_CHECK(ice_meta_in_main(m, INT64_MAX));
	TAP_CHECK(!ice_meta_in_main(m, 43));
	TAP_CHECK(ice_meta_job_state(m, "job-a", NULL, &ckpt, &off, &cause) == 0);
	TAP_CHECK_INT(ckpt, 7);
	text = off ? json_print(off) : NULL;
	TAP_CHECK_STR(text, "{\"t\":{\"0\":5}}");
	free(text);
	cJSON_Delete(off);
	TAP_CHECK(ice_meta_job_state(m, "job-c", NULL, &ckpt, &off, &cause) == 1);
	text = json_print(m);
	TAP_CHECK(strstr(text, "\"current-snapshot-id\":42") != NULL);
	TAP_CHECK(strstr(text, "\"refs\":{\"main\":{\"snapshot-id\":42,"
	    "\"type\":\"branch\"}}") != NULL);
	TAP_CHECK(strstr(text, "{\"timestamp-ms\":2001,\"snapshot-id\":"
	    "9223372036854775807}") != NULL);
	TAP_CHECK(strstr(text, "{\"timestamp-ms\":4000,\"metadata-file\":"
	    "\"file:///w/v3.metadata.json\"}") != NULL);
	free(text);
	id = ice_meta_new_snapshot_id(m);
	TAP_CHECK(id > 0 && ice_meta_snapshot(m, id) == NULL);
	cJSON_Delete(m);
}

static void
test_damaged_summary(void)
{
	cJSON	*m = new_table(), *off = NULL;
	char	*cause = NULL;
	int64_t	 ckpt;

	ice_meta_add_snapshot(m, snapshot(1, -1, 1, "job-a", 3, "[1,2"),
	    NULL, 3000);
	TAP_CHECK(ice_meta_job_state(m, "job-a", NULL, &ckpt, &off, &cause) == -1);
	TAP_CHECK(cause != NULL && off == NULL);
	free(cause);
	cJSON_Delete(m);
}

/* Instances of one job each record their partitions: merge, newest wins. */
static void
test_instances_merge(void)
{
	cJSON	*m = new_table(), *off = NULL, *want;
	char	*cause = NULL, *text;
	int64_t	 ckpt = 0;

	ice_meta_add_snapshot(m, snapshot(1, -1, 1, "job-a", 1,
	    "{\"t\":{\"0\":10,\"1\":20,\"2\":30}}"), NULL, 1000);
	ice_meta_add_snapshot(m, snapshot(2, 1, 2, "job-a", 2,
	    "{\"t\":{\"0\":15}}"), NULL, 2000);
	ice_meta_add_snapshot(m, snapshot(3, 2, 3, "job-b", 9,
	    "{\"t\":{\"1\":99}}"), NULL, 3000);
	ice_meta_add_snapshot(m, snapshot(4, 3, 4, "job-a", 3,
	    "{\"t\":{\"1\":25}}"), NULL, 4000);
	TAP_CHECK(ice_meta_job_state(m, "job-a", NULL, &ckpt, &off,
	    &cause) == 0);
	TAP_CHECK_INT(ckpt, 3);
	text = off ? json_print(off) : NULL;
	TAP_CHECK_STR(text, "{\"t\":{\"1\":25,\"0\":15,\"2\":30}}");
	free(text);
	cJSON_Delete(off);
	/* want stops the walk early: partition 2 is only in snapshot 1 */
	want = json_parse("{\"t\":{\"1\":0,\"0\":0}}", 19, &cause);
	TAP_CHECK(ice_meta_job_state(m, "job-a", want, &ckpt, &off,
	    &cause) == 0);
	text = off ? json_print(off) : NULL;
	TAP_CHECK_STR(text, "{\"t\":{\"1\":25,\"0\":15}}");
	free(text);
	cJSON_Delete(off);
	cJSON_Delete(want);
	cJSON_Delete(m);
}

/*
 * A long history (a commit every 10 s for half a day), ids not in commit
 * order: the walks reach the root; a cycle in damaged metadata ends.
 */
static void
test_long_history(void)
{
	cJSON		*m = new_table(), *off = NULL, *s;
	char		*cause = NULL;
	int64_t		 i, ckpt = 0, id = 0, prev = -1, root = 0;

	for (i = 1; i <= 4320; i++) {
		id = (i * 7919) % 100003 + 1;
		if (i == 1)
			root = id;
		ice_meta_add_snapshot(m, snapshot(id, prev, i, i == 1 ?
		    "job-a" : "job-b", i, "{\"t\":{\"0\":1}}"), NULL,
		    3000 + i);
		prev = id;
	}
	TAP_CHECK(ice_meta_in_main(m, root));
	TAP_CHECK(!ice_meta_in_main(m, 100005));
	TAP_CHECK(ice_meta_job_state(m, "job-a", NULL, &ckpt, &off,
	    &cause) == 0 && ckpt == 1);
	cJSON_Delete(off);
	/* the root's parent made the head: a cycle */
	s = (cJSON *)ice_meta_snapshot(m, root);
	json_add_int64(s, "parent-snapshot-id", id);
	TAP_CHECK(!ice_meta_in_main(m, 100004));
	TAP_CHECK(ice_meta_job_state(m, "job-c", NULL, &ckpt, &off,
	    &cause) == 1);
	cJSON_Delete(m);
}

static const struct tap_case cases[] = {
	{ "a long history; a cycle ends", test_long_history },
	{ "instances of a job: offsets merged per partition",
	    test_instances_merge },
	{ "a new table's metadata", test_new_table },
	{ "appends, main's ancestry, job state", test_append_and_ancestry },
	{ "a damaged bronzed summary is an error", test_damaged_summary },
};

TAP_MAIN(cases)
