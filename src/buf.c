/*
 * buf.c: growable byte buffer with little-endian and varint writers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "xmalloc.h"

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
}

void
buf_reserve(struct buf *b, size_t n)
{
	size_t	cap;

	if (n > SIZE_MAX - b->len)
		fatalx("buf_reserve: size overflow");
	if (b->len + n <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + n)
		cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

uint8_t *
buf_extend(struct buf *b, size_t n)
{
	uint8_t	*p;

	buf_reserve(b, n);
	p = b->data + b->len;
	b->len += n;
	return (p);
}

void
buf_append(struct buf *b, const void *src, size_t n)
{
	if (n > 0)
		memcpy(buf_extend(b, n), src, n);
}

void
buf_putc(struct buf *b, uint8_t c)
{
	buf_reserve(b, 1);
	b->data[b->len++] = c;
}

void
buf_puts(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("buf_printf: bad format");
	buf_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
buf_put_le32(struct buf *b, uint32_t v)
{
	uint8_t	*p = buf_extend(b, 4);

	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

void
buf_put_le64(struct buf *b, uint64_t v)
{
	buf_put_le32(b, (uint32_t)v);
	buf_put_le32(b, (uint32_t)(v >> 32));
}

void
buf_put_uvarint(struct buf *b, uint64_t v)
{
	buf_reserve(b, 10);
	while (v >= 0x80) {
		b->data[b->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->data[b->len++] = (uint8_t)v;
}

void
buf_put_zigzag(struct buf *b, int64_t v)
{
	buf_put_uvarint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

char *
buf_cstr(struct buf *b)
{
	buf_reserve(b, 1);
	b->data[b->len] = '\0';
	return ((char *)b->data);
}

uint8_t *
buf_steal(struct buf *b, size_t *lenp)
{
	uint8_t	*p;

	buf_cstr(b);		/* never NULL, always NUL-terminated */
	p = b->data;
	if (lenp != NULL)
		*lenp = b->len;
	buf_init(b);
	return (p);
}
