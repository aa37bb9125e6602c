/* SPDX-License-Identifier: ISC */
/*
 * session.h - one connection to a frontdesk server and what the client knows about it.
 *
 * The session owns the bufferevent, frames what the user sends, decodes what arrives, and keeps
 * the protocol state a client needs: whose turn it is in strict turns, who we are talking to,
 * whether the server speaks notices at all. It never prints: the interactive and script front
 * ends get callbacks (struct session_ops) and decide how things look.
 *
 * Turn rule (strict turns, the default until a "turns" notice says otherwise, and the only rule
 * an old types-1-and-2 server has): a customer may write first; after sending, a side waits
 * until a message arrives from the other side. The "turn" notice gives the turn back too, but
 * only when nothing we sent is still unanswered: the server announces "turn" when a customer
 * is served even if that customer already wrote while waiting in line. A history answer is
 * no reply: it leaves the turn as it was.
 *
 * Resume (resume.h): after a drop, a server that granted "resume" gets the session back on the
 * next connection; the turn, the peer and the place in line are kept meanwhile, since the
 * conversation goes on where it was.
 */
#ifndef FRONTDESK_CLIENT_SESSION_H
#define FRONTDESK_CLIENT_SESSION_H

#include <stdbool.h>
#include <stddef.h>

#include <frontdesk/frame.h>

#include "canned.h"
#include "nick.h"
#include "notice.h"
#include "target.h"

struct event_base;

#define SESSION_NICK_MAX (FD_NICK_MAX_BYTES + 1)
#define SESSION_KEY_MAX  1024

struct session_config {
	struct target target;
	char nick[SESSION_NICK_MAX];
	bool agent; /* attach as the agent (turn rule: the customer starts) */
	bool line;  /* newline protocol instead of frames */
	unsigned char key[SESSION_KEY_MAX]; /* shared key for a challenge, when key_len > 0 */
	size_t key_len;
	/* A room's operator key (--oper-key): "oper" is asked at once, its challenge answered. */
	unsigned char oper_key[SESSION_KEY_MAX];
	size_t oper_key_len;
	bool tls;          /* TLS 1.2+, the server's certificate checked against @ca_file */
	bool insecure;     /* ...or not checked at all */
	char ca_file[256]; /* empty: the system's trusted certificates */
	/* A refused resume ends the connection (closed()) instead of joining afresh on it. */
	bool resume_only;
	/* Files (issue 19): where received ones are saved; @no_download: listed, not fetched. */
	char download_dir[4096];
	bool no_download;
	/* In a room, files are listed unless this: any member could fill our disk otherwise. */
	bool auto_download;
};

/* What a line about a file (issue 19) says: how a front end shows it. */
enum session_file_kind {
	SESSION_FILE_RESULT,   /* sent, received, or received damaged and not kept */
	SESSION_FILE_LISTED,   /* a file named but not fetched (history, a room, --no-download) */
	SESSION_FILE_PROGRESS, /* how far a big file has come */
	SESSION_FILE_ERROR,    /* a transfer failed, or /send refused */
};

struct session_file_note {
	enum session_file_kind kind;
	const char *who;   /* the other side when it is one customer (an agent's window), or NULL */
	const char *words; /* "sent invoice.pdf (48,213 bytes)" */
	bool upload;       /* about a file we send (/send): a script's exit status counts it */
};

/*
 * A chat message: a type 2 frame, or a tagged one (type 5, protocol 7.2) from a server that
 * granted "ids", which says who wrote it and when. A tagged message seen already is dropped
 * before it gets here (ids.h).
 */
struct session_message {
	/* As type 2 carries it: "NICK: TEXT" in a room and to an agent granted "agent", else TEXT
	 */
	const char *body;
	/* tagged: the sender; type 2 to an agent granted "agent": the customer; else NULL */
	const char *from;
	/* tagged: the conversation ("*", "cN"); "@NICK" a private message (any way it came) */
	const char *conv;
	const char *text;      /* tagged: the text alone; type 2: @body */
	long long time_ms;     /* tagged: when the server accepted it (Unix ms); type 2: 0 */
	unsigned long long id; /* tagged: its ID */
	bool history;          /* an earlier message, between "history-start" and "history-end" */
};

