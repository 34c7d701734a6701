#include "balancer/LbOptions.h"

#include "core/CommandLine.h"

namespace {

using CommandLine::Flag;

Flag text(const char *name, QString *field, const char *help)
{
    return {QLatin1String(name), QLatin1String(help), false, [field](const QString &v) {
                *field = v;
                return QString();
            }};
}

Flag list(const char *name, QStringList *field, const char *help)
{
    return {QLatin1String(name), QLatin1String(help), false, [field](const QString &v) {
                for (const QString &item : v.split(QLatin1Char(','), Qt::SkipEmptyParts))
                    field->append(item.trimmed());
                return QString();
            }};
}

Flag integer(const char *name, int *field, int min, const char *help)
{
    const QString n = QLatin1String(name);
    return {n, QLatin1String(help), false,
            [field, n, min](const QString &v) { return CommandLine::parseInt(n, v, min, field); }};
}

QList<Flag> flags(LbOptions &o)
{
    return {
        text("driver", &o.driver, "The balancer to drive: haproxy or nginx (required)"),
        list("route", &o.routeNames,
             "Route these service names, comma-separated (may be repeated)"),
        list("route-tag", &o.routeTags,
             "Route the services that carry this tag, e.g. lb for SERVICE_TAGS=lb"),
        list("tcp", &o.tcpNames,
             "Route these services as TCP (HAProxy mode tcp, nginx stream); others are HTTP"),
        text("name", &o.name, "Name of this balancer's record (default: the hostname)"),
        text("haproxy-config", &o.haproxyConfig,
             "The file of backends portolan-lb owns (default /etc/haproxy/portolan.cfg)"),
        text("haproxy-main-config", &o.haproxyMainConfig,
             "The operator's config, checked with ours (default /etc/haproxy/haproxy.cfg)"),
        text("haproxy-socket", &o.haproxySocket,
             "HAProxy's Runtime API socket, level admin (default /run/haproxy/admin.sock)"),
        text("haproxy-master-socket", &o.haproxyMasterSocket,
             "The master CLI socket of haproxy -W -S (default /run/haproxy/master.sock)"),
        text("haproxy-bin", &o.haproxyBinary, "The haproxy program (default haproxy)"),
        text("nginx-http-config", &o.nginxHttpConfig,
             "The include file of http upstreams portolan-lb owns "
             "(default /etc/nginx/conf.d/portolan-upstreams.conf)"),
        text("nginx-stream-config", &o.nginxStreamConfig,
             "The include file of stream upstreams for -tcp services (default: none)"),
        text("nginx-main-config", &o.nginxMainConfig,
             "The operator's nginx.conf, for nginx -t (default /etc/nginx/nginx.conf)"),
        text("nginx-prefix", &o.nginxPrefix, "nginx's -p prefix (default: nginx's own)"),
        text("nginx-pid-file", &o.nginxPidFile, "nginx's pid file (default /run/nginx.pid)"),
        text("nginx-bin", &o.nginxBinary, "The nginx program (default nginx)"),
        integer("nginx-max-fails", &o.nginxMaxFails, 0,
                "Failed attempts before nginx rests a server, its max_fails; 0 never rests "
                "it (default 1)"),
        integer("nginx-fail-timeout", &o.nginxFailTimeoutSeconds, 1,
                "Seconds nginx rests a failed server, its fail_timeout (default 10)"),
        integer("quiet", &o.quietMs, 0,
                "Milliseconds a change waits for more before a runtime apply (default 5)"),
        integer("reload-quiet", &o.reloadQuietMs, 0,
                "Milliseconds a change waits for more before a reload (default 500)"),
        integer("max-delay", &o.maxDelayMs, 1,
                "Longest a change waits however busy etcd is, milliseconds (default 3000)"),
        integer("reload-interval", &o.reloadIntervalMs, 0,
                "Shortest time between two reloads, milliseconds (default 2000)"),
        integer("verify-interval", &o.verifySeconds, 1,
                "Seconds between checks that the balancer still holds the plan (default 5)"),
        integer("ttl", &o.ttl, 2, "TTL of the balancer record's lease, seconds (default 15)"),
        text("etcd-cacert", &o.etcdCaFile, "CA certificate file to verify etcd"),
        text("etcd-cert", &o.etcdCertFile, "Client certificate file for etcd"),
        text("etcd-key", &o.etcdKeyFile, "Client key file for etcd"),
        text("etcd-user", &o.etcdUser, "etcd user name, or user:password"),
        text("etcd-password-file", &o.etcdPasswordFile, "File holding the etcd password"),
        text("portolan-prefix", &o.portolanPrefix,
             "etcd prefix of Portolan's records (default /portolan)"),
        text("metrics", &o.metrics, "ADDR:PORT to serve /metrics, /healthz and /readyz on"),
    };
}

QString validate(const LbOptions &o)
{
    if (o.driver.isEmpty())
        return QStringLiteral("-driver is required: haproxy or nginx");
    if (o.driver != QLatin1String("haproxy") && o.driver != QLatin1String("nginx"))
        return QStringLiteral("-driver must be haproxy or nginx, not \"%1\"").arg(o.driver);
    if (o.routeNames.isEmpty() && o.routeTags.isEmpty())
        return QStringLiteral("nothing to route: give -route NAME[,NAME] and/or -route-tag TAG");
    for (const QString &t : o.tcpNames)
        if (!o.routeNames.contains(t) && o.routeTags.isEmpty())
            return QStringLiteral("-tcp %1 is not routed: add it to -route").arg(t);
    if (!o.portolanPrefix.startsWith(QLatin1Char('/')))
        return QStringLiteral("-portolan-prefix must start with '/'");
    if (o.maxDelayMs < o.quietMs || o.maxDelayMs < o.reloadQuietMs)
        return QStringLiteral("-max-delay (%1 ms) must be at least -quiet and -reload-quiet")
            .arg(o.maxDelayMs);
    if (o.driver == QLatin1String("nginx") && o.nginxHttpConfig.isEmpty() &&
        o.nginxStreamConfig.isEmpty())
        return QStringLiteral("-driver nginx needs -nginx-http-config or -nginx-stream-config");
    if (!o.metrics.isEmpty())
        return CommandLine::checkListenAddress(QStringLiteral("metrics"), o.metrics,
                                               QStringLiteral("127.0.0.1:9465"));
    if (!o.etcdPasswordFile.isEmpty() && o.etcdUser.isEmpty())
        return QStringLiteral("-etcd-password-file needs -etcd-user");
    return {};
}

} // namespace

