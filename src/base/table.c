/* Tables: one print API, two back ends (see output.h). Text mode buffers
 * rows to align columns (in batches, so memory stays flat), JSON mode
 * streams one object per row through the JSON writer. */
#include "base/output.h"
#include "base/json.h"
#include "base/text.h"
#include "base/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Text rows are buffered to align columns, but never more than this: like
 * ss, a big table is printed in batches whose column widths only grow, so
 * memory stays flat however many rows there are. */
enum { MAX_DEPTH = 16, MAX_COLS = 32, FLUSH_BYTES = 1 << 20 };

struct level {
	bool array;
	bool first;  /* no member written yet (text separator; JSON's is the writer's) */
	bool hidden_text;
	bool hidden_json;
	bool inline_text; /* empty label: members join the enclosing level in text */
};

struct table {
	const struct out_col *cols;
	int ncols;
	bool header;
	bool stream;
	bool header_done;
	/* text mode */
	size_t width[MAX_COLS];
	struct strbuf rows;    /* per row: cells NUL-terminated, then detail NUL */
	size_t *row_off;
	size_t nrows, cap_rows;
	struct strbuf cell;    /* current row's cells */
	size_t cell_off[MAX_COLS];
	bool cell_set[MAX_COLS];
	struct strbuf detail;  /* current row's detail line */
	int tty;               /* streams: stdout is a terminal (1), not (0), unknown (-1) */
	/* JSON: `"key":` of each column, escaped once (keys.buf + key_off) */
	struct strbuf keys;
	size_t key_off[MAX_COLS], key_len[MAX_COLS];
	/* both: the row (or header) being printed, handed to stdio whole */
	struct strbuf line;
	struct json jw; /* JSON: writes the row into line */
	struct level lv[MAX_DEPTH];
	int depth;
	bool oneline;          /* details on the row's line (out_table_oneline) */
};

static bool stdout_buffered;

struct table *out_table_begin(const struct out_col *cols, int ncols)
{
	struct table *t = calloc(1, sizeof(*t));

	if (!t || ncols > MAX_COLS)
		abort();
	if (!stdout_buffered) {
		/* an event stream's batch (one ring-buffer drain, flushed by its
		 * owner) and a text table's flush fit: one write() each */
		static char buf[1 << 20];
		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
		stdout_buffered = true;
	}
	t->cols = cols;
	t->ncols = ncols;
	t->header = true;
	for (int i = 0; i < ncols; i++) {
		t->width[i] = cols[i].title ? strlen(cols[i].title) : 0;
		if (cols[i].width > 0 && (size_t)cols[i].width > t->width[i])
			t->width[i] = (size_t)cols[i].width;
	}
	sb_init(&t->rows);
	sb_init(&t->cell);
	sb_init(&t->detail);
	sb_init(&t->keys);
	sb_init(&t->line);
	t->tty = -1;
	for (int i = 0; i < ncols; i++) {
		if (!cols[i].key)
			continue;
		t->key_off[i] = t->keys.len;
		json_key_quote(&t->keys, cols[i].key);
		t->key_len[i] = t->keys.len - t->key_off[i];
	}
	return t;
}

void out_table_no_header(struct table *t) { t->header = false; }
void out_table_oneline(struct table *t) { t->oneline = true; }
void out_table_stream(struct table *t) { t->stream = true; }

static void print_header(struct table *t, const size_t *width, int last);
static void flush_rows(struct table *t);
static void print_row(struct table *t, const size_t *width, const char *p, int last, int term);
static int last_text_col(const struct table *t);

