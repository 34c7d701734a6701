// NginxConfig: the upstream include files portolan-lb writes for nginx, byte for byte.

#include "balancer/NginxConfig.h"

#include <QTest>

namespace {

using Mode = PlannedBackend::Mode;

PlannedServer server(const QString &id, const QString &ip, int port)
{
    PlannedServer s;
    s.id = id;
    s.ip = ip;
    s.port = port;
    return s;
}

PlannedBackend backend(const QString &service, const QString &name, Mode mode,
                       QList<PlannedServer> servers)
{
    PlannedBackend b;
    b.service = service;
    b.name = name;
    b.mode = mode;
    b.servers = std::move(servers);
    b.registered = b.servers.size();
    return b;
}

// web (HTTP, two instances), empty (HTTP, none), redis (TCP, one IPv6 instance)
BalancerPlan mixedPlan()
{
    BalancerPlan p;
    p.backends = {
        backend("empty", "portolan_empty", Mode::Http, {}),
        backend("redis", "portolan_redis", Mode::Tcp,
                {server("core-02:redis.1:6379", "fd00::2", 32770)}),
        backend("web", "portolan_web", Mode::Http,
                {server("core-01:web.1:80", "10.0.0.1", 32768),
                 server("core-02:web.2:80", "10.0.0.2", 32769)}),
    };
    return p;
}

const char httpHeader[] =
    "# Written by portolan-lb, which replaces this file whenever the registry changes: do not "
    "edit.\n"
    "# HTTP services (http context): proxy_pass http://portolan_<service>;\n";
const char streamHeader[] =
    "# Written by portolan-lb, which replaces this file whenever the registry changes: do not "
    "edit.\n"
    "# TCP services (stream context): proxy_pass portolan_<service>;\n";

} // namespace

class tst_NginxConfig : public QObject {
    Q_OBJECT
private slots:
    void render_data();
    void render();
    void deterministic();
    void unsafeNameIsAnError();
    void firstError_data();
    void firstError();
};

void tst_NginxConfig::render_data()
{
    QTest::addColumn<BalancerPlan>("plan");
    QTest::addColumn<int>("mode");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("http: servers, and a placeholder marked down for no instances")
        << mixedPlan() << int(Mode::Http)
        << QByteArray(httpHeader) +
               "\n# service empty\n"
               "upstream portolan_empty {\n"
               "    server 127.0.0.1:1 down; # placeholder: no instance takes traffic\n"
               "}\n"
               "\n# service web\n"
               "upstream portolan_web {\n"
               "    server 10.0.0.1:32768 max_fails=1 fail_timeout=10s; # core-01:web.1:80\n"
               "    server 10.0.0.2:32769 max_fails=1 fail_timeout=10s; # core-02:web.2:80\n"
               "}\n";
    QTest::newRow("stream: only TCP services, IPv6 bracketed")
        << mixedPlan() << int(Mode::Tcp)
        << QByteArray(streamHeader) +
               "\n# service redis\n"
               "upstream portolan_redis {\n"
               "    server [fd00::2]:32770 max_fails=1 fail_timeout=10s; # core-02:redis.1:6379\n"
               "}\n";
    QTest::newRow("no backends: the header only")
        << BalancerPlan() << int(Mode::Http) << QByteArray(httpHeader);

    BalancerPlan odd;
    odd.backends = {backend("My Web/β", "portolan_my_web__", Mode::Http,
                            {server("core-01:web\n}\nserver 6.6.6.6:80;", "10.0.0.1", 80)})};
    QTest::newRow("odd names: the plan's safe name in the block, line breaks never leave a "
                  "comment")
        << odd << int(Mode::Http)
        << QByteArray(httpHeader) +
               "\n# service My Web/\xce\xb2\n"
               "upstream portolan_my_web__ {\n"
               "    server 10.0.0.1:80 max_fails=1 fail_timeout=10s; # core-01:web?}?server "
               "6.6.6.6:80;\n"
               "}\n";

    BalancerPlan hostnames;
    hostnames.backends = {backend("web", "portolan_web", Mode::Http,
                                  {server("a", "example.org", 80), server("b", "10.0.0.1", 0)})};
    QTest::newRow("not an IP address and port: left out, so nginx never resolves a name")
        << hostnames << int(Mode::Http)
        << QByteArray(httpHeader) +
               "\n# service web\n"
               "upstream portolan_web {\n"
               "    # left out a: \"example.org:80\" is not an IP address and port\n"
               "    # left out b: \"10.0.0.1:0\" is not an IP address and port\n"
               "    server 127.0.0.1:1 down; # placeholder: no instance takes traffic\n"
               "}\n";
}

