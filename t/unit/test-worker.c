/*
 * test-worker.c: unit tests for the background worker: jobs run off the
 * loop thread in submission order, completions run on the loop in the same
 * order, an idle worker lets the loop end, worker_free finishes the queue;
 * and the state store's writes through it (state_put_async) while the loop
 * reads the same store.
 */
#include <sys/resource.h>

#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "state.h"
#include "tap.h"
#include "worker.h"
#include "xmalloc.h"

#define NJOBS	300

struct job_log {
	pthread_t	 loop;		/* the loop's thread */
	int		 ran[NJOBS];	/* order run() saw, by index */
	int		 nran;		/* written by the worker only */
	int		 done[NJOBS];
	int		 ndone;
	int		 off_loop;	/* run() calls not on the loop thread */
	int		 on_loop;	/* done() calls on the loop thread */
};

struct job_arg {
	struct job_log	*log;
	int		 i;
};

static void
job_run(void *arg)
{
	struct job_arg		*a = arg;
	struct timespec		 ts = { 0, 200000 };

	if (a->i % 50 == 0)
		nanosleep(&ts, NULL);	/* a slow one keeps the queue long */
	a->log->ran[a->log->nran++] = a->i;
	if (!pthread_equal(pthread_self(), a->log->loop))
		a->log->off_loop++;
}

static void
job_done(void *arg)
{
	struct job_arg	*a = arg;

	a->log->done[a->log->ndone++] = a->i;
	if (pthread_equal(pthread_self(), a->log->loop))
		a->log->on_loop++;
	free(a);
}

static void
submit_all(struct worker *w, struct job_log *log, int n)
{
	struct job_arg	*a;
	int		 i;

	for (i = 0; i < n; i++) {
		a = xcalloc(1, sizeof *a);
		a->log = log;
		a->i = i;
		worker_submit(w, job_run, job_done, a);
	}
}

/* The loop ends by itself once every completion ran: nothing else is armed. */
static void
test_order(void)
{
	struct event_base	*base = event_base_new();
	struct worker		*w = worker_new(base, "test-worker");
	struct job_log		 log;
	int			 i, inorder = 1;

	memset(&log, 0, sizeof log);
	log.loop = pthread_self();
	TAP_CHECK_INT(worker_pending(w), 0);
	/* 1: the loop ended because nothing was armed */
	TAP_CHECK_INT(event_base_dispatch(base), 1);
	submit_all(w, &log, NJOBS);
	TAP_CHECK_INT(worker_pending(w), NJOBS);
	TAP_CHECK_INT(event_base_dispatch(base), 1);
	TAP_CHECK_INT(log.nran, NJOBS);
	TAP_CHECK_INT(log.ndone, NJOBS);
	TAP_CHECK_INT(log.off_loop, NJOBS);
	TAP_CHECK_INT(log.on_loop, NJOBS);
	TAP_CHECK_INT(worker_pending(w), 0);
	for (i = 0; i < NJOBS; i++)
		if (log.ran[i] != i || log.done[i] != i)
			inorder = 0;
	TAP_CHECK(inorder);
	worker_free(w);
	event_base_free(base);
}

/* worker_free runs what is queued, then the undelivered completions. */
static void
test_free_drains(void)
{
	struct event_base	*base = event_base_new();
	struct worker		*w = worker_new(base, "test-worker");
	struct job_log		 log;

	memset(&log, 0, sizeof log);
	log.loop = pthread_self();
	submit_all(w, &log, 120);
	worker_free(w);
	TAP_CHECK_INT(log.nran, 120);
	TAP_CHECK_INT(log.ndone, 120);
	TAP_CHECK_INT(log.on_loop, 120);
	worker_free(NULL);
	TAP_CHECK_INT(worker_pending(NULL), 0);
	event_base_free(base);
}

static char	tmpdir[64];

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return (remove(path));
}

struct put_log {
	int	 n;
	int	 failed;
	char	*last_cause;
};

static void
put_done(const char *cause, void *arg)
{
	struct put_log	*pl = arg;

	pl->n++;
	if (cause != NULL) {
		pl->failed++;
		free(pl->last_cause);
		pl->last_cause = xstrdup(cause);
	}
}