LbArguments LbArguments::parse(const QStringList &args)
{
    LbArguments result;
    auto fail = [&result](const QString &error) {
        result.outcome = Outcome::Error;
        result.error = CommandLine::printable(error);
        return result;
    };
    const CommandLine::Parsed parsed = CommandLine::parse(args, flags(result.options));
    result.outcome = parsed.outcome;
    result.error = parsed.error;
    if (parsed.outcome != Outcome::Run)
        return result;
    if (parsed.positional.isEmpty())
        return fail(QStringLiteral("missing required argument for the etcd URI, e.g. "
                                   "etcd://127.0.0.1:2379"));
    if (parsed.positional.size() > 1)
        return fail(QStringLiteral("extra arguments after the etcd URI: %1 (options must come "
                                   "before the etcd URI)")
                        .arg(parsed.positional.mid(1).join(QLatin1Char(' '))));
    result.options.registryUri = parsed.positional.first();
    const QString error = validate(result.options);
    if (!error.isEmpty())
        return fail(error);
    return result;
}

QString LbArguments::usage()
{
    LbOptions scratch;
    return QStringLiteral(
               "Usage: portolan-lb -driver haproxy|nginx -route NAME|-route-tag TAG [options] "
               "<etcd URI>\n\n"
               "Keeps HAProxy's backends or nginx's upstreams equal to the service instances\n"
               "Portolan's agents registered in etcd. Portolan owns only the server lists; the\n"
               "frontends, TLS and timeouts stay in the operator's own config.\n\n"
               "etcd URIs: etcd://HOST[:PORT][,HOST2[:PORT]][/PREFIX], etcds://... for TLS;\n"
               "the same URI the agents use (its path is not needed).\n\n"
               "Options:\n") +
           CommandLine::usage(flags(scratch)) +
           QStringLiteral("\nSee docs/load-balancing.md for the HAProxy and nginx configs to "
                          "pair it with.\n");
}
