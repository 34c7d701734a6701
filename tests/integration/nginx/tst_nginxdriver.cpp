// NginxDriver against Debian's real nginx on loopback (integration.nginx_driver): the files it
// writes, reloads proven by new workers, a refused config that changes nothing, verify() after
// a restart, and 0 failed requests at wrk across reloads. Backends are busybox httpd answering
// their own name; traffic is curl and wrk to 127.0.0.1 only.

#include "PrivateNginx.h"
#include "balancer/NginxDriver.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

namespace {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

PlannedServer server(const IdentityBackend &b)
{
    PlannedServer s;
    s.id = QStringLiteral("test-host:%1:80").arg(b.name());
    s.ip = QStringLiteral("127.0.0.1");
    s.port = b.port();
    return s;
}

PlannedBackend upstream(const QString &service, PlannedBackend::Mode mode,
                        QList<PlannedServer> servers)
{
    PlannedBackend b;
    b.service = service;
    b.name = QStringLiteral("portolan_") + service;
    b.mode = mode;
    b.servers = std::move(servers);
    b.registered = b.servers.size();
    return b;
}

// The curl answers of n requests through nginx, counted by body ("a", "b", "502" ...).
QMap<QString, int> curlCounts(int port, int n)
{
    QMap<QString, int> counts;
    for (int i = 0; i < n; ++i) {
        QProcess curl;
        curl.start(QStringLiteral("curl"),
                   {QStringLiteral("-s"), QStringLiteral("-m"), QStringLiteral("5"),
                    QStringLiteral("-w"), QStringLiteral("%{http_code}"),
                    QStringLiteral("http://127.0.0.1:%1/").arg(port)});
        curl.waitForFinished(10000);
        const QString out = QString::fromUtf8(curl.readAllStandardOutput());
        const QString code = out.right(3);
        counts[code == QLatin1String("200") ? out.chopped(3).trimmed() : code] += 1;
    }
    return counts;
}

QString describe(const QMap<QString, int> &counts)
{
    QStringList parts;
    for (auto it = counts.begin(); it != counts.end(); ++it)
        parts << QStringLiteral("%1=%2").arg(it.key()).arg(it.value());
    return parts.join(QLatin1Char(' '));
}

} // namespace

class tst_NginxDriver : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void prepare();
    void firstApplyBeforeNginxRuns();
    void trafficReachesBoth();
    void removeOne();
    void emptyIsPlaceholder();
    void refusedByOperatorConfig();
    void refusedByPlan();
    void failedReload();
    void notIncluded();
    void verifyAfterRestartAndEdit();
    void zeroFailedAcrossReloads();
    void cleanupTestCase();

private:
    BalancerPlan plan(QList<PlannedServer> web) const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<PrivateNginx> m_nginx;
    std::unique_ptr<NginxDriver> m_driver;
    QList<std::shared_ptr<IdentityBackend>> m_backends; // a, b, redis
    PlannedServer m_a, m_b, m_redis;
};

BalancerPlan tst_NginxDriver::plan(QList<PlannedServer> web) const
{
    BalancerPlan p;
    p.backends = {upstream(QStringLiteral("redis"), PlannedBackend::Mode::Tcp, {m_redis}),
                  upstream(QStringLiteral("web"), PlannedBackend::Mode::Http, web)};
    return p;
}

void tst_NginxDriver::initTestCase()
{
    for (const char *tool : {"nginx", "busybox", "curl", "wrk"})
        if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty() &&
            QStandardPaths::findExecutable(QString::fromLatin1(tool), {QStringLiteral("/usr/sbin")})
                .isEmpty())
            QFAIL(qPrintable(QStringLiteral("%1 is missing: apt-get install nginx-light "
                                            "libnginx-mod-stream busybox-static curl wrk")
                                 .arg(QString::fromLatin1(tool))));
    const QString root = qEnvironmentVariable("PORTOLAN_TEST_OUT", QStringLiteral("/tmp"));
    m_dir = std::make_unique<QTemporaryDir>(root + QStringLiteral("/portolan-nginx.XXXXXX"));
    QVERIFY(m_dir->isValid());
    m_dir->setAutoRemove(qEnvironmentVariable("PORTOLAN_TEST_KEEP") != QLatin1String("1"));
    for (const char *name : {"a", "b", "redis"}) {
        auto b = std::make_shared<IdentityBackend>(m_dir->path(), QString::fromLatin1(name));
        const QString e = b->start();
        QVERIFY2(e.isEmpty(), qPrintable(e));
        m_backends.append(b);
    }
    m_a = server(*m_backends[0]);
    m_b = server(*m_backends[1]);
    m_redis = server(*m_backends[2]);
    m_nginx = std::make_unique<PrivateNginx>(m_dir->path());
    NginxDriver::Options o = m_nginx->options();
    o.reloadTimeoutMs = 3000; // failedReload waits this long for workers that never come
    m_driver = std::make_unique<NginxDriver>(o);
}

