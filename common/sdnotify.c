/* sdnotify.c: see sdnotify.h. */
#include "common/sdnotify.h"

#include <stdio.h>
#include <time.h>

#include <systemd/sd-daemon.h>

void sdn_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : "serving");
}

void sdn_reloading(void)
{
	/* MONOTONIC_USEC lets Type=notify-reload (systemd 253+) match the
	 * READY=1 that follows; older systemd ignores it. */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
	           (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

void sdn_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
