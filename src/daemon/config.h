/* SPDX-License-Identifier: ISC */
/*
 * config.h - frontdeskd's settings: built-in defaults, then the config file.
 *
 * The file is "key = value" lines with '#' comments, read by libinih. Every key is one row of
 * the table in config.c; every error is reported as "FILE:LINE: message", all of them, before
 * the load fails. A struct config is a plain value: copy it, compare it, throw it away.
 * SIGHUP applies a new file live (reload.c); a key read only at start-up must be listed there.
 */
#ifndef FRONTDESK_CONFIG_H
#define FRONTDESK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sys/un.h>

#include "log.h"

#define CONFIG_DEFAULT_PORT      21567
#define CONFIG_DEFAULT_LINE_PORT 6666
#define CONFIG_MAX_ENDPOINTS     8

enum fd_mode {
	MODE_SINGLE_AGENT,
	MODE_GROUP,
};

enum turns {
	TURNS_STRICT,
	TURNS_FREE,
};

/* One "HOST:PORT" (IPv6 hosts in brackets: "[::1]:21567"). Port 0 asks the kernel for one. */
struct endpoint {
	char host[256];
	unsigned port;
};

struct endpoint_list {
	struct endpoint v[CONFIG_MAX_ENDPOINTS];
	size_t n;
};

/*
 * max_startups = BEGIN:RATE:FULL (OpenSSH's MaxStartups): past BEGIN connections that have not
 * finished their handshake, a new one is refused with RATE percent probability, rising
 * linearly to 100 at FULL. "N" alone means N:100:N.
 */
struct startups {
	unsigned begin, rate, full;
};

/* One address or network, "ADDRESS[/PREFIX]": proxy_from's entries. */
struct net_prefix {
	int family;             /* AF_INET or AF_INET6 */
	unsigned prefix;        /* bits that must match */
	unsigned char addr[16]; /* the network, host bits cleared */
};

/* proxy_from: the load balancers trusted to say who their client is (proxy.h). */
#define CONFIG_MAX_PROXY_FROM 16
struct net_list {
	struct net_prefix v[CONFIG_MAX_PROXY_FROM];
	size_t n;
};

/* store = sqlite:PATH | memory | off (store.h) */
enum config_store {
	CONFIG_STORE_OFF,
	CONFIG_STORE_MEMORY,
	CONFIG_STORE_SQLITE,
};

