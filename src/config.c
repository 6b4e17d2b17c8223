/*
 * config.c: the configuration file parser and validator.  Every key is
 * declared once in tbl/config-keys.h; the tables built from it drive the
 * defaults, the value parsers, the validation and the dump.
 *
 * A file is parsed line by line ("key: value", split at the first colon;
 * the value may be quoted, may end in " # comment" and has ${ENV} and
 * ${ENV:-default} expanded except inside single quotes).  Each key is
 * recorded with the line that set it, so a later check (a required key, a
 * table written twice) can point at the right line.  Parsing stops at the
 * first error.  kafka.* properties go to config-kafka.c, where librdkafka
 * itself judges them.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "config-kafka.h"
#include "config.h"
#include "suggest.h"
#include "xmalloc.h"

#define CONFIG_F_SECRET		0x1
#define CONFIG_F_REQUIRED	0x2

#define CONFIG_DAY_MS		(24LL * 3600 * 1000)
#define CONFIG_TARGET_MAX	(64LL * 1024 * 1024 * 1024)
#define CONFIG_MAX_FILE		(1024 * 1024)
#define CONFIG_MAX_JOB_NAME	64
#define CONFIG_ALNUM \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

enum config_type {
	CONFIG_T_STRING,
	CONFIG_T_PORT,
	CONFIG_T_BOOL,
	CONFIG_T_INT,
	CONFIG_T_DURATION,
	CONFIG_T_SIZE,
	CONFIG_T_ENUM
};

/* Checks a non-empty string value; returns the reason it is bad or NULL. */
typedef const char *(*config_check_fn)(const char *);

struct config_key {
	const char		*key;
	enum config_type	 type;
	size_t			 off;		/* into struct config(_job) */
	const char		*dflt;
	long long		 min;
	long long		 max;
	const char *const	*names;		/* ENUM values, enum order */
	config_check_fn		 check;
	int			 flags;
	const char		*help;
};

/* One unit of a duration or size: "10s", "128MB". */
struct config_unit {
	const char	*name;
	uint64_t	 mult;
	int		 canonical;	/* used when printing */
};

/* Parse state: where each key was set, the first error. */
struct config_ctx {
	const char		*name;
	struct config		*cfg;
	int			*glines;	/* per global key, 0 = unset */
	int			*jlines;	/* njobs x CONFIG_NJOB */
	struct config_kafka	*kafka;		/* validates kafka.* */
	char			*shown;		/* value as written, if ${} */
	char			*cause;
};

static const char *const config_catalog_names[] = {
	"filesystem", "rest", NULL
};
static const char *const config_startup_names[] = {
	"earliest", "latest", "group-offsets", NULL
};
static const char *const config_partition_names[] = {
	"day(ingestion_timestamp)", "hour(ingestion_timestamp)",
	"identity(topic)", "none", NULL
};
static const char *const config_compression_names[] = {
	"zstd", "snappy", "none", NULL
};
static const char *const config_value_type_names[] = {
	"binary", "string", NULL
};

static const char	*config_check_address(const char *);
static const char	*config_check_url(const char *);
static const char	*config_check_topic(const char *);
static const char	*config_check_table(const char *);

#define CONFIG_CTYPE_STRING	char *
#define CONFIG_CTYPE_PORT	int
#define CONFIG_CTYPE_BOOL	int
#define CONFIG_CTYPE_INT	int
#define CONFIG_CTYPE_DURATION	uint64_t
#define CONFIG_CTYPE_SIZE	uint64_t
#define CONFIG_CTYPE_ENUM	int

