#include "dashboard/ServiceRouting.h"

#include <QStringList>

void ServiceRouting::reset(const QList<BalancerRecord> &balancers)
{
    m_routes.clear();
    for (const BalancerRecord &b : balancers) {
        for (const BalancerRoute &r : b.routes)
            m_routes[r.service].append(Route{b.name, r.backend, r.servers, r.ready});
    }
}

QString ServiceRouting::text(const QString &service) const
{
    QStringList parts;
    for (const Route &r : m_routes.value(service)) {
        parts.append(r.backend.isEmpty() ? r.balancer
                                         : QStringLiteral("%1 as %2").arg(r.balancer, r.backend));
    }
    return parts.join(QStringLiteral(", "));
}

QString ServiceRouting::instanceText(const ServiceRecord &service) const
{
    const QString routed = text(service.name);
    if (routed.isEmpty() || service.takesTraffic())
        return routed;
    return QStringLiteral("no traffic · ") + routed;
}

QString ServiceRouting::healthText(const QString &health)
{
    if (health == QLatin1String("none"))
        return QStringLiteral("no check");
    return health; // healthy, unhealthy, starting, empty, or whatever a newer agent sends
}

int ServiceRouting::healthRank(const QString &health)
{
    static const QStringList order = {QStringLiteral("unhealthy"), QStringLiteral("starting"),
                                      QStringLiteral("healthy"), QStringLiteral("none")};
    const qsizetype i = order.indexOf(health);
    return i < 0 ? int(order.size()) : int(i);
}
