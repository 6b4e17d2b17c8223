/*
 * http.c: asynchronous HTTP client, libcurl multi on the libevent loop.
 *
 * CURLMOPT_SOCKETFUNCTION keeps one struct event per socket curl wants
 * watched, CURLMOPT_TIMERFUNCTION drives one evtimer; every wakeup calls
 * curl_multi_socket_action() and then drains curl_multi_info_read().
 * Each attempt of a request gets a fresh easy handle; the multi handle's
 * connection cache makes consecutive requests to one host reuse sockets.
 */
#include <sys/queue.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "buf.h"
#include "daemon.h"
#include "http.h"
#include "log.h"
#include "xmalloc.h"

#define HTTP_MAGIC		0x48545450u	/* "HTTP" */
#define HTTP_REQUEST_MAGIC	0x48524551u	/* "HREQ" */
#define HTTP_SOCK_MAGIC		0x48534f43u	/* "HSOC" */

static const char *http_class_names[] = {
	"2xx", "3xx", "4xx", "5xx", "error", "retry", "connect"
};
#define HTTP_NCLASS (sizeof(http_class_names) / sizeof(http_class_names[0]))
#define HTTP_CLASS_ERROR 4
#define HTTP_CLASS_RETRY 5
#define HTTP_CLASS_CONNECT 6

struct http_stat {
	char		*kind;
	uint64_t	 n[HTTP_NCLASS];
};

enum http_req_state {
	HTTP_REQ_NEW = 0,
	HTTP_REQ_QUEUED,
	HTTP_REQ_ACTIVE,
	HTTP_REQ_BACKOFF
};

#define HTTP_MAX_ERROR_BODY	(64 * 1024)

struct http_request {
	uint32_t		 magic;
	enum http_req_state	 state;
	struct http		*http;
	char			*method;
	char			*url;
	char			*kind;
	struct curl_slist	*headers;
	char			*sigv4;
	char			*key_id;
	char			*secret;

	int			 has_body;
	struct buf		 body;
	http_read_cb		 reader;
	void			*reader_arg;
	uint64_t		 body_len;
	uint64_t		 body_off;

	uint64_t		 timeout_ms;
	int			 max_attempts;
	uint64_t		 budget_ms;
	size_t			 max_body;
	int			 too_big;

	CURL			*easy;
	char			 errbuf[CURL_ERROR_SIZE];
	struct buf		 resp_body;
	struct buf		 resp_headers;
	int			 attempts;
	uint64_t		 start_ms;
	struct event		*backoff;

	http_done_cb		 cb;
	void			*cb_arg;
	TAILQ_ENTRY(http_request) all_entry;
	TAILQ_ENTRY(http_request) queue_entry;
};
TAILQ_HEAD(http_requests, http_request);

struct http_sock {
	uint32_t		 magic;
	struct http		*http;
	curl_socket_t		 fd;
	struct event		*ev;
	TAILQ_ENTRY(http_sock)	 entry;
};
TAILQ_HEAD(http_socks, http_sock);

struct http {
	uint32_t		 magic;
	struct event_base	*base;
	CURLM			*multi;
	struct event		*timer;
	struct http_options	 opt;
	struct http_requests	 all;
	struct http_requests	 queue;
	struct http_socks	 socks;
	size_t			 npending;
	int			 nactive;
	struct http_stat	*stats;
	size_t			 nstats;
};

static void	http_pump(struct http *);
static void	http_check_done(struct http *);

