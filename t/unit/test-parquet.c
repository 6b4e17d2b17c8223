/*
 * test-parquet.c: unit tests for the Thrift compact encoder (byte-exact
 * against encodings worked out by hand from the protocol spec), the
 * RLE/bit-packed hybrid, Iceberg bound truncation and writer invariants.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "parquet-int.h"
#include "pq-read.h"
#include "tap.h"
#include "thrift.h"

#define CHECK_BYTES(b, ...) do {					\
	static const uint8_t want_[] = { __VA_ARGS__ };			\
	TAP_CHECK_INT((b)->len, sizeof want_);				\
	TAP_CHECK((b)->len == sizeof want_ &&				\
	    memcmp((b)->data, want_, sizeof want_) == 0);		\
} while (0)

static void
test_thrift_fields(void)
{
	struct buf	b = BUF_INIT;
	struct thrift	t;

	thrift_init(&t, &b);
	thrift_struct_begin(&t);
	thrift_i32(&t, 1, -1);
	thrift_i64(&t, 2, INT64_MAX);
	thrift_i64(&t, 3, INT64_MIN);
	thrift_struct_end(&t);
	CHECK_BYTES(&b, 0x15, 0x01,
	    0x16, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
	    0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
	    0x00);
	buf_reset(&b);
	thrift_struct_begin(&t);
	thrift_i32(&t, 20, 5);		/* delta 20: long form */
	thrift_bool(&t, 3, 1);		/* going back: long form */
	thrift_bool(&t, 4, 0);		/* delta 1 */
	thrift_i32(&t, 19, INT32_MIN);	/* delta 15: still short */
	thrift_struct_end(&t);
	CHECK_BYTES(&b, 0x05, 0x28, 0x0a, 0x01, 0x06, 0x12,
	    0xf5, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00);
	buf_free(&b);
}

static void
test_thrift_lists_nesting(void)
{
	struct buf	b = BUF_INIT;
	struct thrift	t;
	int		i;

	thrift_init(&t, &b);
	thrift_struct_begin(&t);
	thrift_list(&t, 1, THRIFT_I32, 3);
	thrift_elem_i32(&t, 1);
	thrift_elem_i32(&t, -2);
	thrift_elem_i32(&t, 300);
	thrift_list(&t, 2, THRIFT_BINARY, 20);
	for (i = 0; i < 20; i++)
		thrift_elem_string(&t, i == 0 ? "ab" : "");
	thrift_field_struct(&t, 3);
	thrift_i32(&t, 5, 7);
	thrift_struct_end(&t);
	thrift_i32(&t, 4, 1);		/* delta from 3, not from 5 */
	thrift_binary(&t, 5, "xyz", 3);
	thrift_struct_end(&t);
	TAP_CHECK_INT(b.len, 6 + 3 + 3 + 19 + 4 + 2 + 5 + 1);
	TAP_CHECK(memcmp(b.data, "\x19\x35\x02\x03\xd8\x04", 6) == 0);
	TAP_CHECK(memcmp(b.data + 6, "\x19\xf8\x14\x02" "ab", 6) == 0);
	TAP_CHECK(memcmp(b.data + 31, "\x1c\x55\x0e\x00\x15\x02"
	    "\x18\x03xyz\x00", 12) == 0);
	buf_free(&b);
}

/* The SchemaElement worked example of iceberg-write-path.md 10.2. */
static void
test_thrift_schema_element(void)
{
	struct buf	b = BUF_INIT;
	struct thrift	t;

	thrift_init(&t, &b);
	thrift_struct_begin(&t);
	thrift_i32(&t, 1, 2);
	thrift_i32(&t, 3, 0);
	thrift_string(&t, 4, "ingestion_timestamp");
	thrift_i32(&t, 6, 10);
	thrift_i32(&t, 9, 7);
	thrift_field_struct(&t, 10);
	thrift_field_struct(&t, 8);
	thrift_bool(&t, 1, 1);
	thrift_field_struct(&t, 2);
	thrift_field_empty(&t, 2);
	thrift_struct_end(&t);
	thrift_struct_end(&t);
	thrift_struct_end(&t);
	thrift_struct_end(&t);
	TAP_CHECK_INT(b.len, 4 + 21 + 4 + 10);
	TAP_CHECK(memcmp(b.data, "\x15\x04\x25\x00\x18\x13"
	    "ingestion_timestamp\x25\x14\x35\x0e"
	    "\x1c\x8c\x11\x1c\x2c\x00\x00\x00\x00\x00", b.len) == 0);
	buf_free(&b);
}

