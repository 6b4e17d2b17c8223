/*
 * fileio-s3.c: FileIO backend for s3:// and s3a:// URLs on the S3 client.
 *
 * A writer fills one part buffer.  A full part is hashed (SHA-256, for the
 * request's signature) on the fileio's thread: 8 MB take 6 ms with SHA
 * instructions and several times that without, too long for the loop.
 * The first full part starts a multipart upload; parts are uploaded with
 * at most max_parts buffered, hashing or in flight, and append asks the
 * caller to pause beyond that.  Close sends
 * the last part and completes the upload, or sends a small object as one
 * PUT.  Any failure aborts the multipart upload before it is reported, so
 * no upload is left behind.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "fileio.h"
#include "log.h"
#include "s3.h"
#include "worker.h"
#include "xmalloc.h"

#define FILEIO_S3_OP_MAGIC	0x4653334fu	/* "FS3O" */
#define FILEIO_S3_PART_MAGIC	0x46533350u	/* "FS3P" */
#define FILEIO_S3_SWEEP_MAGIC	0x46533353u	/* "FS3S" */

enum fileio_s3_state {
	FILEIO_S3_OPEN = 0,
	FILEIO_S3_CLOSING,	/* close/abort asked, parts still moving */
	FILEIO_S3_FINISHING	/* complete, abort or single PUT in flight */
};

struct fileio_s3_writer;

struct fileio_s3_part {
	uint32_t		 magic;
	struct fileio_s3_writer	*sw;
	int			 no;		/* 1-based */
	struct buf		 data;		/* until sent */
	char			 sha[65];	/* set by the thread */
	int			 hashed;	/* sha is set */
	int			 whole;		/* the object, as one PUT */
	char			*etag;
	int			 sent;
};

struct fileio_s3_writer {
	struct fileio_writer	 w;	/* first */
	enum fileio_s3_state	 state;
	char			*bucket;
	char			*key;
	struct buf		 cur;
	struct fileio_s3_part	*single;	/* the object as one PUT */
	int			 hashing;	/* parts on the thread */
	char			*upload_id;
	int			 creating;
	struct fileio_s3_part	**parts;
	int			 nparts;
	int			 queued;
	int			 inflight;
	char			*error;		/* first failure */
	int			 aborting;	/* abort asked by the caller */
	int			 sweep;		/* create was retried */
	enum fileio_status	 final_status;
	char			*final_error;
	fileio_cb		 cb;
	void			*cb_arg;
};

/* Aborting the multipart uploads under a prefix or of one key. */
struct fileio_s3_sweep {
	uint32_t		 magic;
	struct fileio		*fio;
	char			*bucket;
	char			*key;		/* exact key, or NULL: prefix */
	int64_t			 before_ms;	/* only uploads started before;
						   0: all */
	int			 pending;
	uint64_t		 aborted;
	char			*error;
	void			(*done)(struct fileio_s3_sweep *, void *);
	void			*arg;
};

/* One non-writer operation. */
struct fileio_s3_op {
	uint32_t		 magic;
	struct fileio		*fio;
	char			*scheme;	/* "s3://bucket/" for list */
	fileio_cb		 cb;
	void			*arg;
};

static void	fileio_s3_maybe_finish(struct fileio_s3_writer *);
static void	fileio_s3_sweep_end(struct fileio_s3_sweep *);

/* Split s3://bucket/key; -1 if there is no bucket. */
static int
fileio_s3_parse(const char *url, char **bucket, char **key)
{
	const char	*p, *slash;

	p = strstr(url, "://");
	if (p == NULL)
		return (-1);
	p += 3;
	slash = strchr(p, '/');
	if (slash == p || *p == '\0')
		return (-1);
	if (slash == NULL) {
		*bucket = xstrdup(p);
		*key = xstrdup("");
	} else {
		*bucket = xstrndup(p, slash - p);
		*key = xstrdup(slash + 1);
	}
	return (0);
}

