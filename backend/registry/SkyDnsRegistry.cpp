#include "registry/SkyDnsRegistry.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>

namespace {
constexpr int MaxLabel = 63;
constexpr int HashChars = 8;
} // namespace

SkyDnsRegistry::SkyDnsRegistry(const RegistryConfig &config, QObject *parent)
    : EtcdV3Registry(config, parent)
{
}

QString SkyDnsRegistry::describe() const
{
    return QStringLiteral("skydns2 on etcd v3 at %1 domain %2 prefix %3")
        .arg(endpointNames(), config().domain, config().prefix);
}

QString SkyDnsRegistry::serviceKey(const ServiceDefinition &s) const
{
    return config().prefix + QLatin1Char('/') + dnsLabel(s.name) + QLatin1Char('/') +
           dnsLabel(s.id);
}

QByteArray SkyDnsRegistry::serviceValue(const ServiceDefinition &s) const
{
    const QJsonObject o{{QStringLiteral("host"), s.ip}, {QStringLiteral("port"), s.port}};
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

QString SkyDnsRegistry::dnsLabel(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text.toLower()) {
        const bool ok = (c >= QLatin1Char('a') && c <= QLatin1Char('z')) ||
                        (c >= QLatin1Char('0') && c <= QLatin1Char('9'));
        if (ok)
            out.append(c);
        else if (!out.endsWith(QLatin1Char('-')))
            out.append(QLatin1Char('-')); // also covers '-' itself: repeats collapse
    }
    while (out.startsWith(QLatin1Char('-')))
        out.remove(0, 1);
    while (out.endsWith(QLatin1Char('-')))
        out.chop(1);
    if (out.isEmpty())
        return QStringLiteral("x");
    if (out.size() <= MaxLabel)
        return out;
    const QString hash = QString::fromLatin1(
        QCryptographicHash::hash(text.toUtf8(), QCryptographicHash::Sha1).toHex().left(HashChars));
    QString head = out.left(MaxLabel - HashChars - 1);
    while (head.endsWith(QLatin1Char('-')))
        head.chop(1);
    return head + QLatin1Char('-') + hash;
}
