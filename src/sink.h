/*
 * sink.h: the open data files of one job: one Parquet writer per Iceberg
 * partition value, each streaming into a FileIO writer under
 * <table location>/data/<partition path>/.  Files roll at the target
 * size; sink_seal() closes every open file at a checkpoint and hands over
 * the descriptors of all files finished since the last seal.
 *
 * Backpressure: sink_write() returns 1 when storage asks to wait; the
 * drain callback fires when it may go on.  The sink is owned by its job.
 */
#ifndef BRONZE_SINK_H
#define BRONZE_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ice-manifest.h"
#include "ice-schema.h"
#include "kafka.h"

struct fileio;
struct sink;

typedef void (*sink_drain_fn)(void *arg);
/* Seal done: files (ownership passes to the callee) or an error. */
typedef void (*sink_sealed_fn)(struct ice_data_file *files, size_t n,
    const char *cause, void *arg);

struct sink	*sink_new(struct fileio *, const char *location,
		    const struct config_job *, const struct ice_bronze_ids *,
		    sink_drain_fn, void *arg);
/* Add one record; 0 ok, 1 ok but wait for the drain, -1 and *cause. */
int		 sink_write(struct sink *, const struct kafka_record *,
		    int64_t ingestion_us, char **cause);
/* Records written since the last seal. */
uint64_t	 sink_pending_rows(const struct sink *);
/* Bytes held in memory by open writers. */
size_t		 sink_buffered_bytes(const struct sink *);
/* Close every open file; cb gets every file finished since the last seal. */
void		 sink_seal(struct sink *, sink_sealed_fn, void *);
/* Drop open files (their records will be consumed again); then free. */
void		 sink_free(struct sink *);

#endif
