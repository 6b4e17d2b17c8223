/*
 * catalog-rest.h: Iceberg REST catalog client, asynchronous on the daemon's
 * libevent loop (through http.h).  It bootstraps from GET /v1/config,
 * authenticates with a static bearer token or OAuth2 client credentials,
 * ensures namespaces, creates and loads tables, and commits appends with
 * the outcome classified for exactly-once delivery:
 *
 *   COMMITTED  the snapshot is in the table and in main's ancestry
 *   CONFLICT   a requirement failed (409) and the snapshot is not in the
 *              table; the result carries the reloaded table so the caller
 *              can rebuild on the new head and try again
 *   UNKNOWN    no decisive answer (5xx, timeout, dropped connection) and
 *              the reload did not show the snapshot either; the caller may
 *              retry with the same snapshot id (never a new one)
 *   ERROR      the catalog refused the request (400, 403, 404, ...)
 *
 * A commit is never re-sent blindly: the HTTP layer retries it only with
 * the same Idempotency-Key, and only if the catalog advertised support.
 * All JSON goes through json.h, so 64-bit ids stay exact.  Secrets (the
 * credential, tokens, storage keys) are never logged or put in a cause.
 *
 * Every callback runs exactly once, from the loop.  Causes passed to
 * callbacks are valid only during the callback.
 */
#ifndef BRONZE_CATALOG_REST_H
#define BRONZE_CATALOG_REST_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ice-expire.h"

struct catalog;
struct http;
struct catalog_rest;

struct catalog_rest_options {
	const char	*uri;		/* e.g. http://iceberg-rest:8181 */
	const char	*warehouse;	/* NULL: not sent */
	const char	*credential;	/* "client_id:client_secret" or NULL */
	const char	*token;		/* static bearer token or NULL */
	uint64_t	 timeout_ms;	/* per request attempt (30 s) */
	int		 no_idempotency; /* never send Idempotency-Key */
};

/* A LoadTableResult (or CommitTableResponse); owned by whoever gets it. */
struct catalog_rest_table {
	char		*metadata_location;
	cJSON		*metadata;	/* json_parse tree, ids exact */
	cJSON		*config;	/* catalog config, then the table's
					   config and storage credentials:
					   s3.endpoint, s3.access-key-id, ... */
};

enum catalog_rest_outcome {
	CATALOG_REST_COMMITTED,
	CATALOG_REST_CONFLICT,
	CATALOG_REST_UNKNOWN,
	CATALOG_REST_ERROR
};

/* Done: cause NULL on success. */
typedef void	(*catalog_rest_done_cb)(const char *cause, void *);
/* Table: t (the callee's to keep and free) or NULL with a cause. */
typedef void	(*catalog_rest_table_cb)(struct catalog_rest_table *t,
		    const char *cause, void *);
/*
 * Commit: outcome; t is the new metadata (COMMITTED), the reloaded table
 * (CONFLICT, UNKNOWN when the reload worked) or NULL; the callee keeps and
 * frees t.  cause is set for CONFLICT, UNKNOWN and ERROR.
 */
typedef void	(*catalog_rest_commit_cb)(enum catalog_rest_outcome,
		    struct catalog_rest_table *t, const char *cause, void *);

/* A client on h (not owned); the options' strings are copied. */
struct catalog_rest *catalog_rest_new(struct http *h,
		    const struct catalog_rest_options *);
/* Release; no callback may still be pending. */
void		 catalog_rest_free(struct catalog_rest *);
/* Requests in flight (auth and reloads included). */
int		 catalog_rest_pending(struct catalog_rest *);

/* Bootstrap: GET /v1/config (and a token first with OAuth2). */
void		 catalog_rest_open(struct catalog_rest *,
		    catalog_rest_done_cb, void *);
/* Merged catalog config value (defaults, then overrides) or NULL. */
const char	*catalog_rest_config(struct catalog_rest *, const char *key);
/* Did the catalog advertise Idempotency-Key support? */
int		 catalog_rest_idempotent(struct catalog_rest *);

/* Make sure namespace ns ("a" or "a.b" for two levels) exists. */
void		 catalog_rest_ensure_namespace(struct catalog_rest *,
		    const char *ns, catalog_rest_done_cb, void *);
/*
 * Create table ns.name unless it exists (then load it).  schema and spec
 * (NULL: unpartitioned) and properties (string values, or NULL) are
 * copied; format-version is always 2.  Field ids must be taken from the returned metadata.
 */
void		 catalog_rest_create_table(struct catalog_rest *,
		    const char *ns, const char *name, const cJSON *schema,
		    const cJSON *spec, const cJSON *properties,
		    catalog_rest_table_cb, void *);
/* GET the table with all snapshots. */
void		 catalog_rest_load_table(struct catalog_rest *,
		    const char *ns, const char *name, catalog_rest_table_cb,
		    void *);
/*
 * Commit an append: add snapshot (copied; its snapshot-id decides) and
 * move main to it, asserting the table uuid and that main is at parent
 * (has_parent 0: main must not exist yet); expire (or NULL) names
 * snapshots removed in the same commit.
 */
void		 catalog_rest_commit_append(struct catalog_rest *,
		    const char *ns, const char *name, const char *table_uuid,
		    int has_parent, int64_t parent, const cJSON *snapshot,
		    const struct ice_expire *expire, catalog_rest_commit_cb,
		    void *);

/*
 * The client behind the table writer's catalog interface (catalog.h).  It
 * takes rc, which must be open (catalog_rest_open done); the catalog's
 * free releases it.
 */
struct catalog	*catalog_rest_catalog(struct catalog_rest *rc);

/* Table helpers. */
void		 catalog_rest_table_free(struct catalog_rest_table *);
/* Config value of the table (storage properties) or NULL. */
const char	*catalog_rest_table_config(const struct catalog_rest_table *,
		    const char *key);
/* The table's uuid or NULL. */
const char	*catalog_rest_table_uuid(const struct catalog_rest_table *);
/* main's snapshot id: 0 and *id, or -1 if there is no main. */
int		 catalog_rest_table_main(const struct catalog_rest_table *,
		    int64_t *id);
/* Is snapshot id in the table and in main's ancestry? */
int		 catalog_rest_table_has_snapshot(
		    const struct catalog_rest_table *, int64_t id);
/* Length of main's ancestry (0 with no main). */
int		 catalog_rest_table_ancestry(const struct catalog_rest_table *);

#endif
