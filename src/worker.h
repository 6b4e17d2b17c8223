/*
 * worker.h: one background thread for the blocking work the event loop
 * must not wait for (fsync of local files, LMDB commits).  Jobs run on the
 * thread one at a time, in the order they were submitted; each job's
 * completion then runs on the loop, also in order.
 */
#ifndef BRONZE_WORKER_H
#define BRONZE_WORKER_H

struct event_base;
struct worker;

/* Runs on the worker thread: must touch only what arg owns. */
typedef void	(*worker_run_fn)(void *arg);
/* Runs on the loop after run(arg) returned; frees what arg owns. */
typedef void	(*worker_done_fn)(void *arg);

/*
 * A worker delivering completions on base; the thread starts at once,
 * named name (at most 15 characters).
 */
struct worker	*worker_new(struct event_base *base, const char *name);
/*
 * Queue run(arg), then done(arg) on the loop.  The loop stays alive (one
 * event armed) while any job is queued or its completion undelivered.
 */
void		 worker_submit(struct worker *, worker_run_fn run,
		    worker_done_fn done, void *arg);
/* Jobs submitted and not yet completed on the loop. */
size_t		 worker_pending(const struct worker *);
/*
 * Run every queued job, stop the thread, then run the completions not yet
 * delivered (on the calling thread) and free the worker.  NULL is fine.
 */
void		 worker_free(struct worker *);

#endif
