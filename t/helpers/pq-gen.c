/*
 * pq-gen.c: writes Parquet files for named scenarios with the bronzed
 * writer, and beside each NAME.parquet a NAME.json holding the schema, the
 * writer's options, the expected rows (binary as base64, longs as decimal
 * strings, maps as [key, base64|null] pairs) and the metrics the writer
 * reported, for t/20-parquet-read.mjs to check with independent readers.
 *
 * usage: pq-gen OUTDIR [SCENARIO...]   (no scenario: all of them)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "parquet.h"
#include "xmalloc.h"

struct gen {
	struct pq_writer	*w;
	struct buf		 json;	/* rows as JSON arrays */
	uint64_t		 rng;
	size_t			 col;	/* next column of the row */
	int			 big;	/* scenario knob */
};

struct scenario {
	const char		*name;
	const struct pq_column	*cols;
	size_t			 ncols;
	size_t			 nrows;
	void			(*opts)(struct pq_options *);
	void			(*row)(struct gen *, size_t);
};

static uint64_t
gen_rand(struct gen *g)
{
	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	return (g->rng);
}

static size_t
gen_below(struct gen *g, size_t n)
{
	return ((size_t)(gen_rand(g) % n));
}

static void
json_sep(struct gen *g)
{
	buf_putc(&g->json, g->col++ == 0 ? '[' : ',');
}

static void
json_b64(struct buf *b, const uint8_t *p, size_t len)
{
	static const char	 a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t		 v;
	size_t			 i;

	buf_putc(b, '"');
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		buf_putc(b, a[v >> 18]);
		buf_putc(b, a[(v >> 12) & 63]);
		buf_putc(b, a[(v >> 6) & 63]);
		buf_putc(b, a[v & 63]);
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		buf_printf(b, "%c%c==", a[v >> 18], a[(v >> 12) & 63]);
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		buf_printf(b, "%c%c%c=", a[v >> 18], a[(v >> 12) & 63],
		    a[(v >> 6) & 63]);
	}
	buf_putc(b, '"');
}

/* A JSON string of valid UTF-8 text. */
static void
json_str(struct buf *b, const char *s, size_t len)
{
	size_t	i;

	buf_putc(b, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_printf(b, "\\%c", s[i]);
		else if ((uint8_t)s[i] < 0x20)
			buf_printf(b, "\\u%04x", s[i]);
		else
			buf_putc(b, (uint8_t)s[i]);
	}
	buf_putc(b, '"');
}

static void
put_i32(struct gen *g, int32_t v)
{
	json_sep(g);
	buf_printf(&g->json, "%" PRId32, v);
	pq_put_int32(g->w, g->col - 1, v);
}

static void
put_i64(struct gen *g, int64_t v)
{
	json_sep(g);
	buf_printf(&g->json, "\"%" PRId64 "\"", v);
	pq_put_int64(g->w, g->col - 1, v);
}

static void
put_bin(struct gen *g, const void *p, size_t len)
{
	json_sep(g);
	json_b64(&g->json, p, len);
	pq_put_bytes(g->w, g->col - 1, p, len);
}

static void
put_str(struct gen *g, const char *s, size_t len)
{
	json_sep(g);
	json_str(&g->json, s, len);
	pq_put_bytes(g->w, g->col - 1, s, len);
}

static void
put_null(struct gen *g)
{
	json_sep(g);
	buf_puts(&g->json, "null");
	pq_put_null(g->w, g->col - 1);
}

/* A map of n entries with distinct keys; every third value null. */
static void
put_map(struct gen *g, size_t n)
{
	static const char *keys[] = { "trace-id", "content-type", "source",
	    "x-retry", "\xc3\xa9t\xc3\xa9", "" };
	uint8_t		 val[24];
	size_t		 i, j, first = gen_below(g, 6), vlen;
	const char	*k;

	json_sep(g);
	buf_putc(&g->json, '[');
	pq_map_begin(g->w, g->col - 1);
	for (i = 0; i < n && i < 6; i++) {
		k = keys[(first + i) % 6];
		vlen = gen_below(g, sizeof val);
		for (j = 0; j < vlen; j++)
			val[j] = (uint8_t)gen_rand(g);
		buf_printf(&g->json, "%s[", i ? "," : "");
		json_str(&g->json, k, strlen(k));
		buf_putc(&g->json, ',');
		if (gen_below(g, 3) == 0) {
			buf_puts(&g->json, "null");
			pq_map_put(g->w, g->col - 1, k, strlen(k), NULL, 0);
		} else {
			json_b64(&g->json, val, vlen);
			pq_map_put(g->w, g->col - 1, k, strlen(k), val, vlen);
		}
		buf_putc(&g->json, ']');
	}
	buf_putc(&g->json, ']');
}

