// portolan-dashboard: the cluster picture on a desktop. Connects to etcd (--etcd) or to an
// agent's feed (--feed), or to what was used last.
#include "dashboard/ClusterConnection.h"
#include "dashboard/Preferences.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlContext>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTimer>
#include <QtQml/QQmlExtensionPlugin>
#include <cstdio>
#include <cstdlib>
#include <vector>

Q_IMPORT_QML_PLUGIN(Portolan_ModelsPlugin)
Q_IMPORT_QML_PLUGIN(Portolan_DashboardPlugin)

namespace {
constexpr int kUsageError = 2;

const QStringList kViews = {QStringLiteral("overview"), QStringLiteral("hosts"),
                            QStringLiteral("services"), QStringLiteral("events"),
                            QStringLiteral("tree"),     QStringLiteral("balancers")};

void setApplicationData()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Portolan"));
    QCoreApplication::setApplicationName(QStringLiteral("dashboard"));
    QCoreApplication::setApplicationVersion(QStringLiteral(PORTOLAN_VERSION));
}

// The options QGuiApplication takes out of argv itself (-platform offscreen, -reverse, ...; one
// or two dashes; QCoreApplication already removes -qmljsdebugger). The early parse runs before
// QGuiApplication exists, so it must accept them; like Qt's own, they stay out of --help.
QList<QCommandLineOption> guiApplicationOptions()
{
    QList<QCommandLineOption> options;
    const char *const withValue[] = {"platform",        "platformpluginpath",
                                     "platformtheme",   "plugin",
                                     "qwindowgeometry", "geometry",
                                     "qwindowtitle",    "title",
                                     "qwindowicon",     "icon",
                                     "display",         "name",
                                     "session",         "style",
                                     "stylesheet"};
    for (const char *name : withValue) {
        QCommandLineOption option(QString::fromLatin1(name), QString(), QStringLiteral("value"));
        option.setFlags(QCommandLineOption::HiddenFromHelp);
        options.append(option);
    }
    const char *const flags[] = {"reverse", "nograb", "dograb", "testability"};
    for (const char *name : flags) {
        QCommandLineOption option(QString::fromLatin1(name));
        option.setFlags(QCommandLineOption::HiddenFromHelp);
        options.append(option);
    }
    return options;
}

[[noreturn]] void usageError(const QString &message)
{
    std::fprintf(stderr, "portolan-dashboard: %s (see --help)\n", qPrintable(message));
    std::fflush(stderr);
    std::exit(kUsageError);
}
} // namespace