static void
test_rle_exact(void)
{
	struct buf	b = BUF_INIT;
	uint8_t		lv[100];
	uint32_t	v[11];
	int		i;

	lv[0] = lv[1] = 1;
	lv[2] = 0;
	pq_rle_encode_u8_(&b, lv, 3, 1);
	CHECK_BYTES(&b, 0x03, 0x03);
	buf_reset(&b);
	for (i = 0; i < 8; i++)
		v[i] = (uint32_t)i;
	pq_rle_encode_(&b, v, 8, 3);	/* the spec's 0..7 example */
	CHECK_BYTES(&b, 0x03, 0x88, 0xc6, 0xfa);
	buf_reset(&b);
	memset(lv, 5, sizeof lv);
	pq_rle_encode_u8_(&b, lv, 100, 3);
	CHECK_BYTES(&b, 0xc8, 0x01, 0x05);
	buf_reset(&b);
	for (i = 0; i < 11; i++)
		v[i] = i < 8 ? 1 : 2;
	pq_rle_encode_(&b, v, 11, 2);
	CHECK_BYTES(&b, 0x10, 0x01, 0x03, 0x2a, 0x00);
	buf_reset(&b);
	v[0] = 0x12345;
	pq_rle_encode_(&b, v, 1, 17);	/* bit-packed, 17 bits x 8 */
	TAP_CHECK_INT(b.len, 1 + 17);
	TAP_CHECK(b.data[1] == 0x45 && b.data[2] == 0x23 && b.data[3] == 0x01);
	TAP_CHECK_INT(pq_bit_width_(0), 0);
	TAP_CHECK_INT(pq_bit_width_(1), 1);
	TAP_CHECK_INT(pq_bit_width_(255), 8);
	TAP_CHECK_INT(pq_bit_width_(256), 9);
	buf_free(&b);
}

/* A hybrid decoder, to round-trip random runs. */
static size_t
rle_decode(const uint8_t *p, size_t len, int bw, uint32_t *out, size_t max)
{
	size_t		i = 0, n = 0, k, cnt;
	uint64_t	h, x, acc;
	int		shift, nbits;

	while (i < len && n < max) {
		for (h = 0, shift = 0; p[i] & 0x80; shift += 7)
			h |= (uint64_t)(p[i++] & 0x7f) << shift;
		h |= (uint64_t)p[i++] << shift;
		if ((h & 1) == 0) {
			for (x = 0, k = 0; k < (size_t)(bw + 7) / 8; k++)
				x |= (uint64_t)p[i++] << (8 * k);
			for (cnt = h >> 1; cnt > 0 && n < max; cnt--)
				out[n++] = (uint32_t)x;
			continue;
		}
		acc = 0;
		nbits = 0;
		for (cnt = (h >> 1) * 8; cnt > 0; cnt--) {
			while (nbits < bw) {
				acc |= (uint64_t)p[i++] << nbits;
				nbits += 8;
			}
			if (n < max)
				out[n++] = (uint32_t)(acc & ((1ull << bw) - 1));
			acc >>= bw;
			nbits -= bw;
		}
	}
	return (n);
}

static void
test_rle_roundtrip(void)
{
	struct buf	 b = BUF_INIT;
	uint32_t	*v, *got;
	uint64_t	 r = 88172645463325252ull;
	size_t		 n, i, j;
	int		 bw, round;

	v = calloc(5000, sizeof *v);
	got = calloc(5000, sizeof *got);
	for (round = 0; round < 200; round++) {
		bw = 1 + round % 20;
		n = 1 + round * 23 % 5000;
		for (i = 0; i < n; ) {
			r ^= r << 13; r ^= r >> 7; r ^= r << 17;
			j = 1 + (r >> 8) % (round % 3 == 0 ? 40 : 4);
			for (; j > 0 && i < n; j--)
				v[i++] = (uint32_t)(r >> 32) & ((1u << bw) - 1);
		}
		buf_reset(&b);
		pq_rle_encode_(&b, v, n, bw);
		TAP_CHECK(rle_decode(b.data, b.len, bw, got, n) == n);
		TAP_CHECK(memcmp(v, got, n * sizeof *v) == 0);
	}
	free(v);
	free(got);
	buf_free(&b);
}

