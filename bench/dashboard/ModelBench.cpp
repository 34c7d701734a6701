// The models alone: loading 10k services from a real etcd through ClusterConnection (the app's
// own wiring), and the events/s ceiling of ClusterState + models fed with gateway watch lines.
#include "BenchDashboard.h"
#include "cluster/ClusterState.h"
#include "cluster/EtcdClusterSource.h"
#include "cluster/EtcdRecordReader.h"
#include "dashboard/ClusterConnection.h"
#include "dashboard/EventLogModel.h"
#include "dashboard/HostListModel.h"
#include "dashboard/ServiceFilterModel.h"
#include "dashboard/ServiceGroupModel.h"
#include "dashboard/ServiceTableModel.h"
#include "dashboard/UpdateBatcher.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QSet>
#include <memory>
#include <random>

namespace {
// One of each model a view builds over the cluster (the Hosts view's table over all hosts, with
// its sort/filter proxy), with the time each batch took per model.
struct ModelSet {
    HostListModel hosts;
    ServiceTableModel table;
    ServiceFilterModel proxy;
    ServiceGroupModel groups;
    EventLogModel events;
    QMap<QString, QList<double>> flushMs; // by model

    ModelSet()
    {
        proxy.setSource(&table);
        const std::pair<const char *, ClusterListModel *> all[] = {{"HostListModel", &hosts},
                                                                   {"ServiceTableModel", &table},
                                                                   {"ServiceGroupModel", &groups},
                                                                   {"EventLogModel", &events}};
        for (const auto &[name, model] : all) {
            const QString n = QString::fromLatin1(name);
            QObject::connect(model->batcher(), &UpdateBatcher::flushed, model,
                             [this, n](qint64 ns) { flushMs[n].append(double(ns) / 1e6); });
        }
    }
    void setCluster(ClusterState *s)
    {
        hosts.setCluster(s);
        table.setCluster(s);
        groups.setCluster(s);
        events.setCluster(s);
    }
    void flushAll()
    {
        // A batch applies at most MaxChangesPerBatch service changes: flush until none is left.
        for (int i = 0; i < 1000; ++i) {
            hosts.flush();
            table.flush();
            groups.flush();
            events.flush();
            if (!table.batcher()->isPending() && !groups.batcher()->isPending() &&
                !hosts.batcher()->isPending() && !events.batcher()->isPending())
                break;
        }
    }
    QList<double> allFlushes() const
    {
        QList<double> out;
        for (const QList<double> &l : flushMs)
            out += l;
        return out;
    }
    QJsonObject perModel() const
    {
        QJsonObject o;
        for (auto it = flushMs.cbegin(); it != flushMs.cend(); ++it)
            o.insert(it.key(), QJsonObject{{"flushes", it->size()},
                                           {"flush_ms_p50", percentile(*it, 50)},
                                           {"flush_ms_max", maxOf(*it)}});
        return o;
    }
};

QString b64(const QByteArray &b)
{
    return EtcdClient::encode(b);
}

// Watch lines as the v3 gateway writes them, `perLine` events each, one revision per event:
// half updates (another port), a quarter removals, a quarter re-additions of removed services.
QList<QByteArray> renderEvents(const BenchLayout &l, int count, int perLine, qint64 revision,
                               int *present)
{
    std::mt19937 rng(42);
    const int n = l.services();
    QList<bool> removed(n, false);
    QList<int> pool; // removed, waiting to come back
    QList<int> variant(n, 0);
    QList<QByteArray> lines;
    QJsonArray events;
    auto pickPresent = [&] {
        for (;;) {
            const int k = int(rng() % unsigned(n));
            if (!removed.at(k))
                return k;
        }
    };
    for (int e = 0; e < count; ++e) {
        ++revision;
        const unsigned r = rng() % 4;
        if (r == 2 && pool.size() < n / 2) {
            const int k = pickPresent();
            removed[k] = true;
            pool.append(k);
            events.append(QJsonObject{
                {"type", "DELETE"},
                {"kv", QJsonObject{{"key", b64(l.serviceKey(k / l.perHost, k % l.perHost))},
                                   {"mod_revision", QString::number(revision)}}}});
        } else {
            int k;
            if (r == 3 && !pool.isEmpty()) {
                k = pool.takeAt(int(rng() % unsigned(pool.size())));
                removed[k] = false;
            } else {
                k = pickPresent();
            }
            ++variant[k];
            events.append(QJsonObject{
                {"kv", QJsonObject{{"key", b64(l.serviceKey(k / l.perHost, k % l.perHost))},
                                   {"create_revision", "2"},
                                   {"mod_revision", QString::number(revision)},
                                   {"version", QString::number(variant.at(k) + 1)},
                                   {"value", b64(l.serviceValue(k / l.perHost, k % l.perHost,
                                                                variant.at(k)))}}}});
        }
        if (events.size() == perLine || e == count - 1) {
            lines.append(
                QJsonDocument(
                    QJsonObject{{"result",
                                 QJsonObject{{"header",
                                              QJsonObject{{"revision", QString::number(revision)}}},
                                             {"events", events}}}})
                    .toJson(QJsonDocument::Compact));
            events = QJsonArray();
        }
    }
    *present = n - int(pool.size());
    return lines;
}

QList<EtcdKeyValue> snapshot(const BenchLayout &l)
{
    QList<EtcdKeyValue> kvs;
    qint64 rev = 1;
    for (const auto &[k, v] : l.portolanRecords()) {
        EtcdKeyValue kv;
        kv.key = k;
        kv.value = v;
        kv.createRevision = kv.modRevision = ++rev;
        kv.version = 1;
        kvs.append(kv);
    }
    return kvs;
}

// Applies every line, letting the event loop run (batch timers fire when due) every
// `loopEvery` lines; returns the wall time in ms until the models were flushed.
double drive(ClusterState *state, const QList<QByteArray> &lines, qint64 revision, ModelSet *models)
{
    EtcdRecordReader etcd(state);
    QElapsedTimer t;
    t.start();
    qint64 seen = revision;
    for (qsizetype i = 0; i < lines.size(); ++i) {
        seen = etcd.apply(EtcdWatchMessage::parse(lines.at(i)), seen);
        if (i % 10 == 9)
            QCoreApplication::processEvents();
    }
    if (models)
        models->flushAll(); // what is still pending reaches the rows now
    return double(t.nsecsElapsed()) / 1e6;
}
} // namespace

