#include "records/Keyspace.h"

QString Keyspace::defaultPrefix()
{
    return QStringLiteral("/portolan");
}

Keyspace::Keyspace(QString prefix) : m_prefix(std::move(prefix))
{
    while (m_prefix.endsWith(QLatin1Char('/')))
        m_prefix.chop(1);
}

QString Keyspace::root() const
{
    return m_prefix + QLatin1Char('/');
}

QString Keyspace::hostsRoot() const
{
    return m_prefix + QStringLiteral("/hosts/");
}

QString Keyspace::servicesRoot() const
{
    return m_prefix + QStringLiteral("/services/");
}

QString Keyspace::hostKey(const QString &hostname) const
{
    return hostsRoot() + hostname;
}

QString Keyspace::servicesOfHost(const QString &hostname) const
{
    return servicesRoot() + hostname + QLatin1Char('/');
}

QString Keyspace::serviceKey(const QString &hostname, const QString &id) const
{
    return servicesOfHost(hostname) + id;
}

QString Keyspace::balancersRoot() const
{
    return m_prefix + QStringLiteral("/balancers/");
}

QString Keyspace::balancerKey(const QString &name) const
{
    return balancersRoot() + name;
}

Keyspace::Key Keyspace::parse(const QString &key) const
{
    Key out;
    const QString hosts = hostsRoot();
    const QString services = servicesRoot();
    const QString balancers = balancersRoot();
    if (key.startsWith(balancers)) {
        const QString name = key.mid(balancers.size());
        if (!name.isEmpty() && !name.contains(QLatin1Char('/')))
            out = {Key::Kind::Balancer, {}, name};
    } else if (key.startsWith(hosts)) {
        const QString host = key.mid(hosts.size());
        if (!host.isEmpty() && !host.contains(QLatin1Char('/')))
            out = {Key::Kind::Host, host, {}};
    } else if (key.startsWith(services)) {
        const QString rest = key.mid(services.size());
        const qsizetype slash = rest.indexOf(QLatin1Char('/'));
        if (slash > 0 && slash != rest.size() - 1)
            out = {Key::Kind::Service, rest.left(slash), rest.mid(slash + 1)};
    }
    return out;
}
