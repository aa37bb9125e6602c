/* SPDX-License-Identifier: ISC */
/*
 * server.c - start-up, accept, the sweep that frees closed connections, signals, shutdown.
 *
 * Memory: the daemon is one thread on glibc's main arena, where free() returns memory to the
 * kernel only from the top of the heap. After a burst (a flood of peers, members that never
 * read piling up output) one live block high in the heap would pin everything below it, so
 * once conns have been freed and a second has passed without more, the daemon calls
 * malloc_trim(), which gives back every free page, and its RSS returns to what the remaining
 * peers need. See TRIM_QUIET for why not sooner.
 */
#include "server.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "agents.h"
#include "alive.h"
#include "canned.h"
#include "clock.h"
#include "conn-write.h"
#include "cluster.h"
#include "deliver.h"
#include "cdesk.h"
#include "desk.h"
#include "handshake.h"
#include "listener.h"
#include "file-keep.h"
#include "files.h"
#include "log.h"
#include "metrics.h"
#include "node.h"
#include "notify.h"
#include "proxy.h"
#include "reload.h"
#include "tls.h"
#include "room.h"
#include "store.h"
#include "team.h"
#include "typing.h"
#include "web.h"

/* Seconds shutdown waits for peers to take their last bytes before it exits anyway. */
#define SHUTDOWN_TIMEOUT 5
/*
 * malloc_trim() waits for TRIM_QUIET seconds without a freed conn: while peers keep coming and
 * going the pages it gives back are faulted in again within the second, undoing
 * HEAP_TRIM_THRESHOLD (main.c). contrib/bench, scenario a-churn (1,000 members at saturation,
 * 100 connections/s coming and going): a trim every second cost 2,600 page faults/s, and RSS
 * under load stayed at 17.2 MiB all the same; trimming once quiet costs none and brings RSS
 * down to 6.3 MiB after the load, as the trim every second did (README, Benchmarks). Under
 * churn that never pauses, trim anyway TRIM_LATEST seconds after the first conn freed since.
 */
#define TRIM_QUIET  1
#define TRIM_LATEST 60

void server_detach(struct conn *c)
{
	if (conn_attached(c) && !conn_live(c)) {
		c->mode_link = MODE_LINK_DETACHED;
		c->server->mode->detach(c);
		session_conn_ended(c);
	}
}

/* Freed memory goes back to the kernel (see the top of this file). */
static void on_trim(evutil_socket_t fd, short what, void *arg)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* Conns were freed: (re)start the quiet period before the trim, up to TRIM_LATEST. */
static void trim_later(struct server *s)
{
	struct timeval quiet = { .tv_sec = TRIM_QUIET };
	time_t now = (time_t)fd_clock_seconds();

	if (!evtimer_pending(s->trim, NULL))
		s->trim_since = now;
	else if (now - s->trim_since >= TRIM_LATEST)
		return; /* leave the pending trim where it is: it fires within TRIM_QUIET */
	evtimer_add(s->trim, &quiet);
}

/* Closed conns: tell the mode (outside every other callback), free the finished ones. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;
	struct conn *c, *next;
	bool freed = false;

	for (c = TAILQ_FIRST(&s->gone); c; c = next) {
		server_detach(c);
		next = TAILQ_NEXT(c, entry);
		if (c->state == CONN_DEAD && c->kept) {
			conn_release_socket(c); /* kept in its place for a resume (session.h) */
		} else if (c->state == CONN_DEAD) {
			TAILQ_REMOVE(&s->gone, c, entry);
			admit_forget(c);
			conn_free(c);
			freed = true;
		}
	}
	if (freed)
		trim_later(s);
	/* In a cluster, what members said must reach Redis too (or the stop's timeout passes). */
	if (s->stopping && TAILQ_EMPTY(&s->conns) && TAILQ_EMPTY(&s->gone) &&
	    (!s->cluster || !cluster_held_bytes(s->cluster)) && web_idle(s->web))
		event_base_loopexit(s->base, NULL);
}

void server_sweep_soon(struct server *s)
{
	event_active(s->sweep, EV_READ, 0);
}

