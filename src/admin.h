/*
 * admin.h: the admin HTTP API, a subset of Apache Flink's REST API v1
 * (../shared/reference/flink-rest.md), served by libmicrohttpd driven from
 * the daemon's libevent loop (no MHD thread).
 *
 * admin_new() binds cfg->admin_bind:cfg->admin_port (port 0 picks a free
 * port, see admin_bound_port) or returns NULL with *cause.  The daemon
 * context is borrowed and must outlive the admin server.
 */
#ifndef BRONZE_ADMIN_H
#define BRONZE_ADMIN_H

struct daemon;
struct admin;

/* Largest request body accepted; larger ones get 413. */
#define ADMIN_MAX_BODY	(64 * 1024)

struct admin	*admin_new(struct daemon *, char **cause);
/*
 * The metrics listener: cfg->admin_bind:cfg->metrics_port, serving only
 * GET /metrics and GET /healthz, without the bearer token (for scrapers).
 */
struct admin	*admin_new_metrics(struct daemon *, char **cause);
int		 admin_bound_port(const struct admin *);
void		 admin_free(struct admin *);

#endif
