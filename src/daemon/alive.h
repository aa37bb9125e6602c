/* SPDX-License-Identifier: ISC */
/*
 * alive.h - noticing peers that are gone without a word (a laptop that sleeps, a cable pulled,
 * a NAT that forgot the flow): TCP keepalive and TCP_USER_TIMEOUT on every accepted TCP socket,
 * and server pings (protocol 7.6) to clients granted the "ping" capability.
 *
 * Both follow one setting, peer_timeout (P seconds, 0 = off):
 * - keepalive: the first probe after P/2 seconds of silence, then 3 probes max(1, (P - P/2) / 3)
 *   seconds apart; TCP_USER_TIMEOUT P: data we sent that stays unacknowledged for P seconds
 *   ends the connection (and Linux then also ends a keepalive that goes unanswered that long).
 *   So a vanished peer is noticed about P seconds after it last spoke, by the kernel.
 * - pings: a granted conn that has sent nothing for max(1, P/2) seconds gets "ping TOKEN"; if
 *   it then sends nothing for P seconds more it is closed with "error timeout -- no answer to
 *   ping". Any whole frame counts as an answer; "pong TOKEN" is the one to send when there is
 *   nothing else to say. Pings see through what keepalive cannot: a client whose kernel
 *   answers but whose program hangs, or a proxy in between that keeps TCP alive.
 *
 * The silence is measured by the bufferevent's read timeout, which libevent restarts on every
 * read: no timer of our own and no clock reading per frame. It runs only while reading is
 * enabled, so a conn whose reading the daemon paused (back-pressure, flood) is not pinged: its
 * silence is ours. Keepalive and the hang-up check still watch it.
 */
#ifndef FRONTDESK_ALIVE_H
#define FRONTDESK_ALIVE_H

struct conn;

/* Keepalive probe count; the interval is derived from peer_timeout (see above). */
#define ALIVE_KEEPCNT 3

/* alive_tune_socket() - keepalive and TCP_USER_TIMEOUT on TCP socket @fd. 0 or -errno. */
int alive_tune_socket(int fd, unsigned peer_timeout);

/* alive_start()/alive_stop() - ping @c when silent (it was granted "ping"), or no more. */
void alive_start(struct conn *c);
void alive_stop(struct conn *c);

/* alive_silent() - @c's read timeout fired: ping it, or give up on it. */
void alive_silent(struct conn *c);

/*
 * alive_answered() - a whole frame arrived from @c while a ping was outstanding (conn.c checks
 * c->ping_out first: one test per frame): back to waiting for silence.
 */
void alive_answered(struct conn *c);

#endif
