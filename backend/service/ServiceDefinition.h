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

    // "ip:port", with IPv6 addresses in brackets (registrator's etcd adapter did not bracket).
    QString address() const;

    bool operator==(const ServiceDefinition &o) const;
    bool operator!=(const ServiceDefinition &o) const { return !(*this == o); }
};
