// portolan: the host agent. Watches this host's Docker daemon and registers every published
// port in etcd, with registrator's command line, naming rules and key layout.
#include "agent/Agent.h"
#include "agent/AgentOptions.h"
#include "core/Version.h"

#include <QCoreApplication>
#include <QTextStream>

namespace {
int usageError(const QString &message)
{
    QTextStream(stderr) << "portolan: " << message << " (see 'portolan -help')\n";
    return 2;
}
} // namespace

int main(int argc, char **argv)
{
    // Qt's own UNIX event dispatcher instead of glib's: the agent runs no glib main loop, and
    // glib's dispatcher costs ~0.5 MiB of resident code and more work per loop iteration.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("portolan"));
    QCoreApplication::setApplicationVersion(Portolan::version());

    const AgentArguments args = AgentArguments::parse(app.arguments().mid(1));
    switch (args.outcome) {
    case AgentArguments::Outcome::Help:
        QTextStream(stdout) << AgentArguments::usage();
        return 0;
    case AgentArguments::Outcome::Version:
        QTextStream(stdout) << "portolan " << Portolan::version() << "\n";
        return 0;
    case AgentArguments::Outcome::Error:
        return usageError(args.error);
    case AgentArguments::Outcome::Run:
        break;
    }

    Agent agent(args.options);
    QString error;
    if (!agent.start(&error))
        return error.isEmpty() ? 1 : usageError(error);
    return app.exec();
}
