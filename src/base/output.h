/* The output layer: every command prints through these calls, so text and
 * JSON can never drift apart.
 *
 * Model: a command declares a table (columns, each with a title for text and
 * a key for JSON) and fills rows. A row has
 *   - cells, one per column (out_cell_*), shown aligned in text mode and as
 *     `"key": value` in JSON (a column whose key is NULL is text-only);
 *   - fields (out_field_*), shown in text mode as `label value` tokens on an
 *     indented detail line under the row (as `ss -i` does) and as typed JSON
 *     members; objects and arrays nest. A NULL label hides a field from text,
 *     a NULL key hides it from JSON.
 * Text mode buffers rows until out_table_end() to compute column widths (no
 * truncation unless stdout is a terminal narrower than the table, and then
 * only columns marked OUT_SHRINK); JSON mode streams one object per row, one
 * per line (JSON lines), so memory stays flat however many rows there are.
 *
 * Records: a JSON line that is not a table row (the tracers'
 * {"lost_events":N}, a report's summary, a header) is written through
 * out_record_begin()/out_record_end() and base/json.h's calls, never with
 * printf:
 *
 *	if (out_is_json()) {
 *		struct json *w = out_record_begin();     // {
 *		json_field_u64(w, "lost_events", lost);  // "lost_events":3
 *		if (skipped)
 *			json_field_u64(w, "skipped_runs", skipped);
 *		out_record_end(w);                       // }\n, to stdout
 *	}
 *
 * Invariants: the writer and its buffer belong to the output layer and are
 * valid only between the two calls; one record is open at a time (beginning
 * a second, or ending with a container still open, aborts: that is a bug).
 * The record is an object already open: add members with json_field_*() or
 * json_key() + a value; nested objects and arrays are fine. The line goes
 * to stdout in one stdio call at out_record_end(), in order with table rows,
 * and is flushed with them (out_finish(), or the stream's owner). Records
 * are JSON whatever the format: text mode prints its own shape instead.
 * All JSON punctuation and escaping, in rows and records, is base/json.c's.
 *
 * Errors: out_error() writes `netlens: error: ...` to stderr, or
 * `{"error": "..."}` to stdout in JSON mode (to stderr once stdout has
 * failed), and returns the exit status to use. Library code never prints: it returns -errno and the command reports.
 */
#ifndef NETLENS_OUTPUT_H
#define NETLENS_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json;

enum out_format { OUT_TEXT, OUT_JSON };

void out_set_format(enum out_format f);
bool out_is_json(void);
/* Columns of the terminal stdout is on, or 0 when it is not a terminal. */
int out_term_width(void);

/* Exit statuses shared by every command. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

int out_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Free text (text mode only; nothing under -j), for what is not a table:
 * out_line() writes one line, fmt's output with every control byte
 * (newlines and tabs included) and invalid UTF-8 escaped (text.h), then a
 * newline: an argument from outside (an interface or process name, a file)
 * can neither break the line nor send escape sequences to the terminal.
 * out_text() writes a text of several lines the same way, line by line.
 * out_term_clear() clears a terminal (nothing when stdout is not one). */
void out_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out_blank(void); /* an empty line */
void out_text(const char *text);
void out_term_clear(void);
/* stdout for every command (main, first): its writes keep their errno, and
 * SIGPIPE is ignored, so a reader that went away is EPIPE where the
 * writer checks instead of a kill. */
void out_stdout_init(void);
/* Flushes stdout; false once a write to it has failed (a stream stops). */
bool out_flush(void);
/* True when stdout has failed, or nothing will read it any more (its pipe's
 * reader is gone, a hang-up): a stream with no event to write stops at its
 * next wake-up, not only at its next write. */
bool out_stdout_gone(void);
/* Flushes stdout; true when a write to it failed for a reason out_finish()
 * will report (not a reader gone): a command whose exit status means
 * something else (doctor's severity) turns it into its own error status. */