/* A realistic exchange trade message, 150-300 bytes of JSON. */
static size_t
trade_msg(struct gen *g, size_t i, char *out, size_t size)
{
	static const char *sym[] = { "BTCUSDT", "ETHUSDT", "SOLUSDT",
	    "XBT/USD", "ETH/EUR", "DOGEUSDT" };
	int64_t	ts = 1763800000000 + (int64_t)i * 7;
	int	n;

	n = snprintf(out, size, "{\"e\":\"trade\",\"E\":%" PRId64 ",\"s\":"
	    "\"%s\",\"t\":%" PRIu64 ",\"p\":\"%zu.%08zu\",\"q\":\"%zu.%08zu\","
	    "\"b\":%" PRIu64 ",\"a\":%" PRIu64 ",\"T\":%" PRId64 ",\"m\":%s,"
	    "\"M\":true,\"x\":\"%.*s\"}", ts, sym[gen_below(g, 6)],
	    (uint64_t)(5000000000ull + i), gen_below(g, 100000), gen_below(g, 100000000),
	    gen_below(g, 100), gen_below(g, 100000000),
	    gen_rand(g) % UINT64_C(100000000000),
	    gen_rand(g) % UINT64_C(100000000000),
	    ts - (int64_t)gen_below(g, 5), gen_below(g, 2) ? "true" : "false",
	    (int)gen_below(g, 100), "abcdefghijklmnopqrstuvwxyz0123456789"
	    "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
	    "0123456789");
	return ((size_t)n);
}

#define NCOLS(a) (sizeof (a) / sizeof (a)[0])

static const struct pq_column bronze_cols[] = {
	{ "raw_value", PQ_BINARY, 1, 1, 0, 0, 0 },
	{ "message_key", PQ_BINARY, 0, 2, 0, 0, 0 },
	{ "topic", PQ_STRING, 1, 3, 0, 0, 0 },
	{ "kafka_partition", PQ_INT32, 1, 4, 0, 0, 0 },
	{ "kafka_offset", PQ_INT64, 1, 5, 0, 0, 0 },
	{ "kafka_timestamp", PQ_TIMESTAMPTZ, 0, 6, 0, 0, 0 },
	{ "ingestion_timestamp", PQ_TIMESTAMPTZ, 1, 7, 0, 0, 0 },
	{ "headers", PQ_MAP, 0, 8, 9, 10, 0 },
};

/* The bronze schema with raw_value as a string (value-type: string). */
static struct pq_column bronze_str_cols[NCOLS(bronze_cols)];

/* One bronze row: realistic values, some nulls, random headers. */
static void
row_bronze(struct gen *g, size_t i)
{
	static const char	*topics[] = { "binance.raw", "kraken.raw" };
	char			 msg[512], key[32];
	size_t			 n = trade_msg(g, i, msg, sizeof msg);
	const char		*t = topics[gen_below(g, 2)];

	if (g->big)
		put_str(g, msg, n);
	else
		put_bin(g, msg, n);
	if (gen_below(g, 4) == 0)
		put_null(g);
	else
		put_bin(g, key, (size_t)snprintf(key, sizeof key, "k%zu",
		    gen_below(g, 50)));
	put_str(g, t, strlen(t));
	put_i32(g, (int32_t)gen_below(g, 12));
	put_i64(g, 1000000 + (int64_t)i);
	if (gen_below(g, 10) == 0)
		put_null(g);
	else
		put_i64(g, 1763800000000000 + (int64_t)i * 7000);
	put_i64(g, 1763800000500000 + (int64_t)i * 7001);
	if (gen_below(g, 5) == 0)
		put_null(g);
	else
		put_map(g, gen_below(g, 4));
}

