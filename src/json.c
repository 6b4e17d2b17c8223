/*
 * json.c: a strict JSON parser that keeps exact number text, and a printer
 * that writes it back, for 64-bit Iceberg ids through cJSON trees.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

struct json_parser {
	const char	*p;		/* next byte */
	const char	*start;
	const char	*end;
	char		*cause;		/* first error, heap */
};

static cJSON	*json_parse_value(struct json_parser *, int);

/* Record the first error with its line and column. */
static void
json_fail(struct json_parser *jp, const char *what)
{
	const char	*q;
	int		 line = 1, col = 1;

	if (jp->cause != NULL)
		return;
	for (q = jp->start; q < jp->p && q < jp->end; q++) {
		if (*q == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	jp->cause = xasprintf("line %d, column %d: %s", line, col, what);
}

static cJSON *
json_check(cJSON *item)
{
	if (item == NULL)
		fatalx("json: out of memory");
	return (item);
}

static void
json_skip_ws(struct json_parser *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
	    *jp->p == '\n' || *jp->p == '\r'))
		jp->p++;
}

/* Match a literal keyword such as "true". */
static int
json_match(struct json_parser *jp, const char *word)
{
	size_t	n = strlen(word);

	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0)
		return (0);
	jp->p += n;
	return (1);
}

static int
json_hex4(struct json_parser *jp, unsigned *out)
{
	unsigned	v = 0;
	int		i;
	char		c;

	if (jp->end - jp->p < 4)
		return (-1);
	for (i = 0; i < 4; i++) {
		c = jp->p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return (-1);
	}
	jp->p += 4;
	*out = v;
	return (0);
}

static void
json_put_utf8(struct buf *b, unsigned cp)
{
	if (cp < 0x80)
		buf_putc(b, (uint8_t)cp);
	else if (cp < 0x800) {
		buf_putc(b, (uint8_t)(0xc0 | (cp >> 6)));
		buf_putc(b, (uint8_t)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_putc(b, (uint8_t)(0xe0 | (cp >> 12)));
		buf_putc(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (uint8_t)(0x80 | (cp & 0x3f)));
	} else {
		buf_putc(b, (uint8_t)(0xf0 | (cp >> 18)));
		buf_putc(b, (uint8_t)(0x80 | ((cp >> 12) & 0x3f)));
		buf_putc(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (uint8_t)(0x80 | (cp & 0x3f)));
	}
}

/* A \u escape (after the 'u'), joining surrogate pairs. */
static int
json_parse_uescape(struct json_parser *jp, struct buf *b)
{
	unsigned	hi, lo;

	if (json_hex4(jp, &hi) == -1) {
		json_fail(jp, "bad \\u escape");
		return (-1);
	}
	if (hi >= 0xdc00 && hi <= 0xdfff) {
		json_fail(jp, "lone low surrogate in \\u escape");
		return (-1);
	}
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (!json_match(jp, "\\u") || json_hex4(jp, &lo) == -1 ||
		    lo < 0xdc00 || lo > 0xdfff) {
			json_fail(jp, "high surrogate without a low one");
			return (-1);
		}
		hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (hi == 0) {
		json_fail(jp, "\\u0000 is not supported");
		return (-1);
	}
	json_put_utf8(b, hi);
	return (0);
}

/* Length of a valid UTF-8 sequence at p, or 0. */
static size_t
json_utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t		n, i;
	unsigned	cp;

	if (p[0] < 0x80)
		return (1);
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return (0);
	if ((size_t)(end - p) < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return (0);
	return (n);
}

/* A string (after the opening quote) into b, NUL-terminated. */
static int
json_parse_string_into(struct json_parser *jp, struct buf *b)
{
	static const char	 esc_in[] = "\"\\/bfnrt";
	static const char	 esc_out[] = "\"\\/\b\f\n\r\t";
	const char		*e;
	size_t			 n;

	for (;;) {
		if (jp->p >= jp->end) {
			json_fail(jp, "unterminated string");
			return (-1);
		}
		if (*jp->p == '"') {
			jp->p++;
			buf_cstr(b);
			return (0);
		}
		if ((unsigned char)*jp->p < 0x20) {
			json_fail(jp, "control character in string");
			return (-1);
		}
		if (*jp->p != '\\') {
			n = json_utf8_len((const unsigned char *)jp->p,
			    (const unsigned char *)jp->end);
			if (n == 0) {
				json_fail(jp, "invalid UTF-8 in string");
				return (-1);
			}
			buf_append(b, jp->p, n);
			jp->p += n;
			continue;
		}
		jp->p++;
		if (jp->p < jp->end && *jp->p == 'u') {
			jp->p++;
			if (json_parse_uescape(jp, b) == -1)
				return (-1);
			continue;
		}
		if (jp->p >= jp->end || *jp->p == '\0' ||
		    (e = strchr(esc_in, *jp->p)) == NULL) {
			json_fail(jp, "bad escape in string");
			return (-1);
		}
		buf_putc(b, (uint8_t)esc_out[e - esc_in]);
		jp->p++;
	}
}

static cJSON *
json_parse_string(struct json_parser *jp)
{
	struct buf	 b = BUF_INIT;
	cJSON		*item = NULL;

	if (json_parse_string_into(jp, &b) == 0)
		item = json_check(cJSON_CreateString(buf_cstr(&b)));
	buf_free(&b);
	return (item);
}

static size_t
json_span_digits(const char *p, const char *end)
{
	const char	*q = p;

	while (q < end && *q >= '0' && *q <= '9')
		q++;
	return ((size_t)(q - p));
}

/* A number: the grammar of RFC 8259, keeping the exact text. */
static cJSON *
json_parse_number(struct json_parser *jp)
{
	const char	*s = jp->p;
	cJSON		*item;
	char		*text;
	size_t		 n;

	if (jp->p < jp->end && *jp->p == '-')
		jp->p++;
	n = json_span_digits(jp->p, jp->end);
	if (n == 0 || (n > 1 && *jp->p == '0')) {
		json_fail(jp, "bad number");
		return (NULL);
	}
	jp->p += n;
	if (jp->p < jp->end && *jp->p == '.') {
		jp->p++;
		if ((n = json_span_digits(jp->p, jp->end)) == 0) {
			json_fail(jp, "bad number: digits expected after '.'");
			return (NULL);
		}
		jp->p += n;
	}
	if (jp->p < jp->end && (*jp->p == 'e' || *jp->p == 'E')) {
		jp->p++;
		if (jp->p < jp->end && (*jp->p == '+' || *jp->p == '-'))
			jp->p++;
		if ((n = json_span_digits(jp->p, jp->end)) == 0) {
			json_fail(jp, "bad number: exponent digits expected");
			return (NULL);
		}
		jp->p += n;
	}
	text = xstrndup(s, (size_t)(jp->p - s));
	item = json_check(cJSON_CreateNumber(strtod(text, NULL)));
	item->valuestring = text;
	return (item);
}

static cJSON *
json_parse_array(struct json_parser *jp, int depth)
{
	cJSON	*arr = json_check(cJSON_CreateArray()), *item;

	json_skip_ws(jp);
	if (jp->p < jp->end && *jp->p == ']') {
		jp->p++;
		return (arr);
	}
	for (;;) {
		if ((item = json_parse_value(jp, depth + 1)) == NULL)
			break;
		cJSON_AddItemToArray(arr, item);
		json_skip_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == ']') {
			jp->p++;
			return (arr);
		}
		json_fail(jp, "expected ',' or ']' in array");
		break;
	}
	cJSON_Delete(arr);
	return (NULL);
}

