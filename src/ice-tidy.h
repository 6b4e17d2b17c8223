/*
 * ice-tidy.h: deleting what a commit's table maintenance left
 * unreferenced (ice-expire.h): metadata files the log dropped, expired
 * snapshots' manifest lists, and the manifests only those lists named
 * (replaced by a merge or an engine's rewrite) when the expiry gives a
 * boundary to compare with.  It runs on its own after the commit, on the
 * event loop through FileIO; anything it cannot delete is only an orphan.
 * Data files are never deleted.
 */
#ifndef BRONZE_ICE_TIDY_H
#define BRONZE_ICE_TIDY_H

#include <stddef.h>

#include "buf.h"
#include "ice-expire.h"

struct fileio;

/* Start; takes what e holds (e is left empty). */
void	ice_tidy(struct fileio *, struct ice_expire *e);

/*
 * The manifests the lists (manifest list files) name that keep does not,
 * under location, each once; *out (caller frees each and the array).
 * -1 and *cause if a list cannot be read.
 */
int	ice_tidy_unreferenced(const struct buf *lists, size_t nlists,
	    const struct buf *keep, const char *location, char ***out,
	    size_t *nout, char **cause);

#endif
