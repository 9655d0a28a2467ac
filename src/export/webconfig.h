/* The exporter's web configuration file, in the format of Prometheus's
 * exporter-toolkit (--web.config.file), so one file serves every exporter
 * of a host:
 *
 *	tls_server_config:
 *	  cert_file: server.crt      # PEM; relative paths are from the file's directory
 *	  key_file: server.key
 *	basic_auth_users:
 *	  prometheus: $2y$10$...     # bcrypt hashes (htpasswd -B, python crypt)
 *
 * Parsed with libyaml. Unknown keys are refused (a misspelt key must not
 * leave a server open that its owner thought protected); so are a cert
 * without a key, a user without a bcrypt hash, and an empty file.
 *
 * Checking a password costs a bcrypt run (tens of ms at cost 10); a
 * successful check is remembered by a SHA-256 of user and password, so
 * a scraper that sends the same credentials every 15 s pays once. Unknown
 * users are checked against a dummy hash, so the time taken does not say
 * whether a user exists.
 */
#ifndef NETLENS_EXPORT_WEBCONFIG_H
#define NETLENS_EXPORT_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct web_user {
	char *name, *hash;
};

struct web_config {
	char *cert_pem, *key_pem; /* file contents; NULL without TLS */
	struct web_user *users;
	size_t nusers;
	unsigned char ok_cache[8][32]; /* SHA-256 of "user\0password" checked good */
	unsigned ok_used, ok_next;     /* entries filled; the next to replace */
};

/* 0, or -1 with one line in err naming the file, the key and the problem. */
int web_config_load(const char *path, struct web_config *c, char *err, size_t errlen);
void web_config_free(struct web_config *c);
/* Whether user and password match a configured user (true when no users
 * are configured). */
bool web_config_auth(struct web_config *c, const char *user, const char *password);

#endif
