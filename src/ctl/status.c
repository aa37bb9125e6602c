/* SPDX-License-Identifier: ISC */
/*
 * status.c - "status": the running daemon's state, asked over its metrics listener.
 *
 * frontdeskd serves GET /status, one JSON object, on metrics_listen. The address comes from
 * --url, else from the daemon's configuration: its first metrics_listen, a wildcard address
 * asked on loopback. The answer is checked to be JSON and to say whether the daemon is ready,
 * then printed as it came (--json) or for a person (status-text.c). Exit: 0 ready; 3
 * answering but not ready; 1 not reached, or not answering as frontdeskd does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "ctl.h"
#include "http.h"
#include "jread.h"
#include "status-text.h"

#define STATUS_TIMEOUT_MS 5000      /* to connect, then to have the answer */
#define STATUS_MAX_BYTES  (4 << 20) /* a desk lists 100 waiting, and its agents */

/* Where to ask: host (IPv6 without brackets), port, path; "HOST:PORT" for messages. */
struct target {
	char host[256];
	char port[8];
	char path[512];
	char shown[272];
};

static void set_shown(struct target *t)
{
	bool v6 = strchr(t->host, ':') != NULL;

	snprintf(t->shown, sizeof(t->shown), "%s%s%s:%s", v6 ? "[" : "", t->host, v6 ? "]" : "",
		 t->port);
}

/* "0" to "65535" without sign or leading junk. */
static bool valid_port(const char *s, size_t n)
{
	unsigned long v = 0;

	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v > 0 && v <= 65535;
}

/* Nothing that could end a request line or a header: visible ASCII, no query or fragment. */
static bool plain(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '?' ||
		    s[i] == '#')
			return false;
	return true;
}

/* The path after the authority; "/status" appended unless it ends so. */
static bool set_path(struct target *t, const char *p)
{
	size_t n = strlen(p);

	if (!plain(p, n))
		return false;
	while (n && p[n - 1] == '/')
		n--;
	if (n >= 7 && memcmp(p + n - 7, "/status", 7) == 0)
		return (size_t)snprintf(t->path, sizeof(t->path), "%.*s", (int)n, p) <
		       sizeof(t->path);
	return (size_t)snprintf(t->path, sizeof(t->path), "%.*s/status", (int)n, p) <
	       sizeof(t->path);
}

/* http://HOST[:PORT][/PREFIX], HOST an address in brackets for IPv6; the port 80 if none. */
static int target_from_url(const char *url, struct target *t)
{
	const char *host, *hend, *port = NULL, *rest;

	if (strncasecmp(url, "http://", 7) != 0)
		return ctl_usage_error("--url takes http://HOST:PORT, not '%s'%s", url,
				       strncasecmp(url, "https://", 8) == 0
					   ? " (the metrics listener speaks plain HTTP)"
					   : "");
	host = url + 7;
	rest = host + strcspn(host, "/");
	if (*host == '[') {
		hend = memchr(host, ']', (size_t)(rest - host));
		if (hend && hend + 1 < rest && hend[1] == ':')
			port = hend + 2;
		else if (hend && hend + 1 != rest)
			hend = NULL;
		host++;
	} else {
		hend = memchr(host, ':', (size_t)(rest - host));
		port = hend ? hend + 1 : NULL;
		hend = hend ? hend : rest;
	}
	if (!hend || hend == host || (size_t)(hend - host) >= sizeof(t->host) ||
	    !plain(host, (size_t)(rest - host)) || memchr(host, '@', (size_t)(rest - host)) ||
	    (port && !valid_port(port, (size_t)(rest - port))) || !set_path(t, rest))
		return ctl_usage_error("--url takes http://HOST:PORT, not '%s'", url);
	snprintf(t->host, sizeof(t->host), "%.*s", (int)(hend - host), host);
	snprintf(t->port, sizeof(t->port), "%.*s", port ? (int)(rest - port) : 2,
		 port ? port : "80");
	set_shown(t);
	return CTL_OK;
}

