/*
 * fileio.c: FileIO front end: picks the backend from the URL, owns the
 * shared writer head and the "complete later, from the loop" helper.
 */
#include <sys/queue.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "buf.h"
#include "fileio.h"
#include "log.h"
#include "worker.h"
#include "xmalloc.h"

#define FILEIO_MAGIC		0x46494f43u	/* "FIOC" */
#define FILEIO_WRITER_MAGIC	0x46494f57u	/* "FIOW" */
#define FILEIO_DONE_MAGIC	0x4649444eu	/* "FIDN" */

#define FILEIO_MIN_PART		(5 * 1024 * 1024)

struct fileio {
	uint32_t		 magic;
	struct event_base	*base;
	struct s3		*s3;
	struct fileio_options	 opt;
	TAILQ_HEAD(, fileio_done) pending;	/* deferred completions */
	size_t			 npending;
	struct fileio_writer	**live;		/* open writers, any order */
	size_t			 nlive;
	struct worker		*worker;	/* local disk work, or NULL */
	int			 closing;	/* in fileio_free */
};

/* A result waiting to be delivered from the loop. */
struct fileio_done {
	uint32_t		 magic;
	struct fileio		*fio;
	struct event		*ev;
	TAILQ_ENTRY(fileio_done) entry;
	struct fileio_result	 res;
	char			*error;
	struct buf		 data;
	fileio_cb		 cb;
	void			*arg;
};

struct fileio *
fileio_new(struct event_base *base, struct s3 *s3,
    const struct fileio_options *opt)
{
	struct fileio	*fio;

	fio = xcalloc(1, sizeof(*fio));
	fio->magic = FILEIO_MAGIC;
	TAILQ_INIT(&fio->pending);
	fio->base = base;
	fio->s3 = s3;
	if (opt != NULL)
		fio->opt = *opt;
	if (fio->opt.part_size == 0)
		fio->opt.part_size = 8 * 1024 * 1024;
	if (fio->opt.part_size < FILEIO_MIN_PART)
		fio->opt.part_size = FILEIO_MIN_PART;
	if (fio->opt.max_parts < 1)
		fio->opt.max_parts = 2;
	return (fio);
}

static void	fileio_done_free(struct fileio_done *);

/*
 * Results not delivered yet (the loop was left early: a second signal, or
 * the exit wait ran out) are dropped, as the worker's are.
 */
void
fileio_free(struct fileio *fio)
{
	struct fileio_done	*d;

	if (fio == NULL)
		return;
	fio->closing = 1;
	worker_free(fio->worker);	/* finishes the work, drops results */
	while ((d = TAILQ_FIRST(&fio->pending)) != NULL)
		fileio_done_free(d);
	fio->magic = 0;
	free(fio->live);
	free(fio);
}

struct event_base *
fileio_base(struct fileio *fio)
{
	return (fio->base);
}

/* The thread for local disk work, started on first use. */
struct worker *
fileio_worker(struct fileio *fio)
{
	if (fio->worker == NULL)
		fio->worker = worker_new(fio->base, "bronzed-io");
	return (fio->worker);
}

int
fileio_closing(const struct fileio *fio)
{
	return (fio->closing);
}

size_t
fileio_busy(const struct fileio *fio)
{
	return (fio == NULL ? 0 : fio->npending + worker_pending(fio->worker));
}

struct s3 *
fileio_s3(struct fileio *fio)
{
	return (fio->s3);
}

const struct fileio_options *
fileio_options(struct fileio *fio)
{
	return (&fio->opt);
}

int
fileio_is_s3(const char *url)
{
	return (strncasecmp(url, "s3://", 5) == 0 ||
	    strncasecmp(url, "s3a://", 6) == 0);
}

static const struct fileio_ops *
fileio_ops_for(const char *url)
{
	return (fileio_is_s3(url) ? &fileio_s3_ops : &fileio_local_ops);
}

void
fileio_entries_free(struct fileio_entry *e, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(e[i].url);
	free(e);
}

