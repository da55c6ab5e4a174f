/*
 * privdrop.c: setgroups/setgid/setuid in the only safe order (groups first,
 * while we still may change them), then prove root cannot be regained.
 */
#include "common/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int privdrop(const char *user, const char *group, char *err, size_t errlen)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int have_uid = 0, have_gid = 0;

	if (!user && !group)
		return 0;
	if (user) {
		errno = 0;
		struct passwd *pw = getpwnam(user);
		if (!pw) {
			snprintf(err, errlen, "unknown user '%s'%s%s", user,
			         errno ? ": " : "", errno ? strerror(errno) : "");
			return -1;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
		have_uid = have_gid = 1;
	}
	if (group) {
		errno = 0;
		struct group *gr = getgrnam(group);
		if (!gr) {
			snprintf(err, errlen, "unknown group '%s'%s%s", group,
			         errno ? ": " : "", errno ? strerror(errno) : "");
			return -1;
		}
		gid = gr->gr_gid;
		have_gid = 1;
	}
	/* Not root: only "become who we already are" can work. Say why
	 * rather than fail on setgroups' EPERM. */
	if (geteuid() != 0 && ((have_uid && uid != geteuid()) || (have_gid && gid != getegid()))) {
		snprintf(err, errlen,
		         "server.%s is set but steerdns was not started as root (uid %u): start it as "
		         "root, or remove server.user/group (under systemd DynamicUser= or User= "
		         "drops privileges instead)",
		         user ? "user" : "group", (unsigned)geteuid());
		return -1;
	}
	if (have_gid && geteuid() != 0)
		have_gid = 0;
	if (have_uid && geteuid() != 0)
		have_uid = 0;
	if (have_gid) {
		/* setgroups needs CAP_SETGID: do it before setgid/setuid. */
		if (setgroups(1, &gid) != 0) {
			snprintf(err, errlen, "setgroups(%u): %s", (unsigned)gid, strerror(errno));
			return -1;
		}
		if (setgid(gid) != 0) {
			snprintf(err, errlen, "setgid(%u): %s", (unsigned)gid, strerror(errno));
			return -1;
		}
	}
	if (have_uid) {
		if (setuid(uid) != 0) {
			snprintf(err, errlen, "setuid(%u): %s", (unsigned)uid, strerror(errno));
			return -1;
		}
		/* If we could become root again the drop did not take. */
		if (uid != 0 && setuid(0) == 0) {
			snprintf(err, errlen, "still able to regain root after setuid(%u)",
			         (unsigned)uid);
			return -1;
		}
	}
	return 0;
}
