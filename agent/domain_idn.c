#include "config.h"

#include <idn2.h>
#include <string.h>

#include "base.h"
#include "domain_idn.h"

/* Whether the label starting at p (end excluded) begins with "xn--", any case. */
static bool
alabel_prefix(const char *p, const char *end)
{
	return end - p >= 4 && (p[0] | 0x20) == 'x' && (p[1] | 0x20) == 'n' && p[2] == '-' &&
	    p[3] == '-';
}

bool
domain_idn_needs_idna(const char *in, size_t len)
{
	const char *end = in + len;
	const char *p;
	bool label_start = true;

	for (p = in; p < end; p++) {
		if ((unsigned char)*p >= 0x80)
			return true;
		if (label_start && alabel_prefix(p, end))
			return true;
		label_start = *p == '.';
	}
	return false;
}

/* The name's extent: up to its first NUL, without trailing dots. */
static size_t
name_len(const char *in, size_t len)
{
	const char *nul = memchr(in, '\0', len);

	if (nul)
		len = (size_t)(nul - in);
	/* All of them: with one left, the key's own key would differ. */
	while (len && in[len - 1] == '.')
		len--;
	return len;
}

static size_t
lower_key(const char *in, size_t len, char *out)
{
	size_t n = base_lower_copy(out, DOMAIN_IDN_MAX, in, len);

	out[n] = '\0';
	return n;
}

size_t
domain_idn_plain_key(const char *in, size_t len, char *out)
{
	const char *end;
	const char *p;
	char *o = out;
	bool label_start = true;

	len = name_len(in, len);
	end = in + len;
	/* Checks every byte, copies the first DOMAIN_IDN_MAX: a long name is plain only whole. */
	for (p = in; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c >= 0x80 || (label_start && alabel_prefix(p, end)))
			return DOMAIN_IDN_NOT_PLAIN;
		label_start = c == '.';
		if (o < out + DOMAIN_IDN_MAX)
			*o++ = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
	}
	*o = '\0';
	return (size_t)(o - out);
}

size_t
domain_idn_key(const char *in, size_t len, char *out)
{
	char buf[DOMAIN_IDN_IN_MAX + 1];
	char *a = NULL;
	size_t n;

	n = domain_idn_plain_key(in, len, out);
	if (n != DOMAIN_IDN_NOT_PLAIN)
		return n;
	len = name_len(in, len);
	if (len > DOMAIN_IDN_IN_MAX)
		return lower_key(in, len, out);
	memcpy(buf, in, len);
	buf[len] = '\0';
	/* Non-transitional UTS #46: the mapping browsers and registries use now. */
	if (idn2_to_ascii_8z(buf, &a, IDN2_NONTRANSITIONAL) != IDN2_OK || !a ||
	    (n = strlen(a)) > DOMAIN_IDN_MAX) {
		idn2_free(a);
		return lower_key(in, len, out);
	}
	/* Mapping drops ignored characters (a soft hyphen): dots may end the name again. */
	while (n && a[n - 1] == '.')
		n--;
	memcpy(out, a, n);
	out[n] = '\0';
	idn2_free(a);
	return n;
}

size_t
domain_idn_display(const char *key, size_t len, char *out)
{
	char buf[DOMAIN_IDN_MAX + 1];
	char *u = NULL;
	size_t n;

	if (len > DOMAIN_IDN_MAX)
		len = DOMAIN_IDN_MAX;
	memcpy(buf, key, len);
	buf[len] = '\0';
	len = strlen(buf);
	/* Only A-labels have another form; a plain ASCII key reads as it is. */
	if (domain_idn_needs_idna(buf, len) &&
	    idn2_to_unicode_8z8z(buf, &u, 0) == IDN2_OK && u &&
	    (n = strlen(u)) > 0 && n <= DOMAIN_IDN_MAX) {
		memcpy(out, u, n + 1);
		idn2_free(u);
		return n;
	}
	idn2_free(u);
	memcpy(out, buf, len + 1);
	return len;
}

size_t
domain_idn_queue_key(domain_idn_key_fn key, void *arg, const char *in, size_t len, char *out)
{
	const char *nul = memchr(in, '\0', len);
	const char *slash;
	size_t dl, vl;

	if (nul)
		len = (size_t)(nul - in);
	slash = len ? memrchr(in, '/', len) : NULL;
	dl = key(arg, in, slash ? (size_t)(slash - in) : len, out);
	if (!slash || !dl)
		return dl;	/* "/vmta" names no queue */
	vl = len - (size_t)(slash + 1 - in);
	if (dl + 1 + vl > DOMAIN_IDN_MAX)
		vl = dl + 1 > DOMAIN_IDN_MAX ? 0 : DOMAIN_IDN_MAX - dl - 1;
	if (dl + 1 > DOMAIN_IDN_MAX)
		return dl;
	out[dl] = '/';
	memcpy(out + dl + 1, slash + 1, vl);
	out[dl + 1 + vl] = '\0';
	return dl + 1 + vl;
}

static size_t
key_plain(void *arg, const char *in, size_t len, char *out)
{
	(void)arg;
	return domain_idn_key(in, len, out);
}

size_t
domain_idn_queue_key_plain(const char *in, size_t len, char *out)
{
	return domain_idn_queue_key(key_plain, NULL, in, len, out);
}
