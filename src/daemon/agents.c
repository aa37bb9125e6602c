/* SPDX-License-Identifier: ISC */
/*
 * agents.c - read agents_file into a table, and decide who may be which agent (see agents.h).
 *
 * The table owns its agents and its keys; each key is kept once however many lines list it
 * (two files with the same bytes are one key: an answer cannot tell them apart), and a line
 * refers to its keys by index. Lookups are linear: a desk has a handful of agents, and a name
 * is looked up once per agent connection.
 */
#include "agents.h"

#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"
#include "config.h"
#include "nick.h"

/* Longer lines are refused: eight credentials with paths of a few hundred bytes fit. */
#define LINE_MAX_BYTES 4096
/* Weaker keys are refused outright, where agent_key_file only warns: this file is new. */
#define KEY_MIN_BYTES 16

struct agent {
	char name[FD_NICK_MAX_BYTES + 1];
	unsigned line; /* where it is listed, for "already listed on line N" */
	unsigned nuids, nkeys;
	uid_t uids[AGENTS_MAX_CREDS];
	unsigned keys[AGENTS_MAX_CREDS]; /* indices into agents->keys */
};

struct agent_key {
	unsigned char id[AGENTS_KEY_ID_BYTES];
	struct auth_key key;
};

struct agents {
	struct agent *v;
	size_t n, cap;
	struct agent_key *keys; /* AGENTS_MAX_KEYS of room, allocated with the table */
	size_t nkeys;
};

/* While a file is read: the table being built and the problems found so far. */
struct load {
	const char *path;
	unsigned line;
	struct agents *a;
	char *errors;
	size_t errors_len;
	unsigned nerrors;
};

static void add_error(struct load *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_error(struct load *l, const char *fmt, ...)
{
	char msg[512], *grown;
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	l->nerrors++;
	n = snprintf(NULL, 0, "%s:%u: %s\n", l->path, l->line, msg);
	grown = realloc(l->errors, l->errors_len + (size_t)n + 1);
	if (!grown)
		return;
	l->errors = grown;
	snprintf(l->errors + l->errors_len, (size_t)n + 1, "%s:%u: %s\n", l->path, l->line, msg);
	l->errors_len += (size_t)n;
}

void agents_key_id(const struct auth_key *key, unsigned char out[AGENTS_KEY_ID_BYTES])
{
	unsigned int len = 0;

	if (!EVP_Digest(key->bytes, key->len, out, &len, EVP_sha256(), NULL) ||
	    len != AGENTS_KEY_ID_BYTES)
		memset(out, 0, AGENTS_KEY_ID_BYTES); /* matches no key: nobody gets in by it */
}

static const struct agent *find(const struct agents *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, name) == 0)
			return &a->v[i];
	return NULL;
}

/* "user=NAME": its uid now, so that checking an agent asks no user database on the loop. */
static void add_user(struct load *l, struct agent *ag, const char *user)
{
	char buf[16384];
	struct passwd pw, *found = NULL;
	int r;

	if (ag->nuids == AGENTS_MAX_CREDS) {
		add_error(l, "%s: more than %d users", ag->name, AGENTS_MAX_CREDS);
		return;
	}
	r = getpwnam_r(user, &pw, buf, sizeof(buf), &found);
	if (!found) {
		add_error(l, "user=%s: %s", user, r ? strerror(r) : "no such user");
		return;
	}
	ag->uids[ag->nuids++] = pw.pw_uid;
}

/* Why auth_read_key() refused a key file, in the words server.c uses for agent_key_file. */
static const char *key_problem(int r)
{
	switch (r) {
	case -EPERM:
		return "others may access it (chmod o-rwx)";
	case -EINVAL:
		return "the file is empty";
	case -EFBIG:
		return "longer than 1024 bytes";
	default:
		return strerror(-r);
	}
}

/* "key=PATH": the key read now (the same bytes are one key, however many lines list them). */
static void add_key(struct load *l, struct agent *ag, const char *path)
{
	struct agents *a = l->a;
	struct agent_key *k = &a->keys[a->nkeys];
	size_t i;
	int r;

	if (ag->nkeys == AGENTS_MAX_CREDS) {
		add_error(l, "%s: more than %d keys", ag->name, AGENTS_MAX_CREDS);
		return;
	}
	if (path[0] != '/') {
		add_error(l, "key=%s: the path must be absolute", path);
		return;
	}
	/* Read into the slot after the last key (there is one more than AGENTS_MAX_KEYS). */
	r = auth_read_key(path, S_IRWXO, k->key.bytes, sizeof(k->key.bytes), &k->key.len);
	if (r == 0 && k->key.len < KEY_MIN_BYTES)
		add_error(l, "key=%s: shorter than %d bytes, easy to guess", path, KEY_MIN_BYTES);
	else if (r < 0)
		add_error(l, "key=%s: %s", path, key_problem(r));
	if (r < 0 || k->key.len < KEY_MIN_BYTES) {
		OPENSSL_cleanse(&k->key, sizeof(k->key));
		return;
	}
	agents_key_id(&k->key, k->id);
	for (i = 0; i < a->nkeys && memcmp(a->keys[i].id, k->id, sizeof(k->id)) != 0; i++)
		;
	if (i < a->nkeys)
		OPENSSL_cleanse(&k->key, sizeof(k->key)); /* known already */
	if (i == AGENTS_MAX_KEYS) {
		OPENSSL_cleanse(&k->key, sizeof(k->key));
		add_error(l, "key=%s: more than %d different keys", path, AGENTS_MAX_KEYS);
		return;
	}
	if (i == a->nkeys)
		a->nkeys++;
	ag->keys[ag->nkeys++] = (unsigned)i;
}

