/*
 * avro.c: Avro binary encoders and the object container file writer
 * (avro-spec.md "Binary Encoding" and "Object Container Files").
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <zlib.h>

#include "avro.h"
#include "log.h"
#include "xmalloc.h"

struct avro_writer {
	struct buf	*out;		/* borrowed, or NULL to use sink */
	avro_sink_fn	 sink;
	void		*arg;
	enum avro_codec	 codec;
	uint8_t		 sync[AVRO_SYNC_SIZE];
	struct buf	 block;		/* encoded records of the open block */
	struct buf	 scratch;	/* header, compressed block */
	uint64_t	 block_count;
	uint64_t	 records;
	size_t		 block_size;
	int		 failed;
};

void
avro_put_null(struct buf *b)
{
	(void)b;
}

void
avro_put_boolean(struct buf *b, int v)
{
	buf_putc(b, v ? 1 : 0);
}

void
avro_put_int(struct buf *b, int32_t v)
{
	buf_put_zigzag(b, v);
}

void
avro_put_long(struct buf *b, int64_t v)
{
	buf_put_zigzag(b, v);
}

void
avro_put_float(struct buf *b, float v)
{
	uint32_t	u;

	memcpy(&u, &v, sizeof u);
	buf_put_le32(b, u);
}

void
avro_put_double(struct buf *b, double v)
{
	uint64_t	u;

	memcpy(&u, &v, sizeof u);
	buf_put_le64(b, u);
}

void
avro_put_bytes(struct buf *b, const void *p, size_t len)
{
	buf_put_zigzag(b, (int64_t)len);
	buf_append(b, p, len);
}

void
avro_put_string(struct buf *b, const char *s)
{
	avro_put_bytes(b, s, strlen(s));
}

void
avro_put_fixed(struct buf *b, const void *p, size_t len)
{
	buf_append(b, p, len);
}

void
avro_put_enum(struct buf *b, int32_t v)
{
	buf_put_zigzag(b, v);
}

void
avro_put_union(struct buf *b, int32_t branch)
{
	buf_put_zigzag(b, branch);
}

void
avro_put_array_start(struct buf *b, int64_t count)
{
	if (count > 0)
		buf_put_zigzag(b, count);
}

void
avro_put_array_end(struct buf *b)
{
	buf_putc(b, 0);
}

/* Hand bytes to the destination. */
static int
avro_emit(struct avro_writer *w, const void *p, size_t len, char **cause)
{
	if (w->failed) {
		*cause = xstrdup("avro writer failed earlier");
		return (-1);
	}
	if (w->out != NULL) {
		buf_append(w->out, p, len);
		return (0);
	}
	if (w->sink(w->arg, p, len) == -1) {
		w->failed = 1;
		*cause = xstrdup("avro writer: output failed");
		return (-1);
	}
	return (0);
}

/* Raw deflate (RFC 1951, no zlib header) of in into out. */
static int
avro_deflate(const struct buf *in, struct buf *out, char **cause)
{
	z_stream	zs;
	uLong		bound;
	int		rc;

	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		*cause = xstrdup("deflateInit2 failed");
		return (-1);
	}
	bound = deflateBound(&zs, (uLong)in->len);
	buf_reset(out);
	buf_reserve(out, bound);
	zs.next_in = in->data;
	zs.avail_in = (uInt)in->len;
	zs.next_out = out->data;
	zs.avail_out = (uInt)bound;
	rc = deflate(&zs, Z_FINISH);
	out->len = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		*cause = xasprintf("deflate failed (%d)", rc);
		return (-1);
	}
	return (0);
}

/* Write the open block: count, size, data, sync. */
static int
avro_flush_block(struct avro_writer *w, char **cause)
{
	struct buf	 head = BUF_INIT;
	const struct buf *data = &w->block;
	int		 rc;

	if (w->failed) {
		*cause = xstrdup("avro writer: output failed earlier");
		return (-1);
	}
	if (w->block_count == 0)
		return (0);
	if (w->codec == AVRO_CODEC_DEFLATE) {
		if (avro_deflate(&w->block, &w->scratch, cause) == -1)
			return (-1);
		data = &w->scratch;
	}
	avro_put_long(&head, (int64_t)w->block_count);
	avro_put_long(&head, (int64_t)data->len);
	rc = avro_emit(w, head.data, head.len, cause);
	if (rc == 0)
		rc = avro_emit(w, data->data, data->len, cause);
	if (rc == 0)
		rc = avro_emit(w, w->sync, AVRO_SYNC_SIZE, cause);
	buf_free(&head);
	buf_reset(&w->block);
	w->block_count = 0;
	return (rc);
}

