#pragma once

#include "service/ServiceDefinition.h"

#include <QJsonObject>
#include <QList>
#include <QStringList>
#include <optional>

class TagTemplate;
struct ServiceMetadata;
struct ServicePort;

// The agent flags that shape services (registrator's bridge.Config).
struct ServiceOptions {
    QString hostname;          // os hostname: first part of default ids
    QString hostIp;            // -ip: forces the address
    QString resolvedHostIp;    // hostname resolved once at start (used for 0.0.0.0 bindings)
    bool internal = false;     // -internal
    bool explicitOnly = false; // -explicit
    QString useIpFromLabel;    // -useIpFromLabel
    const TagTemplate *tags = nullptr; // -tags, compiled; null when not given
    bool registerHealthyOnly = false;  // -register-healthy
    // The agent's own container (OwnContainer::detect()): its ports are services only when it
    // asks with SERVICE_NAME or SERVICE_<port>_NAME, as registrator's -explicit does.
    QString ownContainerId;
};

// What one container yields.
struct ServiceBuildResult {
    QList<ServiceDefinition> services;
    // registrator-style log lines without timestamps, e.g. "ignored: 0123456789ab port 80 not
    // published on host"
    QStringList notes;
    // True when a published port has no host port yet (registrator #716): services is empty and
    // the caller inspects again a moment later (a bounded number of times). The rule: the
    // container is running in a network of its own (not host/none/container:), -internal is off,
    // HostConfig.PortBindings has the port or PublishAllPorts is set for an exposed port, and
    // NetworkSettings.Ports has no binding with a host port for it (key missing, null or empty).
    bool portsPending = false;
    // Set when NetworkMode is "container:<id>" and build() was given no networkContainer: the
    // caller inspects that container and calls build() again with it (services is then empty).
    // If that inspect fails the caller should give up on the container (registrator registered
    // an empty address).
    QString networkContainerId;
};

// Turns `docker inspect` JSON into services, following gliderlabs/registrator's bridge rules
// (with the bug fixes listed in docs/compatibility.md).
class ServiceBuilder {
public:
    explicit ServiceBuilder(ServiceOptions options);
    ServiceBuildResult build(const QJsonObject &inspect,
                             const QJsonObject &networkContainer = {}) const;

    // Sets a service's health and, by -register-healthy, whether its registrator key is withheld
    // (build() does this from the inspect; a health_status event changes it later).
    void setHealth(ServiceDefinition &service, const QString &health) const;

    // registrator's default name with its digest bug fixed: "registry:5000/team/img:tag" and
    // "team/img@sha256:..." both give "img".
    static QString defaultServiceName(const QString &image);

    // Bounds that keep hostile labels and env out of registry keys and values.
    static constexpr int kMaxKeyPartBytes = 255;    // a service name or id
    static constexpr int kMaxValueBytes = 4 * 1024; // one attribute value or tag
    static constexpr int kMaxTags = 100;            // tags per service
    static constexpr int kMaxAttributes = 64;       // attributes per service
    // Tags and attributes of one service together, counted as escaped JSON: with etcd's
    // --max-txn-ops of 128 (64 records per transaction) a full transaction stays near 1 MiB,
    // below etcd's default 1.5 MiB request limit.
    static constexpr int kMaxRecordBytes = 16 * 1024;
    static constexpr int kMaxNotes = 32; // notes per container (log lines)

private:
    // build()'s steps, in order; each adds its notes.
    struct Container;
    static bool isTrusted(const Container &c, QStringList &notes);
    // The ports that become services; nullopt when the container yields none for now.
    std::optional<QList<ServicePort>> servicePorts(const QJsonObject &inspect, const QString &id12,
                                                   ServiceBuildResult &result) const;
    std::optional<ServiceDefinition> service(const Container &c, const ServicePort &port,
                                             QStringList &notes) const;
    QString address(const Container &c, const ServicePort &port, QStringList &notes) const;
    // Tags and attributes take from one record budget (kMaxRecordBytes).
    static void addTags(ServiceDefinition &s, const QStringList &tags, qsizetype &budget,
                        const QString &id12, QStringList &notes);
    static void addAttributes(ServiceDefinition &s, const ServiceMetadata &meta, qsizetype &budget,
                              const QString &id12, QStringList &notes);
    bool isUsable(const ServiceDefinition &s, const ServicePort &port, const QString &id12,
                  QStringList &notes) const;

    ServiceOptions m_options;
};
