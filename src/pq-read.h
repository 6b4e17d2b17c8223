/*
 * pq-read.h: a small Parquet reader for the audit (bronzectl verify): the
 * footer, and the values of required top-level INT32/INT64 columns, from
 * a whole file in memory.  It reads what Parquet writers commonly produce
 * for such columns: data pages v1 and v2, PLAIN and dictionary encodings,
 * uncompressed, zstd or snappy (when built with it).  Anything else is an
 * error naming what is unsupported, never a guess.
 */
#ifndef BRONZE_PQ_READ_H
#define BRONZE_PQ_READ_H

#include <stddef.h>
#include <stdint.h>

struct pqr_file;

/* Parse the footer of data (borrowed: it must outlive the handle). */
struct pqr_file	*pqr_open(const uint8_t *data, size_t len, char **cause);
void		 pqr_close(struct pqr_file *);
/* Rows in the file, as the footer says. */
int64_t		 pqr_rows(const struct pqr_file *);
/*
 * The values of the top-level column name, every row group in order, as
 * int64 (INT32 widened): *out (heap, caller frees) of *n values.  -1 and
 * *cause if there is no such column, it cannot be read, or the file has
 * more than 16M rows (a bound on what a damaged footer can make it take).
 */
int		 pqr_column_int64(struct pqr_file *, const char *name,
		    int64_t **out, size_t *n, char **cause);

#endif
