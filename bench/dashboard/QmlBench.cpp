// The real QML views (Main.qml of Portolan.Dashboard, as the app loads it) over the connection
// the models phase loaded from etcd, while a writer child puts `rate` service events a second
// into that etcd: the events reach the views through the real watch stream.
#include "BenchDashboard.h"
#include "cluster/ClusterState.h"
#include "dashboard/ClusterConnection.h"
#include "dashboard/ClusterListModel.h"
#include "dashboard/UpdateBatcher.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QMutex>
#include <QProcess>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QSGRendererInterface>
#include <QTimer>
#include <ctime>

namespace {
qint64 threadCpuNsecs()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// The GUI thread's CPU time from a frame's UpdateRequest to afterAnimating: delivering the
// frame-synchronous events and polishing the items (a TableView rebuilds its cells here). Not
// inside beforeSynchronizing -> frameSwapped, and in CPU time, so a loaded machine (where wall
// time mostly measures waiting for a core) does not hide what the views cost.
struct PolishClock : QObject {
    qint64 startCpu = -1;
    bool eventFilter(QObject *, QEvent *e) override
    {
        if (e->type() == QEvent::UpdateRequest)
            startCpu = threadCpuNsecs();
        return false;
    }
};

// Frame times on whatever thread renders: beforeSynchronizing -> frameSwapped is one frame's
// work (sync with the GUI thread, render, swap); frameSwapped -> frameSwapped is the interval a
// person sees. A 60 Hz update() request stands in for a running animation, so frames keep
// coming and a blocked GUI thread shows up as a long interval.
struct FrameProbe {
    QElapsedTimer clock;
    QMutex mutex;
    PolishClock polishClock;
    QObject *filtered = nullptr;
    bool recording = false;
    qint64 syncStart = -1, lastSwap = -1;
    QList<double> frameMs, intervalMs, polishCpuMs;
    QList<QMetaObject::Connection> connections;

    void attach(QQuickWindow *w)
    {
        clock.start();
        filtered = w;
        w->installEventFilter(&polishClock);
        connections << QObject::connect(
            w, &QQuickWindow::afterAnimating, w,
            [this] {
                QMutexLocker lock(&mutex);
                if (recording && polishClock.startCpu >= 0)
                    polishCpuMs.append(double(threadCpuNsecs() - polishClock.startCpu) / 1e6);
                polishClock.startCpu = -1;
            },
            Qt::DirectConnection);
        connections << QObject::connect(
            w, &QQuickWindow::beforeSynchronizing, w,
            [this] {
                QMutexLocker lock(&mutex);
                if (syncStart < 0)
                    syncStart = clock.nsecsElapsed();
            },
            Qt::DirectConnection);
        connections << QObject::connect(
            w, &QQuickWindow::frameSwapped, w,
            [this] {
                QMutexLocker lock(&mutex);
                const qint64 now = clock.nsecsElapsed();
                if (recording) {
                    if (syncStart >= 0)
                        frameMs.append(double(now - syncStart) / 1e6);
                    if (lastSwap >= 0)
                        intervalMs.append(double(now - lastSwap) / 1e6);
                }
                lastSwap = now;
                syncStart = -1;
            },
            Qt::DirectConnection);
    }
    void start()
    {
        QMutexLocker lock(&mutex);
        frameMs.clear();
        intervalMs.clear();
        polishCpuMs.clear();
        lastSwap = syncStart = -1;
        recording = true;
    }
    void stop()
    {
        QMutexLocker lock(&mutex);
        recording = false;
    }
    // The probe lives on the stack and the window outlives it (the engine owns it).
    ~FrameProbe()
    {
        for (const QMetaObject::Connection &c : std::as_const(connections))
            QObject::disconnect(c);
        if (filtered)
            filtered->removeEventFilter(&polishClock);
    }
};

QString apiName(QQuickWindow *w)
{
    switch (w->rendererInterface()->graphicsApi()) {
    case QSGRendererInterface::Software:
        return QStringLiteral("software");
    case QSGRendererInterface::OpenGL:
        return QStringLiteral("opengl");
    default:
        return QStringLiteral("other");
    }
}
} // namespace

