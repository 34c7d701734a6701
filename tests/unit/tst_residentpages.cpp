// ResidentPages: dropping the page-table entries of clean, read-only file mappings must leave
// the process working (code and read-only data fault back in from the page cache; relocated
// data and the heap are never touched), and must really make those pages non-resident.
#include "core/ResidentPages.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

namespace {
qint64 statusKb(const char *field)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(field))
            return line.mid(line.indexOf(':') + 1).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

// Work through several libraries' code and read-only data (Qt Core, ICU-free paths, libc).
QString exercise()
{
    const QJsonDocument doc = QJsonDocument::fromJson(R"({"name":"redis","port":6379})");
    const QRegularExpression re(QStringLiteral("^v([0-9]+)\\.([0-9]+)$"));
    const auto m = re.match(QStringLiteral("v1.41"));
    return doc.object().value(QLatin1String("name")).toString() + QLatin1Char(':') +
           QString::number(doc.object().value(QLatin1String("port")).toInt()) + QLatin1Char('/') +
           m.captured(2);
}
} // namespace

class tst_ResidentPages : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void releasesCleanFilePagesAndKeepsWorking()
    {
        const QString before = exercise();
        QCOMPARE(before, QStringLiteral("redis:6379/41"));
        static const QString kept = QStringLiteral("heap data survives"); // relocated/heap data
        const qint64 fileBefore = statusKb("RssFile:");
        QVERIFY(fileBefore > 0);

        const qint64 released = ResidentPages::releaseStartupPages();
        QVERIFY2(released > 0, "a Qt test process has read-only library pages resident");
        const qint64 fileAfter = statusKb("RssFile:");
        QVERIFY2(fileAfter < fileBefore,
                 qPrintable(QStringLiteral("RssFile %1 -> %2 kB").arg(fileBefore).arg(fileAfter)));

        // Everything still works: code and constants fault back in.
        QCOMPARE(exercise(), before);
        QCOMPARE(kept, QStringLiteral("heap data survives"));
        // A second call finds little left to drop and is harmless.
        QVERIFY(ResidentPages::releaseStartupPages() >= 0);
        QCOMPARE(exercise(), before);
    }
};

QTEST_GUILESS_MAIN(tst_ResidentPages)
#include "tst_residentpages.moc"
