// apply() -> server ready in HAProxy through the Runtime API, and the wall time of a reload
// path apply, against a haproxy that bench/lb_haproxy.sh started. A second thread polls
// `show servers state` on the runtime socket and notes when each added server turns ready.
#include "balancer/HaproxyDriver.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QMutex>
#include <QThread>
#include <algorithm>
#include <atomic>
#include <cstdio>

namespace {
QElapsedTimer g_clock;

class ReadyPoller : public QThread {
public:
    explicit ReadyPoller(const QString &socket) : m_socket(HaproxySocket::Kind::Runtime, socket) {}
    std::atomic<bool> stop{false};
    qint64 readyAt(const QString &name)
    {
        QMutexLocker lock(&m_mutex);
        return m_ready.value(name, -1);
    }

protected:
    void run() override
    {
        while (!stop) {
            QString error;
            const QString out = m_socket.exchange("show servers state portolan_web", &error);
            const qint64 now = g_clock.nsecsElapsed();
            QMutexLocker lock(&m_mutex);
            for (const QString &line : out.split('\n')) {
                const QStringList w = line.split(' ', Qt::SkipEmptyParts);
                if (w.size() > 6 && w.at(6) == "0" && !m_ready.contains(w.at(3)))
                    m_ready.insert(w.at(3), now);
            }
        }
    }

private:
    HaproxySocket m_socket;
    QMutex m_mutex;
    QHash<QString, qint64> m_ready;
};

double percentile(QList<double> v, double p)
{
    if (v.isEmpty())
        return 0;
    std::sort(v.begin(), v.end());
    return v.at(std::min<qsizetype>(v.size() - 1, qsizetype(p * (v.size() - 1) + 0.5)));
}

BalancerPlan plan(const QList<int> &ports, bool withApi)
{
    BalancerPlan p;
    PlannedBackend web;
    web.service = "web";
    web.name = "portolan_web";
    for (int port : ports) {
        PlannedServer s;
        s.id = QStringLiteral("bench:web.%1:80").arg(port);
        s.ip = "127.0.0.1";
        s.port = port;
        web.servers.append(s);
    }
    if (withApi) {
        PlannedBackend api;
        api.service = "api";
        api.name = "portolan_api";
        p.backends.append(api);
    }
    p.backends.append(web);
    return p;
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 3) {
        std::fprintf(stderr,
                     "usage: %s DIR CHANGES (DIR holds main.cfg, portolan.cfg, "
                     "admin.sock, master.sock)\n",
                     argv[0]);
        return 2;
    }
    const QString dir = args.at(1);
    const int changes = args.at(2).toInt();
    HaproxyDriver::Options o;
    o.configPath = dir + "/portolan.cfg";
    o.mainConfigPath = dir + "/main.cfg";
    o.runtimeSocket = dir + "/admin.sock";
    o.masterSocket = dir + "/master.sock";
    HaproxyDriver driver(o);
    if (QString e = driver.prepare(); !e.isEmpty()) {
        std::fprintf(stderr, "%s\n", qPrintable(e));
        return 1;
    }
    // A base of 20 servers, so each change is one server among many.
    QList<int> ports;
    for (int i = 0; i < 20; ++i)
        ports.append(30000 + i);
    BalancerDriver::Result r = driver.apply(plan(ports, false));
    if (!r.ok) {
        std::fprintf(stderr, "%s\n", qPrintable(r.error));
        return 1;
    }
    g_clock.start();
    ReadyPoller poller(o.runtimeSocket);
    poller.start();
    QList<double> ready, addApply, removeApply;
    int next = 31000;
    for (int i = 0; i < changes; ++i) {
        const bool add = i % 2 == 0;
        if (add)
            ports.append(next++);
        else
            ports.removeAt(0);
        const QString name =
            HaproxyConfig::serverName(QStringLiteral("bench:web.%1:80").arg(next - 1),
                                      QStringLiteral("127.0.0.1:%1").arg(next - 1));
        const qint64 t0 = g_clock.nsecsElapsed();
        r = driver.apply(plan(ports, false));
        const qint64 t1 = g_clock.nsecsElapsed();
        if (!r.ok || r.method != BalancerDriver::Change::Runtime) {
            std::fprintf(stderr, "change %d: %s\n", i, qPrintable(r.error));
            return 1;
        }
        (add ? addApply : removeApply).append((t1 - t0) / 1e6);
        if (add) {
            QElapsedTimer wait;
            wait.start();
            while (poller.readyAt(name) < 0 && wait.elapsed() < 2000)
                QThread::usleep(200);
            if (poller.readyAt(name) < 0) {
                std::fprintf(stderr, "server %s never turned ready\n", qPrintable(name));
                return 1;
            }
            ready.append((poller.readyAt(name) - t0) / 1e6);
        }
    }
    poller.stop = true;
    poller.wait();
    std::printf("runtime changes: %d (%lld adds, %lld removes) on a backend of ~20 servers\n",
                changes, qlonglong(addApply.size()), qlonglong(removeApply.size()));
    std::printf("apply() call -> server ready (seen by a poller): p50 %.2f ms  p99 %.2f ms  "
                "max %.2f ms\n",
                percentile(ready, 0.5), percentile(ready, 0.99), percentile(ready, 1));
    std::printf("apply() wall time, add (incl. haproxy -c and file rename): p50 %.2f ms  p99 "
                "%.2f ms\n",
                percentile(addApply, 0.5), percentile(addApply, 0.99));
    std::printf("apply() wall time, remove (maint, del, haproxy -c, rename): p50 %.2f ms  p99 "
                "%.2f ms\n",
                percentile(removeApply, 0.5), percentile(removeApply, 0.99));
    QList<double> reload;
    for (int i = 0; i < 6; ++i) {
        QElapsedTimer t;
        t.start();
        r = driver.apply(plan(ports, i % 2 == 0));
        if (!r.ok || !r.reloaded) {
            std::fprintf(stderr, "reload %d: %s\n", i, qPrintable(r.error));
            return 1;
        }
        reload.append(t.nsecsElapsed() / 1e6);
    }
    std::printf("reload path apply (a backend added/removed, verified with show proc): "
                "p50 %.0f ms  max %.0f ms over %lld\n",
                percentile(reload, 0.5), percentile(reload, 1), qlonglong(reload.size()));
    return 0;
}
