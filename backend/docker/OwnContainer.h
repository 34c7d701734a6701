#pragma once

#include <QByteArray>
#include <QString>

// The id of the Docker container this process runs in, so that the agent does not register
// itself (an agent run with `-p 8080:8080 ... -feed=:8080` would otherwise publish its feed as a
// service). Empty when the process is not in a Docker container or the id cannot be told.
namespace OwnContainer {
// Docker bind-mounts <data-root>/containers/<id>/hostname (and hosts, resolv.conf) over the
// container's /etc files: works with cgroup v1 and v2 and any --data-root; with
// --net=container:X they are X's files.
QString idFromMountInfo(const QByteArray &mountInfo);
// cgroup v1, or v2 without a private cgroup namespace: ".../docker/<id>" (cgroupfs driver) or
// ".../docker-<id>.scope" (systemd driver). v2's default private namespace shows only "0::/".
QString idFromCgroup(const QByteArray &cgroup);
// Reads /proc/self/cgroup, then /proc/self/mountinfo. With --net=container:X on a cgroup v2
// host (private cgroup namespace) it finds X, whose /etc files the container shares.
QString detect();
} // namespace OwnContainer
