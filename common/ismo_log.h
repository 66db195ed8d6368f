/* ismo_log: one-line log records on stderr, prefixed by UTC time, level and module.
 *
 *   2026-11-30T10:00:00.123Z INFO  server: bound ROUTER on tcp://127.0.0.1:7770
 *
 * Thread-safe (one fprintf per line). The level is process-wide. */
#ifndef ISMO_LOG_H
#define ISMO_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ismo_log_level {
    ISMO_LOG_DEBUG = 0,
    ISMO_LOG_INFO = 1,
    ISMO_LOG_WARN = 2,
    ISMO_LOG_ERROR = 3
} ismo_log_level;

/* Set the minimum level printed (default ISMO_LOG_INFO). */
void ismo_log_set_level(ismo_log_level level);

/* Parse "debug", "info", "warn", "error"; returns 0 and sets *level, or -1. */
int ismo_log_level_parse(const char *text, ismo_log_level *level);

/* Print one record if level >= the process level. module: short name, e.g. "store". */
void ismo_log(ismo_log_level level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ISMO_DEBUG(mod, ...) ismo_log(ISMO_LOG_DEBUG, mod, __VA_ARGS__)
#define ISMO_INFO(mod, ...) ismo_log(ISMO_LOG_INFO, mod, __VA_ARGS__)
#define ISMO_WARN(mod, ...) ismo_log(ISMO_LOG_WARN, mod, __VA_ARGS__)
#define ISMO_ERROR(mod, ...) ismo_log(ISMO_LOG_ERROR, mod, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
