/*
 * thrift.h: a Thrift compact-protocol encoder, just what the Parquet
 * footer (FileMetaData) and page headers need: structs with field-id
 * deltas, i32/i64 zigzag varints, binary/string, bool fields, lists and
 * nested structs.
 *
 * A struct thrift is a cursor on a caller-owned struct buf; it owns no
 * memory.  Structs nest up to THRIFT_MAX_DEPTH deep (an invariant).
 * Usage: thrift_init(&t, &b); thrift_struct_begin(&t); thrift_i32(&t, 1,
 * v); ...; thrift_struct_end(&t).  Inside a list of structs each element
 * is thrift_struct_begin()/thrift_struct_end().
 */
#ifndef BRONZE_THRIFT_H
#define BRONZE_THRIFT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define THRIFT_MAX_DEPTH 16

/* Compact-protocol type codes (field headers and list elements). */
enum thrift_type {
	THRIFT_BOOL_TRUE = 1,
	THRIFT_BOOL_FALSE = 2,
	THRIFT_I8 = 3,
	THRIFT_I16 = 4,
	THRIFT_I32 = 5,
	THRIFT_I64 = 6,
	THRIFT_DOUBLE = 7,
	THRIFT_BINARY = 8,
	THRIFT_LIST = 9,
	THRIFT_SET = 10,
	THRIFT_MAP = 11,
	THRIFT_STRUCT = 12
};

struct thrift {
	struct buf	*b;
	int		 depth;
	int16_t		 last[THRIFT_MAX_DEPTH];
};

void	thrift_init(struct thrift *, struct buf *);

/* Open a struct (top level or list element) and close it with a stop. */
void	thrift_struct_begin(struct thrift *);
void	thrift_struct_end(struct thrift *);

/* Field header only; the value must follow. */
void	thrift_field(struct thrift *, int16_t, enum thrift_type);

/* Whole fields: header and value. */
void	thrift_i32(struct thrift *, int16_t, int32_t);
void	thrift_i64(struct thrift *, int16_t, int64_t);
void	thrift_bool(struct thrift *, int16_t, int);
void	thrift_binary(struct thrift *, int16_t, const void *, size_t);
void	thrift_string(struct thrift *, int16_t, const char *);
/* A struct-typed field: header then thrift_struct_begin. */
void	thrift_field_struct(struct thrift *, int16_t);
/* An empty struct field (e.g. a union member like TimeUnit.MICROS). */
void	thrift_field_empty(struct thrift *, int16_t);
/* A list field header with n elements of the given type. */
void	thrift_list(struct thrift *, int16_t, enum thrift_type, size_t);

/* List elements (after thrift_list). */
void	thrift_elem_i32(struct thrift *, int32_t);
void	thrift_elem_i64(struct thrift *, int64_t);
void	thrift_elem_binary(struct thrift *, const void *, size_t);
void	thrift_elem_string(struct thrift *, const char *);

#endif