static void
test_bounds(void)
{
	uint8_t		out[68], ff[20];
	size_t		len;
	const char	*s = "abcdefghijklmnopqrstuvwxyz";
	const char	*u = "aaaaaaaaaaaaaaa\xf4\x8f\xbf\xbfzz";

	TAP_CHECK(pq_bound_(PQ_STRING, 0, (const uint8_t *)s, 26, 16, out,
	    &len) == 1 && len == 16 && memcmp(out, s, 16) == 0);
	TAP_CHECK(pq_bound_(PQ_STRING, 1, (const uint8_t *)s, 26, 16, out,
	    &len) == 1 && len == 16 && memcmp(out, "abcdefghijklmnoq", 16) == 0);
	TAP_CHECK(pq_bound_(PQ_STRING, 1, (const uint8_t *)s, 16, 16, out,
	    &len) == 1 && len == 16 && memcmp(out, s, 16) == 0);
	/* U+10FFFF cannot grow: bump the code point before it. */
	TAP_CHECK(pq_bound_(PQ_STRING, 1, (const uint8_t *)u, strlen(u), 16,
	    out, &len) == 1 && len == 15 &&
	    memcmp(out, "aaaaaaaaaaaaaab", 15) == 0);
	/* 16 code points of 2 bytes: 32 bytes kept, last one bumped. */
	TAP_CHECK(pq_bound_(PQ_STRING, 1, (const uint8_t *)
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9!",
	    33, 16, out, &len) == 1 && len == 32 && out[31] == 0xaa);
	memset(ff, 0xff, sizeof ff);
	TAP_CHECK(pq_bound_(PQ_BINARY, 1, ff, 20, 16, out, &len) == 0);
	ff[14] = 0x41;
	TAP_CHECK(pq_bound_(PQ_BINARY, 1, ff, 20, 16, out, &len) == 1 &&
	    len == 15 && out[14] == 0x42);
	TAP_CHECK(pq_bound_(PQ_BINARY, 0, ff, 20, 16, out, &len) == 1 &&
	    len == 16 && out[15] == 0xff);
}

struct sink {
	struct buf	b;
	int		calls;
	int		fail;
};

static int
sink_cb(void *arg, const void *p, size_t len)
{
	struct sink	*s = arg;

	s->calls++;
	if (s->fail)
		return (-1);
	buf_append(&s->b, p, len);
	return (0);
}

static const struct pq_column cols[] = {
	{ "v", PQ_BINARY, 1, 1, 0, 0, 0 },
	{ "t", PQ_STRING, 0, 2, 0, 0, 0 },
	{ "n", PQ_INT32, 1, 3, 0, 0, 0 },
	{ "h", PQ_MAP, 0, 4, 5, 6, 0 },
};

static void
test_zero_rows_and_failures(void)
{
	struct pq_options	 o;
	struct pq_writer	*w;
	struct sink		 s;
	char			*cause = NULL;

	memset(&s, 0, sizeof s);
	pq_options_default(&o);
	w = pq_writer_new(cols, 4, &o, sink_cb, &s, &cause);
	TAP_CHECK(w != NULL);
	TAP_CHECK(pq_writer_close(w, &cause) == 0);
	TAP_CHECK_INT(s.calls, 0);
	TAP_CHECK_INT(pq_writer_metrics(w)->record_count, 0);
	TAP_CHECK_INT(pq_writer_metrics(w)->file_size, 0);
	pq_writer_free(w);

	s.fail = 1;
	w = pq_writer_new(cols, 4, &o, sink_cb, &s, &cause);
	pq_put_bytes(w, 0, "x", 1);
	pq_put_int32(w, 2, 1);
	TAP_CHECK(pq_writer_end_row(w, &cause) == 0);
	TAP_CHECK(pq_writer_close(w, &cause) == -1);
	TAP_CHECK(cause != NULL && strstr(cause, "offset 0") != NULL);
	free(cause);
	cause = NULL;
	TAP_CHECK(pq_writer_end_row(w, &cause) == -1);
	free(cause);
	pq_writer_free(w);
	o.codec = (enum pq_codec)2;
	cause = NULL;
	TAP_CHECK(pq_writer_new(cols, 4, &o, sink_cb, &s, &cause) == NULL);
	free(cause);
}

static uint32_t
le32(const uint8_t *p)
{
	return (p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24);
}

