/*
 * avro.h: Avro binary encoding and an object container file (OCF) writer,
 * enough for Iceberg manifests and manifest lists.
 *
 * Records are encoded by the caller, field by field in schema order, into
 * a scratch struct buf with the avro_put_* encoders, then appended to the
 * writer.  Unions are a branch index then the value: for Iceberg's
 * optional fields ["null", T], avro_put_union(b, 0) is null and
 * avro_put_union(b, 1) is followed by the T value.  Iceberg's maps with
 * int keys (column_sizes, lower_bounds, ...) are arrays of key/value
 * records:
 *
 *	avro_put_union(b, 1);			   present
 *	avro_put_array_start(b, n);		   n entries
 *	for each: avro_put_int(b, field_id); avro_put_long(b, size);
 *	avro_put_array_end(b);
 *
 * The writer is owned by its creator; avro_writer_free releases it.  The
 * file goes either into a caller-owned struct buf (manifests are small) or
 * through a sink callback.
 */
#ifndef BRONZE_AVRO_H
#define BRONZE_AVRO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define AVRO_SYNC_SIZE		16
#define AVRO_DEFAULT_BLOCK	(64 * 1024)

enum avro_codec {
	AVRO_CODEC_NULL = 0,
	AVRO_CODEC_DEFLATE
};

/* One user metadata entry of the file header (value is text). */
struct avro_meta {
	const char	*key;
	const char	*value;
};

/* Returns 0, or -1 to fail the writer. */
typedef int (*avro_sink_fn)(void *arg, const void *data, size_t len);

void	avro_put_null(struct buf *);
void	avro_put_boolean(struct buf *, int);
void	avro_put_int(struct buf *, int32_t);
void	avro_put_long(struct buf *, int64_t);
void	avro_put_float(struct buf *, float);
void	avro_put_double(struct buf *, double);
void	avro_put_bytes(struct buf *, const void *, size_t);
void	avro_put_string(struct buf *, const char *);
void	avro_put_fixed(struct buf *, const void *, size_t);
void	avro_put_enum(struct buf *, int32_t);
void	avro_put_union(struct buf *, int32_t branch);
/* A block of count items (skip when 0), then the items, then end. */
void	avro_put_array_start(struct buf *, int64_t count);
void	avro_put_array_end(struct buf *);

struct avro_writer;

/*
 * Start a file: schema_json is written verbatim as avro.schema; meta are
 * extra header entries.  Output goes to out if not NULL, else to sink.
 */
struct avro_writer *avro_writer_new(const char *schema_json,
	    const struct avro_meta *meta, size_t nmeta, enum avro_codec,
	    struct buf *out, avro_sink_fn sink, void *arg, char **cause);
/* Blocks are cut when their encoded size passes this (default 64 KB). */
void	avro_writer_set_block_size(struct avro_writer *, size_t);
/* Append one encoded record. */
int	avro_writer_append(struct avro_writer *, const void *rec, size_t len,
	    char **cause);
/* Flush the last block. */
int	avro_writer_close(struct avro_writer *, char **cause);
uint64_t avro_writer_records(const struct avro_writer *);
/* The file's sync marker (for tests). */
const uint8_t *avro_writer_sync(const struct avro_writer *);
void	avro_writer_free(struct avro_writer *);
/* Append count records already encoded back to back (a copied block). */
int	avro_writer_append_records(struct avro_writer *, const void *data,
	    size_t len, uint64_t count, char **cause);

/*
 * Reading a container file held in memory: the header, then the blocks,
 * decompressed.  Pointers in struct avro_file point into the caller's
 * data, which must outlive it.  Every length is checked against the data.
 */
#define AVRO_MAX_META	32

struct avro_file {
	const uint8_t	*data;
	size_t		 len;
	size_t		 pos;		/* next block */
	enum avro_codec	 codec;
	uint8_t		 sync[AVRO_SYNC_SIZE];
	size_t		 nmeta;
	struct {
		const char	*key;	/* not NUL-terminated */
		size_t		 key_len;
		const uint8_t	*value;
		size_t		 value_len;
	}		 meta[AVRO_MAX_META];
};

int	avro_file_open(struct avro_file *, const void *data, size_t len,
	    char **cause);
/* A header value by key (not NUL-terminated), or NULL. */
const uint8_t *avro_file_meta(const struct avro_file *, const char *key,
	    size_t *len);
/* The next block into out (replaced): 1, 0 at the end, -1 on error. */
int	avro_file_next_block(struct avro_file *, struct buf *out,
	    uint64_t *count, char **cause);

#endif
