#include "agent/AgentOptions.h"

#include <QTest>

class tst_AgentOptions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parses_data();
    void parses();
    void rejects_data();
    void rejects();
    void helpAndVersion_data();
    void helpAndVersion();
};

void tst_AgentOptions::parses_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("expected");

    const QString uri = QStringLiteral("etcd://127.0.0.1:2379/services");
    QTest::newRow("ip equals") << QStringList{"-ip=10.0.0.5", uri} << "ip"
                               << "10.0.0.5";
    QTest::newRow("ip separate") << QStringList{"-ip", "10.0.0.5", uri} << "ip"
                                 << "10.0.0.5";
    QTest::newRow("double dash") << QStringList{"--ip=10.0.0.5", uri} << "ip"
                                 << "10.0.0.5";
    QTest::newRow("bool bare") << QStringList{"-internal", uri} << "internal"
                               << "true";
    QTest::newRow("bool false") << QStringList{"-internal=false", uri} << "internal"
                                << "false";
    QTest::newRow("explicit") << QStringList{"-explicit=1", uri} << "explicit"
                              << "true";
    QTest::newRow("ttl") << QStringList{"-ttl", "12", uri} << "ttl"
                         << "12";
    QTest::newRow("ttl default") << QStringList{uri} << "ttl"
                                 << "30";
    QTest::newRow("ttl-refresh") << QStringList{"-ttl=30", "-ttl-refresh=10", uri} << "ttl-refresh"
                                 << "10";
    QTest::newRow("deregister") << QStringList{"-deregister=on-success", uri} << "deregister"
                                << "on-success";
    QTest::newRow("register-healthy") << QStringList{"-register-healthy", uri} << "register-healthy"
                                      << "true";
    QTest::newRow("register-healthy default") << QStringList{uri} << "register-healthy"
                                              << "false";
    QTest::newRow("tags with spaces")
        << QStringList{"-tags", "{{ .Config.Hostname }},x", uri} << "tags"
        << "{{ .Config.Hostname }},x";
    QTest::newRow("retry default") << QStringList{uri} << "retry-attempts"
                                   << "-1";
    QTest::newRow("hostname") << QStringList{"-hostname=core-01", uri} << "hostname"
                              << "core-01";
    QTest::newRow("hostname dotted") << QStringList{"-hostname=a.b.example", uri} << "hostname"
                                     << "a.b.example";
    QTest::newRow("hostname ...") << QStringList{"-hostname=...", uri} << "hostname"
                                  << "...";
    QTest::newRow("hostname 253 bytes")
        << QStringList{"-hostname=" + QString(253, QLatin1Char('h')), uri} << "hostname"
        << QString(253, QLatin1Char('h'));
    QTest::newRow("hostname unicode") << QStringList{QStringLiteral("-hostname=h\u00f4te"), uri}
                                      << "hostname" << QStringLiteral("h\u00f4te");
    QTest::newRow("uri after --") << QStringList{"--", "-odd://uri"} << "uri"
                                  << "-odd://uri";
    QTest::newRow("uri") << QStringList{"-cleanup", uri} << "uri" << uri;
}

static QString field(const AgentOptions &o, const QString &name)
{
    auto b = [](bool v) { return v ? QStringLiteral("true") : QStringLiteral("false"); };
    if (name == "ip")
        return o.hostIp;
    if (name == "internal")
        return b(o.internal);
    if (name == "explicit")
        return b(o.explicitOnly);
    if (name == "ttl")
        return QString::number(o.ttl);
    if (name == "ttl-refresh")
        return QString::number(o.ttlRefresh);
    if (name == "deregister")
        return o.deregister;
    if (name == "register-healthy")
        return b(o.registerHealthy);
    if (name == "tags")
        return o.tags;
    if (name == "retry-attempts")
        return QString::number(o.retryAttempts);
    if (name == "hostname")
        return o.hostname;
    if (name == "uri")
        return o.registryUri;
    return QStringLiteral("?");
}

void tst_AgentOptions::parses()
{
    QFETCH(QStringList, args);
    QFETCH(QString, field);
    QFETCH(QString, expected);
    const AgentArguments a = AgentArguments::parse(args);
    QCOMPARE(a.error, QString());
    QCOMPARE(a.outcome, AgentArguments::Outcome::Run);
    QCOMPARE(::field(a.options, field), expected);
}

