/*
 * parquet.c: the streaming Parquet writer (see parquet.h): schema to
 * leaves, row appends with definition/repetition levels, row groups to
 * the sink, the footer and the Iceberg metrics.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zstd.h>

#include "log.h"
#include "parquet-int.h"
#include "xmalloc.h"

#ifndef VERSION
#define VERSION "0"
#endif

static const struct {
	const char	*name;
	enum pq_codec	 codec;
} pq_codecs[] = {
	{ "zstd", PQ_ZSTD },
#ifdef HAVE_SNAPPY
	{ "snappy", PQ_SNAPPY },
#endif
	{ "none", PQ_UNCOMPRESSED },
	{ "uncompressed", PQ_UNCOMPRESSED },
};

void
pq_options_default(struct pq_options *o)
{
	memset(o, 0, sizeof *o);
	o->codec = PQ_ZSTD;
	o->level = 1;
	o->page_size = PQ_PAGE_SIZE_DEFAULT;
	o->page_rows = 20000;
	o->row_group_size = 128 * 1024 * 1024;
	o->dict_size = 1024 * 1024;
	o->dictionary = 1;
}

int
pq_codec_from_name(const char *name, enum pq_codec *codec)
{
	size_t	i;

	for (i = 0; i < sizeof pq_codecs / sizeof pq_codecs[0]; i++) {
		if (strcasecmp(name, pq_codecs[i].name) == 0) {
			*codec = pq_codecs[i].codec;
			return (0);
		}
	}
	return (-1);
}

/* Set up one leaf of column c; path is the column's, then sub (if any). */
static void
pq_leaf_init(struct pq_writer *w, struct pq_leaf *l, size_t c,
    const char *sub, enum pq_type type, int32_t id, int def, int rep)
{
	const struct pq_column	*col = &w->cols[c];

	l->col = c;
	l->type = type;
	l->ptype = type == PQ_INT32 ? PQ_T_INT32 : (type == PQ_INT64 ||
	    type == PQ_TIMESTAMPTZ) ? PQ_T_INT64 : PQ_T_BYTE_ARRAY;
	l->field_id = id;
	l->max_def = def;
	l->max_rep = rep;
	l->path[l->npath++] = xstrdup(col->name);
	if (sub != NULL) {
		l->in_map = 1;
		l->path[l->npath++] = xstrdup("key_value");
		l->path[l->npath++] = xstrdup(sub);
	}
	l->name = xstrdup(l->path[l->npath - 1]);
	pq_leaf_reset_chunk_(w, l);
}

/* Leaves in schema order: one per column, two (key, value) per map. */
static void
pq_leaves_init(struct pq_writer *w)
{
	const struct pq_column	*c;
	size_t			 i, n = 0;
	int			 base;

	for (i = 0; i < w->ncols; i++)
		n += w->cols[i].type == PQ_MAP ? 2 : 1;
	w->leaves = xcalloc(n, sizeof *w->leaves);
	w->col_leaf = xcalloc(w->ncols, sizeof *w->col_leaf);
	w->nleaves = n;
	for (i = n = 0; i < w->ncols; i++) {
		c = &w->cols[i];
		base = c->required ? 0 : 1;
		w->col_leaf[i] = n;
		if (c->type != PQ_MAP) {
			pq_leaf_init(w, &w->leaves[n++], i, NULL, c->type,
			    c->field_id, base, 0);
			continue;
		}
		pq_leaf_init(w, &w->leaves[n++], i, "key", PQ_STRING,
		    c->key_id, base + 1, 1);
		pq_leaf_init(w, &w->leaves[n++], i, "value", PQ_BINARY,
		    c->value_id, base + 2, 1);
	}
}

static void
pq_copy_schema(struct pq_writer *w, const struct pq_column *cols, size_t n,
    const struct pq_options *o)
{
	size_t	i;

	w->ncols = n;
	w->cols = xcalloc(n, sizeof *w->cols);
	for (i = 0; i < n; i++) {
		w->cols[i] = cols[i];
		w->cols[i].name = xstrdup(cols[i].name);
	}
	w->opt = *o;
	w->kv = xcalloc(o->nkv ? o->nkv : 1, sizeof *w->kv);
	for (i = 0; i < o->nkv; i++) {
		w->kv[i].key = xstrdup(o->kv[i].key);
		w->kv[i].value = xstrdup(o->kv[i].value);
	}
	w->opt.kv = w->kv;
	w->created_by = o->created_by != NULL ? xstrdup(o->created_by) :
	    xstrdup("bronzed version " VERSION);
	w->opt.created_by = w->created_by;
}

