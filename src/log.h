/*
 * log.h: leveled logging to stderr for the daemon and its tools.
 *
 * Lines look like "2026-11-22T10:40:49.123Z WARN  message".  Only the edges
 * of the program log: modules deep inside return errors (a heap "cause"
 * string) and let their caller report them once.  fatal() and fatalx() are
 * for invariant failures and out-of-memory only.
 */
#ifndef BRONZE_LOG_H
#define BRONZE_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_TRACE
};

/* Set the most verbose level printed (default LOG_LEVEL_INFO). */
void	log_set_level(enum log_level);
enum log_level log_get_level(void);
/* Name the program in fatal messages (default "bronzed"). */
void	log_set_progname(const char *);

void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_trace(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_vmsg(enum log_level, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

/* fatal appends strerror(errno); fatalx does not.  Both exit(1). */
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