void server_conn_ended(struct server *s, struct conn *c)
{
	files_conn_ended(c); /* its partial uploads go now, not at the sweep */
	TAILQ_REMOVE(&s->conns, c, entry);
	TAILQ_INSERT_TAIL(&s->gone, c, entry);
	server_sweep_soon(s);
}

void server_drop_now(struct server *s, struct conn *c, const char *why)
{
	log_info("%s (%s): dropped: %s", c->peer, c->nick[0] ? c->nick : "-", why);
	TAILQ_REMOVE(conn_live(c) ? &s->conns : &s->gone, c, entry);
	admit_forget(c);
	conn_free(c);
}

struct conn *server_adopt(struct server *s, struct bufferevent *bev, enum conn_role role,
			  const char *peer, const struct auth_key *key)
{
	struct conn *c = conn_new(s, bev, role, peer, key);

	if (!c) {
		log_warnx("%s: out of memory for a new connection", peer);
		bufferevent_free(bev);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&s->conns, c, entry);
	admit_enter(c);
	log_info("%s: connected as %s", peer, conn_role_name(role));
	return c;
}

/*
 * A refusal at accept, in the log: the first of each second in full, the rest counted and said
 * once in the next second, so that a crowd being refused (max_startups, a full server) cannot
 * flood the journal with a line per connection.
 */
bool server_log_refusal(struct server *s, const char *peer, const char *why)
{
	time_t now = (time_t)fd_clock_seconds();

	if (now == s->refusals_at) {
		s->refusals_quiet++;
		return false;
	}
	if (s->refusals_quiet)
		log_warnx("%u more connections refused in the second before", s->refusals_quiet);
	s->refusals_at = now;
	s->refusals_quiet = 0;
	log_warnx("%s: refused: %s", peer, why);
	return true;
}

void server_accept(struct server *s, int fd, const struct sockaddr *sa, int salen,
		   const struct listener *l)
{
	/* web_listen: HTTP first; admitted as a conn once upgraded to a WebSocket (web.h). */
	if (l->web) {
		web_accept(s->web, fd, sa, (socklen_t)salen);
		return;
	}
	/* A balancer's connection: the client it names is admitted, once it has named it. */
	if (!s->stopping && proxy_trusted(&s->config.proxy_from, sa)) {
		proxy_accept(s, fd, sa, (socklen_t)salen, l);
		return;
	}
	server_admit(s, fd, sa, salen, l);
}

void server_tune_tcp(struct server *s, int fd, const char *peer)
{
	/* Chat is small writes that must leave now: no Nagle delay waiting on the peer's ACK. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	/* What a peer has not read waits in our output, not the kernel's (conn-write.h). */
	if (conn_write_tune_socket(s, fd) < 0)
		log_warnx("%s: cannot set TCP_NOTSENT_LOWAT: %s", peer, strerror(errno));
	/* A peer that vanishes without a word is noticed within about peer_timeout (alive.h). */
	if (alive_tune_socket(fd, s->config.peer_timeout) < 0)
		log_warnx("%s: cannot set TCP keepalive: %s", peer, strerror(errno));
}

void server_admit(struct server *s, int fd, const struct sockaddr *sa, int salen,
		  const struct listener *l)
{
	char peer[64];
	const char *refuse = NULL, *refuse_text = NULL;
	struct bufferevent *bev;
	struct conn *c;
	bool tell = false;

	if (sa->sa_family == AF_UNIX) {
		snprintf(peer, sizeof(peer), "agent-socket");
	} else {
		listener_addr_format(sa, (unsigned)salen, peer, sizeof(peer));
	}
	if (!s->stopping)
		refuse = admit_accept(s, l, sa, peer, &tell, &refuse_text);
	/* Before anything of it reaches the room: told why as a full server's peer is. */
	if (!s->stopping && !refuse && bans_addr(&s->bans, sa, fd_clock_unix_ms() / 1000)) {
		refuse = "banned";
		refuse_text = "your address is banned from this room";
		tell = true;
	}
	if (s->stopping || (refuse && (!tell || s->counts[BUCKET_REFUSING] >= MAX_REFUSING))) {
		/* Closed unanswered: the log says why in words, the metrics by code. */
		server_log_refusal(s, peer,
				   s->stopping ? "shutting down"
				   : !tell     ? refuse_text
					       : refuse);
		if (!s->stopping) {
			s->stats.connections[l->role]++;
			stats_refused(&s->stats, refuse);
		}
		evutil_closesocket(fd);
		return;
	}
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		server_tune_tcp(s, fd, peer);
	bev = l->tls ? tls_accept(l->tls, s->base, fd)
		     : bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		log_warnx("%s: cannot create a bufferevent", peer);
		evutil_closesocket(fd);
		return;
	}
	c = server_adopt(s, bev, l->role, peer, l->key);
	if (!c)
		return;
	/* Group mode: the agent socket is the local admin's, whose file mode guards it. */
	c->oper = l->role == ROLE_MEMBER && sa->sa_family == AF_UNIX;
	server_admitted(c, l->role == ROLE_AGENT && sa->sa_family != AF_UNIX, refuse, refuse_text);
	if (l->proto == PROTO_LINE)
		handshake_line(c);
}

