#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <optional>

// The records Portolan keeps in etcd (records/Keyspace.h says where) and the feed sends
// (docs/feed.md). Each record's forEachField() is THE list of its members: the etcd encoder and
// decoder, operator== and the feed's JSON all walk it (RecordCodec.cpp), so a new member is
// added there once, and tst_records fails when it is not.

// How one member is spelled: its name in the JSON stored in etcd (nullptr: not stored, the key or
// the reader supplies it) and in the feed's JSON (nullptr: not sent).
struct RecordField {
    const char *etcd;
    const char *feed;
    bool optional = false; // left out of the etcd JSON while empty (the agent learns it later)
};

// What an agent publishes about itself at <prefix>/hosts/<hostname> (on its lease).
struct HostRecord {
    QString hostname;
    QString address;
    QString agentVersion;
    QString dockerVersion;
    QString feedUrl;
    QDateTime startedAt;
    bool up = true;   // false once the record was deleted (lease expired or agent gone)
    QDateTime goneAt; // when it went, for hosts that are gone

    // In the order of the etcd names, which is the order QJsonDocument writes (sorted): the
    // encoder writes them as listed.
    template <typename Visit> static void forEachField(Visit &&visit)
    {
        visit(RecordField{"address", "address", true}, &HostRecord::address);
        visit(RecordField{"agentVersion", "agentVersion"}, &HostRecord::agentVersion);
        visit(RecordField{"dockerVersion", "dockerVersion", true}, &HostRecord::dockerVersion);
        visit(RecordField{"feedUrl", "feedUrl", true}, &HostRecord::feedUrl);
        visit(RecordField{"hostname", "hostname"}, &HostRecord::hostname);
        visit(RecordField{"startedAt", "startedAt"}, &HostRecord::startedAt);
        visit(RecordField{nullptr, "up"}, &HostRecord::up);
        visit(RecordField{nullptr, "goneAt"}, &HostRecord::goneAt);
    }

    bool operator==(const HostRecord &o) const;
    bool operator!=(const HostRecord &o) const { return !(*this == o); }
    QByteArray toEtcdValue() const;
    // nullopt when the value is not a JSON object.
    static std::optional<HostRecord> fromEtcdValue(const QByteArray &value);
    static HostRecord fromEtcdJson(const QJsonObject &json);
    QJsonObject toJson() const; // the feed's "host" object
    static HostRecord fromJson(const QJsonObject &feed);
};

// A detail record at <prefix>/services/<hostname>/<id> (on the agent's lease).
struct ServiceRecord {
    QString key; // the etcd key of the detail record
    QString id;
    QString name;
    QString host;
    QString ip;
    int port = 0;
    QString protocol;
    QStringList tags;
    QMap<QString, QString> attributes;
    QString containerId;
    QString containerName;
    QString image;
    // Docker's HEALTHCHECK state: "none" (no healthcheck), "starting", "healthy", "unhealthy";
    // empty when an older agent wrote the record (read as "none").
    QString health;
    // The registrator-compatible key, e.g. /services/redis/core-01:redis.1:6379
    QString registryKey;
    QDateTime registeredAt;

    // In the order of the etcd names (sorted, as QJsonDocument writes them): the encoder writes
    // them as listed. In etcd "key" is the registrator key; the feed's "key" is the record's own.
    template <typename Visit> static void forEachField(Visit &&visit)
    {
        visit(RecordField{"attributes", "attributes"}, &ServiceRecord::attributes);
        visit(RecordField{"containerId", "containerId"}, &ServiceRecord::containerId);
        visit(RecordField{"containerName", "containerName"}, &ServiceRecord::containerName);
        visit(RecordField{"health", "health", true}, &ServiceRecord::health);
        visit(RecordField{"host", "host"}, &ServiceRecord::host);
        visit(RecordField{"id", "id"}, &ServiceRecord::id);
        visit(RecordField{"image", "image"}, &ServiceRecord::image);
        visit(RecordField{"ip", "ip"}, &ServiceRecord::ip);
        visit(RecordField{"key", "registryKey"}, &ServiceRecord::registryKey);
        visit(RecordField{"name", "name"}, &ServiceRecord::name);
        visit(RecordField{"port", "port"}, &ServiceRecord::port);
        visit(RecordField{"protocol", "protocol"}, &ServiceRecord::protocol);
        visit(RecordField{"registeredAt", "registeredAt"}, &ServiceRecord::registeredAt);
        visit(RecordField{"tags", "tags"}, &ServiceRecord::tags);
        visit(RecordField{nullptr, "key"}, &ServiceRecord::key);
    }

    QString address() const; // ip:port, IPv6 bracketed
    // Whether a balancer may send it traffic: healthy, or no healthcheck at all.
    bool takesTraffic() const;

