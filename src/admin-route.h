/*
 * admin-route.h: the admin API's request router, independent of the HTTP
 * server so it can be tested without a network.
 *
 * A route is { method, pattern, handler }; patterns are "/"-separated
 * segments where ":name" matches any one non-empty segment (e.g.
 * "/jobs/:jobid/checkpoints").  admin_route_dispatch() strips an optional
 * "/v1" prefix, picks the most specific route for the method, answers 404
 * (unknown path), 405 (known path, other method; Allow is filled), resolves
 * a ":jobid" segment to a job (404 "Job <id> not found"), parses a JSON
 * body for POST/PUT/PATCH (400 if malformed) and calls the handler.
 *
 * The caller owns struct admin_req and struct admin_resp.  The request's
 * method, path, body and query strings are borrowed and must outlive the
 * dispatch; what dispatch adds (params, json) is owned by the request and
 * released by admin_req_clear().  A handler
 * fills resp->status and resp->body (a cJSON tree that resp owns),
 * resp->text (heap) or resp->data (static, never freed), the last two with
 * resp->content_type; admin_resp_free() releases body and text.
 * resp->headers may name static extra headers for the reply.
 */
#ifndef BRONZE_ADMIN_ROUTE_H
#define BRONZE_ADMIN_ROUTE_H

#include <stddef.h>

struct cJSON;
struct daemon;
struct job;

#define ADMIN_MAX_PARAMS	4	/* ":name" segments in one pattern */
#define ADMIN_MAX_QUERY		16	/* query arguments kept per request */

struct admin_kv {
	const char	*key;
	const char	*value;
};

struct admin_req {
	struct daemon	*d;
	const char	*method;	/* "GET", "POST", ... */
	const char	*path;		/* without query string, may carry /v1 */
	const char	*body;		/* raw body, NULL if none */
	size_t		 body_len;

	struct admin_kv	 query[ADMIN_MAX_QUERY];
	size_t		 nquery;

	/* Filled by admin_route_dispatch, owned (heap). */
	struct admin_kv	 params[ADMIN_MAX_PARAMS];
	size_t		 nparams;
	struct job	*job;		/* the ":jobid" job, if the route has one */
	struct cJSON	*json;		/* parsed body, NULL if none */
};

struct admin_resp {
	int		 status;
	struct cJSON	*body;		/* JSON reply, owned */
	char		*text;		/* or a non-JSON reply, owned */
	const void	*data;		/* or a static reply of len bytes */
	size_t		 len;
	const char	*content_type;	/* for text or data; JSON if NULL */
	const char *const *headers;	/* name, value, ..., NULL; static */
	char		 allow[64];	/* Allow header for 405, "" if none */
};

typedef void (*admin_handler_fn)(struct admin_req *, struct admin_resp *);

struct admin_route {
	const char	*method;
	const char	*pattern;
	admin_handler_fn handler;
};

/* The daemon's route table (admin-route.c). */
extern const struct admin_route	admin_routes[];
extern const size_t		admin_nroutes;

/* Route req through table, always leaving a reply in resp. */
void		 admin_route_dispatch(const struct admin_route *, size_t,
		    struct admin_req *, struct admin_resp *);
/*
 * Match path (without /v1) against one pattern; on a match return the
 * number of literal segments (>= 0) and, if req is not NULL, replace
 * req->params with the ":name" values; else -1.
 */
int		 admin_route_match(const char *pattern, const char *path,
		    struct admin_req *);
/* Path with an optional leading "/v1" removed ("/v1" alone gives "/"). */
const char	*admin_route_strip_version(const char *path);

/* Value of ":name" or of query argument name; NULL if absent. */
const char	*admin_req_param(const struct admin_req *, const char *);
const char	*admin_req_query(const struct admin_req *, const char *);
/* Add a query argument (ignored past ADMIN_MAX_QUERY); strings borrowed. */
void		 admin_req_add_query(struct admin_req *, const char *,
		    const char *);
/* Free the params and json dispatch attached; the request can be reused. */
void		 admin_req_clear(struct admin_req *);

/* Set resp to status with body {"errors":["<message>"]}. */
void		 admin_resp_error(struct admin_resp *, int status,
		    const char *, ...) __attribute__((format(printf, 3, 4)));
/* Set resp to status with a JSON body it takes over. */
void		 admin_resp_json(struct admin_resp *, int status,
		    struct cJSON *);
void		 admin_resp_free(struct admin_resp *);

/* A job by 32-hex id (any case) or by name; NULL if none. */
struct job	*admin_route_find_job(const struct daemon *, const char *);

/*
 * Nonzero if the Authorization header value authorization is
 * "Bearer <token>"; the token comparison takes time independent of where
 * the strings differ.  A NULL header never matches.
 */
int		 admin_route_token_ok(const char *authorization,
		    const char *token);
/* Constant-time equality of two byte strings (time depends on lengths). */
int		 admin_route_ct_equal(const void *, size_t, const void *,
		    size_t);

#endif