void server_admitted(struct conn *c, bool remote, const char *refuse, const char *refuse_text)
{
	c->remote = remote;
	c->refuse_code = refuse;
	c->refuse_text = refuse_text;
	admit_recount(c);
	/* Unauthenticated remote agents get a short, separate budget (admit.c). */
	if (remote && c->server->config.handshake_timeout > AGENT_AUTH_TIMEOUT)
		conn_set_timer(c, AGENT_AUTH_TIMEOUT);
}

struct conn *server_find_conn(struct server *s, uint64_t id)
{
	struct conn *c;

	TAILQ_FOREACH (c, &s->conns, entry)
		if (c->id == id)
			return c;
	TAILQ_FOREACH (c, &s->gone, entry)
		if (c->id == id)
			return c;
	return NULL;
}

struct conn *server_find_nick(struct server *s, const char *nick)
{
	struct conn *c;

	TAILQ_FOREACH (c, &s->conns, entry)
		if (conn_attached(c) && conn_live(c) && strcmp(c->nick, nick) == 0)
			return c;
	return NULL;
}

/*
 * A name is taken until its owner has been detached: a member that is closing still holds it,
 * or the mode would announce "left NAME" after a newcomer had already joined as NAME.
 */
static bool nick_taken(struct server *s, struct conn *self, const char *nick)
{
	struct conn *c = server_find_nick(s, nick);

	if (c && c != self)
		return true;
	TAILQ_FOREACH (c, &s->gone, entry)
		if (c != self && conn_attached(c) && strcmp(c->nick, nick) == 0)
			return true;
	/* ...and while a lost session may still come back for it (session.h)... */
	if (session_nick_reserved(s, nick))
		return true;
	/* ...and after that, while the mode still speaks for it (a member's last messages). */
	return s->mode->nick_in_use && s->mode->nick_in_use(s, nick);
}

unsigned server_nick_after(struct server *s, struct conn *self, const char *base, unsigned from,
			   char nick[NICK_BUFSIZE])
{
	for (unsigned n = from;; n++) {
		char suffix[12];
		int slen = snprintf(suffix, sizeof(suffix), "%u", n);
		/* The limit counts characters; the cut never splits one. */
		size_t keep = fd_nick_cut(base, NICK_MAX - (size_t)slen);

		snprintf(nick, NICK_BUFSIZE, "%.*s%s", (int)keep, base, suffix);
		if (!nick_taken(s, self, nick))
			return n;
	}
}

void server_unique_nick(struct server *s, struct conn *self, char nick[NICK_BUFSIZE])
{
	char base[NICK_BUFSIZE];

	if (!nick_taken(s, self, nick))
		return;
	snprintf(base, sizeof(base), "%s", nick);
	server_nick_after(s, self, base, 2, nick);
}

static void on_stop_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	log_warnx("shutdown: peers did not drain within %d seconds; exiting", SHUTDOWN_TIMEOUT);
	event_base_loopexit(s->base, NULL);
}

