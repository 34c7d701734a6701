// portolan-dashboard: the cluster picture on a desktop. Connects to etcd (--etcd) or to an
// agent's feed (--feed), or to what was used last.
#include "dashboard/ClusterConnection.h"
#include "dashboard/Preferences.h"

#include <QCommandLineParser>
#include <QFile>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlContext>
#include <QQuickStyle>
#include <QQuickWindow>
#include <QTimer>
#include <QtQml/QQmlExtensionPlugin>

Q_IMPORT_QML_PLUGIN(Portolan_ModelsPlugin)
Q_IMPORT_QML_PLUGIN(Portolan_DashboardPlugin)

int main(int argc, char *argv[])
{
    QGuiApplication app(argc, argv);
    app.setOrganizationName(QStringLiteral("Portolan"));
    app.setApplicationName(QStringLiteral("dashboard"));
    app.setApplicationVersion(QStringLiteral(PORTOLAN_VERSION));
    QQuickStyle::setStyle(QStringLiteral("Basic")); // colours come from our Theme

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Portolan dashboard"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption etcd(QStringLiteral("etcd"),
                            QStringLiteral("etcd endpoints, comma separated."),
                            QStringLiteral("URL"));
    QCommandLineOption feed(QStringLiteral("feed"),
                            QStringLiteral("An agent's feed (ws://host:port/ws)."),
                            QStringLiteral("URL"));
    QCommandLineOption tokenFile(QStringLiteral("feed-token-file"),
                                 QStringLiteral("File holding the feed's token."),
                                 QStringLiteral("FILE"));
    QCommandLineOption prefix(QStringLiteral("prefix"),
                              QStringLiteral("Portolan key prefix in etcd (default /portolan)."),
                              QStringLiteral("PREFIX"));
    QCommandLineOption cacert(QStringLiteral("etcd-cacert"),
                              QStringLiteral("CA file for etcd TLS."), QStringLiteral("FILE"));
    QCommandLineOption cert(QStringLiteral("etcd-cert"), QStringLiteral("Client certificate."),
                            QStringLiteral("FILE"));
    QCommandLineOption key(QStringLiteral("etcd-key"), QStringLiteral("Client key."),
                           QStringLiteral("FILE"));
    QCommandLineOption user(QStringLiteral("etcd-user"), QStringLiteral("etcd user[:password]."),
                            QStringLiteral("USER"));
    QCommandLineOption view(
        QStringLiteral("view"),
        QStringLiteral("Start on a view: overview, hosts, services, events, tree."),
        QStringLiteral("NAME"));
    QCommandLineOption theme(QStringLiteral("theme"), QStringLiteral("light, dark or system."),
                             QStringLiteral("THEME"));
    QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                  QStringLiteral("Save the window as FILE after 3 s and quit."),
                                  QStringLiteral("FILE"));
    parser.addOptions(
        {etcd, feed, tokenFile, prefix, cacert, cert, key, user, view, theme, screenshot});
    parser.process(app);

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
