/*
 * xmalloc.c: allocation wrappers, fatal on failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xmalloc.h"

void *
xmalloc(size_t size)
{
	void	*p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		fatalx("xmalloc: out of memory allocating %zu bytes", size);
	return (p);
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		fatalx("xcalloc: out of memory allocating %zu * %zu", n, size);
	return (p);
}

void *
xrealloc(void *ptr, size_t size)
{
	void	*p;

	if ((p = realloc(ptr, size == 0 ? 1 : size)) == NULL)
		fatalx("xrealloc: out of memory allocating %zu bytes", size);
	return (p);
}

void *
xreallocarray(void *ptr, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		fatalx("xreallocarray: %zu * %zu overflows", n, size);
	return (xrealloc(ptr, n * size));
}

char *
xstrdup(const char *s)
{
	return (xmemdup(s, strlen(s) + 1));
}

char *
xstrndup(const char *s, size_t max)
{
	size_t	 len = strnlen(s, max);
	char	*p = xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

void *
xmemdup(const void *src, size_t len)
{
	void	*p = xmalloc(len);

	if (len > 0)
		memcpy(p, src, len);
	return (p);
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char	*s;

	if (vasprintf(&s, fmt, ap) < 0)
		fatalx("xvasprintf: out of memory");
	return (s);
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return (s);
}

void
xfreev(char **v, size_t n)
{
	size_t	i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}