    bool operator==(const ServiceRecord &o) const;
    bool operator!=(const ServiceRecord &o) const { return !(*this == o); }
    // The detail record's bytes, written directly (bench/FINDINGS.md F12): what QJsonDocument
    // would write for the same object, byte for byte.
    QByteArray toEtcdValue() const;
    // nullopt when the value is not a JSON object; `key` stays empty (the caller knows it).
    static std::optional<ServiceRecord> fromEtcdValue(const QByteArray &value);
    QJsonObject toJson() const; // the feed's "service" object (with the derived "address")
    static ServiceRecord fromJson(const QJsonObject &feed);
};
// Every member is an implicitly shared Qt value or a plain int, so a QList of 10k records can
// move rows with memmove instead of move-constructing each later element.
Q_DECLARE_TYPEINFO(ServiceRecord, Q_RELOCATABLE_TYPE);

// One routed service in a balancer's record.
struct BalancerRoute {
    QString service; // the registered service name
    QString backend; // the HAProxy backend or nginx upstream that carries it
    int servers = 0; // registered instances
    int ready = 0;   // of those, the ones taking traffic (healthy or without a healthcheck)

    template <typename Visit> static void forEachField(Visit &&visit)
    {
        visit(RecordField{"backend", "backend"}, &BalancerRoute::backend);
        visit(RecordField{"ready", "ready"}, &BalancerRoute::ready);
        visit(RecordField{"servers", "servers"}, &BalancerRoute::servers);
        visit(RecordField{"service", "service"}, &BalancerRoute::service);
    }
    bool operator==(const BalancerRoute &o) const;
    bool operator!=(const BalancerRoute &o) const { return !(*this == o); }
};

// What a running portolan-lb publishes at <prefix>/balancers/<name> (on its own lease).
struct BalancerRecord {
    QString name;
    QString host;          // where portolan-lb runs
    QString driver;        // "haproxy" or "nginx"
    QString driverVersion; // the balancer's own version, e.g. "2.6.12"
    QString version;       // portolan-lb's version
    QDateTime startedAt;
    QDateTime lastApplyAt;
    QString lastApplyMethod; // "runtime" (HAProxy Runtime API) or "reload"; empty before the first
    QString lastError;       // the last failure, one sentence; empty once an apply succeeded
    QDateTime lastErrorAt;
    QList<BalancerRoute> routes; // sorted by service
    bool up = true;              // false once the record was deleted (lease expired or lb gone)

    template <typename Visit> static void forEachField(Visit &&visit)
    {
        visit(RecordField{"driver", "driver"}, &BalancerRecord::driver);
        visit(RecordField{"driverVersion", "driverVersion", true}, &BalancerRecord::driverVersion);
        visit(RecordField{"host", "host"}, &BalancerRecord::host);
        visit(RecordField{"lastApplyAt", "lastApplyAt", true}, &BalancerRecord::lastApplyAt);
        visit(RecordField{"lastApplyMethod", "lastApplyMethod", true},
              &BalancerRecord::lastApplyMethod);
        visit(RecordField{"lastError", "lastError", true}, &BalancerRecord::lastError);
        visit(RecordField{"lastErrorAt", "lastErrorAt", true}, &BalancerRecord::lastErrorAt);
        visit(RecordField{"name", "name"}, &BalancerRecord::name);
        visit(RecordField{"routes", "routes"}, &BalancerRecord::routes);
        visit(RecordField{"startedAt", "startedAt"}, &BalancerRecord::startedAt);
        visit(RecordField{"version", "version"}, &BalancerRecord::version);
        visit(RecordField{nullptr, "up"}, &BalancerRecord::up);
    }

    bool operator==(const BalancerRecord &o) const;
    bool operator!=(const BalancerRecord &o) const { return !(*this == o); }
    QByteArray toEtcdValue() const;
    static std::optional<BalancerRecord> fromEtcdValue(const QByteArray &value);
    QJsonObject toJson() const; // the feed's "balancer" object
    static BalancerRecord fromJson(const QJsonObject &feed);
};

// One entry of the bounded event log.
struct ClusterEvent {
    enum class Action { Added, Removed, Changed, HostUp, HostGone };
    quint64 seq = 0; // increases by one per event, per ClusterState
    Action action = Action::Added;
    QString host;
    QString service; // service name; empty for host events
    QString serviceId;
    QString address;
    qint64 revision = 0; // etcd revision of the change
    // When it happened: the record's registeredAt/startedAt for what a snapshot found already
    // there, otherwise when ClusterState saw the change.
    QDateTime time;

    static QString actionName(Action a); // "added", "removed", "changed", "host-up", "host-gone"
    QJsonObject toJson() const;
};
