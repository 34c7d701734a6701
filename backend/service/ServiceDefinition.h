#pragma once

#include <QMap>
#include <QString>
#include <QStringList>

// One published port of one container, as registrator would register it.
struct ServiceDefinition {
    QString id;   // "<hostname>:<container-name>:<port>[:udp]" or SERVICE_ID
    QString name; // image basename, SERVICE_NAME or SERVICE_<port>_NAME (+ "-<port>" in groups)
    QString ip;
    int port = 0;
    QString protocol = QStringLiteral("tcp"); // "tcp" or "udp"
    QString exposedPort;                      // the container-side port, e.g. "6379"
    QStringList tags;
    QMap<QString, QString> attributes; // remaining SERVICE_* keys, lower-cased, without prefix

    QString hostname; // the agent's hostname, first part of the default id
    QString containerId;
    QString containerName; // without the leading '/'
    QString image;
    // Docker's HEALTHCHECK state (service/ContainerHealth.h): "none", "starting", "healthy" or
    // "unhealthy". With -register-healthy a container that is not healthy yet (or no longer)
    // keeps its detail record but not its registrator key: keyWithheld.
    QString health = QStringLiteral("none");
    bool keyWithheld = false;

    // "ip:port", with IPv6 addresses in brackets (registrator's etcd adapter did not bracket).
    QString address() const;

    bool operator==(const ServiceDefinition &o) const;
    bool operator!=(const ServiceDefinition &o) const { return !(*this == o); }
};
