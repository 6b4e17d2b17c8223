/*
 * parquet.h: a streaming Parquet writer for flat-ish Iceberg schemas.
 *
 * Columns are INT32, INT64, TIMESTAMPTZ (INT64 micros, UTC), BINARY,
 * STRING (BYTE_ARRAY + UTF8) and MAP<string, binary> (Iceberg map: optional
 * group, repeated key_value, required key, optional value), required or
 * optional, each with an Iceberg field id.  Values are appended row by row
 * into per-column pages; a page is encoded (PLAIN, or RLE_DICTIONARY while
 * the dictionary pays) and compressed (ZSTD, SNAPPY, none) as it fills;
 * a row group is written to the sink when it reaches its size or when the
 * caller ends it.  The writer holds at most one row group's pages.
 *
 * Bytes go out through the caller's sink, in file order, never seeked.
 * The first bytes ("PAR1") are written with the first row group: a writer
 * closed with no rows emits nothing at all and reports record_count 0 (the
 * caller must not publish such a file: Iceberg data files hold rows).
 *
 * Ownership: pq_writer_new copies the schema and options (names, key/value
 * metadata); the caller keeps its own.  The metrics returned by
 * pq_writer_metrics belong to the writer and live until pq_writer_free.
 * Errors (only the sink can fail) return -1 and set a heap *cause; after an
 * error the writer accepts nothing but pq_writer_free.  Misuse (a required
 * column left unset, a value of the wrong type) is fatal.
 */
#ifndef BRONZE_PARQUET_H
#define BRONZE_PARQUET_H

#include <stddef.h>
#include <stdint.h>

enum pq_type {
	PQ_INT32,
	PQ_INT64,
	PQ_TIMESTAMPTZ,		/* INT64, microseconds since epoch, UTC */
	PQ_BINARY,
	PQ_STRING,
	PQ_MAP			/* map<string, binary>: two leaves */
};

enum pq_codec {
	PQ_UNCOMPRESSED = 0,
	PQ_SNAPPY = 1,		/* only when built with HAVE_SNAPPY */
	PQ_ZSTD = 6
};

struct pq_column {
	const char	*name;
	enum pq_type	 type;
	int		 required;
	int32_t		 field_id;
	int32_t		 key_id;	/* PQ_MAP: key field id */
	int32_t		 value_id;	/* PQ_MAP: value field id */
	int		 no_dict;	/* never dictionary-encode */
};

struct pq_kv {
	const char	*key;
	const char	*value;
};

/*
 * A page is compressed in one piece when it is cut, on the caller's thread:
 * 128 KB (zstd's own block size) keeps that under a millisecond of the
 * event loop, where 1 MB pages took 4-6 ms at every checkpoint; files came
 * out the same size (bench/pq-bench -p).
 */
#define PQ_PAGE_SIZE_DEFAULT	(128 * 1024)

struct pq_options {
	enum pq_codec	 codec;
	int		 level;		/* zstd level, default 1 */
	size_t		 page_size;	/* uncompressed, default 128 KB */
	size_t		 page_rows;	/* level entries, default 20000 */
	size_t		 row_group_size; /* buffered bytes, default 128 MB */
	size_t		 dict_size;	/* dictionary limit, default 1 MB */
	int		 dictionary;	/* default 1 */
	const struct pq_kv *kv;		/* footer key_value_metadata */
	size_t		 nkv;
	const char	*created_by;	/* default "bronzed version X" */
};

/* Iceberg metrics of one leaf column (keyed by field id). */
struct pq_col_metrics {
	int32_t		 field_id;
	int		 in_map;	/* a map key or value: no bounds */
	int64_t		 column_size;	/* compressed chunk bytes */
	int64_t		 value_count;	/* level entries, nulls included (map
					   entries, plus 1 per null or empty
					   map, as Parquet counts them) */
	int64_t		 null_count;
	int		 has_bounds;
	size_t		 lower_len;
	size_t		 upper_len;
	uint8_t		 lower[68];	/* single-value serialization */
	uint8_t		 upper[68];
};

struct pq_metrics {
	int64_t			 record_count;
	int64_t			 file_size;
	const struct pq_col_metrics *cols;	/* one per leaf */
	size_t			 ncols;
	const int64_t		*split_offsets;	/* row group offsets */
	size_t			 nsplits;
};

typedef int (*pq_sink_fn)(void *, const void *, size_t);

struct pq_writer;

void		 pq_options_default(struct pq_options *);
/* Codec by name ("zstd", "snappy", "none"/"uncompressed"); -1 if unknown. */
int		 pq_codec_from_name(const char *, enum pq_codec *);

struct pq_writer *pq_writer_new(const struct pq_column *, size_t,
		     const struct pq_options *, pq_sink_fn, void *, char **);
void		 pq_writer_free(struct pq_writer *);

/*
 * One row: set each column at most once (by index in the schema), then
 * pq_writer_end_row.  Unset optional columns are null.  Bytes are copied.
 * A map is pq_map_begin (an empty map) plus pq_map_put per entry (a NULL
 * value pointer is a null value); pq_put_null makes the map itself null.
 * Map keys are not checked for uniqueness: Iceberg maps should not repeat
 * a key (DuckDB reads repeats as given, hyparquet keeps the last one).
 */
void		 pq_put_int32(struct pq_writer *, size_t, int32_t);
void		 pq_put_int64(struct pq_writer *, size_t, int64_t);
void		 pq_put_bytes(struct pq_writer *, size_t, const void *, size_t);
void		 pq_put_null(struct pq_writer *, size_t);
void		 pq_map_begin(struct pq_writer *, size_t);
void		 pq_map_put(struct pq_writer *, size_t, const void *, size_t,
		     const void *, size_t);
int		 pq_writer_end_row(struct pq_writer *, char **);

/* End the current row group now, between rows (no-op when empty). */
int		 pq_writer_flush(struct pq_writer *, char **);
/* Bytes held in memory (pages of the open row group). */
size_t		 pq_writer_buffered_bytes(const struct pq_writer *);
/* Bytes already handed to the sink. */
uint64_t	 pq_writer_written_bytes(const struct pq_writer *);
uint64_t	 pq_writer_rows(const struct pq_writer *);
/* Flush, write the footer; the metrics stay valid until free. */
int		 pq_writer_close(struct pq_writer *, char **);
/* Iceberg metrics of a closed writer (NULL before a successful close). */
const struct pq_metrics *pq_writer_metrics(const struct pq_writer *);

#endif