/* Callbacks to the front end; @ui is the pointer given to session_new(). */
struct session_ops {
	/*
	 * Connected (and authenticated), and the front end may talk: the nickname and "hello
	 * notices" are on their way, or (@resumed) the server took us back into our session.
	 */
	void (*opened)(void *ui, bool resumed);
	/* A chat message. */
	void (*message)(void *ui, const struct session_message *m);
	/*
	 * A notice, after the session has updated its own state from it. @words says what it
	 * means, in the light of what came before ("Reconnected; you are still number 3 in
	 * line"); NULL when it is no news.
	 */
	void (*notice)(void *ui, const struct notice *n, const char *words);
	/*
	 * The connection is gone. @err is 0 when it ended normally (we quit, the agent ended the
	 * conversation, a newer connection of ours took over), else a negative errno: -EPERM when
	 * the server refused us in a way no other try can mend (agent-not-allowed: the name is
	 * not ours to use), so there is no point in reconnecting. @why is one sentence for the
	 * user.
	 */
	void (*closed)(void *ui, int err, const char *why);
	/*
	 * Optional: unsent output fell back below SESSION_OUTPUT_HIGH / 2 (see output_full); or
	 * the server said whether it takes files (session_files_settled()): a producer that
	 * stopped may go on.
	 */
	void (*drained)(void *ui);
	/* A line about a file sent or received (issue 19). */
	void (*file)(void *ui, const struct session_file_note *note);
};

/*
 * One of the conversations of an agent granted "agent" (protocol 7.5), with its own turn: in
 * strict turns each customer waits for the agent's answer, and the agent for each customer's.
 */
struct session_conv {
	char name[SESSION_NICK_MAX]; /* the customer */
	char conv[24];               /* "cN" when the server named it (ids), else "" */
	bool my_turn;
	bool awaiting; /* we wrote to this customer and have had no reply yet */
	unsigned held; /* our replies the desk holds ("not-your-turn") until the customer writes */
};

/* Conversations at once that the client keeps apart; the server bounds them far lower. */
#define SESSION_CONVS_MAX 100

/* Unsent bytes past which session_output_full() says so: the caller should stop feeding. */
#define SESSION_OUTPUT_HIGH (256 * 1024)

enum session_state {
	SESSION_IDLE,       /* not connected */
	SESSION_CONNECTING, /* connect() in progress */
	SESSION_AUTH,       /* connected, waiting for the challenge (we have a key) */
	SESSION_RESUMING,   /* "resume" sent: nothing else may go until the answer */
	SESSION_OPEN,       /* nickname sent, chatting */
	SESSION_QUITTING,   /* quit sent, waiting for the server to close */
};

struct session;

/*
 * session_check_tls() - whether @cfg's TLS settings load (the CA file above all); on failure
 * @err says why. Called once at start-up so that session_new() only fails for memory.
 */
int session_check_tls(const struct session_config *cfg, char *err, size_t len);

int session_new(struct event_base *base, const struct session_config *cfg,
		const struct session_ops *ops, void *ui, struct session **ret);
void session_free(struct session *s);

/*
 * session_connect() - start connecting (again); protocol state starts afresh.
 *
 * Return: 0 when the attempt is under way (the outcome comes as opened or closed), or a
 * negative errno with session_error() saying why.
 */
int session_connect(struct session *s);

/* session_error() - the sentence for the last failure. */
const char *session_error(const struct session *s);

/*
 * session_say() - send one chat message.
 *
 * Does not check the turn (see session_may_send()): the server holds what comes early.
 * Return: 0, -ENOTCONN, -EMSGSIZE (longer than a frame can carry), -EILSEQ (not UTF-8, or a
 * newline in line mode).
 */
int session_say(struct session *s, const char *text);

/* session_command() - send a command ("next", "kick bob") as a command frame or "/" line. */
int session_command(struct session *s, const char *text);

/* session_quit() - say goodbye and close once the server has; closed() reports err 0. */
void session_quit(struct session *s);

/* session_close() - drop the connection now, without callbacks. */
void session_close(struct session *s);

