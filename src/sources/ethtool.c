/* SIOCETHTOOL requests. LIVE ONLY: see ethtool.h. */
#include "sources/ethtool.h"
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
		if (err)
			return err;
		uint32_t sp = ethtool_cmd_speed(&cmd);
		out->speed_mbps = sp == (uint32_t)SPEED_UNKNOWN || sp == 0 ? -1 : (int64_t)sp;
		out->duplex = cmd.duplex == DUPLEX_FULL ? 1 : cmd.duplex == DUPLEX_HALF ? 0 : -1;
		return 0;
	}
	if (err)
		return err;
	out->speed_mbps = s->speed == (uint32_t)SPEED_UNKNOWN || s->speed == 0 ? -1 : (int64_t)s->speed;
	out->duplex = s->duplex == DUPLEX_FULL ? 1 : s->duplex == DUPLEX_HALF ? 0 : -1;
	return 0;
}

int ethtool_ring(struct host *h, const char *ifname, struct eth_ring *out)
{
	struct ethtool_ringparam r = { .cmd = ETHTOOL_GRINGPARAM };
	int err;

	if (!host_is_live(h)) /* ethtool asks the device: nothing is recorded */
		return -EOPNOTSUPP;

	err = eth_ioctl(ifname, &r);
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

static int stats_count(const char *ifname, uint32_t *n)
{
	/* the header and room for one set's length */
	uint64_t raw[(sizeof(struct ethtool_sset_info) + sizeof(uint32_t) + 7) / 8];
	struct ethtool_sset_info *info = (struct ethtool_sset_info *)raw;
	int err;

	memset(raw, 0, sizeof(raw));
	info->cmd = ETHTOOL_GSSET_INFO;
	info->sset_mask = 1ULL << ETH_SS_STATS;
	err = eth_ioctl(ifname, raw);
	if (err)
		return err;
	*n = (info->sset_mask & (1ULL << ETH_SS_STATS)) ? info->data[0] : 0;
	return 0;
}

int ethtool_driver_stats(struct host *h, const char *ifname, struct eth_stats *out)
{
	struct ethtool_gstrings *gs = NULL;
	struct ethtool_stats *st = NULL;
	uint32_t n = 0;
	int err;

	if (!host_is_live(h)) /* ethtool asks the device: nothing is recorded */
		return -EOPNOTSUPP;

	memset(out, 0, sizeof(*out));
	err = stats_count(ifname, &n);
	if (err)
		return err;
	if (n == 0)
		return -EOPNOTSUPP;
	if (n > MAX_STATS)
		return -E2BIG;
	gs = calloc(1, sizeof(*gs) + (size_t)n * ETH_GSTRING_LEN);
	st = calloc(1, sizeof(*st) + (size_t)n * sizeof(uint64_t));
	out->name = calloc(n, sizeof(*out->name));
	out->val = calloc(n, sizeof(*out->val));
	if (!gs || !st || !out->name || !out->val) {
		err = -ENOMEM;
		goto fail;
	}
	gs->cmd = ETHTOOL_GSTRINGS;
	gs->string_set = ETH_SS_STATS;
	gs->len = n;
	err = eth_ioctl(ifname, gs);
	if (err)
		goto fail;
	st->cmd = ETHTOOL_GSTATS;
	st->n_stats = n;
	err = eth_ioctl(ifname, st);
	if (err)
		goto fail;
	/* the kernel may report fewer than asked if the set shrank meanwhile */
	out->n = gs->len < st->n_stats ? gs->len : st->n_stats;
	if (out->n > n)
		out->n = n;
	for (size_t i = 0; i < out->n; i++) {
		const char *s = (const char *)gs->data + i * ETH_GSTRING_LEN;
		size_t l = strnlen(s, ETH_GSTRING_LEN);
		if (l >= ETH_STAT_NAME_LEN)
			l = ETH_STAT_NAME_LEN - 1;
		memcpy(out->name[i], s, l);
		out->name[i][l] = '\0';
		out->val[i] = st->data[i];
	}
	free(gs);
	free(st);
	return 0;
fail:
	free(gs);
	free(st);
	ethtool_stats_free(out);
	return err;
}

void ethtool_stats_free(struct eth_stats *s)
{
	free(s->name);
	free(s->val);
	memset(s, 0, sizeof(*s));
}