void tst_NginxDriver::prepare()
{
    QCOMPARE(m_driver->kind(), QStringLiteral("nginx"));
    QCOMPARE(m_driver->prepare(), QString());
    QVERIFY2(QRegularExpression(QStringLiteral("^\\d+\\.\\d+\\.\\d+$"))
                 .match(m_driver->version())
                 .hasMatch(),
             qPrintable(m_driver->version()));

    NginxDriver::Options o = m_nginx->options();
    o.nginxBinary = m_dir->filePath(QStringLiteral("no-such-nginx"));
    QVERIFY(NginxDriver(o).prepare().startsWith(QLatin1String("could not run")));

    // A file portolan-lb did not write is never replaced.
    o = m_nginx->options();
    o.httpConfigPath = m_dir->filePath(QStringLiteral("operator.conf"));
    QFile f(o.httpConfigPath);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("upstream mine { server 127.0.0.1:9; }\n");
    f.close();
    const QString e = NginxDriver(o).prepare();
    QVERIFY2(e.contains(QLatin1String("was not written by portolan-lb")), qPrintable(e));

    o = m_nginx->options();
    o.httpConfigPath.clear();
    o.streamConfigPath.clear();
    QVERIFY(NginxDriver(o).prepare().startsWith(QLatin1String("no path for nginx's upstream")));

    o = m_nginx->options();
    o.streamConfigPath = m_dir->filePath(QStringLiteral("no-such-dir/stream.conf"));
    QVERIFY(NginxDriver(o).prepare().startsWith(QLatin1String("portolan-lb cannot write in")));
}

void tst_NginxDriver::firstApplyBeforeNginxRuns()
{
    // No nginx yet: the files pass nginx -t and stay, so nginx can start with them.
    QVERIFY(!m_driver->verify(nullptr));
    const BalancerDriver::Result r = m_driver->apply(plan({m_a, m_b}));
    QVERIFY(!r.ok);
    QVERIFY(!r.configRefused);
    QVERIFY2(r.error.startsWith(QLatin1String("nginx is not running")), qPrintable(r.error));
    QVERIFY(readFile(m_nginx->options().httpConfigPath).contains("upstream portolan_web {"));
    QVERIFY(readFile(m_nginx->options().streamConfigPath).contains("upstream portolan_redis {"));
    const QString e = m_nginx->start();
    QVERIFY2(e.isEmpty(), qPrintable(e));
}

void tst_NginxDriver::trafficReachesBoth()
{
    const QList<qint64> before = m_nginx->workers();
    BalancerDriver::Result r = m_driver->apply(plan({m_a, m_b}));
    QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(r.reloaded);
    QCOMPARE(r.method, BalancerDriver::Change::Reload);
    const QList<qint64> after = m_nginx->workers();
    QVERIFY(!after.isEmpty());
    for (qint64 w : after)
        QVERIFY2(!before.contains(w), "the reload was reported before the workers changed");
    QVERIFY(m_driver->verify(nullptr));

    const QMap<QString, int> counts = curlCounts(m_nginx->httpPort(), 20);
    QVERIFY2(counts.value(QStringLiteral("a")) > 0 && counts.value(QStringLiteral("b")) > 0 &&
                 counts.value(QStringLiteral("a")) + counts.value(QStringLiteral("b")) == 20,
             qPrintable(describe(counts)));
    QCOMPARE(httpGet(m_nginx->streamPort()), QByteArray("redis\n")); // through the stream block

    // The same plan again: nothing to do, no reload.
    QCOMPARE(m_driver->classify(plan({m_a, m_b})), BalancerDriver::Change::None);
    QCOMPARE(m_driver->classify(plan({m_a})), BalancerDriver::Change::Reload);
    r = m_driver->apply(plan({m_a, m_b}));
    QVERIFY(r.ok);
    QCOMPARE(r.method, BalancerDriver::Change::None);
    QVERIFY(!r.reloaded);
    QCOMPARE(m_nginx->workers(), after);
}

