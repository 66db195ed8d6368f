/* ismo_log: stderr logging with module prefixes. Owns the process log level. */
#include "ismo_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ismo_time.h"

static ismo_log_level g_level = ISMO_LOG_INFO;

void ismo_log_set_level(ismo_log_level level) { g_level = level; }

int ismo_log_level_parse(const char *text, ismo_log_level *level)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (text && strcmp(text, names[i]) == 0) {
            *level = (ismo_log_level)i;
            return 0;
        }
    }
    return -1;
}

void ismo_log(ismo_log_level level, const char *module, const char *fmt, ...)
{
    static const char *tags[] = {"DEBUG", "INFO ", "WARN ", "ERROR"};
    if (level < g_level) {
        return;
    }
    char ts[40];
    ismo_time_format_ms(ismo_now_ms(), ts, sizeof ts);
    char body[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s %s: %s\n", ts, tags[level], module, body);
}
