/*
 * test-avro.c: byte-exact Avro encodings and container layout.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avro.h"
#include "tap.h"
#include "xmalloc.h"

static int
bytes_are(const struct buf *b, const char *want, size_t n)
{
	return (b->len == n && memcmp(b->data, want, n) == 0);
}

static void
test_longs(void)
{
	static const struct { int64_t v; const char *enc; size_t n; } cases[] = {
		{ 0, "\x00", 1 }, { -1, "\x01", 1 }, { 1, "\x02", 1 },
		{ -64, "\x7f", 1 }, { 64, "\x80\x01", 2 },
		{ INT64_MAX, "\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10 },
		{ INT64_MIN, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10 },
	};
	struct buf	b = BUF_INIT;
	size_t		i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		buf_reset(&b);
		avro_put_long(&b, cases[i].v);
		TAP_CHECK(bytes_are(&b, cases[i].enc, cases[i].n));
	}
	buf_reset(&b);
	avro_put_int(&b, INT32_MIN);
	TAP_CHECK(bytes_are(&b, "\xff\xff\xff\xff\x0f", 5));
	buf_free(&b);
}

static void
test_composites(void)
{
	struct buf	b = BUF_INIT;

	avro_put_string(&b, "foo");		/* spec example: 06 66 6f 6f */
	TAP_CHECK(bytes_are(&b, "\x06" "foo", 4));
	buf_reset(&b);
	avro_put_union(&b, 1);			/* ["null","string"] "a" */
	avro_put_string(&b, "a");
	avro_put_union(&b, 0);			/* null */
	TAP_CHECK(bytes_are(&b, "\x02\x02" "a\x00", 4));
	buf_reset(&b);
	avro_put_array_start(&b, 2);		/* spec example: [3, 27] */
	avro_put_long(&b, 3);
	avro_put_long(&b, 27);
	avro_put_array_end(&b);
	TAP_CHECK(bytes_are(&b, "\x04\x06\x36\x00", 4));
	buf_reset(&b);
	avro_put_array_start(&b, 0);
	avro_put_array_end(&b);
	TAP_CHECK(bytes_are(&b, "\x00", 1));
	buf_reset(&b);
	avro_put_double(&b, 1.0);
	avro_put_boolean(&b, 1);
	avro_put_float(&b, -2.0f);
	TAP_CHECK(bytes_are(&b, "\x00\x00\x00\x00\x00\x00\xf0\x3f\x01"
	    "\x00\x00\x00\xc0", 13));
	buf_free(&b);
}

static void
test_container_layout(void)
{
	static const struct avro_meta meta[] = { { "k", "v" } };
	struct buf		 out = BUF_INIT;
	struct avro_writer	*w;
	char			*cause = NULL;
	const uint8_t		*sync;
	size_t			 hdr;
	uint8_t			 rec = 0x02;	/* long 1 */

	w = avro_writer_new("\"long\"", meta, 1, AVRO_CODEC_NULL, &out,
	    NULL, NULL, &cause);
	TAP_CHECK(w != NULL);
	/* magic, 3 entries, schema, codec, k, end, sync */
	TAP_CHECK(memcmp(out.data, "Obj\x01\x06", 5) == 0);
	TAP_CHECK(memmem(out.data, out.len, "\x16" "avro.schema\x0c\"long\"",
	    19) != NULL);
	TAP_CHECK(memmem(out.data, out.len, "\x14" "avro.codec\x08null", 16)
	    != NULL);
	TAP_CHECK(memmem(out.data, out.len, "\x02k\x02v\x00", 5) != NULL);
	hdr = out.len;
	sync = avro_writer_sync(w);
	TAP_CHECK(memcmp(out.data + hdr - 16, sync, 16) == 0);
	avro_writer_set_block_size(w, 2);	/* a block every 2 records */
	TAP_CHECK(avro_writer_append(w, &rec, 1, &cause) == 0);
	TAP_CHECK(out.len == hdr);		/* still buffered */
	TAP_CHECK(avro_writer_append(w, &rec, 1, &cause) == 0);
	TAP_CHECK(out.len == hdr + 1 + 1 + 2 + 16);
	TAP_CHECK(memcmp(out.data + hdr, "\x04\x04\x02\x02", 4) == 0);
	TAP_CHECK(memcmp(out.data + hdr + 4, sync, 16) == 0);
	TAP_CHECK(avro_writer_close(w, &cause) == 0);
	TAP_CHECK(out.len == hdr + 20);		/* nothing left to flush */
	TAP_CHECK_INT(avro_writer_records(w), 2);
	avro_writer_free(w);
	buf_free(&out);
}