/* Check the URL and the client; 0 with bucket and key set, or fail. */
static int
fileio_s3_target(struct fileio *fio, const char *url, char **bucket,
    char **key, fileio_cb cb, void *arg)
{
	if (fileio_s3(fio) == NULL) {
		fileio_fail(fio, cb, arg, FILEIO_ERROR,
		    "%s: no S3 client configured", url);
		return (-1);
	}
	if (fileio_s3_parse(url, bucket, key) != 0) {
		fileio_fail(fio, cb, arg, FILEIO_ERROR, "%s: bad S3 URL", url);
		return (-1);
	}
	return (0);
}

static struct fileio_s3_op *
fileio_s3_op_new(struct fileio *fio, fileio_cb cb, void *arg)
{
	struct fileio_s3_op	*op;

	op = xcalloc(1, sizeof(*op));
	op->magic = FILEIO_S3_OP_MAGIC;
	op->fio = fio;
	op->cb = cb;
	op->arg = arg;
	return (op);
}

static enum fileio_status
fileio_s3_status(enum s3_status st)
{
	switch (st) {
	case S3_OK:
		return (FILEIO_OK);
	case S3_EXISTS:
		return (FILEIO_EXISTS);
	case S3_NOT_FOUND:
		return (FILEIO_NOT_FOUND);
	default:
		return (FILEIO_ERROR);
	}
}

/* s3 callback for read, stat, put, delete and list. */
static void
fileio_s3_op_cb(struct s3_reply *rep, void *arg)
{
	struct fileio_s3_op	*op = arg;
	struct fileio_result	 res;
	struct fileio_entry	*e = NULL;
	size_t			 i;

	if (op->magic != FILEIO_S3_OP_MAGIC)
		fatalx("%s: bad magic", __func__);
	memset(&res, 0, sizeof(res));
	res.status = fileio_s3_status(rep->status);
	res.error = rep->error;
	res.data = rep->body;
	res.size = rep->body != NULL && rep->status == S3_OK &&
	    rep->body->len != 0 ? rep->body->len : rep->size;
	if (op->scheme != NULL && rep->nobjects != 0) {
		e = xreallocarray(NULL, rep->nobjects, sizeof(*e));
		for (i = 0; i < rep->nobjects; i++) {
			e[i].url = xasprintf("%s%s", op->scheme,
			    rep->objects[i].key);
			e[i].size = rep->objects[i].size;
		}
		res.entries = e;
		res.nentries = rep->nobjects;
	}
	op->cb(&res, op->arg);
	fileio_entries_free(e, res.nentries);
	free(op->scheme);
	op->magic = 0;
	free(op);
}

static void
fileio_s3_read(struct fileio *fio, const char *url, size_t max,
    fileio_cb cb, void *arg)
{
	char	*bucket, *key;

	if (fileio_s3_target(fio, url, &bucket, &key, cb, arg) != 0)
		return;
	s3_get(fileio_s3(fio), bucket, key, 0, 0, max, fileio_s3_op_cb,
	    fileio_s3_op_new(fio, cb, arg));
	free(bucket);
	free(key);
}

static void
fileio_s3_put(struct fileio *fio, const char *url, const void *data,
    size_t len, int flags, fileio_cb cb, void *arg)
{
	char		*bucket, *key;
	struct buf	 b = BUF_INIT;

	if (fileio_s3_target(fio, url, &bucket, &key, cb, arg) != 0)
		return;
	buf_append(&b, data, len);
	s3_put(fileio_s3(fio), bucket, key, &b, NULL,
	    (flags & FILEIO_CREATE_ONLY) ? S3_IF_NONE_MATCH : 0,
	    fileio_s3_op_cb, fileio_s3_op_new(fio, cb, arg));
	free(bucket);
	free(key);
}