/* The header: magic, metadata map, sync marker. */
static void
avro_header(struct avro_writer *w, const char *schema,
    const struct avro_meta *meta, size_t nmeta, struct buf *b)
{
	size_t	i;

	buf_append(b, "Obj\x01", 4);
	avro_put_array_start(b, (int64_t)nmeta + 2);
	avro_put_string(b, "avro.schema");
	avro_put_string(b, schema);
	avro_put_string(b, "avro.codec");
	avro_put_string(b, w->codec == AVRO_CODEC_DEFLATE ? "deflate" :
	    "null");
	for (i = 0; i < nmeta; i++) {
		avro_put_string(b, meta[i].key);
		avro_put_string(b, meta[i].value);
	}
	avro_put_array_end(b);
	buf_append(b, w->sync, AVRO_SYNC_SIZE);
}

struct avro_writer *
avro_writer_new(const char *schema_json, const struct avro_meta *meta,
    size_t nmeta, enum avro_codec codec, struct buf *out, avro_sink_fn sink,
    void *arg, char **cause)
{
	struct avro_writer	*w;
	struct buf		 head = BUF_INIT;

	if (out == NULL && sink == NULL)
		fatalx("avro_writer_new: no output");
	w = xcalloc(1, sizeof *w);
	w->out = out;
	w->sink = sink;
	w->arg = arg;
	w->codec = codec;
	w->block_size = AVRO_DEFAULT_BLOCK;
	if (getrandom(w->sync, sizeof w->sync, 0) != sizeof w->sync)
		fatal("getrandom");
	avro_header(w, schema_json, meta, nmeta, &head);
	if (avro_emit(w, head.data, head.len, cause) == -1) {
		buf_free(&head);
		avro_writer_free(w);
		return (NULL);
	}
	buf_free(&head);
	return (w);
}

void
avro_writer_set_block_size(struct avro_writer *w, size_t size)
{
	w->block_size = size > 0 ? size : 1;
}

int
avro_writer_append(struct avro_writer *w, const void *rec, size_t len,
    char **cause)
{
	buf_append(&w->block, rec, len);
	w->block_count++;
	w->records++;
	if (w->block.len >= w->block_size)
		return (avro_flush_block(w, cause));
	return (0);
}

int
avro_writer_close(struct avro_writer *w, char **cause)
{
	return (avro_flush_block(w, cause));
}

uint64_t
avro_writer_records(const struct avro_writer *w)
{
	return (w->records);
}

const uint8_t *
avro_writer_sync(const struct avro_writer *w)
{
	return (w->sync);
}

void
avro_writer_free(struct avro_writer *w)
{
	if (w == NULL)
		return;
	buf_free(&w->block);
	buf_free(&w->scratch);
	free(w);
}

int
avro_writer_append_records(struct avro_writer *w, const void *data,
    size_t len, uint64_t count, char **cause)
{
	if (avro_flush_block(w, cause) == -1)
		return (-1);
	buf_append(&w->block, data, len);
	w->block_count = count;
	w->records += count;
	return (avro_flush_block(w, cause));
}