struct config {
	enum fd_mode mode;
	struct endpoint_list listen;
	struct endpoint_list line_listen;
	bool line_listen_keyed_off; /* group mode: line_listen defaulted to off for key_file */
	char agent_socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct endpoint_list
	    agent_listen; /* TCP endpoints for remote agents (need agent_key_file or agents_file) */
	char key_file[256];                  /* challenge on the customer/member framed listeners */
	char agent_key_file[256];            /* challenge on agent_listen */
	struct endpoint_list metrics_listen; /* HTTP: /metrics, /healthz, /readyz, /status */
	char operator_key_file[256];         /* group mode: the key "oper" is answered with */
	char agents_file[256]; /* who may be which agent (agents.h); "" = anyone, any name */
	char tls_cert[256];    /* with tls_key: every TCP listener speaks TLS */
	char tls_key[256];
	struct net_list proxy_from; /* peers that must send a PROXY header first (proxy.h) */
	enum turns turns;
	enum log_level log_level;
	int log_messages;           /* 1: log chat message bodies (default 0, never) */
	unsigned max_frame;         /* bytes, whole frame */
	unsigned max_queue;         /* customers waiting in line */
	unsigned max_held_bytes;    /* per connection, accepted but not yet relayed */
	unsigned max_output_bytes;  /* per connection, unsent output before it is dropped */
	unsigned soft_output_bytes; /* per connection, unsent output that pauses its reading */
	unsigned max_clients;
	unsigned max_per_address;       /* connections from one IP address; 0 = no limit */
	struct startups max_startups;   /* connections still in their handshake */
	unsigned max_msgs_per_sec;      /* group mode: each member's message rate; 0 = no limit */
	unsigned msg_burst;             /* group mode: messages a member may send at once */
	unsigned max_bytes_per_sec;     /* group mode: each member's message bytes; 0 = no limit */
	unsigned bytes_burst;           /* group mode: message bytes a member may send at once */
	unsigned max_renames_per_min;   /* group mode: "nick" commands per member; 0 = no limit */
	unsigned max_joins_per_min;     /* group mode: joins from one IP address; 0 = no limit */
	unsigned announce_max_members;  /* group mode: no joined/left/renamed above; 0 = no limit */
	unsigned handshake_timeout;     /* seconds to send the nickname */
	unsigned customer_idle_timeout; /* seconds of silence before the active customer is ended */
	unsigned peer_timeout; /* seconds to notice a vanished peer (keepalive, pings); 0 = off */
	enum config_store store;
	char store_path[256];          /* store = sqlite:PATH */
	int store_sync;                /* enum store_sync: 0 normal, 1 full */
	unsigned resume_grace;         /* seconds a lost session may be resumed; 0 = no resume */
	unsigned agent_grace;          /* the same for the agent's session */
	unsigned max_agents;           /* desk: agents at once (1: the original desk) */
	unsigned max_chats_per_agent;  /* desk: conversations an agent holds at once */
	unsigned answer_timeout;       /* desk: seconds before an unanswered chat moves; 0 = off */
	unsigned history_on_join;      /* group mode: messages a joining member is shown; 0 = off */
	unsigned history_max_age;      /* seconds a message is kept; 0 = no limit */
	unsigned history_max_messages; /* the room's messages kept; 0 = no limit */
	char canned_file[256];         /* desk: the agents' canned replies (canned.h); "": none */
	/* web_listen (web.h): HTTP, and WebSocket on /ws; web_origins: who may upgrade there. */
	struct endpoint_list web_listen;
	char web_origins[1024]; /* lower-case origins, comma-separated; "": the Host's own */
	/* Who may put the pages in a frame (CSP frame-ancestors), as web_origins; "": only us. */
	char web_embed_origins[1024];
	/* The cluster (config-cluster.h): nodes sharing their state through one Redis. */
	bool cluster;                    /* cluster = redis://...; false: off (one node) */
	char cluster_host[256];          /* a name or a literal address (IPv6 without brackets) */
	unsigned cluster_port;           /* default 6379 */
	unsigned cluster_db;             /* default 0, at most 1000 */
	char cluster_password_file[256]; /* its first line is Redis's password; "": none */
	char cluster_name[33];           /* key prefix; default "frontdesk"; [A-Za-z0-9_.-]{1,32} */
	char node_name[65];              /* default: the host name's first label, else "node" */
	unsigned cluster_lease;          /* seconds; default 10; 2..3600 */
	unsigned cluster_hold_bytes;     /* held while Redis is unreachable before reading stops */
	/* web_listen's customers are never challenged: with key_file, it must say it means it. */
	int web_public; /* 1: yes */
	/* /ws/agent on web_listen: 1 (default) when agent keys are set, 0 never (config-web.c). */
	int web_agents;
	/* Files (issue 19, files.h): uploads kept by their SHA-256 under files_dir. */
	int files;                /* 1 (default): "files" is granted; 0: none of it */
	unsigned max_file_size;   /* bytes: the largest file accepted (live) */
	unsigned file_timeout;    /* seconds without data before an upload is dropped (live) */
	uint64_t files_max_bytes; /* the directory's quota, uploads in progress included */
	char files_dir[256];      /* "": the state directory's "files", or a private temp dir */
};

/* config_init() - the built-in defaults. */
void config_init(struct config *c);

/*
 * config_load() - read @path over the defaults in @c.
 *
 * Return: 0; -EINVAL with *@ret_errors set to one "FILE:LINE: message\n" per problem (free()
 * it); or another negative errno when the file cannot be read (*@ret_errors says why).
 * On failure @c is left as it was.
 */
int config_load(struct config *c, const char *path, char **ret_errors);

/*
 * config_fopen() - open a file the config names (the config itself, agents_file): NULL with
 * *@ret a negative errno and *@ret_errors "PATH: cannot open: why" (free() it) if it cannot.
 */
FILE *config_fopen(const char *path, char **ret_errors, int *ret);

/* config_load_file() - the same from an open stream; @path names it in the messages. */
int config_load_file(struct config *c, FILE *f, const char *path, char **ret_errors);

const char *config_mode_name(enum fd_mode mode);

/* endpoint_format() - "HOST:PORT", with brackets around an IPv6 host. */
/* config_is_loopback() - @host is a literal loopback address (127.0.0.0/8, ::1); no resolver. */
bool config_is_loopback(const char *host);
/* config_web_agents() - whether web_listen has the agents' door, /ws/agent (config-web.c). */
bool config_web_agents(const struct config *c);
void endpoint_format(const struct endpoint *e, char *buf, size_t len);

#endif
