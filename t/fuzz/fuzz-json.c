/*
 * fuzz-json.c: libFuzzer harness for the exact-int64 JSON parser and
 * printer (t/fuzz/run builds and runs it).
 *
 * Every input must parse or fail with a cause; a parsed tree must print,
 * and the printed text must parse again and print the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Read every number exactly, as the Iceberg code does. */
static void
fuzz_walk(const cJSON *item)
{
	const cJSON	*c;
	int64_t		 v;

	if (cJSON_IsNumber(item))
		(void)json_get_int64(item, &v);
	for (c = item->child; c != NULL; c = c->next)
		fuzz_walk(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	cJSON	*j, *again;
	char	*cause = NULL, *text, *text2;

	j = json_parse((const char *)data, len, &cause);
	if (j == NULL) {
		if (cause == NULL)
			fatalx("parse failed without a cause");
		free(cause);
		return (0);
	}
	fuzz_walk(j);
	text = json_print(j);
	again = json_parse(text, strlen(text), &cause);
	if (again == NULL)
		fatalx("printed JSON does not parse: %s", cause);
	text2 = json_print(again);
	if (strcmp(text, text2) != 0)
		fatalx("printed JSON parses to a different tree");
	cJSON_Delete(again);
	cJSON_Delete(j);
	free(text2);
	free(text);
	return (0);
}
