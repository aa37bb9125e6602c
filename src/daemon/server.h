/* SPDX-License-Identifier: ISC */
/*
 * server.h - the daemon as a whole: one event_base, the listeners, every connection, signals.
 *
 * The server owns all conns. Conns that close move from @conns to @gone; the sweep (an event
 * activated whenever one moves) tells the mode they left and frees the ones that are done.
 * The mode (single-agent desk or group room) sees conns only through struct mode_ops.
 */
#ifndef FRONTDESK_SERVER_H
#define FRONTDESK_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <frontdesk/frame.h>

#include "admit.h"
#include "auth.h"
#include "bans.h"
#include "command.h"
#include "config.h"
#include "conn.h"
#include "inspect.h"
#include "session.h"
#include "stats.h"

struct agents;
struct event_base;
struct event;
struct canned;
struct filedir;
struct file_keep;
struct cluster;
struct listener;
struct metrics;
struct tls;
struct desk;
struct notify;
struct proxy_wait;
struct room;
struct team;
struct cdesk;
struct sockaddr;
struct store;
struct store_session;

/* What a mode implements. Every hook gets a live conn, except detach. */
struct mode_ops {
	/*
	 * attach: the nickname is accepted; the conn enters the mode (or is refused by it). It
	 * tells others about the newcomer but not the newcomer itself: that is hello's job.
	 */
	void (*attach)(struct conn *c);
	/* hello: the peer opted into notices: welcome, then where it stands. */
	void (*hello)(struct conn *c);
	void (*message)(struct conn *c, const struct fd_frame *f);
	/* detach: an attached conn has closed; called once, from the sweep. */
	void (*detach)(struct conn *c);
	/* status: one line for `systemctl status` ("serving bob, 2 waiting"); may be NULL. */
	void (*status)(struct server *s, char *buf, size_t len);
	/* info: optional; the mode's counts in the answer to "info" ("members=42", "waiting=3
	 * agents=2"): numbers only, never a name. */
	void (*info)(struct server *s, char *buf, size_t len);
	/* drained: optional; @c's output fell back after conn_output_busy() said it was busy. */
	void (*drained)(struct conn *c);
	/* reconfigured: optional; live settings changed (SIGHUP), e.g. turns. */
	void (*reconfigured)(struct server *s);
	/* nick_in_use: optional; @nick still belongs to someone the mode keeps after its conn. */
	bool (*nick_in_use)(struct server *s, const char *nick);
	/* caps: optional; @c was just granted the capabilities in @added (enum conn_cap bits). */
	void (*caps)(struct conn *c, unsigned added);
	/* history_conv: optional; the conversation "history" reads for @c (0: the room; cN: N),
	 * or -1 when it has none. */
	int64_t (*history_conv)(struct conn *c);
	/*
	 * resumed: optional; @c resumed a session (resume.h) and takes the place of @kept, the
	 * conn the mode kept for it (NULL: none): instead of attach, after the resume's answer;
	 * it tells @c where it stands. Without it, attach.
	 */
	void (*resumed)(struct conn *c, struct conn *kept);
	/*
	 * may_resume: optional; NULL if @c may resume the session of @se, else why not (told
	 * as "error resume-failed"): asked before the session is taken, so a refusal uses nothing.
	 */
	const char *(*may_resume)(struct conn *c, const struct session *se);
	/* away_over: optional; @kept, kept for a resume that did not come, leaves for good. */
	void (*away_over)(struct conn *kept);
	/*
	 * restore: optional; at start-up, a customer's session the store kept across the
	 * restart: the conn the mode keeps in its place for the resume (conn_new_kept()), or NULL.
	 */
	struct conn *(*restore)(struct server *s, const struct store_session *ss);
	/* committed: optional; the store committed (after the conns' gates opened, deliver.h). */
	void (*committed)(struct server *s);
	/* inspect: optional; each customer in line and each agent, for the metrics (inspect.h). */
	void (*inspect)(struct server *s, const struct inspector *in);
	/*
	 * typing: optional; @c, granted "typing", is typing (to @name, an agent's customer; ""
	 * for its only one): tell whoever should know with typing_tell(). @c is within its limits;
	 * an agent's per conversation are the mode's to check (typing_due()).
	 */
	void (*typing)(struct conn *c, const char *name);
	const struct command *commands; /* terminated by a NULL name */
};

