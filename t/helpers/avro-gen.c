/*
 * avro-gen.c: writes Avro container files shaped like Iceberg manifests
 * and manifest lists for t/21-avro-read.mjs, which decodes them with avsc
 * and checks every value against the same formulas.
 *
 * usage: avro-gen DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avro.h"
#include "buf.h"
#include "log.h"
#include "xmalloc.h"

#define SNAP_BASE	3051729675574597004LL

static const char list_schema[] =
    "{\"type\":\"record\",\"name\":\"manifest_file\",\"fields\":["
    "{\"name\":\"manifest_path\",\"type\":\"string\",\"field-id\":500},"
    "{\"name\":\"manifest_length\",\"type\":\"long\",\"field-id\":501},"
    "{\"name\":\"partition_spec_id\",\"type\":\"int\",\"field-id\":502},"
    "{\"name\":\"content\",\"type\":\"int\",\"field-id\":517},"
    "{\"name\":\"sequence_number\",\"type\":\"long\",\"field-id\":515},"
    "{\"name\":\"added_snapshot_id\",\"type\":\"long\",\"field-id\":503},"
    "{\"name\":\"added_files_count\",\"type\":\"int\",\"field-id\":504},"
    "{\"name\":\"partitions\",\"type\":[\"null\",{\"type\":\"array\","
    "\"element-id\":508,\"items\":{\"type\":\"record\",\"name\":\"r508\","
    "\"fields\":[{\"name\":\"contains_null\",\"type\":\"boolean\","
    "\"field-id\":509},{\"name\":\"contains_nan\",\"type\":[\"null\","
    "\"boolean\"],\"default\":null,\"field-id\":518},{\"name\":"
    "\"lower_bound\",\"type\":[\"null\",\"bytes\"],\"default\":null,"
    "\"field-id\":510}]}}],\"default\":null,\"field-id\":507},"
    "{\"name\":\"ratio\",\"type\":\"double\"},"
    "{\"name\":\"key_metadata\",\"type\":[\"null\",\"bytes\"],"
    "\"default\":null,\"field-id\":519}]}";

static const char entry_schema[] =
    "{\"type\":\"record\",\"name\":\"manifest_entry\",\"fields\":["
    "{\"name\":\"status\",\"type\":\"int\",\"field-id\":0},"
    "{\"name\":\"snapshot_id\",\"type\":[\"null\",\"long\"],"
    "\"default\":null,\"field-id\":1},"
    "{\"name\":\"data_file\",\"field-id\":2,\"type\":{\"type\":\"record\","
    "\"name\":\"r2\",\"fields\":["
    "{\"name\":\"file_path\",\"type\":\"string\",\"field-id\":100},"
    "{\"name\":\"partition\",\"field-id\":102,\"type\":{\"type\":"
    "\"record\",\"name\":\"r102\",\"fields\":[{\"name\":"
    "\"ingestion_timestamp_day\",\"type\":[\"null\",{\"type\":\"int\","
    "\"logicalType\":\"date\"}],\"default\":null,\"field-id\":1000}]}},"
    "{\"name\":\"record_count\",\"type\":\"long\",\"field-id\":103},"
    "{\"name\":\"column_sizes\",\"type\":[\"null\",{\"type\":\"array\","
    "\"logicalType\":\"map\",\"items\":{\"type\":\"record\",\"name\":"
    "\"k117_v118\",\"fields\":[{\"name\":\"key\",\"type\":\"int\","
    "\"field-id\":117},{\"name\":\"value\",\"type\":\"long\","
    "\"field-id\":118}]}}],\"default\":null,\"field-id\":108},"
    "{\"name\":\"lower_bounds\",\"type\":[\"null\",{\"type\":\"array\","
    "\"logicalType\":\"map\",\"items\":{\"type\":\"record\",\"name\":"
    "\"k126_v127\",\"fields\":[{\"name\":\"key\",\"type\":\"int\","
    "\"field-id\":126},{\"name\":\"value\",\"type\":\"bytes\","
    "\"field-id\":127}]}}],\"default\":null,\"field-id\":125},"
    "{\"name\":\"split_offsets\",\"type\":[\"null\",{\"type\":\"array\","
    "\"items\":\"long\",\"element-id\":133}],\"default\":null,"
    "\"field-id\":132}]}}]}";

static void
encode_list_record(struct buf *b, int i)
{
	char	path[64];
	uint8_t	bound[4] = { (uint8_t)i, 0x4f, 0, 0 };

	snprintf(path, sizeof path, "s3://w/t/metadata/m%d.avro", i);
	avro_put_string(b, path);
	avro_put_long(b, (int64_t)i * 1000 + 7);
	avro_put_int(b, 0);
	avro_put_int(b, i % 2);
	avro_put_long(b, i + 1);
	avro_put_long(b, SNAP_BASE + i);
	avro_put_int(b, -i);
	if (i % 3 == 0)
		avro_put_union(b, 0);
	else {
		avro_put_union(b, 1);
		avro_put_array_start(b, 1);
		avro_put_boolean(b, i % 2 == 0);
		if (i % 4 == 0)
			avro_put_union(b, 0);
		else {
			avro_put_union(b, 1);
			avro_put_boolean(b, 0);
		}
		avro_put_union(b, 1);
		avro_put_bytes(b, bound, sizeof bound);
		avro_put_array_end(b);
	}
	avro_put_double(b, i / 8.0);
	avro_put_union(b, 0);
}

static void
encode_entry_record(struct buf *b, int i)
{
	char	path[80];
	uint8_t	lo[3] = { 0x00, 0xff, (uint8_t)i };
	int	f;

	avro_put_int(b, 1);
	avro_put_union(b, 1);
	avro_put_long(b, INT64_MAX - i);
	snprintf(path, sizeof path, "file:/w/t/data/"
	    "ingestion_timestamp_day=2026-11-22/%05d.parquet", i);
	avro_put_string(b, path);
	avro_put_union(b, 1);
	avro_put_int(b, 20414 + i);
	avro_put_long(b, (int64_t)i * 10);
	avro_put_union(b, 1);
	avro_put_array_start(b, 8);
	for (f = 1; f <= 8; f++) {
		avro_put_int(b, f);
		avro_put_long(b, (int64_t)f * 100 + i);
	}
	avro_put_array_end(b);
	avro_put_union(b, 1);
	avro_put_array_start(b, 1);
	avro_put_int(b, 1);
	avro_put_bytes(b, lo, sizeof lo);
	avro_put_array_end(b);
	avro_put_union(b, 1);
	avro_put_array_start(b, 1);
	avro_put_long(b, 4);
	avro_put_array_end(b);
}

static void
write_file(const char *dir, const char *name, const char *schema,
    enum avro_codec codec, size_t block, int n,
    void (*encode)(struct buf *, int))
{
	static const struct avro_meta meta[] = {
		{ "format-version", "2" },
		{ "content", "data" },
		{ "partition-spec", "[{\"name\":\"ingestion_timestamp_day\","
		    "\"transform\":\"day\",\"source-id\":7,\"field-id\":1000}]" },
	};
	struct buf		 out = BUF_INIT, rec = BUF_INIT;
	struct avro_writer	*w;
	char			*cause = NULL, *path;
	FILE			*f;
	int			 i;

	w = avro_writer_new(schema, meta, 3, codec, &out, NULL, NULL, &cause);
	if (w == NULL)
		fatalx("%s", cause);
	avro_writer_set_block_size(w, block);
	for (i = 0; i < n; i++) {
		buf_reset(&rec);
		encode(&rec, i);
		if (avro_writer_append(w, rec.data, rec.len, &cause) == -1)
			fatalx("%s", cause);
	}
	if (avro_writer_close(w, &cause) == -1)
		fatalx("%s", cause);
	path = xasprintf("%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL ||
	    fwrite(out.data, 1, out.len, f) != out.len || fclose(f) != 0)
		fatal("%s", path);
	printf("%s %d\n", name, n);
	avro_writer_free(w);
	free(path);
	buf_free(&out);
	buf_free(&rec);
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: avro-gen DIR\n");
		return (2);
	}
	write_file(argv[1], "list-null.avro", list_schema, AVRO_CODEC_NULL,
	    512, 1000, encode_list_record);
	write_file(argv[1], "list-deflate.avro", list_schema,
	    AVRO_CODEC_DEFLATE, 4096, 1000, encode_list_record);
	write_file(argv[1], "entries.avro", entry_schema, AVRO_CODEC_DEFLATE,
	    AVRO_DEFAULT_BLOCK, 50, encode_entry_record);
	write_file(argv[1], "empty.avro", entry_schema, AVRO_CODEC_DEFLATE,
	    AVRO_DEFAULT_BLOCK, 0, encode_entry_record);
	return (0);
}
