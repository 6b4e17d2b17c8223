/*
 * config-kafka.c: kafka.* and job.<name>.kafka.* properties of the config
 * file, validated by librdkafka itself (see config-kafka.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "buf.h"
#include "config-kafka.h"
#include "suggest.h"
#include "xmalloc.h"

#define CONFIG_KAFKA_REDACTED	"******"

/* A librdkafka property: its name, whom it is for (C, P or *), alias. */
struct config_kafka_prop {
	char	*name;
	char	*alias;		/* the property it is another name for */
	char	 role;
};

struct config_kafka {
	rd_kafka_conf_t			*rk;	/* scratch */
	struct config_kafka_prop	*props;
	size_t				 nprops;
};

/* librdkafka properties bronzed sets itself, and what to do instead. */
static const struct {
	const char	*prop;
	const char	*advice;
} config_kafka_owned[] = {
	{ "group.id", "set by bronzed: use job.<name>.source.group-id" },
	{ "enable.auto.commit",
	  "set by bronzed: offsets are committed after each checkpoint" },
	{ "enable.auto.offset.store",
	  "set by bronzed: offsets are stored after each checkpoint" },
	{ "auto.offset.reset",
	  "set by bronzed: use job.<name>.source.startup-mode" },
};

/* Substrings of librdkafka property names that hold secrets. */
static const char *const config_kafka_secrets[] = {
	"password", "secret", "sasl.oauthbearer.config", "ssl.key.pem",
	"ssl_key"
};

/* Properties that name the brokers (the mock one for tests). */
static const char *const config_kafka_brokers[] = {
	"bootstrap.servers", "metadata.broker.list", "test.mock.num.brokers"
};

int
config_kafka_is_secret(const char *prop)
{
	size_t	i;

	for (i = 0; i < sizeof config_kafka_secrets /
	    sizeof config_kafka_secrets[0]; i++) {
		if (strcasestr(prop, config_kafka_secrets[i]) != NULL)
			return (1);
	}
	return (0);
}

static const struct config_kv *
config_kafka_find(const struct config_kvlist *l, const char *prop)
{
	size_t	i;

	for (i = 0; i < l->count; i++) {
		if (strcmp(l->items[i].key, prop) == 0)
			return (&l->items[i]);
	}
	return (NULL);
}

int
config_kafka_has_brokers(const struct config_kvlist *l)
{
	size_t	i;

	for (i = 0; i < sizeof config_kafka_brokers /
	    sizeof config_kafka_brokers[0]; i++) {
		if (config_kafka_find(l, config_kafka_brokers[i]) != NULL)
			return (1);
	}
	return (0);
}

