/*
 * sink.c: per-partition Parquet files streaming to storage, rolled at the
 * target size and sealed at checkpoints.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <event2/event.h>

#include "fileio.h"
#include "log.h"
#include "parquet.h"
#include "sink.h"
#include "xmalloc.h"

/*
 * A row group's pages are held in memory until it is written (each column
 * chunk is contiguous in the file).  Files are sealed at every checkpoint,
 * so in steady state a row group is a few MB anyway; 4 MB (compressed, some
 * 150K trade messages) bounds what a catch-up burst holds per open file.
 */
#define SINK_ROW_GROUP	(4 * 1024 * 1024)

struct sink_file {
	struct sink		*sink;
	struct ice_part_value	 part;		/* topic owned */
	struct pq_writer	*pw;
	struct fileio_writer	*fw;
	char			*url;
	int			 failed;
	int			 aborted;	/* closing by abort: no file */
};

struct sink {
	struct fileio		*fio;
	char			*location;
	const struct config_job	*cfg;
	struct pq_column	 cols[ICE_BRONZE_NCOLS];
	struct pq_options	 opts;
	sink_drain_fn		 drain;
	void			*drain_arg;

	struct sink_file	**open;		/* current files */
	size_t			 nopen;
	struct ice_data_file	*done;		/* finished since last seal */
	size_t			 ndone;
	char			*error;		/* first close failure */
	int			 closing;	/* file closes in flight */
	uint64_t		 pending_rows;
	struct event		*resume;	/* sink_resume_cb */
	uint64_t		 seq;		/* file name counter */
	char			 run[9];	/* random per sink */

	sink_sealed_fn		 sealed;	/* a seal waiting for closes */
	void			*sealed_arg;
};

static void
sink_ignore_cb(struct fileio_result *r, void *arg)
{
	(void)r;
	(void)arg;
}

static int
sink_pq_cb(void *arg, const void *data, size_t len)
{
	struct sink_file	*f = arg;

	if (fileio_writer_append(f->fw, data, len) == -1) {
		f->failed = 1;
		return (-1);
	}
	return (0);
}

static void
sink_drain_cb(void *arg)
{
	struct sink	*s = arg;

	if (s->drain != NULL)
		s->drain(s->drain_arg);
}

static const struct timeval sink_soon = { 0, 1 };

/* A closed writer held the input back: resume it unless another does. */
static void
sink_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sink	*s = arg;
	size_t		 i;

	for (i = 0; i < s->nopen; i++)
		if (s->open[i]->fw->paused)
			return;
	if (s->drain != NULL)
		s->drain(s->drain_arg);
}

struct sink *
sink_new(struct fileio *fio, const char *location,
    const struct config_job *cfg, const struct ice_bronze_ids *ids,
    sink_drain_fn drain, void *arg)
{
	struct sink	*s = xcalloc(1, sizeof *s);
	uint32_t	 r = 0;

	s->fio = fio;
	s->location = xstrdup(location);
	s->cfg = cfg;
	s->drain = drain;
	s->drain_arg = arg;
	s->resume = evtimer_new(fileio_base(fio), sink_resume_cb, s);
	ice_schema_pq_columns(ids, cfg->value_type, s->cols);
	pq_options_default(&s->opts);
	s->opts.codec = cfg->compression == CONFIG_COMPRESS_ZSTD ? PQ_ZSTD :
	    cfg->compression == CONFIG_COMPRESS_SNAPPY ? PQ_SNAPPY :
	    PQ_UNCOMPRESSED;
	s->opts.level = cfg->compression_level;
	s->opts.row_group_size = cfg->target_file_size < SINK_ROW_GROUP ?
	    (size_t)cfg->target_file_size : SINK_ROW_GROUP;
	if (getrandom(&r, sizeof r, 0) != sizeof r)
		r = 0;
	snprintf(s->run, sizeof s->run, "%08x", r);
	return (s);
}