void tst_NginxConfig::render()
{
    QFETCH(BalancerPlan, plan);
    QFETCH(int, mode);
    QFETCH(QByteArray, expected);
    QString error;
    const QByteArray out =
        NginxConfig::render(plan, static_cast<Mode>(mode), NginxConfig::Settings(), &error);
    QCOMPARE(error, QString());
    QCOMPARE(out, expected);
    QVERIFY(out.startsWith(NginxConfig::header()));
}

void tst_NginxConfig::deterministic()
{
    // The same membership handed over in another order gives the same bytes.
    BalancerPlan shuffled = mixedPlan();
    std::reverse(shuffled.backends.begin(), shuffled.backends.end());
    std::reverse(shuffled.backends[0].servers.begin(), shuffled.backends[0].servers.end());
    NginxConfig::Settings s;
    s.maxFails = 3;
    s.failTimeoutSeconds = 5;
    QString error;
    const QByteArray a = NginxConfig::render(mixedPlan(), Mode::Http, s, &error);
    QCOMPARE(NginxConfig::render(mixedPlan(), Mode::Http, s, &error), a);
    QCOMPARE(NginxConfig::render(shuffled, Mode::Http, s, &error), a);
    QVERIFY(a.contains("server 10.0.0.1:32768 max_fails=3 fail_timeout=5s;"));

    // The registered count (instances not taking traffic) is not written: it must not cost a
    // reload.
    BalancerPlan more = mixedPlan();
    more.backends[2].registered = 7;
    QCOMPARE(NginxConfig::render(more, Mode::Http, s, &error), a);
    // One server less is a different file.
    more.backends[2].servers.removeLast();
    QVERIFY(NginxConfig::render(more, Mode::Http, s, &error) != a);
}

void tst_NginxConfig::unsafeNameIsAnError()
{
    BalancerPlan p;
    p.backends = {backend("web", "portolan_web { }", Mode::Http, {})};
    QString error;
    QCOMPARE(NginxConfig::render(p, Mode::Http, NginxConfig::Settings(), &error), QByteArray());
    QVERIFY2(error.contains(QLatin1String("\"portolan_web { }\" of service web")),
             qPrintable(error));
    // A backend of the other mode is not looked at.
    error.clear();
    QVERIFY(!NginxConfig::render(p, Mode::Tcp, NginxConfig::Settings(), &error).isEmpty());
    QCOMPARE(error, QString());
}

void tst_NginxConfig::firstError_data()
{
    QTest::addColumn<QByteArray>("output");
    QTest::addColumn<QString>("expected");
    // Captured from Debian's nginx 1.22.1 (`nginx -t`).
    QTest::newRow("emerg") << QByteArray("nginx: [emerg] unknown directive \"bogus\" in "
                                         "/tmp/n/nginx.conf:12\nnginx: configuration file "
                                         "/tmp/n/nginx.conf test failed\n")
                           << "unknown directive \"bogus\" in /tmp/n/nginx.conf:12";
    QTest::newRow("an alert before the emerg")
        << QByteArray("nginx: [alert] could not open error log file: open() "
                      "\"/var/log/nginx/error.log\" failed (13: Permission denied)\n"
                      "nginx: [emerg] no servers are inside upstream in /tmp/u.conf:4\n")
        << "no servers are inside upstream in /tmp/u.conf:4";
    QTest::newRow("error_log in a file: timestamp and pid#tid")
        << QByteArray("2026/12/03 03:39:06 [emerg] 8167#8167: no servers are inside upstream in "
                      "/tmp/ngx/t/u.conf:2\nnginx: configuration file /tmp/ngx/t/nginx.conf "
                      "test failed\n")
        << "no servers are inside upstream in /tmp/ngx/t/u.conf:2";
    QTest::newRow("no level") << QByteArray("\n  something odd\n") << "something odd";
    QTest::newRow("nothing") << QByteArray() << QString();
}

void tst_NginxConfig::firstError()
{
    QFETCH(QByteArray, output);
    QFETCH(QString, expected);
    QCOMPARE(NginxConfig::firstError(output), expected);
}

QTEST_GUILESS_MAIN(tst_NginxConfig)
#include "tst_nginxconfig.moc"
