/*
 * savepoint.c: savepoint targets, directory names and the _metadata
 * document (see savepoint.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/sha.h>

#include "config.h"
#include "json.h"
#include "log.h"
#include "savepoint.h"
#include "xmalloc.h"

#define SAVEPOINT_VERSION	1

void
savepoint_fingerprint(const struct config_job *j, char out[65])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		*text;
	int		 i;

	text = xasprintf("%s\n%s\n%d\n%d", j->topic, j->table,
	    (int)j->partition_by, (int)j->value_type);
	SHA256((const unsigned char *)text, strlen(text), md);
	free(text);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Does path hold a ".." segment? */
static int
savepoint_has_dotdot(const char *path)
{
	const char	*p = path;

	while ((p = strstr(p, "..")) != NULL) {
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return (1);
		p += 2;
	}
	return (0);
}

int
savepoint_check_target(const char *target, char **cause)
{
	const char	*path = NULL;

	if (target == NULL || *target == '\0')
		*cause = xstrdup("no target directory");
	else if (strncasecmp(target, "s3://", 5) == 0)
		path = target + 5;
	else if (strncasecmp(target, "s3a://", 6) == 0)
		path = target + 6;
	else if (strncmp(target, "file://", 7) == 0)
		path = target + 7;
	else if (strncmp(target, "file:/", 6) == 0)	/* Flink's form */
		path = target + 5;
	else if (target[0] == '/')
		path = target;
	else if (strstr(target, "://") != NULL)
		*cause = xstrdup("unsupported scheme: use a local absolute "
		    "path, file://, s3:// or s3a://");
	else
		*cause = xstrdup("a relative path: give an absolute path");
	if (path == NULL)
		return (-1);
	if (savepoint_has_dotdot(path) || strlen(target) > 1024 ||
	    strpbrk(target, "\r\n\t") != NULL) {
		*cause = xstrdup("\"..\" segments, control characters or "
		    "over 1024 characters");
		return (-1);
	}
	if (strncasecmp(target, "s3", 2) == 0 && (*path == '\0' || *path == '/')) {
		*cause = xstrdup("no bucket");
		return (-1);
	}
	return (0);
}

char *
savepoint_dir_of(const char *location)
{
	const char	*p = location;
	char		*dir;
	size_t		 n;

	if (strncasecmp(p, "s3a://", 6) == 0)
		dir = xasprintf("s3://%s", p + 6);
	else if (strncmp(p, "file://", 7) == 0)
		dir = xstrdup(p + 7);
	else if (strncmp(p, "file:/", 6) == 0)
		dir = xstrdup(p + 5);
	else
		dir = xstrdup(p);
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	if (n > 10 && strcmp(dir + n - 10, "/_metadata") == 0)
		dir[n - 10] = '\0';
	return (dir);
}

char *
savepoint_new_dir(const char *target, const char *job_id)
{
	unsigned char	 r[6];
	size_t		 n = strlen(target);

	if (getrandom(r, sizeof r, 0) != sizeof r)
		fatal("getrandom");
	while (n > 1 && target[n - 1] == '/')
		n--;
	return (xasprintf("%.*s/savepoint-%.6s-%02x%02x%02x%02x%02x%02x",
	    (int)n, target, job_id, r[0], r[1], r[2], r[3], r[4], r[5]));
}

char *
savepoint_metadata(const struct savepoint_info *i)
{
	cJSON	*root = cJSON_CreateObject(), *off;
	char	*cause = NULL, *text;

	cJSON_AddNumberToObject(root, "version", SAVEPOINT_VERSION);
	cJSON_AddStringToObject(root, "job-id", i->job_id);
	cJSON_AddStringToObject(root, "job-name", i->job_name);
	cJSON_AddStringToObject(root, "table", i->table);
	cJSON_AddStringToObject(root, "topic", i->topic);
	if (i->snapshot_id != 0)
		json_add_int64(root, "snapshot-id", i->snapshot_id);
	else
		cJSON_AddNullToObject(root, "snapshot-id");
	json_add_int64(root, "checkpoint-id", (int64_t)i->checkpoint_id);
	off = json_parse(i->offsets_json, strlen(i->offsets_json), &cause);
	if (off == NULL)
		fatalx("savepoint: offsets: %s", cause);
	cJSON_AddItemToObject(root, "kafka-offsets", off);
	json_add_int64(root, "created-ms", i->created_ms);
	cJSON_AddStringToObject(root, "config-fingerprint", i->fingerprint);
	text = json_print(root);
	cJSON_Delete(root);
	return (text);
}

