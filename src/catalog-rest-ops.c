/*
 * catalog-rest-ops.c: the REST catalog client behind the catalog interface
 * the table writer uses (struct catalog_ops), so a job appends through an
 * Iceberg REST catalog exactly as through the filesystem catalog.
 *
 * Outcomes map one to one: a 409 is CATALOG_CONFLICT (the table handle
 * already holds the reloaded metadata), an undecided commit is
 * CATALOG_UNKNOWN, and the append machine reloads and decides from the
 * snapshot history.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "catalog-rest.h"
#include "daemon.h"
#include "ice-meta.h"
#include "json.h"
#include "xmalloc.h"

struct catalog_rest_ops {
	struct catalog		 base;
	struct catalog_rest	*rc;		/* owned */
};

/* One operation in flight on one table handle. */
struct catalog_rest_op {
	struct catalog_rest_ops	*c;
	struct catalog_table	*t;
	catalog_cb		 cb;
	void			*arg;
	cJSON			*schema;	/* open: until created */
	cJSON			*spec;
	cJSON			*props;
	struct ice_expire	 expire;	/* commit: what it frees */
};

static struct catalog_rest_op *
catalog_rest_op_new(struct catalog *c, struct catalog_table *t, catalog_cb cb,
    void *arg)
{
	struct catalog_rest_op	*op = xcalloc(1, sizeof *op);

	op->c = (struct catalog_rest_ops *)c;
	op->t = t;
	op->cb = cb;
	op->arg = arg;
	return (op);
}

static void
catalog_rest_op_finish(struct catalog_rest_op *op, enum catalog_status st,
    const char *cause)
{
	catalog_cb	 cb = op->cb;
	void		*arg = op->arg;

	cJSON_Delete(op->schema);
	cJSON_Delete(op->spec);
	cJSON_Delete(op->props);
	ice_expire_clear(&op->expire);
	free(op);
	cb(st, cause, arg);
}

/*
 * Take a loaded table's metadata into the handle; rt is consumed.  -1 and
 * *cause (heap) if it has no location or is not metadata bronzed can use.
 */
static int
catalog_rest_install(struct catalog_table *t, struct catalog_rest_table *rt,
    char **cause)
{
	const char	*location;
	char		*why = NULL;

	location = json_object_string(rt->metadata, "location");
	if (location == NULL || rt->metadata_location == NULL)
		why = xstrdup("no location");
	else
		(void)ice_meta_validate(rt->metadata, &why);
	if (why != NULL) {
		*cause = xasprintf("the catalog's answer for table %s.%s: %s",
		    t->namespace_, t->name, why);
		free(why);
		catalog_rest_table_free(rt);
		return (-1);
	}
	free(t->location);
	t->location = xstrdup(location);
	while (t->location[0] != '\0' &&
	    t->location[strlen(t->location) - 1] == '/')
		t->location[strlen(t->location) - 1] = '\0';
	free(t->metadata_file);
	t->metadata_file = rt->metadata_location;
	rt->metadata_location = NULL;
	cJSON_Delete(t->meta);
	t->meta = rt->metadata;
	rt->metadata = NULL;
	catalog_rest_table_free(rt);
	return (0);
}

static void
catalog_rest_ops_table_cb(struct catalog_rest_table *rt, const char *cause,
    void *arg)
{
	struct catalog_rest_op	*op = arg;
	char			*why = NULL;

	if (rt == NULL) {
		catalog_rest_op_finish(op, CATALOG_ERROR, cause);
		return;
	}
	if (catalog_rest_install(op->t, rt, &why) == -1) {
		catalog_rest_op_finish(op, CATALOG_ERROR, why);
		free(why);
		return;
	}
	catalog_rest_op_finish(op, CATALOG_OK, NULL);
}

static void
catalog_rest_ops_namespace_cb(const char *cause, void *arg)
{
	struct catalog_rest_op	*op = arg;

	if (cause != NULL) {
		catalog_rest_op_finish(op, CATALOG_ERROR, cause);
		return;
	}
	catalog_rest_create_table(op->c->rc, op->t->namespace_, op->t->name,
	    op->schema, op->spec, op->props, catalog_rest_ops_table_cb, op);
}