void tst_NginxDriver::removeOne()
{
    const BalancerDriver::Result r = m_driver->apply(plan({m_b}));
    QVERIFY2(r.ok && r.reloaded, qPrintable(r.error));
    const QMap<QString, int> counts = curlCounts(m_nginx->httpPort(), 10);
    QVERIFY2(counts.value(QStringLiteral("b")) == 10, qPrintable(describe(counts)));
}

void tst_NginxDriver::emptyIsPlaceholder()
{
    BalancerPlan empty = plan({});
    empty.backends[0].servers.clear(); // redis too: the stream placeholder
    const BalancerDriver::Result r = m_driver->apply(empty);
    QVERIFY2(r.ok && r.reloaded, qPrintable(r.error)); // so nginx -T accepted both files
    QVERIFY(readFile(m_nginx->options().streamConfigPath)
                .contains("upstream portolan_redis {\n    server 127.0.0.1:1 down;"));
    int status = -1;
    QCOMPARE(httpGet(m_nginx->streamPort(), 2000, &status), QByteArray()); // closed at once
    QCOMPARE(status, 0);
    QVERIFY(readFile(m_nginx->options().httpConfigPath)
                .contains("upstream portolan_web {\n    server 127.0.0.1:1 down;"));
    const QMap<QString, int> counts = curlCounts(m_nginx->httpPort(), 3);
    QVERIFY2(counts.value(QStringLiteral("502")) == 3, qPrintable(describe(counts)));
}

void tst_NginxDriver::refusedByOperatorConfig()
{
    // The operator breaks their own config after nginx started.
    const QString main = m_nginx->mainConfig();
    const QByteArray good = readFile(main);
    auto writeMain = [&main](const QByteArray &bytes) {
        QFile f(main);
        return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
    };
    // The good config comes back even when a check below fails, so later tests still run.
    const std::shared_ptr<void> putBack(nullptr, [&](void *) { writeMain(good); });
    QVERIFY(writeMain(
        QByteArray(good).replace("access_log off;", "access_log off;\n    bogus_directive on;")));

    const QByteArray onDisk = readFile(m_nginx->options().httpConfigPath);
    const QList<qint64> workers = m_nginx->workers();
    const BalancerDriver::Result r = m_driver->apply(plan({m_a}));
    QVERIFY(!r.ok);
    QVERIFY(r.configRefused);
    QVERIFY(!r.reloaded);
    QVERIFY2(r.error.contains(QLatin1String("unknown directive \"bogus_directive\"")),
             qPrintable(r.error));
    qInfo().noquote() << "refused:" << r.error;
    QCOMPARE(readFile(m_nginx->options().httpConfigPath), onDisk); // never a bad file on disk
    QCOMPARE(m_nginx->workers(), workers);                         // no reload
    QCOMPARE(curlCounts(m_nginx->httpPort(), 2).value(QStringLiteral("502")), 2); // old config
    QVERIFY(!m_driver->verify(nullptr)); // unverified now: the next apply reloads

    QVERIFY(writeMain(good));
    const BalancerDriver::Result again = m_driver->apply(plan({m_a}));
    QVERIFY2(again.ok && again.reloaded, qPrintable(again.error));
    QCOMPARE(curlCounts(m_nginx->httpPort(), 3).value(QStringLiteral("a")), 3);
}

