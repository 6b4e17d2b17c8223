/*
 * parquet-meta.c: the Parquet writer's metadata: page headers, column
 * chunk metadata with statistics, the FileMetaData footer (Thrift compact)
 * and the Iceberg single-value bounds (truncate(16)).
 */
#include <string.h>

#include "log.h"
#include "parquet-int.h"

/* Parquet ConvertedType and FieldRepetitionType values. */
#define PQ_CT_UTF8		0
#define PQ_CT_MAP		1
#define PQ_CT_TIMESTAMP_MICROS	10
#define PQ_REP_REQUIRED		0
#define PQ_REP_OPTIONAL		1
#define PQ_REP_REPEATED		2

/* PageHeader for a data page (v1) or a dictionary page. */
void
pq_page_header_(struct buf *b, int type, size_t ulen, size_t clen,
    size_t nvalues, int enc)
{
	struct thrift	t;

	buf_reset(b);
	thrift_init(&t, b);
	thrift_struct_begin(&t);
	thrift_i32(&t, 1, type);
	thrift_i32(&t, 2, (int32_t)ulen);
	thrift_i32(&t, 3, (int32_t)clen);
	if (type == PQ_PAGE_DICTIONARY) {
		thrift_field_struct(&t, 7);
		thrift_i32(&t, 1, (int32_t)nvalues);
		thrift_i32(&t, 2, PQ_ENC_PLAIN);
	} else {
		thrift_field_struct(&t, 5);
		thrift_i32(&t, 1, (int32_t)nvalues);
		thrift_i32(&t, 2, enc);
		thrift_i32(&t, 3, PQ_ENC_RLE);
		thrift_i32(&t, 4, PQ_ENC_RLE);
	}
	thrift_struct_end(&t);
	thrift_struct_end(&t);
}

/* Offset of the byte after the n-th UTF-8 code point (len if fewer). */
static size_t
pq_utf8_prefix(const uint8_t *p, size_t len, size_t n)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if ((p[i] & 0xc0) != 0x80 && n-- == 0)
			return (i);
	return (len);
}

/* Decode the code point at p[0..len); -1 if not well formed. */
static int32_t
pq_utf8_decode(const uint8_t *p, size_t len)
{
	int32_t	cp;
	size_t	n, i;

	if (p[0] < 0x80)
		return (len == 1 ? p[0] : -1);
	n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc0 ? 2 : 0;
	if (n != len)
		return (-1);
	cp = p[0] & (0x7f >> n);
	for (i = 1; i < n; i++)
		cp = (cp << 6) | (p[i] & 0x3f);
	return (cp);
}

