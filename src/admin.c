/*
 * admin.c: the admin HTTP server.  libmicrohttpd runs in epoll mode without
 * a thread of its own: its epoll fd is watched by a persistent libevent
 * read event, and a libevent timer re-armed from MHD_get_timeout() after
 * every MHD_run() drives its timeouts.  This file handles the HTTP side of
 * a request (bearer token, body size, reply headers, request log); the
 * router and handlers (admin-route.c) decide what to answer.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cJSON.h>
#include <event2/event.h>
#include <microhttpd.h>

#include "admin-metrics.h"
#include "admin-route.h"
#include "admin-ui.h"
#include "admin.h"
#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "xmalloc.h"

#define ADMIN_MAX_CONNECTIONS	64
#define ADMIN_CONN_TIMEOUT	30	/* seconds a connection may idle */
/* An oversized body up to this size is read and dropped, then 413. */
#define ADMIN_MAX_DISCARD	(8 * 1024 * 1024)

#define ADMIN_JSON_TYPE		"application/json; charset=UTF-8"

struct admin {
	uint32_t		 magic;
#define ADMIN_MAGIC	0x41444d4eu
	struct daemon		*d;
	struct MHD_Daemon	*mhd;
	struct event		*ev_io;		/* MHD's epoll fd readable */
	struct event		*ev_timer;	/* MHD's next timeout */
	int			 port;
	char			*mhd_error;	/* MHD's last error message */
	const struct admin_route *routes;
	size_t			 nroutes;
	int			 cfg_port;	/* the port to bind, 0: any */
	int			 open;		/* no bearer token asked */
};

/* One request in progress (MHD's per-request closure). */
struct admin_conn {
	struct buf		 body;
	size_t			 discarded;	/* bytes dropped past the limit */
	int			 too_big;
	int			 replied;	/* a reply is already queued */
	struct timespec		 start;
};

/* MHD's error messages: keep the last one for admin_new's cause. */
static void
admin_mhd_log_cb(void *arg, const char *fmt, va_list ap)
{
	struct admin	*admin = arg;
	char		*msg;
	size_t		 len;

	msg = xvasprintf(fmt, ap);
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	log_debug("admin: libmicrohttpd: %s", msg);
	free(admin->mhd_error);
	admin->mhd_error = msg;
}

/* Let MHD do its work, then re-arm the timer from its next deadline. */
static void
admin_run(struct admin *admin)
{
	MHD_UNSIGNED_LONG_LONG	ms;
	struct timeval		tv;

	MHD_run(admin->mhd);
	if (MHD_get_timeout(admin->mhd, &ms) == MHD_YES) {
		tv.tv_sec = (time_t)(ms / 1000);
		tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
		evtimer_add(admin->ev_timer, &tv);
	} else
		evtimer_del(admin->ev_timer);
}

static void
admin_io_cb(evutil_socket_t fd, short what, void *arg)
{
	admin_run(arg);
}

static void
admin_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	admin_run(arg);
}

/* Milliseconds since the request began. */
static double
admin_elapsed_ms(const struct admin_conn *c)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ((double)(now.tv_sec - c->start.tv_sec) * 1e3 +
	    (double)(now.tv_nsec - c->start.tv_nsec) / 1e6);
}

/* The MHD response carrying resp's body: JSON, heap text or static data. */
static struct MHD_Response *
admin_response(struct admin_resp *resp)
{
	struct MHD_Response	*r;
	char			*text;

	if (resp->body == NULL && resp->text == NULL && resp->data != NULL)
		r = MHD_create_response_from_buffer(resp->len,
		    (void *)resp->data, MHD_RESPMEM_PERSISTENT);
	else {
		if (resp->body != NULL)
			text = cJSON_PrintUnformatted(resp->body);
		else {
			text = resp->text != NULL ? resp->text : xstrdup("");
			resp->text = NULL;
		}
		if (text == NULL)
			fatalx("admin: out of memory printing a reply");
		r = MHD_create_response_from_buffer(strlen(text), text,
		    MHD_RESPMEM_MUST_FREE);
	}
	if (r == NULL)
		fatalx("admin: cannot create a reply");
	return (r);
}