/* The next word of @*p (blanks split words; a word that starts with '#' ends the line). */
static char *next_word(char **p)
{
	char *w = *p + strspn(*p, " \t\r\n");

	if (*w == '\0' || *w == '#')
		return NULL;
	*p = w + strcspn(w, " \t\r\n");
	if (**p)
		*(*p)++ = '\0';
	return w;
}

/* A new entry for @name at the end of the table, or NULL (the error is recorded). */
static struct agent *add_agent(struct load *l, const char *name)
{
	struct agents *a = l->a;
	const struct agent *old = find(a, name);

	if (!fd_nick_valid(name, strlen(name))) {
		add_error(l, "'%s' is not a nickname: %s", name, FD_NICK_RULE);
		return NULL;
	}
	if (old) {
		add_error(l, "%s is already listed on line %u", name, old->line);
		return NULL;
	}
	if (a->n == a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 16;
		struct agent *grown = reallocarray(a->v, cap, sizeof(*grown));

		if (!grown) {
			add_error(l, "out of memory");
			return NULL;
		}
		a->v = grown;
		a->cap = cap;
	}
	memset(&a->v[a->n], 0, sizeof(a->v[a->n]));
	snprintf(a->v[a->n].name, sizeof(a->v[a->n].name), "%s", name);
	a->v[a->n].line = l->line;
	return &a->v[a->n];
}

/* One line of the file: "NAME [user=UNIXUSER]... [key=PATH]...", a comment or nothing. */
static void parse_line(struct load *l, char *p)
{
	unsigned before = l->nerrors;
	char *name = next_word(&p), *w;
	struct agent *ag;

	if (!name)
		return;
	if (strchr(name, '=')) {
		add_error(l, "a line starts with the agent's name, not '%s'", name);
		return;
	}
	if (!(ag = add_agent(l, name)))
		return;
	while ((w = next_word(&p))) {
		if (strncmp(w, "user=", 5) == 0 && w[5])
			add_user(l, ag, w + 5);
		else if (strncmp(w, "key=", 4) == 0 && w[4])
			add_key(l, ag, w + 4);
		else
			add_error(l, "%s: '%s' is neither user=UNIXUSER nor key=PATH", name, w);
	}
	if (l->nerrors == before && !ag->nuids && !ag->nkeys)
		add_error(l, "%s: no user= or key=, so nobody could be this agent", name);
	/* Counted only once its line is right: a later line may not repeat it either way. */
	l->a->n++;
}

static void read_lines(struct load *l, FILE *f)
{
	char buf[LINE_MAX_BYTES + 2];

	while (fgets(buf, sizeof(buf), f)) {
		size_t n = strlen(buf);

		l->line++;
		if (n && buf[n - 1] != '\n' && !feof(f)) {
			int ch;

			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			add_error(l, "line is longer than %d characters", LINE_MAX_BYTES);
			continue;
		}
		parse_line(l, buf);
	}
	if (ferror(f))
		add_error(l, "cannot read the file");
}

int agents_load(const char *path, struct agents **ret, char **ret_errors)
{
	struct load l = { .path = path };
	int r;
	FILE *f = config_fopen(path, ret_errors, &r);

	if (!f)
		return r;
	l.a = calloc(1, sizeof(*l.a));
	if (!l.a || !(l.a->keys = calloc(AGENTS_MAX_KEYS + 1, sizeof(*l.a->keys)))) {
		free(l.a);
		fclose(f);
		return -ENOMEM;
	}
	read_lines(&l, f);
	fclose(f);
	if (l.nerrors) {
		agents_free(l.a);
		*ret_errors = l.errors;
		return -EINVAL;
	}
	free(l.errors);
	*ret = l.a;
	return 0;
}

void agents_free(struct agents *a)
{
	if (!a)
		return;
	if (a->keys) {
		OPENSSL_cleanse(a->keys, (AGENTS_MAX_KEYS + 1) * sizeof(*a->keys));
		free(a->keys);
	}
	free(a->v);
	free(a);
}

size_t agents_count(const struct agents *a)
{
	return a->n;
}

size_t agents_nkeys(const struct agents *a)
{
	return a->nkeys;
}

const struct auth_key *agents_key(const struct agents *a, size_t i)
{
	return &a->keys[i].key;
}

bool agents_has_key(const struct agents *a, const unsigned char id[AGENTS_KEY_ID_BYTES])
{
	for (size_t i = 0; i < a->nkeys; i++)
		if (memcmp(a->keys[i].id, id, AGENTS_KEY_ID_BYTES) == 0)
			return true;
	return false;
}

enum agents_verdict agents_check(const struct agents *a, const char *name,
				 const struct agents_cred *cred)
{
	const struct agent *ag = find(a, name);

	if (cred->kind == AGENTS_CRED_CONSOLE)
		return AGENTS_ALLOWED;
	if (!ag)
		return AGENTS_UNLISTED;
	for (unsigned i = 0; cred->kind == AGENTS_CRED_UID && i < ag->nuids; i++)
		if (ag->uids[i] == cred->uid)
			return AGENTS_ALLOWED;
	for (unsigned i = 0; cred->kind == AGENTS_CRED_KEY && i < ag->nkeys; i++)
		if (memcmp(a->keys[ag->keys[i]].id, cred->key_id, AGENTS_KEY_ID_BYTES) == 0)
			return AGENTS_ALLOWED;
	return AGENTS_WRONG_CRED;
}
