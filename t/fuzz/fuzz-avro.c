/*
 * fuzz-avro.c: libFuzzer harness for the generic Avro container reader
 * (avro-read.c) that reads manifest lists and manifests: every record of
 * any input decodes or fails with a cause, and the Iceberg fields the
 * daemon looks up are looked up.
 */
#include <stdint.h>
#include <stdlib.h>

#include "avro-read.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct avro_reader	*rd;
	struct avro_read_value	*rec;
	const struct avro_read_value *df;
	char			*cause = NULL;
	int64_t			 v;
	int			 rc, n = 0;

	if ((rd = avro_reader_open(data, len, &cause)) == NULL) {
		if (cause == NULL)
			fatalx("open failed without a cause");
		free(cause);
		return (0);
	}
	while (n++ < 10000 && (rc = avro_reader_next(rd, &rec, &cause)) == 1) {
		(void)avro_read_long(avro_read_field(rec, "content", 517), &v);
		(void)avro_read_field(rec, "manifest_path", 500);
		(void)avro_read_long(avro_read_field(rec, "status", 0), &v);
		df = avro_read_field(rec, "data_file", 2);
		if (df != NULL && df->type == AVRO_R_RECORD) {
			(void)avro_read_field(df, "file_path", 100);
			(void)avro_read_long(avro_read_field(df,
			    "record_count", 103), &v);
		}
		avro_read_value_free(rec);
	}
	if (rc == -1) {
		if (cause == NULL)
			fatalx("next failed without a cause");
		free(cause);
	}
	avro_reader_free(rd);
	return (0);
}
