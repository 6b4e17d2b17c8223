/*
 * admin-ui.h: the web UI on the admin port.  GET / answers with
 * admin/ui/index.html and GET /ui/<file> with the UI's other files; both
 * are open without the bearer token (the files hold no data; the page's
 * API calls carry the token).  The files are embedded into the daemon at
 * build time (admin-ui-assets.c, written by src/admin-ui-gen.sh), so
 * serving them never touches the disk.
 */
#ifndef BRONZE_ADMIN_UI_H
#define BRONZE_ADMIN_UI_H

#include <stddef.h>

struct admin_req;
struct admin_resp;

struct admin_ui_asset {
	const char		*name;		/* "app.js" */
	const unsigned char	*data;
	size_t			 len;
};

/* The embedded files (admin-ui-assets.c). */
extern const struct admin_ui_asset	admin_ui_assets[];
extern const size_t			admin_ui_nassets;

/* The embedded file called name, or NULL. */
const struct admin_ui_asset *admin_ui_find(const char *name);
/* Content-Type for a file name, by its suffix. */
const char	*admin_ui_type(const char *name);
/* Nonzero if path (without /v1) is the UI's page or one of its files. */
int		 admin_ui_path(const char *path);

void		 admin_ui_index(struct admin_req *, struct admin_resp *);
void		 admin_ui_file(struct admin_req *, struct admin_resp *);

#endif
