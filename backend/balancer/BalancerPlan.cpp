#include "balancer/BalancerPlan.h"

QString PlannedServer::address() const
{
    if (ip.contains(QLatin1Char(':')))
        return QStringLiteral("[%1]:%2").arg(ip).arg(port);
    return QStringLiteral("%1:%2").arg(ip).arg(port);
}

const PlannedBackend *BalancerPlan::find(const QString &backendName) const
{
    for (const PlannedBackend &b : backends)
        if (b.name == backendName)
            return &b;
    return nullptr;
}

bool BalancerPlan::drains(const BalancerPlan &before) const
{
    for (const PlannedBackend &was : before.backends) {
        const PlannedBackend *now = find(was.name);
        if (!now) {
            if (!was.servers.isEmpty())
                return true;
            continue;
        }
        for (const PlannedServer &server : was.servers)
            if (!now->servers.contains(server))
                return true;
    }
    return false;
}
