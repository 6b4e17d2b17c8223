/*
 * admin-metrics.h: metrics on the admin API: GET /metrics (Prometheus
 * text), and Flink's GET /jobs/:jobid/metrics and GET /jobs/metrics (bare
 * JSON arrays; single-job values as strings, aggregates as numbers).
 */
#ifndef BRONZE_ADMIN_METRICS_H
#define BRONZE_ADMIN_METRICS_H

#include <stddef.h>

#include "admin-route.h"

void	admin_metrics_prometheus(struct admin_req *, struct admin_resp *);
void	admin_metrics_job(struct admin_req *, struct admin_resp *);
void	admin_metrics_jobs(struct admin_req *, struct admin_resp *);

/* The routes of the metrics.port listener: /metrics and /healthz. */
extern const struct admin_route	admin_metrics_routes[];
extern const size_t		admin_metrics_nroutes;

#endif
