#include "BenchDashboard.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>
#include <algorithm>
#include <memory>

// --- what etcd holds ---

QString BenchLayout::hostname(int h) const
{
    return QStringLiteral("bench-h%1").arg(h, 2, 10, QLatin1Char('0'));
}

QByteArray BenchLayout::hostKey(int h) const
{
    return "/portolan/hosts/" + hostname(h).toUtf8();
}

QByteArray BenchLayout::hostValue(int h) const
{
    return QJsonDocument(
               QJsonObject{{"hostname", hostname(h)},
                           {"address", QStringLiteral("10.1.%1.%2").arg(h / 200).arg(h % 200 + 1)},
                           {"agentVersion", "0.1.0"},
                           {"dockerVersion", "20.10.24"},
                           {"feedUrl", QString()},
                           {"startedAt", "2026-11-27T06:00:00.000Z"}})
        .toJson(QJsonDocument::Compact);
}

namespace {
QString serviceName(const BenchLayout &l, int h, int j)
{
    return QStringLiteral("svc-%1").arg((h * l.perHost + j) % l.names, 3, 10, QLatin1Char('0'));
}

QString serviceId(const BenchLayout &l, int h, int j)
{
    return QStringLiteral("%1:%2.%3:%4")
        .arg(l.hostname(h), serviceName(l, h, j))
        .arg(j)
        .arg(8000 + j % 100);
}
} // namespace

QByteArray BenchLayout::serviceKey(int h, int j) const
{
    return "/portolan/services/" + hostname(h).toUtf8() + '/' + serviceId(*this, h, j).toUtf8();
}

QByteArray BenchLayout::registryKey(int h, int j) const
{
    return "/services/" + serviceName(*this, h, j).toUtf8() + '/' + serviceId(*this, h, j).toUtf8();
}

QByteArray BenchLayout::serviceValue(int h, int j, int variant) const
{
    const QString name = serviceName(*this, h, j);
    const QString id = serviceId(*this, h, j);
    const QString container = QStringLiteral("%1.%2").arg(name).arg(j);
    return QJsonDocument(
               QJsonObject{
                   {"id", id},
                   {"name", name},
                   {"host", hostname(h)},
                   {"ip", QStringLiteral("10.1.%1.%2").arg(h / 200).arg(h % 200 + 1)},
                   {"port", 30000 + (j * 7 + variant) % 30000},
                   {"protocol", "tcp"},
                   {"tags", QJsonArray{"bench", j % 2 ? "odd" : "even"}},
                   {"attributes", QJsonObject{{"env", "bench"}}},
                   {"containerId",
                    QStringLiteral("%1").arg(qHash(id), 16, 16, QLatin1Char('0')).repeated(4)},
                   {"containerName", container},
                   {"image", QStringLiteral("example/%1:1.%2").arg(name).arg(variant % 10)},
                   {"key", QString::fromUtf8(registryKey(h, j))},
                   {"registeredAt", "2026-11-27T07:00:00.000Z"}})
        .toJson(QJsonDocument::Compact);
}

KeyValues BenchLayout::portolanRecords() const
{
    KeyValues out;
    out.reserve(hosts + services());
    for (int h = 0; h < hosts; ++h)
        out.append({hostKey(h), hostValue(h)});
    for (int h = 0; h < hosts; ++h) {
        for (int j = 0; j < perHost; ++j)
            out.append({serviceKey(h, j), serviceValue(h, j)});
    }
    return out;
}

KeyValues BenchLayout::registryKeys() const
{
    KeyValues out;
    for (int h = 0; h < hosts; ++h) {
        for (int j = 0; j < perHost; ++j)
            out.append({registryKey(h, j),
                        QStringLiteral("10.1.0.%1:%2").arg(h + 1).arg(30000 + j).toUtf8()});
    }
    return out;
}

KeyValues BenchLayout::treeFill() const
{
    KeyValues out;
    const int rest = std::max(0, treeKeys - hosts - 2 * services());
    const int inDirs = std::min(rest, treeDirs * treeDirKeys);
    for (int i = 0; i < inDirs; ++i) {
        out.append({QStringLiteral("/bench/keys/tree/d%1/k%2")
                        .arg(i / treeDirKeys, 3, 10, QLatin1Char('0'))
                        .arg(i % treeDirKeys, 3, 10, QLatin1Char('0'))
                        .toUtf8(),
                    "v"});
    }
    for (int i = 0; i < rest - inDirs; ++i)
        out.append(
            {QStringLiteral("/bench/keys/flat/k%1").arg(i, 6, 10, QLatin1Char('0')).toUtf8(), "v"});
    return out;
}

