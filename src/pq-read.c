/*
 * pq-read.c: the Parquet reader of pq-read.h.  A bounds-checked Thrift
 * compact decoder walks the footer and the page headers; every length in
 * the file is checked against the bytes actually there before it is used.
 */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>
#ifdef HAVE_SNAPPY
#include <snappy-c.h>
#endif

#include "pq-read.h"
#include "xmalloc.h"

#define PQR_MAX_DEPTH	32
#define PQR_MAX_PAGE	(256 * 1024 * 1024)

/* Thrift compact types. */
enum {
	PQR_T_STOP = 0, PQR_T_TRUE = 1, PQR_T_FALSE = 2, PQR_T_BYTE = 3,
	PQR_T_I16 = 4, PQR_T_I32 = 5, PQR_T_I64 = 6, PQR_T_DOUBLE = 7,
	PQR_T_BINARY = 8, PQR_T_LIST = 9, PQR_T_SET = 10, PQR_T_MAP = 11,
	PQR_T_STRUCT = 12
};

/* A cursor over Thrift bytes; err sticks once set. */
struct pqr_in {
	const uint8_t	*p, *end;
	int		 err;
	int16_t		 last[PQR_MAX_DEPTH];	/* last field id per struct */
	int		 depth;
};

/* One column chunk of the wanted column. */
struct pqr_chunk {
	int		 ptype;		/* 1 INT32, 2 INT64 */
	int		 codec;
	int64_t		 num_values;
	int64_t		 start;		/* dictionary page or first data page */
	int64_t		 size;		/* total_compressed_size */
};

struct pqr_file {
	const uint8_t	*data;
	size_t		 len;
	const uint8_t	*footer;
	size_t		 footer_len;
	int64_t		 rows;
};

static uint64_t
pqr_varint(struct pqr_in *in)
{
	uint64_t	v = 0;
	int		shift = 0;

	while (!in->err) {
		if (in->p >= in->end || shift > 63) {
			in->err = 1;
			break;
		}
		v |= (uint64_t)(*in->p & 0x7f) << shift;
		if ((*in->p++ & 0x80) == 0)
			return (v);
		shift += 7;
	}
	return (0);
}

static int64_t
pqr_zigzag(struct pqr_in *in)
{
	uint64_t	v = pqr_varint(in);

	return ((int64_t)(v >> 1) ^ -(int64_t)(v & 1));
}

/* A binary/string: its bytes (inside the input) and length. */
static const uint8_t *
pqr_binary(struct pqr_in *in, size_t *len)
{
	uint64_t	n = pqr_varint(in);
	const uint8_t	*p = in->p;

	if (in->err || n > (uint64_t)(in->end - in->p)) {
		in->err = 1;
		*len = 0;
		return (NULL);
	}
	in->p += n;
	*len = (size_t)n;
	return (p);
}

static int
pqr_byte(struct pqr_in *in)
{
	if (in->err || in->p >= in->end) {
		in->err = 1;
		return (0);
	}
	return (*in->p++);
}

/* Enter a struct (field ids restart). */
static void
pqr_struct_begin(struct pqr_in *in)
{
	if (in->depth + 1 >= PQR_MAX_DEPTH) {
		in->err = 1;
		return;
	}
	in->last[++in->depth] = 0;
}

/* Next field of the current struct: its type (PQR_T_STOP at the end). */
static int
pqr_field(struct pqr_in *in, int16_t *id)
{
	int	b = pqr_byte(in), delta = b >> 4, type = b & 0x0f;

	if (in->err || type == PQR_T_STOP) {
		in->depth--;
		return (PQR_T_STOP);
	}
	if (delta != 0)
		*id = (int16_t)(in->last[in->depth] + delta);
	else
		*id = (int16_t)pqr_zigzag(in);
	in->last[in->depth] = *id;
	return (type);
}

/* A list/set header: element type and count. */
static int
pqr_list(struct pqr_in *in, size_t *n)
{
	int		b = pqr_byte(in);
	uint64_t	size = (uint64_t)(b >> 4);

	if (size == 15)
		size = pqr_varint(in);
	if (size > (uint64_t)(in->end - in->p))	/* each takes a byte+ */
		in->err = 1;
	*n = in->err ? 0 : (size_t)size;
	return (b & 0x0f);
}