bool out_write_error(void);
/* Flushes stdout and reports a write error once, with the errno of the
 * write that failed; a reader gone (EPIPE) or a write cut by a stop signal
 * (EINTR) ends the output quietly. Returns status, or EXIT_FAIL after an
 * error. */
int out_finish(int status);

enum out_col_flags {
	OUT_RIGHT  = 1 << 0, /* right-align (numbers) */
	OUT_SHRINK = 1 << 1, /* may be truncated to fit a terminal */
	OUT_LAST   = 1 << 2, /* not padded: free text at the end of the row */
};

struct out_col {
	const char *title; /* header in text mode; NULL: JSON-only column */
	const char *key;   /* member name in JSON; NULL: text-only column */
	unsigned flags;
	int width;         /* minimum text width; the fixed width when streaming */
};

struct table;

struct table *out_table_begin(const struct out_col *cols, int ncols);
/* Text mode: prints the buffered rows; JSON: nothing left to print. Frees. */
void out_table_end(struct table *t);
/* Omit the header line in text mode (ss -H). */
void out_table_no_header(struct table *t);
/* Text mode: a row's detail fields follow its cells on the same line,
 * after a space, instead of on an indented line below (ss -O). */
void out_table_oneline(struct table *t);
/* Text mode prints each row at out_row_end() with the columns' declared
 * widths instead of buffering (event streams); call before the first row.
 * Rows go to stdio's buffer: the caller flushes after each batch. */
void out_table_stream(struct table *t);

void out_row_begin(struct table *t);
void out_row_end(struct table *t);

void out_cell_str(struct table *t, int col, const char *s);
void out_cell_u64(struct table *t, int col, uint64_t v);
void out_cell_i64(struct table *t, int col, int64_t v);
/* Text-only cell built from pieces: out_cell_fmt(t, col, "%s:%u", a, p). */
void out_cell_fmt(struct table *t, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Text-only cell: v as printf("%.*f", decimals, v) prints it, without printf. */
void out_cell_fixed(struct table *t, int col, double v, int decimals);

/* Detail fields: text `label` + value, JSON "key": value. */
void out_field_str(struct table *t, const char *key, const char *label, const char *s);
void out_field_u64(struct table *t, const char *key, const char *label, uint64_t v);
void out_field_i64(struct table *t, const char *key, const char *label, int64_t v);
void out_field_double(struct table *t, const char *key, const char *label, double v,
		      int decimals);
void out_field_bool(struct table *t, const char *key, const char *label, bool v);
/* Text gets only the label (a flag word such as "app_limited") when v. */
void out_field_flag(struct table *t, const char *key, const char *label, bool v);
/* Text-only token. */
void out_field_text(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Nested containers. Text renders `label(a,b,c)`; an empty label "" keeps
 * the members inline (space-separated, no parentheses); a NULL label hides
 * the container's members from text altogether. */
void out_obj_begin(struct table *t, const char *key, const char *label);
void out_obj_end(struct table *t);
void out_arr_begin(struct table *t, const char *key, const char *label);
void out_arr_end(struct table *t);

/* One standalone JSON record on stdout: see "Records" above. */
struct json *out_record_begin(void);
void out_record_end(struct json *w);

/* Fast unsigned formatting: writes digits to buf (>= 21 bytes), returns len. */
size_t out_fmt_u64(char *buf, uint64_t v);
/* The same for a signed value ("-" first when negative; buf >= 22 bytes). */
size_t out_fmt_i64(char *buf, int64_t v);
/* Fixed-point with at most `decimals` (0..6) digits, trailing zeros trimmed
 * ("0.029", "204", "1.5"); buf >= 32 bytes. Returns the length. */
size_t out_fmt_fixed(char *buf, double v, int decimals);

/* printf("%.*f") without printf: the same digits (the exact binary value
 * rounded half to even, "-" on negative zero), truncated to cap - 1 bytes
 * like snprintf. Returns the length written. */
size_t out_fmt_f(char *buf, size_t cap, double v, int decimals);

#endif