/* Each field has the C type its key's type stores through. */
#define CONFIG_KEY(k, f, t, ...)					\
	_Static_assert(sizeof(((struct config *)0)->f) ==		\
	    sizeof(CONFIG_CTYPE_##t), "struct config field " #f);
#define CONFIG_JOB_KEY(k, f, t, ...)					\
	_Static_assert(sizeof(((struct config_job *)0)->f) ==		\
	    sizeof(CONFIG_CTYPE_##t), "struct config_job field " #f);
#include "tbl/config-keys.h"
#undef CONFIG_KEY
#undef CONFIG_JOB_KEY

#define CONFIG_ROW(s, k, f, t, d, lo, hi, n, c, fl, h)			\
	{ k, CONFIG_T_##t, offsetof(s, f), d, lo, hi, n, c, fl, h },

static const struct config_key config_keys[] = {
#define CONFIG_KEY(...) CONFIG_ROW(struct config, __VA_ARGS__)
#define CONFIG_JOB_KEY(...)
#include "tbl/config-keys.h"
#undef CONFIG_KEY
#undef CONFIG_JOB_KEY
};
#define CONFIG_NGLOBAL	(sizeof config_keys / sizeof config_keys[0])

static const struct config_key config_job_keys[] = {
#define CONFIG_KEY(...)
#define CONFIG_JOB_KEY(...) CONFIG_ROW(struct config_job, __VA_ARGS__)
#include "tbl/config-keys.h"
#undef CONFIG_KEY
#undef CONFIG_JOB_KEY
};
#define CONFIG_NJOB	(sizeof config_job_keys / sizeof config_job_keys[0])

static const struct config_unit config_duration_units[] = {
	{ "ms", 1, 1 },
	{ "s", 1000, 1 },
	{ "m", 60 * 1000, 1 },
	{ "h", 3600 * 1000, 1 },
	{ NULL, 0, 0 }
};

/* Sizes are binary: KB = KiB = 1024. */
static const struct config_unit config_size_units[] = {
	{ "B", 1, 1 },
	{ "KB", 1ULL << 10, 1 }, { "KiB", 1ULL << 10, 0 },
	{ "K", 1ULL << 10, 0 },
	{ "MB", 1ULL << 20, 1 }, { "MiB", 1ULL << 20, 0 },
	{ "M", 1ULL << 20, 0 },
	{ "GB", 1ULL << 30, 1 }, { "GiB", 1ULL << 30, 0 },
	{ "G", 1ULL << 30, 0 },
	{ "TB", 1ULL << 40, 1 }, { "TiB", 1ULL << 40, 0 },
	{ "T", 1ULL << 40, 0 },
	{ NULL, 0, 0 }
};

static const char *const config_bool_true[] = { "true", "yes", "on", "1" };
static const char *const config_bool_false[] = { "false", "no", "off", "0" };

/* Record the first error as "FILE:LINE: KEY: reason"; returns -1. */
static int __attribute__((format(printf, 4, 5)))
config_error(struct config_ctx *ctx, int line, const char *key,
    const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (ctx->cause != NULL)
		return (-1);
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	ctx->cause = xasprintf("%s:%d: %s: %s", ctx->name, line, key, msg);
	free(msg);
	return (-1);
}

/*
 * How the value being set may appear in a message: as written in the file
 * when ${ENV} was expanded in it (the environment may hold secrets).
 */
static const char *
config_shown(const struct config_ctx *ctx, const char *value)
{
	return (ctx->shown != NULL ? ctx->shown : value);
}

static void
config_shown_clear(struct config_ctx *ctx)
{
	free(ctx->shown);
	ctx->shown = NULL;
}

static const struct config_key *
config_lookup(const struct config_key *keys, size_t n, const char *key)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(keys[i].key, key) == 0)
			return (&keys[i]);
	}
	return (NULL);
}

/* Nonzero if the full key holds a secret (see config.h). */
int
config_is_secret(const char *key)
{
	const struct config_key	*k;
	const char		*rest;

	if (strncmp(key, "kafka.", 6) == 0)
		return (config_kafka_is_secret(key + 6));
	if (strncmp(key, "job.", 4) == 0) {
		if ((rest = strchr(key + 4, '.')) == NULL)
			return (0);
		rest++;
		if (strncmp(rest, "kafka.", 6) == 0)
			return (config_kafka_is_secret(rest + 6));
		k = config_lookup(config_job_keys, CONFIG_NJOB, rest);
	} else
		k = config_lookup(config_keys, CONFIG_NGLOBAL, key);
	return (k != NULL && (k->flags & CONFIG_F_SECRET));
}

/*
 * Parse a number with an optional unit from units (case-insensitive if
 * icase).  Returns NULL or the reason the text is bad.
 */
static const char *
config_parse_scaled(const char *s, const struct config_unit *units,
    int icase, uint64_t *out)
{
	const struct config_unit	*u;
	uint64_t			 n = 0;
	const char			*p = s;

	if (*p == '-')
		return ("negative values are not allowed");
	if (!isdigit((unsigned char)*p))
		return ("not a number");
	for (; isdigit((unsigned char)*p); p++) {
		if (n > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return ("value too large");
		n = n * 10 + (uint64_t)(*p - '0');
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0') {
		*out = n;
		return (NULL);
	}
	for (u = units; u->name != NULL; u++) {
		if ((icase ? strcasecmp(p, u->name) : strcmp(p, u->name)) == 0)
			break;
	}
	if (u->name == NULL)
		return ("unknown unit");
	if (u->mult != 0 && n > UINT64_MAX / u->mult)
		return ("value too large");
	*out = n * u->mult;
	return (NULL);
}

/* Print v with the largest canonical unit that divides it exactly. */
static void
config_render_scaled(uint64_t v, const struct config_unit *units,
    char *out, size_t len)
{
	const struct config_unit	*u, *best = NULL;

	for (u = units; u->name != NULL; u++) {
		if (!u->canonical)
			continue;
		if (best == NULL || (v != 0 && v % u->mult == 0))
			best = u;
	}
	snprintf(out, len, "%llu%s", (unsigned long long)(v / best->mult),
	    best->name);
}

int
config_parse_duration(const char *s, uint64_t *ms)
{
	return (config_parse_scaled(s, config_duration_units, 0, ms) ?
	    -1 : 0);
}

int
config_parse_size(const char *s, uint64_t *bytes)
{
	return (config_parse_scaled(s, config_size_units, 1, bytes) ?
	    -1 : 0);
}

/* A decimal integer within the key's bounds. */
static int
config_set_int(struct config_ctx *ctx, const struct config_key *k,
    int line, const char *key, const char *value, int *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(value, &end, 10);
	if ((!isdigit((unsigned char)*value) && *value != '-') ||
	    *end != '\0' || end == value)
		return (config_error(ctx, line, key, "`%s`: not a number",
		    config_shown(ctx, value)));
	if (errno == ERANGE || v < k->min || v > k->max)
		return (config_error(ctx, line, key, "`%s`: out of range "
		    "(%lld to %lld)", config_shown(ctx, value), k->min,
		    k->max));
	*out = (int)v;
	return (0);
}

static const char *
config_parse_bool(const char *s, int *out)
{
	size_t	i;

	for (i = 0; i < sizeof config_bool_true / sizeof config_bool_true[0];
	    i++) {
		if (strcasecmp(s, config_bool_true[i]) == 0) {
			*out = 1;
			return (NULL);
		}
		if (strcasecmp(s, config_bool_false[i]) == 0) {
			*out = 0;
			return (NULL);
		}
	}
	return ("not a boolean (true/false, yes/no, on/off, 1/0)");
}

/* Report an enum value outside names, listing the allowed ones. */
static int
config_bad_enum(struct config_ctx *ctx, int line, const char *key,
    const char *value, const char *const *names)
{
	struct buf	b = BUF_INIT;
	size_t		i;
	int		rc;

	for (i = 0; names[i] != NULL; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
	rc = config_error(ctx, line, key, "unknown value `%s` (expected one "
	    "of: %s)", value, buf_cstr(&b));
	buf_free(&b);
	return (rc);
}

static int
config_set_enum(struct config_ctx *ctx, const struct config_key *k,
    int line, const char *key, const char *value, int *out)
{
	int	i;

	for (i = 0; k->names[i] != NULL; i++) {
		if (strcasecmp(value, k->names[i]) == 0) {
			*out = i;
			return (0);
		}
	}
	return (config_bad_enum(ctx, line, key, config_shown(ctx, value),
	    k->names));
}

/* A duration or a size, within the key's bounds. */
static int
config_set_scaled(struct config_ctx *ctx, const struct config_key *k,
    int line, const char *key, const char *value, uint64_t *out)
{
	const struct config_unit	*units = config_duration_units;
	const char			*why, *hint;
	char				 lo[32], hi[32];
	uint64_t			 v;

	hint = "a duration like 500ms, 10s, 5m, 1h";
	if (k->type == CONFIG_T_SIZE) {
		units = config_size_units;
		hint = "a size like 64KB, 128MB, 1GB";
	}
	why = config_parse_scaled(value, units, k->type == CONFIG_T_SIZE, &v);
	if (why != NULL)
		return (config_error(ctx, line, key, "`%s`: %s (%s)",
		    config_shown(ctx, value), why, hint));
	if (v < (uint64_t)k->min || v > (uint64_t)k->max) {
		config_render_scaled((uint64_t)k->min, units, lo, sizeof lo);
		config_render_scaled((uint64_t)k->max, units, hi, sizeof hi);
		return (config_error(ctx, line, key, "out of range (%s to %s)",
		    lo, hi));
	}
	*out = v;
	return (0);
}

static int
config_set_string(struct config_ctx *ctx, const struct config_key *k,
    int line, const char *key, const char *value, char **out)
{
	const char	*why;

	if (*value == '\0') {
		if (k->flags & CONFIG_F_REQUIRED)
			return (config_error(ctx, line, key, "empty value"));
		free(*out);
		*out = NULL;
		return (0);
	}
	if (k->check != NULL && (why = k->check(value)) != NULL) {
		if (k->flags & CONFIG_F_SECRET)
			return (config_error(ctx, line, key, "%s", why));
		return (config_error(ctx, line, key, "`%s`: %s",
		    config_shown(ctx, value), why));
	}
	free(*out);
	*out = xstrdup(value);
	return (0);
}

/* Parse value as key k's type and store it into the struct at base. */
static int
config_set(struct config_ctx *ctx, const struct config_key *k, void *base,
    int line, const char *key, const char *value)
{
	void		*field = (char *)base + k->off;
	const char	*why;

	if (k->type != CONFIG_T_STRING && *value == '\0')
		return (config_error(ctx, line, key, "missing value"));
	switch (k->type) {
	case CONFIG_T_STRING:
		return (config_set_string(ctx, k, line, key, value, field));
	case CONFIG_T_PORT:
	case CONFIG_T_INT:
		return (config_set_int(ctx, k, line, key, value, field));
	case CONFIG_T_BOOL:
		if ((why = config_parse_bool(value, field)) == NULL)
			return (0);
		return (config_error(ctx, line, key, "`%s`: %s",
		    config_shown(ctx, value), why));
	case CONFIG_T_DURATION:
	case CONFIG_T_SIZE:
		return (config_set_scaled(ctx, k, line, key, value, field));
	case CONFIG_T_ENUM:
		return (config_set_enum(ctx, k, line, key, value, field));
	}
	return (0);
}

/* Render the value of key k in the struct at base; NULL if unset. */
static const char *
config_render(const struct config_key *k, const void *base, char *out,
    size_t len)
{
	const void	*field = (const char *)base + k->off;

	switch (k->type) {
	case CONFIG_T_STRING:
		return (*(char *const *)field);
	case CONFIG_T_PORT:
	case CONFIG_T_INT:
		snprintf(out, len, "%d", *(const int *)field);
		break;
	case CONFIG_T_BOOL:
		snprintf(out, len, "%s", *(const int *)field ? "true" :
		    "false");
		break;
	case CONFIG_T_DURATION:
		config_render_scaled(*(const uint64_t *)field,
		    config_duration_units, out, len);
		break;
	case CONFIG_T_SIZE:
		config_render_scaled(*(const uint64_t *)field,
		    config_size_units, out, len);
		break;
	case CONFIG_T_ENUM:
		return (k->names[*(const int *)field]);
	}
	return (out);
}

static const char *
config_check_address(const char *s)
{
	struct in6_addr	a;

	if (strcmp(s, "localhost") == 0 || inet_pton(AF_INET, s, &a) == 1 ||
	    inet_pton(AF_INET6, s, &a) == 1)
		return (NULL);
	return ("not an IP address or localhost (the port is a key of its "
	    "own)");
}

static const char *
config_check_url(const char *s)
{
	const char	*host;

	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return ("not an http:// or https:// URL");
	if (*host == '\0' || *host == '/')
		return ("URL without a host");
	return (NULL);
}

static const char *
config_check_topic(const char *s)
{
	size_t	n;

	n = strspn(s, CONFIG_ALNUM "._-");
	if (s[n] != '\0' || n > 249)
		return ("not a valid Kafka topic name ([A-Za-z0-9._-], at "
		    "most 249 characters)");
	return (NULL);
}

static int
config_is_ident_char(int c)
{
	return (isalnum((unsigned char)c) || c == '_');
}

static const char *
config_check_table(const char *s)
{
	const char	*p;
	int		 dots = 0;

	for (p = s; *p != '\0'; p++) {
		if (*p == '.') {
			if (p == s || p[1] == '\0' || p[1] == '.')
				break;
			dots++;
		} else if (!config_is_ident_char(*p))
			break;
	}
	if (*p != '\0' || dots == 0)
		return ("not namespace.table (parts of letters, digits "
		    "and _)");
	return (NULL);
}

/* Append ${NAME} or ${NAME:-default} at *pp (just past "${"). */
static int
config_expand_var(struct config_ctx *ctx, int line, const char *key,
    const char **pp, const char *end, struct buf *b)
{
	const char	*p = *pp, *close, *dflt = NULL, *v;
	char		*name;
	size_t		 n;

	close = memchr(p, '}', (size_t)(end - p));
	if (close == NULL)
		return (config_error(ctx, line, key, "unterminated ${"));
	n = strspn(p, CONFIG_ALNUM "_");
	if (n == 0 || isdigit((unsigned char)*p) ||
	    (p + n != close && strncmp(p + n, ":-", 2) != 0))
		return (config_error(ctx, line, key, "bad ${...} reference "
		    "(want ${NAME} or ${NAME:-default})"));
	if (p + n != close)
		dflt = p + n + 2;
	name = xstrndup(p, n);
	v = getenv(name);
	if (dflt != NULL && (v == NULL || *v == '\0'))
		buf_append(b, dflt, (size_t)(close - dflt));
	else if (v != NULL)
		buf_puts(b, v);
	else {
		config_error(ctx, line, key, "environment variable %s is not "
		    "set (use ${%s:-default} for a fallback)", name, name);
		free(name);
		return (-1);
	}
	free(name);
	*pp = close + 1;
	return (0);
}

/* Copy [p, end) expanding ${...} if expand; heap string or NULL. */
static char *
config_expand(struct config_ctx *ctx, int line, const char *key,
    const char *p, const char *end, int expand)
{
	struct buf	 b = BUF_INIT;
	const char	*start = p;

	config_shown_clear(ctx);
	while (p < end) {
		if (expand && p[0] == '$' && p + 1 < end && p[1] == '{') {
			if (ctx->shown == NULL)
				ctx->shown = xstrndup(start,
				    (size_t)(end - start));
			p += 2;
			if (config_expand_var(ctx, line, key, &p, end,
			    &b) != 0) {
				buf_free(&b);
				return (NULL);
			}
		} else
			buf_putc(&b, (uint8_t)*p++);
	}
	buf_cstr(&b);
	return ((char *)buf_steal(&b, NULL));
}

/*
 * The value text after "key:": optional quotes, a trailing " # comment",
 * ${ENV} expansion (not inside single quotes).  Heap string or NULL.
 */
static char *
config_value(struct config_ctx *ctx, int line, const char *key,
    const char *s)
{
	const char	*end, *after;
	char		 q;

	s += strspn(s, " \t");
	if (*s == '"' || *s == '\'') {
		q = *s++;
		if ((end = strchr(s, q)) == NULL) {
			config_error(ctx, line, key, "unterminated quote");
			return (NULL);
		}
		after = end + 1 + strspn(end + 1, " \t");
		if (*after != '\0' && *after != '#') {
			config_error(ctx, line, key, "text after the closing "
			    "quote");
			return (NULL);
		}
		return (config_expand(ctx, line, key, s, end, q == '"'));
	}
	for (end = s; *end != '\0'; end++) {
		if (*end == '#' && (end == s || end[-1] == ' ' ||
		    end[-1] == '\t'))
			break;
	}
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	return (config_expand(ctx, line, key, s, end, 1));
}

/* A misspelt "kafka." or "job." prefix: the corrected key, or NULL. */
static char *
config_fix_prefix(const char *key)
{
	static const char *const prefixes[] = { "kafka", "job" };
	const char	*dot;
	char		*first;
	size_t		 i, d;

	if ((dot = strchr(key, '.')) == NULL)
		return (NULL);
	first = xstrndup(key, (size_t)(dot - key));
	for (i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
		d = suggest_distance(first, prefixes[i]);
		if (d > 0 && d <= (i == 0 ? 2U : 1U)) {
			free(first);
			return (xasprintf("%s%s", prefixes[i], dot));
		}
	}
	free(first);
	return (NULL);
}

/* An unknown global key, with a suggestion when one is close. */
static int
config_unknown(struct config_ctx *ctx, int line, const char *key)
{
	const char	*near;
	char		*alt = NULL;
	int		 rc;

	near = suggest_closest(key, config_keys, CONFIG_NGLOBAL,
	    sizeof config_keys[0]);
	if (near != NULL)
		alt = xstrdup(near);
	else if (config_lookup(config_job_keys, CONFIG_NJOB, key) != NULL)
		return (config_error(ctx, line, key, "unknown key (a per-job "
		    "key: write job.<name>.%s)", key));
	else
		alt = config_fix_prefix(key);
	if (alt == NULL)
		return (config_error(ctx, line, key, "unknown key"));
	rc = config_error(ctx, line, key, "unknown key (did you mean `%s`?)",
	    alt);
	free(alt);
	return (rc);
}

/* An unknown key in job.<name>.<rest>. */
static int
config_job_unknown(struct config_ctx *ctx, int line, const char *key,
    const char *name, const char *rest)
{
	const char	*near;
	size_t		 i, nl, rl = strlen(rest);

	near = suggest_closest(rest, config_job_keys, CONFIG_NJOB,
	    sizeof config_job_keys[0]);
	for (i = 0; near == NULL && rl > 0 && i < CONFIG_NJOB; i++) {
		nl = strlen(config_job_keys[i].key);
		if (nl > rl && config_job_keys[i].key[nl - rl - 1] == '.' &&
		    strcmp(config_job_keys[i].key + nl - rl, rest) == 0)
			near = config_job_keys[i].key;
	}
	if (near != NULL)
		return (config_error(ctx, line, key, "unknown key (did you "
		    "mean `job.%s.%s`?)", name, near));
	if (config_lookup(config_keys, CONFIG_NGLOBAL, rest) != NULL)
		return (config_error(ctx, line, key, "unknown key (%s is a "
		    "global key: write it without job.%s.)", rest, name));
	return (config_error(ctx, line, key, "unknown key"));
}

/* A kafka.<prop> or job.<name>.kafka.<prop> line, added to l. */
static int
config_passthrough(struct config_ctx *ctx, struct config_kvlist *l,
    int line, const char *key, const char *prop, const char *value)
{
	char	*why;

	why = config_kafka_add(ctx->kafka, l, key, prop, value, ctx->shown,
	    line);
	if (why == NULL)
		return (0);
	config_error(ctx, line, key, "%s", why);
	free(why);
	return (-1);
}

/* Find job name[0..len), creating it (first named at line) if new. */
static size_t
config_job_get(struct config_ctx *ctx, const char *name, size_t len,
    int line)
{
	struct config	*cfg = ctx->cfg;
	size_t		 i;

	for (i = 0; i < cfg->njobs; i++) {
		if (strlen(cfg->jobs[i].name) == len &&
		    strncmp(cfg->jobs[i].name, name, len) == 0)
			return (i);
	}
	cfg->jobs = xreallocarray(cfg->jobs, i + 1, sizeof *cfg->jobs);
	memset(&cfg->jobs[i], 0, sizeof cfg->jobs[i]);
	cfg->jobs[i].name = xstrndup(name, len);
	cfg->jobs[i].line = line;
	ctx->jlines = xreallocarray(ctx->jlines, (i + 1) * CONFIG_NJOB,
	    sizeof *ctx->jlines);
	memset(ctx->jlines + i * CONFIG_NJOB, 0,
	    CONFIG_NJOB * sizeof *ctx->jlines);
	cfg->njobs++;
	return (i);
}

/* Set key k (at index idx of a table) unless it was set before. */
static int
config_set_once(struct config_ctx *ctx, const struct config_key *k,
    void *base, int *lines, int line, const char *key, const char *value)
{
	if (*lines != 0)
		return (config_error(ctx, line, key, "duplicate key (first "
		    "set at line %d)", *lines));
	if (config_set(ctx, k, base, line, key, value) != 0)
		return (-1);
	*lines = line;
	return (0);
}

/* A job.<name>.<key> line. */
static int
config_job_line(struct config_ctx *ctx, int line, const char *key,
    const char *value)
{
	const struct config_key	*k;
	const char		*name = key + 4, *rest;
	size_t			 len, j;

	len = strspn(name, CONFIG_ALNUM "_-");	/* the key has no other */
	if (len == 0 || name[len] == '\0' || name[len + 1] == '\0')
		return (config_error(ctx, line, key, "unknown key (expected "
		    "job.<name>.<key>)"));
	if (len > CONFIG_MAX_JOB_NAME)
		return (config_error(ctx, line, key, "job name longer than %d "
		    "characters", CONFIG_MAX_JOB_NAME));
	rest = name + len + 1;
	j = config_job_get(ctx, name, len, line);
	if (strncmp(rest, "kafka.", 6) == 0)
		return (config_passthrough(ctx, &ctx->cfg->jobs[j].kafka,
		    line, key, rest + 6, value));
	if ((k = config_lookup(config_job_keys, CONFIG_NJOB, rest)) == NULL)
		return (config_job_unknown(ctx, line, key,
		    ctx->cfg->jobs[j].name, rest));
	return (config_set_once(ctx, k, &ctx->cfg->jobs[j],
	    &ctx->jlines[j * CONFIG_NJOB + (size_t)(k - config_job_keys)],
	    line, key, value));
}

/* One "key: value" pair. */
static int
config_pair(struct config_ctx *ctx, int line, const char *key,
    const char *value)
{
	const struct config_key	*k;

	if (strncmp(key, "kafka.", 6) == 0)
		return (config_passthrough(ctx, &ctx->cfg->kafka, line, key,
		    key + 6, value));
	if (strncmp(key, "job.", 4) == 0)
		return (config_job_line(ctx, line, key, value));
	if ((k = config_lookup(config_keys, CONFIG_NGLOBAL, key)) == NULL)
		return (config_unknown(ctx, line, key));
	return (config_set_once(ctx, k, ctx->cfg,
	    &ctx->glines[k - config_keys], line, key, value));
}

/*
 * A line without ':'.  Name its leading key characters only if they look
 * like a key: the rest of the line may be a secret ("password=x").
 */
static int
config_no_colon(struct config_ctx *ctx, int line, char *s)
{
	const char	*key = "(no key)", *hint = "";
	size_t		 n;

	n = strspn(s, CONFIG_ALNUM "._-");
	if (s[n + strspn(s + n, " \t")] == '=')
		hint = " (not key=value)";
	s[n] = '\0';
	if (config_lookup(config_keys, CONFIG_NGLOBAL, s) != NULL ||
	    strncmp(s, "job.", 4) == 0 || strncmp(s, "kafka.", 6) == 0)
		key = s;
	return (config_error(ctx, line, key, "expected `key: value`%s",
	    hint));
}

/* A key with other characters: name only the part before them. */
static int
config_bad_key(struct config_ctx *ctx, int line, char *s)
{
	size_t	n;

	n = strspn(s, CONFIG_ALNUM "._-");
	s[n] = '\0';
	return (config_error(ctx, line, n > 0 ? s : "(no key)", "invalid "
	    "character in key (letters, digits, '.', '_' and '-' only)"));
}

/* One line of the file (NUL-terminated, modifiable). */
static int
config_line(struct config_ctx *ctx, int line, char *s)
{
	char	*colon, *end, *value;
	int	 rc;

	s += strspn(s, " \t");
	if (*s == '\0' || *s == '#')
		return (0);
	if ((colon = strchr(s, ':')) == NULL)
		return (config_no_colon(ctx, line, s));
	for (end = colon; end > s && (end[-1] == ' ' || end[-1] == '\t');)
		end--;
	*end = '\0';
	if (*s == '\0')
		return (config_error(ctx, line, "(no key)", "missing key "
		    "before `:`"));
	if (s[strspn(s, CONFIG_ALNUM "._-")] != '\0')
		return (config_bad_key(ctx, line, s));
	if ((value = config_value(ctx, line, s, colon + 1)) == NULL)
		return (-1);
	rc = config_pair(ctx, line, s, value);
	config_shown_clear(ctx);
	if (config_is_secret(s))
		explicit_bzero(value, strlen(value));
	free(value);
	return (rc);
}

/* Split text into lines and parse each. */
static int
config_lines(struct config_ctx *ctx, const char *text)
{
	const char	*p = text, *nl;
	char		*s;
	size_t		 len;
	int		 line, rc = 0;

	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;		/* UTF-8 byte order mark */
	for (line = 1; rc == 0 && *p != '\0'; line++) {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		s = xstrndup(p, len);
		rc = config_line(ctx, line, s);
		explicit_bzero(s, len);
		free(s);
		p = nl != NULL ? nl + 1 : p + strlen(p);
	}
	return (rc);
}

/*
 * Give every unset key of a table its default (a string key set to the
 * empty string is unset too); then a required key still unset is an error
 * at line missing.  prefix makes the full key names.
 */
static int
config_defaults(struct config_ctx *ctx, const struct config_key *keys,
    size_t n, void *base, const int *lines, const char *prefix, int missing)
{
	const struct config_key	*k;
	char			*key, *v;
	size_t			 i;
	int			 rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		k = &keys[i];
		key = xasprintf("%s%s", prefix, k->key);
		if (k->dflt != NULL && (lines[i] == 0 ||
		    (k->type == CONFIG_T_STRING &&
		    *(char **)((char *)base + k->off) == NULL))) {
			v = config_expand(ctx, 0, key, k->dflt,
			    k->dflt + strlen(k->dflt), 1);
			rc = v == NULL ? -1 : config_set(ctx, k, base, 0, key,
			    v);
			config_shown_clear(ctx);
			free(v);
		}
		if (rc == 0 && (k->flags & CONFIG_F_REQUIRED) &&
		    *(char **)((char *)base + k->off) == NULL)
			rc = config_error(ctx, missing, key, "required key "
			    "missing (%s)", k->help);
		free(key);
	}
	return (rc);
}

/* Where key of job j was set (0: not in the file). */
static int
config_job_key_line(const struct config_ctx *ctx, size_t j, const char *key)
{
	const struct config_key	*k;

	k = config_lookup(config_job_keys, CONFIG_NJOB, key);
	return (ctx->jlines[j * CONFIG_NJOB + (size_t)(k - config_job_keys)]);
}

/* An error about job.<name>.key, at its line or else the job's first. */
static int __attribute__((format(printf, 4, 5)))
config_job_error(struct config_ctx *ctx, size_t j, const char *key,
    const char *fmt, ...)
{
	const struct config_job	*job = &ctx->cfg->jobs[j];
	va_list			 ap;
	char			*full, *msg;
	int			 line;

	if ((line = config_job_key_line(ctx, j, key)) == 0)
		line = job->line;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	full = xasprintf("job.%s.%s", job->name, key);
	config_error(ctx, line, full, "%s", msg);
	free(full);
	free(msg);
	return (-1);
}

/* Defaults and checks of one job that need the whole file. */
static int
config_finish_job(struct config_ctx *ctx, size_t j)
{
	struct config_job	*job = &ctx->cfg->jobs[j];
	char			*prefix;
	const char		*dot;
	int			 rc;

	prefix = xasprintf("job.%s.", job->name);
	rc = config_defaults(ctx, config_job_keys, CONFIG_NJOB, job,
	    ctx->jlines + j * CONFIG_NJOB, prefix, job->line);
	free(prefix);
	if (rc != 0)
		return (-1);
	if (job->group_id == NULL)
		job->group_id = xasprintf("bronze-%s", job->name);
	dot = strrchr(job->table, '.');
	job->table_namespace = xstrndup(job->table,
	    (size_t)(dot - job->table));
	job->table_name = xstrdup(dot + 1);
	if (job->compression != CONFIG_COMPRESS_ZSTD &&
	    config_job_key_line(ctx, j, "sink.compression-level") != 0)
		return (config_job_error(ctx, j, "sink.compression-level",
		    "only zstd has levels (sink.compression is %s)",
		    config_compression_names[job->compression]));
#ifndef HAVE_SNAPPY
	if (job->compression == CONFIG_COMPRESS_SNAPPY)
		return (config_job_error(ctx, j, "sink.compression",
		    "snappy support is not built in (use zstd)"));
#endif
	if (!config_kafka_has_brokers(&ctx->cfg->kafka) &&
	    !config_kafka_has_brokers(&job->kafka))
		return (config_error(ctx, job->line, "kafka.bootstrap.servers",
		    "required key missing (needed by job %s)", job->name));
	return (0);
}

/* No two jobs may write one table or share one consumer group. */
static int
config_cross_jobs(struct config_ctx *ctx)
{
	const struct config_job	*a, *b;
	size_t			 i, j;

	for (j = 1; j < ctx->cfg->njobs; j++) {
		b = &ctx->cfg->jobs[j];
		for (i = 0; i < j; i++) {
			a = &ctx->cfg->jobs[i];
			if (strcasecmp(a->table, b->table) == 0)
				return (config_job_error(ctx, j, "sink.table",
				    "table %s is already written by job %s",
				    b->table, a->name));
			if (strcmp(a->group_id, b->group_id) == 0)
				return (config_job_error(ctx, j,
				    "source.group-id", "consumer group %s is "
				    "already used by job %s", b->group_id,
				    a->name));
		}
	}
	return (0);
}

/* Where global key was set (1 if not in the file). */
static int
config_key_line(const struct config_ctx *ctx, const char *key)
{
	const struct config_key	*k;
	int			 line;

	k = config_lookup(config_keys, CONFIG_NGLOBAL, key);
	line = ctx->glines[k - config_keys];
	return (line != 0 ? line : 1);
}

/* Defaults and checks that need the whole file. */
static int
config_finish(struct config_ctx *ctx)
{
	struct config	*cfg = ctx->cfg;
	size_t		 j;
	int		 line;

	if (config_defaults(ctx, config_keys, CONFIG_NGLOBAL, cfg, ctx->glines,
	    "", 1) != 0)
		return (-1);
	if (cfg->catalog_type == CONFIG_CATALOG_REST &&
	    cfg->catalog_uri == NULL)
		return (config_error(ctx, config_key_line(ctx, "catalog.type"),
		    "catalog.uri", "required key missing (catalog.type is "
		    "rest)"));
	if (cfg->metrics_port != 0 && cfg->metrics_port == cfg->admin_port) {
		line = config_key_line(ctx, "metrics.port");
		if (config_key_line(ctx, "admin.port") > line)
			line = config_key_line(ctx, "admin.port");
		return (config_error(ctx, line, "metrics.port", "%d is also "
		    "admin.port", cfg->metrics_port));
	}
	if (cfg->njobs == 0)
		return (config_error(ctx, 1, "job.<name>.source.topic", "no "
		    "job defined (at least one job is required)"));
	for (j = 0; j < cfg->njobs; j++) {
		if (config_finish_job(ctx, j) != 0)
			return (-1);
	}
	return (config_cross_jobs(ctx));
}

struct config *
config_parse(const char *name, const char *text, char **cause)
{
	struct config_ctx	ctx;
	int			rc;

	memset(&ctx, 0, sizeof ctx);
	ctx.name = name;
	ctx.cfg = xcalloc(1, sizeof *ctx.cfg);
	ctx.cfg->path = xstrdup(name);
	ctx.glines = xcalloc(CONFIG_NGLOBAL, sizeof *ctx.glines);
	ctx.kafka = config_kafka_new();
	rc = config_lines(&ctx, text);
	if (rc == 0)
		rc = config_finish(&ctx);
	config_kafka_free(ctx.kafka);
	free(ctx.glines);
	free(ctx.jlines);
	free(ctx.shown);
	if (rc != 0) {
		config_free(ctx.cfg);
		*cause = ctx.cause;
		return (NULL);
	}
	return (ctx.cfg);
}

/* Read a whole (small) file into b; -1 and *cause on error. */
static int
config_read(const char *path, struct buf *b, char **cause)
{
	FILE	*f;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return (-1);
	}
	do {
		buf_reserve(b, 8192);
		n = fread(b->data + b->len, 1, 8192, f);
		b->len += n;
	} while (n > 0 && b->len <= CONFIG_MAX_FILE);
	if (ferror(f)) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		fclose(f);
		return (-1);
	}
	fclose(f);
	if (b->len > CONFIG_MAX_FILE) {
		*cause = xasprintf("%s: larger than %d bytes", path,
		    CONFIG_MAX_FILE);
		return (-1);
	}
	return (0);
}

struct config *
config_load(const char *path, char **cause)
{
	struct buf	 b = BUF_INIT;
	struct config	*cfg = NULL;
	const uint8_t	*nul;
	size_t		 i;
	int		 line = 1;

	if (config_read(path, &b, cause) != 0) {
		buf_free(&b);
		return (NULL);
	}
	if ((nul = memchr(b.data, '\0', b.len)) != NULL) {
		for (i = 0; b.data + i < nul; i++)
			line += b.data[i] == '\n';
		*cause = xasprintf("%s:%d: (no key): NUL byte in the file",
		    path, line);
	} else
		cfg = config_parse(path, buf_cstr(&b), cause);
	explicit_bzero(b.data, b.len);
	buf_free(&b);
	return (cfg);
}

/* Free the strings of a table's keys in the struct at base. */
static void
config_free_strings(const struct config_key *keys, size_t n, void *base)
{
	char	**field;
	size_t	  i;

	for (i = 0; i < n; i++) {
		if (keys[i].type != CONFIG_T_STRING)
			continue;
		field = (char **)((char *)base + keys[i].off);
		if (*field != NULL && (keys[i].flags & CONFIG_F_SECRET))
			explicit_bzero(*field, strlen(*field));
		free(*field);
	}
}

void
config_free(struct config *cfg)
{
	struct config_job	*job;
	size_t			 j;

	if (cfg == NULL)
		return;
	config_free_strings(config_keys, CONFIG_NGLOBAL, cfg);
	config_kafka_list_free(&cfg->kafka);
	for (j = 0; j < cfg->njobs; j++) {
		job = &cfg->jobs[j];
		config_free_strings(config_job_keys, CONFIG_NJOB, job);
		config_kafka_list_free(&job->kafka);
		free(job->name);
		free(job->table_namespace);
		free(job->table_name);
	}
	free(cfg->jobs);
	free(cfg->path);
	free(cfg);
}

const struct config_job *
config_find_job(const struct config *cfg, const char *name)
{
	size_t	j;

	for (j = 0; j < cfg->njobs; j++) {
		if (strcmp(cfg->jobs[j].name, name) == 0)
			return (&cfg->jobs[j]);
	}
	return (NULL);
}

/* Visit the set keys of a table in the struct at base. */
static void
config_visit_keys(const struct config_key *keys, size_t n, const void *base,
    const char *prefix, config_visit_fn fn, void *arg)
{
	const char	*v;
	char		 tmp[64], *key;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if ((v = config_render(&keys[i], base, tmp, sizeof tmp)) ==
		    NULL)
			continue;
		key = xasprintf("%s%s", prefix, keys[i].key);
		fn(key, v, (keys[i].flags & CONFIG_F_SECRET) != 0, arg);
		free(key);
	}
}

