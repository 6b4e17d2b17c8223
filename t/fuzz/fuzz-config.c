/*
 * fuzz-config.c: libFuzzer harness for the config parser.  Not built by
 * make; build and run it by hand (seed corpus: etc/ and t/conf/bad/):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *	-Isrc -o fuzz-config t/fuzz/fuzz-config.c src/config.c \
 *	src/config-kafka.c src/suggest.c src/buf.c src/xmalloc.c src/log.c \
 *	$(pkg-config --cflags --libs rdkafka)
 *   mkdir -p corpus && cp etc/bronzed*.conf t/conf/bad/[a-z]*.conf corpus
 *   ./fuzz-config -max_len=4096 -max_total_time=60 corpus
 *
 * Every input must parse or fail with a "fuzz.conf:" cause, and a parsed
 * config must survive config_visit and config_free.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_visit_cb(const char *key, const char *value, int is_secret, void *arg)
{
	size_t	*n = arg;

	*n += strlen(key) + strlen(value) + (size_t)is_secret;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*cfg;
	char		*text, *cause = NULL;
	size_t		 n = 0;

	if (size > 16384)
		return (0);
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	cfg = config_parse("fuzz.conf", text, &cause);
	if (cfg == NULL && (cause == NULL ||
	    strncmp(cause, "fuzz.conf:", 10) != 0))
		abort();
	if (cfg != NULL)
		config_visit(cfg, fuzz_visit_cb, &n);
	config_free(cfg);
	free(cause);
	free(text);
	return (0);
}
