/*
 * catalog-fs.c: the filesystem ("Hadoop") Iceberg catalog on FileIO:
 * <warehouse>/<namespace dirs>/<table>/metadata/vN.metadata.json, each
 * version created only if absent (the commit point), then
 * version-hint.text (digits only) for readers such as DuckDB.
 */
#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/event.h>

#include "catalog.h"
#include "daemon.h"
#include "fileio.h"
#include "ice-meta.h"
#include "json.h"
#include "log.h"
#include "xmalloc.h"

#define CATALOG_FS_MAX_METADATA	(256 * 1024 * 1024)

/*
 * A version-hint.text still to be written: readers such as DuckDB and
 * icebird trust it, so a failed write is retried in the background (with
 * backoff) until it names the newest version this process knows of.
 */
struct catalog_fs_hint {
	struct catalog_fs	*fs;
	char			*file;		/* the hint's URL */
	int64_t			 version;	/* to write */
	int64_t			 writing;	/* in flight, 0: none */
	int			 backoff_s;
	struct event		*timer;
	TAILQ_ENTRY(catalog_fs_hint) entry;
};
TAILQ_HEAD(catalog_fs_hints, catalog_fs_hint);

struct catalog_fs {
	struct catalog		 base;
	struct fileio		*fio;
	char			*warehouse;	/* no trailing slash */
	struct catalog_fs_hints	 hints;
};

struct catalog_fs_op {
	struct catalog_fs	*fs;
	struct catalog_table	*t;
	catalog_cb		 cb;
	void			*arg;
	int64_t			 found;		/* highest version seen */
	int64_t			 hinted;	/* version-hint.text's */
	int64_t			 probe;
	int			 listed;	/* metadata/ was listed */
	cJSON			*create;	/* open: metadata if missing */
	cJSON			*pending;	/* commit: the next version */
	char			*pending_file;
	struct ice_expire	 expire;	/* commit: what it frees */
};

static void	catalog_fs_probe(struct catalog_fs_op *);

const char *
catalog_status_name(enum catalog_status s)
{
	static const char *const names[] = { "ok", "not found", "conflict",
	    "unknown outcome", "error" };

	return (s <= CATALOG_ERROR ? names[s] : "?");
}

void
catalog_table_init(struct catalog_table *t, const char *namespace_,
    const char *name)
{
	memset(t, 0, sizeof *t);
	t->namespace_ = xstrdup(namespace_);
	t->name = xstrdup(name);
}

void
catalog_table_clear(struct catalog_table *t)
{
	free(t->namespace_);
	free(t->name);
	free(t->location);
	free(t->metadata_file);
	cJSON_Delete(t->meta);
	ice_expire_clear(&t->obsolete);
	memset(t, 0, sizeof *t);
}

static char *
catalog_fs_version_file(const struct catalog_table *t, int64_t v)
{
	return (xasprintf("%s/metadata/v%" PRId64 ".metadata.json",
	    t->location, v));
}

static char *
catalog_fs_hint_file(const struct catalog_table *t)
{
	return (xasprintf("%s/metadata/version-hint.text", t->location));
}

/* <warehouse>/<ns with dots as slashes>/<table> */
static void
catalog_fs_locate(struct catalog_fs *fs, struct catalog_table *t)
{
	char	*ns, *p;

	if (t->location != NULL)
		return;
	ns = xstrdup(t->namespace_);
	for (p = ns; *p != '\0'; p++)
		if (*p == '.')
			*p = '/';
	t->location = xasprintf("%s/%s/%s", fs->warehouse, ns, t->name);
	free(ns);
}

static struct catalog_fs_op *
catalog_fs_op_new(struct catalog *c, struct catalog_table *t, catalog_cb cb,
    void *arg)
{
	struct catalog_fs_op	*op = xcalloc(1, sizeof *op);

	op->fs = (struct catalog_fs *)c;
	op->t = t;
	op->cb = cb;
	op->arg = arg;
	catalog_fs_locate(op->fs, t);
	return (op);
}

static void
catalog_fs_finish(struct catalog_fs_op *op, enum catalog_status st,
    const char *cause)
{
	catalog_cb	 cb = op->cb;
	void		*arg = op->arg;

	cJSON_Delete(op->create);
	cJSON_Delete(op->pending);
	free(op->pending_file);
	ice_expire_clear(&op->expire);
	free(op);
	cb(st, cause, arg);
}

static void	catalog_fs_repair_write(struct catalog_fs_hint *);

static void
catalog_fs_repair_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	catalog_fs_repair_write(arg);
}