cJSON *
savepoint_parse(const char *text, size_t len, char **cause)
{
	cJSON		*root;
	const cJSON	*off;
	int64_t		 v;

	if ((root = json_parse(text, len, cause)) == NULL)
		return (NULL);
	off = cJSON_GetObjectItemCaseSensitive(root, "kafka-offsets");
	if (json_object_int64(root, "version", &v, cause) == -1 ||
	    json_object_string(root, "job-id") == NULL ||
	    json_object_string(root, "table") == NULL ||
	    !cJSON_IsObject(off)) {
		if (*cause == NULL)
			*cause = xstrdup("not a bronzed savepoint: job-id, "
			    "table or kafka-offsets missing");
		cJSON_Delete(root);
		return (NULL);
	}
	if (v != SAVEPOINT_VERSION) {
		*cause = xasprintf("savepoint format version %" PRId64
		    " (this bronzed reads %d)", v, SAVEPOINT_VERSION);
		cJSON_Delete(root);
		return (NULL);
	}
	return (root);
}

/* Compare one partition; -1 and *cause if the restore must be refused. */
static int
savepoint_check_partition(const char *topic, const char *p, int64_t sp,
    int64_t table, int allow_duplicates, char **cause)
{
	if (table >= 0 && table < sp) {
		*cause = xasprintf("the table lacks records %" PRId64 "..%"
		    PRId64 " of %s partition %s that the savepoint counts as "
		    "committed: restoring would skip them", table, sp - 1,
		    topic, p);
		return (-1);
	}
	if (table > sp && !allow_duplicates) {
		*cause = xasprintf("the table already holds %s partition %s up "
		    "to offset %" PRId64 ", past the savepoint's %" PRId64
		    ": restoring would commit %" PRId64 " records twice "
		    "(allow duplicates to do it anyway)", topic, p, table, sp,
		    table - sp);
		return (-1);
	}
	return (0);
}

int
savepoint_restore_plan(const cJSON *sp, const char *job_id, const char *fp,
    const char *topic, const cJSON *table_offsets, int allow_duplicates,
    cJSON **plan, char **cause)
{
	const char	*id = json_object_string(sp, "job-id");
	const char	*spfp = json_object_string(sp, "config-fingerprint");
	const cJSON	*off, *tt, *p;
	int64_t		 v, tv;

	*plan = NULL;
	if (id == NULL || strcmp(id, job_id) != 0) {
		*cause = xasprintf("a savepoint of job %s, not of %s",
		    id != NULL ? id : "(none)", job_id);
		return (-1);
	}
	if (spfp == NULL || strcmp(spfp, fp) != 0) {
		*cause = xstrdup("the savepoint was taken with another topic, "
		    "table, partitioning or value type");
		return (-1);
	}
	off = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(
	    sp, "kafka-offsets"), topic);
	tt = cJSON_GetObjectItemCaseSensitive(table_offsets, topic);
	cJSON_ArrayForEach(p, off) {
		if (json_get_int64(p, &v) != 0 || v < 0) {
			*cause = xasprintf("bad offset for partition %s",
			    p->string);
			return (-1);
		}
		if (json_get_int64(cJSON_GetObjectItemCaseSensitive(tt,
		    p->string), &tv) != 0)
			tv = -1;
		if (savepoint_check_partition(topic, p->string, v, tv,
		    allow_duplicates, cause) == -1)
			return (-1);
	}
	*plan = off != NULL ? cJSON_Duplicate(off, 1) : cJSON_CreateObject();
	return (0);
}
