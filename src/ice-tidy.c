/*
 * ice-tidy.c: deleting what table maintenance left unreferenced (see
 * ice-tidy.h).  The lists are read a few at a time, then every deletion is
 * sent at once (FileIO bounds its own concurrency).
 */
#include <stdlib.h>
#include <string.h>

#include "avro-read.h"
#include "fileio.h"
#include "ice-tidy.h"
#include "log.h"
#include "xmalloc.h"

#define ICE_TIDY_READS	8	/* list reads in flight */

struct ice_tidy {
	struct fileio		*fio;
	struct ice_expire	 e;
	struct buf		*lists;		/* e.lists' contents */
	struct buf		 keep;		/* e.keep_list's */
	size_t			 next;		/* next list to read */
	size_t			 pending;	/* reads, then deletes */
	int			 failed;	/* a read failed: lists only */
};

/* One read: the list at i, or the keep list when i == nlists. */
struct ice_tidy_read {
	struct ice_tidy		*t;
	size_t			 i;
};

static void	ice_tidy_step(struct ice_tidy *);

static void
ice_tidy_free(struct ice_tidy *t)
{
	size_t	i;

	for (i = 0; t->lists != NULL && i < t->e.nlists; i++)
		buf_free(&t->lists[i]);
	free(t->lists);
	buf_free(&t->keep);
	ice_expire_clear(&t->e);
	free(t);
}

static void
ice_tidy_deleted_cb(struct fileio_result *r, void *arg)
{
	struct ice_tidy	*t = arg;

	if (r->status != FILEIO_OK && r->status != FILEIO_NOT_FOUND)
		log_debug("table maintenance: %s", r->error);
	if (--t->pending == 0)
		ice_tidy_free(t);
}

static void
ice_tidy_delete(struct ice_tidy *t, const char *url)
{
	t->pending++;
	fileio_delete(t->fio, url, ice_tidy_deleted_cb, t);
}

/* Everything read (or not): delete, manifests before the lists. */
static void
ice_tidy_sweep(struct ice_tidy *t)
{
	char	**unref = NULL, *cause = NULL;
	size_t	  n = 0, i;

	t->pending = 1;			/* held until every delete is sent */
	if (!t->failed && t->e.keep_list != NULL &&
	    ice_tidy_unreferenced(t->lists, t->e.nlists, &t->keep,
	    t->e.location, &unref, &n, &cause) == -1) {
		log_debug("table maintenance: %s", cause);
		free(cause);
	}
	if (n > 0)
		log_debug("table maintenance: %zu manifests no snapshot "
		    "names any more", n);
	for (i = 0; i < n; i++) {
		ice_tidy_delete(t, unref[i]);
		free(unref[i]);
	}
	free(unref);
	for (i = 0; i < t->e.nlists; i++)
		ice_tidy_delete(t, t->e.lists[i]);
	for (i = 0; i < t->e.nfiles; i++)
		ice_tidy_delete(t, t->e.files[i]);
	if (--t->pending == 0)
		ice_tidy_free(t);
}

static void
ice_tidy_read_cb(struct fileio_result *r, void *arg)
{
	struct ice_tidy_read	*rd = arg;
	struct ice_tidy		*t = rd->t;

	t->pending--;
	if (r->status != FILEIO_OK)
		t->failed = 1;
	else
		buf_append(rd->i < t->e.nlists ? &t->lists[rd->i] : &t->keep,
		    r->data->data, r->data->len);
	free(rd);
	ice_tidy_step(t);
}

static void
ice_tidy_step(struct ice_tidy *t)
{
	struct ice_tidy_read	*rd;

	while (!t->failed && t->next <= t->e.nlists &&
	    t->pending < ICE_TIDY_READS) {
		rd = xmalloc(sizeof *rd);
		rd->t = t;
		rd->i = t->next++;
		t->pending++;
		fileio_read(t->fio, rd->i < t->e.nlists ? t->e.lists[rd->i] :
		    t->e.keep_list, 256 * 1024 * 1024, ice_tidy_read_cb, rd);
	}
	if (t->pending == 0)
		ice_tidy_sweep(t);
}

void
ice_tidy(struct fileio *fio, struct ice_expire *e)
{
	struct ice_tidy	*t;

	if (e->nlists == 0 && e->nfiles == 0) {
		ice_expire_clear(e);
		return;
	}
	t = xcalloc(1, sizeof *t);
	t->fio = fio;
	ice_expire_move(&t->e, e);
	if (t->e.keep_list == NULL) {		/* nothing to compare with */
		ice_tidy_sweep(t);
		return;
	}
	t->lists = xcalloc(t->e.nlists, sizeof *t->lists);
	ice_tidy_step(t);
}

static int
ice_tidy_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Append the manifest paths of a list to *v. */
static int
ice_tidy_paths(const struct buf *list, char ***v, size_t *n, char **cause)
{
	struct avro_reader		*r;
	struct avro_read_value		*rec;
	const struct avro_read_value	*path;
	int				 rc;

	if ((r = avro_reader_open(list->data, list->len, cause)) == NULL)
		return (-1);
	while ((rc = avro_reader_next(r, &rec, cause)) == 1) {
		path = avro_read_field(rec, "manifest_path", 500);
		if (path != NULL && path->type == AVRO_R_STRING) {
			*v = xreallocarray(*v, *n + 1, sizeof **v);
			(*v)[(*n)++] = xstrndup((const char *)path->p,
			    path->len);
		}
		avro_read_value_free(rec);
	}
	avro_reader_free(r);
	return (rc);
}

int
ice_tidy_unreferenced(const struct buf *lists, size_t nlists,
    const struct buf *keep, const char *location, char ***out, size_t *nout,
    char **cause)
{
	char	**kept = NULL, **cand = NULL;
	size_t	  nkept = 0, ncand = 0, i;
	int	  rc = 0;

	*out = NULL;
	*nout = 0;
	if (ice_tidy_paths(keep, &kept, &nkept, cause) == -1)
		rc = -1;
	for (i = 0; rc == 0 && i < nlists; i++)
		rc = ice_tidy_paths(&lists[i], &cand, &ncand, cause);
	if (rc == 0) {
		qsort(kept, nkept, sizeof *kept, ice_tidy_cmp);
		qsort(cand, ncand, sizeof *cand, ice_tidy_cmp);
		for (i = 0; i < ncand; i++) {
			if ((i > 0 && strcmp(cand[i], cand[i - 1]) == 0) ||
			    !ice_expire_under(location, cand[i]) ||
			    bsearch(&cand[i], kept, nkept, sizeof *kept,
			    ice_tidy_cmp) != NULL)
				continue;
			*out = xreallocarray(*out, *nout + 1, sizeof **out);
			(*out)[(*nout)++] = xstrdup(cand[i]);
		}
	}
	xfreev(kept, nkept);
	xfreev(cand, ncand);
	return (rc);
}
