/*
 * admin-cluster.h: admin API handlers for the cluster-wide endpoints:
 * Flink's /overview, /config and /taskmanagers, and the probes /healthz
 * (process up) and /readyz (every job RUNNING).  Each fills the response
 * as admin-route.h describes.
 */
#ifndef BRONZE_ADMIN_CLUSTER_H
#define BRONZE_ADMIN_CLUSTER_H

struct admin_req;
struct admin_resp;

/* The Flink release whose REST API the admin API follows. */
#define ADMIN_FLINK_VERSION	"1.19.1"

void	admin_cluster_overview(struct admin_req *, struct admin_resp *);
void	admin_cluster_config(struct admin_req *, struct admin_resp *);
void	admin_cluster_taskmanagers(struct admin_req *, struct admin_resp *);
void	admin_cluster_healthz(struct admin_req *, struct admin_resp *);
void	admin_cluster_readyz(struct admin_req *, struct admin_resp *);

#endif
