/*
 * parquet-page.c: the Parquet writer's page layer: RLE/bit-packed hybrid
 * levels and indices, the per-chunk dictionary with its plain fallback,
 * running statistics, and cutting and compressing data pages.
 */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>
#ifdef HAVE_SNAPPY
#include <snappy-c.h>
#endif

#include "log.h"
#include "parquet-int.h"
#include "xmalloc.h"

/* Bits needed to store v (0 for 0). */
int
pq_bit_width_(uint32_t v)
{
	int	n = 0;

	while (v != 0) {
		n++;
		v >>= 1;
	}
	return (n);
}

static inline uint32_t
pq_rle_get(const void *v, int esz, size_t i)
{
	if (esz == 1)
		return (((const uint8_t *)v)[i]);
	return (((const uint32_t *)v)[i]);
}

/* Length of the run of equal values starting at i, looking at most max. */
static size_t
pq_rle_run(const void *v, int esz, size_t i, size_t n, size_t max)
{
	uint32_t	x = pq_rle_get(v, esz, i);
	size_t		j = i + 1;

	while (j < n && j - i < max && pq_rle_get(v, esz, j) == x)
		j++;
	return (j - i);
}

/* One bit-packed run of values [i, j), padded with zeros to groups of 8. */
static void
pq_rle_pack(struct buf *b, const void *v, int esz, size_t i, size_t j,
    int bw)
{
	size_t		groups = (j - i + 7) / 8, k;
	uint64_t	acc = 0;
	int		nbits = 0;

	buf_put_uvarint(b, ((uint64_t)groups << 1) | 1);
	buf_reserve(b, groups * (size_t)bw);
	for (k = i; k < i + groups * 8; k++) {
		if (k < j)
			acc |= (uint64_t)pq_rle_get(v, esz, k) << nbits;
		nbits += bw;
		while (nbits >= 8) {
			b->data[b->len++] = (uint8_t)acc;
			acc >>= 8;
			nbits -= 8;
		}
	}
}

/*
 * RLE/bit-packed hybrid: runs of 8 or more equal values become RLE runs,
 * everything else bit-packed groups of 8 (only the last one padded).
 */
static void
pq_rle_encode(struct buf *b, const void *v, int esz, size_t n, int bw)
{
	size_t		i = 0, j, r;
	uint32_t	x;
	int		k;

	while (i < n) {
		r = pq_rle_run(v, esz, i, n, 0x7fffffff);
		if (r >= 8) {
			buf_put_uvarint(b, (uint64_t)r << 1);
			x = pq_rle_get(v, esz, i);
			for (k = 0; k < (bw + 7) / 8; k++)
				buf_putc(b, (uint8_t)(x >> (8 * k)));
			i += r;
			continue;
		}
		j = i;
		do
			j += 8;
		while (j < n && pq_rle_run(v, esz, j, n, 8) < 8);
		if (j > n)
			j = n;
		pq_rle_pack(b, v, esz, i, j, bw);
		i = j;
	}
}

void
pq_rle_encode_(struct buf *b, const uint32_t *v, size_t n, int bw)
{
	pq_rle_encode(b, v, 4, n, bw);
}

void
pq_rle_encode_u8_(struct buf *b, const uint8_t *v, size_t n, int bw)
{
	pq_rle_encode(b, v, 1, n, bw);
}

/* Levels of a v1 data page: 4-byte LE length, then the hybrid runs. */
static void
pq_levels(struct buf *b, const struct buf *lv, int max)
{
	size_t	at = b->len, len;

	buf_put_le32(b, 0);
	pq_rle_encode_u8_(b, lv->data, lv->len, pq_bit_width_((uint32_t)max));
	len = b->len - at - 4;
	b->data[at] = len & 0xff;
	b->data[at + 1] = (len >> 8) & 0xff;
	b->data[at + 2] = (len >> 16) & 0xff;
	b->data[at + 3] = (len >> 24) & 0xff;
}

static int64_t
pq_decode_int(const struct pq_leaf *l, const uint8_t *p)
{
	uint32_t	lo, hi;

	lo = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
	if (l->ptype == PQ_T_INT32)
		return ((int32_t)lo);
	hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
	    (uint32_t)p[7] << 24;
	return ((int64_t)((uint64_t)hi << 32 | lo));
}