static void	pqr_skip(struct pqr_in *, int type);

static void
pqr_skip_struct(struct pqr_in *in)
{
	int16_t	id;
	int	t;

	pqr_struct_begin(in);
	while (!in->err && (t = pqr_field(in, &id)) != PQR_T_STOP)
		pqr_skip(in, t);
}

/* Skip one value of the given type. */
static void
pqr_skip(struct pqr_in *in, int type)
{
	size_t	n, i;
	int	kv;

	switch (type) {
	case PQR_T_TRUE:
	case PQR_T_FALSE:
		break;			/* in a field header: no byte */
	case PQR_T_BYTE:
		(void)pqr_byte(in);
		break;
	case PQR_T_I16:
	case PQR_T_I32:
	case PQR_T_I64:
		(void)pqr_varint(in);
		break;
	case PQR_T_DOUBLE:
		if (in->end - in->p < 8)
			in->err = 1;
		else
			in->p += 8;
		break;
	case PQR_T_BINARY:
		(void)pqr_binary(in, &n);
		break;
	case PQR_T_LIST:
	case PQR_T_SET:
		type = pqr_list(in, &n);
		for (i = 0; i < n && !in->err; i++)
			pqr_skip(in, type == PQR_T_TRUE || type == PQR_T_FALSE ?
			    PQR_T_BYTE : type);
		break;
	case PQR_T_MAP:
		n = (size_t)pqr_varint(in);
		kv = n > 0 ? pqr_byte(in) : 0;
		for (i = 0; i < n && !in->err; i++) {
			pqr_skip(in, kv >> 4);
			pqr_skip(in, kv & 0x0f);
		}
		break;
	case PQR_T_STRUCT:
		if (in->depth + 1 >= PQR_MAX_DEPTH)
			in->err = 1;
		else
			pqr_skip_struct(in);
		break;
	default:
		in->err = 1;
	}
}

/* ColumnMetaData: keep it if path_in_schema is [name]. */
static int
pqr_column_meta(struct pqr_in *in, const char *name, struct pqr_chunk *c)
{
	const uint8_t	*s;
	size_t		 n, i, len;
	int16_t		 id;
	int		 t, match = 0;
	int64_t		 dict = -1, data = -1;

	pqr_struct_begin(in);
	while (!in->err && (t = pqr_field(in, &id)) != PQR_T_STOP) {
		if (id == 1 && t == PQR_T_I32)
			c->ptype = (int)pqr_zigzag(in);
		else if (id == 3 && t == PQR_T_LIST) {
			(void)pqr_list(in, &n);
			for (i = 0; i < n && !in->err; i++) {
				s = pqr_binary(in, &len);
				match = n == 1 && s != NULL &&
				    len == strlen(name) &&
				    memcmp(s, name, len) == 0;
			}
		} else if (id == 4 && t == PQR_T_I32)
			c->codec = (int)pqr_zigzag(in);
		else if (id == 5 && t == PQR_T_I64)
			c->num_values = pqr_zigzag(in);
		else if (id == 7 && t == PQR_T_I64)
			c->size = pqr_zigzag(in);
		else if (id == 9 && t == PQR_T_I64)
			data = pqr_zigzag(in);
		else if (id == 11 && t == PQR_T_I64)
			dict = pqr_zigzag(in);
		else
			pqr_skip(in, t);
	}
	c->start = dict > 0 && dict < data ? dict : data;
	return (match);
}

/* RowGroup.columns: the chunk of column name, if there. */
static int
pqr_row_group(struct pqr_in *in, const char *name, struct pqr_chunk *out)
{
	struct pqr_chunk	 c;
	size_t			 n, i;
	int16_t			 id, cid;
	int			 t, ct, found = 0;

	pqr_struct_begin(in);
	while (!in->err && (t = pqr_field(in, &id)) != PQR_T_STOP) {
		if (id != 1 || t != PQR_T_LIST) {
			pqr_skip(in, t);
			continue;
		}
		(void)pqr_list(in, &n);
		for (i = 0; i < n && !in->err; i++) {	/* ColumnChunk */
			pqr_struct_begin(in);
			while (!in->err &&
			    (ct = pqr_field(in, &cid)) != PQR_T_STOP) {
				memset(&c, 0, sizeof c);
				if (cid == 3 && ct == PQR_T_STRUCT &&
				    pqr_column_meta(in, name, &c)) {
					*out = c;
					found = 1;
				} else if (cid != 3 || ct != PQR_T_STRUCT)
					pqr_skip(in, ct);
			}
		}
	}
	return (found);
}

