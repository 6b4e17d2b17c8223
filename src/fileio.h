/*
 * fileio.h: the storage interface the Iceberg layer writes through, one
 * API for a local directory and for S3, chosen by URL: "s3://bucket/key"
 * and "s3a://bucket/key" go to S3, "file:" URLs and plain paths to the
 * local file system.
 *
 * Every operation completes through a callback run from the event loop,
 * never from inside the call, whatever the backend.  A struct
 * fileio_result and what it points to are valid during the callback only
 * (the data buffer may be stolen).  Writers stream: append buffers up to
 * one part (S3 multipart, default 8 MB) and uploads parts as they fill; a
 * small object becomes one PUT at close.  Local writes go to a temp file
 * in the target directory, are fsynced and renamed into place.
 */
#ifndef BRONZE_FILEIO_H
#define BRONZE_FILEIO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct event_base;
struct s3;
struct fileio;
struct fileio_writer;

enum fileio_status {
	FILEIO_OK = 0,
	FILEIO_EXISTS,		/* create-only put: the target exists */
	FILEIO_NOT_FOUND,
	FILEIO_ERROR
};

struct fileio_entry {
	char		*url;		/* same scheme as the listed prefix */
	uint64_t	 size;
};

struct fileio_result {
	enum fileio_status	 status;
	const char		*error;		/* iff status != FILEIO_OK */
	struct buf		*data;		/* fileio_read */
	uint64_t		 size;		/* fileio_stat; writer: bytes */
	struct fileio_entry	*entries;	/* fileio_list, by url */
	size_t			 nentries;
};

typedef void	(*fileio_cb)(struct fileio_result *, void *);
typedef void	(*fileio_drain_cb)(void *);

struct fileio_options {
	size_t		 part_size;	/* multipart part (8 MB, >= 5 MB) */
	int		 max_parts;	/* parts buffered or in flight (2) */
};

#define FILEIO_CREATE_ONLY	0x1	/* fileio_put: fail if it exists */
#define FILEIO_PRIVATE		0x2	/* fileio_put, local: 0600, new dirs
					   0700 */

/* s3 may be NULL: then S3 URLs fail with an error.  Not owned. */
struct fileio	*fileio_new(struct event_base *, struct s3 *,
		    const struct fileio_options *);
/* Every operation must have completed. */
void		 fileio_free(struct fileio *);
/* Operations whose callback has not run yet (local ones on the thread). */
size_t		 fileio_busy(const struct fileio *);

/* Nonzero for s3:// and s3a:// URLs. */
int		 fileio_is_s3(const char *url);

/* Read a whole file of at most max bytes. */
void		 fileio_read(struct fileio *, const char *url, size_t max,
		    fileio_cb, void *);
/* Size of a file, or FILEIO_NOT_FOUND. */
void		 fileio_stat(struct fileio *, const char *url, fileio_cb,
		    void *);
/* Store a small object atomically; data is copied. */
void		 fileio_put(struct fileio *, const char *url, const void *data,
		    size_t len, int flags, fileio_cb, void *);
/* Delete a file; a missing file is not an error. */
void		 fileio_delete(struct fileio *, const char *url, fileio_cb,
		    void *);
/* Every file whose URL starts with prefix. */
void		 fileio_list(struct fileio *, const char *prefix, fileio_cb,
		    void *);
/*
 * Clean up what writers that died left under prefix: unfinished S3
 * multipart uploads, local temp files.  Only those started before
 * before_ms (epoch ms) unless it is 0, so that live writers elsewhere keep
 * theirs; this fileio's own open writers are always spared, whatever the
 * clocks say.  The result's size is how many went.
 */
void		 fileio_abort_uploads(struct fileio *, const char *prefix,
		    int64_t before_ms, fileio_cb, void *);

/* Start writing url; NULL and *cause if it cannot be opened. */
struct fileio_writer *fileio_writer_open(struct fileio *, const char *url,
		    char **cause);