static int
fileio_entry_cmp(const void *a, const void *b)
{
	const struct fileio_entry	*x = a, *y = b;

	return (strcmp(x->url, y->url));
}

void
fileio_entries_sort(struct fileio_entry *e, size_t n)
{
	if (n > 1)
		qsort(e, n, sizeof(*e), fileio_entry_cmp);
}

/* A deferred result's storage (unlinked from its fileio already). */
static void
fileio_done_release(struct fileio_done *d)
{
	event_free(d->ev);
	free(d->error);
	buf_free(&d->data);
	fileio_entries_free(d->res.entries, d->res.nentries);
	d->magic = 0;
	free(d);
}

static void
fileio_done_unlink(struct fileio_done *d)
{
	TAILQ_REMOVE(&d->fio->pending, d, entry);
	d->fio->npending--;
}

/* Drop a deferred result without calling back. */
static void
fileio_done_free(struct fileio_done *d)
{
	fileio_done_unlink(d);
	fileio_done_release(d);
}

/*
 * Timer callback: deliver a deferred result.  It is unlinked first: the
 * callback may free the fileio.
 */
static void
fileio_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fileio_done	*d = arg;

	if (d->magic != FILEIO_DONE_MAGIC)
		fatalx("%s: bad magic", __func__);
	fileio_done_unlink(d);
	d->res.error = d->error;
	d->res.data = &d->data;
	d->cb(&d->res, d->arg);
	fileio_done_release(d);
}

void
fileio_complete(struct fileio *fio, fileio_cb cb, void *arg,
    const struct fileio_result *res)
{
	struct fileio_done	*d;
	struct timeval		 tv = { 0, 1 };
	size_t			 i;

	d = xcalloc(1, sizeof(*d));
	d->magic = FILEIO_DONE_MAGIC;
	d->fio = fio;
	d->cb = cb;
	d->arg = arg;
	d->res = *res;
	d->error = res->error != NULL ? xstrdup(res->error) : NULL;
	buf_init(&d->data);
	if (res->data != NULL)
		buf_append(&d->data, res->data->data, res->data->len);
	if (res->nentries != 0) {
		d->res.entries = xreallocarray(NULL, res->nentries,
		    sizeof(*res->entries));
		for (i = 0; i < res->nentries; i++) {
			d->res.entries[i].url = xstrdup(res->entries[i].url);
			d->res.entries[i].size = res->entries[i].size;
		}
	} else
		d->res.entries = NULL;
	/*
	 * Not a zero timeout: libevent runs those in the same pass, so a
	 * caller chaining operations from callbacks would starve the loop.
	 */
	d->ev = evtimer_new(fio->base, fileio_done_cb, d);
	TAILQ_INSERT_TAIL(&fio->pending, d, entry);
	fio->npending++;
	evtimer_add(d->ev, &tv);
}

void
fileio_fail(struct fileio *fio, fileio_cb cb, void *arg,
    enum fileio_status status, const char *fmt, ...)
{
	struct fileio_result	 res;
	va_list			 ap;
	char			*error;

	va_start(ap, fmt);
	error = xvasprintf(fmt, ap);
	va_end(ap);
	memset(&res, 0, sizeof(res));
	res.status = status;
	res.error = error;
	fileio_complete(fio, cb, arg, &res);
	free(error);
}

void
fileio_read(struct fileio *fio, const char *url, size_t max, fileio_cb cb,
    void *arg)
{
	fileio_ops_for(url)->read(fio, url, max, cb, arg);
}

void
fileio_stat(struct fileio *fio, const char *url, fileio_cb cb, void *arg)
{
	fileio_ops_for(url)->stat(fio, url, cb, arg);
}

void
fileio_put(struct fileio *fio, const char *url, const void *data, size_t len,
    int flags, fileio_cb cb, void *arg)
{
	fileio_ops_for(url)->put(fio, url, data, len, flags, cb, arg);
}

void
fileio_delete(struct fileio *fio, const char *url, fileio_cb cb, void *arg)
{
	fileio_ops_for(url)->remove(fio, url, cb, arg);
}