static void
catalog_fs_repair_cb(struct fileio_result *r, void *arg)
{
	struct catalog_fs_hint	*h = arg;
	struct timeval		 tv;

	if (r->status == FILEIO_OK && h->writing == h->version) {
		TAILQ_REMOVE(&h->fs->hints, h, entry);
		event_free(h->timer);
		free(h->file);
		free(h);
		return;
	}
	h->writing = 0;
	if (r->status == FILEIO_OK) {		/* a newer version came */
		catalog_fs_repair_write(h);
		return;
	}
	log_debug("catalog: %s: %s; retrying in %d s", h->file, r->error,
	    h->backoff_s);
	tv.tv_sec = h->backoff_s;
	tv.tv_usec = 0;
	evtimer_add(h->timer, &tv);
	h->backoff_s = h->backoff_s >= 30 ? 60 : h->backoff_s * 2;
}

static void
catalog_fs_repair_write(struct catalog_fs_hint *h)
{
	char	digits[24];

	if (h->writing != 0 || evtimer_pending(h->timer, NULL))
		return;
	h->writing = h->version;
	snprintf(digits, sizeof digits, "%" PRId64, h->version);
	fileio_put(h->fs->fio, h->file, digits, strlen(digits), 0,
	    catalog_fs_repair_cb, h);
}

/* Make sure the table's hint ends up naming version v (or newer). */
static void
catalog_fs_repair_hint(struct catalog_fs *fs, const struct catalog_table *t,
    int64_t v)
{
	struct catalog_fs_hint	*h;
	char			*file = catalog_fs_hint_file(t);

	TAILQ_FOREACH(h, &fs->hints, entry) {
		if (strcmp(h->file, file) == 0)
			break;
	}
	if (h == NULL) {
		h = xcalloc(1, sizeof *h);
		h->fs = fs;
		h->file = file;
		h->backoff_s = 1;
		h->timer = evtimer_new(fileio_base(fs->fio),
		    catalog_fs_repair_timer_cb, h);
		TAILQ_INSERT_TAIL(&fs->hints, h, entry);
	} else
		free(file);
	if (v > h->version)
		h->version = v;
	catalog_fs_repair_write(h);
}

/*
 * Point version-hint.text at the handle's version, then finish: the write
 * goes through the table's one background writer, so hints of one table
 * are written one at a time, never older over newer, and retried until
 * they land.
 */
static void
catalog_fs_write_hint(struct catalog_fs_op *op)
{
	catalog_fs_repair_hint(op->fs, op->t, op->t->version);
	catalog_fs_finish(op, CATALOG_OK, NULL);
}

/* Make meta (taken) version v of the table handle. */
static void
catalog_fs_install(struct catalog_table *t, cJSON *meta, int64_t v)
{
	cJSON_Delete(t->meta);
	t->meta = meta;
	t->version = v;
	free(t->metadata_file);
	t->metadata_file = catalog_fs_version_file(t, v);
}

static void
catalog_fs_read_cb(struct fileio_result *r, void *arg)
{
	struct catalog_fs_op	*op = arg;
	cJSON			*meta;
	char			*cause = NULL;

	if (r->status != FILEIO_OK) {
		catalog_fs_finish(op, CATALOG_ERROR, r->error);
		return;
	}
	meta = json_parse((const char *)r->data->data, r->data->len, &cause);
	if (meta == NULL || ice_meta_validate(meta, &cause) == -1) {
		char *msg = xasprintf("v%" PRId64 ".metadata.json: %s",
		    op->found, cause);

		cJSON_Delete(meta);
		catalog_fs_finish(op, CATALOG_ERROR, msg);
		free(msg);
		free(cause);
		return;
	}
	catalog_fs_install(op->t, meta, op->found);
	if (op->hinted != op->found)
		catalog_fs_repair_hint(op->fs, op->t, op->found);
	catalog_fs_finish(op, CATALOG_OK, NULL);
}

static void	catalog_fs_create(struct catalog_fs_op *);

/* N of a file named vN.metadata.json, else 0. */
static int64_t
catalog_fs_version_of(const char *url)
{
	const char	*base = strrchr(url, '/');
	char		*end;
	long long	 v;

	base = base != NULL ? base + 1 : url;
	if (base[0] != 'v' || base[1] < '0' || base[1] > '9')
		return (0);
	v = strtoll(base + 1, &end, 10);
	if (v <= 0 || strcmp(end, ".metadata.json") != 0)
		return (0);
	return (v);
}

