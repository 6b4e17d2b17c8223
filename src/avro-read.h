/*
 * avro-read.h: reading Avro object container files generically, by the
 * writer schema in the file's header: records, enums, arrays, maps,
 * unions, fixed and the primitives are decoded into a small value tree.
 * Iceberg needs this to carry the parent snapshot's manifest list into a
 * new one whatever wrote it (Java, pyiceberg or bronzed): fields are
 * found by Iceberg field-id or by name, never by position.
 *
 * Input is untrusted: every length and count is checked against the data
 * and a record's tree is bounded by the size of its block, so a damaged
 * or hostile file fails with a cause instead of crashing or ballooning.
 *
 * A struct avro_reader is owned by its creator (avro_reader_free).  The
 * file's bytes must outlive the reader.  A value returned by
 * avro_reader_next is owned by the caller (avro_read_value_free) and its
 * bytes/strings point into the reader's current block: they stay valid
 * only until the next call of avro_reader_next.
 */
#ifndef BRONZE_AVRO_READ_H
#define BRONZE_AVRO_READ_H

#include <stddef.h>
#include <stdint.h>

#define AVRO_READ_MAX_DEPTH	32

enum avro_read_type {
	AVRO_R_NULL = 0,
	AVRO_R_BOOLEAN,
	AVRO_R_INT,
	AVRO_R_LONG,
	AVRO_R_FLOAT,
	AVRO_R_DOUBLE,
	AVRO_R_BYTES,
	AVRO_R_STRING,
	AVRO_R_RECORD,
	AVRO_R_ENUM,
	AVRO_R_ARRAY,
	AVRO_R_MAP,
	AVRO_R_UNION,
	AVRO_R_FIXED
};

/*
 * One schema node.  Records: n fields, with names[i], ids[i] (the
 * "field-id", -1 if none) and children[i].  Enums: n symbols in names.
 * Unions: n branches in children.  Arrays and maps: children[0] is the
 * item or value type.  Fixed: n is the size.
 */
struct avro_read_schema {
	enum avro_read_type		  type;
	char				 *name;
	size_t				  n;
	char				**names;
	int64_t				 *ids;
	struct avro_read_schema		**children;
	struct avro_read_schema		 *next;	/* every node of a parse */
};

/*
 * One decoded value.  Booleans, ints, longs, enums (symbol index) and
 * unions (branch index) are in l; floats and doubles in d; bytes,
 * strings and fixed in p/len.  Records: n field values in items, in
 * writer order.  Arrays: n items.  Maps: n entries, items[2i] the key (a
 * string) and items[2i+1] the value.  Unions: items[0] is the branch's
 * value.
 */
struct avro_read_value {
	enum avro_read_type		  type;
	const struct avro_read_schema	 *schema;
	int64_t				  l;
	double				  d;
	const uint8_t			 *p;
	size_t				  len;
	struct avro_read_value		 *items;
	size_t				  n;
};

struct avro_reader;

/* Parse a writer schema (JSON text); NULL and *cause if invalid. */
struct avro_read_schema *avro_read_schema_parse(const char *json, size_t len,
	    char **cause);
void	avro_read_schema_free(struct avro_read_schema *);

/*
 * Decode one value of schema s from *p (len bytes left), advancing both.
 * The tree is owned by the caller; -1 and *cause on damaged input.
 */
int	avro_read_decode(const struct avro_read_schema *s, const uint8_t **p,
	    size_t *len, struct avro_read_value **out, char **cause);
void	avro_read_value_free(struct avro_read_value *);

/*
 * A record's field: by Iceberg field-id when id >= 0 and the writer schema
 * carries field ids, otherwise by name; NULL if absent.  Unions are
 * looked through: a field whose value is null is returned as a value of
 * type AVRO_R_NULL.
 */
const struct avro_read_value *avro_read_field(const struct avro_read_value *,
	    const char *name, int64_t id);
/* An int or long value (through unions); -1 if v is neither. */
int	avro_read_long(const struct avro_read_value *v, int64_t *out);

/* Open a container file held in memory (null or deflate codec). */
struct avro_reader *avro_reader_open(const void *data, size_t len,
	    char **cause);
const struct avro_read_schema *avro_reader_schema(const struct avro_reader *);
/* A header value by key (not NUL-terminated), or NULL. */
const uint8_t *avro_reader_meta(const struct avro_reader *, const char *key,
	    size_t *len);
/* The next record: 1 and *out, 0 at the end, -1 and *cause on error. */
int	avro_reader_next(struct avro_reader *, struct avro_read_value **out,
	    char **cause);
void	avro_reader_free(struct avro_reader *);

#endif