/* One "key": value member of an object into obj. */
static int
json_parse_member(struct json_parser *jp, cJSON *obj, int depth)
{
	struct buf	 key = BUF_INIT;
	cJSON		*item;

	json_skip_ws(jp);
	if (jp->p >= jp->end || *jp->p != '"') {
		json_fail(jp, "expected a string key in object");
		return (-1);
	}
	jp->p++;
	if (json_parse_string_into(jp, &key) == -1) {
		buf_free(&key);
		return (-1);
	}
	json_skip_ws(jp);
	if (jp->p >= jp->end || *jp->p != ':') {
		json_fail(jp, "expected ':' after object key");
		buf_free(&key);
		return (-1);
	}
	jp->p++;
	if (cJSON_GetObjectItemCaseSensitive(obj, buf_cstr(&key)) != NULL) {
		json_fail(jp, "duplicate key in object");
		buf_free(&key);
		return (-1);
	}
	item = json_parse_value(jp, depth + 1);
	if (item != NULL)
		cJSON_AddItemToObject(obj, buf_cstr(&key), item);
	buf_free(&key);
	return (item == NULL ? -1 : 0);
}

static cJSON *
json_parse_object(struct json_parser *jp, int depth)
{
	cJSON	*obj = json_check(cJSON_CreateObject());
	int	 members = 0;

	json_skip_ws(jp);
	if (jp->p < jp->end && *jp->p == '}') {
		jp->p++;
		return (obj);
	}
	for (;;) {
		if (++members > JSON_MAX_MEMBERS) {
			json_fail(jp, "too many members in one object");
			break;
		}
		if (json_parse_member(jp, obj, depth) == -1)
			break;
		json_skip_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == '}') {
			jp->p++;
			return (obj);
		}
		json_fail(jp, "expected ',' or '}' in object");
		break;
	}
	cJSON_Delete(obj);
	return (NULL);
}