/* Read the store from the loop while the worker writes to it. */
static void
reader_cb(evutil_socket_t fd, short what, void *arg)
{
	struct state	*st = arg;
	struct buf	 b = BUF_INIT;
	char		*cause = NULL;

	if (state_get(st, "k/0000", &b, &cause) == -1)
		free(cause);
	buf_free(&b);
}

static void
test_state_async(void)
{
	struct event_base	*base = event_base_new();
	struct worker		*w = worker_new(base, "test-worker");
	struct event		*reader;
	struct timeval		 tv = { 0, 100 };
	struct state		*st;
	struct put_log		 pl;
	struct buf		 b = BUF_INIT;
	char			*dir, *cause = NULL, key[32], val[4096];
	int			 i;

	strcpy(tmpdir, "/tmp/test-worker-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		abort();
	dir = xasprintf("%s/state", tmpdir);
	st = state_open(dir, &cause);
	TAP_CHECK(st != NULL);
	if (st == NULL)
		return;
	memset(&pl, 0, sizeof pl);
	/* 4 KB values: the 2 MiB map has to grow on the worker thread */
	memset(val, 'v', sizeof val);
	for (i = 0; i < 1500; i++) {
		snprintf(key, sizeof key, "k/%04d", i);
		val[0] = (char)('a' + i % 26);
		state_put_async(st, w, key, val, sizeof val, put_done, &pl);
	}
	state_put_async(st, w, "", "x", 1, put_done, &pl);	/* bad key */
	reader = event_new(base, -1, EV_PERSIST, reader_cb, st);
	event_add(reader, &tv);
	while (pl.n < 1501)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(reader);
	TAP_CHECK_INT(pl.failed, 1);
	TAP_CHECK(pl.last_cause != NULL &&
	    strstr(pl.last_cause, "key of 0 bytes") != NULL);
	TAP_CHECK(state_map_size(st) > ((size_t)2 << 20));
	TAP_CHECK_INT(state_get(st, "k/1499", &b, &cause), 1);
	TAP_CHECK_INT(b.len, sizeof val);
	TAP_CHECK(b.len > 0 && b.data[0] == 'a' + 1499 % 26);
	buf_free(&b);
	worker_free(w);
	state_close(st);
	/* durable: another open sees every record */
	st = state_open(dir, &cause);
	TAP_CHECK(st != NULL);
	if (st != NULL) {
		TAP_CHECK_INT(state_get(st, "k/0750", &b, &cause), 1);
		state_close(st);
	}
	buf_free(&b);
	free(pl.last_cause);
	free(dir);
	event_base_free(base);
	nftw(tmpdir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* The thread is named (and runs at the loop's priority). */
struct thread_facts {
	int	 nice;
	char	 comm[32];
};

static void
facts_run(void *arg)
{
	struct thread_facts	*f = arg;
	FILE			*fp;

	f->nice = getpriority(PRIO_PROCESS, (id_t)gettid());
	if ((fp = fopen("/proc/thread-self/comm", "r")) != NULL) {
		if (fgets(f->comm, sizeof f->comm, fp) != NULL)
			f->comm[strcspn(f->comm, "\n")] = '\0';
		fclose(fp);
	}
}

static void
facts_done(void *arg)
{
	(void)arg;
}

static void
test_thread(void)
{
	struct event_base	*base = event_base_new();
	struct worker		*w = worker_new(base, "test-worker");
	struct thread_facts	 f;
	int			 loop_nice = getpriority(PRIO_PROCESS, 0);

	memset(&f, 0, sizeof f);
	worker_submit(w, facts_run, facts_done, &f);
	TAP_CHECK_INT(event_base_dispatch(base), 1);
	TAP_CHECK_STR(f.comm, "test-worker");
	TAP_CHECK_INT(f.nice, loop_nice);
	worker_free(w);
	event_base_free(base);
}

static const struct tap_case cases[] = {
	{ "the thread is named, at the loop's priority",
	    test_thread },
	{ "jobs run off the loop in order, completions on the loop in order",
	    test_order },
	{ "worker_free finishes the queue and delivers the completions",
	    test_free_drains },
	{ "state writes on the worker while the loop reads; the map grows "
	    "there", test_state_async },
};

int
main(void)
{
	return (tap_run(cases, sizeof cases / sizeof cases[0]));
}
