/*
 * test-avro.c: byte-exact Avro encodings and container layout.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "avro.h"
#include "tap.h"

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

static const struct tap_case cases[] = {
	{ "zigzag longs and ints", test_longs },
	{ "strings, unions, arrays, doubles", test_composites },
	{ "container header and blocks", test_container_layout },
	{ "sink failure is reported", test_sink_failure },
};

TAP_MAIN(cases)
