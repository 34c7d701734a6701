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

    const QList<std::pair<QString, QString>> files{{QStringLiteral("-etcd-cacert"), o.etcdCaFile},
                                                   {QStringLiteral("-etcd-cert"), o.etcdCertFile},
                                                   {QStringLiteral("-etcd-key"), o.etcdKeyFile}};
    for (const auto &[flag, path] : files) {
        if (!path.isEmpty() && !QFileInfo(path).isReadable()) {
            *error = QStringLiteral("%1: cannot read \"%2\"").arg(flag, path);
            return false;
        }
    }
    if (o.etcdCertFile.isEmpty() != o.etcdKeyFile.isEmpty()) {
        *error = QStringLiteral("-etcd-cert and -etcd-key must be given together");
        return false;
    }
    c.caFile = o.etcdCaFile;
    c.certFile = o.etcdCertFile;
    c.keyFile = o.etcdKeyFile;
    // Certificates imply TLS even with etcd:// or etcd2://, which have no TLS scheme of their own.
    if (!o.etcdCaFile.isEmpty() || !o.etcdCertFile.isEmpty()) {
        c.tls = true;
        for (QString &e : c.endpoints)
            e.replace(QLatin1String("http://"), QLatin1String("https://"));
    }

    if (!o.etcdUser.isEmpty()) {
        const int colon = o.etcdUser.indexOf(QLatin1Char(':'));
        c.username = colon < 0 ? o.etcdUser : o.etcdUser.left(colon);
        c.password = colon < 0 ? QString() : o.etcdUser.mid(colon + 1);
    }
    if (!o.etcdPasswordFile.isEmpty()) {
        QFile f(o.etcdPasswordFile);
        if (!f.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("-etcd-password-file: cannot read \"%1\": %2")
                         .arg(o.etcdPasswordFile, f.errorString());
            return false;
        }
        c.password = QString::fromUtf8(f.readAll()).trimmed();
    }
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
