#pragma once

#include "cluster/ClusterTypes.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>

struct EtcdKeyValue;

// The live cluster picture, built from etcd alone: hosts, services per host and by name, and a
// bounded event log. Fed by EtcdClusterSource (list at R, then watch from R+1) or, in tests, by
// recorded snapshots and watch events. All views (feed, browser, dashboard models) read from it.
class ClusterState : public QObject {
    Q_OBJECT
    Q_PROPERTY(Status status READ status NOTIFY statusChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)
    Q_PROPERTY(qint64 revision READ revision NOTIFY revisionChanged)
public:
    enum class Status { Disconnected, Connecting, Ready, Error };
    Q_ENUM(Status)

    explicit ClusterState(QString portolanPrefix = QStringLiteral("/portolan"),
                          QObject *parent = nullptr);

    // --- feeding ---
    // Replaces everything with a full listing at `revision` (start, reconnect, compaction).
    // Differences to the previous picture become events, so a client never misses a change.
    void resetFromSnapshot(const QList<EtcdKeyValue> &kvs, qint64 revision);
    // One watch event: a put (value non-empty or isDelete false) or a delete of `key`.
    void applyPut(const QByteArray &key, const QByteArray &value, qint64 revision);
    void applyDelete(const QByteArray &key, qint64 revision);
    void setStatus(Status status, const QString &errorString = {});
    // Advances revision() without a change (a watch progress notification).
    void noteRevision(qint64 revision);

    // --- reading ---
    Status status() const { return m_status; }
    QString errorString() const { return m_errorString; }
    qint64 revision() const { return m_revision; }
    QString portolanPrefix() const { return m_prefix; }
    QList<HostRecord> hosts() const;       // up and gone, sorted by hostname
    QList<ServiceRecord> services() const; // all, sorted by host then id
    QList<ServiceRecord> servicesOnHost(const QString &host) const;
    QMap<QString, QList<ServiceRecord>> servicesByName() const;
    QList<ClusterEvent> events() const; // oldest first, at most eventLimit()
    int eventLimit() const { return m_eventLimit; }
    void setEventLimit(int limit);
    // Hosts that went stay listed (up == false) until more than this many are gone; then the
    // longest gone is dropped (hostRemoved).
    int goneHostLimit() const { return m_goneHostLimit; }
    void setGoneHostLimit(int limit);
    bool hasHost(const QString &hostname) const { return m_hosts.contains(hostname); }
    HostRecord host(const QString &hostname) const { return m_hosts.value(hostname); }

Q_SIGNALS:
    void statusChanged();
    void errorStringChanged();
    void revisionChanged();
    void hostChanged(const HostRecord &host); // new, updated, or gone (host.up == false)
    void serviceAdded(const ServiceRecord &service);
    void serviceChanged(const ServiceRecord &service);
    void serviceRemoved(const ServiceRecord &service);
    void eventAppended(const ClusterEvent &event);
    // After resetFromSnapshot: views that cannot diff should re-read everything.
    void snapshotReset(qint64 revision);
    // A gone host was dropped from the list to keep it bounded (see goneHostLimit()).
    void hostRemoved(const QString &hostname);

private:
    // implementation detail, owned by the cluster engineer
    struct Private;
    QString m_prefix;
    Status m_status = Status::Disconnected;
    QString m_errorString;
    qint64 m_revision = 0;
    int m_eventLimit = 1000;
    QHash<QString, HostRecord> m_hosts;
    QHash<QString, ServiceRecord> m_services; // by detail record key
    QList<ClusterEvent> m_events;
    quint64 m_nextSeq = 1;
    int m_goneHostLimit = 256;
    QSet<QString> m_warnedKeys; // malformed records are reported once per key

    enum class KeyKind { Other, Host, Service };
    KeyKind classify(const QString &key, QString *host, QString *id) const;
    // Parses a put into a record; false (warned once) when nothing usable could be read.
    bool parseHost(const QString &key, const QString &hostname, const QByteArray &value,
                   HostRecord *out);
    bool parseService(const QString &key, const QString &host, const QString &id,
                      const QByteArray &value, ServiceRecord *out);
    void warnOnce(const QString &key, const QString &message);
    void putHost(const HostRecord &record, qint64 revision);
    void hostGone(const QString &hostname, qint64 revision, const QDateTime &when);
    void putService(const ServiceRecord &record, qint64 revision);
    void removeService(const QString &key, qint64 revision);
    void appendEvent(ClusterEvent::Action action, const QString &host, const ServiceRecord *service,
                     qint64 revision);
    void advanceRevision(qint64 revision);
    void trimGoneHosts();
};
