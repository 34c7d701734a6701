#pragma once

#include "records/Keyspace.h"
#include "records/Records.h"

#include <QHash>
#include <QList>
#include <QObject>

// A full listing of the records at one revision.
struct ClusterSnapshot {
    template <typename Record> struct Entry {
        Record record;
        qint64 revision = 0; // when it was last written; 0: the snapshot's revision
    };
    QList<Entry<HostRecord>> hosts;
    QList<Entry<ServiceRecord>> services; // each with its key set
    qint64 revision = 0;
    QList<Entry<BalancerRecord>> balancers;
};

// The live cluster picture: hosts, services per host and by name, and a bounded event log. It
// takes decoded records: EtcdClusterSource feeds it from etcd (list at R, then watch from R+1),
// FeedClusterClient from an agent's feed, tests from records built in place. All views (feed,
// browser, dashboard models) read from it.
class ClusterState : public QObject {
    Q_OBJECT
    Q_PROPERTY(Status status READ status NOTIFY statusChanged)
    Q_PROPERTY(QString errorString READ errorString NOTIFY errorStringChanged)
    Q_PROPERTY(qint64 revision READ revision NOTIFY revisionChanged)
public:
    enum class Status { Disconnected, Connecting, Ready, Error };
    Q_ENUM(Status)

    explicit ClusterState(QString portolanPrefix = Keyspace::defaultPrefix(),
                          QObject *parent = nullptr);

    // --- feeding ---
    // Replaces everything with a full listing (start, reconnect, compaction). Differences to
    // the previous picture become events, so a client never misses a change; what was already
    // there is stamped with its record's registeredAt/startedAt, not with the time of listing.
    void resetToSnapshot(const ClusterSnapshot &snapshot);
    // One change at `revision`. A service is known by its key; removing what is not there, or
    // writing what is already there, only advances the revision.
    void upsertHost(const HostRecord &host, qint64 revision);
    void removeHost(const QString &hostname, qint64 revision); // the host stays listed as gone
    void upsertService(const ServiceRecord &service, qint64 revision);
    void removeService(const QString &key, qint64 revision);
    void upsertBalancer(const BalancerRecord &balancer, qint64 revision);
    void removeBalancer(const QString &name, qint64 revision);
    void setStatus(Status status, const QString &errorString = {});
    // Advances revision() without a change (a watch progress notification).
    void noteRevision(qint64 revision);

    // --- reading ---
    Status status() const { return m_status; }
    QString errorString() const { return m_errorString; }
    qint64 revision() const { return m_revision; }
    QString portolanPrefix() const { return m_keyspace.prefix(); }
    const Keyspace &keyspace() const { return m_keyspace; }
    QList<HostRecord> hosts() const;       // up and gone, sorted by hostname
    QList<ServiceRecord> services() const; // all, sorted by host then id
    QList<ServiceRecord> servicesOnHost(const QString &host) const;
    QMap<QString, QList<ServiceRecord>> servicesByName() const;
    QList<BalancerRecord> balancers() const; // the running ones, sorted by name
    QList<ClusterEvent> events() const;      // oldest first, at most eventLimit()
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
    // A balancer's record was written, or deleted (balancer.up == false; then it is dropped).
    void balancerChanged(const BalancerRecord &balancer);
    // After resetToSnapshot: views that cannot diff should re-read everything.
    void snapshotReset(qint64 revision);
    // A gone host was dropped from the list to keep it bounded (see goneHostLimit()).
    void hostRemoved(const QString &hostname);

private:
    Keyspace m_keyspace;
    Status m_status = Status::Disconnected;
    QString m_errorString;
    qint64 m_revision = 0;
    int m_eventLimit = 1000;
    QHash<QString, HostRecord> m_hosts;
    QHash<QString, ServiceRecord> m_services;   // by detail record key
    QHash<QString, BalancerRecord> m_balancers; // by name
    QList<ClusterEvent> m_events;
    quint64 m_nextSeq = 1;
    int m_goneHostLimit = 256;

    void putHost(const HostRecord &record, qint64 revision, const QDateTime &when);
    void hostGone(const QString &hostname, qint64 revision, const QDateTime &when);
    void putService(const ServiceRecord &record, qint64 revision, const QDateTime &when);
    void dropService(const QString &key, qint64 revision);
    void putBalancer(const BalancerRecord &record);
    void dropBalancer(const QString &name);
    void appendEvent(ClusterEvent::Action action, const QString &host, const ServiceRecord *service,
                     qint64 revision, const QDateTime &when);
    void advanceRevision(qint64 revision);
    void trimGoneHosts();
};