/* An operation on one key with no body: HEAD or DELETE. */
static void
fileio_s3_keyop(struct fileio *fio, const char *url, fileio_cb cb, void *arg,
    void (*fn)(struct s3 *, const char *, const char *, s3_cb, void *))
{
	char	*bucket, *key;

	if (fileio_s3_target(fio, url, &bucket, &key, cb, arg) != 0)
		return;
	fn(fileio_s3(fio), bucket, key, fileio_s3_op_cb,
	    fileio_s3_op_new(fio, cb, arg));
	free(bucket);
	free(key);
}

static void
fileio_s3_stat(struct fileio *fio, const char *url, fileio_cb cb, void *arg)
{
	fileio_s3_keyop(fio, url, cb, arg, s3_head);
}

static void
fileio_s3_remove(struct fileio *fio, const char *url, fileio_cb cb,
    void *arg)
{
	fileio_s3_keyop(fio, url, cb, arg, s3_delete);
}

static void
fileio_s3_list(struct fileio *fio, const char *url, fileio_cb cb, void *arg)
{
	char			*bucket, *key;
	struct fileio_s3_op	*op;

	if (fileio_s3_target(fio, url, &bucket, &key, cb, arg) != 0)
		return;
	op = fileio_s3_op_new(fio, cb, arg);
	op->scheme = xasprintf("%.*s%s/", (int)(strstr(url, "://") + 3 - url),
	    url, bucket);
	s3_list(fileio_s3(fio), bucket, key, fileio_s3_op_cb, op);
	free(bucket);
	free(key);
}

/* One abort of a sweep finished. */
static void
fileio_s3_sweep_abort_cb(struct s3_reply *rep, void *arg)
{
	struct fileio_s3_sweep	*sp = arg;

	if (sp->magic != FILEIO_S3_SWEEP_MAGIC)
		fatalx("%s: bad magic", __func__);
	if (rep->status == S3_OK)
		sp->aborted++;
	else if (sp->error == NULL)
		sp->error = xstrdup(rep->error);
	if (--sp->pending == 0)
		fileio_s3_sweep_end(sp);
}

/* Nonzero if one of this fileio's own writers is uploading bucket/key. */
static int
fileio_s3_live(const struct fileio_s3_sweep *sp, const char *key)
{
	char	*u;
	int	 live;

	u = xasprintf("s3://%s/%s", sp->bucket, key);
	live = fileio_writing(sp->fio, u);
	free(u);
	if (!live) {
		u = xasprintf("s3a://%s/%s", sp->bucket, key);
		live = fileio_writing(sp->fio, u);
		free(u);
	}
	return (live);
}

/* The uploads are listed: abort each one that matches. */
static void
fileio_s3_sweep_list_cb(struct s3_reply *rep, void *arg)
{
	struct fileio_s3_sweep	*sp = arg;
	size_t			 i;

	if (rep->status != S3_OK)
		sp->error = xstrdup(rep->error);
	sp->pending = 1;
	for (i = 0; i < rep->nobjects && sp->error == NULL; i++) {
		if (rep->objects[i].upload_id == NULL || (sp->key != NULL &&
		    strcmp(rep->objects[i].key, sp->key) != 0))
			continue;
		if (sp->before_ms > 0 && (rep->objects[i].initiated_ms == 0 ||
		    rep->objects[i].initiated_ms >= sp->before_ms ||
		    fileio_s3_live(sp, rep->objects[i].key)))
			continue;		/* may still be someone's */
		sp->pending++;
		s3_mpu_abort(fileio_s3(sp->fio), sp->bucket,
		    rep->objects[i].key, rep->objects[i].upload_id,
		    fileio_s3_sweep_abort_cb, sp);
	}
	if (--sp->pending == 0)
		fileio_s3_sweep_end(sp);
}

/*
 * Abort the multipart uploads of key (exact) or under it (prefix), those
 * started before before_ms only if it is not 0.
 */
