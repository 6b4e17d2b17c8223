/*
 * avro-read.c: generic Avro container reading: writer schemas parsed from
 * JSON, records decoded by them into value trees, bounded by the input.
 */
#include <stdlib.h>
#include <string.h>

#include "avro.h"
#include "avro-read.h"
#include "buf.h"
#include "json.h"
#include "xmalloc.h"

/* Schema parsing state: every node made, for named references. */
struct avro_read_parse {
	struct avro_read_schema	*first;
	struct avro_read_schema	*last;
	char			*cause;
};

/* Decoding state: the bytes left and the node budget. */
struct avro_read_dec {
	const uint8_t	*p;
	size_t		 left;
	size_t		 budget;
	const char	*err;
};

struct avro_reader {
	struct avro_file		 f;
	struct avro_read_schema		*schema;
	struct buf			 block;
	const uint8_t			*p;
	size_t				 left;
	uint64_t			 remaining;
};

static const struct {
	const char		*name;
	enum avro_read_type	 type;
} avro_read_types[] = {
	{ "null", AVRO_R_NULL },	{ "boolean", AVRO_R_BOOLEAN },
	{ "int", AVRO_R_INT },		{ "long", AVRO_R_LONG },
	{ "float", AVRO_R_FLOAT },	{ "double", AVRO_R_DOUBLE },
	{ "bytes", AVRO_R_BYTES },	{ "string", AVRO_R_STRING },
	{ "record", AVRO_R_RECORD },	{ "error", AVRO_R_RECORD },
	{ "enum", AVRO_R_ENUM },	{ "array", AVRO_R_ARRAY },
	{ "map", AVRO_R_MAP },		{ "fixed", AVRO_R_FIXED },
};

static struct avro_read_schema *avro_read_parse_node(struct avro_read_parse *,
		    const cJSON *, const char *, int);

/* The type named by a keyword; -1 if none. */
static int
avro_read_type_of(const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof avro_read_types / sizeof avro_read_types[0];
	    i++) {
		if (strcmp(avro_read_types[i].name, name) == 0)
			return ((int)avro_read_types[i].type);
	}
	return (-1);
}

static void
avro_read_fail(struct avro_read_parse *ps, const char *what)
{
	if (ps->cause == NULL)
		ps->cause = xasprintf("avro schema: %s", what);
}

/* A new node, linked into the parse. */
static struct avro_read_schema *
avro_read_node(struct avro_read_parse *ps, enum avro_read_type type)
{
	struct avro_read_schema	*s = xcalloc(1, sizeof *s);

	s->type = type;
	if (ps->last != NULL)
		ps->last->next = s;
	else
		ps->first = s;
	ps->last = s;
	return (s);
}

/* The last dot-separated component of a name. */
static const char *
avro_read_short(const char *name)
{
	const char	*dot = strrchr(name, '.');

	return (dot != NULL ? dot + 1 : name);
}

/* A named type defined earlier in the parse, or NULL. */
static struct avro_read_schema *
avro_read_lookup(struct avro_read_parse *ps, const char *name)
{
	struct avro_read_schema	*s;

	for (s = ps->first; s != NULL; s = s->next) {
		if (s->name != NULL && (strcmp(s->name, name) == 0 ||
		    strcmp(avro_read_short(s->name), avro_read_short(name)) ==
		    0))
			return (s);
	}
	return (NULL);
}

/* The name of a named type, with its namespace. */
static int
avro_read_named(struct avro_read_parse *ps, struct avro_read_schema *s,
    const cJSON *j, const char *ns)
{
	const char	*name = json_object_string(j, "name");
	const char	*own = json_object_string(j, "namespace");

	if (name == NULL || *name == '\0') {
		avro_read_fail(ps, "a named type has no name");
		return (-1);
	}
	if (own != NULL)
		ns = own;
	if (strchr(name, '.') == NULL && ns != NULL && *ns != '\0')
		s->name = xasprintf("%s.%s", ns, name);
	else
		s->name = xstrdup(name);
	return (0);
}