/* A zigzag long at f->pos, bounds-checked. */
static int
avro_file_long(struct avro_file *f, int64_t *out)
{
	uint64_t	v = 0;
	int		shift = 0;
	uint8_t		c;

	do {
		if (f->pos >= f->len || shift > 63)
			return (-1);
		c = f->data[f->pos++];
		v |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	*out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
	return (0);
}

/* A length-prefixed byte string at f->pos. */
static int
avro_file_bytes(struct avro_file *f, const uint8_t **p, size_t *n)
{
	int64_t	len;

	if (avro_file_long(f, &len) == -1 || len < 0 ||
	    (uint64_t)len > f->len - f->pos)
		return (-1);
	*p = f->data + f->pos;
	*n = (size_t)len;
	f->pos += (size_t)len;
	return (0);
}

/* The header's metadata map. */
static int
avro_file_header_map(struct avro_file *f, char **cause)
{
	const uint8_t	*k, *v;
	size_t		 klen, vlen;
	int64_t		 n, junk;

	for (;;) {
		if (avro_file_long(f, &n) == -1)
			goto bad;
		if (n == 0)
			return (0);
		if (n == INT64_MIN)
			goto bad;
		if (n < 0 && (n = -n, avro_file_long(f, &junk) == -1))
			goto bad;
		while (n-- > 0) {
			if (avro_file_bytes(f, &k, &klen) == -1 ||
			    avro_file_bytes(f, &v, &vlen) == -1)
				goto bad;
			if (f->nmeta == AVRO_MAX_META) {
				*cause = xstrdup("avro: too many header entries");
				return (-1);
			}
			f->meta[f->nmeta].key = (const char *)k;
			f->meta[f->nmeta].key_len = klen;
			f->meta[f->nmeta].value = v;
			f->meta[f->nmeta++].value_len = vlen;
		}
	}
bad:
	*cause = xstrdup("avro: truncated or damaged header");
	return (-1);
}

int
avro_file_open(struct avro_file *f, const void *data, size_t len,
    char **cause)
{
	const uint8_t	*codec;
	size_t		 clen;

	memset(f, 0, sizeof *f);
	f->data = data;
	f->len = len;
	if (len < 4 || memcmp(data, "Obj\x01", 4) != 0) {
		*cause = xstrdup("avro: not an object container file");
		return (-1);
	}
	f->pos = 4;
	if (avro_file_header_map(f, cause) == -1)
		return (-1);
	if (f->len - f->pos < AVRO_SYNC_SIZE) {
		*cause = xstrdup("avro: truncated header");
		return (-1);
	}
	memcpy(f->sync, f->data + f->pos, AVRO_SYNC_SIZE);
	f->pos += AVRO_SYNC_SIZE;
	codec = avro_file_meta(f, "avro.codec", &clen);
	if (codec == NULL || (clen == 4 && memcmp(codec, "null", 4) == 0))
		f->codec = AVRO_CODEC_NULL;
	else if (clen == 7 && memcmp(codec, "deflate", 7) == 0)
		f->codec = AVRO_CODEC_DEFLATE;
	else {
		*cause = xasprintf("avro: unsupported codec %.*s", (int)clen,
		    (const char *)codec);
		return (-1);
	}
	return (0);
}

const uint8_t *
avro_file_meta(const struct avro_file *f, const char *key, size_t *len)
{
	size_t	i, klen = strlen(key);

	for (i = 0; i < f->nmeta; i++) {
		if (f->meta[i].key_len == klen &&
		    memcmp(f->meta[i].key, key, klen) == 0) {
			*len = f->meta[i].value_len;
			return (f->meta[i].value);
		}
	}
	return (NULL);
}

/* Raw inflate of in into out, at most 64 MB. */
static int
avro_inflate(const uint8_t *in, size_t len, struct buf *out, char **cause)
{
	z_stream	zs;
	int		rc = Z_OK;

	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, -15) != Z_OK) {
		*cause = xstrdup("inflateInit2 failed");
		return (-1);
	}
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	while (rc == Z_OK && out->len < 64 * 1024 * 1024) {
		buf_reserve(out, 64 * 1024);
		zs.next_out = out->data + out->len;
		zs.avail_out = (uInt)(out->cap - out->len);
		rc = inflate(&zs, Z_NO_FLUSH);
		out->len = (size_t)(zs.next_out - out->data);
	}
	inflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		*cause = xstrdup("avro: bad deflate block");
		return (-1);
	}
	return (0);
}

int
avro_file_next_block(struct avro_file *f, struct buf *out, uint64_t *count,
    char **cause)
{
	const uint8_t	*p;
	size_t		 n;
	int64_t		 c;

	buf_reset(out);
	if (f->pos == f->len)
		return (0);
	if (avro_file_long(f, &c) == -1 || c < 0 ||
	    avro_file_bytes(f, &p, &n) == -1 ||
	    f->len - f->pos < AVRO_SYNC_SIZE ||
	    memcmp(f->data + f->pos, f->sync, AVRO_SYNC_SIZE) != 0) {
		*cause = xstrdup("avro: truncated or damaged block");
		return (-1);
	}
	f->pos += AVRO_SYNC_SIZE;
	*count = (uint64_t)c;
	if (f->codec == AVRO_CODEC_DEFLATE)
		return (avro_inflate(p, n, out, cause) == -1 ? -1 : 1);
	buf_append(out, p, n);
	return (1);
}