static void
fileio_s3_sweep_start(struct fileio *fio, const char *bucket,
    const char *key, int exact, int64_t before_ms,
    void (*done)(struct fileio_s3_sweep *, void *), void *arg)
{
	struct fileio_s3_sweep	*sp;

	sp = xcalloc(1, sizeof(*sp));
	sp->magic = FILEIO_S3_SWEEP_MAGIC;
	sp->fio = fio;
	sp->bucket = xstrdup(bucket);
	sp->key = exact ? xstrdup(key) : NULL;
	sp->before_ms = before_ms;
	sp->done = done;
	sp->arg = arg;
	s3_list_uploads(fileio_s3(fio), bucket, key, fileio_s3_sweep_list_cb,
	    sp);
}

static void
fileio_s3_sweep_end(struct fileio_s3_sweep *sp)
{
	sp->done(sp, sp->arg);
	free(sp->bucket);
	free(sp->key);
	free(sp->error);
	sp->magic = 0;
	free(sp);
}

/* A caller's sweep is done: report the count or the first error. */
static void
fileio_s3_uploads_done(struct fileio_s3_sweep *sp, void *arg)
{
	struct fileio_s3_op	*op = arg;
	struct fileio_result	 res;

	memset(&res, 0, sizeof(res));
	res.status = sp->error != NULL ? FILEIO_ERROR : FILEIO_OK;
	res.error = sp->error;
	res.size = sp->aborted;
	fileio_complete(op->fio, op->cb, op->arg, &res);
	op->magic = 0;
	free(op);
}

static void
fileio_s3_abort_uploads(struct fileio *fio, const char *url,
    int64_t before_ms, fileio_cb cb, void *arg)
{
	struct fileio_s3_op	*op;
	char			*bucket, *key;

	if (fileio_s3_target(fio, url, &bucket, &key, cb, arg) != 0)
		return;
	op = fileio_s3_op_new(fio, cb, arg);
	fileio_s3_sweep_start(fio, bucket, key, 0, before_ms,
	    fileio_s3_uploads_done, op);
	free(bucket);
	free(key);
}

static struct fileio_writer *
fileio_s3_open(struct fileio *fio, const char *url, char **cause)
{
	struct fileio_s3_writer	*sw;
	char			*bucket, *key;

	if (fileio_s3(fio) == NULL) {
		*cause = xasprintf("%s: no S3 client configured", url);
		return (NULL);
	}
	if (fileio_s3_parse(url, &bucket, &key) != 0) {
		*cause = xasprintf("%s: bad S3 object URL", url);
		return (NULL);
	}
	if (*key == '\0') {
		free(bucket);
		free(key);
		*cause = xasprintf("%s: no object key", url);
		return (NULL);
	}
	sw = xcalloc(1, sizeof(*sw));
	fileio_writer_init(&sw->w, &fileio_s3_ops, fio, url);
	sw->bucket = bucket;
	sw->key = key;
	buf_init(&sw->cur);
	return (&sw->w);
}

/* Remember the first failure. */
static void
fileio_s3_set_error(struct fileio_s3_writer *sw, const char *error)
{
	if (sw->error == NULL) {
		sw->error = xstrdup(error != NULL ? error : "unknown error");
		fileio_writer_fail(&sw->w, "%s", sw->error);
	}
}

static int
fileio_s3_backlog(struct fileio_s3_writer *sw)
{
	return (sw->queued + sw->inflight >=
	    fileio_options(sw->w.fio)->max_parts);
}

/* s3 callback: one part is stored (or failed). */
static void
fileio_s3_part_cb(struct s3_reply *rep, void *arg)
{
	struct fileio_s3_part	*p = arg;
	struct fileio_s3_writer	*sw = p->sw;

	if (p->magic != FILEIO_S3_PART_MAGIC)
		fatalx("%s: bad magic", __func__);
	sw->inflight--;
	if (rep->status == S3_OK && rep->etag != NULL)
		p->etag = xstrdup(rep->etag);
	else
		fileio_s3_set_error(sw, rep->error != NULL ? rep->error :
		    "part upload returned no ETag");
	fileio_s3_maybe_finish(sw);
}

