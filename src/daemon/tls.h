/* SPDX-License-Identifier: ISC */
/*
 * tls.h - TLS for the TCP listeners, with libevent's OpenSSL bufferevents.
 *
 * One server context made from tls_cert and tls_key: TLS 1.2 or later, and
 * SSL_OP_IGNORE_UNEXPECTED_EOF so that a peer closing without close_notify is an ordinary EOF
 * rather than an error (OpenSSL 3 with libevent 2.1.12). tls_reload() builds a new context and
 * swaps it in only if it loads, so a renewed certificate is picked up by SIGHUP while every
 * connection keeps the context it started with (each SSL holds a reference to its own).
 *
 * tls_auth_check() is the daemon's side of channel binding (auth.h): it takes the exporter
 * value from the connection's own SSL, so the caller need not know whether it speaks TLS.
 */
#ifndef FRONTDESK_TLS_H
#define FRONTDESK_TLS_H

#include <stdbool.h>
#include <stddef.h>

struct auth_key;
struct bufferevent;
struct event_base;
struct tls;

/* tls_new() - load @cert (PEM chain) and @key. Return 0, or -EINVAL with @err saying why. */
int tls_new(const char *cert, const char *key, struct tls **ret, char *err, size_t errlen);
/* tls_reload() - the same files again (or new ones); on failure the old context stays. */
int tls_reload(struct tls *t, const char *cert, const char *key, char *err, size_t errlen);
void tls_free(struct tls *t);

/* tls_accept() - a server-side TLS bufferevent for accepted socket @fd (closed on free). */
struct bufferevent *tls_accept(struct tls *t, struct event_base *base, int fd);

/* tls_close_notify() - send close_notify if @bev is a TLS bufferevent; no-op otherwise. */
void tls_close_notify(struct bufferevent *bev);
/* tls_is_tls() - whether @bev is a TLS bufferevent (tls_accept()). */
bool tls_is_tls(struct bufferevent *bev);

/*
 * tls_auth_check() - check @response (@len bytes) to @challenge under each of the @nkeys
 * @keys in turn. With @bind and a TLS @bev, the answer must be bound to the session (TLS 1.3
 * only); otherwise, as on plain TCP, it is the bare HMAC of protocol section 6.
 * Return: NULL when the answer is right under a key, its index in *@ret_which; else why not
 * (for the auth-failed notice).
 */
const char *tls_auth_check(struct bufferevent *bev, bool bind, const struct auth_key *const *keys,
			   size_t nkeys, const char *challenge, const char *response, size_t len,
			   size_t *ret_which);

#endif