void server_begin_shutdown(struct server *s, int code)
{
	struct timeval tv = { .tv_sec = SHUTDOWN_TIMEOUT };
	struct conn *c;

	if (s->stopping)
		return;
	s->stopping = true;
	s->exit_code = code;
	log_info("shutting down");
	notify_stopping(s->notify);
	proxy_stop_all(s);
	web_stop(s->web);
	while (s->listeners) {
		struct listener *l = s->listeners;

		s->listeners = l->next;
		listener_free(l);
	}
	while ((c = TAILQ_FIRST(&s->conns))) {
		c->lost = true; /* cut by the stop, not by the peer: its session may outlive it */
		conn_fail(c, "shutting-down", "the server is shutting down");
	}
	session_stop(s); /* the places kept for resumes are let go */
	evtimer_add(s->stop_timer, &tv);
	event_active(s->sweep, EV_READ, 0);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;

	if (sig == SIGHUP) {
		server_reload(s);
		return;
	}
	server_begin_shutdown(s, 0);
}

static void server_status(void *arg, char *buf, size_t len)
{
	struct server *s = arg;
	unsigned nconns = 0;

	for (int b = BUCKET_NONE + 1; b < CONN_BUCKETS; b++)
		nconns += s->counts[b];

	if (s->stopping)
		snprintf(buf, len, "shutting down, %u connections left", nconns);
	else if (s->mode && s->mode->status)
		s->mode->status(s, buf, len);
	else
		snprintf(buf, len, "%u connections", nconns);
}

/* Key files must not be readable by others: refuse to start rather than run with a leaked key. */
static int load_key(const char *path, const char *what, struct auth_key *key)
{
	int r = auth_read_key(path, S_IRWXO, key->bytes, sizeof(key->bytes), &key->len);

	switch (r) {
	case 0:
		if (key->len < 16)
			log_warnx("%s %s: a key shorter than 16 bytes is easy to guess", what,
				  path);
		return 0;
	case -EPERM:
		log_warnx("%s %s: others may access it; run chmod o-rwx %s", what, path, path);
		break;
	case -EINVAL:
		log_warnx("%s %s: the file is empty", what, path);
		break;
	case -EFBIG:
		log_warnx("%s %s: longer than %d bytes", what, path, AUTH_KEY_MAX);
		break;
	default:
		log_warnx("%s %s: %s", what, path, strerror(-r));
		break;
	}
	return r;
}

/*
 * agents_file at start-up: a bad one stops the daemon (a reload keeps the running one). Warns
 * about keys that would admit no agent: the shared agent_key_file listed by no line, or an
 * agent_listen that no key can answer.
 */
static int load_agents(struct server *s)
{
	const struct config *cfg = &s->config;
	unsigned char id[AGENTS_KEY_ID_BYTES];
	char *errors = NULL;
	int r;

	if (!cfg->agents_file[0])
		return 0;
	r = agents_load(cfg->agents_file, &s->agents, &errors);
	if (r < 0) {
		reload_log_errors(errors ? errors : "agents_file: out of memory");
		free(errors);
		return r;
	}
	log_info("agents_file %s: %zu agents", cfg->agents_file, agents_count(s->agents));
	if (cfg->agent_listen.n && !s->agent_key.len && !agents_nkeys(s->agents))
		log_warnx(
		    "agent_listen: agents_file %s lists no key and agent_key_file is not set: "
		    "no agent can log in over TCP",
		    cfg->agents_file);
	if (!s->agent_key.len)
		return 0;
	agents_key_id(&s->agent_key, id);
	if (!agents_has_key(s->agents, id))
		log_warnx("agent_key_file %s: agents_file lists it for no agent, so it admits no "
			  "name",
			  cfg->agent_key_file);
	return 0;
}

/* The certificate and the keys, read once at start-up. */
static int load_secrets(struct server *s)
{
	const struct config *cfg = &s->config;
	int r;

	if (cfg->tls_cert[0]) {
		char err[512];

		r = tls_new(cfg->tls_cert, cfg->tls_key, &s->tls, err, sizeof(err));
		if (r < 0) {
			log_warnx("%s", err);
			return r;
		}
	}
	if (cfg->key_file[0] && (r = load_key(cfg->key_file, "key_file", &s->key)) < 0)
		return r;
	if (cfg->agent_key_file[0] &&
	    (r = load_key(cfg->agent_key_file, "agent_key_file", &s->agent_key)) < 0)
		return r;
	if (cfg->operator_key_file[0] &&
	    (r = load_key(cfg->operator_key_file, "operator_key_file", &s->oper_key)) < 0)
		return r;
	return load_agents(s);
}

