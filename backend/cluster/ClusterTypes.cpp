#include "cluster/ClusterTypes.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

namespace {
QJsonValue isoOrNull(const QDateTime &t)
{
    if (!t.isValid())
        return QJsonValue::Null;
    return t.toUTC().toString(Qt::ISODateWithMs);
}

QDateTime parseTime(const QJsonValue &v)
{
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    if (!t.isValid())
        t = QDateTime::fromString(v.toString(), Qt::ISODate);
    return t.isValid() ? t.toUTC() : QDateTime();
}

// A JSON object from an etcd value; an empty object (not an error) for anything else, so a
// malformed record still yields what its key tells.
QJsonObject parseObject(const QByteArray &value)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(value, &error);
    return doc.isObject() ? doc.object() : QJsonObject();
}

// Accepts 6379 and "6379"; anything else is 0.
int parsePort(const QJsonValue &v)
{
    if (v.isDouble()) {
        const double d = v.toDouble();
        return d >= 0 && d <= 65535 ? static_cast<int>(d) : 0;
    }
    bool ok = false;
    const int p = v.toString().toInt(&ok);
    return ok && p >= 0 && p <= 65535 ? p : 0;
}
} // namespace

QJsonObject HostRecord::toJson() const
{
    return {{QStringLiteral("hostname"), hostname},
            {QStringLiteral("address"), address},
            {QStringLiteral("agentVersion"), agentVersion},
            {QStringLiteral("dockerVersion"), dockerVersion},
            {QStringLiteral("feedUrl"), feedUrl},
            {QStringLiteral("startedAt"), isoOrNull(startedAt)},
            {QStringLiteral("up"), up},
            {QStringLiteral("goneAt"), up ? QJsonValue(QJsonValue::Null) : isoOrNull(goneAt)}};
}

HostRecord HostRecord::fromEtcd(const QString &keyHostname, const QByteArray &value)
{
    const QJsonObject o = parseObject(value);
    HostRecord h;
    h.hostname = o.value(QLatin1String("hostname")).toString();
    if (h.hostname.isEmpty())
        h.hostname = keyHostname;
    h.address = o.value(QLatin1String("address")).toString();
    h.agentVersion = o.value(QLatin1String("agentVersion")).toString();
    h.dockerVersion = o.value(QLatin1String("dockerVersion")).toString();
    h.feedUrl = o.value(QLatin1String("feedUrl")).toString();
    h.startedAt = parseTime(o.value(QLatin1String("startedAt")));
    return h;
}

QString ServiceRecord::address() const
{
    if (ip.isEmpty() && port == 0)
        return {};
    const QString host =
        ip.contains(QLatin1Char(':')) ? QLatin1Char('[') + ip + QLatin1Char(']') : ip;
    return host + QLatin1Char(':') + QString::number(port);
}

QJsonObject ServiceRecord::toJson() const
{
    QJsonObject attrs;
    for (auto it = attributes.cbegin(); it != attributes.cend(); ++it)
        attrs.insert(it.key(), it.value());
    return {{QStringLiteral("key"), key},
            {QStringLiteral("id"), id},
            {QStringLiteral("name"), name},
            {QStringLiteral("host"), host},
            {QStringLiteral("ip"), ip},
            {QStringLiteral("port"), port},
            {QStringLiteral("address"), address()},
            {QStringLiteral("protocol"), protocol},
            {QStringLiteral("tags"), QJsonArray::fromStringList(tags)},
            {QStringLiteral("attributes"), attrs},
            {QStringLiteral("containerId"), containerId},
            {QStringLiteral("containerName"), containerName},
            {QStringLiteral("image"), image},
            {QStringLiteral("registryKey"), registryKey},
            {QStringLiteral("registeredAt"), isoOrNull(registeredAt)}};
}

ServiceRecord ServiceRecord::fromEtcd(const QString &key, const QByteArray &value)
{
    const QJsonObject o = parseObject(value);
    ServiceRecord s;
    s.key = key;
    s.id = o.value(QLatin1String("id")).toString();
    s.name = o.value(QLatin1String("name")).toString();
    s.host = o.value(QLatin1String("host")).toString();
    s.ip = o.value(QLatin1String("ip")).toString();
    s.port = parsePort(o.value(QLatin1String("port")));
    s.protocol = o.value(QLatin1String("protocol")).toString();
    for (const QJsonValue &t : o.value(QLatin1String("tags")).toArray()) {
        if (t.isString())
            s.tags << t.toString();
    }
    const QJsonObject attrs = o.value(QLatin1String("attributes")).toObject();
    for (auto it = attrs.constBegin(); it != attrs.constEnd(); ++it)
        s.attributes.insert(it.key(), it.value().isString() ? it.value().toString()
                                                            : it.value().toVariant().toString());
    s.containerId = o.value(QLatin1String("containerId")).toString();
    s.containerName = o.value(QLatin1String("containerName")).toString();
    s.image = o.value(QLatin1String("image")).toString();
    s.registryKey = o.value(QLatin1String("key")).toString();
    s.registeredAt = parseTime(o.value(QLatin1String("registeredAt")));
    return s;
}

bool ServiceRecord::operator==(const ServiceRecord &o) const
{
    return key == o.key && id == o.id && name == o.name && host == o.host && ip == o.ip &&
           port == o.port && protocol == o.protocol && tags == o.tags &&
           attributes == o.attributes && containerId == o.containerId &&
           containerName == o.containerName && image == o.image && registryKey == o.registryKey &&
           registeredAt == o.registeredAt;
}

QString ClusterEvent::actionName(Action a)
{
    switch (a) {
    case Action::Added:
        return QStringLiteral("added");
    case Action::Removed:
        return QStringLiteral("removed");
    case Action::Changed:
        return QStringLiteral("changed");
    case Action::HostUp:
        return QStringLiteral("host-up");
    case Action::HostGone:
        return QStringLiteral("host-gone");
    }
    return {};
}

QJsonObject ClusterEvent::toJson() const
{
    return {{QStringLiteral("seq"), static_cast<qint64>(seq)},
            {QStringLiteral("action"), actionName(action)},
            {QStringLiteral("host"), host},
            {QStringLiteral("service"), service},
            {QStringLiteral("serviceId"), serviceId},
            {QStringLiteral("address"), address},
            {QStringLiteral("revision"), revision},
            {QStringLiteral("time"), isoOrNull(time)}};
}