/* The open file for a partition value, opened on first use. */
static struct sink_file *
sink_file_for(struct sink *s, const struct ice_part_value *v, char **cause)
{
	struct sink_file	*f;
	char			*dir;
	size_t			 i;

	for (i = 0; i < s->nopen; i++)
		if (ice_part_equal(&s->open[i]->part, v))
			return (s->open[i]);
	f = xcalloc(1, sizeof *f);
	f->sink = s;
	f->part = *v;
	if (v->topic != NULL)
		f->part.topic = xstrdup(v->topic);
	dir = ice_part_path(v);
	f->url = xasprintf("%s/data/%s%s%s-%06" PRIu64 ".parquet",
	    s->location, dir, *dir ? "/" : "", s->run, ++s->seq);
	free(dir);
	if ((f->fw = fileio_writer_open(s->fio, f->url, cause)) == NULL ||
	    (f->pw = pq_writer_new(s->cols, ICE_BRONZE_NCOLS, &s->opts,
	    sink_pq_cb, f, cause)) == NULL) {
		if (f->fw != NULL)
			fileio_writer_abort(f->fw, sink_ignore_cb, NULL);
		free((char *)f->part.topic);
		free(f->url);
		free(f);
		return (NULL);
	}
	fileio_writer_on_drain(f->fw, sink_drain_cb, s);
	s->open = xreallocarray(s->open, s->nopen + 1, sizeof *s->open);
	s->open[s->nopen++] = f;
	return (f);
}

/* Encode one record as a bronze row. */
static void
sink_row(struct sink_file *f, const struct kafka_record *r, int64_t ingest)
{
	struct pq_writer	*pw = f->pw;
	size_t			 i;

	/* raw_value is required: a tombstone (null value) lands empty */
	pq_put_bytes(pw, 0, r->value != NULL ? r->value : "", r->value_len);
	if (r->key != NULL)
		pq_put_bytes(pw, 1, r->key, r->key_len);
	else
		pq_put_null(pw, 1);
	pq_put_bytes(pw, 2, r->topic, strlen(r->topic));
	pq_put_int32(pw, 3, r->partition);
	pq_put_int64(pw, 4, r->offset);
	if (r->timestamp_type != KAFKA_TS_NONE && r->timestamp_ms >= 0)
		pq_put_int64(pw, 5, r->timestamp_ms * 1000);
	else
		pq_put_null(pw, 5);
	pq_put_int64(pw, 6, ingest);
	if (r->nheaders == 0) {
		pq_put_null(pw, 7);
		return;
	}
	pq_map_begin(pw, 7);
	for (i = 0; i < r->nheaders; i++)
		pq_map_put(pw, 7, r->headers[i].name,
		    strlen(r->headers[i].name), r->headers[i].value,
		    r->headers[i].len);
}

static void	sink_close_file(struct sink *, size_t);
static void	sink_maybe_sealed(struct sink *);


static void
sink_seal_later_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sink	*s = arg;

	s->closing--;
	sink_maybe_sealed(s);
}

int
sink_write(struct sink *s, const struct kafka_record *r, int64_t ingest,
    char **cause)
{
	struct ice_part_value	 v;
	struct sink_file	*f;
	size_t			 i;

	v = ice_part_of(s->cfg->partition_by, ingest, r->topic);
	if ((f = sink_file_for(s, &v, cause)) == NULL)
		return (-1);
	sink_row(f, r, ingest);
	if (pq_writer_end_row(f->pw, cause) == -1 || f->failed) {
		if (fileio_writer_error(f->fw) != NULL) {	/* the real why */
			free(*cause);
			*cause = xstrdup(fileio_writer_error(f->fw));
		} else if (*cause == NULL)
			*cause = xasprintf("%s: write failed", f->url);
		return (-1);
	}
	s->pending_rows++;
	if (pq_writer_written_bytes(f->pw) + pq_writer_buffered_bytes(f->pw) >=
	    s->cfg->target_file_size) {
		for (i = 0; s->open[i] != f; i++)
			;
		sink_close_file(s, i);
	}
	for (i = 0; i < s->nopen; i++)
		if (s->open[i]->fw->paused)
			return (1);
	return (0);
}

uint64_t
sink_pending_rows(const struct sink *s)
{
	return (s->pending_rows);
}