/* Upload cut parts while there is room. */
static void
fileio_s3_send(struct fileio_s3_writer *sw)
{
	const struct fileio_options	*o = fileio_options(sw->w.fio);
	struct fileio_s3_part		*p;
	int				 i;

	if (sw->upload_id == NULL || sw->error != NULL)
		return;
	for (i = 0; i < sw->nparts && sw->inflight < o->max_parts; i++) {
		p = sw->parts[i];
		if (p->sent || !p->hashed)
			continue;
		p->sent = 1;
		sw->queued--;
		sw->inflight++;
		s3_mpu_part(fileio_s3(sw->w.fio), sw->bucket, sw->key,
		    sw->upload_id, p->no, &p->data, p->sha, fileio_s3_part_cb,
		    p);
	}
}

/* s3 callback: the multipart upload exists (or not). */
static void
fileio_s3_created_cb(struct s3_reply *rep, void *arg)
{
	struct fileio_s3_writer	*sw = arg;

	sw->creating = 0;
	if (rep->attempts > 1)
		sw->sweep = 1;	/* a lost answer may have left an upload */
	if (rep->status == S3_OK && rep->upload_id != NULL)
		sw->upload_id = xstrdup(rep->upload_id);
	else
		fileio_s3_set_error(sw, rep->error != NULL ? rep->error :
		    "CreateMultipartUpload returned no UploadId");
	fileio_s3_maybe_finish(sw);
}

/* On the thread: the part's SHA-256; the loop leaves the part alone. */
static void
fileio_s3_hash_run(void *arg)
{
	struct fileio_s3_part	*p = arg;

	s3_sha256_hex(p->data.data, p->data.len, p->sha);
}

static void	fileio_s3_final_cb(struct s3_reply *, void *);

/* Back on the loop: the part can go. */
static void
fileio_s3_hashed(void *arg)
{
	struct fileio_s3_part	*p = arg;
	struct fileio_s3_writer	*sw = p->sw;

	p->hashed = 1;
	sw->hashing--;
	if (fileio_closing(sw->w.fio))
		return;
	if (p->whole)
		s3_put(fileio_s3(sw->w.fio), sw->bucket, sw->key, &p->data,
		    p->sha, 0, fileio_s3_final_cb, sw);
	else
		fileio_s3_maybe_finish(sw);
}

/* A part of the current buffer, its hash started on the thread. */
static struct fileio_s3_part *
fileio_s3_part_new(struct fileio_s3_writer *sw, int whole)
{
	struct fileio_s3_part	*p;

	p = xcalloc(1, sizeof(*p));
	p->magic = FILEIO_S3_PART_MAGIC;
	p->sw = sw;
	p->whole = whole;
	p->data = sw->cur;
	buf_init(&sw->cur);
	sw->hashing++;
	worker_submit(fileio_worker(sw->w.fio), fileio_s3_hash_run,
	    fileio_s3_hashed, p);
	return (p);
}

/* Make the current buffer a part and start moving it. */
static void
fileio_s3_cut(struct fileio_s3_writer *sw)
{
	struct fileio_s3_part	*p;

	p = fileio_s3_part_new(sw, 0);
	p->no = sw->nparts + 1;
	sw->parts = xreallocarray(sw->parts, sw->nparts + 1,
	    sizeof(*sw->parts));
	sw->parts[sw->nparts++] = p;
	sw->queued++;
	if (sw->upload_id == NULL && !sw->creating && sw->error == NULL) {
		sw->creating = 1;
		s3_mpu_create(fileio_s3(sw->w.fio), sw->bucket, sw->key,
		    fileio_s3_created_cb, sw);
	}
	fileio_s3_send(sw);
}