QJsonObject runQmlFrames(QObject *connectionObject, const BenchOptions &o)
{
    auto *connection = qobject_cast<ClusterConnection *>(connectionObject);
    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/"));
    engine.setInitialProperties({{QStringLiteral("connection"), QVariant::fromValue(connection)},
                                 {QStringLiteral("startView"), QStringLiteral("hosts")}});
    QElapsedTimer loadTimer;
    loadTimer.start();
    engine.load(QUrl(QStringLiteral("qrc:/Portolan/Dashboard/Main.qml")));
    auto *window = engine.rootObjects().isEmpty()
                       ? nullptr
                       : qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    if (!window)
        qFatal("Main.qml did not load");
    FrameProbe probe;
    probe.attach(window);
    int swaps = 0;
    const QMetaObject::Connection swapCounting =
        QObject::connect(window, &QQuickWindow::frameSwapped, window, [&] { ++swaps; });
    waitUntil([&] { return swaps > 0; }, 60000);
    const double firstFrameMs = loadTimer.elapsed();
    waitUntil([] { return false; }, 2000); // the views' models load the 10k services

    QTimer animation; // ~60 Hz, like a running animation
    animation.setTimerType(Qt::PreciseTimer);
    animation.setInterval(16);
    QElapsedTimer tickClock;
    qint64 lastTick = -1;
    QList<double> tickGaps; // GUI thread: how late the 16 ms timer fired (a blocked thread)
    // The GUI thread's CPU time within the longest gap: working through it, or waiting for a core.
    double worstGap = 0, worstGapCpuMs = 0;
    qint64 lastTickCpu = 0;
    bool ticking = false;
    QObject::connect(&animation, &QTimer::timeout, window, [&] {
        window->update();
        const qint64 now = tickClock.nsecsElapsed();
        const qint64 cpu = threadCpuNsecs();
        if (ticking && lastTick >= 0) {
            const double gap = double(now - lastTick) / 1e6;
            if (gap > worstGap) {
                worstGap = gap;
                worstGapCpuMs = double(cpu - lastTickCpu) / 1e6;
            }
            tickGaps.append(gap);
        }
        lastTick = now;
        lastTickCpu = cpu;
    });
    tickClock.start();
    animation.start();

    // Every list model the views made (each view has its own): their batch flushes, by class, are
    // GUI thread time; what holds the thread up shows here.
    QMap<QString, QList<double>> flushMs, flushCpuMs;
    bool flushRecording = false;
    QList<QMetaObject::Connection> flushConnections;
    int modelsInViews = 0;
    for (ClusterListModel *m : window->findChildren<ClusterListModel *>()) {
        const QString n = QString::fromLatin1(m->metaObject()->className());
        ++modelsInViews;
        UpdateBatcher *b = m->batcher();
        flushConnections << QObject::connect(
            b, &UpdateBatcher::flushed, m,
            [&flushMs, &flushCpuMs, &flushRecording, n, b](qint64 ns) {
                if (!flushRecording)
                    return;
                flushMs[n].append(double(ns) / 1e6);
                flushCpuMs[n].append(double(b->lastFlushCpuNsecs()) / 1e6);
            });
    }

    QJsonObject views;
    QJsonObject summary;
    double worstFrame = 0, worstInterval = 0;
    const std::pair<const char *, int> runs[] = {{"hosts", 1}, {"events", 3}};
    int seed = 1;
    for (const auto &[name, index] : runs) {
        window->setProperty("currentView", index);
        waitUntil([] { return false; }, 1000);
        int events = 0;
        const QMetaObject::Connection counting = QObject::connect(
            connection->state(), &ClusterState::eventAppended, window, [&] { ++events; });
        // Detached, its output in a file: a QProcess child of this GUI process crashed it here
        // (Qt 6.4, offscreen, with the Qt Quick render loop running).
        const QString writerLog =
            QDir::temp().filePath(QStringLiteral("bench-dashboard-writer-%1-%2.log")
                                      .arg(QCoreApplication::applicationPid())
                                      .arg(seed));
        QFile::remove(writerLog);
        QProcess writer;
        writer.setProgram(o.self);
        writer.setArguments({QStringLiteral("--writer"), QStringLiteral("--etcd"), o.etcd,
                             QStringLiteral("--rate"), QString::number(o.rate),
                             QStringLiteral("--seconds"), QString::number(o.qmlSeconds),
                             QStringLiteral("--seed"), QString::number(seed++),
                             QStringLiteral("--hosts"), QString::number(o.layout.hosts),
                             QStringLiteral("--per-host"), QString::number(o.layout.perHost)});
        writer.setStandardOutputFile(writerLog);
        if (!writer.startDetached())
            qFatal("cannot start the writer %s", qPrintable(o.self));
        auto writerDone = [&] {
            QFile f(writerLog);
            return f.open(QIODevice::ReadOnly) && f.readAll().contains("writer:");
        };
        // Measure from the first event that arrives until the writer stops.
        waitUntil([&] { return events > 0; }, 10000);
        QElapsedTimer window_;
        window_.start();
        const int eventsAtStart = events;
        probe.start();
        flushMs.clear();
        flushCpuMs.clear();
        flushRecording = true;
        tickGaps.clear();
        worstGap = worstGapCpuMs = 0;
        ticking = true;
        waitUntil(writerDone, (o.qmlSeconds + 30) * 1000);
        probe.stop();
        flushRecording = false;
        ticking = false;
        const double seconds = double(window_.elapsed()) / 1000.0;
        const int applied = events - eventsAtStart;
        QObject::disconnect(counting);
        QFile logFile(writerLog);
        const QString writerOut = logFile.open(QIODevice::ReadOnly)
                                      ? QString::fromUtf8(logFile.readAll()).trimmed()
                                      : QString();
        logFile.remove();
        waitUntil([] { return false; }, 1500); // the writer's clean-up (re-additions) lands

        QList<double> frames, intervals, polishCpu;
        {
            QMutexLocker lock(&probe.mutex);
            frames = probe.frameMs;
            intervals = probe.intervalMs;
            polishCpu = probe.polishCpuMs;
        }
        double polishCpuTotal = 0;
        for (double x : std::as_const(polishCpu))
            polishCpuTotal += x;
        const double rate = applied / seconds;
        QJsonObject v{{"view", QString::fromLatin1(name)},
                      {"seconds", seconds},
                      {"events_applied", applied},
                      {"events_per_s", rate},
                      {"writer", writerOut},
                      {"frames", int(frames.size())},
                      {"frame_ms_p50", percentile(frames, 50)},
                      {"frame_ms_p99", percentile(frames, 99)},
                      {"frame_ms_max", maxOf(frames)},
                      {"frame_interval_ms_p50", percentile(intervals, 50)},
                      {"frame_interval_ms_p99", percentile(intervals, 99)},
                      {"frame_interval_ms_max", maxOf(intervals)},
                      {"gui_timer_gap_ms_max", maxOf(tickGaps)},
                      {"gui_timer_gap_cpu_ms", worstGapCpuMs},
                      {"polish_cpu_ms_p99", percentile(polishCpu, 99)},
                      {"polish_cpu_ms_max", maxOf(polishCpu)},
                      {"polish_cpu_ms_total", polishCpuTotal}};
        QJsonObject perModel;
        double flushTotal = 0;
        for (auto it = flushMs.cbegin(); it != flushMs.cend(); ++it) {
            double sum = 0;
            for (double x : it.value())
                sum += x;
            flushTotal += sum;
            const QList<double> &cpu = flushCpuMs[it.key()];
            perModel.insert(it.key(), QJsonObject{{"flushes", int(it.value().size())},
                                                  {"flush_ms_p50", percentile(it.value(), 50)},
                                                  {"flush_ms_max", maxOf(it.value())},
                                                  {"flush_ms_total", sum},
                                                  {"flush_cpu_ms_p50", percentile(cpu, 50)},
                                                  {"flush_cpu_ms_max", maxOf(cpu)}});
        }
        v.insert("models_in_views", modelsInViews);
        v.insert("per_model", perModel);
        v.insert("model_flush_share", flushTotal / 1000.0 / seconds);
        worstFrame = std::max(worstFrame, maxOf(frames));
        worstInterval = std::max(worstInterval, maxOf(intervals));
        printf("qml %-6s: %.0f events/s applied for %.1f s (%s); %lld frames: frame p50 %.1f ms, "
               "p99 %.1f ms, "
               "max %.1f ms; interval p50 %.1f ms, p99 %.1f ms, max %.1f ms; GUI timer gap max "
               "%.1f ms (GUI thread CPU in it %.1f ms)\n",
               name, rate, seconds, qPrintable(writerOut), qlonglong(frames.size()),
               percentile(frames, 50), percentile(frames, 99), maxOf(frames),
               percentile(intervals, 50), percentile(intervals, 99), maxOf(intervals),
               maxOf(tickGaps), worstGapCpuMs);
        for (auto it = perModel.constBegin(); it != perModel.constEnd(); ++it) {
            const QJsonObject m = it.value().toObject();
            printf("    %-18s %4d flushes, p50 %.1f ms, max %.1f ms, total %.0f ms; GUI thread "
                   "CPU p50 %.1f ms, max %.1f ms\n",
                   qPrintable(it.key()), m.value("flushes").toInt(),
                   m.value("flush_ms_p50").toDouble(), m.value("flush_ms_max").toDouble(),
                   m.value("flush_ms_total").toDouble(), m.value("flush_cpu_ms_p50").toDouble(),
                   m.value("flush_cpu_ms_max").toDouble());
        }
        printf("    polish (GUI thread CPU): p99 %.1f ms, max %.1f ms, total %.0f ms\n",
               percentile(polishCpu, 99), maxOf(polishCpu), polishCpuTotal);
        fflush(stdout);
        views.insert(QString::fromLatin1(name), v);
    }
    animation.stop();
    QObject::disconnect(swapCounting); // `swaps` dies before the engine and its window
    for (const QMetaObject::Connection &c : std::as_const(flushConnections))
        QObject::disconnect(c);
    return {{"ui", "qrc:/Portolan/Dashboard/Main.qml, offscreen"},
            {"graphics_api", apiName(window)},
            {"first_frame_ms", firstFrameMs},
            {"rate_target", o.rate},
            {"views", views},
            {"frame_ms_max", worstFrame},
            {"frame_interval_ms_max", worstInterval},
            {"target_max_frame_ms", 50},
            {"met", worstFrame <= 50},
            {"interval_met", worstInterval <= 50}};
}