static size_t
pq_utf8_encode(uint8_t *o, int32_t cp)
{
	if (cp < 0x80) {
		o[0] = (uint8_t)cp;
		return (1);
	}
	if (cp < 0x800) {
		o[0] = (uint8_t)(0xc0 | (cp >> 6));
		o[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return (2);
	}
	if (cp < 0x10000) {
		o[0] = (uint8_t)(0xe0 | (cp >> 12));
		o[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return (3);
	}
	o[0] = (uint8_t)(0xf0 | (cp >> 18));
	o[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return (4);
}

/* Upper bound of a truncated string: bump its last bumpable code point. */
static int
pq_string_upper(const uint8_t *p, size_t n, uint8_t *out, size_t *outlen)
{
	size_t	end = n, start;
	int32_t	cp;

	while (end > 0) {
		start = end - 1;
		while (start > 0 && (p[start] & 0xc0) == 0x80)
			start--;
		cp = pq_utf8_decode(p + start, end - start);
		if (cp >= 0 && cp < 0x10ffff) {
			cp = cp == 0xd7ff ? 0xe000 : cp + 1;
			memcpy(out, p, start);
			*outlen = start + pq_utf8_encode(out + start, cp);
			return (1);
		}
		end = start;
	}
	return (0);
}

/* Upper bound of truncated bytes: increment with carry. */
static int
pq_binary_upper(const uint8_t *p, size_t n, uint8_t *out, size_t *outlen)
{
	memcpy(out, p, n);
	while (n > 0) {
		if (out[n - 1] != 0xff) {
			out[n - 1]++;
			*outlen = n;
			return (1);
		}
		n--;
	}
	return (0);
}

/*
 * A lower (upper = 0) or upper bound of a value truncated to limit code
 * points (STRING) or bytes (BINARY); out holds 4 * limit + 4 bytes.
 * Returns 0 when there is no upper bound (every byte 0xff).
 */
int
pq_bound_(enum pq_type type, int upper, const uint8_t *p, size_t len,
    size_t limit, uint8_t *out, size_t *outlen)
{
	size_t	n;

	if (type == PQ_STRING) {
		n = pq_utf8_prefix(p, len, limit);
		if (n > 4 * limit)	/* not UTF-8 */
			n = 4 * limit;
	} else
		n = len < limit ? len : limit;
	if (!upper || n == len) {
		if (n > 0)
			memcpy(out, p, n);
		*outlen = n;
		return (1);
	}
	if (type == PQ_STRING && pq_string_upper(p, n, out, outlen))
		return (1);
	return (pq_binary_upper(p, n, out, outlen));
}

static void
pq_le_int(uint8_t *o, int64_t v, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		o[i] = (uint8_t)((uint64_t)v >> (8 * i));
}

/* Statistics of a byte-array chunk: exact, or truncated when too long. */
static void
pq_stats_bytes(struct thrift *t, const struct pq_leaf *l,
    const struct pq_stat *s)
{
	uint8_t	lo[4 * PQ_STAT_TRUNC + 4], hi[4 * PQ_STAT_TRUNC + 4];
	size_t	lolen, hilen;
	int	exact;

	exact = s->bmin.len <= PQ_STAT_EXACT_MAX &&
	    s->bmax.len <= PQ_STAT_EXACT_MAX;
	if (exact) {
		thrift_binary(t, 5, s->bmax.data, s->bmax.len);
		thrift_binary(t, 6, s->bmin.data, s->bmin.len);
		thrift_bool(t, 7, 1);
		thrift_bool(t, 8, 1);
		return;
	}
	pq_bound_(l->type, 0, s->bmin.data, s->bmin.len, PQ_STAT_TRUNC, lo,
	    &lolen);
	if (!pq_bound_(l->type, 1, s->bmax.data, s->bmax.len, PQ_STAT_TRUNC,
	    hi, &hilen))
		return;
	thrift_binary(t, 5, hi, hilen);
	thrift_binary(t, 6, lo, lolen);
	thrift_bool(t, 7, s->bmax.len <= PQ_STAT_EXACT_MAX);
	thrift_bool(t, 8, s->bmin.len <= PQ_STAT_EXACT_MAX);
}

/* Statistics: legacy min/max for ints, null_count, min_value/max_value. */
static void
pq_stats(struct thrift *t, const struct pq_leaf *l, const struct pq_stat *s)
{
	uint8_t	lo[8], hi[8];
	int	n = l->ptype == PQ_T_INT32 ? 4 : 8;

	thrift_field_struct(t, 12);
	if (s->has_minmax && l->ptype != PQ_T_BYTE_ARRAY) {
		pq_le_int(lo, s->imin, n);
		pq_le_int(hi, s->imax, n);
		thrift_binary(t, 1, hi, n);
		thrift_binary(t, 2, lo, n);
	}
	thrift_i64(t, 3, s->nulls);
	if (s->has_minmax && l->ptype != PQ_T_BYTE_ARRAY) {
		thrift_binary(t, 5, hi, n);
		thrift_binary(t, 6, lo, n);
	} else if (s->has_minmax)
		pq_stats_bytes(t, l, s);
	thrift_struct_end(t);
}

/* One ColumnChunk (a list element) of the row group being written. */
void
pq_column_chunk_(struct thrift *t, const struct pq_writer *w,
    const struct pq_leaf *l, uint64_t data_off, int64_t dict_off,
    int64_t usize, int64_t csize)
{
	int	i, dict = dict_off >= 0;

	thrift_struct_begin(t);
	thrift_i64(t, 2, 0);
	thrift_field_struct(t, 3);
	thrift_i32(t, 1, l->ptype);
	thrift_list(t, 2, THRIFT_I32, dict ? 3 : 2);
	thrift_elem_i32(t, PQ_ENC_PLAIN);
	thrift_elem_i32(t, PQ_ENC_RLE);
	if (dict)
		thrift_elem_i32(t, PQ_ENC_RLE_DICTIONARY);
	thrift_list(t, 3, THRIFT_BINARY, (size_t)l->npath);
	for (i = 0; i < l->npath; i++)
		thrift_elem_string(t, l->path[i]);
	thrift_i32(t, 4, w->opt.codec);
	thrift_i64(t, 5, l->cstat.values);
	thrift_i64(t, 6, usize);
	thrift_i64(t, 7, csize);
	thrift_i64(t, 9, (int64_t)data_off);
	if (dict)
		thrift_i64(t, 11, dict_off);
	pq_stats(t, l, &l->cstat);
	thrift_struct_end(t);
	thrift_struct_end(t);
}

/* A primitive SchemaElement with its converted and logical types. */
static void
pq_schema_leaf(struct thrift *t, const char *name, int ptype, int rep,
    enum pq_type type, int32_t id)
{
	thrift_struct_begin(t);
	thrift_i32(t, 1, ptype);
	thrift_i32(t, 3, rep);
	thrift_string(t, 4, name);
	if (type == PQ_STRING)
		thrift_i32(t, 6, PQ_CT_UTF8);
	else if (type == PQ_TIMESTAMPTZ)
		thrift_i32(t, 6, PQ_CT_TIMESTAMP_MICROS);
	thrift_i32(t, 9, id);
	if (type == PQ_STRING) {
		thrift_field_struct(t, 10);
		thrift_field_empty(t, 1);
		thrift_struct_end(t);
	} else if (type == PQ_TIMESTAMPTZ) {
		thrift_field_struct(t, 10);
		thrift_field_struct(t, 8);
		thrift_bool(t, 1, 1);
		thrift_field_struct(t, 2);
		thrift_field_empty(t, 2);
		thrift_struct_end(t);
		thrift_struct_end(t);
		thrift_struct_end(t);
	}
	thrift_struct_end(t);
}

/* A map column: group (MAP), repeated key_value, key, value. */
static void
pq_schema_map(struct thrift *t, const struct pq_column *c)
{
	thrift_struct_begin(t);
	thrift_i32(t, 3, c->required ? PQ_REP_REQUIRED : PQ_REP_OPTIONAL);
	thrift_string(t, 4, c->name);
	thrift_i32(t, 5, 1);
	thrift_i32(t, 6, PQ_CT_MAP);
	thrift_i32(t, 9, c->field_id);
	thrift_field_struct(t, 10);
	thrift_field_empty(t, 2);
	thrift_struct_end(t);
	thrift_struct_end(t);

	thrift_struct_begin(t);
	thrift_i32(t, 3, PQ_REP_REPEATED);
	thrift_string(t, 4, "key_value");
	thrift_i32(t, 5, 2);
	thrift_struct_end(t);

	pq_schema_leaf(t, "key", PQ_T_BYTE_ARRAY, PQ_REP_REQUIRED, PQ_STRING,
	    c->key_id);
	pq_schema_leaf(t, "value", PQ_T_BYTE_ARRAY, PQ_REP_OPTIONAL, PQ_BINARY,
	    c->value_id);
}

static void
pq_schema(struct thrift *t, const struct pq_writer *w)
{
	const struct pq_column	*c;
	size_t			 i, n = 1;
	int			 ptype;

	for (i = 0; i < w->ncols; i++)
		n += w->cols[i].type == PQ_MAP ? 4 : 1;
	thrift_list(t, 2, THRIFT_STRUCT, n);
	thrift_struct_begin(t);
	thrift_string(t, 4, "table");
	thrift_i32(t, 5, (int32_t)w->ncols);
	thrift_struct_end(t);
	for (i = 0; i < w->ncols; i++) {
		c = &w->cols[i];
		if (c->type == PQ_MAP) {
			pq_schema_map(t, c);
			continue;
		}
		ptype = w->leaves[w->col_leaf[i]].ptype;
		pq_schema_leaf(t, c->name, ptype, c->required ?
		    PQ_REP_REQUIRED : PQ_REP_OPTIONAL, c->type, c->field_id);
	}
}

/* The FileMetaData struct (without the length and magic that follow). */
void
pq_footer_(struct pq_writer *w, struct buf *b)
{
	struct thrift	t;
	size_t		i;

	thrift_init(&t, b);
	thrift_struct_begin(&t);
	thrift_i32(&t, 1, 1);
	pq_schema(&t, w);
	thrift_i64(&t, 3, (int64_t)w->rows);
	thrift_list(&t, 4, THRIFT_STRUCT, w->nrowgroups);
	buf_append(b, w->rowgroups.data, w->rowgroups.len);
	if (w->opt.nkv > 0) {
		thrift_list(&t, 5, THRIFT_STRUCT, w->opt.nkv);
		for (i = 0; i < w->opt.nkv; i++) {
			thrift_struct_begin(&t);
			thrift_string(&t, 1, w->kv[i].key);
			thrift_string(&t, 2, w->kv[i].value);
			thrift_struct_end(&t);
		}
	}
	thrift_string(&t, 6, w->created_by);
	thrift_list(&t, 7, THRIFT_STRUCT, w->nleaves);
	for (i = 0; i < w->nleaves; i++) {
		thrift_struct_begin(&t);
		thrift_field_empty(&t, 1);
		thrift_struct_end(&t);
	}
	thrift_struct_end(&t);
}

/* Iceberg metrics of a leaf; no bounds inside maps. */
void
pq_leaf_metrics_(const struct pq_leaf *l, struct pq_col_metrics *m)
{
	const struct pq_stat	*s = &l->fstat;

	memset(m, 0, sizeof *m);
	m->field_id = l->field_id;
	m->in_map = l->in_map;
	m->column_size = l->fsize;
	m->value_count = s->values;
	m->null_count = s->nulls;
	if (!s->has_minmax || l->in_map)
		return;
	switch (l->type) {
	case PQ_INT32:
		pq_le_int(m->lower, s->imin, 4);
		pq_le_int(m->upper, s->imax, 4);
		m->lower_len = m->upper_len = 4;
		break;
	case PQ_INT64:
	case PQ_TIMESTAMPTZ:
		pq_le_int(m->lower, s->imin, 8);
		pq_le_int(m->upper, s->imax, 8);
		m->lower_len = m->upper_len = 8;
		break;
	default:
		pq_bound_(l->type, 0, s->bmin.data, s->bmin.len,
		    PQ_BOUND_TRUNC, m->lower, &m->lower_len);
		if (!pq_bound_(l->type, 1, s->bmax.data, s->bmax.len,
		    PQ_BOUND_TRUNC, m->upper, &m->upper_len))
			return;
		break;
	}
	m->has_bounds = 1;
}