static void
http_ms_to_tv(uint64_t ms, struct timeval *tv)
{
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

void
http_options_default(struct http_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max_active = 16;
	o->max_attempts = 5;
	o->retry_budget_ms = 60000;
	o->backoff_base_ms = 100;
	o->backoff_max_ms = 5000;
	o->timeout_ms = 120000;
	o->connect_timeout_ms = 5000;
	o->stall_timeout_ms = 30000;
}

/* Count one outcome of class cls for kind. */
static void
http_stats_add(struct http *h, const char *kind, size_t cls)
{
	size_t	i;

	for (i = 0; i < h->nstats; i++) {
		if (strcmp(h->stats[i].kind, kind) == 0)
			break;
	}
	if (i == h->nstats) {
		h->stats = xreallocarray(h->stats, h->nstats + 1,
		    sizeof(*h->stats));
		memset(&h->stats[i], 0, sizeof(h->stats[i]));
		h->stats[i].kind = xstrdup(kind);
		h->nstats++;
	}
	h->stats[i].n[cls]++;
}

void
http_stats_visit(struct http *h, http_stats_cb cb, void *arg)
{
	size_t	i, c;

	for (i = 0; i < h->nstats; i++) {
		for (c = 0; c < HTTP_NCLASS; c++)
			cb(h->stats[i].kind, http_class_names[c],
			    h->stats[i].n[c], arg);
	}
}

uint64_t
http_stats_get(struct http *h, const char *kind, const char *cls)
{
	size_t	i, c;

	for (i = 0; i < h->nstats; i++) {
		if (strcmp(h->stats[i].kind, kind) != 0)
			continue;
		for (c = 0; c < HTTP_NCLASS; c++) {
			if (strcmp(http_class_names[c], cls) == 0)
				return (h->stats[i].n[c]);
		}
	}
	return (0);
}

size_t
http_pending(struct http *h)
{
	return (h->npending);
}

/* libevent callback: activity on a socket curl watches. */
static void
http_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_sock	*s = arg;
	struct http		*h = s->http;
	int			 flags = 0, running;

	if (s->magic != HTTP_SOCK_MAGIC)
		fatalx("%s: bad magic", __func__);
	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	http_check_done(h);
}

static void
http_sock_free(struct http *h, struct http_sock *s)
{
	TAILQ_REMOVE(&h->socks, s, entry);
	event_free(s->ev);
	s->magic = 0;
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: (re)arm or drop the event for one socket. */
static int
http_socket_cb(CURL *easy, curl_socket_t fd, int what, void *arg,
    void *sockp)
{
	struct http		*h = arg;
	struct http_sock	*s = sockp;
	short			 ev;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curl_multi_assign(h->multi, fd, NULL);
			http_sock_free(h, s);
		}
		return (0);
	}
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->magic = HTTP_SOCK_MAGIC;
		s->http = h;
		s->fd = fd;
		TAILQ_INSERT_TAIL(&h->socks, s, entry);
		curl_multi_assign(h->multi, fd, s);
	} else
		event_free(s->ev);
	ev = EV_PERSIST;
	if (what & CURL_POLL_IN)
		ev |= EV_READ;
	if (what & CURL_POLL_OUT)
		ev |= EV_WRITE;
	s->ev = event_new(h->base, fd, ev, http_sock_cb, s);
	event_add(s->ev, NULL);
	return (0);
}

/* libevent callback: curl's timer expired. */
static void
http_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http	*h = arg;
	int		 running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_check_done(h);
}

/* CURLMOPT_TIMERFUNCTION: curl wants a wakeup in ms (-1: none). */
static int
http_timerfn_cb(CURLM *multi, long ms, void *arg)
{
	struct http	*h = arg;
	struct timeval	 tv;

	if (ms < 0) {
		evtimer_del(h->timer);
		return (0);
	}
	http_ms_to_tv((uint64_t)ms, &tv);
	evtimer_add(h->timer, &tv);
	return (0);
}

struct http *
http_new(struct event_base *base, const struct http_options *opt,
    char **cause)
{
	struct http	*h;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*cause = xstrdup("curl_global_init failed");
		return (NULL);
	}
	h = xcalloc(1, sizeof(*h));
	h->magic = HTTP_MAGIC;
	h->base = base;
	if (opt != NULL)
		h->opt = *opt;
	else
		http_options_default(&h->opt);
	if (h->opt.max_active < 1)
		h->opt.max_active = 1;
	if (h->opt.max_attempts < 1)
		h->opt.max_attempts = 1;
	TAILQ_INIT(&h->all);
	TAILQ_INIT(&h->queue);
	TAILQ_INIT(&h->socks);
	h->multi = curl_multi_init();
	if (h->multi == NULL) {
		free(h);
		*cause = xstrdup("curl_multi_init failed");
		return (NULL);
	}
	h->timer = evtimer_new(base, http_timer_cb, h);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_timerfn_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)h->opt.max_active);
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS,
	    (long)h->opt.max_active);
	return (h);
}

