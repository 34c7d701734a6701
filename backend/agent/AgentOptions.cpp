#include "agent/AgentOptions.h"

#include "core/CommandLine.h"

#include <QHash>
#include <QHostAddress>
#include <QRegularExpression>
#include <functional>

namespace {

struct Flag {
    QString name;
    QString help;
    bool isBool = false;
    // Applies the value; returns an error sentence or an empty string.
    std::function<QString(AgentOptions &, const QString &)> apply;
};

using CommandLine::parseBool;
using CommandLine::parseInt;
using CommandLine::printable;

Flag str(const char *name, QString AgentOptions::*field, const char *help)
{
    return {QLatin1String(name), QLatin1String(help), false,
            [field](AgentOptions &o, const QString &v) {
                o.*field = v;
                return QString();
            }};
}

Flag hostnameFlag()
{
    return {QStringLiteral("hostname"),
            QStringLiteral("Hostname used in service ids (default: the OS hostname)"), false,
            [](AgentOptions &o, const QString &v) {
                const QString error = AgentOptions::hostnameError(v);
                if (!error.isEmpty())
                    return QStringLiteral("-hostname: %1").arg(error);
                o.hostname = v;
                return QString();
            }};
}

Flag integer(const char *name, int AgentOptions::*field, int min, const char *help)
{
    const QString n = QLatin1String(name);
    return {n, QLatin1String(help), false, [field, n, min](AgentOptions &o, const QString &v) {
                return parseInt(n, v, min, &(o.*field));
            }};
}

Flag boolean(const char *name, bool AgentOptions::*field, const char *help)
{
    const QString n = QLatin1String(name);
    return {n, QLatin1String(help), true,
            [field, n](AgentOptions &o, const QString &v) { return parseBool(n, v, &(o.*field)); }};
}

const QList<Flag> &flags()
{
    static const QList<Flag> all{
        str("ip", &AgentOptions::hostIp, "IP for ports mapped to the host"),
        boolean("internal", &AgentOptions::internal,
                "Use internal ports instead of published ones"),
        boolean("explicit", &AgentOptions::explicitOnly,
                "Only register containers which have SERVICE_NAME label set"),
        str("useIpFromLabel", &AgentOptions::useIpFromLabel,
            "Use IP which is stored in a label assigned to the container"),
        str("tags", &AgentOptions::tags,
            "Append tags for all registered services (supports a Go template subset)"),
        integer("ttl", &AgentOptions::ttl, 2,
                "TTL of the agent's etcd lease, in seconds (default 30)"),
        integer("ttl-refresh", &AgentOptions::ttlRefresh, 0,
                "Seconds between lease keep-alives (default ttl/3)"),
        integer("resync", &AgentOptions::resync, 0,
                "Seconds between full reconciles with Docker (0: only at start and reconnect)"),
        str("deregister", &AgentOptions::deregister,
            "Deregister exited services \"always\" or \"on-success\""),
        boolean("register-healthy", &AgentOptions::registerHealthy,
                "Write a container that has a HEALTHCHECK to the registrator key only while it "
                "is healthy (its detail record is always written, with its health)"),
        integer(
            "retry-attempts", &AgentOptions::retryAttempts, -1,
            "Attempts to reach the registry at start before exiting (-1: forever, the default)"),
        integer("retry-interval", &AgentOptions::retryInterval, 1,
                "Interval in milliseconds between retry-attempts (default 2000)"),
        boolean("cleanup", &AgentOptions::cleanup,
                "Remove dangling services (always on; accepted for registrator compatibility)"),
        hostnameFlag(),
        str("etcd-cacert", &AgentOptions::etcdCaFile, "CA certificate file to verify etcd"),
        str("etcd-cert", &AgentOptions::etcdCertFile, "Client certificate file for etcd"),
        str("etcd-key", &AgentOptions::etcdKeyFile, "Client key file for etcd"),
        str("etcd-user", &AgentOptions::etcdUser, "etcd user name, or user:password"),
        str("etcd-password-file", &AgentOptions::etcdPasswordFile,
            "File holding the etcd password"),
        str("portolan-prefix", &AgentOptions::portolanPrefix,
            "etcd prefix for Portolan's host and detail records (default /portolan)"),
        str("feed", &AgentOptions::feed,
            "ADDR:PORT to serve the browser view and live feed on, e.g. 127.0.0.1:8080"),
        str("feed-token-file", &AgentOptions::feedTokenFile,
            "File holding the token feed clients must present (required off loopback)"),
        str("feed-cert", &AgentOptions::feedCertFile, "TLS certificate file for the feed"),
        str("feed-key", &AgentOptions::feedKeyFile, "TLS key file for the feed"),
        str("feed-allowed-hosts", &AgentOptions::feedAllowedHosts,
            "Host names the feed answers for besides its IP addresses and localhost, "
            "comma-separated (e.g. behind a proxy: feed.example.com)"),
        str("metrics", &AgentOptions::metrics,
            "ADDR:PORT to serve /metrics, /healthz and /readyz on (the feed's port has them too)"),
    };
    return all;
}

QString validate(const AgentOptions &o)
{
    if (o.deregister != QLatin1String("always") && o.deregister != QLatin1String("on-success"))
        return QStringLiteral("-deregister must be \"always\" or \"on-success\", not \"%1\"")
            .arg(o.deregister);
    if (o.ttlRefresh > 0 && o.ttlRefresh >= o.ttl)
        return QStringLiteral("-ttl must be greater than -ttl-refresh (%1 <= %2)")
            .arg(o.ttl)
            .arg(o.ttlRefresh);
    if (!o.portolanPrefix.startsWith(QLatin1Char('/')))
        return QStringLiteral("-portolan-prefix must start with '/'");
    if (o.feedCertFile.isEmpty() != o.feedKeyFile.isEmpty())
        return QStringLiteral("-feed-cert and -feed-key must be given together");
    if (!o.feed.isEmpty()) {
        const int colon = o.feed.lastIndexOf(QLatin1Char(':'));
        bool ok = false;
        const int port = colon < 0 ? 0 : o.feed.mid(colon + 1).toInt(&ok);
        if (colon <= 0 || !ok || port < 0 || port > 65535)
            return QStringLiteral("-feed must be ADDR:PORT, e.g. 127.0.0.1:8080, not \"%1\"")
                .arg(o.feed);
        QString host = o.feed.left(colon);
        if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
            host = host.mid(1, host.size() - 2);
        QHostAddress address;
        if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) != 0) {
            if (!address.setAddress(host))
                return QStringLiteral("-feed address \"%1\" is not an IP address; use e.g. "
                                      "127.0.0.1:8080")
                    .arg(host);
            if (!address.isLoopback() && o.feedTokenFile.isEmpty())
                return QStringLiteral("-feed=%1 is reachable from other hosts: give "
                                      "-feed-token-file, or bind 127.0.0.1")
                    .arg(o.feed);
        }
    }
    if (!o.metrics.isEmpty()) {
        const QString error = CommandLine::checkListenAddress(QStringLiteral("metrics"), o.metrics,
                                                              QStringLiteral("127.0.0.1:9464"));
        if (!error.isEmpty())
            return error;
    }
    if (!o.feedAllowedHosts.isEmpty()) {
        // Names only: the Host check ignores ports, and an IP address is always allowed.
        static const QRegularExpression name(
            QStringLiteral("^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                           "(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"));
        for (const QString &host : o.feedAllowedHosts.split(QLatin1Char(','))) {
            if (!name.match(host).hasMatch() || host.size() > 253)
                return QStringLiteral("-feed-allowed-hosts: \"%1\" is not a host name; give "
                                      "names like feed.example.com, comma-separated, no ports")
                    .arg(printable(host));
        }
    }
    if (!o.etcdPasswordFile.isEmpty() && o.etcdUser.isEmpty())
        return QStringLiteral("-etcd-password-file needs -etcd-user");
    return {};
}

} // namespace

QString AgentOptions::hostnameError(const QString &hostname)
{
    // The hostname is one etcd key segment (/portolan/hosts/<hostname>, service ids).
    if (hostname.isEmpty())
        return QStringLiteral("must not be empty");
    if (hostname == QLatin1String(".") || hostname == QLatin1String(".."))
        return QStringLiteral("\"%1\" is not a host name").arg(hostname);
    if (hostname.toUtf8().size() > MaxHostnameBytes)
        return QStringLiteral("longer than %1 bytes").arg(MaxHostnameBytes);
    for (const QChar c : hostname) {
        const char16_t u = c.unicode();
        if (u == '/' || u == ':')
            return QStringLiteral("\"%1\" must not contain '/' or ':'").arg(printable(hostname));
        if (u < 0x20 || u == 0x7f || (u >= 0x80 && u < 0xa0) || u == 0x2028 || u == 0x2029)
            return QStringLiteral("\"%1\" contains a control character").arg(printable(hostname));
    }
    return {};
}

AgentArguments AgentArguments::parse(const QStringList &args)
{
    AgentArguments result;
    AgentOptions &o = result.options;
    auto fail = [&result](const QString &error) {
        result.outcome = Outcome::Error;
        result.error = printable(error); // values are quoted raw above; the error is one line
        return result;
    };

    QList<CommandLine::Flag> bound;
    for (const Flag &f : flags())
        bound.append(
            {f.name, f.help, f.isBool, [&o, f](const QString &v) { return f.apply(o, v); }});
    const CommandLine::Parsed parsed = CommandLine::parse(args, bound);
    result.outcome = parsed.outcome;
    result.error = parsed.error;
    if (parsed.outcome != Outcome::Run)
        return result;

    const QStringList &rest = parsed.positional;
    if (rest.isEmpty())
        return fail(QStringLiteral("missing required argument for registry URI"));
    if (rest.size() > 1)
        return fail(QStringLiteral("extra arguments after the registry URI: %1 (options must "
                                   "come before the registry URI)")
                        .arg(rest.mid(1).join(QLatin1Char(' '))));
    o.registryUri = rest.first();
    const QString error = validate(o);
    if (!error.isEmpty())
        return fail(error);
    return result;
}

QString AgentArguments::usage()
{
    QString text = QStringLiteral(
        "Usage: portolan [options] <registry URI>\n\n"
        "Registers every published port of this host's Docker containers in etcd.\n\n"
        "Registry URIs:\n"
        "  etcd://HOST[:PORT][,HOST2[:PORT]]/PREFIX    etcd v3 (leases), e.g. "
        "etcd://127.0.0.1:2379/services\n"
        "  etcds://HOST[:PORT][,...]/PREFIX            etcd v3 over TLS\n"
        "  etcd2://HOST[:PORT]/PREFIX                  etcd v2 keys API (legacy clusters)\n"
        "  skydns2://HOST[:PORT]/DOMAIN                SkyDNS/CoreDNS records in etcd v3\n"
        "  A user and password may be given as etcd://USER:PASSWORD@HOST/PREFIX.\n\n"
        "Docker is reached through DOCKER_HOST (default unix:///var/run/docker.sock),\n"
        "DOCKER_TLS_VERIFY and DOCKER_CERT_PATH.\n\n"
        "Options:\n");
    QList<CommandLine::Flag> described;
    for (const Flag &f : flags())
        described.append({f.name, f.help, f.isBool, {}});
    text += CommandLine::usage(described);
    text += QStringLiteral("\n"
                           "On SIGTERM the agent stops without deregistering: the containers "
                           "still run, and\ntheir keys expire with the agent's lease (-ttl) unless "
                           "an agent starts again.\n");
    return text;
}