/* Unsigned byte-wise order, shorter first on a common prefix. */
static int
pq_bytes_cmp(const uint8_t *a, size_t alen, const struct buf *b)
{
	size_t	n = alen < b->len ? alen : b->len;
	int	c = n > 0 ? memcmp(a, b->data, n) : 0;

	if (c != 0)
		return (c);
	return (alen < b->len ? -1 : alen > b->len);
}

static void
pq_stat_set(struct buf *b, const uint8_t *p, size_t len)
{
	buf_reset(b);
	buf_append(b, p, len);
}

/* Fold one non-null value into min/max. */
static void
pq_stat_update(struct pq_stat *s, const struct pq_leaf *l, const uint8_t *p,
    size_t len)
{
	int64_t	v;

	if (l->ptype != PQ_T_BYTE_ARRAY) {
		v = pq_decode_int(l, p);
		if (!s->has_minmax || v < s->imin)
			s->imin = v;
		if (!s->has_minmax || v > s->imax)
			s->imax = v;
	} else {
		if (!s->has_minmax || pq_bytes_cmp(p, len, &s->bmin) < 0)
			pq_stat_set(&s->bmin, p, len);
		if (!s->has_minmax || pq_bytes_cmp(p, len, &s->bmax) > 0)
			pq_stat_set(&s->bmax, p, len);
	}
	s->has_minmax = 1;
}

void
pq_stat_reset_(struct pq_stat *s)
{
	s->has_minmax = 0;
	s->imin = s->imax = 0;
	buf_reset(&s->bmin);
	buf_reset(&s->bmax);
	s->values = s->nulls = 0;
}

/* Fold a chunk's statistics into the file's. */
void
pq_stat_merge_(struct pq_stat *to, const struct pq_stat *from,
    const struct pq_leaf *l)
{
	uint8_t	tmp[8];
	int	i;

	to->values += from->values;
	to->nulls += from->nulls;
	if (!from->has_minmax)
		return;
	if (l->ptype == PQ_T_BYTE_ARRAY) {
		pq_stat_update(to, l, from->bmin.data, from->bmin.len);
		pq_stat_update(to, l, from->bmax.data, from->bmax.len);
		return;
	}
	for (i = 0; i < 8; i++)
		tmp[i] = (uint8_t)((uint64_t)from->imin >> (8 * i));
	pq_stat_update(to, l, tmp, 0);
	for (i = 0; i < 8; i++)
		tmp[i] = (uint8_t)((uint64_t)from->imax >> (8 * i));
	pq_stat_update(to, l, tmp, 0);
}

/*
 * Up to 8 bytes as one word, for hashing and comparing values of the same
 * length: two 4-byte loads that may overlap, no libc call.
 */
static inline uint64_t
pq_load(const uint8_t *p, size_t n)
{
	uint32_t	a, b;

	if (n >= 4) {
		memcpy(&a, p, 4);
		memcpy(&b, p + n - 4, 4);
		return ((uint64_t)b << 32 | a);
	}
	if (n == 0)
		return (0);
	return ((uint64_t)p[0] | (uint64_t)p[n / 2] << 8 |
	    (uint64_t)p[n - 1] << 16);
}

