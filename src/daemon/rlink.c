/* SPDX-License-Identifier: ISC */
/*
 * rlink.c - one Redis connection with timeouts and reconnection (see rlink.h).
 *
 * State: waiting (a backoff before the next try), connecting (TCP), handshake (AUTH, SELECT,
 * PING sent) and up. One evtimer serves them all: the end of the backoff, the connect deadline,
 * or the deadline of the oldest call still waiting (replies come in order on one connection,
 * so the oldest call is the next one due).
 *
 * Every call is a struct call in l->calls, in the order made; it is also hiredis's privdata.
 * A subscription stays in the list after its confirmation, with no deadline.
 *
 * hiredis 0.14 frees a context itself when it fails (a read error, EOF, a refused connect):
 * first it runs every pending callback with a NULL reply, then the disconnect callback. When
 * we give a context up (a timeout, AUTH refused, rlink_reset), we clear ac->data before
 * redisAsyncFree(): every hiredis callback first looks at ac->data, so the ones run while the
 * context is freed touch nothing of ours. redisAsyncFree() from within a reply callback is
 * deferred by hiredis until the callback returns (REDIS_IN_CALLBACK); from within the connect
 * or disconnect callbacks it would not be, so those only detach the context, never free it.
 *
 * A user callback may call rlink_free(): l->busy counts the dispatches in progress, and the
 * last one to finish frees a link marked dying.
 */
#include "rlink.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/random.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "clock.h"
#include "log.h"

#define BACKOFF_MIN_MS  100
#define BACKOFF_MAX_MS  5000
#define STABLE_USEC     (10 * 1000000ULL) /* up this long: the next failure starts over */
#define DEFAULT_TIMEOUT 2.0

enum rlink_state {
	RLINK_WAITING,
	RLINK_CONNECTING,
	RLINK_HANDSHAKE,
	RLINK_UP,
};

struct call {
	TAILQ_ENTRY(call) entry;
	struct rlink *link;
	rlink_reply_cb cb;
	void *arg;
	uint64_t deadline; /* fd_clock_usec(); 0: none (a confirmed subscription) */
	bool sub;
};
TAILQ_HEAD(call_list, call);

struct rlink {
	struct event_base *base;
	char name[32];
	char ip[64];
	int port;
	char password[256];
	int db;
	uint64_t timeout_usec;
	rlink_up_cb up;
	rlink_down_cb down;
	void *arg;

	enum rlink_state state;
	redisAsyncContext *ac;
	struct event *timer;
	struct call_list calls;
	uint64_t deadline;  /* connecting: when the connect is overdue */
	uint64_t up_since;  /* when @up last ran; 0: not up since the last failure */
	unsigned backoff;   /* ms before the next try */
	unsigned handshake; /* replies still expected before the link is up */
	unsigned handshake_n;
	const char *handshake_cmd[3]; /* what was sent, in order: for the message */
	unsigned busy;                /* user callbacks running (see the top) */
	bool dying;                   /* rlink_free() ran during one of them */
};

static void link_connect(struct rlink *l);
static void link_fail(struct rlink *l, const char *why, bool hiredis_frees);

static void link_release(struct rlink *l)
{
	event_free(l->timer);
	free(l);
}

/* Arm the timer for the earliest thing due: a call's deadline or the connect's. */
static void arm_timer(struct rlink *l)
{
	uint64_t due = 0, now = fd_clock_usec();
	struct call *c;
	struct timeval tv;

	if (l->state == RLINK_CONNECTING)
		due = l->deadline;
	TAILQ_FOREACH (c, &l->calls, entry)
		if (c->deadline) {
			due = c->deadline;
			break;
		}
	if (!due) {
		evtimer_del(l->timer);
		return;
	}
	due = due > now ? due - now : 0;
	tv =
	    (struct timeval){ .tv_sec = (time_t)(due / 1000000), .tv_usec = (long)(due % 1000000) };
	evtimer_add(l->timer, &tv);
}

/* The next delay: the current backoff plus up to 25% jitter; the backoff doubles to its cap. */
static unsigned next_backoff(struct rlink *l)
{
	unsigned r = 0, ms;

	if (l->up_since && fd_clock_usec() - l->up_since >= STABLE_USEC)
		l->backoff = BACKOFF_MIN_MS;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (unsigned)fd_clock_usec(); /* jitter only spreads retries: no secret here */
	ms = l->backoff + r % (l->backoff / 4 + 1);
	l->backoff = l->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff * 2;
	l->up_since = 0;
	return ms;
}

/* Every waiting call gets NULL, in order; @busy keeps @l alive meanwhile. */
static void fail_calls(struct rlink *l, struct call_list *list)
{
	struct call *c;

	l->busy++;
	while ((c = TAILQ_FIRST(list))) {
		rlink_reply_cb cb = c->cb;
		void *arg = c->arg;

		TAILQ_REMOVE(list, c, entry);
		free(c);
		if (cb)
			cb(arg, NULL);
	}
	l->busy--;
}

