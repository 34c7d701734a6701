#include "core/Log.h"

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
};

QTEST_APPLESS_MAIN(tst_Log)
#include "tst_log.moc"