/* A record's fields: names, field ids and types. */
static int
avro_read_parse_fields(struct avro_read_parse *ps, struct avro_read_schema *s,
    const cJSON *j, int depth)
{
	const cJSON	*fields = cJSON_GetObjectItem(j, "fields"), *f;
	const char	*name;
	size_t		 i = 0;

	if (!cJSON_IsArray(fields)) {
		avro_read_fail(ps, "a record has no fields array");
		return (-1);
	}
	s->n = (size_t)cJSON_GetArraySize(fields);
	s->names = xcalloc(s->n, sizeof *s->names);
	s->ids = xcalloc(s->n, sizeof *s->ids);
	s->children = xcalloc(s->n, sizeof *s->children);
	cJSON_ArrayForEach(f, fields) {
		name = json_object_string(f, "name");
		if (name == NULL) {
			avro_read_fail(ps, "a record field has no name");
			return (-1);
		}
		s->names[i] = xstrdup(name);
		if (json_get_int64(cJSON_GetObjectItem(f, "field-id"),
		    &s->ids[i]) == -1)
			s->ids[i] = -1;
		s->children[i] = avro_read_parse_node(ps,
		    cJSON_GetObjectItem(f, "type"), s->name, depth + 1);
		if (s->children[i++] == NULL)
			return (-1);
	}
	return (0);
}

/* An enum's symbols. */
static int
avro_read_parse_symbols(struct avro_read_parse *ps,
    struct avro_read_schema *s, const cJSON *j)
{
	const cJSON	*syms = cJSON_GetObjectItem(j, "symbols"), *y;
	size_t		 i = 0;

	if (!cJSON_IsArray(syms)) {
		avro_read_fail(ps, "an enum has no symbols");
		return (-1);
	}
	s->n = (size_t)cJSON_GetArraySize(syms);
	s->names = xcalloc(s->n, sizeof *s->names);
	cJSON_ArrayForEach(y, syms) {
		if (!cJSON_IsString(y)) {
			avro_read_fail(ps, "an enum symbol is not a string");
			return (-1);
		}
		s->names[i++] = xstrdup(y->valuestring);
	}
	return (0);
}

/* A complex type given as an object, by its "type" keyword. */
static struct avro_read_schema *
avro_read_parse_object(struct avro_read_parse *ps, const cJSON *j,
    const char *ns, int depth)
{
	const cJSON		*type = cJSON_GetObjectItem(j, "type");
	struct avro_read_schema	*s;
	int64_t			 size;
	int			 t;

	if (!cJSON_IsString(type))
		return (avro_read_parse_node(ps, type, ns, depth + 1));
	if ((t = avro_read_type_of(type->valuestring)) == -1)
		return (avro_read_parse_node(ps, type, ns, depth + 1));
	s = avro_read_node(ps, (enum avro_read_type)t);
	switch (s->type) {
	case AVRO_R_RECORD:
		if (avro_read_named(ps, s, j, ns) == -1 ||
		    avro_read_parse_fields(ps, s, j, depth) == -1)
			return (NULL);
		break;
	case AVRO_R_ENUM:
		if (avro_read_named(ps, s, j, ns) == -1 ||
		    avro_read_parse_symbols(ps, s, j) == -1)
			return (NULL);
		break;
	case AVRO_R_FIXED:
		if (avro_read_named(ps, s, j, ns) == -1)
			return (NULL);
		if (json_get_int64(cJSON_GetObjectItem(j, "size"), &size) ==
		    -1 || size < 0 || size > 1024 * 1024) {
			avro_read_fail(ps, "a fixed type has no valid size");
			return (NULL);
		}
		s->n = (size_t)size;
		break;
	case AVRO_R_ARRAY:
	case AVRO_R_MAP:
		s->n = 1;
		s->children = xcalloc(1, sizeof *s->children);
		s->children[0] = avro_read_parse_node(ps, cJSON_GetObjectItem(j,
		    s->type == AVRO_R_ARRAY ? "items" : "values"), ns,
		    depth + 1);
		if (s->children[0] == NULL)
			return (NULL);
		break;
	default:
		break;
	}
	return (s);
}

/* A union: its branches. */
static struct avro_read_schema *
avro_read_parse_union(struct avro_read_parse *ps, const cJSON *j,
    const char *ns, int depth)
{
	struct avro_read_schema	*s = avro_read_node(ps, AVRO_R_UNION);
	const cJSON		*b;
	size_t			 i = 0;

	s->n = (size_t)cJSON_GetArraySize(j);
	if (s->n == 0) {
		avro_read_fail(ps, "an empty union");
		return (NULL);
	}
	s->children = xcalloc(s->n, sizeof *s->children);
	cJSON_ArrayForEach(b, j) {
		s->children[i] = avro_read_parse_node(ps, b, ns, depth + 1);
		if (s->children[i++] == NULL)
			return (NULL);
	}
	return (s);
}