/*
 * The link failed: detach (and unless hiredis is freeing it already, free) the context, fail
 * the calls, tell the owner, wait for the backoff. The state is settled before any callback
 * runs, so a callback sees a link that is down (calls: -ENOTCONN; rlink_reset: nothing).
 */
static void link_fail(struct rlink *l, const char *why, bool hiredis_frees)
{
	redisAsyncContext *ac = l->ac;
	struct call_list failed = TAILQ_HEAD_INITIALIZER(failed);
	struct timeval tv;
	unsigned ms = next_backoff(l);

	l->ac = NULL;
	l->state = RLINK_WAITING;
	if (ac) {
		ac->data = NULL;
		if (!hiredis_frees)
			redisAsyncFree(ac);
	}
	TAILQ_CONCAT(&failed, &l->calls, entry);
	tv = (struct timeval){ .tv_sec = ms / 1000, .tv_usec = (long)(ms % 1000) * 1000 };
	evtimer_add(l->timer, &tv);
	log_debug("redis %s: down (%s), retry in %u ms", l->name, why, ms);

	fail_calls(l, &failed);
	l->busy++;
	if (!l->dying && l->down)
		l->down(l->arg, why);
	if (--l->busy == 0 && l->dying)
		link_release(l);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct rlink *l = arg;
	char why[64];

	(void)fd;
	(void)what;
	if (l->state == RLINK_WAITING) {
		link_connect(l);
		return;
	}
	snprintf(why, sizeof(why), "%s in %.3g s",
		 l->state == RLINK_CONNECTING ? "no connection" : "no reply",
		 (double)l->timeout_usec / 1e6);
	link_fail(l, why, false);
}

/* Unlink @c and hand its reply over; @l may be gone when this returns. */
static void deliver(struct rlink *l, struct call *c, redisReply *r)
{
	rlink_reply_cb cb = c->cb;
	void *arg = c->arg;

	if (!c->sub) {
		TAILQ_REMOVE(&l->calls, c, entry);
		free(c);
	} else if (c->deadline) {
		c->deadline = 0; /* the confirmation: pushes have no deadline */
	}
	arm_timer(l);
	l->busy++;
	cb(arg, r);
	if (--l->busy == 0 && l->dying)
		link_release(l);
}

/* hiredis's callback for every command: @privdata is our struct call. */
static void on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct rlink *l = ac->data;

	if (!l)
		return; /* a context we gave up: its calls were failed already */
	if (!reply) {
		/* Only a context being freed by hiredis (it failed) answers NULL. */
		link_fail(l, ac->errstr[0] ? ac->errstr : "connection lost", true);
		return;
	}
	deliver(l, privdata, reply);
}

static int send_argv(struct rlink *l, bool sub, rlink_reply_cb cb, void *arg, int argc,
		     const char **argv, const size_t *lens)
{
	struct call *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	*c = (struct call){ .link = l, .cb = cb, .arg = arg, .sub = sub };
	c->deadline = fd_clock_usec() + l->timeout_usec;
	if (redisAsyncCommandArgv(l->ac, on_reply, c, argc, argv, lens) != REDIS_OK) {
		free(c);
		return -ENOMEM;
	}
	TAILQ_INSERT_TAIL(&l->calls, c, entry);
	if (!evtimer_pending(l->timer, NULL))
		arm_timer(l);
	return 0;
}

/* One handshake reply: an error or anything but OK/PONG fails the link; the last one ups it. */
static void on_handshake(void *arg, struct redisReply *r)
{
	struct rlink *l = arg;
	const char *cmd;
	char why[160];

	if (!r)
		return; /* the link failed: it said why already */
	cmd = l->handshake_cmd[l->handshake_n - l->handshake];
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, sizeof(why), "%s refused: %.*s", cmd, (int)r->len, r->str);
		link_fail(l, why, false);
		return;
	}
	if (r->type != REDIS_REPLY_STATUS) {
		snprintf(why, sizeof(why), "%s: an unexpected reply (type %d)", cmd, r->type);
		link_fail(l, why, false);
		return;
	}
	if (--l->handshake)
		return;
	l->state = RLINK_UP;
	l->up_since = fd_clock_usec();
	log_debug("redis %s: up", l->name);
	if (l->up)
		l->up(l->arg);
}