static void
catalog_fs_list_cb(struct fileio_result *r, void *arg)
{
	struct catalog_fs_op	*op = arg;
	int64_t			 v, max = 0;
	size_t			 i;

	if (r->status != FILEIO_OK && r->status != FILEIO_NOT_FOUND) {
		catalog_fs_finish(op, CATALOG_ERROR, r->error);
		return;
	}
	for (i = 0; r->status == FILEIO_OK && i < r->nentries; i++) {
		if ((v = catalog_fs_version_of(r->entries[i].url)) > max)
			max = v;
	}
	op->listed = 1;
	if (max == 0) {
		if (op->create != NULL)
			catalog_fs_create(op);
		else
			catalog_fs_finish(op, CATALOG_NOT_FOUND, "no such table");
		return;
	}
	op->probe = max;
	catalog_fs_probe(op);
}

/*
 * The version the hint names (or v1 without a hint) is gone: old versions
 * are deleted after commit (write.metadata.delete-after-commit.enabled),
 * so the newest is found by listing, never assumed absent.
 */
static void
catalog_fs_list(struct catalog_fs_op *op)
{
	char	*prefix = xasprintf("%s/metadata/v", op->t->location);

	fileio_list(op->fs->fio, prefix, catalog_fs_list_cb, op);
	free(prefix);
}

static void
catalog_fs_probe_cb(struct fileio_result *r, void *arg)
{
	struct catalog_fs_op	*op = arg;
	char			*file;

	if (r->status == FILEIO_OK) {
		op->found = op->probe++;
		catalog_fs_probe(op);
		return;
	}
	if (r->status != FILEIO_NOT_FOUND) {
		catalog_fs_finish(op, CATALOG_ERROR, r->error);
		return;
	}
	if (op->found == 0) {
		if (!op->listed)
			catalog_fs_list(op);
		else if (op->create != NULL)
			catalog_fs_create(op);
		else
			catalog_fs_finish(op, CATALOG_NOT_FOUND, "no such table");
		return;
	}
	file = catalog_fs_version_file(op->t, op->found);
	fileio_read(op->fs->fio, file, CATALOG_FS_MAX_METADATA,
	    catalog_fs_read_cb, op);
	free(file);
}

/* Walk forward from the hint while v(N+1) exists. */
static void
catalog_fs_probe(struct catalog_fs_op *op)
{
	char	*file = catalog_fs_version_file(op->t, op->probe);

	fileio_stat(op->fs->fio, file, catalog_fs_probe_cb, op);
	free(file);
}

static void
catalog_fs_hint_cb(struct fileio_result *r, void *arg)
{
	struct catalog_fs_op	*op = arg;
	char			*end;
	long long		 v = 0;

	if (r->status == FILEIO_OK) {
		v = strtoll(buf_cstr(r->data), &end, 10);
		if (end == (char *)r->data->data || v < 0)
			v = 0;
	} else if (r->status != FILEIO_NOT_FOUND) {
		catalog_fs_finish(op, CATALOG_ERROR, r->error);
		return;
	}
	op->found = 0;
	op->hinted = v;
	op->probe = v > 0 ? v : 1;
	catalog_fs_probe(op);
}

static void
catalog_fs_start_load(struct catalog_fs_op *op)
{
	char	*hint = catalog_fs_hint_file(op->t);

	fileio_read(op->fs->fio, hint, 64, catalog_fs_hint_cb, op);
	free(hint);
}

static void
catalog_fs_load(struct catalog *c, struct catalog_table *t, catalog_cb cb,
    void *arg)
{
	catalog_fs_start_load(catalog_fs_op_new(c, t, cb, arg));
}

static void
catalog_fs_create_cb(struct fileio_result *r, void *arg)
{
	struct catalog_fs_op	*op = arg;

	if (r->status == FILEIO_EXISTS) {	/* lost a race: load theirs */
		catalog_fs_start_load(op);
		return;
	}
	if (r->status != FILEIO_OK) {
		catalog_fs_finish(op, CATALOG_ERROR, r->error);
		return;
	}
	catalog_fs_install(op->t, op->create, 1);
	op->create = NULL;
	catalog_fs_write_hint(op);
}

static void
catalog_fs_create(struct catalog_fs_op *op)
{
	char	*text = json_print(op->create);
	char	*file = catalog_fs_version_file(op->t, 1);

	fileio_put(op->fs->fio, file, text, strlen(text), FILEIO_CREATE_ONLY,
	    catalog_fs_create_cb, op);
	free(file);
	free(text);
}

