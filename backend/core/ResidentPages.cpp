#include "core/ResidentPages.h"

#include <QFile>
#include <sys/mman.h>

namespace {
struct Mapping {
    quintptr start = 0;
    quintptr end = 0;
    bool candidate = false; // read-only, private, backed by a regular file
    qint64 rssKb = 0;
    qint64 anonymousKb = 0;
};

// "7f..-7f.. r-xp 000a6000 fe:00 14885372   /usr/lib/.../libQt6Core.so.6.4.2"
Mapping parseHeader(const QByteArray &line)
{
    Mapping m;
    const QList<QByteArray> f = line.simplified().split(' ');
    if (f.size() < 6)
        return m; // no path: anonymous memory
    const QList<QByteArray> range = f[0].split('-');
    if (range.size() != 2)
        return m;
    m.start = range[0].toULongLong(nullptr, 16);
    m.end = range[1].toULongLong(nullptr, 16);
    const QByteArray &perms = f[1];
    m.candidate = perms.size() == 4 && perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' &&
                  f[5].startsWith('/') && !line.endsWith("(deleted)");
    return m;
}

qint64 kbValue(const QByteArray &line)
{
    return line.mid(line.indexOf(':') + 1).trimmed().split(' ').value(0).toLongLong();
}

qint64 release(const Mapping &m)
{
    // Only clean file pages: a private copy (Anonymous) would be lost, not re-read.
    if (!m.candidate || m.rssKb == 0 || m.anonymousKb != 0 || m.end <= m.start)
        return 0;
    if (madvise(reinterpret_cast<void *>(m.start), m.end - m.start, MADV_DONTNEED) != 0)
        return 0;
    return m.rssKb;
}
} // namespace

qint64 ResidentPages::releaseStartupPages()
{
    QFile smaps(QStringLiteral("/proc/self/smaps"));
    if (!smaps.open(QIODevice::ReadOnly))
        return -1;
    // Read whole first: madvise changes what the file would report while it is being read.
    const QList<QByteArray> lines = smaps.readAll().split('\n');
    QList<Mapping> mappings;
    for (const QByteArray &line : lines) {
        if (line.isEmpty())
            continue;
        const char c = line.at(0);
        const bool header = ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) &&
                            line.indexOf('-') > 0 && line.indexOf(':') > line.indexOf(' ');
        if (header) {
            mappings << parseHeader(line);
        } else if (!mappings.isEmpty()) {
            if (line.startsWith("Rss:"))
                mappings.last().rssKb = kbValue(line);
            else if (line.startsWith("Anonymous:"))
                mappings.last().anonymousKb = kbValue(line);
        }
    }
    qint64 released = 0;
    for (const Mapping &m : std::as_const(mappings))
        released += release(m);
    return released;
}
