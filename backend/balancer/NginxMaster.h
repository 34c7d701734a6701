#pragma once

#include <QSet>
#include <QString>

// The running nginx seen through its pid file and /proc: which process is the master and
// which of its children are serving workers. A reload is proven by the workers changing,
// since the master answers a signal with nothing.
namespace NginxMaster {

// The pid in `pidFile` when it names a live nginx master; 0 (with a sentence) otherwise.
qint64 fromPidFile(const QString &pidFile, QString *error);
bool isMaster(qint64 pid);
// The master's children titled "nginx: worker process" (not the ones shutting down).
QSet<qint64> workers(qint64 master);

} // namespace NginxMaster