static int
config_kv_cmp(const void *a, const void *b)
{
	const struct config_kv	*const *x = a, *const *y = b;

	return (strcmp((*x)->key, (*y)->key));
}

/* Visit a kafka passthrough list sorted by property. */
static void
config_visit_kafka(const struct config_kvlist *l, const char *prefix,
    config_visit_fn fn, void *arg)
{
	const struct config_kv	**sorted;
	char			 *key;
	size_t			  i;

	if (l->count == 0)
		return;
	sorted = xreallocarray(NULL, l->count, sizeof *sorted);
	for (i = 0; i < l->count; i++)
		sorted[i] = &l->items[i];
	qsort(sorted, l->count, sizeof *sorted, config_kv_cmp);
	for (i = 0; i < l->count; i++) {
		key = xasprintf("%s%s", prefix, sorted[i]->key);
		fn(key, sorted[i]->value,
		    config_kafka_is_secret(sorted[i]->key), arg);
		free(key);
	}
	free(sorted);
}

void
config_visit_job(const struct config_job *job, config_visit_fn fn, void *arg)
{
	char	*prefix;

	prefix = xasprintf("job.%s.", job->name);
	config_visit_keys(config_job_keys, CONFIG_NJOB, job, prefix, fn, arg);
	free(prefix);
	prefix = xasprintf("job.%s.kafka.", job->name);
	config_visit_kafka(&job->kafka, prefix, fn, arg);
	free(prefix);
}

void
config_visit(const struct config *cfg, config_visit_fn fn, void *arg)
{
	size_t	j;

	config_visit_keys(config_keys, CONFIG_NGLOBAL, cfg, "", fn, arg);
	config_visit_kafka(&cfg->kafka, "kafka.", fn, arg);
	for (j = 0; j < cfg->njobs; j++)
		config_visit_job(&cfg->jobs[j], fn, arg);
}
