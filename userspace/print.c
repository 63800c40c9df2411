// SPDX-License-Identifier: GPL-2.0
/*
 * One printing path for text and JSON.  In JSON mode the values build one
 * json-c document that is printed when the command ends; in text mode the
 * format strings print the same values as they come.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "hmm-dax.h"

#define OUT_DEPTH	16

const char *hmm_dax_cmd_name = "hmm-dax";
static int out_mode_json, out_pretty, out_progress_on;
static struct json_object *out_stack[OUT_DEPTH];
static int out_depth;

void out_init(int json, int pretty)
{
	out_mode_json = json || pretty;
	out_pretty = pretty;
	out_progress_on = !out_mode_json && isatty(STDOUT_FILENO);
	if (out_mode_json) {
		out_stack[0] = json_object_new_object();
		out_depth = 1;
	}
}

int out_json(void)
{
	return out_mode_json;
}

static void out_add(const char *key, struct json_object *v)
{
	struct json_object *top;

	if (!out_depth) {	/* the document was printed already */
		json_object_put(v);
		return;
	}
	top = out_stack[out_depth - 1];
	if (json_object_is_type(top, json_type_array))
		json_object_array_add(top, v);
	else
		json_object_object_add(top, key, v);
}

static void out_push(const char *key, struct json_object *v)
{
	if (!out_mode_json)
		return;
	if (!out_depth || out_depth == OUT_DEPTH) {
		json_object_put(v);
		return;
	}
	out_add(key, v);
	out_stack[out_depth++] = v;
}

void out_open_object(const char *key)
{
	if (out_mode_json)
		out_push(key, json_object_new_object());
}

void out_open_array(const char *key)
{
	if (out_mode_json)
		out_push(key, json_object_new_array());
}

void out_close_object(void)
{
	if (out_mode_json && out_depth > 1)
		out_depth--;
}

void out_close_array(void)
{
	out_close_object();
}

void out_u64(const char *key, const char *fmt, unsigned long long v)
{
	if (out_mode_json)
		out_add(key, json_object_new_uint64(v));
	else if (fmt)
		printf(fmt, v);
}

/* Addresses and pfns: hexadecimal strings in JSON, as in the text. */
void out_hex(const char *key, const char *fmt, unsigned long long v)
{
	char s[24];

	if (out_mode_json) {
		snprintf(s, sizeof(s), "%#llx", v);
		out_add(key, json_object_new_string(s));
	} else if (fmt) {
		printf(fmt, v);
	}
}

void out_str(const char *key, const char *fmt, const char *s)
{
	if (out_mode_json)
		out_add(key, json_object_new_string(s));
	else if (fmt)
		printf(fmt, s);
}

void out_double(const char *key, const char *fmt, double v)
{
	if (out_mode_json)
		out_add(key, json_object_new_double(v));
	else if (fmt)
		printf(fmt, v);
}

void out_bool(const char *key, const char *fmt, int v)
{
	if (out_mode_json)
		out_add(key, json_object_new_boolean(v));
	else if (fmt)
		printf(fmt, v ? "yes" : "no");
}

/* Text that only the text output has: headings, separators, tables. */
void out_text(const char *fmt, ...)
{
	va_list ap;

	if (out_mode_json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

/* A progress line, on a terminal only; the next output overwrites it. */
void out_progress(const char *fmt, ...)
{
	va_list ap;

	if (!out_progress_on)
		return;
	printf("\r\033[K");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (*fmt)
		fflush(stdout);
}

/*
 * A usage or environment error: "hmm-dax CMD: message" on stderr, or the
 * JSON document {"error": "message"} in place of any other output.
 * Returns HMM_DAX_EXIT_ERROR.
 */
int out_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	out_progress("%s", "");
	if (!out_mode_json) {
		fprintf(stderr, "%s: %s\n", hmm_dax_cmd_name, msg);
		return HMM_DAX_EXIT_ERROR;
	}
	json_object_put(out_stack[0]);
	out_stack[0] = json_object_new_object();
	out_depth = 1;
	json_object_object_add(out_stack[0], "error",
			       json_object_new_string(msg));
	return out_finish(HMM_DAX_EXIT_ERROR);
}

/* Print the JSON document (once); returns @status. */
int out_finish(int status)
{
	out_progress("%s", "");
	if (out_mode_json && out_stack[0]) {
		int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

		flags |= out_pretty ? JSON_C_TO_STRING_PRETTY |
				      JSON_C_TO_STRING_SPACED :
				      JSON_C_TO_STRING_PLAIN;
		puts(json_object_to_json_string_ext(out_stack[0], flags));
		json_object_put(out_stack[0]);
		out_stack[0] = NULL;
		out_depth = 0;
	}
	fflush(stdout);
	return status;
}