void tst_NginxDriver::refusedByPlan()
{
    // Two upstreams of one name (a planner bug) make nginx -t fail on portolan-lb's own file.
    BalancerPlan bad = plan({m_b});
    bad.backends.append(upstream(QStringLiteral("web"), PlannedBackend::Mode::Http, {m_a}));
    const QByteArray onDisk = readFile(m_nginx->options().httpConfigPath);
    const QList<qint64> workers = m_nginx->workers();
    const BalancerDriver::Result r = m_driver->apply(bad);
    QVERIFY(!r.ok && r.configRefused && !r.reloaded);
    QVERIFY2(r.error.contains(QLatin1String("duplicate upstream \"portolan_web\"")),
             qPrintable(r.error));
    QCOMPARE(readFile(m_nginx->options().httpConfigPath), onDisk);
    QCOMPARE(m_nginx->workers(), workers);
    QCOMPARE(curlCounts(m_nginx->httpPort(), 3).value(QStringLiteral("a")), 3);
}

void tst_NginxDriver::failedReload()
{
    // nginx -t opens no listening sockets, so a port that another process holds passes the
    // check and fails only in the master's reload, which then keeps its old workers and says
    // nothing: the driver must see that no new workers came and put the old file back.
    QTcpServer holder;
    QVERIFY(holder.listen(QHostAddress::LocalHost, 0));
    const QString main = m_nginx->mainConfig();
    const QByteArray good = readFile(main);
    auto writeMain = [&main](const QByteArray &bytes) {
        QFile f(main);
        return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
    };
    const std::shared_ptr<void> putBack(nullptr, [&](void *) { writeMain(good); });
    QVERIFY(writeMain(QByteArray(good).replace(
        "access_log off;", QStringLiteral("access_log off;\n    server { listen 127.0.0.1:%1; }")
                               .arg(holder.serverPort())
                               .toUtf8())));

    const QByteArray onDisk = readFile(m_nginx->options().httpConfigPath);
    const QList<qint64> workers = m_nginx->workers();
    const BalancerDriver::Result r = m_driver->apply(plan({m_b}));
    QVERIFY(!r.ok && !r.configRefused && !r.reloaded);
    QVERIFY2(r.error.contains(QLatin1String("started no new workers within 3 s")),
             qPrintable(r.error));
    qInfo().noquote() << "failed reload:" << r.error;
    QCOMPARE(readFile(m_nginx->options().httpConfigPath), onDisk);
    QCOMPARE(m_nginx->workers(), workers);
    QVERIFY(readFile(m_nginx->errorLog()).contains("Address already in use"));
    QCOMPARE(curlCounts(m_nginx->httpPort(), 3).value(QStringLiteral("a")), 3);
}

void tst_NginxDriver::notIncluded()
{
    // A path the operator's nginx.conf does not include: nginx -t passes, nothing would route.
    NginxDriver::Options o = m_nginx->options();
    o.httpConfigPath = m_dir->filePath(QStringLiteral("not-included.conf"));
    NginxDriver driver(o);
    QCOMPARE(driver.prepare(), QString());
    const QList<qint64> workers = m_nginx->workers();
    const BalancerDriver::Result r = driver.apply(plan({m_a}));
    QVERIFY(!r.ok && !r.reloaded);
    QVERIFY2(r.error.contains(QStringLiteral("does not include %1: add `include %1;` to its http "
                                             "block")
                                  .arg(o.httpConfigPath)),
             qPrintable(r.error));
    QVERIFY(!QFile::exists(o.httpConfigPath)); // it did not exist before: removed again
    QCOMPARE(m_nginx->workers(), workers);
}