void
http_free(struct http *h)
{
	struct http_request	*r;
	struct http_sock	*s;
	size_t			 i;

	if (h == NULL)
		return;
	while ((r = TAILQ_FIRST(&h->all)) != NULL)
		http_cancel(h, r);
	curl_multi_cleanup(h->multi);
	while ((s = TAILQ_FIRST(&h->socks)) != NULL)
		http_sock_free(h, s);
	event_free(h->timer);
	for (i = 0; i < h->nstats; i++)
		free(h->stats[i].kind);
	free(h->stats);
	h->magic = 0;
	free(h);
}

struct http_request *
http_request_new(const char *method, const char *url, const char *kind)
{
	struct http_request	*r;

	r = xcalloc(1, sizeof(*r));
	r->magic = HTTP_REQUEST_MAGIC;
	r->method = xstrdup(method);
	r->url = xstrdup(url);
	r->kind = xstrdup(kind != NULL ? kind : "http");
	buf_init(&r->body);
	buf_init(&r->resp_body);
	buf_init(&r->resp_headers);
	return (r);
}

void
http_request_header(struct http_request *r, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;

	va_start(ap, fmt);
	line = xvasprintf(fmt, ap);
	va_end(ap);
	r->headers = curl_slist_append(r->headers, line);
	if (r->headers == NULL)
		fatalx("%s: out of memory", __func__);
	free(line);
}

void
http_request_body(struct http_request *r, struct buf *b)
{
	buf_free(&r->body);
	r->body = *b;
	buf_init(b);
	r->has_body = 1;
	r->reader = NULL;
	r->body_len = r->body.len;
}

void
http_request_body_reader(struct http_request *r, uint64_t len,
    http_read_cb cb, void *arg)
{
	buf_free(&r->body);
	r->has_body = 1;
	r->reader = cb;
	r->reader_arg = arg;
	r->body_len = len;
}

void
http_request_sigv4(struct http_request *r, const char *provider,
    const char *key_id, const char *secret)
{
	free(r->sigv4);
	free(r->key_id);
	if (r->secret != NULL)
		explicit_bzero(r->secret, strlen(r->secret));
	free(r->secret);
	r->sigv4 = xstrdup(provider);
	r->key_id = xstrdup(key_id);
	r->secret = xstrdup(secret);
}

void
http_request_timeout(struct http_request *r, uint64_t ms)
{
	r->timeout_ms = ms;
}

void
http_request_retry(struct http_request *r, int max_attempts,
    uint64_t budget_ms)
{
	r->max_attempts = max_attempts < 1 ? 1 : max_attempts;
	r->budget_ms = budget_ms;
}

void
http_request_max_body(struct http_request *r, size_t max)
{
	r->max_body = max;
}

void
http_request_free(struct http_request *r)
{
	if (r == NULL)
		return;
	if (r->magic != HTTP_REQUEST_MAGIC)
		fatalx("%s: bad magic", __func__);
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	if (r->backoff != NULL)
		event_free(r->backoff);
	curl_slist_free_all(r->headers);
	free(r->method);
	free(r->url);
	free(r->kind);
	free(r->sigv4);
	free(r->key_id);
	if (r->secret != NULL)
		explicit_bzero(r->secret, strlen(r->secret));
	free(r->secret);
	buf_free(&r->body);
	buf_free(&r->resp_body);
	buf_free(&r->resp_headers);
	r->magic = 0;
	free(r);
}

