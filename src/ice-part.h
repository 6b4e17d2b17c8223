/*
 * ice-part.h: Iceberg partitioning for the bronze tables: the day and hour
 * transforms of ingestion_timestamp and identity(topic), partition values,
 * their paths under data/, and their single-value serialization (used as
 * manifest-list partition bounds).
 *
 * A struct ice_part_value is a small value type; ice_part_path() returns a
 * heap string the caller frees.
 */
#ifndef BRONZE_ICE_PART_H
#define BRONZE_ICE_PART_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Partition value of one record: an int (day, hour) or a string (topic). */
struct ice_part_value {
	enum config_partition_transform	 transform;
	int32_t				 ordinal;	/* days or hours since epoch */
	const char			*topic;		/* identity(topic); borrowed */
};

/* floor(us / unit), correct for negative timestamps. */
int32_t	 ice_part_day(int64_t micros);
int32_t	 ice_part_hour(int64_t micros);

/* The partition value of a record. */
struct ice_part_value ice_part_of(enum config_partition_transform,
	    int64_t ingestion_micros, const char *topic);
int	 ice_part_equal(const struct ice_part_value *,
	    const struct ice_part_value *);

/* The spec's partition field name, e.g. "ingestion_timestamp_day"; NULL for none. */
const char *ice_part_field_name(enum config_partition_transform);
/* The spec transform ("day", "hour", "identity"); NULL for none. */
const char *ice_part_transform_name(enum config_partition_transform);

/*
 * The data sub-directory, e.g. "ingestion_timestamp_day=2026-11-22" or
 * "topic=binance.raw" (URL-escaped), "" for an unpartitioned table.
 */
char	*ice_part_path(const struct ice_part_value *);

/*
 * Single-value serialization of the value into out (at least 4 bytes for
 * ints; strlen(topic) for topics); returns the byte count.
 */
size_t	 ice_part_serialize(const struct ice_part_value *, uint8_t *out,
	    size_t outlen);

#endif