/* Appending to the row being built: the capacity check inline, growth rare. */
static inline void lb_add(struct strbuf *b, const char *s, size_t n)
{
	if (b->len + n >= b->cap)
		sb_grow(b, n);
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

static inline void lb_putc(struct strbuf *b, char c)
{
	if (b->len + 1 >= b->cap)
		sb_grow(b, 1);
	b->buf[b->len++] = c;
	b->buf[b->len] = '\0';
}

/* The line is done: one stdio call for all of it (the stream's owner or
 * out_finish() flushes). */
static void line_out(struct table *t)
{
	if (t->line.len)
		fwrite_unlocked(t->line.buf, 1, t->line.len, stdout);
	sb_reset(&t->line);
}

void out_row_begin(struct table *t)
{
	t->depth = 0;
	t->lv[0] = (struct level){ .first = true };
	if (out_is_json()) {
		sb_reset(&t->line);
		json_init(&t->jw, &t->line);
		json_obj_begin(&t->jw);
		return;
	}
	sb_reset(&t->cell);
	sb_reset(&t->detail);
	memset(t->cell_set, 0, sizeof(t->cell_set));
}

/* JSON: the key of the next member, unless the current level is an array
 * (the writer puts the comma). */
static void json_member(struct table *t, const char *key)
{
	if (!t->lv[t->depth].array)
		json_key(&t->jw, key);
}

/* The same for column col, whose key is escaped already. */
static void json_col_member(struct table *t, int col)
{
	if (!t->lv[t->depth].array)
		json_key_quoted(&t->jw, t->keys.buf + t->key_off[col], t->key_len[col]);
}

static bool json_hidden(struct table *t, const char *key)
{
	return key == NULL || t->lv[t->depth].hidden_json;
}

static bool text_hidden(struct table *t, const char *label)
{
	return label == NULL || t->lv[t->depth].hidden_text;
}

static void text_sep(struct table *t)
{
	int d = t->depth;

	while (d > 0 && t->lv[d].inline_text)
		d--;
	if (!t->lv[d].first)
		sb_putc(&t->detail, d ? ',' : ' ');
	t->lv[d].first = false;
}

/* s[0..n) appended to sb as text.h says: a process, file or interface
 * name comes from anyone, and must not reach the terminal raw. */
static void add_printable(struct strbuf *sb, const char *s, size_t n)
{
	size_t off = sb->len;

	if (!n)
		return;
	sb_add(sb, s, n);
	if (text_is_clean(sb->buf + off))
		return;
	struct strbuf e = STRBUF_INIT;
	text_escape(&e, sb->buf + off);
	sb->len = off;
	sb_add(sb, e.buf, e.len);
	sb_free(&e);
}

static void cell_raw(struct table *t, int col, const char *s, size_t n)
{
	if (col < 0 || col >= t->ncols || t->cell_set[col])
		return;
	t->cell_set[col] = true;
	t->cell_off[col] = t->cell.len;
	add_printable(&t->cell, s, n);
	sb_putc(&t->cell, '\0');
}

void out_cell_str(struct table *t, int col, const char *s)
{
	if (!s)
		s = "";
	if (out_is_json()) {
		if (t->cols[col].key) {
			json_col_member(t, col);
			json_str(&t->jw, s);
		}
		return;
	}
	if (t->cols[col].title)
		cell_raw(t, col, s, strlen(s));
}

static void cell_num(struct table *t, int col, const char *digits, size_t n)
{
	if (out_is_json()) {
		if (t->cols[col].key) {
			json_col_member(t, col);
			json_number(&t->jw, digits, n);
		}
		return;
	}
	if (t->cols[col].title)
		cell_raw(t, col, digits, n);
}

void out_cell_u64(struct table *t, int col, uint64_t v)
{
	char b[24];
	cell_num(t, col, b, out_fmt_u64(b, v));
}

void out_cell_i64(struct table *t, int col, int64_t v)
{
	char b[24];
	cell_num(t, col, b, out_fmt_i64(b, v));
}

void out_cell_fixed(struct table *t, int col, double v, int decimals)
{
	char b[512];

	if (out_is_json() || !t->cols[col].title)
		return;
	cell_raw(t, col, b, out_fmt_f(b, sizeof(b), v, decimals));
}

void out_cell_fmt(struct table *t, int col, const char *fmt, ...)
{
	char b[512];
	va_list ap;
	int n;

	if (out_is_json() || !t->cols[col].title)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(b))
		n = sizeof(b) - 1;
	cell_raw(t, col, b, (size_t)n);
}

/* One field whose JSON form is a string, or a number (or true, false,
 * null) the caller formatted. */
static void field(struct table *t, const char *key, const char *label, const char *val,
		  size_t n, bool json_string)
{
	if (out_is_json()) {
		if (json_hidden(t, key))
			return;
		json_member(t, key);
		if (json_string)
			json_str(&t->jw, val);
		else
			json_number(&t->jw, val, n);
		return;
	}
	if (text_hidden(t, label))
		return;
	text_sep(t);
	sb_puts(&t->detail, label);
	add_printable(&t->detail, val, n);
}

void out_field_str(struct table *t, const char *key, const char *label, const char *s)
{
	if (!s)
		s = "";
	field(t, key, label, s, strlen(s), true);
}

void out_field_u64(struct table *t, const char *key, const char *label, uint64_t v)
{
	char b[24];
	field(t, key, label, b, out_fmt_u64(b, v), false);
}

void out_field_i64(struct table *t, const char *key, const char *label, int64_t v)
{
	char b[24];
	field(t, key, label, b, out_fmt_i64(b, v), false);
}

void out_field_double(struct table *t, const char *key, const char *label, double v,
		      int decimals)
{
	char b[64];
	field(t, key, label, b, out_fmt_fixed(b, v, decimals), false);
}

void out_field_bool(struct table *t, const char *key, const char *label, bool v)
{
	field(t, key, label, v ? "true" : "false", v ? 4 : 5, false);
}

