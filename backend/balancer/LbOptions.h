#pragma once

#include "core/CommandLine.h"
#include "records/Keyspace.h"

#include <QString>
#include <QStringList>

// portolan-lb's command line: the agent's etcd URI and access flags, which services to route,
// the balancer to drive, and the pacing of applies.
struct LbOptions {
    QString registryUri; // the one positional argument: etcd://HOST:PORT[/PREFIX] or etcds://
    QString etcdCaFile, etcdCertFile, etcdKeyFile, etcdUser, etcdPasswordFile;
    QString portolanPrefix = Keyspace::defaultPrefix();

    QString driver;         // -driver haproxy|nginx
    QString name;           // -name: the balancer record's name (default: the hostname)
    QStringList routeNames; // -route web,api
    QStringList routeTags;  // -route-tag lb
    QStringList tcpNames;   // -tcp redis: routed as TCP (HAProxy mode tcp, nginx stream)

    QString haproxyConfig = QStringLiteral("/etc/haproxy/portolan.cfg");
    QString haproxyMainConfig = QStringLiteral("/etc/haproxy/haproxy.cfg");
    QString haproxySocket = QStringLiteral("/run/haproxy/admin.sock");
    QString haproxyMasterSocket = QStringLiteral("/run/haproxy/master.sock");
    QString haproxyBinary = QStringLiteral("haproxy");

    QString nginxHttpConfig = QStringLiteral("/etc/nginx/conf.d/portolan-upstreams.conf");
    QString nginxStreamConfig; // empty: TCP services are not written for nginx
    QString nginxMainConfig = QStringLiteral("/etc/nginx/nginx.conf");
    QString nginxPrefix;
    QString nginxPidFile = QStringLiteral("/run/nginx.pid");
    QString nginxBinary = QStringLiteral("nginx");
    int nginxMaxFails = 1;            // -nginx-max-fails: a server's max_fails (0: never rested)
    int nginxFailTimeoutSeconds = 10; // -nginx-fail-timeout: its fail_timeout, seconds

    int quietMs = 5;             // -quiet: a change waits this long for more (runtime applies)
    int reloadQuietMs = 500;     // -reload-quiet: the same before a reload
    int maxDelayMs = 3000;       // -max-delay: no change waits longer, however busy etcd is
    int reloadIntervalMs = 2000; // -reload-interval: at least this long between two reloads
    int verifySeconds = 5;       // -verify-interval: check the balancer still holds the plan
    int ttl = 15;                // -ttl: the balancer record's lease, seconds
    QString metrics;             // -metrics ADDR:PORT: /metrics, /healthz, /readyz
};

struct LbArguments {
    using Outcome = CommandLine::Outcome;
    Outcome outcome = Outcome::Run;
    QString error; // one line, for Outcome::Error
    LbOptions options;

    static LbArguments parse(const QStringList &args); // args excludes argv[0]
    static QString usage();
};
