#pragma once

#include "records/Records.h"

#include <QHash>
#include <QList>
#include <QString>

// Which running balancers route which services, read from their records (BalancerRecord), for
// the dashboard's "routed by" texts, and how a service's Docker health is shown. Balancers are
// few and change rarely, so the index is rebuilt whenever one changes.
class ServiceRouting {
public:
    struct Route {
        QString balancer;
        QString backend;
        int servers = 0;
        int ready = 0;
    };

    void reset(const QList<BalancerRecord> &balancers); // sorted by name, as ClusterState gives
    QList<Route> routesOf(const QString &service) const { return m_routes.value(service); }
    bool isRouted(const QString &service) const { return m_routes.contains(service); }
    // "lb-1 as portolan_web, lb-2 as web"; empty when no balancer routes it.
    QString text(const QString &service) const;
    // The same for one instance, led by "no traffic · " when it is routed but not taking
    // traffic (unhealthy or still starting): first, so a narrow column still shows it.
    QString instanceText(const ServiceRecord &service) const;

    // "healthy", "unhealthy", "starting"; "no check" for none; empty for an agent too old to say.
    static QString healthText(const QString &health);
    // Sort rank: problems first (unhealthy, starting), then healthy, no check, unknown.
    static int healthRank(const QString &health);

private:
    QHash<QString, QList<Route>> m_routes; // by service name, in balancer name order
};
