/* cmocka tests of the domain key and its Unicode form (agent/domain_idn.c), table-driven. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain_idn.h"

/* "a" repeated n times, then suffix. */
static char *
repeat(size_t n, const char *suffix)
{
	char *s = malloc(n + strlen(suffix) + 1);

	assert_non_null(s);
	memset(s, 'a', n);
	strcpy(s + n, suffix);
	return s;
}

static void
domain_idn_key_every_spelling_gives_the_a_label(void **state)
{
	static const struct { const char *in; const char *key; } v[] = {
		{ "BÜCHER.DE", "xn--bcher-kva.de" },
		{ "bücher.de", "xn--bcher-kva.de" },
		{ "bÜcher.de", "xn--bcher-kva.de" },
		{ "xn--bcher-kva.de", "xn--bcher-kva.de" },
		{ "XN--BCHER-KVA.DE", "xn--bcher-kva.de" },
		{ "bücher.de.", "xn--bcher-kva.de" },		/* trailing dots dropped */
		{ "bücher.de..", "xn--bcher-kva.de" },
		{ "日本.jp", "xn--wgv71a.jp" },
		{ "xn--wgv71a.jp", "xn--wgv71a.jp" },
		{ "müller.de", "xn--mller-kva.de" },
		{ "möller.de", "xn--mller-jua.de" },
		{ "straße.de", "xn--strae-oqa.de" },		/* non-transitional: ß stays */
		{ "ΣΊΣΥΦΟΣ.gr", "xn--kxa6akbbkh.gr" },	/* Greek folds too: σίσυφοσ.gr */
		{ "Gmail.COM", "gmail.com" },			/* plain ASCII: lower-cased */
		{ "gmail.com.", "gmail.com" },
		{ "a_b.example", "a_b.example" },		/* not STD3, still one row */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char out[DOMAIN_IDN_MAX + 1];
		size_t n = domain_idn_key(v[i].in, strlen(v[i].in), out);

		assert_string_equal(out, v[i].key);
		assert_int_equal(n, strlen(v[i].key));
	}
}