static void
catalog_rest_ops_open(struct catalog *c, struct catalog_table *t,
    const cJSON *schema, const cJSON *spec, const cJSON *properties,
    catalog_cb cb, void *arg)
{
	struct catalog_rest_op	*op = catalog_rest_op_new(c, t, cb, arg);

	op->schema = cJSON_Duplicate(schema, 1);
	op->spec = spec != NULL ? cJSON_Duplicate(spec, 1) : NULL;
	op->props = properties != NULL ? cJSON_Duplicate(properties, 1) :
	    NULL;
	catalog_rest_ensure_namespace(op->c->rc, t->namespace_,
	    catalog_rest_ops_namespace_cb, op);
}

static void
catalog_rest_ops_load(struct catalog *c, struct catalog_table *t,
    catalog_cb cb, void *arg)
{
	struct catalog_rest_op	*op = catalog_rest_op_new(c, t, cb, arg);

	catalog_rest_load_table(op->c->rc, t->namespace_, t->name,
	    catalog_rest_ops_table_cb, op);
}

static void
catalog_rest_ops_commit_cb(enum catalog_rest_outcome outcome,
    struct catalog_rest_table *rt, const char *cause, void *arg)
{
	struct catalog_rest_op	*op = arg;
	char			*why = NULL;
	enum catalog_status	 st;

	switch (outcome) {
	case CATALOG_REST_COMMITTED:
		st = CATALOG_OK;
		break;
	case CATALOG_REST_CONFLICT:
		st = CATALOG_CONFLICT;
		break;
	case CATALOG_REST_UNKNOWN:
		st = CATALOG_UNKNOWN;
		break;
	default:
		st = CATALOG_ERROR;
		break;
	}
	if (rt != NULL && catalog_rest_install(op->t, rt, &why) == -1 &&
	    st == CATALOG_OK) {
		st = CATALOG_UNKNOWN;	/* committed, but unreadable: reload */
		cause = why;
	}
	if (st == CATALOG_OK)
		ice_expire_move(&op->t->obsolete, &op->expire);
	catalog_rest_op_finish(op, st, cause);
	free(why);
}

static void
catalog_rest_ops_commit(struct catalog *c, struct catalog_table *t,
    const cJSON *snapshot, catalog_cb cb, void *arg)
{
	struct catalog_rest_op	*op = catalog_rest_op_new(c, t, cb, arg);
	const char		*uuid = json_object_string(t->meta, "table-uuid");
	int64_t			 parent = 0, now;
	int			 has_parent;

	has_parent = json_get_int64(cJSON_GetObjectItemCaseSensitive(snapshot,
	    "parent-snapshot-id"), &parent) == 0;
	now = daemon_now_ms();
	if (ice_expire_due(t->meta, now, &t->expire_due_ms))
		(void)ice_expire_plan(t->meta, snapshot, now, &op->expire);
	catalog_rest_commit_append(op->c->rc, t->namespace_, t->name, uuid,
	    has_parent, parent, snapshot, &op->expire,
	    catalog_rest_ops_commit_cb, op);
}

static void
catalog_rest_ops_free(struct catalog *c)
{
	struct catalog_rest_ops	*rc = (struct catalog_rest_ops *)c;

	catalog_rest_free(rc->rc);
	free(rc);
}

static const struct catalog_ops catalog_rest_ops = {
	"rest",
	catalog_rest_ops_open,
	catalog_rest_ops_load,
	catalog_rest_ops_commit,
	catalog_rest_ops_free,
	NULL
};

struct catalog *
catalog_rest_catalog(struct catalog_rest *rc)
{
	struct catalog_rest_ops	*c = xcalloc(1, sizeof *c);

	c->base.ops = &catalog_rest_ops;
	c->rc = rc;
	return (&c->base);
}