QJsonObject runLoadAndModels(EtcdClient *, const BenchOptions &o, QObject **connectionOut)
{
    auto *connection = new ClusterConnection(qApp);
    auto models = std::make_unique<ModelSet>();
    EtcdClientOptions eo;
    eo.endpoints = {o.etcd};
    int added = 0;
    double stateMs = -1;
    QElapsedTimer t;
    t.start();
    connection->connectToEtcd(eo);
    ClusterState *state = connection->state();
    // Captures locals of this function: disconnected before it returns. (Left connected, every
    // service the QML phase's writer re-added ran it on a dead stack frame, writing into whatever
    // lived there: the QML phase's SIGSEGV with a mangled stack pointer.)
    const QMetaObject::Connection counting =
        QObject::connect(state, &ClusterState::serviceAdded, state, [&] {
            if (++added == o.layout.services())
                stateMs = double(t.nsecsElapsed()) / 1e6;
        });
    models->setCluster(state);
    const int want = o.layout.services();
    const bool ok = waitUntil(
        [&] {
            return models->table.rowCount() == want && models->proxy.rowCount() == want &&
                   models->hosts.rowCount() == o.layout.hosts &&
                   models->groups.rowCount() == o.layout.names;
        },
        120000);
    const double loadedMs = double(t.nsecsElapsed()) / 1e6;
    QObject::disconnect(counting);
    if (!ok)
        qFatal("the models did not show %d services within 120 s (table %d, state status %s: %s)",
               want, models->table.rowCount(),
               qPrintable(ClusterListModel::statusName(state->status())),
               qPrintable(state->errorString()));
    printf("load: %d services from etcd in ClusterState after %.0f ms, in the model rows after "
           "%.0f ms "
           "(first batch: %.1f ms across the models)\n",
           want, stateMs, loadedMs, [&] {
               double s = 0;
               for (double v : models->allFlushes())
                   s += v;
               return s;
           }());
    fflush(stdout);
    QJsonObject out{{"source", "real etcd, ClusterConnection::connectToEtcd (EtcdClusterSource)"},
                    {"services", want},
                    {"state_loaded_ms", stateMs},
                    {"models_loaded_ms", loadedMs},
                    {"per_model", models->perModel()}};
    *connectionOut = connection;
    return out;
}