static void
domain_idn_key_rejected_names_keep_lower_cased_bytes(void **state)
{
	static const struct { const char *in; const char *key; } v[] = {
		{ "-Bücher.de", "-bücher.de" },		/* leading hyphen: libidn2 refuses */
		{ "ÜB--C.DE", "Üb--c.de" },		/* "--" in places 3-4: only ASCII folds */
		{ "XN--ZZ.DE", "xn--zz.de" },		/* bad punycode */
		{ "xn--abc.com", "xn--abc.com" },
		{ "-Gmail.com", "-gmail.com" },
		{ "\xff\xfe.DE", "\xff\xfe.de" },	/* not UTF-8 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char out[DOMAIN_IDN_MAX + 1];
		size_t n = domain_idn_key(v[i].in, strlen(v[i].in), out);

		assert_string_equal(out, v[i].key);
		assert_int_equal(n, strlen(v[i].key));
	}
}

static void
domain_idn_key_over_long_labels_and_names_are_kept_and_capped(void **state)
{
	char out[DOMAIN_IDN_MAX + 1];
	char *label64 = repeat(64, ".Bücher.de");	/* a 64-byte label: refused */
	char *label63 = repeat(63, ".bücher.de");	/* 63 bytes: the limit, accepted */
	char *huge = repeat(5000, "Ü.de");		/* above DOMAIN_IDN_IN_MAX */
	size_t n;

	(void)state;
	n = domain_idn_key(label64, strlen(label64), out);
	assert_int_equal(n, strlen(label64));
	assert_memory_equal(out, label64, 64);
	assert_string_equal(out + 64, ".bücher.de");

	n = domain_idn_key(label63, strlen(label63), out);
	assert_int_equal(n, 63 + strlen(".xn--bcher-kva.de"));
	assert_string_equal(out + 63, ".xn--bcher-kva.de");

	n = domain_idn_key(huge, strlen(huge), out);
	assert_int_equal(n, DOMAIN_IDN_MAX);
	assert_int_equal(strlen(out), DOMAIN_IDN_MAX);
	free(label64);
	free(label63);
	free(huge);
}

static void
domain_idn_key_empty_dot_and_nul_end_the_name(void **state)
{
	static const struct { const char *in; size_t len; const char *key; } v[] = {
		{ "", 0, "" },
		{ ".", 1, "" },
		{ "a..", 3, "a" },
		{ "a..b", 4, "a..b" },			/* an empty label inside stays */
		{ "x.\xc2\xad", 4, "x" },		/* a soft hyphen maps to nothing */
		{ "\xc2\xad", 2, "" },
		{ "bücher.de\0EVIL", 15, "xn--bcher-kva.de" },	/* the name ends at its NUL */
		{ "\0bücher.de", 11, "" },
		{ "BÜCHER.DE", 4, "xn--bc-xka" },	/* only len bytes are read: "BÜC" */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char out[DOMAIN_IDN_MAX + 1];
		size_t n = domain_idn_key(v[i].in, v[i].len, out);

		assert_string_equal(out, v[i].key);
		assert_int_equal(n, strlen(v[i].key));
	}
}

static void
domain_idn_needs_idna_only_for_non_ascii_and_a_labels(void **state)
{
	static const struct { const char *in; bool needs; } v[] = {
		{ "gmail.com", false },
		{ "GMAIL.COM", false },
		{ "", false },
		{ "axn--b.com", false },		/* "xn--" not at a label's start */
		{ "xn--bcher-kva.de", true },
		{ "mail.XN--wgv71a.jp", true },
		{ "bücher.de", true },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(domain_idn_needs_idna(v[i].in, strlen(v[i].in)), v[i].needs);
}

static void
domain_idn_plain_key_agrees_with_the_key_or_declines(void **state)
{
	/* len 0: the string's length. */
	static const struct { const char *in; size_t len; bool plain; } v[] = {
		{ "Gmail.COM", 0, true },
		{ "gmail.com..", 0, true },
		{ "-Gmail.com", 0, true },
		{ "", 0, true },
		{ "a\0B\xc3\xbc", 5, true },	/* the name ends at its NUL: "a" */
		{ "B\xc3\xbc" "cher.de", 0, false },
		{ "mail.XN--wgv71a.jp", 0, false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char a[DOMAIN_IDN_MAX + 1], b[DOMAIN_IDN_MAX + 1];
		size_t len = v[i].len ? v[i].len : strlen(v[i].in);
		size_t n = domain_idn_plain_key(v[i].in, len, a);

		if (!v[i].plain) {
			assert_true(n == DOMAIN_IDN_NOT_PLAIN);
			continue;
		}
		assert_int_equal(n, domain_idn_key(v[i].in, len, b));
		assert_string_equal(a, b);
	}
}

static void
domain_idn_display_gives_unicode_of_a_labels_only(void **state)
{
	static const struct { const char *key; const char *shown; } v[] = {
		{ "xn--bcher-kva.de", "bücher.de" },
		{ "xn--wgv71a.jp", "日本.jp" },
		{ "mail.xn--mller-kva.de", "mail.müller.de" },
		{ "gmail.com", "gmail.com" },
		{ "xn--zz.de", "xn--zz.de" },		/* undecodable: the key itself */
		{ "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char out[DOMAIN_IDN_MAX + 1];
		size_t n = domain_idn_display(v[i].key, strlen(v[i].key), out);

		assert_string_equal(out, v[i].shown);
		assert_int_equal(n, strlen(v[i].shown));
	}
}

static void
domain_idn_key_is_stable_on_its_own_output(void **state)
{
	static const char *const in[] = {
		"BÜCHER.DE", "日本.jp", "-Bücher.de", "XN--ZZ.DE", "Gmail.COM", "straße.de",
		"bücher.de..", "a..b.",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char a[DOMAIN_IDN_MAX + 1], b[DOMAIN_IDN_MAX + 1];
		size_t n = domain_idn_key(in[i], strlen(in[i]), a);

		assert_int_equal(domain_idn_key(a, n, b), n);
		assert_string_equal(a, b);
	}
}

/* Queue names: the domain part keyed, the VirtualMTA part kept, a rollup itself. */
static void
domain_idn_queue_keys(void **state)
{
	char out[DOMAIN_IDN_MAX + 1];
	char longer[400];

	(void)state;
	assert_int_equal(domain_idn_queue_key_plain("B\xc3\x9c" "CHER.de/VMTA-1", 17, out), 23);
	assert_string_equal(out, "xn--bcher-kva.de/VMTA-1");
	assert_int_equal(domain_idn_queue_key_plain("yahoo.rollup/vmta18", 19, out), 19);
	assert_string_equal(out, "yahoo.rollup/vmta18");
	/* The last '/' splits; a name without one is all domain. */
	domain_idn_queue_key_plain("a/b/c", 5, out);
	assert_string_equal(out, "a/b/c");
	domain_idn_queue_key_plain("Gmail.COM", 9, out);
	assert_string_equal(out, "gmail.com");
	/* No domain part, no name; NUL ends the input. */
	assert_int_equal(domain_idn_queue_key_plain("/v1", 3, out), 0);
	assert_int_equal(domain_idn_queue_key_plain("", 0, out), 0);
	assert_int_equal(domain_idn_queue_key_plain("x.org/v1\0junk", 13, out), 8);
	assert_string_equal(out, "x.org/v1");
	/* Cut at DOMAIN_IDN_MAX bytes whatever the parts' lengths. */
	memset(longer, 'v', sizeof(longer));
	memcpy(longer, "x.org/", 6);
	assert_int_equal(domain_idn_queue_key_plain(longer, sizeof(longer), out), DOMAIN_IDN_MAX);
	assert_int_equal(strlen(out), DOMAIN_IDN_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(domain_idn_key_every_spelling_gives_the_a_label),
		cmocka_unit_test(domain_idn_key_rejected_names_keep_lower_cased_bytes),
		cmocka_unit_test(domain_idn_key_over_long_labels_and_names_are_kept_and_capped),
		cmocka_unit_test(domain_idn_key_empty_dot_and_nul_end_the_name),
		cmocka_unit_test(domain_idn_needs_idna_only_for_non_ascii_and_a_labels),
		cmocka_unit_test(domain_idn_plain_key_agrees_with_the_key_or_declines),
		cmocka_unit_test(domain_idn_display_gives_unicode_of_a_labels_only),
		cmocka_unit_test(domain_idn_key_is_stable_on_its_own_output),
		cmocka_unit_test(domain_idn_queue_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
