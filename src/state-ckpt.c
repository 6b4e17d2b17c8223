/*
 * state-ckpt.c: the checkpoint record of the state store: its JSON form
 * and typed put/get.  64-bit numbers are JSON strings so they round-trip
 * exactly (cJSON keeps numbers as doubles).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "state.h"
#include "xmalloc.h"

static const char *const state_ckpt_status_names[] = {
	"prepared", "committed"
};

/* Add a 64-bit integer as a decimal string. */
static void
state_ckpt_add_i64(cJSON *o, const char *name, int64_t v)
{
	char	tmp[32];

	snprintf(tmp, sizeof tmp, "%" PRId64, v);
	cJSON_AddStringToObject(o, name, tmp);
}

char *
state_ckpt_encode(const struct state_ckpt *ck)
{
	cJSON	*o, *files;
	char	*s, tmp[32];
	size_t	 i;

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "job-id", ck->job_id);
	snprintf(tmp, sizeof tmp, "%" PRIu64, ck->checkpoint_id);
	cJSON_AddStringToObject(o, "checkpoint-id", tmp);
	cJSON_AddStringToObject(o, "status",
	    state_ckpt_status_names[ck->status]);
	state_ckpt_add_i64(o, "snapshot-id", ck->snapshot_id);
	cJSON_AddStringToObject(o, "manifest-list",
	    ck->manifest_list != NULL ? ck->manifest_list : "");
	cJSON_AddStringToObject(o, "offsets",
	    ck->offsets != NULL ? ck->offsets : "{}");
	files = cJSON_AddArrayToObject(o, "files");
	for (i = 0; i < ck->nfiles; i++)
		cJSON_AddItemToArray(files, cJSON_CreateString(ck->files[i]));
	state_ckpt_add_i64(o, "prepared-ms", ck->prepared_ms);
	state_ckpt_add_i64(o, "committed-ms", ck->committed_ms);
	if ((s = cJSON_PrintUnformatted(o)) == NULL)
		abort();
	cJSON_Delete(o);
	return (s);
}

/* The string member name of o, or NULL. */
static const char *
state_ckpt_str(const cJSON *o, const char *name)
{
	return (cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o,
	    name)));
}

/* Read a decimal 64-bit member; -1 if missing or malformed. */
static int
state_ckpt_i64(const cJSON *o, const char *name, int64_t *v)
{
	const char	*s = state_ckpt_str(o, name);
	char		*end;

	if (s == NULL || *s == '\0')
		return (-1);
	errno = 0;
	*v = strtoll(s, &end, 10);
	return (errno != 0 || *end != '\0' ? -1 : 0);
}

/* Fill the string members and the files array. */
static int
state_ckpt_decode_strings(const cJSON *o, struct state_ckpt *ck)
{
	const cJSON	*files, *f;
	const char	*s;
	size_t		 i;

	if ((s = state_ckpt_str(o, "job-id")) == NULL ||
	    strlen(s) >= sizeof ck->job_id)
		return (-1);
	memcpy(ck->job_id, s, strlen(s) + 1);
	if ((s = state_ckpt_str(o, "manifest-list")) == NULL)
		return (-1);
	ck->manifest_list = xstrdup(s);
	if ((s = state_ckpt_str(o, "offsets")) == NULL)
		return (-1);
	ck->offsets = xstrdup(s);
	files = cJSON_GetObjectItemCaseSensitive(o, "files");
	if (!cJSON_IsArray(files))
		return (-1);
	ck->files = xcalloc(cJSON_GetArraySize(files) + 1, sizeof *ck->files);
	i = 0;
	cJSON_ArrayForEach(f, files) {
		if ((s = cJSON_GetStringValue(f)) == NULL)
			return (-1);
		ck->files[i++] = xstrdup(s);
		ck->nfiles = i;
	}
	return (0);
}

/* Fill the numeric members and the status. */
static int
state_ckpt_decode_numbers(const cJSON *o, struct state_ckpt *ck)
{
	const char	*s;
	int64_t		 id;
	size_t		 i;

	if (state_ckpt_i64(o, "checkpoint-id", &id) != 0 || id < 0 ||
	    state_ckpt_i64(o, "snapshot-id", &ck->snapshot_id) != 0 ||
	    state_ckpt_i64(o, "prepared-ms", &ck->prepared_ms) != 0 ||
	    state_ckpt_i64(o, "committed-ms", &ck->committed_ms) != 0)
		return (-1);
	ck->checkpoint_id = (uint64_t)id;
	if ((s = state_ckpt_str(o, "status")) == NULL)
		return (-1);
	for (i = 0; i < sizeof state_ckpt_status_names /
	    sizeof state_ckpt_status_names[0]; i++) {
		if (strcmp(s, state_ckpt_status_names[i]) == 0) {
			ck->status = (enum state_ckpt_status)i;
			return (0);
		}
	}
	return (-1);
}

int
state_ckpt_decode(const void *data, size_t len, struct state_ckpt *ck,
    char **cause)
{
	cJSON	*o;
	int	 rc = -1;

	memset(ck, 0, sizeof *ck);
	o = cJSON_ParseWithLength(data, len);
	if (cJSON_IsObject(o) && state_ckpt_decode_numbers(o, ck) == 0 &&
	    state_ckpt_decode_strings(o, ck) == 0)
		rc = 0;
	cJSON_Delete(o);
	if (rc != 0) {
		state_ckpt_clear(ck);
		*cause = xstrdup("state store: malformed checkpoint record");
	}
	return (rc);
}

void
state_ckpt_clear(struct state_ckpt *ck)
{
	size_t	i;

	free(ck->manifest_list);
	free(ck->offsets);
	for (i = 0; i < ck->nfiles; i++)
		free(ck->files[i]);
	free(ck->files);
	memset(ck, 0, sizeof *ck);
}

int
state_ckpt_put(struct state *st, const struct state_ckpt *ck, char **cause)
{
	char	*key, *val;
	int	 rc;

	key = state_ckpt_key(ck->job_id, ck->checkpoint_id);
	val = state_ckpt_encode(ck);
	rc = state_put(st, key, val, strlen(val), cause);
	free(val);
	free(key);
	return (rc);
}

void
state_ckpt_put_async(struct state *st, struct worker *w,
    const struct state_ckpt *ck, state_done_fn done, void *arg)
{
	char	*key, *val;

	key = state_ckpt_key(ck->job_id, ck->checkpoint_id);
	val = state_ckpt_encode(ck);
	state_put_async(st, w, key, val, strlen(val), done, arg);
	free(val);
	free(key);
}

int
state_ckpt_get(struct state *st, const char *job_id, uint64_t checkpoint_id,
    struct state_ckpt *ck, char **cause)
{
	struct buf	 b = BUF_INIT;
	char		*key;
	int		 rc;

	key = state_ckpt_key(job_id, checkpoint_id);
	rc = state_get(st, key, &b, cause);
	free(key);
	if (rc == 1 && state_ckpt_decode(b.data, b.len, ck, cause) != 0)
		rc = -1;
	buf_free(&b);
	return (rc);
}

int
state_ckpt_newest(struct state *st, const char *job_id, struct state_ckpt *ck,
    char **cause)
{
	struct buf	 k = BUF_INIT, v = BUF_INIT;
	char		*prefix;
	int		 rc;

	prefix = xasprintf("ckpt/%s/", job_id);
	rc = state_last(st, prefix, &k, &v, cause);
	free(prefix);
	if (rc == 1 && state_ckpt_decode(v.data, v.len, ck, cause) != 0)
		rc = -1;
	buf_free(&k);
	buf_free(&v);
	return (rc);
}