void out_field_flag(struct table *t, const char *key, const char *label, bool v)
{
	if (out_is_json()) {
		field(t, key, label, v ? "true" : "false", v ? 4 : 5, false);
		return;
	}
	if (v && !text_hidden(t, label)) {
		text_sep(t);
		sb_puts(&t->detail, label);
	}
}

void out_field_text(struct table *t, const char *fmt, ...)
{
	va_list ap;

	if (out_is_json() || t->lv[t->depth].hidden_text)
		return;
	text_sep(t);
	va_start(ap, fmt);
	sb_vprintf(&t->detail, fmt, ap);
	va_end(ap);
}

static void container_begin(struct table *t, const char *key, const char *label, bool array)
{
	struct level nl = { .array = array, .first = true };

	if (t->depth + 1 >= MAX_DEPTH)
		abort();
	nl.hidden_json = json_hidden(t, key);
	nl.hidden_text = text_hidden(t, label);
	if (out_is_json()) {
		if (!nl.hidden_json) {
			json_member(t, key);
			if (array)
				json_arr_begin(&t->jw);
			else
				json_obj_begin(&t->jw);
		}
	} else if (!nl.hidden_text) {
		if (label[0] == '\0') {
			nl.inline_text = true;
		} else {
			text_sep(t);
			sb_puts(&t->detail, label);
			sb_putc(&t->detail, '(');
		}
	}
	t->lv[++t->depth] = nl;
}

static void container_end(struct table *t, bool array)
{
	struct level *l = &t->lv[t->depth];

	if (t->depth == 0)
		abort();
	if (out_is_json()) {
		if (!l->hidden_json) {
			if (array)
				json_arr_end(&t->jw);
			else
				json_obj_end(&t->jw);
		}
	} else if (!l->hidden_text && !l->inline_text) {
		sb_putc(&t->detail, ')');
	}
	t->depth--;
}

void out_obj_begin(struct table *t, const char *key, const char *label)
{
	container_begin(t, key, label, false);
}
void out_obj_end(struct table *t) { container_end(t, false); }
void out_arr_begin(struct table *t, const char *key, const char *label)
{
	container_begin(t, key, label, true);
}
void out_arr_end(struct table *t) { container_end(t, true); }

void out_row_end(struct table *t)
{
	while (t->depth > 0)
		container_end(t, t->lv[t->depth].array);
	if (out_is_json()) {
		json_obj_end(&t->jw);
		lb_putc(&t->line, '\n'); /* JSON lines: one object per line */
		line_out(t);
		return;
	}
	if (t->stream) {
		int last = last_text_col(t);
		size_t start = t->rows.len;
		if (!t->header_done && t->header)
			print_header(t, t->width, last);
		t->header_done = true;
		for (int i = 0; i < t->ncols; i++) {
			if (!t->cols[i].title)
				continue;
			const char *c = t->cell_set[i] ? t->cell.buf + t->cell_off[i] : "";
			sb_add(&t->rows, c, strlen(c) + 1);
		}
		sb_add(&t->rows, t->detail.buf ? t->detail.buf : "", t->detail.len);
		sb_putc(&t->rows, '\0');
		if (t->tty < 0)
			t->tty = isatty(STDOUT_FILENO);
		/* a terminal's width is asked per row (it may change), a file has none */
		print_row(t, t->width, t->rows.buf + start, last, t->tty ? out_term_width() : 0);
		sb_reset(&t->rows);
		return; /* the stream's owner flushes per batch (one write, not one per row) */
	}
	if (t->nrows == t->cap_rows) {
		t->cap_rows = t->cap_rows ? t->cap_rows * 2 : 1024;
		t->row_off = realloc(t->row_off, t->cap_rows * sizeof(*t->row_off));
		if (!t->row_off)
			abort();
	}
	t->row_off[t->nrows++] = t->rows.len;
	for (int i = 0; i < t->ncols; i++) {
		if (!t->cols[i].title)
			continue;
		const char *s = t->cell_set[i] ? t->cell.buf + t->cell_off[i] : "";
		size_t n = strlen(s);
		if (!(t->cols[i].flags & OUT_LAST) && n > t->width[i])
			t->width[i] = n;
		sb_add(&t->rows, s, n + 1);
	}
	sb_add(&t->rows, t->detail.buf ? t->detail.buf : "", t->detail.len);
	sb_putc(&t->rows, '\0');
	if (t->rows.len >= FLUSH_BYTES)
		flush_rows(t);
}