/* The first metrics_listen of the daemon's configuration; the wildcards mean loopback. */
static int target_from_config(const struct ctl *c, struct target *t)
{
	const struct endpoint *e;
	const char *file;
	struct config cfg;
	int r;

	if ((r = ctl_config(c, &cfg, &file)) < 0) {
		ctl_error("no metrics address without a valid configuration (or --url "
			  "http://HOST:PORT)");
		return CTL_ERROR;
	}
	if (cfg.metrics_listen.n == 0 && r == 1) {
		ctl_error("there is no %s, and by default frontdeskd has no metrics_listen to ask: "
			  "give -c FILE (the daemon's configuration) or --url http://HOST:PORT",
			  file);
		return CTL_ERROR;
	}
	if (cfg.metrics_listen.n == 0) {
		ctl_error("%s: metrics_listen is not set, so frontdeskd answers no status: set "
			  "metrics_listen = 127.0.0.1:9167 there and restart frontdeskd, or give "
			  "--url http://HOST:PORT",
			  file);
		return CTL_ERROR;
	}
	e = &cfg.metrics_listen.v[0];
	if (e->port == 0) {
		ctl_error("%s: metrics_listen = %s:0 lets the kernel pick the port: give --url "
			  "http://HOST:PORT with the port frontdeskd logged (\"metrics on ...\")",
			  file, e->host);
		return CTL_ERROR;
	}
	if (strcmp(e->host, "0.0.0.0") == 0)
		snprintf(t->host, sizeof(t->host), "127.0.0.1");
	else if (strcmp(e->host, "::") == 0)
		snprintf(t->host, sizeof(t->host), "::1");
	else
		snprintf(t->host, sizeof(t->host), "%s", e->host);
	snprintf(t->port, sizeof(t->port), "%u", e->port);
	snprintf(t->path, sizeof(t->path), "/status");
	set_shown(t);
	return CTL_OK;
}

/* GET the status into @reply: 0, or -1 said on stderr. */
static int fetch(const struct target *t, struct http_reply *reply)
{
	char why[256];
	int r;

	r = http_get(t->host, t->port, t->path, STATUS_TIMEOUT_MS, STATUS_MAX_BYTES, reply, why,
		     sizeof(why));
	if (r == -EPROTO) {
		ctl_error("%s does not answer as frontdeskd does: %s", t->shown, why);
		return -1;
	}
	if (r < 0) {
		ctl_error("cannot reach frontdeskd at %s: %s", t->shown, why);
		return -1;
	}
	if (reply->status != 200) {
		ctl_error("%s answered GET %s with \"%s\": is it frontdeskd's metrics_listen, and "
			  "a frontdeskd that serves %s?",
			  t->shown, t->path, reply->line, t->path);
		http_reply_free(reply);
		return -1;
	}
	return 0;
}

/* The answer as a JSON object with "ready" in it, or NULL said on stderr. */
static struct jvalue *parse(const struct target *t, const struct http_reply *reply)
{
	struct jread_error err;
	struct jvalue *doc = NULL;
	bool ready;
	int r;

	r = jread_parse(reply->body, reply->body_len, &doc, &err);
	if (r == -ENOMEM) {
		ctl_error("out of memory");
		return NULL;
	}
	if (r < 0) {
		ctl_error("%s sent a status that is not JSON (at byte %zu: %s)", t->shown,
			  err.offset, err.why);
		return NULL;
	}
	if (!jread_is(doc, JOBJECT) || !jread_bool(doc, "ready", &ready)) {
		ctl_error("%s sent a status without \"ready\": is it frontdeskd?", t->shown);
		jread_free(doc);
		return NULL;
	}
	return doc;
}

int ctl_status(const struct ctl *c)
{
	struct http_reply reply;
	struct jvalue *doc;
	struct target t;
	bool ready = false;
	int r;

	r = c->url ? target_from_url(c->url, &t) : target_from_config(c, &t);
	if (r != CTL_OK)
		return r;
	if (fetch(&t, &reply) < 0)
		return CTL_ERROR;
	if (!(doc = parse(&t, &reply))) {
		http_reply_free(&reply);
		return CTL_ERROR;
	}
	jread_bool(doc, "ready", &ready);
	if (c->json) {
		/* As it came: a script gets the daemon's own document, fields this tool
		 * does not know included. */
		fwrite(reply.body, 1, reply.body_len, stdout);
		if (reply.body_len == 0 || reply.body[reply.body_len - 1] != '\n')
			putchar('\n');
	} else {
		status_text(stdout, doc);
	}
	jread_free(doc);
	http_reply_free(&reply);
	return ready ? CTL_OK : CTL_NOT_READY;
}