/*
 * Every peer max_clients admits must get a descriptor, and the agent socket one after them;
 * with files, each peer's open transfers too, as far as the hard limit allows.
 */
static int reserve_fds(const struct config *cfg)
{
	unsigned max_clients = cfg->max_clients;
	unsigned long need = 0, limit = 0;
	int r = admit_reserve_fds(max_clients, cfg->files ? FILES_PER_CONN : 0, &need, &limit);

	if (r == -EMFILE)
		log_warnx(
		    "max_clients = %u needs %lu file descriptors, but the limit is %lu: lower "
		    "max_clients or raise LimitNOFILE= (ulimit -n)",
		    max_clients, need, limit);
	else if (r < 0)
		log_warnx("cannot raise the file descriptor limit: %s", strerror(-r));
	return r;
}

/* The store's commit hook: output that waited for it may go. */
static void on_store_committed(void *arg)
{
	struct server *s = arg;

	stats_observe(&s->stats.commit, store_commit_seconds(s->store));
	deliver_committed(s);
}

void server_store_pause(struct conn *c)
{
	if (!conn_live(c))
		return;
	conn_pause(c, PAUSE_STORE);
	conn_error_now(
	    c, "store-unavailable",
	    "the server cannot store messages (%s); nothing you send is read until it can",
	    strerror(-c->server->store_error));
}

/*
 * The store cannot write (@err < 0: a full disk, an I/O error) or can again (0). Nothing it
 * could not keep may be accepted: every reader is paused, so clients feel back-pressure, and
 * told why; what was accepted before waits in the store's queue and goes out once it commits.
 */
static void on_store_failing(void *arg, int err)
{
	struct server *s = arg;
	struct conn *c;

	s->store_failing = err < 0;
	s->store_error = err;
	TAILQ_FOREACH (c, &s->conns, entry) {
		if (err < 0)
			server_store_pause(c);
		else
			conn_resume(c, PAUSE_STORE);
	}
	notify_status_now(s->notify);
}

static int open_store(struct server *s)
{
	const struct config *cfg = &s->config;
	struct store_options o = {
		.kind = cfg->store == CONFIG_STORE_SQLITE   ? STORE_SQLITE
			: cfg->store == CONFIG_STORE_MEMORY ? STORE_MEMORY
							    : STORE_OFF,
		.path = cfg->store_path,
		.sync = cfg->store_sync ? STORE_SYNC_FULL : STORE_SYNC_NORMAL,
		.history_max_age = cfg->history_max_age,
		.history_max_messages = cfg->history_max_messages,
	};
	int r = store_open(s->base, &o, &s->store);

	if (r < 0)
		return r;
	store_set_hooks(s->store, on_store_committed, on_store_failing, s);
	if (o.kind == STORE_SQLITE)
		log_info("store: %s (epoch %s, last ID %llu)", o.path, store_epoch(s->store),
			 (unsigned long long)store_last_id(s->store));
	else
		log_info("store: %s", o.kind == STORE_MEMORY ? "memory" : "off");
	return 0;
}

/* The room, the desk across nodes, the desk with several agents, or the original desk. */
static int mode_new(struct server *s, const struct config *cfg)
{
	if (cfg->mode == MODE_GROUP) {
		s->mode = &room_ops;
		return room_new(s, &s->room);
	}
	if (cfg->cluster) {
		s->mode = &cdesk_ops;
		return cdesk_new(s, &s->cdesk);
	}
	if (cfg->max_agents > 1 || cfg->max_chats_per_agent > 1) {
		s->mode = &team_ops;
		return team_new(s, &s->team);
	}
	s->mode = &desk_ops;
	return desk_new(s, &s->desk);
}