/* Fit the table into `avail` columns by shrinking OUT_SHRINK columns. */
static void fit_widths(const struct table *t, size_t *width, size_t avail)
{
	size_t total = 0;
	int last = -1;

	for (int i = 0; i < t->ncols; i++) {
		if (!t->cols[i].title || (t->cols[i].flags & OUT_LAST))
			continue;
		total += width[i] + 1;
		last = i;
	}
	(void)last;
	for (int i = 0; i < t->ncols && total > avail; i++) {
		if (!t->cols[i].title || !(t->cols[i].flags & OUT_SHRINK))
			continue;
		size_t min = strlen(t->cols[i].title);
		if (min < 6)
			min = 6;
		if (width[i] <= min)
			continue;
		size_t cut = width[i] - min;
		if (cut > total - avail)
			cut = total - avail;
		width[i] -= cut;
		total -= cut;
	}
}

static void put_cell(struct strbuf *b, const char *s, size_t w, unsigned flags, bool last_col)
{
	size_t n = strlen(s);

	if (n > w && !(flags & OUT_LAST)) {
		/* only reachable for OUT_SHRINK columns on a narrow terminal */
		lb_add(b, s, w ? w - 1 : 0);
		lb_putc(b, '~');
		return;
	}
	size_t pad = n < w ? w - n : 0;
	if (!(flags & OUT_RIGHT) && last_col)
		pad = 0;
	sb_grow(b, n + pad);
	char *p = b->buf + b->len;
	if (flags & OUT_RIGHT) {
		memset(p, ' ', pad);
		memcpy(p + pad, s, n);
	} else {
		memcpy(p, s, n);
		memset(p + n, ' ', pad);
	}
	b->len += n + pad;
	b->buf[b->len] = '\0';
}

static int last_text_col(const struct table *t)
{
	int last = -1;
	for (int i = 0; i < t->ncols; i++)
		if (t->cols[i].title)
			last = i;
	return last;
}

static void print_detail(struct strbuf *b, const char *d, int term)
{
	size_t n = strlen(d);

	if (!n)
		return;
	if (term <= 8 || n + 8 <= (size_t)term) {
		lb_putc(b, '\t');
		lb_add(b, d, n);
		lb_putc(b, '\n');
		return;
	}
	/* wrap at spaces to the terminal width */
	size_t width = (size_t)term - 8, col = 0;
	lb_putc(b, '\t');
	while (*d) {
		const char *sp = strchr(d, ' ');
		size_t w = sp ? (size_t)(sp - d) : strlen(d);
		if (col && col + 1 + w > width) {
			lb_add(b, "\n\t", 2);
			col = 0;
		} else if (col) {
			lb_putc(b, ' ');
			col++;
		}
		lb_add(b, d, w);
		col += w;
		d += w;
		while (*d == ' ')
			d++;
	}
	lb_putc(b, '\n');
}

static void print_header(struct table *t, const size_t *width, int last)
{
	for (int i = 0; i < t->ncols; i++) {
		if (!t->cols[i].title)
			continue;
		put_cell(&t->line, t->cols[i].title, width[i], t->cols[i].flags, i == last);
		lb_putc(&t->line, i == last ? '\n' : ' ');
	}
	line_out(t);
}

/* p: a row as stored (cells NUL-terminated, then the detail line). */
static void print_row(struct table *t, const size_t *width, const char *p, int last, int term)
{
	for (int i = 0; i < t->ncols; i++) {
		if (!t->cols[i].title)
			continue;
		put_cell(&t->line, p, width[i], t->cols[i].flags | (t->stream ? OUT_LAST : 0),
			 i == last);
		p += strlen(p) + 1;
		if (i == last && t->oneline && *p) {
			lb_putc(&t->line, ' ');
			lb_add(&t->line, p, strlen(p));
		}
		lb_putc(&t->line, i == last ? '\n' : ' ');
	}
	if (!t->oneline)
		print_detail(&t->line, p, term);
	line_out(t);
}

/* Prints the buffered rows with the widths seen so far, fitted to the
 * terminal, and empties the buffer. */
static void flush_rows(struct table *t)
{
	size_t width[MAX_COLS];
	int term = out_term_width();
	int last = last_text_col(t);

	memcpy(width, t->width, sizeof(width));
	if (term > 0)
		fit_widths(t, width, (size_t)term);
	if (t->header && !t->header_done)
		print_header(t, width, last);
	t->header_done = true;
	for (size_t r = 0; r < t->nrows; r++)
		print_row(t, width, t->rows.buf + t->row_off[r], last, term);
	t->nrows = 0;
	sb_reset(&t->rows);
}

void out_table_end(struct table *t)
{
	if (!t)
		return;
	if (!out_is_json() && !t->stream && (t->nrows || !t->header_done))
		flush_rows(t);
	sb_free(&t->rows);
	sb_free(&t->cell);
	sb_free(&t->detail);
	sb_free(&t->keys);
	sb_free(&t->line);
	free(t->row_off);
	free(t);
}
