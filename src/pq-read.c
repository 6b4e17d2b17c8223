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
#define PQR_MAX_ROWS	(16 * 1024 * 1024)	/* values kept per column */

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
	int		 maxdef;	/* 1 if the column is OPTIONAL */
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

/* In lists and maps a bool is a byte of its own, never in a header. */
static int
pqr_elem_type(int type)
{
	return (type == PQR_T_TRUE || type == PQR_T_FALSE ? PQR_T_BYTE :
	    type);
}

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
		type = pqr_elem_type(pqr_list(in, &n));
		for (i = 0; i < n && !in->err; i++)
			pqr_skip(in, type);
		break;
	case PQR_T_MAP:		/* each entry takes at least two bytes */
		n = (size_t)pqr_varint(in);
		if (n > (size_t)(in->end - in->p) / 2) {
			in->err = 1;
			break;
		}
		kv = n > 0 ? pqr_byte(in) : 0;
		for (i = 0; i < n && !in->err; i++) {
			pqr_skip(in, pqr_elem_type(kv >> 4));
			pqr_skip(in, pqr_elem_type(kv & 0x0f));
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

/*
 * n values of the RLE/bit-packed hybrid encoding at bit width w into out
 * (as uint32), from p..p+len.  -1 if the data ends early or a value does
 * not fit.
 */
static int
pqr_rle(const uint8_t *p, size_t len, unsigned w, size_t n, uint32_t *out)
{
	struct pqr_in	in;
	uint64_t	h, run, v, bit;
	size_t		got = 0, i, k;

	memset(&in, 0, sizeof in);
	in.p = p;
	in.end = p + len;
	if (w > 32)
		return (-1);
	while (got < n) {
		h = pqr_varint(&in);
		if (in.err)
			return (-1);
		if ((h & 1) == 0) {			/* RLE run */
			run = h >> 1;
			for (v = 0, k = 0; k < (w + 7) / 8; k++)
				v |= (uint64_t)pqr_byte(&in) << (8 * k);
			if (in.err || run > n - got || run == 0)
				return (-1);
			for (i = 0; i < run; i++)
				out[got++] = (uint32_t)v;
			continue;
		}
		run = (h >> 1) * 8;			/* bit-packed groups */
		if (run == 0 || run * w / 8 > (uint64_t)(in.end - in.p))
			return (-1);
		for (i = 0; i < run && got < n; i++) {
			for (v = 0, k = 0; k < w; k++) {
				bit = i * w + k;
				v |= (uint64_t)(in.p[bit / 8] >> (bit % 8) & 1)
				    << k;
			}
			out[got++] = (uint32_t)v;
		}
		in.p += run * w / 8;
	}
	return (0);
}

/* Dictionary indices (bit width byte, then the hybrid) through dict. */
static int
pqr_dict_values(const uint8_t *p, size_t len, size_t n, const int64_t *dict,
    size_t ndict, int64_t *out)
{
	uint32_t	*idx;
	size_t		 i;
	int		 rc = -1;

	if (len < 1 || dict == NULL)
		return (-1);
	idx = xreallocarray(NULL, n + 1, sizeof *idx);
	if (pqr_rle(p + 1, len - 1, p[0], n, idx) == 0) {
		for (i = 0; i < n && idx[i] < ndict; i++)
			out[i] = dict[idx[i]];
		rc = i == n ? 0 : -1;
	}
	free(idx);
	return (rc);
}

/* w bits at bit offset bit of p (LSB first), w <= 64. */
static uint64_t
pqr_bits(const uint8_t *p, uint64_t bit, unsigned w)
{
	uint64_t	v = 0;
	unsigned	k;

	for (k = 0; k < w; k++, bit++)
		v |= (uint64_t)(p[bit / 8] >> (bit % 8) & 1) << k;
	return (v);
}

/* DELTA_BINARY_PACKED: n values into out. */
static int
pqr_delta(const uint8_t *p, size_t len, size_t n, int64_t *out)
{
	struct pqr_in	in;
	uint64_t	block, nmini, total, per, cur, mind, got = 0;
	uint64_t	m, i, bytes;
	const uint8_t	*widths;

	memset(&in, 0, sizeof in);
	in.p = p;
	in.end = p + len;
	block = pqr_varint(&in);
	nmini = pqr_varint(&in);
	total = pqr_varint(&in);
	cur = (uint64_t)pqr_zigzag(&in);
	if (in.err || nmini == 0 || block == 0 || block % nmini != 0 ||
	    (per = block / nmini) % 8 != 0 || total < n || block > 65536)
		return (-1);
	if (n > 0)
		out[got++] = (int64_t)cur;
	while (got < n) {
		mind = (uint64_t)pqr_zigzag(&in);
		if (in.err || nmini > (uint64_t)(in.end - in.p))
			return (-1);
		widths = in.p;
		in.p += nmini;
		for (m = 0; m < nmini && got < n; m++) {
			if (widths[m] > 64)
				return (-1);
			bytes = per * widths[m] / 8;
			if (bytes > (uint64_t)(in.end - in.p))
				return (-1);
			for (i = 0; i < per && got < n; i++) {
				cur += mind + pqr_bits(in.p, i * widths[m],
				    widths[m]);
				out[got++] = (int64_t)cur;
			}
			in.p += bytes;
		}
	}
	return (0);
}

/* Values of one data page (levels already skipped) into out. */
static int
pqr_page_values(const struct pqr_chunk *c, int encoding, const uint8_t *p,
    size_t len, size_t n, const int64_t *dict, size_t ndict, int64_t *out,
    char **cause)
{
	int	rc;

	switch (encoding) {
	case 0:
		rc = pqr_plain(c->ptype, p, len, n, out);
		break;
	case 2:
	case 8:
		rc = pqr_dict_values(p, len, n, dict, ndict, out);
		break;
	case 5:
		rc = pqr_delta(p, len, n, out);
		if (rc == 0 && c->ptype == 1)
			for (size_t i = 0; i < n; i++)
				out[i] = (int32_t)(uint32_t)out[i];
		break;
	default:
		*cause = xasprintf("unsupported encoding %d", encoding);
		return (-1);
	}
	if (rc == -1)
		*cause = xstrdup("damaged data page");
	return (rc);
}

/* Check n definition levels (bit width 1) say "present"; -1 if a null. */
static int
pqr_no_nulls(const uint8_t *p, size_t len, size_t n, char **cause)
{
	uint32_t	*lv = xreallocarray(NULL, n + 1, sizeof *lv);
	size_t		 i;
	int		 rc = 0;

	if (pqr_rle(p, len, 1, n, lv) == -1) {
		*cause = xstrdup("damaged definition levels");
		rc = -1;
	}
	for (i = 0; rc == 0 && i < n; i++) {
		if (lv[i] != 1) {
			*cause = xstrdup("a null value");
			rc = -1;
		}
	}
	free(lv);
	return (rc);
}

/* A data page's values region: levels checked, payload inflated. */
static const uint8_t *
pqr_data_region(const struct pqr_chunk *c, const struct pqr_page *pg,
    const uint8_t *raw, uint8_t **tmp, size_t *len, char **cause)
{
	const uint8_t	*b;
	uint32_t	 ll;
	size_t		 lv = (size_t)pg->levels_len;

	if (pg->type == 3) {		/* v2: levels raw, then the values */
		if (c->maxdef > 0 && pqr_no_nulls(raw, lv, (size_t)pg->nvalues,
		    cause) == -1)
			return (NULL);
		*len = (size_t)pg->ulen - lv;
		return (pqr_inflate(pg->v2_compressed ? c->codec : 0, raw + lv,
		    (size_t)pg->clen - lv, *len, tmp, cause));
	}
	if ((b = pqr_inflate(c->codec, raw, (size_t)pg->clen,
	    (size_t)pg->ulen, tmp, cause)) == NULL)
		return (NULL);
	*len = (size_t)pg->ulen;
	if (c->maxdef == 0)
		return (b);
	if (*len < 4 || (ll = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
	    (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24) > *len - 4) {
		*cause = xstrdup("damaged definition levels");
		return (NULL);
	}
	if (pqr_no_nulls(b + 4, ll, (size_t)pg->nvalues, cause) == -1)
		return (NULL);
	*len -= 4 + ll;
	return (b + 4 + ll);
}

/* Decode the pages of one chunk, appending its values to out[*got..]. */
static int
pqr_chunk_values(const struct pqr_file *f, const struct pqr_chunk *c,
    int64_t *out, size_t cap, size_t *got, char **cause)
{
	struct pqr_in	 in;
	struct pqr_page	 pg;
	int64_t		*dict = NULL;
	size_t		 ndict = 0, n, len;
	uint8_t		*tmp = NULL;
	const uint8_t	*body, *raw;
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
		raw = in.p;
		in.p += pg.clen;
		n = (size_t)pg.nvalues;
		if (pg.type == 2) {
			if ((body = pqr_inflate(c->codec, raw, (size_t)pg.clen,
			    (size_t)pg.ulen, &tmp, cause)) == NULL)
				goto out;
			if (n > (size_t)pg.ulen / (c->ptype == 1 ? 4 : 8)) {
				*cause = xstrdup("short dictionary page");
				goto out;
			}
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
		if (pg.type != 0 && pg.type != 3)
			continue;			/* index pages */
		if (n > cap - *got) {
			*cause = xstrdup("more values than the footer counts");
			goto out;
		}
		if ((body = pqr_data_region(c, &pg, raw, &tmp, &len,
		    cause)) == NULL || pqr_page_values(c, pg.encoding, body,
		    len, n, dict, ndict, out + *got, cause) == -1)
			goto out;
		*got += n;
	}
	rc = 0;
out:
	free(dict);
	free(tmp);
	return (rc);
}

/* FileMetaData.schema: whether top-level column name is OPTIONAL. */
static int
pqr_schema_maxdef(struct pqr_in *in, const char *name, int *maxdef)
{
	size_t		 n, i, len;
	int16_t		 id;
	int		 t, rep, nchild, depth1 = 0, found = 0;
	const uint8_t	*nm;

	(void)pqr_list(in, &n);
	for (i = 0; i < n && !in->err; i++) {	/* SchemaElement */
		rep = 0;
		nchild = 0;
		nm = NULL;
		len = 0;
		pqr_struct_begin(in);
		while (!in->err && (t = pqr_field(in, &id)) != PQR_T_STOP) {
			if (id == 3 && t == PQR_T_I32)
				rep = (int)pqr_zigzag(in);
			else if (id == 4 && t == PQR_T_BINARY)
				nm = pqr_binary(in, &len);
			else if (id == 5 && t == PQR_T_I32)
				nchild = (int)pqr_zigzag(in);
			else
				pqr_skip(in, t);
		}
		/* element 0 is the root; flat columns follow it directly */
		if (i > 0 && nchild == 0 && depth1 == 0 && nm != NULL &&
		    len == strlen(name) && memcmp(nm, name, len) == 0) {
			*maxdef = rep == 1;
			found = 1;
		}
		if (i > 0 && nchild > 0)
			depth1 += nchild;	/* inside a group: not top */
		else if (i > 0 && depth1 > 0)
			depth1--;
	}
	return (found);
}

int
pqr_column_int64(struct pqr_file *f, const char *name, int64_t **out,
    size_t *n, char **cause)
{
	struct pqr_in	 in;
	struct pqr_chunk c;
	size_t		 ngroups, i, got = 0;
	int16_t		 id;
	int		 t, maxdef = -1;

	if (f->rows > PQR_MAX_ROWS) {
		*cause = xasprintf("%lld rows: more than this reader takes",
		    (long long)f->rows);
		*out = NULL;
		return (-1);
	}
	*out = xreallocarray(NULL, (size_t)f->rows + 1, sizeof **out);
	memset(&in, 0, sizeof in);
	in.p = f->footer;
	in.end = f->footer + f->footer_len;
	pqr_struct_begin(&in);
	while (!in.err && (t = pqr_field(&in, &id)) != PQR_T_STOP) {
		if (id == 2 && t == PQR_T_LIST) {
			if (!pqr_schema_maxdef(&in, name, &maxdef))
				maxdef = -1;
			continue;
		}
		if (id != 4 || t != PQR_T_LIST) {
			pqr_skip(&in, t);
			continue;
		}
		(void)pqr_list(&in, &ngroups);
		for (i = 0; i < ngroups && !in.err; i++) {
			memset(&c, 0, sizeof c);
			if (maxdef < 0 || !pqr_row_group(&in, name, &c)) {
				*cause = xasprintf("no column %s", name);
				goto fail;
			}
			c.maxdef = maxdef;
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
