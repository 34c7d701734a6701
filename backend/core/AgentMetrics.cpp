#include "core/AgentMetrics.h"

#include <QStringList>

AgentMetrics &AgentMetrics::instance()
{
    static AgentMetrics metrics;
    return metrics;
}

QByteArray AgentMetrics::exposition(const QString &version) const
{
    Metrics::Exposition out;
    out.gauge("portolan_build_info", "The agent's version; always 1.", 1,
              "version=\"" + Metrics::Exposition::escapeLabel(version.toUtf8()) + '"');
    out.gauge("portolan_docker_connected", "1 while the Docker event stream is open, else 0.",
              double(dockerConnected.value()));
    out.gauge("portolan_etcd_connected", "1 while the registry answers, else 0.",
              double(etcdConnected.value()));
    out.gauge("portolan_ready", "1 once connected to Docker and etcd after the first sync.",
              notReadyReason().isEmpty() ? 1 : 0);
    out.gauge("portolan_services_registered", "Services this agent has registered now.",
              double(servicesRegistered.value()));
    out.counter("portolan_registrations_total", "Services registered (added: log lines).",
                registrations.value());
    out.counters("portolan_deregistrations_total",
                 "Services deregistered: die (container died), changed (its ports changed), "
                 "sync (gone while the agent was away, removed by a sync).",
                 "reason",
                 {{"die", deregistrations(Deregistration::Die)},
                  {"changed", deregistrations(Deregistration::Changed)},
                  {"sync", deregistrations(Deregistration::Sync)}});
    out.counter("portolan_registry_write_failures_total",
                "Registry writes (etcd txns) that failed and will be retried.",
                registryWriteFailures.value());
    out.counter("portolan_lease_keepalive_failures_total",
                "Lease keep-alives that failed or found the lease gone.",
                leaseKeepAliveFailures.value());
    const quint64 grants = leaseGrants.value();
    out.counter("portolan_lease_regrants_total",
                "Leases granted after the first (the old lease was lost; all keys re-put).",
                grants > 0 ? grants - 1 : 0);
    out.histogram("portolan_sync_duration_seconds",
                  "Full syncs with Docker: from the event stream opening to the complete set "
                  "handed to the registry.",
                  syncSeconds);
    out.histogram(
        "portolan_event_ack_seconds",
        "From a Docker start, die or health_status event to etcd acknowledging its write.",
        eventAckSeconds);
    out.gauge("portolan_feed_clients", "WebSocket clients of the feed now.",
              double(feedClients.value()));
    return out.text();
}

QString AgentMetrics::notReadyReason() const
{
    QStringList why;
    if (dockerConnected.value() == 0)
        why << QStringLiteral("Docker is not connected");
    if (etcdConnected.value() == 0)
        why << QStringLiteral("etcd is not connected");
    if (!synced())
        why << QStringLiteral("the first sync with Docker is not done");
    return why.join(QStringLiteral("; "));
}

void AgentMetrics::reset()
{
    for (Metrics::Gauge *g : {&dockerConnected, &etcdConnected, &servicesRegistered, &feedClients})
        g->set(0);
    for (Metrics::Counter *c :
         {&registrations, &registryWriteFailures, &leaseKeepAliveFailures, &leaseGrants})
        c->reset();
    for (Metrics::Counter &c : m_deregistrations)
        c.reset();
    syncSeconds.reset();
    eventAckSeconds.reset();
    m_synced.store(false, std::memory_order_relaxed);
}
