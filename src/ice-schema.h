/*
 * ice-schema.h: the bronze table's Iceberg schema and partition spec
 * (DESIGN.md "Bronze table schema"), the field ids of a loaded table, and
 * the Parquet columns built from those ids.
 *
 * A REST catalog may reassign field ids, so the writer always takes them
 * from the loaded table's current schema (ice_schema_ids), never from the
 * schema it asked for.  cJSON trees returned here are owned by the caller.
 */
#ifndef BRONZE_ICE_SCHEMA_H
#define BRONZE_ICE_SCHEMA_H

#include <cjson/cJSON.h>

#include "config.h"
#include "parquet.h"

#define ICE_BRONZE_NCOLS	8	/* top-level columns */

/* Field ids of the bronze columns, by name. */
struct ice_bronze_ids {
	int32_t	raw_value;
	int32_t	message_key;
	int32_t	topic;
	int32_t	kafka_partition;
	int32_t	kafka_offset;
	int32_t	kafka_timestamp;
	int32_t	ingestion_timestamp;
	int32_t	headers;
	int32_t	headers_key;
	int32_t	headers_value;
};

/* The schema bronzed creates tables with (schema-id 0, ids 1..10). */
cJSON	*ice_schema_bronze(enum config_value_type);
/* The partition spec (spec-id 0) for a transform, source ids from ids. */
cJSON	*ice_schema_spec(enum config_partition_transform,
	    const struct ice_bronze_ids *);
/* Ids of a schema JSON by column name; -1 and *cause if one is missing. */
int	 ice_schema_ids(const cJSON *schema, struct ice_bronze_ids *,
	    char **cause);
/* The Parquet columns, in bronze column order, for these ids. */
void	 ice_schema_pq_columns(const struct ice_bronze_ids *,
	    enum config_value_type, struct pq_column out[ICE_BRONZE_NCOLS]);

#endif
