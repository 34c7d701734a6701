// HaproxyDriver against Debian's real haproxy in master-worker mode on loopback ports, with
// busybox httpd backends that answer their own name, curl and wrk. A frontend in the test's
// main config sends traffic to portolan_web (and, by name at run time, to portolan_api).
#include "balancer/HaproxyDriver.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <csignal>

namespace {
int freePort()
{
    QTcpServer s;
    s.listen(QHostAddress::LocalHost, 0);
    return s.serverPort();
}

QString readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

void writeAll(const QString &path, const QByteArray &data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(data);
}

// curl through HAProxy: the body (the backend's name) or "HTTP <code>"/"curl <exit>".
QString get(int port, const QString &path = QStringLiteral("/"))
{
    QProcess curl;
    curl.start("curl", {"-s", "-m", "3", "-w", "%{http_code}",
                        QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)});
    if (!curl.waitForFinished(5000) || curl.exitCode() != 0)
        return QStringLiteral("curl %1").arg(curl.exitCode());
    const QString out = QString::fromUtf8(curl.readAllStandardOutput());
    if (!out.endsWith(QLatin1String("200")))
        return QStringLiteral("HTTP ") + out.right(3);
    return out.chopped(3).trimmed();
}

QSet<QString> answers(int port, int n = 8)
{
    QSet<QString> seen;
    for (int i = 0; i < n; ++i)
        seen.insert(get(port));
    return seen;
}
} // namespace