/* Connected: the handshake goes out at once; its replies have the calls' deadline. */
static int send_handshake(struct rlink *l)
{
	char db[16];
	const char *argv[2];
	int r = 0;

	l->handshake_n = 0;
	snprintf(db, sizeof(db), "%d", l->db);
	if (l->password[0]) {
		argv[0] = "AUTH";
		argv[1] = l->password;
		l->handshake_cmd[l->handshake_n++] = "AUTH";
		r = send_argv(l, false, on_handshake, l, 2, argv, NULL);
	}
	if (r == 0 && l->db > 0) {
		argv[0] = "SELECT";
		argv[1] = db;
		l->handshake_cmd[l->handshake_n++] = "SELECT";
		r = send_argv(l, false, on_handshake, l, 2, argv, NULL);
	}
	if (r == 0) {
		argv[0] = "PING";
		l->handshake_cmd[l->handshake_n++] = "PING";
		r = send_argv(l, false, on_handshake, l, 1, argv, NULL);
	}
	l->handshake = l->handshake_n;
	return r;
}

static void on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac; /* 0.14's callback takes it const */
	struct rlink *l = ac->data;

	if (!l)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees the context when this returns. */
		link_fail(l, ac->errstr[0] ? ac->errstr : "connect failed", true);
		return;
	}
	l->state = RLINK_HANDSHAKE;
	if (send_handshake(l) < 0) {
		/* Not from here (hiredis would free it under us): the timer fails the link. */
		l->deadline = fd_clock_usec();
		l->state = RLINK_CONNECTING;
	}
	arm_timer(l);
}

static void on_disconnect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct rlink *l = ac->data;

	(void)status;
	if (l)
		link_fail(l, ac->errstr[0] ? ac->errstr : "connection closed", true);
}

/* A new context; a failure here (no memory, an address hiredis refuses) waits for a retry. */
static void link_connect(struct rlink *l)
{
	redisAsyncContext *ac = redisAsyncConnect(l->ip, l->port);
	char why[160];

	if (!ac || ac->err) {
		snprintf(why, sizeof(why), "%s", ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		link_fail(l, why, false);
		return;
	}
	if (redisLibeventAttach(ac, l->base) != REDIS_OK) {
		redisAsyncFree(ac);
		link_fail(l, "cannot attach to the event loop", false);
		return;
	}
	ac->data = l;
	l->ac = ac;
	/* A peer that vanished without a FIN is noticed even when nothing is sent. */
	redisEnableKeepAlive(&ac->c);
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	l->state = RLINK_CONNECTING;
	l->deadline = fd_clock_usec() + l->timeout_usec;
	arm_timer(l);
}

int rlink_new(struct event_base *base, const struct rlink_options *o, rlink_up_cb up,
	      rlink_down_cb down, void *arg, struct rlink **ret)
{
	struct rlink *l;
	const char *pw = o->password ? o->password : "";

	if (strlen(o->ip) >= sizeof(l->ip) || strlen(pw) >= sizeof(l->password))
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->timer = evtimer_new(base, on_timer, l);
	if (!l->timer) {
		free(l);
		return -ENOMEM;
	}
	l->base = base;
	snprintf(l->name, sizeof(l->name), "%s", o->name ? o->name : "link");
	strcpy(l->ip, o->ip);
	strcpy(l->password, pw);
	l->port = o->port;
	l->db = o->db;
	l->timeout_usec = (uint64_t)((o->timeout > 0 ? o->timeout : DEFAULT_TIMEOUT) * 1e6);
	l->up = up;
	l->down = down;
	l->arg = arg;
	l->backoff = BACKOFF_MIN_MS;
	TAILQ_INIT(&l->calls);
	link_connect(l);
	*ret = l;
	return 0;
}

void rlink_free(struct rlink *l)
{
	redisAsyncContext *ac;
	struct call_list failed = TAILQ_HEAD_INITIALIZER(failed);

	if (!l || l->dying)
		return;
	ac = l->ac;
	l->ac = NULL;
	l->state = RLINK_WAITING;
	l->dying = true;
	evtimer_del(l->timer);
	if (ac) {
		ac->data = NULL;
		redisAsyncFree(ac); /* deferred by hiredis when called from one of its callbacks */
	}
	TAILQ_CONCAT(&failed, &l->calls, entry);
	fail_calls(l, &failed);
	if (l->busy == 0)
		link_release(l);
}

bool rlink_is_up(const struct rlink *l)
{
	return l->state == RLINK_UP;
}

int rlink_call(struct rlink *l, rlink_reply_cb cb, void *arg, int argc, const char **argv,
	       const size_t *lens)
{
	if (l->state != RLINK_UP)
		return -ENOTCONN;
	return send_argv(l, false, cb, arg, argc, argv, lens);
}

int rlink_subscribe(struct rlink *l, const char *channel, rlink_reply_cb cb, void *arg)
{
	const char *argv[] = { "SUBSCRIBE", channel };

	if (l->state != RLINK_UP)
		return -ENOTCONN;
	return send_argv(l, true, cb, arg, 2, argv, NULL);
}

void rlink_reset(struct rlink *l, const char *why)
{
	if (l->ac)
		link_fail(l, why, false);
}
