/* SPDX-License-Identifier: ISC */
/*
 * conn.h - one peer connection's life, from accept to free.
 *
 * A conn owns its bufferevent, its timer and the messages it has sent that are accepted but not
 * yet relayed (@held). It turns bytes into frames (read low watermark = bytes needed for the
 * next step) and hands each frame to the server's mode (desk.c or room.c).
 *
 * A conn speaks the framed protocol or, from a line listener (group mode), the line protocol
 * of line.h; either way input becomes struct fd_frame and output is encoded for the peer here.
 *
 * Lifetime: conn_new() -> [CHALLENGE] -> HANDSHAKE (handshake.c) -> the mode's states -> CLOSING
 * -> DEAD -> freed by the server's sweep. conn_close() never frees: it stops reading, flushes what
 * is queued for the peer and marks the conn; the mode hears about it from the sweep (or, for next,
 * kick and an agent's takeover, from server_detach() in the command), never inside a broadcast
 * loop, and conns are freed only by the sweep, so no code ever runs on freed memory.
 */
#ifndef FRONTDESK_CONN_H
#define FRONTDESK_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include <frontdesk/frame.h>

struct auth_key;
struct server;
struct bufferevent;
struct evbuffer;
struct event;

#include "agents.h"
#include "held.h"
#include "nick.h"
#include "owner.h"

/* Nicknames follow the shared rule in nick.h: NICK_MAX characters, in NICK_BUFSIZE bytes. */
#define NICK_MAX     FD_NICK_MAX
#define NICK_BUFSIZE (FD_NICK_MAX_BYTES + 1)

/*
 * Where a connection is in its life. A customer is challenged (keyed listener), handshaking,
 * queued or active, then closing, then dead; an agent or a member skips "queued".
 */
enum __attribute__((packed)) conn_state {
	CONN_CHALLENGE, /* keyed listener: waiting for the answer to our challenge */
	CONN_HANDSHAKE, /* waiting for the nickname */
	CONN_QUEUED,    /* single-agent: a customer waiting in line */
	CONN_ACTIVE,    /* the served customer, the agent, or a group member */
	CONN_CLOSING,   /* flushing its last output; reads nothing more */
	CONN_DEAD,      /* done; the sweep frees it */
};

/*
 * Where a connection stands with the mode (desk or room). Not folded into the state: a conn
 * that is CLOSING or DEAD may or may not still have to be told to the mode, and the mode must
 * hear of each attached conn's end exactly once.
 */
enum __attribute__((packed)) conn_mode_link {
	MODE_LINK_NONE,     /* never attached (handshake, or refused) */
	MODE_LINK_ATTACHED, /* the mode knows it; it must hear of its end */
	MODE_LINK_DETACHED, /* ...and has */
};

/* The enums of struct conn are one byte each (packed): it stays within its budget (test-sizeof). */
enum __attribute__((packed)) conn_role {
	ROLE_CUSTOMER,
	ROLE_AGENT,
	ROLE_MEMBER,
};

enum __attribute__((packed)) conn_proto {
	PROTO_FRAMED, /* "LLLL|T|BODY" frames */
	PROTO_LINE,   /* newline-delimited text (line.h); always gets notices, as "* " lines */
};

/* Why reading is paused (bits of conn->paused); it resumes when none is left. */
enum conn_pause {
	PAUSE_HELD = 1 << 0,    /* @held is over max_held_bytes */
	PAUSE_OUTPUT = 1 << 1,  /* unsent output is over soft_output_bytes */
	PAUSE_FLOOD = 1 << 2,   /* the mode's rate limit (room.c) */
	PAUSE_STORE = 1 << 3,   /* the store cannot write: nothing more is accepted (store.h) */
	PAUSE_RESUME = 1 << 4,  /* a resumed conn is given what it missed first (resume.h) */
	PAUSE_CLUSTER = 1 << 5, /* the cluster's outbox is full: Redis is unreachable (node.c) */
	PAUSE_TYPING = 1 << 6,  /* too many "typing" commands in a window (typing.h) */
};

/* Capabilities a client asked for with "caps WORD..." and was granted (protocol 7.1). */
enum conn_cap {
	CAP_PING = 1 << 0,   /* server pings (alive.h) */
	CAP_IDS = 1 << 1,    /* messages as type 5 with their IDs, "epoch", "history" (7.2, 7.4) */
	CAP_RESUME = 1 << 2, /* a session to resume after a lost connection (7.3, session.h) */
	CAP_AGENT = 1 << 3,  /* an agent holding several conversations (7.5, team.h) */
	CAP_TYPING = 1 << 4, /* "typing" both ways (typing.h) */
	CAP_FILES = 1 << 5,  /* file uploads and downloads, type 6 frames (files.h) */
};

