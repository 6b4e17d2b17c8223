/*
 * tap.h: a minimal TAP producer for the C unit tests.
 *
 * Each test file defines a table of { name, fn } and calls tap_run().
 * Inside a test, TAP_CHECK(cond) records a failure with file and line but
 * keeps going, so one run reports every broken expectation.
 */
#ifndef BRONZE_TAP_H
#define BRONZE_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tap_case {
	const char	*name;
	void		(*fn)(void);
};

static int tap_case_failed;

#define TAP_CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("# %s:%d: check failed: %s\n", __FILE__,		\
		    __LINE__, #cond);					\
		tap_case_failed = 1;					\
	}								\
} while (0)

#define TAP_CHECK_INT(got, want) do {					\
	long long tap_g = (long long)(got), tap_w = (long long)(want);	\
	if (tap_g != tap_w) {						\
		printf("# %s:%d: %s is %lld, want %lld\n", __FILE__,	\
		    __LINE__, #got, tap_g, tap_w);			\
		tap_case_failed = 1;					\
	}								\
} while (0)

#define TAP_CHECK_STR(got, want) do {					\
	const char *tap_g = (got), *tap_w = (want);			\
	if (tap_g == NULL || strcmp(tap_g, tap_w) != 0) {		\
		printf("# %s:%d: %s is \"%s\", want \"%s\"\n",		\
		    __FILE__, __LINE__, #got,				\
		    tap_g ? tap_g : "(null)", tap_w);			\
		tap_case_failed = 1;					\
	}								\
} while (0)

/* Run every case, each under a 120 s alarm; exit status is 0 if all pass. */
static inline int
tap_run(const struct tap_case *cases, size_t n)
{
	size_t	i;
	int	failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("1..%zu\n", n);
	for (i = 0; i < n; i++) {
		tap_case_failed = 0;
		alarm(120);
		cases[i].fn();
		alarm(0);
		printf("%sok %zu - %s\n", tap_case_failed ? "not " : "",
		    i + 1, cases[i].name);
		failed += tap_case_failed;
	}
	return (failed ? 1 : 0);
}

#define TAP_MAIN(table)							\
int									\
main(void)								\
{									\
	return (tap_run(table, sizeof(table) / sizeof((table)[0])));	\
}

#endif
