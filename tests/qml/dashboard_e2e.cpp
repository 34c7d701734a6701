// The dashboard end to end (driven by tests/integration/dashboard_e2e.sh): loads the program's
// Main.qml against etcd (--etcd) or an agent's feed (--feed), prints READY once the picture is
// there, then waits (bounded) until the service --service-id shows up as rows of the Host view's
// table and as an "added" row of the Events view, both found by objectName among the rendered
// items, and saves a PNG of every view in every --themes theme under --out.
// Exit status 0 when everything was seen, 1 with a FAIL line saying what was not.
#include "dashboard/ClusterConnection.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>
#include <QtQml/QQmlExtensionPlugin>
#include <cstdio>
#include <functional>

Q_IMPORT_QML_PLUGIN(Portolan_ModelsPlugin)
Q_IMPORT_QML_PLUGIN(Portolan_DashboardPlugin)

namespace {

const QStringList kViews = {QStringLiteral("overview"), QStringLiteral("hosts"),
                            QStringLiteral("services"), QStringLiteral("events"),
                            QStringLiteral("tree")};

void out(const QString &line)
{
    std::fprintf(stdout, "%s\n", qPrintable(line));
    std::fflush(stdout);
}

// Every visible item under `root` (the rendered tree, delegates included) named `objectName`.
void collect(QQuickItem *root, const QString &objectName, QList<QQuickItem *> &found)
{
    for (QQuickItem *child : root->childItems()) {
        if (!child->isVisible())
            continue;
        if (child->objectName() == objectName)
            found << child;
        collect(child, objectName, found);
    }
}

QQuickItem *findItem(QObject *root, const QString &objectName)
{
    return root->findChild<QQuickItem *>(objectName);
}

class Driver : public QObject {
public:
    Driver(QQuickWindow *window, const QCommandLineParser &args, ClusterConnection *connection)
        : m_window(window), m_connection(connection)
    {
        m_host = args.value(QStringLiteral("host"));
        m_serviceId = args.value(QStringLiteral("service-id"));
        m_outDir = args.value(QStringLiteral("out"));
        m_label = args.value(QStringLiteral("label"));
        m_themes = args.value(QStringLiteral("themes")).split(QLatin1Char(','), Qt::SkipEmptyParts);
        m_timeoutMs = args.value(QStringLiteral("timeout")).toInt() * 1000;
    }

    void start() { step(); }

private:
    // Polls `done` every 100 ms until true (then `next`) or until the bound (then FAIL `why()`).
    void waitFor(const QString &what, std::function<bool()> done, std::function<QString()> why,
                 std::function<void()> next)
    {
        QElapsedTimer *since = new QElapsedTimer;
        since->start();
        auto poll = std::make_shared<std::function<void()>>();
        *poll = [=] {
            if (done()) {
                const qint64 ms = since->elapsed();
                delete since;
                out(QStringLiteral("SEEN %1 after %2 ms").arg(what).arg(ms));
                next();
                return;
            }
            if (since->elapsed() > m_timeoutMs) {
                delete since;
                fail(QStringLiteral("%1 not seen within %2 s: %3")
                         .arg(what)
                         .arg(m_timeoutMs / 1000)
                         .arg(why()));
                return;
            }
            QTimer::singleShot(100, this, *poll);
        };
        (*poll)();
    }

    void fail(const QString &why)
    {
        out(QStringLiteral("FAIL %1").arg(why));
        saveAll(QStringLiteral("failed-"), [] { QCoreApplication::exit(1); });
    }

    QQuickItem *view(const QString &name)
    {
        return findItem(m_window, name + QStringLiteral("View"));
    }
    void show(int index) { m_window->setProperty("currentView", index); }

    QString state() const
    {
        return QStringLiteral("connection %1 (%2)")
            .arg(m_connection->statusName(), m_connection->errorString().isEmpty()
                                                 ? QStringLiteral("no error")
                                                 : m_connection->errorString());
    }

