/*
 * ice-part.c: Iceberg partition transforms, paths and value serialization
 * for the bronze tables (iceberg-write-path.md section 6).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "ice-part.h"
#include "xmalloc.h"

#define MICROS_PER_HOUR	3600000000LL
#define MICROS_PER_DAY	(24 * MICROS_PER_HOUR)

/* Integer division rounding towards negative infinity. */
static int64_t
ice_part_floordiv(int64_t a, int64_t b)
{
	int64_t	q = a / b;

	if ((a % b) != 0 && ((a < 0) != (b < 0)))
		q--;
	return (q);
}

int32_t
ice_part_day(int64_t micros)
{
	return ((int32_t)ice_part_floordiv(micros, MICROS_PER_DAY));
}

int32_t
ice_part_hour(int64_t micros)
{
	return ((int32_t)ice_part_floordiv(micros, MICROS_PER_HOUR));
}

struct ice_part_value
ice_part_of(enum config_partition_transform t, int64_t micros,
    const char *topic)
{
	struct ice_part_value	v;

	memset(&v, 0, sizeof v);
	v.transform = t;
	if (t == CONFIG_PART_DAY)
		v.ordinal = ice_part_day(micros);
	else if (t == CONFIG_PART_HOUR)
		v.ordinal = ice_part_hour(micros);
	else if (t == CONFIG_PART_IDENTITY_TOPIC)
		v.topic = topic;
	return (v);
}

int
ice_part_equal(const struct ice_part_value *a, const struct ice_part_value *b)
{
	if (a->transform != b->transform)
		return (0);
	if (a->transform == CONFIG_PART_IDENTITY_TOPIC)
		return (strcmp(a->topic, b->topic) == 0);
	return (a->ordinal == b->ordinal);
}

const char *
ice_part_field_name(enum config_partition_transform t)
{
	switch (t) {
	case CONFIG_PART_DAY:
		return ("ingestion_timestamp_day");
	case CONFIG_PART_HOUR:
		return ("ingestion_timestamp_hour");
	case CONFIG_PART_IDENTITY_TOPIC:
		return ("topic");
	default:
		return (NULL);
	}
}

const char *
ice_part_transform_name(enum config_partition_transform t)
{
	switch (t) {
	case CONFIG_PART_DAY:
		return ("day");
	case CONFIG_PART_HOUR:
		return ("hour");
	case CONFIG_PART_IDENTITY_TOPIC:
		return ("identity");
	default:
		return (NULL);
	}
}

/* URL-escape like Java's URLEncoder: keep [A-Za-z0-9.*_-], ' ' -> '+'. */
static void
ice_part_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr(".*_-", *p) != NULL)
			buf_putc(b, *p);
		else if (*p == ' ')
			buf_putc(b, '+');
		else {
			buf_putc(b, '%');
			buf_putc(b, (uint8_t)hex[*p >> 4]);
			buf_putc(b, (uint8_t)hex[*p & 0xf]);
		}
	}
}

char *
ice_part_path(const struct ice_part_value *v)
{
	struct buf	b = BUF_INIT;
	struct tm	tm;
	time_t		secs;

	if (v->transform == CONFIG_PART_NONE)
		return (xstrdup(""));
	buf_printf(&b, "%s=", ice_part_field_name(v->transform));
	if (v->transform == CONFIG_PART_IDENTITY_TOPIC) {
		ice_part_escape(&b, v->topic);
		return ((char *)buf_steal(&b, NULL));
	}
	if (v->transform == CONFIG_PART_DAY)
		secs = (time_t)v->ordinal * 86400;
	else
		secs = (time_t)v->ordinal * 3600;
	gmtime_r(&secs, &tm);
	buf_printf(&b, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday);
	if (v->transform == CONFIG_PART_HOUR)
		buf_printf(&b, "-%02d", tm.tm_hour);
	return ((char *)buf_steal(&b, NULL));
}

size_t
ice_part_serialize(const struct ice_part_value *v, uint8_t *out,
    size_t outlen)
{
	uint32_t	u;
	size_t		n;

	if (v->transform == CONFIG_PART_IDENTITY_TOPIC) {
		n = strlen(v->topic);
		if (n > outlen)
			n = outlen;
		memcpy(out, v->topic, n);
		return (n);
	}
	if (v->transform == CONFIG_PART_NONE || outlen < 4)
		return (0);
	u = (uint32_t)v->ordinal;
	out[0] = u & 0xff;
	out[1] = (u >> 8) & 0xff;
	out[2] = (u >> 16) & 0xff;
	out[3] = (u >> 24) & 0xff;
	return (4);
}