static const struct pq_column mixed_cols[] = {
	{ "i", PQ_INT32, 0, 1, 0, 0, 0 },
	{ "l", PQ_INT64, 0, 2, 0, 0, 0 },
	{ "s", PQ_STRING, 0, 3, 0, 0, 0 },
	{ "b", PQ_BINARY, 0, 4, 0, 0, 0 },
	{ "ts", PQ_TIMESTAMPTZ, 0, 5, 0, 0, 0 },
	{ "m", PQ_MAP, 0, 6, 7, 8, 0 },
	{ "r", PQ_INT64, 1, 9, 0, 0, 1 },
};

/* Edge values: extremes, empty strings and maps, nulls, non-UTF-8. */
static void
row_edges(struct gen *g, size_t i)
{
	static const int32_t	 i32[] = { INT32_MIN, -1, 0, 1, INT32_MAX };
	static const int64_t	 i64[] = { INT64_MIN, -1, 0, 1, INT64_MAX };
	static const char	*strs[] = { "", "a", "\xc3\xa9t\xc3\xa9",
	    "\xf0\x9f\x98\x80 emoji", "a longer string of more than sixteen "
	    "characters", "\xf4\x8f\xbf\xbf\xf4\x8f\xbf\xbf" };
	uint8_t			 b[40];
	size_t			 k, n = gen_below(g, sizeof b);

	for (k = 0; k < n; k++)
		b[k] = (uint8_t)(0x80 | gen_rand(g));
	if (i % 7 == 3)
		put_null(g);
	else
		put_i32(g, i32[gen_below(g, 5)]);
	if (i % 5 == 1)
		put_null(g);
	else
		put_i64(g, i64[gen_below(g, 5)]);
	k = gen_below(g, 7);
	if (k == 6)
		put_null(g);
	else
		put_str(g, strs[k], strlen(strs[k]));
	if (i % 4 == 0)
		put_null(g);
	else
		put_bin(g, b, i % 4 == 1 ? 0 : n);
	put_i64(g, -86400000000 + (int64_t)i * 1000);
	if (i % 3 == 0)
		put_null(g);
	else
		put_map(g, gen_below(g, 3));
	put_i64(g, (int64_t)i);
}

/* Every optional column null. */
static void
row_nulls(struct gen *g, size_t i)
{
	size_t	c;

	for (c = 0; c < 6; c++)
		put_null(g);
	put_i64(g, (int64_t)i);
}

/* Values far larger than a page (3 MB) between small ones. */
static void
row_big(struct gen *g, size_t i)
{
	static uint8_t	big[3 * 1024 * 1024];
	size_t		k;

	for (k = 0; k < sizeof big; k += 1 + k % 13)
		big[k] = (uint8_t)gen_rand(g);
	put_i32(g, (int32_t)i);
	put_null(g);
	put_str(g, "small", 5);
	if (i % 2 == 1)
		put_bin(g, big, sizeof big - i);
	else
		put_bin(g, "x", 1);
	put_null(g);
	put_null(g);
	put_i64(g, (int64_t)i);
}

static const struct pq_column dict_cols[] = {
	{ "low", PQ_STRING, 1, 1, 0, 0, 0 },
	{ "grow", PQ_STRING, 0, 2, 0, 0, 0 },
	{ "n", PQ_INT32, 1, 3, 0, 0, 0 },
	{ "u", PQ_INT64, 1, 4, 0, 0, 0 },
	{ "rm", PQ_MAP, 1, 5, 6, 7, 0 },
};

/*
 * A low-cardinality column, one that turns high-cardinality midway, and
 * a required map.
 */
static void
row_dict(struct gen *g, size_t i)
{
	char	s[64];
	int	n;

	n = snprintf(s, sizeof s, "sym-%zu", gen_below(g, 5));
	put_str(g, s, (size_t)n);
	if (i % 11 == 0)
		put_null(g);
	else {
		n = snprintf(s, sizeof s, "value-%zu-%s", i < 3000 ?
		    gen_below(g, 4) : i, "padding-padding-padding");
		put_str(g, s, (size_t)n);
	}
	put_i32(g, (int32_t)gen_below(g, 3) - 1);
	put_i64(g, (int64_t)gen_rand(g));
	put_map(g, gen_below(g, 4));	/* required: empty, never null */
}