size_t
sink_buffered_bytes(const struct sink *s)
{
	size_t	i, n = 0;

	for (i = 0; i < s->nopen; i++)
		n += pq_writer_buffered_bytes(s->open[i]->pw);
	return (n);
}

static void
sink_file_free(struct sink_file *f)
{
	pq_writer_free(f->pw);
	free((char *)f->part.topic);
	free(f->url);
	free(f);
}

/* Deliver a waiting seal once no close is in flight. */
static void
sink_maybe_sealed(struct sink *s)
{
	sink_sealed_fn	 cb = s->sealed;
	struct ice_data_file *files = s->done;
	size_t		 n = s->ndone;
	char		*err = s->error;

	if (cb == NULL || s->closing > 0)
		return;
	s->sealed = NULL;
	s->done = NULL;
	s->ndone = 0;
	s->error = NULL;
	cb(err != NULL ? NULL : files, err != NULL ? 0 : n, err, s->sealed_arg);
	if (err != NULL) {
		while (n > 0)
			ice_data_file_clear(&files[--n]);
		free(files);
	}
	free(err);
}

static void
sink_close_cb(struct fileio_result *r, void *arg)
{
	struct sink_file	*f = arg;
	struct sink		*s = f->sink;
	struct ice_data_file	*d;

	if (r->status != FILEIO_OK) {
		if (s->error == NULL)
			s->error = xasprintf("%s: %s", f->url, r->error);
	} else if (!f->aborted) {
		s->done = xreallocarray(s->done, s->ndone + 1, sizeof *s->done);
		d = &s->done[s->ndone++];
		ice_data_file_set(d, f->url, &f->part,
		    pq_writer_metrics(f->pw));
	}
	sink_file_free(f);
	s->closing--;
	sink_maybe_sealed(s);
}

/* Finish open file i: footer, then complete the upload. */
static void
sink_close_file(struct sink *s, size_t i)
{
	struct sink_file	*f = s->open[i];
	char			*cause = NULL;

	/*
	 * A writer that asked the caller to wait never says "drained" once
	 * it is closing: if it was the one holding the input back, say it
	 * here (from the loop), or the caller would wait forever.
	 */
	if (f->fw->paused)
		evtimer_add(s->resume, &sink_soon);
	s->open[i] = s->open[--s->nopen];
	s->closing++;
	if (pq_writer_close(f->pw, &cause) == -1 || f->failed) {
		if (s->error == NULL && fileio_writer_error(f->fw) != NULL)
			s->error = xstrdup(fileio_writer_error(f->fw));
		else if (s->error == NULL)
			s->error = xasprintf("%s: %s", f->url,
			    cause ? cause : "write failed");
		free(cause);
		f->aborted = 1;		/* s->error is set: no file comes of it */
		fileio_writer_abort(f->fw, sink_close_cb, f);
		return;
	}
	fileio_writer_close(f->fw, sink_close_cb, f);
}

void
sink_seal(struct sink *s, sink_sealed_fn cb, void *arg)
{
	s->sealed = cb;
	s->sealed_arg = arg;
	while (s->nopen > 0)
		sink_close_file(s, s->nopen - 1);
	s->pending_rows = 0;
	if (s->closing == 0) {
		/* nothing to close: deliver from the loop all the same */
		s->closing++;
		event_base_once(fileio_base(s->fio), -1, EV_TIMEOUT,
		    sink_seal_later_cb, s, &sink_soon);
	}
}

void
sink_free(struct sink *s)
{
	size_t	i;

	if (s == NULL)
		return;
	if (s->closing > 0)
		fatalx("sink_free with file closes in flight");
	for (i = 0; i < s->nopen; i++) {
		fileio_writer_abort(s->open[i]->fw, sink_ignore_cb, NULL);
		sink_file_free(s->open[i]);
	}
	for (i = 0; i < s->ndone; i++)
		ice_data_file_clear(&s->done[i]);
	free(s->done);
	free(s->open);
	free(s->error);
	event_free(s->resume);
	free(s->location);
	free(s);
}
