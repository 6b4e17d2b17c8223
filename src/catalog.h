/*
 * catalog.h: the Iceberg catalog interface the table writer uses, with a
 * filesystem implementation (catalog-fs.c) and a REST one to come.
 *
 * A struct catalog_table is the caller's handle on one table: the catalog
 * fills meta (the current metadata, owned by the handle) on load and on a
 * successful commit.  All operations are asynchronous on the event loop:
 * the callback runs later, never from inside the call.
 */
#ifndef BRONZE_CATALOG_H
#define BRONZE_CATALOG_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "ice-expire.h"

struct catalog;
struct fileio;

enum catalog_status {
	CATALOG_OK = 0,
	CATALOG_NOT_FOUND,	/* load: no such table */
	CATALOG_CONFLICT,	/* commit: the table moved; reload, retry */
	CATALOG_UNKNOWN,	/* commit: outcome unknown; reload, decide */
	CATALOG_ERROR
};

struct catalog_table {
	char		*namespace_;	/* "a.b" */
	char		*name;
	char		*location;	/* table base URI */
	char		*metadata_file;	/* current metadata file URI */
	int64_t		 version;	/* filesystem catalog: N of vN */
	cJSON		*meta;
	int64_t		 expire_due_ms;	/* see ice_expire_due */
	/* Files the last successful commit left unreferenced (expired
	 * snapshots' manifest lists, metadata files the log dropped): the
	 * committer deletes them and clears this. */
	struct ice_expire obsolete;
};

typedef void (*catalog_cb)(enum catalog_status, const char *cause, void *);

struct catalog_ops {
	const char *name;
	/* Load the table, or create it (with its namespace) if missing. */
	void	(*open)(struct catalog *, struct catalog_table *,
		    const cJSON *schema, const cJSON *spec,
		    const cJSON *properties, catalog_cb, void *);
	void	(*load)(struct catalog *, struct catalog_table *, catalog_cb,
		    void *);
	/* Append snapshot (copied) as main's new head, asserting that main
	 * is still the parent the snapshot names; with it, expire snapshots
	 * and trim the metadata log as the table's properties ask
	 * (ice-expire.h), leaving the files that frees in t->obsolete. */
	void	(*commit)(struct catalog *, struct catalog_table *,
		    const cJSON *snapshot, catalog_cb, void *);
	void	(*free)(struct catalog *);
	/* Background writes in flight (NULL: never any); wait before free. */
	int	(*busy)(struct catalog *);
};

struct catalog {
	const struct catalog_ops *ops;
};

/* A filesystem catalog rooted at warehouse (local path or s3:// URL). */
struct catalog	*catalog_fs_new(struct fileio *, const char *warehouse);

void	catalog_table_init(struct catalog_table *, const char *namespace_,
	    const char *name);
void	catalog_table_clear(struct catalog_table *);
const char *catalog_status_name(enum catalog_status);

#endif