static struct avro_read_schema *
avro_read_parse_node(struct avro_read_parse *ps, const cJSON *j,
    const char *ns, int depth)
{
	struct avro_read_schema	*s;
	int			 t;

	if (depth > AVRO_READ_MAX_DEPTH) {
		avro_read_fail(ps, "nested too deeply");
		return (NULL);
	}
	if (cJSON_IsObject(j))
		return (avro_read_parse_object(ps, j, ns, depth));
	if (cJSON_IsArray(j))
		return (avro_read_parse_union(ps, j, ns, depth));
	if (!cJSON_IsString(j)) {
		avro_read_fail(ps, "a type is not a name, object or union");
		return (NULL);
	}
	t = avro_read_type_of(j->valuestring);
	if (t != -1 && t <= AVRO_R_STRING)
		return (avro_read_node(ps, (enum avro_read_type)t));
	if ((s = avro_read_lookup(ps, j->valuestring)) == NULL)
		avro_read_fail(ps, "a reference to an undefined type");
	return (s);
}

struct avro_read_schema *
avro_read_schema_parse(const char *json, size_t len, char **cause)
{
	struct avro_read_parse	 ps;
	struct avro_read_schema	*s;
	cJSON			*j;
	char			*why;

	memset(&ps, 0, sizeof ps);
	if ((j = json_parse(json, len, &why)) == NULL) {
		*cause = xasprintf("avro schema: %s", why);
		free(why);
		return (NULL);
	}
	s = avro_read_parse_node(&ps, j, NULL, 0);
	cJSON_Delete(j);
	if (s == NULL || ps.cause != NULL) {
		avro_read_schema_free(ps.first);
		*cause = ps.cause != NULL ? ps.cause :
		    xstrdup("avro schema: invalid");
		return (NULL);
	}
	/* s is the first node made unless the root was a bare reference. */
	return (ps.first);
}

void
avro_read_schema_free(struct avro_read_schema *s)
{
	struct avro_read_schema	*next;
	size_t			 i;

	for (; s != NULL; s = next) {
		next = s->next;
		if (s->names != NULL) {
			for (i = 0; i < s->n; i++)
				free(s->names[i]);
		}
		free(s->names);
		free(s->ids);
		free(s->children);
		free(s->name);
		free(s);
	}
}

/* A zigzag varint. */
static int
avro_read_varint(struct avro_read_dec *d, int64_t *out)
{
	uint64_t	v = 0;
	int		shift = 0;
	uint8_t		c;

	do {
		if (d->left == 0 || shift > 63) {
			d->err = "truncated or overlong integer";
			return (-1);
		}
		c = *d->p++;
		d->left--;
		v |= (uint64_t)(c & 0x7f) << shift;
		shift += 7;
	} while (c & 0x80);
	*out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
	return (0);
}

/* Take n raw bytes. */
static int
avro_read_take(struct avro_read_dec *d, size_t n, const uint8_t **p)
{
	if (n > d->left) {
		d->err = "truncated value";
		return (-1);
	}
	*p = d->p;
	d->p += n;
	d->left -= n;
	return (0);
}

/* n more zeroed value nodes, within the budget. */
static struct avro_read_value *
avro_read_alloc(struct avro_read_dec *d, struct avro_read_value *old,
    size_t have, size_t n)
{
	struct avro_read_value	*v;

	if (n > d->budget) {
		d->err = "more values than the data can hold";
		return (NULL);
	}
	d->budget -= n;
	v = xreallocarray(old, have + n, sizeof *v);
	memset(v + have, 0, n * sizeof *v);
	return (v);
}

static int	avro_read_value_at(struct avro_read_dec *,
		    const struct avro_read_schema *, struct avro_read_value *,
		    int);

/* The blocks of an array or map. */
static int
avro_read_blocks(struct avro_read_dec *d, const struct avro_read_schema *s,
    struct avro_read_value *v, int depth)
{
	struct avro_read_value	*items;
	int64_t			 count, junk;
	size_t			 per = s->type == AVRO_R_MAP ? 2 : 1, i;

	for (;;) {
		if (avro_read_varint(d, &count) == -1)
			return (-1);
		if (count == 0)
			return (0);
		if (count < 0 && (count == INT64_MIN ||
		    avro_read_varint(d, &junk) == -1))
			return (-1);
		if (count < 0)
			count = -count;
		if ((uint64_t)count > d->budget / per) {
			d->err = "more items than the data can hold";
			return (-1);
		}
		items = avro_read_alloc(d, v->items, v->n, (size_t)count * per);
		if (items == NULL)
			return (-1);
		v->items = items;
		i = v->n;
		v->n += (size_t)count * per;
		for (; i < v->n; i++) {
			if (per == 2 && i % 2 == 0 && avro_read_value_at(d,
			    NULL, &v->items[i], depth + 1) == -1)
				return (-1);
			if ((per == 1 || i % 2 == 1) && avro_read_value_at(d,
			    s->children[0], &v->items[i], depth + 1) == -1)
				return (-1);
		}
	}
}