// --- etcd helpers ---

bool waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    // A real nested event loop (not processEvents), so deleteLater() and the Qt Quick render
    // loop behave as under exec().
    if (done())
        return true;
    QElapsedTimer t;
    t.start();
    QEventLoop loop;
    QTimer poll;
    bool held = false;
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        held = done();
        if (held || t.elapsed() > timeoutMs)
            loop.quit();
    });
    poll.start(1);
    loop.exec();
    return held;
}

bool BenchEtcd::putAll(EtcdClient *client, const KeyValues &kvs, QString *error, int batch,
                       int inFlight)
{
    qsizetype next = 0;
    int running = 0;
    QString failure;
    QObject context;
    std::function<void()> launch = [&] {
        while (running < inFlight && next < kvs.size() && failure.isEmpty()) {
            QJsonArray ops;
            for (; next < kvs.size() && ops.size() < batch; ++next)
                ops.append(QJsonObject{
                    {"request_put", EtcdClient::putOp(kvs.at(next).first, kvs.at(next).second)
                                        .value("request_put")}});
            ++running;
            client->txn(QJsonObject{{"success", ops}}, &context, [&](const EtcdResponse &r) {
                --running;
                if (r.error.isError())
                    failure = r.error.message;
                launch();
            });
        }
    };
    launch();
    const bool ok = waitUntil(
        [&] { return running == 0 && (next >= kvs.size() || !failure.isEmpty()); }, 600000);
    if (!failure.isEmpty() || !ok) {
        *error = failure.isEmpty() ? QStringLiteral("etcd did not answer the puts within 10 min")
                                   : failure;
        return false;
    }
    return true;
}

bool BenchEtcd::deletePrefix(EtcdClient *client, const QByteArray &prefix, QString *error)
{
    bool done = false;
    QObject context;
    client->deleteRange(prefix, EtcdClient::prefixRangeEnd(prefix), &context,
                        [&](const EtcdResponse &r) {
                            if (r.error.isError())
                                *error = r.error.message;
                            done = true;
                        });
    return waitUntil([&] { return done; }, 60000) && error->isEmpty();
}

qint64 BenchEtcd::countPrefix(EtcdClient *client, const QByteArray &prefix, QString *error)
{
    qint64 count = -1;
    bool done = false;
    QObject context;
    client->post(
        QStringLiteral("/v3/kv/range"),
        QJsonObject{{"key", EtcdClient::encode(prefix.isEmpty() ? QByteArray(1, '\0') : prefix)},
                    {"range_end", EtcdClient::encode(EtcdClient::prefixRangeEnd(prefix))},
                    {"count_only", true}},
        &context, [&](const EtcdResponse &r) {
            if (r.error.isError())
                *error = r.error.message;
            else
                count = EtcdClient::int64(r.json.value("count"));
            done = true;
        });
    waitUntil([&] { return done; }, 60000);
    return count;
}

double percentile(QList<double> values, double p)
{
    if (values.isEmpty())
        return 0;
    std::sort(values.begin(), values.end());
    const qsizetype i = std::clamp<qsizetype>(
        qsizetype(p / 100.0 * double(values.size() - 1) + 0.5), 0, values.size() - 1);
    return values.at(i);
}

double maxOf(const QList<double> &values)
{
    return values.isEmpty() ? 0 : *std::max_element(values.cbegin(), values.cend());
}

// --- the fill ---

QJsonObject runFill(EtcdClient *client, const BenchOptions &o)
{
    QElapsedTimer t;
    t.start();
    QString error;
    for (const QByteArray &prefix :
         {QByteArrayLiteral("/portolan/"), QByteArrayLiteral("/services/"),
          QByteArrayLiteral("/bench/")}) {
        if (!BenchEtcd::deletePrefix(client, prefix, &error))
            qFatal("cannot clear %s in etcd: %s", prefix.constData(), qPrintable(error));
    }
    KeyValues all = o.layout.portolanRecords();
    all += o.layout.registryKeys();
    all += o.layout.treeFill();
    if (!BenchEtcd::putAll(client, all, &error))
        qFatal("cannot fill etcd: %s", qPrintable(error));
    const qint64 keys = BenchEtcd::countPrefix(client, QByteArray(), &error);
    printf("fill: %lld keys in etcd (%d hosts, %d services) in %lld ms\n", keys, o.layout.hosts,
           o.layout.services(), t.elapsed());
    fflush(stdout);
    return {{"keys_in_etcd", keys}, {"fill_ms", double(t.elapsed())}};
}
