/*
 * thrift.c: Thrift compact-protocol encoder (see thrift.h).
 */
#include <string.h>

#include "log.h"
#include "thrift.h"

void
thrift_init(struct thrift *t, struct buf *b)
{
	t->b = b;
	t->depth = 0;
	t->last[0] = 0;
}

void
thrift_struct_begin(struct thrift *t)
{
	if (t->depth + 1 >= THRIFT_MAX_DEPTH)
		fatalx("%s: structs nested too deep", __func__);
	t->last[++t->depth] = 0;
}

void
thrift_struct_end(struct thrift *t)
{
	if (t->depth <= 0)
		fatalx("%s: no open struct", __func__);
	buf_putc(t->b, 0);
	t->depth--;
}

/* Field header: short form for deltas 1..15, else type byte + zigzag id. */
void
thrift_field(struct thrift *t, int16_t id, enum thrift_type type)
{
	int	delta = id - t->last[t->depth];

	if (t->depth <= 0)
		fatalx("%s: field outside a struct", __func__);
	if (delta > 0 && delta <= 15)
		buf_putc(t->b, (uint8_t)((delta << 4) | type));
	else {
		buf_putc(t->b, (uint8_t)type);
		buf_put_zigzag(t->b, id);
	}
	t->last[t->depth] = id;
}

void
thrift_i32(struct thrift *t, int16_t id, int32_t v)
{
	thrift_field(t, id, THRIFT_I32);
	buf_put_zigzag(t->b, v);
}

void
thrift_i64(struct thrift *t, int16_t id, int64_t v)
{
	thrift_field(t, id, THRIFT_I64);
	buf_put_zigzag(t->b, v);
}

void
thrift_bool(struct thrift *t, int16_t id, int v)
{
	thrift_field(t, id, v ? THRIFT_BOOL_TRUE : THRIFT_BOOL_FALSE);
}

void
thrift_binary(struct thrift *t, int16_t id, const void *p, size_t len)
{
	thrift_field(t, id, THRIFT_BINARY);
	thrift_elem_binary(t, p, len);
}

void
thrift_string(struct thrift *t, int16_t id, const char *s)
{
	thrift_binary(t, id, s, strlen(s));
}

void
thrift_field_struct(struct thrift *t, int16_t id)
{
	thrift_field(t, id, THRIFT_STRUCT);
	thrift_struct_begin(t);
}

void
thrift_field_empty(struct thrift *t, int16_t id)
{
	thrift_field_struct(t, id);
	thrift_struct_end(t);
}

/* List header: size in the high nibble up to 14, else 0xf + varint. */
void
thrift_list(struct thrift *t, int16_t id, enum thrift_type elem, size_t n)
{
	thrift_field(t, id, THRIFT_LIST);
	if (n <= 14)
		buf_putc(t->b, (uint8_t)((n << 4) | elem));
	else {
		buf_putc(t->b, (uint8_t)(0xf0 | elem));
		buf_put_uvarint(t->b, n);
	}
}

void
thrift_elem_i32(struct thrift *t, int32_t v)
{
	buf_put_zigzag(t->b, v);
}

void
thrift_elem_i64(struct thrift *t, int64_t v)
{
	buf_put_zigzag(t->b, v);
}

void
thrift_elem_binary(struct thrift *t, const void *p, size_t len)
{
	buf_put_uvarint(t->b, len);
	buf_append(t->b, p, len);
}

void
thrift_elem_string(struct thrift *t, const char *s)
{
	thrift_elem_binary(t, s, strlen(s));
}
