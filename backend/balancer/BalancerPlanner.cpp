#include "balancer/BalancerPlanner.h"

#include <QCryptographicHash>
#include <QMap>
#include <algorithm>

namespace {

// Keeps [A-Za-z0-9_.-]; anything else becomes '_' and the result gets a short hash of the
// original so that "a b" and "a_b" stay apart.
QString safeName(const QString &raw)
{
    QString out;
    out.reserve(raw.size());
    bool changed = raw.isEmpty();
    for (const QChar c : raw) {
        const char16_t u = c.unicode();
        const bool ok = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
                        (u >= '0' && u <= '9') || u == '_' || u == '.' || u == '-';
        out += ok ? c : QLatin1Char('_');
        changed = changed || !ok;
    }
    if (changed) {
        const QByteArray hash =
            QCryptographicHash::hash(raw.toUtf8(), QCryptographicHash::Sha1).toHex().left(8);
        out += QLatin1Char('_') + QString::fromLatin1(hash);
    }
    return out;
}

} // namespace

BalancerPlanner::BalancerPlanner(Rules rules) : m_rules(std::move(rules)) {}

QString BalancerPlanner::backendName(const QString &service)
{
    return QStringLiteral("portolan_") + safeName(service);
}

QString BalancerPlanner::serverName(const QString &instanceId)
{
    return safeName(instanceId);
}

bool BalancerPlanner::routes(const ServiceRecord &service) const
{
    if (service.protocol == QLatin1String("udp"))
        return false;
    if (m_rules.names.contains(service.name))
        return true;
    for (const QString &tag : service.tags)
        if (m_rules.tags.contains(tag))
            return true;
    return false;
}

BalancerPlan BalancerPlanner::plan(const QList<ServiceRecord> &services)
{
    QMap<QString, PlannedBackend> byName; // sorted by backend name
    auto backendFor = [&](const QString &service) -> PlannedBackend & {
        const QString name = backendName(service);
        auto it = byName.find(name);
        if (it == byName.end()) {
            PlannedBackend b;
            b.service = service;
            b.name = name;
            b.mode = m_rules.tcpNames.contains(service) ? PlannedBackend::Mode::Tcp
                                                        : PlannedBackend::Mode::Http;
            it = byName.insert(name, b);
        }
        return *it;
    };
    for (const QString &name : m_rules.names)
        backendFor(name);
    for (const QString &name : std::as_const(m_seenByTag))
        backendFor(name);
    for (const ServiceRecord &s : services) {
        if (!routes(s))
            continue;
        if (!m_rules.names.contains(s.name))
            m_seenByTag.insert(s.name);
        PlannedBackend &b = backendFor(s.name);
        ++b.registered;
        if (s.takesTraffic() && s.port > 0 && !s.ip.isEmpty())
            b.servers.append({s.id, s.ip, s.port});
    }
    BalancerPlan plan;
    for (PlannedBackend &b : byName) {
        std::sort(b.servers.begin(), b.servers.end(),
                  [](const PlannedServer &x, const PlannedServer &y) { return x.id < y.id; });
        // One instance id is one server, even if two records ever claim it.
        b.servers.erase(std::unique(b.servers.begin(), b.servers.end(),
                                    [](const PlannedServer &x, const PlannedServer &y) {
                                        return x.id == y.id;
                                    }),
                        b.servers.end());
        plan.backends.append(b);
    }
    return plan;
}