/* Small row groups: bytes flow early, memory stays bounded, layout holds. */
static void
test_layout_and_memory(void)
{
	struct pq_options	 o;
	struct pq_writer	*w;
	struct sink		 s;
	const struct pq_metrics	*m;
	char			*cause = NULL, v[200];
	size_t			 i, maxbuf = 0;
	uint32_t		 flen;

	memset(&s, 0, sizeof s);
	pq_options_default(&o);
	o.row_group_size = 64 * 1024;
	o.page_size = 8 * 1024;
	w = pq_writer_new(cols, 4, &o, sink_cb, &s, &cause);
	for (i = 0; i < 20000; i++) {
		memset(v, 'a' + (int)(i % 26), sizeof v);
		snprintf(v, sizeof v, "%zu", i * 7919);
		pq_put_bytes(w, 0, v, sizeof v);
		if (i % 3)
			pq_put_bytes(w, 1, "topic", 5);
		pq_put_int32(w, 2, (int32_t)(i % 5) - 2);
		if (i % 2) {
			pq_map_begin(w, 3);
			if (i % 4 == 1)
				pq_map_put(w, 3, "k", 1, NULL, 0);
		}
		TAP_CHECK(pq_writer_end_row(w, &cause) == 0);
		if (pq_writer_buffered_bytes(w) > maxbuf)
			maxbuf = pq_writer_buffered_bytes(w);
		if (i == 10000)
			TAP_CHECK(pq_writer_written_bytes(w) > 4);
	}
	TAP_CHECK(maxbuf < 2 * o.row_group_size);
	TAP_CHECK(pq_writer_close(w, &cause) == 0);
	m = pq_writer_metrics(w);
	TAP_CHECK_INT(m->record_count, 20000);
	TAP_CHECK_INT(m->file_size, s.b.len);
	TAP_CHECK(m->nsplits > 10 && m->split_offsets[0] == 4);
	TAP_CHECK(memcmp(s.b.data, "PAR1", 4) == 0);
	TAP_CHECK(memcmp(s.b.data + s.b.len - 4, "PAR1", 4) == 0);
	flen = le32(s.b.data + s.b.len - 8);
	TAP_CHECK(flen > 0 && flen < s.b.len);
	TAP_CHECK_INT(m->ncols, 5);
	TAP_CHECK_INT(m->cols[1].null_count, 6667);
	TAP_CHECK_INT(m->cols[2].lower_len, 4);
	TAP_CHECK(memcmp(m->cols[2].lower, "\xfe\xff\xff\xff", 4) == 0);
	TAP_CHECK(memcmp(m->cols[2].upper, "\x02\x00\x00\x00", 4) == 0);
	/* key: null map, empty map, entry, empty map: 1 in 4 is not null */
	TAP_CHECK_INT(m->cols[3].value_count, 20000);
	TAP_CHECK_INT(m->cols[3].null_count, 15000);
	TAP_CHECK_INT(m->cols[4].null_count, 20000);
	TAP_CHECK(!m->cols[3].has_bounds && m->cols[3].in_map);
	TAP_CHECK(m->cols[2].has_bounds && !m->cols[2].in_map);
	pq_writer_free(w);
	buf_free(&s.b);
}

/* A dictionary that outgrows its limit after pages were cut. */
static void
test_dict_fallback(void)
{
	static const struct pq_column c1[] = {
		{ "s", PQ_STRING, 1, 1, 0, 0, 0 },
	};
	struct pq_options	 o;
	struct pq_writer	*w;
	struct sink		 s;
	struct pq_leaf		*l;
	char			*cause = NULL, v[64];
	int			 i, n;

	memset(&s, 0, sizeof s);
	pq_options_default(&o);
	o.page_rows = 100;
	o.dict_size = 2048;
	w = pq_writer_new(c1, 1, &o, sink_cb, &s, &cause);
	l = &w->leaves[0];
	for (i = 0; i < 1000; i++) {
		n = snprintf(v, sizeof v, "v%d", i < 500 ? i % 3 : i);
		pq_put_bytes(w, 0, v, (size_t)n);
		pq_writer_end_row(w, &cause);
		if (i == 499)
			TAP_CHECK(l->dict_on && l->dict_pages == 5);
	}
	TAP_CHECK(!l->dict_on && l->dict_pages >= 6 && l->plain_pages >= 2);
	TAP_CHECK(l->ndict > 256 && l->dict.len > o.dict_size);
	pq_writer_flush(w, &cause);
	TAP_CHECK(l->dict_on && l->ndict == 0);
	w->opt.page_rows = 5000;
	/* high cardinality from the start: plain, no dictionary page */
	for (i = 0; i < 2000; i++) {
		n = snprintf(v, sizeof v, "u%d", i);
		pq_put_bytes(w, 0, v, (size_t)n);
		pq_writer_end_row(w, &cause);
	}
	TAP_CHECK(!l->dict_on && l->dict_pages == 0 && l->ndict == 0);
	TAP_CHECK(pq_writer_close(w, &cause) == 0);
	TAP_CHECK_INT(pq_writer_metrics(w)->record_count, 3000);
	pq_writer_free(w);
	buf_free(&s.b);
}

