/*
 * ctl_client.h: `steerdns ctl [-c FILE | -s SOCKET] COMMAND [ARGS] [--json]`,
 * the client of the control socket (control.h). The socket is -s, else
 * the `control: {socket}` of -c FILE (only that key is read), else the
 * default (control_default_socket). Prints the server's reply; exit 0
 * when the server said ok, 1 when it said error or cannot be reached,
 * 2 for a usage error. Errors are one line on stderr.
 */
#ifndef STEERDNS_CTL_CLIENT_H
#define STEERDNS_CTL_CLIENT_H

/* argv[0] is "ctl". */
int ctl_main(int argc, char **argv);

#endif
