/*
 * suggest.c: closest-name suggestions for misspelt keys and properties.
 */
#include <stdint.h>
#include <string.h>

#include "suggest.h"

#define SUGGEST_MAX	64

size_t
suggest_distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, best;
	size_t	d[3][SUGGEST_MAX + 1], *prev2, *prev, *cur;

	if (la > SUGGEST_MAX || lb > SUGGEST_MAX)
		return (SIZE_MAX);
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		cur = d[i % 3];
		prev = d[(i + 2) % 3];
		prev2 = d[(i + 1) % 3];
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			best = prev[j - 1] + (a[i - 1] != b[j - 1]);
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
	}
	return (d[la % 3][lb]);
}

const char *
suggest_closest(const char *word, const void *first, size_t n, size_t stride)
{
	const char	*best = NULL, *name;
	size_t		 i, d, bestd = SIZE_MAX;

	for (i = 0; i < n; i++) {
		name = *(const char *const *)((const char *)first + i * stride);
		if ((d = suggest_distance(word, name)) < bestd) {
			bestd = d;
			best = name;
		}
	}
	if (best != NULL && bestd <= 3 && bestd * 3 <= strlen(word))
		return (best);
	return (NULL);
}
