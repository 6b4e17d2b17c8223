/*
 * test-json.c: unit tests for exact 64-bit integers through JSON.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "tap.h"
#include "xmalloc.h"

static cJSON *
parse_ok(const char *text)
{
	char	*cause = NULL;
	cJSON	*j = json_parse(text, strlen(text), &cause);

	if (j == NULL) {
		printf("# parse of %s failed: %s\n", text, cause);
		free(cause);
	}
	return (j);
}

static void
test_int64_round_trip(void)
{
	static const char *const texts[] = {
		"9223372036854775807", "-9223372036854775808",
		"9007199254740993", "3051729675574597004", "0", "-1"
	};
	static const int64_t want[] = {
		INT64_MAX, INT64_MIN, 9007199254740993LL,
		3051729675574597004LL, 0, -1
	};
	cJSON	*j;
	int64_t	 v;
	char	*out;
	size_t	 i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		char *doc = xasprintf("{\"id\":%s}", texts[i]);

		j = parse_ok(doc);
		TAP_CHECK(j != NULL);
		if (j == NULL) {
			free(doc);
			continue;
		}
		TAP_CHECK(json_object_int64(j, "id", &v, NULL) == 0);
		TAP_CHECK(v == want[i]);
		out = json_print(j);
		TAP_CHECK_STR(out, doc);
		free(out);
		cJSON_Delete(j);
		j = cJSON_CreateObject();
		json_add_int64(j, "id", want[i]);
		out = json_print(j);
		TAP_CHECK_STR(out, doc);
		free(out);
		out = cJSON_PrintUnformatted(j);	/* Raw prints exactly too */
		TAP_CHECK_STR(out, doc);
		free(out);
		cJSON_Delete(j);
		free(doc);
	}
}

static char *
read_fixture(const char *name, size_t *len)
{
	const char	*dir = getenv("BRONZE_SRCDIR");
	char		*path, buf[4096];
	struct buf	 b = BUF_INIT;
	FILE		*f;
	size_t		 n;

	path = xasprintf("%s/t/data/%s", dir ? dir : ".", name);
	if ((f = fopen(path, "r")) == NULL) {
		printf("# cannot open %s\n", path);
		free(path);
		return (NULL);
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		buf_append(&b, buf, n);
	fclose(f);
	free(path);
	return ((char *)buf_steal(&b, len));
}

static void
test_metadata_fixture(void)
{
	char		*text, *out, *cause = NULL;
	size_t		 len;
	cJSON		*j, *j2, *snaps;
	int64_t		 v;

	if ((text = read_fixture("v2-metadata.json", &len)) == NULL) {
		TAP_CHECK(!"fixture");
		return;
	}
	j = json_parse(text, len, &cause);
	TAP_CHECK(j != NULL);
	TAP_CHECK(json_object_int64(j, "current-snapshot-id", &v, &cause) == 0);
	TAP_CHECK(v == 7155551234567890123LL);
	snaps = cJSON_GetObjectItem(j, "snapshots");
	TAP_CHECK(json_object_int64(cJSON_GetArrayItem(snaps, 0),
	    "snapshot-id", &v, &cause) == 0 && v == 3051729675574597004LL);
	TAP_CHECK(json_object_int64(cJSON_GetArrayItem(snaps, 1),
	    "parent-snapshot-id", &v, &cause) == 0 &&
	    v == 3051729675574597004LL);
	TAP_CHECK_STR(json_object_string(j, "location"),
	    "s3://warehouse/market_data/bronze_kraken_trades");
	/* print, parse again: every id still exact */
	out = json_print(j);
	TAP_CHECK(strstr(out, "\"current-snapshot-id\":7155551234567890123")
	    != NULL);
	j2 = json_parse(out, strlen(out), &cause);
	TAP_CHECK(j2 != NULL && cJSON_Compare(j, j2, 1));
	TAP_CHECK(json_object_int64(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    j2, "refs"), "main"), "snapshot-id", &v, &cause) == 0 &&
	    v == 7155551234567890123LL);
	/* cJSON alone loses the id: the reason this module exists */
	cJSON_Delete(j2);
	j2 = cJSON_Parse(text);
	free(out);
	out = cJSON_PrintUnformatted(j2);
	TAP_CHECK(strstr(out,
	    "\"current-snapshot-id\":7155551234567890123") == NULL);
	free(out);
	cJSON_Delete(j2);
	cJSON_Delete(j);
	free(text);
}

