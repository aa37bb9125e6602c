/* SPDX-License-Identifier: ISC */
/*
 * config-web.c - the web listener's keys that are not plain addresses: web_origins and
 * web_embed_origins (the same list: origins); and whether it has the agents' door.
 *
 * An origin is what a browser sends in its Origin header: "scheme://host[:port]", no path.
 * They are kept lower-cased and comma-separated in config.web_origins, so that the check at
 * each upgrade (web-http.c) is a case-insensitive comparison of whole items, nothing parsed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config-priv.h"

/* Origins web_origins may list. */
#define WEB_ORIGINS_MAX 16

/* Whether @s (@len bytes) is "http://AUTHORITY" or "https://AUTHORITY", AUTHORITY without '/'. */
static bool origin_valid(const char *s, size_t len)
{
	size_t skip = 0;

	if (len > 7 && strncasecmp(s, "http://", 7) == 0)
		skip = 7;
	else if (len > 8 && strncasecmp(s, "https://", 8) == 0)
		skip = 8;
	else
		return false;
	for (size_t i = skip; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		/* Letters, digits, '-', '.', ':' and brackets: a name, an address, a port. */
		if (!isalnum(ch) && !strchr("-.:[]", ch))
			return false;
	}
	return true;
}

int config_parse_web_origins(const struct config_key *k, struct config *c, const char *value,
			     char *err, size_t errlen)
{
	char *out = (char *)c + k->offset, list[sizeof(c->web_origins)];
	size_t used = 0, n = 0;
	const char *p = value;

	if (strcmp(value, "same") == 0 || !*value) {
		out[0] = '\0';
		return 0;
	}
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *item = p;

		p = end ? end + 1 : p + len;
		while (len && isspace((unsigned char)*item))
			item++, len--;
		while (len && isspace((unsigned char)item[len - 1]))
			len--;
		if (!origin_valid(item, len)) {
			snprintf(err, errlen, "%s: \"%.*s\" is not scheme://host[:port]", k->name,
				 (int)(len > 200 ? 200 : len), item);
			return -EINVAL;
		}
		if (++n > WEB_ORIGINS_MAX || used + len + 2 > sizeof(list)) {
			snprintf(err, errlen, "%s: too many origins", k->name);
			return -E2BIG;
		}
		if (used)
			list[used++] = ',';
		for (size_t i = 0; i < len; i++)
			list[used++] = (char)tolower((unsigned char)item[i]);
	}
	list[used] = '\0';
	memcpy(out, list, used + 1);
	return 0;
}

bool config_web_agents(const struct config *c)
{
	/* An agent key is what opens it; web_agents = no keeps agents off the customers' port. */
	return c->web_agents && c->mode == MODE_SINGLE_AGENT &&
	       (c->agent_key_file[0] || c->agents_file[0]);
}