    // The Host view's table cells that belong to the service.
    int hostTableCells()
    {
        QList<QQuickItem *> cells;
        collect(view(QStringLiteral("hosts")), QStringLiteral("serviceCell"), cells);
        int n = 0;
        for (QQuickItem *c : cells)
            n += c->property("serviceId").toString() == m_serviceId;
        return n;
    }
    QString hostTableWhy()
    {
        QList<QQuickItem *> cells;
        QQuickItem *hosts = view(QStringLiteral("hosts"));
        collect(hosts, QStringLiteral("serviceCell"), cells);
        QStringList ids;
        for (QQuickItem *c : cells) {
            const QString id = c->property("serviceId").toString();
            if (!ids.contains(id))
                ids << id;
        }
        QQuickItem *banner = findItem(hosts, QStringLiteral("statusBannerText"));
        return QStringLiteral("the table of host %1 shows [%2]; banner \"%3\"; %4")
            .arg(m_host, ids.join(QStringLiteral(", ")),
                 banner && banner->isVisible() ? banner->property("text").toString() : QString(),
                 state());
    }

    bool addedEventShown()
    {
        QList<QQuickItem *> rows;
        collect(view(QStringLiteral("events")), QStringLiteral("eventRow"), rows);
        for (QQuickItem *r : rows) {
            if (r->property("serviceId").toString() == m_serviceId &&
                r->property("action").toString() == QLatin1String("added"))
                return true;
        }
        return false;
    }
    QString eventsWhy()
    {
        QList<QQuickItem *> rows;
        collect(view(QStringLiteral("events")), QStringLiteral("eventRow"), rows);
        QStringList seen;
        for (QQuickItem *r : rows)
            seen << r->property("action").toString() + QLatin1Char(' ') +
                        r->property("serviceId").toString();
        return QStringLiteral("the event rows are [%1]; %2")
            .arg(seen.join(QStringLiteral(", ")), state());
    }

    void step()
    {
        waitFor(
            QStringLiteral("connection ready"),
            [this] { return m_connection->statusName() == QLatin1String("ready"); },
            [this] { return state(); },
            [this] {
                view(QStringLiteral("hosts"))->setProperty("host", m_host);
                show(1);
                m_readyAt = QDateTime::currentMSecsSinceEpoch();
                out(QStringLiteral("READY %1").arg(m_readyAt));
                waitFor(
                    QStringLiteral("%1 in the Host view's table").arg(m_serviceId),
                    [this] { return hostTableCells() >= 9; }, [this] { return hostTableWhy(); },
                    [this] {
                        out(QStringLiteral("HOSTVIEW %1").arg(QDateTime::currentMSecsSinceEpoch()));
                        show(3);
                        waitFor(
                            QStringLiteral("an \"added\" event for %1 in the Events view")
                                .arg(m_serviceId),
                            [this] { return addedEventShown(); }, [this] { return eventsWhy(); },
                            [this] {
                                out(QStringLiteral("EVENTSVIEW %1")
                                        .arg(QDateTime::currentMSecsSinceEpoch()));
                                const QString shortcuts = checkShortcuts();
                                if (!shortcuts.isEmpty()) {
                                    fail(shortcuts);
                                    return;
                                }
                                out(QStringLiteral("SEEN Ctrl+1..5 switch views, Ctrl+F "
                                                   "focuses the filter"));
                                prepareTree();
                                saveAll({}, [] { QCoreApplication::exit(0); });
                            });
                    });
            });
    }

    // Ctrl+1..5 through the window system (so Shortcut items see them), Ctrl+F on the Host
    // view; returns what went wrong, or nothing.
    QString checkShortcuts()
    {
        m_window->requestActivate();
        for (int i = kViews.size(); i >= 1; --i) {
            QTest::keyClick(m_window, Qt::Key(Qt::Key_0 + i), Qt::ControlModifier);
            const int current = m_window->property("currentView").toInt();
            if (current != i - 1)
                return QStringLiteral("Ctrl+%1 shows view %2, not %3 (%4)")
                    .arg(i)
                    .arg(current)
                    .arg(i - 1)
                    .arg(kViews.at(i - 1));
        }
        show(1);
        QTest::keyClick(m_window, Qt::Key_F, Qt::ControlModifier);
        QQuickItem *search =
            findItem(view(QStringLiteral("hosts")), QStringLiteral("serviceSearch"));
        if (!search || !search->hasActiveFocus())
            return QStringLiteral("Ctrl+F on the Host view did not focus its filter field");
        return {};
    }

    // The key tree read again and opened down to the service's detail record, so its screenshot
    // shows the keyspace and a value.
    void prepareTree()
    {
        QQuickItem *tree = view(QStringLiteral("tree"));
        const QString key = m_connection->portolanPrefix() + QStringLiteral("/services/") + m_host +
                            QLatin1Char('/') + m_serviceId;
        if (tree)
            QMetaObject::invokeMethod(tree, "revealKey", Q_ARG(QVariant, key));
    }

