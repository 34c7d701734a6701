// SERVICE_* parsing and registrator's escaped-comma tag split (bridge/util_test.go's cases, with
// the written order kept).

#include "service/ServiceMetadata.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

class tst_ServiceMetadata : public QObject {
    Q_OBJECT
private slots:
    void split_data();
    void split();
    void parse_data();
    void parse();
};

void tst_ServiceMetadata::split_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("tags");
    QTest::newRow("empty") << "" << QStringList();
    QTest::newRow("one") << "foobar" << QStringList{"foobar"};
    QTest::newRow("two, in order") << "foo,bar" << QStringList{"foo", "bar"};
    QTest::newRow("three, in order") << "c,a,b" << QStringList{"c", "a", "b"};
    QTest::newRow("escaped") << "foo\\,bar" << QStringList{"foo,bar"};
    QTest::newRow("mixed") << "foo,bar\\,baz" << QStringList{"foo", "bar,baz"};
    QTest::newRow("escaped ends") << "\\,foobar\\," << QStringList{",foobar,"};
    QTest::newRow("empty parts") << ",,,,foo,,,bar,,," << QStringList{"foo", "bar"};
    QTest::newRow("only commas") << ",,,," << QStringList();
    QTest::newRow("escaped among commas") << ",,\\,," << QStringList{","};
    QTest::newRow("escaped then comma") << "a\\,,b" << QStringList{"a,", "b"};
    QTest::newRow("other backslashes kept") << "a\\b,c\\" << QStringList{"a\\b", "c\\"};
    QTest::newRow("spaces kept") << " a, b" << QStringList{" a", " b"};
}

void tst_ServiceMetadata::split()
{
    QFETCH(QString, text);
    QFETCH(QStringList, tags);
    QCOMPARE(splitEscapedComma(text), tags);
}

void tst_ServiceMetadata::parse_data()
{
    QTest::addColumn<QString>("config"); // inspect "Config" JSON
    QTest::addColumn<QString>("port");
    QTest::addColumn<QString>("values"); // "k=v;k=v" in key order
    QTest::addColumn<QString>("fromPort");

    QTest::newRow("env null") << R"({"Env":null})"
                              << "80"
                              << ""
                              << "";
    QTest::newRow("only SERVICE_ entries")
        << R"({"Env":["PASSWORD=x","SERVICE_NAME=a","SERVICE=b","service_name=c"]})"
        << "80"
        << "name=a"
        << "";
    QTest::newRow("label wins over env")
        << R"({"Env":["SERVICE_NAME=env"],"Labels":{"SERVICE_NAME":"label"}})"
        << "80"
        << "name=label"
        << "";
    QTest::newRow("port key beats generic, either order")
        << R"({"Env":["SERVICE_80_NAME=p","SERVICE_NAME=g"],"Labels":{"SERVICE_NAME":"l"}})"
        << "80"
        << "name=p"
        << "name";
    QTest::newRow("other port ignored") << R"({"Env":["SERVICE_81_NAME=p","SERVICE_NAME=g"]})"
                                        << "80"
                                        << "name=g"
                                        << "";
    QTest::newRow("signed port key is a port key (never matches)")
        << R"({"Env":["SERVICE_+80_NAME=p"]})"
        << "80"
        << ""
        << "";
    QTest::newRow("numeric key without suffix is generic") << R"({"Env":["SERVICE_80=x"]})"
                                                           << "80"
                                                           << "80=x"
                                                           << "";
    QTest::newRow("value keeps =") << R"({"Env":["SERVICE_CHECK_CMD=a=b"]})"
                                   << "80"
                                   << "check_cmd=a=b"
                                   << "";
    QTest::newRow("port-specific multi-part key") << R"({"Labels":{"SERVICE_80_CHECK_HTTP":"/"}})"
                                                  << "80"
                                                  << "check_http=/"
                                                  << "check_http";
}

void tst_ServiceMetadata::parse()
{
    QFETCH(QString, config);
    QFETCH(QString, port);
    QFETCH(QString, values);
    QFETCH(QString, fromPort);
    const ServiceMetadata m =
        ServiceMetadata::parse(QJsonDocument::fromJson(config.toUtf8()).object(), port);
    QStringList got;
    for (auto it = m.values.begin(); it != m.values.end(); ++it)
        got << it.key() + QLatin1Char('=') + it.value();
    QCOMPARE(got.join(QLatin1Char(';')), values);
    QStringList ports = m.fromPort.values();
    ports.sort();
    QCOMPARE(ports.join(QLatin1Char(';')), fromPort);
}

QTEST_GUILESS_MAIN(tst_ServiceMetadata)
#include "tst_servicemetadata.moc"