static cJSON *
json_parse_value(struct json_parser *jp, int depth)
{
	if (depth > JSON_MAX_DEPTH) {
		json_fail(jp, "nested too deeply");
		return (NULL);
	}
	json_skip_ws(jp);
	if (jp->p >= jp->end) {
		json_fail(jp, "unexpected end of input");
		return (NULL);
	}
	switch (*jp->p) {
	case '{':
		jp->p++;
		return (json_parse_object(jp, depth));
	case '[':
		jp->p++;
		return (json_parse_array(jp, depth));
	case '"':
		jp->p++;
		return (json_parse_string(jp));
	case 't':
		if (json_match(jp, "true"))
			return (json_check(cJSON_CreateTrue()));
		break;
	case 'f':
		if (json_match(jp, "false"))
			return (json_check(cJSON_CreateFalse()));
		break;
	case 'n':
		if (json_match(jp, "null"))
			return (json_check(cJSON_CreateNull()));
		break;
	default:
		if (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9'))
			return (json_parse_number(jp));
		break;
	}
	json_fail(jp, "unexpected character");
	return (NULL);
}

cJSON *
json_parse(const char *text, size_t len, char **cause)
{
	struct json_parser	 jp;
	cJSON			*root;

	memset(&jp, 0, sizeof jp);
	jp.p = jp.start = text;
	jp.end = text + len;
	root = json_parse_value(&jp, 0);
	if (root != NULL) {
		json_skip_ws(&jp);
		if (jp.p != jp.end) {
			json_fail(&jp, "trailing characters after the value");
			cJSON_Delete(root);
			root = NULL;
		}
	}
	if (root == NULL) {
		if (cause != NULL)
			*cause = jp.cause;
		else
			free(jp.cause);
	}
	return (root);
}

/* Parse a whole decimal int64 token; -1 if not exactly one. */
static int
json_int64_text(const char *s, int64_t *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0' || strpbrk(s, ".eE") != NULL)
		return (-1);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return (-1);
	*out = (int64_t)v;
	return (0);
}

int
json_get_int64(const cJSON *item, int64_t *out)
{
	double	d;

	if (item == NULL)
		return (-1);
	if (cJSON_IsRaw(item) || (cJSON_IsNumber(item) &&
	    item->valuestring != NULL))
		return (json_int64_text(item->valuestring, out));
	if (!cJSON_IsNumber(item))
		return (-1);
	/* Built with cJSON_CreateNumber: exact only below 2^53. */
	d = item->valuedouble;
	if (d != floor(d) || fabs(d) > 9007199254740992.0)
		return (-1);
	*out = (int64_t)d;
	return (0);
}

int
json_object_int64(const cJSON *obj, const char *key, int64_t *out,
    char **cause)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (item == NULL) {
		*cause = xasprintf("\"%s\" is missing", key);
		return (-1);
	}
	if (json_get_int64(item, out) == -1) {
		*cause = xasprintf("\"%s\" is not a 64-bit integer", key);
		return (-1);
	}
	return (0);
}

const char *
json_object_string(const cJSON *obj, const char *key)
{
	const cJSON	*item = cJSON_GetObjectItemCaseSensitive(obj, key);

	return (cJSON_IsString(item) ? item->valuestring : NULL);
}

cJSON *
json_int64(int64_t v)
{
	char	text[32];

	snprintf(text, sizeof text, "%" PRId64, v);
	return (json_check(cJSON_CreateRaw(text)));
}

cJSON *
json_add_int64(cJSON *obj, const char *key, int64_t v)
{
	cJSON	*item = json_int64(v);

	cJSON_AddItemToObject(obj, key, item);
	return (item);
}

/* A string, escaped; runs of plain bytes are copied at once. */
static void
json_print_string(struct buf *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s, *run;

	buf_putc(b, '"');
	for (;;) {
		for (run = p; *p >= 0x20 && *p != '"' && *p != '\\'; p++)
			;
		buf_append(b, run, (size_t)(p - run));
		if (*p == '\0')
			break;
		switch (*p) {
		case '"':
			buf_puts(b, "\\\"");
			break;
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		default:
			buf_printf(b, "\\u%04x", *p);
		}
		p++;
	}
	buf_putc(b, '"');
}

static void
json_print_number(struct buf *b, const cJSON *item)
{
	double	d = item->valuedouble;

	if (item->valuestring != NULL)
		buf_puts(b, item->valuestring);
	else if (isnan(d) || isinf(d))
		buf_puts(b, "null");
	else if (d == floor(d) && fabs(d) < 1e15)
		buf_printf(b, "%.0f", d);
	else
		buf_printf(b, "%.17g", d);
}

static void
json_print_item(struct buf *b, const cJSON *item)
{
	const cJSON	*c;

	if (cJSON_IsObject(item) || cJSON_IsArray(item)) {
		buf_putc(b, cJSON_IsObject(item) ? '{' : '[');
		for (c = item->child; c != NULL; c = c->next) {
			if (c != item->child)
				buf_putc(b, ',');
			if (cJSON_IsObject(item)) {
				json_print_string(b, c->string);
				buf_putc(b, ':');
			}
			json_print_item(b, c);
		}
		buf_putc(b, cJSON_IsObject(item) ? '}' : ']');
	} else if (cJSON_IsString(item))
		json_print_string(b, item->valuestring);
	else if (cJSON_IsNumber(item))
		json_print_number(b, item);
	else if (cJSON_IsRaw(item))
		buf_puts(b, item->valuestring);
	else if (cJSON_IsTrue(item))
		buf_puts(b, "true");
	else if (cJSON_IsFalse(item))
		buf_puts(b, "false");
	else
		buf_puts(b, "null");
}

char *
json_print(const cJSON *item)
{
	struct buf	b = BUF_INIT;

	json_print_item(&b, item);
	return ((char *)buf_steal(&b, NULL));
}
