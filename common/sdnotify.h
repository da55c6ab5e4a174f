/*
 * sdnotify.h: systemd's readiness protocol (Type=notify, sd_notify(3)
 * from libsystemd): READY=1 once the listeners answer and the control
 * socket is up, RELOADING=1 ... READY=1 around every reload, STOPPING=1
 * at shutdown, and a STATUS= line. Without $NOTIFY_SOCKET (not under
 * systemd) every call does nothing.
 */
#ifndef STEERDNS_SDNOTIFY_H
#define STEERDNS_SDNOTIFY_H

void sdn_ready(const char *status);
void sdn_reloading(void);
void sdn_stopping(void);

#endif