static int
fileio_s3_append(struct fileio_writer *w, const void *data, size_t len)
{
	struct fileio_s3_writer	*sw = (struct fileio_s3_writer *)w;
	size_t			 part = fileio_options(w->fio)->part_size, n;
	const uint8_t		*p = data;

	if (sw->error != NULL || sw->state != FILEIO_S3_OPEN)
		return (-1);
	while (len > 0) {
		if (sw->cur.cap < part)
			buf_reserve(&sw->cur, part - sw->cur.len);
		n = part - sw->cur.len;
		if (n > len)
			n = len;
		buf_append(&sw->cur, p, n);
		p += n;
		len -= n;
		if (sw->cur.len == part)
			fileio_s3_cut(sw);
	}
	return (fileio_s3_backlog(sw) ? 1 : 0);
}

static void
fileio_s3_writer_free(struct fileio_s3_writer *sw)
{
	int	i;

	for (i = 0; i < sw->nparts; i++) {
		buf_free(&sw->parts[i]->data);
		free(sw->parts[i]->etag);
		sw->parts[i]->magic = 0;
		free(sw->parts[i]);
	}
	free(sw->parts);
	if (sw->single != NULL) {
		buf_free(&sw->single->data);
		sw->single->magic = 0;
		free(sw->single);
	}
	buf_free(&sw->cur);
	free(sw->bucket);
	free(sw->key);
	free(sw->upload_id);
	free(sw->error);
	fileio_writer_fini(&sw->w);
	free(sw);
}

/* Deliver the stored outcome to the close/abort caller; free the writer. */
static void
fileio_s3_deliver(struct fileio_s3_writer *sw)
{
	struct fileio_result	res;

	memset(&res, 0, sizeof(res));
	res.status = sw->final_status;
	res.error = sw->final_error;
	res.size = sw->w.size;
	fileio_complete(sw->w.fio, sw->cb, sw->cb_arg, &res);
	free(sw->final_error);
	fileio_s3_writer_free(sw);
}

/* Sweep done for a writer: now report. */
static void
fileio_s3_swept(struct fileio_s3_sweep *sp, void *arg)
{
	fileio_s3_deliver(arg);
}

/* Report the outcome, after aborting stray uploads of a retried create. */
static void
fileio_s3_report(struct fileio_s3_writer *sw, enum fileio_status st,
    const char *error)
{
	sw->final_status = st;
	sw->final_error = error != NULL ? xstrdup(error) : NULL;
	if (sw->sweep)
		fileio_s3_sweep_start(sw->w.fio, sw->bucket, sw->key, 1, 0,
		    fileio_s3_swept, sw);
	else
		fileio_s3_deliver(sw);
}

/* s3 callback: the multipart upload was aborted after a failure/abort. */
static void
fileio_s3_aborted_cb(struct s3_reply *rep, void *arg)
{
	struct fileio_s3_writer	*sw = arg;
	char			*msg;

	if (sw->error != NULL) {
		msg = xasprintf("%s: %s (multipart upload %s)", sw->w.url,
		    sw->error, rep->status == S3_OK ? "aborted" :
		    "abort failed too");
		fileio_s3_report(sw, FILEIO_ERROR, msg);
		free(msg);
	} else if (rep->status != S3_OK)
		fileio_s3_report(sw, FILEIO_ERROR, rep->error);
	else
		fileio_s3_report(sw, FILEIO_OK, NULL);
}

/* Abort the upload (if any) and report: the failure path. */
static void
fileio_s3_fail(struct fileio_s3_writer *sw)
{
	struct s3_reply	rep;
	char		*msg;

	sw->state = FILEIO_S3_FINISHING;
	if (sw->upload_id != NULL) {
		s3_mpu_abort(fileio_s3(sw->w.fio), sw->bucket, sw->key,
		    sw->upload_id, fileio_s3_aborted_cb, sw);
		return;
	}
	if (sw->error == NULL) {
		memset(&rep, 0, sizeof(rep));
		fileio_s3_aborted_cb(&rep, sw);
		return;
	}
	msg = xasprintf("%s: %s", sw->w.url, sw->error);
	fileio_s3_report(sw, FILEIO_ERROR, msg);
	free(msg);
}

