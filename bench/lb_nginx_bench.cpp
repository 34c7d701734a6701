// portolan-lb's nginx path, timed: NginxDriver::apply() (render, rename in, nginx -T, SIGHUP,
// wait for new workers) and apply() -> the first request answered by the new membership.
// Each round moves portolan_web between two busybox httpd backends on loopback, so the body
// says which config served it. Run through bench/lb_nginx.sh.

#include "PrivateNginx.h"
#include "balancer/NginxDriver.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QThread>
#include <algorithm>
#include <cstdio>

namespace {

BalancerPlan planFor(const IdentityBackend &b, const IdentityBackend &redis)
{
    auto backend = [](const QString &service, PlannedBackend::Mode mode,
                      const IdentityBackend &to) {
        PlannedBackend p;
        p.service = service;
        p.name = QStringLiteral("portolan_") + service;
        p.mode = mode;
        PlannedServer s;
        s.id = QStringLiteral("bench:%1:80").arg(to.name());
        s.ip = QStringLiteral("127.0.0.1");
        s.port = to.port();
        p.servers = {s};
        p.registered = 1;
        return p;
    };
    BalancerPlan plan;
    plan.backends = {backend(QStringLiteral("redis"), PlannedBackend::Mode::Tcp, redis),
                     backend(QStringLiteral("web"), PlannedBackend::Mode::Http, b)};
    return plan;
}

double percentile(QList<double> v, double p)
{
    std::sort(v.begin(), v.end());
    const int i = std::min<int>(v.size() - 1, int(p * v.size()));
    return v.value(i);
}

// wrk for 10 s while portolan_web moves between a and b 9 times; the summary line.
QString wrkAcrossReloads(NginxDriver &driver, const PrivateNginx &nginx, const IdentityBackend &a,
                         const IdentityBackend &b, const IdentityBackend &redis, bool keepAlive,
                         int round)
{
    QStringList args = {QStringLiteral("-t2"), QStringLiteral("-c8"), QStringLiteral("-d10s"),
                        QStringLiteral("--timeout"), QStringLiteral("5s")};
    if (!keepAlive)
        args << QStringLiteral("-H") << QStringLiteral("Connection: close");
    args << QStringLiteral("http://127.0.0.1:%1/").arg(nginx.httpPort());
    QProcess wrk;
    wrk.start(QStringLiteral("wrk"), args);
    if (!wrk.waitForStarted(5000))
        return QStringLiteral("wrk did not start: ") + wrk.errorString();
    QThread::msleep(500);
    int reloads = 0;
    for (int i = 0; i < 9; ++i) {
        const BalancerDriver::Result r = driver.apply(planFor((round + i) % 2 ? b : a, redis));
        reloads += r.reloaded ? 1 : 0;
        QThread::msleep(850); // 9 reloads inside wrk's 10 s
    }
    wrk.waitForFinished(20000);
    const QString out = QString::fromUtf8(wrk.readAllStandardOutput());
    auto number = [&out](const QString &pattern) {
        const QRegularExpressionMatch m = QRegularExpression(pattern).match(out);
        return m.hasMatch() ? m.captured(1) : QStringLiteral("0");
    };
    return QStringLiteral("%1 requests, %2 reloads, non-2xx %3, socket errors: connect %4 read %5 "
                          "write %6 timeout %7")
        .arg(number(QStringLiteral("(\\d+) requests in")))
        .arg(reloads)
        .arg(number(QStringLiteral("Non-2xx or 3xx responses: (\\d+)")))
        .arg(number(QStringLiteral("connect (\\d+)")), number(QStringLiteral("read (\\d+)")),
             number(QStringLiteral("write (\\d+)")), number(QStringLiteral("timeout (\\d+)")));
}

int fail(const QString &why)
{
    std::fprintf(stderr, "lb_nginx_bench: %s\n", qPrintable(why));
    return 1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int rounds = argc > 1 ? QString::fromLocal8Bit(argv[1]).toInt() : 30;
    QTemporaryDir dir(QStringLiteral("/tmp/portolan-lb-nginx-bench.XXXXXX"));
    dir.setAutoRemove(qEnvironmentVariable("PORTOLAN_TEST_KEEP") != QLatin1String("1"));
    IdentityBackend a(dir.path(), QStringLiteral("a")), b(dir.path(), QStringLiteral("b")),
        redis(dir.path(), QStringLiteral("redis"));
    for (IdentityBackend *x : {&a, &b, &redis})
        if (const QString e = x->start(); !e.isEmpty())
            return fail(e);
    PrivateNginx nginx(dir.path());
    NginxDriver driver(nginx.options());
    if (const QString e = driver.prepare(); !e.isEmpty())
        return fail(e);
    driver.apply(planFor(a, redis)); // writes the files nginx starts with
    if (const QString e = nginx.start(); !e.isEmpty())
        return fail(e);

    QList<double> applyMs, servedMs;
    for (int i = 0; i <= rounds; ++i) {
        const IdentityBackend &to = i % 2 ? b : a;
        QElapsedTimer t;
        t.start();
        const BalancerDriver::Result r = driver.apply(planFor(to, redis));
        const double applied = t.nsecsElapsed() / 1e6;
        if (!r.ok || !r.reloaded)
            return fail(QStringLiteral("apply %1: %2").arg(i).arg(r.error));
        // The first request over a new connection that the new membership answers.
        int tries = 0;
        while (httpGet(nginx.httpPort()) != to.name().toUtf8() + '\n') {
            if (++tries > 5000)
                return fail(QStringLiteral("round %1: %2 never answered").arg(i).arg(to.name()));
        }
        if (i == 0)
            continue; // the first apply also verifies a master that was never reloaded
        applyMs.append(applied);
        servedMs.append(t.nsecsElapsed() / 1e6);
    }
    std::printf("nginx %s, %d reload-applies (portolan_web moved between two backends)\n",
                qPrintable(driver.version()), rounds);
    std::printf("apply() returned (new workers up):  p50 %.1f ms  p99 %.1f ms  max %.1f ms\n",
                percentile(applyMs, 0.5), percentile(applyMs, 0.99), percentile(applyMs, 1.0));
    std::printf("apply() start -> new backend served: p50 %.1f ms  p99 %.1f ms  max %.1f ms\n",
                percentile(servedMs, 0.5), percentile(servedMs, 0.99), percentile(servedMs, 1.0));
    std::printf("wrk 10 s, 8 connections, keep-alive:        %s\n",
                qPrintable(wrkAcrossReloads(driver, nginx, a, b, redis, true, rounds + 1)));
    std::printf("wrk 10 s, 8 connections, Connection: close: %s\n",
                qPrintable(wrkAcrossReloads(driver, nginx, a, b, redis, false, rounds + 10)));
    nginx.stop();
    return 0;
}
