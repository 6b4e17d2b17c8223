/*
 * test-savepoint.c: savepoint targets, directory names, the _metadata
 * document and the restore decision against the table's offsets.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "json.h"
#include "savepoint.h"
#include "tap.h"

static void
test_targets(void)
{
	static const char *const good[] = {
		"/var/lib/bronzed/savepoints", "file:///tmp/sp", "file:/tmp/sp",
		"s3://bucket/sp", "s3a://bucket/a/b/", "/a..b/c"
	};
	static const char *const bad[] = {
		"", "relative/dir", "./x", "/tmp/../etc", "/tmp/..",
		"s3://bucket/../x", "ftp://host/x", "s3://", "s3:///key",
		"/tmp/a\nb", "hdfs://nn/x"
	};
	char	*cause;
	size_t	 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		cause = NULL;
		TAP_CHECK(savepoint_check_target(good[i], &cause) == 0);
		if (cause != NULL)
			printf("# %s: %s\n", good[i], cause);
		free(cause);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		TAP_CHECK(savepoint_check_target(bad[i], &cause) == -1 &&
		    cause != NULL);
		free(cause);
	}
}

static void
test_dir_and_metadata(void)
{
	static const char	 v2[] = "{\"version\":2,\"job-id\":\"x\","
				    "\"table\":\"t\",\"kafka-offsets\":{}}";
	struct savepoint_info	 i;
	cJSON			*sp;
	char			*dir, *text, *cause = NULL;
	int64_t			 v;

	dir = savepoint_new_dir("s3://b/sp///", "09a90e768d455efd616786ef2c6e5f30");
	TAP_CHECK(strncmp(dir, "s3://b/sp/savepoint-09a90e-", 27) == 0 &&
	    strlen(dir) == 27 + 12);
	free(dir);
	memset(&i, 0, sizeof i);
	i.job_id = "09a90e768d455efd616786ef2c6e5f30";
	i.job_name = "binance";
	i.table = "market_data.t";
	i.topic = "binance.raw";
	i.snapshot_id = 9223372036854775807LL;
	i.checkpoint_id = 42;
	i.offsets_json = "{\"binance.raw\":{\"0\":10,\"1\":20}}";
	i.created_ms = 1;
	i.fingerprint = "f";
	text = savepoint_metadata(&i);
	TAP_CHECK(strstr(text, "\"snapshot-id\":9223372036854775807") != NULL);
	sp = savepoint_parse(text, strlen(text), &cause);
	TAP_CHECK(sp != NULL);
	TAP_CHECK(json_object_int64(sp, "checkpoint-id", &v, &cause) == 0 &&
	    v == 42);
	cJSON_Delete(sp);
	free(text);
	TAP_CHECK(savepoint_parse(v2, strlen(v2), &cause) == NULL &&
	    strstr(cause, "version 2") != NULL);
	free(cause);
	cause = NULL;
	TAP_CHECK(savepoint_parse("[1]", 3, &cause) == NULL && cause != NULL);
	free(cause);
}

/* Decide a restore of the savepoint at sp against table offsets. */
static int
plan(const char *table, int allow, char **cause)
{
	const char	*text = "{\"version\":1,\"job-id\":\"j\",\"table\":\"t\","
			    "\"config-fingerprint\":\"f\",\"kafka-offsets\":"
			    "{\"tp\":{\"0\":10,\"1\":20}}}";
	cJSON		*sp = savepoint_parse(text, strlen(text), cause);
	cJSON		*t = table ? json_parse(table, strlen(table), cause) :
			    NULL, *out = NULL;
	int		 rc;

	rc = savepoint_restore_plan(sp, "j", "f", "tp", t, allow, &out, cause);
	if (rc == 0 && cJSON_GetArraySize(out) != 2)
		rc = -2;
	cJSON_Delete(out);
	cJSON_Delete(t);
	cJSON_Delete(sp);
	return (rc);
}

static void
test_restore_plan(void)
{
	char	*cause = NULL;

	TAP_CHECK(plan("{\"tp\":{\"0\":10,\"1\":20}}", 0, &cause) == 0);
	TAP_CHECK(plan(NULL, 0, &cause) == 0);	/* a new table */
	TAP_CHECK(plan("{\"tp\":{\"0\":12,\"1\":20}}", 0, &cause) == -1 &&
	    strstr(cause, "2 records twice") != NULL);
	free(cause);
	cause = NULL;
	TAP_CHECK(plan("{\"tp\":{\"0\":12,\"1\":20}}", 1, &cause) == 0);
	TAP_CHECK(plan("{\"tp\":{\"0\":10,\"1\":5}}", 1, &cause) == -1 &&
	    strstr(cause, "skip") != NULL);
	free(cause);
}

static void
test_restore_identity(void)
{
	const char	*text = "{\"version\":1,\"job-id\":\"j\",\"table\":\"t\","
			    "\"config-fingerprint\":\"f\",\"kafka-offsets\":{}}";
	cJSON		*sp, *out = NULL;
	char		*cause = NULL;

	sp = savepoint_parse(text, strlen(text), &cause);
	TAP_CHECK(savepoint_restore_plan(sp, "k", "f", "tp", NULL, 1, &out,
	    &cause) == -1 && strstr(cause, "not of k") != NULL);
	free(cause);
	cause = NULL;
	TAP_CHECK(savepoint_restore_plan(sp, "j", "g", "tp", NULL, 1, &out,
	    &cause) == -1 && strstr(cause, "another topic") != NULL);
	free(cause);
	cJSON_Delete(sp);
}

static const struct tap_case cases[] = {
	{ "targets: schemes, relative paths, \"..\"", test_targets },
	{ "directory names and the _metadata document", test_dir_and_metadata },
	{ "restore decisions: equal, duplicates, gaps", test_restore_plan },
	{ "restore refused for another job or config", test_restore_identity },
};

TAP_MAIN(cases)
