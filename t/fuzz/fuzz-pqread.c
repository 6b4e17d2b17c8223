/*
 * fuzz-pqread.c: libFuzzer harness for the audit's Parquet reader
 * (pq-read.c): any bytes either open and read or fail with a cause, and a
 * column read never yields more values than the footer's row count.
 */
#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "pq-read.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_column(struct pqr_file *f, const char *name)
{
	int64_t	*v = NULL;
	size_t	 n = 0;
	char	*cause = NULL;

	if (pqr_column_int64(f, name, &v, &n, &cause) == -1) {
		if (cause == NULL || v != NULL)
			fatalx("column read failed without a cause");
		free(cause);
		return;
	}
	if ((int64_t)n != pqr_rows(f))
		fatalx("%zu values for %lld rows", n, (long long)pqr_rows(f));
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct pqr_file	*f;
	char		*cause = NULL;

	if ((f = pqr_open(data, len, &cause)) == NULL) {
		if (cause == NULL)
			fatalx("open failed without a cause");
		free(cause);
		return (0);
	}
	fuzz_column(f, "kafka_partition");	/* the reader bounds rows */
	fuzz_column(f, "kafka_offset");
	pqr_close(f);
	return (0);
}
