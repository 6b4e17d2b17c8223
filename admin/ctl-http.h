/*
 * ctl-http.h: how bronzectl talks to the daemon's admin API: one blocking
 * libcurl request at a time, JSON replies, and the CLI's exit statuses.
 *
 * struct ctl is the command line's settings, owned by main().  A struct
 * ctl_reply is filled by ctl_http_request() and released with
 * ctl_http_reply_free().
 */
#ifndef BRONZE_CTL_HTTP_H
#define BRONZE_CTL_HTTP_H

#include <stddef.h>

struct cJSON;

/* Exit statuses of bronzectl. */
#define CTL_EXIT_OK		0
#define CTL_EXIT_FAIL		1	/* API error, or not ready */
#define CTL_EXIT_UNREACHABLE	2	/* no answer from the daemon */
#define CTL_EXIT_USAGE		64	/* EX_USAGE */

struct ctl {
	char		*url;		/* base URL, no trailing slash */
	const char	*token;		/* bearer token or NULL */
	long		 timeout_ms;
	int		 json;		/* --json: print the API's JSON */
};

struct ctl_reply {
	long		 status;	/* HTTP status */
	char		*body;		/* NUL-terminated */
	size_t		 len;
	struct cJSON	*json;		/* parsed body, NULL if not JSON */
};

/*
 * Send method path (body may be NULL) and wait for the reply; 0 with any
 * HTTP status in *reply, or CTL_EXIT_UNREACHABLE after printing why.
 */
int	ctl_http_request(const struct ctl *, const char *method,
	    const char *path, const char *body, struct ctl_reply *);
/*
 * GET path and require a 2xx JSON reply: 0, or an exit status after
 * printing the API's errors (CTL_EXIT_FAIL) or why it is unreachable.
 */
int	ctl_http_get(const struct ctl *, const char *path, struct ctl_reply *);
/* Print the errors of a failed reply to stderr; returns CTL_EXIT_FAIL. */
int	ctl_http_fail(const char *method, const char *path,
	    const struct ctl_reply *);
void	ctl_http_reply_free(struct ctl_reply *);

#endif