/* Values that differ in any one byte get entries of their own. */
static void
test_dict_one_byte(void)
{
	static const struct pq_column c[] = {
		{ "s", PQ_STRING, 1, 1, 0, 0, 0 },
		{ "i", PQ_INT32, 1, 2, 0, 0, 0 },
		{ "l", PQ_INT64, 1, 3, 0, 0, 0 },
	};
	struct pq_options	 o;
	struct pq_writer	*w;
	struct sink		 s;
	char			*cause = NULL, v[16];
	size_t			 len, pos;
	int			 rep, n = 0;

	memset(&s, 0, sizeof s);
	pq_options_default(&o);
	w = pq_writer_new(c, 3, &o, sink_cb, &s, &cause);
	for (rep = 0; rep < 2; rep++) {
		for (len = 0; len <= 9; len++) {
			for (pos = 0; pos <= len; pos++) {
				memset(v, 'a', len);
				if (pos < len)
					v[pos] = 'b';	/* pos == len: all 'a' */
				pq_put_bytes(w, 0, v, len);
				pq_put_int32(w, 1,
				    (int32_t)(1u << (pos * 3 % 32)));
				pq_put_int64(w, 2,
				    (int64_t)((uint64_t)1 << (pos * 7 % 64)));
				pq_writer_end_row(w, &cause);
				n++;
			}
		}
	}
	/* 1 + (1 + 1) + ... + (9 + 1) strings; ints by distinct shifts */
	TAP_CHECK(w->leaves[0].dict_on && w->leaves[0].ndict == 55);
	TAP_CHECK(w->leaves[1].dict_on && w->leaves[1].ndict == 10);
	TAP_CHECK(w->leaves[2].dict_on && w->leaves[2].ndict == 10);
	TAP_CHECK(pq_writer_close(w, &cause) == 0);
	TAP_CHECK_INT(pq_writer_metrics(w)->record_count, n);
	pq_writer_free(w);
	buf_free(&s.b);
}

/* Write rows of (partition, offset, value) and read both columns back. */
static void
read_back(enum pq_codec codec, int dictionary, size_t page_rows,
    size_t group_size, int rows)
{
	static const struct pq_column c[] = {
		{ "kafka_partition", PQ_INT32, 1, 4, 0, 0, 0 },
		{ "kafka_offset", PQ_INT64, 1, 5, 0, 0, 0 },
		{ "raw", PQ_BINARY, 1, 6, 0, 0, 0 },
	};
	struct pq_options	 o;
	struct pq_writer	*w;
	struct pqr_file		*f;
	struct sink		 s;
	int64_t			*part = NULL, *off = NULL;
	size_t			 np = 0, no = 0;
	char			*cause = NULL;
	int			 i, ok = 1;

	memset(&s, 0, sizeof s);
	pq_options_default(&o);
	o.codec = codec;
	o.dictionary = dictionary;
	o.page_rows = page_rows;
	o.row_group_size = group_size;
	w = pq_writer_new(c, 3, &o, sink_cb, &s, &cause);
	for (i = 0; i < rows; i++) {
		pq_put_int32(w, 0, i % 3 - 1);		/* -1, 0, 1 */
		pq_put_int64(w, 1, (int64_t)i * 7 + 5000000000LL);
		pq_put_bytes(w, 2, "{\"p\":1}", 7);
		TAP_CHECK(pq_writer_end_row(w, &cause) == 0);
	}
	TAP_CHECK(pq_writer_close(w, &cause) == 0);
	f = pqr_open(s.b.data, s.b.len, &cause);
	TAP_CHECK(f != NULL && pqr_rows(f) == rows);
	TAP_CHECK(f != NULL && pqr_column_int64(f, "kafka_partition", &part,
	    &np, &cause) == 0 && np == (size_t)rows);
	TAP_CHECK(f != NULL && pqr_column_int64(f, "kafka_offset", &off,
	    &no, &cause) == 0 && no == (size_t)rows);
	for (i = 0; part != NULL && off != NULL && i < rows; i++)
		ok &= part[i] == i % 3 - 1 && off[i] == (int64_t)i * 7 +
		    5000000000LL;
	TAP_CHECK(ok);
	free(off);
	off = NULL;
	TAP_CHECK(f != NULL && pqr_column_int64(f, "raw", &off, &no,
	    &cause) == -1 && strstr(cause, "not INT32") != NULL);
	free(cause);
	cause = NULL;
	TAP_CHECK(f != NULL && pqr_column_int64(f, "nosuch", &off, &no,
	    &cause) == -1 && strstr(cause, "no column") != NULL);
	free(cause);
	cause = NULL;
	free(part);
	pqr_close(f);
	/* every truncation of the file is refused, never misread */
	for (i = 0; i < 64 && (size_t)i < s.b.len; i++) {
		f = pqr_open(s.b.data, s.b.len - (size_t)i - 1, &cause);
		TAP_CHECK(f == NULL);
		free(cause);
		cause = NULL;
	}
	pq_writer_free(w);
	buf_free(&s.b);
}