void tst_NginxDriver::verifyAfterRestartAndEdit()
{
    BalancerDriver::Result r = m_driver->apply(plan({m_a}));
    QVERIFY2(r.ok, qPrintable(r.error));
    QString error;
    QVERIFY2(m_driver->verify(&error), qPrintable(error));

    const qint64 oldMaster = m_nginx->master();
    m_nginx->stop();
    QVERIFY(!m_driver->verify(&error));
    QVERIFY2(error.startsWith(QLatin1String("nginx is not running")), qPrintable(error));
    QVERIFY(m_nginx->start().isEmpty());
    QVERIFY(m_nginx->master() != oldMaster);
    r = m_driver->apply(plan({m_a}));
    QVERIFY2(r.ok && r.reloaded, qPrintable(r.error)); // a new master is verified afresh
    QVERIFY(m_driver->verify(&error));

    // Restarted behind portolan-lb's back: verify() says so.
    m_nginx->stop();
    QVERIFY(m_nginx->start().isEmpty());
    QVERIFY(!m_driver->verify(&error));
    QVERIFY2(error.startsWith(QLatin1String("nginx was restarted")), qPrintable(error));
    r = m_driver->apply(plan({m_a}));
    QVERIFY2(r.ok && r.reloaded, qPrintable(r.error));

    // Someone edits portolan-lb's file.
    QFile f(m_nginx->options().httpConfigPath);
    QVERIFY(f.open(QIODevice::Append));
    f.write("# edited\n");
    f.close();
    QVERIFY(!m_driver->verify(&error));
    QVERIFY2(error.contains(QLatin1String("no longer holds what portolan-lb wrote")),
             qPrintable(error));
    r = m_driver->apply(plan({m_a}));
    QVERIFY2(r.ok && r.reloaded, qPrintable(r.error));
    QVERIFY(!readFile(m_nginx->options().httpConfigPath).contains("# edited"));
    QVERIFY(m_driver->verify(&error));
}

void tst_NginxDriver::zeroFailedAcrossReloads()
{
    // A registered instance whose port refuses (it just died): proxy_next_upstream hides it.
    PlannedServer dead;
    dead.id = QStringLiteral("test-host:dead:80");
    dead.ip = QStringLiteral("127.0.0.1");
    dead.port = freeLoopbackPort();
    const QList<QList<PlannedServer>> cycle = {
        {m_a, m_b}, {m_b}, {m_a, m_b, dead}, {m_a}, {m_b, dead},
    };

    // A connection per request: an old worker finishes what it accepted and accepts no more.
    // With keep-alive, a request sent on an idle connection just as the old worker closes it
    // is lost (wrk counts a read error; browsers and HTTP libraries resend such a request):
    // bench/lb_nginx.sh prints how many. 8 connections stay below busybox httpd's listen
    // backlog, so a backend never drops a SYN (a connect timeout that is the backend's fault).
    QProcess wrk;
    wrk.start(QStringLiteral("wrk"),
              {QStringLiteral("-t2"), QStringLiteral("-c8"), QStringLiteral("-d10s"),
               QStringLiteral("--timeout"), QStringLiteral("5s"), QStringLiteral("-H"),
               QStringLiteral("Connection: close"),
               QStringLiteral("http://127.0.0.1:%1/").arg(m_nginx->httpPort())});
    QVERIFY(wrk.waitForStarted(5000));
    QTest::qWait(500);
    int applies = 0;
    for (int i = 0; i < 10; ++i) {
        const BalancerDriver::Result r = m_driver->apply(plan(cycle.at(i % cycle.size())));
        QVERIFY2(r.ok && r.reloaded, qPrintable(r.error));
        ++applies;
        QTest::qWait(650);
    }
    QVERIFY2(wrk.state() != QProcess::NotRunning, "wrk ended before the last reload");
    // qWait runs the event loop, so wrk may already be reaped (waitForFinished is false then).
    QVERIFY(wrk.state() == QProcess::NotRunning || wrk.waitForFinished(20000));
    QCOMPARE(wrk.exitCode(), 0);
    const QString out = QString::fromUtf8(wrk.readAllStandardOutput());
    qInfo().noquote() << out;
    const QRegularExpressionMatch requests =
        QRegularExpression(QStringLiteral("(\\d+) requests in")).match(out);
    QVERIFY2(requests.hasMatch() && requests.captured(1).toLongLong() > 1000, qPrintable(out));
    QVERIFY2(!out.contains(QLatin1String("Non-2xx")), qPrintable(out));
    QVERIFY2(!out.contains(QLatin1String("Socket errors")), qPrintable(out));
    QCOMPARE(applies, 10);
}

void tst_NginxDriver::cleanupTestCase()
{
    if (m_nginx)
        m_nginx->stop();
}

QTEST_GUILESS_MAIN(tst_NginxDriver)
#include "tst_nginxdriver.moc"
