// bench_dashboard: the dashboard benchmark of issues 4 and 6. Usually started by run.sh, which
// starts a private etcd; see README.md.
//
//   bench_dashboard --etcd http://127.0.0.1:PORT [--out FILE] [--rate 1000] [--seconds 10]
//                   [--model-events 50000] [--keys 100000] [--skip-qml] [--skip-tree]
#include "BenchDashboard.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QQuickStyle>
#include <QStandardPaths>
#include <QThread>
#include <QtQml/QQmlExtensionPlugin>

Q_IMPORT_QML_PLUGIN(Portolan_ModelsPlugin)
Q_IMPORT_QML_PLUGIN(Portolan_DashboardPlugin)

namespace {
QString loadAverage()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    return f.open(QIODevice::ReadOnly)
               ? QString::fromLatin1(f.readAll()).section(QLatin1Char(' '), 0, 2)
               : QString();
}

QString row(const QString &what, const QString &figure, const QString &target, bool met)
{
    return QStringLiteral("| %1 | %2 | %3 | %4 |")
        .arg(what, figure, target, met ? "met" : "NOT met");
}
} // namespace

int main(int argc, char *argv[])
{
    bool writer = false;
    for (int i = 1; i < argc; ++i)
        writer = writer || qstrcmp(argv[i], "--writer") == 0;
    if (!writer && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    std::unique_ptr<QCoreApplication> app(writer ? new QCoreApplication(argc, argv)
                                                 : new QGuiApplication(argc, argv));
    QStandardPaths::setTestModeEnabled(true); // ClusterConnection's profiles stay out of the user's

    QCommandLineParser p;
    p.addHelpOption();
    const QCommandLineOption etcd("etcd", "etcd endpoint (http://127.0.0.1:PORT).", "URL");
    const QCommandLineOption out("out", "Where the JSON goes.", "FILE", "bench/out/dashboard.json");
    const QCommandLineOption rate("rate", "Events per second into the QML views.", "N", "1000");
    const QCommandLineOption seconds("seconds", "Seconds per QML view.", "N", "10");
    const QCommandLineOption modelEvents("model-events", "Events in the models-only phase.", "N",
                                         "50000");
    const QCommandLineOption keys("keys", "Keys in etcd for the tree.", "N", "100000");
    const QCommandLineOption hosts("hosts", "Hosts.", "N", "50");
    const QCommandLineOption perHost("per-host", "Services per host.", "N", "200");
    const QCommandLineOption seed("seed", "Writer seed.", "N", "1");
    const QCommandLineOption skipQml("skip-qml", "No QML phase.");
    const QCommandLineOption skipTree("skip-tree", "No key tree phase.");
    const QCommandLineOption onlyModels("only-models",
                                        "Only the in-process events/s phase (no etcd).");
    const QCommandLineOption writerMode("writer", "Internal: be the QML phase's event writer.");
    p.addOptions({etcd, out, rate, seconds, modelEvents, keys, hosts, perHost, seed, skipQml,
                  skipTree, onlyModels, writerMode});
    p.process(*app);

    BenchOptions o;
    o.etcd = p.value(etcd);
    o.layout.hosts = p.value(hosts).toInt();
    o.layout.perHost = p.value(perHost).toInt();
    o.layout.treeKeys = p.value(keys).toInt();
    o.rate = p.value(rate).toInt();
    o.qmlSeconds = p.value(seconds).toInt();
    o.modelEvents = p.value(modelEvents).toInt();
    o.self = QCoreApplication::applicationFilePath();
    if (p.isSet(onlyModels)) {
        const QJsonObject r = runModelEventRate(o);
        if (p.isSet(out)) {
            QFile f(p.value(out));
            if (f.open(QIODevice::WriteOnly))
                f.write(QJsonDocument(QJsonObject{{"model_events", r}}).toJson());
        }
        return r.value("met").toBool() ? 0 : 1;
    }
    if (o.etcd.isEmpty())
        qFatal("--etcd URL is required (bench/dashboard/run.sh starts one)");
    if (writer)
        return runWriter(o.etcd, o.layout, o.rate, o.qmlSeconds, p.value(seed).toInt());

    QQuickStyle::setStyle(QStringLiteral("Basic"));
    EtcdClientOptions eo;
    eo.endpoints = {o.etcd};
    EtcdClient client(eo);

    QJsonObject result{{"bench", "dashboard"},
                       {"generated_at", QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
                       {"commit", qEnvironmentVariable("BENCH_COMMIT")},
                       {"machine", QJsonObject{{"cpus", QThread::idealThreadCount()},
                                               {"loadavg_at_start", loadAverage()},
                                               {"qt", qVersion()},
                                               {"qpa", QGuiApplication::platformName()}}},
                       {"layout", QJsonObject{{"hosts", o.layout.hosts},
                                              {"services", o.layout.services()},
                                              {"service_names", o.layout.names}}}};
    result.insert("fill", runFill(&client, o));
    QObject *connection = nullptr;
    result.insert("load", runLoadAndModels(&client, o, &connection));
    result.insert("model_events", runModelEventRate(o));
    if (!p.isSet(skipTree))
        result.insert("tree", runKeyTree(&client, o));
    if (!p.isSet(skipQml))
        result.insert("qml", runQmlFrames(connection, o));
    result.insert("loadavg_at_end", loadAverage());

    const QString path = p.value(out);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument(result).toJson()) < 0)
        qFatal("cannot write %s", qPrintable(path));
    f.close();

    const QJsonObject me = result.value("model_events").toObject();
    const QJsonObject qml = result.value("qml").toObject();
    const QJsonObject tree = result.value("tree").toObject();
    QStringList table{QStringLiteral("| Dashboard figure | Measured | Target | |"),
                      QStringLiteral("|---|---|---|---|")};
    table << row(
        QStringLiteral("10k services from etcd into the model rows"),
        QStringLiteral("%1 ms").arg(
            result.value("load").toObject().value("models_loaded_ms").toDouble(), 0, 'f', 0),
        QStringLiteral("—"), true);
    table << row(QStringLiteral("events/s applied (ClusterState + models, 10k loaded)"),
                 QStringLiteral("%1 (batch p50 %2 ms)")
                     .arg(me.value("events_per_s").toDouble(), 0, 'f', 0)
                     .arg(me.value("batch_ms_p50").toDouble(), 0, 'f', 2),
                 QStringLiteral("≥ 5000"), me.value("met").toBool());
    if (!qml.isEmpty()) {
        for (const QString &v : {QStringLiteral("hosts"), QStringLiteral("events")}) {
            const QJsonObject view = qml.value("views").toObject().value(v).toObject();
            table << row(QStringLiteral("QML %1 view at %2 events/s: max frame (interval p99/max)")
                             .arg(v)
                             .arg(view.value("events_per_s").toDouble(), 0, 'f', 0),
                         QStringLiteral("%1 ms (%2 / %3 ms)")
                             .arg(view.value("frame_ms_max").toDouble(), 0, 'f', 1)
                             .arg(view.value("frame_interval_ms_p99").toDouble(), 0, 'f', 1)
                             .arg(view.value("frame_interval_ms_max").toDouble(), 0, 'f', 1),
                         QStringLiteral("≤ 50 ms"), view.value("frame_ms_max").toDouble() <= 50);
        }
    }
    if (!tree.isEmpty())
        table << row(QStringLiteral("key tree, %1 keys: slowest page")
                         .arg(tree.value("keys_in_etcd").toInteger()),
                     QStringLiteral("%1 ms").arg(tree.value("worst_ms").toDouble(), 0, 'f', 0),
                     QStringLiteral("—"), true);
    printf("\n%s\n\nwritten to %s\n", qPrintable(table.join(QLatin1Char('\n'))), qPrintable(path));
    delete connection;
    return 0;
}
