/*
 * worker.c: one background thread for blocking work, completions on the
 * loop.  The thread takes jobs from a FIFO under a mutex; a finished job
 * moves to the done FIFO and a byte on a pipe wakes the loop, which runs
 * the completions (a bounded number per wake-up, so a burst of them cannot
 * hold the loop).  The pipe's event is armed only while jobs are pending,
 * so an idle worker does not keep event_base_dispatch() from returning.
 * The thread has a name (top -H, ps -L) and the loop's priority: it
 * writes the data files and state records that each commit waits for.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "worker.h"
#include "xmalloc.h"

#define WORKER_DONE_PER_WAKE	64

struct worker_job {
	worker_run_fn		 run;
	worker_done_fn		 done;
	void			*arg;
	struct worker_job	*next;
};

/* A FIFO of jobs. */
struct worker_list {
	struct worker_job	*head;
	struct worker_job	*tail;
};

struct worker {
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct worker_list	 todo;		/* under lock */
	struct worker_list	 finished;	/* under lock */
	int			 stop;		/* under lock */
	int			 wake[2];	/* pipe: thread -> loop */
	struct event		*ev;
	size_t			 pending;	/* loop thread only */
};

static void
worker_push(struct worker_list *l, struct worker_job *j)
{
	j->next = NULL;
	if (l->tail != NULL)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
}

static struct worker_job *
worker_pop(struct worker_list *l)
{
	struct worker_job	*j = l->head;

	if (j != NULL && (l->head = j->next) == NULL)
		l->tail = NULL;
	return (j);
}

/* Wake the loop; a full pipe already holds a wake-up. */
static void
worker_signal(struct worker *w)
{
	char	c = 0;

	while (write(w->wake[1], &c, 1) == -1 && errno == EINTR)
		continue;
}

static void *
worker_main(void *arg)
{
	struct worker		*w = arg;
	struct worker_job	*j;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (w->todo.head == NULL && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if ((j = worker_pop(&w->todo)) == NULL)
			break;		/* stopping with nothing left */
		pthread_mutex_unlock(&w->lock);
		j->run(j->arg);
		pthread_mutex_lock(&w->lock);
		worker_push(&w->finished, j);
		worker_signal(w);
	}
	pthread_mutex_unlock(&w->lock);
	return (NULL);
}

/* Run up to n finished jobs' completions; the number run. */
static size_t
worker_deliver(struct worker *w, size_t n)
{
	struct worker_job	*j;
	size_t			 ran = 0;

	while (ran < n) {
		pthread_mutex_lock(&w->lock);
		j = worker_pop(&w->finished);
		pthread_mutex_unlock(&w->lock);
		if (j == NULL)
			break;
		w->pending--;
		j->done(j->arg);
		free(j);
		ran++;
	}
	return (ran);
}

static void
worker_wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker	*w = arg;
	char		 drain[64];

	while (read(fd, drain, sizeof drain) > 0)
		continue;
	if (worker_deliver(w, WORKER_DONE_PER_WAKE) == WORKER_DONE_PER_WAKE)
		worker_signal(w);	/* more may wait: come back */
	if (w->pending == 0)
		event_del(w->ev);
}

struct worker *
worker_new(struct event_base *base, const char *name)
{
	struct worker	*w;
	sigset_t	 all, old;
	int		 i;

	w = xcalloc(1, sizeof *w);
	if (pipe2(w->wake, O_CLOEXEC | O_NONBLOCK) != 0)
		fatal("%s: pipe", __func__);
	w->ev = event_new(base, w->wake[0], EV_READ | EV_PERSIST,
	    worker_wake_cb, w);
	if (w->ev == NULL)
		fatalx("%s: event_new failed", __func__);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	/* Signals are the loop's: the thread blocks them all. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	i = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (i != 0) {
		errno = i;
		fatal("%s: pthread_create", __func__);
	}
	pthread_setname_np(w->thread, name);	/* top -H, ps -L */
	return (w);
}

void
worker_submit(struct worker *w, worker_run_fn run, worker_done_fn done,
    void *arg)
{
	struct worker_job	*j;

	j = xcalloc(1, sizeof *j);
	j->run = run;
	j->done = done;
	j->arg = arg;
	if (w->pending++ == 0)
		event_add(w->ev, NULL);
	pthread_mutex_lock(&w->lock);
	worker_push(&w->todo, j);
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

size_t
worker_pending(const struct worker *w)
{
	return (w != NULL ? w->pending : 0);
}

void
worker_free(struct worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	while (worker_deliver(w, SIZE_MAX) > 0)
		continue;
	event_free(w->ev);
	close(w->wake[0]);
	close(w->wake[1]);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w);
}
