// portolan-lb: keeps HAProxy's backends or nginx's upstreams equal to the service instances
// Portolan's agents registered in etcd.
#include "balancer/LbOptions.h"
#include "balancer/LoadBalancer.h"
#include "core/Log.h"
#include "core/Version.h"

#include <QCoreApplication>
#include <QTextStream>

int main(int argc, char **argv)
{
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1"); // no glib main loop to serve; Qt's own dispatcher is lighter
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("portolan-lb"));
    QCoreApplication::setApplicationVersion(Portolan::version());

    const LbArguments args = LbArguments::parse(app.arguments().mid(1));
    switch (args.outcome) {
    case LbArguments::Outcome::Help:
        QTextStream(stdout) << LbArguments::usage();
        return 0;
    case LbArguments::Outcome::Version:
        QTextStream(stdout) << "portolan-lb " << Portolan::version() << "\n";
        return 0;
    case LbArguments::Outcome::Error:
        QTextStream(stderr) << "portolan-lb: " << args.error << " (see 'portolan-lb -help')\n";
        return 2;
    case LbArguments::Outcome::Run:
        break;
    }

    Log::install();
    LoadBalancer balancer(args.options);
    QString error;
    if (!balancer.start(&error)) {
        QTextStream(stderr) << "portolan-lb: " << error << "\n";
        return 2;
    }
    return app.exec();
}
