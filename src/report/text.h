/* report/text.h — words and numbers as people read them: byte sizes in
 * binary units, signal names, the verdict as a sentence, a command line as
 * shell words.
 *
 * Contract
 *   - Pure functions over their arguments; results go to a caller buffer
 *     (always NUL-terminated, truncated if too small) or a struct buf.
 *   - Nothing here escapes for an output context: callers pass the result
 *     through escape.h for the terminal, HTML, JSON...
 */
#ifndef OOMPH_REPORT_TEXT_H
#define OOMPH_REPORT_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "report/buf.h"

/* "512 B", "1.0 KiB", "600.5 MiB", "2.0 GiB": one decimal, binary units. */
void text_bytes(char *out, size_t n, int64_t bytes);

/* "SIGKILL" for 9, NULL if not a standard Linux signal number. */
const char *text_signal_name(int sig);

/* What happened to the program, as the rest of a sentence that starts with
 * the command: "exited with code 0", "was killed by signal 9 (SIGKILL)".
 * `verdict` is the supervisor's word (runmeta.h); has_code says whether
 * exit_code is known. */
void text_verdict(char *out, size_t n, const char *verdict, int has_code, int exit_code,
		  int sig);
/* An uncaught exception in a sentence: its class's own name (the last
 * part of "module.qualname") and its message, "BrokenProcessPool: A
 * process in the process pool was terminated abruptly ...", or the name
 * alone ("MemoryError") when the message is empty. */
void text_exception(char *out, size_t n, const char *type, const char *message);

/* How a reader should see that ending (the page's colour): "good" (exit
 * code 0), "death" (a memory death, a crash, SIGKILL: the only red one),
 * "ended" (anything else a person or the program chose: a non-zero exit,
 * Ctrl-C, SIGTERM, SIGHUP, SIGPIPE, a running run). */
const char *text_verdict_tone(const char *verdict, int has_code, int exit_code, int sig);

/* argv as words a POSIX shell would read back the same: plain words as they
 * are, others in single quotes ('it'\''s'). */
void text_shell_words(struct buf *b, int argc, char *const *argv);

#endif