struct session;

struct conn {
	struct server *server;
	struct bufferevent *bev;
	/* Handshake deadline, then the mode's idle deadline, then close; NULL while none. */
	struct event *timer;
	struct event *hangup; /* hang-up check while reading is paused */
	uint64_t id;
	enum conn_state state;
	uint8_t wr; /* enum conn_write bits: how its output is written (conn-write.h) */
	enum conn_mode_link mode_link;
	enum conn_role role;
	enum conn_proto proto;
	uint8_t typing_n;       /* "typing" commands in its current window (typing.h) */
	uint16_t partial_limit; /* max_frame for the frame being received; 0: none begun */
	bool notices;           /* sent "hello notices": may receive type 3 frames */
	bool typing_flooding;   /* told "error flood" for "typing": quiet until a calm window */
	unsigned paused;        /* enum conn_pause bits: reading is disabled while any is set */
	/*
	 * Flags that are not states. @queued_link: on the desk's line (@link); kept because the
	 * desk must know it in O(1) when the conn has already become CLOSING. @peer_eof: the
	 * peer finished sending (input direction only; it may still be reading, in any state);
	 * the conn stays live while whole frames are left, handled as its pauses allow.
	 * @greeted: line protocol, the first line has been read. @fin_seen: a paused peer's FIN
	 * was seen (and logged) by the hang-up check, before its EOF was read.
	 */
	bool queued_link;
	bool peer_eof;
	bool greeted;
	bool resume_tried; /* sent "resume" in its handshake: once only (resume.h) */
	bool wants_drain;  /* conn_output_busy() said yes: the mode waits for the drained hook */
	uint8_t caps;      /* enum conn_cap bits granted by "caps"; 0 for every wave-1 client */
	bool ping_out;     /* a "ping" went out and nothing has come back since (alive.h) */
	bool remote;       /* an agent from agent_listen: challenged apart from the agent socket */
	uint8_t bucket;    /* enum conn_bucket: what it holds against the limits (admit.h) */
	bool fin_seen;
	bool gate_ticket; /* output waits for the store's next commit (deliver.h) */
	bool gate_hold;   /* output waits for a history answer (deliver.h) */
	uint8_t end_why;  /* enum store_end: why its conversation ended (default: it left) */
	bool lost;        /* the peer hung up or the network failed: its session may resume */
	bool kept; /* detached, but the mode keeps it in its place for a resume (session.h) */
	/* Kept across a restart, its conversation @conv ended: a new one when it is back. */
	bool conv_ended;
	struct session *session;  /* granted "resume" (session.h); NULL: none */
	struct conn_files *files; /* its open transfers (files.h); NULL: none */
	/* Set at accept when the server is full: answered after "hello notices", then closed. */
	const char *refuse_code, *refuse_text;
	void *mode_data; /* the mode's per-conn state; the mode frees it in its detach hook */
	double since;    /* when it entered its current state (monotonic seconds) */
	char nick[NICK_BUFSIZE];
	/*
	 * The nickname asked for, before server_unique_nick(): "" until conn_set_asked(), then
	 * allocated at its length (an idle member's "m12" takes 24 bytes, not 129: issue 20).
	 * Allocated if and only if not empty.
	 */
	const char *asked;
	const struct auth_key *key; /* the listener's key while in CONN_CHALLENGE */
	union {
		char challenge[65]; /* CONN_CHALLENGE: the challenge it was sent */
		/* After it, an agent from agent_listen: the key it answered with (agents.h). */
		unsigned char key_id[AGENTS_KEY_ID_BYTES];
		/* A group member (no key_id): the challenge its "oper" was sent (room-mod.c). */
	};
	/*
	 * Group mode: @oper, an operator (the agent socket, or operator_key_file's challenge
	 * answered); @oper_asked, an "oper-challenge" waits for its one answer; @oper_tries,
	 * wrong answers so far. In the union's padding: struct conn stays within its budget.
	 */
	bool oper;
	bool oper_asked;
	uint8_t oper_tries;
	/* When its current "typing" window began (typing.h): milliseconds, modulo 2^32. */
	uint32_t typing_at;
	struct evbuffer *held;   /* encoded type 2 frames, oldest first; NULL until the first */
	struct evbuffer *gated;  /* output waiting for the store (deliver.h); NULL until needed */
	uint64_t conv;           /* desk: the customer's conversation (cN); 0: none */
	TAILQ_ENTRY(conn) entry; /* server->conns, or server->gone once closing */
	TAILQ_ENTRY(conn) link;  /* the mode's list: the desk's queue */
	/*
	 * "ip:port" or "agent socket", at most CONN_PEER_MAX bytes: allocated with the conn at its
	 * length, not 64 bytes for every idle member (issue 20).
	 */
	char peer[];
};

