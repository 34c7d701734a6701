// The Keys view's model over a real etcd holding ~100k keys: how long until a person sees the
// first page of the root, of a directory they expand, and the next page of a large directory.
#include "BenchDashboard.h"
#include "dashboard/KeyTreeModel.h"
#include "dashboard/KeyTreeSource.h"

#include <QElapsedTimer>

QJsonObject runKeyTree(EtcdClient *client, const BenchOptions &)
{
    EtcdKeyTreeSource source(client);
    KeyTreeModel model;
    QString loaded;
    QObject::connect(&model, &KeyTreeModel::pageLoaded, &model,
                     [&](const QString &p) { loaded = p; });
    QString error;
    const qint64 keys = BenchEtcd::countPrefix(client, QByteArray(), &error);

    auto timed = [&](const QString &prefix, const std::function<void()> &action) {
        loaded.clear();
        QElapsedTimer t;
        t.start();
        action();
        if (!waitUntil([&] { return loaded == prefix; }, 60000))
            qFatal("the key tree did not list %s within 60 s: %s", qPrintable(prefix),
                   qPrintable(model.errorString()));
        return double(t.nsecsElapsed()) / 1e6;
    };
    auto expand = [&](const QString &key) {
        const QModelIndex i = model.indexForKey(key);
        if (!i.isValid())
            qFatal("the key tree has no row for %s", qPrintable(key));
        return timed(key, [&] { model.loadChildren(i); });
    };

    model.setRootPrefix(QStringLiteral("/"));
    QJsonObject out{{"keys_in_etcd", keys}, {"page_size", model.pageSize()}};
    out.insert("root_first_page_ms", timed(QStringLiteral("/"), [&] { model.setSource(&source); }));
    out.insert("expand_bench_ms", expand(QStringLiteral("/bench/")));
    out.insert("expand_bench_keys_ms", expand(QStringLiteral("/bench/keys/")));
    out.insert("expand_flat_dir_first_page_ms", expand(QStringLiteral("/bench/keys/flat/")));
    const QModelIndex flat = model.indexForKey(QStringLiteral("/bench/keys/flat/"));
    const int flatRows = model.rowCount(flat);
    out.insert("flat_dir_next_page_ms", timed(QStringLiteral("/bench/keys/flat/"), [&] {
                   model.activate(model.index(flatRows - 1, 0, flat)); // the "more" row
               }));
    out.insert("expand_400_dirs_first_page_ms", expand(QStringLiteral("/bench/keys/tree/")));
    out.insert("expand_services_100_names_ms", expand(QStringLiteral("/services/")));
    out.insert("expand_portolan_ms", expand(QStringLiteral("/portolan/")));
    out.insert("expand_portolan_services_50_hosts_ms",
               expand(QStringLiteral("/portolan/services/")));
    out.insert("expand_one_host_200_services_ms",
               expand(QStringLiteral("/portolan/services/bench-h00/")));
    double worst = 0;
    for (auto it = out.constBegin(); it != out.constEnd(); ++it) {
        if (it.key().endsWith(QLatin1String("_ms")))
            worst = std::max(worst, it.value().toDouble());
    }
    out.insert("worst_ms", worst);
    printf("tree: %lld keys in etcd; root page %.0f ms, expand a 40k-key dir %.0f ms (next page "
           "%.0f ms), "
           "a dir of 400 dirs %.0f ms, /services/ (100 names) %.0f ms; worst %.0f ms\n",
           keys, out.value("root_first_page_ms").toDouble(),
           out.value("expand_flat_dir_first_page_ms").toDouble(),
           out.value("flat_dir_next_page_ms").toDouble(),
           out.value("expand_400_dirs_first_page_ms").toDouble(),
           out.value("expand_services_100_names_ms").toDouble(), worst);
    fflush(stdout);
    return out;
}