void
config_kafka_list_free(struct config_kvlist *l)
{
	size_t	i;

	for (i = 0; i < l->count; i++) {
		if (config_kafka_is_secret(l->items[i].key))
			explicit_bzero(l->items[i].value,
			    strlen(l->items[i].value));
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

/* Load librdkafka's property table from its (markdown) listing. */
static void
config_kafka_load(struct config_kafka *ck)
{
	struct config_kafka_prop	*kp;
	FILE				*f;
	char				*text = NULL, *line, *bar, *alias;
	char				*save = NULL;
	size_t				 len = 0;

	if ((f = open_memstream(&text, &len)) == NULL)
		return;
	rd_kafka_conf_properties_show(f);
	fclose(f);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((bar = strchr(line, '|')) == NULL || *line == '-' ||
		    strncmp(line, "Property ", 9) == 0)
			continue;
		ck->props = xreallocarray(ck->props, ck->nprops + 1,
		    sizeof *ck->props);
		kp = &ck->props[ck->nprops++];
		kp->name = xstrndup(line, strcspn(line, " |"));
		kp->role = bar[1 + strspn(bar + 1, " ")];
		kp->alias = NULL;
		if ((alias = strstr(bar, "Alias for `")) != NULL) {
			alias += 11;
			kp->alias = xstrndup(alias, strcspn(alias, "`"));
		}
	}
	free(text);
}

struct config_kafka *
config_kafka_new(void)
{
	struct config_kafka	*ck;

	ck = xcalloc(1, sizeof *ck);
	ck->rk = rd_kafka_conf_new();
	return (ck);
}

void
config_kafka_free(struct config_kafka *ck)
{
	size_t	i;

	if (ck == NULL)
		return;
	rd_kafka_conf_destroy(ck->rk);
	for (i = 0; i < ck->nprops; i++) {
		free(ck->props[i].name);
		free(ck->props[i].alias);
	}
	free(ck->props);
	free(ck);
}

static const struct config_kafka_prop *
config_kafka_prop(const struct config_kafka *ck, const char *prop)
{
	size_t	i;

	for (i = 0; i < ck->nprops; i++) {
		if (strcmp(ck->props[i].name, prop) == 0)
			return (&ck->props[i]);
	}
	return (NULL);
}

/* The property prop is another name for, or prop itself. */
static const char *
config_kafka_canonical(const struct config_kafka *ck, const char *prop)
{
	const struct config_kafka_prop	*kp;

	if ((kp = config_kafka_prop(ck, prop)) != NULL && kp->alias != NULL)
		return (kp->alias);
	return (prop);
}

/* A property set twice in one list, perhaps under another name. */
static char *
config_kafka_duplicate(const struct config_kafka *ck,
    const struct config_kvlist *l, const char *prop)
{
	const char	*canon = config_kafka_canonical(ck, prop);
	size_t		 i;

	for (i = 0; i < l->count; i++) {
		if (strcmp(l->items[i].key, prop) == 0)
			return (xasprintf("duplicate key (first set at line "
			    "%d)", l->items[i].line));
		if (strcmp(config_kafka_canonical(ck, l->items[i].key),
		    canon) == 0)
			return (xasprintf("duplicate key (set at line %d as "
			    "%s, another name for the same property)",
			    l->items[i].line, l->items[i].key));
	}
	return (NULL);
}

/*
 * librdkafka's complaint, which may quote the value: a secret's is masked,
 * an expanded one is shown as written.
 */
static char *
config_kafka_reason(const char *prop, const char *value, const char *shown,
    const char *errstr)
{
	struct buf	 b = BUF_INIT;
	const char	*p, *hit, *mask = shown;
	size_t		 vl = strlen(value);

	if (config_kafka_is_secret(prop))
		mask = CONFIG_KAFKA_REDACTED;
	if (mask == NULL || vl == 0)
		return (xstrdup(errstr));
	for (p = errstr; (hit = strstr(p, value)) != NULL; p = hit + vl) {
		buf_append(&b, p, (size_t)(hit - p));
		buf_puts(&b, mask);
	}
	buf_puts(&b, p);
	buf_cstr(&b);
	return ((char *)buf_steal(&b, NULL));
}

/* Let librdkafka judge prop = value; refuse producer-only properties. */
static char *
config_kafka_check(struct config_kafka *ck, const char *key,
    const char *prop, const char *value, const char *shown)
{
	const struct config_kafka_prop	*kp;
	rd_kafka_conf_res_t		 res;
	const char			*near = NULL;
	char				 errstr[512];

	res = rd_kafka_conf_set(ck->rk, prop, value, errstr, sizeof errstr);
	if (res == RD_KAFKA_CONF_UNKNOWN)
		near = suggest_closest(prop, ck->props, ck->nprops,
		    sizeof ck->props[0]);
	if (near != NULL)
		return (xasprintf("%s (did you mean `%.*s%s`?)", errstr,
		    (int)(prop - key), key, near));
	if (res != RD_KAFKA_CONF_OK)
		return (config_kafka_reason(prop, value, shown, errstr));
	if ((kp = config_kafka_prop(ck, prop)) != NULL && kp->role == 'P')
		return (xstrdup("a producer property: bronzed only consumes"));
	return (NULL);
}

char *
config_kafka_add(struct config_kafka *ck, struct config_kvlist *l,
    const char *key, const char *prop, const char *value, const char *shown,
    int line)
{
	struct config_kv	*kv;
	char			*why;
	size_t			 i;

	if (*prop == '\0')
		return (xstrdup("missing librdkafka property name"));
	if (ck->props == NULL)
		config_kafka_load(ck);	/* on first use: a few ms */
	for (i = 0; i < sizeof config_kafka_owned /
	    sizeof config_kafka_owned[0]; i++) {
		if (strcmp(prop, config_kafka_owned[i].prop) == 0)
			return (xstrdup(config_kafka_owned[i].advice));
	}
	if ((why = config_kafka_duplicate(ck, l, prop)) != NULL ||
	    (why = config_kafka_check(ck, key, prop, value, shown)) != NULL)
		return (why);
	l->items = xreallocarray(l->items, l->count + 1, sizeof *l->items);
	kv = &l->items[l->count++];
	kv->key = xstrdup(prop);
	kv->value = xstrdup(value);
	kv->line = line;
	return (NULL);
}
