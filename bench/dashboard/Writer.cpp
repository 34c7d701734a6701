// The writer child of the QML phase: puts `rate` service events a second into etcd (half updates,
// a quarter removals, a quarter re-additions), in small transactions every 10 ms, like many agents
// at once. On exit it puts back what it removed, so the next run starts from the full 10k.
#include "BenchDashboard.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QTimer>
#include <random>

int runWriter(const QString &etcd, const BenchLayout &l, int rate, int seconds, int seed)
{
    EtcdClientOptions options;
    options.endpoints = {etcd};
    EtcdClient client(options);
    std::mt19937 rng{unsigned(seed)};
    const int n = l.services();
    QList<bool> removed(n, false);
    QList<int> pool;
    int variant = seed * 100000;
    qint64 sent = 0, acked = 0, failed = 0;
    int inFlight = 0;
    QObject context;
    auto pickPresent = [&] {
        for (;;) {
            const int k = int(rng() % unsigned(n));
            if (!removed.at(k))
                return k;
        }
    };
    QElapsedTimer clock;
    clock.start();
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(10);
    QObject::connect(&tick, &QTimer::timeout, &context, [&] {
        const qint64 due = qint64(double(rate) * double(clock.nsecsElapsed()) / 1e9) - sent;
        if (due <= 0 || inFlight >= 16)
            return; // etcd is behind: the rate shows it
        QJsonArray ops;
        QSet<int> touched; // etcd refuses a txn that names one key twice
        while (ops.size() < std::min<qint64>(due, 128)) {
            const unsigned r = rng() % 4;
            if (r == 2 && pool.size() < n / 2) {
                const int k = pickPresent();
                if (touched.contains(k))
                    continue;
                touched.insert(k);
                removed[k] = true;
                pool.append(k);
                ops.append(EtcdClient::deleteOp(l.serviceKey(k / l.perHost, k % l.perHost)));
                continue;
            }
            int k;
            if (r == 3 && !pool.isEmpty()) {
                const int at = int(rng() % unsigned(pool.size()));
                k = pool.at(at);
                if (touched.contains(k))
                    continue;
                pool.removeAt(at);
                removed[k] = false;
            } else {
                k = pickPresent();
                if (touched.contains(k))
                    continue;
            }
            touched.insert(k);
            ops.append(EtcdClient::putOp(l.serviceKey(k / l.perHost, k % l.perHost),
                                         l.serviceValue(k / l.perHost, k % l.perHost, ++variant)));
        }
        const qint64 count = ops.size();
        sent += count;
        ++inFlight;
        client.txn(QJsonObject{{"success", ops}}, &context, [&, count](const EtcdResponse &r) {
            --inFlight;
            (r.error.isError() ? failed : acked) += count;
        });
    });
    tick.start();
    waitUntil([&] { return clock.elapsed() >= qint64(seconds) * 1000; }, seconds * 1000 + 5000);
    tick.stop();
    const double elapsed = double(clock.elapsed()) / 1000.0;
    waitUntil([&] { return inFlight == 0; }, 30000);
    KeyValues back;
    for (int k : std::as_const(pool))
        back.append({l.serviceKey(k / l.perHost, k % l.perHost),
                     l.serviceValue(k / l.perHost, k % l.perHost)});
    QString error;
    if (!back.isEmpty() && !BenchEtcd::putAll(&client, back, &error))
        qWarning("writer: could not put back %lld removed services: %s", qlonglong(back.size()),
                 qPrintable(error));
    printf("writer: %lld events in %.1f s = %.0f/s acknowledged, %lld failed", acked, elapsed,
           acked / elapsed, failed);
    fflush(stdout);
    return failed == 0 ? 0 : 1;
}
