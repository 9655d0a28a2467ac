/* SIOCETHTOOL requests. LIVE ONLY: see ethtool.h. */
#include "sources/ethtool.h"
#include "sources/ethnl.h"
#include "sources/host.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Upper bound on driver statistics (real drivers have a few hundred). */
enum { MAX_STATS = 1 << 16 };

static int eth_ioctl(const char *ifname, void *data)
{
	struct ifreq ifr;
	int fd, err = 0;

	if (strlen(ifname) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	ifr.ifr_data = data;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* An ioctl for a live host; a recorded one has no device to ask. */
static int live_ioctl(struct host *h, const char *ifname, void *data)
{
	if (!host_is_live(h)) /* ethtool asks the device: nothing is recorded */
		return -EOPNOTSUPP;
	return eth_ioctl(ifname, data);
}

static int64_t speed_mbps(uint32_t speed)
{
	return speed == (uint32_t)SPEED_UNKNOWN || speed == 0 ? -1 : (int64_t)speed;
}

static int duplex_of(uint8_t duplex)
{
	return duplex == DUPLEX_FULL ? 1 : duplex == DUPLEX_HALF ? 0 : -1;
}

int ethtool_parse_link_settings(const void *reply, size_t len, struct eth_link *out)
{
	struct ethtool_link_settings s;

	if (len < sizeof(s))
		return -EBADMSG;
	memcpy(&s, reply, sizeof(s));
	out->speed_mbps = speed_mbps(s.speed);
	out->duplex = duplex_of(s.duplex);
	return 0;
}

int ethtool_parse_cmd(const void *reply, size_t len, struct eth_link *out)
{
	struct ethtool_cmd cmd;

	if (len < sizeof(cmd))
		return -EBADMSG;
	memcpy(&cmd, reply, sizeof(cmd));
	/* not ethtool_cmd_speed(): it shifts speed_hi as an int, undefined for
	 * SPEED_UNKNOWN (speed_hi 0xffff) */
	out->speed_mbps = speed_mbps((uint32_t)cmd.speed_hi << 16 | cmd.speed);
	out->duplex = duplex_of(cmd.duplex);
	return 0;
}

int ethtool_link(struct host *h, const char *ifname, struct eth_link *out)
{
	/* the settings, then three link-mode masks of up to 127 words each */
	uint32_t raw[(sizeof(struct ethtool_link_settings) + 3 * 127 * sizeof(uint32_t)) /
		     sizeof(uint32_t)];
	struct ethtool_link_settings *s = (struct ethtool_link_settings *)raw;
	int err;

	if (!host_is_live(h)) /* ethtool asks the device: nothing is recorded */
		return -EOPNOTSUPP;

	out->speed_mbps = -1;
	out->duplex = -1;
	memset(raw, 0, sizeof(raw));
	s->cmd = ETHTOOL_GLINKSETTINGS;
	/* handshake: the kernel answers with -(number of mask words) */
	err = eth_ioctl(ifname, raw);
	if (!err && s->link_mode_masks_nwords < 0 && s->link_mode_masks_nwords >= -127) {
		int8_t nwords = (int8_t)-s->link_mode_masks_nwords;
		memset(raw, 0, sizeof(raw));
		s->cmd = ETHTOOL_GLINKSETTINGS;
		s->link_mode_masks_nwords = nwords;
		err = eth_ioctl(ifname, raw);
	} else if (!err) {
		err = -EPROTO;
	}
	if (err == -EOPNOTSUPP || err == -EPROTO) {
		struct ethtool_cmd cmd = { .cmd = ETHTOOL_GSET };
		err = eth_ioctl(ifname, &cmd);
		return err ? err : ethtool_parse_cmd(&cmd, sizeof(cmd), out);
	}
	if (err)
		return err;
	return ethtool_parse_link_settings(raw, sizeof(raw), out);
}

int ethtool_ring(struct host *h, const char *ifname, struct eth_ring *out)
{
	struct ethtool_ringparam r = { .cmd = ETHTOOL_GRINGPARAM };
	int err = live_ioctl(h, ifname, &r);

	if (err)
		return err;
	*out = (struct eth_ring){
		.rx = r.rx_pending, .rx_max = r.rx_max_pending,
		.rx_mini = r.rx_mini_pending, .rx_mini_max = r.rx_mini_max_pending,
		.rx_jumbo = r.rx_jumbo_pending, .rx_jumbo_max = r.rx_jumbo_max_pending,
		.tx = r.tx_pending, .tx_max = r.tx_max_pending,
	};
	return 0;
}

static int sset_count(const char *ifname, int set, uint32_t *n)
{
	/* the header and room for one set's length */
	uint64_t raw[(sizeof(struct ethtool_sset_info) + sizeof(uint32_t) + 7) / 8];
	struct ethtool_sset_info *info = (struct ethtool_sset_info *)raw;
	int err;

	memset(raw, 0, sizeof(raw));
	info->cmd = ETHTOOL_GSSET_INFO;
	info->sset_mask = 1ULL << set;
	err = eth_ioctl(ifname, raw);
	if (err)
		return err;
	*n = 0;
	if (info->sset_mask & (1ULL << set))
		memcpy(n, (const uint8_t *)raw + sizeof(*info), sizeof(*n));
	return 0;
}

int ethtool_parse_sset_count(const void *reply, size_t len, uint32_t *n)
{
	struct ethtool_sset_info info;

	if (len < sizeof(info) + sizeof(uint32_t))
		return -EBADMSG;
	memcpy(&info, reply, sizeof(info));
	*n = 0;
	if (info.sset_mask & (1ULL << ETH_SS_STATS))
		memcpy(n, (const uint8_t *)reply + sizeof(info), sizeof(*n));
	return 0;
}

/* The names of string set `set` (ETH_SS_STATS, ETH_SS_FEATURES) on a live
 * host: *n of them in *gs (malloc'ed; free it). -EOPNOTSUPP when the
 * device has none. */
static int set_strings(struct host *h, const char *ifname, int set, uint32_t *n,
		       struct ethtool_gstrings **gs)
{
	int err;

	*gs = NULL;
	if (!host_is_live(h)) /* ethtool asks the device: nothing is recorded */
		return -EOPNOTSUPP;
	err = sset_count(ifname, set, n);
	if (err)
		return err;
	if (*n == 0)
		return -EOPNOTSUPP;
	if (*n > MAX_STATS)
		return -E2BIG;
	*gs = calloc(1, sizeof(**gs) + (size_t)*n * ETH_GSTRING_LEN);
	if (!*gs)
		return -ENOMEM;
	(*gs)->cmd = ETHTOOL_GSTRINGS;
	(*gs)->string_set = (uint32_t)set;
	(*gs)->len = *n;
	err = eth_ioctl(ifname, *gs);
	if (err) {
		free(*gs);
		*gs = NULL;
	}
	return err;
}

int ethtool_driver_stats(struct host *h, const char *ifname, struct eth_stats *out)
{
	struct ethtool_gstrings *gs = NULL;
	struct ethtool_stats *st = NULL;
	uint32_t n = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = set_strings(h, ifname, ETH_SS_STATS, &n, &gs);
	if (err)
		return err;
	st = calloc(1, sizeof(*st) + (size_t)n * sizeof(uint64_t));
	out->name = calloc(n, sizeof(*out->name));
	out->val = calloc(n, sizeof(*out->val));
	if (!st || !out->name || !out->val) {
		err = -ENOMEM;
		goto fail;
	}
	st->cmd = ETHTOOL_GSTATS;
	st->n_stats = n;
	err = eth_ioctl(ifname, st);
	if (err)
		goto fail;
	ethtool_parse_stats(gs, sizeof(*gs) + (size_t)n * ETH_GSTRING_LEN, st,
			    sizeof(*st) + (size_t)n * sizeof(uint64_t), out);
	free(gs);
	free(st);
	return 0;
fail:
	free(gs);
	free(st);
	ethtool_stats_free(out);
	return err;
}

void ethtool_parse_stats(const void *strings, size_t slen, const void *values, size_t vlen,
			 struct eth_stats *out)
{
	struct ethtool_gstrings gs;
	struct ethtool_stats st;
	size_t n, room;

	out->n = 0;
	if (slen < sizeof(gs) || vlen < sizeof(st))
		return;
	memcpy(&gs, strings, sizeof(gs));
	memcpy(&st, values, sizeof(st));
	/* the kernel may report fewer than asked if the set shrank meanwhile;
	 * never more than the replies hold */
	n = gs.len < st.n_stats ? gs.len : st.n_stats;
	room = (slen - sizeof(gs)) / ETH_GSTRING_LEN;
	if (n > room)
		n = room;
	room = (vlen - sizeof(st)) / sizeof(uint64_t);
	if (n > room)
		n = room;
	for (size_t i = 0; i < n; i++) {
		const char *s = (const char *)strings + sizeof(gs) + i * ETH_GSTRING_LEN;
		size_t l = strnlen(s, ETH_GSTRING_LEN);
		if (l >= ETH_STAT_NAME_LEN)
			l = ETH_STAT_NAME_LEN - 1;
		memcpy(out->name[i], s, l);
		out->name[i][l] = '\0';
		memcpy(&out->val[i], (const uint8_t *)values + sizeof(st) + i * sizeof(uint64_t),
		       sizeof(uint64_t));
	}
	out->n = n;
}

void ethtool_stats_free(struct eth_stats *s)
{
	free(s->name);
	free(s->val);
	memset(s, 0, sizeof(*s));
}

static void field(char *dst, const char *src)
{
	size_t l = strnlen(src, ETH_DRVINFO_LEN - 1);

	memcpy(dst, src, l);
	dst[l] = '\0';
}

int ethtool_parse_drvinfo(const void *reply, size_t len, struct eth_drvinfo *out)
{
	struct ethtool_drvinfo d;

	if (len < sizeof(d))
		return -EBADMSG;
	memcpy(&d, reply, sizeof(d));
	memset(out, 0, sizeof(*out));
	field(out->driver, d.driver);
	field(out->version, d.version);
	field(out->fw_version, d.fw_version);
	field(out->bus_info, d.bus_info);
	field(out->erom_version, d.erom_version);
	/* as ethtool -i words them: a count or length above zero */
	out->statistics = d.n_stats > 0;
	out->test = d.testinfo_len > 0;
	out->eeprom_access = d.eedump_len > 0;
	out->register_dump = d.regdump_len > 0;
	out->priv_flags = d.n_priv_flags > 0;
	return 0;
}

/* The driver information is recorded in snapshots under this name: the
 * ioctl's answer, or nothing (an empty record) for a device that has none. */
static void drvinfo_name(char *buf, size_t size, const char *ifname)
{
	snprintf(buf, size, "ethtool:%s:drvinfo", ifname);
}

int ethtool_drvinfo(struct host *h, const char *ifname, struct eth_drvinfo *out)
{
	struct ethtool_drvinfo d = { .cmd = ETHTOOL_GDRVINFO };
	char name[IFNAMSIZ + 32];
	char *buf;
	size_t len;
	int err;

	drvinfo_name(name, sizeof(name), ifname);
	if (!host_is_live(h)) {
		err = host_read_file(h, name, &buf, &len);
		if (err)
			return err == -ENOENT ? -ENODATA : err;
		err = len ? ethtool_parse_drvinfo(buf, len, out) : -EOPNOTSUPP;
		free(buf);
		return err;
	}
	err = eth_ioctl(ifname, &d);
	if (!err)
		host_record_blob(h, name, &d, sizeof(d));
	else if (err == -EOPNOTSUPP)
		host_record_blob(h, name, "", 0);
	return err ? err : ethtool_parse_drvinfo(&d, sizeof(d), out);
}

int ethtool_features_ioctl(struct host *h, const char *ifname, struct eth_features *out)
{
	struct ethtool_gstrings *gs = NULL;
	struct ethtool_gfeatures *gf = NULL;
	uint32_t n = 0, words;
	int err;

	memset(out, 0, sizeof(*out));
	snprintf(out->ifname, sizeof(out->ifname), "%s", ifname);
	err = set_strings(h, ifname, ETH_SS_FEATURES, &n, &gs);
	if (err)
		return err;
	words = (n + 31) / 32;
	gf = calloc(1, sizeof(*gf) + words * sizeof(gf->features[0]));
	out->v = calloc(n, sizeof(*out->v));
	if (!gf || !out->v) {
		err = -ENOMEM;
		goto out;
	}
	gf->cmd = ETHTOOL_GFEATURES;
	gf->size = words;
	if ((err = eth_ioctl(ifname, gf)))
		goto out;
	/* the kernel may answer with fewer than asked if the set shrank */
	if (gs->len < n)
		n = gs->len;
	if (gf->size < (n + 31) / 32)
		n = gf->size * 32;
	for (uint32_t i = 0; i < n; i++) {
		const struct ethtool_get_features_block *b = &gf->features[i / 32];
		uint32_t bit = 1u << (i % 32);
		struct eth_feature *e = &out->v[i];
		const char *s = (const char *)gs->data + (size_t)i * ETH_GSTRING_LEN;
		size_t l = strnlen(s, ETH_GSTRING_LEN);
		if (l >= ETH_FEAT_NAME_LEN)
			l = ETH_FEAT_NAME_LEN - 1;
		memcpy(e->name, s, l);
		e->name[l] = '\0';
		e->hw = b->available & bit;
		e->wanted = b->requested & bit;
		e->active = b->active & bit;
		e->nochange = b->never_changed & bit;
	}
	out->n = n;
out:
	free(gs);
	free(gf);
	if (err)
		eth_features_clear(out);
	return err;
}