static void
test_not_int64(void)
{
	static const char *const bad[] = {
		"1.5", "1e3", "\"12\"", "9223372036854775808",
		"-9223372036854775809", "true", "null", "[]"
	};
	char	*cause = NULL;
	cJSON	*j;
	int64_t	 v;
	size_t	 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		j = parse_ok(bad[i]);
		TAP_CHECK(j != NULL && json_get_int64(j, &v) == -1);
		cJSON_Delete(j);
	}
	j = parse_ok("{\"a\":1.25,\"b\":\"x\"}");
	TAP_CHECK(cJSON_GetObjectItem(j, "a")->valuedouble == 1.25);
	TAP_CHECK(json_object_int64(j, "b", &v, &cause) == -1);
	TAP_CHECK_STR(cause, "\"b\" is not a 64-bit integer");
	free(cause);
	TAP_CHECK(json_object_int64(j, "zz", &v, &cause) == -1);
	TAP_CHECK_STR(cause, "\"zz\" is missing");
	free(cause);
	cJSON_Delete(j);
	j = cJSON_CreateNumber(42);
	TAP_CHECK(json_get_int64(j, &v) == 0 && v == 42);
	cJSON_Delete(j);
}

static void
test_strings(void)
{
	cJSON	*j;
	char	*out;

	j = parse_ok("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"");
	TAP_CHECK(j != NULL && strcmp(j->valuestring,
	    "a\"b\\c/d\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80") == 0);
	out = json_print(j);
	TAP_CHECK_STR(out,
	    "\"a\\\"b\\\\c/d\\u0008\\u000c\\n\\r\\t\xc3\xa9\xf0\x9f\x98\x80\"");
	free(out);
	cJSON_Delete(j);
	j = parse_ok("{\"k\xc3\xa9y\":[true,false,null,-0.5e-3,{}]}");
	out = json_print(j);
	TAP_CHECK_STR(out, "{\"k\xc3\xa9y\":[true,false,null,-0.5e-3,{}]}");
	free(out);
	cJSON_Delete(j);
}

static void
test_errors(void)
{
	static const struct { const char *text, *cause; } cases[] = {
		{ "", "line 1, column 1: unexpected end of input" },
		{ "{\"a\":1", "line 1, column 7: expected ',' or '}' in object" },
		{ "[1,2", "line 1, column 5: expected ',' or ']' in array" },
		{ "{} x", "line 1, column 4: trailing characters after the value" },
		{ "\n\n  [01]", "line 3, column 4: bad number" },
		{ "[1.]", "line 1, column 4: bad number: digits expected after '.'" },
		{ "[1e]", "line 1, column 4: bad number: exponent digits expected" },
		{ "[-]", "line 1, column 3: bad number" },
		{ "[\"\\x\"]", "line 1, column 4: bad escape in string" },
		{ "[\"\\ud800\"]", "line 1, column 9: high surrogate without a low one" },
		{ "[\"\\udc00\"]", "line 1, column 9: lone low surrogate in \\u escape" },
		{ "[\"\\u0000\"]", "line 1, column 9: \\u0000 is not supported" },
		{ "[\"a\tb\"]", "line 1, column 4: control character in string" },
		{ "[\"\xc3\x28\"]", "line 1, column 3: invalid UTF-8 in string" },
		{ "[\"\xed\xa0\x80\"]", "line 1, column 3: invalid UTF-8 in string" },
		{ "[\"abc", "line 1, column 6: unterminated string" },
		{ "{1:2}", "line 1, column 2: expected a string key in object" },
		{ "{\"a\" 2}", "line 1, column 6: expected ':' after object key" },
		{ "[tru]", "line 1, column 2: unexpected character" },
		{ "NaN", "line 1, column 1: unexpected character" },
		{ "{\"a\":1,\"b\":2,\"a\":3}",
		    "line 1, column 18: duplicate key in object" },
	};
	char	*cause;
	cJSON	*j;
	size_t	 i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		j = json_parse(cases[i].text, strlen(cases[i].text), &cause);
		TAP_CHECK(j == NULL);
		TAP_CHECK_STR(cause, cases[i].cause);
		free(cause);
		cJSON_Delete(j);
	}
}