/* CURLOPT_READFUNCTION: feed the request body. */
static size_t
http_read_cb_curl(char *dst, size_t size, size_t n, void *arg)
{
	struct http_request	*r = arg;
	size_t			 want = size * n, got;

	if (r->body_off >= r->body_len)
		return (0);
	if (want > r->body_len - r->body_off)
		want = r->body_len - r->body_off;
	if (r->reader != NULL)
		got = r->reader(r->reader_arg, r->body_off, (uint8_t *)dst,
		    want);
	else {
		memcpy(dst, r->body.data + r->body_off, want);
		got = want;
	}
	r->body_off += got;
	return (got);
}

/* CURLOPT_SEEKFUNCTION: curl rewinds the body (e.g. on a resend). */
static int
http_seek_cb(void *arg, curl_off_t off, int origin)
{
	struct http_request	*r = arg;

	if (origin != SEEK_SET || off < 0 || (uint64_t)off > r->body_len)
		return (CURL_SEEKFUNC_FAIL);
	r->body_off = (uint64_t)off;
	return (CURL_SEEKFUNC_OK);
}

/*
 * CURLOPT_WRITEFUNCTION: collect the response body.  The caller's limit
 * is for the answer it asked for; an error answer (not 2xx) is kept up
 * to HTTP_MAX_ERROR_BODY so that it can be classified and reported.
 */
static size_t
http_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_request	*r = arg;
	size_t			 len = size * n, max = r->max_body;
	long			 status = 0;

	if (max != 0 &&
	    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status) ==
	    CURLE_OK && (status < 200 || status > 299))
		max = max > HTTP_MAX_ERROR_BODY ? max : HTTP_MAX_ERROR_BODY;
	if (max != 0 && r->resp_body.len + len > max) {
		r->too_big = 1;
		return (0);
	}
	buf_append(&r->resp_body, data, len);
	return (len);
}

/* CURLOPT_HEADERFUNCTION: keep the header lines of the last response. */
static size_t
http_header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_request	*r = arg;
	size_t			 len = size * n;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
		buf_reset(&r->resp_headers);
	buf_append(&r->resp_headers, data, len);
	return (len);
}

/* Set the method and body options of an easy handle. */
static void
http_setup_method(struct http_request *r, CURL *e)
{
	int	 upload;

	upload = r->has_body || strcmp(r->method, "PUT") == 0 ||
	    strcmp(r->method, "POST") == 0;
	if (strcmp(r->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (upload) {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, http_read_cb_curl);
		curl_easy_setopt(e, CURLOPT_READDATA, r);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, http_seek_cb);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, r);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)r->body_len);
		curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024);
		if (strcmp(r->method, "PUT") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	} else if (strcmp(r->method, "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
}

/* Create the easy handle for the next attempt and add it to the multi. */
static void
http_start(struct http *h, struct http_request *r)
{
	CURL	*e;

	if ((e = curl_easy_init()) == NULL)
		fatalx("%s: curl_easy_init failed", __func__);
	r->easy = e;
	r->attempts++;
	r->body_off = 0;
	r->too_big = 0;
	r->errbuf[0] = '\0';
	buf_reset(&r->resp_body);
	buf_reset(&r->resp_headers);
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(r->timeout_ms != 0 ?
	    r->timeout_ms : h->opt.timeout_ms));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)h->opt.connect_timeout_ms);
	/* a connection that went silent is retried long before timeout_ms */
	if (h->opt.stall_timeout_ms > 0) {
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
		    (long)((h->opt.stall_timeout_ms + 999) / 1000));
	}
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024);
	if (r->sigv4 != NULL) {
		curl_easy_setopt(e, CURLOPT_AWS_SIGV4, r->sigv4);
		curl_easy_setopt(e, CURLOPT_USERNAME, r->key_id);
		curl_easy_setopt(e, CURLOPT_PASSWORD, r->secret);
	}
	http_setup_method(r, e);
	r->state = HTTP_REQ_ACTIVE;
	h->nactive++;
	curl_multi_add_handle(h->multi, e);
}

