/*
 * suggest.h: "did you mean" for names typed by people (config keys,
 * librdkafka properties): the closest known name within a few edits.
 */
#ifndef BRONZE_SUGGEST_H
#define BRONZE_SUGGEST_H

#include <stddef.h>

/*
 * Optimal string alignment distance (insertions, deletions, substitutions
 * and swaps of neighbours cost 1); SIZE_MAX for strings over 64 bytes.
 */
size_t		 suggest_distance(const char *, const char *);

/*
 * Among n structs of size stride starting at first, each beginning with a
 * const char * name, the name closest to word if it is close enough to be
 * a typo (at most 3 edits and at most a third of word); NULL otherwise.
 * The result points into the caller's structs.
 */
const char	*suggest_closest(const char *word, const void *first, size_t n,
		    size_t stride);

#endif
