/* SPDX-License-Identifier: ISC */
/*
 * bans.h - the room's bans (issue 15): who may not come in, by nickname or by address.
 *
 * A ban is written KIND:VALUE, "nick:NAME" or "addr:ADDRESS[/PREFIX]" (IPv4 or IPv6), with
 * explicit kinds since "10.0.0.1" is also a valid nickname. Each has who set it, until when
 * (Unix seconds; 0: until unban) and why. The list is the server's, loaded from the store at
 * start-up and written back on every change (room-mod.c); at most BANS_MAX, looked up
 * linearly (each accept walks them: a thousand compares at the most, nothing when empty).
 */
#ifndef FRONTDESK_BANS_H
#define FRONTDESK_BANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conn.h"

struct sockaddr;

/* Bans kept at most: past this "ban" is refused (a bound, like every list the daemon keeps). */
#define BANS_MAX 1000
/* The longest KIND:VALUE: "addr:" and an IPv6 address with its prefix fit too. */
#define BAN_SPEC_MAX   (5 + NICK_BUFSIZE)
#define BAN_REASON_MAX 256

enum ban_kind {
	BAN_NICK,
	BAN_ADDR,
};

struct ban {
	enum ban_kind kind;
	int family;              /* BAN_ADDR: AF_INET or AF_INET6 */
	unsigned prefix;         /* BAN_ADDR: bits that must match */
	unsigned char addr[16];  /* BAN_ADDR: the network, host bits cleared */
	int64_t until;           /* Unix seconds; 0: until unban */
	char spec[BAN_SPEC_MAX]; /* canonical KIND:VALUE ("addr:10.0.0.0/8", "nick:bob") */
	char by[NICK_BUFSIZE];
	char reason[BAN_REASON_MAX];
};

struct bans {
	struct ban *v;
	size_t n, cap;
};

/*
 * ban_parse() - "nick:NAME" or "addr:ADDRESS[/PREFIX]" into @b (kind, address, canonical
 * spec; the rest untouched). Refused with -EINVAL and *@ret_why: another kind, a bad name or
 * address, or a prefix wider than /8 (IPv4) or /32 (IPv6), which would ban a whole part of
 * the Internet (0.0.0.0/0: everyone).
 */
int ban_parse(const char *text, struct ban *b, const char **ret_why);
/* ban_duration() - "90", "10s", "10m", "2h", "7d" as seconds (> 0, at most a year); -EINVAL. */
int ban_duration(const char *text, unsigned *ret_seconds);
/* ban_peer_matches() - whether @b (an address ban) covers @peer ("ip:port", "[v6]:port"). */
bool ban_peer_matches(const struct ban *b, const char *peer);
/* ban_addr_matches() - the same for an accepted socket's address. */
bool ban_addr_matches(const struct ban *b, const struct sockaddr *sa);

void bans_free(struct bans *l);
/* bans_put() - add @b, or replace the ban with its spec. 0, -ENOSPC (BANS_MAX) or -ENOMEM. */
int bans_put(struct bans *l, const struct ban *b);
/* bans_del() - remove the ban written @spec (canonical); false: there is none. */
bool bans_del(struct bans *l, const char *spec);
/* bans_find() - the ban written @spec, or NULL. */
const struct ban *bans_find(const struct bans *l, const char *spec);
/* bans_expire() - drop the bans whose time is up at @now; @gone hears of each first. */
void bans_expire(struct bans *l, int64_t now, void (*gone)(const struct ban *b, void *arg),
		 void *arg);
/* bans_nick() - a ban in force at @now on the name @nick, or NULL. */
const struct ban *bans_nick(const struct bans *l, const char *nick, int64_t now);
/* bans_peer() - a ban in force at @now on @peer's address ("ip:port"), or NULL. */
const struct ban *bans_peer(const struct bans *l, const char *peer, int64_t now);
/* bans_addr() - the same for an accepted socket's address. */
const struct ban *bans_addr(const struct bans *l, const struct sockaddr *sa, int64_t now);

#endif
