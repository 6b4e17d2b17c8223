/*
 * storage-peer.c: child-process peers and loop probes for the storage
 * tests (see storage-peer.h).  Test code: blocking calls are fine here,
 * outside the event loop.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "http.h"
#include "s3.h"
#include "storage-peer.h"
#include "xmalloc.h"

extern char **environ;

double
peer_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6);
}

/* Read one line from fd within ms; heap string without newline or NULL. */
static char *
peer_read_line(int fd, int ms)
{
	char		 buf[4096];
	size_t		 len = 0;
	struct pollfd	 pfd;
	double		 end = peer_now_ms() + ms;
	ssize_t		 n;

	pfd.fd = fd;
	pfd.events = POLLIN;
	while (len < sizeof(buf) - 1) {
		if (poll(&pfd, 1, (int)(end - peer_now_ms()) + 1) <= 0)
			return (NULL);
		n = read(fd, buf + len, 1);
		if (n <= 0)
			return (NULL);
		if (buf[len] == '\n')
			break;
		len++;
	}
	buf[len] = '\0';
	return (xstrdup(buf));
}

/* Spawn argv with stdin and stdout on pipes; read its first line. */
static int
peer_spawn(struct peer *p, char *const argv[], char **skip)
{
	posix_spawn_file_actions_t	fa;
	int				in[2], out[2];

	memset(p, 0, sizeof(*p));
	if (pipe(in) != 0 || pipe(out) != 0) {
		*skip = xasprintf("pipe: %s", strerror(errno));
		return (-1);
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addclose(&fa, in[1]);
	posix_spawn_file_actions_addclose(&fa, out[0]);
	if (posix_spawnp(&p->pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		*skip = xasprintf("cannot run %s", argv[0]);
		return (-1);
	}
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	p->in = in[1];
	p->line = peer_read_line(out[0], 60000);
	close(out[0]);
	if (p->line == NULL || strncmp(p->line, "SKIP ", 5) == 0) {
		*skip = xstrdup(p->line != NULL ? p->line + 5 :
		    "helper printed nothing");
		peer_stop(p);
		return (-1);
	}
	return (0);
}

static const char *
peer_srcdir(void)
{
	const char	*d = getenv("BRONZE_SRCDIR");

	return (d != NULL && *d != '\0' ? d : ".");
}

int
peer_s3_start(struct peer *p, char **skip)
{
	char	*script, *argv[3];
	char	*sp;

	script = xasprintf("%s/t/helpers/s3server", peer_srcdir());
	argv[0] = "python3";
	argv[1] = script;
	argv[2] = NULL;
	if (peer_spawn(p, argv, skip) != 0) {
		free(script);
		return (-1);
	}
	free(script);
	p->url = xstrdup(strtok_r(p->line, " ", &sp));
	p->key_id = xstrdup(strtok_r(NULL, " ", &sp));
	p->secret = xstrdup(strtok_r(NULL, " ", &sp));
	return (0);
}

void
peer_s3_require(struct peer *p)
{
	char	*skip = NULL;

	if (peer_s3_start(p, &skip) != 0) {
		printf("1..0 # SKIP %s\n", skip);
		free(skip);
		exit(0);
	}
}

int
peer_proxy_start(struct peer *p, const char *upstream, double rate,
    int seed, const char *faults, const char *at, char **skip)
{
	char	*script, *r, *s, *argv[14];
	int	 n = 8, rc;

	script = xasprintf("%s/t/helpers/faultproxy.py", peer_srcdir());
	r = xasprintf("%g", rate);
	s = xasprintf("%d", seed);
	argv[0] = "python3";
	argv[1] = script;
	argv[2] = "--upstream";
	argv[3] = (char *)upstream;
	argv[4] = "--rate";
	argv[5] = r;
	argv[6] = "--seed";
	argv[7] = s;
	if (faults != NULL) {
		argv[n++] = "--faults";
		argv[n++] = (char *)faults;
	}
	if (at != NULL) {
		argv[n++] = "--at";
		argv[n++] = (char *)at;
	}
	argv[n] = NULL;
	rc = peer_spawn(p, argv, skip);
	if (rc == 0)
		p->url = xstrdup(p->line);
	free(script);
	free(r);
	free(s);
	return (rc);
}

int
peer_free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd, port = -1;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return (-1);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

struct s3 *
peer_s3_client(const struct peer *p, struct http *h, const char *endpoint,
    const char *secret, int path_style)
{
	struct s3_options	 o;
	struct s3		*s;
	char			*cause = NULL;

	memset(&o, 0, sizeof(o));
	o.endpoint = endpoint != NULL ? endpoint : p->url;
	o.region = "us-east-1";
	o.path_style = path_style;
	o.access_key_id = p->key_id;
	o.secret_access_key = secret != NULL ? secret : p->secret;
	if ((s = s3_new(h, &o, &cause)) == NULL) {
		printf("# s3_new: %s\n", cause);
		free(cause);
	}
	return (s);
}

void
peer_stop(struct peer *p)
{
	int	status;

	if (p->pid > 0) {
		close(p->in);
		if (waitpid(p->pid, &status, WNOHANG) == 0) {
			usleep(200000);
			if (waitpid(p->pid, &status, WNOHANG) == 0) {
				kill(p->pid, SIGTERM);
				waitpid(p->pid, &status, 0);
			}
		}
	}
	free(p->line);
	free(p->url);
	free(p->key_id);
	free(p->secret);
	memset(p, 0, sizeof(*p));
}

/* Wakes EVLOOP_ONCE up regularly so peer_run can check its deadline. */
static void
peer_wake_cb(evutil_socket_t fd, short what, void *arg)
{
}

int
peer_run(struct event_base *base, int *flag, int ms)
{
	double		 end = peer_now_ms() + ms;
	struct event	*wake;
	struct timeval	 tv = { 0, 50000 };

	wake = event_new(base, -1, EV_PERSIST, peer_wake_cb, NULL);
	event_add(wake, &tv);
	while (!*flag && peer_now_ms() < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(wake);
	return (*flag ? 0 : -1);
}

struct peer_ticker {
	struct event	*ev;
	double		 last;
	double		 last_wait;
	double		 max_gap;
	double		 max_loop_gap;
	uint64_t	 ticks;
};

/* Milliseconds this thread has spent runnable but not running. */
static double
peer_run_wait_ms(void)
{
	FILE			*f;
	unsigned long long	 run, wait = 0;

	if ((f = fopen("/proc/thread-self/schedstat", "r")) == NULL)
		return (0);
	if (fscanf(f, "%llu %llu", &run, &wait) != 2)
		wait = 0;
	fclose(f);
	return (wait / 1e6);
}

/* 10 ms ticker callback. */
static void
peer_ticker_cb(evutil_socket_t fd, short what, void *arg)
{
	struct peer_ticker	*t = arg;
	double			 now = peer_now_ms(), wait, gap;

	wait = peer_run_wait_ms();
	gap = now - t->last;
	if (gap > t->max_gap)
		t->max_gap = gap;
	if (gap - (wait - t->last_wait) > t->max_loop_gap)
		t->max_loop_gap = gap - (wait - t->last_wait);
	t->last = now;
	t->last_wait = wait;
	t->ticks++;
}

struct peer_ticker *
peer_ticker_new(struct event_base *base)
{
	struct peer_ticker	*t;
	struct timeval		 tv = { 0, 10000 };

	t = xcalloc(1, sizeof(*t));
	t->ev = event_new(base, -1, EV_PERSIST, peer_ticker_cb, t);
	t->last = peer_now_ms();
	t->last_wait = peer_run_wait_ms();
	event_add(t->ev, &tv);
	return (t);
}

double
peer_ticker_max_gap(struct peer_ticker *t, double *loop_gap,
    uint64_t *ticks)
{
	if (loop_gap != NULL)
		*loop_gap = t->max_loop_gap;
	if (ticks != NULL)
		*ticks = t->ticks;
	return (t->max_gap);
}

void
peer_ticker_free(struct peer_ticker *t)
{
	event_free(t->ev);
	free(t);
}

long
peer_peak_rss_kb(void)
{
	FILE	*f;
	char	 line[256];
	long	 kb = -1;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	}
	fclose(f);
	return (kb);
}
