/* Output layer: see output.h for the model. */
#include "base/output.h"
#include "base/json.h"
#include "base/text.h"
#include "base/strbuf.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static enum out_format format = OUT_TEXT;

void out_set_format(enum out_format f) { format = f; }
bool out_is_json(void) { return format == OUT_JSON; }

int out_term_width(void)
{
	struct winsize ws;

	if (!isatty(STDOUT_FILENO))
		return 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	return c && atoi(c) > 0 ? atoi(c) : 80;
}

static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324"
				  "25262728293031323334353637383940414243444546474849"
				  "50515253545556575859606162636465666768697071727374"
				  "75767778798081828384858687888990919293949596979899";

size_t out_fmt_u64(char *buf, uint64_t v)
{
	char tmp[20], *end = tmp + sizeof(tmp), *p = end;

	/* backwards, two digits per (constant) division */
	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;
		v /= 100;
		*--p = digit_pairs[d + 1];
		*--p = digit_pairs[d];
	}
	if (v >= 10) {
		*--p = digit_pairs[v * 2 + 1];
		*--p = digit_pairs[v * 2];
	} else {
		*--p = (char)('0' + v);
	}
	size_t n = (size_t)(end - p);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return n;
}

size_t out_fmt_i64(char *buf, int64_t v)
{
	if (v < 0) {
		buf[0] = '-';
		return 1 + out_fmt_u64(buf + 1, (uint64_t)0 - (uint64_t)v);
	}
	return out_fmt_u64(buf, (uint64_t)v);
}

size_t out_fmt_fixed(char *buf, double v, int decimals)
{
	static const uint64_t pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
	size_t n = 0;

	if (!isfinite(v) || decimals < 0 || decimals > 6 || fabs(v) >= 1e12) {
		int k = isfinite(v) ? snprintf(buf, 32, "%.*f", decimals, v) : snprintf(buf, 32, "null");
		return k > 0 ? (size_t)k : 0;
	}
	if (v < 0) {
		buf[n++] = '-';
		v = -v;
	}
	uint64_t scale = pow10[decimals];
	uint64_t x = (uint64_t)(v * (double)scale + 0.5);
	uint64_t ip = x / scale, fp = x % scale;
	n += out_fmt_u64(buf + n, ip);
	if (fp) {
		buf[n++] = '.';
		for (int d = decimals - 1; d >= 0; d--, fp /= 10)
			buf[n + (size_t)d] = (char)('0' + fp % 10);
		n += (size_t)decimals;
		while (buf[n - 1] == '0')
			n--;
	}
	if (n == 2 && buf[0] == '-' && buf[1] == '0')
		n = 1, buf[0] = '0';
	buf[n] = '\0';
	return n;
}

size_t out_fmt_f(char *buf, size_t cap, double v, int decimals)
{
	static const uint64_t pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000,
					  10000000, 100000000, 1000000000 };
	char tmp[48];
	size_t n = 0;
	int e;

	/* the scaled value must fit 63 bits; anything else is printf's */
	if (!isfinite(v) || decimals < 0 || decimals > 9 || cap < 2 ||
	    fabs(v) >= 9.2e18 / (double)pow10[decimals]) {
		int k = snprintf(buf, cap, "%.*f", decimals, v);
		return k < 0 ? 0 : (size_t)k < cap ? (size_t)k : cap - 1;
	}
	/* |v| = mant * 2^exp exactly; v * 10^decimals rounded half to even,
	 * as printf rounds the exact binary value */
	double m = frexp(fabs(v), &e);
	uint64_t mant = (uint64_t)ldexp(m, 53), q;
	int shift = 53 - e;
	if (shift <= 0) {
		q = (mant << -shift) * pow10[decimals];
	} else if (shift >= 100) {
		q = 0; /* below half a unit of the last digit */
	} else {
		unsigned __int128 x = (unsigned __int128)mant * pow10[decimals];
		unsigned __int128 rest = x & (((unsigned __int128)1 << shift) - 1);
		unsigned __int128 half = (unsigned __int128)1 << (shift - 1);
		q = (uint64_t)(x >> shift);
		if (rest > half || (rest == half && (q & 1)))
			q++;
	}
	if (signbit(v))
		tmp[n++] = '-';
	n += out_fmt_u64(tmp + n, q / pow10[decimals]);
	if (decimals) {
		uint64_t fp = q % pow10[decimals];
		tmp[n++] = '.';
		for (int d = decimals - 1; d >= 0; d--, fp /= 10)
			tmp[n + (size_t)d] = (char)('0' + fp % 10);
		n += (size_t)decimals;
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return n;
}

/* ---- free text ---- */

/* s[0..n) escaped, then a newline, to stdout in one call. */
static void text_out(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT, piece = STRBUF_INIT;

	sb_add(&piece, s, n); /* text_escape() reads up to a NUL */
	if (piece.buf)
		text_escape(&sb, piece.buf);
	sb_putc(&sb, '\n');
	fwrite_unlocked(sb.buf, 1, sb.len, stdout);
	sb_free(&sb);
	sb_free(&piece);
}

void out_line(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	if (out_is_json())
		return;
	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	text_out(sb.buf ? sb.buf : "", sb.len);
	sb_free(&sb);
}