/* Start queued requests while there are free slots. */
static void
http_pump(struct http *h)
{
	struct http_request	*r;

	while (h->nactive < h->opt.max_active &&
	    (r = TAILQ_FIRST(&h->queue)) != NULL) {
		TAILQ_REMOVE(&h->queue, r, queue_entry);
		http_start(h, r);
	}
}

void
http_submit(struct http *h, struct http_request *r, http_done_cb cb,
    void *arg)
{
	if (h->magic != HTTP_MAGIC || r->magic != HTTP_REQUEST_MAGIC)
		fatalx("%s: bad magic", __func__);
	if (r->state != HTTP_REQ_NEW)
		fatalx("%s: request submitted twice", __func__);
	r->http = h;
	r->cb = cb;
	r->cb_arg = arg;
	if (r->max_attempts == 0) {
		r->max_attempts = h->opt.max_attempts;
		r->budget_ms = h->opt.retry_budget_ms;
	}
	r->start_ms = daemon_mono_ms();
	TAILQ_INSERT_TAIL(&h->all, r, all_entry);
	h->npending++;
	r->state = HTTP_REQ_QUEUED;
	TAILQ_INSERT_TAIL(&h->queue, r, queue_entry);
	http_pump(h);
}

/* Take a request out of the client's lists (it stays allocated). */
static void
http_detach(struct http *h, struct http_request *r)
{
	switch (r->state) {
	case HTTP_REQ_QUEUED:
		TAILQ_REMOVE(&h->queue, r, queue_entry);
		break;
	case HTTP_REQ_ACTIVE:
		curl_multi_remove_handle(h->multi, r->easy);
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
		h->nactive--;
		break;
	case HTTP_REQ_BACKOFF:
		evtimer_del(r->backoff);
		break;
	case HTTP_REQ_NEW:
		fatalx("%s: request not submitted", __func__);
	}
	TAILQ_REMOVE(&h->all, r, all_entry);
	h->npending--;
	r->state = HTTP_REQ_NEW;
}

void
http_cancel(struct http *h, struct http_request *r)
{
	if (r->magic != HTTP_REQUEST_MAGIC)
		fatalx("%s: bad magic", __func__);
	http_detach(h, r);
	http_request_free(r);
}

/* Is this transport error worth another try? */
static int
http_curl_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return (1);
	default:
		return (0);
	}
}

static int
http_status_retryable(long status)
{
	return (status == 429 || status == 500 || status == 502 ||
	    status == 503 || status == 504);
}

/* Full-jitter backoff before attempt number "attempts" + 1. */
static uint64_t
http_backoff_ms(struct http *h, int attempts)
{
	uint64_t	cap = h->opt.backoff_base_ms;
	int		i;

	for (i = 1; i < attempts && cap < h->opt.backoff_max_ms; i++)
		cap *= 2;
	if (cap > h->opt.backoff_max_ms)
		cap = h->opt.backoff_max_ms;
	if (cap == 0)
		return (0);
	return (arc4random_uniform((uint32_t)(cap > UINT32_MAX - 1 ?
	    UINT32_MAX - 1 : cap) + 1));
}

/* libevent callback: a backoff wait is over, queue the retry first. */
static void
http_backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_request	*r = arg;
	struct http		*h = r->http;

	if (r->magic != HTTP_REQUEST_MAGIC)
		fatalx("%s: bad magic", __func__);
	r->state = HTTP_REQ_QUEUED;
	TAILQ_INSERT_HEAD(&h->queue, r, queue_entry);
	http_pump(h);
}

/* Try to schedule another attempt; 0 if the policy says no. */
static int
http_retry(struct http *h, struct http_request *r)
{
	uint64_t	delay, elapsed;
	struct timeval	tv;

	if (r->attempts >= r->max_attempts)
		return (0);
	delay = http_backoff_ms(h, r->attempts);
	elapsed = daemon_mono_ms() - r->start_ms;
	if (elapsed + delay > r->budget_ms)
		return (0);
	http_stats_add(h, r->kind, HTTP_CLASS_RETRY);
	log_debug("http: %s %s: retry %d in %llu ms", r->method, r->url,
	    r->attempts, (unsigned long long)delay);
	if (r->backoff == NULL)
		r->backoff = evtimer_new(h->base, http_backoff_cb, r);
	r->state = HTTP_REQ_BACKOFF;
	http_ms_to_tv(delay, &tv);
	evtimer_add(r->backoff, &tv);
	return (1);
}