/* A conn's @peer is cut to this many bytes: room-priv.h's leavers copy it into 64 bytes. */
#define CONN_PEER_MAX 63

TAILQ_HEAD(conn_list, conn);

/*
 * conn_new() - adopt an accepted socket (or a bufferevent pair end, fd -1). With a @key the
 * peer is challenged first and must answer before anything else.
 */
struct conn *conn_new(struct server *s, struct bufferevent *bev, enum conn_role role,
		      const char *peer, const struct auth_key *key);
void conn_free(struct conn *c);
bool conn_live(const struct conn *c);
/* conn_attached() - the mode knows @c and has not yet been told of its end. */
bool conn_attached(const struct conn *c);
void conn_set_state(struct conn *c, enum conn_state state);

/* Output. Each checks the output bound first; a peer past it is closed as a slow consumer. */
/* conn_send_frame() - one frame of @type (a notice only if the peer asked for notices). */
int conn_send_frame(struct conn *c, enum fd_frame_type type, const char *body, size_t len);
/* conn_output_added() - bytes were put in @c's output from elsewhere (deliver.c): check the
 * bounds, or finish a close that waited for them. */
void conn_output_added(struct conn *c);
/*
 * conn_send_encoded() - append bytes already encoded for this conn's protocol (a broadcast
 * encodes each message once per protocol). Past soft_output_bytes the peer's reading pauses
 * until its output drains to half of that; past max_output_bytes it is dropped.
 */
int conn_send_encoded(struct conn *c, const void *data, size_t len);
/* conn_unsent() - bytes of output not yet written: in its output, and behind its gate. */
size_t conn_unsent(struct conn *c);
/*
 * conn_output_busy() - whether @c has more than half of soft_output_bytes unsent. When it has,
 * the mode's drained hook runs once it is down to that: a producer that paces itself by this
 * never pushes a peer towards max_output_bytes on its own (the desk's replays and relays).
 */
bool conn_output_busy(struct conn *c);
void conn_notice(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* conn_error() - "error CODE -- text" without closing (not-your-turn, no-customer, ...). */
void conn_error(struct conn *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * conn_error_now() - conn_error(), but ahead of the output that waits behind the conn's gate
 * (deliver.h): "store-unavailable" says why that output waits, so it must not wait behind it.
 */
void conn_error_now(struct conn *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* conn_fail() - "error CODE -- text", then flush and close this one connection. */
void conn_fail(struct conn *c, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* conn_write_failed() - writing to the peer failed with @err (0: it wrote nothing): it is gone. */
void conn_write_failed(struct conn *c, int err);
/* conn_close() - flush what is queued, then close. */
void conn_close(struct conn *c, const char *why);

/* conn_role_name() - "customer", "agent" or "member", for logs and metrics. */
const char *conn_role_name(enum conn_role role);

/*
 * conn_new_kept() - a conn with no peer, kept by the mode in the place of a customer whose
 * session survived a restart (session.h): detached, dead, on the server's @gone list.
 */
struct conn *conn_new_kept(struct server *s, enum conn_role role, const char *nick);
/* conn_release_socket() - a dead conn the mode keeps (session.h) needs no descriptor. */
void conn_release_socket(struct conn *c);

/* conn_set_asked() - the name asked for (cut to NICK_BUFSIZE - 1 bytes); -1: out of memory. */
int conn_set_asked(struct conn *c, const char *name, size_t len);

/* conn_pause()/conn_resume() - add or clear one reason to stop reading this peer. */
void conn_pause(struct conn *c, enum conn_pause why);
void conn_resume(struct conn *c, enum conn_pause why);

/*
 * conn_set_timer() - (re)arm the conn's one deadline; 0 seconds disarms it and frees its event
 * (an idle member keeps none), made again by the next deadline.
 */
void conn_set_timer(struct conn *c, unsigned seconds);

#endif
