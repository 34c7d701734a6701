#include "service/ContainerPorts.h"

#include <QHostAddress>
#include <QJsonArray>
#include <algorithm>

namespace {

QJsonObject object(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toObject();
}

// Docker lists 0.0.0.0 before :: for one port, and the two can even carry different host ports;
// registrator took published[0]. Portolan picks the first IPv4 (or unset) binding that has a host
// port, then any binding with a host port, so the choice never depends on Docker's order.
QJsonObject pickBinding(const QJsonArray &bindings)
{
    QJsonObject withPort;
    for (const QJsonValue &v : bindings) {
        const QJsonObject b = v.toObject();
        if (b.value(QLatin1String("HostPort")).toString().isEmpty())
            continue;
        const QString ip = b.value(QLatin1String("HostIp")).toString();
        if (ip.isEmpty() || QHostAddress(ip).protocol() == QAbstractSocket::IPv4Protocol)
            return b;
        if (withPort.isEmpty())
            withPort = b;
    }
    if (!withPort.isEmpty())
        return withPort;
    return bindings.isEmpty() ? QJsonObject() : bindings.first().toObject();
}

// A user-defined network: NetworkMode names it (or gives its id).
QString networkIp(const QJsonObject &inspect, const QString &mode)
{
    const QJsonObject networks = object(object(inspect, "NetworkSettings"), "Networks");
    if (networks.contains(mode))
        return networks.value(mode).toObject().value(QLatin1String("IPAddress")).toString();
    for (const QJsonValue &v : networks) {
        const QJsonObject n = v.toObject();
        const QString id = n.value(QLatin1String("NetworkID")).toString();
        if (!id.isEmpty() && mode.size() >= 12 && id.startsWith(mode))
            return n.value(QLatin1String("IPAddress")).toString();
    }
    return {};
}

bool hasOwnNetwork(const QString &mode)
{
    return mode != QLatin1String("host") && mode != QLatin1String("none") &&
           !mode.startsWith(QLatin1String("container:"));
}

bool isRunning(const QJsonObject &inspect)
{
    const QJsonValue running = object(inspect, "State").value(QLatin1String("Running"));
    return running.isUndefined() || running.toBool(); // no State at all: assume running
}

bool hasHostPort(const QJsonValue &bindings)
{
    const QJsonArray a = bindings.toArray();
    return std::any_of(a.begin(), a.end(), [](const QJsonValue &b) {
        return !b.toObject().value(QLatin1String("HostPort")).toString().isEmpty();
    });
}

} // namespace

QString ContainerPorts::networkMode(const QJsonObject &inspect)
{
    const QString mode =
        object(inspect, "HostConfig").value(QLatin1String("NetworkMode")).toString();
    return mode.isEmpty() ? QStringLiteral("default") : mode;
}

QString ContainerPorts::containerIp(const QJsonObject &inspect)
{
    const QJsonObject settings = object(inspect, "NetworkSettings");
    const QString ip = settings.value(QLatin1String("IPAddress")).toString();
    if (!ip.isEmpty())
        return ip;
    const QJsonObject networks = settings.value(QLatin1String("Networks")).toObject();
    for (const QJsonValue &v : networks) { // QJsonObject iterates in key order
        const QString nip = v.toObject().value(QLatin1String("IPAddress")).toString();
        if (!nip.isEmpty())
            return nip;
    }
    return {};
}

QList<ServicePort> ContainerPorts::read(const QJsonObject &inspect)
{
    const QJsonObject config = object(inspect, "Config");
    const QJsonObject hostConfig = object(inspect, "HostConfig");
    const QJsonObject exposed = object(config, "ExposedPorts");
    const QJsonObject published = object(object(inspect, "NetworkSettings"), "Ports");
    const QJsonObject bindings = object(hostConfig, "PortBindings");
    const bool publishAll = hostConfig.value(QLatin1String("PublishAllPorts")).toBool();
    const QString mode = networkMode(inspect);
    const bool ownNetwork = hasOwnNetwork(mode);
    const bool running = isRunning(inspect);
    const QString exposedIp = containerIp(inspect);

    QStringList keys = exposed.keys();
    for (const QString &k : published.keys()) {
        if (!keys.contains(k))
            keys.append(k);
    }

    QList<ServicePort> ports;
    for (const QString &key : keys) {
        ServicePort p;
        p.key = key;
        const int slash = key.indexOf(QLatin1Char('/'));
        p.exposedPort = slash < 0 ? key : key.left(slash);
        p.protocol = slash < 0 ? QStringLiteral("tcp") : key.mid(slash + 1);
        p.exposedIp = exposedIp;
        if (published.contains(key)) {
            const QJsonObject b = pickBinding(published.value(key).toArray()); // null -> none
            p.hostPort = b.value(QLatin1String("HostPort")).toString();
            p.hostIp = b.value(QLatin1String("HostIp")).toString();
        } else {
            p.hostPort = p.exposedPort; // --net=host: the exposed port is the host port
        }
        if (p.hostIp.isEmpty())
            p.hostIp = QStringLiteral("0.0.0.0");
        if (mode != QLatin1String("bridge") && mode != QLatin1String("default") &&
            mode != QLatin1String("host"))
            p.hostIp = networkIp(inspect, mode); // registrator's overlay/user-network rule

        const bool meantPublished =
            !bindings.value(key).toArray().isEmpty() || (publishAll && exposed.contains(key));
        if (ownNetwork && meantPublished && !hasHostPort(published.value(key))) {
            if (running)
                p.pending = true;
            else
                p.hostPort.clear(); // never started: Docker will not assign one now
        }
        ports.append(p);
    }
    std::sort(ports.begin(), ports.end(), [](const ServicePort &a, const ServicePort &b) {
        const int pa = a.exposedPort.toInt(), pb = b.exposedPort.toInt();
        if (pa != pb)
            return pa < pb;
        if (a.exposedPort != b.exposedPort)
            return a.exposedPort < b.exposedPort;
        return a.protocol < b.protocol;
    });
    return ports;
}
