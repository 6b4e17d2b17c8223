/*
 * json.h: JSON with exact 64-bit integers, on top of cJSON.
 *
 * cJSON keeps every number as a double, so an Iceberg snapshot id such as
 * 3051729675574597004 would come back as 3.0517296755745971e+18.  All JSON
 * that carries ids, sequence numbers or sizes goes through this module:
 *
 * - json_parse() is a strict RFC 8259 parser (duplicate keys refused) that builds an ordinary cJSON
 *   tree in which every number node also keeps its exact source text in
 *   valuestring.  cJSON_IsNumber and valuedouble work as usual;
 *   json_get_int64() reads the exact value.  Do not change such a node with
 *   cJSON_SetNumberValue (the kept text would go stale): replace it.
 * - json_int64() / json_add_int64() create cJSON_Raw nodes that print exactly.
 * - json_print() prints a tree, writing parsed numbers from their exact text.
 *
 * Trees are freed with cJSON_Delete; strings returned by json_print are
 * freed with free().
 */
#ifndef BRONZE_JSON_H
#define BRONZE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define JSON_MAX_DEPTH	64
#define JSON_MAX_MEMBERS 4096	/* per object; duplicate keys are refused */

/* Parse len bytes; NULL and *cause ("line L, column C: what") on error. */
cJSON	*json_parse(const char *text, size_t len, char **cause);

/* Exact value of an integer number node (parsed or Raw); -1 if not one. */
int	 json_get_int64(const cJSON *, int64_t *);
/* obj[key] as int64; -1 and *cause naming the key if absent or not one. */
int	 json_object_int64(const cJSON *obj, const char *key, int64_t *,
	    char **cause);
/* obj[key] if it is a string, else NULL. */
const char *json_object_string(const cJSON *obj, const char *key);

/* A number node that prints exactly (cJSON_Raw). */
cJSON	*json_int64(int64_t);
/* Add key: value (exact) to an object; returns the new node. */
cJSON	*json_add_int64(cJSON *obj, const char *key, int64_t);

/* Compact text of a tree, numbers exact; caller frees. */
char	*json_print(const cJSON *);

#endif
