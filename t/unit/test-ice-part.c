/*
 * test-ice-part.c: unit tests for Iceberg partition transforms and paths.
 */
#include <stdlib.h>
#include <string.h>

#include "ice-part.h"
#include "tap.h"

static void
test_transforms(void)
{
	/* 2026-01-01T00:00:00Z = 1767225600 s = day 20454 */
	TAP_CHECK_INT(ice_part_day(1767225600000000LL), 20454);
	TAP_CHECK_INT(ice_part_day(1767225600000000LL - 1), 20453);
	TAP_CHECK_INT(ice_part_day(0), 0);
	TAP_CHECK_INT(ice_part_day(-1), -1);
	TAP_CHECK_INT(ice_part_day(-86400000000LL), -1);
	TAP_CHECK_INT(ice_part_day(-86400000001LL), -2);
	TAP_CHECK_INT(ice_part_hour(1767225600000000LL), 20454 * 24);
	TAP_CHECK_INT(ice_part_hour(-1), -1);
	TAP_CHECK_INT(ice_part_hour(3600000000LL * 5 + 7), 5);
}

static void
test_paths(void)
{
	struct ice_part_value	 v;
	char			*p;

	v = ice_part_of(CONFIG_PART_DAY, 1767225600000000LL + 3600000000LL,
	    "x");
	p = ice_part_path(&v);
	TAP_CHECK_STR(p, "ingestion_timestamp_day=2026-01-01");
	free(p);
	v = ice_part_of(CONFIG_PART_HOUR, 1767225600000000LL +
	    13 * 3600000000LL + 5, "x");
	p = ice_part_path(&v);
	TAP_CHECK_STR(p, "ingestion_timestamp_hour=2026-01-01-13");
	free(p);
	v = ice_part_of(CONFIG_PART_DAY, -1, "x");
	p = ice_part_path(&v);
	TAP_CHECK_STR(p, "ingestion_timestamp_day=1969-12-31");
	free(p);
	v = ice_part_of(CONFIG_PART_IDENTITY_TOPIC, 0, "binance.raw/a b%");
	p = ice_part_path(&v);
	TAP_CHECK_STR(p, "topic=binance.raw%2Fa+b%25");
	free(p);
	v = ice_part_of(CONFIG_PART_NONE, 0, "x");
	p = ice_part_path(&v);
	TAP_CHECK_STR(p, "");
	free(p);
}

static void
test_serialize_and_equal(void)
{
	struct ice_part_value	a, b;
	uint8_t			out[16];

	a = ice_part_of(CONFIG_PART_DAY, 1767225600000000LL, NULL);
	TAP_CHECK_INT(ice_part_serialize(&a, out, sizeof out), 4);
	TAP_CHECK(memcmp(out, "\xe6\x4f\x00\x00", 4) == 0);
	a = ice_part_of(CONFIG_PART_DAY, -86400000000LL, NULL);
	ice_part_serialize(&a, out, sizeof out);
	TAP_CHECK(memcmp(out, "\xff\xff\xff\xff", 4) == 0);
	a = ice_part_of(CONFIG_PART_IDENTITY_TOPIC, 0, "kraken.raw");
	b = ice_part_of(CONFIG_PART_IDENTITY_TOPIC, 5, "kraken.raw");
	TAP_CHECK(ice_part_equal(&a, &b));
	TAP_CHECK_INT(ice_part_serialize(&a, out, sizeof out), 10);
	b = ice_part_of(CONFIG_PART_IDENTITY_TOPIC, 0, "binance.raw");
	TAP_CHECK(!ice_part_equal(&a, &b));
	a = ice_part_of(CONFIG_PART_HOUR, 0, NULL);
	b = ice_part_of(CONFIG_PART_DAY, 0, NULL);
	TAP_CHECK(!ice_part_equal(&a, &b));
}

static const struct tap_case cases[] = {
	{ "day and hour floor", test_transforms },
	{ "partition paths", test_paths },
	{ "serialize and equal", test_serialize_and_equal },
};

TAP_MAIN(cases)