void
fileio_list(struct fileio *fio, const char *prefix, fileio_cb cb, void *arg)
{
	fileio_ops_for(prefix)->list(fio, prefix, cb, arg);
}

void
fileio_abort_uploads(struct fileio *fio, const char *prefix,
    int64_t before_ms, fileio_cb cb, void *arg)
{
	fileio_ops_for(prefix)->sweep(fio, prefix, before_ms, cb, arg);
}

struct fileio_writer *
fileio_writer_open(struct fileio *fio, const char *url, char **cause)
{
	return (fileio_ops_for(url)->open(fio, url, cause));
}

void
fileio_writer_init(struct fileio_writer *w, const struct fileio_ops *ops,
    struct fileio *fio, const char *url)
{
	w->magic = FILEIO_WRITER_MAGIC;
	w->ops = ops;
	w->fio = fio;
	w->url = xstrdup(url);
	w->size = 0;
	w->paused = 0;
	w->error = NULL;
	w->drain = NULL;
	w->drain_arg = NULL;
	fio->live = xreallocarray(fio->live, fio->nlive + 1,
	    sizeof *fio->live);
	fio->live[fio->nlive++] = w;
}

int
fileio_writing(const struct fileio *fio, const char *url)
{
	size_t	i;

	for (i = 0; i < fio->nlive; i++)
		if (strcmp(fio->live[i]->url, url) == 0)
			return (1);
	return (0);
}

char **
fileio_live_urls(const struct fileio *fio, size_t *n)
{
	char	**urls;
	size_t	  i;

	urls = xcalloc(fio->nlive + 1, sizeof *urls);
	for (i = 0; i < fio->nlive; i++)
		urls[i] = xstrdup(fio->live[i]->url);
	*n = fio->nlive;
	return (urls);
}

void
fileio_writer_fini(struct fileio_writer *w)
{
	struct fileio	*fio = w->fio;
	size_t		 i;

	for (i = 0; i < fio->nlive; i++) {
		if (fio->live[i] == w) {
			fio->live[i] = fio->live[--fio->nlive];
			break;
		}
	}
	free(w->url);
	free(w->error);
	w->magic = 0;
}

void
fileio_writer_fail(struct fileio_writer *w, const char *fmt, ...)
{
	va_list	ap;

	if (w->error != NULL)
		return;
	va_start(ap, fmt);
	if (vasprintf(&w->error, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
}

const char *
fileio_writer_error(const struct fileio_writer *w)
{
	return (w->error);
}

static void
fileio_writer_check(struct fileio_writer *w)
{
	if (w->magic != FILEIO_WRITER_MAGIC)
		fatalx("fileio: bad writer magic");
}

int
fileio_writer_append(struct fileio_writer *w, const void *data, size_t len)
{
	int	rc;

	fileio_writer_check(w);
	rc = w->ops->append(w, data, len);
	if (rc >= 0)
		w->size += len;
	if (rc == 1)
		w->paused = 1;
	return (rc);
}

void
fileio_writer_on_drain(struct fileio_writer *w, fileio_drain_cb cb,
    void *arg)
{
	fileio_writer_check(w);
	w->drain = cb;
	w->drain_arg = arg;
}

void
fileio_writer_drained(struct fileio_writer *w)
{
	if (!w->paused)
		return;
	w->paused = 0;
	if (w->drain != NULL)
		w->drain(w->drain_arg);
}

uint64_t
fileio_writer_size(struct fileio_writer *w)
{
	fileio_writer_check(w);
	return (w->size);
}

void
fileio_writer_close(struct fileio_writer *w, fileio_cb cb, void *arg)
{
	fileio_writer_check(w);
	w->drain = NULL;
	w->ops->close(w, cb, arg);
}

void
fileio_writer_abort(struct fileio_writer *w, fileio_cb cb, void *arg)
{
	fileio_writer_check(w);
	w->drain = NULL;
	w->ops->abort(w, cb, arg);
}