struct server {
	struct event_base *base;
	struct config config;
	const struct mode_ops *mode;
	struct desk *desk;   /* single-agent mode, one agent and one customer at a time */
	struct team *team;   /* single-agent mode with several agents or chats (team.h) */
	struct cdesk *cdesk; /* single-agent mode on several nodes (cdesk.h) */
	struct room *room;
	struct store *store;
	struct filedir *filedir;     /* files = on: the files directory (filedir.h); NULL: off */
	struct file_keep *file_keep; /* its retention (file-keep.h); NULL: off */
	struct cluster *cluster;     /* cluster = redis://... (cluster.h); NULL: one node */
	bool cluster_full;  /* its outbox is full: every reader is paused (PAUSE_CLUSTER) */
	bool store_failing; /* writes fail: every reader is paused (PAUSE_STORE) until they work */
	int store_error;    /* why (a negative errno), for those who join meanwhile */
	struct listener *listeners;
	/* Connections from proxy_from, before their PROXY header (proxy.h): no conn yet. */
	TAILQ_HEAD(proxy_wait_list, proxy_wait) proxying;
	unsigned nproxying;
	struct conn_list conns;
	struct conn_list gone;
	/*
	 * Conns whose output waits for the store's next commit (deliver.h), in the order they
	 * were gated; NULL where one was forgotten since. A commit visits these, not every conn.
	 */
	struct conn **gated;
	size_t ngated, gated_cap;
	/* Sessions (session.h): of attached conns, and lost ones in order of loss. */
	struct session_list sessions, sessions_lost;
	unsigned nsessions_lost;
	/* Conns from adopt until freed, by what they hold against the limits (admit.h). */
	unsigned counts[CONN_BUCKETS];
	struct conn *pending_agents[MAX_PENDING_AGENTS]; /* BUCKET_AGENT_PENDING; NULL: free */
	uint64_t next_id;
	double started_mono;     /* fd_clock_seconds() at start: uptime for "info" and metrics */
	time_t started_unix;     /* the wall clock then: process_start_time_seconds, "started" */
	struct stats stats;      /* counters and histograms for /metrics (stats.h) */
	struct metrics *metrics; /* metrics_listen's HTTP server (metrics.h); NULL: off */
	struct web *web;         /* web_listen's connections (web.h); NULL: off */
	struct event *sweep;
	/* Conns whose output grew in this turn, and the event that writes it (conn-write.h). */
	struct event *write_turn;
	struct conn **writes;
	unsigned nwrites, writes_max;
	bool write_pass;    /* the event is writing them */
	struct event *trim; /* malloc_trim() once conns were freed and it is quiet */
	time_t trim_since;  /* monotonic seconds: the first conn freed since the last trim */
	time_t refusals_at; /* log_refusal(): the second of the last refusal logged in full... */
	unsigned refusals_quiet; /* ...and how many since, not logged yet */
	struct event *sig_int, *sig_term, *sig_hup;
	struct event *stop_timer;
	/* Ends the pauses of typing floods (typing.c); NULL until the first one. */
	struct event *typing_timer;
	uint32_t typing_due; /* when it fires (typing.c's clock, ms) */
	struct notify *notify;
	/* For SIGHUP (reload.c), set by main: the file, and whether it may be missing. */
	const char *config_path;
	bool config_optional;
	bool log_level_forced; /* -v or -q: log_level from the file does not apply */
	struct canned *canned; /* canned_file's replies (canned.h); NULL: none is set */
	bool stopping;
	int exit_code;
	struct tls *tls;           /* tls_cert/tls_key: all TCP listeners speak TLS */
	struct auth_key key;       /* key_file, for customer/member listeners */
	struct auth_key agent_key; /* agent_key_file, for agent_listen; len 0: none */
	struct agents *agents;     /* agents_file, re-read on SIGHUP; NULL: not set */
	struct auth_key oper_key;  /* operator_key_file, for "oper" (group mode); len 0: none */
	struct bans bans;          /* group mode: the room's bans, checked at the door (bans.h) */
	/* Decode buffers: one for frames just read, one for held frames being released. */
	char body[FD_FRAME_BODY_BUFSIZE];
	char held_body[FD_FRAME_BODY_BUFSIZE];
};

