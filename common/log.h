/*
 * log.h: one line per event on stderr, "time level subsystem: message".
 * Thread-safe (one write(2) per line). Subsystems: "server", "config",
 * "zone", "reload", "tcp", ...
 */
#ifndef STEERDNS_LOG_H
#define STEERDNS_LOG_H

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Lines above this level are dropped; default INFO. */
void log_set_level(enum log_level lvl);

void log_msg(enum log_level lvl, const char *subsys, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(sub, ...)   log_msg(LOG_LVL_ERR, sub, __VA_ARGS__)
#define log_warn(sub, ...)  log_msg(LOG_LVL_WARN, sub, __VA_ARGS__)
#define log_info(sub, ...)  log_msg(LOG_LVL_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...) log_msg(LOG_LVL_DEBUG, sub, __VA_ARGS__)

#endif
