#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

// What an agent publishes about itself at <portolanPrefix>/hosts/<hostname> (JSON, on its lease).
struct HostRecord {
    QString hostname;
    QString address;
    QString agentVersion;
    QString dockerVersion;
    QString feedUrl;
    QDateTime startedAt;
    bool up = true;   // false once the record was deleted (lease expired or agent gone)
    QDateTime goneAt; // when it went, for hosts that are gone

    QJsonObject toJson() const; // the feed's and docs/feed.md's "host" object
    // Parses the etcd value; hostname falls back to `keyHostname` when absent.
    static HostRecord fromEtcd(const QString &keyHostname, const QByteArray &value);
};

// A detail record at <portolanPrefix>/services/<hostname>/<id> (JSON, on the agent's lease).
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
    // The registrator-compatible key, e.g. /services/redis/core-01:redis.1:6379
    QString registryKey;
    QDateTime registeredAt;

    QString address() const; // ip:port, IPv6 bracketed
    QJsonObject toJson() const;
    static ServiceRecord fromEtcd(const QString &key, const QByteArray &value);
    bool operator==(const ServiceRecord &o) const;
};
// Every member is an implicitly shared Qt value or a plain int, so a QList of 10k records can
// move rows with memmove instead of move-constructing each later element.
Q_DECLARE_TYPEINFO(ServiceRecord, Q_RELOCATABLE_TYPE);

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
    QDateTime time;      // when ClusterState saw it

    static QString actionName(Action a); // "added", "removed", "changed", "host-up", "host-gone"
    QJsonObject toJson() const;
};