/*
 * Add bytes (copied).  Returns 0 to keep feeding, 1 when enough is
 * buffered or in flight that the caller should wait for the drain
 * callback before appending more (appends are still accepted), -1 if the
 * writer has failed (close or abort reports why).
 */
int		 fileio_writer_append(struct fileio_writer *, const void *,
		    size_t);
/* Why the writer failed (after append returned -1), or NULL. */
const char	*fileio_writer_error(const struct fileio_writer *);
/* Called once each time the writer stops asking for a pause. */
void		 fileio_writer_on_drain(struct fileio_writer *, fileio_drain_cb,
		    void *);
/* Bytes appended so far. */
uint64_t	 fileio_writer_size(struct fileio_writer *);
/* Finish the file; cb gets the result, then the writer is freed. */
void		 fileio_writer_close(struct fileio_writer *, fileio_cb, void *);
/* Discard the file (abort the multipart upload, remove the temp file). */
void		 fileio_writer_abort(struct fileio_writer *, fileio_cb, void *);

/*
 * Backend interface, for fileio-local.c and fileio-s3.c only.
 */
struct fileio_ops {
	void	(*read)(struct fileio *, const char *, size_t, fileio_cb,
		    void *);
	void	(*stat)(struct fileio *, const char *, fileio_cb, void *);
	void	(*put)(struct fileio *, const char *, const void *, size_t,
		    int, fileio_cb, void *);
	void	(*remove)(struct fileio *, const char *, fileio_cb, void *);
	void	(*list)(struct fileio *, const char *, fileio_cb, void *);
	void	(*sweep)(struct fileio *, const char *, int64_t, fileio_cb,
		    void *);
	struct fileio_writer *(*open)(struct fileio *, const char *,
		    char **);
	int	(*append)(struct fileio_writer *, const void *, size_t);
	void	(*close)(struct fileio_writer *, fileio_cb, void *);
	void	(*abort)(struct fileio_writer *, fileio_cb, void *);
};

/* Common head of every backend's writer. */
struct fileio_writer {
	uint32_t		 magic;
	const struct fileio_ops	*ops;
	struct fileio		*fio;
	char			*url;
	uint64_t		 size;
	int			 paused;	/* append returned 1 */
	char			*error;		/* first failure, or NULL */
	fileio_drain_cb		 drain;
	void			*drain_arg;
};

extern const struct fileio_ops fileio_local_ops;
extern const struct fileio_ops fileio_s3_ops;

struct event_base *fileio_base(struct fileio *);
struct s3	*fileio_s3(struct fileio *);
const struct fileio_options *fileio_options(struct fileio *);
/* The thread local backends run their disk work on (started on first use). */
struct worker	*fileio_worker(struct fileio *);
/* Nonzero once fileio_free began: results are dropped, not delivered. */
int		 fileio_closing(const struct fileio *);
/* Copies of the URLs of the open writers (fileio_writing for a thread). */
char		**fileio_live_urls(const struct fileio *, size_t *n);
/* Fill the common writer head. */
void		 fileio_writer_init(struct fileio_writer *,
		    const struct fileio_ops *, struct fileio *, const char *);
void		 fileio_writer_fini(struct fileio_writer *);
/* Nonzero if a writer of this fileio is open on url (sweeps spare it). */
int		 fileio_writing(const struct fileio *, const char *url);
/* Record the writer's first failure (backends). */
void		 fileio_writer_fail(struct fileio_writer *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* The writer may take more input again: run the drain callback. */
void		 fileio_writer_drained(struct fileio_writer *);
/*
 * Deliver a result from the loop later (a 1 us libevent timer).  The
 * result's error, data and entries are copied.
 */
void		 fileio_complete(struct fileio *, fileio_cb, void *,
		    const struct fileio_result *);
/* Deliver an error result built from a format, later. */
void		 fileio_fail(struct fileio *, fileio_cb, void *,
		    enum fileio_status, const char *, ...)
		    __attribute__((format(printf, 5, 6)));
void		 fileio_entries_free(struct fileio_entry *, size_t);
/* Sort entries by url. */
void		 fileio_entries_sort(struct fileio_entry *, size_t);

#endif
