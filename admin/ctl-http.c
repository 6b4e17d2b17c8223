/*
 * ctl-http.c: bronzectl's HTTP client for the admin API (libcurl easy
 * interface; a CLI may block).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <curl/curl.h>

#include "buf.h"
#include "ctl-http.h"
#include "xmalloc.h"

/* Largest reply kept; the API's replies are far smaller. */
#define CTL_MAX_REPLY	(16 * 1024 * 1024)

/* libcurl write callback: append to the reply buffer. */
static size_t
ctl_http_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;

	if (b->len + size * n > CTL_MAX_REPLY)
		return (0);
	buf_append(b, data, size * n);
	return (size * n);
}

/* The request's headers: JSON, and the bearer token if one is set. */
static struct curl_slist *
ctl_http_headers(const struct ctl *ctl, int has_body)
{
	struct curl_slist	*h = NULL;
	char			*auth;

	h = curl_slist_append(h, "Accept: application/json");
	if (has_body)
		h = curl_slist_append(h, "Content-Type: application/json");
	if (ctl->token != NULL) {
		auth = xasprintf("Authorization: Bearer %s", ctl->token);
		h = curl_slist_append(h, auth);
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	if (h == NULL) {
		fprintf(stderr, "bronzectl: out of memory\n");
		exit(CTL_EXIT_FAIL);
	}
	return (h);
}

int
ctl_http_request(const struct ctl *ctl, const char *method, const char *path,
    const char *body, struct ctl_reply *reply)
{
	CURL			*curl;
	struct curl_slist	*headers;
	struct buf		 b = BUF_INIT;
	char			 errbuf[CURL_ERROR_SIZE] = "", *url;
	CURLcode		 rc;

	memset(reply, 0, sizeof *reply);
	if ((curl = curl_easy_init()) == NULL) {
		fprintf(stderr, "bronzectl: curl_easy_init failed\n");
		exit(CTL_EXIT_FAIL);
	}
	url = xasprintf("%s%s", ctl->url, path);
	headers = ctl_http_headers(ctl, body != NULL);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, ctl->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, ctl_http_write_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	if (body != NULL)
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply->status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK) {
		fprintf(stderr, "bronzectl: cannot reach bronzed at %s: %s\n",
		    ctl->url, *errbuf != '\0' ? errbuf :
		    curl_easy_strerror(rc));
		free(url);
		buf_free(&b);
		return (CTL_EXIT_UNREACHABLE);
	}
	free(url);
	buf_cstr(&b);
	reply->len = b.len;
	reply->body = (char *)buf_steal(&b, NULL);
	reply->json = cJSON_ParseWithLength(reply->body, reply->len);
	return (0);
}

int
ctl_http_fail(const char *method, const char *path,
    const struct ctl_reply *reply)
{
	const cJSON	*errors, *e;
	int		 printed = 0;

	errors = cJSON_GetObjectItemCaseSensitive(reply->json, "errors");
	cJSON_ArrayForEach(e, errors) {
		if (cJSON_IsString(e)) {
			fprintf(stderr, "bronzectl: %s %s: HTTP %ld: %s\n",
			    method, path, reply->status, e->valuestring);
			printed++;
		}
	}
	if (printed == 0 && reply->status / 100 != 2)
		fprintf(stderr, "bronzectl: %s %s: HTTP %ld\n", method, path,
		    reply->status);
	else if (printed == 0)
		fprintf(stderr, "bronzectl: %s %s: the reply is not JSON\n",
		    method, path);
	return (CTL_EXIT_FAIL);
}

int
ctl_http_get(const struct ctl *ctl, const char *path, struct ctl_reply *reply)
{
	int	rc;

	if ((rc = ctl_http_request(ctl, "GET", path, NULL, reply)) != 0)
		return (rc);
	if (reply->status / 100 != 2 || reply->json == NULL) {
		rc = ctl_http_fail("GET", path, reply);
		ctl_http_reply_free(reply);
		return (rc);
	}
	return (0);
}

void
ctl_http_reply_free(struct ctl_reply *reply)
{
	free(reply->body);
	reply->body = NULL;
	cJSON_Delete(reply->json);
	reply->json = NULL;
}
