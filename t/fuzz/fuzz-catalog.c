/*
 * fuzz-catalog.c: libFuzzer harness for REST catalog answers (wrong
 * types, missing fields, huge or truncated JSON): the error body of a
 * failed call, a LoadTableResult taken into a table handle, and that
 * table used as the writer uses it (main, ancestry, the job's offsets),
 * validated or not.  catalog-rest.c is built in to reach its parsers.
 */
#include "../../src/catalog-rest.c"
#include "ice-meta.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_use(const cJSON *meta)
{
	cJSON	*offsets = NULL;
	char	*cause = NULL;
	int64_t	 id, ckpt;

	if (ice_meta_main(meta, &id) == 0) {
		(void)ice_meta_snapshot(meta, id);
		(void)ice_meta_in_main(meta, id);
	}
	(void)ice_meta_last_seq(meta);
	(void)ice_meta_location(meta);
	if (ice_meta_job_state(meta, "7b5b1c0e5f2d4a11a3c9e2f0d8b6a4c2",
	    NULL, &ckpt, &offsets, &cause) == -1)
		free(cause);
	cJSON_Delete(offsets);
	if (ice_meta_validate(meta, &cause) == -1)
		free(cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct catalog_rest		 cr;
	struct catalog_rest_call	 call;
	struct catalog_rest_table	*t;
	cJSON				*j;
	char				*cause = NULL, *msg;
	int64_t				 id;

	if ((j = json_parse((const char *)data, len, &cause)) == NULL) {
		free(cause);
		return (0);
	}
	memset(&cr, 0, sizeof cr);
	memset(&call, 0, sizeof call);
	cr.uri = (char *)"http://catalog";
	cr.config = cJSON_CreateObject();
	catalog_rest_merge(cr.config, cJSON_GetObjectItemCaseSensitive(j,
	    "defaults"));
	catalog_rest_merge(cr.config, cJSON_GetObjectItemCaseSensitive(j,
	    "overrides"));
	call.cr = &cr;
	call.method = "POST";
	call.url = (char *)"http://catalog/v1/namespaces/ns/tables/t";
	msg = catalog_rest_cause(&call, 409, NULL, j);
	free(msg);
	if ((t = catalog_rest_table_new(&cr, j, &cause)) == NULL) {
		if (cause == NULL)
			fatalx("a refused table without a cause");
		free(cause);
	} else {
		(void)catalog_rest_table_uuid(t);
		(void)catalog_rest_table_config(t, "s3.endpoint");
		(void)catalog_rest_table_ancestry(t);
		if (catalog_rest_table_main(t, &id) == 0)
			(void)catalog_rest_table_has_snapshot(t, id);
		fuzz_use(t->metadata);
		catalog_rest_table_free(t);
	}
	cJSON_Delete(cr.config);
	cJSON_Delete(j);
	return (0);
}