static void
catalog_fs_open(struct catalog *c, struct catalog_table *t,
    const cJSON *schema, const cJSON *spec, const cJSON *props,
    catalog_cb cb, void *arg)
{
	struct catalog_fs_op	*op = catalog_fs_op_new(c, t, cb, arg);

	op->create = ice_meta_new(t->location, schema, spec, props,
	    daemon_now_ms());
	catalog_fs_start_load(op);
}

static void
catalog_fs_commit_cb(struct fileio_result *r, void *arg)
{
	struct catalog_fs_op	*op = arg;

	if (r->status == FILEIO_EXISTS) {
		catalog_fs_finish(op, CATALOG_CONFLICT,
		    "another writer committed this version first");
		return;
	}
	if (r->status != FILEIO_OK) {
		catalog_fs_finish(op, CATALOG_UNKNOWN, r->error);
		return;
	}
	catalog_fs_install(op->t, op->pending, op->t->version + 1);
	op->pending = NULL;
	ice_expire_move(&op->t->obsolete, &op->expire);
	catalog_fs_write_hint(op);
}

static void
catalog_fs_commit(struct catalog *c, struct catalog_table *t,
    const cJSON *snapshot, catalog_cb cb, void *arg)
{
	struct catalog_fs_op	*op = catalog_fs_op_new(c, t, cb, arg);
	int64_t			 parent = -1, head = -1, now;
	char			*text;

	(void)json_get_int64(cJSON_GetObjectItem(snapshot,
	    "parent-snapshot-id"), &parent);
	(void)ice_meta_main(t->meta, &head);
	if (parent != head) {
		catalog_fs_finish(op, CATALOG_CONFLICT,
		    "main moved since the snapshot was built");
		return;
	}
	now = daemon_now_ms();
	op->pending = cJSON_Duplicate(t->meta, 1);
	ice_meta_add_snapshot(op->pending, cJSON_Duplicate(snapshot, 1),
	    t->metadata_file, now);
	if (ice_expire_due(t->meta, now, &t->expire_due_ms) &&
	    ice_expire_plan(op->pending, snapshot, now, &op->expire) > 0)
		ice_expire_apply(op->pending, &op->expire);
	ice_expire_trim_log(op->pending, &op->expire);
	op->pending_file = catalog_fs_version_file(t, t->version + 1);
	text = json_print(op->pending);
	fileio_put(op->fs->fio, op->pending_file, text, strlen(text),
	    FILEIO_CREATE_ONLY, catalog_fs_commit_cb, op);
	free(text);
}

static void
catalog_fs_free(struct catalog *c)
{
	struct catalog_fs	*fs = (struct catalog_fs *)c;
	struct catalog_fs_hint	*h;

	/* hints not yet written are given up: the next load repairs them */
	while ((h = TAILQ_FIRST(&fs->hints)) != NULL) {
		TAILQ_REMOVE(&fs->hints, h, entry);
		event_free(h->timer);
		free(h->file);
		free(h);
	}
	free(fs->warehouse);
	free(fs);
}

/* Hint writes in flight (not those waiting out a backoff). */
static int
catalog_fs_busy(struct catalog *c)
{
	struct catalog_fs	*fs = (struct catalog_fs *)c;
	struct catalog_fs_hint	*h;
	int			 n = 0;

	TAILQ_FOREACH(h, &fs->hints, entry)
		n += h->writing != 0;
	return (n);
}

static const struct catalog_ops catalog_fs_ops = {
	"filesystem",
	catalog_fs_open,
	catalog_fs_load,
	catalog_fs_commit,
	catalog_fs_free,
	catalog_fs_busy
};

struct catalog *
catalog_fs_new(struct fileio *fio, const char *warehouse)
{
	struct catalog_fs	*fs = xcalloc(1, sizeof *fs);
	size_t			 n;

	char			 cwd[4096];

	fs->base.ops = &catalog_fs_ops;
	fs->fio = fio;
	TAILQ_INIT(&fs->hints);
	/*
	 * Metadata holds fully qualified URIs (readers such as icebird fetch
	 * them): a local warehouse becomes file:///absolute/path.
	 */
	if (fileio_is_s3(warehouse) || strncmp(warehouse, "file:", 5) == 0)
		fs->warehouse = xstrdup(warehouse);
	else if (warehouse[0] == '/')
		fs->warehouse = xasprintf("file://%s", warehouse);
	else if (getcwd(cwd, sizeof cwd) != NULL)
		fs->warehouse = xasprintf("file://%s/%s", cwd, warehouse);
	else
		fatal("getcwd");
	n = strlen(fs->warehouse);
	while (n > 1 && fs->warehouse[n - 1] == '/')
		fs->warehouse[--n] = '\0';
	return (&fs->base);
}