static uint32_t
pq_hash(const uint8_t *p, size_t len)
{
	uint64_t	h = 0x9e3779b97f4a7c15ull ^ len, w;

	while (len > 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	h = (h ^ pq_load(p, len)) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 32;
	return ((uint32_t)h);
}

/* Equal values; short ones without a libc call. */
static inline int
pq_same(const uint8_t *a, const uint8_t *b, size_t len)
{
	if (len <= 8)
		return (pq_load(a, len) == pq_load(b, len));
	return (memcmp(a, b, len) == 0);
}

static void
pq_dict_rehash(struct pq_leaf *l)
{
	size_t	i, s, mask;

	free(l->slots);
	l->nslots = l->nslots ? l->nslots * 2 : 1024;
	l->slots = xcalloc(l->nslots, sizeof *l->slots);
	mask = l->nslots - 1;
	for (i = 0; i < l->ndict; i++) {
		s = l->dents[i].hash & mask;
		while (l->slots[s] != 0)
			s = (s + 1) & mask;
		l->slots[s] = (uint32_t)i + 1;
	}
}

/* Add a new entry (plain-encoded into the dictionary) at slot s. */
static uint32_t
pq_dict_add(struct pq_writer *w, struct pq_leaf *l, const uint8_t *p,
    size_t len, uint32_t h)
{
	struct pq_dent	*d;

	if (l->ndict == l->dentcap) {
		l->dentcap = l->dentcap ? l->dentcap * 2 : 256;
		l->dents = xreallocarray(l->dents, l->dentcap, sizeof *l->dents);
	}
	if (l->ptype == PQ_T_BYTE_ARRAY)
		buf_put_le32(&l->dict, (uint32_t)len);
	d = &l->dents[l->ndict];
	d->off = (uint32_t)l->dict.len;
	d->len = (uint32_t)len;
	d->hash = h;
	buf_append(&l->dict, p, len);
	pq_stat_update(&l->cstat, l, p, len);
	if (l->dict.len > w->opt.dict_size || (l->dict_values >=
	    PQ_DICT_PROBE && (int64_t)l->ndict * 2 > l->dict_values))
		l->dict_fallback = 1;
	return ((uint32_t)l->ndict++);
}

/* Index of a value in the dictionary, adding it when new. */
static uint32_t
pq_dict_index(struct pq_writer *w, struct pq_leaf *l, const uint8_t *p,
    size_t len)
{
	uint32_t	h = pq_hash(p, len), e;
	size_t		s, mask;
	struct pq_dent	*d;

	if ((l->ndict + 1) * 2 > l->nslots)
		pq_dict_rehash(l);
	mask = l->nslots - 1;
	for (s = h & mask; (e = l->slots[s]) != 0; s = (s + 1) & mask) {
		d = &l->dents[e - 1];
		if (d->hash == h && d->len == len &&
		    pq_same(l->dict.data + d->off, p, len))
			return (e - 1);
	}
	l->slots[s] = (uint32_t)l->ndict + 1;
	return (pq_dict_add(w, l, p, len, h));
}

static void
pq_dict_clear(struct pq_leaf *l)
{
	buf_reset(&l->dict);
	l->ndict = 0;
	if (l->slots != NULL)
		memset(l->slots, 0, l->nslots * sizeof *l->slots);
	l->dict_values = 0;
	l->dict_pages = 0;
}

/* Append one non-null value (ints as little-endian bytes). */
void
pq_leaf_value_(struct pq_writer *w, struct pq_leaf *l, const void *p,
    size_t len)
{
	uint32_t	idx;
	uint8_t		le[4];

	if (l->dict_on) {
		l->dict_values++;
		idx = pq_dict_index(w, l, p, len);
		pq_append_(&l->values, &idx, 4);
		return;
	}
	if (l->ptype == PQ_T_BYTE_ARRAY) {
		le[0] = len & 0xff;
		le[1] = (len >> 8) & 0xff;
		le[2] = (len >> 16) & 0xff;
		le[3] = (len >> 24) & 0xff;
		pq_append_(&l->values, le, 4);
	}
	pq_append_(&l->values, p, len);
	pq_stat_update(&l->cstat, l, p, len);
}

/*
 * Leave dictionary mode.  With no dictionary page cut yet, the page's
 * indices become plain values and the dictionary goes; otherwise the page
 * is cut while still dictionary-encoded and the dictionary stays.
 */
static void
pq_dict_fallback(struct pq_writer *w, struct pq_leaf *l)
{
	const uint32_t	*idx;
	const struct pq_dent *d;
	struct buf	 tmp;
	size_t		 i, n, pre;

	l->dict_fallback = 0;
	if (l->dict_pages > 0) {
		pq_leaf_cut_page_(w, l);
		l->dict_on = 0;
		return;
	}
	pre = l->ptype == PQ_T_BYTE_ARRAY ? 4 : 0;
	buf_reset(&w->page);
	idx = (const uint32_t *)l->values.data;
	n = l->values.len / 4;
	for (i = 0; i < n; i++) {
		d = &l->dents[idx[i]];
		buf_append(&w->page, l->dict.data + d->off - pre, d->len + pre);
	}
	tmp = l->values;
	l->values = w->page;
	w->page = tmp;
	pq_dict_clear(l);
	l->dict_on = 0;
}

/* End of a row for a leaf with work: pending fallback, a full page. */
void
pq_leaf_row_done_(struct pq_writer *w, struct pq_leaf *l)
{
	if (l->dict_fallback)
		pq_dict_fallback(w, l);
	if (pq_leaf_page_full_(w, l))
		pq_leaf_cut_page_(w, l);
}

/* Compress with the writer's codec; returns the output and its length. */
const uint8_t *
pq_compress_(struct pq_writer *w, const uint8_t *src, size_t len,
    size_t *clen)
{
	size_t	bound, r;

	switch (w->opt.codec) {
	case PQ_ZSTD:
		bound = ZSTD_compressBound(len);
		buf_reset(&w->cbuf);
		buf_reserve(&w->cbuf, bound);
		r = ZSTD_compressCCtx(w->zctx, w->cbuf.data, bound, src, len,
		    w->opt.level);
		if (ZSTD_isError(r))
			fatalx("%s: zstd: %s", __func__, ZSTD_getErrorName(r));
		*clen = r;
		return (w->cbuf.data);
#ifdef HAVE_SNAPPY
	case PQ_SNAPPY:
		bound = snappy_max_compressed_length(len);
		buf_reset(&w->cbuf);
		buf_reserve(&w->cbuf, bound);
		if (snappy_compress((const char *)src, len,
		    (char *)w->cbuf.data, &bound) != SNAPPY_OK)
			fatalx("%s: snappy failed", __func__);
		*clen = bound;
		return (w->cbuf.data);
#endif
	default:
		*clen = len;
		return (src);
	}
}

/* Levels and values of the page, in w->page unless it is values alone. */
static const struct buf *
pq_page_payload(struct pq_writer *w, struct pq_leaf *l, int *enc)
{
	int	bw;

	*enc = PQ_ENC_PLAIN;
	if (l->dict_on && l->ndict > 0)
		*enc = PQ_ENC_RLE_DICTIONARY;
	else if (l->max_def == 0 && l->max_rep == 0)
		return (&l->values);	/* required, plain: no copy */
	buf_reset(&w->page);
	if (l->max_rep > 0)
		pq_levels(&w->page, &l->reps, l->max_rep);
	if (l->max_def > 0)
		pq_levels(&w->page, &l->defs, l->max_def);
	if (*enc == PQ_ENC_PLAIN) {
		buf_append(&w->page, l->values.data, l->values.len);
		return (&w->page);
	}
	bw = pq_bit_width_((uint32_t)l->ndict - 1);
	if (bw == 0)
		bw = 1;
	buf_putc(&w->page, (uint8_t)bw);
	pq_rle_encode_(&w->page, (const uint32_t *)l->values.data,
	    l->values.len / 4, bw);
	return (&w->page);
}

/* Encode, compress and append the current page to the column chunk. */
void
pq_leaf_cut_page_(struct pq_writer *w, struct pq_leaf *l)
{
	const struct buf	*p;
	const uint8_t		*out;
	size_t			 clen;
	int			 enc;

	if (l->nlevels == 0)
		return;
	p = pq_page_payload(w, l, &enc);
	if (enc == PQ_ENC_PLAIN)
		l->plain_pages++;
	else
		l->dict_pages++;
	out = pq_compress_(w, p->data, p->len, &clen);
	pq_page_header_(&w->hdr, PQ_PAGE_DATA, p->len, clen, l->nlevels, enc);
	buf_append(&l->chunk, w->hdr.data, w->hdr.len);
	buf_append(&l->chunk, out, clen);
	l->chunk_usize += (int64_t)(w->hdr.len + p->len);
	buf_reset(&l->values);
	buf_reset(&l->defs);
	buf_reset(&l->reps);
	l->nlevels = 0;
}

/* After a row group: empty chunk, fresh dictionary, chunk stats reset. */
void
pq_leaf_reset_chunk_(struct pq_writer *w, struct pq_leaf *l)
{
	buf_reset(&l->chunk);
	l->chunk_usize = 0;
	pq_dict_clear(l);
	l->plain_pages = 0;
	l->dict_on = w->opt.dictionary && !w->cols[l->col].no_dict;
	pq_stat_reset_(&l->cstat);
}

void
pq_leaf_free_(struct pq_leaf *l)
{
	int	i;

	free(l->name);
	for (i = 0; i < l->npath; i++)
		free(l->path[i]);
	buf_free(&l->values);
	buf_free(&l->defs);
	buf_free(&l->reps);
	buf_free(&l->dict);
	free(l->dents);
	free(l->slots);
	buf_free(&l->chunk);
	buf_free(&l->cstat.bmin);
	buf_free(&l->cstat.bmax);
	buf_free(&l->fstat.bmin);
	buf_free(&l->fstat.bmax);
}
