/*
 * Least privilege for `serve` (docs/reference.md §9): once the listeners, the metrics
 * socket, signalfd and the inotify watches are open, and before any worker
 * thread exists (capabilities are per thread; new threads inherit), the
 * process keeps only CAP_NET_ADMIN and becomes proxy_uid:
 *
 *   - the capability bounding set is emptied but for CAP_NET_ADMIN
 *     (when CAP_SETPCAP allows it, i.e. when started as root);
 *   - started as root: supplementary groups dropped, gid and uid set to
 *     proxy_uid (real, effective and saved), keeping capabilities across
 *     the switch only to trim them next;
 *   - permitted = effective = {CAP_NET_ADMIN} (or nothing, when it was
 *     not there to begin with), inheritable and ambient cleared;
 *   - no_new_privs: no execve can ever gain anything back.
 *
 * Why CAP_NET_ADMIN stays: IP_TRANSPARENT listeners are already open, but
 * later issues program nftables (netlink) on reload and answer NFQUEUE
 * verdicts, and both need it. Nothing else is needed: no port below 1024
 * is bound after the drop, files are opened as proxy_uid.
 *
 * Everything is checked afterwards (getresuid, capget); any failure is
 * fatal: botbox never runs with more than it asked to keep.
 */
#ifndef BB_PRIVS_H
#define BB_PRIVS_H

#include <stdint.h>

/* Drops to uid (when root) and CAP_NET_ADMIN. 0, or -1 with a message on
 * stderr. */
int bb_privs_drop(uint32_t uid);

#endif
