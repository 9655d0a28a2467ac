/* libFuzzer target: arbitrary bytes through doctor's threshold settings.
 * The whole input is a config file (doctor_config_parse(), not
 * NUL-terminated, so a read past its end shows under ASan); each of its
 * lines, NUL-terminated, is also a --set argument (doctor_config_set()).
 * Every setting kept must name a real rule and threshold with a finite,
 * non-negative value, and every error must be one printable line. */
#include "doctor/doctor.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_settings(const struct doctor_config *c)
{
	for (int i = 0; i < c->nset; i++) {
		const struct doctor_rule *r = rule_find(c->set[i].id);
		if (!r || !isfinite(c->set[i].value) || c->set[i].value < 0)
			abort();
		const struct rule_threshold *t = r->thresholds;
		while (t && t->name && strcmp(t->name, c->set[i].name) != 0)
			t++;
		if (!t || !t->name)
			abort();
	}
}

static void check_error(const char *err)
{
	for (const char *p = err; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct doctor_config c;
	char err[256];

	memset(&c, 0, sizeof(c));
	err[0] = '\0';
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (doctor_config_parse(&c, copy, size, "fuzz.conf", err, sizeof(err)) < 0)
		check_error(err);
	check_settings(&c);
	free(copy);

	/* each line as --set: a C string up to its newline or NUL */
	memset(&c, 0, sizeof(c));
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *line = text, *next; line && line < text + size; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		err[0] = '\0';
		if (doctor_config_set(&c, line, err, sizeof(err)) < 0)
			check_error(err);
	}
	check_settings(&c);
	free(text);
	return 0;
}
