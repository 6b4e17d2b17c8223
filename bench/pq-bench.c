/*
 * pq-bench.c: Parquet writer throughput on realistic trade messages.
 *
 * Generates N bronze-schema rows (~200-byte JSON trade messages, keys,
 * two topics, 12 partitions, timestamps, a few headers) in memory, then
 * times writing them with the bronzed writer and prints one JSON object
 * with the timings and memory (peak RSS before and after the write).
 * With -r FILE it only writes the same rows uncompressed, so that another
 * engine can load exactly the same data.
 *
 * usage: pq-bench [-D] [-n rows] [-c zstd|snappy|none] [-l level]
 *        [-p page-bytes] [-o out] [-r rows.parquet]
 *        (-D: no dictionary encoding; -p: uncompressed page size)
 */
#include <sys/resource.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "parquet.h"
#include "xmalloc.h"

static const struct pq_column bench_cols[] = {
	{ "raw_value", PQ_BINARY, 1, 1, 0, 0, 0 },
	{ "message_key", PQ_BINARY, 0, 2, 0, 0, 0 },
	{ "topic", PQ_STRING, 1, 3, 0, 0, 0 },
	{ "kafka_partition", PQ_INT32, 1, 4, 0, 0, 0 },
	{ "kafka_offset", PQ_INT64, 1, 5, 0, 0, 0 },
	{ "kafka_timestamp", PQ_TIMESTAMPTZ, 0, 6, 0, 0, 0 },
	{ "ingestion_timestamp", PQ_TIMESTAMPTZ, 1, 7, 0, 0, 0 },
	{ "headers", PQ_MAP, 0, 8, 9, 10, 0 },
};

struct row {
	uint32_t	off;		/* raw_value in the arena */
	uint16_t	len;
	uint8_t		keylen;		/* 0: null key */
	uint8_t		topic;
	int32_t		partition;
	int64_t		offset;
	int64_t		ts;		/* INT64_MIN: null */
	int64_t		ingest;
	uint8_t		nhdr;		/* 0xff: null map */
	char		key[15];
};

static const char *bench_topics[] = { "binance.raw", "kraken.raw" };
static const char *bench_syms[] = { "btcusdt", "ethusdt", "solusdt",
    "bnbusdt", "xrpusdt", "dogeusdt", "adausdt", "ethbtc" };

static uint64_t bench_rng = 0x9e3779b97f4a7c15ull;

static uint64_t
bench_rand(void)
{
	bench_rng ^= bench_rng << 13;
	bench_rng ^= bench_rng >> 7;
	bench_rng ^= bench_rng << 17;
	return (bench_rng);
}

/* One Binance-style combined-stream trade message. */
static void
bench_row(struct buf *arena, struct row *r, size_t i)
{
	const char	*sym = bench_syms[bench_rand() % 8];
	int64_t		 t = 1763800000000 + (int64_t)(i / 10);
	size_t		 at = arena->len;

	buf_printf(arena, "{\"stream\":\"%s@trade\",\"data\":{\"e\":\"trade\","
	    "\"E\":%" PRId64 ",\"s\":\"%s\",\"t\":%" PRIu64 ",\"p\":\"%" PRIu64
	    ".%02u000000\",\"q\":\"0.%05u000\",\"T\":%" PRId64 ",\"m\":%s,"
	    "\"M\":true}}", sym, t, sym, (uint64_t)(4200000000ull + i),
	    90000 + bench_rand() % 9000, (unsigned)(bench_rand() % 100),
	    (unsigned)(bench_rand() % 100000), t - (int64_t)(bench_rand() % 3),
	    bench_rand() % 2 ? "true" : "false");
	r->off = (uint32_t)at;
	r->len = (uint16_t)(arena->len - at);
	r->keylen = (uint8_t)snprintf(r->key, sizeof r->key, "%s", sym);
	r->topic = (uint8_t)(i % 7 == 0);
	r->partition = (int32_t)(bench_rand() % 12);
	r->offset = 1000000 + (int64_t)i;
	r->ts = i % 50 == 0 ? INT64_MIN : t * 1000;
	r->ingest = t * 1000 + 350000 + (int64_t)(bench_rand() % 1000);
	r->nhdr = bench_rand() % 5 == 0 ? (uint8_t)(1 + i % 2) : 0xff;
}

/* Logical input bytes of a row, the same count for every engine. */
static size_t
bench_row_bytes(const struct row *r)
{
	return (r->len + r->keylen + strlen(bench_topics[r->topic]) + 4 + 8 +
	    8 + 8 + (r->nhdr == 0xff ? 0 : r->nhdr * 20u));
}

