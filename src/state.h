/*
 * state.h: the daemon's durable state store, one LMDB environment under
 * state.dir.
 *
 * Records are opaque bytes under string keys; keys sort bytewise, so a
 * prefix groups related records and iterates them in order.  The key
 * spaces in use:
 *
 *	meta/format-version		"1" (written by state_open)
 *	ckpt/<job-id>/<20-digit id>	checkpoint record (JSON, see below)
 *	savepoint/<job-id>/<path>	savepoint index entry (owner's JSON)
 *
 * Every write is one short synchronous LMDB transaction (fsync on commit):
 * when a write call returns 0 the record is on disk; when it returns -1
 * nothing changed.  The map grows on demand (MDB_MAP_FULL: resize and retry).
 * A full disk gives -1 and a cause naming the directory and the errno text;
 * the store stays as it was before the failed write.
 *
 * Keys are 1 to 511 bytes (LMDB's limit); a longer one is an error, so a
 * savepoint path over about 450 bytes needs a shorter key (its full path
 * belongs in the value anyway).
 *
 * Errors return -1 (or NULL) and set *cause to a heap string the caller
 * frees.  The store is not thread-safe; it is used from the event loop only.
 * The state is a cache of the table (DESIGN.md "Exactly once"): losing the
 * directory loses nothing.
 */
#ifndef BRONZE_STATE_H
#define BRONZE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define STATE_FORMAT_VERSION	1

struct state;

/*
 * Open (creating if missing) the store in dir.  A created directory is
 * made 0700 and the LMDB files 0600 whatever the umask.  An existing store
 * with a newer format version is refused.
 */
struct state	*state_open(const char *dir, char **cause);
void		 state_close(struct state *);
/* Current map size in bytes (grows as records are added). */
size_t		 state_map_size(const struct state *);

/* Store val under key, replacing any previous record. */
int		 state_put(struct state *, const char *key, const void *val,
		    size_t len, char **cause);
/*
 * Look key up: 1 and the record in *out (replacing its contents), 0 if
 * absent, -1 on error.
 */
int		 state_get(struct state *, const char *key, struct buf *out,
		    char **cause);
/* Remove key: 1 if it was there, 0 if absent, -1 on error. */
int		 state_delete(struct state *, const char *key, char **cause);

/*
 * state_put on the worker thread w (its fsync off the loop); key and val
 * are copied.  done(cause, arg) then runs on the loop: cause NULL once the
 * record is durable, else why not.  done may be NULL.  The store must stay
 * open until done ran (worker_free first, then state_close).
 */
struct worker;
typedef void	(*state_done_fn)(const char *cause, void *arg);
void		 state_put_async(struct state *, struct worker *w,
		    const char *key, const void *val, size_t len,
		    state_done_fn done, void *arg);

/*
 * Call fn for every record whose key starts with prefix, in key order.
 * key is NUL-terminated; key and val are only valid during the call.  fn
 * returns 0 to go on, nonzero to stop (state_each then returns that
 * value).  fn must not call other state_* functions.  -1 on error.
 */
typedef int (*state_each_fn)(const char *key, const void *val, size_t len,
    void *arg);
int		 state_each(struct state *, const char *prefix, state_each_fn,
		    void *arg, char **cause);
/*
 * The record with the greatest key starting with prefix: 1 and key and
 * value in *key (NUL-terminated) and *val, 0 if none, -1 on error.
 */
int		 state_last(struct state *, const char *prefix, struct buf *key,
		    struct buf *val, char **cause);

/* Heap key "ckpt/<job-id>/<id>" (id zero-padded to sort numerically). */
char		*state_ckpt_key(const char *job_id, uint64_t checkpoint_id);
/* Heap key "savepoint/<job-id>/<path>". */
char		*state_savepoint_key(const char *job_id, const char *path);

enum state_ckpt_status {
	STATE_CKPT_PREPARED = 0,	/* files written, catalog commit next */
	STATE_CKPT_COMMITTED		/* the snapshot is in the table */
};

/*
 * A checkpoint record.  Strings and the files array are heap copies owned
 * by the struct: state_ckpt_get fills them, state_ckpt_clear frees them.
 * offsets is JSON text {"<topic>":{"<partition>":<next offset>}}, stored
 * verbatim.
 */
struct state_ckpt {
	char			 job_id[33];
	uint64_t		 checkpoint_id;
	enum state_ckpt_status	 status;
	int64_t			 snapshot_id;
	char			*manifest_list;	/* path or URL */
	char			*offsets;	/* JSON text */
	char			**files;	/* data file paths or URLs */
	size_t			 nfiles;
	int64_t			 prepared_ms;	/* epoch ms */
	int64_t			 committed_ms;	/* epoch ms, 0 if not yet */
};

/* Write (or overwrite) the record of ck->job_id / ck->checkpoint_id. */
int		 state_ckpt_put(struct state *, const struct state_ckpt *,
		    char **cause);
/* The same through state_put_async. */
void		 state_ckpt_put_async(struct state *, struct worker *,
		    const struct state_ckpt *, state_done_fn, void *);
/* Read one checkpoint: 1 found, 0 absent, -1 error (also if malformed). */
int		 state_ckpt_get(struct state *, const char *job_id,
		    uint64_t checkpoint_id, struct state_ckpt *, char **cause);
/* The job's checkpoint with the highest id: 1 found, 0 none, -1 error. */
int		 state_ckpt_newest(struct state *, const char *job_id,
		    struct state_ckpt *, char **cause);
/* Free what a get filled in and zero the struct. */
void		 state_ckpt_clear(struct state_ckpt *);
/* Encode to JSON text (heap) / decode from bytes; decode -1 and cause. */
char		*state_ckpt_encode(const struct state_ckpt *);
int		 state_ckpt_decode(const void *, size_t, struct state_ckpt *,
		    char **cause);

#endif
