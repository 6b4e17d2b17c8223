/*
 * ice-schema.c: the bronze table schema, its partition spec, and field
 * ids by name.
 */
#include <stdlib.h>
#include <string.h>

#include "ice-part.h"
#include "ice-schema.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

static cJSON *
ice_schema_field(int id, const char *name, int required, const char *type)
{
	cJSON	*f = cJSON_CreateObject();

	cJSON_AddNumberToObject(f, "id", id);
	cJSON_AddStringToObject(f, "name", name);
	cJSON_AddBoolToObject(f, "required", required);
	cJSON_AddStringToObject(f, "type", type);
	return (f);
}

cJSON *
ice_schema_bronze(enum config_value_type vt)
{
	cJSON	*s = cJSON_CreateObject(), *fields, *map, *h;

	cJSON_AddStringToObject(s, "type", "struct");
	cJSON_AddNumberToObject(s, "schema-id", 0);
	fields = cJSON_AddArrayToObject(s, "fields");
	cJSON_AddItemToArray(fields, ice_schema_field(1, "raw_value", 1,
	    vt == CONFIG_VALUE_STRING ? "string" : "binary"));
	cJSON_AddItemToArray(fields, ice_schema_field(2, "message_key", 0,
	    "binary"));
	cJSON_AddItemToArray(fields, ice_schema_field(3, "topic", 1, "string"));
	cJSON_AddItemToArray(fields, ice_schema_field(4, "kafka_partition", 1,
	    "int"));
	cJSON_AddItemToArray(fields, ice_schema_field(5, "kafka_offset", 1,
	    "long"));
	cJSON_AddItemToArray(fields, ice_schema_field(6, "kafka_timestamp", 0,
	    "timestamptz"));
	cJSON_AddItemToArray(fields, ice_schema_field(7, "ingestion_timestamp",
	    1, "timestamptz"));
	map = cJSON_CreateObject();
	cJSON_AddStringToObject(map, "type", "map");
	cJSON_AddNumberToObject(map, "key-id", 9);
	cJSON_AddStringToObject(map, "key", "string");
	cJSON_AddNumberToObject(map, "value-id", 10);
	cJSON_AddStringToObject(map, "value", "binary");
	cJSON_AddBoolToObject(map, "value-required", 0);
	h = ice_schema_field(8, "headers", 0, "map");
	cJSON_ReplaceItemInObject(h, "type", map);
	cJSON_AddItemToArray(fields, h);
	return (s);
}

cJSON *
ice_schema_spec(enum config_partition_transform t,
    const struct ice_bronze_ids *ids)
{
	cJSON	*spec = cJSON_CreateObject(), *fields, *f;

	cJSON_AddNumberToObject(spec, "spec-id", 0);
	fields = cJSON_AddArrayToObject(spec, "fields");
	if (t == CONFIG_PART_NONE)
		return (spec);
	f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "name", ice_part_field_name(t));
	cJSON_AddStringToObject(f, "transform", ice_part_transform_name(t));
	cJSON_AddNumberToObject(f, "source-id", t == CONFIG_PART_IDENTITY_TOPIC ?
	    ids->topic : ids->ingestion_timestamp);
	cJSON_AddNumberToObject(f, "field-id", 1000);
	cJSON_AddItemToArray(fields, f);
	return (spec);
}

/* The id of the top-level column called name; -1 if absent. */
static int32_t
ice_schema_id_of(const cJSON *fields, const char *name, const cJSON **field)
{
	const cJSON	*f;
	int64_t		 id;

	cJSON_ArrayForEach(f, fields) {
		const char *n = json_object_string(f, "name");

		if (n != NULL && strcmp(n, name) == 0 &&
		    json_get_int64(cJSON_GetObjectItem(f, "id"), &id) == 0) {
			if (field != NULL)
				*field = f;
			return ((int32_t)id);
		}
	}
	return (-1);
}

int
ice_schema_ids(const cJSON *schema, struct ice_bronze_ids *ids,
    char **cause)
{
	static const char *const names[] = { "raw_value", "message_key",
	    "topic", "kafka_partition", "kafka_offset", "kafka_timestamp",
	    "ingestion_timestamp", "headers" };
	const cJSON	*fields = cJSON_GetObjectItem(schema, "fields");
	const cJSON	*headers = NULL, *type;
	int32_t		*slot[] = { &ids->raw_value, &ids->message_key,
	    &ids->topic, &ids->kafka_partition, &ids->kafka_offset,
	    &ids->kafka_timestamp, &ids->ingestion_timestamp, &ids->headers };
	int64_t		 k, v;
	size_t		 i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		*slot[i] = ice_schema_id_of(fields, names[i],
		    i == 7 ? &headers : NULL);
		if (*slot[i] < 0) {
			*cause = xasprintf("table schema has no column %s",
			    names[i]);
			return (-1);
		}
	}
	type = cJSON_GetObjectItem(headers, "type");
	if (json_get_int64(cJSON_GetObjectItem(type, "key-id"), &k) == -1 ||
	    json_get_int64(cJSON_GetObjectItem(type, "value-id"), &v) == -1) {
		*cause = xstrdup("table schema: headers is not a map");
		return (-1);
	}
	ids->headers_key = (int32_t)k;
	ids->headers_value = (int32_t)v;
	return (0);
}

void
ice_schema_pq_columns(const struct ice_bronze_ids *ids,
    enum config_value_type vt, struct pq_column out[ICE_BRONZE_NCOLS])
{
	const struct pq_column cols[ICE_BRONZE_NCOLS] = {
		{ "raw_value", vt == CONFIG_VALUE_STRING ? PQ_STRING : PQ_BINARY,
		    1, ids->raw_value, 0, 0, 1 },
		{ "message_key", PQ_BINARY, 0, ids->message_key, 0, 0, 0 },
		{ "topic", PQ_STRING, 1, ids->topic, 0, 0, 0 },
		{ "kafka_partition", PQ_INT32, 1, ids->kafka_partition, 0, 0, 0 },
		{ "kafka_offset", PQ_INT64, 1, ids->kafka_offset, 0, 0, 1 },
		{ "kafka_timestamp", PQ_TIMESTAMPTZ, 0, ids->kafka_timestamp,
		    0, 0, 1 },
		{ "ingestion_timestamp", PQ_TIMESTAMPTZ, 1,
		    ids->ingestion_timestamp, 0, 0, 1 },
		{ "headers", PQ_MAP, 0, ids->headers, ids->headers_key,
		    ids->headers_value, 0 },
	};

	memcpy(out, cols, sizeof cols);
}