void out_blank(void)
{
	if (!out_is_json())
		putc_unlocked('\n', stdout);
}

void out_text(const char *text)
{
	if (out_is_json())
		return;
	for (const char *p = text, *nl;; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl) {
			if (*p)
				text_out(p, strlen(p));
			return;
		}
		text_out(p, (size_t)(nl - p));
	}
}

void out_term_clear(void)
{
	if (!out_is_json() && isatty(STDOUT_FILENO))
		fputs("\033[H\033[2J", stdout);
}

/* ---- standalone records ---- */

static struct strbuf rec_buf;
static struct json rec_w;
static bool rec_open;

struct json *out_record_begin(void)
{
	if (rec_open)
		abort(); /* one record at a time: end the last one first */
	rec_open = true;
	sb_reset(&rec_buf);
	json_init(&rec_w, &rec_buf);
	json_obj_begin(&rec_w);
	return &rec_w;
}

void out_record_end(struct json *w)
{
	if (w != &rec_w || !rec_open)
		abort();
	json_obj_end(w);
	if (w->depth != 0)
		abort(); /* a container opened in the record was left open */
	sb_putc(&rec_buf, '\n');
	fwrite_unlocked(rec_buf.buf, 1, rec_buf.len, stdout); /* the line in one call */
	rec_open = false;
}

/* {"KEY":"msg"} and a newline to f, in one call. */
static void message_record(FILE *f, const char *key, const char *msg)
{
	struct strbuf sb = STRBUF_INIT;
	struct json w;

	json_init(&w, &sb);
	json_obj_begin(&w);
	json_field_str(&w, key, msg);
	json_obj_end(&w);
	sb_putc(&sb, '\n');
	fwrite_unlocked(sb.buf, 1, sb.len, f);
	sb_free(&sb);
}

/* ---- stdout: each write's outcome kept, with its errno ---- */

/* The errno of stdout's first failed write (0: none yet). After it, every
 * write fails at once: a tracer stopped by a signal while blocked on a full
 * pipe must not block again on its closing records. */
static int stdout_errno;

static ssize_t stdout_write(void *cookie, const char *buf, size_t n)
{
	size_t done = 0;

	(void)cookie;
	while (!stdout_errno && done < n) {
		ssize_t w = write(STDOUT_FILENO, buf + done, n - done);
		if (w < 0)
			stdout_errno = errno; /* EINTR: a stop signal came (tracers) */
		else
			done += (size_t)w;
	}
	if (stdout_errno) {
		errno = stdout_errno;
		return -1;
	}
	return (ssize_t)n;
}

void out_stdout_init(void)
{
	static const cookie_io_functions_t io = { .write = stdout_write };
	FILE *f = fopencookie(NULL, "w", io);

	signal(SIGPIPE, SIG_IGN); /* a reader gone is EPIPE, seen where it matters */
	if (!f)
		return; /* stdio's own stdout: errors still seen, their errno may be stale */
	if (isatty(STDOUT_FILENO))
		setvbuf(f, NULL, _IOLBF, BUFSIZ);
	stdout = f;
}

static bool stdout_failed(void) { return stdout_errno || ferror(stdout); }

bool out_flush(void)
{
	fflush(stdout);
	return !stdout_failed();
}

bool out_stdout_gone(void)
{
	struct pollfd p = { .fd = STDOUT_FILENO };

	if (stdout_failed())
		return true;
	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP))) {
		stdout_errno = EPIPE; /* the reader went away: nothing will be read */
		return true;
	}
	return false;
}

/* Why stdout failed: its errno, or 0 when it did not (or the failure is a
 * way of ending, not an error: EPIPE, EINTR). */
static int stdout_error(void)
{
	int err = stdout_errno;

	if (!err && ferror(stdout))
		err = errno ? errno : EIO; /* stdio's own stream: the last errno */
	return err == EPIPE || err == EINTR ? 0 : err;
}

/* "netlens: LABEL: msg" on stderr, with msg's control bytes and invalid
 * UTF-8 escaped: a message quotes user input, which must not split the
 * line or reach the terminal as escape sequences. */
static void message_line(const char *label, const char *msg)
{
	struct strbuf sb = STRBUF_INIT;

	sb_printf(&sb, "netlens: %s: ", label);
	text_escape(&sb, msg);
	sb_putc(&sb, '\n');
	fwrite_unlocked(sb.buf, 1, sb.len, stderr);
	sb_free(&sb);
}

int out_error(const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (format == OUT_JSON) {
		/* stdout unusable: the error record goes where it can be read */
		FILE *f = stdout_failed() ? stderr : stdout;
		message_record(f, "error", msg);
		fflush(f);
	} else {
		fflush(stdout);
		message_line("error", msg);
	}
	return EXIT_FAIL;
}

void out_warn(const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fflush(stdout);
	if (format == OUT_JSON)
		message_record(stderr, "warning", msg);
	else
		message_line("warning", msg);
}

bool out_write_error(void)
{
	fflush(stdout);
	return stdout_error() != 0;
}

int out_finish(int status)
{
	int err;

	fflush(stdout);
	err = stdout_error();
	if (!err)
		return status;
	out_error("writing output: %s (free space or fix where stdout goes)", strerror(err));
	return status ? status : EXIT_FAIL;
}