static void
test_depth_and_length(void)
{
	struct buf	 b = BUF_INIT;
	char		*cause = NULL;
	cJSON		*j;
	int		 i;

	for (i = 0; i < JSON_MAX_DEPTH; i++)
		buf_putc(&b, '[');
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		buf_putc(&b, ']');
	j = json_parse((char *)b.data, b.len, &cause);
	TAP_CHECK(j != NULL);
	cJSON_Delete(j);
	buf_reset(&b);
	for (i = 0; i < 100000; i++)
		buf_putc(&b, '[');
	j = json_parse((char *)b.data, b.len, &cause);
	TAP_CHECK(j == NULL && cause != NULL &&
	    strstr(cause, "nested too deeply") != NULL);
	free(cause);
	/* the length bounds the parse: no reading past it */
	j = json_parse("[1]xxxx", 3, &cause);
	TAP_CHECK(j != NULL);
	cJSON_Delete(j);
	buf_free(&b);
}

/* Deterministic random document, printed by cJSON. */
static cJSON *
random_doc(uint64_t *seed, int depth)
{
	cJSON	*c;
	int	 i, n, kind;
	char	 key[16], s[24];

	*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
	kind = (int)((*seed >> 33) % (depth > 4 ? 4 : 7));
	n = (int)((*seed >> 40) % 5);
	switch (kind) {
	case 0:
		return (cJSON_CreateNumber((double)(int32_t)(*seed >> 20)));
	case 1:
		return (cJSON_CreateNumber((double)(*seed >> 44) / 1024.0));
	case 2:
		snprintf(s, sizeof s, "s\"%u\\\n", (unsigned)(*seed >> 50));
		return (cJSON_CreateString(s));
	case 3:
		return (cJSON_CreateBool((*seed >> 35) & 1));
	case 4:
		c = cJSON_CreateArray();
		for (i = 0; i < n; i++)
			cJSON_AddItemToArray(c, random_doc(seed, depth + 1));
		return (c);
	default:
		c = cJSON_CreateObject();
		for (i = 0; i < n; i++) {
			snprintf(key, sizeof key, "k%d", i);
			cJSON_AddItemToObject(c, key, random_doc(seed, depth + 1));
		}
		return (c);
	}
}

static void
test_random_against_cjson(void)
{
	uint64_t	 seed = 42;
	cJSON		*doc, *mine, *theirs;
	char		*text, *again, *cause = NULL;
	int		 i, same = 0;

	for (i = 0; i < 500; i++) {
		doc = random_doc(&seed, 0);
		text = cJSON_PrintUnformatted(doc);
		mine = json_parse(text, strlen(text), &cause);
		theirs = cJSON_Parse(text);
		if (mine != NULL && cJSON_Compare(mine, theirs, 1)) {
			again = json_print(mine);
			cJSON_Delete(theirs);
			theirs = cJSON_Parse(again);
			same += cJSON_Compare(mine, theirs, 1);
			free(again);
		}
		cJSON_Delete(doc);
		cJSON_Delete(mine);
		cJSON_Delete(theirs);
		free(text);
	}
	TAP_CHECK_INT(same, 500);
}

static const struct tap_case cases[] = {
	{ "int64 extremes round trip", test_int64_round_trip },
	{ "ids of real table metadata stay exact", test_metadata_fixture },
	{ "non-integers are not int64", test_not_int64 },
	{ "strings and escapes", test_strings },
	{ "syntax errors with line and column", test_errors },
	{ "depth limit and length bound", test_depth_and_length },
	{ "random documents agree with cJSON", test_random_against_cjson },
};

TAP_MAIN(cases)
