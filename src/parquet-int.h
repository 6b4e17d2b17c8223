/*
 * parquet-int.h: the writer's internals shared by parquet.c (rows and row
 * groups), parquet-page.c (levels, dictionary, pages, codecs) and
 * parquet-meta.c (Thrift page headers, footer, statistics, bounds).
 * Not an API: nothing outside src/parquet*.c includes it but the unit
 * test.  Helpers shared across these files end in `_`.
 */
#ifndef BRONZE_PARQUET_INT_H
#define BRONZE_PARQUET_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "parquet.h"
#include "thrift.h"

/* Parquet enums (parquet.thrift). */
#define PQ_T_INT32		1
#define PQ_T_INT64		2
#define PQ_T_BYTE_ARRAY		6
#define PQ_ENC_PLAIN		0
#define PQ_ENC_RLE		3
#define PQ_ENC_RLE_DICTIONARY	8
#define PQ_PAGE_DATA		0
#define PQ_PAGE_DICTIONARY	2

#define PQ_STAT_EXACT_MAX	1024	/* longer byte stats are truncated */
#define PQ_STAT_TRUNC		64	/* ...to this many bytes/code points */
#define PQ_BOUND_TRUNC		16	/* Iceberg truncate(16) */
#define PQ_DICT_PROBE		1024	/* values before judging a dictionary */

/* Running min/max and counts of one column, per chunk or per file. */
struct pq_stat {
	int		 has_minmax;
	int64_t		 imin;
	int64_t		 imax;
	struct buf	 bmin;
	struct buf	 bmax;
	int64_t		 values;	/* level entries */
	int64_t		 nulls;
};

struct pq_dent {
	uint32_t	 off;		/* value bytes in the dictionary */
	uint32_t	 len;
	uint32_t	 hash;
};

/* One leaf column: its current page, dictionary and column chunk. */
struct pq_leaf {
	char		*name;
	char		*path[3];	/* path_in_schema */
	int		 npath;
	int32_t		 field_id;
	enum pq_type	 type;		/* never PQ_MAP */
	int		 ptype;		/* Parquet physical type */
	int		 max_def;
	int		 max_rep;
	int		 in_map;	/* a map key or value */
	size_t		 col;		/* schema column */

	/* Current page: plain values or dictionary indices, and levels. */
	struct buf	 values;
	struct buf	 defs;
	struct buf	 reps;
	size_t		 nlevels;
	int		 dict_on;
	int		 dict_fallback;	/* pending, done at the row's end */

	/* Dictionary of the chunk. */
	struct buf	 dict;		/* PLAIN-encoded entries */
	struct pq_dent	*dents;
	size_t		 ndict;
	size_t		 dentcap;
	uint32_t	*slots;		/* entry index + 1, 0 = empty */
	size_t		 nslots;
	int64_t		 dict_values;	/* values seen in dictionary mode */
	int		 dict_pages;	/* data pages cut in dictionary mode */
	int		 plain_pages;

	/* Column chunk: data pages, headers included. */
	struct buf	 chunk;
	int64_t		 chunk_usize;
	struct pq_stat	 cstat;

	/* Whole file, for the Iceberg metrics. */
	struct pq_stat	 fstat;
	int64_t		 fsize;
};

struct pq_writer {
	struct pq_column *cols;
	size_t		 ncols;
	struct pq_leaf	*leaves;
	size_t		 nleaves;
	size_t		*col_leaf;	/* schema column -> first leaf */
	uint8_t		*colstate;	/* per row: PQ_CS_* */
	struct pq_options opt;
	struct pq_kv	*kv;
	char		*created_by;

	pq_sink_fn	 sink;
	void		*sink_arg;
	uint64_t	 offset;
	int		 failed;

	uint64_t	 rows;
	uint64_t	 rg_rows;
	struct buf	 rowgroups;	/* serialized RowGroup structs */
	size_t		 nrowgroups;
	int64_t		*splits;
	size_t		 splitcap;

	struct buf	 page;		/* page payload scratch */
	struct buf	 cbuf;		/* compression output */
	struct buf	 hdr;		/* page header scratch */
	void		*zctx;		/* ZSTD_CCtx */

	struct pq_col_metrics *metrics;
	struct pq_metrics m;
	int		 closed;
};

#define PQ_CS_UNSET	0
#define PQ_CS_SET	1
#define PQ_CS_MAP	2	/* map begun, no entry yet */
#define PQ_CS_MAPX	3	/* map with entries */

/* parquet-page.c */
void	pq_rle_encode_(struct buf *, const uint32_t *, size_t, int);
void	pq_rle_encode_u8_(struct buf *, const uint8_t *, size_t, int);
int	pq_bit_width_(uint32_t);
void	pq_leaf_value_(struct pq_writer *, struct pq_leaf *, const void *,
	    size_t);
void	pq_leaf_row_done_(struct pq_writer *, struct pq_leaf *);
void	pq_leaf_cut_page_(struct pq_writer *, struct pq_leaf *);
void	pq_leaf_reset_chunk_(struct pq_writer *, struct pq_leaf *);
void	pq_leaf_free_(struct pq_leaf *);
const uint8_t *pq_compress_(struct pq_writer *, const uint8_t *, size_t,
	    size_t *);
void	pq_stat_reset_(struct pq_stat *);
void	pq_stat_merge_(struct pq_stat *, const struct pq_stat *,
	    const struct pq_leaf *);

/* parquet-meta.c */
void	pq_page_header_(struct buf *, int, size_t, size_t, size_t, int);
void	pq_column_chunk_(struct thrift *, const struct pq_writer *,
	    const struct pq_leaf *, uint64_t, int64_t, int64_t, int64_t);
void	pq_footer_(struct pq_writer *, struct buf *);
int	pq_bound_(enum pq_type, int, const uint8_t *, size_t, size_t,
	    uint8_t *, size_t *);
void	pq_leaf_metrics_(const struct pq_leaf *, struct pq_col_metrics *);

/* Append without a call when there is room: the per-value paths. */
static inline void
pq_append_(struct buf *b, const void *p, size_t n)
{
	if (b->cap - b->len < n)
		buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void
pq_putc_(struct buf *b, uint8_t c)
{
	if (b->len == b->cap)
		buf_reserve(b, 1);
	b->data[b->len++] = c;
}

/* One level entry; a def below the maximum is a null (no value follows). */
static inline void
pq_leaf_level_(struct pq_leaf *l, int def, int rep)
{
	if (l->max_def > 0)
		pq_putc_(&l->defs, (uint8_t)def);
	if (l->max_rep > 0)
		pq_putc_(&l->reps, (uint8_t)rep);
	l->nlevels++;
	l->cstat.values++;
	if (def < l->max_def)
		l->cstat.nulls++;
}

static inline int
pq_leaf_page_full_(const struct pq_writer *w, const struct pq_leaf *l)
{
	return (l->nlevels >= w->opt.page_rows ||
	    l->values.len + l->nlevels / 4 >= w->opt.page_size);
}

/* End of a row for one leaf; the rare work is out of line. */
static inline void
pq_leaf_end_row_(struct pq_writer *w, struct pq_leaf *l)
{
	if (l->dict_fallback || pq_leaf_page_full_(w, l))
		pq_leaf_row_done_(w, l);
}

#endif