/* Build the error text for a transfer that got no HTTP response. */
static char *
http_error_text(struct http_request *r, CURLcode rc)
{
	uint64_t	 elapsed = daemon_mono_ms() - r->start_ms;

	if (r->too_big)
		return (xasprintf("%s %s: response larger than %zu bytes",
		    r->method, r->url, r->max_body));
	return (xasprintf("%s %s: %s (%d attempt%s in %llu.%03llu s)",
	    r->method, r->url, r->errbuf[0] != '\0' ? r->errbuf :
	    curl_easy_strerror(rc), r->attempts,
	    r->attempts == 1 ? "" : "s",
	    (unsigned long long)(elapsed / 1000),
	    (unsigned long long)(elapsed % 1000)));
}

/* One attempt ended: retry it or complete the request. */
static void
http_finish(struct http *h, struct http_request *r, CURLcode rc)
{
	struct http_response	 resp;
	long			 status = 0, connects = 0;
	char			*error = NULL;
	size_t			 cls;

	if (rc == CURLE_OK)
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(r->easy, CURLINFO_NUM_CONNECTS, &connects);
	while (connects-- > 0)
		http_stats_add(h, r->kind, HTTP_CLASS_CONNECT);
	curl_multi_remove_handle(h->multi, r->easy);
	curl_easy_cleanup(r->easy);
	r->easy = NULL;
	h->nactive--;
	cls = rc != CURLE_OK || status < 200 ? HTTP_CLASS_ERROR :
	    (size_t)(status / 100 - 2);
	if (cls > HTTP_CLASS_ERROR)
		cls = HTTP_CLASS_ERROR;
	http_stats_add(h, r->kind, cls);

	memset(&resp, 0, sizeof(resp));
	resp.retryable = rc != CURLE_OK ? (!r->too_big &&
	    http_curl_retryable(rc)) : http_status_retryable(status);
	if (resp.retryable && http_retry(h, r)) {
		http_pump(h);
		return;
	}
	if (rc != CURLE_OK)
		error = http_error_text(r, rc);
	TAILQ_REMOVE(&h->all, r, all_entry);
	h->npending--;
	r->state = HTTP_REQ_NEW;
	resp.status = status;
	resp.error = error;
	resp.attempts = r->attempts;
	resp.body = &r->resp_body;
	resp.headers = buf_cstr(&r->resp_headers);
	r->cb(&resp, r->cb_arg);
	free(error);
	http_request_free(r);
	http_pump(h);
}

/* Drain curl's completion messages. */
static void
http_check_done(struct http *h)
{
	CURLMsg			*m;
	int			 left;
	struct http_request	*r;
	char			*p;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
		r = (struct http_request *)p;
		if (r == NULL || r->magic != HTTP_REQUEST_MAGIC)
			fatalx("%s: bad magic", __func__);
		http_finish(h, r, m->data.result);
	}
}

char *
http_response_header(const struct http_response *resp, const char *name)
{
	const char	*p, *eol, *v;
	size_t		 n = strlen(name);

	if (resp->headers == NULL)
		return (NULL);
	for (p = resp->headers; *p != '\0'; p = eol + (*eol != '\0')) {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		if ((size_t)(eol - p) <= n || p[n] != ':' ||
		    strncasecmp(p, name, n) != 0)
			continue;
		v = p + n + 1;
		while (v < eol && isblank((unsigned char)*v))
			v++;
		while (eol > v && isspace((unsigned char)eol[-1]))
			eol--;
		return (xstrndup(v, eol - v));
	}
	return (NULL);
}
