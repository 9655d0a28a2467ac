/* The exporter's web configuration (exporter-toolkit's format). See
 * webconfig.h. */
#include "export/webconfig.h"

#include "base/filekind.h"

#include <crypt.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define WEB_CONFIG_MAX (1u << 20)

struct loader {
	const char *path;
	yaml_document_t doc;
	char *err;
	size_t errlen;
};

static int bad(struct loader *l, const char *fmt, const char *a, const char *b)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, a, b);
	snprintf(l->err, l->errlen, "%s: %s", l->path, msg);
	return -1;
}

/* A key as an error may show it: a short name, or else where it is (a file
 * that is not a config, /etc/shadow say, must never be quoted back). */
static const char *shown_key(const char *k, yaml_node_t *n, char *buf, size_t size)
{
	size_t len = k ? strlen(k) : 0;
	bool plain = len > 0 && len <= 40;

	for (size_t i = 0; plain && i < len; i++)
		plain = (k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
			(k[i] >= '0' && k[i] <= '9') || k[i] == '_' || k[i] == '-' || k[i] == '.';
	if (plain)
		return k;
	snprintf(buf, size, "the key on line %zu", n ? n->start_mark.line + 1 : 0);
	return buf;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A file named in the config: relative to the config file's directory. */
static int read_pem(struct loader *l, const char *key, const char *name, char **out)
{
	char path[4096], dir[4096], why[160];
	size_t len;

	snprintf(dir, sizeof(dir), "%s", l->path);
	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", dirname(dir), name);
	if (file_read_small(path, WEB_CONFIG_MAX, out, &len, why, sizeof(why)) < 0)
		return bad(l, "tls_server_config.%s: %s", key, why);
	if (!strstr(*out, "-----BEGIN ")) {
		free(*out);
		*out = NULL;
		return bad(l, "tls_server_config.%s: %s is not a PEM file", key, name);
	}
	return 0;
}

static int load_tls(struct loader *l, yaml_node_t *m, struct web_config *c)
{
	const char *cert = NULL, *key = NULL;

	if (m->type != YAML_MAPPING_NODE)
		return bad(l, "tls_server_config: %s%s", "expected a mapping", "");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(&l->doc, p->key));
		const char *v = scalar(yaml_document_get_node(&l->doc, p->value));
		if (!k || !v)
			return bad(l, "tls_server_config: %s%s", "keys and values are strings", "");
		if (!strcmp(k, "cert_file"))
			cert = v;
		else if (!strcmp(k, "key_file"))
			key = v;
		else {
			char kb[48];
			return bad(l, "tls_server_config: %s is not supported (cert_file and "
				      "key_file are)%s", shown_key(k, yaml_document_get_node(&l->doc, p->key),
							   kb, sizeof(kb)), "");
		}
	}
	if (!cert || !key || !*cert || !*key)
		return bad(l, "tls_server_config: %s%s", "needs both cert_file and key_file", "");
	if (read_pem(l, "cert_file", cert, &c->cert_pem) || read_pem(l, "key_file", key, &c->key_pem))
		return -1;
	return 0;
}

static int load_users(struct loader *l, yaml_node_t *m, struct web_config *c)
{
	size_t n;

	if (m->type != YAML_MAPPING_NODE)
		return bad(l, "basic_auth_users: %s%s", "expected a mapping of user: bcrypt hash", "");
	n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
	c->users = calloc(n ? n : 1, sizeof(*c->users));
	if (!c->users)
		return bad(l, "%s%s", "out of memory", "");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(&l->doc, p->key));
		const char *v = scalar(yaml_document_get_node(&l->doc, p->value));
		if (!k || !*k || !v)
			return bad(l, "basic_auth_users: %s%s", "each entry is user: bcrypt hash", "");
		if (strncmp(v, "$2a$", 4) && strncmp(v, "$2b$", 4) && strncmp(v, "$2y$", 4)) {
			char kb[48];
			return bad(l, "basic_auth_users.%s: %s",
				   shown_key(k, yaml_document_get_node(&l->doc, p->key), kb, sizeof(kb)),
				   "not a bcrypt hash ($2a$, $2b$ or $2y$; e.g. htpasswd -nB USER)");
		}
		c->users[c->nusers].name = strdup(k);
		c->users[c->nusers].hash = strdup(v);
		if (!c->users[c->nusers].name || !c->users[c->nusers].hash)
			return bad(l, "%s%s", "out of memory", "");
		c->nusers++;
	}
	return 0;
}