/* s3 callback: HEAD after an ambiguous CompleteMultipartUpload. */
static void
fileio_s3_verify_cb(struct s3_reply *rep, void *arg)
{
	struct fileio_s3_writer	*sw = arg;

	if (rep->status == S3_OK && rep->size == sw->w.size)
		fileio_s3_report(sw, FILEIO_OK, NULL);
	else {
		fileio_s3_set_error(sw, "upload vanished after a lost "
		    "CompleteMultipartUpload answer");
		free(sw->upload_id);
		sw->upload_id = NULL;
		fileio_s3_fail(sw);
	}
}

/* s3 callback: the whole object landed (complete or single PUT). */
static void
fileio_s3_final_cb(struct s3_reply *rep, void *arg)
{
	struct fileio_s3_writer	*sw = arg;

	if (rep->status == S3_OK) {
		fileio_s3_report(sw, FILEIO_OK, NULL);
		return;
	}
	if (sw->upload_id != NULL && rep->status == S3_NOT_FOUND &&
	    rep->attempts > 1) {
		/* An earlier try completed it and its answer got lost. */
		s3_head(fileio_s3(sw->w.fio), sw->bucket, sw->key,
		    fileio_s3_verify_cb, sw);
		return;
	}
	fileio_s3_set_error(sw, rep->error);
	fileio_s3_fail(sw);
}

/* Complete the upload once every part is in. */
static void
fileio_s3_complete(struct fileio_s3_writer *sw)
{
	char	**etags;
	int	  i;

	sw->state = FILEIO_S3_FINISHING;
	etags = xreallocarray(NULL, sw->nparts, sizeof(*etags));
	for (i = 0; i < sw->nparts; i++)
		etags[i] = sw->parts[i]->etag;
	s3_mpu_complete(fileio_s3(sw->w.fio), sw->bucket, sw->key,
	    sw->upload_id, etags, sw->nparts, fileio_s3_final_cb, sw);
	free(etags);
}

/* After every event: send parts, signal drain, finish when closing. */
static void
fileio_s3_maybe_finish(struct fileio_s3_writer *sw)
{
	fileio_s3_send(sw);
	if (sw->state == FILEIO_S3_OPEN) {
		if (sw->error != NULL || !fileio_s3_backlog(sw))
			fileio_writer_drained(&sw->w);
		return;
	}
	if (sw->state != FILEIO_S3_CLOSING || sw->creating ||
	    sw->inflight > 0 || sw->hashing > 0)
		return;
	if (sw->error != NULL || sw->aborting)
		fileio_s3_fail(sw);
	else if (sw->queued == 0)
		fileio_s3_complete(sw);
}

static void
fileio_s3_close(struct fileio_writer *w, fileio_cb cb, void *arg)
{
	struct fileio_s3_writer	*sw = (struct fileio_s3_writer *)w;

	sw->cb = cb;
	sw->cb_arg = arg;
	sw->state = FILEIO_S3_CLOSING;
	if (sw->error == NULL && sw->nparts == 0) {
		sw->state = FILEIO_S3_FINISHING;
		sw->single = fileio_s3_part_new(sw, 1);
		return;
	}
	if (sw->error == NULL && sw->cur.len > 0)
		fileio_s3_cut(sw);
	fileio_s3_maybe_finish(sw);
}

static void
fileio_s3_abort(struct fileio_writer *w, fileio_cb cb, void *arg)
{
	struct fileio_s3_writer	*sw = (struct fileio_s3_writer *)w;

	sw->cb = cb;
	sw->cb_arg = arg;
	sw->aborting = 1;
	sw->state = FILEIO_S3_CLOSING;
	fileio_s3_maybe_finish(sw);
}

const struct fileio_ops fileio_s3_ops = {
	fileio_s3_read,
	fileio_s3_stat,
	fileio_s3_put,
	fileio_s3_remove,
	fileio_s3_list,
	fileio_s3_abort_uploads,
	fileio_s3_open,
	fileio_s3_append,
	fileio_s3_close,
	fileio_s3_abort
};
