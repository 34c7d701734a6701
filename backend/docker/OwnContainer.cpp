#include "docker/OwnContainer.h"

#include <QFile>
#include <QList>
#include <QRegularExpression>

namespace {

QByteArray readProcFile(const char *path)
{
    QFile f(QString::fromLatin1(path));
    // /proc files report size 0: readAll() reads until the end anyway.
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

QString OwnContainer::idFromMountInfo(const QByteArray &mountInfo)
{
    // "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...": ROOT is the file's path inside its file system,
    // so it ends in containers/<id>/hostname whatever the data root is mounted on. On the host,
    // <data-root>/containers/<id>/mounts/shm is a mount point, never a root over /etc.
    static const QRegularExpression root(
        QStringLiteral("/containers/([0-9a-f]{64})/(?:hostname|hosts|resolv\\.conf)$"));
    for (const QByteArray &line : mountInfo.split('\n')) {
        const QList<QByteArray> fields = line.split(' ');
        if (fields.size() < 5)
            continue;
        const QByteArray &mountPoint = fields.at(4);
        if (mountPoint != "/etc/hostname" && mountPoint != "/etc/hosts" &&
            mountPoint != "/etc/resolv.conf")
            continue;
        const QRegularExpressionMatch m = root.match(QString::fromUtf8(fields.at(3)));
        if (m.hasMatch())
            return m.captured(1);
    }
    return QString();
}

QString OwnContainer::idFromCgroup(const QByteArray &cgroup)
{
    // "HIERARCHY:CONTROLLERS:PATH"; the last docker id on a path is the innermost container
    // (Docker in Docker nests them).
    static const QRegularExpression id(
        QStringLiteral("(?:/docker/|/docker-)([0-9a-f]{64})(?:\\.scope)?(?=/|$)"));
    for (const QByteArray &line : cgroup.split('\n')) {
        const int second = line.indexOf(':', line.indexOf(':') + 1);
        if (second < 0)
            continue;
        QString found;
        auto it = id.globalMatch(QString::fromUtf8(line.mid(second + 1)));
        while (it.hasNext())
            found = it.next().captured(1);
        if (!found.isEmpty())
            return found;
    }
    return QString();
}

QString OwnContainer::detect()
{
    // The cgroup path names this very container; the mounted files name the container whose
    // network it uses (another one with --net=container:X), so they come second.
    const QString id = idFromCgroup(readProcFile("/proc/self/cgroup"));
    return !id.isEmpty() ? id : idFromMountInfo(readProcFile("/proc/self/mountinfo"));
}
