/*
 * libFuzzer target: the configuration directive parser.
 *
 * Input: lines of "token args", as net-snmp hands them over (it cuts the
 * first word as the token and passes the rest with leading blanks removed).
 * Every line is applied to one cfg, so directives interact (instances
 * referenced by later lines, duplicates, the table caps); then the whole is
 * validated and freed, and LeakSanitizer reports what a refused directive
 * or cfg_free() leaves behind. A refused directive must leave the cfg
 * unchanged in its counts and give a one-line reason.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

#define FUZZ_MAX_LINES 400	/* beyond the instance and threshold caps */
#define FUZZ_LINE_MAX 4096	/* net-snmp's own line limit (SNMP_MAXBUF) */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
err_check(const char *err)
{
	size_t n = strnlen(err, CFG_ERR_MAX);

	if (n == 0 || n == CFG_ERR_MAX || strchr(err, '\n'))
		abort();
}

/* Applies one line (NUL-terminated, no LF) to c. */
static void
line_apply(struct cfg *c, char *line)
{
	char err[CFG_ERR_MAX] = "";
	char *args = line + strcspn(line, " \t");
	size_t n_inst = c->n_inst, n_th = c->n_th, n_hard = c->n_hard_cats;

	if (*args) {
		*args++ = '\0';
		args += strspn(args, " \t");
	}
	if (cfg_parse(c, line, args, err, sizeof(err)) < 0) {
		err_check(err);
		if (c->n_inst != n_inst || c->n_th != n_th || c->n_hard_cats != n_hard)
			abort();
	} else if (c->n_inst > CFG_MAX_INSTANCES || c->n_th > CFG_MAX_THRESHOLDS ||
		   c->n_hard_cats > CFG_MAX_HARD_CATS) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *cur = data, *end = data + size;
	struct cfg *c = cfg_new();
	char err[CFG_ERR_MAX] = "";
	int lines = 0;

	if (!c)
		return 0;
	while (cur < end && lines++ < FUZZ_MAX_LINES) {
		const uint8_t *e = memchr(cur, '\n', (size_t)(end - cur));
		size_t len = e ? (size_t)(e - cur) : (size_t)(end - cur);
		char *line;

		if (len >= FUZZ_LINE_MAX)
			len = FUZZ_LINE_MAX - 1;
		line = malloc(len + 1);
		if (!line)
			break;
		memcpy(line, cur, len);
		line[len] = '\0';
		line_apply(c, line);
		free(line);
		cur = e ? e + 1 : end;
	}
	if (cfg_validate(c, err, sizeof(err)) < 0)
		err_check(err);
	cfg_free(c);
	return 0;
}
