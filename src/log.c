/*
 * log.c: leveled logging to stderr (journald and docker friendly).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"

static enum log_level log_level = LOG_LEVEL_INFO;
static const char *log_progname = "bronzed";

static const char *const log_names[] = {
	"ERROR", "WARN ", "INFO ", "DEBUG", "TRACE"
};

void
log_set_level(enum log_level level)
{
	if (level > LOG_LEVEL_TRACE)
		level = LOG_LEVEL_TRACE;
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return (log_level);
}

void
log_set_progname(const char *name)
{
	log_progname = name;
}

/* Print one line with a UTC timestamp; errno is preserved. */
void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	struct timeval	tv;
	struct tm	tm;
	char		stamp[32];
	int		saved = errno;

	if (level > log_level)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03dZ %s ", stamp, (int)(tv.tv_usec / 1000),
	    log_names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
	errno = saved;
}

#define LOG_FN(name, level)						\
void									\
name(const char *fmt, ...)						\
{									\
	va_list ap;							\
	va_start(ap, fmt);						\
	log_vmsg(level, fmt, ap);					\
	va_end(ap);							\
}
LOG_FN(log_error, LOG_LEVEL_ERROR)
LOG_FN(log_warnx, LOG_LEVEL_WARN)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_debug, LOG_LEVEL_DEBUG)
LOG_FN(log_trace, LOG_LEVEL_TRACE)
#undef LOG_FN

/* Warning with the text of errno appended. */
void
log_warn(const char *fmt, ...)
{
	char	msg[1024];
	int	saved = errno;
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_warnx("%s: %s", msg, strerror(saved));
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	char	msg[1024];
	int	saved = errno;
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_error("%s: fatal: %s: %s", log_progname, msg, strerror(saved));
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_error("%s: fatal: %s", log_progname, msg);
	exit(1);
}
