/* SPDX-License-Identifier: ISC */
/* client-tls.c - the client's side of TLS (see client-tls.h). */
#include "client-tls.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include <arpa/inet.h>

#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tlserr.h"

int client_tls_context(const struct session_config *cfg, SSL_CTX **ret)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (cfg->insecure) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		if ((cfg->ca_file[0] ? SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL)
				     : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
			ERR_clear_error();
			SSL_CTX_free(ctx);
			return -ENOENT;
		}
	}
	*ret = ctx;
	return 0;
}

/* A TLS bufferevent on connecting socket @fd that checks the certificate names the target. */
struct bufferevent *client_tls_bufferevent(SSL_CTX *ctx, struct event_base *base, const char *host,
					   int fd)
{
	unsigned char ip[sizeof(struct in6_addr)];
	struct bufferevent *bev;
	SSL *ssl = SSL_new(ctx);

	if (!ssl)
		return NULL;
	if (inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	} else {
		SSL_set_tlsext_host_name(ssl, host);
		SSL_set1_host(ssl, host);
	}
	/* The handshake starts once the connect completes; CONNECTED is reported after it. */
	bev = bufferevent_openssl_socket_new(base, fd, ssl, BUFFEREVENT_SSL_CONNECTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		SSL_free(ssl);
	else
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* Why a TLS connection attempt failed, in words, or NULL when TLS was not the reason. */
const char *client_tls_failure(struct bufferevent *bev, char *buf, size_t len)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	long verify;

	if (!ssl)
		return NULL;
	verify = SSL_get_verify_result(ssl);
	if (verify != X509_V_OK) {
		snprintf(buf, len, "the server's certificate is not trusted: %s",
			 X509_verify_cert_error_string(verify));
		return buf;
	}
	return tls_bufferevent_error(bev, buf, len);
}
