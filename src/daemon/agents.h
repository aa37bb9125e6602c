/* SPDX-License-Identifier: ISC */
/*
 * agents.h - agents_file: who the agents are, and how each proves it (README, "Who the agents
 * are").
 *
 * The file lists one agent a line: "NAME [user=UNIXUSER]... [key=/PATH/TO/KEYFILE]...", '#'
 * starting a comment. A user is the peer uid on the agent socket (SO_PEERCRED), resolved to a
 * uid when the file is read, so that no user database is asked on the loop for each agent; a
 * key is a file in agent_key_file's format, the credential of an agent on agent_listen.
 *
 * A table is loaded whole or not at all: every problem is reported as "FILE:LINE: message"
 * before the load fails, so a bad file at SIGHUP leaves the running table in force. Keys are
 * known by their id (SHA-256 of the key's bytes), not by where they are in a table: a conn
 * keeps the id of the key it answered with, which still means the same key after a reload.
 */
#ifndef FRONTDESK_AGENTS_H
#define FRONTDESK_AGENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define AGENTS_KEY_ID_BYTES 32
/*
 * At most this many distinct keys: an answer to agent_listen's challenge is checked against
 * each, so a peer that answers wrongly costs up to this many HMACs (about a TLS handshake's worth).
 */
#define AGENTS_MAX_KEYS 256
/* Users and keys one line may list. */
#define AGENTS_MAX_CREDS 8

struct agents;
struct auth_key;

/* What a connection proved about itself: the console, a peer uid, or a key it answered with. */
enum agents_cred_kind {
	AGENTS_CRED_NONE,    /* nothing: a bufferevent pair, or a socket we could not ask */
	AGENTS_CRED_CONSOLE, /* frontdeskd --console: the daemon's own terminal, the admin */
	AGENTS_CRED_UID,     /* the agent socket: the peer process's uid */
	AGENTS_CRED_KEY,     /* agent_listen: the key whose id is @key_id */
};

struct agents_cred {
	enum agents_cred_kind kind;
	uid_t uid;
	const unsigned char *key_id; /* AGENTS_KEY_ID_BYTES */
};

/*
 * agents_load() - read @path into a new table.
 * Return: 0 with *@ret set; -EINVAL with *@ret_errors holding one "FILE:LINE: message\n" per
 * problem (free() it); another negative errno when the file cannot be read (*@ret_errors says
 * why). Key files are read as agent_key_file is: refused when others may access them.
 */
int agents_load(const char *path, struct agents **ret, char **ret_errors);
/* agents_free() - NULL is fine; the keys are wiped. */
void agents_free(struct agents *a);

/* agents_count() - agents listed. */
size_t agents_count(const struct agents *a);
/* agents_nkeys()/agents_key() - the distinct keys, for the challenge; @i below agents_nkeys(). */
size_t agents_nkeys(const struct agents *a);
const struct auth_key *agents_key(const struct agents *a, size_t i);
/* agents_key_id() - @key's id (SHA-256 of its bytes) into @out. */
void agents_key_id(const struct auth_key *key, unsigned char out[AGENTS_KEY_ID_BYTES]);
/* agents_has_key() - whether any line lists the key of id @id. */
bool agents_has_key(const struct agents *a, const unsigned char id[AGENTS_KEY_ID_BYTES]);

/* What agents_check() decided. */
enum agents_verdict {
	AGENTS_ALLOWED,
	AGENTS_UNLISTED,  /* @name is on no line */
	AGENTS_WRONG_CRED /* listed, but not with the credential it came with */
};

/*
 * agents_check() - whether a peer with @cred may be the agent @name. The console is the
 * daemon's own terminal (its admin) and may be anyone; a conn that proved nothing, no one.
 */
enum agents_verdict agents_check(const struct agents *a, const char *name,
				 const struct agents_cred *cred);

#endif
