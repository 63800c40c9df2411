// SPDX-License-Identifier: GPL-2.0
/*
 * One printing path for text and JSON.  In JSON mode the values build one
 * json-c document that is printed when the command ends; in text mode the
 * format strings print the same values as they come.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "hmm-dax.h"

#define OUT_DEPTH	16

const char *hmm_dax_cmd_name = "hmm-dax";
static int out_mode_json, out_pretty;
static struct json_object *out_stack[OUT_DEPTH];
static int out_depth;

/*
 * Progress: on a terminal one line that each message overwrites; with
 * HMM_DAX_PROGRESS=lines in the environment, one line per message on
 * stderr (for a log, or a pipe that wants to see how far a run is); else
 * none.  Each message ends with the time since the command started.
 */
static enum { PROGRESS_NONE, PROGRESS_TTY, PROGRESS_LINES } out_progress_mode;
static struct timespec out_start;

void out_init(int json, int pretty)
{
	const char *progress = getenv("HMM_DAX_PROGRESS");

	out_mode_json = json || pretty;
	out_pretty = pretty;
	clock_gettime(CLOCK_MONOTONIC, &out_start);
	if (progress && !strcmp(progress, "lines"))
		out_progress_mode = PROGRESS_LINES;
	else if (!out_mode_json && isatty(STDOUT_FILENO))
		out_progress_mode = PROGRESS_TTY;
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

/* A progress message (see out_init()); an empty one clears the line. */
void out_progress(const char *fmt, ...)
{
	struct timespec now;
	char msg[256];
	va_list ap;
	long s;

	if (out_progress_mode == PROGRESS_NONE)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!*msg && out_progress_mode == PROGRESS_LINES)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	s = now.tv_sec - out_start.tv_sec;
	if (out_progress_mode == PROGRESS_LINES) {
		fprintf(stderr, "%s %ld:%02ld\n", msg, s / 60, s % 60);
		return;
	}
	printf("\r\033[K");
	if (*msg) {
		printf("%s %ld:%02ld", msg, s / 60, s % 60);
		fflush(stdout);
	}
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