/* A record's fields or a union's branch. */
static int
avro_read_compound(struct avro_read_dec *d, const struct avro_read_schema *s,
    struct avro_read_value *v, int depth)
{
	size_t	i;

	if (s->type == AVRO_R_UNION) {
		if (avro_read_varint(d, &v->l) == -1)
			return (-1);
		if (v->l < 0 || (uint64_t)v->l >= s->n) {
			d->err = "union branch out of range";
			return (-1);
		}
		if ((v->items = avro_read_alloc(d, NULL, 0, 1)) == NULL)
			return (-1);
		v->n = 1;
		return (avro_read_value_at(d, s->children[v->l], v->items,
		    depth + 1));
	}
	if ((v->items = avro_read_alloc(d, NULL, 0, s->n)) == NULL)
		return (-1);
	v->n = s->n;
	for (i = 0; i < s->n; i++) {
		if (avro_read_value_at(d, s->children[i], &v->items[i],
		    depth + 1) == -1)
			return (-1);
	}
	return (0);
}

/* Bytes, strings and fixed. */
static int
avro_read_blob(struct avro_read_dec *d, const struct avro_read_schema *s,
    struct avro_read_value *v)
{
	int64_t	n;

	if (s != NULL && s->type == AVRO_R_FIXED)
		return (avro_read_take(d, v->len = s->n, &v->p));
	if (avro_read_varint(d, &n) == -1)
		return (-1);
	if (n < 0) {
		d->err = "negative length";
		return (-1);
	}
	return (avro_read_take(d, v->len = (size_t)n, &v->p));
}

/* One value of type s (NULL: a map key, a string) into v. */
static int
avro_read_value_at(struct avro_read_dec *d, const struct avro_read_schema *s,
    struct avro_read_value *v, int depth)
{
	const uint8_t	*p;
	uint32_t	 u32;
	uint64_t	 u64;
	float		 f;

