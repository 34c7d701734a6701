#pragma once

#include "core/CommandLine.h"
#include "records/Keyspace.h"

#include <QString>
#include <QStringList>

// The agent's command line: registrator's flags (Go-style, options before the URI) plus ours.
struct AgentOptions {
    QString hostIp;            // -ip
    bool internal = false;     // -internal
    bool explicitOnly = false; // -explicit
    QString useIpFromLabel;    // -useIpFromLabel
    QString tags;              // -tags (template)
    int ttl = 30;              // -ttl, seconds: lease TTL
    int ttlRefresh = 0;        // -ttl-refresh, seconds: 0 means ttl/3
    int resync = 0;            // -resync, seconds: 0 disables periodic reconcile
    QString deregister = QStringLiteral("always"); // -deregister always|on-success
    bool registerHealthy = false; // -register-healthy: registrator key only while healthy
    int retryAttempts = -1;       // -retry-attempts: initial connection attempts, -1 forever
    int retryInterval = 2000;     // -retry-interval, ms
    bool cleanup = false;         // -cleanup: accepted; cleanup of this host's keys is always on
    QString hostname;             // -hostname: overrides the OS hostname in service ids
    QString etcdCaFile, etcdCertFile, etcdKeyFile;      // -etcd-cacert, -etcd-cert, -etcd-key
    QString etcdUser;                                   // -etcd-user user[:password]
    QString etcdPasswordFile;                           // -etcd-password-file
    QString portolanPrefix = Keyspace::defaultPrefix(); // -portolan-prefix
    QString feed;          // -feed ADDR:PORT: serve the browser view and the WebSocket feed
    QString feedTokenFile; // -feed-token-file: required for a non-loopback -feed
    QString feedCertFile, feedKeyFile; // -feed-cert, -feed-key: serve the feed over TLS
    QString
        feedAllowedHosts; // -feed-allowed-hosts: host names the feed answers for, comma-separated
    QString registryUri;  // the one positional argument
    QString metrics;      // -metrics ADDR:PORT: /metrics, /healthz and /readyz on their own port

    // Longest -hostname accepted, in UTF-8 bytes (a DNS name's limit).
    static constexpr int MaxHostnameBytes = 253;
    // Why hostname cannot be one etcd key segment (empty, "." or "..", '/' or ':', a control
    // character, longer than MaxHostnameBytes), or an empty string when it can.
    static QString hostnameError(const QString &hostname);
};

struct AgentArguments {
    using Outcome = CommandLine::Outcome;
    Outcome outcome = Outcome::Run;
    QString error; // one line, for Outcome::Error
    AgentOptions options;

    // args excludes argv[0]. Follows Go's flag package: "-f", "--f", "-f=v", "-f v"; booleans
    // take only "-f" or "-f=true|false"; parsing stops at the first non-flag or "--".
    static AgentArguments parse(const QStringList &args);
    static QString usage();
};