static int
failing_sink(void *arg, const void *p, size_t n)
{
	int	*calls = arg;

	(void)p;
	(void)n;
	return (++*calls > 1 ? -1 : 0);
}

static void
test_sink_failure(void)
{
	struct avro_writer	*w;
	char			*cause = NULL;
	int			 calls = 0;
	uint8_t			 rec = 0;

	w = avro_writer_new("\"long\"", NULL, 0, AVRO_CODEC_DEFLATE, NULL,
	    failing_sink, &calls, &cause);
	TAP_CHECK(w != NULL);
	TAP_CHECK(avro_writer_append(w, &rec, 1, &cause) == 0);
	TAP_CHECK(avro_writer_close(w, &cause) == -1 && cause != NULL);
	free(cause);
	cause = NULL;
	TAP_CHECK(avro_writer_close(w, &cause) == -1);
	free(cause);
	avro_writer_free(w);
}

/* Write a file, read it back block by block; then every truncation. */
static void
test_read_back(void)
{
	static const struct avro_meta meta[] = { { "k", "value" } };
	struct buf		 out = BUF_INIT, block = BUF_INIT, rec = BUF_INIT;
	struct avro_writer	*w;
	struct avro_file	 f;
	char			*cause = NULL;
	const uint8_t		*v;
	uint64_t		 count, total = 0;
	size_t			 len, cut;
	int			 i, rc, blocks = 0;

	w = avro_writer_new("\"long\"", meta, 1, AVRO_CODEC_DEFLATE, &out,
	    NULL, NULL, &cause);
	avro_writer_set_block_size(w, 100);
	for (i = 0; i < 500; i++) {
		buf_reset(&rec);
		avro_put_long(&rec, (int64_t)i * 1000003);
		avro_writer_append(w, rec.data, rec.len, &cause);
	}
	TAP_CHECK(avro_writer_close(w, &cause) == 0);
	TAP_CHECK(avro_file_open(&f, out.data, out.len, &cause) == 0);
	TAP_CHECK(f.codec == AVRO_CODEC_DEFLATE);
	TAP_CHECK(memcmp(f.sync, avro_writer_sync(w), 16) == 0);
	v = avro_file_meta(&f, "k", &len);
	TAP_CHECK(v != NULL && len == 5 && memcmp(v, "value", 5) == 0);
	while ((rc = avro_file_next_block(&f, &block, &count, &cause)) == 1) {
		total += count;
		blocks++;
	}
	TAP_CHECK(rc == 0 && total == 500 && blocks > 5);
	avro_writer_free(w);
	/* every truncation fails cleanly, never reads past the end */
	for (cut = 0; cut < out.len; cut++) {
		uint8_t *copy = xmemdup(out.data, cut);

		cause = NULL;
		rc = avro_file_open(&f, copy, cut, &cause);
		while (rc == 0 && (rc = avro_file_next_block(&f, &block, &count,
		    &cause)) == 1)
			rc = 0;
		if (rc == -1)
			free(cause);
		free(copy);
	}
	cause = NULL;
	TAP_CHECK(avro_file_open(&f, "Obj\x02", 4, &cause) == -1);
	free(cause);
	buf_free(&out);
	buf_free(&block);
	buf_free(&rec);
}

static const struct tap_case cases[] = {
	{ "zigzag longs and ints", test_longs },
	{ "strings, unions, arrays, doubles", test_composites },
	{ "container header and blocks", test_container_layout },
	{ "sink failure is reported", test_sink_failure },
	{ "read back, and every truncation refused", test_read_back },
};

TAP_MAIN(cases)