struct pqr_file *
pqr_open(const uint8_t *data, size_t len, char **cause)
{
	struct pqr_file	*f;
	struct pqr_in	 in;
	uint32_t	 flen;
	int16_t		 id;
	int		 t;

	if (len < 12 || memcmp(data, "PAR1", 4) != 0 ||
	    memcmp(data + len - 4, "PAR1", 4) != 0) {
		*cause = xstrdup("not a Parquet file (no PAR1 magic)");
		return (NULL);
	}
	flen = (uint32_t)data[len - 8] | (uint32_t)data[len - 7] << 8 |
	    (uint32_t)data[len - 6] << 16 | (uint32_t)data[len - 5] << 24;
	if (flen > len - 12) {
		*cause = xstrdup("footer length past the start of the file");
		return (NULL);
	}
	f = xcalloc(1, sizeof *f);
	f->data = data;
	f->len = len;
	f->footer = data + len - 8 - flen;
	f->footer_len = flen;
	memset(&in, 0, sizeof in);
	in.p = f->footer;
	in.end = f->footer + flen;
	pqr_struct_begin(&in);
	while (!in.err && (t = pqr_field(&in, &id)) != PQR_T_STOP) {
		if (id == 3 && t == PQR_T_I64)
			f->rows = pqr_zigzag(&in);
		else
			pqr_skip(&in, t);
	}
	if (in.err || f->rows < 0) {
		*cause = xstrdup("damaged footer");
		free(f);
		return (NULL);
	}
	return (f);
}

void
pqr_close(struct pqr_file *f)
{
	free(f);
}

int64_t
pqr_rows(const struct pqr_file *f)
{
	return (f->rows);
}

/* A page's payload, decompressed into *tmp when needed. */
static const uint8_t *
pqr_inflate(int codec, const uint8_t *src, size_t clen, size_t ulen,
    uint8_t **tmp, char **cause)
{
	size_t	r;

	if (codec == 0) {
		if (clen != ulen) {
			*cause = xstrdup("uncompressed page of two sizes");
			return (NULL);
		}
		return (src);
	}
	free(*tmp);
	*tmp = xmalloc(ulen > 0 ? ulen : 1);
	if (codec == 6) {
		r = ZSTD_decompress(*tmp, ulen, src, clen);
		if (ZSTD_isError(r) || r != ulen) {
			*cause = xstrdup("zstd page does not decompress to its "
			    "size");
			return (NULL);
		}
		return (*tmp);
	}
#ifdef HAVE_SNAPPY
	if (codec == 1) {
		r = ulen;
		if (snappy_uncompress((const char *)src, clen, (char *)*tmp,
		    &r) != SNAPPY_OK || r != ulen) {
			*cause = xstrdup("snappy page does not decompress");
			return (NULL);
		}
		return (*tmp);
	}
#endif
	*cause = xasprintf("unsupported codec %d", codec);
	return (NULL);
}

/* PLAIN values of type ptype: n of them into out; -1 if too short. */
static int
pqr_plain(int ptype, const uint8_t *p, size_t len, size_t n, int64_t *out)
{
	size_t	w = ptype == 1 ? 4 : 8, i, k;
	uint64_t v;

	if (len / w < n)
		return (-1);
	for (i = 0; i < n; i++, p += w) {
		for (v = 0, k = 0; k < w; k++)
			v |= (uint64_t)p[k] << (8 * k);
		out[i] = ptype == 1 ? (int64_t)(int32_t)(uint32_t)v :
		    (int64_t)v;
	}
	return (0);
}

