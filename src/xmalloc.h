/*
 * xmalloc.h: allocation wrappers that never return NULL.
 *
 * Out of memory is fatal: a daemon that cannot allocate cannot keep its
 * exactly-once promises either, and restarting from the table is safe.
 * Raw malloc/strdup/sprintf are not used elsewhere (t/unit/test-style checks).
 */
#ifndef BRONZE_XMALLOC_H
#define BRONZE_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
void	*xmemdup(const void *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *, va_list) __attribute__((format(printf, 1, 0)));
/* Free n strings and the array holding them (NULL is fine). */
void	 xfreev(char **, size_t);

#endif
