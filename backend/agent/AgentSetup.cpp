#include "agent/AgentSetup.h"

#include <QFile>
#include <QFileInfo>
#include <QHostInfo>
#include <QNetworkInterface>

QString AgentSetup::systemHostname()
{
    return QHostInfo::localHostName();
}

bool AgentSetup::registryConfig(const AgentOptions &o, const QString &hostname, RegistryConfig *out,
                                QString *error)
{
    RegistryConfig c;
    if (!RegistryConfig::parseUri(o.registryUri, &c, error))
        return false;
    c.ttlSeconds = o.ttl;
    c.refreshSeconds = o.ttlRefresh;
    c.hostname = hostname;
    c.portolanPrefix = o.portolanPrefix;
    while (c.portolanPrefix.size() > 1 && c.portolanPrefix.endsWith(QLatin1Char('/')))
        c.portolanPrefix.chop(1);

    if (!c.applyEtcdAccess(
            {o.etcdCaFile, o.etcdCertFile, o.etcdKeyFile, o.etcdUser, o.etcdPasswordFile}, error))
        return false;
    *out = c;
    return true;
}

QString AgentSetup::resolveHostIp(const QString &hostname)
{
    const QHostInfo info = QHostInfo::fromName(hostname);
    for (const QHostAddress &a : info.addresses()) {
        if (!a.isLoopback() && a.protocol() == QAbstractSocket::IPv4Protocol)
            return a.toString();
    }
    for (const QNetworkInterface &i : QNetworkInterface::allInterfaces()) {
        if (!(i.flags() & QNetworkInterface::IsUp) || (i.flags() & QNetworkInterface::IsLoopBack))
            continue;
        if (i.name().startsWith(QLatin1String("docker")) ||
            i.name().startsWith(QLatin1String("veth")) || i.name().startsWith(QLatin1String("br-")))
            continue;
        for (const QNetworkAddressEntry &e : i.addressEntries()) {
            if (e.ip().protocol() == QAbstractSocket::IPv4Protocol && !e.ip().isLoopback())
                return e.ip().toString();
        }
    }
    return {};
}
