#pragma once

#include "balancer/HaproxyConfig.h"

#include <QList>
#include <QString>

// One command over one of HAProxy's unix sockets: the Runtime API (a worker's `stats socket
// ... level admin`) or the master CLI (`-W -S`). One connection per command, answered and
// closed by HAProxy; every exchange is bounded in time, so a stuck HAProxy costs an error.
class HaproxySocket {
public:
    enum class Kind { Runtime, Master };
    HaproxySocket(Kind kind, const QString &path, int timeoutMs = 2000);

    QString path() const { return m_path; }
    // HAProxy's answer, or an empty string and an error sentence saying what to check.
    QString exchange(const QString &command, QString *error) const;

private:
    QString describe() const;
    Kind m_kind;
    QString m_path;
    int m_timeoutMs;
};

// The master's `show proc`: its reload counters and the current worker.
struct HaproxyProcesses {
    bool valid = false;
    int reloads = 0;       // the master's reload counter
    int failedReloads = 0; // failed reloads since the last good one
    qint64 workerPid = 0;  // the newest worker (fewest reloads survived); 0 if none
};

namespace HaproxyLive {
HaproxyProcesses parseShowProc(const QString &text);
// Backends named portolan_* with their modes, from `show stat -1 2 -1` (CSV).
HaproxyState parseBackends(const QString &showStat);
// Adds the servers of `show servers state` to the backends already in `state`: ready servers
// go to servers, servers in maintenance or drain to `draining` (backend -> names).
void addServers(HaproxyState *state, QMap<QString, QSet<QString>> *draining,
                const QString &serversState);
} // namespace HaproxyLive
