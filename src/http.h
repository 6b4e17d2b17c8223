/*
 * http.h: asynchronous HTTP client on libcurl's multi interface, driven by
 * the daemon's libevent loop.  Nothing here blocks: sockets and the curl
 * timer are libevent events, retries wait on libevent timers.
 *
 * A request is built with http_request_new() and the http_request_*
 * setters, then handed to http_submit(): from then on the client owns it
 * and frees it right after its completion callback returns (or in
 * http_cancel()).  At most max_active transfers run at once; the rest wait
 * in a queue.  Connect errors, timeouts, dropped connections and HTTP 429,
 * 500, 502, 503 and 504 are retried with exponential backoff and full
 * jitter until the attempt count or the time budget runs out; no other
 * status is retried.
 */
#ifndef BRONZE_HTTP_H
#define BRONZE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct event_base;
struct http;
struct http_request;

struct http_options {
	int		 max_active;	/* concurrent transfers (16) */
	int		 max_attempts;	/* per request, 1 = no retry (5) */
	uint64_t	 retry_budget_ms; /* first try to last retry (60 s) */
	uint64_t	 backoff_base_ms; /* first backoff cap (100 ms) */
	uint64_t	 backoff_max_ms;  /* largest backoff cap (5 s) */
	uint64_t	 timeout_ms;	/* one whole attempt (120 s) */
	uint64_t	 connect_timeout_ms; /* (5 s) */
	uint64_t	 stall_timeout_ms; /* no byte either way for (30 s) */
};

/* What a completion callback sees; valid only during the callback. */
struct http_response {
	long		 status;	/* final HTTP status, 0 if none */
	const char	*error;		/* set iff no HTTP response arrived */
	int		 attempts;	/* tries made, retries included */
	int		 retryable;	/* the last outcome was retryable */
	struct buf	*body;		/* the callback may steal it */
	const char	*headers;	/* raw response header lines */
};

typedef void	(*http_done_cb)(struct http_response *, void *);
/*
 * Streaming request body: copy up to len bytes starting at body offset
 * "offset" into dst and return how many (0 only at the end).  Called again
 * from offset 0 when a request is retried.  It runs inside libcurl, so it
 * must not call back into the http client.
 */
typedef size_t	(*http_read_cb)(void *, uint64_t offset, uint8_t *dst,
		    size_t len);
/* Visit one counter: kind (the request's label), status class, count. */
typedef void	(*http_stats_cb)(const char *kind, const char *cls,
		    uint64_t n, void *);

void		 http_options_default(struct http_options *);
/* NULL and *cause if curl cannot be set up. */
struct http	*http_new(struct event_base *, const struct http_options *,
		    char **cause);
/* Cancel every request (no callbacks) and release the client. */
void		 http_free(struct http *);

/* kind labels the request in the statistics (e.g. "s3", "catalog"). */
struct http_request *http_request_new(const char *method, const char *url,
		    const char *kind);
/* Add a "Name: value" header line. */
void		 http_request_header(struct http_request *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* Body from a buffer: its storage moves into the request (b left empty). */
void		 http_request_body(struct http_request *, struct buf *);
/* Body pulled through a callback, len bytes in all. */
void		 http_request_body_reader(struct http_request *, uint64_t len,
		    http_read_cb, void *);
/* Sign with AWS SigV4, provider e.g. "aws:amz:us-east-1:s3". */
void		 http_request_sigv4(struct http_request *, const char *provider,
		    const char *key_id, const char *secret);
/* Override the client's per-attempt timeout and retry policy. */
void		 http_request_timeout(struct http_request *, uint64_t ms);
void		 http_request_retry(struct http_request *, int max_attempts,
		    uint64_t budget_ms);
/* Fail (without retry) once the response body would exceed max bytes. */
void		 http_request_max_body(struct http_request *, size_t);
/* Free a request that was never submitted. */
void		 http_request_free(struct http_request *);

/* Start (or queue) the request; cb runs exactly once, from the loop. */
void		 http_submit(struct http *, struct http_request *,
		    http_done_cb, void *);
/* Stop a submitted request that has not completed; no callback. */
void		 http_cancel(struct http *, struct http_request *);

/* Value of response header name (case-insensitive), heap copy or NULL. */
char		*http_response_header(const struct http_response *,
		    const char *);

/*
 * Counters by kind and class: "2xx", "3xx", "4xx", "5xx" and "error" (no
 * response) count attempts, "retry" the retries scheduled, "connect" the
 * new connections opened (the rest reused one).
 */
void		 http_stats_visit(struct http *, http_stats_cb, void *);
uint64_t	 http_stats_get(struct http *, const char *kind,
		    const char *cls);
/* Requests submitted and not yet completed. */
size_t		 http_pending(struct http *);

#endif