/* RLE/bit-packed hybrid dictionary indices, mapped through dict. */
static int
pqr_dict_indices(const uint8_t *p, size_t len, size_t n, const int64_t *dict,
    size_t ndict, int64_t *out)
{
	struct pqr_in	in = { p + 1, p + len, 0, { 0 }, 0 };
	uint64_t	h, run, idx, bit;
	size_t		got = 0, i, k, w;

	if (len < 1 || (w = p[0]) > 32)
		return (-1);
	while (got < n) {
		h = pqr_varint(&in);
		if (in.err)
			return (-1);
		if ((h & 1) == 0) {			/* RLE run */
			run = h >> 1;
			for (idx = 0, k = 0; k < (w + 7) / 8; k++)
				idx |= (uint64_t)pqr_byte(&in) << (8 * k);
			if (in.err || idx >= ndict || run > n - got)
				return (-1);
			for (i = 0; i < run; i++)
				out[got++] = dict[idx];
			continue;
		}
		run = (h >> 1) * 8;			/* bit-packed groups */
		if (run * w / 8 > (uint64_t)(in.end - in.p))
			return (-1);
		for (i = 0; i < run; i++) {
			for (idx = 0, k = 0; k < w; k++) {
				bit = i * w + k;
				idx |= (uint64_t)(in.p[bit / 8] >> (bit % 8) &
				    1) << k;
			}
			if (got < n) {
				if (idx >= ndict)
					return (-1);
				out[got++] = dict[idx];
			}
		}
		in.p += run * w / 8;
	}
	return (0);
}

/* A page header's fields the reader needs. */
struct pqr_page {
	int		 type;		/* 0 data v1, 2 dictionary, 3 data v2 */
	int32_t		 ulen, clen;
	int32_t		 nvalues;
	int		 encoding;
	int32_t		 levels_len;	/* v2: def + rep level bytes */
	int		 v2_compressed;
};

/* DataPageHeader, DictionaryPageHeader or DataPageHeaderV2. */
static void
pqr_page_sub(struct pqr_in *in, struct pqr_page *pg, int v2)
{
	int16_t	id;
	int	t;

	pqr_struct_begin(in);
	while (!in->err && (t = pqr_field(in, &id)) != PQR_T_STOP) {
		if (id == 1 && t == PQR_T_I32)
			pg->nvalues = (int32_t)pqr_zigzag(in);
		else if (id == (v2 ? 4 : 2) && t == PQR_T_I32)
			pg->encoding = (int)pqr_zigzag(in);
		else if (v2 && (id == 5 || id == 6) && t == PQR_T_I32)
			pg->levels_len += (int32_t)pqr_zigzag(in);
		else if (v2 && id == 7 && (t == PQR_T_TRUE || t == PQR_T_FALSE))
			pg->v2_compressed = t == PQR_T_TRUE;
		else
			pqr_skip(in, t);
	}
}

static int
pqr_page_header(struct pqr_in *in, struct pqr_page *pg)
{
	int16_t	id;
	int	t;

	memset(pg, 0, sizeof *pg);
	pg->type = -1;
	pg->v2_compressed = 1;
	pqr_struct_begin(in);
	while (!in->err && (t = pqr_field(in, &id)) != PQR_T_STOP) {
		if (id == 1 && t == PQR_T_I32)
			pg->type = (int)pqr_zigzag(in);
		else if (id == 2 && t == PQR_T_I32)
			pg->ulen = (int32_t)pqr_zigzag(in);
		else if (id == 3 && t == PQR_T_I32)
			pg->clen = (int32_t)pqr_zigzag(in);
		else if ((id == 5 || id == 7 || id == 8) && t == PQR_T_STRUCT)
			pqr_page_sub(in, pg, id == 8);
		else
			pqr_skip(in, t);
	}
	if (in->err || pg->clen < 0 || pg->ulen < 0 || pg->ulen >
	    PQR_MAX_PAGE || pg->nvalues < 0 || pg->levels_len < 0 ||
	    pg->levels_len > pg->clen || pg->levels_len > pg->ulen ||
	    pg->clen > in->end - in->p)
		return (-1);
	return (0);
}