int web_config_load(const char *path, struct web_config *c, char *err, size_t errlen)
{
	struct loader l = { .path = path, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_node_t *root;
	char *text, why[160];
	size_t len;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if (file_read_small(path, WEB_CONFIG_MAX, &text, &len, why, sizeof(why)) < 0)
		return bad(&l, "%s%s", why, "");
	if (!yaml_parser_initialize(&parser)) {
		free(text);
		return bad(&l, "%s%s", "out of memory", "");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &l.doc)) {
		char msg[160];
		snprintf(msg, sizeof(msg), "line %zu: %s", parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "not YAML");
		yaml_parser_delete(&parser);
		free(text);
		return bad(&l, "%s%s", msg, "");
	}
	yaml_parser_delete(&parser);
	free(text);
	root = yaml_document_get_root_node(&l.doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		rc = bad(&l, "%s%s", "empty, or not a mapping of tls_server_config and "
				     "basic_auth_users", "");
		goto out;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top && !rc; p++) {
		const char *k = scalar(yaml_document_get_node(&l.doc, p->key));
		yaml_node_t *v = yaml_document_get_node(&l.doc, p->value);
		if (k && !strcmp(k, "tls_server_config"))
			rc = load_tls(&l, v, c);
		else if (k && !strcmp(k, "basic_auth_users"))
			rc = load_users(&l, v, c);
		else {
			char kb[48];
			rc = bad(&l, "%s is not supported (tls_server_config and basic_auth_users "
				     "are)%s", shown_key(k, yaml_document_get_node(&l.doc, p->key), kb,
							 sizeof(kb)), "");
		}
	}
out:
	yaml_document_delete(&l.doc);
	if (rc)
		web_config_free(c);
	return rc;
}

void web_config_free(struct web_config *c)
{
	free(c->cert_pem);
	free(c->key_pem);
	for (size_t i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		free(c->users[i].hash);
	}
	free(c->users);
	memset(c, 0, sizeof(*c));
}

/* Equal without an early exit: the time taken does not say where they differ. */
static bool same(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

bool web_config_auth(struct web_config *c, const char *user, const char *password)
{
	/* a bcrypt hash of cost 10 nobody's password matches: unknown users take as long */
	static const char dummy[] = "$2b$10$Q9M1t5Bx7pbhVSWmtqnrvOEw6ZJ4D4hHBrQbTTm4BgYy6pB3S1yJe";
	struct crypt_data *cd;
	const struct web_user *u = NULL;
	unsigned char digest[32];
	size_t ulen, plen;
	char *buf;
	bool ok = false;

	if (!c->nusers)
		return true;
	if (!user || !password)
		return false;
	ulen = strlen(user);
	plen = strlen(password);
	buf = malloc(ulen + plen + 2);
	if (!buf)
		return false;
	memcpy(buf, user, ulen + 1);
	memcpy(buf + ulen + 1, password, plen + 1);
	bool hashed = gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, ulen + plen + 1, digest) == 0;
	free(buf);
	for (size_t i = 0; hashed && i < c->ok_used; i++)
		ok |= same(c->ok_cache[i], digest, sizeof(digest));
	if (ok)
		return true;
	for (size_t i = 0; i < c->nusers; i++)
		if (!strcmp(c->users[i].name, user))
			u = &c->users[i];
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	const char *h = crypt_r(password, u ? u->hash : dummy, cd);
	const char *want = u ? u->hash : dummy;
	ok = u && h && strlen(h) == strlen(want) && same(h, want, strlen(want));
	free(cd);
	if (ok && hashed) {
		unsigned cap = sizeof(c->ok_cache) / sizeof(c->ok_cache[0]);
		memcpy(c->ok_cache[c->ok_next], digest, sizeof(digest));
		c->ok_next = (c->ok_next + 1) % cap;
		if (c->ok_used < cap)
			c->ok_used++;
	}
	return ok;
}