QJsonObject runModelEventRate(const BenchOptions &o)
{
    const BenchLayout &l = o.layout;
    const QList<EtcdKeyValue> kvs = snapshot(l);
    const qint64 revision = kvs.last().modRevision;
    int present = 0;
    const QList<QByteArray> lines = renderEvents(l, o.modelEvents, 10, revision, &present);

    // The ceiling without any model: parse + ClusterState alone.
    double bareMs = 0;
    {
        ClusterState bare;
        EtcdRecordReader(&bare).reset(kvs, revision);
        bareMs = drive(&bare, lines, revision, nullptr);
    }

    ClusterState state;
    EtcdRecordReader(&state).reset(kvs, revision);
    ModelSet models;
    models.setCluster(&state);
    const double ms = drive(&state, lines, revision, &models);

    // The rows must say what the cluster says, or the figure means nothing.
    const QList<ServiceRecord> truth = state.services();
    bool same = models.table.rowCount() == truth.size() && truth.size() == present &&
                models.proxy.rowCount() == truth.size() && models.groups.rowCount() == l.names &&
                models.events.rowCount() ==
                    std::min<qsizetype>(models.events.rowLimit(), state.events().size());
    for (int i = 0; same && i < truth.size(); i += 97)
        same = models.table.record(i) == truth.at(i);
    if (!same)
        qFatal("after the events the model rows differ from ClusterState (table %d, state %lld, "
               "expected %d)",
               models.table.rowCount(), qlonglong(truth.size()), present);

    const QList<double> flushes = models.allFlushes();
    double flushSum = 0;
    for (double v : flushes)
        flushSum += v;
    const double rate = o.modelEvents / (ms / 1000.0);
    printf("dashboard: %d services loaded; applied %.0f events/s into ClusterState + models "
           "(%d events in %.0f ms; batches p50 %.2f ms, p99 %.2f ms, max %.2f ms, %lld batches, "
           "%.0f%% of "
           "the time); ClusterState alone %.0f events/s\n",
           l.services(), rate, o.modelEvents, ms, percentile(flushes, 50), percentile(flushes, 99),
           maxOf(flushes), qlonglong(flushes.size()), 100 * flushSum / ms,
           o.modelEvents / (bareMs / 1000.0));
    fflush(stdout);
    return {{"feed", "in-process: gateway watch lines (10 events each) through "
                     "EtcdWatchMessage::parse, EtcdRecordReader::apply"},
            {"services", l.services()},
            {"events", o.modelEvents},
            {"elapsed_ms", ms},
            {"events_per_s", rate},
            {"state_only_events_per_s", o.modelEvents / (bareMs / 1000.0)},
            {"batches", int(flushes.size())},
            {"batch_ms_p50", percentile(flushes, 50)},
            {"batch_ms_p99", percentile(flushes, 99)},
            {"batch_ms_max", maxOf(flushes)},
            {"batch_time_share", flushSum / ms},
            {"per_model", models.perModel()},
            {"target_events_per_s", 5000},
            {"met", rate >= 5000}};
}
