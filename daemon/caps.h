/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Privileges: the only module that knows libcap. main() calls caps_setup()
 * once, after parsing options and before anything else runs.
 *
 * memtuned runs as root because the kernel lets only uid 0 write
 * /proc/sys/vm/ (proc_sys_permission() checks the uid, not a capability;
 * measured: root with an empty bounding set writes them). Every capability
 * beyond that is dropped, except the daemon's set below, which mirrors
 * CapabilityBoundingSet= in systemd/memtuned.service.in. The table in that
 * file's comments (and README.md) says which feature needs which capability
 * and how that was measured. Keep the three in step. */

typedef enum CapsProfile {
        /* --check: reads policy files; keeps no capability at all and locks
         * no memory. */
        CAPS_PROFILE_TOOL,
        /* --once: reads /proc and writes nothing. Keeps CAP_SYS_PTRACE only,
         * if it has it, which reads /proc/PID/exe of other users' processes
         * (read access mode: it cannot attach to anything), so that the kill
         * order names the rule of every process the daemon's rules would
         * match; locks no memory. */
        CAPS_PROFILE_REPORT,
        /* The daemon: keeps the daemon's set; a required capability that is
         * missing is an error. mlockall(). */
        CAPS_PROFILE_DAEMON,
        /* The daemon with --observe: it never writes, so a missing required
         * capability is only a warning. */
        CAPS_PROFILE_OBSERVE,
        _CAPS_PROFILE_MAX,
} CapsProfile;

/* Sets no_new_privs, clears the ambient set, drops every capability the
 * profile does not keep (from the bounding set too, when CAP_SETPCAP allows),
 * and for the daemon profiles checks what is missing (one line each) and
 * locks memory. When the capabilities are already exactly the profile's (as
 * under memtuned.service, whose system call filter denies capset()), nothing
 * is changed. Returns 0, or -errno having logged why: -EPERM when running as
 * root without a required capability. */
int caps_setup(CapsProfile profile);
