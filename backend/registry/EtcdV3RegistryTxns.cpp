// EtcdV3Registry's write side: what is owed (host record, deletes, orphan keys, puts) packed
// into txns (TxnBatch), sent, and settled once etcd has applied them.
#include "core/AgentMetrics.h"
#include "core/Version.h"
#include "registry/EtcdV3Registry.h"
#include "registry/TxnBatch.h"

#include <QTimer>

bool EtcdV3Registry::writeBatch()
{
    // While a sync gathers its set, only full txns go out until flush() or reconcile(): fewer,
    // larger txns, and etcd still works while Docker answers. Checked before anything is built,
    // since this runs once per inspect answered.
    const bool fullOnly = m_gathering && !m_flushRequested;
    if (fullOnly && (m_dirty.size() - m_putIdsInFlight.size()) * 2 + m_deletes.size() * 2 +
                            m_orphanKeys.size() + 2 <=
                        TxnBatch::MaxOps)
        return false;
    TxnBatch batch(m_keysInFlight);
    const qint64 lease = m_lease;
    fillBatch(batch, lease);
    const bool full = batch.isFull();
    if (batch.isEmpty() || (fullOnly && !full))
        return false;

    if (m_gathering && !full)
        m_flushRequested = false; // flushed; what arrives next waits for a full txn again
    sendBatch(batch, lease);
    return true;
}

void EtcdV3Registry::fillBatch(TxnBatch &batch, qint64 lease)
{
    if (m_hostGeneration != 0 && !batch.taken(hostKey())) {
        HostRecord host = HostRecord::fromEtcdJson(m_hostInfo); // what the agent learnt so far
        host.hostname = m_config.hostname;
        host.agentVersion = Portolan::version();
        host.startedAt = m_startedAt;
        batch.putHost(hostKey(), host.toEtcdValue(), lease, m_hostGeneration);
    }
    for (auto it = m_deletes.cbegin(); it != m_deletes.cend() && batch.hasRoomFor(2); ++it) {
        const QString detail = detailKey(it.key());
        const QString key = it->serviceKey;
        if (batch.taken(detail) || (!key.isEmpty() && batch.taken(key)))
            continue;
        batch.removeService(it.key(), it->generation, detail, key);
    }
    for (auto it = m_orphanKeys.cbegin(); it != m_orphanKeys.cend() && batch.hasRoomFor(1); ++it) {
        if (!batch.taken(it.key()))
            batch.removeOrphan(it.key(), it.value());
    }
    // A put replaces a detail record, and an earlier run's record may name a registrator key that
    // only the listing can tell us to remove: no put goes out before the listing has answered.
    if (m_needListing || m_listingInFlight)
        return;
    for (auto it = m_dirty.cbegin(); it != m_dirty.cend() && batch.hasRoomFor(2); ++it) {
        if (m_putIdsInFlight.contains(it.key()))
            continue; // sent again once that put is acknowledged
        const auto s = m_desired.constFind(it.key());
        if (s == m_desired.cend())
            continue;
        const QString key = publishedKey(*s);
        const QString detail = detailKey(s->id);
        if ((!key.isEmpty() && batch.taken(key)) || batch.taken(detail))
            continue;
        const QByteArray value = serviceValue(*s);
        const QByteArray &detailValue = cachedDetailValue(*s);
        if (!batch.putService(it.key(), it.value(), key, value, detail, detailValue, lease))
            break;
    }
}

void EtcdV3Registry::sendBatch(const TxnBatch &batch, qint64 lease)
{
    for (const QString &k : batch.keys())
        m_keysInFlight.insert(k);
    for (const QString &id : batch.putIds())
        m_putIdsInFlight.insert(id);
    ++m_txnsInFlight;
    m_peakTxnsInFlight = qMax(m_peakTxnsInFlight, m_txnsInFlight);
    m_client->txn({{QStringLiteral("success"), batch.ops()}}, this,
                  [this, acks = batch.acks(), keys = batch.keys(), putIds = batch.putIds(),
                   lease](const EtcdResponse &r) {
                      --m_txnsInFlight;
                      for (const QString &k : keys)
                          m_keysInFlight.remove(k);
                      for (const QString &id : putIds)
                          m_putIdsInFlight.remove(id);
                      if (isLeaseGone(r.error)) {
                          setUp();
                          if (lease == m_lease) {
                              m_lease = 0;
                              m_refreshTimer->stop();
                          }
                          markAllDirty();
                          return schedulePump();
                      }
                      if (r.error.isError()) {
                          AgentMetrics::instance().registryWriteFailures.inc();
                          return fail(r.error);
                      }
                      setWritten();
                      if (lease != m_lease)
                          return schedulePump(); // written on a lease that has since been replaced
                      acknowledge(acks);
                  });
}

void EtcdV3Registry::acknowledge(const QList<TxnBatch::Ack> &acks)
{
    using Ack = TxnBatch::Ack;
    QList<ServiceDefinition> registered, deregistered;
    QStringList stale;
    const bool listingPending = m_listingInFlight || m_listed.has_value();
    for (const Ack &a : acks) {
        switch (a.kind) {
        case Ack::Host:
            if (m_hostGeneration == a.generation)
                m_hostGeneration = 0;
            break;
        case Ack::Put:
            if (m_dirty.value(a.id) == a.generation) {
                m_dirty.remove(a.id);
                // Kept only while owed: held for every service it would cost ~0.5 KiB each; a
                // later re-put (recovery) builds it again.
                m_detailCache.remove(a.id);
                registered.append(m_desired.value(a.id));
            }
            break;
        case Ack::Delete: {
            if (listingPending)
                m_deletedSinceListing.insert(a.id);
            const auto d = m_deletes.constFind(a.id);
            if (d == m_deletes.cend() || d->generation != a.generation)
                break;
            if (d->stale)
                stale << (d->serviceKey.isEmpty() ? detailKey(a.id) : d->serviceKey);
            else
                deregistered.append(d->service);
            m_deletes.erase(d);
            break;
        }
        case Ack::Orphan:
            if (m_orphanKeys.value(a.id) == a.generation)
                m_orphanKeys.remove(a.id);
            break;
        }
    }
    schedulePump();
    for (const ServiceDefinition &s : std::as_const(deregistered))
        Q_EMIT serviceDeregistered(s);
    for (const QString &k : std::as_const(stale))
        Q_EMIT staleRemoved(k);
    for (const ServiceDefinition &s : std::as_const(registered))
        Q_EMIT serviceRegistered(s);
}