struct pq_writer *
pq_writer_new(const struct pq_column *cols, size_t ncols,
    const struct pq_options *o, pq_sink_fn sink, void *arg, char **cause)
{
	struct pq_writer	*w;
	enum pq_codec		 codec;

	if (ncols == 0) {
		*cause = xstrdup("parquet: a schema needs columns");
		return (NULL);
	}
	if (o->codec != PQ_ZSTD && o->codec != PQ_UNCOMPRESSED &&
	    (pq_codec_from_name("snappy", &codec) != 0 || o->codec != codec)) {
		*cause = xasprintf("parquet: codec %d not available", o->codec);
		return (NULL);
	}
	w = xcalloc(1, sizeof *w);
	pq_copy_schema(w, cols, ncols, o);
	if (w->opt.page_size == 0)
		w->opt.page_size = PQ_PAGE_SIZE_DEFAULT;
	if (w->opt.page_rows == 0)
		w->opt.page_rows = 20000;
	w->colstate = xcalloc(ncols, 1);
	pq_leaves_init(w);
	w->sink = sink;
	w->sink_arg = arg;
	if (w->opt.codec == PQ_ZSTD && (w->zctx = ZSTD_createCCtx()) == NULL)
		fatalx("%s: ZSTD_createCCtx failed", __func__);
	return (w);
}

void
pq_writer_free(struct pq_writer *w)
{
	size_t	i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nleaves; i++)
		pq_leaf_free_(&w->leaves[i]);
	for (i = 0; i < w->ncols; i++)
		free((char *)w->cols[i].name);
	for (i = 0; i < w->opt.nkv; i++) {
		free((char *)w->kv[i].key);
		free((char *)w->kv[i].value);
	}
	free(w->kv);
	free(w->created_by);
	free(w->cols);
	free(w->leaves);
	free(w->col_leaf);
	free(w->colstate);
	buf_free(&w->rowgroups);
	free(w->splits);
	buf_free(&w->page);
	buf_free(&w->cbuf);
	buf_free(&w->hdr);
	ZSTD_freeCCtx(w->zctx);
	free(w->metrics);
	free(w);
}

/* The first leaf of column c, after checking it can take a value now. */
static struct pq_leaf *
pq_put_leaf(struct pq_writer *w, size_t c, int map)
{
	if (c >= w->ncols)
		fatalx("parquet: column %zu out of range", c);
	if (w->closed || w->failed)
		fatalx("parquet: value after close or failure");
	if ((w->cols[c].type == PQ_MAP) != map)
		fatalx("parquet: column %s: wrong kind of value",
		    w->cols[c].name);
	if (w->colstate[c] != PQ_CS_UNSET && !(map &&
	    (w->colstate[c] == PQ_CS_MAP || w->colstate[c] == PQ_CS_MAPX)))
		fatalx("parquet: column %s set twice", w->cols[c].name);
	return (&w->leaves[w->col_leaf[c]]);
}

static void
pq_put_value(struct pq_writer *w, size_t c, const void *p, size_t len,
    int ptype)
{
	struct pq_leaf	*l = pq_put_leaf(w, c, 0);

	if (l->ptype != ptype)
		fatalx("parquet: column %s: wrong value type", l->name);
	pq_leaf_level_(l, l->max_def, 0);
	pq_leaf_value_(w, l, p, len);
	w->colstate[c] = PQ_CS_SET;
}

/* u as 4 little-endian bytes (stores the compiler merges). */
static inline void
pq_le32(uint8_t *b, uint32_t u)
{
	b[0] = (uint8_t)u;
	b[1] = (uint8_t)(u >> 8);
	b[2] = (uint8_t)(u >> 16);
	b[3] = (uint8_t)(u >> 24);
}

void
pq_put_int32(struct pq_writer *w, size_t c, int32_t v)
{
	uint8_t	le[4];

	pq_le32(le, (uint32_t)v);
	pq_put_value(w, c, le, 4, PQ_T_INT32);
}

void
pq_put_int64(struct pq_writer *w, size_t c, int64_t v)
{
	uint8_t	le[8];

	pq_le32(le, (uint32_t)(uint64_t)v);
	pq_le32(le + 4, (uint32_t)((uint64_t)v >> 32));
	pq_put_value(w, c, le, 8, PQ_T_INT64);
}

void
pq_put_bytes(struct pq_writer *w, size_t c, const void *p, size_t len)
{
	if (len > INT32_MAX)
		fatalx("parquet: value of %zu bytes", len);
	pq_put_value(w, c, len > 0 ? p : "", len, PQ_T_BYTE_ARRAY);
}