/* Decode the pages of one chunk, appending its values to out[*got..]. */
static int
pqr_chunk_values(const struct pqr_file *f, const struct pqr_chunk *c,
    int64_t *out, size_t cap, size_t *got, char **cause)
{
	struct pqr_in	 in;
	struct pqr_page	 pg;
	int64_t		*dict = NULL;
	size_t		 ndict = 0, n;
	uint8_t		*tmp = NULL;
	const uint8_t	*body;
	int		 rc = -1;

	if (c->start < 4 || c->size < 0 || (uint64_t)c->start +
	    (uint64_t)c->size > f->len - 8 - f->footer_len) {
		*cause = xstrdup("column chunk outside the file");
		return (-1);
	}
	memset(&in, 0, sizeof in);
	in.p = f->data + c->start;
	in.end = in.p + c->size;
	while (in.p < in.end) {
		if (pqr_page_header(&in, &pg) == -1) {
			*cause = xstrdup("damaged page header");
			goto out;
		}
		body = in.p;
		in.p += pg.clen;
		if (pg.type != 0 && pg.type != 2 && pg.type != 3)
			continue;			/* index pages */
		if (pg.type == 3 && pg.levels_len > 0) {
			*cause = xstrdup("unsupported: levels in a required "
			    "column");
			goto out;
		}
		if (pg.type == 3 && !pg.v2_compressed)
			body = pqr_inflate(0, body, (size_t)pg.clen,
			    (size_t)pg.ulen, &tmp, cause);
		else
			body = pqr_inflate(c->codec, body, (size_t)pg.clen,
			    (size_t)pg.ulen, &tmp, cause);
		if (body == NULL)
			goto out;
		n = (size_t)pg.nvalues;
		if (pg.type == 2) {
			free(dict);
			dict = xreallocarray(NULL, n + 1, sizeof *dict);
			ndict = n;
			if (pqr_plain(c->ptype, body, (size_t)pg.ulen, n,
			    dict) == -1) {
				*cause = xstrdup("short dictionary page");
				goto out;
			}
			continue;
		}
		if (n > cap - *got) {
			*cause = xstrdup("more values than the footer counts");
			goto out;
		}
		if (pg.encoding == 0 ? pqr_plain(c->ptype, body,
		    (size_t)pg.ulen, n, out + *got) : (pg.encoding == 2 ||
		    pg.encoding == 8) ? (dict == NULL ? -1 : pqr_dict_indices(
		    body, (size_t)pg.ulen, n, dict, ndict, out + *got)) : -2) {
			*cause = pg.encoding == 0 || pg.encoding == 2 ||
			    pg.encoding == 8 ? xstrdup("damaged data page") :
			    xasprintf("unsupported encoding %d", pg.encoding);
			goto out;
		}
		*got += n;
	}
	rc = 0;
out:
	free(dict);
	free(tmp);
	return (rc);
}

int
pqr_column_int64(struct pqr_file *f, const char *name, int64_t **out,
    size_t *n, char **cause)
{
	struct pqr_in	 in;
	struct pqr_chunk c;
	size_t		 ngroups, i, got = 0;
	int16_t		 id;
	int		 t;

	*out = xreallocarray(NULL, (size_t)f->rows + 1, sizeof **out);
	memset(&in, 0, sizeof in);
	in.p = f->footer;
	in.end = f->footer + f->footer_len;
	pqr_struct_begin(&in);
	while (!in.err && (t = pqr_field(&in, &id)) != PQR_T_STOP) {
		if (id != 4 || t != PQR_T_LIST) {
			pqr_skip(&in, t);
			continue;
		}
		(void)pqr_list(&in, &ngroups);
		for (i = 0; i < ngroups && !in.err; i++) {
			memset(&c, 0, sizeof c);
			if (!pqr_row_group(&in, name, &c)) {
				*cause = xasprintf("no column %s", name);
				goto fail;
			}
			if (c.ptype != 1 && c.ptype != 2) {
				*cause = xasprintf("column %s is not INT32 or "
				    "INT64", name);
				goto fail;
			}
			if (pqr_chunk_values(f, &c, *out, (size_t)f->rows,
			    &got, cause) == -1)
				goto fail;
		}
	}
	if (in.err)
		*cause = xstrdup("damaged footer");
	else if (got != (size_t)f->rows)
		*cause = xasprintf("column %s has %zu values for %lld rows",
		    name, got, (long long)f->rows);
	else {
		*n = got;
		return (0);
	}
fail:
	free(*out);
	*out = NULL;
	return (-1);
}