static void
opts_zstd(struct pq_options *o)
{
	o->codec = PQ_ZSTD;
}

static void
opts_snappy(struct pq_options *o)
{
	if (pq_codec_from_name("snappy", &o->codec) != 0)
		o->codec = PQ_UNCOMPRESSED;	/* built without snappy */
	o->row_group_size = 200 * 1024;
}

static void
opts_none(struct pq_options *o)
{
	o->codec = PQ_UNCOMPRESSED;
}

static void
opts_small_rg(struct pq_options *o)
{
	o->codec = PQ_ZSTD;
	o->level = 3;
	o->row_group_size = 16 * 1024;
	o->page_rows = 100;
}

static void
opts_dict(struct pq_options *o)
{
	o->codec = PQ_ZSTD;
	o->page_rows = 1000;
	o->dict_size = 8 * 1024;
}

static void
opts_plain(struct pq_options *o)
{
	o->codec = PQ_UNCOMPRESSED;
	o->dictionary = 0;
}

static const struct scenario scenarios[] = {
	{ "bronze", bronze_cols, NCOLS(bronze_cols), 3000, opts_zstd,
	    row_bronze },
	{ "bronze_string_snappy", bronze_str_cols, NCOLS(bronze_str_cols),
	    2500, opts_snappy, row_bronze },
	{ "bronze_none", bronze_cols, NCOLS(bronze_cols), 1500, opts_none,
	    row_bronze },
	{ "edges", mixed_cols, NCOLS(mixed_cols), 2000, opts_zstd, row_edges },
	{ "edges_plain", mixed_cols, NCOLS(mixed_cols), 700, opts_plain,
	    row_edges },
	{ "nulls", mixed_cols, NCOLS(mixed_cols), 500, opts_zstd, row_nulls },
	{ "one_row", bronze_cols, NCOLS(bronze_cols), 1, opts_zstd,
	    row_bronze },
	{ "big_values", mixed_cols, NCOLS(mixed_cols), 4, opts_none,
	    row_big },
	{ "many_row_groups", bronze_cols, NCOLS(bronze_cols), 2000,
	    opts_small_rg, row_bronze },
	{ "dict_fallback", dict_cols, NCOLS(dict_cols), 6000, opts_dict,
	    row_dict },
};

static int
gen_sink(void *arg, const void *p, size_t len)
{
	return (fwrite(p, 1, len, arg) == len ? 0 : -1);
}

static const char *
gen_type(enum pq_type t)
{
	static const char *names[] = { "int32", "int64", "timestamptz",
	    "binary", "string", "map" };

	return (names[t]);
}

static void
json_hex(struct buf *b, const uint8_t *p, size_t len)
{
	size_t	i;

	buf_putc(b, '"');
	for (i = 0; i < len; i++)
		buf_printf(b, "%02x", p[i]);
	buf_putc(b, '"');
}

