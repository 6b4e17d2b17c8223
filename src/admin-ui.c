/*
 * admin-ui.c: serves the web UI's embedded files (see admin-ui.h) with a
 * strict Content-Security-Policy: the page may load only its own files and
 * talk only to the admin API it came from.
 */
#include <string.h>

#include "admin-route.h"
#include "admin-ui.h"

static const char *const admin_ui_headers[] = {
	"Cache-Control", "no-cache",
	"Content-Security-Policy", "default-src 'self'; base-uri 'none'; "
	    "form-action 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options", "nosniff",
	"Referrer-Policy", "no-referrer",
	NULL
};

static const struct {
	const char	*suffix;
	const char	*type;
} admin_ui_types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
};

const struct admin_ui_asset *
admin_ui_find(const char *name)
{
	size_t	i;

	for (i = 0; i < admin_ui_nassets; i++) {
		if (strcmp(admin_ui_assets[i].name, name) == 0)
			return (&admin_ui_assets[i]);
	}
	return (NULL);
}

const char *
admin_ui_type(const char *name)
{
	size_t	i, n = strlen(name), len;

	for (i = 0; i < sizeof admin_ui_types / sizeof admin_ui_types[0];
	    i++) {
		len = strlen(admin_ui_types[i].suffix);
		if (n > len && strcmp(name + n - len,
		    admin_ui_types[i].suffix) == 0)
			return (admin_ui_types[i].type);
	}
	return ("application/octet-stream");
}

int
admin_ui_path(const char *path)
{
	return (strcmp(path, "/") == 0 || strncmp(path, "/ui/", 4) == 0);
}

/* Reply with the embedded file called name, or 404. */
static void
admin_ui_send(struct admin_resp *resp, const char *name)
{
	const struct admin_ui_asset	*a = admin_ui_find(name);

	if (a == NULL) {
		admin_resp_error(resp, 404, "Not found: /ui/%s", name);
		return;
	}
	resp->status = 200;
	resp->data = a->data;
	resp->len = a->len;
	resp->content_type = admin_ui_type(a->name);
	resp->headers = admin_ui_headers;
}

void
admin_ui_index(struct admin_req *req, struct admin_resp *resp)
{
	admin_ui_send(resp, "index.html");
}

void
admin_ui_file(struct admin_req *req, struct admin_resp *resp)
{
	admin_ui_send(resp, admin_req_param(req, "file"));
}