/* Levels of a null (def 0) or an empty map (def = base). */
static void
pq_put_levels(struct pq_writer *w, size_t c, int def)
{
	struct pq_leaf	*l = &w->leaves[w->col_leaf[c]];

	pq_leaf_level_(l, def, 0);
	if (w->cols[c].type == PQ_MAP)
		pq_leaf_level_(l + 1, def, 0);
}

void
pq_put_null(struct pq_writer *w, size_t c)
{
	if (c >= w->ncols)
		fatalx("parquet: column %zu out of range", c);
	pq_put_leaf(w, c, w->cols[c].type == PQ_MAP);
	if (w->colstate[c] != PQ_CS_UNSET)
		fatalx("parquet: column %s set twice", w->cols[c].name);
	if (w->cols[c].required)
		fatalx("parquet: null in required column %s", w->cols[c].name);
	pq_put_levels(w, c, 0);
	w->colstate[c] = PQ_CS_SET;
}

void
pq_map_begin(struct pq_writer *w, size_t c)
{
	pq_put_leaf(w, c, 1);
	if (w->colstate[c] != PQ_CS_UNSET)
		fatalx("parquet: map %s begun twice", w->cols[c].name);
	w->colstate[c] = PQ_CS_MAP;
}

/* One map entry; the first of a row has repetition level 0. */
void
pq_map_put(struct pq_writer *w, size_t c, const void *k, size_t klen,
    const void *v, size_t vlen)
{
	struct pq_leaf	*key = pq_put_leaf(w, c, 1), *val = key + 1;
	int		 rep = w->colstate[c] == PQ_CS_MAPX ? 1 : 0;

	if (klen > INT32_MAX || vlen > INT32_MAX)
		fatalx("parquet: map entry too large");
	w->colstate[c] = PQ_CS_MAPX;
	pq_leaf_level_(key, key->max_def, rep);
	pq_leaf_value_(w, key, klen > 0 ? k : "", klen);
	if (v == NULL)
		pq_leaf_level_(val, val->max_def - 1, rep);
	else {
		pq_leaf_level_(val, val->max_def, rep);
		pq_leaf_value_(w, val, vlen > 0 ? v : "", vlen);
	}
}

static int
pq_emit(struct pq_writer *w, const void *p, size_t len, char **cause)
{
	if (len == 0)
		return (0);
	if (w->sink(w->sink_arg, p, len) != 0) {
		w->failed = 1;
		*cause = xasprintf("parquet: writing %zu bytes at offset %llu "
		    "failed", len, (unsigned long long)w->offset);
		return (-1);
	}
	w->offset += len;
	return (0);
}

/* Write a leaf's dictionary page (if used) and data pages; describe them. */
static int
pq_flush_leaf(struct pq_writer *w, struct thrift *t, struct pq_leaf *l,
    int64_t *usize, int64_t *csize, char **cause)
{
	const uint8_t	*out;
	uint64_t	 start = w->offset, data_off;
	int64_t		 dict_off = -1, u = l->chunk_usize;
	size_t		 clen;

	if (l->dict_pages > 0) {
		out = pq_compress_(w, l->dict.data, l->dict.len, &clen);
		pq_page_header_(&w->hdr, PQ_PAGE_DICTIONARY, l->dict.len, clen,
		    l->ndict, PQ_ENC_PLAIN);
		dict_off = (int64_t)start;
		u += (int64_t)(w->hdr.len + l->dict.len);
		if (pq_emit(w, w->hdr.data, w->hdr.len, cause) != 0 ||
		    pq_emit(w, out, clen, cause) != 0)
			return (-1);
	}
	data_off = w->offset;
	if (pq_emit(w, l->chunk.data, l->chunk.len, cause) != 0)
		return (-1);
	pq_column_chunk_(t, w, l, data_off, dict_off, u,
	    (int64_t)(w->offset - start));
	*usize += u;
	*csize += (int64_t)(w->offset - start);
	l->fsize += (int64_t)(w->offset - start);
	pq_stat_merge_(&l->fstat, &l->cstat, l);
	pq_leaf_reset_chunk_(w, l);
	return (0);
}