    // One PNG per view and theme: <out>/<prefix><label>-<theme>-<view>.png.
    void saveAll(const QString &prefix, std::function<void()> then)
    {
        QDir().mkpath(m_outDir);
        auto shots = std::make_shared<QList<std::pair<QString, int>>>();
        for (const QString &theme : std::as_const(m_themes))
            for (int i = 0; i < kViews.size(); ++i)
                shots->append({theme, i});
        auto next = std::make_shared<std::function<void()>>();
        *next = [=] {
            if (shots->isEmpty()) {
                then();
                return;
            }
            const std::pair<QString, int> shot = shots->takeFirst();
            const QString theme = shot.first;
            const int i = shot.second;
            m_window->setProperty("themeMode", theme);
            show(i);
            // Give batched models (100 ms), layouts and the chart's Canvas time to settle.
            QTimer::singleShot(900, this, [=] {
                const QString file = QDir(m_outDir).filePath(
                    QStringLiteral("%1%2-%3-%4.png").arg(prefix, m_label, theme, kViews.at(i)));
                const QImage image = m_window->grabWindow();
                if (image.isNull() || !image.save(file))
                    out(QStringLiteral("FAIL could not save %1").arg(file));
                else
                    out(QStringLiteral("SCREENSHOT %1 %2x%3")
                            .arg(file)
                            .arg(image.width())
                            .arg(image.height()));
                (*next)();
            });
        };
        (*next)();
    }

    QQuickWindow *m_window;
    ClusterConnection *m_connection;
    QString m_host, m_serviceId, m_outDir, m_label;
    QStringList m_themes;
    int m_timeoutMs = 30000;
    qint64 m_readyAt = 0;
};

} // namespace

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true); // profiles go to a test settings file
    QQuickStyle::setStyle(QStringLiteral("Basic"));

    QCommandLineParser parser;
    parser.addHelpOption();
    const QList<QCommandLineOption> options = {
        {QStringLiteral("etcd"), QStringLiteral("etcd endpoints."), QStringLiteral("URL")},
        {QStringLiteral("feed"), QStringLiteral("An agent's feed URL."), QStringLiteral("URL")},
        {QStringLiteral("host"), QStringLiteral("The agent's hostname."), QStringLiteral("NAME")},
        {QStringLiteral("service-id"), QStringLiteral("The service to wait for."),
         QStringLiteral("ID")},
        {QStringLiteral("out"), QStringLiteral("Screenshot folder."), QStringLiteral("DIR")},
        {QStringLiteral("label"), QStringLiteral("Screenshot name prefix."),
         QStringLiteral("LABEL"), QStringLiteral("dashboard")},
        {QStringLiteral("themes"), QStringLiteral("Themes to screenshot, comma separated."),
         QStringLiteral("LIST"), QStringLiteral("light,dark")},
        {QStringLiteral("timeout"), QStringLiteral("Seconds to wait for each step."),
         QStringLiteral("S"), QStringLiteral("30")},
    };
    parser.addOptions(options);
    parser.process(app);
    for (const char *required : {"host", "service-id", "out"}) {
        if (!parser.isSet(QLatin1String(required))) {
            out(QStringLiteral("FAIL --%1 is required").arg(QLatin1String(required)));
            return 2;
        }
    }

    ClusterConnection connection;
    if (parser.isSet(QStringLiteral("etcd")))
        connection.connectToEtcd(parser.value(QStringLiteral("etcd")));
    else if (parser.isSet(QStringLiteral("feed")))
        connection.connectToFeed(parser.value(QStringLiteral("feed")));
    else {
        out(QStringLiteral("FAIL give --etcd or --feed"));
        return 2;
    }

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/"));
    engine.setInitialProperties({{QStringLiteral("connection"), QVariant::fromValue(&connection)},
                                 {QStringLiteral("startView"), QStringLiteral("hosts")},
                                 {QStringLiteral("themeMode"), QStringLiteral("light")}});
    engine.load(QUrl(QStringLiteral("qrc:/Portolan/Dashboard/Main.qml")));
    auto *window = engine.rootObjects().isEmpty()
                       ? nullptr
                       : qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    if (!window) {
        out(QStringLiteral("FAIL Main.qml did not load (see the QML errors above)"));
        return 1;
    }
    Driver driver(window, parser, &connection);
    QTimer::singleShot(0, &driver, [&] { driver.start(); });
    return app.exec();
}
