#include "balancer/NginxMaster.h"

#include <QDir>
#include <QFile>

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

// nginx overwrites argv with its title and pads it with NULs.
QByteArray title(qint64 pid)
{
    QByteArray cmdline = readAll(QStringLiteral("/proc/%1/cmdline").arg(pid));
    const int nul = cmdline.indexOf('\0');
    if (nul >= 0)
        cmdline.truncate(nul);
    return cmdline.trimmed();
}

qint64 parentOf(qint64 pid)
{
    const QByteArray stat = readAll(QStringLiteral("/proc/%1/stat").arg(pid));
    const int close = stat.lastIndexOf(')'); // the command name may hold spaces and ')'
    if (close < 0)
        return 0;
    const QList<QByteArray> fields = stat.mid(close + 2).split(' '); // state ppid ...
    return fields.size() > 1 ? fields.at(1).toLongLong() : 0;
}

QList<qint64> childrenOf(qint64 pid)
{
    QList<qint64> out;
    const QString children = QStringLiteral("/proc/%1/task/%1/children").arg(pid);
    if (QFile::exists(children)) {
        for (const QByteArray &p : readAll(children).split(' '))
            if (const qint64 child = p.trimmed().toLongLong(); child > 0)
                out.append(child);
        return out;
    }
    // Kernels without CONFIG_PROC_CHILDREN: every process's parent.
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &e : entries) {
        bool number = false;
        const qint64 p = e.toLongLong(&number);
        if (number && parentOf(p) == pid)
            out.append(p);
    }
    return out;
}

} // namespace

namespace NginxMaster {

bool isMaster(qint64 pid)
{
    return pid > 0 && title(pid).startsWith("nginx: master process");
}

qint64 fromPidFile(const QString &pidFile, QString *error)
{
    QFile f(pidFile);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("nginx is not running (no pid file %1)").arg(pidFile);
        return 0;
    }
    const qint64 pid = f.readAll().trimmed().toLongLong();
    if (!isMaster(pid)) {
        if (error)
            *error = QStringLiteral("nginx is not running (pid file %1 names no live nginx "
                                    "master)")
                         .arg(pidFile);
        return 0;
    }
    return pid;
}

QSet<qint64> workers(qint64 master)
{
    QSet<qint64> out;
    for (qint64 child : childrenOf(master))
        if (title(child) == "nginx: worker process")
            out.insert(child);
    return out;
}

} // namespace NginxMaster