class TestHaproxyDriver : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QProcess m_haproxy;
    QList<QProcess *> m_httpd;
    QList<int> m_ports; // backend i answers "srv-i" on m_ports[i]
    int m_fe = 0;
    int m_feApi = 0;
    HaproxyDriver::Options m_opt;
    HaproxyDriver *m_driver = nullptr;

    PlannedServer srv(int i)
    {
        PlannedServer s;
        s.id = QStringLiteral("core-01:srv-%1:80").arg(i);
        s.ip = QStringLiteral("127.0.0.1");
        s.port = m_ports.at(i);
        return s;
    }
    BalancerPlan plan(const QList<int> &web, const QList<int> &api = {}, bool withApi = false)
    {
        BalancerPlan p;
        auto add = [&](const QString &service, const QList<int> &ids) {
            PlannedBackend b;
            b.service = service;
            b.name = QStringLiteral("portolan_") + service;
            for (int i : ids)
                b.servers.append(srv(i));
            b.registered = int(b.servers.size());
            p.backends.append(b);
        };
        if (withApi)
            add("api", api);
        add("web", web);
        return p;
    }
    HaproxyProcesses proc()
    {
        QString error;
        HaproxySocket master(HaproxySocket::Kind::Master, m_opt.masterSocket);
        return HaproxyLive::parseShowProc(master.exchange("show proc", &error));
    }
    QString cli(const QString &command)
    {
        QString error;
        HaproxySocket s(HaproxySocket::Kind::Runtime, m_opt.runtimeSocket);
        return s.exchange(command, &error) + error;
    }
    void startHaproxy()
    {
        m_haproxy.setProcessChannelMode(QProcess::MergedChannels);
        m_haproxy.start("haproxy", {"-W", "-S", m_opt.masterSocket, "-f", m_opt.mainConfigPath,
                                    "-f", m_opt.configPath});
        QVERIFY(m_haproxy.waitForStarted(5000));
        QElapsedTimer t;
        t.start();
        while (!proc().valid || proc().workerPid == 0) {
            QVERIFY2(t.elapsed() < 5000, m_haproxy.readAll().constData());
            QThread::msleep(20);
        }
    }
    void startHttpd(int i)
    {
        QProcess *p = m_httpd.at(i);
        p->start("busybox", {"httpd", "-f", "-p", QStringLiteral("127.0.0.1:%1").arg(m_ports.at(i)),
                             "-h", m_dir.filePath(QStringLiteral("www%1").arg(i))});
        QVERIFY2(p->waitForStarted(3000), "busybox httpd did not start (busybox-static)");
        QElapsedTimer t;
        t.start();
        for (;;) { // listening?
            QTcpSocket probe;
            probe.connectToHost(QHostAddress::LocalHost, quint16(m_ports.at(i)));
            if (probe.waitForConnected(200))
                break;
            QVERIFY2(t.elapsed() < 3000, "busybox httpd does not listen");
            QThread::msleep(10);
        }
    }
    void stopHttpd(int i)
    {
        m_httpd.at(i)->kill();
        m_httpd.at(i)->waitForFinished(2000);
    }
    void stopHaproxy()
    {
        if (m_haproxy.state() == QProcess::NotRunning)
            return;
        ::kill(pid_t(m_haproxy.processId()), SIGTERM);
        if (!m_haproxy.waitForFinished(5000)) {
            m_haproxy.kill();
            m_haproxy.waitForFinished(2000);
        }
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        for (int i = 0; i < 6; ++i) {
            const QString home = m_dir.filePath(QStringLiteral("www%1").arg(i));
            QDir().mkpath(home + "/cgi-bin");
            writeAll(home + "/index.html", QStringLiteral("srv-%1\n").arg(i).toUtf8());
            // A request that takes 1.5 s, to hold a connection on a leaving server.
            writeAll(home + "/cgi-bin/slow",
                     QStringLiteral("#!/bin/sh\nsleep 1.5\necho 'Content-Type: text/plain'\n"
                                    "echo\necho slow-%1\n")
                         .arg(i)
                         .toUtf8());
            QFile::setPermissions(home + "/cgi-bin/slow", QFile::ReadOwner | QFile::ExeOwner);
            m_ports.append(freePort());
            m_httpd.append(new QProcess(this));
            startHttpd(i);
        }
        m_fe = freePort();
        m_feApi = freePort();
        m_opt.configPath = m_dir.filePath("portolan.cfg");
        m_opt.mainConfigPath = m_dir.filePath("main.cfg");
        m_opt.runtimeSocket = m_dir.filePath("admin.sock");
        m_opt.masterSocket = m_dir.filePath("master.sock");
        writeAll(
            m_opt.mainConfigPath,
            QStringLiteral("global\n    stats socket %1 level admin mode 600\n"
                           "    hard-stop-after 10s\n"
                           "defaults\n    mode http\n    timeout connect 2s\n"
                           "    timeout client 20s\n    timeout server 20s\n"
                           "frontend fe\n    bind 127.0.0.1:%2\n    default_backend portolan_web\n"
                           "frontend fe_api\n    bind 127.0.0.1:%3\n"
                           "    use_backend %[str(portolan_api)]\n")
                .arg(m_opt.runtimeSocket)
                .arg(m_fe)
                .arg(m_feApi)
                .toUtf8());
        m_driver = new HaproxyDriver(m_opt);
        QCOMPARE(m_driver->prepare(), QString());
        QCOMPARE(m_driver->version(), QStringLiteral("2.6.12"));
        // HAProxy is not running yet: the first apply writes the checked file it starts with.
        const BalancerDriver::Result first = applied(plan({}));
        QVERIFY(!first.ok);
        QVERIFY2(first.error.contains("is written for haproxy's next start"),
                 qPrintable(first.error));
        startHaproxy();
        QString error;
        QVERIFY2(m_driver->verify(&error), qPrintable(error));
        QCOMPARE(m_driver->classify(plan({})), BalancerDriver::Change::None);
        QCOMPARE(get(m_fe), QStringLiteral("HTTP 503")); // an empty backend
    }

    void cleanupTestCase()
    {
        delete m_driver;
        stopHaproxy();
        for (QProcess *p : m_httpd) {
            p->kill();
            p->waitForFinished(2000);
        }
    }

    // What the controller does: apply, then (once changes are quiet) persist() writes runtime
    // changes to the file.
    BalancerDriver::Result applied(const BalancerPlan &p)
    {
        BalancerDriver::Result r = m_driver->apply(p);
        if (r.ok && m_driver->hasUnpersisted()) {
            const BalancerDriver::Result w = m_driver->persist();
            r.ok = w.ok;
            r.error = w.error;
            r.configRefused = r.configRefused || w.configRefused;
        }
        return r;
    }

    void membershipGoesThroughTheRuntimeApi()
    {
        const int reloads = proc().reloads;
        QCOMPARE(m_driver->classify(plan({1, 2})), BalancerDriver::Change::Runtime);
        BalancerDriver::Result r = m_driver->apply(plan({1, 2}));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.method, BalancerDriver::Change::Runtime);
        QVERIFY(!r.reloaded);
        QCOMPARE(answers(m_fe), (QSet<QString>{"srv-1", "srv-2"}));
        QCOMPARE(m_driver->classify(plan({1, 2})), BalancerDriver::Change::None);
        // The file follows the runtime state once persisted, so a reload would keep it.
        QVERIFY(m_driver->hasUnpersisted());
        r = m_driver->persist();
        QVERIFY2(r.ok, qPrintable(r.error));
        QVERIFY(!m_driver->hasUnpersisted());
        const QString file = readAll(m_opt.configPath);
        QVERIFY(file.contains(srv(1).address()) && file.contains(srv(2).address()));
        // Leaving: maintenance, then `del server` (no connection is left on it).
        r = applied(plan({2}));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(answers(m_fe), (QSet<QString>{"srv-2"}));
        QVERIFY(!cli("show servers state portolan_web").contains(srv(1).id.left(10) + ":80-"));
        QVERIFY(!readAll(m_opt.configPath).contains(srv(1).address()));
        // An address change of the same id: the new address is added, the old one leaves.
        BalancerPlan moved = plan({2});
        moved.backends[0].servers[0].port = m_ports.at(3);
        r = applied(moved);
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(answers(m_fe), (QSet<QString>{"srv-3"}));
        r = applied(plan({2}));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(proc().reloads, reloads); // no reload for any of it
        QString error;
        QVERIFY2(m_driver->verify(&error), qPrintable(error));
    }

    void aNewServiceReloadsOnce()
    {
        const HaproxyProcesses before = proc();
        QCOMPARE(get(m_feApi), QStringLiteral("HTTP 503")); // no such backend yet
        QCOMPARE(m_driver->classify(plan({2}, {5}, true)), BalancerDriver::Change::Reload);
        QElapsedTimer t;
        t.start();
        const BalancerDriver::Result r = applied(plan({2}, {5}, true));
        qInfo("reload path apply took %lld ms", t.elapsed());
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.method, BalancerDriver::Change::Reload);
        QVERIFY(r.reloaded);
        const HaproxyProcesses after = proc();
        QCOMPARE(after.reloads, before.reloads + 1);
        QVERIFY(after.workerPid != before.workerPid);
        QCOMPARE(get(m_feApi), QStringLiteral("srv-5"));
        QCOMPARE(answers(m_fe), (QSet<QString>{"srv-2"}));
        QCOMPARE(m_driver->classify(plan({2}, {5}, true)), BalancerDriver::Change::None);
    }

    void aRefusedConfigChangesNothing()
    {
        const QString mainGood = readAll(m_opt.mainConfigPath);
        const QString fileBefore = readAll(m_opt.configPath);
        const int reloads = proc().reloads;
        // The operator's config on disk now has an error: no new file passes haproxy -c.
        writeAll(m_opt.mainConfigPath, (mainGood + "    bogus_keyword 1\n").toUtf8());
        BalancerDriver::Result r = applied(plan({2}));
        QVERIFY(!r.ok);
        QVERIFY(r.configRefused);
        QVERIFY(!r.reloaded);
        QVERIFY2(r.error.contains("unknown keyword 'bogus_keyword'"), qPrintable(r.error));
        QCOMPARE(readAll(m_opt.configPath), fileBefore);
        QVERIFY(!QFile::exists(m_opt.configPath + ".new"));
        QCOMPARE(proc().reloads, reloads);
        QCOMPARE(get(m_feApi), QStringLiteral("srv-5")); // the old config keeps serving
        // A runtime change is still applied, but the file cannot follow: said, and retried.
        r = applied(plan({2, 4}, {5}, true));
        QVERIFY(!r.ok);
        QVERIFY(r.configRefused);
        QCOMPARE(answers(m_fe), (QSet<QString>{"srv-2", "srv-4"}));
        QVERIFY(m_driver->hasUnpersisted()); // the controller calls persist() again later
        writeAll(m_opt.mainConfigPath, mainGood.toUtf8());
        r = applied(plan({2, 4}, {5}, true));
        QVERIFY2(r.ok, qPrintable(r.error));
        QVERIFY(readAll(m_opt.configPath).contains(srv(4).address()));
        QCOMPARE(proc().reloads, reloads);
    }

    void aFailedReloadPutsTheFileBack()
    {
        // haproxy -c binds nothing, so a frontend on a port that is taken passes the check and
        // fails the reload: the operator's edit, found only by `show proc`.
        QTcpServer taken;
        QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
        const QString mainGood = readAll(m_opt.mainConfigPath);
        writeAll(m_opt.mainConfigPath, (mainGood + QStringLiteral("frontend taken\n    bind "
                                                                  "127.0.0.1:%1\n")
                                                       .arg(taken.serverPort()))
                                           .toUtf8());
        const QString fileBefore = readAll(m_opt.configPath);
        const HaproxyProcesses before = proc();
        BalancerDriver::Result r = applied(plan({2, 4}, {5}, false)); // api goes
        QVERIFY(!r.ok);
        QCOMPARE(r.method, BalancerDriver::Change::Reload);
        QVERIFY(!r.configRefused);
        QVERIFY(!r.reloaded);
        QVERIFY2(r.error.contains("haproxy refused to reload"), qPrintable(r.error));
        QCOMPARE(readAll(m_opt.configPath), fileBefore);
        const HaproxyProcesses after = proc();
        QCOMPARE(after.workerPid, before.workerPid); // the old worker serves on
        QCOMPARE(get(m_feApi), QStringLiteral("srv-5"));
        QCOMPARE(answers(m_fe), (QSet<QString>{"srv-2", "srv-4"}));
        writeAll(m_opt.mainConfigPath, mainGood.toUtf8());
        QString error;
        QVERIFY2(m_driver->verify(&error), qPrintable(error)); // it holds the old plan
        QCOMPARE(m_driver->classify(plan({2, 4}, {5}, true)), BalancerDriver::Change::None);
    }

    void anOutsideChangeIsFoundAndRepaired()
    {
        QString error;
        QVERIFY2(m_driver->verify(&error), qPrintable(error));
        // Someone takes a server out by hand.
        const QString name = HaproxyConfig::serverName(srv(4).id, srv(4).address());
        cli(QStringLiteral("set server portolan_web/%1 state maint").arg(name));
        QVERIFY(!m_driver->verify(&error));
        QVERIFY2(error.contains("no longer holds"), qPrintable(error));
        BalancerDriver::Result r = applied(plan({2, 4}, {5}, true));
        QVERIFY2(r.ok, qPrintable(r.error));
        QVERIFY2(m_driver->verify(&error), qPrintable(error));
        QCOMPARE(answers(m_fe), (QSet<QString>{"srv-2", "srv-4"}));
        // HAProxy restarted by someone else with an old portolan.cfg.
        const QString current = readAll(m_opt.configPath);
        stopHaproxy();
        QVERIFY(!m_driver->verify(&error));
        writeAll(m_opt.configPath,
                 HaproxyConfig::render(HaproxyConfig::fromPlan(plan({1}), &error)).toUtf8());
        startHaproxy();
        QCOMPARE(answers(m_fe), (QSet<QString>{"srv-1"}));
        QVERIFY(!m_driver->verify(&error));
        r = applied(plan({2, 4}, {5}, true));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(r.method, BalancerDriver::Change::Reload);
        QVERIFY(m_driver->verify(&error));
        QCOMPARE(readAll(m_opt.configPath), current);
        QCOMPARE(answers(m_fe), (QSet<QString>{"srv-2", "srv-4"}));
        QCOMPARE(get(m_feApi), QStringLiteral("srv-5"));
    }

    void aLeavingServerFinishesItsRequests()
    {
        QVERIFY(applied(plan({4}, {5}, true)).ok);
        QProcess slow;
        slow.start("curl",
                   {"-s", "-m", "5", QStringLiteral("http://127.0.0.1:%1/cgi-bin/slow").arg(m_fe)});
        QThread::msleep(400); // the request is on srv-4
        const BalancerDriver::Result r = applied(plan({2}, {5}, true));
        QVERIFY2(r.ok, qPrintable(r.error));
        QCOMPARE(answers(m_fe), (QSet<QString>{"srv-2"})); // no new request goes to srv-4
        // `del server` was refused while the request runs: srv-4 waits in maintenance.
        const QString name = HaproxyConfig::serverName(srv(4).id, srv(4).address());
        QString error;
        QVERIFY2(m_driver->verify(&error), qPrintable(error));
        QVERIFY(cli("show servers state portolan_web").contains(name));
        QVERIFY(slow.waitForFinished(5000));
        QCOMPARE(QString::fromUtf8(slow.readAllStandardOutput()).trimmed(),
                 QStringLiteral("slow-4"));
        QVERIFY2(m_driver->verify(&error), qPrintable(error)); // retries the delete
        QVERIFY(!cli("show servers state portolan_web").contains(name));
    }

    void churnUnderLoadLosesNoRequest()
    {
        QVERIFY(applied(plan({2}, {5}, true)).ok);
        const int reloads = proc().reloads;
        QProcess wrk;
        wrk.setProcessChannelMode(QProcess::MergedChannels);
        wrk.start("wrk", {"-t2", "-c16", "-d10s", "--timeout", "5s",
                          QStringLiteral("http://127.0.0.1:%1/").arg(m_fe)});
        QVERIFY2(wrk.waitForStarted(3000), "wrk is not installed (Debian package wrk)");
        // 20 cycles: a server joins, another leaves; at least one stays in the backend. Every
        // fourth leaving server stops answering before it is removed (a container that died
        // before etcd knew): HAProxy's retries send its requests elsewhere.
        int applies = 0;
        for (int cycle = 0; cycle < 20; ++cycle) {
            const int a = cycle % 2 ? 1 : 3;
            const int b = cycle % 2 ? 3 : 1;
            QVERIFY(applied(plan({2, a, b}, {5}, true)).ok);
            QThread::msleep(200);
            const bool vanish = cycle % 4 == 3;
            if (vanish) {
                stopHttpd(b);
                QThread::msleep(100);
            }
            const BalancerDriver::Result r = applied(plan({2, a}, {5}, true));
            QVERIFY2(r.ok, qPrintable(r.error));
            applies += 2;
            if (vanish)
                startHttpd(b);
            QThread::msleep(200);
        }
        QVERIFY(wrk.waitForFinished(20000));
        const QString out = QString::fromUtf8(wrk.readAll());
        qInfo("%d applies during wrk:\n%s", applies, qPrintable(out));
        const QRegularExpressionMatch total =
            QRegularExpression(QStringLiteral("(\\d+) requests in")).match(out);
        QVERIFY(total.hasMatch() && total.captured(1).toInt() > 1000);
        QVERIFY2(!out.contains("Non-2xx"), qPrintable(out));
        QVERIFY2(!out.contains("Socket errors"), qPrintable(out));
        QCOMPARE(proc().reloads, reloads);
        // The stopped servers were tried and their requests redispatched, not failed.
        const QStringList stat = cli("show stat portolan_web 2 -1").split('\n');
        QVERIFY(stat.size() > 1);
        const int redispatchAt = stat.at(0).mid(2).split(',').indexOf("wredis");
        const int redispatched = stat.at(1).split(',').value(redispatchAt).toInt();
        qInfo("redispatched requests: %d", redispatched);
        QVERIFY(redispatched > 0);
        QString error;
        QVERIFY2(m_driver->verify(&error), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestHaproxyDriver)
#include "haproxy_driver.moc"
