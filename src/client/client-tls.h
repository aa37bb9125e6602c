/* SPDX-License-Identifier: ISC */
/*
 * client-tls.h - the client's side of TLS (--tls, --ca-file, --insecure): the context, a
 * bufferevent that checks that the certificate names the target, and failures in words.
 */
#ifndef FRONTDESK_CLIENT_TLS_H
#define FRONTDESK_CLIENT_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "session.h"

struct bufferevent;
struct event_base;

/*
 * client_tls_context() - TLS 1.2 at least, the server's certificate verified against
 * @cfg->ca_file or the system's store (unless @cfg->insecure). Return 0, -ENOENT when the
 * trusted certificates cannot be loaded, or -ENOMEM.
 */
int client_tls_context(const struct session_config *cfg, SSL_CTX **ret);
/* client_tls_bufferevent() - TLS on connecting socket @fd, checking the name @host. */
struct bufferevent *client_tls_bufferevent(SSL_CTX *ctx, struct event_base *base, const char *host,
					   int fd);
/* client_tls_failure() - why a TLS connection failed, in words, or NULL when TLS was not why. */
const char *client_tls_failure(struct bufferevent *bev, char *buf, size_t len);

#endif
