#pragma once

#include "service/ServiceDefinition.h"

#include <QJsonObject>
#include <QList>
#include <QStringList>

class TagTemplate;

// The agent flags that shape services (registrator's bridge.Config).
struct ServiceOptions {
    QString hostname;       // os hostname: first part of default ids
    QString hostIp;         // -ip: forces the address
    QString resolvedHostIp; // hostname resolved once at start (used for 0.0.0.0 bindings)
    bool internal = false;  // -internal
    bool explicitOnly = false; // -explicit
    QString useIpFromLabel;    // -useIpFromLabel
    const TagTemplate *tags = nullptr; // -tags, compiled; null when not given
};

// What one container yields.
struct ServiceBuildResult {
    QList<ServiceDefinition> services;
    // registrator-style log lines without timestamps, e.g. "ignored: 0123456789ab port 80 not
    // published on host"
    QStringList notes;
    // True when a published port has no host port yet (registrator #716): inspect again later.
    bool portsPending = false;
    // Set when NetworkMode is "container:<id>": the caller inspects that container and calls
    // build() again with it.
    QString networkContainerId;
};

// Turns `docker inspect` JSON into services, following gliderlabs/registrator's bridge rules
// (with the bug fixes listed in docs/compatibility.md).
class ServiceBuilder {
public:
    explicit ServiceBuilder(ServiceOptions options);
    ServiceBuildResult build(const QJsonObject &inspect,
                             const QJsonObject &networkContainer = {}) const;

private:
    ServiceOptions m_options;
};
