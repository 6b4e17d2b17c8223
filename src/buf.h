/*
 * buf.h: a growable byte buffer, the common currency of the encoders
 * (Thrift, Parquet, Avro) and of the HTTP client bodies.
 *
 * A struct buf is owned by whoever declares it; buf_free releases its
 * storage and leaves it empty and reusable.  buf_steal hands the storage
 * to the caller (who frees it with free()).
 */
#ifndef BRONZE_BUF_H
#define BRONZE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t	*data;
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

void	 buf_init(struct buf *);
void	 buf_free(struct buf *);
void	 buf_reset(struct buf *);		/* len = 0, keep storage */
void	 buf_reserve(struct buf *, size_t);	/* room for n more bytes */
uint8_t	*buf_extend(struct buf *, size_t);	/* grow len by n, return start */
void	 buf_append(struct buf *, const void *, size_t);
void	 buf_putc(struct buf *, uint8_t);
void	 buf_puts(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_put_le32(struct buf *, uint32_t);
void	 buf_put_le64(struct buf *, uint64_t);
void	 buf_put_uvarint(struct buf *, uint64_t);	/* LEB128 */
void	 buf_put_zigzag(struct buf *, int64_t);		/* zigzag LEB128 */
void	 buf_consume(struct buf *, size_t);	/* drop n bytes from front */
/* NUL-terminate (not counted in len) and return data as a C string. */
char	*buf_cstr(struct buf *);
/* Take the storage (NUL-terminated, never NULL); the buffer is left empty. */
uint8_t	*buf_steal(struct buf *, size_t *);

#endif
