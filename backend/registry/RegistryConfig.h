#pragma once

#include "etcd/EtcdClient.h"
#include "records/Keyspace.h"

#include <QString>
#include <QStringList>

// The etcd access flags portolan and portolan-lb share.
struct EtcdAccessFlags {
    QString caFile, certFile, keyFile; // -etcd-cacert, -etcd-cert, -etcd-key
    QString user;                      // -etcd-user user[:password]
    QString passwordFile;              // -etcd-password-file
};

// Everything needed to open a registry: the parsed URI plus the agent's etcd flags.
struct RegistryConfig {
    enum class Backend { EtcdV3, EtcdV2, SkyDns2 };
    Backend backend = Backend::EtcdV3;
    QString uri;           // as given, password masked (for logs)
    QStringList endpoints; // base URLs: "http://127.0.0.1:2379", "https://10.0.0.2:2379"
    bool tls = false;      // etcds:// or any https endpoint
    QString prefix;        // "/services" (etcd, etcd2); "/skydns/local/cluster" (skydns2)
    QString domain;        // skydns2 only: "cluster.local"

    int ttlSeconds = 30;         // -ttl: lease TTL (v3) or key TTL (v2)
    int refreshSeconds = 0;      // -ttl-refresh: 0 means ttl/3
    int requestTimeoutMs = 5000; // per request, then fail over to the next endpoint

    QString caFile, certFile, keyFile; // -etcd-cacert, -etcd-cert, -etcd-key
    QString username, password;        // URI userinfo or -etcd-user / -etcd-password-file

    QString hostname;                                   // the agent's hostname
    QString portolanPrefix = Keyspace::defaultPrefix(); // namespace for host/detail records

    // Parses "etcd://host[:port][,host2[:port]]/prefix" and friends into *out (other fields of
    // *out are kept). On error returns false with one clear sentence in *error.
    static QString maskedUri(const QString &uri); // a password in it becomes ***
    static bool parseUri(const QString &uri, RegistryConfig *out, QString *error);
    // Checks and applies the TLS files (which turn the endpoints to https) and the user and
    // password; false with one sentence naming the flag in *error.
    bool applyEtcdAccess(const EtcdAccessFlags &flags, QString *error);
    // The etcd client's side of this config: endpoints, timeout, TLS files, user.
    EtcdClientOptions etcdClientOptions() const;
};