/* Queue resp as the reply to the request and log it. */
static enum MHD_Result
admin_reply(struct MHD_Connection *conn, struct admin_conn *c,
    const char *method, const char *url, struct admin_resp *resp)
{
	struct MHD_Response	*r;
	const char		*type = ADMIN_JSON_TYPE;
	const char *const	*h;
	enum MHD_Result		 ok;

	if (resp->body == NULL && resp->content_type != NULL)
		type = resp->content_type;
	r = admin_response(resp);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "Access-Control-Allow-Origin", "*");
	for (h = resp->headers; h != NULL && h[0] != NULL; h += 2)
		MHD_add_response_header(r, h[0], h[1]);
	if (resp->allow[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
	if (resp->status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer");
	ok = MHD_queue_response(conn, (unsigned int)resp->status, r);
	MHD_destroy_response(r);
	c->replied = 1;
	log_debug("admin: %s %s %d %.1f ms", method, url, resp->status,
	    admin_elapsed_ms(c));
	admin_resp_free(resp);
	return (ok);
}

/* Queue a {"errors":[...]} reply: 401, or 413 for an oversized body. */
static enum MHD_Result
admin_reply_error(struct MHD_Connection *conn, struct admin_conn *c,
    const char *method, const char *url, int status)
{
	struct admin_resp	resp;

	memset(&resp, 0, sizeof resp);
	if (status == MHD_HTTP_UNAUTHORIZED)
		admin_resp_error(&resp, status, "Unauthorized");
	else
		admin_resp_error(&resp, status, "Request body is larger than "
		    "the limit of %d bytes", ADMIN_MAX_BODY);
	return (admin_reply(conn, c, method, url, &resp));
}

/*
 * First call for a request, headers read: refuse a declared body over
 * ADMIN_MAX_BODY before reading it when the client waits for 100 Continue
 * or the body is too big even to drop; otherwise it is dropped as it
 * arrives and refused at the end.
 */
static enum MHD_Result
admin_begin(struct MHD_Connection *conn, struct admin_conn *c,
    const char *method, const char *url)
{
	const char		*value, *expect;
	char			*end;
	unsigned long long	 len;

	value = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (value == NULL)
		return (MHD_YES);
	errno = 0;
	len = strtoull(value, &end, 10);
	if (errno != 0 || end == value || len <= ADMIN_MAX_BODY)
		return (MHD_YES);
	c->too_big = 1;
	expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_EXPECT);
	if ((expect != NULL && strcasecmp(expect, "100-continue") == 0) ||
	    len > ADMIN_MAX_DISCARD)
		return (admin_reply_error(conn, c, method, url,
		    MHD_HTTP_CONTENT_TOO_LARGE));
	return (MHD_YES);
}

/* A piece of the body: keep it while under the limit, else drop it. */
static enum MHD_Result
admin_upload(struct admin_conn *c, const char *data, size_t len)
{
	if (c->replied)
		return (MHD_YES);
	if (!c->too_big && c->body.len + len > ADMIN_MAX_BODY) {
		c->too_big = 1;
		c->discarded = c->body.len;
		buf_free(&c->body);
	}
	if (!c->too_big) {
		buf_append(&c->body, data, len);
		return (MHD_YES);
	}
	c->discarded += len;
	return (c->discarded > ADMIN_MAX_DISCARD ? MHD_NO : MHD_YES);
}

/* MHD_get_connection_values callback: collect query arguments. */
static enum MHD_Result
admin_query_cb(void *arg, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	admin_req_add_query(arg, key, value);
	return (MHD_YES);
}

/* Nonzero if the request may go on: no token set, or the right one. */
static int
admin_authorized(struct admin *admin, struct MHD_Connection *conn,
    const char *method, const char *url)
{
	const char	*token = admin->d->cfg->admin_token;
	const char	*path = admin_route_strip_version(url);

	if (admin->open || token == NULL || *token == '\0')
		return (1);
	/* The probe, and the web UI's files: they hold no data. */
	if (strcmp(method, "GET") == 0 && (strcmp(path, "/healthz") == 0 ||
	    admin_ui_path(path)))
		return (1);
	return (admin_route_token_ok(MHD_lookup_connection_value(conn,
	    MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION), token));
}

/* The whole request is in: check it, route it, reply. */
static enum MHD_Result
admin_finish(struct admin *admin, struct MHD_Connection *conn,
    struct admin_conn *c, const char *method, const char *url)
{
	struct admin_req	req;
	struct admin_resp	resp;
	enum MHD_Result		ok;

	if (c->replied)
		return (MHD_YES);
	if (!admin_authorized(admin, conn, method, url))
		return (admin_reply_error(conn, c, method, url,
		    MHD_HTTP_UNAUTHORIZED));
	if (c->too_big)
		return (admin_reply_error(conn, c, method, url,
		    MHD_HTTP_CONTENT_TOO_LARGE));
	memset(&req, 0, sizeof req);
	memset(&resp, 0, sizeof resp);
	req.d = admin->d;
	req.method = method;
	req.path = url;
	req.body = (const char *)c->body.data;
	req.body_len = c->body.len;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND,
	    admin_query_cb, &req);
	admin_route_dispatch(admin->routes, admin->nroutes, &req, &resp);
	ok = admin_reply(conn, c, method, url, &resp);
	admin_req_clear(&req);
	return (ok);
}