int main(int argc, char *argv[])
{
    setApplicationData();

    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.setApplicationDescription(QStringLiteral(
        "Portolan dashboard: the cluster's hosts, services, events and etcd keys, live.\n"
        "Reads etcd (--etcd) or an agent's feed (--feed); with neither, the connection used "
        "last.\nQt's own options (-platform NAME, -reverse, ...) are accepted too."));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption etcd(QStringLiteral("etcd"),
                            QStringLiteral("Read etcd at URL (comma separated list)."),
                            QStringLiteral("URL"));
    QCommandLineOption feed(QStringLiteral("feed"),
                            QStringLiteral("Read an agent's feed (ws://HOST:PORT/ws)."),
                            QStringLiteral("URL"));
    QCommandLineOption tokenFile(QStringLiteral("feed-token-file"),
                                 QStringLiteral("With --feed: read the feed's token from FILE."),
                                 QStringLiteral("FILE"));
    QCommandLineOption prefix(QStringLiteral("prefix"),
                              QStringLiteral("Portolan keys' prefix in etcd (/portolan)."),
                              QStringLiteral("PREFIX"));
    QCommandLineOption cacert(QStringLiteral("etcd-cacert"),
                              QStringLiteral("With --etcd: CA file to verify etcd's TLS."),
                              QStringLiteral("FILE"));
    QCommandLineOption cert(QStringLiteral("etcd-cert"),
                            QStringLiteral("With --etcd: TLS client certificate."),
                            QStringLiteral("FILE"));
    QCommandLineOption key(QStringLiteral("etcd-key"),
                           QStringLiteral("With --etcd: the client certificate's key."),
                           QStringLiteral("FILE"));
    QCommandLineOption user(QStringLiteral("etcd-user"),
                            QStringLiteral("With --etcd: etcd user (USER or USER:PASSWORD)."),
                            QStringLiteral("USER"));
    QCommandLineOption view(QStringLiteral("view"),
                            QStringLiteral("View: %1").arg(kViews.join(u'|')),
                            QStringLiteral("NAME"));
    QCommandLineOption theme(QStringLiteral("theme"),
                             QStringLiteral("This run's look: light, dark or system."),
                             QStringLiteral("THEME"));
    QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                  QStringLiteral("Save the window as FILE after 3 s and quit."),
                                  QStringLiteral("FILE"));
    parser.addOptions(
        {etcd, feed, tokenFile, prefix, cacert, cert, key, user, view, theme, screenshot});
    parser.addOptions(guiApplicationOptions());

    // Parsed before QGuiApplication exists: --help, --version and a usage error need no
    // display and load no platform plugin. The temporary QCoreApplication (on a copy of argv,
    // which it may edit) gives the parser the program's name and arguments.
    {
        std::vector<char *> args(argv, argv + argc);
        args.push_back(nullptr);
        int count = argc;
        QCoreApplication early(count, args.data());
        if (!parser.parse(QCoreApplication::arguments()))
            usageError(parser.errorText().chopped(parser.errorText().endsWith(u'.') ? 1 : 0));
        parser.process(early); // --help, --help-all, --version: print and exit 0
        if (!parser.positionalArguments().isEmpty())
            usageError(QStringLiteral("unexpected argument \"%1\"")
                           .arg(parser.positionalArguments().constFirst()));
        if (parser.isSet(theme) && !Preferences::isThemeMode(parser.value(theme)))
            usageError(QStringLiteral("unknown --theme \"%1\" (use light, dark or system)")
                           .arg(parser.value(theme)));
        if (parser.isSet(view) && !kViews.contains(parser.value(view)))
            usageError(QStringLiteral("unknown --view \"%1\" (use %2)")
                           .arg(parser.value(view), kViews.join(u", ")));
    }

    QGuiApplication app(argc, argv);
    setApplicationData();
    QQuickStyle::setStyle(QStringLiteral("Basic")); // colours come from our Theme

    ClusterConnection connection;
    if (parser.isSet(prefix))
        connection.setPortolanPrefix(parser.value(prefix));
    if (parser.isSet(etcd)) {
        EtcdClientOptions options;
        options.endpoints = ClusterConnection::parseEndpoints(parser.value(etcd));
        options.caFile = parser.value(cacert);
        options.certFile = parser.value(cert);
        options.keyFile = parser.value(key);
        const QString u = parser.value(user);
        options.username = u.section(QLatin1Char(':'), 0, 0);
        options.password = u.section(QLatin1Char(':'), 1);
        connection.connectToEtcd(options);
    } else if (parser.isSet(feed)) {
        QString token;
        if (parser.isSet(tokenFile)) {
            QFile f(parser.value(tokenFile));
            if (f.open(QIODevice::ReadOnly))
                token = QString::fromUtf8(f.readAll()).trimmed();
            else
                qWarning("cannot read the feed token from %s: %s",
                         qPrintable(parser.value(tokenFile)), qPrintable(f.errorString()));
        }
        connection.connectToFeed(parser.value(feed), token);
    } else {
        connection.connectLast();
    }

    QQmlApplicationEngine engine;
    engine.addImportPath(QStringLiteral("qrc:/"));
    engine.setInitialProperties(
        {{QStringLiteral("connection"), QVariant::fromValue(&connection)},
         {QStringLiteral("startView"), parser.value(view)},
         {QStringLiteral("themeMode"), Preferences().startupTheme(parser.value(theme))}});
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreationFailed, &app,
        [] { QCoreApplication::exit(1); }, Qt::QueuedConnection);
    engine.load(QUrl(QStringLiteral("qrc:/Portolan/Dashboard/Main.qml")));
    if (parser.isSet(screenshot)) {
        QTimer::singleShot(3000, &app, [&] {
            auto *window = engine.rootObjects().isEmpty()
                               ? nullptr
                               : qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
            const bool saved = window && window->grabWindow().save(parser.value(screenshot));
            if (!saved)
                qWarning("could not save the screenshot to %s",
                         qPrintable(parser.value(screenshot)));
            QCoreApplication::exit(saved ? 0 : 1);
        });
    }
    return app.exec();
}
