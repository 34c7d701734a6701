#pragma once

#include "core/Metrics.h"

#include <QByteArray>
#include <QString>
#include <array>

// The agent's counters, in one process-wide place that its parts (the bridge, the registry,
// the feed) increment and that /metrics and /readyz read (docs/feed.md, "Metrics").
class AgentMetrics {
public:
    enum class Deregistration { Die, Changed, Sync, Count_ };

    static AgentMetrics &instance();

    Metrics::Gauge dockerConnected; // 0/1
    Metrics::Gauge etcdConnected;   // 0/1
    Metrics::Gauge servicesRegistered;
    Metrics::Gauge feedClients;
    Metrics::Counter registrations;
    Metrics::Counter registryWriteFailures;
    Metrics::Counter leaseKeepAliveFailures;
    Metrics::Counter leaseGrants; // the first grant is not a re-grant
    Metrics::Histogram syncSeconds{{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}};
    Metrics::Histogram eventAckSeconds{{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};

    void deregistered(Deregistration reason) { m_deregistrations[size_t(reason)].inc(); }
    quint64 deregistrations(Deregistration reason) const
    {
        return m_deregistrations[size_t(reason)].value();
    }
    void setSynced() { m_synced.store(true, std::memory_order_relaxed); }
    bool synced() const { return m_synced.load(std::memory_order_relaxed); }

    // The body of GET /metrics.
    QByteArray exposition(const QString &version) const;
    // Empty when ready (Docker and etcd reachable, first sync done), else why not.
    QString notReadyReason() const;
    // Back to zero (tests).
    void reset();

private:
    std::array<Metrics::Counter, size_t(Deregistration::Count_)> m_deregistrations;
    std::atomic<bool> m_synced{false};
};