/* MHD's access handler, called once with headers, per body piece, last. */
static enum MHD_Result
admin_access_cb(void *arg, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct admin		*admin = arg;
	struct admin_conn	*c = *con_cls;
	size_t			 len;

	if (c == NULL) {
		c = xcalloc(1, sizeof *c);
		buf_init(&c->body);
		clock_gettime(CLOCK_MONOTONIC, &c->start);
		*con_cls = c;
		return (admin_begin(conn, c, method, url));
	}
	if (*upload_size != 0) {
		len = *upload_size;
		*upload_size = 0;
		return (admin_upload(c, upload, len));
	}
	return (admin_finish(admin, conn, c, method, url));
}

/* MHD's request-completed notice: free the request's state. */
static void
admin_completed_cb(void *arg, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct admin_conn	*c = *con_cls;

	if (c == NULL)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		log_debug("admin: request ended early (%d)", (int)toe);
	buf_free(&c->body);
	free(c);
	*con_cls = NULL;
}

/* Parse the bind address ("localhost" or an IPv4/IPv6 literal). */
static int
admin_address(const char *bind, int port, struct sockaddr_storage *ss,
    int *v6, char **cause)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (strcmp(bind, "localhost") == 0)
		bind = "127.0.0.1";
	if (inet_pton(AF_INET, bind, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*v6 = 0;
		return (0);
	}
	if (inet_pton(AF_INET6, bind, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*v6 = 1;
		return (0);
	}
	*cause = xasprintf("admin.bind: %s is not an IP address or "
	    "localhost", bind);
	return (-1);
}

/* Start MHD on the configured address; -1 with *cause on failure. */
static int
admin_start(struct admin *admin, char **cause)
{
	const struct config		*cfg = admin->d->cfg;
	const union MHD_DaemonInfo	*info;
	struct sockaddr_storage		 ss;
	unsigned int			 flags;
	int				 v6;

	if (admin_address(cfg->admin_bind, admin->cfg_port, &ss, &v6,
	    cause) != 0)
		return (-1);
	flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
	admin->mhd = MHD_start_daemon(flags, (uint16_t)admin->cfg_port,
	    NULL, NULL, admin_access_cb, admin,
	    MHD_OPTION_EXTERNAL_LOGGER, admin_mhd_log_cb, admin,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)ADMIN_MAX_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)ADMIN_CONN_TIMEOUT,
	    MHD_OPTION_NOTIFY_COMPLETED, admin_completed_cb, admin,
	    MHD_OPTION_END);
	if (admin->mhd == NULL) {
		*cause = xasprintf("cannot listen on %s port %d: %s",
		    cfg->admin_bind, admin->cfg_port, admin->mhd_error != NULL ?
		    admin->mhd_error : "libmicrohttpd failed to start");
		return (-1);
	}
	info = MHD_get_daemon_info(admin->mhd, MHD_DAEMON_INFO_BIND_PORT);
	admin->port = info != NULL ? info->port : admin->cfg_port;
	info = MHD_get_daemon_info(admin->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		*cause = xasprintf("libmicrohttpd has no epoll fd");
		return (-1);
	}
	admin->ev_io = event_new(admin->d->base, info->epoll_fd,
	    EV_READ | EV_PERSIST, admin_io_cb, admin);
	admin->ev_timer = evtimer_new(admin->d->base, admin_timer_cb, admin);
	if (admin->ev_io == NULL || admin->ev_timer == NULL ||
	    event_add(admin->ev_io, NULL) != 0)
		fatalx("admin: cannot create events");
	return (0);
}

static struct admin *
admin_new_on(struct daemon *d, int port, const struct admin_route *routes,
    size_t nroutes, int open, char **cause)
{
	struct admin	*admin = xcalloc(1, sizeof *admin);

	admin->magic = ADMIN_MAGIC;
	admin->d = d;
	admin->cfg_port = port;
	admin->routes = routes;
	admin->nroutes = nroutes;
	admin->open = open;
	if (admin_start(admin, cause) != 0) {
		admin_free(admin);
		return (NULL);
	}
	admin_run(admin);
	return (admin);
}

struct admin *
admin_new(struct daemon *d, char **cause)
{
	return (admin_new_on(d, d->cfg->admin_port, admin_routes,
	    admin_nroutes, 0, cause));
}

struct admin *
admin_new_metrics(struct daemon *d, char **cause)
{
	return (admin_new_on(d, d->cfg->metrics_port, admin_metrics_routes,
	    admin_metrics_nroutes, 1, cause));
}

int
admin_bound_port(const struct admin *admin)
{
	return (admin->port);
}

void
admin_free(struct admin *admin)
{
	if (admin == NULL)
		return;
	if (admin->ev_io != NULL)
		event_free(admin->ev_io);
	if (admin->ev_timer != NULL)
		event_free(admin->ev_timer);
	if (admin->mhd != NULL)
		MHD_stop_daemon(admin->mhd);
	free(admin->mhd_error);
	admin->magic = 0;
	free(admin);
}