/* The sidecar: schema, options, metrics, then the rows. */
static void
gen_sidecar(FILE *f, const struct scenario *s, const struct pq_options *o,
    const struct pq_metrics *m, struct buf *rows)
{
	struct buf			 b = BUF_INIT;
	const struct pq_col_metrics	*c;
	size_t				 i;

	buf_printf(&b, "{\"name\":\"%s\",\"codec\":%d,\"dictionary\":%d,"
	    "\"kv\":[", s->name, (int)o->codec, o->dictionary);
	for (i = 0; i < o->nkv; i++) {
		buf_printf(&b, "%s[", i ? "," : "");
		json_str(&b, o->kv[i].key, strlen(o->kv[i].key));
		buf_putc(&b, ',');
		json_str(&b, o->kv[i].value, strlen(o->kv[i].value));
		buf_putc(&b, ']');
	}
	buf_puts(&b, "],\"schema\":[");
	for (i = 0; i < s->ncols; i++)
		buf_printf(&b, "%s{\"name\":\"%s\",\"type\":\"%s\","
		    "\"required\":%s,\"id\":%d,\"key_id\":%d,\"value_id\":%d}",
		    i ? "," : "", s->cols[i].name, gen_type(s->cols[i].type),
		    s->cols[i].required ? "true" : "false",
		    (int)s->cols[i].field_id, (int)s->cols[i].key_id,
		    (int)s->cols[i].value_id);
	buf_printf(&b, "],\"metrics\":{\"record_count\":%" PRId64 ","
	    "\"file_size\":%" PRId64 ",\"split_offsets\":[", m->record_count,
	    m->file_size);
	for (i = 0; i < m->nsplits; i++)
		buf_printf(&b, "%s%" PRId64, i ? "," : "", m->split_offsets[i]);
	buf_puts(&b, "],\"columns\":[");
	for (i = 0; i < m->ncols; i++) {
		c = &m->cols[i];
		buf_printf(&b, "%s{\"id\":%d,\"size\":%" PRId64 ",\"values\":%"
		    PRId64 ",\"nulls\":%" PRId64 ",\"lower\":", i ? "," : "",
		    (int)c->field_id, c->column_size, c->value_count,
		    c->null_count);
		if (c->has_bounds) {
			json_hex(&b, c->lower, c->lower_len);
			buf_puts(&b, ",\"upper\":");
			json_hex(&b, c->upper, c->upper_len);
		} else
			buf_puts(&b, "null,\"upper\":null");
		buf_putc(&b, '}');
	}
	buf_puts(&b, "]},\"rows\":[");
	fwrite(b.data, 1, b.len, f);
	if (rows->len > 0)
		fwrite(rows->data, 1, rows->len - 2, f);	/* last ",\n" */
	fputs("]}\n", f);
	buf_free(&b);
}

static int
gen_one(const char *dir, const struct scenario *s)
{
	struct pq_kv		 kv[] = {
		{ "iceberg.schema", "{\"type\":\"struct\",\"schema-id\":0,"
		    "\"fields\":[]}" },
		{ "pq-gen.scenario", NULL },
	};
	struct pq_options	 o;
	struct gen		 g;
	FILE			*f, *sf;
	char			*path, *cause = NULL;
	size_t			 i;

	kv[1].value = s->name;
	pq_options_default(&o);
	o.kv = kv;
	o.nkv = 2;
	s->opts(&o);
	memset(&g, 0, sizeof g);
	g.rng = 0x2545f4914f6cdd1dull ^ strlen(s->name);
	g.big = s->cols == bronze_str_cols;
	path = xasprintf("%s/%s.parquet", dir, s->name);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		return (-1);
	}
	free(path);
	g.w = pq_writer_new(s->cols, s->ncols, &o, gen_sink, f, &cause);
	if (g.w == NULL) {
		fprintf(stderr, "%s: %s\n", s->name, cause);
		return (-1);
	}
	for (i = 0; i < s->nrows; i++) {
		g.col = 0;
		s->row(&g, i);
		buf_puts(&g.json, "],\n");
		if (pq_writer_end_row(g.w, &cause) != 0)
			return (-1);
	}
	if (pq_writer_close(g.w, &cause) != 0 || fclose(f) != 0)
		return (-1);
	path = xasprintf("%s/%s.json", dir, s->name);
	if ((sf = fopen(path, "w")) == NULL)
		return (-1);
	gen_sidecar(sf, s, &o, pq_writer_metrics(g.w), &g.json);
	fclose(sf);
	free(path);
	pq_writer_free(g.w);
	buf_free(&g.json);
	return (0);
}

int
main(int argc, char **argv)
{
	size_t	i;
	int	j, want;

	memcpy(bronze_str_cols, bronze_cols, sizeof bronze_cols);
	bronze_str_cols[0].type = PQ_STRING;
	if (argc < 2) {
		fprintf(stderr, "usage: pq-gen OUTDIR [SCENARIO...]\n");
		return (2);
	}
	for (i = 0; i < NCOLS(scenarios); i++) {
		want = argc == 2;
		for (j = 2; j < argc; j++)
			want |= strcmp(argv[j], scenarios[i].name) == 0;
		if (!want)
			continue;
		if (gen_one(argv[1], &scenarios[i]) != 0) {
			fprintf(stderr, "pq-gen: %s failed\n",
			    scenarios[i].name);
			return (1);
		}
		printf("%s\n", scenarios[i].name);
	}
	return (0);
}