/* pq-read reads back what the writer wrote, in every layout. */
static void
test_read_back(void)
{
	read_back(PQ_ZSTD, 1, 20000, 128 << 20, 10000);
	read_back(PQ_ZSTD, 0, 1000, 128 << 20, 10000);
	read_back(PQ_UNCOMPRESSED, 1, 333, 64 << 10, 20000);
	read_back(PQ_UNCOMPRESSED, 0, 20000, 128 << 20, 1);
#ifdef HAVE_SNAPPY
	read_back(PQ_SNAPPY, 1, 500, 32 << 10, 5000);
#endif
}

/* Files DuckDB wrote (OPTIONAL columns, v1 and v2 pages, delta). */
static void
test_read_foreign(void)
{
	static const struct {
		const char	*file;
		int64_t		 rows, step, parts;
	} f[] = {
		{ "duck-zstd.parquet", 60, 7, 3 },
		{ "duck-none.parquet", 40, 1, 1 },
		{ "duck-snappy-v2.parquet", 30, 1, 1 },
	};
	const char	*src = getenv("BRONZE_SRCDIR");
	struct pqr_file	*pf;
	struct buf	 b;
	int64_t		*part, *off, i;
	size_t		 np, no, k;
	char		 path[4096], chunk[4096], *cause = NULL;
	FILE		*fp;
	int		 ok;

	for (k = 0; k < sizeof f / sizeof f[0]; k++) {
#ifndef HAVE_SNAPPY
		if (strstr(f[k].file, "snappy") != NULL)
			continue;
#endif
		snprintf(path, sizeof path, "%s/t/fuzz/corpus/pqread/%s",
		    src != NULL ? src : ".", f[k].file);
		buf_init(&b);
		TAP_CHECK((fp = fopen(path, "rb")) != NULL);
		while (fp != NULL && (np = fread(chunk, 1, sizeof chunk, fp)) > 0)
			buf_append(&b, chunk, np);
		if (fp != NULL)
			fclose(fp);
		pf = pqr_open(b.data, b.len, &cause);
		TAP_CHECK(pf != NULL && pqr_rows(pf) == f[k].rows);
		part = off = NULL;
		ok = pf != NULL && pqr_column_int64(pf, "kafka_partition",
		    &part, &np, &cause) == 0 && pqr_column_int64(pf,
		    "kafka_offset", &off, &no, &cause) == 0;
		for (i = 0; ok && i < f[k].rows; i++)
			ok = off[i] == i * f[k].step && (f[k].parts == 1 ||
			    part[i] == i % f[k].parts);
		TAP_CHECK(ok);
		free(cause);
		cause = NULL;
		free(part);
		free(off);
		pqr_close(pf);
		buf_free(&b);
	}
}

static const struct tap_case cases[] = {
	{ "thrift fields, deltas, zigzag extremes", test_thrift_fields },
	{ "thrift lists and nested structs", test_thrift_lists_nesting },
	{ "thrift SchemaElement example", test_thrift_schema_element },
	{ "rle/bit-packed hybrid exact bytes", test_rle_exact },
	{ "rle/bit-packed hybrid round trip", test_rle_roundtrip },
	{ "iceberg bound truncation", test_bounds },
	{ "zero rows, sink failure, bad codec", test_zero_rows_and_failures },
	{ "layout, memory bound, metrics", test_layout_and_memory },
	{ "dictionary fallback", test_dict_fallback },
	{ "dictionary: values one byte apart", test_dict_one_byte },
	{ "pq-read reads every layout back", test_read_back },
	{ "pq-read reads DuckDB's files", test_read_foreign },
};

TAP_MAIN(cases)