enum session_state session_state(const struct session *s);
/* Whether a message sent now would be relayed at once (always true in free turns). */
bool session_may_send(const struct session *s);
/* session_output_full() - more than SESSION_OUTPUT_HIGH bytes wait to be sent. */
bool session_output_full(const struct session *s);
/* Whether something we sent has had no reply yet. */
bool session_awaiting_reply(const struct session *s);
/* Strict turns (known from the "turns" notice, assumed without one). */
bool session_strict(const struct session *s);
/* Whether the server has sent any notice (it understood "hello notices"). */
bool session_has_notices(const struct session *s);
/* The nickname the server confirmed (or the one asked for). */
const char *session_nick(const struct session *s);
/* Who we are talking to ("" when nobody). */
const char *session_peer(const struct session *s);
/* Group mode (a "welcome group" notice, or the line protocol). */
bool session_group(const struct session *s);
/* session_target_name() - the target as "HOST:PORT" or "unix:PATH". */
const char *session_target_name(const struct session *s);
/*
 * session_resumable() - whether the connection that ended may be resumed: the server granted
 * "resume", and it dropped (not ended by us, by the server on purpose, or by a broken server).
 * session_connect() then tries the resume by itself.
 */
bool session_resumable(const struct session *s);
/*
 * session_multi() - an agent granted "agent" (protocol 7.5): several conversations at once,
 * messages to and from them prefixed "NAME: ". Without it, one conversation, no prefix.
 */
bool session_multi(const struct session *s);
/* session_conv() - the conversation with customer @name (multi), or NULL. */
const struct session_conv *session_conv(const struct session *s, const char *name);
/*
 * session_say_to() - session_say() of "NAME: TEXT" to customer @name (multi): the server strips
 * the prefix and relays TEXT to that customer alone.
 */
int session_say_to(struct session *s, const char *name, const char *text);
/*
 * session_send_canned() - send canned reply @name to customer @to: "canned NAME CUSTOMER" with
 * several conversations (multi), "canned NAME" with one (that desk refuses the longer form;
 * @to is then only shown). A reply in the list counts for the turn as a message we wrote, and
 * *@ret_text is its text, to be shown as ours; NULL when the list does not have it (the desk
 * may still: it left some out, or changed its file), and the turn is left as it was.
 * Return: as session_command().
 */
int session_send_canned(struct session *s, const char *name, const char *to, const char **ret_text);
/* session_canned() - the canned replies the server listed (empty when it has none). */
const struct canned *session_canned(const struct session *s);
/*
 * Group mode, issue 15 (group.c). session_oper() asks to become an operator ("oper"); its
 * challenge is answered with the operator key, or said to the user when there is none.
 * session_msg() sends a private message ("msg NICK TEXT"); a server that granted "ids" sends
 * it back to us (session_private_echoed()), others say nothing of it. session_topic() is the
 * room's topic ("" when none), session_operator() whether we are one.
 */
int session_oper(struct session *s);
int session_msg(struct session *s, const char *nick, const char *text);
bool session_private_echoed(const struct session *s);
const char *session_topic(const struct session *s);
bool session_operator(const struct session *s);
/* session_private() - whether @m is a private message ("@NICK"). */
static inline bool session_private(const struct session_message *m)
{
	return m->conv && m->conv[0] == '@';
}
/*
 * session_heard() - whether the server has said anything on this connection (its welcome, or
 * why it refuses us): a quit sent before that may cross its refusal and lose it.
 */
bool session_heard(const struct session *s);
/*
 * session_restarting() - the connection ended with "error shutting-down": the server restarts
 * and keeps the session for our resume (README, Resume), so it is worth trying for a while.
 */
bool session_restarting(const struct session *s);

/*
 * Files (issue 19, files.c, upload.c, download.c). session_send_file() checks the file at
 * @path (a regular file we may read, within the server's largest) and offers it to @to (NULL
 * or "*": our conversation; an agent's customer by name); its bytes follow as the output
 * drains. On a refusal nothing is sent and @err says why. session_get_file() fetches the file
 * listed as number @num. session_files_sending(): an upload is open (a script sends nothing
 * else meanwhile, so that the file keeps its place among its lines); session_files_busy():
 * any transfer is open or waits.
 */
int session_send_file(struct session *s, const char *path, const char *to, char *err, size_t len);
int session_get_file(struct session *s, unsigned num, char *err, size_t len);
bool session_files_sending(const struct session *s);
/* session_files_settled() - whether the server has said if it takes files (caps answered). */
bool session_files_settled(const struct session *s);
bool session_files_busy(const struct session *s);

#endif
