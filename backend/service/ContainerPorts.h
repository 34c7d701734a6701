#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>

// One container port as registrator's servicePort saw it: Config.ExposedPorts first (published at
// the same port number, which is right for --net=host), then NetworkSettings.Ports overriding.
struct ServicePort {
    QString key;         // the inspect key, e.g. "6379/tcp"
    QString exposedPort; // "6379"
    QString protocol;    // "tcp", "udp", "sctp"
    QString hostPort;    // "" when not published on the host
    QString hostIp;      // binding address; "0.0.0.0" when Docker left it empty
    QString exposedIp;   // the container's own address (for -internal)
    // Published by HostConfig (PortBindings or PublishAllPorts) but NetworkSettings.Ports has no
    // host port yet: Docker fills it in a moment after "start" (registrator #716).
    bool pending = false;
};

// Reads the ports of one inspect object, sorted by port number then protocol.
class ContainerPorts {
public:
    static QList<ServicePort> read(const QJsonObject &inspect);

    // HostConfig.NetworkMode, "default" when missing or empty.
    static QString networkMode(const QJsonObject &inspect);
    // NetworkSettings.IPAddress, else the first non-empty Networks.<name>.IPAddress by name.
    static QString containerIp(const QJsonObject &inspect);
};