void tst_AgentOptions::rejects_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("errorContains");

    const QString uri = QStringLiteral("etcd://127.0.0.1:2379/services");
    QTest::newRow("no uri") << QStringList{} << "missing required argument";
    QTest::newRow("only flags") << QStringList{"-internal"} << "missing required argument";
    QTest::newRow("unknown flag") << QStringList{"-bogus", uri} << "not defined: -bogus";
    QTest::newRow("flag after uri")
        << QStringList{uri, "-ip=1.2.3.4"} << "options must come before the registry URI";
    QTest::newRow("missing value") << QStringList{"-ip"} << "flag needs an argument: -ip";
    QTest::newRow("bad int") << QStringList{"-ttl=abc", uri} << "not an integer";
    QTest::newRow("ttl too small") << QStringList{"-ttl=1", uri} << "at least 2";
    QTest::newRow("bad bool") << QStringList{"-internal=yes", uri} << "invalid boolean";
    QTest::newRow("bad register-healthy")
        << QStringList{"-register-healthy=maybe", uri} << "invalid boolean";
    QTest::newRow("bad deregister") << QStringList{"-deregister=never", uri} << "-deregister";
    QTest::newRow("refresh >= ttl")
        << QStringList{"-ttl=10", "-ttl-refresh=10", uri} << "greater than -ttl-refresh";
    QTest::newRow("triple dash") << QStringList{"---ip=1", uri} << "bad flag syntax";
    QTest::newRow("hostname slash") << QStringList{"-hostname=a/b", uri} << "-hostname";
    QTest::newRow("hostname colon") << QStringList{"-hostname=a:b", uri} << "'/' or ':'";
    QTest::newRow("hostname empty") << QStringList{"-hostname=", uri} << "-hostname: must not";
    QTest::newRow("hostname empty separate")
        << QStringList{"-hostname", "", uri} << "-hostname: must not";
    QTest::newRow("hostname dot") << QStringList{"-hostname=.", uri} << "\".\" is not";
    QTest::newRow("hostname dotdot") << QStringList{"-hostname=..", uri} << "\"..\" is not";
    QTest::newRow("hostname newline")
        << QStringList{"-hostname=a\nb", uri} << "-hostname: \"a\\nb\" contains a control";
    QTest::newRow("hostname tab") << QStringList{"-hostname=a\tb", uri} << "\"a\\tb\"";
    QTest::newRow("hostname nul") << QStringList{QStringLiteral("-hostname=a") + QChar(0) +
                                                     QStringLiteral("b"),
                                                 uri}
                                  << "\"a\\u0000b\"";
    QTest::newRow("hostname del") << QStringList{"-hostname=a\x7f", uri} << "\"a\\u007f\"";
    QTest::newRow("hostname 254 bytes")
        << QStringList{"-hostname=" + QString(254, QLatin1Char('h')), uri} << "longer than 253";
    QTest::newRow("hostname 127 two-byte chars")
        << QStringList{"-hostname=" + QString(127, QChar(0xe9)), uri} << "longer than 253";
    QTest::newRow("ttl newline") << QStringList{"-ttl=a\nb", uri}
                                 << "invalid value \"a\\nb\" for flag -ttl";
    QTest::newRow("ttl carriage return")
        << QStringList{"-ttl=1\r", uri} << "invalid value \"1\\r\" for flag -ttl";
    QTest::newRow("bool escape") << QStringList{"-internal=\x1b[2J", uri} << "\"\\u001b[2J\"";
    QTest::newRow("deregister newline")
        << QStringList{"-deregister=a\nINFO forged", uri} << "not \"a\\nINFO forged\"";
    QTest::newRow("unknown flag newline") << QStringList{"-bo\ngus", uri} << "-bo\\ngus";
    QTest::newRow("extra args newline")
        << QStringList{uri, "x\ny"} << "x\\ny (options must come before";
    QTest::newRow("feed without port") << QStringList{"-feed=127.0.0.1", uri} << "-feed must be";
    QTest::newRow("feed bad port") << QStringList{"-feed=127.0.0.1:http", uri} << "-feed must be";
    QTest::newRow("feed wildcard no token")
        << QStringList{"-feed=0.0.0.0:8080", uri} << "-feed-token-file";
    QTest::newRow("feed v6 wildcard no token")
        << QStringList{"-feed=[::]:8080", uri} << "-feed-token-file";
    QTest::newRow("feed host name") << QStringList{"-feed=example:8080", uri} << "not an IP";
    QTest::newRow("feed cert alone") << QStringList{"-feed-cert=/x", uri} << "together";
    QTest::newRow("password without user")
        << QStringList{"-etcd-password-file=/x", uri} << "needs -etcd-user";
}

void tst_AgentOptions::rejects()
{
    QFETCH(QStringList, args);
    QFETCH(QString, errorContains);
    const AgentArguments a = AgentArguments::parse(args);
    QCOMPARE(a.outcome, AgentArguments::Outcome::Error);
    QVERIFY2(a.error.contains(errorContains), qPrintable(a.error));
    QVERIFY(!a.error.contains(QLatin1Char('\n')));
}

void tst_AgentOptions::helpAndVersion_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("outcome");
    QTest::newRow("--help") << QStringList{"--help"} << int(AgentArguments::Outcome::Help);
    QTest::newRow("-h") << QStringList{"-h"} << int(AgentArguments::Outcome::Help);
    QTest::newRow("--version") << QStringList{"--version"} << int(AgentArguments::Outcome::Version);
    QTest::newRow("-version") << QStringList{"-version"} << int(AgentArguments::Outcome::Version);
}

void tst_AgentOptions::helpAndVersion()
{
    QFETCH(QStringList, args);
    QFETCH(int, outcome);
    QCOMPARE(int(AgentArguments::parse(args).outcome), outcome);
    QVERIFY(AgentArguments::usage().contains(QLatin1String("-deregister")));
    QVERIFY(AgentArguments::usage().contains(QLatin1String("-register-healthy\n")));
}

QTEST_GUILESS_MAIN(tst_AgentOptions)
#include "tst_agentoptions.moc"
