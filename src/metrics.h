/*
 * metrics.h: the daemon's metrics in the Prometheus text exposition
 * format (0.0.4), with Flink's names where Flink has the metric (labels
 * job_id and job_name) and bronzed_* series for the rest; and the job
 * metrics of Flink's REST API (/jobs/:id/metrics, /jobs/metrics).
 *
 * metrics_new() starts a 100 ms timer on the loop that samples each job's
 * record count (for the per-second rate over the last minute) and how late
 * the timer itself fires (the loop lag).  The daemon is borrowed.
 */
#ifndef BRONZE_METRICS_H
#define BRONZE_METRICS_H

#include <stddef.h>

#include <cJSON.h>

struct daemon;
struct job;
struct metrics;

struct metrics	*metrics_new(struct daemon *);
void		 metrics_free(struct metrics *);
/* The whole exposition (heap text). */
char		*metrics_render(struct metrics *);
/* Flink job metric names, and a job's value of one (NULL if unknown). */
extern const char *const metrics_job_names[];
char		*metrics_job_value(struct metrics *, const struct job *,
		    const char *name);

#endif
