/*
 * fuzz-metadata.c: libFuzzer harness for table metadata as a catalog or
 * a metadata file may hand it over: parse, validate, and when valid use
 * it as the writer does (main's head, ancestry, the job's committed
 * offsets, a new snapshot id).  Never a crash, every refusal with a cause.
 */
#include <stdint.h>
#include <stdlib.h>

#include "ice-meta.h"
#include "json.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	cJSON	*meta, *offsets = NULL;
	char	*cause = NULL;
	int64_t	 id, ckpt;
	int	 rc;

	if ((meta = json_parse((const char *)data, len, &cause)) == NULL) {
		free(cause);
		return (0);
	}
	if (ice_meta_validate(meta, &cause) == -1) {
		if (cause == NULL)
			fatalx("invalid metadata without a cause");
		free(cause);
		cJSON_Delete(meta);
		return (0);
	}
	(void)ice_meta_location(meta);
	(void)ice_meta_uuid(meta);
	(void)ice_meta_last_seq(meta);
	(void)ice_meta_current_schema(meta);
	(void)ice_meta_default_spec(meta);
	if (ice_meta_main(meta, &id) == 0) {
		(void)ice_meta_snapshot(meta, id);
		(void)ice_meta_in_main(meta, id);
	}
	(void)ice_meta_new_snapshot_id(meta);
	rc = ice_meta_job_state(meta, "7b5b1c0e5f2d4a11a3c9e2f0d8b6a4c2", NULL,
	    &ckpt, &offsets, &cause);
	if (rc == -1) {
		if (cause == NULL)
			fatalx("job state failed without a cause");
		free(cause);
	}
	cJSON_Delete(offsets);
	cJSON_Delete(meta);
	return (0);
}