	if (depth > AVRO_READ_MAX_DEPTH) {
		d->err = "nested too deeply";
		return (-1);
	}
	v->schema = s;
	v->type = s != NULL ? s->type : AVRO_R_STRING;
	switch (v->type) {
	case AVRO_R_NULL:
		return (0);
	case AVRO_R_BOOLEAN:
		if (avro_read_take(d, 1, &p) == -1)
			return (-1);
		v->l = p[0];
		if (p[0] > 1)
			d->err = "boolean not 0 or 1";
		return (p[0] > 1 ? -1 : 0);
	case AVRO_R_INT:
		if (avro_read_varint(d, &v->l) == -1)
			return (-1);
		if (v->l < INT32_MIN || v->l > INT32_MAX)
			d->err = "int out of range";
		return (v->l < INT32_MIN || v->l > INT32_MAX ? -1 : 0);
	case AVRO_R_LONG:
		return (avro_read_varint(d, &v->l));
	case AVRO_R_ENUM:
		if (avro_read_varint(d, &v->l) == -1)
			return (-1);
		if (v->l < 0 || (uint64_t)v->l >= s->n)
			d->err = "enum symbol out of range";
		return (v->l < 0 || (uint64_t)v->l >= s->n ? -1 : 0);
	case AVRO_R_FLOAT:
		if (avro_read_take(d, 4, &p) == -1)
			return (-1);
		u32 = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
		    (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		memcpy(&f, &u32, sizeof f);
		v->d = f;
		return (0);
	case AVRO_R_DOUBLE:
		if (avro_read_take(d, 8, &p) == -1)
			return (-1);
		u64 = 0;
		for (u32 = 0; u32 < 8; u32++)
			u64 |= (uint64_t)p[u32] << (8 * u32);
		memcpy(&v->d, &u64, sizeof v->d);
		return (0);
	case AVRO_R_BYTES:
	case AVRO_R_STRING:
	case AVRO_R_FIXED:
		return (avro_read_blob(d, s, v));
	case AVRO_R_ARRAY:
	case AVRO_R_MAP:
		return (avro_read_blocks(d, s, v, depth));
	case AVRO_R_RECORD:
	case AVRO_R_UNION:
		return (avro_read_compound(d, s, v, depth));
	}
	return (-1);
}

int
avro_read_decode(const struct avro_read_schema *s, const uint8_t **p,
    size_t *len, struct avro_read_value **out, char **cause)
{
	struct avro_read_dec	 d;
	struct avro_read_value	*v = xcalloc(1, sizeof *v);

	d.p = *p;
	d.left = *len;
	d.budget = 4 * *len + 64;
	d.err = NULL;
	if (avro_read_value_at(&d, s, v, 0) == -1) {
		*cause = xasprintf("avro: %s", d.err != NULL ? d.err :
		    "damaged value");
		avro_read_value_free(v);
		return (-1);
	}
	*p = d.p;
	*len = d.left;
	*out = v;
	return (0);
}

/* The nodes below v (not v itself). */
static void
avro_read_value_clear(struct avro_read_value *v)
{
	size_t	i;

	for (i = 0; i < v->n; i++)
		avro_read_value_clear(&v->items[i]);
	free(v->items);
}

void
avro_read_value_free(struct avro_read_value *v)
{
	if (v == NULL)
		return;
	avro_read_value_clear(v);
	free(v);
}

/* Look through a union to its branch's value. */
static const struct avro_read_value *
avro_read_unwrap(const struct avro_read_value *v)
{
	while (v != NULL && v->type == AVRO_R_UNION && v->n == 1)
		v = v->items;
	return (v);
}

const struct avro_read_value *
avro_read_field(const struct avro_read_value *rec, const char *name,
    int64_t id)
{
	const struct avro_read_schema	*s;
	size_t				 i;

	rec = avro_read_unwrap(rec);
	if (rec == NULL || rec->type != AVRO_R_RECORD)
		return (NULL);
	s = rec->schema;
	for (i = 0; id >= 0 && i < s->n; i++) {
		if (s->ids[i] == id)
			return (avro_read_unwrap(&rec->items[i]));
	}
	for (i = 0; name != NULL && i < s->n; i++) {
		if (s->ids[i] < 0 && strcmp(s->names[i], name) == 0)
			return (avro_read_unwrap(&rec->items[i]));
	}
	return (NULL);
}

int
avro_read_long(const struct avro_read_value *v, int64_t *out)
{
	v = avro_read_unwrap(v);
	if (v == NULL || (v->type != AVRO_R_INT && v->type != AVRO_R_LONG))
		return (-1);
	*out = v->l;
	return (0);
}

struct avro_reader *
avro_reader_open(const void *data, size_t len, char **cause)
{
	struct avro_reader	*r = xcalloc(1, sizeof *r);
	const uint8_t		*schema;
	size_t			 slen;

	if (avro_file_open(&r->f, data, len, cause) == -1)
		goto fail;
	schema = avro_file_meta(&r->f, "avro.schema", &slen);
	if (schema == NULL) {
		*cause = xstrdup("avro: the header has no avro.schema");
		goto fail;
	}
	r->schema = avro_read_schema_parse((const char *)schema, slen, cause);
	if (r->schema == NULL)
		goto fail;
	buf_init(&r->block);
	return (r);
fail:
	free(r);
	return (NULL);
}

const struct avro_read_schema *
avro_reader_schema(const struct avro_reader *r)
{
	return (r->schema);
}

const uint8_t *
avro_reader_meta(const struct avro_reader *r, const char *key, size_t *len)
{
	return (avro_file_meta(&r->f, key, len));
}

int
avro_reader_next(struct avro_reader *r, struct avro_read_value **out,
    char **cause)
{
	int	rc;

	while (r->remaining == 0) {
		if (r->left != 0) {
			*cause = xstrdup("avro: bytes left over after a "
			    "block's records");
			return (-1);
		}
		rc = avro_file_next_block(&r->f, &r->block, &r->remaining,
		    cause);
		if (rc != 1)
			return (rc);
		r->p = r->block.data;
		r->left = r->block.len;
		if (r->remaining > r->left + 1) {
			*cause = xstrdup("avro: a block claims more records "
			    "than it holds");
			return (-1);
		}
	}
	if (avro_read_decode(r->schema, &r->p, &r->left, out, cause) == -1)
		return (-1);
	r->remaining--;
	return (1);
}

void
avro_reader_free(struct avro_reader *r)
{
	if (r == NULL)
		return;
	avro_read_schema_free(r->schema);
	buf_free(&r->block);
	free(r);
}