/* End the row group: cut pages, write the chunks, keep its RowGroup. */
int
pq_writer_flush(struct pq_writer *w, char **cause)
{
	struct thrift	t;
	uint64_t	start;
	int64_t		usize = 0, csize = 0;
	size_t		i;

	if (w->failed) {
		*cause = xstrdup("parquet: writer failed earlier");
		return (-1);
	}
	for (i = 0; i < w->ncols; i++)
		if (w->colstate[i] != PQ_CS_UNSET)
			fatalx("parquet: row group ended inside a row");
	if (w->rg_rows == 0)
		return (0);
	for (i = 0; i < w->nleaves; i++)
		pq_leaf_cut_page_(w, &w->leaves[i]);
	if (w->offset == 0 && pq_emit(w, "PAR1", 4, cause) != 0)
		return (-1);
	start = w->offset;
	thrift_init(&t, &w->rowgroups);
	thrift_struct_begin(&t);
	thrift_list(&t, 1, THRIFT_STRUCT, w->nleaves);
	for (i = 0; i < w->nleaves; i++)
		if (pq_flush_leaf(w, &t, &w->leaves[i], &usize, &csize,
		    cause) != 0)
			return (-1);
	thrift_i64(&t, 2, usize);
	thrift_i64(&t, 3, (int64_t)w->rg_rows);
	thrift_i64(&t, 5, (int64_t)start);
	thrift_i64(&t, 6, csize);
	thrift_struct_end(&t);
	if (w->nrowgroups == w->splitcap) {
		w->splitcap = w->splitcap ? w->splitcap * 2 : 8;
		w->splits = xreallocarray(w->splits, w->splitcap,
		    sizeof *w->splits);
	}
	w->splits[w->nrowgroups++] = (int64_t)start;
	w->rg_rows = 0;
	return (0);
}

size_t
pq_writer_buffered_bytes(const struct pq_writer *w)
{
	const struct pq_leaf	*l;
	size_t			 i, n = 0;

	for (i = 0; i < w->nleaves; i++) {
		l = &w->leaves[i];
		n += l->chunk.len + l->values.len + l->defs.len + l->reps.len +
		    l->dict.len;
	}
	return (n);
}

uint64_t
pq_writer_written_bytes(const struct pq_writer *w)
{
	return (w->offset);
}

uint64_t
pq_writer_rows(const struct pq_writer *w)
{
	return (w->rows);
}

/* Finish a row: nulls and empty maps for what was not set, cut pages. */
int
pq_writer_end_row(struct pq_writer *w, char **cause)
{
	const struct pq_column	*c;
	size_t			 i;

	if (w->failed || w->closed) {
		*cause = xstrdup("parquet: writer failed or closed");
		return (-1);
	}
	for (i = 0; i < w->ncols; i++) {
		c = &w->cols[i];
		if (w->colstate[i] == PQ_CS_UNSET) {
			if (c->required && c->type != PQ_MAP)
				fatalx("parquet: required column %s not set",
				    c->name);
			pq_put_levels(w, i, 0);	/* null, or empty map */
		} else if (w->colstate[i] == PQ_CS_MAP)
			pq_put_levels(w, i, c->required ? 0 : 1);
		w->colstate[i] = PQ_CS_UNSET;
	}
	for (i = 0; i < w->nleaves; i++)
		pq_leaf_end_row_(w, &w->leaves[i]);
	w->rows++;
	w->rg_rows++;
	if (w->opt.row_group_size > 0 &&
	    pq_writer_buffered_bytes(w) >= w->opt.row_group_size)
		return (pq_writer_flush(w, cause));
	return (0);
}

static void
pq_fill_metrics(struct pq_writer *w)
{
	size_t	i;

	w->metrics = xcalloc(w->nleaves, sizeof *w->metrics);
	for (i = 0; i < w->nleaves; i++)
		pq_leaf_metrics_(&w->leaves[i], &w->metrics[i]);
	w->m.record_count = (int64_t)w->rows;
	w->m.file_size = (int64_t)w->offset;
	w->m.cols = w->metrics;
	w->m.ncols = w->nleaves;
	w->m.split_offsets = w->splits;
	w->m.nsplits = w->nrowgroups;
}

/* Last row group, footer, length, magic; nothing at all with no rows. */
int
pq_writer_close(struct pq_writer *w, char **cause)
{
	struct buf	f = BUF_INIT;
	int		rc = 0;

	if (w->closed)
		fatalx("parquet: closed twice");
	if (pq_writer_flush(w, cause) != 0)
		return (-1);
	if (w->rows > 0) {
		pq_footer_(w, &f);
		buf_put_le32(&f, (uint32_t)f.len);
		buf_append(&f, "PAR1", 4);
		rc = pq_emit(w, f.data, f.len, cause);
		buf_free(&f);
		if (rc != 0)
			return (-1);
	}
	w->closed = 1;
	pq_fill_metrics(w);
	return (0);
}

const struct pq_metrics *
pq_writer_metrics(const struct pq_writer *w)
{
	return (w->closed ? &w->m : NULL);
}