static void
bench_put(struct pq_writer *w, const struct buf *arena, const struct row *r)
{
	static const char	*hk[] = { "trace-id", "content-type" };
	static const char	*hv[] = { "00-4bf92f3577b34da6-01",
	    "application/json" };
	const char		*t = bench_topics[r->topic];
	int			 h;

	pq_put_bytes(w, 0, arena->data + r->off, r->len);
	if (r->keylen > 0)
		pq_put_bytes(w, 1, r->key, r->keylen);
	pq_put_bytes(w, 2, t, strlen(t));
	pq_put_int32(w, 3, r->partition);
	pq_put_int64(w, 4, r->offset);
	if (r->ts != INT64_MIN)
		pq_put_int64(w, 5, r->ts);
	pq_put_int64(w, 6, r->ingest);
	if (r->nhdr != 0xff) {
		pq_map_begin(w, 7);
		for (h = 0; h < r->nhdr; h++)
			pq_map_put(w, 7, hk[h], strlen(hk[h]), hv[h],
			    strlen(hv[h]));
	}
}

static int
bench_sink(void *arg, const void *p, size_t len)
{
	return (fwrite(p, 1, len, arg) == len ? 0 : -1);
}

static double
bench_now(clockid_t clk)
{
	struct timespec	ts;

	clock_gettime(clk, &ts);
	return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Write all rows to path with the given options; returns file size. */
static long
bench_write(const char *path, const struct pq_options *o,
    const struct buf *arena, const struct row *rows, size_t n)
{
	struct pq_writer	*w;
	FILE			*f;
	char			*cause = NULL;
	size_t			 i;
	long			 size;

	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(1);
	}
	w = pq_writer_new(bench_cols, 8, o, bench_sink, f, &cause);
	if (w == NULL) {
		fprintf(stderr, "pq-bench: %s\n", cause);
		exit(1);
	}
	for (i = 0; i < n; i++) {
		bench_put(w, arena, &rows[i]);
		if (pq_writer_end_row(w, &cause) != 0) {
			fprintf(stderr, "pq-bench: %s\n", cause);
			exit(1);
		}
	}
	if (pq_writer_close(w, &cause) != 0 || fflush(f) != 0) {
		fprintf(stderr, "pq-bench: close failed\n");
		exit(1);
	}
	size = (long)pq_writer_metrics(w)->file_size;
	pq_writer_free(w);
	fclose(f);
	return (size);
}

static long
bench_maxrss(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_maxrss);
}

/* The measured write, reported as one JSON line. */
static void
bench_timed(const struct pq_options *o, const char *out,
    const struct buf *arena, const struct row *rows, size_t n, size_t bytes)
{
	double	w0, c0, wall, cpu;
	long	rss0, size;

	rss0 = bench_maxrss();
	w0 = bench_now(CLOCK_MONOTONIC);
	c0 = bench_now(CLOCK_PROCESS_CPUTIME_ID);
	size = bench_write(out, o, arena, rows, n);
	wall = bench_now(CLOCK_MONOTONIC) - w0;
	cpu = bench_now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("{\"rows\":%zu,\"input_bytes\":%zu,\"wall_s\":%.4f,"
	    "\"cpu_s\":%.4f,\"file_bytes\":%ld,\"rss_before_kb\":%ld,"
	    "\"rss_peak_kb\":%ld,\"codec\":%d,\"level\":%d,\"page_size\":%zu}\n",
	    n, bytes, wall, cpu, size, rss0, bench_maxrss(), (int)o->codec,
	    o->level, o->page_size);
}

int
main(int argc, char **argv)
{
	struct pq_options	 o, raw;
	struct buf		 arena = BUF_INIT;
	struct row		*rows;
	const char		*out = "pq-bench.parquet", *rawpath = NULL;
	size_t			 n = 1000000, i, bytes = 0;
	int			 ch;

	pq_options_default(&o);
	while ((ch = getopt(argc, argv, "Dc:l:n:o:p:r:")) != -1) {
		switch (ch) {
		case 'D':
			o.dictionary = 0;
			break;
		case 'c':
			if (pq_codec_from_name(optarg, &o.codec) != 0) {
				fprintf(stderr, "pq-bench: bad codec\n");
				return (2);
			}
			break;
		case 'l':
			o.level = (int)strtol(optarg, NULL, 10);
			break;
		case 'n':
			n = strtoul(optarg, NULL, 10);
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			o.page_size = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rawpath = optarg;
			break;
		default:
			fprintf(stderr, "usage: pq-bench [-D] [-n rows] [-c codec] "
			    "[-l level] [-p page-bytes] [-o out] [-r rows.parquet]\n");
			return (2);
		}
	}
	rows = xcalloc(n, sizeof *rows);
	buf_reserve(&arena, n * 256);	/* no realloc: RSS stays honest */
	for (i = 0; i < n; i++) {
		bench_row(&arena, &rows[i], i);
		bytes += bench_row_bytes(&rows[i]);
	}
	if (rawpath != NULL) {
		pq_options_default(&raw);
		raw.codec = PQ_UNCOMPRESSED;
		bench_write(rawpath, &raw, &arena, rows, n);
	} else
		bench_timed(&o, out, &arena, rows, n, bytes);
	free(rows);
	buf_free(&arena);
	return (0);
}
