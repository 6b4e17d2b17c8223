/*
 * test-buf.c: unit tests for the growable byte buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

static void
test_append_and_grow(void)
{
	struct buf	b = BUF_INIT;
	int		i;

	for (i = 0; i < 10000; i++)
		buf_putc(&b, (uint8_t)i);
	TAP_CHECK_INT(b.len, 10000);
	TAP_CHECK_INT(b.data[9999], (uint8_t)9999);
	buf_printf(&b, "%d-%s", 42, "x");
	TAP_CHECK(memcmp(b.data + 10000, "42-x", 4) == 0);
	buf_consume(&b, 10000);
	TAP_CHECK_STR(buf_cstr(&b), "42-x");
	buf_free(&b);
	TAP_CHECK(b.data == NULL && b.len == 0);
}

static void
test_varints(void)
{
	struct buf	b = BUF_INIT;
	static const uint8_t want[] = { 0x00, 0x7f, 0x80, 0x01, 0xac, 0x02 };
	static const uint8_t zz[] = { 0x01, 0x02, 0x03 };

	buf_put_uvarint(&b, 0);
	buf_put_uvarint(&b, 127);
	buf_put_uvarint(&b, 128);
	buf_put_uvarint(&b, 300);
	TAP_CHECK_INT(b.len, sizeof want);
	TAP_CHECK(memcmp(b.data, want, sizeof want) == 0);
	buf_reset(&b);
	buf_put_zigzag(&b, -1);
	buf_put_zigzag(&b, 1);
	buf_put_zigzag(&b, -2);
	TAP_CHECK(b.len == 3 && memcmp(b.data, zz, 3) == 0);
	buf_reset(&b);
	buf_put_zigzag(&b, INT64_MIN);
	TAP_CHECK_INT(b.len, 10);
	TAP_CHECK_INT(b.data[9], 0x01);
	buf_free(&b);
}

static void
test_le_and_steal(void)
{
	struct buf	 b = BUF_INIT;
	uint8_t		*p;
	size_t		 len;

	buf_put_le32(&b, 0x04030201u);
	buf_put_le64(&b, 0x0c0b0a0908070605ull);
	for (len = 0; len < 12; len++)
		TAP_CHECK_INT(b.data[len], len + 1);
	p = buf_steal(&b, &len);
	TAP_CHECK_INT(len, 12);
	TAP_CHECK(b.data == NULL && b.len == 0);
	free(p);
}

static const struct tap_case cases[] = {
	{ "append and grow", test_append_and_grow },
	{ "uvarint and zigzag", test_varints },
	{ "little endian and steal", test_le_and_steal },
};

TAP_MAIN(cases)