int server_new(const struct config *cfg, struct server **ret)
{
	struct server *s;
	int r;

	r = reserve_fds(cfg);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->config = *cfg;
	s->started_mono = fd_clock_seconds();
	s->started_unix = time(NULL);
	stats_init(&s->stats);
	TAILQ_INIT(&s->proxying);
	TAILQ_INIT(&s->conns);
	TAILQ_INIT(&s->gone);
	TAILQ_INIT(&s->sessions);
	TAILQ_INIT(&s->sessions_lost);
	s->base = event_base_new();
	if (!s->base) {
		free(s);
		return -ENOMEM;
	}
	s->sweep = event_new(s->base, -1, 0, on_sweep, s);
	s->trim = evtimer_new(s->base, on_trim, s);
	s->stop_timer = evtimer_new(s->base, on_stop_timeout, s);
	s->sig_int = evsignal_new(s->base, SIGINT, on_signal, s);
	s->sig_term = evsignal_new(s->base, SIGTERM, on_signal, s);
	s->sig_hup = evsignal_new(s->base, SIGHUP, on_signal, s);
	if (!s->sweep || !s->trim || !s->stop_timer || !s->sig_int || !s->sig_term || !s->sig_hup ||
	    conn_write_init(s) < 0) {
		server_free(s);
		return -ENOMEM;
	}
	evsignal_add(s->sig_int, NULL);
	evsignal_add(s->sig_term, NULL);
	evsignal_add(s->sig_hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A store over a file size limit must fail its write (EFBIG), not kill the daemon. */
	signal(SIGXFSZ, SIG_IGN);
	r = notify_new(s->base, server_status, s, &s->notify);
	if (r < 0) {
		server_free(s);
		return r;
	}

	r = mode_new(s, cfg);
	if (r < 0) {
		server_free(s);
		return r;
	}

	r = load_secrets(s);
	if (r == 0)
		r = listeners_bind(s);
	/* After binding: a second daemon on the same store fails there, before touching it. */
	if (r == 0)
		r = open_store(s);
	if (r == 0)
		r = files_start(s);
	if (r == 0)
		r = file_keep_start(s);
	if (r == 0 && s->room)
		r = room_restore(s);
	if (r == 0)
		r = node_start(s);
	if (r == 0)
		session_restore(s);
	if (r < 0) {
		server_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int server_run(struct server *s)
{
	if (s->config.mode == MODE_GROUP)
		log_info("frontdeskd ready: mode group");
	else
		log_info("frontdeskd ready: mode single-agent, turns %s",
			 s->config.turns == TURNS_STRICT ? "strict" : "free");
	notify_ready(s->notify);
	event_base_dispatch(s->base);
	return s->exit_code;
}

void server_free(struct server *s)
{
	struct conn *c;

	if (!s)
		return;
	session_free_all(s);
	proxy_stop_all(s);
	web_stop(s->web);
	while (s->listeners) {
		struct listener *l = s->listeners;

		s->listeners = l->next;
		listener_free(l);
	}
	while ((c = TAILQ_FIRST(&s->conns))) {
		TAILQ_REMOVE(&s->conns, c, entry);
		conn_free(c);
	}
	while ((c = TAILQ_FIRST(&s->gone))) {
		TAILQ_REMOVE(&s->gone, c, entry);
		conn_free(c);
	}
	file_keep_stop(s);
	files_stop(s);
	metrics_free(s->metrics);
	web_free(s->web);
	desk_free(s->desk);
	team_free(s->team);
	canned_free(s->canned);
	tls_free(s->tls);
	cluster_free(s->cluster); /* before the room: its last callbacks may deliver */
	cdesk_free(s->cdesk);     /* and before the desk: its reads are answered as they end */
	s->cdesk = NULL;
	room_free(s->room);
	store_free(s->store, s->stopping);
	notify_free(s->notify);
	explicit_bzero(&s->key, sizeof(s->key));
	explicit_bzero(&s->agent_key, sizeof(s->agent_key));
	explicit_bzero(&s->oper_key, sizeof(s->oper_key));
	bans_free(&s->bans);
	agents_free(s->agents);
	conn_write_deinit(s); /* after the conns: each leaves its list */
	if (s->sweep)
		event_free(s->sweep);
	typing_free(s);
	if (s->trim)
		event_free(s->trim);
	if (s->stop_timer)
		event_free(s->stop_timer);
	if (s->sig_int)
		event_free(s->sig_int);
	if (s->sig_term)
		event_free(s->sig_term);
	if (s->sig_hup)
		event_free(s->sig_hup);
	/*
	 * Freeing the events restored the default actions: a second SIGTERM (or a SIGHUP) during
	 * the rest of the teardown would kill a daemon that is already exiting cleanly.
	 */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (s->base)
		event_base_free(s->base);
	free(s->gated);
	free(s);
}