/* server_new() - bind everything the config asks for. Return 0 or a negative errno (logged). */
int server_new(const struct config *cfg, struct server **ret);
void server_free(struct server *s);
/* server_run() - until SIGINT/SIGTERM and the connections have drained. Returns exit code. */
int server_run(struct server *s);

/*
 * server_accept() - listener @l has a new socket from @sa. Takes ownership of @fd. A peer in
 * proxy_from goes to proxy_accept() first, every other one straight to server_admit().
 */
void server_accept(struct server *s, int fd, const struct sockaddr *sa, int salen,
		   const struct listener *l);
/*
 * server_admit() - admission (admit.h), bans, then a conn for @fd as the peer @sa: the address
 * the socket came from, or the client a PROXY header named (proxy.c). Takes ownership of @fd.
 */
void server_admit(struct server *s, int fd, const struct sockaddr *sa, int salen,
		  const struct listener *l);
/*
 * server_tune_tcp() - an accepted TCP socket's options (no Nagle delay, unsent output capped,
 * keepalive), for a chat peer or a web one; each that fails is logged, none is fatal.
 */
void server_tune_tcp(struct server *s, int fd, const char *peer);
/*
 * server_log_refusal() - "@peer: refused: @why" in the log, the first of each second in full
 * and the rest counted, so that a crowd being refused cannot flood the journal. Returns
 * whether this one was logged in full.
 */
bool server_log_refusal(struct server *s, const char *peer, const char *why);
/* server_adopt() - attach an already created bufferevent (the console's pair end, an accepted
 * socket); @key, if set, makes the peer answer a challenge first. */
struct conn *server_adopt(struct server *s, struct bufferevent *bev, enum conn_role role,
			  const char *peer, const struct auth_key *key);
/*
 * server_admitted() - what every door does to a conn it has just adopted: @remote (an agent
 * from afar: agent_listen, /ws/agent) gets the short budget to answer its challenge, and
 * @refuse (admit.h), when set, is what it is told first: admitted only to hear why not.
 */
void server_admitted(struct conn *c, bool remote, const char *refuse, const char *refuse_text);
/*
 * server_detach() - tell the mode now that closed conn @c has left, instead of at the sweep.
 * Only for a command handler acting on another conn (next, kick), never inside a loop over conns.
 */
void server_detach(struct conn *c);
/* server_conn_ended() - conn.c: @c stopped being live (closing or dead); move it to @gone. */
void server_conn_ended(struct server *s, struct conn *c);
/* server_sweep_soon() - conn.c: a conn on @gone died; free it from the loop. */
void server_sweep_soon(struct server *s);
/*
 * server_drop_now() - free @c at once, without a word: its descriptor is needed now (admit.c).
 * Only for a conn the mode never knew, and never from one of @c's own callbacks.
 */
void server_drop_now(struct server *s, struct conn *c, const char *why);

/*
 * server_find_conn() - the conn numbered @id, live or closing (a read answered on a later turn
 * finds its conn again: closing too, for its gate may be held for the answer), or NULL.
 */
struct conn *server_find_conn(struct server *s, uint64_t id);
/* server_find_nick() - a live attached conn with that nickname, or NULL. */
struct conn *server_find_nick(struct server *s, const char *nick);
/* server_unique_nick() - make @nick unique among attached conns by adding a number. */
void server_unique_nick(struct server *s, struct conn *self, char nick[NICK_BUFSIZE]);
/*
 * server_nick_after() - into @nick, the first "@base N" free here with N >= @from (the base cut
 * to fit); returns N. For a name another node of the cluster holds (node.c).
 */
unsigned server_nick_after(struct server *s, struct conn *self, const char *base, unsigned from,
			   char nick[NICK_BUFSIZE]);
/* server_begin_shutdown() - tell every peer, stop accepting, exit once drained. */
void server_begin_shutdown(struct server *s, int code);
/*
 * server_store_pause() - the store cannot write: @c is not read until it can, and is told
 * (ahead of the output that waits for the store). For every conn when writes start failing,
 * and for one that joins while they fail.
 */
void server_store_pause(struct conn *c);

#endif
