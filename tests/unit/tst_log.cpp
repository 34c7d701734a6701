#include "core/Log.h"
#include "core/LogCategories.h"

#include <QtTest>

class tst_Log : public QObject {
    Q_OBJECT
private slots:
    void redact_data()
    {
        QTest::addColumn<QString>("message");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain") << "added: abc host:redis.1:6379"
                               << "added: abc host:redis.1:6379";
        QTest::newRow("url token")
            << "Url: QUrl(\"http://127.0.0.1:1/api/v1/hosts?token=tok-123\")"
            << "Url: QUrl(\"http://127.0.0.1:1/api/v1/hosts?token=<redacted>\")";
        QTest::newRow("token then param") << "/ws?token=abc&x=1"
                                          << "/ws?token=<redacted>&x=1";
        QTest::newRow("mis-encoded token") << "/api/v1/hosts?token%3Dtok-123"
                                           << "/api/v1/hosts?token%3D<redacted>";
        QTest::newRow("qt header pair") << "(\"Authorization\", \"Bearer tok-9\")"
                                        << "(\"Authorization\", \"<redacted>\")";
        QTest::newRow("qt header colon") << "(\"Authorization\": \"Bearer tok-9\")"
                                         << "(\"Authorization\": \"<redacted>\")";
        QTest::newRow("raw header") << "authorization: Basic dXNlcjpwdw=="
                                    << "authorization: <redacted>";
    }
    void redact()
    {
        QFETCH(QString, message);
        QFETCH(QString, expected);
        QCOMPARE(Log::redact(message), expected);
    }
    void formatIsOneLine()
    {
        const QString line = Log::format(QStringLiteral("a\nb\rc token=zz"));
        QVERIFY(line.endsWith(QStringLiteral("a\\nb\\rc token=<redacted>\n")));
        QCOMPARE(line.count(QLatin1Char('\n')), 1);
    }
    void categoriesReadAsPrefixes_data()
    {
        QTest::addColumn<QByteArray>("category");
        QTest::addColumn<QString>("expected");
        QTest::newRow("cluster") << QByteArray("portolan.cluster") << "cluster: m";
        QTest::newRow("feed") << QByteArray("portolan.feed") << "feed: m";
        QTest::newRow("default") << QByteArray("default") << "m";
        QTest::newRow("Qt's own") << QByteArray("qt.network.ssl") << "m";
        QTest::newRow("bare portolan.") << QByteArray("portolan.") << "m";
        QTest::newRow("no category") << QByteArray() << "m";
    }
    void categoriesReadAsPrefixes()
    {
        QFETCH(QByteArray, category);
        QFETCH(QString, expected);
        QCOMPARE(
            Log::prefixed(category.isNull() ? nullptr : category.constData(), QStringLiteral("m")),
            expected);
    }
    void categoriesAreTheOnesTheLogNames()
    {
        QCOMPARE(QByteArray(lcCluster().categoryName()), QByteArray("portolan.cluster"));
        QCOMPARE(QByteArray(lcFeed().categoryName()), QByteArray("portolan.feed"));
    }
};

QTEST_APPLESS_MAIN(tst_Log)
#include "tst_log.moc"
